//! An in-process store: the devserver's default. With a data dir it journals every change
//! (see `journal`) and replays the journal on start, so history survives restarts.
//!
//! One `std::sync::Mutex` guards all state: every operation is a few map lookups with no
//! `.await` inside, so a blocking lock held for microseconds is cheaper than an async one
//! and makes each append trivially atomic across all participants.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

mod accounts;
mod blocks;
mod erasure;
mod export;
mod reports;
mod retention;
mod snapshot;
mod social;

use super::journal::Journal;
use super::{
    Connection, ConnectionStore, ConversationStore, GroupCreated, GroupStore, InboxStore, MembersChange, Page,
    ReceiptStore, StoreError,
};
use crate::group::Group;
use crate::ids::{ClientMsgId, ConnectionId, Conversation, GroupId, MsgId, UserId};
use crate::message::{
    AppendOutcome, ConversationSummary, IDEMPOTENCY_TTL_MS, InboxEntry, NewMessage, ReadOutcome, ReceiptUpdate,
    StoredAck, SummaryPage,
};
use crate::protocol::MAX_GROUP_MEMBERS;
use crate::protocol::ReceiptStatus;

/// The journal's file name inside the data dir.
pub const JOURNAL_FILE: &str = "journal.jsonl";

#[derive(Debug, Default)]
struct Inbox {
    /// `entries[i].seq == i + 1`, always.
    entries: Vec<InboxEntry>,
    /// Seqs of each conversation, ascending: history without a scan.
    by_conversation: HashMap<Conversation, Vec<u64>>,
    /// `expires[i]`: the expiry (s) of `entries[i]`, if it has one (`retention`).
    expires: Vec<Option<u64>>,
}

#[derive(Debug, Default)]
struct Data {
    connections: HashMap<UserId, BTreeMap<ConnectionId, Connection>>,
    inboxes: HashMap<UserId, Inbox>,
    idempotency: HashMap<(UserId, ClientMsgId), StoredAck>,
    /// Where each message sits in each participant's inbox: receipts without a scan.
    by_msg: HashMap<MsgId, Vec<(UserId, u64)>>,
    /// Each user's conversation summaries (derived from the appends and read markers,
    /// so replaying the journal rebuilds them).
    summaries: HashMap<UserId, HashMap<Conversation, ConversationSummary>>,
    uploads: HashMap<crate::media::UploadId, crate::media::Upload>,
    groups: HashMap<GroupId, Group>,
    /// `group.create` idempotency: (creator, clientMsgId) -> (group, digest, ts).
    group_claims: HashMap<(UserId, ClientMsgId), (GroupId, String, u64)>,
    member_of: HashMap<UserId, BTreeSet<GroupId>>,
    presence: HashMap<UserId, crate::presence::PresenceState>,
    /// Subscriptions are not journaled: they die with their connections.
    subscriptions: HashMap<UserId, BTreeMap<ConnectionId, super::Subscription>>,
    endpoints: HashMap<UserId, BTreeMap<String, crate::push::PushEndpoint>>,
    /// Who each device token belongs to (one owner per token).
    token_owner: HashMap<String, UserId>,
    /// Push claims are not journaled: a restart may at worst repeat one notification.
    push_claims: HashMap<String, u64>,
    /// Send buckets and request budgets are not journaled: a restart refills them.
    buckets: HashMap<UserId, crate::ratelimit::Bucket>,
    budgets: HashMap<(UserId, crate::ratelimit::Route, u64), u32>,
    bans: HashMap<UserId, super::Ban>,
    /// Who each user blocks.
    blocks: HashMap<UserId, BTreeSet<UserId>>,
    /// Every (message, reporter) reported.
    reports: std::collections::HashSet<(String, UserId)>,
    /// The moderation queue, by case id.
    cases: HashMap<String, crate::store::reports::Case>,
    /// Account deletions, the latest per user.
    deletions: HashMap<UserId, crate::store::DeletionJob>,
    /// Account exports, the latest per user.
    exports: HashMap<UserId, crate::store::ExportJob>,
}

