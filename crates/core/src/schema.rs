//! Table names and key attributes: the one place the functions, the devserver's
//! `--dynamodb` mode, the tests and the CDK stack take them from (docs/data-model.md).

/// Every environment variable the functions read: the one list, exported to the CDK stack
/// through `schema.json` (`env`), which sets them.
pub mod env {
    /// The connections table.
    pub const CONNECTIONS_TABLE: &str = "CHAT_CONNECTIONS_TABLE";
    /// The messages (inbox) table.
    pub const MESSAGES_TABLE: &str = "CHAT_MESSAGES_TABLE";
    /// The state table (idempotency records, budgets, markers).
    pub const STATE_TABLE: &str = "CHAT_STATE_TABLE";
    /// The conversations table (one summary per user and conversation).
    pub const CONVERSATIONS_TABLE: &str = "CHAT_CONVERSATIONS_TABLE";
    /// The reports table (the moderation queue).
    pub const REPORTS_TABLE: &str = "CHAT_REPORTS_TABLE";
    /// Distinct reporters after which a message is deleted for everyone (0: off).
    pub const AUTO_HIDE_REPORTS: &str = "CHAT_AUTO_HIDE_REPORTS";
    /// The groups table.
    pub const GROUPS_TABLE: &str = "CHAT_GROUPS_TABLE";
    /// The presence table (announced state, subscriptions).
    pub const PRESENCE_TABLE: &str = "CHAT_PRESENCE_TABLE";
    /// The push devices table.
    pub const PUSH_TABLE: &str = "CHAT_PUSH_TABLE";
    /// A prefix for all default table names (e.g. a per-test or per-developer one).
    pub const TABLE_PREFIX: &str = "CHAT_TABLE_PREFIX";
    /// The API's `@connections` endpoint (send, presence, push).
    pub const CALLBACK_URL: &str = "CHAT_CALLBACK_URL";
    /// The SNS topic push requests go to (send; unset: no push).
    pub const PUSH_TOPIC_ARN: &str = "CHAT_PUSH_TOPIC_ARN";
    /// SNS platform application for FCM (push).
    pub const PUSH_FCM_APP_ARN: &str = "CHAT_PUSH_FCM_APP_ARN";
    /// SNS platform application for APNs (push).
    pub const PUSH_APNS_APP_ARN: &str = "CHAT_PUSH_APNS_APP_ARN";
    /// SNS platform application for the APNs sandbox (push).
    pub const PUSH_APNS_SANDBOX_APP_ARN: &str = "CHAT_PUSH_APNS_SANDBOX_APP_ARN";
    /// The presence debounce window, ms (presence).
    pub const PRESENCE_DEBOUNCE_MS: &str = "CHAT_PRESENCE_DEBOUNCE_MS";
    /// Sustained sends per second per connection; 0 turns the limit off (send).
    pub const SEND_RATE: &str = "CHAT_SEND_RATE";
    /// Sends allowed at once per connection (send).
    pub const SEND_BURST: &str = "CHAT_SEND_BURST";
    /// `group.*` requests per user per minute; 0 turns the limit off (send).
    pub const GROUP_PER_MINUTE: &str = "CHAT_GROUP_PER_MINUTE";
    /// `receipt` requests per user per minute (send).
    pub const RECEIPT_PER_MINUTE: &str = "CHAT_RECEIPT_PER_MINUTE";
    /// `typing` frames per user per minute; the excess is dropped (send).
    pub const TYPING_PER_MINUTE: &str = "CHAT_TYPING_PER_MINUTE";
    /// `presence` requests per user per minute (presence).
    pub const PRESENCE_PER_MINUTE: &str = "CHAT_PRESENCE_PER_MINUTE";
    /// `push.register` requests per user per minute (push).
    pub const PUSH_REGISTER_PER_MINUTE: &str = "CHAT_PUSH_REGISTER_PER_MINUTE";
    /// `upload` requests per user per minute (send).
    pub const UPLOAD_PER_MINUTE: &str = "CHAT_UPLOAD_PER_MINUTE";
    /// Largest upload in bytes (send).
    pub const MAX_UPLOAD_BYTES: &str = "CHAT_MAX_UPLOAD_BYTES";
    /// Content types an upload may have, comma-separated, `family/*` allowed (send).
    pub const UPLOAD_TYPES: &str = "CHAT_UPLOAD_TYPES";
    /// The media bucket (send, media); unset: no attachments.
    pub const MEDIA_BUCKET: &str = "CHAT_MEDIA_BUCKET";
    /// Live connections per user; 0 turns the cap off (connect).
    pub const CONNECTIONS_PER_USER: &str = "CHAT_CONNECTIONS_PER_USER";
    /// HS256 secret (authorizer, devserver).
    pub const JWT_SECRET: &str = "CHAT_JWT_SECRET";
    /// Secrets Manager ARN holding the HS256 secret (authorizer in AWS).
    pub const JWT_SECRET_ARN: &str = "CHAT_JWT_SECRET_ARN";
    /// RS256 key set URL (authorizer).
    pub const JWT_JWKS_URL: &str = "CHAT_JWT_JWKS_URL";
    /// Required `iss` (authorizer).
    pub const JWT_ISSUER: &str = "CHAT_JWT_ISSUER";
    /// Required `aud` (authorizer).
    pub const JWT_AUDIENCE: &str = "CHAT_JWT_AUDIENCE";
    /// Multiplies every AWS SDK timeout, for slow emulators (all).
    pub const AWS_TIMEOUT_SCALE: &str = "CHAT_AWS_TIMEOUT_SCALE";
    /// Trust the system's root CAs inside Lambda instead of only Amazon's (all).
    pub const TLS_NATIVE_ROOTS: &str = "CHAT_TLS_NATIVE_ROOTS";
    /// The EventBridge bus chat events go to (events).
    pub const EVENT_BUS_NAME: &str = "CHAT_EVENT_BUS_NAME";
    /// The `source` of chat events (events; default `serverless-chat`).
    pub const EVENT_SOURCE: &str = "CHAT_EVENT_SOURCE";
    /// The pre-send hook: a Lambda function ARN (send, admin); unset: no hook.
    pub const PRE_SEND_HOOK: &str = "CHAT_PRE_SEND_HOOK";
    /// `open` (default) or `closed`: what a hook that fails or times out leads to.
    pub const PRE_SEND_HOOK_FAILURE: &str = "CHAT_PRE_SEND_HOOK_FAILURE";
    /// The hook's time budget, ms (default 1000).
    pub const PRE_SEND_HOOK_TIMEOUT_MS: &str = "CHAT_PRE_SEND_HOOK_TIMEOUT_MS";
    /// Days inbox entries are kept (`chat:retentionDays`); 0 or unset: forever (all that
    /// read or write inboxes).
    pub const RETENTION_DAYS: &str = "CHAT_RETENTION_DAYS";

