//! The store conformance suite: the behaviour every [`Store`] implementation must have.
//! [`crate::store_conformance_tests!`] expands to one `#[tokio::test]` per check, given an
//! expression that builds a fresh, empty store; the memory store, the journaled store and
//! the DynamoDB store all run it.

use futures_util::future::join_all;

mod blocks;
mod export;
mod reports;
mod retention;
mod rich;
mod server;
pub use blocks::*;
pub use export::*;
pub use reports::*;
pub use retention::*;
pub use rich::*;
pub use server::*;

use super::{Connection, MembersChange, Spend, Store, Subscription};
use crate::group::Group;
use crate::ids::{ClientMsgId, ConnectionId, Conversation, DeviceId, GroupId, MsgId, UserId};
use crate::message::{AppendOutcome, IDEMPOTENCY_TTL_MS, NewMessage, ReadOutcome, UpdateKind};
use crate::protocol::{MAX_GROUP_MEMBERS, ReceiptStatus};
use crate::ratelimit::{Budget, RateLimit, Route};

/// A user id for tests; panics on an invalid literal.
pub fn user(s: &str) -> UserId {
    UserId::parse(s).expect("test user ids are valid")
}

/// A 1:1 message from `from` to `to` with client id `cid`, sent at `ts`.
pub fn dm(from: &str, to: &str, cid: &str, ts: u64) -> NewMessage {
    let (a, b) = (user(from), user(to));
    let mut participants = vec![a.clone()];
    if a != b {
        participants.push(b.clone());
    }
    NewMessage {
        reply_to: None,
        mentions: Vec::new(),
        removed: false,
        origin: crate::message::Origin::User,
        msg_id: MsgId::generate(ts),
        conversation: Conversation::direct(&a, &b),
        from: a,
        client_msg_id: ClientMsgId::parse(cid).expect("valid client id"),
        body: format!("{cid} from {from}"),
        ts,
        participants,
        limit: None,
        amends: None,
        name: None,
        attachments: Vec::new(),
    }
}

/// Appends `n` messages from alice to bob.
pub async fn fill<S: Store>(store: &S, n: u32) {
    for i in 0..n {
        let m = dm("alice", "bob", &format!("fill-{}", ulid::Ulid::new()), 1_000 + u64::from(i));
        store.append(&m).await.expect("append");
    }
}

async fn seqs_of<S: Store>(store: &S, who: &str) -> Vec<u64> {
    let page = store.sync(&user(who), 0, 100).await.expect("sync");
    page.entries.iter().map(|e| e.seq).collect()
}

/// Every participant gets the next seq of its own inbox.
pub async fn append_assigns_gap_free_seqs_per_user<S: Store>(store: &S) {
    for i in 0..3 {
        let out = store.append(&dm("alice", "bob", &format!("a{i}"), 10 + i)).await.expect("append");
        let AppendOutcome::Stored { ack, seqs } = out else { panic!("first send must be stored") };
        assert_eq!(ack.seq, i + 1);
        assert!(seqs.contains(&(user("bob"), i + 1)));
    }
    let out = store.append(&dm("carol", "bob", "c0", 20)).await.expect("append");
    let AppendOutcome::Stored { ack, seqs } = out else { panic!("stored") };
    assert_eq!(ack.seq, 1, "carol's own inbox starts at 1");
    assert!(seqs.contains(&(user("bob"), 4)));
    assert_eq!(seqs_of(store, "bob").await, vec![1, 2, 3, 4]);
    assert_eq!(seqs_of(store, "alice").await, vec![1, 2, 3]);
}

/// A resend with the same `(from, clientMsgId)` returns the first ack and stores nothing.
pub async fn a_resend_returns_the_first_ack_and_stores_nothing<S: Store>(store: &S) {
    let first = dm("alice", "bob", "same", 100);
    let AppendOutcome::Stored { ack, .. } = store.append(&first).await.expect("append") else { panic!("stored") };
    let again = dm("alice", "bob", "same", 200);
    assert_eq!(store.append(&again).await.expect("append"), AppendOutcome::Duplicate(ack.clone()));
    assert_eq!(ack.msg_id, first.msg_id);
    assert_eq!(seqs_of(store, "bob").await, vec![1]);
    let other_sender = dm("carol", "bob", "same", 300);
    assert!(matches!(store.append(&other_sender).await.expect("append"), AppendOutcome::Stored { .. }));
}

/// A `clientMsgId` reused within 24 hours for another body or another recipient is a
/// conflict, and stores nothing; the original resend still gets its ack.
pub async fn a_client_msg_id_reused_for_another_message_is_a_conflict<S: Store>(store: &S) {
    let first = dm("alice", "bob", "reused", 100);
    let AppendOutcome::Stored { ack, .. } = store.append(&first).await.expect("append") else { panic!("stored") };
    let mut other_body = dm("alice", "bob", "reused", 200);
    other_body.body = "a different body".into();
    assert_eq!(store.append(&other_body).await.expect("append"), AppendOutcome::Conflict);
    let other_recipient = dm("alice", "carol", "reused", 300);
    assert_eq!(store.append(&other_recipient).await.expect("append"), AppendOutcome::Conflict);
    assert_eq!(seqs_of(store, "carol").await, Vec::<u64>::new(), "nothing stored for the conflict");
    assert_eq!(seqs_of(store, "alice").await, vec![1]);
    assert_eq!(store.append(&dm("alice", "bob", "reused", 400)).await.expect("append"), AppendOutcome::Duplicate(ack));
    // The same holds on the chunked path of a large group.
    let members: Vec<UserId> = (0..60).map(|i| user(&format!("r{i:02}"))).collect();
    let group = NewMessage {
        reply_to: None,
        mentions: Vec::new(),
        removed: false,
        origin: crate::message::Origin::User,
        msg_id: MsgId::generate(500),
        conversation: Conversation::Group(GroupId::parse("sixty").expect("valid")),
        from: members[0].clone(),
        client_msg_id: ClientMsgId::parse("g-reused").expect("valid"),
        body: "first".into(),
        ts: 500,
        participants: members.clone(),
        limit: None,
        amends: None,
        name: None,
        attachments: Vec::new(),
    };
    assert!(matches!(store.append(&group).await.expect("append"), AppendOutcome::Stored { .. }));
    let changed = NewMessage { msg_id: MsgId::generate(600), body: "second".into(), ts: 600, ..group.clone() };
    assert_eq!(store.append(&changed).await.expect("append"), AppendOutcome::Conflict);
    assert_eq!(seqs_of(store, "r59").await, vec![1]);
}

