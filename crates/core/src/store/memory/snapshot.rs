//! Compacting the journal: the journaled state as one record, written to a new file that
//! replaces the journal in one rename. After an account deletion this is what makes the
//! embedded store's deletion real on disk: the journal no longer holds the records that
//! wrote the deleted data. Indexes that are derived (message positions, group membership
//! by user, token owners) are rebuilt on load; what is never journaled (connections,
//! subscriptions, buckets, budgets, push claims) is left out, as before.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::{Data, Inbox};
use crate::group::Group;
use crate::ids::{ClientMsgId, Conversation, GroupId, UserId};
use crate::message::{ConversationSummary, InboxEntry, StoredAck};
use crate::store::DeletionJob;

/// The journaled state, in a form JSON holds (maps as lists of pairs).
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct Snapshot {
    inboxes: Vec<(UserId, Vec<InboxEntry>, Vec<Option<u64>>)>,
    idempotency: Vec<(UserId, ClientMsgId, StoredAck)>,
    summaries: Vec<(UserId, Vec<ConversationSummary>)>,
    uploads: Vec<crate::media::Upload>,
    groups: Vec<Group>,
    group_claims: Vec<(UserId, ClientMsgId, GroupId, String, u64)>,
    presence: Vec<(UserId, crate::presence::PresenceState)>,
    endpoints: Vec<crate::push::PushEndpoint>,
    bans: Vec<(UserId, crate::store::Ban)>,
    blocks: Vec<(UserId, Vec<UserId>)>,
    reports: Vec<(String, UserId)>,
    cases: Vec<crate::store::reports::Case>,
    deletions: Vec<DeletionJob>,
    exports: Vec<crate::store::ExportJob>,
}

impl Snapshot {
    /// The journaled part of `d`.
    pub(super) fn of(d: &Data) -> Self {
        Self {
            inboxes: d.inboxes.iter().map(|(u, i)| (u.clone(), i.entries.clone(), i.expires.clone())).collect(),
            idempotency: d.idempotency.iter().map(|((u, c), a)| (u.clone(), c.clone(), a.clone())).collect(),
            summaries: d.summaries.iter().map(|(u, m)| (u.clone(), m.values().cloned().collect())).collect(),
            uploads: d.uploads.values().cloned().collect(),
            groups: d.groups.values().cloned().collect(),
            group_claims: d
                .group_claims
                .iter()
                .map(|((u, c), (g, digest, ts))| (u.clone(), c.clone(), g.clone(), digest.clone(), *ts))
                .collect(),
            presence: d.presence.iter().map(|(u, p)| (u.clone(), *p)).collect(),
            endpoints: d.endpoints.values().flat_map(|m| m.values().cloned()).collect(),
            bans: d.bans.iter().map(|(u, b)| (u.clone(), b.clone())).collect(),
            blocks: d.blocks.iter().map(|(u, b)| (u.clone(), b.iter().cloned().collect())).collect(),
            reports: d.reports.iter().cloned().collect(),
            cases: d.cases.values().cloned().collect(),
            deletions: d.deletions.values().cloned().collect(),
            exports: d.exports.values().cloned().collect(),
        }
    }

