//! End-to-end: presence (debounced, subscribers only) and push notifications for offline
//! users, over real WebSockets, against the embedded store and `--dynamodb`.

use std::time::Duration;

use chat_e2e::{Backend, Client, TestServer, options, spawn_with};
use serde_json::{Value, json};

/// A short debounce window keeps the suite quick; the rules are the same at 3 s.
const WINDOW_MS: u64 = 400;
/// How long after the window a change may take to arrive.
const MARGIN: Duration = Duration::from_millis(2_000);

async fn server(backend: Backend) -> TestServer {
    let mut o = options(backend);
    o.presence_debounce_ms = WINDOW_MS;
    spawn_with(o, Default::default()).await
}

async fn next_within(client: &mut Client, limit: Duration) -> Option<Value> {
    tokio::time::timeout(limit, client.next()).await.ok().flatten()
}

async fn pushes(server: &TestServer, user: &str) -> Vec<Value> {
    let (status, body) = server.http_get(&format!("/dev/pushes?user={user}")).await.expect("pushes");
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<Vec<Value>>(&body).expect("a JSON list")
}

async fn a_never_seen_user_is_offline_with_null_last_seen(server: TestServer) {
    let mut w = server.connect("watcher", "d").await;
    let reply = w.request(json!({"action":"presence","users":["ghost"]})).await;
    assert_eq!(reply["type"], "presence", "{reply}");
    assert_eq!(reply["users"], json!([{"user":"ghost","online":false,"lastSeen":null}]));
}

async fn subscribers_are_told_of_online_then_offline_with_last_seen(server: TestServer) {
    let window = Duration::from_millis(WINDOW_MS);
    let mut w = server.connect("watcher", "d").await;
    let mut bystander = server.connect("bystander", "d").await;
    w.send_to("bob", "hello-bob", "hi bob").await;
    w.request(json!({"action":"presence","users":["bob"]})).await;
    let bob = server.connect("bob", "phone").await;
    let online = next_within(&mut w, window + MARGIN).await.expect("told of online");
    assert_eq!(online["users"][0]["user"], "bob");
    assert_eq!(online["users"][0]["online"], true);
    assert!(online.get("id").is_none(), "a pushed change has no id");
    bob.close().await;
    let offline = next_within(&mut w, window + MARGIN).await.expect("told of offline");
    assert_eq!(offline["users"][0]["online"], false);
    assert!(offline["users"][0]["lastSeen"].as_u64().is_some_and(|t| t > 1_600_000_000_000));
    let now = w.request(json!({"action":"presence","users":["bob"]})).await;
    assert_eq!(now["users"][0]["online"], false);
    assert_eq!(now["users"][0]["lastSeen"], offline["users"][0]["lastSeen"]);
    bystander.assert_quiet().await;
}

async fn a_quick_disconnect_and_reconnect_is_not_announced(server: TestServer) {
    let window = Duration::from_millis(WINDOW_MS);
    let mut w = server.connect("watcher", "d").await;
    w.send_to("bob", "hello-bob", "hi bob").await;
    w.request(json!({"action":"presence","users":["bob"]})).await;
    let bob = server.connect("bob", "phone").await;
    assert_eq!(next_within(&mut w, window + MARGIN).await.expect("online")["users"][0]["online"], true);
    bob.close().await;
    let _bob_again = server.connect("bob", "phone").await;
    assert!(next_within(&mut w, window * 2 + Duration::from_millis(500)).await.is_none(), "no offline blip");
}

async fn a_strangers_presence_shows_nothing_while_a_contacts_shows_the_truth(server: TestServer) {
    let window = Duration::from_millis(WINDOW_MS);
    let _bob = server.connect("bob", "phone").await;
    let carol = server.connect("carol", "phone").await;
    let mut alice = server.connect("alice", "laptop").await;
    alice.send_to("bob", "hi", "hi bob").await;
    // Wait out the debounce so both are announced online.
    tokio::time::sleep(window + Duration::from_millis(300)).await;
    let mut reply = Value::Null;
    for _ in 0..50 {
        reply = alice.request(json!({"action":"presence","users":["bob","carol"]})).await;
        if reply["users"][0]["online"] == true {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(reply["users"][0]["online"], true, "a contact's truth: {reply}");
    assert_eq!(
        reply["users"][1],
        json!({"user":"carol","online":false,"lastSeen":null}),
        "a stranger is shown as never seen"
    );
    // Carol is not watched either: her going offline tells alice nothing.
    carol.close().await;
    let quiet = next_within(&mut alice, window + Duration::from_millis(800)).await;
    assert!(quiet.is_none(), "nothing about a stranger: {quiet:?}");
}

async fn an_offline_user_with_a_device_gets_a_push_and_an_online_one_does_not(server: TestServer) {
    let mut bob = server.connect("bob", "phone").await;
    let ok = bob.request(json!({"action":"push.register","platform":"fcm","token":"bob-fcm-token"})).await;
    assert_eq!(ok["type"], "ok", "{ok}");
    bob.close().await;
    let mut carol = server.connect("carol", "phone").await;
    carol.request(json!({"action":"push.register","platform":"apns","token":"carol-apns"})).await;
    let mut alice = server.connect("alice", "phone").await;
    let long = format!("{} and then some", "é".repeat(120));
    alice.send_to("bob", "p1", &long).await;
    alice.send_to("carol", "p2", "carol is online").await;
    let mut got = Vec::new();
    for _ in 0..100 {
        got = pushes(&server, "bob").await;
        if !got.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["title"], "alice");
    assert_eq!(got[0]["platform"], "fcm");
    assert_eq!(got[0]["conversation"], "dm:alice:bob");
    let body = got[0]["body"].as_str().expect("body");
    assert_eq!(body.chars().count(), 100);
    assert!(body.ends_with('…'));
    let gcm: Value = serde_json::from_str(got[0]["message"]["GCM"].as_str().expect("GCM payload")).expect("json");
    assert_eq!(gcm["notification"]["title"], "alice");
    assert_eq!(carol.recv().await["body"], "carol is online", "carol gets it live");
    assert!(pushes(&server, "carol").await.is_empty(), "an online user gets no push");
}

async fn push_registration_refuses_bad_input_and_unregister_stops_pushes(server: TestServer) {
    let mut bob = server.connect("bob", "phone").await;
    let bad = bob.request(json!({"action":"push.register","platform":"blackberry","token":"t"})).await;
    assert_eq!(bad["code"], "bad_request");
    let empty = bob.request(json!({"action":"push.register","platform":"fcm","token":""})).await;
    assert_eq!(empty["code"], "bad_request");
    bob.request(json!({"action":"push.register","platform":"apns_sandbox","token":"tok"})).await;
    assert_eq!(bob.request(json!({"action":"push.unregister","token":"tok"})).await["type"], "ok");
    assert_eq!(bob.request(json!({"action":"push.unregister","token":"never-registered"})).await["type"], "ok");
    bob.close().await;
    let mut alice = server.connect("alice", "phone").await;
    alice.send_to("bob", "x", "anyone there?").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(pushes(&server, "bob").await.is_empty());
}

chat_e2e::suite!(crate::presence_push::server;
    a_never_seen_user_is_offline_with_null_last_seen,
    subscribers_are_told_of_online_then_offline_with_last_seen,
    a_quick_disconnect_and_reconnect_is_not_announced,
    a_strangers_presence_shows_nothing_while_a_contacts_shows_the_truth,
    an_offline_user_with_a_device_gets_a_push_and_an_online_one_does_not,
    push_registration_refuses_bad_input_and_unregister_stops_pushes,
);
