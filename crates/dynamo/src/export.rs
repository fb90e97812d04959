//! Account exports on DynamoDB: the job item `acct#<user>#export` in the state table, with
//! the job's JSON (`job`, S) and whether its file is written (`done`, BOOL), as the
//! deletion job's item has. Its stream records start the run in AWS, and the one that
//! turns `done` true is the `account.exported` event (`changes`).

use chat_core::ids::UserId;
use chat_core::schema::state as st;
use chat_core::store::{ExportJob, ExportStore, StoreError};

use crate::items::{Item, s};
use crate::store::DynamoStore;
use crate::unavailable;

/// Key of `user`'s export job.
pub fn export_key(user: &str) -> String {
    crate::account_jobs::job_key(user, "export")
}

/// The job an item holds.
pub fn job_from(item: &Item) -> Result<ExportJob, StoreError> {
    crate::account_jobs::job_from(item, "export job")
}

pub(crate) fn job_item(job: &ExportJob) -> Result<Item, StoreError> {
    crate::account_jobs::job_item(export_key(job.user.as_str()), job, job.done(), "export job")
}

impl ExportStore for DynamoStore {
    async fn start_export(&self, job: &ExportJob) -> Result<ExportJob, StoreError> {
        if self.start_job(job_item(job)?).await? {
            return Ok(job.clone());
        }
        self.export_job(&job.user).await?.ok_or(StoreError::Contention)
    }

    async fn export_job(&self, user: &UserId) -> Result<Option<ExportJob>, StoreError> {
        self.job_at(export_key(user.as_str())).await?.as_ref().map(job_from).transpose()
    }

    async fn save_export(&self, job: &ExportJob) -> Result<(), StoreError> {
        self.save_job(job_item(job)?).await
    }

    /// A scan of the state table, for the devserver (`--dynamodb`); in AWS each job's
    /// stream record starts its run and nothing scans.
    async fn pending_exports(&self) -> Result<Vec<ExportJob>, StoreError> {
        self.unfinished_jobs("export").await?.iter().map(job_from).collect()
    }

    async fn delete_export(&self, user: &UserId) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.tables.state)
            .key(st::PK, s(export_key(user.as_str())))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.attributes().is_some_and(|a| !a.is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account_jobs::DONE;
    use aws_sdk_dynamodb::types::AttributeValue;

    #[test]
    fn a_job_item_round_trips_and_says_whether_it_is_done() {
        let mut job = ExportJob::new("exp_1".into(), UserId::parse("a|b@c").expect("valid"), 5);
        let item = job_item(&job).expect("item");
        assert_eq!(item.get(st::PK).and_then(|v| v.as_s().ok()).map(String::as_str), Some("acct#a|b@c#export"));
        assert_eq!(item.get(DONE), Some(&AttributeValue::Bool(false)));
        assert_eq!(job_from(&item).expect("back"), job);
        job.finish("exports/exp_1.ndjson".into(), 1, Default::default(), false, 9);
        assert_eq!(job_item(&job).expect("item").get(DONE), Some(&AttributeValue::Bool(true)));
    }
}