/// The send limit is the sender's, whichever connection or instance appends: concurrent
/// appends never overspend it, a refused one stores nothing, and a resend is not charged.
pub async fn the_send_limit_holds_per_user_under_concurrent_appends<S: Store>(store: &S) {
    let limit = RateLimit { rate: 0.001, burst: 5.0 };
    let sends: Vec<NewMessage> = (0..20)
        .map(|i| NewMessage { limit: Some(limit), ..dm("alice", "bob", &format!("burst-{i}"), 10_000) })
        .collect();
    let outcomes = join_all(sends.iter().map(|m| store.append(m))).await;
    let stored = outcomes.iter().filter(|o| matches!(o, Ok(AppendOutcome::Stored { .. }))).count();
    let limited = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(AppendOutcome::RateLimited { retry_after_ms }) if *retry_after_ms > 0))
        .count();
    assert_eq!((stored, limited), (5, 15), "{outcomes:?}");
    assert_eq!(seqs_of(store, "bob").await, vec![1, 2, 3, 4, 5], "refused sends store nothing");
    let first_stored = sends.iter().zip(&outcomes).find(|(_, o)| matches!(o, Ok(AppendOutcome::Stored { .. })));
    let (stored_one, _) = first_stored.expect("one was stored");
    // A client's resend: same clientMsgId and body, a fresh server msgId.
    let resend = NewMessage { msg_id: MsgId::generate(20_000), ts: 20_000, ..stored_one.clone() };
    let outcome = store.append(&resend).await.expect("append");
    assert!(matches!(outcome, AppendOutcome::Duplicate(_)), "a resend is answered, never limited: {outcome:?}");
    let carol = NewMessage { limit: Some(limit), ..dm("carol", "bob", "carol-1", 10_000) };
    assert!(
        matches!(store.append(&carol).await.expect("append"), AppendOutcome::Stored { .. }),
        "another user has its own"
    );
    let later = NewMessage { limit: Some(limit), ..dm("alice", "bob", "later", 10_000 + 1_000_000) };
    assert!(matches!(store.append(&later).await.expect("append"), AppendOutcome::Stored { .. }), "tokens refill");
}

/// A budget is per user and route; concurrent requests spend it exactly once each.
pub async fn budgets_hold_per_user_under_concurrent_requests<S: Store>(store: &S) {
    let budget = Budget::per_minute(10);
    let now = 120_000;
    let alice = user("alice");
    let spends = join_all((0..30).map(|_| store.spend(&alice, Route::Group, &budget, now))).await;
    let allowed = spends.iter().filter(|s| matches!(s, Ok(Spend::Allowed))).count();
    assert_eq!(allowed, 10, "{spends:?}");
    assert!(spends.iter().all(|s| matches!(s, Ok(Spend::Allowed) | Ok(Spend::Refused { retry_after_ms: 60_000 }))));
    let other_route = store.spend(&alice, Route::Typing, &budget, now).await.expect("spend");
    let other_user = store.spend(&user("bob"), Route::Group, &budget, now).await.expect("spend");
    assert_eq!((other_route, other_user), (Spend::Allowed, Spend::Allowed));
    let next_window = store.spend(&alice, Route::Group, &budget, now + 60_000).await.expect("spend");
    assert_eq!(next_window, Spend::Allowed);
}

/// Idempotency records are forgotten after 24 hours.
pub async fn idempotency_expires_after_24_hours<S: Store>(store: &S) {
    store.append(&dm("alice", "bob", "old", 1_000)).await.expect("append");
    let late = dm("alice", "bob", "old", 1_000 + IDEMPOTENCY_TTL_MS + 1);
    assert!(matches!(store.append(&late).await.expect("append"), AppendOutcome::Stored { .. }));
    assert_eq!(seqs_of(store, "bob").await, vec![1, 2]);
}

/// Concurrent appends to one user give every message its own seq, with no gap.
pub async fn concurrent_appends_leave_no_gap_and_no_duplicate<S: Store>(store: &S) {
    let senders = ["s1", "s2", "s3", "s4", "s5"];
    let sends = senders.iter().flat_map(|s| (0..8).map(move |i| dm(s, "target", &format!("{s}-{i}"), 500)));
    let messages: Vec<NewMessage> = sends.collect();
    let outcomes = join_all(messages.iter().map(|m| store.append(m))).await;
    for o in &outcomes {
        assert!(matches!(o, Ok(AppendOutcome::Stored { .. })), "{o:?}");
    }
    let page = store.sync(&user("target"), 0, 100).await.expect("sync");
    assert_eq!(page.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=40).collect::<Vec<_>>());
    let mut ids: Vec<_> = page.entries.iter().map(|e| e.msg_id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 40);
}

/// A message to oneself gets one entry.
pub async fn a_note_to_self_is_stored_once<S: Store>(store: &S) {
    store.append(&dm("alice", "alice", "self", 5)).await.expect("append");
    let page = store.sync(&user("alice"), 0, 100).await.expect("sync");
    assert_eq!(page.entries.len(), 1);
    assert_eq!(page.entries[0].conversation.to_string(), "dm:alice:alice");
}

/// Sync pages ascend from `after`, with `next` until the end.
pub async fn sync_pages_through_the_inbox<S: Store>(store: &S) {
    fill(store, 7).await;
    let bob = user("bob");
    let p1 = store.sync(&bob, 0, 3).await.expect("sync");
    assert_eq!(p1.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(p1.next, Some(3));
    let p3 = store.sync(&bob, 6, 3).await.expect("sync");
    assert_eq!(p3.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![7]);
    assert_eq!(p3.next, None);
    let exact = store.sync(&bob, 4, 3).await.expect("sync");
    assert_eq!(exact.next, None, "a page that ends at the last entry has no next");
    assert!(store.sync(&bob, 7, 3).await.expect("sync").entries.is_empty());
    assert!(store.sync(&user("nobody"), 0, 3).await.expect("sync").entries.is_empty());
    let entry = &p1.entries[0];
    assert_eq!(entry.from, "alice");
    assert_eq!(entry.conversation.to_string(), "dm:alice:bob");
    assert!(entry.body.starts_with("fill-"));
}

/// History reads one conversation, newest first, paging with `before`.
pub async fn history_pages_one_conversation_newest_first<S: Store>(store: &S) {
    for i in 0..5 {
        store.append(&dm("alice", "bob", &format!("ab{i}"), 10 + i)).await.expect("append");
        store.append(&dm("carol", "bob", &format!("cb{i}"), 20 + i)).await.expect("append");
    }
    let bob = user("bob");
    let conv = Conversation::direct(&user("alice"), &bob);
    let p1 = store.history(&bob, &conv, None, 2).await.expect("history");
    assert_eq!(p1.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![9, 7]);
    assert_eq!(p1.next, Some(7));
    let p2 = store.history(&bob, &conv, p1.next, 2).await.expect("history");
    assert_eq!(p2.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![5, 3]);
    let p3 = store.history(&bob, &conv, p2.next, 2).await.expect("history");
    assert_eq!(p3.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1]);
    assert_eq!(p3.next, None);
    let alice_view = store.history(&user("alice"), &conv, None, 100).await.expect("history");
    assert_eq!(alice_view.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![5, 4, 3, 2, 1]);
    let stranger = store.history(&user("mallory"), &conv, None, 100).await.expect("history");
    assert!(stranger.entries.is_empty());
}

