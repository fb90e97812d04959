//! End-to-end: real WebSockets against the devserver, once with the embedded store and
//! once with `--dynamodb` against a DynamoDB API (moto in CI).

use std::time::{SystemTime, UNIX_EPOCH};

use chat_e2e::{TestServer, connect_status};
use futures_util::future::join_all;
use serde_json::{Value, json};

fn now_s() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs()
}

fn seqs(messages: &[Value]) -> Vec<u64> {
    messages.iter().map(|m| m["seq"].as_u64().expect("seq")).collect()
}

async fn connections_are_refused_with_401_for_bad_tokens(server: TestServer) {
    let secret = chat_auth::dev::DEV_SECRET.as_bytes();
    let expired = chat_auth::dev::mint(secret, "alice", now_s() - 7200, 60).expect("mint");
    let wrong_key = chat_auth::dev::mint(b"some-other-secret-0123456789", "alice", now_s(), 60).expect("mint");
    let bad_sub = chat_auth::dev::mint(secret, "not a user", now_s(), 60).expect("mint");
    let good = server.token("alice").await;
    for (name, query) in [
        ("no token", String::new()),
        ("empty token", "token=".to_owned()),
        ("garbage", "token=abc.def.ghi".to_owned()),
        ("wrong key", format!("token={wrong_key}")),
        ("expired", format!("token={expired}")),
        ("bad sub", format!("token={bad_sub}")),
        ("bad device", format!("token={good}&device=bad%20device")),
    ] {
        assert_eq!(connect_status(&server.url(&query)).await, Some(401), "{name}");
    }
    assert_eq!(connect_status(&server.url(&format!("token={good}"))).await, None, "a good token connects");
    let staged = format!("ws://{}/local?token={good}", server.addr);
    assert_eq!(connect_status(&staged).await, None, "the stage path works too");
    let wrong_stage = format!("ws://{}/prod?token={good}", server.addr);
    assert_eq!(connect_status(&wrong_stage).await, Some(404));
}

async fn a_send_is_acked_then_delivered_to_every_device_of_both_users(server: TestServer) {
    let mut alice_phone = server.connect("alice", "phone").await;
    let mut alice_laptop = server.connect("alice", "laptop").await;
    let mut bob_phone = server.connect("bob", "phone").await;
    let mut bob_tablet = server.connect("bob", "tablet").await;
    let ack = alice_phone.send_to("bob", "c-1", "hello bob").await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(ack["clientMsgId"], "c-1");
    assert_eq!(ack["seq"], 1);
    assert_eq!(ack["conversation"], "dm:alice:bob");
    assert!(ack["ts"].as_u64().is_some() && ack["msgId"].as_str().is_some_and(|s| s.len() == 26));
    for (who, client) in
        [("alice laptop", &mut alice_laptop), ("bob phone", &mut bob_phone), ("bob tablet", &mut bob_tablet)]
    {
        let m = client.recv().await;
        assert_eq!(m["type"], "message", "{who}: {m}");
        assert_eq!(m["msgId"], ack["msgId"], "{who}");
        assert_eq!(m["from"], "alice");
        assert_eq!(m["body"], "hello bob");
        assert_eq!(m["clientMsgId"], "c-1");
        assert_eq!(m["conversation"], "dm:alice:bob");
        assert_eq!(m["ts"], ack["ts"]);
        assert_eq!(m["seq"], 1, "{who}: each user's own seq");
    }
    let reply = bob_tablet.send_to("alice", "b-1", "hi alice").await;
    assert_eq!(reply["seq"], 2, "bob's second inbox entry");
    let m = alice_phone.recv().await;
    assert_eq!((m["seq"].as_u64(), m["from"].as_str()), (Some(2), Some("bob")));
    alice_phone.assert_quiet().await;
}

async fn an_offline_recipient_syncs_everything_without_gaps(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    for i in 0..5 {
        let ack = alice.send_to("bob", &format!("m{i}"), &format!("message {i}")).await;
        assert_eq!(ack["seq"], i + 1);
    }
    let mut bob = server.connect("bob", "phone").await;
    let all = bob.sync_all(0).await;
    assert_eq!(seqs(&all), vec![1, 2, 3, 4, 5]);
    assert_eq!(all[4]["body"], "message 4");
    let page = bob.request(json!({"action":"sync","after":2,"limit":2})).await;
    assert_eq!(seqs(page["messages"].as_array().expect("messages")), vec![3, 4]);
    assert_eq!(page["next"], 4);
    let last = bob.request(json!({"action":"sync","after":4,"limit":2})).await;
    assert_eq!(last["next"], Value::Null);
}

