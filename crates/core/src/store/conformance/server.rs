//! Conformance checks of what the server API stores: bans, group rename and delete,
//! moderators' deletes, and messages from `system` that keep an idempotency record.

use super::{dm, user};
use crate::group::Group;
use crate::ids::{ClientMsgId, Conversation, GroupId, MsgId, UserId};
use crate::message::{AppendOutcome, NewMessage, Origin, UpdateKind};
use crate::store::{Ban, Store};

fn group_of(id: &str, members: &[&str]) -> Group {
    let members: Vec<UserId> = members.iter().map(|m| user(m)).collect();
    Group { id: GroupId::parse(id).expect("valid"), name: "team".into(), creator: members[0].clone(), members }
}

/// A ban holds until it ends or is lifted; lifting twice is harmless.
pub async fn bans_hold_until_they_end_or_are_lifted<S: Store>(store: &S) {
    let bob = user("bob");
    assert_eq!(store.ban(&bob, 1_000).await.expect("read"), None);
    let ban = Ban { at: 1_000, until: Some(5_000), reason: Some("spam".into()), deleted: false };
    store.put_ban(&bob, &ban).await.expect("ban");
    assert_eq!(store.ban(&bob, 4_999).await.expect("read"), Some(ban));
    assert_eq!(store.ban(&bob, 5_000).await.expect("read"), None, "over");
    store.put_ban(&bob, &Ban { at: 6_000, until: None, reason: None, deleted: false }).await.expect("ban again");
    assert!(store.ban(&bob, u64::MAX).await.expect("read").is_some(), "until lifted");
    assert!(store.lift_ban(&bob).await.expect("lift"));
    assert!(!store.lift_ban(&bob).await.expect("lift again"));
    assert_eq!(store.ban(&bob, 7_000).await.expect("read"), None);
}

/// A banned user's own sends store nothing, in a 1:1 and in a group past one transaction;
/// the server API may still post as it, and notices still go out.
pub async fn a_banned_sender_stores_nothing<S: Store>(store: &S) {
    store.put_ban(&user("bob"), &Ban { at: 1, until: None, reason: None, deleted: false }).await.expect("ban");
    assert_eq!(store.append(&dm("bob", "alice", "b1", 1_000)).await.expect("append"), AppendOutcome::Banned);
    let members: Vec<String> = (0..60).map(|i| format!("m{i}")).chain(["bob".to_owned()]).collect();
    let participants: Vec<UserId> = members.iter().map(|m| user(m)).collect();
    let big = NewMessage {
        conversation: Conversation::Group(GroupId::parse("big").expect("valid")),
        participants: participants.clone(),
        ..dm("bob", "alice", "b2", 1_001)
    };
    assert_eq!(store.append(&big).await.expect("append"), AppendOutcome::Banned);
    for u in ["alice", "bob", "m0", "m59"] {
        assert!(store.sync(&user(u), 0, 10).await.expect("sync").entries.is_empty(), "{u} holds nothing");
    }
    let by_server = NewMessage { origin: Origin::Server, ..dm("bob", "alice", "b3", 1_002) };
    assert!(matches!(store.append(&by_server).await.expect("append"), AppendOutcome::Stored { .. }));
}

/// A message the server API sends as `system` keeps an idempotency record (a resend is a
/// duplicate) and its entries carry its `clientMsgId`; `system` gets no inbox.
pub async fn a_message_from_system_is_idempotent_and_only_its_recipients_hold_it<S: Store>(store: &S) {
    let msg = NewMessage {
        origin: Origin::Server,
        conversation: Conversation::direct(&user("alice"), &user("system")),
        participants: vec![user("alice")],
        ..dm("system", "alice", "order-1", 1_000)
    };
    let AppendOutcome::Stored { ack, seqs } = store.append(&msg).await.expect("append") else { panic!("stored") };
    assert_eq!((ack.seq, seqs.len()), (0, 1));
    let again = NewMessage { msg_id: MsgId::generate(1_001), ..msg.clone() };
    assert_eq!(store.append(&again).await.expect("resend"), AppendOutcome::Duplicate(ack));
    let page = store.sync(&user("alice"), 0, 10).await.expect("sync");
    assert_eq!(page.entries.len(), 1);
    assert_eq!(page.entries[0].client_msg_id.as_deref(), Some("order-1"));
    assert!(store.sync(&user("system"), 0, 10).await.expect("sync").entries.is_empty());
}

/// A moderator's delete is the sender's delete, shown as by `moderator`.
pub async fn a_moderator_delete_is_stored_as_the_senders_delete_by_the_moderator<S: Store>(store: &S) {
    let m = dm("alice", "bob", "m1", 1_000);
    store.append(&m).await.expect("append");
    let delete = NewMessage {
        origin: Origin::Moderator,
        client_msg_id: ClientMsgId::parse("moderator-delete-x").expect("valid"),
        body: String::new(),
        ts: 2_000,
        amends: Some(UpdateKind::Delete),
        ..m.clone()
    };
    assert!(matches!(store.append(&delete).await.expect("delete"), AppendOutcome::Stored { .. }));
    for u in ["alice", "bob"] {
        let page = store.sync(&user(u), 0, 10).await.expect("sync");
        assert_eq!(page.entries.len(), 2, "{u}");
        assert!(page.entries[0].deleted && page.entries[0].body.is_empty(), "{u}: deleted in place");
        assert_eq!(page.entries[1].by.as_deref(), Some("moderator"), "{u}: the update says who");
    }
    assert!(
        matches!(store.append(&delete).await.expect("repeat"), AppendOutcome::Duplicate(_)),
        "a repeat changes nothing"
    );
    assert_eq!(store.sync(&user("bob"), 0, 10).await.expect("sync").entries.len(), 2);
}

/// Renaming keeps the members; deleting removes the group and its members' index entries.
pub async fn groups_are_renamed_and_deleted<S: Store>(store: &S) {
    let g = group_of("g1", &["alice", "bob"]);
    store.create_group(&g).await.expect("create");
    let renamed = store.rename_group(&g.id, "crew").await.expect("rename").expect("exists");
    assert_eq!((renamed.name.as_str(), renamed.members.len()), ("crew", 2));
    assert_eq!(store.group(&g.id).await.expect("read").map(|g| g.name), Some("crew".to_owned()));
    let deleted = store.delete_group(&g.id).await.expect("delete").expect("existed");
    assert_eq!(deleted.members, g.members);
    assert_eq!(store.group(&g.id).await.expect("read"), None);
    assert_eq!(store.delete_group(&g.id).await.expect("delete again"), None);
    assert_eq!(store.rename_group(&g.id, "x").await.expect("rename gone"), None);
    let missing = GroupId::parse("nope").expect("valid");
    assert_eq!(store.rename_group(&missing, "x").await.expect("rename"), None);
}
