//! Frames the server sends. Serialized with `type` as the tag and camelCase fields, exactly
//! as docs/protocol.md lists them.

use serde::{Deserialize, Serialize};

use super::{ErrorCode, FrameError};
use crate::ids::{Conversation, DeviceId, GroupId, MsgId, UserId};
use crate::message::{ConversationSummary, InboxEntry, ReceiptStatus, UpdateKind};

/// A message as clients see it, in `message` frames and in `sync`/`history` pages: the
/// receiving user's inbox entry, as is (`seq` is that user's).
pub type MessageView = InboxEntry;

/// An edit or delete as clients see it: live as an `update` frame, and at its seq in
/// `sync` pages.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateView {
    /// `edit`, `delete` or `reaction`.
    pub kind: UpdateKind,
    /// The message changed.
    pub msg_id: MsgId,
    /// Its conversation.
    pub conversation: Conversation,
    /// This change's seq in the reader's inbox.
    pub seq: u64,
    /// Who changed it: its sender, or `moderator` for the server API's deletes.
    pub by: String,
    /// When (ms).
    pub ts: u64,
    /// The new text, for an edit.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub body: Option<String>,
    /// The emoji, for a reaction.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub emoji: Option<String>,
    /// For a reaction: `by` took the emoji back.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub removed: bool,
}

/// One inbox entry in a `sync` or `history` page: a message, or (in `sync`) the record
/// of an edit or delete at its own seq. Tagged with `type` like the live frames.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
// Short-lived values built to be serialized once: boxing the message would cost an
// allocation per frame to save stack bytes nobody keeps.
#[allow(clippy::large_enum_variant)]
pub enum EntryView {
    /// A message, in its latest state.
    Message(MessageView),
    /// An edit or delete.
    Update(UpdateView),
}

impl EntryView {
    /// The entry's seq in the reader's inbox.
    pub fn seq(&self) -> u64 {
        match self {
            Self::Message(m) => m.seq,
            Self::Update(u) => u.seq,
        }
    }
}

impl From<InboxEntry> for EntryView {
    fn from(e: InboxEntry) -> Self {
        match e.kind {
            None => Self::Message(e),
            Some(kind) => Self::Update(UpdateView {
                kind,
                emoji: (kind == UpdateKind::Reaction).then(|| e.body.clone()),
                removed: e.removed,
                body: (kind == UpdateKind::Edit).then_some(e.body),
                msg_id: e.msg_id,
                conversation: e.conversation,
                seq: e.seq,
                by: e.by.unwrap_or(e.from),
                ts: e.ts,
            }),
        }
    }
}

impl From<InboxEntry> for ServerFrame {
    /// The live frame of an entry: `message` or `update`.
    fn from(e: InboxEntry) -> Self {
        match EntryView::from(e) {
            EntryView::Message(m) => Self::Message(m),
            EntryView::Update(u) => Self::Update(u),
        }
    }
}

/// The largest frame the gateway posts to a connection (API Gateway's `@connections` limit).
pub const MAX_REPLY_BYTES: usize = 128 * 1024;

/// Room kept for a page's envelope (type, id, conversation, next) around its messages.
const ENVELOPE_BYTES: usize = 1024;

/// Cuts a page (`sync` or `history`) so that its frame fits in [`MAX_REPLY_BYTES`]: keeps
/// the longest prefix of `messages` that fits (always at least one; a single message is
/// under the limit, its body being at most 16 KiB) and, when it cut, points `next` at the
/// last message kept. Both cursors work that way: `sync`'s `after` and `history`'s `before`
/// are exclusive, so the next page starts right after the last message kept.
pub fn fit_page(messages: &mut Vec<EntryView>, next: &mut Option<u64>) {
    let mut used = ENVELOPE_BYTES;
    let keep = messages
        .iter()
        .position(|m| {
            used += serde_json::to_string(m).map_or(MAX_REPLY_BYTES, |s| s.len()) + 1;
            used > MAX_REPLY_BYTES
        })
        .unwrap_or(messages.len())
        .max(1);
    if keep < messages.len() {
        messages.truncate(keep);
        *next = messages.last().map(EntryView::seq);
    }
}

