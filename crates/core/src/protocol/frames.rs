//! Frames the server sends. Serialized with `type` as the tag and camelCase fields, exactly
//! as docs/protocol.md lists them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ErrorCode, FrameError, ReceiptStatus};
use crate::ids::{Conversation, GroupId, MsgId, UserId};
use crate::message::InboxEntry;

/// A message as clients see it, in `message` frames and in `sync`/`history` pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    /// The seq of this message in the receiving user's inbox.
    pub seq: u64,
    /// The message id, the same for every participant.
    pub msg_id: MsgId,
    /// The conversation it belongs to.
    pub conversation: Conversation,
    /// The sender's user id, or `system` for group notices.
    pub from: String,
    /// The text.
    pub body: String,
    /// Server time of the send, ms since the epoch.
    pub ts: u64,
    /// The sender's client id for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_msg_id: Option<String>,
    /// On messages the reader sent: the latest status each recipient reported.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub receipts: BTreeMap<UserId, ReceiptStatus>,
}

impl From<InboxEntry> for MessageView {
    fn from(e: InboxEntry) -> Self {
        Self {
            seq: e.seq,
            msg_id: e.msg_id,
            conversation: e.conversation,
            from: e.from,
            body: e.body,
            ts: e.ts,
            client_msg_id: e.client_msg_id,
            receipts: e.receipts,
        }
    }
}

/// One user's presence.
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", rename_all_fields = "camelCase")]
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
        /// Entries, ascending by seq.
        messages: Vec<MessageView>,
        /// The `after` for the next page, or null.
        next: Option<u64>,
    },
    /// A page of one conversation, newest first.
    History {
        /// Echo of the frame id.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// The conversation.
        conversation: Conversation,
        /// Entries, descending by seq.
        messages: Vec<MessageView>,
        /// The `before` for the next (older) page, or null.
        next: Option<u64>,
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
        Self::Error { id: e.id, client_msg_id: e.client_msg_id, code: e.code, message: e.message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn error_frames_leave_out_absent_ids_and_use_snake_case_codes() {
        let frame =
            ServerFrame::Error { id: None, client_msg_id: None, code: ErrorCode::UnknownAction, message: "no".into() };
        assert_eq!(frame.to_json(), r#"{"type":"error","code":"unknown_action","message":"no"}"#);
    }

    #[test]
    fn group_frames_flatten_the_group_and_sync_keeps_null_next() {
        let frame = ServerFrame::Group {
            id: None,
            group: GroupView { group_id: GroupId::parse("g1").expect("valid"), name: "n".into(), members: vec![] },
        };
        assert_eq!(frame.to_json(), r#"{"type":"group","groupId":"g1","name":"n","members":[]}"#);
        let sync = ServerFrame::Sync { id: None, messages: vec![], next: None };
        assert_eq!(sync.to_json(), r#"{"type":"sync","messages":[],"next":null}"#);
    }
}