/// A journal line: a change that has been decided, replayed verbatim on open.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Record {
    Append {
        message: NewMessage,
        seqs: Vec<(UserId, u64)>,
        /// When its entries expire (s; `crate::retention`), kept so a replay keeps it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_at: Option<u64>,
    },
    CreateGroup {
        group: Group,
        /// The creator's idempotency claim: `(clientMsgId, digest, ts)`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        claim: Option<(ClientMsgId, String, u64)>,
    },
    UpdateMembers {
        id: GroupId,
        added: Vec<UserId>,
        removed: Vec<UserId>,
    },
    Receipt {
        user: UserId,
        seq: u64,
        by: UserId,
        status: ReceiptStatus,
    },
    SetPresence {
        user: UserId,
        state: crate::presence::PresenceState,
    },
    PutEndpoint {
        endpoint: crate::push::PushEndpoint,
    },
    DeleteEndpoint {
        user: UserId,
        token: String,
    },
    Read {
        user: UserId,
        conversation: Conversation,
        up_to: u64,
    },
    PutUpload {
        upload: crate::media::Upload,
    },
    PutBan {
        user: UserId,
        ban: super::Ban,
    },
    Block {
        user: UserId,
        other: UserId,
    },
    Mute {
        user: UserId,
        conversation: Conversation,
        until: Option<i64>,
    },
    FileReport {
        report: crate::store::reports::Report,
    },
    Resolve {
        id: String,
        resolution: crate::store::reports::Resolution,
    },
    Unblock {
        user: UserId,
        other: UserId,
    },
    LiftBan {
        user: UserId,
    },
    RenameGroup {
        id: GroupId,
        name: String,
    },
    DeleteGroup {
        id: GroupId,
    },
    FinishUpload {
        id: crate::media::UploadId,
        state: crate::media::UploadState,
        thumbnail: bool,
        width: Option<u32>,
        height: Option<u32>,
    },
    SaveDeletion {
        job: crate::store::DeletionJob,
    },
    DeleteInbox {
        user: UserId,
    },
    DeleteSummaries {
        user: UserId,
    },
    ForgetSent {
        user: UserId,
        client_msg_ids: Vec<String>,
        msg_ids: Vec<MsgId>,
    },
    DeleteUploads {
        ids: Vec<crate::media::UploadId>,
    },
    DeletePresence {
        user: UserId,
    },
    ForgetLimits {
        user: UserId,
    },
    WithdrawReport {
        case: String,
        user: UserId,
    },
    TransferGroup {
        id: GroupId,
        to: UserId,
    },
    SaveExport {
        job: crate::store::ExportJob,
    },
    DeleteExport {
        user: UserId,
    },
    /// The whole journaled state: the first (and at first only) record of a compacted
    /// journal.
    Snapshot {
        state: Box<snapshot::Snapshot>,
    },
}

#[derive(Debug, Default)]
struct State {
    data: Data,
    journal: Option<Journal>,
}

/// The in-memory store, optionally backed by a journal file. A cheap handle: clones share
/// one state (as mini-redis's `Db`), so the devserver hands the same store to every
/// function without wrapping it.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
    /// How long entries are kept, and the clock that says what expired.
    retention: crate::retention::Retention,
}

impl MemoryStore {
    /// A store that keeps nothing when the process ends.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store journaled to `dir` (created if missing), loaded from what is there.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Unavailable(Box::new(e)))?;
        let mut data = Data::default();
        let journal = Journal::open(&dir.join(JOURNAL_FILE), |r: Record| data.apply(r))?;
        Ok(Self { state: Arc::new(Mutex::new(State { data, journal: Some(journal) })), retention: Default::default() })
    }

    /// This store, keeping the entries it writes from now on for `retention`, and leaving
    /// out of every read the entries past their expiry at its clock.
    pub fn with_retention(mut self, retention: crate::retention::Retention) -> Self {
        self.retention = retention;
        self
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps half-updated: `apply` does
        // nothing fallible, so the state is usable after a poison.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl State {
    /// Rewrites the journal as one snapshot of the state: the bytes of earlier records
    /// (a deleted account's among them) are gone from the disk.
    fn compact(&mut self) -> Result<(), StoreError> {
        if let Some(j) = self.journal.as_mut() {
            j.replace(&Record::Snapshot { state: Box::new(snapshot::Snapshot::of(&self.data)) })?;
        }
        Ok(())
    }

    /// Journals `record` (if journaled), then applies it: nobody sees a change the
    /// journal does not have.
    fn commit(&mut self, record: Record) -> Result<(), StoreError> {
        if let Some(j) = self.journal.as_mut() {
            j.write(&record)?;
        }
        self.data.apply(record);
        Ok(())
    }
}

