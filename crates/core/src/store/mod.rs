//! Storage traits: narrow, one per concern, so a handler asks only for what it uses.
//! Implementations: [`memory::MemoryStore`] (in-memory, optionally journaled to disk for the
//! devserver) here, and DynamoDB in `chat-dynamo`. [`conformance`] holds the one test suite
//! every implementation must pass.

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::BoxError;
use crate::group::Group;
use crate::ids::{ClientMsgId, ConnectionId, Conversation, DeviceId, GroupId, MsgId, UserId};
use crate::message::{
    AppendOutcome, ConversationSummary, InboxEntry, NewMessage, ReadOutcome, ReceiptUpdate, SummaryPage,
};
use crate::presence::PresenceState;
use crate::protocol::ReceiptStatus;
use crate::push::PushEndpoint;
use crate::ratelimit::{Budget, Route};

mod accounts;
pub mod blocks;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
pub mod erasure;
pub mod export;
mod journal;
pub mod memory;
pub mod reports;

pub use accounts::{AccountStore, Ban};
pub use blocks::{BlockChange, BlockStore, MAX_BLOCKS};
pub use erasure::{DeletionJob, ErasureStore, Step};
pub use export::{ExportJob, ExportStore};
pub use reports::ReportStore;

/// Why a store call failed. The caller answers `internal`; the request may be retried.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend could not be reached, refused, or throttled beyond the retry budget.
    #[error("store unavailable")]
    Unavailable(#[source] BoxError),
    /// Too many concurrent writers on the same item; retry later.
    #[error("store contention: retries exhausted")]
    Contention,
    /// Stored data could not be read back into domain types.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// A live WebSocket connection of a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// Who is connected.
    pub user: UserId,
    /// The gateway's connection id.
    pub connection_id: ConnectionId,
    /// The device, if the client named one.
    pub device: Option<DeviceId>,
    /// When it connected, ms since the epoch.
    pub connected_at: u64,
    /// When the record may be dropped (s since the epoch): a little past the gateway's
    /// 2-hour connection limit, because `$disconnect` is best effort.
    pub expires_at: u64,
}

/// A page of inbox entries and where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    /// The entries (ascending for sync, descending for history).
    pub entries: Vec<InboxEntry>,
    /// The cursor for the next page, if there is more.
    pub next: Option<u64>,
    /// Set by `sync` when entries after its `after` expired (`crate::retention`): the
    /// smallest seq the inbox still keeps (this page's first entry); the entries from
    /// `after + 1` to `oldest - 1` are gone for good.
    pub oldest: Option<u64>,
}

