//! `chat-server-api`: the server API (docs/server-api.md), one axum [`Router`] served in
//! two hosts: the `admin` Lambda behind an `AWS_IAM` function URL (`lambda_http`), and
//! the devserver, which merges it into its own router as it is.
//!
//! Layout:
//! - [`ENDPOINTS`] and [`router`] (here): the one list of paths, and the router built on
//!   it; errors as `{"code","message"}` with the protocol's codes.
//! - `messages`: `POST /v1/messages` (a `send` with a trusted `from`), moderator deletes.
//! - `groups`: create, read, change members, rename, delete.
//! - `users`: a user's state, bans.
//! - `accounts`: account deletion (a background job) and its tombstone.
//! - `exports`: account export (a background job) and its link.
//! - `reports`: the moderation queue and resolving its cases.
//!
//! Every handler calls the same domain operations as the WebSocket actions
//! (`chat_send::server`), never a copy of them.

mod accounts;
mod error;
mod exports;
mod groups;
mod messages;
mod reports;
mod users;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::routing::{delete, get, post, put};
use chat_core::clock::Clock;
use chat_core::poster::Poster;
use chat_core::push::PushQueue;
use chat_core::store::Store;
use serde_json::{Map, Value};

pub use error::ApiError;

/// What the handlers share: the send function's dependencies.
pub type ApiState<S, P, C, Q> = Arc<chat_send::Deps<S, P, C, Q>>;

/// The largest request body, in bytes (413 past it).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Every endpoint: method and path, as the router serves them and the docs list them.
pub const ENDPOINTS: &[(&str, &str)] = &[
    ("POST", "/v1/messages"),
    ("DELETE", "/v1/messages/{msg_id}"),
    ("POST", "/v1/groups"),
    ("GET", "/v1/groups/{group_id}"),
    ("PATCH", "/v1/groups/{group_id}"),
    ("DELETE", "/v1/groups/{group_id}"),
    ("POST", "/v1/groups/{group_id}/members"),
    ("GET", "/v1/users/{user_id}"),
    ("DELETE", "/v1/users/{user_id}"),
    ("GET", "/v1/users/{user_id}/deletion"),
    ("DELETE", "/v1/users/{user_id}/tombstone"),
    ("POST", "/v1/users/{user_id}/export"),
    ("GET", "/v1/users/{user_id}/export"),
    ("PUT", "/v1/users/{user_id}/ban"),
    ("DELETE", "/v1/users/{user_id}/ban"),
    ("GET", "/v1/reports"),
    ("POST", "/v1/reports/{report_id}/resolve"),
];

/// The server API's router, for `state`. Unknown paths under `/v1` answer `not_found`,
/// known paths with another method `bad_request` (405).
pub fn router<S, P, C, Q>(state: ApiState<S, P, C, Q>) -> Router
where
    S: Store + 'static,
    P: Poster + 'static,
    C: Clock + 'static,
    Q: PushQueue + 'static,
{
    let method_not_allowed = || async { ApiError::method_not_allowed() };
    Router::new()
        .route("/v1/messages", post(messages::send::<S, P, C, Q>).fallback(method_not_allowed))
        .route("/v1/messages/{msg_id}", delete(messages::moderator_delete::<S, P, C, Q>).fallback(method_not_allowed))
        .route("/v1/groups", post(groups::create::<S, P, C, Q>).fallback(method_not_allowed))
        .route(
            "/v1/groups/{group_id}",
            get(groups::read::<S, P, C, Q>)
                .patch(groups::rename::<S, P, C, Q>)
                .delete(groups::remove::<S, P, C, Q>)
                .fallback(method_not_allowed),
        )
        .route("/v1/groups/{group_id}/members", post(groups::members::<S, P, C, Q>).fallback(method_not_allowed))
        .route(
            "/v1/users/{user_id}",
            get(users::read::<S, P, C, Q>).delete(accounts::delete::<S, P, C, Q>).fallback(method_not_allowed),
        )
        .route("/v1/users/{user_id}/deletion", get(accounts::deletion::<S, P, C, Q>).fallback(method_not_allowed))
        .route(
            "/v1/users/{user_id}/export",
            post(exports::start::<S, P, C, Q>).get(exports::read::<S, P, C, Q>).fallback(method_not_allowed),
        )
        .route(
            "/v1/users/{user_id}/tombstone",
            delete(accounts::lift_tombstone::<S, P, C, Q>).fallback(method_not_allowed),
        )
        .route(
            "/v1/users/{user_id}/ban",
            put(users::ban::<S, P, C, Q>).delete(users::unban::<S, P, C, Q>).fallback(method_not_allowed),
        )
        .route("/v1/reports", get(reports::list::<S, P, C, Q>).fallback(method_not_allowed))
        .route("/v1/reports/{report_id}/resolve", post(reports::resolve::<S, P, C, Q>).fallback(method_not_allowed))
        .route("/v1/{*rest}", axum::routing::any(|| async { ApiError::unknown_path() }))
        .with_state(state)
}

/// Reads a request body of at most [`MAX_BODY_BYTES`] as a JSON object (an empty body is
/// an empty object).
pub(crate) async fn json_object(body: Body) -> Result<Map<String, Value>, ApiError> {
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::too_large(format!("the body is over {MAX_BODY_BYTES} bytes")))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err(ApiError::bad("the body must be a JSON object")),
        Err(e) => Err(ApiError::bad(format!("the body is not valid JSON: {e}"))),
    }
}

/// A required string field of a body.
pub(crate) fn string(body: &Map<String, Value>, field: &str) -> Result<String, ApiError> {
    match body.get(field) {
        Some(Value::String(s)) => Ok(s.clone()),
        None | Some(Value::Null) => Err(ApiError::bad(format!("{field} is required"))),
        Some(_) => Err(ApiError::bad(format!("{field} must be a string"))),
    }
}

/// A user id field.
pub(crate) fn user_id(s: &str, field: &str) -> Result<chat_core::ids::UserId, ApiError> {
    chat_core::ids::UserId::parse(s).map_err(|e| ApiError::bad(format!("{field}: {e}")))
}

#[cfg(test)]
mod tests;