impl Data {
    fn apply(&mut self, record: Record) {
        match record {
            Record::Append { message, seqs, expires_at } => {
                for (user, seq) in &seqs {
                    let entry = message.entry_at(*seq);
                    if let Some(kind) = message.amends
                        && let Some(original) = self.entry_of_mut(user, &message.msg_id)
                    {
                        original.amend(kind, &message.body, message.ts, message.removed, *user == message.from);
                        if kind == crate::message::UpdateKind::Reaction {
                            original.reactions_seq = Some(*seq);
                        }
                    }
                    let inbox = self.inboxes.entry(user.clone()).or_default();
                    inbox.by_conversation.entry(message.conversation.clone()).or_default().push(*seq);
                    let summaries = self.summaries.entry(user.clone()).or_default();
                    let prev = summaries.remove(&message.conversation);
                    if let Some(s) = ConversationSummary::after(prev, user, &entry, message.name.as_deref()) {
                        summaries.insert(message.conversation.clone(), s);
                    }
                    inbox.entries.push(entry);
                    inbox.expires.push(expires_at);
                }
                if message.amends.is_none() {
                    self.by_msg.insert(message.msg_id.clone(), seqs.clone());
                    for a in &message.attachments {
                        if let Some(u) = crate::media::UploadId::parse(&a.attachment_id)
                            .ok()
                            .and_then(|id| self.uploads.get_mut(&id))
                        {
                            u.used_by = Some(message.msg_id.clone());
                        }
                    }
                }
                if message.is_notice() {
                    return;
                }
                let sender_seq = seqs.iter().find(|(u, _)| *u == message.from).map_or(0, |(_, s)| *s);
                self.idempotency.insert((message.from.clone(), message.client_msg_id.clone()), message.ack(sender_seq));
            }
            Record::CreateGroup { group, claim } => {
                if let Some((key, digest, ts)) = claim {
                    self.group_claims.insert((group.creator.clone(), key), (group.id.clone(), digest, ts));
                }
                for m in &group.members {
                    self.member_of.entry(m.clone()).or_default().insert(group.id.clone());
                }
                self.groups.insert(group.id.clone(), group);
            }
            Record::UpdateMembers { id, added, removed } => {
                let Some(group) = self.groups.get_mut(&id) else { return };
                *group = group.with_changes(&added, &removed);
                for m in &removed {
                    if let Some(set) = self.member_of.get_mut(m) {
                        set.remove(&id);
                    }
                }
                for m in &added {
                    self.member_of.entry(m.clone()).or_default().insert(id.clone());
                }
            }
            Record::Receipt { user, seq, by, status } => {
                if let Some(entry) = self.entry_mut(&user, seq) {
                    entry.receipts.insert(by, status);
                }
            }
            Record::SetPresence { user, state } => {
                self.presence.insert(user, state);
            }
            Record::PutEndpoint { endpoint } => {
                let previous = self.token_owner.insert(endpoint.token.clone(), endpoint.user.clone());
                if let Some(previous) = previous.filter(|p| *p != endpoint.user)
                    && let Some(e) = self.endpoints.get_mut(&previous)
                {
                    e.remove(&endpoint.token);
                }
                self.endpoints.entry(endpoint.user.clone()).or_default().insert(endpoint.token.clone(), endpoint);
            }
            Record::Read { user, conversation, up_to } => {
                let (unread, mentions, first_mention) = self.unread_after(&user, &conversation, up_to);
                if let Some(s) = self.summaries.get_mut(&user).and_then(|m| m.get_mut(&conversation)) {
                    s.read_up_to = up_to;
                    s.unread = unread;
                    s.mentions = mentions;
                    s.first_mention = first_mention;
                }
            }
            Record::PutUpload { upload } => {
                self.uploads.insert(upload.id.clone(), upload);
            }
            Record::FinishUpload { id, state, thumbnail, width, height } => {
                if let Some(u) = self.uploads.get_mut(&id) {
                    (u.state, u.thumbnail, u.width, u.height) = (state, thumbnail, width, height);
                }
            }
            Record::PutBan { user, ban } => {
                self.bans.insert(user, ban);
            }
            r @ (Record::Block { .. } | Record::Unblock { .. }) => MemoryStore::apply_block(&mut self.blocks, &r),
            r @ (Record::FileReport { .. } | Record::Resolve { .. }) => self.apply_report(r),
            r @ (Record::SaveDeletion { .. }
            | Record::DeleteInbox { .. }
            | Record::DeleteSummaries { .. }
            | Record::ForgetSent { .. }
            | Record::DeleteUploads { .. }
            | Record::DeletePresence { .. }
            | Record::ForgetLimits { .. }
            | Record::WithdrawReport { .. }
            | Record::TransferGroup { .. }) => self.apply_erasure(r),
            r @ (Record::SaveExport { .. } | Record::DeleteExport { .. }) => self.apply_export(r),
            Record::Snapshot { state } => *self = state.into_data(),
            Record::Mute { user, conversation, until } => {
                if let Some(s) = self.summaries.get_mut(&user).and_then(|m| m.get_mut(&conversation)) {
                    s.muted_until = until;
                }
            }
            Record::LiftBan { user } => {
                self.bans.remove(&user);
            }
            Record::RenameGroup { id, name } => {
                if let Some(g) = self.groups.get_mut(&id) {
                    g.name = name;
                }
            }
            Record::DeleteGroup { id } => {
                if let Some(g) = self.groups.remove(&id) {
                    for m in &g.members {
                        if let Some(set) = self.member_of.get_mut(m) {
                            set.remove(&id);
                        }
                    }
                }
            }
            Record::DeleteEndpoint { user, token } => {
                if let Some(e) = self.endpoints.get_mut(&user) {
                    e.remove(&token);
                }
                if self.token_owner.get(&token) == Some(&user) {
                    self.token_owner.remove(&token);
                }
            }
        }
    }

