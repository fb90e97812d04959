//! Messages as the store keeps them: one [`InboxEntry`] per participant, each with that
//! participant's own seq.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{ClientMsgId, Conversation, MsgId, UserId};

/// How long a `(sender, clientMsgId)` pair is remembered for idempotent resends.
pub const IDEMPOTENCY_TTL_MS: u64 = 24 * 60 * 60 * 1000;

/// The sender name of server-generated notices in group conversations.
pub const SYSTEM_SENDER: &str = "system";

/// A receipt status; `Read` implies `Delivered`, so statuses are ordered.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReceiptStatus {
    /// The message reached one of the recipient's devices.
    Delivered,
    /// The recipient has seen the message.
    Read,
}

/// One message in one user's inbox: what the stores keep, and, as is, what clients see in
/// `message` frames and `sync`/`history` pages (`protocol::MessageView`).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxEntry {
    /// Position in this user's inbox (1, 2, 3, ... with no gaps).
    pub seq: u64,
    /// Server id of the message, shared by every participant's entry.
    pub msg_id: MsgId,
    /// The conversation.
    pub conversation: Conversation,
    /// Sender user id, or [`SYSTEM_SENDER`].
    pub from: String,
    /// The text; left out on the wire when empty (a deleted message, or one of
    /// attachments only).
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub body: String,
    /// Server time, ms since the epoch.
    pub ts: u64,
    /// The sender's client id, when a user sent it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub client_msg_id: Option<String>,
    /// On the sender's own entry: latest receipt status per recipient.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub receipts: BTreeMap<UserId, ReceiptStatus>,
    /// Set on an *update* entry: this seq records an edit or delete of message `msg_id`
    /// by `from` (the wire shows it as an `update`, see `protocol::EntryView`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub kind: Option<UpdateKind>,
    /// On a message that was edited: when it last was (ms).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub edited_at: Option<u64>,
    /// On a message that was deleted (its body is then empty).
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub deleted: bool,
    /// Files sent with the message (gone once it is deleted).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub attachments: Vec<crate::media::Attachment>,
    /// On an update entry made by someone other than the sender: who
    /// ([`MODERATOR`] for the server API's deletes). On the wire it is the `update`'s `by`.
    #[cfg_attr(feature = "schema", schemars(skip))]
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub by: Option<String>,
    /// A reply: the message it answers, quoted as it was when the reply was sent.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reply_to: Option<crate::rich::ReplyTo>,
    /// Users of the conversation the message mentions.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub mentions: Vec<UserId>,
    /// The message's reactions as this reader sees them: per emoji, how many users put it
    /// there and whether the reader did.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub reactions: crate::rich::Reactions,
    /// The seq (in this reader's inbox) of the latest reaction change `reactions` already
    /// counts: a client holding this copy skips `update`s of kind `reaction` at or below it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reactions_seq: Option<u64>,
    /// On a reaction's update entry: the emoji was taken back (`body` is the emoji).
    #[cfg_attr(feature = "schema", schemars(skip))]
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub removed: bool,
}

/// Who a moderator's change is shown as made by (`update` frames' `by`).
pub const MODERATOR: &str = "moderator";

/// What an update entry records.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UpdateKind {
    /// The message's body was replaced.
    Edit,
    /// The message was taken back: no body any more.
    Delete,
    /// Someone added or took back an emoji on the message.
    Reaction,
}

impl UpdateKind {
    /// The wire and storage name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Edit => "edit",
            Self::Delete => "delete",
            Self::Reaction => "reaction",
        }
    }

    /// Parses a stored name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "edit" => Some(Self::Edit),
            "delete" => Some(Self::Delete),
            "reaction" => Some(Self::Reaction),
            _ => None,
        }
    }
}

impl InboxEntry {
    /// Whether this entry is a message (not an update entry).
    pub fn is_message(&self) -> bool {
        self.kind.is_none()
    }