/// One user's presence.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PresenceView {
    /// The user.
    pub user: UserId,
    /// Whether the user has a live connection.
    pub online: bool,
    /// When the last connection closed (ms), or null if never seen.
    pub last_seen: Option<u64>,
}

/// A group as its members see it.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupView {
    /// The group id.
    pub group_id: GroupId,
    /// Display name.
    pub name: String,
    /// Members, creator first.
    pub members: Vec<UserId>,
}

/// Every frame the server sends.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", rename_all_fields = "camelCase")]
// As `EntryView`: built to be serialized once.
#[allow(clippy::large_enum_variant)]
pub enum ServerFrame {
    /// The message is durably stored.
    Ack {
        /// Echo of the frame id.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// Echo of the client's id.
        client_msg_id: String,
        /// The server's id for the message.
        msg_id: MsgId,
        /// Its seq in the sender's inbox.
        seq: u64,
        /// Its conversation.
        conversation: Conversation,
        /// Server time of the send.
        ts: u64,
    },
    /// A new message for a participant.
    Message(MessageView),
    /// A page of the inbox.
    Sync {
        /// Echo of the frame id.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// Entries, ascending by seq: messages and updates.
        messages: Vec<EntryView>,
        /// The `after` for the next page, or null.
        next: Option<u64>,
        /// Set when entries after the request's `after` expired (the retention,
        /// `chat:retentionDays`): `oldest` says which seq the inbox keeps first.
        #[serde(skip_serializing_if = "std::ops::Not::not", default)]
        truncated: bool,
        /// With `truncated`: the smallest seq still kept (this page's first entry); the
        /// entries between `after` and it are gone for good.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        oldest: Option<u64>,
    },
    /// A page of one conversation, newest first.
    History {
        /// Echo of the frame id.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// The conversation.
        conversation: Conversation,
        /// Messages in their latest state, descending by seq.
        messages: Vec<EntryView>,
        /// The `before` for the next (older) page, or null.
        next: Option<u64>,
        /// After an `around` or `after` request: the `after` for the next newer page, when
        /// there are newer messages.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        prev: Option<u64>,
    },
    /// An edit or delete of a message, to every participant's live connections.
    Update(UpdateView),
    /// The caller's conversation list, most recent activity first.
    Conversations {
        /// Echo of the frame id.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// The conversations.
        items: Vec<ConversationSummary>,
        /// The `before` of the next page, or null.
        next: Option<u64>,
    },
    /// Where to upload a file: send its bytes with exactly this method, URL and headers.
    Upload {
        /// Echo of the frame id.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// The upload's id: attach it with `send`.
        upload_id: String,
        /// Always `PUT`.
        method: String,
        /// Where to send the bytes.
        url: String,
        /// Headers to send exactly as given (the URL's signature covers them).
        headers: std::collections::BTreeMap<String, String>,
        /// When the URL stops working (ms).
        expires_at: u64,
    },
    /// A short-lived URL to download an attachment.
    Attachment {
        /// Echo of the frame id.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// GET it.
        url: String,
        /// When it stops working (ms).
        expires_at: u64,
    },
    /// One of the user's uploads was checked (pushed to every connection of its owner):
    /// `ready` may be attached now, `rejected` never will be.
    Uploaded {
        /// The upload.
        upload_id: String,
        /// `ready` or `rejected`.
        status: crate::media::UploadState,
        /// Whether a thumbnail was made (an image).
        thumbnail: bool,
        /// An image's upright width.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        width: Option<u32>,
        /// An image's upright height.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        height: Option<u32>,
    },
    /// A read marker moved on another of the user's connections.
    Read {
        /// The conversation.
        conversation: Conversation,
        /// The new marker.
        up_to: u64,
    },
    /// A recipient marked a message delivered or read.
    Receipt {
        /// The message.
        msg_id: MsgId,
        /// Its conversation.
        conversation: Conversation,
        /// The recipient who reported it.
        by: UserId,
        /// The status.
        status: ReceiptStatus,
        /// When, ms since the epoch.
        ts: u64,
    },
    /// Somebody is typing.
    Typing {
        /// Where.
        conversation: Conversation,
        /// Who.
        from: UserId,
    },
    /// Presence of users (a reply, or a later change).
    Presence {
        /// Echo of the frame id, on replies.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// The users.
        users: Vec<PresenceView>,
    },
    /// A group's state after a group action.
    Group {
        /// Echo of the frame id.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// The group.
        #[serde(flatten)]
        group: GroupView,
    },
    /// Success with nothing else to say.
    Ok {
        /// Echo of the frame id.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
    },
    /// Reply to `ping`.
    Pong {
        /// Echo of the frame id.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
    },
    /// Reply to `whoami`: the caller's ids from the authorizer context.
    Whoami {
        /// Echo of the frame id.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// The verified user id.
        user: UserId,
        /// The device named on connect, or null.
        device: Option<DeviceId>,
    },
    /// Reply to `account.delete`: the deletion runs in the background; its connections
    /// close shortly.
    Deleting {
        /// Echo of the frame id.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// The deletion job (the `account.deleted` event names it).
        #[serde(rename = "jobId")]
        job_id: String,
    },
    /// Reply to `account.export`: the export runs in the background; `exported` follows.
    Exporting {
        /// Echo of the frame id.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// The export job (the `account.exported` event names it).
        #[serde(rename = "jobId")]
        job_id: String,
    },
    /// To every live connection of the user when its export is written: where to download
    /// it (NDJSON, docs/protocol.md "Export").
    Exported {
        /// The export job.
        #[serde(rename = "jobId")]
        job_id: String,
        /// A GET of the file, until `expiresAt`.
        url: String,
        /// When the URL stops working (ms): 24 hours after the file was written.
        #[serde(rename = "expiresAt")]
        expires_at: u64,
    },
    /// Reply to `blocks`, and sent to the user's other connections when its blocks change:
    /// everyone it blocks.
    Blocks {
        /// Echo of the frame id (the reply only).
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// The blocked users, sorted.
        users: Vec<UserId>,
    },
    /// To the user's other connections when it mutes or unmutes a conversation.
    Muted {
        /// The conversation.
        conversation: Conversation,
        /// Until when (ms), `-1` until unmuted, `null` when unmuted.
        muted_until: Option<i64>,
    },
    /// The frame was refused or failed.
    Error {
        /// Echo of the frame id.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// Echo of the send's client id.
        #[serde(skip_serializing_if = "Option::is_none")]
        client_msg_id: Option<String>,
        /// What kind of failure.
        code: ErrorCode,
        /// Plain words.
        message: String,
        /// With `rate_limited`: when the request may succeed, ms from now.
        #[serde(skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
}

impl ServerFrame {
    /// The JSON text of this frame.
    pub fn to_json(&self) -> String {
        // Serializing these types cannot fail: every map key is a string and no value
        // has a fallible Serialize impl.
        serde_json::to_string(self).unwrap_or_else(|_| {
            String::from("{\"type\":\"error\",\"code\":\"internal\",\"message\":\"encoding failed\"}")
        })
    }

