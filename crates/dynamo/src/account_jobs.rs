//! Account jobs (deletions, exports) on DynamoDB: one item each in the state table,
//! `acct#<user>#<kind>`, with the job as JSON (`job`, S) and whether it is done (`done`,
//! BOOL). Both kinds share how the item is written, started (one unfinished job per user
//! and kind), read back and found by the devserver.

use aws_sdk_dynamodb::types::AttributeValue;
use chat_core::schema::state as st;
use chat_core::store::StoreError;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::items::{Item, s};
use crate::store::DynamoStore;
use crate::unavailable;

/// The job's JSON (S), on the job item.
pub(crate) const JOB: &str = "job";
/// Whether the job is done (BOOL), on the job item.
pub(crate) const DONE: &str = "done";

/// Key of `user`'s job of `kind` (`deletion`, `export`).
pub fn job_key(user: &str, kind: &str) -> String {
    format!("{}{user}#{kind}", st::ACCOUNT_PREFIX)
}

/// The job an item holds (`what` names it in an error).
pub(crate) fn job_from<J: DeserializeOwned>(item: &Item, what: &str) -> Result<J, StoreError> {
    let json = item.get(JOB).and_then(|v| v.as_s().ok()).ok_or_else(|| StoreError::Corrupt(what.to_owned()))?;
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// The item of a job under `key`.
pub(crate) fn job_item<J: Serialize>(key: String, job: &J, done: bool, what: &str) -> Result<Item, StoreError> {
    let json = serde_json::to_string(job).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))?;
    Ok(Item::from([
        (st::PK.to_owned(), s(key)),
        (JOB.to_owned(), s(json)),
        (DONE.to_owned(), AttributeValue::Bool(done)),
    ]))
}

impl DynamoStore {
    /// Writes a new job's item unless an unfinished one is there (one conditional put);
    /// returns whether it was written.
    pub(crate) async fn start_job(&self, item: Item) -> Result<bool, StoreError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.tables.state)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk) OR #done = :true")
            .expression_attribute_names("#pk", st::PK)
            .expression_attribute_names("#done", DONE)
            .expression_attribute_values(":true", AttributeValue::Bool(true));
        match put.send().await {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Writes a job's item as it is now.
    pub(crate) async fn save_job(&self, item: Item) -> Result<(), StoreError> {
        self.client.put_item().table_name(&self.tables.state).set_item(Some(item)).send().await.map_err(unavailable)?;
        Ok(())
    }

    /// The item under `key`, if any (strongly consistent).
    pub(crate) async fn job_at(&self, key: String) -> Result<Option<Item>, StoreError> {
        Ok(crate::txn::read_state(self, vec![key.clone()]).await?.remove(&key))
    }

    /// The unfinished job items of one kind: a scan of the state table, for the devserver
    /// (`--dynamodb`); in AWS each job's stream records start its runs and nothing scans.
    pub(crate) async fn unfinished_jobs(&self, kind: &str) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.tables.state)
                .filter_expression("#done = :false AND begins_with(#pk, :acct) AND contains(#pk, :kind)")
                .expression_attribute_names("#done", DONE)
                .expression_attribute_names("#pk", st::PK)
                .expression_attribute_values(":false", AttributeValue::Bool(false))
                .expression_attribute_values(":acct", s(st::ACCOUNT_PREFIX))
                .expression_attribute_values(":kind", s(format!("#{kind}")))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            items.extend(out.items().iter().cloned());
            start = out.last_evaluated_key().cloned();
            if start.is_none() {
                return Ok(items);
            }
        }
    }
}
