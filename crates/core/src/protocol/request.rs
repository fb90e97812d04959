//! Client frames: one JSON object with an `action`, parsed and validated into a
//! [`Request`]. Everything a handler needs to refuse is refused here, before any I/O.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{ActionKind, ErrorCode};
use crate::ids::{ClientMsgId, Conversation, GroupId, IdError, MsgId, UserId};
use crate::message::ReceiptStatus;

/// Largest message body, in bytes of UTF-8.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Largest list in a frame (`msgIds`, `users`).
pub const MAX_LIST: usize = 100;
/// Most members a group may have, its creator included.
pub const MAX_GROUP_MEMBERS: usize = 100;
const MAX_FRAME_ID: usize = 64;
const MAX_GROUP_NAME: usize = 128;
/// Longest push device token, in bytes: DynamoDB's limit on a sort key (the token is one).
pub const MAX_PUSH_TOKEN: usize = 1024;
const DEFAULT_SYNC_LIMIT: u32 = 100;
const DEFAULT_HISTORY_LIMIT: u32 = 50;
const DEFAULT_CONVERSATIONS_LIMIT: u32 = 50;

/// A parsed client frame: the optional `id` to echo, and what it asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The frame's `id`, echoed on every direct reply.
    pub id: Option<String>,
    /// The validated action.
    pub action: Action,
}

/// Who a `send` or `typing` goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One user (a 1:1 conversation).
    User(UserId),
    /// A group the caller belongs to.
    Group(GroupId),
}

/// A push platform, naming the SNS platform application to use.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// Firebase Cloud Messaging.
    Fcm,
    /// Apple Push Notification service, production.
    Apns,
    /// Apple Push Notification service, sandbox.
    ApnsSandbox,
}

