//! End-to-end: groups, receipts and typing, over real WebSockets, against the embedded store
//! and `--dynamodb`.

use chat_e2e::{Client, TestServer};
use serde_json::{Value, json};

async fn create(client: &mut Client, name: &str, members: &[&str]) -> Value {
    let g = client.request(json!({"action":"group.create","name":name,"members":members})).await;
    assert_eq!(g["type"], "group", "{g}");
    g
}

fn gid(group: &Value) -> String {
    group["groupId"].as_str().expect("groupId").to_owned()
}

async fn the_creator_is_a_member_and_a_group_send_reaches_every_other_device(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let mut alice2 = server.connect("alice", "laptop").await;
    let mut bob = server.connect("bob", "phone").await;
    let mut carol = server.connect("carol", "phone").await;
    let g = create(&mut alice, "team", &["bob", "carol", "bob"]).await;
    assert_eq!(g["members"], json!(["alice", "bob", "carol"]));
    assert_eq!(g["name"], "team");
    let conv = format!("group:{}", gid(&g));
    for c in [&mut alice2, &mut bob, &mut carol] {
        let notice = c.recv().await;
        assert_eq!((notice["from"].as_str(), notice["conversation"].as_str()), (Some("system"), Some(conv.as_str())));
        assert_eq!(notice["body"], "alice created the group with bob, carol");
    }
    let ack = alice.request(json!({"action":"send","group":gid(&g),"clientMsgId":"g1","body":"hi team"})).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(ack["conversation"], conv);
    for c in [&mut alice2, &mut bob, &mut carol] {
        let m = c.recv().await;
        assert_eq!(
            (m["type"].as_str(), m["body"].as_str(), m["seq"].as_u64()),
            (Some("message"), Some("hi team"), Some(2))
        );
        assert_eq!(m["msgId"], ack["msgId"]);
    }
    alice.assert_quiet().await;
    let hist = bob.request(json!({"action":"history","conversation":conv})).await;
    assert_eq!(hist["messages"].as_array().map(Vec::len), Some(2));
}

async fn a_non_member_is_refused_everything_without_learning_about_the_group(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let g = create(&mut alice, "secret", &["bob"]).await;
    let id = gid(&g);
    let mut mallory = server.connect("mallory", "x").await;
    let attempts = [
        json!({"action":"send","group":id,"clientMsgId":"m","body":"let me in"}),
        json!({"action":"history","conversation":format!("group:{id}")}),
        json!({"action":"group.add","group":id,"members":["mallory"]}),
        json!({"action":"group.remove","group":id,"members":["bob"]}),
        json!({"action":"group.leave","group":id}),
        json!({"action":"typing","group":id}),
    ];
    for frame in attempts {
        let e = mallory.request(frame.clone()).await;
        assert_eq!((e["type"].as_str(), e["code"].as_str()), (Some("error"), Some("not_found")), "{frame}: {e}");
    }
    let unknown = mallory.request(json!({"action":"send","group":"does-not-exist","clientMsgId":"m","body":"x"})).await;
    assert_eq!(unknown["code"], "not_found", "an unknown group looks the same");
    assert!(mallory.sync_all(0).await.is_empty());
    let mut bob = server.connect("bob", "phone").await;
    assert_eq!(bob.sync_all(0).await.len(), 1, "only the creation notice");
}