    /// Whether this entry counts as unread for `owner` once past the read marker: a
    /// message from another user (not the owner's own, not a `system` notice, not an
    /// update entry).
    pub fn counts_as_unread_for(&self, owner: &UserId) -> bool {
        self.is_message() && self.from != owner.as_str() && self.from != SYSTEM_SENDER
    }

    /// Whether this entry mentions `user` and counts as unread for it.
    pub fn mentions_unread(&self, owner: &UserId) -> bool {
        self.counts_as_unread_for(owner) && self.mentions.contains(owner)
    }

    /// Applies an edit (new `body`), a delete made at `ts`, or a reaction change (`body`
    /// is the emoji; `by_holder`: the holder of this copy made it) to this message in place.
    pub fn amend(&mut self, kind: UpdateKind, body: &str, ts: u64, removed: bool, by_holder: bool) {
        match kind {
            UpdateKind::Reaction => crate::rich::apply(&mut self.reactions, body, removed, by_holder),
            UpdateKind::Edit => {
                body.clone_into(&mut self.body);
                self.edited_at = Some(ts);
            }
            UpdateKind::Delete => {
                self.body.clear();
                self.attachments.clear();
                self.reactions.clear();
                self.deleted = true;
            }
        }
    }
}

/// Longest `preview` in a conversation summary, in characters.
pub const PREVIEW_CHARS: usize = 100;

/// The last message of a conversation, as the conversation list shows it.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastMessage {
    /// The message.
    pub msg_id: MsgId,
    /// Its sender.
    pub from: String,
    /// At most [`PREVIEW_CHARS`] characters of its body (empty once deleted).
    pub preview: String,
    /// When it was sent (ms).
    pub ts: u64,
    /// Set when it was edited (ms).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub edited_at: Option<u64>,
    /// Set when it was deleted.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub deleted: bool,
    /// Set when it is past the retention (`chat:retentionDays`): its preview is gone, as is
    /// every message of the conversation.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub expired: bool,
}

impl LastMessage {
    /// The summary line of a message entry.
    pub fn of(entry: &InboxEntry) -> Self {
        Self {
            msg_id: entry.msg_id.clone(),
            from: entry.from.clone(),
            preview: crate::push::preview(&crate::media::push_text(&entry.body, &entry.attachments), PREVIEW_CHARS),
            ts: entry.ts,
            edited_at: entry.edited_at,
            deleted: entry.deleted,
            expired: false,
        }
    }
}

/// One conversation in a user's conversation list: one per (user, conversation), kept
/// exact by every write to that user's inbox.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationSummary {
    /// The conversation.
    pub conversation: Conversation,
    /// A group's name (when the last write knew it).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// The latest message (edits and deletes of it show).
    pub last: LastMessage,
    /// The seq of the latest entry of this conversation in the owner's inbox.
    pub last_seq: u64,
    /// Messages from others after `read_up_to`.
    pub unread: u64,
    /// The owner's read marker: a seq in its inbox (0: nothing read).
    pub read_up_to: u64,
    /// While the owner muted it: until when (ms), or `-1` until unmuted. No push then.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub muted_until: Option<i64>,
    /// Unread messages that mention the owner (cleared by `read` like `unread`; absent: 0).
    #[serde(skip_serializing_if = "is_zero", default)]
    pub mentions: u64,
    /// The seq of the oldest unread message that mentions the owner, to jump to.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub first_mention: Option<u64>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl ConversationSummary {
    /// Whether it is muted at `now_ms`.
    pub fn muted(&self, now_ms: u64) -> bool {
        self.muted_until.is_some_and(|u| u < 0 || u as u64 > now_ms)
    }
}

