//! Groups on DynamoDB: the groups table is partitioned by group id (one `#meta` item, one
//! item per member), and the sparse GSI `byMember` answers "which groups is this user in".

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, PutRequest, TransactWriteItem, Update, WriteRequest};
use chat_core::group::Group;
use chat_core::ids::ClientMsgId;
use chat_core::ids::{GroupId, UserId};
use chat_core::protocol::MAX_GROUP_MEMBERS;
use chat_core::schema::groups as g;
use chat_core::schema::state as st;
use chat_core::store::{GroupCreated, GroupStore, MembersChange, StoreError};

use crate::items::{Item, get_n, get_s, n, s};
use crate::store::DynamoStore;
use crate::txn::{claim_for_a_day, read_state};
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

/// The member items of `users` joining now, in the order given.
fn member_items<'a>(id: &'a GroupId, users: &'a [UserId]) -> impl Iterator<Item = Item> + 'a {
    let first = join_order(0);
    users.iter().enumerate().map(move |(i, u)| member_item(id, u, first + i as u64))
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

    fn puts(id: &GroupId, users: &[UserId]) -> Result<Vec<WriteRequest>, StoreError> {
        member_items(id, users)
            .map(|item| {
                let put = build(PutRequest::builder().set_item(Some(item)).build())?;
                Ok(WriteRequest::builder().put_request(put).build())
            })
            .collect()
    }
}

impl DynamoStore {
    /// The group and its metadata item's version (0: written before versions).
    pub(crate) async fn group_versioned(&self, id: &GroupId) -> Result<Option<(Group, u64)>, StoreError> {
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
        let version = meta.get(g::VERSION).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok()).unwrap_or(0);
        Ok(Some((
            Group { id: id.clone(), name, creator, members: members.into_iter().map(|(_, u)| u).collect() },
            version,
        )))
    }
}

