//! Account deletion on DynamoDB: the job item (`acct#<user>#deletion` in the state table,
//! whose stream records carry progress, and the last one the `account.deleted` event),
//! and the bulk removals: a partition's items are read keys-only, page by page, and
//! deleted with `BatchWriteItem` (25 a request); items keyed outside the user's
//! partitions are found from what the user's own items name (the inbox's entries, the
//! reverse lists `blockedby#` and `reported#`).

use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};
use chat_core::ids::{GroupId, UserId};
use chat_core::media::UploadId;
use chat_core::message::InboxEntry;
use chat_core::ratelimit::{Budget, Route};
use chat_core::schema::{groups as g, state as st};
use chat_core::store::{DeletionJob, ErasureStore, StoreError};

use crate::items::{Item, s};
use crate::store::DynamoStore;
use crate::txn::build;
use crate::unavailable;

/// Key of `user`'s deletion job.
pub fn deletion_key(user: &str) -> String {
    crate::account_jobs::job_key(user, "deletion")
}

/// Key of the list of users who block `user` (SS `users`), kept by block and unblock.
pub fn blocked_by_key(user: &str) -> String {
    format!("blockedby#{user}")
}

/// Key of the list of cases `user` filed a report in (SS `users`: the case ids).
pub fn reported_key(user: &str) -> String {
    format!("reported#{user}")
}

fn job_from(item: &Item) -> Result<DeletionJob, StoreError> {
    crate::account_jobs::job_from(item, "deletion job")
}

fn job_item(job: &DeletionJob) -> Result<Item, StoreError> {
    crate::account_jobs::job_item(deletion_key(job.user.as_str()), job, job.done(), "deletion job")
}

/// An item as text, attributes (and those of nested maps) sorted by name.
fn render_item(item: &Item) -> String {
    let sorted: std::collections::BTreeMap<&String, String> = item.iter().map(|(k, v)| (k, render(v))).collect();
    let fields: Vec<String> = sorted.iter().map(|(k, v)| format!("{k:?}: {v}")).collect();
    format!("{{{}}}", fields.join(", "))
}

fn render(v: &AttributeValue) -> String {
    match v {
        AttributeValue::M(m) => format!("M({})", render_item(m)),
        AttributeValue::L(l) => format!("L([{}])", l.iter().map(render).collect::<Vec<_>>().join(", ")),
        other => format!("{other:?}"),
    }
}

fn delete_request(key: Item) -> Result<WriteRequest, StoreError> {
    Ok(WriteRequest::builder().delete_request(build(DeleteRequest::builder().set_key(Some(key)).build())?).build())
}

fn state_key(k: String) -> Item {
    Item::from([(st::PK.to_owned(), s(k))])
}

/// The string set `attr` of an item.
fn set_of(item: Option<&Item>, attr: &str) -> Vec<String> {
    item.and_then(|i| i.get(attr)).and_then(|v| v.as_ss().ok()).cloned().unwrap_or_default()
}

impl DynamoStore {
    /// Deletes every item of partition `pk` of `table` (key attributes `pk_name`,
    /// `sk_name`); returns how many there were.
    async fn delete_partition(&self, table: &str, pk_name: &str, sk_name: &str, pk: &str) -> Result<u64, StoreError> {
        let mut deleted = 0;
        loop {
            let out = self
                .client
                .query()
                .table_name(table)
                .key_condition_expression("#pk = :pk")
                .projection_expression("#pk, #sk")
                .expression_attribute_names("#pk", pk_name)
                .expression_attribute_names("#sk", sk_name)
                .expression_attribute_values(":pk", s(pk))
                .consistent_read(true)
                .limit(500)
                .send()
                .await
                .map_err(unavailable)?;
            let keys = out.items().to_vec();
            if keys.is_empty() {
                return Ok(deleted);
            }
            deleted += keys.len() as u64;
            let requests = keys.into_iter().map(delete_request).collect::<Result<Vec<_>, _>>()?;
            self.batch_write(table, requests).await?;
        }
    }

    /// Deletes these state items; returns how many of them existed.
    async fn delete_state(&self, mut keys: Vec<String>) -> Result<u64, StoreError> {
        // A batch may not name a key twice.
        keys.sort_unstable();
        keys.dedup();
        let mut existed = 0;
        for chunk in keys.chunks(100) {
            let found = crate::txn::read_state(self, chunk.to_vec()).await?;
            existed += found.len() as u64;
            let requests = found.into_keys().map(|k| delete_request(state_key(k))).collect::<Result<Vec<_>, _>>()?;
            self.batch_write(&self.tables.state, requests).await?;
        }
        Ok(existed)
    }
}

impl ErasureStore for DynamoStore {
    async fn start_deletion(&self, job: &DeletionJob) -> Result<DeletionJob, StoreError> {
        if self.start_job(job_item(job)?).await? {
            return Ok(job.clone());
        }
        self.deletion(&job.user).await?.ok_or(StoreError::Contention)
    }

    async fn deletion(&self, user: &UserId) -> Result<Option<DeletionJob>, StoreError> {
        self.job_at(deletion_key(user.as_str())).await?.as_ref().map(job_from).transpose()
    }

    async fn save_deletion(&self, job: &DeletionJob) -> Result<(), StoreError> {
        self.save_job(job_item(job)?).await
    }

    /// A scan of the state table: for the devserver (`--dynamodb`) on start; in AWS each
    /// job's own stream records drive it and nothing scans.
    async fn pending_deletions(&self) -> Result<Vec<DeletionJob>, StoreError> {
        self.unfinished_jobs("deletion").await?.iter().map(job_from).collect()
    }

    async fn delete_inbox(&self, user: &UserId) -> Result<u64, StoreError> {
        use chat_core::schema::messages as m;
        self.delete_partition(&self.tables.messages, m::PK, m::SK, user.as_str()).await
    }