    fn entry_mut(&mut self, user: &UserId, seq: u64) -> Option<&mut InboxEntry> {
        self.inboxes.get_mut(user)?.entries.get_mut(usize::try_from(seq).ok()?.checked_sub(1)?)
    }

    fn entry(&self, user: &UserId, msg_id: &MsgId) -> Option<&InboxEntry> {
        let seq = self.by_msg.get(msg_id)?.iter().find(|(u, _)| u == user)?.1;
        self.inboxes.get(user)?.entries.get(usize::try_from(seq).ok()?.checked_sub(1)?)
    }

    fn entry_of_mut(&mut self, user: &UserId, msg_id: &MsgId) -> Option<&mut InboxEntry> {
        let seq = self.by_msg.get(msg_id)?.iter().find(|(u, _)| u == user)?.1;
        self.entry_mut(user, seq)
    }

    /// Messages from others in `conversation` after `up_to`, in `user`'s inbox: how many,
    /// how many of them mention `user`, and the first of those.
    fn unread_after(&self, user: &UserId, conversation: &Conversation, up_to: u64) -> (u64, u64, Option<u64>) {
        let Some(inbox) = self.inboxes.get(user) else { return (0, 0, None) };
        let Some(seqs) = inbox.by_conversation.get(conversation) else { return (0, 0, None) };
        let start = seqs.partition_point(|s| *s <= up_to);
        let unread: Vec<&InboxEntry> = seqs[start..]
            .iter()
            .filter_map(|s| inbox.entries.get(usize::try_from(*s).ok()?.checked_sub(1)?))
            .filter(|e| e.counts_as_unread_for(user))
            .collect();
        let mentions: Vec<u64> = unread.iter().filter(|e| e.mentions.contains(user)).map(|e| e.seq).collect();
        (unread.len() as u64, mentions.len() as u64, mentions.first().copied())
    }

    /// The participants of an edit or delete who hold the message, or `None` when the
    /// sender does not (any more): it was deleted, or never was the sender's.
    fn holders(&self, m: &NewMessage) -> Option<Vec<UserId>> {
        let original = self.entry(&m.from, &m.msg_id)?;
        // Anyone holding a message may react to it; only its sender edits or deletes it.
        let own = m.amends == Some(crate::message::UpdateKind::Reaction) || original.from == m.from.as_str();
        if original.deleted || !own {
            return None;
        }
        Some(m.participants.iter().filter(|u| self.entry(u, &m.msg_id).is_some()).cloned().collect())
    }

    /// Whether every attachment of `m` is an upload `m.from` may attach to it now.
    fn attachable(&self, m: &NewMessage) -> bool {
        m.attachments.iter().all(|a| {
            crate::media::UploadId::parse(&a.attachment_id)
                .ok()
                .and_then(|id| self.uploads.get(&id))
                .is_some_and(|u| u.refusal(&m.from, &m.conversation).is_none())
        })
    }

    fn next_seq(&self, user: &UserId) -> u64 {
        self.inboxes.get(user).map_or(0, |i| i.entries.len() as u64) + 1
    }
}

impl ConnectionStore for MemoryStore {
    async fn put_connection(&self, c: &Connection) -> Result<(), StoreError> {
        let mut state = self.lock();
        state.data.connections.entry(c.user.clone()).or_default().insert(c.connection_id.clone(), c.clone());
        Ok(())
    }

    async fn delete_connection(&self, user: &UserId, id: &ConnectionId) -> Result<(), StoreError> {
        let mut state = self.lock();
        if let Some(conns) = state.data.connections.get_mut(user) {
            conns.remove(id);
            if conns.is_empty() {
                state.data.connections.remove(user);
            }
        }
        Ok(())
    }

    async fn put_connection_capped(&self, c: &Connection, max: usize, now_s: u64) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let conns = state.data.connections.entry(c.user.clone()).or_default();
        conns.retain(|_, existing| existing.expires_at > now_s);
        if conns.len() >= max && !conns.contains_key(&c.connection_id) {
            return Ok(false);
        }
        conns.insert(c.connection_id.clone(), c.clone());
        Ok(true)
    }

    async fn delete_stale_connection(
        &self,
        user: &UserId,
        id: &ConnectionId,
        connected_before_ms: u64,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let Some(conns) = state.data.connections.get_mut(user) else { return Ok(false) };
        if conns.get(id).is_some_and(|c| c.connected_at < connected_before_ms) {
            conns.remove(id);
            return Ok(true);
        }
        Ok(false)
    }

    async fn connections(&self, user: &UserId, now_s: u64) -> Result<Vec<Connection>, StoreError> {
        let state = self.lock();
        Ok(state
            .data
            .connections
            .get(user)
            .map(|c| c.values().filter(|c| c.expires_at > now_s).cloned().collect())
            .unwrap_or_default())
    }
}