    /// Every variable above by a camelCase key, as `schema.json` lists them.
    pub const ALL: &[(&str, &str)] = &[
        ("connectionsTable", CONNECTIONS_TABLE),
        ("messagesTable", MESSAGES_TABLE),
        ("stateTable", STATE_TABLE),
        ("conversationsTable", CONVERSATIONS_TABLE),
        ("reportsTable", REPORTS_TABLE),
        ("autoHideReports", AUTO_HIDE_REPORTS),
        ("groupsTable", GROUPS_TABLE),
        ("presenceTable", PRESENCE_TABLE),
        ("pushTable", PUSH_TABLE),
        ("tablePrefix", TABLE_PREFIX),
        ("callbackUrl", CALLBACK_URL),
        ("pushTopicArn", PUSH_TOPIC_ARN),
        ("pushFcmAppArn", PUSH_FCM_APP_ARN),
        ("pushApnsAppArn", PUSH_APNS_APP_ARN),
        ("pushApnsSandboxAppArn", PUSH_APNS_SANDBOX_APP_ARN),
        ("presenceDebounceMs", PRESENCE_DEBOUNCE_MS),
        ("sendRate", SEND_RATE),
        ("sendBurst", SEND_BURST),
        ("groupPerMinute", GROUP_PER_MINUTE),
        ("receiptPerMinute", RECEIPT_PER_MINUTE),
        ("typingPerMinute", TYPING_PER_MINUTE),
        ("presencePerMinute", PRESENCE_PER_MINUTE),
        ("pushRegisterPerMinute", PUSH_REGISTER_PER_MINUTE),
        ("uploadPerMinute", UPLOAD_PER_MINUTE),
        ("maxUploadBytes", MAX_UPLOAD_BYTES),
        ("uploadTypes", UPLOAD_TYPES),
        ("mediaBucket", MEDIA_BUCKET),
        ("connectionsPerUser", CONNECTIONS_PER_USER),
        ("jwtSecret", JWT_SECRET),
        ("jwtSecretArn", JWT_SECRET_ARN),
        ("jwtJwksUrl", JWT_JWKS_URL),
        ("jwtIssuer", JWT_ISSUER),
        ("jwtAudience", JWT_AUDIENCE),
        ("awsTimeoutScale", AWS_TIMEOUT_SCALE),
        ("tlsNativeRoots", TLS_NATIVE_ROOTS),
        ("eventBusName", EVENT_BUS_NAME),
        ("eventSource", EVENT_SOURCE),
        ("preSendHook", PRE_SEND_HOOK),
        ("preSendHookFailure", PRE_SEND_HOOK_FAILURE),
        ("preSendHookTimeoutMs", PRE_SEND_HOOK_TIMEOUT_MS),
        ("retentionDays", RETENTION_DAYS),
    ];
}

