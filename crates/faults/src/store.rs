//! [`FaultyStore`]: every store trait, each call through the plan.

use std::sync::Arc;

use chat_core::group::Group;
use chat_core::ids::{ClientMsgId, ConnectionId, Conversation, GroupId, MsgId, UserId};
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

use crate::Faults;

/// A store whose calls fail as its [`Faults`] plan says.
#[derive(Debug)]
pub struct FaultyStore<S> {
    inner: S,
    faults: Arc<Faults>,
}

impl<S> FaultyStore<S> {
    /// Wraps `inner`; `faults` may be shared with the test to change the plan.
    pub fn new(inner: S, faults: Arc<Faults>) -> Self {
        Self { inner, faults }
    }

    /// The wrapped store (no faults).
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

fn store_error(i: crate::Injected) -> StoreError {
    StoreError::Unavailable(Box::new(i))
}

impl<S: ConnectionStore> ConnectionStore for FaultyStore<S> {
    async fn put_connection(&self, c: &Connection) -> Result<(), StoreError> {
        self.faults.run("put_connection", self.inner.put_connection(c), store_error).await
    }
    async fn delete_connection(&self, user: &UserId, id: &ConnectionId) -> Result<(), StoreError> {
        self.faults.run("delete_connection", self.inner.delete_connection(user, id), store_error).await
    }
    async fn put_connection_capped(&self, c: &Connection, max: usize, now_s: u64) -> Result<bool, StoreError> {
        self.faults.run("put_connection_capped", self.inner.put_connection_capped(c, max, now_s), store_error).await
    }

    async fn delete_stale_connection(
        &self,
        user: &UserId,
        id: &ConnectionId,
        connected_before_ms: u64,
    ) -> Result<bool, StoreError> {
        let deleted = self.inner.delete_stale_connection(user, id, connected_before_ms);
        self.faults.run("delete_stale_connection", deleted, store_error).await
    }

    async fn connections(&self, user: &UserId, now_s: u64) -> Result<Vec<Connection>, StoreError> {
        self.faults.run("connections", self.inner.connections(user, now_s), store_error).await
    }
}

impl<S: InboxStore> InboxStore for FaultyStore<S> {
    async fn append(&self, m: &NewMessage) -> Result<AppendOutcome, StoreError> {
        self.faults.run("append", self.inner.append(m), store_error).await
    }
    async fn sync(&self, user: &UserId, after: u64, limit: u32) -> Result<Page, StoreError> {
        self.faults.run("sync", self.inner.sync(user, after, limit), store_error).await
    }
    async fn history(
        &self,
        user: &UserId,
        conversation: &Conversation,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Page, StoreError> {
        self.faults.run("history", self.inner.history(user, conversation, before, limit), store_error).await
    }
    async fn send_bucket(&self, user: &UserId) -> Result<Option<chat_core::ratelimit::Bucket>, StoreError> {
        self.faults.run("send_bucket", self.inner.send_bucket(user), store_error).await
    }
    async fn history_after(
        &self,
        user: &UserId,
        conversation: &Conversation,
        after: u64,
        limit: u32,
    ) -> Result<Page, StoreError> {
        let page = self.inner.history_after(user, conversation, after, limit);
        self.faults.run("history_after", page, store_error).await
    }
}

impl<S: ConversationStore> ConversationStore for FaultyStore<S> {
    async fn conversations(&self, user: &UserId, before: Option<u64>, limit: u32) -> Result<SummaryPage, StoreError> {
        self.faults.run("conversations", self.inner.conversations(user, before, limit), store_error).await
    }
    async fn summaries(
        &self,
        user: &UserId,
        conversations: &[Conversation],
    ) -> Result<Vec<Option<ConversationSummary>>, StoreError> {
        self.faults.run("summaries", self.inner.summaries(user, conversations), store_error).await
    }
    async fn mark_read(
        &self,
        user: &UserId,
        conversation: &Conversation,
        up_to: u64,
    ) -> Result<ReadOutcome, StoreError> {
        self.faults.run("mark_read", self.inner.mark_read(user, conversation, up_to), store_error).await
    }
    async fn message(&self, user: &UserId, msg_id: &MsgId) -> Result<Option<InboxEntry>, StoreError> {
        self.faults.run("message", self.inner.message(user, msg_id), store_error).await
    }
}

impl<S: UploadStore> UploadStore for FaultyStore<S> {
    async fn put_upload(&self, u: &chat_core::media::Upload) -> Result<(), StoreError> {
        self.faults.run("put_upload", self.inner.put_upload(u), store_error).await
    }
    async fn uploads(
        &self,
        ids: &[chat_core::media::UploadId],
    ) -> Result<Vec<Option<chat_core::media::Upload>>, StoreError> {
        self.faults.run("uploads", self.inner.uploads(ids), store_error).await
    }
    async fn finish_upload(
        &self,
        id: &chat_core::media::UploadId,
        checked: chat_core::media::Checked,
    ) -> Result<bool, StoreError> {
        self.faults.run("finish_upload", self.inner.finish_upload(id, checked), store_error).await
    }
}

impl<S: GroupStore> GroupStore for FaultyStore<S> {
    async fn create_group(&self, g: &Group) -> Result<(), StoreError> {
        self.faults.run("create_group", self.inner.create_group(g), store_error).await
    }
    async fn group(&self, id: &GroupId) -> Result<Option<Group>, StoreError> {
        self.faults.run("group", self.inner.group(id), store_error).await
    }
    async fn create_group_once(
        &self,
        g: &Group,
        key: &ClientMsgId,
        digest: &str,
        now_ms: u64,
    ) -> Result<GroupCreated, StoreError> {
        self.faults.run("create_group_once", self.inner.create_group_once(g, key, digest, now_ms), store_error).await
    }