/// Every action a client may ask for, with its validated fields.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Store and deliver a message.
    Send {
        /// Recipient user or group.
        target: Target,
        /// The client's id, for idempotent resends.
        client_msg_id: ClientMsgId,
        /// The text, up to 16 KiB (at least 1 byte unless there are attachments).
        body: String,
        /// Finished uploads to attach (0-10).
        attachments: Vec<crate::media::UploadId>,
        /// The message answered, and users mentioned.
        extras: super::rich::SendExtras,
    },
    /// Inbox entries after a seq.
    Sync {
        /// Entries with `seq > after`.
        after: u64,
        /// Page size, 1-100.
        limit: u32,
    },
    /// One conversation, newest first.
    History {
        /// The conversation to read.
        conversation: Conversation,
        /// Entries with `seq < before`, or the newest when absent.
        before: Option<u64>,
        /// Instead of `before`: the messages right after this seq (newer ones).
        after: Option<u64>,
        /// Instead of `before`: the messages around this seq (half older, half newer).
        around: Option<u64>,
        /// Page size, 1-100.
        limit: u32,
    },
    /// Add or take back an emoji on a message in the caller's inbox.
    React {
        /// The message.
        msg_id: MsgId,
        /// One emoji.
        emoji: String,
        /// Take it back instead.
        removed: bool,
        /// The client's id for this change (idempotent resends).
        client_msg_id: ClientMsgId,
    },
    /// Mark received messages delivered or read.
    Receipt {
        /// The messages, 1-100.
        msg_ids: Vec<MsgId>,
        /// The new status.
        status: ReceiptStatus,
    },
    /// An ephemeral typing indicator.
    Typing {
        /// Who to tell.
        target: Target,
    },
    /// Current presence of users, and a subscription to their changes.
    Presence {
        /// The users, 1-100.
        users: Vec<UserId>,
    },
    /// Create a group with the caller as creator.
    GroupCreate {
        /// Display name, 1-128 chars.
        name: String,
        /// Initial members besides the creator.
        members: Vec<UserId>,
        /// The client's id for this creation: a retry with it within 24 hours gets the
        /// same group instead of a second one.
        client_msg_id: Option<ClientMsgId>,
    },
    /// Add members (creator only).
    GroupAdd {
        /// The group.
        group: GroupId,
        /// Users to add.
        members: Vec<UserId>,
    },
    /// Remove members (creator only).
    GroupRemove {
        /// The group.
        group: GroupId,
        /// Users to remove.
        members: Vec<UserId>,
    },
    /// Leave a group.
    GroupLeave {
        /// The group.
        group: GroupId,
    },
    /// Register a device push token.
    PushRegister {
        /// Which push service.
        platform: Platform,
        /// The device token.
        token: String,
    },
    /// Forget a device push token.
    PushUnregister {
        /// The device token.
        token: String,
    },
    /// Keep-alive.
    Ping,
    /// The caller's own ids.
    Whoami,
    /// The caller's conversation list, most recent activity first.
    Conversations {
        /// Page size, 1-100.
        limit: u32,
        /// The `next` cursor of the previous page.
        before: Option<u64>,
    },
    /// Move the caller's read marker in a conversation.
    Read {
        /// The conversation.
        conversation: Conversation,
        /// A seq in the caller's inbox.
        up_to: u64,
    },
    /// Replace the body of a message the caller sent.
    Edit {
        /// The message.
        msg_id: MsgId,
        /// The new text.
        body: String,
        /// The client's id for this edit (idempotent resends).
        client_msg_id: ClientMsgId,
    },
    /// Take back a message the caller sent.
    Delete {
        /// The message.
        msg_id: MsgId,
        /// The client's id for this delete.
        client_msg_id: ClientMsgId,
    },
    /// A URL to upload a file to, for a message in `conversation`.
    Upload {
        /// Where it will be sent.
        conversation: Conversation,
        /// Its declared content type (bound into the URL).
        content_type: String,
        /// Its exact size in bytes (bound into the URL).
        size: u64,
        /// Its file name.
        name: Option<String>,
    },
    /// Delete the caller's account; `confirm` must be its own user id.
    AccountDeleteConfirm {
        /// The id the client typed to confirm.
        confirm: UserId,
    },
    /// A copy of the caller's data, written in the background (`exporting`, then
    /// `exported` with a link).
    AccountExport,
    /// Stop hearing from a user.
    Block {
        /// Who.
        user: UserId,
    },
    /// Hear from a blocked user again (new messages only).
    Unblock {
        /// Who.
        user: UserId,
    },
    /// The users the caller blocks.
    Blocks,
    /// No push for a conversation, until `until` (ms) or unmuted.
    Mute {
        /// The conversation (one of the caller's).
        conversation: Conversation,
        /// When the mute ends (ms); `None`: until unmuted.
        until: Option<u64>,
    },
    /// Pushes again.
    Unmute {
        /// The conversation.
        conversation: Conversation,
    },
    /// Report a message in the caller's inbox.
    Report {
        /// The message.
        msg_id: MsgId,
        /// Why.
        reason: crate::store::reports::Reason,
        /// In the reporter's words, up to 1,000 characters.
        note: Option<String>,
    },
    /// A short-lived URL to download an attachment of a message in the caller's inbox.
    Attachment {
        /// The message.
        msg_id: MsgId,
        /// The attachment.
        attachment_id: crate::media::UploadId,
        /// The thumbnail instead of the original.
        thumbnail: bool,
    },
}

impl Action {
    /// Which action this is (its name and serving function come from the action table).
    pub fn kind(&self) -> ActionKind {
        match self {
            Self::Send { .. } => ActionKind::Send,
            Self::Sync { .. } => ActionKind::Sync,
            Self::History { .. } => ActionKind::History,
            Self::Receipt { .. } => ActionKind::Receipt,
            Self::Typing { .. } => ActionKind::Typing,
            Self::Presence { .. } => ActionKind::Presence,
            Self::GroupCreate { .. } => ActionKind::GroupCreate,
            Self::GroupAdd { .. } => ActionKind::GroupAdd,
            Self::GroupRemove { .. } => ActionKind::GroupRemove,
            Self::GroupLeave { .. } => ActionKind::GroupLeave,
            Self::PushRegister { .. } => ActionKind::PushRegister,
            Self::PushUnregister { .. } => ActionKind::PushUnregister,
            Self::Ping => ActionKind::Ping,
            Self::Whoami => ActionKind::Whoami,
            Self::Conversations { .. } => ActionKind::Conversations,
            Self::Read { .. } => ActionKind::Read,
            Self::Edit { .. } => ActionKind::Edit,
            Self::Delete { .. } => ActionKind::Delete,
            Self::Upload { .. } => ActionKind::Upload,
            Self::Attachment { .. } => ActionKind::Attachment,
            Self::Block { .. } => ActionKind::Block,
            Self::Unblock { .. } => ActionKind::Unblock,
            Self::Blocks => ActionKind::Blocks,
            Self::AccountDeleteConfirm { .. } => ActionKind::AccountDelete,
            Self::AccountExport => ActionKind::AccountExport,
            Self::Mute { .. } => ActionKind::Mute,
            Self::Unmute { .. } => ActionKind::Unmute,
            Self::Report { .. } => ActionKind::Report,
            Self::React { .. } => ActionKind::React,
        }
    }