/// Connections: one item per live connection.
pub mod connections {
    /// Partition key (S): the user id.
    pub const PK: &str = "userId";
    /// Sort key (S): the gateway's connection id.
    pub const SK: &str = "connectionId";
    /// Optional device id (S).
    pub const DEVICE: &str = "deviceId";
    /// Connect time, ms (N).
    pub const CONNECTED_AT: &str = "connectedAt";
    /// TTL attribute, s since the epoch (N).
    pub const TTL: &str = "ttl";
    /// Seconds a record outlives its connection's start: API Gateway closes connections
    /// after 2 hours; the margin covers a missed `$disconnect`.
    pub const TTL_SECS: u64 = 2 * 60 * 60 + 10 * 60;
}

/// Messages: one item per message per participant (the inbox).
pub mod messages {
    /// Partition key (S): the inbox owner's user id.
    pub const PK: &str = "userId";
    /// Sort key (N): the seq in that inbox.
    pub const SK: &str = "seq";
    /// Local secondary index for per-conversation history.
    pub const BY_CONVERSATION_INDEX: &str = "byConversation";
    /// The index's sort key (S): `<conversation>#<seq, 20 digits>`.
    pub const CONV_SEQ: &str = "convSeq";
    /// Message id (S).
    pub const MSG_ID: &str = "msgId";
    /// Conversation id (S).
    pub const CONVERSATION: &str = "conversation";
    /// Sender (S).
    pub const FROM: &str = "from";
    /// Text (S).
    pub const BODY: &str = "body";
    /// Server time, ms (N).
    pub const TS: &str = "ts";
    /// The sender's client id (S).
    pub const CLIENT_MSG_ID: &str = "clientMsgId";
    /// Receipts per recipient (M of S), on the sender's entry.
    pub const RECEIPTS: &str = "receipts";
    /// On an update entry: `edit` or `delete` (S).
    pub const KIND: &str = "kind";
    /// On an update entry: the message it changes (S). Not `msgId`, so update entries
    /// stay out of the `byMsgId` index (which then finds the message itself).
    pub const TARGET: &str = "target";
    /// On an edited message: when it last was (N).
    pub const EDITED_AT: &str = "editedAt";
    /// On a deleted message: true (BOOL).
    pub const DELETED: &str = "deleted";
    /// Files sent with the message (L of M).
    pub const ATTACHMENTS: &str = "attachments";
    /// The inbox owner's send tokens left (N), on every entry: each new entry carries the
    /// owner's bucket forward from the latest one (`ratelimit::Bucket`), and a sender's
    /// own entry carries the bucket its send was charged to. No per-user item is needed.
    pub const TOKENS: &str = "tokens";
    /// When the tokens were counted, ms (N), beside [`TOKENS`].
    pub const TOKENS_AT: &str = "tokensAt";
    /// Local secondary index finding an entry of an inbox by message id (receipts).
    pub const BY_MSG_ID_INDEX: &str = "byMsgId";
    /// On an update entry made by someone other than the sender: who (S), `moderator`.
    pub const BY: &str = "by";
    /// TTL attribute (N, s since the epoch): when the entry expires, set on every entry
    /// written while a retention is on (`chat:retentionDays`; `crate::retention`).
    pub const TTL: &str = "ttl";
    /// On a reply: the quote of the message answered (M: `msgId`, `from`, `preview`).
    pub const REPLY_TO: &str = "replyTo";
    /// Users a message mentions (L of S, in the sender's order).
    pub const MENTIONS: &str = "mentions";
    /// Prefix of a message's reaction counts: one attribute (N) per emoji, `r:<emoji>`
    /// (top-level, so `ADD` works on a message that has none yet).
    pub const REACTION_PREFIX: &str = "r:";
    /// The emoji the inbox owner put on the message (SS).
    pub const MY_REACTIONS: &str = "myReactions";
    /// The seq of the latest reaction change a message's counts include (N).
    pub const REACTIONS_SEQ: &str = "reactionsSeq";
    /// On a reaction's update entry: the emoji was taken back (BOOL).
    pub const REMOVED: &str = "removed";