/// Connections are listed per user, without expired ones, and can be deleted.
pub async fn connections_are_listed_per_user_and_deleted<S: Store>(store: &S) {
    let conn = |u: &str, id: &str, expires_at: u64| Connection {
        user: user(u),
        connection_id: ConnectionId::parse(id).expect("valid"),
        device: Some(DeviceId::parse("phone").expect("valid")),
        connected_at: 1_000,
        expires_at,
    };
    store.put_connection(&conn("alice", "c1=", 10_000)).await.expect("put");
    store.put_connection(&conn("alice", "c2=", 10_000)).await.expect("put");
    store.put_connection(&conn("alice", "old=", 50)).await.expect("put");
    store.put_connection(&conn("bob", "c3=", 10_000)).await.expect("put");
    let mut alice = store.connections(&user("alice"), 100).await.expect("list");
    alice.sort_by(|a, b| a.connection_id.cmp(&b.connection_id));
    assert_eq!(alice, vec![conn("alice", "c1=", 10_000), conn("alice", "c2=", 10_000)]);
    store.delete_connection(&user("alice"), &ConnectionId::parse("c1=").expect("valid")).await.expect("delete");
    store.delete_connection(&user("alice"), &ConnectionId::parse("nope=").expect("valid")).await.expect("delete");
    let alice = store.connections(&user("alice"), 100).await.expect("list");
    assert_eq!(alice.len(), 1);
    assert!(store.connections(&user("nobody"), 100).await.expect("list").is_empty());
}

/// Groups are stored with their members, updated, and indexed by member.
pub async fn groups_are_created_read_updated_and_indexed_by_member<S: Store>(store: &S) {
    let id = GroupId::parse("g-conf").expect("valid");
    let g = Group::create(id.clone(), "team".into(), user("alice"), &[user("bob"), user("carol")]).expect("valid");
    store.create_group(&g).await.expect("create");
    assert_eq!(store.group(&id).await.expect("read"), Some(g.clone()));
    assert_eq!(store.groups_of(&user("bob")).await.expect("index"), vec![id.clone()]);
    let change = store.update_members(&id, &[user("dave")], &[user("bob")]).await.expect("update");
    assert_eq!(change, MembersChange::Done);
    let after = store.group(&id).await.expect("read").expect("exists");
    assert_eq!(after.members, vec![user("alice"), user("carol"), user("dave")]);
    assert_eq!(after.creator, user("alice"));
    assert_eq!(after.name, "team");
    assert!(store.groups_of(&user("bob")).await.expect("index").is_empty());
    assert_eq!(store.groups_of(&user("dave")).await.expect("index"), vec![id]);
    assert_eq!(store.group(&GroupId::parse("nope").expect("valid")).await.expect("read"), None);
}

/// Concurrent adds never push a group past its cap, and a change planned on a stale read
/// (adding a member twice, removing one already gone) applies nothing.
pub async fn the_member_cap_holds_under_concurrent_adds<S: Store>(store: &S) {
    let id = GroupId::parse("g-cap").expect("valid");
    let g = Group::create(id.clone(), "big".into(), user("owner"), &[user("first")]).expect("valid");
    store.create_group(&g).await.expect("create");
    let batches: Vec<Vec<UserId>> = (0..5).map(|b| (0..30).map(|i| user(&format!("u{b}-{i:02}"))).collect()).collect();
    // A stale answer (a concurrent transaction won) is retried, as the handler does.
    let changes = join_all(batches.iter().map(|added| async {
        for _ in 0..20 {
            match store.update_members(&id, added, &[]).await {
                Ok(MembersChange::Stale) => continue,
                other => return other,
            }
        }
        Ok(MembersChange::Stale)
    }))
    .await;
    let done = changes.iter().filter(|c| matches!(c, Ok(MembersChange::Done))).count();
    let members = store.group(&id).await.expect("read").expect("exists").members;
    assert_eq!(members.len(), 2 + 30 * done, "every applied batch is whole: {changes:?}");
    assert!(members.len() <= MAX_GROUP_MEMBERS, "{} members", members.len());
    assert_eq!(done, 3, "three batches of 30 fit beside the first two members, a fourth never: {changes:?}");
    assert!(
        changes.iter().all(|c| matches!(c, Ok(MembersChange::Done | MembersChange::TooLarge | MembersChange::Stale)))
    );
    let again = store.update_members(&id, &[user("first")], &[]).await.expect("update");
    assert_eq!(again, MembersChange::Stale, "adding a member twice applies nothing");
    let gone = store.update_members(&id, &[], &[user("nobody")]).await.expect("update");
    assert_eq!(gone, MembersChange::Stale, "removing a non-member applies nothing");
    let len = store.group(&id).await.expect("read").expect("exists").members.len();
    assert_eq!(len, members.len());
}

