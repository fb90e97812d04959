//! `POST /v1/messages` and `DELETE /v1/messages/{msgId}`.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use chat_core::clock::Clock;
use chat_core::ids::{Conversation, MsgId};
use chat_core::poster::Poster;
use chat_core::protocol::{Action, parse_frame};
use chat_core::push::PushQueue;
use chat_core::store::Store;
use serde_json::{Value, json};

use crate::{ApiError, ApiState, json_object, string, user_id};

/// Stores and delivers a message as `from`; answers the ack. The body is validated by the
/// protocol's own `send` parser (targets, ids, body size, attachments).
pub(crate) async fn send<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    State(deps): State<ApiState<S, P, C, Q>>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let mut fields = json_object(body).await?;
    let from = user_id(&string(&fields, "from")?, "from")?;
    fields.remove("from");
    fields.insert("action".into(), json!("send"));
    fields.remove("id");
    let frame = parse_frame(&Value::Object(fields).to_string())?;
    let Action::Send { target, client_msg_id, body, attachments, extras } = frame.action else {
        return Err(ApiError::bad("not a message"));
    };
    let cmid = client_msg_id.to_string();
    let ack = chat_send::server::send(&deps, &from, target, client_msg_id, body, attachments, extras).await?;
    Ok(Json(serde_json::to_value(chat_send::ack_frame(None, &cmid, &ack)).unwrap_or_default()))
}

#[derive(serde::Deserialize)]
pub(crate) struct ConversationQuery {
    conversation: Option<String>,
}

/// A moderator's delete of a message, in every holder's inbox.
pub(crate) async fn moderator_delete<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    State(deps): State<ApiState<S, P, C, Q>>,
    Path(msg_id): Path<String>,
    Query(q): Query<ConversationQuery>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let msg_id = MsgId::parse(&msg_id).map_err(|e| ApiError::bad(format!("msgId: {e}")))?;
    let conversation = match q.conversation {
        Some(c) => c,
        None => string(&json_object(body).await?, "conversation")?,
    };
    let conversation = Conversation::parse(&conversation).map_err(|e| ApiError::bad(format!("conversation: {e}")))?;
    chat_send::server::moderator_delete(&deps, &conversation, msg_id.clone()).await?;
    Ok(Json(json!({"type": "deleted", "msgId": msg_id, "conversation": conversation})))
}