    /// The index sort key of an entry.
    pub fn conv_seq(conversation: &str, seq: u64) -> String {
        format!("{conversation}#{seq:020}")
    }
}

/// State: idempotency records, claims, budgets and markers, under one string key. (There
/// is no per-user seq counter: an inbox's next seq is one past its latest entry, and the
/// entry's own conditional put is what makes it unique.)
pub mod state {
    /// Partition key (S).
    pub const PK: &str = "pk";
    /// The sender's seq (N) on idempotency items; a member's seq on delivery markers.
    pub const SEQ: &str = "seq";
    /// TTL attribute (N) on idempotency items.
    pub const TTL: &str = "ttl";
    /// Message id (S) on idempotency items.
    pub const MSG_ID: &str = "msgId";
    /// Conversation (S) on idempotency items.
    pub const CONVERSATION: &str = "conversation";
    /// Every participant's seq (M of N) on idempotency items.
    pub const SEQS: &str = "seqs";
    /// `pending` on the idempotency record of a large fan-out still being written.
    pub const STATUS: &str = "status";
    /// First send's time, ms (N) on idempotency items.
    pub const TS: &str = "ts";
    /// The first send's `NewMessage::digest` (S) on idempotency items.
    pub const DIGEST: &str = "digest";
    /// Requests counted (N), on a budget item.
    pub const COUNT: &str = "n";

    /// Key of an idempotency record. User ids cannot contain `#`, so this is unambiguous.
    pub fn idempotency_key(user: &str, client_msg_id: &str) -> String {
        format!("idem#{user}#{client_msg_id}")
    }

    /// Key of the claim on pushing one message to one user.
    pub fn push_claim_key(claim: &str) -> String {
        format!("push#{claim}")
    }

    /// Key of a user's live-connection counter (the cap's atomic check).
    pub fn connection_count_key(user: &str) -> String {
        format!("conns#{user}")
    }

    /// Key of the idempotency claim of a `group.create` by `user` with `client_msg_id`.
    pub fn group_claim_key(user: &str, client_msg_id: &str) -> String {
        format!("gidem#{user}#{client_msg_id}")
    }

    /// The group id (S), on a `group.create` claim.
    pub const GROUP_ID: &str = "groupId";

    /// Key of the item naming the one user a push device token belongs to.
    pub fn push_owner_key(token: &str) -> String {
        format!("pushowner#{token}")
    }

    /// Owner (S), on a push owner item.
    pub const OWNER: &str = "owner";

    /// Key of the budget item of `user` for `route` in window `window`.
    pub fn budget_key(route: &str, user: &str, window: u64) -> String {
        format!("rate#{route}#{user}#{window}")
    }

