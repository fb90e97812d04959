//! The moderation queue: `GET /v1/reports?status=open&limit&cursor` (oldest first, with
//! the copy of the message and how many distinct users reported it) and
//! `POST /v1/reports/{id}/resolve` `{action: dismiss | delete_message | ban_user, until?}`,
//! which does the moderator's delete or the ban and records who resolved it and when.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use chat_core::clock::Clock;
use chat_core::ids::UserId;
use chat_core::poster::Poster;
use chat_core::protocol::ErrorCode;
use chat_core::push::PushQueue;
use chat_core::store::Store;
use chat_core::store::reports::{Action, Resolution, Resolved, Status};
use serde_json::{Value, json};

use crate::{ApiError, ApiState, json_object, string};

#[derive(serde::Deserialize)]
pub(crate) struct ListQuery {
    status: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// `GET /v1/reports`.
pub(crate) async fn list<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    State(deps): State<ApiState<S, P, C, Q>>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let status = match q.status.as_deref() {
        None | Some("open") => Status::Open,
        Some("resolved") => Status::Resolved,
        Some(_) => return Err(ApiError::bad("status must be open or resolved")),
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::bad("limit must be 1 to 100"));
    }
    let page = deps.store.cases(status, limit, q.cursor.as_deref()).await?;
    Ok(Json(json!({"reports": page.cases, "next": page.next})))
}

/// `POST /v1/reports/{id}/resolve`.
pub(crate) async fn resolve<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    State(deps): State<ApiState<S, P, C, Q>>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let fields = json_object(body).await?;
    let action = match string(&fields, "action")?.as_str() {
        "dismiss" => Action::Dismiss,
        "delete_message" => Action::DeleteMessage,
        "ban_user" => Action::BanUser,
        _ => return Err(ApiError::bad("action must be dismiss, delete_message or ban_user")),
    };
    let case = deps.store.case(&id).await?.ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such report"))?;
    if case.status == Status::Resolved {
        return Ok(Json(json!({"report": case})));
    }
    match action {
        Action::Dismiss => {}
        Action::DeleteMessage if case.copy.from == chat_core::message::SYSTEM_SENDER => {
            // It has no sender's copy to change: a moderator's delete cannot reach it.
            return Err(ApiError::bad("a message from system cannot be deleted; dismiss the report instead"));
        }
        Action::DeleteMessage => {
            match chat_send::server::moderator_delete(&deps, &case.copy.conversation, case.copy.msg_id.clone()).await {
                // Deleted already (by its sender, or an earlier attempt): the aim is met.
                Ok(()) | Err(chat_lambda::Refusal::Client { code: ErrorCode::NotFound, .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Action::BanUser => {
            let sender = UserId::parse(&case.copy.from).map_err(|_| ApiError::bad("the sender is not a user"))?;
            if sender.as_str() == chat_core::message::SYSTEM_SENDER {
                return Err(ApiError::bad("the sender is not a user"));
            }
            let until = fields.get("until").and_then(Value::as_u64);
            crate::users::impose_ban(&deps, &sender, until, Some(format!("report {id}"))).await?;
        }
    }
    let resolution = Resolution { action, by: "moderator".into(), at: deps.clock.now_ms() };
    match deps.store.resolve(&id, &resolution).await? {
        Resolved::Done(case) | Resolved::Already(case) => Ok(Json(json!({"report": *case}))),
        Resolved::NotFound => Err(ApiError::new(ErrorCode::NotFound, "no such report")),
    }
}