async fn only_the_creator_adds_or_removes_and_changes_are_announced(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let g = create(&mut alice, "team", &["bob", "carol"]).await;
    let id = gid(&g);
    let mut bob = server.connect("bob", "phone").await;
    let e = bob.request(json!({"action":"group.add","group":id,"members":["dave"]})).await;
    assert_eq!(e["code"], "forbidden");
    let e = bob.request(json!({"action":"group.remove","group":id,"members":["carol"]})).await;
    assert_eq!(e["code"], "forbidden");
    let added = alice.request(json!({"action":"group.add","group":id,"members":["dave"]})).await;
    assert_eq!(added["members"], json!(["alice", "bob", "carol", "dave"]));
    assert_eq!(bob.recv().await["body"], "alice added dave");
    let removed = alice.request(json!({"action":"group.remove","group":id,"members":["carol"]})).await;
    assert_eq!(removed["members"], json!(["alice", "bob", "dave"]));
    assert_eq!(bob.recv().await["body"], "alice removed carol");
    let mut carol = server.connect("carol", "phone").await;
    let carols = carol.sync_all(0).await;
    assert_eq!(carols.last().map(|m| m["body"].clone()), Some(json!("alice removed carol")), "carol's last notice");
    alice.request(json!({"action":"send","group":id,"clientMsgId":"after","body":"without carol"})).await;
    assert_eq!(bob.recv().await["body"], "without carol");
    carol.assert_quiet().await;
    assert_eq!(carol.sync_all(0).await.len(), carols.len(), "nothing more for carol");
    let e = carol.request(json!({"action":"history","conversation":format!("group:{id}")})).await;
    assert_eq!(e["code"], "not_found", "a former member reads nothing");
}

async fn leaving_stops_delivery_and_joining_gets_only_later_messages(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let g = create(&mut alice, "team", &["bob"]).await;
    let id = gid(&g);
    alice.request(json!({"action":"send","group":id,"clientMsgId":"before","body":"before dave"})).await;
    alice.request(json!({"action":"group.add","group":id,"members":["dave"]})).await;
    alice.request(json!({"action":"send","group":id,"clientMsgId":"after","body":"after dave"})).await;
    let mut dave = server.connect("dave", "phone").await;
    let bodies: Vec<Value> = dave.sync_all(0).await.iter().map(|m| m["body"].clone()).collect();
    assert_eq!(bodies, vec![json!("alice added dave"), json!("after dave")]);
    let mut bob = server.connect("bob", "phone").await;
    let own = bob.request(json!({"action":"send","group":id,"clientMsgId":"mine","body":"bob was here"})).await;
    dave.recv().await;
    assert_eq!(bob.request(json!({"action":"group.leave","group":id})).await["type"], "ok");
    assert_eq!(dave.recv().await["body"], "bob left");
    // Gone, bob changes nothing the group sees: no edit, no delete of his old message.
    let edit = bob.request(json!({"action":"edit","msgId":own["msgId"],"clientMsgId":"e","body":"rewritten"})).await;
    assert_eq!(edit["code"], "forbidden", "{edit}");
    let delete = bob.request(json!({"action":"delete","msgId":own["msgId"],"clientMsgId":"d"})).await;
    assert_eq!(delete["code"], "forbidden", "{delete}");
    let before = bob.sync_all(0).await.len();
    alice.request(json!({"action":"send","group":id,"clientMsgId":"gone","body":"bob is gone"})).await;
    assert_eq!(dave.recv().await["body"], "bob is gone", "and no update of his message before it");
    bob.assert_quiet().await;
    assert_eq!(bob.sync_all(0).await.len(), before);
}

async fn a_group_of_100_gets_one_send_in_100_inboxes_without_gaps(server: TestServer) {
    let members: Vec<String> = (1..100).map(|i| format!("m{i:02}")).collect();
    let mut owner = server.connect("owner", "d").await;
    let names: Vec<&str> = members.iter().map(String::as_str).collect();
    let g =
        owner.request_within(json!({"action":"group.create","name":"big","members":names}), chat_e2e::LONG_WAIT).await;
    assert_eq!(g["members"].as_array().map(Vec::len), Some(100), "{g}");
    let too_many = owner.request(json!({"action":"group.add","group":gid(&g),"members":["one-more"]})).await;
    assert_eq!(too_many["code"], "too_large");
    let all = json!({"action":"send","group":gid(&g),"clientMsgId":"all","body":"to all 100"});
    let ack = owner.request_within(all, chat_e2e::LONG_WAIT).await;
    assert_eq!((ack["type"].as_str(), ack["seq"].as_u64()), (Some("ack"), Some(2)));
    for m in &members {
        let mut c = server.connect(m, "d").await;
        let all = c.sync_all(0).await;
        assert_eq!(all.iter().map(|x| x["seq"].as_u64().unwrap_or(0)).collect::<Vec<_>>(), vec![1, 2], "{m}");
        assert_eq!(all[1]["msgId"], ack["msgId"], "{m}");
    }
    let again = owner
        .request_within(
            json!({"action":"send","group":gid(&g),"clientMsgId":"all","body":"to all 100"}),
            chat_e2e::LONG_WAIT,
        )
        .await;
    assert_eq!(again["msgId"], ack["msgId"], "an idempotent resend");
}

