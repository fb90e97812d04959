//! A user's state (`GET /v1/users/{id}`) and bans (`PUT`/`DELETE /v1/users/{id}/ban`).
//!
//! A ban is written first, then the user's live connections are closed: a frame still in
//! flight on one of them finds the ban (the append reads it with the idempotency record,
//! group actions read it before they change anything) and stores nothing, and a new
//! handshake is refused by the authorizer.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use chat_core::clock::Clock;
use chat_core::ids::UserId;
use chat_core::poster::Poster;
use chat_core::push::PushQueue;
use chat_core::store::{Ban, Store};
use serde_json::{Value, json};

use crate::{ApiError, ApiState, json_object, user_id};

/// Longest ban reason, in characters.
const MAX_REASON_CHARS: usize = 1000;

pub(crate) fn user(s: &str) -> Result<UserId, ApiError> {
    let user = user_id(s, "userId")?;
    if user.as_str() == chat_core::message::SYSTEM_SENDER {
        return Err(ApiError::bad("`system` is not a user"));
    }
    Ok(user)
}

/// `GET /v1/users/{id}`: online state, live connections, groups, ban.
pub(crate) async fn read<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    State(deps): State<ApiState<S, P, C, Q>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = user(&id)?;
    let now = deps.clock.now_ms();
    let (connections, presence, groups, ban) = tokio::try_join!(
        deps.store.connections(&user, now / 1000),
        deps.store.presence(std::slice::from_ref(&user)),
        deps.store.groups_of(&user),
        deps.store.ban(&user, now),
    )?;
    let last_seen = presence.into_iter().next().flatten().and_then(|p| p.last_seen);
    Ok(Json(json!({
        "user": user,
        "online": !connections.is_empty(),
        "connections": connections.len(),
        "lastSeen": last_seen,
        "groups": groups,
        "banned": ban,
    })))
}

/// `PUT /v1/users/{id}/ban` `{until?, reason?}`: bans, then closes every live connection.
pub(crate) async fn ban<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    State(deps): State<ApiState<S, P, C, Q>>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let user = user(&id)?;
    let fields = json_object(body).await?;
    let now = deps.clock.now_ms();
    let until = match fields.get("until") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(ms) if ms > now => Some(ms),
            Some(_) => return Err(ApiError::bad("until is in the past")),
            None => return Err(ApiError::bad("until must be a time in ms since the epoch")),
        },
    };
    let reason = match fields.get("reason") {
        None | Some(Value::Null) => None,
        Some(Value::String(r)) if r.chars().count() <= MAX_REASON_CHARS => Some(r.clone()),
        Some(Value::String(_)) => return Err(ApiError::too_large("reason is longer than 1,000 characters")),
        Some(_) => return Err(ApiError::bad("reason must be a string")),
    };
    let (ban, closed) = impose_ban(&deps, &user, until, reason).await?;
    tracing::info!(%user, closed, "user banned");
    Ok(Json(json!({"user": user, "banned": ban, "closed": closed})))
}

/// Bans `user` (written first), then closes and forgets its live connections; returns
/// the ban and how many connections were closed.
pub(crate) async fn impose_ban<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &ApiState<S, P, C, Q>,
    user: &UserId,
    until: Option<u64>,
    reason: Option<String>,
) -> Result<(Ban, usize), ApiError> {
    let now = deps.clock.now_ms();
    let ban = Ban { at: now, until, reason, deleted: false };
    deps.store.put_ban(user, &ban).await?;
    let connections = deps.store.connections(user, now / 1000).await?;
    let mut closed = 0;
    for c in &connections {
        match deps.poster.close(&c.connection_id).await {
            Ok(()) => closed += 1,
            Err(e) => {
                tracing::warn!(%user, error = %chat_core::cause_chain(&e), "closing a banned user's connection failed")
            }
        }
        // The record goes too, so nothing is delivered there meanwhile.
        if let Err(e) = deps.store.delete_connection(user, &c.connection_id).await {
            tracing::warn!(%user, error = %chat_core::cause_chain(&e), "forgetting a banned user's connection failed");
        }
    }
    Ok((ban, closed))
}

/// `DELETE /v1/users/{id}/ban`: lifts it; the user may connect again.
pub(crate) async fn unban<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    State(deps): State<ApiState<S, P, C, Q>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = user(&id)?;
    deps.store.lift_ban(&user).await?;
    Ok(Json(json!({"user": user, "banned": null})))
}