/// A message to 100 participants gives each the next seq of its own inbox, once.
pub async fn a_message_to_100_participants_is_stored_once_for_each<S: Store>(store: &S) {
    let members: Vec<UserId> = (0..100).map(|i| user(&format!("m{i:03}"))).collect();
    store.append(&dm("m005", "m007", "before", 1)).await.expect("append");
    let group = Conversation::Group(GroupId::parse("big").expect("valid"));
    let msg = NewMessage {
        reply_to: None,
        mentions: Vec::new(),
        removed: false,
        origin: crate::message::Origin::User,
        msg_id: MsgId::generate(10),
        conversation: group.clone(),
        from: members[0].clone(),
        client_msg_id: ClientMsgId::parse("big-1").expect("valid"),
        body: "to everyone".into(),
        ts: 10,
        participants: members.clone(),
        limit: None,
        amends: None,
        name: None,
        attachments: Vec::new(),
    };
    let AppendOutcome::Stored { ack, seqs } = store.append(&msg).await.expect("append") else { panic!("stored") };
    assert_eq!(ack.seq, 1);
    assert_eq!(seqs.len(), 100);
    for m in &members {
        let expected = if m.as_str() == "m005" || m.as_str() == "m007" { vec![1, 2] } else { vec![1] };
        assert_eq!(seqs_of(store, m.as_str()).await, expected, "{m}");
    }
    assert!(matches!(store.append(&msg).await.expect("append"), AppendOutcome::Duplicate(_)));
    assert_eq!(seqs_of(store, "m099").await, vec![1], "a resend stores nothing");
    let page = store.history(&members[42], &group, None, 10).await.expect("history");
    assert_eq!(page.entries.len(), 1);
    assert_eq!(page.entries[0].body, "to everyone");
}

/// Server notices carry no client id and need no idempotency record.
pub async fn system_notices_are_stored_for_each_participant<S: Store>(store: &S) {
    let conv = Conversation::Group(GroupId::parse("g").expect("valid"));
    let notice = NewMessage::system(conv, "alice added bob".into(), 50, vec![user("alice"), user("bob")]);
    store.append(&notice).await.expect("append");
    let page = store.sync(&user("bob"), 0, 10).await.expect("sync");
    assert_eq!(page.entries.len(), 1);
    assert_eq!(page.entries[0].from, "system");
    assert_eq!(page.entries[0].client_msg_id, None);
    let again = NewMessage::system(notice.conversation.clone(), "x".into(), 60, vec![user("bob")]);
    store.append(&again).await.expect("append");
    assert_eq!(seqs_of(store, "bob").await, vec![1, 2]);
}

fn amend(kind: UpdateKind, by: &str, target: &NewMessage, body: &str, cid: &str, ts: u64) -> NewMessage {
    NewMessage {
        msg_id: target.msg_id.clone(),
        from: user(by),
        client_msg_id: ClientMsgId::parse(cid).expect("valid client id"),
        body: body.into(),
        ts,
        amends: Some(kind),
        ..target.clone()
    }
}

async fn stored<S: Store>(store: &S, m: &NewMessage) -> (u64, Vec<(UserId, u64)>) {
    match store.append(m).await.expect("append") {
        AppendOutcome::Stored { ack, seqs } => (ack.seq, seqs),
        other => panic!("expected stored, got {other:?}"),
    }
}

/// Every append keeps each participant's conversation summary exact: last message,
/// last seq, unread count (messages from others only), most recent first, paged.
pub async fn the_conversation_list_is_exact_after_every_append<S: Store>(store: &S) {
    for i in 0..3u64 {
        stored(store, &dm("alice", "bob", &format!("s{i}"), 10 + i)).await;
    }
    let long = NewMessage { body: "é".repeat(300), ..dm("carol", "bob", "c1", 40) };
    stored(store, &long).await;
    let bob = store.conversations(&user("bob"), None, 50).await.expect("list");
    let convs: Vec<String> = bob.items.iter().map(|s| s.conversation.to_string()).collect();
    assert_eq!(convs, vec!["dm:bob:carol", "dm:alice:bob"], "most recent first");
    assert_eq!(bob.next, None);
    let (carol, alice) = (&bob.items[0], &bob.items[1]);
    assert_eq!((carol.unread, carol.last_seq, carol.read_up_to), (1, 4, 0));
    assert_eq!(carol.last.preview.chars().count(), 100, "previews are cut to 100 characters");
    assert!(carol.last.preview.ends_with('…'));
    assert_eq!((alice.unread, alice.last_seq), (3, 3));
    assert_eq!(alice.last.preview, "s2 from alice");
    assert_eq!(alice.last.from, "alice");
    let mine = store.conversations(&user("alice"), None, 50).await.expect("list");
    assert_eq!(mine.items.len(), 1);
    assert_eq!(mine.items[0].unread, 0, "one's own messages never count as unread");
    // Paging, and a reply moving a conversation back to the top.
    stored(store, &dm("bob", "alice", "reply", 50)).await;
    let first = store.conversations(&user("bob"), None, 1).await.expect("page 1");
    assert_eq!(first.items[0].conversation.to_string(), "dm:alice:bob");
    assert_eq!(first.items[0].unread, 3, "bob's own reply does not count");
    let next = first.next.expect("a second page");
    let second = store.conversations(&user("bob"), Some(next), 1).await.expect("page 2");
    assert_eq!(second.items[0].conversation.to_string(), "dm:bob:carol");
    if let Some(after) = second.next {
        let rest = store.conversations(&user("bob"), Some(after), 1).await.expect("page 3");
        assert!(rest.items.is_empty());
    }
    // A group's name rides with its messages.
    let group = NewMessage {
        conversation: Conversation::Group(GroupId::parse("g1").expect("valid")),
        participants: vec![user("alice"), user("bob")],
        name: Some("Team".into()),
        ..dm("alice", "bob", "g-1", 60)
    };
    stored(store, &group).await;
    let found = store
        .summaries(&user("bob"), &[group.conversation.clone(), Conversation::direct(&user("bob"), &user("zed"))])
        .await
        .expect("summaries");
    assert_eq!(found[0].as_ref().and_then(|s| s.name.as_deref()), Some("Team"));
    assert_eq!(found[1], None, "no summary without a message");
}

