//! Account export: the job that writes a copy of a user's data to one file in the media
//! bucket, and what it needs from storage. The job is stored (so a crashed run is found
//! and run again, and `GET /v1/users/{id}/export` can show it); a run is one pass of reads
//! that ends with one write of the file, so a run that stops anywhere starts over and
//! writes the same file (under the same key) from the start.

use std::collections::BTreeMap;
use std::future::Future;

use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::ids::UserId;

/// How long the link to a finished export works (and how long after it was written the
/// `exported` frame says it expires): 24 hours.
pub const EXPORT_LINK_TTL_MS: u64 = 24 * 60 * 60 * 1000;

/// How soon after a user's previous export was requested it may ask for another
/// (`account.export`; the server API is not limited): an export reads the whole inbox.
pub const EXPORT_COOLDOWN_MS: u64 = 60 * 60 * 1000;

/// The object key prefix of export files (the bucket's lifecycle rule on it deletes them).
pub const EXPORTS_PREFIX: &str = "exports/";

/// The object key of an export's file. The job id is all it names (user ids may hold
/// characters an object key should not), and being random it cannot be guessed.
pub fn export_key(job_id: &str) -> String {
    format!("{EXPORTS_PREFIX}{job_id}.ndjson")
}

/// An export of one account: stored when requested, saved done by the run that wrote
/// the file, kept as the record of the latest export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportJob {
    /// The job id the request answered with.
    pub job_id: String,
    /// Whose account.
    pub user: UserId,
    /// When it was requested, ms.
    pub requested_at: u64,
    /// When the file was written, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<u64>,
    /// The file's object key, once written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// When the file's link stops working, ms (`finished_at` + [`EXPORT_LINK_TTL_MS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// The file's size, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// What the file holds, by kind of line (`entries`, `conversations`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub counts: BTreeMap<String, u64>,
    /// Set when the file reached its size bound and the inbox's newest entries were left
    /// out (docs/reliability.md, "Export").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

impl ExportJob {
    /// A new job for `user`, not run yet.
    pub fn new(job_id: String, user: UserId, now_ms: u64) -> Self {
        Self {
            job_id,
            user,
            requested_at: now_ms,
            finished_at: None,
            key: None,
            expires_at: None,
            bytes: None,
            counts: BTreeMap::new(),
            truncated: false,
        }
    }

    /// Whether its file was written.
    pub fn done(&self) -> bool {
        self.finished_at.is_some()
    }

    /// Whether its file's link still works at `now_ms`.
    pub fn link_live(&self, now_ms: u64) -> bool {
        self.done() && self.expires_at.is_some_and(|e| e > now_ms)
    }

    /// Ms until `user` may ask for another export at `now_ms` (0: now).
    pub fn cooldown_left(&self, now_ms: u64) -> u64 {
        (self.requested_at + EXPORT_COOLDOWN_MS).saturating_sub(now_ms)
    }

    /// Records the written file: its key, size and what it holds; the link lives for
    /// [`EXPORT_LINK_TTL_MS`] from `now_ms`.
    pub fn finish(&mut self, key: String, bytes: u64, counts: BTreeMap<String, u64>, truncated: bool, now_ms: u64) {
        self.finished_at = Some(now_ms);
        self.expires_at = Some(now_ms + EXPORT_LINK_TTL_MS);
        self.key = Some(key);
        self.bytes = Some(bytes);
        self.counts = counts;
        self.truncated = truncated;
    }
}

/// What exporting an account needs from storage beyond the everyday reads.
pub trait ExportStore: Send + Sync {
    /// Stores `job` unless `job.user` has an export that has not finished; returns the one
    /// in force (so a repeated request answers with the first job's id). Atomic:
    /// concurrent requests get one job.
    fn start_export(&self, job: &ExportJob) -> impl Future<Output = Result<ExportJob, StoreError>> + Send;
    /// `user`'s latest export, running or done.
    fn export_job(&self, user: &UserId) -> impl Future<Output = Result<Option<ExportJob>, StoreError>> + Send;
    /// Records a job (finished, when its file is written).
    fn save_export(&self, job: &ExportJob) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Exports that have not finished (the devserver's worker runs them; in AWS the job
    /// item's stream record starts the run).
    fn pending_exports(&self) -> impl Future<Output = Result<Vec<ExportJob>, StoreError>> + Send;
    /// Forgets `user`'s export job (an account deletion); returns whether there was one.
    fn delete_export(&self, user: &UserId) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_job_has_a_link_for_a_day_and_round_trips() {
        let mut job = ExportJob::new("exp_1".into(), UserId::parse("alice").expect("valid"), 1_000);
        assert!(!job.done() && !job.link_live(1_000));
        job.finish(export_key("exp_1"), 42, BTreeMap::from([("entries".to_owned(), 3)]), false, 2_000);
        assert!(job.done());
        assert_eq!(job.key.as_deref(), Some("exports/exp_1.ndjson"));
        assert!(job.link_live(2_000 + EXPORT_LINK_TTL_MS - 1));
        assert!(!job.link_live(2_000 + EXPORT_LINK_TTL_MS));
        let json = serde_json::to_value(&job).expect("json");
        assert_eq!(json["expiresAt"], 2_000 + EXPORT_LINK_TTL_MS);
        assert_eq!(serde_json::from_value::<ExportJob>(json).expect("back"), job);
    }

    #[test]
    fn the_cooldown_counts_from_the_request() {
        let job = ExportJob::new("exp_1".into(), UserId::parse("alice").expect("valid"), 1_000);
        assert_eq!(job.cooldown_left(1_000), EXPORT_COOLDOWN_MS);
        assert_eq!(job.cooldown_left(1_000 + EXPORT_COOLDOWN_MS), 0);
        assert_eq!(job.cooldown_left(u64::MAX), 0);
    }
}