/// Live connections, keyed by user so the send path finds them with one query.
pub trait ConnectionStore: Send + Sync {
    /// Records a connection (overwriting one with the same id).
    fn put_connection(&self, c: &Connection) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Records a connection only if its user has fewer than `max` live ones (expired
    /// records, at `now_s`, do not count); check and write are one atomic step, so
    /// concurrent handshakes can never exceed the cap. Returns whether it was recorded.
    fn put_connection_capped(
        &self,
        c: &Connection,
        max: usize,
        now_s: u64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Forgets a connection; forgetting an unknown one is not an error.
    fn delete_connection(
        &self,
        user: &UserId,
        id: &ConnectionId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Forgets a connection that `@connections` reported gone, but only if it connected
    /// before `connected_before_ms` (checked and deleted in one conditional step): a post
    /// can reach a connection whose `$connect` wrote its record before the socket went
    /// live, and that 410 must not delete the record of a connection about to be used.
    /// Returns whether it deleted.
    fn delete_stale_connection(
        &self,
        user: &UserId,
        id: &ConnectionId,
        connected_before_ms: u64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// A user's live connections (strongly consistent), expired records left out.
    fn connections(
        &self,
        user: &UserId,
        now_s: u64,
    ) -> impl Future<Output = Result<Vec<Connection>, StoreError>> + Send;
}

/// Per-user inboxes with gap-free seqs.
pub trait InboxStore: Send + Sync {
    /// Stores `m` for every participant atomically: each gets the next seq of its own
    /// inbox, its conversation summary moves with it, and the `(from, clientMsgId)`
    /// idempotency record is written in the same step. Either everything is stored, or
    /// nothing (and no seq is used up). A repeat within 24 hours returns
    /// [`AppendOutcome::Duplicate`] with the first ack.
    ///
    /// A message with attachments marks each one's upload used by it in the same step,
    /// only if it is the sender's, for this conversation, ready and not used by another
    /// message ([`AppendOutcome::AttachmentRefused`] otherwise, and nothing is stored).
    ///
    /// An edit or delete (`m.amends`) does the same for the participants who hold message
    /// `m.msg_id` (an update entry at the next seq), and changes that message in place in
    /// their inboxes; [`AppendOutcome::NotFound`] when the sender no longer holds it or it
    /// was deleted.
    fn append(&self, m: &NewMessage) -> impl Future<Output = Result<AppendOutcome, StoreError>> + Send;
    /// Entries of `user` with `seq > after`, ascending, at most `limit`.
    fn sync(&self, user: &UserId, after: u64, limit: u32) -> impl Future<Output = Result<Page, StoreError>> + Send;
    /// Entries of `user` in `conversation` with `seq < before` (all when `None`), newest
    /// first, at most `limit`; never reads the rest of the inbox.
    fn history(
        &self,
        user: &UserId,
        conversation: &Conversation,
        before: Option<u64>,
        limit: u32,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send;
    /// `user`'s send bucket as its inbox carries it now (`None`: never charged): one read,
    /// for refusing a request whose bucket is already empty before anything else is read.
    fn send_bucket(
        &self,
        user: &UserId,
    ) -> impl Future<Output = Result<Option<crate::ratelimit::Bucket>, StoreError>> + Send;
    /// Messages of `user` in `conversation` with `seq > after`: the `limit` nearest to it,
    /// newest first; `next` is set (the page's newest seq) when newer ones remain. Update
    /// entries are left out, as in `history`.
    fn history_after(
        &self,
        user: &UserId,
        conversation: &Conversation,
        after: u64,
        limit: u32,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send;
}

/// Each user's conversation list, kept exact by every append (in the same atomic step).
pub trait ConversationStore: Send + Sync {
    /// `user`'s conversations, most recent activity first, at most `limit`, starting after
    /// the cursor `before` (a previous page's `next`).
    fn conversations(
        &self,
        user: &UserId,
        before: Option<u64>,
        limit: u32,
    ) -> impl Future<Output = Result<SummaryPage, StoreError>> + Send;
    /// `user`'s summaries of each of `conversations` (`None`: no entry in it), in order.
    fn summaries(
        &self,
        user: &UserId,
        conversations: &[Conversation],
    ) -> impl Future<Output = Result<Vec<Option<ConversationSummary>>, StoreError>> + Send;
    /// Moves `user`'s read marker in `conversation` forward to `up_to` (clamped to the
    /// conversation's last seq) and recounts its unread messages; never moves it back.
    /// Concurrent appends cannot make the count wrong.
    fn mark_read(
        &self,
        user: &UserId,
        conversation: &Conversation,
        up_to: u64,
    ) -> impl Future<Output = Result<ReadOutcome, StoreError>> + Send;
    /// The message `msg_id` as it stands in `user`'s inbox (its latest state), if `user`
    /// holds it.
    fn message(
        &self,
        user: &UserId,
        msg_id: &MsgId,
    ) -> impl Future<Output = Result<Option<InboxEntry>, StoreError>> + Send;
}

/// Mutes: a user's choice to get no push for one of its conversations, kept on the
/// conversation's summary (so `conversations` shows it and the push path reads it there).
pub trait MuteStore: Send + Sync {
    /// Mutes `user`'s `conversation` until `until` (ms; `-1`: until unmuted), or unmutes it
    /// (`None`). Returns `false` when `user` has no such conversation.
    fn set_mute(
        &self,
        user: &UserId,
        conversation: &Conversation,
        until: Option<i64>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// Uploads of attachments: handed out by `upload`, checked by the media function, attached
/// once by `send` (inside the append: see [`InboxStore::append`]).
pub trait UploadStore: Send + Sync {
    /// Records a new upload (pending).
    fn put_upload(&self, u: &crate::media::Upload) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The uploads with these ids (`None`: unknown or expired), in order.
    fn uploads(
        &self,
        ids: &[crate::media::UploadId],
    ) -> impl Future<Output = Result<Vec<Option<crate::media::Upload>>, StoreError>> + Send;
    /// Records what checking the bytes found, only while the upload is pending (a repeat of
    /// the same storage event changes nothing). Returns whether it changed.
    fn finish_upload(
        &self,
        id: &crate::media::UploadId,
        checked: crate::media::Checked,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// What creating a group under an idempotency key came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupCreated {
    /// Created now.
    New,
    /// The key was used for the same group within 24 hours: that group, not a new one.
    Existing(GroupId),
    /// The key was used within 24 hours for a different group (name or members).
    Conflict,
}

/// What an atomic membership change came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembersChange {
    /// Applied.
    Done,
    /// The group changed since it was read (or is gone): nothing was applied.
    Stale,
    /// The group would exceed its cap: nothing was applied.
    TooLarge,
}

/// Groups and their members, partitioned by group id, with a per-user index.
pub trait GroupStore: Send + Sync {
    /// Stores a new group with its members.
    fn create_group(&self, g: &Group) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Creates `g` once per `(creator, key)` within 24 hours: a repeat with the same
    /// `digest` gets the first group, one with another digest is a conflict. The claim and
    /// the creation hold under concurrent repeats: one group at most.
    fn create_group_once(
        &self,
        g: &Group,
        key: &ClientMsgId,
        digest: &str,
        now_ms: u64,
    ) -> impl Future<Output = Result<GroupCreated, StoreError>> + Send;
    /// A group with its current members (strongly consistent), if it exists.
    fn group(&self, id: &GroupId) -> impl Future<Output = Result<Option<Group>, StoreError>> + Send;
    /// Adds and removes members in one atomic step, checked against the group as stored
    /// (not a snapshot the caller read): nothing changes if a user to add is already a
    /// member or one to remove is not ([`MembersChange::Stale`]: read again and re-plan),
    /// or if the group would have more than `MAX_GROUP_MEMBERS` ([`MembersChange::TooLarge`]).
    /// Concurrent changes can therefore never push a group past its cap.
    fn update_members(
        &self,
        id: &GroupId,
        added: &[UserId],
        removed: &[UserId],
    ) -> impl Future<Output = Result<MembersChange, StoreError>> + Send;
    /// The groups `user` is a member of, without a scan.
    fn groups_of(&self, user: &UserId) -> impl Future<Output = Result<Vec<GroupId>, StoreError>> + Send;
    /// Renames a group; returns it as it now is (`None`: no such group).
    fn rename_group(&self, id: &GroupId, name: &str) -> impl Future<Output = Result<Option<Group>, StoreError>> + Send;
    /// Deletes a group with all its members; returns it as it was (`None`: no such group).
    /// Its messages stay in the members' inboxes.
    fn delete_group(&self, id: &GroupId) -> impl Future<Output = Result<Option<Group>, StoreError>> + Send;
}

/// Delivery and read receipts, kept on the sender's own inbox entry.
pub trait ReceiptStore: Send + Sync {
    /// The message `msg_id` as `by` received it: its sender and conversation. `None` when
    /// `by`'s inbox does not hold it, or `by` sent it, or it is a `system` notice: receipts
    /// only count for messages received from someone else.
    fn received(
        &self,
        by: &UserId,
        msg_id: &MsgId,
    ) -> impl Future<Output = Result<Option<ReceiptUpdate>, StoreError>> + Send;
    /// Moves `by`'s status on the sender's entry of `target` forward to `status`
    /// (`delivered` -> `read`, never back). Returns whether it changed.
    fn record_receipt(
        &self,
        by: &UserId,
        target: &ReceiptUpdate,
        status: ReceiptStatus,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// A connection's interest in a user's presence, until the connection expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// Who watches.
    pub subscriber: UserId,
    /// On which connection.
    pub connection_id: ConnectionId,
    /// When the subscription lapses (s): the connection's own expiry.
    pub expires_at: u64,
}

/// Announced presence and who watches it, keyed by the watched user: no scans.
pub trait PresenceStore: Send + Sync {
    /// The announced state of each of `users` (`None`: never seen), in order.
    fn presence(&self, users: &[UserId])
    -> impl Future<Output = Result<Vec<Option<PresenceState>>, StoreError>> + Send;
    /// Sets `user`'s announced state if it still is `expected` (compare-and-set, so two
    /// concurrent deciders announce once). Returns whether it was set.
    fn set_presence(
        &self,
        user: &UserId,
        expected: Option<PresenceState>,
        new: PresenceState,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Subscribes a connection to each of `users`.
    fn subscribe(&self, users: &[UserId], sub: &Subscription) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The live subscriptions to `user`'s presence.
    fn subscribers(
        &self,
        user: &UserId,
        now_s: u64,
    ) -> impl Future<Output = Result<Vec<Subscription>, StoreError>> + Send;
    /// Drops one subscription (its connection is gone).
    fn unsubscribe(
        &self,
        user: &UserId,
        connection: &ConnectionId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Registered push devices, and the marks that stop a push being sent twice.
pub trait PushStore: Send + Sync {
    /// Records a device for its user. A device token has one owner: registering it moves
    /// it from whoever had it (whose pushes stop going there), atomically, so concurrent
    /// registrations of one token leave it with exactly one user.
    fn put_endpoint(&self, e: &PushEndpoint) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// A user's devices.
    fn endpoints(&self, user: &UserId) -> impl Future<Output = Result<Vec<PushEndpoint>, StoreError>> + Send;
    /// Forgets a device; returns it if it was there.
    fn delete_endpoint(
        &self,
        user: &UserId,
        token: &str,
    ) -> impl Future<Output = Result<Option<PushEndpoint>, StoreError>> + Send;
    /// Claims `key` (a push of one message to one user) at `now_ms`; true only for the
    /// first claim within 24 hours.
    fn claim_push(&self, key: &str, now_ms: u64) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// Whether a request fit in its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spend {
    /// Counted; go ahead.
    Allowed,
    /// Over the budget; nothing was counted.
    Refused {
        /// When the next window opens, ms from now.
        retry_after_ms: u64,
    },
}

/// Per-user request budgets (`ratelimit::Budget`), shared by all of a user's connections
/// and every function instance.
pub trait BudgetStore: Send + Sync {
    /// Counts one request of `user` on `route` at `now_ms`, unless the window's budget is
    /// spent; check and count are one atomic step, so concurrent requests cannot overspend.
    fn spend(
        &self,
        user: &UserId,
        route: Route,
        budget: &Budget,
        now_ms: u64,
    ) -> impl Future<Output = Result<Spend, StoreError>> + Send;
}

/// Everything the chat functions need from storage.
pub trait Store:
    ConnectionStore
    + InboxStore
    + ConversationStore
    + UploadStore
    + GroupStore
    + ReceiptStore
    + PresenceStore
    + PushStore
    + BudgetStore
    + AccountStore
    + BlockStore
    + MuteStore
    + ReportStore
    + ErasureStore
    + ExportStore
{
}
impl<
    T: ConnectionStore
        + InboxStore
        + ConversationStore
        + UploadStore
        + GroupStore
        + ReceiptStore
        + PresenceStore
        + PushStore
        + BudgetStore
        + AccountStore
        + BlockStore
        + MuteStore
        + ReportStore
        + ErasureStore
        + ExportStore,
> Store for T
{
}