/// Read markers only move forward, clamp to the conversation's last seq, and recount the
/// unread messages, also while messages keep arriving.
pub async fn read_markers_move_forward_and_recount_unread<S: Store>(store: &S) {
    for i in 0..3u64 {
        stored(store, &dm("alice", "bob", &format!("r{i}"), 10 + i)).await;
    }
    let conv = Conversation::direct(&user("alice"), &user("bob"));
    let ReadOutcome::Moved(s) = store.mark_read(&user("bob"), &conv, 2).await.expect("read") else { panic!("moved") };
    assert_eq!((s.read_up_to, s.unread), (2, 1));
    let back = store.mark_read(&user("bob"), &conv, 1).await.expect("read");
    assert!(matches!(back, ReadOutcome::Unchanged(ref s) if s.read_up_to == 2 && s.unread == 1), "{back:?}");
    let ReadOutcome::Moved(s) = store.mark_read(&user("bob"), &conv, 99).await.expect("read") else { panic!("moved") };
    assert_eq!((s.read_up_to, s.unread), (3, 0), "clamped to the last seq");
    let stranger = Conversation::direct(&user("bob"), &user("nobody"));
    assert_eq!(store.mark_read(&user("bob"), &stranger, 1).await.expect("read"), ReadOutcome::NotFound);
    // Reads racing appends: the count always equals what sync shows after the marker.
    let sends =
        (0..8u64).map(|i| async move { stored(store, &dm("alice", "bob", &format!("race{i}"), 100 + i)).await });
    let conv_ref = &conv;
    let reads = (0..8u64).map(|i| async move { store.mark_read(&user("bob"), conv_ref, 3 + i).await.expect("read") });
    let (_, _) = futures_util::future::join(join_all(sends), join_all(reads)).await;
    let summary = store.summaries(&user("bob"), std::slice::from_ref(&conv)).await.expect("read")[0].clone();
    let summary = summary.expect("summary");
    let inbox = store.sync(&user("bob"), 0, 100).await.expect("sync").entries;
    let expected = inbox.iter().filter(|e| e.seq > summary.read_up_to && e.from == "alice").count() as u64;
    assert_eq!(summary.unread, expected, "{summary:?}");
    assert_eq!(summary.last_seq, 11);
}

/// A send to 100 members counts one unread message for each member but the sender.
pub async fn a_100_member_group_send_counts_unread_for_every_member<S: Store>(store: &S) {
    let members: Vec<UserId> = (0..100).map(|i| user(&format!("u{i:03}"))).collect();
    let group = NewMessage {
        conversation: Conversation::Group(GroupId::parse("hundred").expect("valid")),
        participants: members.clone(),
        from: members[0].clone(),
        ..dm("u000", "u001", "h-1", 10)
    };
    stored(store, &group).await;
    stored(store, &NewMessage { msg_id: MsgId::generate(11), ..dm("u001", "u000", "h-2", 11) }).await;
    for m in &members {
        let s = store.summaries(m, std::slice::from_ref(&group.conversation)).await.expect("read")[0].clone();
        let s = s.expect("every member has the conversation");
        assert_eq!(s.unread, u64::from(m != &members[0]), "{m}");
        assert_eq!(s.last.msg_id, group.msg_id);
    }
}

/// An edit or delete takes the next seq in every holder's inbox (an update entry), changes
/// the message in place, moves the summaries, and is idempotent.
pub async fn edits_and_deletes_take_a_seq_and_change_the_message_in_place<S: Store>(store: &S) {
    let hello = dm("alice", "bob", "hello", 10);
    stored(store, &hello).await;
    let hi = dm("bob", "alice", "hi", 20);
    stored(store, &hi).await;
    let edit = amend(UpdateKind::Edit, "alice", &hello, "hello!", "e1", 30);
    let (seq, seqs) = stored(store, &edit).await;
    assert_eq!(seq, 3);
    assert!(seqs.contains(&(user("bob"), 3)));
    let page = store.sync(&user("bob"), 2, 10).await.expect("sync");
    assert_eq!(page.entries.len(), 1);
    let update = &page.entries[0];
    assert_eq!((update.kind, update.seq, update.body.as_str()), (Some(UpdateKind::Edit), 3, "hello!"));
    assert_eq!((update.msg_id.clone(), update.from.as_str()), (hello.msg_id.clone(), "alice"));
    let conv = hello.conversation.clone();
    let history = store.history(&user("bob"), &conv, None, 10).await.expect("history").entries;
    assert_eq!(history.len(), 2, "history holds messages only");
    assert_eq!((history[1].body.as_str(), history[1].edited_at), ("hello!", Some(30)));
    let latest = store.message(&user("bob"), &hello.msg_id).await.expect("read").expect("held");
    assert_eq!(latest.body, "hello!");
    assert!(matches!(store.append(&edit).await.expect("append"), AppendOutcome::Duplicate(a) if a.seq == 3));
    let summary = store.summaries(&user("bob"), std::slice::from_ref(&conv)).await.expect("read")[0].clone();
    let summary = summary.expect("summary");
    assert_eq!((summary.last.msg_id.clone(), summary.last_seq, summary.unread), (hi.msg_id.clone(), 3, 1));
    // Someone else's message is not theirs to change; the store refuses it too.
    let foreign = amend(UpdateKind::Delete, "alice", &hi, "", "d0", 35);
    assert_eq!(store.append(&foreign).await.expect("append"), AppendOutcome::NotFound);
    // An edit of the last message moves the preview; a delete empties it.
    stored(store, &amend(UpdateKind::Edit, "bob", &hi, "hi there", "e2", 40)).await;
    let s = store.summaries(&user("alice"), std::slice::from_ref(&conv)).await.expect("read")[0].clone();
    let s = s.expect("summary");
    assert_eq!((s.last.preview.as_str(), s.last.edited_at, s.last_seq), ("hi there", Some(40), 4));
    stored(store, &amend(UpdateKind::Delete, "bob", &hi, "", "d1", 50)).await;
    let s = store.summaries(&user("alice"), std::slice::from_ref(&conv)).await.expect("read")[0].clone();
    let s = s.expect("summary");
    assert!(s.last.deleted && s.last.preview.is_empty(), "{s:?}");
    let gone = store.message(&user("alice"), &hi.msg_id).await.expect("read").expect("held");
    assert!(gone.deleted && gone.body.is_empty());
    let again = amend(UpdateKind::Edit, "bob", &hi, "back", "e3", 60);
    assert_eq!(store.append(&again).await.expect("append"), AppendOutcome::NotFound, "a deleted message stays deleted");
    assert_eq!(seqs_of(store, "alice").await, vec![1, 2, 3, 4, 5], "contiguous seqs, nothing for refusals");
    assert_eq!(seqs_of(store, "bob").await, vec![1, 2, 3, 4, 5]);
}