    async fn update_members(
        &self,
        id: &GroupId,
        added: &[UserId],
        removed: &[UserId],
    ) -> Result<MembersChange, StoreError> {
        self.faults.run("update_members", self.inner.update_members(id, added, removed), store_error).await
    }
    async fn groups_of(&self, user: &UserId) -> Result<Vec<GroupId>, StoreError> {
        self.faults.run("groups_of", self.inner.groups_of(user), store_error).await
    }

    async fn rename_group(&self, id: &GroupId, name: &str) -> Result<Option<Group>, StoreError> {
        self.faults.run("rename_group", self.inner.rename_group(id, name), store_error).await
    }

    async fn delete_group(&self, id: &GroupId) -> Result<Option<Group>, StoreError> {
        self.faults.run("delete_group", self.inner.delete_group(id), store_error).await
    }
}

impl<S: ReceiptStore> ReceiptStore for FaultyStore<S> {
    async fn received(&self, by: &UserId, msg_id: &MsgId) -> Result<Option<ReceiptUpdate>, StoreError> {
        self.faults.run("received", self.inner.received(by, msg_id), store_error).await
    }
    async fn record_receipt(
        &self,
        by: &UserId,
        target: &ReceiptUpdate,
        status: ReceiptStatus,
    ) -> Result<bool, StoreError> {
        self.faults.run("record_receipt", self.inner.record_receipt(by, target, status), store_error).await
    }
}

impl<S: PresenceStore> PresenceStore for FaultyStore<S> {
    async fn presence(&self, users: &[UserId]) -> Result<Vec<Option<PresenceState>>, StoreError> {
        self.faults.run("presence", self.inner.presence(users), store_error).await
    }
    async fn set_presence(
        &self,
        user: &UserId,
        expected: Option<PresenceState>,
        new: PresenceState,
    ) -> Result<bool, StoreError> {
        self.faults.run("set_presence", self.inner.set_presence(user, expected, new), store_error).await
    }
    async fn subscribe(&self, users: &[UserId], sub: &Subscription) -> Result<(), StoreError> {
        self.faults.run("subscribe", self.inner.subscribe(users, sub), store_error).await
    }
    async fn subscribers(&self, user: &UserId, now_s: u64) -> Result<Vec<Subscription>, StoreError> {
        self.faults.run("subscribers", self.inner.subscribers(user, now_s), store_error).await
    }
    async fn unsubscribe(&self, user: &UserId, connection: &ConnectionId) -> Result<(), StoreError> {
        self.faults.run("unsubscribe", self.inner.unsubscribe(user, connection), store_error).await
    }
}

impl<S: PushStore> PushStore for FaultyStore<S> {
    async fn put_endpoint(&self, e: &PushEndpoint) -> Result<(), StoreError> {
        self.faults.run("put_endpoint", self.inner.put_endpoint(e), store_error).await
    }
    async fn endpoints(&self, user: &UserId) -> Result<Vec<PushEndpoint>, StoreError> {
        self.faults.run("endpoints", self.inner.endpoints(user), store_error).await
    }
    async fn delete_endpoint(&self, user: &UserId, token: &str) -> Result<Option<PushEndpoint>, StoreError> {
        self.faults.run("delete_endpoint", self.inner.delete_endpoint(user, token), store_error).await
    }
    async fn claim_push(&self, key: &str, now_ms: u64) -> Result<bool, StoreError> {
        self.faults.run("claim_push", self.inner.claim_push(key, now_ms), store_error).await
    }
}

impl<S: BudgetStore> BudgetStore for FaultyStore<S> {
    async fn spend(&self, user: &UserId, route: Route, budget: &Budget, now_ms: u64) -> Result<Spend, StoreError> {
        self.faults.run("spend", self.inner.spend(user, route, budget, now_ms), store_error).await
    }
}

impl<S: AccountStore> AccountStore for FaultyStore<S> {
    async fn put_ban(&self, user: &UserId, ban: &Ban) -> Result<(), StoreError> {
        self.faults.run("put_ban", self.inner.put_ban(user, ban), store_error).await
    }

