//! Account deletion: the job that removes a user's data, step by step, and the store
//! operations it needs beyond the everyday ones. The job is stored (so it resumes after a
//! crash from the step it reached) and every step is idempotent: running a step again
//! removes what is left of it, and nothing else.

use std::collections::BTreeMap;
use std::future::Future;

use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::ids::{GroupId, UserId};
use crate::media::UploadId;

/// How far back an entry's idempotency record, push claim and delivery marker can still be
/// stored: they live 24 hours (markers an hour more), and DynamoDB's TTL deletes an expired
/// item within about 48 hours.
pub const FORGET_WINDOW_MS: u64 = 72 * 60 * 60 * 1000;

/// What a deletion does next; in this order (the user's own messages are erased while it
/// is still a member of its groups and its inbox still lists them, and groups are left
/// before the inbox goes, so no notice lands in an inbox already emptied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Close and forget every live connection.
    Connections,
    /// Delete push devices (and their SNS endpoints).
    Devices,
    /// Delete the announced presence and the subscriptions to it.
    Presence,
    /// With `erase`: delete the user's messages from every holder's inbox.
    Erase,
    /// Leave every group (a created one gets a new owner, or is deleted when empty).
    Groups,
    /// Blocks both ways.
    Blocks,
    /// Withdraw the reports the user filed.
    Reports,
    /// The inbox, and what hangs off its entries: idempotency records, uploads and their
    /// objects.
    Inbox,
    /// Conversation summaries (mutes live on them).
    Conversations,
    /// Send bucket, request budgets, the live-connection counter; the latest export (its
    /// job and file).
    Limits,
    /// Finished: the `account.deleted` event is published.
    Done,
}

impl Step {
    /// Every step, in order.
    pub const ALL: &'static [Step] = &[
        Self::Connections,
        Self::Devices,
        Self::Presence,
        Self::Erase,
        Self::Groups,
        Self::Blocks,
        Self::Reports,
        Self::Inbox,
        Self::Conversations,
        Self::Limits,
        Self::Done,
    ];

    /// The step after this one (`Done` stays).
    pub fn next(self) -> Self {
        let i = Self::ALL.iter().position(|s| *s == self).unwrap_or(Self::ALL.len() - 1);
        Self::ALL.get(i + 1).copied().unwrap_or(Self::Done)
    }
}

/// A deletion of one account: stored when requested, advanced by the job runner, kept
/// (without data of the user beyond its id) when done, as the record of what was removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletionJob {
    /// The job id the request answered with.
    pub job_id: String,
    /// Whose account.
    pub user: UserId,
    /// Also delete the messages the user sent from everyone's inboxes.
    pub erase: bool,
    /// The step it is at.
    pub step: Step,
    /// Progress inside the step: the highest inbox seq handled (`Erase`, `Inbox`).
    pub cursor: u64,
    /// The group being left (`Groups`), until its notice is stored: a run that stopped
    /// after the membership change but before the notice sends it on resuming.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupId>,
    /// How often it was asked for again while it ran: each time its item is written anew,
    /// which (in AWS) starts a run, so a job parked after failing runs again.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub restarts: u32,
    /// What was removed so far, by kind (`connections`, `inboxEntries`, ...).
    pub removed: BTreeMap<String, u64>,
    /// When it was requested, ms.
    pub requested_at: u64,
    /// When it finished, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<u64>,
}

impl DeletionJob {
    /// A new job for `user`, at its first step.
    pub fn new(job_id: String, user: UserId, erase: bool, now_ms: u64) -> Self {
        Self {
            job_id,
            user,
            erase,
            step: Step::Connections,
            cursor: 0,
            group: None,
            restarts: 0,
            removed: BTreeMap::new(),
            requested_at: now_ms,
            finished_at: None,
        }
    }

    /// Whether it has finished.
    pub fn done(&self) -> bool {
        self.step == Step::Done
    }

    /// Counts `n` more removed items of `kind` (a zero count is not recorded).
    pub fn count(&mut self, kind: &str, n: u64) {
        if n > 0 {
            *self.removed.entry(kind.to_owned()).or_default() += n;
        }
    }