    async fn delete_summaries(&self, user: &UserId) -> Result<u64, StoreError> {
        use chat_core::schema::conversations as cv;
        self.delete_partition(&self.tables.conversations, cv::PK, cv::SK, user.as_str()).await
    }

    async fn forget_entries(&self, user: &UserId, entries: &[InboxEntry], now_ms: u64) -> Result<u64, StoreError> {
        // Older ones are past their TTL: DynamoDB deleted them (or is about to, for free).
        let since = now_ms.saturating_sub(chat_core::store::erasure::FORGET_WINDOW_MS);
        let entries: Vec<&InboxEntry> = entries.iter().filter(|e| e.ts >= since).collect();
        let sent: Vec<String> = entries
            .iter()
            .filter(|e| e.from == user.as_str())
            .filter_map(|e| e.client_msg_id.as_deref())
            .map(|c| st::idempotency_key(user.as_str(), c))
            .collect();
        let records = self.delete_state(sent).await?;
        // Push claims and delivery marks: deleted blindly (they expire within a day).
        let mut marks: Vec<String> = entries
            .iter()
            .flat_map(|e| {
                [
                    st::push_claim_key(&format!("{}#{user}", e.msg_id)),
                    st::delivery_key(e.msg_id.as_str(), user.as_str()),
                ]
            })
            .collect();
        marks.sort_unstable();
        marks.dedup();
        let requests = marks.into_iter().map(|k| delete_request(state_key(k))).collect::<Result<Vec<_>, _>>()?;
        self.batch_write(&self.tables.state, requests).await?;
        Ok(records)
    }

    async fn delete_uploads(&self, ids: &[UploadId]) -> Result<u64, StoreError> {
        self.delete_state(ids.iter().map(|id| format!("upload#{}", id.as_str())).collect()).await
    }

    async fn delete_presence(&self, user: &UserId) -> Result<u64, StoreError> {
        use chat_core::schema::presence as p;
        self.delete_partition(&self.tables.presence, p::PK, p::SK, user.as_str()).await
    }

    async fn forget_limits(&self, user: &UserId, now_ms: u64) -> Result<u64, StoreError> {
        // Budgets of earlier windows are past their TTL already (a minute after the window).
        let window = Budget::per_minute(1).window(now_ms);
        // With them the list items that name the user in their key (emptied by now).
        let mut keys = vec![
            st::connection_count_key(user.as_str()),
            blocked_by_key(user.as_str()),
            reported_key(user.as_str()),
            st::block_list_key(user.as_str()),
        ];
        for route in Route::ALL {
            for w in [window.saturating_sub(1), window] {
                keys.push(st::budget_key(route.name(), user.as_str(), w));
            }
        }
        self.delete_state(keys).await
    }

    async fn blocked_by(&self, user: &UserId) -> Result<Vec<UserId>, StoreError> {
        let item = self.job_at(blocked_by_key(user.as_str())).await?;
        let mut by: Vec<UserId> =
            set_of(item.as_ref(), st::USERS).iter().filter_map(|u| UserId::parse(u).ok()).collect();
        by.sort();
        Ok(by)
    }

    async fn reports_by(&self, user: &UserId) -> Result<Vec<String>, StoreError> {
        let item = self.job_at(reported_key(user.as_str())).await?;
        let mut cases = set_of(item.as_ref(), st::USERS);
        cases.sort();
        Ok(cases)
    }

    async fn withdraw_report(&self, case: &str, user: &UserId) -> Result<bool, StoreError> {
        let withdrawn = crate::reports::withdraw(self, case, user).await?;
        // The reverse list goes last: a crash before this leaves it naming the case, and
        // the retry finds no report there.
        let update = self
            .client
            .update_item()
            .table_name(&self.tables.state)
            .key(st::PK, s(reported_key(user.as_str())))
            .update_expression("DELETE #users :case")
            .expression_attribute_names("#users", st::USERS)
            .expression_attribute_values(":case", AttributeValue::Ss(vec![case.to_owned()]));
        update.send().await.map_err(unavailable)?;
        Ok(withdrawn)
    }

    async fn stored_mentions(&self, needle: &str) -> Result<Vec<String>, StoreError> {
        let t = &self.tables;
        let mut found = Vec::new();
        for table in
            [&t.connections, &t.messages, &t.state, &t.groups, &t.presence, &t.push, &t.conversations, &t.reports]
        {
            let mut start = None;
            loop {
                let out = self
                    .client
                    .scan()
                    .table_name(table)
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .map_err(unavailable)?;
                for item in out.items() {
                    let line = render_item(item);
                    if line.contains(needle) {
                        found.push(format!("{table}: {line}"));
                    }
                }
                start = out.last_evaluated_key().cloned();
                if start.is_none() {
                    break;
                }
            }
        }
        Ok(found)
    }

    async fn transfer_group(&self, group: &GroupId, from: &UserId, to: &UserId) -> Result<bool, StoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.tables.groups)
            .key(g::PK, s(group.as_str()))
            .key(g::SK, s(g::META))
            .update_expression("SET #creator = :to, #last = :owner ADD #version :one")
            .condition_expression("#creator = :from AND contains(#members, :to)")
            .expression_attribute_names("#creator", g::CREATOR)
            .expression_attribute_names("#last", g::LAST_CHANGE)
            .expression_attribute_names("#version", g::VERSION)
            .expression_attribute_names("#members", g::MEMBERS)
            .expression_attribute_values(":to", s(to.as_str()))
            .expression_attribute_values(":from", s(from.as_str()))
            .expression_attribute_values(":owner", s("owner"))
            .expression_attribute_values(":one", crate::items::n(1));
        match update.send().await {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }
}
