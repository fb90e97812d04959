//! Conformance checks of replies, mentions, reactions and history after a seq.

use futures_util::future::join_all;

use super::{dm, user};
use crate::ids::{ClientMsgId, Conversation, GroupId, UserId};
use crate::message::{AppendOutcome, NewMessage, ReadOutcome, UpdateKind};
use crate::rich::{ReplyTo, Tally};
use crate::store::Store;

fn group_message(from: &str, members: &[UserId], cid: &str, ts: u64) -> NewMessage {
    NewMessage {
        conversation: Conversation::Group(GroupId::parse("rich").expect("valid")),
        participants: members.to_vec(),
        name: Some("Rich".into()),
        ..dm(from, "nobody", cid, ts)
    }
}

/// A reaction of `by` to `target` (one of its holders).
pub fn reaction(by: &str, target: &NewMessage, emoji: &str, removed: bool, cid: &str, ts: u64) -> NewMessage {
    NewMessage {
        msg_id: target.msg_id.clone(),
        from: user(by),
        client_msg_id: ClientMsgId::parse(cid).expect("valid client id"),
        body: emoji.into(),
        ts,
        amends: Some(UpdateKind::Reaction),
        removed,
        reply_to: None,
        mentions: Vec::new(),
        attachments: Vec::new(),
        ..target.clone()
    }
}

async fn stored_seqs<S: Store>(store: &S, m: &NewMessage) -> Vec<(UserId, u64)> {
    match store.append(m).await.expect("append") {
        AppendOutcome::Stored { seqs, .. } => seqs,
        other => panic!("expected stored, got {other:?}"),
    }
}

async fn tally<S: Store>(store: &S, who: &UserId, m: &NewMessage, emoji: &str) -> Option<Tally> {
    let entry = store.message(who, &m.msg_id).await.expect("read").expect("held");
    entry.reactions.get(emoji).copied()
}

/// A reply keeps its quote and a message its mentions, for every holder; a mention of an
/// unread message is counted on the mentioned user's summary (with the seq to jump to)
/// and cleared by `read` like `unread`.
pub async fn replies_and_mentions_are_kept_and_counted<S: Store>(store: &S) {
    let members = [user("alice"), user("bob"), user("carol")];
    let first = group_message("alice", &members, "first", 1_000);
    stored_seqs(store, &first).await;
    let held = store.message(&user("bob"), &first.msg_id).await.expect("read").expect("held");
    let reply = NewMessage {
        reply_to: Some(ReplyTo::of(&held)),
        mentions: vec![user("carol")],
        ..group_message("bob", &members, "reply", 2_000)
    };
    let seqs = stored_seqs(store, &reply).await;
    for (who, seq) in &seqs {
        let page = store.sync(who, seq - 1, 1).await.expect("sync");
        let entry = &page.entries[0];
        let quote = entry.reply_to.as_ref().expect("a quote");
        assert_eq!((quote.msg_id.clone(), quote.from.as_str()), (first.msg_id.clone(), "alice"));
        assert_eq!(quote.preview, "first from alice");
        assert_eq!(entry.mentions, vec![user("carol")]);
        let history = store.history(who, &reply.conversation, None, 1).await.expect("history");
        assert_eq!(history.entries[0].reply_to, entry.reply_to, "history shows it too");
    }
    let summary = |who: &'static str| {
        let conv = reply.conversation.clone();
        async move {
            let s = store.summaries(&user(who), std::slice::from_ref(&conv)).await.expect("summaries");
            s.into_iter().next().flatten().expect("a summary")
        }
    };
    let carol_seq = seqs.iter().find(|(u, _)| u.as_str() == "carol").map(|(_, s)| *s).expect("carol holds it");
    let carols = summary("carol").await;
    assert_eq!((carols.unread, carols.mentions, carols.first_mention), (2, 1, Some(carol_seq)));
    let alices = summary("alice").await;
    assert_eq!((alices.mentions, alices.first_mention), (0, None), "alice was not mentioned");
    assert_eq!(summary("bob").await.mentions, 0, "the sender's own mention of others counts nothing for it");
    // A later mention keeps the first one to jump to; reading past it clears both.
    let again = NewMessage { mentions: vec![user("carol")], ..group_message("alice", &members, "again", 3_000) };
    stored_seqs(store, &again).await;
    let carols = summary("carol").await;
    assert_eq!((carols.mentions, carols.first_mention), (2, Some(carol_seq)));
    let ReadOutcome::Moved(read) = store.mark_read(&user("carol"), &reply.conversation, carol_seq).await.expect("read")
    else {
        panic!("moved")
    };
    assert_eq!((read.unread, read.mentions), (1, 1), "{read:?}");
    assert!(read.first_mention.is_some_and(|f| f > carol_seq), "{read:?}");
    let ReadOutcome::Moved(read) = store.mark_read(&user("carol"), &reply.conversation, u64::MAX).await.expect("read")
    else {
        panic!("moved")
    };
    assert_eq!((read.unread, read.mentions, read.first_mention), (0, 0, None));
    assert_eq!(summary("carol").await.mentions, 0);
}

