//! Blocks on DynamoDB, in the state table: `block#<owner>#<other>` (one item per block:
//! what a 1:1 send reads, both directions, in the `BatchGetItem` it already makes) and
//! `blocklist#<owner>` (the set of blocked users: `blocks`, and the cap of 1,000 as the
//! condition of the same transaction that writes the block).

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use chat_core::ids::UserId;
use chat_core::schema::state as st;
use chat_core::store::{BlockChange, BlockStore, MAX_BLOCKS, StoreError};

use crate::items::{Item, n, s};
use crate::store::DynamoStore;
use crate::txn::{build, failed_conditions, read_state};
use crate::unavailable;

/// The write that adds `user` to (`ADD`) or takes it from (`DELETE`) the list of who
/// blocks `other` (for deleting `other`'s account: blocks both ways).
fn reverse(table: &str, user: &UserId, other: &UserId, op: &str) -> Result<Update, StoreError> {
    build(
        Update::builder()
            .table_name(table)
            .key(st::PK, s(crate::erasure::blocked_by_key(other.as_str())))
            .update_expression(format!("{op} #users :one"))
            .expression_attribute_names("#users", st::USERS)
            .expression_attribute_values(":one", AttributeValue::Ss(vec![user.to_string()]))
            .build(),
    )
}

impl BlockStore for DynamoStore {
    async fn block(&self, user: &UserId, other: &UserId) -> Result<BlockChange, StoreError> {
        let table = &self.tables.state;
        let item = Item::from([(st::PK.to_owned(), s(st::block_key(user.as_str(), other.as_str())))]);
        let put = Put::builder()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", st::PK);
        let list = Update::builder()
            .table_name(table)
            .key(st::PK, s(st::block_list_key(user.as_str())))
            .update_expression("ADD #users :one")
            .condition_expression("attribute_not_exists(#users) OR size(#users) < :max")
            .expression_attribute_names("#users", st::USERS)
            .expression_attribute_values(":one", AttributeValue::Ss(vec![other.to_string()]))
            .expression_attribute_values(":max", n(MAX_BLOCKS as u64));
        let writes = vec![
            TransactWriteItem::builder().put(build(put.build())?).build(),
            TransactWriteItem::builder().update(build(list.build())?).build(),
            TransactWriteItem::builder().update(reverse(table, user, other, "ADD")?).build(),
        ];
        match self.client.transact_write_items().set_transact_items(Some(writes)).send().await {
            Ok(_) => Ok(BlockChange::Added),
            Err(e) => {
                let failed = failed_conditions(&e);
                if failed.contains(&0) {
                    Ok(BlockChange::Already)
                } else if failed.contains(&1) {
                    Ok(BlockChange::TooMany)
                } else {
                    Err(unavailable(e))
                }
            }
        }
    }

    async fn unblock(&self, user: &UserId, other: &UserId) -> Result<bool, StoreError> {
        let table = &self.tables.state;
        let delete = Delete::builder()
            .table_name(table)
            .key(st::PK, s(st::block_key(user.as_str(), other.as_str())))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", st::PK);
        let list = Update::builder()
            .table_name(table)
            .key(st::PK, s(st::block_list_key(user.as_str())))
            .update_expression("DELETE #users :one")
            .expression_attribute_names("#users", st::USERS)
            .expression_attribute_values(":one", AttributeValue::Ss(vec![other.to_string()]));
        let writes = vec![
            TransactWriteItem::builder().delete(build(delete.build())?).build(),
            TransactWriteItem::builder().update(build(list.build())?).build(),
            TransactWriteItem::builder().update(reverse(table, user, other, "DELETE")?).build(),
        ];
        match self.client.transact_write_items().set_transact_items(Some(writes)).send().await {
            Ok(_) => Ok(true),
            Err(e) if failed_conditions(&e).contains(&0) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn blocks(&self, user: &UserId) -> Result<Vec<UserId>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.state)
            .key(st::PK, s(st::block_list_key(user.as_str())))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let mut users: Vec<UserId> = out
            .item()
            .and_then(|i| i.get(st::USERS))
            .and_then(|v| v.as_ss().ok())
            .map(|ss| ss.iter().filter_map(|u| UserId::parse(u).ok()).collect())
            .unwrap_or_default();
        users.sort();
        Ok(users)
    }

    async fn blockers(&self, user: &UserId, among: &[UserId]) -> Result<Vec<UserId>, StoreError> {
        let mut found = Vec::new();
        for chunk in among.chunks(100) {
            let keys = chunk.iter().map(|by| st::block_key(by.as_str(), user.as_str())).collect();
            let state = read_state(self, keys).await?;
            found.extend(
                chunk.iter().filter(|by| state.contains_key(&st::block_key(by.as_str(), user.as_str()))).cloned(),
            );
        }
        Ok(found)
    }
}
