//! The wire protocol (docs/protocol.md): client frames parsed into validated requests
//! (`request`), and the frames the server sends (`frames`). Both are pure: no I/O.

mod frames;
mod request;

pub use frames::{GroupView, MAX_REPLY_BYTES, MessageView, PresenceView, ServerFrame, fit_page};
pub use request::{
    Action, FrameError, MAX_BODY_BYTES, MAX_GROUP_MEMBERS, MAX_LIST, Platform, ReceiptStatus, Request, Target,
    parse_frame,
};

/// The routes of the WebSocket API besides `$connect`, `$disconnect` and `$default` (which
/// the send function serves): one per action, with the function that serves it. The
/// devserver routes by it and the CDK stack creates it (through `infra/cdk/lib/schema.json`).
pub const ROUTES: &[(&str, &str)] = &[
    ("send", "send"),
    ("sync", "send"),
    ("history", "send"),
    ("receipt", "send"),
    ("typing", "send"),
    ("group.create", "send"),
    ("group.add", "send"),
    ("group.remove", "send"),
    ("group.leave", "send"),
    ("ping", "send"),
    ("presence", "presence"),
    ("push.register", "push"),
    ("push.unregister", "push"),
];

/// The error codes of `error` frames; the set is fixed by the protocol.
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
    /// The server failed; the request may be retried.
    Internal,
}