    /// Key of the marker saying `user`'s inbox holds message `msg_id` (large fan-outs).
    pub fn delivery_key(msg_id: &str, user: &str) -> String {
        format!("dlv#{msg_id}#{user}")
    }

    /// Prefix of idempotency keys (the events function's stream filter).
    pub const IDEMPOTENCY_PREFIX: &str = "idem#";
    /// Prefix of account keys (the events function's stream filter, the authorizer's
    /// leading-keys condition).
    pub const ACCOUNT_PREFIX: &str = "acct#";

    /// Key of a user's account item (a ban).
    pub fn account_key(user: &str) -> String {
        format!("{ACCOUNT_PREFIX}{user}")
    }

    /// Key of the item saying `owner` blocks `other` (read with the append's idempotency
    /// record: a 1:1 send checks both directions without a request of its own).
    pub fn block_key(owner: &str, other: &str) -> String {
        format!("block#{owner}#{other}")
    }

    /// Key of the item listing everyone `owner` blocks (`users`, SS): `blocks`, and the
    /// cap's condition.
    pub fn block_list_key(owner: &str) -> String {
        format!("blocklist#{owner}")
    }

    /// The blocked users (SS), on a block list item.
    pub const USERS: &str = "users";

    /// When a ban was imposed, ms (N), on an account item.
    pub const BANNED_AT: &str = "bannedAt";
    /// When it ends, ms (N), absent: until lifted.
    pub const BANNED_UNTIL: &str = "bannedUntil";
    /// Why (S).
    pub const BAN_REASON: &str = "banReason";
    /// On an account item: the account was deleted (BOOL): a tombstone, not a ban.
    pub const DELETED: &str = "deleted";
}

/// Conversations: one summary item per (user, conversation), written in the same
/// transaction as the inbox entries it summarizes.
pub mod conversations {
    /// Partition key (S): the owner.
    pub const PK: &str = "userId";
    /// Sort key (S): the conversation.
    pub const SK: &str = "conversation";
    /// Local secondary index ordering a user's conversations by activity (keys only).
    pub const BY_ACTIVITY_INDEX: &str = "byActivity";
    /// The index's sort key (N): the seq at which the conversation last became the owner's
    /// most recent one. It is left alone while the conversation stays on top, so a busy
    /// conversation does not rewrite its index entry on every message.
    pub const ACTIVITY: &str = "activity";
    /// The latest entry's seq (N).
    pub const LAST_SEQ: &str = "lastSeq";
    /// Last message: id (S), sender (S), preview (S), time (N), edited (N), deleted (BOOL).
    pub const LAST_MSG_ID: &str = "lastMsgId";
    /// See [`LAST_MSG_ID`].
    pub const LAST_FROM: &str = "lastFrom";
    /// See [`LAST_MSG_ID`].
    pub const LAST_PREVIEW: &str = "lastPreview";
    /// See [`LAST_MSG_ID`].
    pub const LAST_TS: &str = "lastTs";
    /// See [`LAST_MSG_ID`].
    pub const LAST_EDITED_AT: &str = "lastEditedAt";
    /// See [`LAST_MSG_ID`].
    pub const LAST_DELETED: &str = "lastDeleted";
    /// Unread messages from others (N).
    pub const UNREAD: &str = "unread";
    /// The read marker (N).
    pub const READ_UP_TO: &str = "readUpTo";
    /// A group's name (S).
    pub const NAME: &str = "name";
    /// While muted: until when, ms, or -1 until unmuted (N).
    pub const MUTED_UNTIL: &str = "mutedUntil";
    /// Unread messages that mention the owner (N; absent: 0).
    pub const MENTIONS: &str = "mentions";
    /// The seq of the oldest of them (N).
    pub const FIRST_MENTION: &str = "firstMention";
}

