//! Conformance checks of retention (`crate::retention`): every store is built with a
//! retention of one day on a [`ManualClock`], messages are written, and the clock is moved
//! past their expiry. [`crate::store_retention_tests!`] runs them, given a function from a
//! [`Retention`] to a fresh store.

use std::sync::Arc;

use super::{amend, dm, user};
use crate::clock::ManualClock;
use crate::ids::Conversation;
use crate::message::{AppendOutcome, UpdateKind};
use crate::retention::{DAY_MS, Retention};
use crate::store::Store;

/// When the checks start: a time whose expiries are far from 0.
pub const T0: u64 = 400 * DAY_MS;

/// A clock at [`T0`] and a retention of one day on it.
pub fn one_day() -> (Arc<ManualClock>, Retention) {
    let clock = Arc::new(ManualClock::at(T0));
    let retention = Retention::days(1, clock.clone());
    (clock, retention)
}

fn seqs(page: &crate::store::Page) -> Vec<u64> {
    page.entries.iter().map(|e| e.seq).collect()
}

/// Entries past their expiry are in no `sync` or `history` page, `sync` says which seq
/// the inbox keeps first when the ones after `after` expired, and seqs go on after them.
pub async fn expired_entries_are_left_out_and_sync_reports_the_oldest_kept<S: Store>(store: &S, clock: &ManualClock) {
    let old = dm("alice", "bob", "old1", T0);
    store.append(&old).await.expect("append");
    store.append(&dm("alice", "bob", "old2", T0 + 1)).await.expect("append");
    store.append(&amend(UpdateKind::Edit, "alice", &old, "edited", "old3", T0 + 2)).await.expect("edit");
    clock.advance(2 * DAY_MS);
    let bob = user("bob");
    let conv = Conversation::direct(&user("alice"), &bob);
    let nothing = store.sync(&bob, 0, 10).await.expect("sync");
    assert!(nothing.entries.is_empty(), "everything expired: {nothing:?}");
    assert_eq!(nothing.oldest, None, "nothing kept to report");
    let now = T0 + 2 * DAY_MS;
    let AppendOutcome::Stored { seqs: new_seqs, .. } =
        store.append(&dm("alice", "bob", "new1", now)).await.expect("append")
    else {
        panic!("stored")
    };
    assert!(new_seqs.contains(&(bob.clone(), 4)), "seqs go on after expired entries: {new_seqs:?}");
    store.append(&dm("alice", "bob", "new2", now + 1)).await.expect("append");
    let page = store.sync(&bob, 0, 10).await.expect("sync");
    assert_eq!((seqs(&page), page.oldest, page.next), (vec![4, 5], Some(4), None));
    let page = store.sync(&bob, 2, 1).await.expect("sync");
    assert_eq!((seqs(&page), page.oldest, page.next), (vec![4], Some(4), Some(4)));
    let page = store.sync(&bob, 3, 10).await.expect("sync");
    assert_eq!((seqs(&page), page.oldest), (vec![4, 5], None), "nothing missed after 3");
    let page = store.sync(&bob, 4, 10).await.expect("sync");
    assert_eq!((seqs(&page), page.oldest), (vec![5], None));
    let history = store.history(&bob, &conv, None, 10).await.expect("history");
    assert_eq!((seqs(&history), history.next), (vec![5, 4], None), "history stops at the oldest kept");
    let after = store.history_after(&bob, &conv, 0, 10).await.expect("history");
    assert_eq!(seqs(&after), vec![5, 4]);
    assert_eq!(store.message(&bob, &old.msg_id).await.expect("read"), None, "an expired message is gone");
    let late_edit = amend(UpdateKind::Edit, "alice", &old, "too late", "old4", now + 2);
    assert_eq!(store.append(&late_edit).await.expect("edit"), AppendOutcome::NotFound);
}

/// A `sync` from before many expired entries pages on past them (never an early end with
/// nothing and no cursor) and reports the oldest kept entry on the page that starts there.
pub async fn sync_pages_on_past_many_expired_entries<S: Store>(store: &S, clock: &ManualClock) {
    for i in 0..30 {
        store.append(&dm("alice", "bob", &format!("x{i}"), T0 + i)).await.expect("append");
    }
    clock.advance(2 * DAY_MS);
    let now = T0 + 2 * DAY_MS;
    store.append(&dm("alice", "bob", "kept1", now)).await.expect("append");
    store.append(&dm("alice", "bob", "kept2", now + 1)).await.expect("append");
    let bob = user("bob");
    let (mut after, mut got, mut oldest) = (0, Vec::new(), Vec::new());
    for _ in 0..40 {
        let page = store.sync(&bob, after, 5).await.expect("sync");
        got.extend(seqs(&page));
        oldest.extend(page.oldest);
        match page.next.or(page.entries.last().map(|e| e.seq)) {
            Some(n) if n > after => after = n,
            _ => break,
        }
    }
    assert_eq!(got, vec![31, 32]);
    assert_eq!(oldest, vec![31], "reported once, with the first kept entry");
}

/// A summary whose last message expired shows no preview and counts nothing unread; one
/// with a kept last message is as before.
pub async fn summaries_keep_only_what_still_exists<S: Store>(store: &S, clock: &ManualClock) {
    store.append(&dm("alice", "bob", "gone", T0)).await.expect("append");
    clock.advance(2 * DAY_MS);
    store.append(&dm("carol", "bob", "here", T0 + 2 * DAY_MS)).await.expect("append");
    let bob = user("bob");
    let list = store.conversations(&bob, None, 10).await.expect("list");
    assert_eq!(list.items.len(), 2, "both conversations still exist: {list:?}");
    let (fresh, stale) = (&list.items[0], &list.items[1]);
    assert_eq!((fresh.last.preview.as_str(), fresh.last.expired, fresh.unread), ("here from carol", false, 1));
    assert_eq!((stale.last.preview.as_str(), stale.last.expired, stale.unread), ("", true, 0));
    let alice = Conversation::direct(&user("alice"), &bob);
    let one = store.summaries(&bob, std::slice::from_ref(&alice)).await.expect("summaries");
    assert!(one[0].as_ref().is_some_and(|s| s.last.expired && s.unread == 0), "{one:?}");
}

/// Builds one test per retention check, given an expression of a function from a
/// [`Retention`] to a future of a fresh, empty store with it.
#[macro_export]
macro_rules! store_retention_tests {
    ($make:expr) => {
        $crate::store_retention_tests!(@each $make;
            expired_entries_are_left_out_and_sync_reports_the_oldest_kept,
            sync_pages_on_past_many_expired_entries,
            summaries_keep_only_what_still_exists,
        );
    };
    (@each $make:expr; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                let (clock, retention) = $crate::store::conformance::one_day();
                let store = ($make)(retention).await;
                $crate::store::conformance::$check(&store, &clock).await;
            }
        )*
    };
}
