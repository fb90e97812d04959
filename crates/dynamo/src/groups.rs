//! Groups on DynamoDB: the groups table is partitioned by group id (one `#meta` item, one
//! item per member), and the sparse GSI `byMember` answers "which groups is this user in".

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::{DeleteRequest, PutRequest, WriteRequest};
use chat_core::group::Group;
use chat_core::ids::{GroupId, UserId};
use chat_core::schema::groups as g;
use chat_core::store::{GroupStore, StoreError};

use crate::items::{Item, get_n, get_s, n, s};
use crate::store::DynamoStore;
use crate::unavailable;

fn build<T, E: std::error::Error + Send + Sync + 'static>(r: Result<T, E>) -> Result<T, StoreError> {
    r.map_err(|e| StoreError::Unavailable(Box::new(e)))
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("group item: {e}"))
}

/// Join order: microseconds since the epoch times 1000, plus the position in the batch
/// (added by the caller), so members added together keep the order they were given in.
fn join_order(position: usize) -> u64 {
    let micros = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64);
    micros.saturating_mul(1000).saturating_add(position as u64)
}

fn member_item(id: &GroupId, user: &UserId, joined: u64) -> Item {
    Item::from([
        (g::PK.to_owned(), s(id.as_str())),
        (g::SK.to_owned(), s(g::member_sk(user.as_str()))),
        (g::MEMBER.to_owned(), s(user.as_str())),
        (g::JOINED.to_owned(), n(joined)),
    ])
}

impl DynamoStore {
    /// Writes `requests` with `BatchWriteItem`, 25 at a time, re-sending unprocessed ones.
    pub(crate) async fn batch_write(&self, table: &str, requests: Vec<WriteRequest>) -> Result<(), StoreError> {
        for chunk in requests.chunks(25) {
            let mut pending = chunk.to_vec();
            for attempt in 0..8u32 {
                if pending.is_empty() {
                    break;
                }
                let out =
                    self.client.batch_write_item().request_items(table, pending).send().await.map_err(unavailable)?;
                pending = out.unprocessed_items().and_then(|u| u.get(table)).cloned().unwrap_or_default();
                if !pending.is_empty() {
                    tokio::time::sleep(std::time::Duration::from_millis(20 << attempt.min(5))).await;
                }
            }
            if !pending.is_empty() {
                return Err(StoreError::Contention);
            }
        }
        Ok(())
    }

    fn puts(id: &GroupId, users: &[UserId], first: u64) -> Result<Vec<WriteRequest>, StoreError> {
        users
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let put = build(PutRequest::builder().set_item(Some(member_item(id, u, first + i as u64))).build())?;
                Ok(WriteRequest::builder().put_request(put).build())
            })
            .collect()
    }
}

impl GroupStore for DynamoStore {
    async fn create_group(&self, group: &Group) -> Result<(), StoreError> {
        // Members first, metadata last: until the metadata exists the group does not.
        self.batch_write(&self.tables.groups, Self::puts(&group.id, &group.members, join_order(0))?).await?;
        let meta = Item::from([
            (g::PK.to_owned(), s(group.id.as_str())),
            (g::SK.to_owned(), s(g::META)),
            (g::NAME.to_owned(), s(group.name.as_str())),
            (g::CREATOR.to_owned(), s(group.creator.as_str())),
        ]);
        self.client
            .put_item()
            .table_name(&self.tables.groups)
            .set_item(Some(meta))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", g::PK)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn group(&self, id: &GroupId) -> Result<Option<Group>, StoreError> {
        let mut items: Vec<Item> = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.tables.groups)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", g::PK)
                .expression_attribute_values(":pk", s(id.as_str()))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            items.extend(out.items().iter().cloned());
            start = out.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        let Some(meta) = items.iter().find(|i| get_s(i, g::SK, "group").ok() == Some(g::META)) else {
            return Ok(None);
        };
        let name = get_s(meta, g::NAME, "group")?.to_owned();
        let creator = UserId::parse(get_s(meta, g::CREATOR, "group")?).map_err(corrupt)?;
        let mut members: Vec<(u64, UserId)> = items
            .iter()
            .filter(|i| i.contains_key(g::MEMBER))
            .map(|i| {
                Ok((
                    get_n(i, g::JOINED, "group member")?,
                    UserId::parse(get_s(i, g::MEMBER, "group member")?).map_err(corrupt)?,
                ))
            })
            .collect::<Result<_, StoreError>>()?;
        members.sort();
        Ok(Some(Group { id: id.clone(), name, creator, members: members.into_iter().map(|(_, u)| u).collect() }))
    }

    async fn update_members(&self, id: &GroupId, added: &[UserId], removed: &[UserId]) -> Result<(), StoreError> {
        let mut requests = Self::puts(id, added, join_order(0))?;
        for u in removed {
            let del = build(
                DeleteRequest::builder().key(g::PK, s(id.as_str())).key(g::SK, s(g::member_sk(u.as_str()))).build(),
            )?;
            requests.push(WriteRequest::builder().delete_request(del).build());
        }
        self.batch_write(&self.tables.groups, requests).await
    }

    async fn groups_of(&self, user: &UserId) -> Result<Vec<GroupId>, StoreError> {
        // A GSI read is eventually consistent: a group joined a moment ago may be missing.
        let out = self
            .client
            .query()
            .table_name(&self.tables.groups)
            .index_name(g::BY_MEMBER_INDEX)
            .key_condition_expression("#m = :m")
            .expression_attribute_names("#m", g::MEMBER)
            .expression_attribute_values(":m", s(user.as_str()))
            .send()
            .await
            .map_err(unavailable)?;
        out.items().iter().map(|i| GroupId::parse(get_s(i, g::PK, "group member")?).map_err(corrupt)).collect()
    }
}