    /// Moves to the next step, its cursor reset (a finished job stays as it is).
    pub fn advance(&mut self, now_ms: u64) {
        if self.done() {
            return;
        }
        self.step = self.step.next();
        self.cursor = 0;
        if self.done() {
            self.finished_at = Some(now_ms);
        }
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// What deleting an account needs from storage beyond the everyday operations. Every
/// method is idempotent.
pub trait ErasureStore: Send + Sync {
    /// Stores `job` unless `job.user` has a deletion that has not finished; returns the
    /// one that is in force (so a repeated request answers with the first job's id).
    /// Atomic: concurrent requests get one job.
    fn start_deletion(&self, job: &DeletionJob) -> impl Future<Output = Result<DeletionJob, StoreError>> + Send;
    /// `user`'s latest deletion, running or done.
    fn deletion(&self, user: &UserId) -> impl Future<Output = Result<Option<DeletionJob>, StoreError>> + Send;
    /// Records a job's progress.
    fn save_deletion(&self, job: &DeletionJob) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Deletions that have not finished (for resuming them: the devserver on start and
    /// while it runs; in AWS each progress write triggers the next run).
    fn pending_deletions(&self) -> impl Future<Output = Result<Vec<DeletionJob>, StoreError>> + Send;
    /// Deletes `user`'s whole inbox; returns how many entries there were.
    fn delete_inbox(&self, user: &UserId) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Deletes all of `user`'s conversation summaries; returns how many there were.
    fn delete_summaries(&self, user: &UserId) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Deletes what hangs off these entries of `user`'s inbox outside it: the idempotency
    /// record of each one `user` sent, and the push and delivery marks of `user`; returns
    /// how many idempotency records there were.
    /// Entries older than `now_ms` less [`FORGET_WINDOW_MS`] may be skipped where such
    /// records expire by themselves (DynamoDB's TTL).
    fn forget_entries(
        &self,
        user: &UserId,
        entries: &[crate::message::InboxEntry],
        now_ms: u64,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Deletes these upload records; returns how many there were.
    fn delete_uploads(&self, ids: &[UploadId]) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Deletes `user`'s announced presence and the subscriptions to it; returns how many
    /// items there were.
    fn delete_presence(&self, user: &UserId) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Deletes `user`'s send bucket, request budgets of the current and previous window
    /// at `now_ms`, and its live-connection counter; returns how many there were.
    fn forget_limits(&self, user: &UserId, now_ms: u64) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// Those who block `user`.
    fn blocked_by(&self, user: &UserId) -> impl Future<Output = Result<Vec<UserId>, StoreError>> + Send;
    /// The cases (reported message ids) `user` filed a report in.
    fn reports_by(&self, user: &UserId) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;
    /// Withdraws `user`'s report from case `case` (the case goes when it was the only
    /// one); returns whether there was one.
    fn withdraw_report(&self, case: &str, user: &UserId) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Every stored item that names `needle` anywhere (key or value), one line each: for
    /// proving a deletion (the devserver's `/dev/stored`, the tests). A full scan.
    fn stored_mentions(&self, needle: &str) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;
    /// Makes `to` (a member) the creator of `group` if `from` still is; returns whether
    /// it changed.
    fn transfer_group(
        &self,
        group: &GroupId,
        from: &UserId,
        to: &UserId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_run_in_order_and_end_done() {
        let user = UserId::parse("alice").expect("valid");
        let mut job = DeletionJob::new("j".into(), user, false, 1);
        let mut seen = vec![job.step];
        while !job.done() {
            job.cursor = 7;
            job.advance(9);
            assert_eq!(job.cursor, 0);
            seen.push(job.step);
        }
        assert_eq!(seen, Step::ALL);
        assert_eq!(job.finished_at, Some(9));
        job.advance(10);
        assert_eq!((job.step, job.finished_at), (Step::Done, Some(9)));
    }

    #[test]
    fn counts_add_up_and_zero_is_not_recorded() {
        let mut job = DeletionJob::new("j".into(), UserId::parse("a").expect("valid"), true, 1);
        job.count("inboxEntries", 3);
        job.count("inboxEntries", 2);
        job.count("blocks", 0);
        assert_eq!(job.removed, BTreeMap::from([("inboxEntries".to_owned(), 5)]));
        let json = serde_json::to_value(&job).expect("json");
        assert_eq!(json["step"], "connections");
        assert_eq!(serde_json::from_value::<DeletionJob>(json).expect("back"), job);
    }
}