impl ConversationSummary {
    /// The summary of `owner`'s conversation after `entry` (a message or an update entry)
    /// took the next seq in it; `name` is the group's name when the writer knew it.
    pub fn after(prev: Option<Self>, owner: &UserId, entry: &InboxEntry, name: Option<&str>) -> Option<Self> {
        let unread_inc = u64::from(entry.counts_as_unread_for(owner));
        match (prev, entry.kind) {
            // A reaction changes neither the list's order nor what it shows.
            (prev, Some(UpdateKind::Reaction)) => prev,
            (Some(mut s), Some(kind)) => {
                if s.last.msg_id == entry.msg_id {
                    let mut last = s.last.clone();
                    match kind {
                        UpdateKind::Edit => {
                            last.preview = crate::push::preview(&entry.body, PREVIEW_CHARS);
                            last.edited_at = Some(entry.ts);
                        }
                        UpdateKind::Delete => {
                            last.preview.clear();
                            last.deleted = true;
                        }
                        UpdateKind::Reaction => {}
                    }
                    s.last = last;
                }
                s.last_seq = entry.seq;
                Some(s)
            }
            // An update of a conversation with no summary (written before summaries
            // existed): nothing to show yet.
            (None, Some(_)) => None,
            (prev, None) => {
                let mention = entry.mentions_unread(owner);
                let (unread, read_up_to, old_name, muted_until, mentions, first_mention) = prev
                    .map_or((0, 0, None, None, 0, None), |s| {
                        (s.unread, s.read_up_to, s.name, s.muted_until, s.mentions, s.first_mention)
                    });
                Some(Self {
                    conversation: entry.conversation.clone(),
                    name: name.map(str::to_owned).or(old_name),
                    last: LastMessage::of(entry),
                    last_seq: entry.seq,
                    unread: unread + unread_inc,
                    read_up_to,
                    muted_until,
                    mentions: mentions + u64::from(mention),
                    first_mention: first_mention.or(mention.then_some(entry.seq)),
                })
            }
        }
    }
}

/// A page of a user's conversations, most recent activity first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SummaryPage {
    /// The conversations.
    pub items: Vec<ConversationSummary>,
    /// The cursor of the next (older) page; opaque to clients.
    pub next: Option<u64>,
}

/// What moving a read marker came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadOutcome {
    /// The marker moved; the summary as it now is.
    Moved(ConversationSummary),
    /// The marker was already there or further: nothing changed.
    Unchanged(ConversationSummary),
    /// The caller has no such conversation.
    NotFound,
}

/// A message to store for every participant, all at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewMessage {
    /// Server id of the message.
    pub msg_id: MsgId,
    /// The conversation.
    pub conversation: Conversation,
    /// The sender.
    pub from: UserId,
    /// The sender's client id: the idempotency key together with `from`.
    pub client_msg_id: ClientMsgId,
    /// The text.
    pub body: String,
    /// Server time, ms since the epoch.
    pub ts: u64,
    /// Everyone who gets an inbox entry, the sender included, without duplicates.
    pub participants: Vec<UserId>,
    /// The sender's send limit, charged with this message by the store in the same write
    /// (not for resends, which store nothing). `None`: unlimited.
    #[serde(skip)]
    pub limit: Option<crate::ratelimit::RateLimit>,
    /// Set for an edit or delete: `msg_id` is then the message amended (not a new one),
    /// `body` the new text (empty for a delete), and `participants` those who may hold it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub amends: Option<UpdateKind>,
    /// The conversation's display name (a group's), kept in the summaries.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// Files attached (finished uploads of the sender for this conversation); the store
    /// marks each upload used in the same atomic step, so one is attached once.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub attachments: Vec<crate::media::Attachment>,
    /// How it came to be: a user's own action, a server-API message, a notice, a
    /// moderator's change. Decides idempotency and what `update` frames show as `by`.
    #[serde(skip_serializing_if = "Origin::is_user", default)]
    pub origin: Origin,
    /// A reply's quote of the message it answers.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reply_to: Option<crate::rich::ReplyTo>,
    /// Users mentioned (participants of the conversation).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub mentions: Vec<UserId>,
    /// For a reaction (`amends: Reaction`, `body` the emoji): it takes the emoji back.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub removed: bool,
}