/// An edit in a group of 60 (past one transaction on DynamoDB) reaches every holder once;
/// a member who never held the message gets nothing.
pub async fn an_edit_in_a_large_group_reaches_every_holder_once<S: Store>(store: &S) {
    let members: Vec<UserId> = (0..60).map(|i| user(&format!("e{i:02}"))).collect();
    let msg = NewMessage {
        conversation: Conversation::Group(GroupId::parse("sixty-e").expect("valid")),
        participants: members.clone(),
        from: members[0].clone(),
        ..dm("e00", "e01", "big-e", 10)
    };
    stored(store, &msg).await;
    let mut participants = members.clone();
    participants.push(user("latecomer"));
    let edit = NewMessage { participants, ..amend(UpdateKind::Edit, "e00", &msg, "fixed", "big-e-1", 20) };
    let (seq, seqs) = stored(store, &edit).await;
    assert_eq!((seq, seqs.len()), (2, 60));
    assert!(matches!(store.append(&edit).await.expect("append"), AppendOutcome::Duplicate(_)));
    for m in &members {
        assert_eq!(seqs_of(store, m.as_str()).await, vec![1, 2], "{m}");
        let held = store.message(m, &msg.msg_id).await.expect("read").expect("held");
        assert_eq!(held.body, "fixed");
    }
    assert_eq!(seqs_of(store, "latecomer").await, Vec::<u64>::new());
}

fn upload(owner: &str, conversation: &Conversation, now: u64) -> crate::media::Upload {
    crate::media::Upload {
        id: crate::media::UploadId::generate(now),
        owner: user(owner),
        conversation: conversation.clone(),
        content_type: "image/png".into(),
        size: 1234,
        name: "cat.png".into(),
        created_at: now,
        state: crate::media::UploadState::Pending,
        thumbnail: false,
        width: None,
        height: None,
        used_by: None,
    }
}

const READY: crate::media::Checked = crate::media::Checked {
    state: crate::media::UploadState::Ready,
    thumbnail: true,
    width: Some(640),
    height: Some(480),
};

/// An upload is finished once and attached to one message, by its owner, in its
/// conversation; every refusal stores nothing.
pub async fn an_upload_is_attached_once_by_its_owner_in_its_conversation<S: Store>(store: &S) {
    let conv = Conversation::direct(&user("alice"), &user("bob"));
    let up = upload("alice", &conv, 10);
    store.put_upload(&up).await.expect("put");
    let unknown = crate::media::UploadId::generate(11);
    let read = store.uploads(&[up.id.clone(), unknown]).await.expect("read");
    assert_eq!(read, vec![Some(up.clone()), None]);
    let attachment = std::cell::RefCell::new(up.attachment());
    let with = |from: &str, to: &str, cid: &str| NewMessage {
        attachments: vec![attachment.borrow().clone()],
        body: String::new(),
        ..dm(from, to, cid, 20)
    };
    assert_eq!(store.append(&with("alice", "bob", "early")).await.expect("append"), AppendOutcome::AttachmentRefused);
    assert!(store.finish_upload(&up.id, READY).await.expect("finish"));
    // What `send` attaches: the upload as it stands now.
    let ready = store.uploads(std::slice::from_ref(&up.id)).await.expect("read")[0].clone().expect("kept");
    *attachment.borrow_mut() = ready.attachment();
    let rejected = crate::media::Checked {
        state: crate::media::UploadState::Rejected,
        thumbnail: false,
        width: None,
        height: None,
    };
    assert!(!store.finish_upload(&up.id, rejected).await.expect("finish"), "finished once");
    assert_eq!(store.append(&with("bob", "alice", "theft")).await.expect("append"), AppendOutcome::AttachmentRefused);
    assert_eq!(
        store.append(&with("alice", "carol", "elsewhere")).await.expect("append"),
        AppendOutcome::AttachmentRefused
    );
    assert_eq!(seqs_of(store, "bob").await, Vec::<u64>::new(), "refusals store nothing");
    let msg = with("alice", "bob", "first");
    let (seq, _) = stored(store, &msg).await;
    assert_eq!(seq, 1);
    let entry = store.sync(&user("bob"), 0, 10).await.expect("sync").entries.remove(0);
    assert_eq!(entry.attachments.len(), 1);
    assert_eq!((entry.attachments[0].thumbnail, entry.attachments[0].width), (true, Some(640)));
    let used = store.uploads(std::slice::from_ref(&up.id)).await.expect("read")[0].clone().expect("kept");
    assert_eq!(used.used_by, Some(msg.msg_id.clone()));
    let resend = NewMessage { msg_id: MsgId::generate(25), ..msg.clone() };
    assert!(
        matches!(store.append(&resend).await.expect("append"), AppendOutcome::Duplicate(_)),
        "a resend is the first ack"
    );
    assert_eq!(store.append(&with("alice", "bob", "again")).await.expect("append"), AppendOutcome::AttachmentRefused);
    // Concurrent sends of one upload: exactly one stores it.
    let other = upload("alice", &conv, 30);
    store.put_upload(&other).await.expect("put");
    store.finish_upload(&other.id, READY).await.expect("finish");
    let racers = (0..6).map(|i| {
        let m = NewMessage { attachments: vec![other.attachment()], ..dm("alice", "bob", &format!("race{i}"), 40 + i) };
        async move { store.append(&m).await.expect("append") }
    });
    let outcomes = join_all(racers).await;
    let stored_count = outcomes.iter().filter(|o| matches!(o, AppendOutcome::Stored { .. })).count();
    assert_eq!(stored_count, 1, "{outcomes:?}");
    assert!(outcomes.iter().all(|o| matches!(o, AppendOutcome::Stored { .. } | AppendOutcome::AttachmentRefused)));
}

async fn receipt<S: Store>(
    store: &S,
    by: &UserId,
    msg_id: &MsgId,
    status: ReceiptStatus,
) -> Option<crate::message::ReceiptUpdate> {
    let target = store.received(by, msg_id).await.expect("received")?;
    store.record_receipt(by, &target, status).await.expect("record").then_some(target)
}