/// A reaction takes the next seq in every holder's inbox and changes the message's counts
/// in place (its own `mine` for the reactor); a repeat, or taking back an emoji not
/// there, stores nothing; taking it back restores the previous state. The conversation
/// list does not move and unread counts do not change.
pub async fn reactions_take_a_seq_and_count_each_user_once<S: Store>(store: &S) {
    let members = [user("alice"), user("bob"), user("carol")];
    let m = group_message("alice", &members, "liked", 1_000);
    stored_seqs(store, &m).await;
    let conv = m.conversation.clone();
    let before = store.summaries(&user("carol"), std::slice::from_ref(&conv)).await.expect("read");
    let seqs = stored_seqs(store, &reaction("bob", &m, "👍", false, "r1", 2_000)).await;
    assert_eq!(seqs.len(), 3, "every holder");
    for (who, seq) in &seqs {
        assert_eq!(*seq, 2, "the next seq of each inbox");
        let update = &store.sync(who, 1, 10).await.expect("sync").entries[0];
        assert_eq!(
            (update.kind, update.body.as_str(), update.from.as_str()),
            (Some(UpdateKind::Reaction), "👍", "bob")
        );
        assert!(!update.removed);
    }
    assert_eq!(tally(store, &user("bob"), &m, "👍").await, Some(Tally { count: 1, mine: true }));
    let copy = store.message(&user("carol"), &m.msg_id).await.expect("read").expect("held");
    assert_eq!(copy.reactions_seq, Some(2), "the copy names the change it counts");
    assert_eq!(tally(store, &user("alice"), &m, "👍").await, Some(Tally { count: 1, mine: false }));
    let history = store.history(&user("alice"), &conv, None, 10).await.expect("history");
    assert_eq!(history.entries.len(), 1, "history shows messages only");
    assert_eq!(history.entries[0].reactions.get("👍"), Some(&Tally { count: 1, mine: false }));
    let after = store.summaries(&user("carol"), std::slice::from_ref(&conv)).await.expect("read");
    assert_eq!(before, after, "no move in the list, no unread change");
    // A repeat (another client id) and a take-back of what is not there change nothing.
    let repeat = store.append(&reaction("bob", &m, "👍", false, "r2", 2_100)).await.expect("append");
    assert!(matches!(repeat, AppendOutcome::Unchanged(ref ack) if ack.msg_id == m.msg_id), "{repeat:?}");
    let absent = store.append(&reaction("carol", &m, "👍", true, "c0", 2_200)).await.expect("append");
    assert!(matches!(absent, AppendOutcome::Unchanged(_)), "{absent:?}");
    // A resend of the first reaction gets its ack.
    let resend = store.append(&reaction("bob", &m, "👍", false, "r1", 2_300)).await.expect("append");
    assert!(matches!(resend, AppendOutcome::Duplicate(ref ack) if ack.seq == 2), "{resend:?}");
    assert_eq!(store.sync(&user("carol"), 2, 10).await.expect("sync").entries.len(), 0, "nothing more stored");
    stored_seqs(store, &reaction("carol", &m, "👍", false, "c1", 3_000)).await;
    stored_seqs(store, &reaction("carol", &m, "🎉", false, "c2", 3_100)).await;
    assert_eq!(tally(store, &user("alice"), &m, "👍").await, Some(Tally { count: 2, mine: false }));
    stored_seqs(store, &reaction("bob", &m, "👍", true, "r3", 4_000)).await;
    assert_eq!(tally(store, &user("bob"), &m, "👍").await, Some(Tally { count: 1, mine: false }));
    stored_seqs(store, &reaction("carol", &m, "👍", true, "c3", 4_100)).await;
    stored_seqs(store, &reaction("carol", &m, "🎉", true, "c4", 4_200)).await;
    let back = store.message(&user("alice"), &m.msg_id).await.expect("read").expect("held");
    assert!(back.reactions.is_empty(), "everything taken back: {:?}", back.reactions);
    let seqs: Vec<u64> =
        store.sync(&user("alice"), 0, 100).await.expect("sync").entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=7).collect::<Vec<_>>(), "contiguous");
    // At most 20 distinct emoji of one user on one message.
    for i in 0..20u32 {
        let emoji = char::from_u32(0x1F600 + i).map(String::from).expect("an emoji");
        stored_seqs(store, &reaction("bob", &m, &emoji, false, &format!("many{i}"), 5_000 + u64::from(i))).await;
    }
    let extra = store.append(&reaction("bob", &m, "🦀", false, "many20", 6_000)).await.expect("append");
    assert_eq!(extra, AppendOutcome::TooManyReactions);
    // A reaction to a message no longer there (deleted) is not found.
    let delete = NewMessage {
        client_msg_id: ClientMsgId::parse("del").expect("valid"),
        body: String::new(),
        ts: 7_000,
        amends: Some(UpdateKind::Delete),
        ..m.clone()
    };
    stored_seqs(store, &delete).await;
    assert_eq!(store.message(&user("bob"), &m.msg_id).await.expect("read").map(|e| e.reactions.len()), Some(0));
    let late = store.append(&reaction("carol", &m, "👍", false, "late", 8_000)).await.expect("append");
    assert_eq!(late, AppendOutcome::NotFound);
}