impl InboxStore for MemoryStore {
    async fn append(&self, m: &NewMessage) -> Result<AppendOutcome, StoreError> {
        let mut state = self.lock();
        let key = (m.from.clone(), m.client_msg_id.clone());
        if m.is_notice() {
            let seqs: Vec<(UserId, u64)> = m.participants.iter().map(|u| (u.clone(), state.data.next_seq(u))).collect();
            state.commit(Record::Append {
                message: m.clone(),
                seqs: seqs.clone(),
                expires_at: self.retention.expires_at_s(m.ts),
            })?;
            return Ok(AppendOutcome::Stored { ack: m.ack(0), seqs });
        }
        if let Some(ack) = state.data.idempotency.get(&key)
            && ack.ts + IDEMPOTENCY_TTL_MS > m.ts
        {
            return Ok(if ack.matches(m) { AppendOutcome::Duplicate(ack.clone()) } else { AppendOutcome::Conflict });
        }
        if m.origin == crate::message::Origin::User && state.data.bans.get(&m.from).is_some_and(|b| b.active(m.ts)) {
            return Ok(AppendOutcome::Banned);
        }
        let bucket = match m.limit.map(|l| l.take(state.data.buckets.get(&m.from).copied(), m.ts)) {
            Some(Err(retry_after_ms)) => return Ok(AppendOutcome::RateLimited { retry_after_ms }),
            Some(Ok(b)) => Some(b),
            None => None,
        };
        if m.amends.is_none() && !m.attachments.is_empty() && !state.data.attachable(m) {
            return Ok(AppendOutcome::AttachmentRefused);
        }
        if m.amends.is_some() && state.data.expired_message(&m.from, &m.msg_id, &self.retention) {
            return Ok(AppendOutcome::NotFound);
        }
        let mut participants = match m.amends {
            None => m.participants.clone(),
            Some(_) => match state.data.holders(m) {
                Some(holders) => holders,
                None => return Ok(AppendOutcome::NotFound),
            },
        };
        if m.amends == Some(crate::message::UpdateKind::Reaction)
            && let Some(own) = state.data.entry(&m.from, &m.msg_id)
        {
            match crate::rich::change_of(&own.reactions, &m.body, m.removed) {
                crate::rich::Change::Apply => {}
                crate::rich::Change::Unchanged => return Ok(AppendOutcome::Unchanged(m.ack(own.seq))),
                crate::rich::Change::TooMany => return Ok(AppendOutcome::TooManyReactions),
            }
        }
        // A 1:1 with a block between the two: refused to the blocker; stored for the
        // blocked sender alone (who must not learn it is blocked).
        if let Some(other) = crate::store::blocks::direct_peer(m) {
            if state.data.blocks_user(&m.from, &other) {
                return Ok(AppendOutcome::Blocked);
            }
            // Blocked by the other, or the other's account was deleted (its tombstone): the
            // sender alone gets it, and no inbox of a deleted user is made again.
            if state.data.blocks_user(&other, &m.from) || state.data.bans.get(&other).is_some_and(|b| b.deleted) {
                participants.retain(|u| *u != other);
            }
        }
        let seqs: Vec<(UserId, u64)> = participants.iter().map(|u| (u.clone(), state.data.next_seq(u))).collect();
        let expires_at = self.retention.expires_at_s(m.ts);
        state.commit(Record::Append { message: m.clone(), seqs: seqs.clone(), expires_at })?;
        if let Some(b) = bucket {
            state.data.buckets.insert(m.from.clone(), b);
        }
        let ack = state
            .data
            .idempotency
            .get(&key)
            .cloned()
            .ok_or_else(|| StoreError::Corrupt("idempotency record missing right after append".into()))?;
        Ok(AppendOutcome::Stored { ack, seqs })
    }

    async fn sync(&self, user: &UserId, after: u64, limit: u32) -> Result<Page, StoreError> {
        let state = self.lock();
        let Some(inbox) = state.data.inboxes.get(user) else {
            return Ok(Page::default());
        };
        Ok(inbox.sync_page(after, limit, &self.retention))
    }

