//! Account deletion in the in-process store: each removal is a journaled record, so a
//! replay ends with the data gone too. (The journal file keeps the bytes of the records
//! written before the deletion until the data dir is removed: docs/reliability.md.)

use super::{Data, MemoryStore, Record};
use crate::ids::{GroupId, UserId};
use crate::media::UploadId;
use crate::store::StoreError;
use crate::store::erasure::{DeletionJob, ErasureStore};

impl Data {
    pub(super) fn apply_erasure(&mut self, record: Record) {
        match record {
            Record::SaveDeletion { job } => {
                self.deletions.insert(job.user.clone(), job);
            }
            Record::DeleteInbox { user } => {
                if let Some(inbox) = self.inboxes.remove(&user) {
                    for e in &inbox.entries {
                        if let Some(at) = self.by_msg.get_mut(&e.msg_id) {
                            at.retain(|(u, _)| *u != user);
                            if at.is_empty() {
                                self.by_msg.remove(&e.msg_id);
                            }
                        }
                    }
                }
            }
            Record::DeleteSummaries { user } => {
                self.summaries.remove(&user);
            }
            Record::ForgetSent { user, client_msg_ids, msg_ids } => {
                self.idempotency.retain(|(u, c), _| !(*u == user && client_msg_ids.iter().any(|k| k == c.as_str())));
                for m in &msg_ids {
                    self.push_claims.remove(&format!("{m}#{user}"));
                }
            }
            Record::DeleteUploads { ids } => {
                for id in &ids {
                    self.uploads.remove(id);
                }
            }
            Record::DeletePresence { user } => {
                self.presence.remove(&user);
                self.subscriptions.remove(&user);
                // The user's own subscriptions to others (its connections are gone).
                for subs in self.subscriptions.values_mut() {
                    subs.retain(|_, s| s.subscriber != user);
                }
            }
            Record::ForgetLimits { user } => {
                self.buckets.remove(&user);
                self.budgets.retain(|(u, _, _), _| *u != user);
                self.group_claims.retain(|(u, _), _| *u != user);
                // Emptied entries of per-user maps.
                self.member_of.remove(&user);
                self.endpoints.remove(&user);
                self.blocks.remove(&user);
                self.connections.remove(&user);
            }
            Record::WithdrawReport { case, user } if self.reports.remove(&(case.clone(), user.clone())) => {
                let gone = self.cases.get_mut(&case).is_some_and(|c| {
                    c.reporters = c.reporters.saturating_sub(1);
                    c.reporters == 0
                });
                if gone {
                    self.cases.remove(&case);
                }
            }
            Record::TransferGroup { id, to } => {
                if let Some(g) = self.groups.get_mut(&id) {
                    g.creator = to;
                }
            }
            _ => {}
        }
    }
}

impl ErasureStore for MemoryStore {
    async fn start_deletion(&self, job: &DeletionJob) -> Result<DeletionJob, StoreError> {
        let mut state = self.lock();
        if let Some(running) = state.data.deletions.get(&job.user).filter(|j| !j.done()) {
            return Ok(running.clone());
        }
        state.commit(Record::SaveDeletion { job: job.clone() })?;
        Ok(job.clone())
    }

    async fn deletion(&self, user: &UserId) -> Result<Option<DeletionJob>, StoreError> {
        Ok(self.lock().data.deletions.get(user).cloned())
    }

    async fn save_deletion(&self, job: &DeletionJob) -> Result<(), StoreError> {
        let mut state = self.lock();
        state.commit(Record::SaveDeletion { job: job.clone() })?;
        // A finished deletion compacts the journal: the records that wrote the deleted data
        // leave the disk too.
        if job.done() {
            state.compact()?;
        }
        Ok(())
    }

    async fn pending_deletions(&self) -> Result<Vec<DeletionJob>, StoreError> {
        Ok(self.lock().data.deletions.values().filter(|j| !j.done()).cloned().collect())
    }