impl GroupStore for DynamoStore {
    async fn create_group(&self, group: &Group) -> Result<(), StoreError> {
        // Members first, metadata last: until the metadata exists the group does not.
        self.batch_write(&self.tables.groups, Self::puts(&group.id, &group.members)?).await?;
        let meta = Item::from([
            (g::PK.to_owned(), s(group.id.as_str())),
            (g::SK.to_owned(), s(g::META)),
            (g::NAME.to_owned(), s(group.name.as_str())),
            (g::CREATOR.to_owned(), s(group.creator.as_str())),
            (g::COUNT.to_owned(), n(group.members.len() as u64)),
            (g::MEMBERS.to_owned(), crate::group_admin::users_value(&group.members)),
            (g::VERSION.to_owned(), n(1)),
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

    /// Claims the key first (a conditional put of the group id it will create), then
    /// creates the group. A repeat finds the claim: the same group (created now if the first
    /// attempt died between claim and creation), or a conflict for another digest.
    async fn create_group_once(
        &self,
        group: &Group,
        key: &ClientMsgId,
        digest: &str,
        now_ms: u64,
    ) -> Result<GroupCreated, StoreError> {
        let claim_key = st::group_claim_key(group.creator.as_str(), key.as_str());
        let claim = Item::from([
            (st::PK.to_owned(), s(claim_key.as_str())),
            (st::GROUP_ID.to_owned(), s(group.id.as_str())),
            (st::DIGEST.to_owned(), s(digest)),
        ]);
        if claim_for_a_day(self, claim, now_ms).await? {
            return match self.create_group(group).await {
                Ok(()) => Ok(GroupCreated::New),
                // A concurrent repeat saw the claim first and created it.
                Err(_) if self.group(&group.id).await?.is_some() => Ok(GroupCreated::Existing(group.id.clone())),
                Err(e) => Err(e),
            };
        }
        let state = read_state(self, vec![claim_key]).await?;
        let Some(existing) = state.values().next() else { return Err(StoreError::Contention) };
        if get_s(existing, st::DIGEST, "group claim")? != digest {
            return Ok(GroupCreated::Conflict);
        }
        let id = GroupId::parse(get_s(existing, st::GROUP_ID, "group claim")?).map_err(corrupt)?;
        if self.group(&id).await?.is_some() {
            return Ok(GroupCreated::Existing(id));
        }
        // The first attempt claimed and died before creating: create its group now.
        let group = Group { id, ..group.clone() };
        match self.create_group(&group).await {
            Ok(()) => Ok(GroupCreated::New),
            Err(_) if self.group(&group.id).await?.is_some() => Ok(GroupCreated::Existing(group.id)),
            Err(e) => Err(e),
        }
    }

    async fn group(&self, id: &GroupId) -> Result<Option<Group>, StoreError> {
        Ok(self.group_versioned(id).await?.map(|(g, _)| g))
    }

    /// One transaction: the metadata item's member count, moved by the net change on the
    /// condition that the result stays within the cap, and each member put (only if absent)
    /// or deleted (only if present). Any failed condition cancels it all. A group created
    /// before counts were kept gets its count from the members read now.
    async fn update_members(
        &self,
        id: &GroupId,
        added: &[UserId],
        removed: &[UserId],
    ) -> Result<MembersChange, StoreError> {
        let Some((current, version)) = self.group_versioned(id).await? else { return Ok(MembersChange::Stale) };
        let after = current.with_changes(added, removed);
        let delta = added.len() as i64 - removed.len() as i64;
        let highest_before = MAX_GROUP_MEMBERS as i64 - delta;
        if current.members.len() as i64 > highest_before {
            return Ok(MembersChange::TooLarge);
        }
        let meta = Update::builder()
            .table_name(&self.tables.groups)
            .key(g::PK, s(id.as_str()))
            .key(g::SK, s(g::META))
            // The change rides on the metadata item, so its stream record is the one event.
            .update_expression(
                "SET #count = if_not_exists(#count, :read) + :delta, #lc = :lc, #added = :added, #removed = :removed, \
                 #members = :members ADD #version :one",
            )
            // The version read: the member list written is the one this change makes.
            .condition_expression(
                "attribute_exists(#pk) AND (attribute_not_exists(#count) OR #count <= :highest) \
                 AND (attribute_not_exists(#version) OR #version = :version)",
            )
            .expression_attribute_names("#members", g::MEMBERS)
            .expression_attribute_values(":members", crate::group_admin::users_value(&after.members))
            .expression_attribute_values(":version", n(version))
            .expression_attribute_names("#lc", g::LAST_CHANGE)
            .expression_attribute_names("#added", g::ADDED)
            .expression_attribute_names("#removed", g::REMOVED)
            .expression_attribute_names("#version", g::VERSION)
            .expression_attribute_values(":lc", s(g::CHANGE_MEMBERS))
            .expression_attribute_values(":added", crate::group_admin::users_value(added))
            .expression_attribute_values(":removed", crate::group_admin::users_value(removed))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_names("#count", g::COUNT)
            .expression_attribute_names("#pk", g::PK)
            .expression_attribute_values(":read", n(current.members.len() as u64))
            .expression_attribute_values(":delta", AttributeValue::N(delta.to_string()))
            .expression_attribute_values(":highest", n(highest_before as u64));
        let mut writes = vec![TransactWriteItem::builder().update(build(meta.build())?).build()];
        for item in member_items(id, added) {
            let put = Put::builder()
                .table_name(&self.tables.groups)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(#sk)")
                .expression_attribute_names("#sk", g::SK);
            writes.push(TransactWriteItem::builder().put(build(put.build())?).build());
        }
        for u in removed {
            let delete = Delete::builder()
                .table_name(&self.tables.groups)
                .key(g::PK, s(id.as_str()))
                .key(g::SK, s(g::member_sk(u.as_str())))
                .condition_expression("attribute_exists(#sk)")
                .expression_attribute_names("#sk", g::SK);
            writes.push(TransactWriteItem::builder().delete(build(delete.build())?).build());
        }
        match self.client.transact_write_items().set_transact_items(Some(writes)).send().await {
            Ok(_) => Ok(MembersChange::Done),
            Err(e) => match e.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(t)) => {
                    let failed =
                        |r: &aws_sdk_dynamodb::types::CancellationReason| r.code() == Some("ConditionalCheckFailed");
                    let reasons = t.cancellation_reasons();
                    let members_changed = reasons.iter().skip(1).any(failed);
                    if reasons.first().is_some_and(failed) && !members_changed {
                        // The count or the version: a changed version means another change
                        // came first (re-plan), an unchanged one that the cap would break.
                        let now = self.group_versioned(id).await?.map(|(_, v)| v);
                        Ok(if now == Some(version) { MembersChange::TooLarge } else { MembersChange::Stale })
                    } else {
                        // A member changed under us, or a concurrent transaction: re-plan.
                        Ok(MembersChange::Stale)
                    }
                }
                _ => Err(unavailable(e)),
            },
        }
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

    async fn rename_group(&self, id: &GroupId, name: &str) -> Result<Option<Group>, StoreError> {
        crate::group_admin::rename(self, id, name).await
    }

    async fn delete_group(&self, id: &GroupId) -> Result<Option<Group>, StoreError> {
        crate::group_admin::delete(self, id).await
    }
}
