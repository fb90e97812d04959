//! The wire protocol (docs/protocol.md): the table of actions and the functions serving
//! them (`actions`), client frames parsed into validated requests (`request`), and the
//! frames the server sends (`frames`). All pure: no I/O.

mod actions;
mod frames;
mod request;
mod rich;
#[cfg(feature = "schema")]
pub mod schema;

pub use crate::message::ReceiptStatus;
pub use actions::{ActionKind, Function, route_key, route_of, routes};
pub use frames::{EntryView, GroupView, MAX_REPLY_BYTES, MessageView, PresenceView, ServerFrame, UpdateView, fit_page};
pub use request::{
    Action, FrameError, MAX_BODY_BYTES, MAX_GROUP_MEMBERS, MAX_LIST, MAX_PUSH_TOKEN, Platform, Request, Target,
    parse_frame,
};
pub use rich::SendExtras;

/// The error codes of `error` frames; the set is fixed by the protocol.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame is malformed or a field is invalid.
    BadRequest,
    /// The frame's `action` is not one the server knows.
    UnknownAction,
    /// The caller is not authenticated.
    Unauthorized,
    /// The caller may not do this (e.g. not a member of the group).
    Forbidden,
    /// The target does not exist (or the caller may not know it does).
    NotFound,
    /// A field or the frame is larger than allowed.
    TooLarge,
    /// The caller sends faster than allowed.
    RateLimited,
    /// The request reuses an idempotency key (`clientMsgId`) for something else.
    Conflict,
    /// The server failed; the request may be retried.
    Internal,
    /// The app's pre-send hook refused the message (the message says why); nothing was
    /// stored.
    Rejected,
    /// A service the request needs (the pre-send hook, with `closed` failure handling)
    /// did not answer; nothing was stored. The request may be retried.
    Unavailable,
}

impl ErrorCode {
    /// The HTTP status of this code in the server API (docs/server-api.md).
    pub const fn http_status(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound | Self::UnknownAction => 404,
            Self::Conflict => 409,
            Self::TooLarge => 413,
            Self::Rejected => 422,
            Self::RateLimited => 429,
            Self::Internal => 500,
            Self::Unavailable => 503,
        }
    }
}