    async fn lift_ban(&self, user: &UserId) -> Result<bool, StoreError> {
        self.faults.run("lift_ban", self.inner.lift_ban(user), store_error).await
    }

    async fn ban(&self, user: &UserId, now_ms: u64) -> Result<Option<Ban>, StoreError> {
        self.faults.run("ban", self.inner.ban(user, now_ms), store_error).await
    }
}

impl<S: chat_core::store::BlockStore> chat_core::store::BlockStore for FaultyStore<S> {
    async fn block(&self, user: &UserId, other: &UserId) -> Result<chat_core::store::BlockChange, StoreError> {
        self.faults.run("block", self.inner.block(user, other), store_error).await
    }
    async fn unblock(&self, user: &UserId, other: &UserId) -> Result<bool, StoreError> {
        self.faults.run("unblock", self.inner.unblock(user, other), store_error).await
    }
    async fn blocks(&self, user: &UserId) -> Result<Vec<UserId>, StoreError> {
        self.faults.run("blocks", self.inner.blocks(user), store_error).await
    }
    async fn blockers(&self, user: &UserId, among: &[UserId]) -> Result<Vec<UserId>, StoreError> {
        self.faults.run("blockers", self.inner.blockers(user, among), store_error).await
    }
}

impl<S: chat_core::store::MuteStore> chat_core::store::MuteStore for FaultyStore<S> {
    async fn set_mute(
        &self,
        user: &UserId,
        conversation: &Conversation,
        until: Option<i64>,
    ) -> Result<bool, StoreError> {
        self.faults.run("set_mute", self.inner.set_mute(user, conversation, until), store_error).await
    }
}

impl<S: chat_core::store::ReportStore> chat_core::store::ReportStore for FaultyStore<S> {
    async fn file_report(
        &self,
        report: &chat_core::store::reports::Report,
    ) -> Result<chat_core::store::reports::Filed, StoreError> {
        self.faults.run("file_report", self.inner.file_report(report), store_error).await
    }
    async fn cases(
        &self,
        status: chat_core::store::reports::Status,
        limit: u32,
        after: Option<&str>,
    ) -> Result<chat_core::store::reports::CasePage, StoreError> {
        self.faults.run("cases", self.inner.cases(status, limit, after), store_error).await
    }
    async fn case(&self, id: &str) -> Result<Option<chat_core::store::reports::Case>, StoreError> {
        self.faults.run("case", self.inner.case(id), store_error).await
    }
    async fn resolve(
        &self,
        id: &str,
        resolution: &chat_core::store::reports::Resolution,
    ) -> Result<chat_core::store::reports::Resolved, StoreError> {
        self.faults.run("resolve", self.inner.resolve(id, resolution), store_error).await
    }
}

impl<S: ExportStore> ExportStore for FaultyStore<S> {
    async fn start_export(&self, job: &ExportJob) -> Result<ExportJob, StoreError> {
        self.faults.run("start_export", self.inner.start_export(job), store_error).await
    }
    async fn export_job(&self, user: &UserId) -> Result<Option<ExportJob>, StoreError> {
        self.faults.run("export_job", self.inner.export_job(user), store_error).await
    }
    async fn save_export(&self, job: &ExportJob) -> Result<(), StoreError> {
        self.faults.run("save_export", self.inner.save_export(job), store_error).await
    }
    async fn pending_exports(&self) -> Result<Vec<ExportJob>, StoreError> {
        self.faults.run("pending_exports", self.inner.pending_exports(), store_error).await
    }
    async fn delete_export(&self, user: &UserId) -> Result<bool, StoreError> {
        self.faults.run("delete_export", self.inner.delete_export(user), store_error).await
    }
}

impl<S: ErasureStore> ErasureStore for FaultyStore<S> {
    async fn start_deletion(&self, job: &DeletionJob) -> Result<DeletionJob, StoreError> {
        self.faults.run("start_deletion", self.inner.start_deletion(job), store_error).await
    }
    async fn deletion(&self, user: &UserId) -> Result<Option<DeletionJob>, StoreError> {
        self.faults.run("deletion", self.inner.deletion(user), store_error).await
    }
    async fn save_deletion(&self, job: &DeletionJob) -> Result<(), StoreError> {
        self.faults.run("save_deletion", self.inner.save_deletion(job), store_error).await
    }
    async fn pending_deletions(&self) -> Result<Vec<DeletionJob>, StoreError> {
        self.faults.run("pending_deletions", self.inner.pending_deletions(), store_error).await
    }
    async fn delete_inbox(&self, user: &UserId) -> Result<u64, StoreError> {
        self.faults.run("delete_inbox", self.inner.delete_inbox(user), store_error).await
    }
    async fn delete_summaries(&self, user: &UserId) -> Result<u64, StoreError> {
        self.faults.run("delete_summaries", self.inner.delete_summaries(user), store_error).await
    }
    async fn forget_entries(
        &self,
        user: &UserId,
        entries: &[chat_core::message::InboxEntry],
        now_ms: u64,
    ) -> Result<u64, StoreError> {
        self.faults.run("forget_entries", self.inner.forget_entries(user, entries, now_ms), store_error).await
    }
    async fn delete_uploads(&self, ids: &[chat_core::media::UploadId]) -> Result<u64, StoreError> {
        self.faults.run("delete_uploads", self.inner.delete_uploads(ids), store_error).await
    }
    async fn delete_presence(&self, user: &UserId) -> Result<u64, StoreError> {
        self.faults.run("delete_presence", self.inner.delete_presence(user), store_error).await
    }
    async fn forget_limits(&self, user: &UserId, now_ms: u64) -> Result<u64, StoreError> {
        self.faults.run("forget_limits", self.inner.forget_limits(user, now_ms), store_error).await
    }
    async fn blocked_by(&self, user: &UserId) -> Result<Vec<UserId>, StoreError> {
        self.faults.run("blocked_by", self.inner.blocked_by(user), store_error).await
    }
    async fn reports_by(&self, user: &UserId) -> Result<Vec<String>, StoreError> {
        self.faults.run("reports_by", self.inner.reports_by(user), store_error).await
    }
    async fn withdraw_report(&self, case: &str, user: &UserId) -> Result<bool, StoreError> {
        self.faults.run("withdraw_report", self.inner.withdraw_report(case, user), store_error).await
    }
    async fn stored_mentions(&self, needle: &str) -> Result<Vec<String>, StoreError> {
        self.faults.run("stored_mentions", self.inner.stored_mentions(needle), store_error).await
    }
    async fn transfer_group(&self, group: &GroupId, from: &UserId, to: &UserId) -> Result<bool, StoreError> {
        self.faults.run("transfer_group", self.inner.transfer_group(group, from, to), store_error).await
    }
}
