//! The devserver's DynamoDB stream: [`Observed`] wraps the store every handler uses and,
//! after each write that the deployed stack's streams would carry to the events function,
//! hands the same change (`chat_core::events::Change`) to the [`EventLog`], which builds
//! the event with the same function (`event_of`). So the devserver publishes what AWS
//! publishes, on the embedded store and on `--dynamodb` alike.

use std::sync::Arc;

use chat_core::events::{Change, canonical_holder};
use chat_core::group::Group;
use chat_core::ids::{ClientMsgId, ConnectionId, Conversation, GroupId, MsgId, UserId};
use chat_core::media::{Checked, Upload, UploadId};
use chat_core::message::{
    AppendOutcome, ConversationSummary, InboxEntry, NewMessage, ReadOutcome, ReceiptUpdate, SummaryPage,
};
use chat_core::presence::PresenceState;
use chat_core::protocol::ReceiptStatus;
use chat_core::push::PushEndpoint;
use chat_core::ratelimit::{Budget, Route};
use chat_core::store::{
    AccountStore, Ban, BudgetStore, Connection, ConnectionStore, ConversationStore, DeletionJob, ErasureStore,
    ExportJob, ExportStore, GroupCreated, GroupStore, InboxStore, MembersChange, Page, PresenceStore, PushStore,
    ReceiptStore, Spend, StoreError, Subscription, UploadStore,
};

use crate::event_log::EventLog;

/// A store whose writes are also published as events.
#[derive(Clone)]
pub struct Observed<S> {
    inner: S,
    log: Arc<EventLog>,
}

impl<S> Observed<S> {
    /// Wraps `inner`; changes go to `log`.
    pub fn new(inner: S, log: Arc<EventLog>) -> Self {
        Self { inner, log }
    }
}

impl<S: ConnectionStore> ConnectionStore for Observed<S> {
    async fn put_connection(&self, c: &Connection) -> Result<(), StoreError> {
        self.inner.put_connection(c).await
    }
    async fn put_connection_capped(&self, c: &Connection, max: usize, now_s: u64) -> Result<bool, StoreError> {
        self.inner.put_connection_capped(c, max, now_s).await
    }
    async fn delete_connection(&self, user: &UserId, id: &ConnectionId) -> Result<(), StoreError> {
        self.inner.delete_connection(user, id).await
    }
    async fn delete_stale_connection(&self, user: &UserId, id: &ConnectionId, before: u64) -> Result<bool, StoreError> {
        self.inner.delete_stale_connection(user, id, before).await
    }
    async fn connections(&self, user: &UserId, now_s: u64) -> Result<Vec<Connection>, StoreError> {
        self.inner.connections(user, now_s).await
    }
}

