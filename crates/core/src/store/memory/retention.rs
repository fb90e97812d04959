//! Retention in the memory store (`crate::retention`): each entry's expiry is kept beside
//! it (and journaled with its append, so a replay keeps it), and readers leave out the
//! entries whose expiry has passed. Nothing is removed: the devserver's inboxes are small,
//! and an expired entry is as gone for every reader as a deleted one.

use super::{Data, Inbox, Page};
use crate::ids::{MsgId, UserId};
use crate::retention::Retention;

impl Inbox {
    /// The expiry of the entry at `seq` (s), if it has one.
    fn expiry(&self, seq: u64) -> Option<u64> {
        let i = usize::try_from(seq).ok()?.checked_sub(1)?;
        self.expires.get(i).copied().flatten()
    }

    /// Whether the entry at `seq` is past its expiry.
    pub(super) fn expired(&self, seq: u64, r: &Retention) -> bool {
        r.expired(self.expiry(seq))
    }

    /// `sync`: the kept entries after `after`, ascending, at most `limit`; `oldest` when
    /// the first one kept is not `after + 1` (the ones before it expired).
    pub(super) fn sync_page(&self, after: u64, limit: u32, r: &Retention) -> Page {
        let start = usize::try_from(after).unwrap_or(usize::MAX).min(self.entries.len());
        let mut entries = Vec::with_capacity(limit as usize);
        let mut next = None;
        for e in &self.entries[start..] {
            if self.expired(e.seq, r) {
                continue;
            }
            if entries.len() == limit as usize {
                next = entries.last().map(|e: &crate::message::InboxEntry| e.seq);
                break;
            }
            entries.push(e.clone());
        }
        let oldest = entries.first().map(|e| e.seq).filter(|s| *s > after.saturating_add(1));
        Page { entries, next, oldest }
    }
}

impl Data {
    /// Whether `user`'s copy of `msg_id` is past its expiry (an unknown one is not).
    pub(super) fn expired_message(&self, user: &UserId, msg_id: &MsgId, r: &Retention) -> bool {
        let Some(seq) = self.by_msg.get(msg_id).and_then(|h| h.iter().find(|(u, _)| u == user)).map(|(_, s)| *s) else {
            return false;
        };
        self.inboxes.get(user).is_some_and(|i| i.expired(seq, r))
    }
}

#[cfg(test)]
mod tests {
    use super::super::MemoryStore;
    use crate::retention::{DAY_MS, Retention};
    use crate::store::InboxStore;
    use crate::store::conformance::{T0, dm, one_day, user};

    #[tokio::test]
    async fn a_reopened_store_keeps_each_entrys_expiry_whatever_its_retention_now() {
        let dir = std::env::temp_dir().join(format!("chat-core-retention-{}", ulid::Ulid::new()));
        let (clock, retention) = one_day();
        let store = MemoryStore::open(&dir).expect("open").with_retention(retention.clone());
        store.append(&dm("alice", "bob", "a", T0)).await.expect("append");
        drop(store);
        clock.advance(2 * DAY_MS);
        let reopened = MemoryStore::open(&dir).expect("reopen").with_retention(retention);
        assert!(reopened.sync(&user("bob"), 0, 10).await.expect("sync").entries.is_empty());
        // Retention turned off since: what was written with an expiry still expires.
        let off = MemoryStore::open(&dir).expect("reopen").with_retention(Retention::days(0, clock));
        assert!(off.sync(&user("bob"), 0, 10).await.expect("sync").entries.is_empty());
        let _ = std::fs::remove_dir_all(dir);
    }
}
