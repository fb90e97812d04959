//! End-to-end: replies, reactions, mentions and `history` around a message, over real
//! WebSockets, on the embedded store and `--dynamodb`.

use std::time::Duration;

use chat_e2e::{Client, TestServer};
use serde_json::{Value, json};

async fn group(owner: &mut Client, members: &[String]) -> String {
    let g = owner
        .request_within(json!({"action":"group.create","name":"rich","members":members}), chat_e2e::LONG_WAIT)
        .await;
    assert_eq!(g["type"], "group", "{g}");
    g["groupId"].as_str().expect("groupId").to_owned()
}

fn seqs(entries: &[Value]) -> Vec<u64> {
    entries.iter().filter_map(|e| e["seq"].as_u64()).collect()
}

async fn a_reply_carries_its_quote_live_in_sync_and_in_history(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let mut bob = server.connect("bob", "phone").await;
    let mut carol = server.connect("carol", "phone").await;
    let first = alice.send_to("bob", "a1", "lunch at noon?").await;
    bob.recv().await;
    let reply = json!({"action":"send","to":"alice","clientMsgId":"b1","body":"yes!","replyTo":first["msgId"]});
    let ack = bob.request(reply).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let quote = json!({"msgId":first["msgId"],"from":"alice","preview":"lunch at noon?"});
    let live = alice.recv().await;
    assert_eq!((live["type"].as_str(), &live["replyTo"]), (Some("message"), &quote), "{live}");
    let synced = alice.sync_all(0).await;
    assert_eq!(synced[1]["replyTo"], quote);
    let history = bob.request(json!({"action":"history","conversation":"dm:alice:bob"})).await;
    assert_eq!(history["messages"][0]["replyTo"], quote);
    // The original deleted: history says so, without its text.
    alice.request(json!({"action":"delete","msgId":first["msgId"],"clientMsgId":"d1"})).await;
    bob.recv().await;
    let history = bob.request(json!({"action":"history","conversation":"dm:alice:bob"})).await;
    assert_eq!(history["messages"][0]["replyTo"], json!({"msgId":first["msgId"],"from":"alice","deleted":true}));
    // A reply to a message one does not hold, or of another conversation, is not found.
    let elsewhere = carol.send_to("bob", "c1", "hi bob").await;
    bob.recv().await;
    let refused = carol
        .request(json!({"action":"send","to":"alice","clientMsgId":"c2","body":"me too","replyTo":ack["msgId"]}))
        .await;
    assert_eq!(refused["code"], "not_found", "not carol's to quote: {refused}");
    for (cid, original) in [("b2", &elsewhere["msgId"]), ("b3", &first["msgId"])] {
        let frame = json!({"action":"send","to":"alice","clientMsgId":cid,"body":"x","replyTo":original});
        let refused = bob.request(frame).await;
        assert_eq!(refused["code"], "not_found", "another conversation's, or deleted: {refused}");
    }
    alice.assert_quiet().await;
    assert_eq!(alice.sync_all(0).await.len(), 3, "nothing refused was stored");
}