    async fn history(
        &self,
        user: &UserId,
        conversation: &Conversation,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Page, StoreError> {
        let state = self.lock();
        let Some(inbox) = state.data.inboxes.get(user) else {
            return Ok(Page::default());
        };
        let Some(seqs) = inbox.by_conversation.get(conversation) else {
            return Ok(Page::default());
        };
        let end = match before {
            Some(b) => seqs.partition_point(|s| *s < b),
            None => seqs.len(),
        };
        // Messages only (update entries are applied to them already), newest first.
        let mut entries = Vec::with_capacity(limit as usize);
        let mut next = None;
        for s in seqs[..end].iter().rev() {
            let Some(e) = inbox.entries.get(usize::try_from(*s).unwrap_or(usize::MAX).saturating_sub(1)) else {
                continue;
            };
            if !e.is_message() || inbox.expired(*s, &self.retention) {
                continue;
            }
            if entries.len() == limit as usize {
                next = entries.last().map(|e: &InboxEntry| e.seq);
                break;
            }
            entries.push(e.clone());
        }
        Ok(Page { entries, next, oldest: None })
    }

    async fn send_bucket(&self, user: &UserId) -> Result<Option<crate::ratelimit::Bucket>, StoreError> {
        Ok(self.lock().data.buckets.get(user).copied())
    }

    async fn history_after(
        &self,
        user: &UserId,
        conversation: &Conversation,
        after: u64,
        limit: u32,
    ) -> Result<Page, StoreError> {
        let state = self.lock();
        let Some(inbox) = state.data.inboxes.get(user) else { return Ok(Page::default()) };
        let Some(seqs) = inbox.by_conversation.get(conversation) else { return Ok(Page::default()) };
        let start = seqs.partition_point(|s| *s <= after);
        let mut entries: Vec<InboxEntry> = Vec::with_capacity(limit as usize);
        let mut next = None;
        for s in &seqs[start..] {
            let Some(e) = inbox.entries.get(usize::try_from(*s).unwrap_or(usize::MAX).saturating_sub(1)) else {
                continue;
            };
            if !e.is_message() || inbox.expired(*s, &self.retention) {
                continue;
            }
            if entries.len() == limit as usize {
                next = entries.last().map(|e| e.seq);
                break;
            }
            entries.push(e.clone());
        }
        entries.reverse();
        Ok(Page { entries, next, oldest: None })
    }
}

impl ConversationStore for MemoryStore {
    async fn conversations(&self, user: &UserId, before: Option<u64>, limit: u32) -> Result<SummaryPage, StoreError> {
        let state = self.lock();
        let Some(all) = state.data.summaries.get(user) else { return Ok(SummaryPage::default()) };
        // Ordered by the seq of each conversation's latest entry: the inbox's own order.
        let mut items: Vec<&ConversationSummary> =
            all.values().filter(|s| before.is_none_or(|b| s.last_seq < b)).collect();
        items.sort_by_key(|s| std::cmp::Reverse(s.last_seq));
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next = if more { items.last().map(|s| s.last_seq) } else { None };
        Ok(SummaryPage { items: items.into_iter().map(|s| self.retention.trim(s.clone())).collect(), next })
    }

    async fn summaries(
        &self,
        user: &UserId,
        conversations: &[Conversation],
    ) -> Result<Vec<Option<ConversationSummary>>, StoreError> {
        let state = self.lock();
        let mine = state.data.summaries.get(user);
        Ok(conversations.iter().map(|c| mine.and_then(|m| m.get(c)).map(|s| self.retention.trim(s.clone()))).collect())
    }

    async fn mark_read(
        &self,
        user: &UserId,
        conversation: &Conversation,
        up_to: u64,
    ) -> Result<ReadOutcome, StoreError> {
        let mut state = self.lock();
        let Some(current) = state.data.summaries.get(user).and_then(|m| m.get(conversation)).cloned() else {
            return Ok(ReadOutcome::NotFound);
        };
        let up_to = up_to.min(current.last_seq);
        if up_to <= current.read_up_to {
            return Ok(ReadOutcome::Unchanged(current));
        }
        state.commit(Record::Read { user: user.clone(), conversation: conversation.clone(), up_to })?;
        let now = state.data.summaries.get(user).and_then(|m| m.get(conversation)).cloned();
        Ok(now.map_or(ReadOutcome::NotFound, ReadOutcome::Moved))
    }

    async fn message(&self, user: &UserId, msg_id: &MsgId) -> Result<Option<InboxEntry>, StoreError> {
        let state = self.lock();
        if state.data.expired_message(user, msg_id, &self.retention) {
            return Ok(None);
        }
        Ok(state.data.entry(user, msg_id).cloned())
    }
}

impl super::UploadStore for MemoryStore {
    async fn put_upload(&self, u: &crate::media::Upload) -> Result<(), StoreError> {
        self.lock().commit(Record::PutUpload { upload: u.clone() })
    }

    async fn uploads(&self, ids: &[crate::media::UploadId]) -> Result<Vec<Option<crate::media::Upload>>, StoreError> {
        let state = self.lock();
        Ok(ids.iter().map(|id| state.data.uploads.get(id).cloned()).collect())
    }

    async fn finish_upload(&self, id: &crate::media::UploadId, c: crate::media::Checked) -> Result<bool, StoreError> {
        let mut state = self.lock();
        if state.data.uploads.get(id).is_none_or(|u| u.state != crate::media::UploadState::Pending) {
            return Ok(false);
        }
        let record = Record::FinishUpload {
            id: id.clone(),
            state: c.state,
            thumbnail: c.thumbnail,
            width: c.width,
            height: c.height,
        };
        state.commit(record)?;
        Ok(true)
    }
}

impl GroupStore for MemoryStore {
    async fn create_group(&self, g: &Group) -> Result<(), StoreError> {
        self.lock().commit(Record::CreateGroup { group: g.clone(), claim: None })
    }