/// Receipts count only for received messages and only move forward.
pub async fn receipts_only_move_forward_and_only_for_received_messages<S: Store>(store: &S) {
    let m = dm("alice", "bob", "r1", 70);
    store.append(&m).await.expect("append");
    let (bob, alice) = (user("bob"), user("alice"));
    let delivered = receipt(store, &bob, &m.msg_id, ReceiptStatus::Delivered).await;
    let update = delivered.expect("first delivered counts");
    assert_eq!((update.sender.as_str(), update.conversation.to_string()), ("alice", "dm:alice:bob".to_owned()));
    assert_eq!(update.msg_id, m.msg_id);
    assert_eq!(receipt(store, &bob, &m.msg_id, ReceiptStatus::Delivered).await, None);
    assert!(receipt(store, &bob, &m.msg_id, ReceiptStatus::Read).await.is_some());
    assert_eq!(receipt(store, &bob, &m.msg_id, ReceiptStatus::Delivered).await, None);
    assert_eq!(receipt(store, &alice, &m.msg_id, ReceiptStatus::Read).await, None, "own message");
    assert_eq!(receipt(store, &user("mallory"), &m.msg_id, ReceiptStatus::Read).await, None);
    assert_eq!(receipt(store, &bob, &MsgId::generate(1), ReceiptStatus::Read).await, None);
    let page = store.sync(&alice, 0, 10).await.expect("sync");
    assert_eq!(page.entries[0].receipts.get(&bob), Some(&ReceiptStatus::Read));
    assert!(!page.entries[0].receipts.contains_key(&user("mallory")));
    let conv = Conversation::direct(&alice, &bob);
    let hist = store.history(&alice, &conv, None, 10).await.expect("history");
    assert_eq!(hist.entries[0].receipts.get(&bob), Some(&ReceiptStatus::Read));
    let bobs = store.sync(&bob, 0, 10).await.expect("sync");
    assert!(bobs.entries[0].receipts.is_empty(), "receipts are kept on the sender's entry only");
}

/// Presence is set by compare-and-set; a never-seen user has none.
pub async fn presence_is_compare_and_set<S: Store>(store: &S) {
    use crate::presence::PresenceState;
    let (alice, bob) = (user("alice"), user("bob"));
    assert_eq!(store.presence(&[alice.clone(), bob.clone()]).await.expect("read"), vec![None, None]);
    let on = PresenceState { online: true, last_seen: None };
    assert!(store.set_presence(&alice, None, on).await.expect("set"));
    assert!(!store.set_presence(&alice, None, on).await.expect("set"), "a stale expectation loses");
    let off = PresenceState { online: false, last_seen: Some(99) };
    assert!(store.set_presence(&alice, Some(on), off).await.expect("set"));
    assert_eq!(store.presence(&[bob, alice]).await.expect("read"), vec![None, Some(off)]);
}

/// Subscriptions are kept per watched user and lapse with their connection.
pub async fn subscriptions_are_per_watched_user_and_lapse<S: Store>(store: &S) {
    let sub = |who: &str, conn: &str, expires_at: u64| Subscription {
        subscriber: user(who),
        connection_id: ConnectionId::parse(conn).expect("valid"),
        expires_at,
    };
    store.subscribe(&[user("alice"), user("bob")], &sub("carol", "c1=", 1_000)).await.expect("subscribe");
    store.subscribe(&[user("alice")], &sub("dave", "d1=", 10)).await.expect("subscribe");
    let mut watching = store.subscribers(&user("alice"), 100).await.expect("read");
    watching.sort_by(|a, b| a.connection_id.cmp(&b.connection_id));
    assert_eq!(watching, vec![sub("carol", "c1=", 1_000)], "dave's lapsed");
    store.unsubscribe(&user("alice"), &ConnectionId::parse("c1=").expect("valid")).await.expect("unsubscribe");
    assert!(store.subscribers(&user("alice"), 100).await.expect("read").is_empty());
    assert_eq!(store.subscribers(&user("bob"), 100).await.expect("read").len(), 1);
}

/// Push endpoints are stored per user and token; a push is claimed once a day.
pub async fn push_endpoints_and_claims<S: Store>(store: &S) {
    use crate::protocol::Platform;
    use crate::push::PushEndpoint;
    let ep = |token: &str, platform| PushEndpoint {
        user: user("bob"),
        token: token.into(),
        platform,
        endpoint_arn: format!("arn:{token}"),
    };
    store.put_endpoint(&ep("t1", Platform::Fcm)).await.expect("put");
    store.put_endpoint(&ep("t2", Platform::ApnsSandbox)).await.expect("put");
    store.put_endpoint(&ep("t2", Platform::Apns)).await.expect("replace");
    let mut all = store.endpoints(&user("bob")).await.expect("list");
    all.sort_by(|a, b| a.token.cmp(&b.token));
    assert_eq!(all, vec![ep("t1", Platform::Fcm), ep("t2", Platform::Apns)]);
    assert_eq!(store.delete_endpoint(&user("bob"), "t1").await.expect("delete"), Some(ep("t1", Platform::Fcm)));
    assert_eq!(store.delete_endpoint(&user("bob"), "t1").await.expect("delete"), None);
    assert!(store.endpoints(&user("alice")).await.expect("list").is_empty());
    assert!(store.claim_push("m1#bob", 1_000).await.expect("claim"));
    assert!(!store.claim_push("m1#bob", 2_000).await.expect("claim"));
    assert!(store.claim_push("m1#carol", 2_000).await.expect("claim"));
    assert!(store.claim_push("m1#bob", 1_000 + IDEMPOTENCY_TTL_MS + 1).await.expect("claim"), "claims expire");
}

/// A device token has one owner: registering it for another user moves it (the first
/// user's pushes stop going there), concurrent registrations leave exactly one owner, and
/// a user can only release a token it owns.
pub async fn a_push_token_has_one_owner<S: Store>(store: &S) {
    use crate::protocol::Platform;
    use crate::push::PushEndpoint;
    let ep = |who: &str, token: &str| PushEndpoint {
        user: user(who),
        token: token.into(),
        platform: Platform::Fcm,
        endpoint_arn: format!("arn:{token}"),
    };
    store.put_endpoint(&ep("alice", "shared")).await.expect("put");
    store.put_endpoint(&ep("bob", "shared")).await.expect("put");
    assert!(store.endpoints(&user("alice")).await.expect("list").is_empty(), "moved away from alice");
    assert_eq!(store.endpoints(&user("bob")).await.expect("list"), vec![ep("bob", "shared")]);
    assert_eq!(store.delete_endpoint(&user("alice"), "shared").await.expect("delete"), None, "not alice's to release");
    assert_eq!(store.endpoints(&user("bob")).await.expect("list").len(), 1, "bob keeps it");
    let racers = ["r1", "r2", "r3", "r4", "r5", "r6"];
    join_all(racers.iter().map(|who| async move { store.put_endpoint(&ep(who, "raced")).await })).await;
    let mut holders = 0;
    for who in racers {
        holders += store.endpoints(&user(who)).await.expect("list").iter().filter(|e| e.token == "raced").count();
    }
    assert_eq!(holders, 1, "exactly one owner after concurrent registrations");
    assert_eq!(store.delete_endpoint(&user("bob"), "shared").await.expect("delete"), Some(ep("bob", "shared")));
    store.put_endpoint(&ep("alice", "shared")).await.expect("put");
    assert_eq!(store.endpoints(&user("alice")).await.expect("list").len(), 1, "a released token can be taken again");
}