    async fn delete_inbox(&self, user: &UserId) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let n = state.data.inboxes.get(user).map_or(0, |i| i.entries.len() as u64);
        if n > 0 {
            state.commit(Record::DeleteInbox { user: user.clone() })?;
        }
        Ok(n)
    }

    async fn delete_summaries(&self, user: &UserId) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let n = state.data.summaries.get(user).map_or(0, |s| s.len() as u64);
        if n > 0 {
            state.commit(Record::DeleteSummaries { user: user.clone() })?;
        }
        Ok(n)
    }

    async fn forget_entries(
        &self,
        user: &UserId,
        entries: &[crate::message::InboxEntry],
        _now_ms: u64,
    ) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let client_msg_ids: Vec<String> = entries
            .iter()
            .filter(|e| e.from == user.as_str())
            .filter_map(|e| e.client_msg_id.clone())
            .filter(|c| state.data.idempotency.keys().any(|(u, k)| u == user && k.as_str() == c))
            .collect();
        let msg_ids: Vec<crate::ids::MsgId> = entries.iter().map(|e| e.msg_id.clone()).collect();
        let n = client_msg_ids.len() as u64;
        state.commit(Record::ForgetSent { user: user.clone(), client_msg_ids, msg_ids })?;
        Ok(n)
    }

    async fn delete_uploads(&self, ids: &[UploadId]) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let n = ids.iter().filter(|id| state.data.uploads.contains_key(id)).count() as u64;
        if n > 0 {
            state.commit(Record::DeleteUploads { ids: ids.to_vec() })?;
        }
        Ok(n)
    }

    async fn delete_presence(&self, user: &UserId) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let n = u64::from(state.data.presence.contains_key(user))
            + state.data.subscriptions.get(user).map_or(0, |s| s.len() as u64)
            + state.data.subscriptions.values().flat_map(|s| s.values()).filter(|s| s.subscriber == *user).count()
                as u64;
        if n > 0 {
            state.commit(Record::DeletePresence { user: user.clone() })?;
        }
        Ok(n)
    }

    async fn forget_limits(&self, user: &UserId, _now_ms: u64) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let n = u64::from(state.data.buckets.contains_key(user))
            + state.data.budgets.keys().filter(|(u, _, _)| u == user).count() as u64
            + state.data.group_claims.keys().filter(|(u, _)| u == user).count() as u64;
        let leftovers = [
            state.data.member_of.contains_key(user),
            state.data.endpoints.contains_key(user),
            state.data.blocks.contains_key(user),
            state.data.connections.contains_key(user),
        ];
        if n > 0 || leftovers.contains(&true) {
            state.commit(Record::ForgetLimits { user: user.clone() })?;
        }
        Ok(n)
    }

    async fn blocked_by(&self, user: &UserId) -> Result<Vec<UserId>, StoreError> {
        let state = self.lock();
        let mut by: Vec<UserId> =
            state.data.blocks.iter().filter(|(_, b)| b.contains(user)).map(|(owner, _)| owner.clone()).collect();
        by.sort();
        Ok(by)
    }

    async fn reports_by(&self, user: &UserId) -> Result<Vec<String>, StoreError> {
        let state = self.lock();
        let mut cases: Vec<String> =
            state.data.reports.iter().filter(|(_, r)| r == user).map(|(case, _)| case.clone()).collect();
        cases.sort();
        Ok(cases)
    }

    async fn withdraw_report(&self, case: &str, user: &UserId) -> Result<bool, StoreError> {
        let mut state = self.lock();
        if !state.data.reports.contains(&(case.to_owned(), user.clone())) {
            return Ok(false);
        }
        state.commit(Record::WithdrawReport { case: case.to_owned(), user: user.clone() })?;
        Ok(true)
    }

    async fn stored_mentions(&self, needle: &str) -> Result<Vec<String>, StoreError> {
        let state = self.lock();
        let d = &state.data;
        let mut found = Vec::new();
        let mut look = |table: &str, items: Vec<String>| {
            found.extend(items.into_iter().filter(|i| i.contains(needle)).map(|i| format!("{table}: {i}")));
        };
        fn each<K: std::fmt::Debug, V: std::fmt::Debug>(m: impl IntoIterator<Item = (K, V)>) -> Vec<String> {
            m.into_iter().map(|(k, v)| format!("{k:?} => {v:?}")).collect()
        }
        look("connections", each(d.connections.iter()));
        look(
            "inboxes",
            d.inboxes.iter().flat_map(|(u, i)| i.entries.iter().map(move |e| format!("{u:?} => {e:?}"))).collect(),
        );
        look("idempotency", each(d.idempotency.iter()));
        look("by_msg", each(d.by_msg.iter()));
        look(
            "summaries",
            d.summaries.iter().flat_map(|(u, m)| m.iter().map(move |(c, s)| format!("{u:?} {c:?} => {s:?}"))).collect(),
        );
        look("uploads", each(d.uploads.iter()));
        look("groups", each(d.groups.iter()));
        look("group_claims", each(d.group_claims.iter()));
        look("member_of", each(d.member_of.iter()));
        look("presence", each(d.presence.iter()));
        look("subscriptions", each(d.subscriptions.iter()));
        look("endpoints", each(d.endpoints.iter()));
        look("token_owner", each(d.token_owner.iter()));
        look("push_claims", each(d.push_claims.iter()));
        look("buckets", each(d.buckets.iter()));
        look("budgets", each(d.budgets.iter()));
        look("bans", each(d.bans.iter()));
        look("blocks", each(d.blocks.iter()));
        look("reports", d.reports.iter().map(|r| format!("{r:?}")).collect());
        look("cases", each(d.cases.iter()));
        look("exports", each(d.exports.iter()));
        Ok(found)
    }

    async fn transfer_group(&self, group: &GroupId, from: &UserId, to: &UserId) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let ok = state.data.groups.get(group).is_some_and(|g| g.creator == *from && g.is_member(to));
        if ok {
            state.commit(Record::TransferGroup { id: group.clone(), to: to.clone() })?;
        }
        Ok(ok)
    }
}