    /// The action's wire name.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }
}

/// A frame that cannot be served, with everything its `error` reply needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct FrameError {
    /// The frame's `id`, if it had a valid one.
    pub id: Option<String>,
    /// The frame's `clientMsgId`, if it was a send with one.
    pub client_msg_id: Option<String>,
    /// The protocol error code.
    pub code: ErrorCode,
    /// A plain-words reason.
    pub message: String,
}

impl FrameError {
    pub(super) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { id: None, client_msg_id: None, code, message: message.into() }
    }

    pub(super) fn bad(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }
}

pub(super) fn id_error(field: &str, e: IdError) -> FrameError {
    FrameError::bad(format!("{field}: {e}"))
}

/// Parses one text frame. Never panics, whatever the input.
pub fn parse_frame(text: &str) -> Result<Request, FrameError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| FrameError::bad(format!("frame is not valid JSON: {e}")))?;
    let Value::Object(obj) = value else {
        return Err(FrameError::bad("frame must be a JSON object"));
    };
    let id = frame_id(&obj)?;
    let client_msg_id = obj.get("clientMsgId").and_then(Value::as_str).map(str::to_owned);
    let with_context = |mut e: FrameError| {
        e.id.clone_from(&id);
        e.client_msg_id.clone_from(&client_msg_id);
        e
    };
    let action = match obj.get("action") {
        Some(Value::String(a)) => a.as_str(),
        Some(_) => return Err(with_context(FrameError::bad("action must be a string"))),
        None => return Err(with_context(FrameError::bad("frame has no action"))),
    };
    let Some(kind) = ActionKind::from_name(action) else {
        let message = format!("unknown action {:?}", truncate(action, 64));
        return Err(with_context(FrameError::new(ErrorCode::UnknownAction, message)));
    };
    let action = parse_action(kind, Value::Object(obj.clone())).map_err(with_context)?;
    Ok(Request { id, action })
}

fn frame_id(obj: &Map<String, Value>) -> Result<Option<String>, FrameError> {
    match obj.get("id") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= MAX_FRAME_ID => Ok(Some(s.clone())),
        Some(Value::String(_)) => Err(FrameError::bad("id must be at most 64 characters")),
        Some(_) => Err(FrameError::bad("id must be a string")),
    }
}