    /// An `error` frame for a refused frame.
    pub fn from_error(e: FrameError) -> Self {
        Self::Error { id: e.id, client_msg_id: e.client_msg_id, code: e.code, message: e.message, retry_after_ms: None }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn view(seq: u64, body_len: usize, c: char) -> EntryView {
        EntryView::Message(MessageView {
            reactions_seq: None,
            reply_to: None,
            mentions: Vec::new(),
            reactions: Default::default(),
            removed: false,
            by: None,
            seq,
            msg_id: MsgId::generate(1),
            conversation: Conversation::Group(GroupId::parse("g").expect("valid")),
            from: "alice".into(),
            body: c.to_string().repeat(body_len),
            ts: 1,
            client_msg_id: Some("c".into()),
            receipts: BTreeMap::new(),
            kind: None,
            edited_at: None,
            deleted: false,
            attachments: Vec::new(),
        })
    }

    #[test]
    fn a_page_too_big_for_one_frame_is_cut_and_points_past_the_last_message_kept() {
        // Control characters are escaped six-fold: 16 KiB bodies of them are ~96 KiB each.
        let mut messages: Vec<EntryView> = (1..=10).map(|s| view(s, 16 * 1024, '\u{1}')).collect();
        let mut next = None;
        fit_page(&mut messages, &mut next);
        assert_eq!(messages.len(), 1, "one such message fits, two do not");
        assert_eq!(next, Some(1));
        let frame =
            ServerFrame::Sync { id: Some("x".repeat(64)), messages, next, truncated: false, oldest: None }.to_json();
        assert!(frame.len() <= MAX_REPLY_BYTES, "{}", frame.len());

        let mut messages: Vec<EntryView> = (5..=104).map(|s| view(s, 4000, 'x')).collect();
        let mut next = Some(104);
        fit_page(&mut messages, &mut next);
        assert!(messages.len() > 20 && messages.len() < 100, "{}", messages.len());
        assert_eq!(next, messages.last().map(EntryView::seq));
        let frame = ServerFrame::Sync { id: None, messages, next, truncated: false, oldest: None }.to_json();
        assert!(frame.len() <= MAX_REPLY_BYTES, "{}", frame.len());

        let mut small: Vec<EntryView> = (1..=100).map(|s| view(s, 10, 'x')).collect();
        let mut next = None;
        fit_page(&mut small, &mut next);
        assert_eq!((small.len(), next), (100, None), "a page that fits is untouched");
    }

    #[test]
    fn ack_frames_have_the_documented_shape() {
        let frame = ServerFrame::Ack {
            id: Some("r1".into()),
            client_msg_id: "c1".into(),
            msg_id: MsgId::from_stored("01ARZ3NDEKTSV4RRFFQ69G5FAV".into()),
            seq: 3,
            conversation: Conversation::parse("dm:a:b").expect("valid"),
            ts: 42,
        };
        let v: serde_json::Value = serde_json::from_str(&frame.to_json()).expect("json");
        assert_eq!(
            v,
            serde_json::json!({"type":"ack","id":"r1","clientMsgId":"c1","msgId":"01ARZ3NDEKTSV4RRFFQ69G5FAV","seq":3,"conversation":"dm:a:b","ts":42})
        );
    }

    #[test]
    fn whoami_frames_carry_the_user_and_a_null_device_when_none_was_named() {
        let user = UserId::parse("alice").expect("valid");
        let frame = ServerFrame::Whoami { id: Some("w".into()), user: user.clone(), device: None };
        assert_eq!(frame.to_json(), r#"{"type":"whoami","id":"w","user":"alice","device":null}"#);
        let device = Some(DeviceId::parse("phone").expect("valid"));
        assert_eq!(
            ServerFrame::Whoami { id: None, user, device }.to_json(),
            r#"{"type":"whoami","user":"alice","device":"phone"}"#
        );
    }

    #[test]
    fn error_frames_leave_out_absent_ids_and_use_snake_case_codes() {
        let frame = ServerFrame::Error {
            id: None,
            client_msg_id: None,
            code: ErrorCode::UnknownAction,
            message: "no".into(),
            retry_after_ms: None,
        };
        assert_eq!(frame.to_json(), r#"{"type":"error","code":"unknown_action","message":"no"}"#);
    }

    #[test]
    fn group_frames_flatten_the_group_and_sync_keeps_null_next() {
        let frame = ServerFrame::Group {
            id: None,
            group: GroupView { group_id: GroupId::parse("g1").expect("valid"), name: "n".into(), members: vec![] },
        };
        assert_eq!(frame.to_json(), r#"{"type":"group","groupId":"g1","name":"n","members":[]}"#);
        let sync = ServerFrame::Sync { id: None, messages: vec![], next: None, truncated: false, oldest: None };
        assert_eq!(sync.to_json(), r#"{"type":"sync","messages":[],"next":null}"#);
        let cut = ServerFrame::Sync { id: None, messages: vec![], next: None, truncated: true, oldest: Some(7) };
        assert_eq!(cut.to_json(), r#"{"type":"sync","messages":[],"next":null,"truncated":true,"oldest":7}"#);
    }
}
