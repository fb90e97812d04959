//! Group administration: create, read, change members, rename, delete. Names and member
//! lists are validated by the protocol's `group.create` parser.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chat_core::clock::Clock;
use chat_core::group::{Group, GroupError};
use chat_core::ids::{GroupId, UserId};
use chat_core::poster::Poster;
use chat_core::protocol::{Action, MAX_GROUP_MEMBERS, parse_frame};
use chat_core::push::PushQueue;
use chat_core::store::Store;
use chat_lambda::Refusal;
use serde_json::{Map, Value, json};

use crate::{ApiError, ApiState, json_object, string, user_id};

/// The answer of every group endpoint.
fn reply(group: &Group) -> Json<Value> {
    Json(json!({
        "type": "group",
        "group": {"groupId": group.id, "name": group.name, "creator": group.creator, "members": group.members},
    }))
}

fn group_id(s: &str) -> Result<GroupId, ApiError> {
    GroupId::parse(s).map_err(|e| ApiError::bad(format!("groupId: {e}")))
}

fn not_found() -> ApiError {
    Refusal::from(GroupError::NotFound).into()
}

/// A `group.create` frame of these fields, parsed: (name, members, clientMsgId).
fn parse_group(
    fields: Map<String, Value>,
) -> Result<(String, Vec<UserId>, Option<chat_core::ids::ClientMsgId>), ApiError> {
    let mut fields = fields;
    fields.insert("action".into(), json!("group.create"));
    fields.remove("id");
    match parse_frame(&Value::Object(fields).to_string())?.action {
        Action::GroupCreate { name, members, client_msg_id } => Ok((name, members, client_msg_id)),
        _ => Err(ApiError::bad("not a group")),
    }
}

/// `POST /v1/groups` `{creator, name, members?, clientMsgId?}`.
pub(crate) async fn create<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    State(deps): State<ApiState<S, P, C, Q>>,
    body: Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mut fields = json_object(body).await?;
    let creator = user_id(&string(&fields, "creator")?, "creator")?;
    fields.remove("creator");
    if !fields.contains_key("members") {
        fields.insert("members".into(), json!([]));
    }
    let (name, members, key) = parse_group(fields)?;
    let group = chat_send::server::create_group(&deps, &creator, name, members, key).await?;
    Ok((StatusCode::CREATED, reply(&group)))
}

/// `GET /v1/groups/{id}`.
pub(crate) async fn read<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    State(deps): State<ApiState<S, P, C, Q>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let group = deps.store.group(&group_id(&id)?).await?.ok_or_else(not_found)?;
    Ok(reply(&group))
}

fn user_list(fields: &Map<String, Value>, field: &str) -> Result<Vec<UserId>, ApiError> {
    match fields.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) if items.len() <= MAX_GROUP_MEMBERS => items
            .iter()
            .map(|v| v.as_str().ok_or_else(|| ApiError::bad(format!("{field}: user ids are strings"))))
            .map(|s| user_id(s?, field))
            .collect(),
        Some(Value::Array(_)) => Err(ApiError::too_large(format!("{field}: at most {MAX_GROUP_MEMBERS} users"))),
        Some(_) => Err(ApiError::bad(format!("{field} must be a list of user ids"))),
    }
}

/// `POST /v1/groups/{id}/members` `{add?, remove?}`: one change, within the cap.
pub(crate) async fn members<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    State(deps): State<ApiState<S, P, C, Q>>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let gid = group_id(&id)?;
    let fields = json_object(body).await?;
    let (add, remove) = (user_list(&fields, "add")?, user_list(&fields, "remove")?);
    if add.is_empty() && remove.is_empty() {
        return Err(ApiError::bad("add or remove at least one user"));
    }
    if add.iter().chain(&remove).any(|u| u.as_str() == chat_core::message::SYSTEM_SENDER) {
        return Err(ApiError::bad("`system` cannot be a member"));
    }
    let group = chat_send::server::change_members(&deps, &gid, &add, &remove).await?;
    Ok(reply(&group))
}

/// `PATCH /v1/groups/{id}` `{name}`.
pub(crate) async fn rename<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    State(deps): State<ApiState<S, P, C, Q>>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let gid = group_id(&id)?;
    let fields = json_object(body).await?;
    let mut only_name = Map::new();
    only_name.insert("name".into(), json!(string(&fields, "name")?));
    only_name.insert("members".into(), json!([]));
    let (name, _, _) = parse_group(only_name)?;
    let group = chat_send::server::rename_group(&deps, &gid, name).await?;
    Ok(reply(&group))
}

/// `DELETE /v1/groups/{id}`.
pub(crate) async fn remove<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    State(deps): State<ApiState<S, P, C, Q>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let group = chat_send::server::delete_group(&deps, &group_id(&id)?).await?;
    Ok(Json(json!({"type": "deleted", "groupId": group.id})))
}