    /// The state it holds, with the derived indexes rebuilt.
    pub(super) fn into_data(self) -> Data {
        let mut d = Data::default();
        for (user, entries, expires) in self.inboxes {
            let mut inbox = Inbox { expires, ..Inbox::default() };
            for e in entries {
                d.by_msg.entry(e.msg_id.clone()).or_default().push((user.clone(), e.seq));
                inbox.by_conversation.entry(e.conversation.clone()).or_default().push(e.seq);
                inbox.entries.push(e);
            }
            d.inboxes.insert(user, inbox);
        }
        d.idempotency = self.idempotency.into_iter().map(|(u, c, a)| ((u, c), a)).collect();
        d.summaries = self
            .summaries
            .into_iter()
            .map(|(u, list)| {
                let by: HashMap<Conversation, ConversationSummary> =
                    list.into_iter().map(|s| (s.conversation.clone(), s)).collect();
                (u, by)
            })
            .collect();
        d.uploads = self.uploads.into_iter().map(|u| (u.id.clone(), u)).collect();
        for g in self.groups {
            for m in &g.members {
                d.member_of.entry(m.clone()).or_default().insert(g.id.clone());
            }
            d.groups.insert(g.id.clone(), g);
        }
        d.group_claims = self.group_claims.into_iter().map(|(u, c, g, digest, ts)| ((u, c), (g, digest, ts))).collect();
        d.presence = self.presence.into_iter().collect();
        for e in self.endpoints {
            d.token_owner.insert(e.token.clone(), e.user.clone());
            d.endpoints.entry(e.user.clone()).or_default().insert(e.token.clone(), e);
        }
        d.bans = self.bans.into_iter().collect();
        d.blocks = self.blocks.into_iter().map(|(u, b)| (u, b.into_iter().collect::<BTreeSet<_>>())).collect();
        d.reports = self.reports.into_iter().collect();
        d.cases = self.cases.into_iter().map(|c| (c.id.clone(), c)).collect();
        d.deletions = self.deletions.into_iter().map(|j| (j.user.clone(), j)).collect();
        d.exports = self.exports.into_iter().map(|j| (j.user.clone(), j)).collect();
        d
    }
}

#[cfg(test)]
mod tests {
    use crate::store::conformance::{dm, user};
    use crate::store::memory::{JOURNAL_FILE, MemoryStore};
    use crate::store::{ConversationStore, DeletionJob, ErasureStore, InboxStore, PushStore};

    #[tokio::test]
    async fn a_finished_deletion_leaves_no_record_of_the_deleted_data_on_disk_and_a_reopen_has_the_rest() {
        let dir = std::env::temp_dir().join(format!("chat-core-snapshot-{}", ulid::Ulid::new()));
        let store = MemoryStore::open(&dir).expect("open");
        store.append(&dm("alice", "bob", "alice-secret-words", 10)).await.expect("append");
        store.append(&dm("bob", "carol", "kept", 20)).await.expect("append");
        let device = crate::push::PushEndpoint {
            user: user("alice"),
            token: "alice-device-token".into(),
            platform: crate::protocol::Platform::Fcm,
            endpoint_arn: "arn".into(),
        };
        store.put_endpoint(&device).await.expect("device");
        let journal = || std::fs::read_to_string(dir.join(JOURNAL_FILE)).expect("journal");
        assert!(journal().contains("alice-device-token"));

        // What the job does for alice (her copy of the 1:1 goes; bob's stays, his history).
        let mut job = DeletionJob::new("j".into(), user("alice"), false, 30);
        store.start_deletion(&job).await.expect("start");
        store.delete_endpoint(&user("alice"), "alice-device-token").await.expect("device gone");
        store.delete_inbox(&user("alice")).await.expect("inbox");
        store.delete_summaries(&user("alice")).await.expect("summaries");
        store.save_deletion(&job).await.expect("progress");
        assert!(journal().contains("alice-device-token"), "an unfinished deletion does not compact");
        while !job.done() {
            job.advance(40);
        }
        store.save_deletion(&job).await.expect("done");
        assert!(!journal().contains("alice-device-token"), "the journal was compacted");
        assert_eq!(journal().lines().count(), 1);

        let bob_before = store.sync(&user("bob"), 0, 100).await.expect("sync");
        let carol_list = store.conversations(&user("carol"), None, 10).await.expect("list");
        drop(store);
        let store = MemoryStore::open(&dir).expect("reopen");
        assert_eq!(store.sync(&user("bob"), 0, 100).await.expect("sync"), bob_before);
        assert_eq!(store.conversations(&user("carol"), None, 10).await.expect("list"), carol_list);
        assert!(store.sync(&user("alice"), 0, 100).await.expect("sync").entries.is_empty());
        assert!(store.endpoints(&user("alice")).await.expect("devices").is_empty());
        assert_eq!(store.deletion(&user("alice")).await.expect("job").map(|j| j.done()), Some(true));
        // Writes go on after the snapshot, and survive a reopen.
        store.append(&dm("bob", "carol", "after", 50)).await.expect("append");
        drop(store);
        let store = MemoryStore::open(&dir).expect("reopen");
        assert_eq!(store.sync(&user("carol"), 0, 100).await.expect("sync").entries.len(), 2);
    }
}