async fn a_reaction_reaches_all_30_members_counted_once_and_undone(server: TestServer) {
    let names: Vec<String> = (1..30).map(|i| format!("m{i:02}")).collect();
    let mut owner = server.connect("m00", "phone").await;
    let gid = group(&mut owner, &names).await;
    let mut members = Vec::new();
    for name in &names {
        members.push(server.connect(name, "phone").await);
    }
    let sent = owner.request(json!({"action":"send","group":gid,"clientMsgId":"s1","body":"vote here"})).await;
    for m in &mut members {
        assert_eq!(m.recv_within(chat_e2e::LONG_WAIT).await["body"], "vote here");
    }
    let react = |cid: &str, remove: bool| json!({"action":"react","msgId":sent["msgId"],"emoji":"👍","clientMsgId":cid,"remove":remove});
    let ack = members[0].request_within(react("r1", false), chat_e2e::LONG_WAIT).await;
    assert_eq!((ack["type"].as_str(), &ack["msgId"]), (Some("ack"), &sent["msgId"]), "{ack}");
    let update = owner.recv_within(chat_e2e::LONG_WAIT).await;
    assert_eq!(
        (update["type"].as_str(), update["kind"].as_str(), update["by"].as_str(), update["emoji"].as_str()),
        (Some("update"), Some("reaction"), Some("m01"), Some("👍")),
        "{update}"
    );
    for m in &mut members[1..] {
        let u = m.recv_within(chat_e2e::LONG_WAIT).await;
        assert_eq!((u["kind"].as_str(), u["msgId"].as_str()), (Some("reaction"), sent["msgId"].as_str()), "{u}");
    }
    // Again (a new client id): acked, nothing stored or delivered.
    let again = members[0].request(react("r2", false)).await;
    assert_eq!(again["type"], "ack", "{again}");
    owner.assert_quiet().await;
    let history = owner.request(json!({"action":"history","conversation":format!("group:{gid}")})).await;
    assert_eq!(history["messages"][0]["reactions"], json!({"👍":{"count":1,"mine":false}}));
    let mine = members[0].request(json!({"action":"history","conversation":format!("group:{gid}")})).await;
    assert_eq!(mine["messages"][0]["reactions"], json!({"👍":{"count":1,"mine":true}}));
    // Taken back: every member's copy is as before.
    members[0].request_within(react("r3", true), chat_e2e::LONG_WAIT).await;
    let undone = owner.recv_within(chat_e2e::LONG_WAIT).await;
    assert_eq!((undone["kind"].as_str(), undone["removed"].as_bool()), (Some("reaction"), Some(true)), "{undone}");
    let history = owner.request(json!({"action":"history","conversation":format!("group:{gid}")})).await;
    assert!(history["messages"][0].get("reactions").is_none(), "{history}");
    for m in members.iter_mut().chain(std::iter::once(&mut owner)) {
        let all = m.sync_all(0).await;
        let s = seqs(&all);
        assert_eq!(s, (1..=s.len() as u64).collect::<Vec<_>>(), "gap-free");
        let kinds: Vec<&str> = all.iter().filter_map(|e| e["kind"].as_str()).collect();
        assert_eq!(kinds, ["reaction", "reaction"], "one add, one take-back");
    }
    let list = owner.request(json!({"action":"conversations"})).await;
    assert_eq!(list["items"][0]["last"]["preview"], "vote here", "the list does not move: {list}");
}