/// Groups: partitioned by group id, one metadata item and one item per member.
pub mod groups {
    /// Partition key (S): the group id.
    pub const PK: &str = "groupId";
    /// Sort key (S): [`META`] or `m#<userId>`.
    pub const SK: &str = "sk";
    /// Sort key of the metadata item.
    pub const META: &str = "#meta";
    /// Display name (S), on the metadata item.
    pub const NAME: &str = "name";
    /// Creator (S), on the metadata item.
    pub const CREATOR: &str = "creator";
    /// Member count (N), on the metadata item: the cap's condition in every change.
    pub const COUNT: &str = "memberCount";
    /// Member user id (S), on member items: the partition key of [`BY_MEMBER_INDEX`].
    pub const MEMBER: &str = "memberId";
    /// Join order (N), on member items.
    pub const JOINED: &str = "joined";
    /// Global secondary index: the groups of a user (keys only).
    pub const BY_MEMBER_INDEX: &str = "byMember";
    /// On the metadata item: what its last write did (S), [`CHANGE_MEMBERS`] or
    /// [`CHANGE_RENAME`], with [`ADDED`] and [`REMOVED`] (L of S) for the former. The
    /// table's stream turns each write of the metadata item into one event.
    pub const LAST_CHANGE: &str = "lastChange";
    /// See [`LAST_CHANGE`].
    pub const CHANGE_MEMBERS: &str = "members";
    /// See [`LAST_CHANGE`].
    pub const CHANGE_RENAME: &str = "rename";
    /// See [`LAST_CHANGE`].
    pub const ADDED: &str = "added";
    /// See [`LAST_CHANGE`].
    pub const REMOVED: &str = "removed";
    /// Counts the metadata item's writes (N): every write changes the item, so the stream
    /// has a record of each; a membership change is conditioned on the version it read.
    pub const VERSION: &str = "version";
    /// The members after the last change, in join order (L of S), on the metadata item:
    /// the stream's image of it is the group as that change left it.
    pub const MEMBERS: &str = "members";

    /// Sort key of a member item.
    pub fn member_sk(user: &str) -> String {
        format!("m#{user}")
    }
}

/// Reports: one case per reported message (the moderation queue) and one item per
/// reporter of it, in one partition.
pub mod reports {
    /// Partition key (S): the case id (the reported message's id).
    pub const PK: &str = "caseId";
    /// Sort key (S): [`CASE`] or `r#<reporter>`.
    pub const SK: &str = "sk";
    /// Sort key of the case item.
    pub const CASE: &str = "#case";
    /// Prefix of a report item's sort key.
    pub const REPORT_PREFIX: &str = "r#";
    /// Global secondary index: the queue (`open` or `resolved`), oldest first.
    pub const BY_QUEUE_INDEX: &str = "byQueue";
    /// The index's partition key (S), on case items: `open` or `resolved`.
    pub const QUEUE: &str = "queue";
    /// The index's sort key (N): when the case was opened, ms.
    pub const OPENED_AT: &str = "openedAt";
    /// Distinct reporters (N), on the case.
    pub const REPORTERS: &str = "reporters";
    /// The message as the first reporter saw it (S, JSON), on the case.
    pub const COPY: &str = "copy";
    /// Reports per reason (M of N), on the case.
    pub const REASONS: &str = "reasons";
    /// The resolution (S, JSON), on a resolved case.
    pub const RESOLUTION: &str = "resolution";
    /// A report's reporter (S), reason (S), note (S), time (N), on report items.
    pub const REPORTER: &str = "reporter";
    /// See [`REPORTER`].
    pub const REASON: &str = "reason";
    /// See [`REPORTER`].
    pub const NOTE: &str = "note";
    /// See [`REPORTER`].
    pub const AT: &str = "at";

    /// Sort key of `reporter`'s report.
    pub fn report_sk(reporter: &str) -> String {
        format!("{REPORT_PREFIX}{reporter}")
    }
}

/// Presence: the announced state and the subscriptions, under the watched user.
pub mod presence {
    /// Partition key (S): the watched user.
    pub const PK: &str = "userId";
    /// Sort key (S): [`STATE`] or `sub#<connectionId>`.
    pub const SK: &str = "sk";
    /// Sort key of the announced state item.
    pub const STATE: &str = "#state";
    /// Prefix of subscription sort keys.
    pub const SUB_PREFIX: &str = "sub#";
    /// Announced online (BOOL), on the state item.
    pub const ONLINE: &str = "online";
    /// Last connection closed, ms (N), on the state item.
    pub const LAST_SEEN: &str = "lastSeen";
    /// The watcher (S), on subscriptions.
    pub const SUBSCRIBER: &str = "subscriber";
    /// The watching connection (S), on subscriptions.
    pub const CONNECTION: &str = "connectionId";
    /// TTL attribute (N), on subscriptions: the connection's expiry.
    pub const TTL: &str = "ttl";
}

