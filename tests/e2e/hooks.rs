//! End-to-end: the pre-send hook (`--pre-send-hook URL`, the devserver's adapter of the
//! port the send function asks) rejects, replaces, and, when it times out, follows the
//! failure policy; on the embedded store and `--dynamodb`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use chat_e2e::{Backend, TestServer};
use serde_json::{Value, json};

/// A hook that rejects bodies with "reject", replaces those with "replace", answers late
/// to "slow", and allows the rest; it counts the questions.
async fn hook_server() -> (String, Arc<AtomicUsize>) {
    async fn answer(State(asked): State<Arc<AtomicUsize>>, Json(request): Json<Value>) -> Json<Value> {
        asked.fetch_add(1, Ordering::SeqCst);
        let body = request["body"].as_str().unwrap_or_default();
        if body.contains("slow") {
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        Json(if body.contains("reject") {
            json!({"action":"reject","code":"profanity","reason":"watch your language"})
        } else if body.contains("replace") {
            json!({"action":"replace","body":"[redacted]"})
        } else {
            json!({"action":"allow"})
        })
    }
    let asked = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let app = axum::Router::new().route("/hook", axum::routing::post(answer)).with_state(asked.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, asked)
}

async fn with_hook(backend: Backend, failure: chat_core::hook::FailurePolicy) -> (TestServer, Arc<AtomicUsize>) {
    let (url, asked) = hook_server().await;
    let options = chat_devserver::Options {
        pre_send_hook: Some(url),
        pre_send_hook_failure: failure,
        pre_send_hook_timeout_ms: 300,
        ..chat_e2e::options(backend)
    };
    (chat_e2e::spawn_with(options, chat_devserver::Limits::default()).await, asked)
}

fn backend_of(server: &TestServer) -> Backend {
    match server.options.store {
        chat_devserver::StoreChoice::DynamoDb => Backend::DynamoDb,
        _ => Backend::Embedded,
    }
}

async fn a_hook_rejects_replaces_and_allows_and_a_slow_one_follows_its_policy(server: TestServer) {
    let backend = backend_of(&server);
    server.stop().await;
    let (server, asked) = with_hook(backend, chat_core::hook::FailurePolicy::Open).await;
    let mut alice = server.connect("alice", "phone").await;
    let mut bob = server.connect("bob", "phone").await;
    let refused = alice.send_to("bob", "r1", "please reject this").await;
    assert_eq!(
        (refused["code"].as_str(), refused["clientMsgId"].as_str()),
        (Some("rejected"), Some("r1")),
        "{refused}"
    );
    assert!(refused["message"].as_str().is_some_and(|m| m.contains("watch your language")));
    let replaced = alice.send_to("bob", "r2", "please replace this").await;
    assert_eq!(replaced["type"], "ack", "{replaced}");
    assert_eq!(bob.recv().await["body"], "[redacted]", "the replacement is delivered");
    let slow = alice.send_to("bob", "r3", "a slow one").await;
    assert_eq!(slow["type"], "ack", "open: a hook that times out lets the message through");
    assert_eq!(bob.recv().await["body"], "a slow one");
    let stored: Vec<Value> = bob.sync_all(0).await;
    assert_eq!(
        stored.iter().map(|m| m["body"].clone()).collect::<Vec<_>>(),
        vec![json!("[redacted]"), json!("a slow one")]
    );
    // Edits are asked too; the server API's sends as well.
    let edit =
        alice.request(json!({"action":"edit","msgId":replaced["msgId"],"clientMsgId":"e1","body":"reject me"})).await;
    assert_eq!(edit["code"], "rejected", "{edit}");
    let (status, err) = server
        .api("POST", "/v1/messages", Some(json!({"from":"system","to":"bob","body":"reject","clientMsgId":"s1"})))
        .await;
    assert_eq!((status, err["code"].as_str()), (422, Some("rejected")));
    assert_eq!(asked.load(Ordering::SeqCst), 5);
    assert_eq!(bob.sync_all(0).await.len(), 2, "nothing refused was stored");
    let metrics = server.http_get("/dev/metrics").await.expect("metrics").1;
    let failures = metrics
        .lines()
        .find_map(|l| l.strip_prefix("chat_pre_send_hook_failures_total "))
        .and_then(|n| n.trim().parse::<u64>().ok());
    assert!(failures.is_some_and(|n| n >= 1), "the timeout is counted: {failures:?}");
    server.stop().await;

    let (server, _) = with_hook(backend, chat_core::hook::FailurePolicy::Closed).await;
    let mut alice = server.connect("alice", "phone").await;
    let slow = alice.send_to("bob", "c1", "slow again").await;
    assert_eq!(slow["code"], "unavailable", "closed: a hook that times out refuses the message: {slow}");
    let fine = alice.send_to("bob", "c2", "fine").await;
    assert_eq!(fine["type"], "ack");
    let mut bob = server.connect("bob", "phone").await;
    assert_eq!(bob.sync_all(0).await.len(), 1, "only the allowed message is stored");
}

chat_e2e::suite!(chat_e2e::spawn;
    a_hook_rejects_replaces_and_allows_and_a_slow_one_follows_its_policy,
);