/// Who a stored change comes from, beyond its `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The sender itself (a user's `send`, `edit`, `delete`), or a server notice when
    /// `from` is [`SYSTEM_SENDER`].
    #[default]
    User,
    /// The app's backend through the server API (a message from any user or from
    /// `system`): idempotent by `(from, clientMsgId)` like a user's send.
    Server,
    /// A moderator's delete through the server API: stored like the sender's delete, shown
    /// with `by: "moderator"`.
    Moderator,
}

impl Origin {
    /// Whether this is the default (kept off the journal's lines).
    pub fn is_user(&self) -> bool {
        *self == Self::User
    }
}

impl NewMessage {
    /// A server notice in a group conversation (membership changes), from [`SYSTEM_SENDER`].
    /// It has no idempotency record: the server never resends one.
    pub fn system(conversation: Conversation, body: String, ts: u64, participants: Vec<UserId>) -> Self {
        let msg_id = MsgId::generate(ts);
        Self {
            origin: Origin::User,
            // A ULID is 26 alphanumerics, a valid client id; "system" is a valid user id.
            client_msg_id: ClientMsgId::parse(msg_id.as_str()).expect("a ULID is a valid client id"),
            msg_id,
            conversation,
            from: UserId::parse(SYSTEM_SENDER).expect("a valid literal user id"),
            body,
            ts,
            participants,
            limit: None,
            amends: None,
            name: None,
            attachments: Vec::new(),
            reply_to: None,
            mentions: Vec::new(),
            removed: false,
        }
    }

    /// Whether this is from [`SYSTEM_SENDER`] (a notice, or the server API's own message).
    pub fn is_system(&self) -> bool {
        self.from.as_str() == SYSTEM_SENDER
    }

    /// Whether this is a server notice (membership changes): no idempotency record, no
    /// `clientMsgId` on its entries, no event of its own (the group change is the event).
    pub fn is_notice(&self) -> bool {
        self.is_system() && self.origin == Origin::User
    }

    /// A fingerprint of what this send asks for (conversation and body), kept in the
    /// idempotency record: a `clientMsgId` reused for a different message is told apart
    /// from a resend. FNV-1a, 64 bits: stable across builds and toolchains, unlike std's
    /// hasher; it guards a client against its own mistakes, not against forgery.
    pub fn digest(&self) -> String {
        match self.amends {
            // A reply or mention is a different message from the same text without them.
            None if self.reply_to.is_some() || !self.mentions.is_empty() => {
                let mut parts = vec![self.conversation.to_string(), self.body.clone()];
                parts.extend(self.attachments.iter().map(|a| a.attachment_id.clone()));
                parts.push(self.reply_to.as_ref().map(|r| r.msg_id.to_string()).unwrap_or_default());
                parts.extend(self.mentions.iter().map(ToString::to_string));
                fingerprint(&parts.iter().map(String::as_str).collect::<Vec<_>>())
            }
            None if self.attachments.is_empty() => fingerprint(&[&self.conversation.to_string(), &self.body]),
            None => {
                let mut parts = vec![self.conversation.to_string(), self.body.clone()];
                parts.extend(self.attachments.iter().map(|a| a.attachment_id.clone()));
                fingerprint(&parts.iter().map(String::as_str).collect::<Vec<_>>())
            }
            Some(UpdateKind::Reaction) if self.removed => {
                fingerprint(&["reaction", self.msg_id.as_str(), &self.body, "removed"])
            }
            Some(kind) => fingerprint(&[kind.name(), self.msg_id.as_str(), &self.body]),
        }
    }

    /// The ack of this message when it took `seq` in the sender's inbox.
    pub fn ack(&self, seq: u64) -> StoredAck {
        StoredAck {
            msg_id: self.msg_id.clone(),
            seq,
            conversation: self.conversation.clone(),
            ts: self.ts,
            digest: self.digest(),
        }
    }