/// Users reacting at once with the same emoji, each twice, are each counted once, and
/// every inbox stays gap-free.
pub async fn concurrent_reactions_count_each_user_once<S: Store>(store: &S) {
    let members: Vec<UserId> = (0..8).map(|i| user(&format!("r{i}"))).collect();
    let m = group_message("r0", &members, "popular", 1_000);
    stored_seqs(store, &m).await;
    let reactions = members.iter().flat_map(|u| {
        let m = &m;
        (0..2).map(move |k| async move {
            let r = reaction(u.as_str(), m, "🔥", false, &format!("{u}-{k}"), 2_000 + k);
            store.append(&r).await.expect("append")
        })
    });
    let outcomes = join_all(reactions).await;
    let stored = outcomes.iter().filter(|o| matches!(o, AppendOutcome::Stored { .. })).count();
    assert_eq!(stored, members.len(), "one per user: {outcomes:?}");
    for u in &members {
        assert_eq!(tally(store, u, &m, "🔥").await.map(|t| t.count), Some(members.len() as u64));
        let seqs: Vec<u64> = store.sync(u, 0, 100).await.expect("sync").entries.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=1 + members.len() as u64).collect::<Vec<_>>(), "{u}: gap-free");
    }
}

/// A reaction in a group larger than one transaction reaches every holder once.
pub async fn a_reaction_in_a_large_group_reaches_every_holder_once<S: Store>(store: &S) {
    let members: Vec<UserId> = (0..60).map(|i| user(&format!("m{i:02}"))).collect();
    let m = group_message("m00", &members, "big", 1_000);
    stored_seqs(store, &m).await;
    let seqs = stored_seqs(store, &reaction("m59", &m, "❤️", false, "love", 2_000)).await;
    assert_eq!(seqs.len(), 60);
    for u in &members {
        let t = tally(store, u, &m, "❤️").await.expect("counted");
        assert_eq!((t.count, t.mine), (1, u.as_str() == "m59"), "{u}");
        assert_eq!(store.sync(u, 1, 10).await.expect("sync").entries.len(), 1, "{u}: one update");
    }
}

/// `history_after` pages towards the newest message, newest first in each page, leaving
/// out update entries and other conversations.
pub async fn history_after_pages_towards_the_newest<S: Store>(store: &S) {
    let mut ab = Vec::new();
    for i in 0..8u64 {
        let m = dm("alice", "bob", &format!("h{i}"), 1_000 + i);
        stored_seqs(store, &m).await;
        ab.push(m);
        stored_seqs(store, &dm("carol", "bob", &format!("o{i}"), 1_000 + i)).await;
    }
    stored_seqs(store, &reaction("bob", &ab[2], "👍", false, "hr", 2_000)).await;
    let conv = ab[0].conversation.clone();
    let bob = user("bob");
    let seq_of = |i: usize| {
        let id = ab[i].msg_id.clone();
        let bob = bob.clone();
        async move { store.message(&bob, &id).await.expect("read").expect("held").seq }
    };
    let third = seq_of(2).await;
    let page = store.history_after(&bob, &conv, third, 3).await.expect("page");
    let bodies: Vec<&str> = page.entries.iter().map(|e| e.body.as_str()).collect();
    assert_eq!(bodies, ["h5 from alice", "h4 from alice", "h3 from alice"]);
    let next = page.next.expect("more newer ones");
    assert_eq!(next, seq_of(5).await);
    let rest = store.history_after(&bob, &conv, next, 10).await.expect("page");
    let bodies: Vec<&str> = rest.entries.iter().map(|e| e.body.as_str()).collect();
    assert_eq!(bodies, ["h7 from alice", "h6 from alice"]);
    assert_eq!(rest.next, None);
    let none = store.history_after(&bob, &conv, u64::MAX - 1, 10).await.expect("page");
    assert!(none.entries.is_empty() && none.next.is_none());
}