    async fn create_group_once(
        &self,
        g: &Group,
        key: &ClientMsgId,
        digest: &str,
        now_ms: u64,
    ) -> Result<GroupCreated, StoreError> {
        let mut state = self.lock();
        if let Some((id, first, ts)) = state.data.group_claims.get(&(g.creator.clone(), key.clone()))
            && ts + IDEMPOTENCY_TTL_MS > now_ms
        {
            return Ok(if first == digest { GroupCreated::Existing(id.clone()) } else { GroupCreated::Conflict });
        }
        let claim = Some((key.clone(), digest.to_owned(), now_ms));
        state.commit(Record::CreateGroup { group: g.clone(), claim })?;
        Ok(GroupCreated::New)
    }

    async fn group(&self, id: &GroupId) -> Result<Option<Group>, StoreError> {
        Ok(self.lock().data.groups.get(id).cloned())
    }

    async fn update_members(
        &self,
        id: &GroupId,
        added: &[UserId],
        removed: &[UserId],
    ) -> Result<MembersChange, StoreError> {
        // Checked and applied under one lock: no await between the check and the write.
        let mut state = self.lock();
        let Some(group) = state.data.groups.get(id) else { return Ok(MembersChange::Stale) };
        if added.iter().any(|u| group.is_member(u)) || removed.iter().any(|u| !group.is_member(u)) {
            return Ok(MembersChange::Stale);
        }
        if group.members.len() + added.len() - removed.len() > MAX_GROUP_MEMBERS {
            return Ok(MembersChange::TooLarge);
        }
        state.commit(Record::UpdateMembers { id: id.clone(), added: added.to_vec(), removed: removed.to_vec() })?;
        Ok(MembersChange::Done)
    }

    async fn groups_of(&self, user: &UserId) -> Result<Vec<GroupId>, StoreError> {
        Ok(self.lock().data.member_of.get(user).map(|s| s.iter().cloned().collect()).unwrap_or_default())
    }

    async fn rename_group(&self, id: &GroupId, name: &str) -> Result<Option<Group>, StoreError> {
        let mut state = self.lock();
        if !state.data.groups.contains_key(id) {
            return Ok(None);
        }
        state.commit(Record::RenameGroup { id: id.clone(), name: name.to_owned() })?;
        Ok(state.data.groups.get(id).cloned())
    }

    async fn delete_group(&self, id: &GroupId) -> Result<Option<Group>, StoreError> {
        let mut state = self.lock();
        let Some(group) = state.data.groups.get(id).cloned() else { return Ok(None) };
        state.commit(Record::DeleteGroup { id: id.clone() })?;
        Ok(Some(group))
    }
}

impl ReceiptStore for MemoryStore {
    async fn received(&self, by: &UserId, msg_id: &MsgId) -> Result<Option<ReceiptUpdate>, StoreError> {
        let state = self.lock();
        let Some(entry) = state.data.entry(by, msg_id) else { return Ok(None) };
        let Ok(sender) = UserId::parse(&entry.from) else { return Ok(None) };
        if sender == *by || entry.from == crate::message::SYSTEM_SENDER {
            return Ok(None);
        }
        Ok(Some(ReceiptUpdate { sender, msg_id: msg_id.clone(), conversation: entry.conversation.clone() }))
    }

