//! End-to-end: the server API (docs/server-api.md) and its events, over real WebSockets
//! and HTTP against the devserver, on the embedded store and `--dynamodb`.

use std::time::Duration;

use chat_e2e::TestServer;
use serde_json::{Value, json};

/// The pushes recorded for `user`, once there are at least `n` (or after 2 s).
async fn pushes(server: &TestServer, user: &str, n: usize) -> Vec<Value> {
    let mut got = Vec::new();
    for _ in 0..100 {
        let (_, body) = server.http_get(&format!("/dev/pushes?user={user}")).await.expect("pushes");
        got = serde_json::from_str(&body).expect("json");
        if got.len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    got
}

/// The events of one type, in order.
async fn events_of(server: &TestServer, detail_type: &str) -> Vec<Value> {
    server.events(0).await.into_iter().filter(|e| e["detail-type"] == detail_type).collect()
}

async fn a_server_message_reaches_every_device_and_the_offline_users_push_once(server: TestServer) {
    let mut bob = server.connect("bob", "phone").await;
    bob.request(json!({"action":"push.register","platform":"fcm","token":"bob-token"})).await;
    bob.close().await;
    let mut alice_phone = server.connect("alice", "phone").await;
    let mut alice_laptop = server.connect("alice", "laptop").await;
    // One message of alice's own first: the server API's takes the next seq after it.
    alice_phone.send_to("bob", "own-1", "hi bob").await;
    alice_laptop.recv().await;
    let send = json!({"from":"alice","to":"bob","body":"sent by the backend","clientMsgId":"api-1"});
    let (status, ack) = server.api("POST", "/v1/messages", Some(send.clone())).await;
    assert_eq!(status, 200, "{ack}");
    assert_eq!((ack["type"].as_str(), ack["seq"].as_u64()), (Some("ack"), Some(2)), "gap-free after alice's own");
    for device in [&mut alice_phone, &mut alice_laptop] {
        let m = device.recv().await;
        assert_eq!(
            (m["body"].as_str(), m["seq"].as_u64(), m["from"].as_str()),
            (Some("sent by the backend"), Some(2), Some("alice"))
        );
    }
    let push = pushes(&server, "bob", 2).await;
    assert_eq!(push.len(), 2, "one push per message to offline bob: {push:?}");
    // A resend with the same clientMsgId: the first ack, nothing stored or delivered again.
    let (status, again) = server.api("POST", "/v1/messages", Some(send)).await;
    assert_eq!((status, &again["msgId"]), (200, &ack["msgId"]));
    alice_phone.assert_quiet().await;
    let mut bob = server.connect("bob", "phone").await;
    let synced = bob.sync_all(0).await;
    assert_eq!(synced.iter().map(|m| m["seq"].as_u64().unwrap_or(0)).collect::<Vec<_>>(), vec![1, 2]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(pushes(&server, "bob", 3).await.len(), 2, "no push for the resend");
    // From `system`: only the recipient holds it, in its own conversation with the app.
    let note = json!({"from":"system","to":"bob","body":"your order shipped","clientMsgId":"order-9"});
    let (status, ack) = server.api("POST", "/v1/messages", Some(note)).await;
    assert_eq!((status, ack["conversation"].as_str(), ack["seq"].as_u64()), (200, Some("dm:bob:system"), Some(0)));
    let m = bob.recv().await;
    assert_eq!((m["from"].as_str(), m["seq"].as_u64()), (Some("system"), Some(3)));
    let created = events_of(&server, "message.created").await;
    let ids: Vec<&str> = created.iter().filter_map(|e| e["detail"]["message"]["clientMsgId"].as_str()).collect();
    assert_eq!(ids, vec!["own-1", "api-1", "order-9"], "each message once, in order");
    assert_eq!(created[1]["detail"]["participants"], json!(["alice", "bob"]));
    assert_eq!(created[1]["detail"]["seqs"], json!({"alice": 2, "bob": 2}));
}

async fn a_ban_closes_the_sockets_refuses_the_handshake_and_stores_nothing_until_lifted(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let mut bob = server.connect("bob", "phone").await;
    let mut bob2 = server.connect("bob", "tablet").await;
    bob.send_to("alice", "before", "before the ban").await;
    alice.recv().await;
    bob2.recv().await;
    // Bob keeps sending while the ban lands.
    for i in 0..20 {
        bob2.send(json!({"action":"send","to":"alice","clientMsgId":format!("race-{i}"),"body":"racing"})).await;
    }
    let (status, ban) = server.api("PUT", "/v1/users/bob/ban", Some(json!({"reason":"spam"}))).await;
    assert_eq!(status, 200, "{ban}");
    assert_eq!(ban["closed"], 2);
    let count = |frames: Vec<Value>| frames.iter().filter(|m| m["from"] == "bob").count();
    let stored_then = count(alice.sync_all(0).await);
    let closed = tokio::time::timeout(chat_e2e::WAIT, bob.close_code()).await;
    assert!(closed.is_ok(), "the socket is closed");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(count(alice.sync_all(0).await), stored_then, "nothing stored after the ban's answer");
    let url = server.url(&format!("token={}&device=again", server.token("bob").await));
    assert_eq!(chat_e2e::connect_status(&url).await, Some(401), "the next handshake is refused");
    let (_, info) = server.api("GET", "/v1/users/bob", None).await;
    assert_eq!((info["connections"].as_u64(), info["banned"]["reason"].as_str()), (Some(0), Some("spam")));
    let (status, _) = server.api("DELETE", "/v1/users/bob/ban", None).await;
    assert_eq!(status, 200);
    let mut bob = server.connect("bob", "phone").await;
    let ack = bob.send_to("alice", "after", "back again").await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let kinds: Vec<Value> = server
        .events(0)
        .await
        .iter()
        .filter(|e| e["detail"]["user"] == "bob")
        .map(|e| e["detail-type"].clone())
        .collect();
    assert_eq!(kinds, vec![json!("user.banned"), json!("user.unbanned")]);
}

async fn a_moderator_delete_reaches_every_holder_live_and_through_sync(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let mut bob = server.connect("bob", "phone").await;
    let mut carol = server.connect("carol", "phone").await;
    let (status, g) = server
        .api("POST", "/v1/groups", Some(json!({"creator":"alice","name":"team","members":["bob","carol"]})))
        .await;
    assert_eq!(status, 201, "{g}");
    let gid = g["group"]["groupId"].as_str().expect("id").to_owned();
    for c in [&mut alice, &mut bob, &mut carol] {
        c.recv().await;
    }
    let ack = bob.request(json!({"action":"send","group":gid,"clientMsgId":"bad","body":"something awful"})).await;
    for c in [&mut alice, &mut carol] {
        c.recv().await;
    }
    let conversation = format!("group:{gid}");
    let path = format!("/v1/messages/{}?conversation={conversation}", ack["msgId"].as_str().expect("id"));
    let (status, answer) = server.api("DELETE", &path, None).await;
    assert_eq!(status, 200, "{answer}");
    for c in [&mut alice, &mut bob, &mut carol] {
        let u = c.recv().await;
        assert_eq!(
            (u["type"].as_str(), u["kind"].as_str(), u["by"].as_str()),
            (Some("update"), Some("delete"), Some("moderator"))
        );
        assert_eq!(u["seq"], 3);
        let synced = c.sync_all(0).await;
        assert_eq!(synced.iter().map(|m| m["seq"].as_u64().unwrap_or(0)).collect::<Vec<_>>(), vec![1, 2, 3]);
        let history = c.request(json!({"action":"history","conversation":conversation})).await;
        let original =
            history["messages"].as_array().and_then(|m| m.iter().find(|m| m["msgId"] == ack["msgId"]).cloned());
        assert_eq!(
            original.as_ref().map(|m| (m.get("body").is_none(), m["deleted"].as_bool())),
            Some((true, Some(true)))
        );
    }
    let (status, _) = server.api("DELETE", &path, None).await;
    assert_eq!(status, 200, "a repeat answers the same");
    alice.assert_quiet().await;
    let deleted = events_of(&server, "message.deleted").await;
    assert_eq!(deleted.len(), 1, "{deleted:?}");
    assert_eq!(deleted[0]["detail"]["update"]["by"], "moderator");
    // A stranger's conversation or a made-up message: not found.
    let (status, err) = server
        .api("DELETE", &format!("/v1/messages/{}?conversation=dm:x:y", ack["msgId"].as_str().unwrap_or("")), None)
        .await;
    assert_eq!((status, err["code"].as_str()), (404, Some("not_found")));
}

async fn group_administration_is_announced_and_published_once_each(server: TestServer) {
    let mut bob = server.connect("bob", "phone").await;
    let body = json!({"creator":"alice","name":"team","members":["bob"],"clientMsgId":"team-1"});
    let (status, g) = server.api("POST", "/v1/groups", Some(body.clone())).await;
    assert_eq!(status, 201, "{g}");
    let (_, again) = server.api("POST", "/v1/groups", Some(body)).await;
    assert_eq!(again["group"]["groupId"], g["group"]["groupId"], "idempotent by clientMsgId");
    let gid = g["group"]["groupId"].as_str().expect("id").to_owned();
    assert_eq!(bob.recv().await["body"], "alice created the group with bob");
    let (status, g) = server
        .api("POST", &format!("/v1/groups/{gid}/members"), Some(json!({"add":["carol"],"remove":["alice"]})))
        .await;
    assert_eq!((status, &g["group"]["members"]), (200, &json!(["bob", "carol"])));
    assert_eq!(bob.recv().await["body"], "carol joined; alice left");
    let (_, g) = server.api("PATCH", &format!("/v1/groups/{gid}"), Some(json!({"name":"crew"}))).await;
    assert_eq!(g["group"]["name"], "crew");
    assert_eq!(bob.recv().await["body"], "the group was renamed to crew");
    let list = bob.request(json!({"action":"conversations"})).await;
    assert_eq!(list["items"][0]["name"], "crew", "the list follows the new name");
    let (status, _) = server.api("DELETE", &format!("/v1/groups/{gid}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(bob.recv().await["body"], "the group was deleted");
    let refused = bob.request(json!({"action":"send","group":gid,"clientMsgId":"x","body":"anyone?"})).await;
    assert_eq!(refused["code"], "not_found");
    let (_, info) = server.api("GET", "/v1/users/bob", None).await;
    assert_eq!((info["online"].as_bool(), info["groups"].as_array().map(Vec::len)), (Some(true), Some(0)));
    let kinds: Vec<Value> = server
        .events(0)
        .await
        .iter()
        .filter(|e| e["detail-type"].as_str().is_some_and(|t| t.starts_with("group.")))
        .map(|e| e["detail-type"].clone())
        .collect();
    assert_eq!(
        kinds,
        vec![json!("group.created"), json!("group.members_changed"), json!("group.renamed"), json!("group.deleted")]
    );
    let notices = events_of(&server, "message.created").await;
    assert!(notices.is_empty(), "notices are not message events: {notices:?}");
}

async fn bad_requests_are_refused_with_one_error_and_change_nothing(server: TestServer) {
    let mut bob = server.connect("bob", "phone").await;
    let cases = [
        ("POST", "/v1/messages", Some(json!({"from":"alice","to":"bob","body":""}))),
        ("POST", "/v1/messages", Some(json!({"from":"alice","to":"nobody here","body":"x","clientMsgId":"c"}))),
        (
            "POST",
            "/v1/messages",
            Some(json!({"from":"mallory","group":"01ARZ3NDEKTSV4RRFFQ69G5FAV","body":"x","clientMsgId":"c"})),
        ),
        ("PUT", "/v1/users/system/ban", Some(json!({}))),
        ("POST", "/v1/groups", Some(json!({"creator":"alice","name":""}))),
        ("GET", "/v1/unknown", None),
    ];
    for (method, path, body) in cases {
        let (status, err) = server.api(method, path, body).await;
        assert!((400..500).contains(&status), "{method} {path}: {status} {err}");
        assert!(err["code"].is_string() && err["message"].is_string(), "{err}");
    }
    bob.assert_quiet().await;
    assert!(bob.sync_all(0).await.is_empty());
    assert!(server.events(0).await.is_empty(), "nothing published");
}

chat_e2e::suite!(chat_e2e::spawn;
    a_server_message_reaches_every_device_and_the_offline_users_push_once,
    a_ban_closes_the_sockets_refuses_the_handshake_and_stores_nothing_until_lifted,
    a_moderator_delete_reaches_every_holder_live_and_through_sync,
    group_administration_is_announced_and_published_once_each,
    bad_requests_are_refused_with_one_error_and_change_nothing,
);