/// Push devices: one item per registered device token.
pub mod push {
    /// Partition key (S): the user.
    pub const PK: &str = "userId";
    /// Sort key (S): the device token.
    pub const SK: &str = "token";
    /// Platform (S).
    pub const PLATFORM: &str = "platform";
    /// SNS endpoint ARN (S).
    pub const ENDPOINT: &str = "endpointArn";
}

/// The names of the tables one deployment uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    /// Connections table.
    pub connections: String,
    /// Messages (inbox) table.
    pub messages: String,
    /// State table.
    pub state: String,
    /// Groups table.
    pub groups: String,
    /// Presence table.
    pub presence: String,
    /// Push devices table.
    pub push: String,
    /// Conversation summaries table.
    pub conversations: String,
    /// Reports table.
    pub reports: String,
}

impl TableNames {
    /// `<prefix>connections`, `<prefix>messages`, `<prefix>state`.
    pub fn with_prefix(prefix: &str) -> Self {
        Self {
            connections: format!("{prefix}connections"),
            messages: format!("{prefix}messages"),
            state: format!("{prefix}state"),
            groups: format!("{prefix}groups"),
            presence: format!("{prefix}presence"),
            push: format!("{prefix}push"),
            conversations: format!("{prefix}conversations"),
            reports: format!("{prefix}reports"),
        }
    }

    /// Names from the environment: each table's own variable, else `CHAT_TABLE_PREFIX`
    /// (default `chat-`) followed by the table's role.
    pub fn from_env() -> Self {
        Self::from_vars(&crate::config::Vars::env())
    }

    /// [`TableNames::from_env`] through a lookup.
    pub fn from_vars(vars: &crate::config::Vars<'_>) -> Self {
        let var = |k: &str| vars.get(k);
        let prefix = var(env::TABLE_PREFIX).unwrap_or_else(|| "chat-".to_owned());
        let defaults = Self::with_prefix(&prefix);
        Self {
            connections: var(env::CONNECTIONS_TABLE).unwrap_or(defaults.connections),
            messages: var(env::MESSAGES_TABLE).unwrap_or(defaults.messages),
            state: var(env::STATE_TABLE).unwrap_or(defaults.state),
            groups: var(env::GROUPS_TABLE).unwrap_or(defaults.groups),
            presence: var(env::PRESENCE_TABLE).unwrap_or(defaults.presence),
            push: var(env::PUSH_TABLE).unwrap_or(defaults.push),
            conversations: var(env::CONVERSATIONS_TABLE).unwrap_or(defaults.conversations),
            reports: var(env::REPORTS_TABLE).unwrap_or(defaults.reports),
        }
    }
}