async fn receipts_reach_the_sender_live_and_through_sync_after_a_reconnect(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let mut bob = server.connect("bob", "phone").await;
    let ack = alice.send_to("bob", "r1", "did you get this?").await;
    let msg_id = ack["msgId"].clone();
    assert_eq!(bob.recv().await["msgId"], msg_id);
    assert_eq!(bob.request(json!({"action":"receipt","msgIds":[msg_id],"status":"delivered"})).await["type"], "ok");
    let r = alice.recv().await;
    assert_eq!(r["type"], "receipt");
    assert_eq!(
        (r["by"].as_str(), r["status"].as_str(), r["conversation"].as_str()),
        (Some("bob"), Some("delivered"), Some("dm:alice:bob"))
    );
    assert_eq!(r["msgId"], msg_id);
    bob.request(json!({"action":"receipt","msgIds":[msg_id],"status":"read"})).await;
    assert_eq!(alice.recv().await["status"], "read");
    // Backwards, repeated, foreign and unknown receipts change nothing and tell no one.
    bob.request(json!({"action":"receipt","msgIds":[msg_id],"status":"delivered"})).await;
    let mut mallory = server.connect("mallory", "x").await;
    assert_eq!(mallory.request(json!({"action":"receipt","msgIds":[msg_id],"status":"read"})).await["type"], "ok");
    alice.request(json!({"action":"receipt","msgIds":[msg_id],"status":"read"})).await;
    alice.assert_quiet().await;
    alice.close().await;
    let mut alice_again = server.connect("alice", "tablet").await;
    let synced = alice_again.sync_all(0).await;
    assert_eq!(synced[0]["receipts"], json!({"bob": "read"}));
    let hist = alice_again.request(json!({"action":"history","conversation":"dm:alice:bob"})).await;
    assert_eq!(hist["messages"][0]["receipts"], json!({"bob": "read"}));
    assert!(bob.sync_all(0).await[0].get("receipts").is_none(), "receipts live on the sender's entry");
    let bad = bob.request(json!({"action":"receipt","msgIds":["nope"],"status":"read"})).await;
    assert_eq!(bad["code"], "bad_request");
}

async fn typing_reaches_the_other_side_and_is_never_stored(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let mut bob = server.connect("bob", "phone").await;
    alice.send(json!({"action":"typing","to":"bob"})).await;
    assert_eq!(bob.recv().await, json!({"type":"typing","conversation":"dm:alice:bob","from":"alice"}));
    let g = create(&mut alice, "t", &["bob"]).await;
    bob.recv().await;
    bob.send(json!({"action":"typing","group":gid(&g)})).await;
    let t = alice.recv().await;
    assert_eq!((t["type"].as_str(), t["from"].as_str()), (Some("typing"), Some("bob")));
    bob.assert_quiet().await;
    assert!(bob.sync_all(0).await.iter().all(|m| m["from"] == "system"), "no typing in sync");
}

chat_e2e::suite!(chat_e2e::spawn;
    the_creator_is_a_member_and_a_group_send_reaches_every_other_device,
    a_non_member_is_refused_everything_without_learning_about_the_group,
    only_the_creator_adds_or_removes_and_changes_are_announced,
    leaving_stops_delivery_and_joining_gets_only_later_messages,
    a_group_of_100_gets_one_send_in_100_inboxes_without_gaps,
    receipts_reach_the_sender_live_and_through_sync_after_a_reconnect,
    typing_reaches_the_other_side_and_is_never_stored,
);