    /// The entry for one participant at `seq`.
    pub fn entry_at(&self, seq: u64) -> InboxEntry {
        InboxEntry {
            seq,
            msg_id: self.msg_id.clone(),
            conversation: self.conversation.clone(),
            from: self.from.to_string(),
            body: self.body.clone(),
            ts: self.ts,
            client_msg_id: (!self.is_notice()).then(|| self.client_msg_id.to_string()),
            receipts: BTreeMap::new(),
            kind: self.amends,
            edited_at: None,
            deleted: false,
            attachments: if self.amends.is_some() { Vec::new() } else { self.attachments.clone() },
            by: (self.amends.is_some() && self.origin == Origin::Moderator).then(|| MODERATOR.to_owned()),
            reply_to: if self.amends.is_some() { None } else { self.reply_to.clone() },
            mentions: if self.amends.is_some() { Vec::new() } else { self.mentions.clone() },
            reactions: BTreeMap::new(),
            reactions_seq: None,
            removed: self.removed && self.amends == Some(UpdateKind::Reaction),
        }
    }
}

/// A stable fingerprint of a request's parts (FNV-1a, 64 bits, parts separated by a NUL):
/// the same on every build and toolchain, unlike std's hasher. It tells a client's resend
/// from a different request under the same idempotency key; it is no defence against
/// forgery, and needs none (a client only collides with its own requests).
pub fn fingerprint(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, part) in parts.iter().enumerate() {
        let separator = (i > 0).then_some(0u8);
        for b in separator.into_iter().chain(part.bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// What the sender was told when a message was first stored; a resend gets it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAck {
    /// Server id of the message.
    pub msg_id: MsgId,
    /// Its seq in the sender's inbox.
    pub seq: u64,
    /// The conversation.
    pub conversation: Conversation,
    /// Server time of the first send.
    pub ts: u64,
    /// [`NewMessage::digest`] of the first send; empty in records written before digests
    /// were kept, which then match any resend.
    #[serde(default)]
    pub digest: String,
}

impl StoredAck {
    /// Whether `msg` asks for the same message as the one this ack was for: a resend, not
    /// a `clientMsgId` reused for something else.
    pub fn matches(&self, msg: &NewMessage) -> bool {
        self.digest.is_empty() || self.digest == msg.digest()
    }
}

/// A receipt that changed what the original sender sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptUpdate {
    /// Who sent the message (and gets the `receipt` frame).
    pub sender: UserId,
    /// The message.
    pub msg_id: MsgId,
    /// Its conversation.
    pub conversation: Conversation,
}

/// The result of storing a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendOutcome {
    /// Stored now; `seqs` has each participant's new seq.
    Stored {
        /// The sender's ack.
        ack: StoredAck,
        /// Each participant with the seq its entry got.
        seqs: Vec<(UserId, u64)>,
    },
    /// The same `(from, clientMsgId)` was stored before: nothing new was written.
    Duplicate(StoredAck),
    /// The `(from, clientMsgId)` was used within 24 hours for a different message (another
    /// conversation or body): nothing was written.
    Conflict,
    /// An edit or delete whose message is gone (deleted, or not in the sender's inbox):
    /// nothing was written.
    NotFound,
    /// An attachment's upload may not be used (another message took it first): nothing
    /// was written.
    AttachmentRefused,
    /// The sender's send limit is used up: nothing was written.
    RateLimited {
        /// When a token will be there, ms from now.
        retry_after_ms: u64,
    },
    /// The sender is banned (checked in the same reads as the idempotency record, so a
    /// socket still open when the ban landed stores nothing): nothing was written.
    Banned,
    /// A 1:1 message to a user the sender blocks: nothing was written.
    Blocked,
    /// A reaction already there (or not there to take back): nothing was written; the ack
    /// names the message's own seq in the reactor's inbox.
    Unchanged(StoredAck),
    /// A reaction past the reactor's 20 distinct emoji on the message: nothing was written.
    TooManyReactions,
}
