//! End-to-end: blocks, over real WebSockets, on the embedded store and `--dynamodb`. While
//! alice blocks bob, bob can tell nothing: his sends are acked as usual, and nothing of his
//! reaches alice (live, sync, push, typing, receipts, presence, edits).

use std::time::Duration;

use chat_e2e::TestServer;
use serde_json::json;

async fn pushes(server: &TestServer, user: &str) -> usize {
    let (_, body) = server.http_get(&format!("/dev/pushes?user={user}")).await.expect("pushes");
    serde_json::from_str::<Vec<serde_json::Value>>(&body).expect("json").len()
}

async fn while_a_blocks_b_nothing_of_b_reaches_a_and_b_cannot_tell(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let mut alice2 = server.connect("alice", "laptop").await;
    let mut bob = server.connect("bob", "phone").await;
    let first = alice.send_to("bob", "a1", "hi bob").await;
    bob.recv().await;
    alice2.recv().await;
    let earlier = bob.send_to("alice", "b0", "hi alice").await;
    alice.recv().await;
    alice2.recv().await;

    let ok = alice.request(json!({"action":"block","user":"bob"})).await;
    assert_eq!(ok["type"], "ok", "{ok}");
    let told = alice2.recv().await;
    assert_eq!(told, json!({"type":"blocks","users":["bob"]}), "alice's other devices follow");
    assert_eq!(alice.request(json!({"action":"blocks"})).await["users"], json!(["bob"]));

    let ack = bob.send_to("alice", "b1", "are you there?").await;
    assert_eq!((ack["type"].as_str(), ack["seq"].as_u64()), (Some("ack"), Some(3)), "an ordinary ack: {ack}");
    bob.send(json!({"action":"typing","to":"alice"})).await;
    bob.request(json!({"action":"receipt","msgIds":[first["msgId"]],"status":"read"})).await;
    let edit = bob.request(json!({"action":"edit","msgId":earlier["msgId"],"clientMsgId":"e1","body":"edited"})).await;
    assert_eq!(edit["type"], "ack", "{edit}");
    let presence = bob.request(json!({"action":"presence","users":["alice"]})).await;
    assert_eq!(presence["users"], json!([{"user":"alice","online":false,"lastSeen":null}]), "alice looks never seen");
    alice.assert_quiet().await;
    alice2.assert_quiet().await;
    let alices: Vec<_> = alice.sync_all(0).await;
    assert_eq!(alices.len(), 2, "alice holds only what came before the block: {alices:?}");
    assert_eq!(alices[1]["body"], "hi alice", "bob's edit did not reach her copy");
    let bobs = bob.sync_all(0).await;
    assert_eq!(bobs.len(), 4, "bob sees his own messages and edit as sent");

    let refused = alice.send_to("bob", "a2", "hello?").await;
    assert_eq!(refused["code"], "forbidden", "{refused}");
    assert!(refused["message"].as_str().is_some_and(|m| m.contains("blocked")));

    // Offline, alice gets no push from bob either.
    alice.request(json!({"action":"push.register","platform":"fcm","token":"alice-t"})).await;
    alice.close().await;
    alice2.close().await;
    bob.send_to("alice", "b2", "still there?").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(pushes(&server, "alice").await, 0, "no push");

    let mut alice = server.connect("alice", "phone").await;
    assert_eq!(alice.request(json!({"action":"unblock","user":"bob"})).await["type"], "ok");
    bob.send_to("alice", "b3", "after the unblock").await;
    assert_eq!(alice.recv().await["body"], "after the unblock");
    let bodies: Vec<_> = alice.sync_all(0).await.into_iter().map(|m| m["body"].clone()).collect();
    assert_eq!(
        bodies,
        vec![json!("hi bob"), json!("hi alice"), json!("after the unblock")],
        "nothing sent meanwhile arrives"
    );
    // Alice is a contact again: her presence is what it is (she was seen), not never-seen.
    let mut seen = false;
    for _ in 0..100 {
        let p = bob.request(json!({"action":"presence","users":["alice"]})).await;
        if p["users"][0]["online"] == true || !p["users"][0]["lastSeen"].is_null() {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen, "after the unblock bob sees alice's presence again");
}

async fn blocking_is_refused_for_oneself_and_group_messages_still_flow(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let mut bob = server.connect("bob", "phone").await;
    assert_eq!(alice.request(json!({"action":"block","user":"alice"})).await["code"], "bad_request");
    assert_eq!(alice.request(json!({"action":"block"})).await["code"], "bad_request");
    let g = alice.request(json!({"action":"group.create","name":"team","members":["bob"]})).await;
    bob.recv().await;
    alice.request(json!({"action":"block","user":"bob"})).await;
    bob.request(json!({"action":"send","group":g["groupId"],"clientMsgId":"g1","body":"in the group"})).await;
    assert_eq!(alice.recv().await["body"], "in the group", "group messages are unchanged");
}

async fn mute_stops_pushes_and_syncs_across_devices(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let mut alice2 = server.connect("alice", "laptop").await;
    let mut bob = server.connect("bob", "phone").await;
    bob.send_to("alice", "b1", "first").await;
    alice.recv().await;
    alice2.recv().await;
    let refused = alice.request(json!({"action":"mute","conversation":"dm:alice:carol"})).await;
    assert_eq!(refused["code"], "not_found", "only your own conversations");
    let past = alice.request(json!({"action":"mute","conversation":"dm:alice:bob","until":1})).await;
    assert_eq!(past["code"], "bad_request");
    assert_eq!(alice.request(json!({"action":"mute","conversation":"dm:alice:bob"})).await["type"], "ok");
    assert_eq!(alice2.recv().await, json!({"type":"muted","conversation":"dm:alice:bob","mutedUntil":-1}));
    let list = alice2.request(json!({"action":"conversations"})).await;
    assert_eq!(list["items"][0]["mutedUntil"], -1);
    alice.request(json!({"action":"push.register","platform":"fcm","token":"alice-t"})).await;
    alice.close().await;
    alice2.close().await;
    bob.send_to("alice", "b2", "while muted").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(pushes(&server, "alice").await, 0, "muted: no push");
    let mut alice = server.connect("alice", "phone").await;
    let list = alice.request(json!({"action":"conversations"})).await;
    assert_eq!(list["items"][0]["unread"], 2, "unread still counts");
    assert_eq!(alice.request(json!({"action":"unmute","conversation":"dm:alice:bob"})).await["type"], "ok");
    alice.close().await;
    bob.send_to("alice", "b3", "unmuted").await;
    let mut got = 0;
    for _ in 0..100 {
        got = pushes(&server, "alice").await;
        if got > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(got, 1, "unmuted: pushed again");
}

async fn a_report_keeps_the_evidence_and_resolving_it_deletes_or_bans(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let mut bob = server.connect("bob", "phone").await;
    let mut carol = server.connect("carol", "phone").await;
    let ack = bob.send_to("alice", "b1", "something awful").await;
    alice.recv().await;
    let report = json!({"action":"report","msgId":ack["msgId"],"reason":"harassment","note":"he keeps at it"});
    assert_eq!(alice.request(report.clone()).await["type"], "ok");
    // The sender edits, then deletes: the report keeps what alice saw.
    bob.request(json!({"action":"edit","msgId":ack["msgId"],"clientMsgId":"e1","body":"nothing to see"})).await;
    bob.request(json!({"action":"delete","msgId":ack["msgId"],"clientMsgId":"d1"})).await;
    assert_eq!(alice.request(report).await["type"], "ok", "reporting again is fine");
    let stranger = carol.request(json!({"action":"report","msgId":ack["msgId"],"reason":"spam"})).await;
    assert_eq!(stranger["code"], "not_found", "a stranger cannot report a message it does not hold");
    let bad = alice.request(json!({"action":"report","msgId":ack["msgId"],"reason":"boring"})).await;
    assert_eq!(bad["code"], "bad_request");
    let (status, queue) = server.api("GET", "/v1/reports?status=open", None).await;
    assert_eq!(status, 200, "{queue}");
    let cases = queue["reports"].as_array().cloned().unwrap_or_default();
    assert_eq!(cases.len(), 1, "{queue}");
    assert_eq!((cases[0]["copy"]["body"].as_str(), cases[0]["reporters"].as_u64()), (Some("something awful"), Some(1)));
    assert_eq!(cases[0]["copy"]["from"], "bob");
    let id = cases[0]["id"].as_str().expect("id").to_owned();
    let (status, resolved) =
        server.api("POST", &format!("/v1/reports/{id}/resolve"), Some(json!({"action":"delete_message"}))).await;
    assert_eq!(status, 200, "{resolved}");
    assert_eq!(resolved["report"]["status"], "resolved");
    assert_eq!(resolved["report"]["resolution"]["action"], "delete_message");
    // A second message, resolved with a ban: bob is out.
    let ack = bob.send_to("carol", "b2", "more of it").await;
    carol.recv().await;
    carol.request(json!({"action":"report","msgId":ack["msgId"],"reason":"hate"})).await;
    let before = carol.request(json!({"action":"history","conversation":"dm:bob:carol"})).await;
    assert_eq!(before["messages"][0]["body"], "more of it");
    let (status, _) = server
        .api(
            "POST",
            &format!("/v1/reports/{}/resolve", ack["msgId"].as_str().unwrap_or("")),
            Some(json!({"action":"ban_user"})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, info) = server.api("GET", "/v1/users/bob", None).await;
    assert!(info["banned"].is_object(), "{info}");
    let (_, open) = server.api("GET", "/v1/reports?status=open", None).await;
    assert_eq!(open["reports"], json!([]));
    let kinds: Vec<_> = server
        .events(0)
        .await
        .into_iter()
        .filter(|e| e["detail-type"].as_str().is_some_and(|t| t.starts_with("report.")))
        .map(|e| e["detail-type"].clone())
        .collect();
    assert_eq!(
        kinds,
        vec![json!("report.created"), json!("report.resolved"), json!("report.created"), json!("report.resolved")]
    );
}

chat_e2e::suite!(chat_e2e::spawn;
    a_report_keeps_the_evidence_and_resolving_it_deletes_or_bans,
    mute_stops_pushes_and_syncs_across_devices,
    while_a_blocks_b_nothing_of_b_reaches_a_and_b_cannot_tell,
    blocking_is_refused_for_oneself_and_group_messages_still_flow,
);
