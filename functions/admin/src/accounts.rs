//! Account deletion through the server API: `DELETE /v1/users/{id}` `{erase?}` starts it
//! (answered at once with the job; the job runs in the background, see
//! `chat_send::account`), `GET /v1/users/{id}/deletion` shows it, and
//! `DELETE /v1/users/{id}/tombstone` lets the user id connect again afterwards.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chat_core::clock::Clock;
use chat_core::poster::Poster;
use chat_core::push::PushQueue;
use chat_core::store::Store;
use serde_json::{Value, json};

use crate::users::user;
use crate::{ApiError, ApiState, json_object};

/// `DELETE /v1/users/{id}` `{erase?: bool}`: 202 with the job (the running one if any).
pub(crate) async fn delete<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    State(deps): State<ApiState<S, P, C, Q>>,
    Path(id): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user = user(&id)?;
    let fields = json_object(body).await?;
    let erase = match fields.get("erase") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ApiError::bad("erase must be true or false")),
    };
    let job = chat_send::account::start_deletion(&deps, &user, erase).await?;
    tracing::info!(%user, job = %job.job_id, erase, "account deletion requested by the server API");
    Ok((StatusCode::ACCEPTED, Json(json!({"type": "deleting", "jobId": job.job_id, "job": job}))))
}

/// `GET /v1/users/{id}/deletion`: the user's latest deletion job (404: none).
pub(crate) async fn deletion<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    State(deps): State<ApiState<S, P, C, Q>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = user(&id)?;
    let job = deps
        .store
        .deletion(&user)
        .await?
        .ok_or_else(|| ApiError::new(chat_core::protocol::ErrorCode::NotFound, "no deletion of this user"))?;
    Ok(Json(json!({"job": job})))
}

/// `DELETE /v1/users/{id}/tombstone`: the user id may connect again (as a new, empty
/// account). 404 when there is no tombstone (a ban is lifted with `DELETE …/ban`).
pub(crate) async fn lift_tombstone<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    State(deps): State<ApiState<S, P, C, Q>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = user(&id)?;
    if !chat_send::account::lift_tombstone(&deps, &user).await? {
        return Err(ApiError::new(chat_core::protocol::ErrorCode::NotFound, "this user has no tombstone"));
    }
    Ok(Json(json!({"user": user, "tombstone": null})))
}
