//! What only the server API does to groups: rename and delete. Both write the metadata
//! item (rename: `lastChange = rename`; delete: the item goes first, so the group stops
//! existing at once), which the groups table's stream turns into one event each.

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};
use chat_core::group::Group;
use chat_core::ids::{GroupId, UserId};
use chat_core::schema::groups as g;
use chat_core::store::{GroupStore, StoreError};

use crate::items::{n, s};
use crate::store::DynamoStore;
use crate::txn::build;
use crate::unavailable;

/// A list of user ids as an attribute (L of S: an empty list is allowed, a set is not).
pub(crate) fn users_value(users: &[UserId]) -> AttributeValue {
    AttributeValue::L(users.iter().map(|u| s(u.as_str())).collect())
}

pub(crate) async fn rename(store: &DynamoStore, id: &GroupId, name: &str) -> Result<Option<Group>, StoreError> {
    let result = store
        .client
        .update_item()
        .table_name(&store.tables.groups)
        .key(g::PK, s(id.as_str()))
        .key(g::SK, s(g::META))
        .update_expression("SET #name = :name, #lc = :lc ADD #version :one")
        .condition_expression("attribute_exists(#pk)")
        .expression_attribute_names("#pk", g::PK)
        .expression_attribute_names("#name", g::NAME)
        .expression_attribute_names("#lc", g::LAST_CHANGE)
        .expression_attribute_names("#version", g::VERSION)
        .expression_attribute_values(":name", s(name))
        .expression_attribute_values(":lc", s(g::CHANGE_RENAME))
        .expression_attribute_values(":one", n(1))
        .send()
        .await;
    match result {
        Ok(_) => store.group(id).await,
        Err(e) if matches!(e.as_service_error(), Some(UpdateItemError::ConditionalCheckFailedException(_))) => Ok(None),
        Err(e) => Err(unavailable(e)),
    }
}

pub(crate) async fn delete(store: &DynamoStore, id: &GroupId) -> Result<Option<Group>, StoreError> {
    let Some(group) = store.group(id).await? else { return Ok(None) };
    let out = store
        .client
        .delete_item()
        .table_name(&store.tables.groups)
        .key(g::PK, s(id.as_str()))
        .key(g::SK, s(g::META))
        .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
        .send()
        .await
        .map_err(unavailable)?;
    if out.attributes().is_none_or(|a| a.is_empty()) {
        // Deleted by someone else in between.
        return Ok(None);
    }
    let requests = group
        .members
        .iter()
        .map(|u| {
            let delete =
                DeleteRequest::builder().key(g::PK, s(id.as_str())).key(g::SK, s(g::member_sk(u.as_str()))).build();
            Ok(WriteRequest::builder().delete_request(build(delete)?).build())
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    store.batch_write(&store.tables.groups, requests).await?;
    Ok(Some(group))
}