    async fn record_receipt(
        &self,
        by: &UserId,
        target: &ReceiptUpdate,
        status: ReceiptStatus,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let Some(sent) = state.data.entry(&target.sender, &target.msg_id) else { return Ok(false) };
        if sent.receipts.get(by).is_some_and(|s| *s >= status) {
            return Ok(false);
        }
        let seq = sent.seq;
        state.commit(Record::Receipt { user: target.sender.clone(), seq, by: by.clone(), status })?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::store_conformance_tests!(async { MemoryStore::new() });

    mod retention {
        use super::*;
        crate::store_retention_tests!(|r| async move { MemoryStore::new().with_retention(r) });
    }

    mod journaled {
        use super::*;

        fn temp_dir() -> std::path::PathBuf {
            let dir = std::env::temp_dir().join(format!("chat-core-test-{}", ulid::Ulid::new()));
            std::fs::create_dir_all(&dir).expect("temp dir");
            dir
        }

        crate::store_conformance_tests!(async { MemoryStore::open(&temp_dir()).expect("open") });

        mod retention {
            use super::*;
            crate::store_retention_tests!(|r| async move {
                MemoryStore::open(&temp_dir()).expect("open").with_retention(r)
            });
        }

        #[tokio::test]
        async fn a_reopened_store_has_everything_that_was_appended() {
            let dir = temp_dir();
            let store = MemoryStore::open(&dir).expect("open");
            crate::store::conformance::fill(&store, 5).await;
            let before = store.sync(&crate::store::conformance::user("bob"), 0, 100).await.expect("sync");
            drop(store);
            let store = MemoryStore::open(&dir).expect("reopen");
            let after = store.sync(&crate::store::conformance::user("bob"), 0, 100).await.expect("sync");
            assert_eq!(before, after);
            assert_eq!(after.entries.len(), 5);
        }

        #[tokio::test]
        async fn a_reopened_store_has_the_summaries_read_markers_and_edits() {
            use crate::message::{ReadOutcome, UpdateKind};
            use crate::store::ConversationStore;
            use crate::store::conformance::{dm, user};
            let dir = temp_dir();
            let store = MemoryStore::open(&dir).expect("open");
            let first = dm("alice", "bob", "one", 10);
            store.append(&first).await.expect("append");
            store.append(&dm("alice", "bob", "two", 20)).await.expect("append");
            let conv = first.conversation.clone();
            let edit = NewMessage {
                from: user("alice"),
                client_msg_id: ClientMsgId::parse("e").expect("valid"),
                body: "edited".into(),
                ts: 30,
                amends: Some(UpdateKind::Edit),
                ..first.clone()
            };
            store.append(&edit).await.expect("edit");
            assert!(matches!(store.mark_read(&user("bob"), &conv, 1).await.expect("read"), ReadOutcome::Moved(_)));
            let before = store.conversations(&user("bob"), None, 10).await.expect("list");
            drop(store);
            let store = MemoryStore::open(&dir).expect("reopen");
            let after = store.conversations(&user("bob"), None, 10).await.expect("list");
            assert_eq!(before, after);
            assert_eq!((after.items[0].read_up_to, after.items[0].unread, after.items[0].last_seq), (1, 1, 3));
            let held = store.message(&user("bob"), &first.msg_id).await.expect("read").expect("held");
            assert_eq!(held.body, "edited");
        }

        #[tokio::test]
        async fn a_reopened_store_has_the_replies_mentions_and_reactions() {
            use crate::store::ConversationStore;
            use crate::store::conformance::{dm, reaction, user};
            let dir = temp_dir();
            let store = MemoryStore::open(&dir).expect("open");
            let first = dm("alice", "bob", "one", 10);
            store.append(&first).await.expect("append");
            store.append(&reaction("bob", &first, "👍", false, "r1", 20)).await.expect("react");
            store.append(&reaction("alice", &first, "🎉", false, "r2", 25)).await.expect("react");
            store.append(&reaction("alice", &first, "🎉", true, "r3", 26)).await.expect("take back");
            let held = store.message(&user("bob"), &first.msg_id).await.expect("read").expect("held");
            let reply = NewMessage {
                reply_to: Some(crate::rich::ReplyTo::of(&held)),
                mentions: vec![user("alice")],
                ..dm("bob", "alice", "two", 30)
            };
            store.append(&reply).await.expect("reply");
            let snapshot = |store: &MemoryStore| {
                let store = store.clone();
                async move {
                    let mut out = Vec::new();
                    for who in ["alice", "bob"] {
                        out.push(format!("{:?}", store.sync(&user(who), 0, 100).await.expect("sync")));
                        out.push(format!("{:?}", store.conversations(&user(who), None, 10).await.expect("list")));
                    }
                    out
                }
            };
            let before = snapshot(&store).await;
            drop(store);
            let store = MemoryStore::open(&dir).expect("reopen");
            assert_eq!(before, snapshot(&store).await);
            let held = store.message(&user("alice"), &first.msg_id).await.expect("read").expect("held");
            assert_eq!(held.reactions.keys().collect::<Vec<_>>(), ["👍"]);
            let list = store.conversations(&user("alice"), None, 10).await.expect("list");
            assert_eq!(list.items[0].mentions, 1);
        }

        #[tokio::test]
        async fn a_torn_last_record_is_cut_and_the_rest_kept() {
            let dir = temp_dir();
            let store = MemoryStore::open(&dir).expect("open");
            crate::store::conformance::fill(&store, 2).await;
            drop(store);
            let path = dir.join(JOURNAL_FILE);
            let mut bytes = std::fs::read(&path).expect("read");
            bytes.extend_from_slice(b"{\"op\":\"append\",\"mess");
            std::fs::write(&path, bytes).expect("write");
            let store = MemoryStore::open(&dir).expect("reopen");
            let page = store.sync(&crate::store::conformance::user("bob"), 0, 100).await.expect("sync");
            assert_eq!(page.entries.len(), 2);
            crate::store::conformance::fill(&store, 1).await;
            drop(store);
            let store = MemoryStore::open(&dir).expect("reopen again");
            let page = store.sync(&crate::store::conformance::user("bob"), 0, 100).await.expect("sync");
            assert_eq!(page.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
        }
    }
}