async fn a_resend_with_the_same_client_msg_id_returns_the_first_ack_and_delivers_nothing(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let mut bob = server.connect("bob", "phone").await;
    let first = alice.send_to("bob", "dup", "once").await;
    assert_eq!(bob.recv().await["msgId"], first["msgId"]);
    let again = alice.send_to("bob", "dup", "once").await;
    assert_eq!(again["type"], "ack");
    assert_eq!((&again["msgId"], &again["seq"], &again["ts"]), (&first["msgId"], &first["seq"], &first["ts"]));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    bob.assert_quiet().await;
    assert_eq!(bob.sync_all(0).await.len(), 1);
}

async fn history_pages_newest_first_and_strangers_read_nothing(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    for i in 0..5 {
        alice.send_to("bob", &format!("h{i}"), &format!("h{i}")).await;
        alice.send_to("carol", &format!("c{i}"), &format!("c{i}")).await;
    }
    let p1 = alice.request(json!({"action":"history","conversation":"dm:alice:bob","limit":2})).await;
    assert_eq!(p1["type"], "history", "{p1}");
    assert_eq!(p1["conversation"], "dm:alice:bob");
    assert_eq!(seqs(p1["messages"].as_array().expect("messages")), vec![9, 7]);
    let p2 =
        alice.request(json!({"action":"history","conversation":"dm:alice:bob","limit":2,"before":p1["next"]})).await;
    assert_eq!(seqs(p2["messages"].as_array().expect("messages")), vec![5, 3]);
    let p3 =
        alice.request(json!({"action":"history","conversation":"dm:alice:bob","limit":2,"before":p2["next"]})).await;
    assert_eq!(seqs(p3["messages"].as_array().expect("messages")), vec![1]);
    assert_eq!(p3["next"], Value::Null);
    let mut mallory = server.connect("mallory", "x").await;
    let denied = mallory.request(json!({"action":"history","conversation":"dm:alice:bob"})).await;
    assert_eq!(denied["type"], "error");
    assert_eq!(denied["code"], "forbidden");
    assert!(mallory.sync_all(0).await.is_empty());
    let group = mallory.request(json!({"action":"history","conversation":"group:secret"})).await;
    assert_eq!(group["code"], "not_found");
}

async fn five_users_sending_forty_messages_each_give_the_target_seq_1_to_200(server: TestServer) {
    let senders = ["s1", "s2", "s3", "s4", "s5"];
    let mut clients = Vec::new();
    for s in senders {
        clients.push((s, server.connect(s, "d").await));
    }
    let runs = clients.into_iter().map(|(name, mut client)| async move {
        for i in 0..40 {
            client.send(json!({"action":"send","to":"target","clientMsgId":format!("{name}-{i}"),"body":format!("{name} {i}")})).await;
        }
        // 200 sends to one inbox are stored one after another (each takes its seq in
        // turn): on a slow emulator the last ack comes many seconds after the first.
        let mut acked = 0;
        while acked < 40 {
            let f = client.recv_within(std::time::Duration::from_secs(60)).await;
            assert_eq!(f["type"], "ack", "{f}");
            acked += 1;
        }
    });
    join_all(runs).await;
    let mut target = server.connect("target", "d").await;
    let all = target.sync_all(0).await;
    assert_eq!(seqs(&all), (1..=200).collect::<Vec<_>>());
    let mut ids: Vec<&str> = all.iter().map(|m| m["msgId"].as_str().expect("msgId")).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 200, "no duplicates");
}