pub(super) fn fields<T: for<'de> Deserialize<'de>>(action: &str, v: Value) -> Result<T, FrameError> {
    serde_json::from_value(v).map_err(|e| FrameError::bad(format!("{action}: {e}")))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TargetFields {
    to: Option<String>,
    group: Option<String>,
}

impl TargetFields {
    fn target(self) -> Result<Target, FrameError> {
        match (self.to, self.group) {
            (Some(to), None) => Ok(Target::User(UserId::parse(&to).map_err(|e| id_error("to", e))?)),
            (None, Some(g)) => Ok(Target::Group(GroupId::parse(&g).map_err(|e| id_error("group", e))?)),
            _ => Err(FrameError::bad("exactly one of to or group is required")),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SendFields {
    #[serde(flatten)]
    target: TargetFields,
    client_msg_id: Option<String>,
    body: Option<String>,
    attachments: Option<Vec<AttachmentRef>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AttachmentRef {
    upload_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UploadFields {
    conversation: Option<String>,
    content_type: Option<String>,
    size: Option<u64>,
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AttachmentFields {
    msg_id: Option<String>,
    attachment_id: Option<String>,
    variant: Option<String>,
}

#[derive(Deserialize)]
struct SyncFields {
    after: Option<u64>,
    limit: Option<u32>,
}

#[derive(Deserialize)]
struct HistoryFields {
    conversation: Option<String>,
    before: Option<u64>,
    after: Option<u64>,
    around: Option<u64>,
    limit: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReceiptFields {
    msg_ids: Option<Vec<String>>,
    status: Option<ReceiptStatus>,
}

#[derive(Deserialize)]
struct PageFields {
    before: Option<u64>,
    limit: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReadFields {
    conversation: Option<String>,
    up_to: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AmendFields {
    msg_id: Option<String>,
    body: Option<String>,
    client_msg_id: Option<String>,
}

impl AmendFields {
    fn target(&self) -> Result<(MsgId, ClientMsgId), FrameError> {
        let msg_id = self.msg_id.as_deref().ok_or_else(|| FrameError::bad("msgId is required"))?;
        let msg_id = MsgId::parse(msg_id).map_err(|_| FrameError::bad(format!("msgId: {msg_id:?} is not a msgId")))?;
        Ok((msg_id, client_msg_id(self.client_msg_id.as_deref())?))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReportFields {
    msg_id: Option<String>,
    reason: Option<String>,
    note: Option<String>,
}

/// Longest report note, in characters.
pub const MAX_REPORT_NOTE: usize = 1000;

#[derive(Deserialize)]
struct MuteFields {
    conversation: Option<String>,
    until: Option<u64>,
}

#[derive(Deserialize)]
struct ConfirmFields {
    confirm: Option<String>,
}

#[derive(Deserialize)]
struct UserFields {
    user: Option<String>,
}

#[derive(Deserialize)]
struct UsersFields {
    users: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupFields {
    group: Option<String>,
    name: Option<String>,
    members: Option<Vec<String>>,
    client_msg_id: Option<String>,
}

#[derive(Deserialize)]
struct PushFields {
    platform: Option<Value>,
    token: Option<String>,
}

fn parse_action(kind: ActionKind, v: Value) -> Result<Action, FrameError> {
    let action = kind.name();
    match kind {
        ActionKind::Send => {
            let extras = super::rich::SendExtras::parse(&v)?;
            let mut send = parse_send(fields(action, v)?)?;
            if let Action::Send { extras: e, .. } = &mut send {
                *e = extras;
            }
            Ok(send)
        }
        ActionKind::React => super::rich::parse_react(v),
        ActionKind::Sync => {
            let f: SyncFields = fields(action, v)?;
            Ok(Action::Sync { after: f.after.unwrap_or(0), limit: limit(f.limit, DEFAULT_SYNC_LIMIT)? })
        }
        ActionKind::History => {
            let f: HistoryFields = fields(action, v)?;
            let conversation = f.conversation.ok_or_else(|| FrameError::bad("conversation is required"))?;
            if [f.before.is_some(), f.after.is_some(), f.around.is_some()].iter().filter(|b| **b).count() > 1 {
                return Err(FrameError::bad("at most one of before, after and around"));
            }
            Ok(Action::History {
                conversation: Conversation::parse(&conversation).map_err(|e| id_error("conversation", e))?,
                before: f.before,
                after: f.after,
                around: f.around,
                limit: limit(f.limit, DEFAULT_HISTORY_LIMIT)?,
            })
        }
        ActionKind::Receipt => {
            let f: ReceiptFields = fields(action, v)?;
            let ids = list(f.msg_ids, "msgIds", MAX_LIST)?;
            let msg_ids = ids
                .iter()
                .map(|s| MsgId::parse(s).map_err(|_| FrameError::bad(format!("msgIds: {s:?} is not a msgId"))))
                .collect::<Result<_, _>>()?;
            let status = f.status.ok_or_else(|| FrameError::bad("status must be delivered or read"))?;
            Ok(Action::Receipt { msg_ids, status })
        }
        ActionKind::Typing => Ok(Action::Typing { target: fields::<TargetFields>(action, v)?.target()? }),
        ActionKind::Presence => {
            let f: UsersFields = fields(action, v)?;
            Ok(Action::Presence { users: users(list(f.users, "users", MAX_LIST)?, "users")? })
        }
        ActionKind::GroupCreate => {
            let f: GroupFields = fields(action, v)?;
            let name = f.name.unwrap_or_default();
            if name.trim().is_empty() || name.chars().count() > MAX_GROUP_NAME {
                return Err(FrameError::bad("name must be 1 to 128 characters"));
            }
            let members = users(f.members.unwrap_or_default(), "members")?;
            if members.len() >= MAX_GROUP_MEMBERS {
                return Err(FrameError::new(ErrorCode::TooLarge, "a group has at most 100 members"));
            }
            let client_msg_id = match f.client_msg_id {
                None => None,
                Some(c) => Some(ClientMsgId::parse(&c).map_err(|e| id_error("clientMsgId", e))?),
            };
            Ok(Action::GroupCreate { name, members, client_msg_id })
        }
        ActionKind::GroupAdd | ActionKind::GroupRemove => {
            let f: GroupFields = fields(action, v)?;
            let group = group_id(f.group)?;
            let members = users(list(f.members, "members", MAX_GROUP_MEMBERS)?, "members")?;
            Ok(if kind == ActionKind::GroupAdd {
                Action::GroupAdd { group, members }
            } else {
                Action::GroupRemove { group, members }
            })
        }
        ActionKind::GroupLeave => {
            let f: GroupFields = fields(action, v)?;
            Ok(Action::GroupLeave { group: group_id(f.group)? })
        }
        ActionKind::PushRegister => {
            let f: PushFields = fields(action, v)?;
            let platform = f
                .platform
                .and_then(|p| serde_json::from_value::<Platform>(p).ok())
                .ok_or_else(|| FrameError::bad("platform must be fcm, apns or apns_sandbox"))?;
            Ok(Action::PushRegister { platform, token: push_token(f.token)? })
        }
        ActionKind::PushUnregister => {
            let f: PushFields = fields(action, v)?;
            Ok(Action::PushUnregister { token: push_token(f.token)? })
        }
        ActionKind::Ping => Ok(Action::Ping),
        ActionKind::Block | ActionKind::Unblock => {
            let f: UserFields = fields(action, v)?;
            let user = f.user.ok_or_else(|| FrameError::bad("user is required"))?;
            let user = UserId::parse(&user).map_err(|e| id_error("user", e))?;
            Ok(if kind == ActionKind::Block { Action::Block { user } } else { Action::Unblock { user } })
        }
        ActionKind::Blocks => Ok(Action::Blocks),
        ActionKind::AccountExport => Ok(Action::AccountExport),
        ActionKind::AccountDelete => {
            // `confirm` must be the caller's own id; the handler compares it, having the caller.
            let f: ConfirmFields = fields(action, v)?;
            let confirm = f.confirm.ok_or_else(|| FrameError::bad("confirm is required (your user id)"))?;
            let confirm = UserId::parse(&confirm).map_err(|e| id_error("confirm", e))?;
            Ok(Action::AccountDeleteConfirm { confirm })
        }
        ActionKind::Report => {
            let f: ReportFields = fields(action, v)?;
            let msg_id = f.msg_id.ok_or_else(|| FrameError::bad("msgId is required"))?;
            let msg_id =
                MsgId::parse(&msg_id).map_err(|_| FrameError::bad(format!("msgId: {msg_id:?} is not a msgId")))?;
            let reason = f.reason.ok_or_else(|| FrameError::bad("reason is required"))?;
            let reason = crate::store::reports::Reason::parse(&reason).ok_or_else(|| {
                FrameError::bad("reason must be spam, harassment, hate, sexual, violence, self_harm, illegal or other")
            })?;
            if f.note.as_ref().is_some_and(|n| n.chars().count() > MAX_REPORT_NOTE) {
                return Err(FrameError::new(ErrorCode::TooLarge, "note is longer than 1,000 characters"));
            }
            Ok(Action::Report { msg_id, reason, note: f.note.filter(|n| !n.is_empty()) })
        }
        ActionKind::Mute | ActionKind::Unmute => {
            let f: MuteFields = fields(action, v)?;
            let conversation = f.conversation.ok_or_else(|| FrameError::bad("conversation is required"))?;
            let conversation = Conversation::parse(&conversation).map_err(|e| id_error("conversation", e))?;
            if kind == ActionKind::Unmute {
                return Ok(Action::Unmute { conversation });
            }
            if f.until.is_some_and(|u| u > i64::MAX as u64) {
                return Err(FrameError::bad("until is not a time"));
            }
            Ok(Action::Mute { conversation, until: f.until })
        }
        ActionKind::Whoami => Ok(Action::Whoami),
        ActionKind::Conversations => {
            let f: PageFields = fields(action, v)?;
            Ok(Action::Conversations { limit: limit(f.limit, DEFAULT_CONVERSATIONS_LIMIT)?, before: f.before })
        }
        ActionKind::Read => {
            let f: ReadFields = fields(action, v)?;
            let conversation = f.conversation.ok_or_else(|| FrameError::bad("conversation is required"))?;
            Ok(Action::Read {
                conversation: Conversation::parse(&conversation).map_err(|e| id_error("conversation", e))?,
                up_to: f.up_to.ok_or_else(|| FrameError::bad("upTo is required (a seq)"))?,
            })
        }
        ActionKind::Edit => {
            let f: AmendFields = fields(action, v)?;
            let (msg_id, client_msg_id) = f.target()?;
            Ok(Action::Edit { msg_id, body: body(f.body)?, client_msg_id })
        }
        ActionKind::Delete => {
            let f: AmendFields = fields(action, v)?;
            let (msg_id, client_msg_id) = f.target()?;
            Ok(Action::Delete { msg_id, client_msg_id })
        }
        ActionKind::Upload => {
            let f: UploadFields = fields(action, v)?;
            let conversation = f.conversation.ok_or_else(|| FrameError::bad("conversation is required"))?;
            let content_type = f.content_type.unwrap_or_default();
            let t = crate::media::essence(&content_type);
            if t.len() > 255 || !t.split_once('/').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty()) {
                return Err(FrameError::bad("contentType must be a media type such as image/png"));
            }
            let size = f
                .size
                .filter(|s| *s > 0)
                .ok_or_else(|| FrameError::bad("size must be a number of bytes, at least 1"))?;
            if f.name.as_ref().is_some_and(|n| n.chars().count() > 1024) {
                return Err(FrameError::new(ErrorCode::TooLarge, "name is longer than 1,024 characters"));
            }
            Ok(Action::Upload {
                conversation: Conversation::parse(&conversation).map_err(|e| id_error("conversation", e))?,
                content_type,
                size,
                name: f.name,
            })
        }
        ActionKind::Attachment => {
            let f: AttachmentFields = fields(action, v)?;
            let msg_id = f.msg_id.as_deref().ok_or_else(|| FrameError::bad("msgId is required"))?;
            let msg_id =
                MsgId::parse(msg_id).map_err(|_| FrameError::bad(format!("msgId: {msg_id:?} is not a msgId")))?;
            let id = f.attachment_id.as_deref().ok_or_else(|| FrameError::bad("attachmentId is required"))?;
            let attachment_id = crate::media::UploadId::parse(id).map_err(|e| id_error("attachmentId", e))?;
            let thumbnail = match f.variant.as_deref() {
                None | Some("original") => false,
                Some("thumbnail") => true,
                Some(_) => return Err(FrameError::bad("variant must be original or thumbnail")),
            };
            Ok(Action::Attachment { msg_id, attachment_id, thumbnail })
        }
    }
}

pub(super) fn client_msg_id(given: Option<&str>) -> Result<ClientMsgId, FrameError> {
    let given = given.ok_or_else(|| FrameError::bad("clientMsgId is required"))?;
    ClientMsgId::parse(given).map_err(|e| id_error("clientMsgId", e))
}

fn body(given: Option<String>) -> Result<String, FrameError> {
    let body = given.ok_or_else(|| FrameError::bad("body is required"))?;
    if body.is_empty() {
        return Err(FrameError::bad("body must not be empty"));
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(FrameError::new(
            ErrorCode::TooLarge,
            format!("body is {} bytes; the limit is {MAX_BODY_BYTES}", body.len()),
        ));
    }
    Ok(body)
}

fn parse_send(f: SendFields) -> Result<Action, FrameError> {
    let target = f.target.target()?;
    let client_msg_id = client_msg_id(f.client_msg_id.as_deref())?;
    let refs = f.attachments.unwrap_or_default();
    if refs.len() > crate::media::MAX_ATTACHMENTS {
        return Err(FrameError::new(ErrorCode::TooLarge, "a message has at most 10 attachments"));
    }
    let mut attachments: Vec<crate::media::UploadId> = Vec::with_capacity(refs.len());
    for r in refs {
        let id = r.upload_id.ok_or_else(|| FrameError::bad("attachments: each needs an uploadId"))?;
        let id = crate::media::UploadId::parse(&id).map_err(|e| id_error("attachments", e))?;
        if attachments.contains(&id) {
            return Err(FrameError::bad("attachments: the same upload twice"));
        }
        attachments.push(id);
    }
    let body = match f.body {
        Some(b) if b.is_empty() && !attachments.is_empty() => b,
        None if !attachments.is_empty() => String::new(),
        given => body(given)?,
    };
    Ok(Action::Send { target, client_msg_id, body, attachments, extras: Default::default() })
}

fn limit(given: Option<u32>, default: u32) -> Result<u32, FrameError> {
    match given {
        None => Ok(default),
        Some(n @ 1..=100) => Ok(n),
        Some(_) => Err(FrameError::bad("limit must be between 1 and 100")),
    }
}

fn list(given: Option<Vec<String>>, field: &str, max: usize) -> Result<Vec<String>, FrameError> {
    match given {
        None => Err(FrameError::bad(format!("{field} is required"))),
        Some(v) if v.is_empty() => Err(FrameError::bad(format!("{field} must not be empty"))),
        Some(v) if v.len() > max => {
            Err(FrameError::new(ErrorCode::TooLarge, format!("{field} has {} entries; the limit is {max}", v.len())))
        }
        Some(v) => Ok(v),
    }
}

fn users(raw: Vec<String>, field: &str) -> Result<Vec<UserId>, FrameError> {
    let mut out: Vec<UserId> = Vec::with_capacity(raw.len());
    for s in &raw {
        let u = UserId::parse(s).map_err(|e| id_error(field, e))?;
        if !out.contains(&u) {
            out.push(u);
        }
    }
    Ok(out)
}

fn group_id(g: Option<String>) -> Result<GroupId, FrameError> {
    let g = g.ok_or_else(|| FrameError::bad("group is required"))?;
    GroupId::parse(&g).map_err(|e| id_error("group", e))
}

fn push_token(t: Option<String>) -> Result<String, FrameError> {
    match t {
        Some(t) if !t.trim().is_empty() && t.len() <= MAX_PUSH_TOKEN => Ok(t),
        Some(t) if t.len() > MAX_PUSH_TOKEN => {
            Err(FrameError::bad(format!("token is {} bytes; a device token is at most {MAX_PUSH_TOKEN}", t.len())))
        }
        _ => Err(FrameError::bad("token must be a non-empty string")),
    }
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> FrameError {
        parse_frame(text).expect_err("frame should be refused")
    }

    #[test]
    fn a_valid_send_is_parsed_with_its_id() {
        let r = parse_frame(r#"{"action":"send","id":"r1","to":"bob","clientMsgId":"c1","body":"hi"}"#).expect("valid");
        assert_eq!(r.id.as_deref(), Some("r1"));
        assert!(matches!(r.action, Action::Send { target: Target::User(u), .. } if u.as_str() == "bob"));
    }

    #[test]
    fn malformed_frames_are_bad_requests() {
        for text in ["not json", "[1,2]", "\"send\"", "{}", r#"{"action":5}"#, "", "{\"action\":\"send\""] {
            assert_eq!(err(text).code, ErrorCode::BadRequest, "{text}");
        }
    }

    #[test]
    fn an_unknown_action_is_reported_as_such_with_the_id() {
        let e = err(r#"{"action":"fly","id":"x"}"#);
        assert_eq!(e.code, ErrorCode::UnknownAction);
        assert_eq!(e.id.as_deref(), Some("x"));
    }

    #[test]
    fn a_body_over_16_kib_is_too_large_and_keeps_the_client_msg_id() {
        let body = "é".repeat(MAX_BODY_BYTES / 2 + 1);
        let frame = serde_json::json!({"action":"send","to":"bob","clientMsgId":"c9","body":body});
        let e = err(&frame.to_string());
        assert_eq!(e.code, ErrorCode::TooLarge);
        assert_eq!(e.client_msg_id.as_deref(), Some("c9"));
        let ok = serde_json::json!({"action":"send","to":"bob","clientMsgId":"c9","body":"a".repeat(MAX_BODY_BYTES)});
        assert!(parse_frame(&ok.to_string()).is_ok());
    }

    #[test]
    fn send_needs_exactly_one_target_and_a_body() {
        for text in [
            r#"{"action":"send","clientMsgId":"c","body":"x"}"#,
            r#"{"action":"send","to":"a","group":"g","clientMsgId":"c","body":"x"}"#,
            r#"{"action":"send","to":"a","clientMsgId":"c","body":""}"#,
            r#"{"action":"send","to":"a","clientMsgId":"","body":"x"}"#,
            r#"{"action":"send","to":"a","body":"x"}"#,
            r#"{"action":"send","to":"bad user","clientMsgId":"c","body":"x"}"#,
            r#"{"action":"send","to":"a","clientMsgId":"c","body":7}"#,
        ] {
            assert_eq!(err(text).code, ErrorCode::BadRequest, "{text}");
        }
    }

    #[test]
    fn limits_default_and_are_bounded() {
        let r = parse_frame(r#"{"action":"sync"}"#).expect("valid");
        assert_eq!(r.action, Action::Sync { after: 0, limit: 100 });
        let r = parse_frame(r#"{"action":"history","conversation":"dm:a:b"}"#).expect("valid");
        assert!(matches!(r.action, Action::History { limit: 50, before: None, .. }));
        assert_eq!(err(r#"{"action":"sync","limit":0}"#).code, ErrorCode::BadRequest);
        assert_eq!(err(r#"{"action":"sync","limit":101}"#).code, ErrorCode::BadRequest);
        assert_eq!(err(r#"{"action":"sync","after":-1}"#).code, ErrorCode::BadRequest);
        assert_eq!(err(r#"{"action":"history","conversation":"dm:b:a"}"#).code, ErrorCode::BadRequest);
    }

    #[test]
    fn an_overlong_frame_id_is_refused() {
        let frame = serde_json::json!({"action":"ping","id":"x".repeat(65)});
        assert_eq!(err(&frame.to_string()).code, ErrorCode::BadRequest);
    }

    #[test]
    fn lists_are_bounded_to_100_entries() {
        let ids: Vec<String> = (0..101).map(|_| MsgId::generate(1).to_string()).collect();
        let frame = serde_json::json!({"action":"receipt","msgIds":ids,"status":"read"});
        assert_eq!(err(&frame.to_string()).code, ErrorCode::TooLarge);
        assert_eq!(err(r#"{"action":"receipt","msgIds":[],"status":"read"}"#).code, ErrorCode::BadRequest);
        assert_eq!(err(r#"{"action":"presence","users":[]}"#).code, ErrorCode::BadRequest);
    }

    #[test]
    fn push_register_refuses_unknown_platforms_and_empty_tokens() {
        assert_eq!(err(r#"{"action":"push.register","platform":"sms","token":"t"}"#).code, ErrorCode::BadRequest);
        assert_eq!(err(r#"{"action":"push.register","platform":"fcm","token":""}"#).code, ErrorCode::BadRequest);
        assert!(parse_frame(r#"{"action":"push.register","platform":"apns_sandbox","token":"t"}"#).is_ok());
        let long =
            serde_json::json!({"action":"push.register","platform":"fcm","token":"x".repeat(MAX_PUSH_TOKEN + 1)});
        assert_eq!(err(&long.to_string()).code, ErrorCode::BadRequest, "over 1,024 bytes, before any SNS call");
        let longest = serde_json::json!({"action":"push.unregister","token":"x".repeat(MAX_PUSH_TOKEN)});
        assert!(parse_frame(&longest.to_string()).is_ok());
    }

    #[test]
    fn ping_and_whoami_are_parsed() {
        assert_eq!(parse_frame(r#"{"action":"ping","id":"p"}"#).map(|r| r.action), Ok(Action::Ping));
        assert_eq!(parse_frame(r#"{"action":"whoami"}"#).map(|r| r.action), Ok(Action::Whoami));
    }

    #[test]
    fn every_action_in_the_table_is_parsed_by_its_name() {
        // Every name reaches its own arm of the parser: none is answered `unknown_action`.
        for kind in ActionKind::ALL {
            let frame = serde_json::json!({"action": kind.name()}).to_string();
            match parse_frame(&frame) {
                Ok(r) => assert_eq!(r.action.kind(), *kind),
                Err(e) => assert_ne!(e.code, ErrorCode::UnknownAction, "{}", kind.name()),
            }
        }
    }
}
