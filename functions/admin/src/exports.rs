//! Account export through the server API: `POST /v1/users/{id}/export` starts it (answered
//! at once with the job; it runs in the background, see `chat_send::export`), and
//! `GET /v1/users/{id}/export` shows the latest one, with a fresh link to its file while
//! that lives. Users are not registered anywhere: a user id with nothing stored gets a
//! file with only its header and end lines.

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

/// `POST /v1/users/{id}/export` `{}`: 202 with the job (the running one if any). Not rate
/// limited: the app's backend is trusted.
pub(crate) async fn start<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    State(deps): State<ApiState<S, P, C, Q>>,
    Path(id): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user = user(&id)?;
    let fields = json_object(body).await?;
    if let Some(field) = fields.keys().next() {
        return Err(ApiError::bad(format!("unknown field {field}; the body is {{}}")));
    }
    if deps.media.is_none() {
        return Err(chat_send::export::no_media().into());
    }
    let job = chat_send::export::start_export(&deps, &user).await?;
    tracing::info!(%user, job = %job.job_id, "account export requested by the server API");
    Ok((StatusCode::ACCEPTED, Json(json!({"type": "exporting", "jobId": job.job_id, "job": job}))))
}

/// `GET /v1/users/{id}/export`: the latest export job (404: none) and, while its file's
/// link lives, `url`: a new presigned GET that works until the job's `expiresAt`.
pub(crate) async fn read<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    State(deps): State<ApiState<S, P, C, Q>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = user(&id)?;
    let job = deps
        .store
        .export_job(&user)
        .await?
        .ok_or_else(|| ApiError::new(chat_core::protocol::ErrorCode::NotFound, "no export of this user"))?;
    let url = chat_send::export::link(&deps, &job).await?;
    Ok(Json(json!({"job": job, "url": url})))
}