impl<S: InboxStore> InboxStore for Observed<S> {
    async fn append(&self, m: &NewMessage) -> Result<AppendOutcome, StoreError> {
        let outcome = self.inner.append(m).await?;
        // Notices are not events of their own (their group change is), as in AWS, where
        // they write no idempotency record.
        if let AppendOutcome::Stored { ack, seqs } = &outcome
            && !m.is_notice()
            && let Some((_, seq)) = canonical_holder(m.from.as_str(), seqs)
        {
            let stored = NewMessage { msg_id: ack.msg_id.clone(), ts: ack.ts, ..m.clone() };
            self.log.record(Change::Message { entry: stored.entry_at(*seq), seqs: seqs.clone() });
        }
        Ok(outcome)
    }
    async fn sync(&self, user: &UserId, after: u64, limit: u32) -> Result<Page, StoreError> {
        self.inner.sync(user, after, limit).await
    }
    async fn history(
        &self,
        user: &UserId,
        conversation: &Conversation,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Page, StoreError> {
        self.inner.history(user, conversation, before, limit).await
    }
    async fn send_bucket(&self, user: &UserId) -> Result<Option<chat_core::ratelimit::Bucket>, StoreError> {
        self.inner.send_bucket(user).await
    }
    async fn history_after(
        &self,
        user: &UserId,
        conversation: &Conversation,
        after: u64,
        limit: u32,
    ) -> Result<Page, StoreError> {
        self.inner.history_after(user, conversation, after, limit).await
    }
}

impl<S: ConversationStore> ConversationStore for Observed<S> {
    async fn conversations(&self, user: &UserId, before: Option<u64>, limit: u32) -> Result<SummaryPage, StoreError> {
        self.inner.conversations(user, before, limit).await
    }
    async fn summaries(
        &self,
        user: &UserId,
        conversations: &[Conversation],
    ) -> Result<Vec<Option<ConversationSummary>>, StoreError> {
        self.inner.summaries(user, conversations).await
    }
    async fn mark_read(&self, user: &UserId, c: &Conversation, up_to: u64) -> Result<ReadOutcome, StoreError> {
        self.inner.mark_read(user, c, up_to).await
    }
    async fn message(&self, user: &UserId, msg_id: &MsgId) -> Result<Option<InboxEntry>, StoreError> {
        self.inner.message(user, msg_id).await
    }
}

impl<S: UploadStore> UploadStore for Observed<S> {
    async fn put_upload(&self, u: &Upload) -> Result<(), StoreError> {
        self.inner.put_upload(u).await
    }
    async fn uploads(&self, ids: &[UploadId]) -> Result<Vec<Option<Upload>>, StoreError> {
        self.inner.uploads(ids).await
    }
    async fn finish_upload(&self, id: &UploadId, checked: Checked) -> Result<bool, StoreError> {
        self.inner.finish_upload(id, checked).await
    }
}

impl<S: GroupStore> GroupStore for Observed<S> {
    async fn create_group(&self, g: &Group) -> Result<(), StoreError> {
        self.inner.create_group(g).await?;
        self.log.record(Change::GroupCreated(g.clone()));
        Ok(())
    }
    async fn create_group_once(
        &self,
        g: &Group,
        key: &ClientMsgId,
        digest: &str,
        now_ms: u64,
    ) -> Result<GroupCreated, StoreError> {
        let created = self.inner.create_group_once(g, key, digest, now_ms).await?;
        if created == GroupCreated::New {
            self.log.record(Change::GroupCreated(g.clone()));
        }
        Ok(created)
    }
    async fn group(&self, id: &GroupId) -> Result<Option<Group>, StoreError> {
        self.inner.group(id).await
    }
    async fn update_members(
        &self,
        id: &GroupId,
        added: &[UserId],
        removed: &[UserId],
    ) -> Result<MembersChange, StoreError> {
        let change = self.inner.update_members(id, added, removed).await?;
        if change == MembersChange::Done
            && let Some(group) = self.inner.group(id).await?
        {
            self.log.record(Change::MembersChanged { group, added: added.to_vec(), removed: removed.to_vec() });
        }
        Ok(change)
    }
    async fn groups_of(&self, user: &UserId) -> Result<Vec<GroupId>, StoreError> {
        self.inner.groups_of(user).await
    }
    async fn rename_group(&self, id: &GroupId, name: &str) -> Result<Option<Group>, StoreError> {
        let renamed = self.inner.rename_group(id, name).await?;
        if let Some(g) = &renamed {
            self.log.record(Change::GroupRenamed(g.clone()));
        }
        Ok(renamed)
    }
    async fn delete_group(&self, id: &GroupId) -> Result<Option<Group>, StoreError> {
        let deleted = self.inner.delete_group(id).await?;
        if let Some(g) = &deleted {
            self.log.record(Change::GroupDeleted(Group { members: Vec::new(), ..g.clone() }));
        }
        Ok(deleted)
    }
}

impl<S: ReceiptStore> ReceiptStore for Observed<S> {
    async fn received(&self, by: &UserId, msg_id: &MsgId) -> Result<Option<ReceiptUpdate>, StoreError> {
        self.inner.received(by, msg_id).await
    }
    async fn record_receipt(&self, by: &UserId, t: &ReceiptUpdate, s: ReceiptStatus) -> Result<bool, StoreError> {
        self.inner.record_receipt(by, t, s).await
    }
}

impl<S: PresenceStore> PresenceStore for Observed<S> {
    async fn presence(&self, users: &[UserId]) -> Result<Vec<Option<PresenceState>>, StoreError> {
        self.inner.presence(users).await
    }
    async fn set_presence(
        &self,
        user: &UserId,
        expected: Option<PresenceState>,
        new: PresenceState,
    ) -> Result<bool, StoreError> {
        self.inner.set_presence(user, expected, new).await
    }
    async fn subscribe(&self, users: &[UserId], sub: &Subscription) -> Result<(), StoreError> {
        self.inner.subscribe(users, sub).await
    }
    async fn subscribers(&self, user: &UserId, now_s: u64) -> Result<Vec<Subscription>, StoreError> {
        self.inner.subscribers(user, now_s).await
    }
    async fn unsubscribe(&self, user: &UserId, connection: &ConnectionId) -> Result<(), StoreError> {
        self.inner.unsubscribe(user, connection).await
    }
}

impl<S: PushStore> PushStore for Observed<S> {
    async fn put_endpoint(&self, e: &PushEndpoint) -> Result<(), StoreError> {
        self.inner.put_endpoint(e).await
    }
    async fn endpoints(&self, user: &UserId) -> Result<Vec<PushEndpoint>, StoreError> {
        self.inner.endpoints(user).await
    }
    async fn delete_endpoint(&self, user: &UserId, token: &str) -> Result<Option<PushEndpoint>, StoreError> {
        self.inner.delete_endpoint(user, token).await
    }
    async fn claim_push(&self, key: &str, now_ms: u64) -> Result<bool, StoreError> {
        self.inner.claim_push(key, now_ms).await
    }
}

impl<S: BudgetStore> BudgetStore for Observed<S> {
    async fn spend(&self, user: &UserId, route: Route, budget: &Budget, now_ms: u64) -> Result<Spend, StoreError> {
        self.inner.spend(user, route, budget, now_ms).await
    }
}

impl<S: AccountStore> AccountStore for Observed<S> {
    async fn put_ban(&self, user: &UserId, ban: &Ban) -> Result<(), StoreError> {
        self.inner.put_ban(user, ban).await?;
        // A tombstone is no ban (its `account.deleted` comes from the deletion job).
        if !ban.deleted {
            self.log.record(Change::Banned { user: user.clone(), ban: ban.clone() });
        }
        Ok(())
    }
    async fn lift_ban(&self, user: &UserId) -> Result<bool, StoreError> {
        let tombstone = self.inner.ban(user, 0).await?.is_some_and(|b| b.deleted);
        let lifted = self.inner.lift_ban(user).await?;
        if lifted && !tombstone {
            self.log.record(Change::Unbanned { user: user.clone() });
        }
        Ok(lifted)
    }
    async fn ban(&self, user: &UserId, now_ms: u64) -> Result<Option<Ban>, StoreError> {
        self.inner.ban(user, now_ms).await
    }
}

impl<S: chat_core::store::BlockStore> chat_core::store::BlockStore for Observed<S> {
    async fn block(&self, user: &UserId, other: &UserId) -> Result<chat_core::store::BlockChange, StoreError> {
        self.inner.block(user, other).await
    }
    async fn unblock(&self, user: &UserId, other: &UserId) -> Result<bool, StoreError> {
        self.inner.unblock(user, other).await
    }
    async fn blocks(&self, user: &UserId) -> Result<Vec<UserId>, StoreError> {
        self.inner.blocks(user).await
    }
    async fn blockers(&self, user: &UserId, among: &[UserId]) -> Result<Vec<UserId>, StoreError> {
        self.inner.blockers(user, among).await
    }
}

impl<S: chat_core::store::MuteStore> chat_core::store::MuteStore for Observed<S> {
    async fn set_mute(
        &self,
        user: &UserId,
        conversation: &Conversation,
        until: Option<i64>,
    ) -> Result<bool, StoreError> {
        self.inner.set_mute(user, conversation, until).await
    }
}

impl<S: chat_core::store::ReportStore> chat_core::store::ReportStore for Observed<S> {
    async fn file_report(
        &self,
        report: &chat_core::store::reports::Report,
    ) -> Result<chat_core::store::reports::Filed, StoreError> {
        let filed = self.inner.file_report(report).await?;
        if let chat_core::store::reports::Filed::New(_) = &filed {
            self.log.record(Change::ReportCreated(report.clone()));
        }
        Ok(filed)
    }
    async fn cases(
        &self,
        status: chat_core::store::reports::Status,
        limit: u32,
        after: Option<&str>,
    ) -> Result<chat_core::store::reports::CasePage, StoreError> {
        self.inner.cases(status, limit, after).await
    }
    async fn case(&self, id: &str) -> Result<Option<chat_core::store::reports::Case>, StoreError> {
        self.inner.case(id).await
    }
    async fn resolve(
        &self,
        id: &str,
        resolution: &chat_core::store::reports::Resolution,
    ) -> Result<chat_core::store::reports::Resolved, StoreError> {
        let resolved = self.inner.resolve(id, resolution).await?;
        if let chat_core::store::reports::Resolved::Done(case) = &resolved {
            self.log.record(Change::ReportResolved((**case).clone()));
        }
        Ok(resolved)
    }
}

impl<S: ExportStore> ExportStore for Observed<S> {
    async fn start_export(&self, job: &ExportJob) -> Result<ExportJob, StoreError> {
        self.inner.start_export(job).await
    }
    async fn export_job(&self, user: &UserId) -> Result<Option<ExportJob>, StoreError> {
        self.inner.export_job(user).await
    }
    async fn save_export(&self, job: &ExportJob) -> Result<(), StoreError> {
        self.inner.save_export(job).await?;
        if job.done() {
            self.log.record(Change::AccountExported(job.clone()));
        }
        Ok(())
    }
    async fn pending_exports(&self) -> Result<Vec<ExportJob>, StoreError> {
        self.inner.pending_exports().await
    }
    async fn delete_export(&self, user: &UserId) -> Result<bool, StoreError> {
        self.inner.delete_export(user).await
    }
}

impl<S: ErasureStore> ErasureStore for Observed<S> {
    async fn start_deletion(&self, job: &DeletionJob) -> Result<DeletionJob, StoreError> {
        self.inner.start_deletion(job).await
    }
    async fn deletion(&self, user: &UserId) -> Result<Option<DeletionJob>, StoreError> {
        self.inner.deletion(user).await
    }
    async fn save_deletion(&self, job: &DeletionJob) -> Result<(), StoreError> {
        self.inner.save_deletion(job).await?;
        if job.done() {
            self.log.record(Change::AccountDeleted(job.clone()));
        }
        Ok(())
    }
    async fn pending_deletions(&self) -> Result<Vec<DeletionJob>, StoreError> {
        self.inner.pending_deletions().await
    }
    async fn delete_inbox(&self, user: &UserId) -> Result<u64, StoreError> {
        self.inner.delete_inbox(user).await
    }
    async fn delete_summaries(&self, user: &UserId) -> Result<u64, StoreError> {
        self.inner.delete_summaries(user).await
    }
    async fn forget_entries(
        &self,
        user: &UserId,
        entries: &[chat_core::message::InboxEntry],
        now_ms: u64,
    ) -> Result<u64, StoreError> {
        self.inner.forget_entries(user, entries, now_ms).await
    }
    async fn delete_uploads(&self, ids: &[UploadId]) -> Result<u64, StoreError> {
        self.inner.delete_uploads(ids).await
    }
    async fn delete_presence(&self, user: &UserId) -> Result<u64, StoreError> {
        self.inner.delete_presence(user).await
    }
    async fn forget_limits(&self, user: &UserId, now_ms: u64) -> Result<u64, StoreError> {
        self.inner.forget_limits(user, now_ms).await
    }
    async fn blocked_by(&self, user: &UserId) -> Result<Vec<UserId>, StoreError> {
        self.inner.blocked_by(user).await
    }
    async fn reports_by(&self, user: &UserId) -> Result<Vec<String>, StoreError> {
        self.inner.reports_by(user).await
    }
    async fn withdraw_report(&self, case: &str, user: &UserId) -> Result<bool, StoreError> {
        self.inner.withdraw_report(case, user).await
    }
    async fn stored_mentions(&self, needle: &str) -> Result<Vec<String>, StoreError> {
        self.inner.stored_mentions(needle).await
    }
    async fn transfer_group(&self, group: &GroupId, from: &UserId, to: &UserId) -> Result<bool, StoreError> {
        self.inner.transfer_group(group, from, to).await
    }
}