/// Every table's keys, indexes, TTL and stream, as the CDK stack builds them
/// (`infra/cdk/lib/schema.json` is this value; a test keeps the two equal).
pub fn describe() -> serde_json::Value {
    use serde_json::json;
    let key = |name: &str, ty: &str| json!({"name": name, "type": ty});
    let routes: serde_json::Map<String, serde_json::Value> =
        crate::protocol::routes().map(|(route, function)| (route.to_owned(), json!(function.name()))).collect();
    let env: serde_json::Map<String, serde_json::Value> =
        env::ALL.iter().map(|(key, var)| ((*key).to_owned(), json!(var))).collect();
    json!({
        "env": env,
        "routes": routes,
        "tables": {
            "connections": {
                "env": env::CONNECTIONS_TABLE,
                "partitionKey": key(connections::PK, "S"),
                "sortKey": key(connections::SK, "S"),
                "ttl": connections::TTL,
                "stream": "KEYS_ONLY",
            },
            "messages": {
                "env": env::MESSAGES_TABLE,
                "partitionKey": key(messages::PK, "S"),
                "sortKey": key(messages::SK, "N"),
                "ttl": messages::TTL,
                "localIndexes": [
                    {"name": messages::BY_CONVERSATION_INDEX, "sortKey": key(messages::CONV_SEQ, "S"), "projection": "ALL"},
                    {
                        "name": messages::BY_MSG_ID_INDEX,
                        "sortKey": key(messages::MSG_ID, "S"),
                        "projection": "INCLUDE",
                        "nonKeyAttributes": [messages::FROM, messages::CONVERSATION],
                    },
                ],
            },
            // The events function reads idempotency records (one per stored change) and
            // account items from this stream.
            "state": {
                "env": env::STATE_TABLE,
                "partitionKey": key(state::PK, "S"),
                "ttl": state::TTL,
                "stream": "NEW_AND_OLD_IMAGES",
            },
            "conversations": {
                "env": env::CONVERSATIONS_TABLE,
                "partitionKey": key(conversations::PK, "S"),
                "sortKey": key(conversations::SK, "S"),
                "localIndexes": [
                    {"name": conversations::BY_ACTIVITY_INDEX, "sortKey": key(conversations::ACTIVITY, "N"), "projection": "KEYS_ONLY"},
                ],
            },
            "groups": {
                "env": env::GROUPS_TABLE,
                "partitionKey": key(groups::PK, "S"),
                "sortKey": key(groups::SK, "S"),
                "globalIndexes": [{
                    "name": groups::BY_MEMBER_INDEX,
                    "partitionKey": key(groups::MEMBER, "S"),
                    "sortKey": key(groups::PK, "S"),
                    "projection": "KEYS_ONLY",
                }],
                // The events function reads the metadata items' changes from this stream.
                "stream": "NEW_AND_OLD_IMAGES",
            },
            "presence": {
                "env": env::PRESENCE_TABLE,
                "partitionKey": key(presence::PK, "S"),
                "sortKey": key(presence::SK, "S"),
                "ttl": presence::TTL,
            },
            "push": {"env": env::PUSH_TABLE, "partitionKey": key(push::PK, "S"), "sortKey": key(push::SK, "S")},
            // The moderation queue; its stream gives report.created and report.resolved.
            "reports": {
                "env": env::REPORTS_TABLE,
                "partitionKey": key(reports::PK, "S"),
                "sortKey": key(reports::SK, "S"),
                "globalIndexes": [{
                    "name": reports::BY_QUEUE_INDEX,
                    "partitionKey": key(reports::QUEUE, "S"),
                    "sortKey": key(reports::OPENED_AT, "N"),
                    "projection": "ALL",
                }],
                "stream": "NEW_AND_OLD_IMAGES",
            },
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CDK stack reads the table schema from `infra/cdk/lib/schema.json`; it must be
    /// exactly [`describe`]. Run with `CHAT_WRITE_SCHEMA=1` to rewrite the file.
    #[test]
    fn the_cdk_schema_file_matches_the_rust_schema() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../infra/cdk/lib/schema.json");
        let expected = serde_json::to_string_pretty(&describe()).expect("json") + "\n";
        if std::env::var_os("CHAT_WRITE_SCHEMA").is_some() {
            std::fs::write(path, &expected).expect("write schema.json");
        }
        let actual = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(
            actual, expected,
            "infra/cdk/lib/schema.json is stale: run CHAT_WRITE_SCHEMA=1 cargo test -p chat-core"
        );
    }

    #[test]
    fn conversation_sort_keys_order_by_seq_within_a_conversation() {
        let a = messages::conv_seq("dm:a:b", 9);
        let b = messages::conv_seq("dm:a:b", 10);
        assert!(a < b);
        assert!(a.starts_with("dm:a:b#"));
        assert!(messages::conv_seq("dm:a:b", u64::MAX).len() < 100);
    }

    #[test]
    fn prefixed_names_share_the_prefix() {
        let t = TableNames::with_prefix("t1-");
        assert_eq!(t.messages, "t1-messages");
        assert_eq!(t.connections, "t1-connections");
        assert_eq!(t.state, "t1-state");
    }
}