async fn bad_input_gets_the_right_error_stores_nothing_and_keeps_the_connection(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let big = "x".repeat(16 * 1024 + 1);
    let cases: Vec<(String, &str)> = vec![
        ("not json".into(), "bad_request"),
        ("[1,2,3]".into(), "bad_request"),
        ("\"send\"".into(), "bad_request"),
        (r#"{"to":"bob"}"#.into(), "bad_request"),
        (r#"{"action":42}"#.into(), "bad_request"),
        (r#"{"action":"teleport"}"#.into(), "unknown_action"),
        (r#"{"action":"send","clientMsgId":"c","body":"x"}"#.into(), "bad_request"),
        (r#"{"action":"send","to":"bob","group":"g","clientMsgId":"c","body":"x"}"#.into(), "bad_request"),
        (r#"{"action":"send","to":"bob","clientMsgId":"c","body":""}"#.into(), "bad_request"),
        (r#"{"action":"send","to":"bob","clientMsgId":"","body":"x"}"#.into(), "bad_request"),
        (r#"{"action":"send","to":"b o b","clientMsgId":"c","body":"x"}"#.into(), "bad_request"),
        (json!({"action":"send","to":"bob","clientMsgId":"c","body":big}).to_string(), "too_large"),
        (r#"{"action":"sync","limit":0}"#.into(), "bad_request"),
        (r#"{"action":"sync","after":"x"}"#.into(), "bad_request"),
        (r#"{"action":"history"}"#.into(), "bad_request"),
        (r#"{"action":"history","conversation":"dm:bob:alice"}"#.into(), "bad_request"),
        (r#"{"action":"send","to":"bob","clientMsgId":"c","body":"x","id":5}"#.into(), "bad_request"),
    ];
    for (frame, code) in &cases {
        alice.send_text(frame).await;
        let e = alice.recv().await;
        assert_eq!(e["type"], "error", "{frame}: {e}");
        assert_eq!(e["code"], *code, "{frame}: {e}");
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let with_id = alice.request(json!({"action":"send","to":"bob","clientMsgId":"big","body":big})).await;
    assert_eq!(with_id["code"], "too_large");
    assert_eq!(with_id["clientMsgId"], "big", "the error names the clientMsgId");
    alice.assert_quiet().await;
    assert!(alice.sync_all(0).await.is_empty(), "nothing was stored");
    let mut bob = server.connect("bob", "phone").await;
    assert!(bob.sync_all(0).await.is_empty(), "nothing was stored");
    let ok = alice.send_to("bob", "after-errors", "still works").await;
    assert_eq!(ok["seq"], 1);
}

async fn an_oversize_frame_closes_the_connection_with_1009(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    alice.send_text(&"x".repeat(200 * 1024)).await;
    assert_eq!(alice.close_code().await, Some(1009), "API Gateway closes oversize messages with 1009");
    let mut again = server.connect("alice", "phone").await;
    again.assert_quiet().await;
}

async fn ping_answers_pong_with_the_id(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    assert_eq!(alice.request(json!({"action":"ping"})).await["type"], "pong");
}

async fn a_session_ends_when_its_token_expires(server: TestServer) {
    let token = chat_auth::dev::mint(chat_auth::dev::DEV_SECRET.as_bytes(), "alice", now_s(), 2).expect("mint");
    let mut alice = chat_e2e::Client::connect(&server.url(&format!("token={token}"))).await.expect("connects");
    assert_eq!(alice.request(json!({"action":"ping"})).await["type"], "pong");
    tokio::time::sleep(std::time::Duration::from_millis(2_600)).await;
    alice.send(json!({"action":"send","id":"late","to":"bob","clientMsgId":"late","body":"after expiry"})).await;
    let refused = alice.recv().await;
    assert_eq!((refused["code"].as_str(), refused["id"].as_str()), (Some("unauthorized"), Some("late")), "{refused}");
    assert_eq!(alice.close_code().await, Some(1000), "the connection is closed");
    let mut bob = server.connect("bob", "phone").await;
    assert!(bob.sync_all(0).await.is_empty(), "nothing was stored after expiry");
}

async fn users_named_by_common_identity_providers_chat_like_anyone(server: TestServer) {
    let (a, b) = ("auth0|64f1c2a9", "ann+chat@example.com");
    let mut auth0 = server.connect(a, "phone").await;
    let mut email = server.connect(b, "laptop").await;
    assert_eq!(auth0.request(json!({"action":"whoami"})).await["user"], a);
    let ack = auth0.send_to(b, "c1", "hi").await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let conversation = ack["conversation"].as_str().expect("conversation").to_owned();
    assert_eq!(conversation, format!("dm:{b}:{a}"), "sorted bytewise, still dm:<a>:<b>");
    let (m, _) = email.until("message").await;
    assert_eq!((m["from"].as_str(), m["body"].as_str()), (Some(a), Some("hi")));
    let history = email.request(json!({"action":"history","conversation":conversation})).await;
    assert_eq!(history["messages"].as_array().map(Vec::len), Some(1), "{history}");
}

chat_e2e::suite!(chat_e2e::spawn;
    users_named_by_common_identity_providers_chat_like_anyone,
    a_session_ends_when_its_token_expires,
    connections_are_refused_with_401_for_bad_tokens,
    a_send_is_acked_then_delivered_to_every_device_of_both_users,
    an_offline_recipient_syncs_everything_without_gaps,
    a_resend_with_the_same_client_msg_id_returns_the_first_ack_and_delivers_nothing,
    history_pages_newest_first_and_strangers_read_nothing,
    five_users_sending_forty_messages_each_give_the_target_seq_1_to_200,
    bad_input_gets_the_right_error_stores_nothing_and_keeps_the_connection,
    an_oversize_frame_closes_the_connection_with_1009,
    ping_answers_pong_with_the_id,
);