/// The cap on live connections holds for racing handshakes, counts only live records, and
/// a closed connection frees its slot.
pub async fn the_connection_cap_holds_for_racing_handshakes<S: Store>(store: &S) {
    let conn = |id: &str| Connection {
        user: user("alice"),
        connection_id: ConnectionId::parse(id).expect("valid"),
        device: None,
        connected_at: 1_000,
        expires_at: 10_000,
    };
    let ids: Vec<String> = (0..6).map(|i| format!("cap{i}=")).collect();
    let puts = join_all(ids.iter().map(|id| async move { store.put_connection_capped(&conn(id), 3, 100).await })).await;
    assert_eq!(puts.iter().filter(|p| matches!(p, Ok(true))).count(), 3, "{puts:?}");
    assert_eq!(store.connections(&user("alice"), 100).await.expect("list").len(), 3, "refused ones left nothing");
    assert!(!store.put_connection_capped(&conn("late="), 3, 100).await.expect("put"), "at the cap");
    let live = store.connections(&user("alice"), 100).await.expect("list");
    store.delete_connection(&user("alice"), &live[0].connection_id).await.expect("delete");
    assert!(store.put_connection_capped(&conn("freed="), 3, 100).await.expect("put"), "a closed one frees its slot");
    assert!(
        store.put_connection_capped(&conn("later="), 3, 20_000).await.expect("put"),
        "expired records do not count"
    );
    assert!(store.put_connection_capped(&Connection { user: user("bob"), ..conn("bob=") }, 3, 100).await.expect("put"));
}

/// `group.create` with a key: a repeat gets the first group, concurrent repeats create one,
/// the same key for another group is a conflict.
pub async fn a_group_is_created_once_per_key<S: Store>(store: &S) {
    use crate::store::GroupCreated;
    let key = ClientMsgId::parse("make-team").expect("valid");
    let group = |id: &str| {
        Group::create(GroupId::parse(id).expect("valid"), "team".into(), user("owner"), &[user("bob")]).expect("valid")
    };
    let attempts: Vec<Group> = (0..5).map(|i| group(&format!("g-once-{i}"))).collect();
    let outcomes = join_all(attempts.iter().map(|g| store.create_group_once(g, &key, "digest-1", 1_000))).await;
    let created = outcomes.iter().filter(|o| matches!(o, Ok(GroupCreated::New))).count();
    assert_eq!(created, 1, "{outcomes:?}");
    let ids: std::collections::BTreeSet<GroupId> = outcomes
        .iter()
        .filter_map(|o| match o {
            Ok(GroupCreated::Existing(id)) => Some(id.clone()),
            _ => None,
        })
        .collect();
    assert!(ids.len() <= 1, "every repeat names the one group: {ids:?}");
    assert_eq!(store.groups_of(&user("bob")).await.expect("index").len(), 1, "one group, not five");
    let other = store.create_group_once(&group("g-other"), &key, "digest-2", 2_000).await.expect("create");
    assert_eq!(other, GroupCreated::Conflict);
    let fresh_key = ClientMsgId::parse("another").expect("valid");
    assert_eq!(
        store.create_group_once(&group("g-new"), &fresh_key, "digest-2", 2_000).await.expect("create"),
        GroupCreated::New
    );
    let later = store.create_group_once(&group("g-later"), &key, "digest-3", 1_000 + IDEMPOTENCY_TTL_MS + 1).await;
    assert_eq!(later.expect("create"), GroupCreated::New, "after 24 hours the key is free again");
}

/// Expands to one `#[tokio::test]` per conformance check; `$make` is an async expression
/// that builds a fresh, empty store.
#[macro_export]
macro_rules! store_conformance_tests {
    ($make:expr) => {
        $crate::store_conformance_tests!(@each $make;
            append_assigns_gap_free_seqs_per_user,
            a_resend_returns_the_first_ack_and_stores_nothing,
            a_client_msg_id_reused_for_another_message_is_a_conflict,
            the_send_limit_holds_per_user_under_concurrent_appends,
            budgets_hold_per_user_under_concurrent_requests,
            idempotency_expires_after_24_hours,
            concurrent_appends_leave_no_gap_and_no_duplicate,
            a_note_to_self_is_stored_once,
            sync_pages_through_the_inbox,
            history_pages_one_conversation_newest_first,
            connections_are_listed_per_user_and_deleted,
            the_connection_cap_holds_for_racing_handshakes,
            groups_are_created_read_updated_and_indexed_by_member,
            the_member_cap_holds_under_concurrent_adds,
            a_group_is_created_once_per_key,
            a_message_to_100_participants_is_stored_once_for_each,
            system_notices_are_stored_for_each_participant,
            receipts_only_move_forward_and_only_for_received_messages,
            presence_is_compare_and_set,
            subscriptions_are_per_watched_user_and_lapse,
            push_endpoints_and_claims,
            a_push_token_has_one_owner,
            the_conversation_list_is_exact_after_every_append,
            read_markers_move_forward_and_recount_unread,
            a_100_member_group_send_counts_unread_for_every_member,
            edits_and_deletes_take_a_seq_and_change_the_message_in_place,
            an_edit_in_a_large_group_reaches_every_holder_once,
            an_upload_is_attached_once_by_its_owner_in_its_conversation,
            bans_hold_until_they_end_or_are_lifted,
            a_banned_sender_stores_nothing,
            a_message_from_system_is_idempotent_and_only_its_recipients_hold_it,
            a_moderator_delete_is_stored_as_the_senders_delete_by_the_moderator,
            groups_are_renamed_and_deleted,
            blocks_are_listed_and_lifted,
            a_blocked_senders_messages_stay_in_its_own_inbox,
            a_mute_is_kept_on_the_summary_until_unmuted,
            reports_make_one_case_per_message_counted_once_per_reporter,
            concurrent_reports_count_each_reporter_once,
            replies_and_mentions_are_kept_and_counted,
            reactions_take_a_seq_and_count_each_user_once,
            concurrent_reactions_count_each_user_once,
            a_reaction_in_a_large_group_reaches_every_holder_once,
            history_after_pages_towards_the_newest,
            export_jobs_run_one_at_a_time_per_user,
        );
    };
    (@each $make:expr; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                let store = $make.await;
                $crate::store::conformance::$check(&store).await;
            }
        )*
    };
}