async fn a_mention_counts_until_read_and_pushes_even_when_muted(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let mut carol = server.connect("carol", "phone").await;
    let gid = group(&mut alice, &["bob".into(), "carol".into()]).await;
    carol.recv().await;
    let conv = format!("group:{gid}");
    assert_eq!(carol.request(json!({"action":"mute","conversation":conv})).await["type"], "ok");
    carol.request(json!({"action":"push.register","platform":"fcm","token":"carol-t"})).await;
    carol.close().await;
    let stranger =
        alice.request(json!({"action":"send","group":gid,"clientMsgId":"x","body":"hi","mentions":["zed"]})).await;
    assert_eq!(stranger["code"], "bad_request", "{stranger}");
    alice.request(json!({"action":"send","group":gid,"clientMsgId":"p1","body":"plain"})).await;
    let ack = alice
        .request(json!({"action":"send","group":gid,"clientMsgId":"m1","body":"@carol look","mentions":["carol"]}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let mut pushes = Vec::new();
    for _ in 0..100 {
        let (_, body) = server.http_get("/dev/pushes?user=carol").await.expect("pushes");
        pushes = serde_json::from_str::<Vec<Value>>(&body).expect("json");
        if !pushes.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(pushes.len(), 1, "muted: only the mention pushes: {pushes:?}");
    assert_eq!((pushes[0]["msgId"].clone(), pushes[0]["mention"].as_bool()), (ack["msgId"].clone(), Some(true)));
    let gcm: Value = serde_json::from_str(pushes[0]["message"]["GCM"].as_str().unwrap_or("{}")).expect("json");
    assert_eq!(gcm["notification"]["title"], "alice mentioned you");
    let mut carol = server.connect("carol", "phone").await;
    let list = carol.request(json!({"action":"conversations"})).await;
    let item = &list["items"][0];
    assert_eq!((item["unread"].as_u64(), item["mentions"].as_u64()), (Some(2), Some(1)), "{item}");
    let first = item["firstMention"].as_u64().expect("firstMention");
    let around = carol.request(json!({"action":"history","conversation":conv,"around":first,"limit":2})).await;
    assert_eq!(around["messages"][0]["mentions"], json!(["carol"]), "{around}");
    carol.request(json!({"action":"read","conversation":conv,"upTo":first})).await;
    let list = carol.request(json!({"action":"conversations"})).await;
    let item = &list["items"][0];
    assert_eq!((item["unread"].as_u64(), item.get("mentions"), item.get("firstMention")), (Some(0), None, None));
}

async fn history_around_a_message_has_its_neighbours_in_order(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let mut bob = server.connect("bob", "phone").await;
    let mut acks = Vec::new();
    for i in 0..20 {
        acks.push(alice.send_to("bob", &format!("h{i}"), &format!("message {i}")).await);
        bob.recv().await;
    }
    let target = acks[10]["seq"].as_u64().expect("seq");
    let page = alice.request(json!({"action":"history","conversation":"dm:alice:bob","around":target,"limit":6})).await;
    let bodies: Vec<&str> =
        page["messages"].as_array().expect("messages").iter().filter_map(|m| m["body"].as_str()).collect();
    assert_eq!(bodies, ["message 13", "message 12", "message 11", "message 10", "message 9", "message 8"], "{page}");
    let newer =
        alice.request(json!({"action":"history","conversation":"dm:alice:bob","after":page["prev"],"limit":10})).await;
    let newer: Vec<&str> =
        newer["messages"].as_array().expect("messages").iter().filter_map(|m| m["body"].as_str()).collect();
    assert_eq!(newer, ["message 19", "message 18", "message 17", "message 16", "message 15", "message 14"]);
    let older =
        alice.request(json!({"action":"history","conversation":"dm:alice:bob","before":page["next"],"limit":3})).await;
    let older: Vec<&str> =
        older["messages"].as_array().expect("messages").iter().filter_map(|m| m["body"].as_str()).collect();
    assert_eq!(older, ["message 7", "message 6", "message 5"]);
    let both = alice.request(json!({"action":"history","conversation":"dm:alice:bob","around":3,"before":9})).await;
    assert_eq!(both["code"], "bad_request");
}

async fn strangers_and_leavers_cannot_react_and_bad_reactions_change_nothing(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let mut bob = server.connect("bob", "phone").await;
    let mut zed = server.connect("zed", "phone").await;
    let gid = group(&mut alice, &["bob".into()]).await;
    bob.recv().await;
    let sent = alice.request(json!({"action":"send","group":gid,"clientMsgId":"g1","body":"hi"})).await;
    bob.recv().await;
    let react =
        |emoji: &str, cid: &str| json!({"action":"react","msgId":sent["msgId"],"emoji":emoji,"clientMsgId":cid});
    assert_eq!(zed.request(react("👍", "z1")).await["code"], "not_found", "a stranger does not hold it");
    for (emoji, code) in [("ok", "bad_request"), ("👍👍", "bad_request"), ("", "bad_request")] {
        assert_eq!(bob.request(react(emoji, "b0")).await["code"], code, "{emoji:?}");
    }
    assert_eq!(bob.request(json!({"action":"react","msgId":sent["msgId"],"emoji":"👍"})).await["code"], "bad_request");
    assert_eq!(bob.request(json!({"action":"group.leave","group":gid})).await["type"], "ok");
    alice.recv().await;
    let left = bob.request(react("👍", "b1")).await;
    assert_eq!(left["code"], "forbidden", "{left}");
    let history = alice.request(json!({"action":"history","conversation":format!("group:{gid}"),"limit":5})).await;
    assert!(history["messages"].as_array().expect("messages").iter().all(|m| m.get("reactions").is_none()));
    alice.assert_quiet().await;
}

chat_e2e::suite!(chat_e2e::spawn;
    a_reply_carries_its_quote_live_in_sync_and_in_history,
    a_reaction_reaches_all_30_members_counted_once_and_undone,
    a_mention_counts_until_read_and_pushes_even_when_muted,
    history_around_a_message_has_its_neighbours_in_order,
    strangers_and_leavers_cannot_react_and_bad_reactions_change_nothing,
);
