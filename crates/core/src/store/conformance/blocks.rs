//! Conformance checks of blocks: the list, and the rule the append applies to a 1:1.

use super::{dm, user};
use crate::message::{AppendOutcome, NewMessage, UpdateKind};
use crate::store::{BlockChange, Store};

/// Blocks are listed, repeated blocks change nothing, `blockers` finds who blocks whom.
pub async fn blocks_are_listed_and_lifted<S: Store>(store: &S) {
    let (alice, bob, carol) = (user("alice"), user("bob"), user("carol"));
    assert_eq!(store.block(&alice, &bob).await.expect("block"), BlockChange::Added);
    assert_eq!(store.block(&alice, &bob).await.expect("again"), BlockChange::Already);
    assert_eq!(store.block(&alice, &carol).await.expect("block"), BlockChange::Added);
    assert_eq!(store.blocks(&alice).await.expect("list"), vec![bob.clone(), carol.clone()]);
    assert_eq!(store.blockers(&bob, &[alice.clone(), carol.clone()]).await.expect("blockers"), vec![alice.clone()]);
    assert!(store.blockers(&alice, std::slice::from_ref(&bob)).await.expect("blockers").is_empty(), "not both ways");
    assert!(store.unblock(&alice, &bob).await.expect("unblock"));
    assert!(!store.unblock(&alice, &bob).await.expect("unblock again"));
    assert_eq!(store.blocks(&alice).await.expect("list"), vec![carol]);
    assert!(store.blocks(&bob).await.expect("list").is_empty());
}

/// While alice blocks bob: bob's 1:1 messages and edits are stored for bob alone (with a
/// normal ack and seq), alice's to bob are refused; after unblocking, new messages reach
/// alice and nothing sent meanwhile ever does.
pub async fn a_blocked_senders_messages_stay_in_its_own_inbox<S: Store>(store: &S) {
    let (alice, bob) = (user("alice"), user("bob"));
    let before = dm("bob", "alice", "before", 1_000);
    store.append(&before).await.expect("append");
    store.block(&alice, &bob).await.expect("block");
    let hidden = dm("bob", "alice", "hidden", 2_000);
    let AppendOutcome::Stored { ack, seqs } = store.append(&hidden).await.expect("append") else { panic!("stored") };
    assert_eq!((ack.seq, seqs), (2, vec![(bob.clone(), 2)]), "an ordinary ack; bob's inbox only");
    let edit = NewMessage {
        client_msg_id: crate::ids::ClientMsgId::parse("edit-before").expect("valid"),
        body: "changed".into(),
        ts: 2_500,
        amends: Some(UpdateKind::Edit),
        ..before.clone()
    };
    assert!(matches!(store.append(&edit).await.expect("edit"), AppendOutcome::Stored { .. }));
    assert_eq!(store.append(&dm("alice", "bob", "refused", 3_000)).await.expect("append"), AppendOutcome::Blocked);
    let alices = store.sync(&alice, 0, 10).await.expect("sync").entries;
    assert_eq!(alices.len(), 1, "alice has only what came before the block");
    assert_eq!(alices[0].body, "before from bob", "and bob's edit did not reach it");
    assert_eq!(store.sync(&bob, 0, 10).await.expect("sync").entries.len(), 3, "bob sees all of his own");
    store.unblock(&alice, &bob).await.expect("unblock");
    let after = store.append(&dm("bob", "alice", "after", 4_000)).await.expect("append");
    assert!(matches!(after, AppendOutcome::Stored { ref seqs, .. } if seqs.len() == 2), "{after:?}");
    let bodies: Vec<String> =
        store.sync(&alice, 0, 10).await.expect("sync").entries.into_iter().map(|e| e.body).collect();
    assert_eq!(bodies, vec!["before from bob".to_owned(), "after from bob".to_owned()]);
}

/// A mute is kept on the owner's summary (shown in its list), survives new messages, and
/// is only for conversations the owner has.
pub async fn a_mute_is_kept_on_the_summary_until_unmuted<S: Store>(store: &S) {
    let (alice, bob) = (user("alice"), user("bob"));
    let conversation = crate::ids::Conversation::direct(&alice, &bob);
    assert!(!store.set_mute(&alice, &conversation, Some(-1)).await.expect("mute"), "no such conversation yet");
    store.append(&dm("bob", "alice", "m1", 1_000)).await.expect("append");
    assert!(store.set_mute(&alice, &conversation, Some(-1)).await.expect("mute"));
    store.append(&dm("bob", "alice", "m2", 2_000)).await.expect("append");
    let list = store.conversations(&alice, None, 10).await.expect("list");
    assert_eq!((list.items[0].muted_until, list.items[0].unread), (Some(-1), 2), "muted, and unread still counts");
    assert!(list.items[0].muted(u64::MAX));
    assert!(store.set_mute(&alice, &conversation, Some(5_000)).await.expect("mute"));
    let summary = store.summaries(&alice, std::slice::from_ref(&conversation)).await.expect("read");
    let summary = summary.into_iter().next().flatten().expect("a summary");
    assert!(summary.muted(4_999) && !summary.muted(5_000));
    assert!(store.set_mute(&alice, &conversation, None).await.expect("unmute"));
    let list = store.conversations(&alice, None, 10).await.expect("list");
    assert_eq!(list.items[0].muted_until, None);
    let bobs = store.conversations(&bob, None, 10).await.expect("list");
    assert_eq!(bobs.items[0].muted_until, None, "the other side is not muted");
}
