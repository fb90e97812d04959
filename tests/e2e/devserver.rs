//! The devserver as a gateway: the `@connections` API through the real SDK client, limits,
//! restarts on the same data dir, and clean shutdown.

use std::time::Duration;

use aws_sdk_apigatewaymanagement::Client as Management;
use aws_sdk_apigatewaymanagement::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_apigatewaymanagement::primitives::Blob;
use chat_core::ids::UserId;
use chat_core::schema::TableNames;
use chat_core::store::{Connection, ConnectionStore};
use chat_dynamo::DynamoStore;
use chat_e2e::{Backend, TestServer, options, spawn, spawn_with};
use serde_json::json;

fn management(endpoint: &str) -> Management {
    let config = aws_sdk_apigatewaymanagement::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("k", "s", None, None, "test"))
        .endpoint_url(endpoint)
        .http_client(chat_lambda::https_client())
        .build();
    Management::from_conf(config)
}

/// The DynamoDB store a `--dynamodb` test server uses: how tests learn connection ids,
/// which only the gateway and the functions ever see.
async fn store_of(server: &TestServer) -> DynamoStore {
    let prefix = server.options.table_prefix.clone().expect("a DynamoDB server");
    let sdk = chat_lambda::sdk_config(chat_lambda::Budget::Data).await;
    DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), TableNames::with_prefix(&prefix))
}

async fn connections(store: &DynamoStore, user: &str) -> Vec<Connection> {
    store.connections(&UserId::parse(user).expect("valid"), 0).await.expect("connections")
}

#[tokio::test]
async fn the_management_api_posts_describes_and_deletes_connections_with_and_without_the_stage() {
    let server = spawn(Backend::DynamoDb).await;
    let store = store_of(&server).await;
    let mut alice = server.connect("alice", "phone").await;
    let conns = connections(&store, "alice").await;
    assert_eq!(conns.len(), 1);
    assert_eq!(conns[0].device.as_ref().map(|d| d.as_str()), Some("phone"));
    let id = conns[0].connection_id.as_str().to_owned();
    let staged = management(&server.callback_url());
    let bare = management(&format!("http://{}", server.addr));
    for (n, client) in [&staged, &bare].into_iter().enumerate() {
        client
            .post_to_connection()
            .connection_id(&id)
            .data(Blob::new(format!("{{\"n\":{n}}}")))
            .send()
            .await
            .expect("post");
        assert_eq!(alice.recv().await, json!({"n": n}));
        let info = client.get_connection().connection_id(&id).send().await.expect("get");
        assert!(info.connected_at().is_some() && info.last_active_at().is_some());
        assert_eq!(info.identity().and_then(|i| i.source_ip()), Some("127.0.0.1"));
        let err =
            client.post_to_connection().connection_id("nope=").data(Blob::new("x")).send().await.expect_err("gone");
        assert!(err.as_service_error().is_some_and(|e| e.is_gone_exception()), "{err:?}");
        let err = client.get_connection().connection_id("nope=").send().await.expect_err("gone");
        assert!(err.as_service_error().is_some_and(|e| e.is_gone_exception()), "{err:?}");
    }
    bare.delete_connection().connection_id(&id).send().await.expect("delete");
    assert_eq!(alice.close_code().await, Some(1000));
    // $disconnect ran: the record is gone, and posting now is 410.
    for _ in 0..100 {
        if connections(&store, "alice").await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(connections(&store, "alice").await.is_empty(), "$disconnect deleted the record");
    let err = staged.post_to_connection().connection_id(&id).data(Blob::new("x")).send().await.expect_err("gone");
    assert!(err.as_service_error().is_some_and(|e| e.is_gone_exception()));
}

#[tokio::test]
async fn a_post_to_a_gone_connection_deletes_its_record() {
    let server = spawn(Backend::DynamoDb).await;
    let store = store_of(&server).await;
    // A record whose socket no longer exists, as after a missed $disconnect.
    let stale = Connection {
        user: UserId::parse("bob").expect("valid"),
        connection_id: chat_core::ids::ConnectionId::parse("stale0000000000=").expect("valid"),
        device: None,
        connected_at: 0,
        expires_at: u64::MAX / 2,
    };
    store.put_connection(&stale).await.expect("put");
    let mut alice = server.connect("alice", "phone").await;
    let ack = alice.send_to("bob", "m1", "hi").await;
    assert_eq!(ack["type"], "ack");
    for _ in 0..100 {
        if connections(&store, "bob").await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(connections(&store, "bob").await.is_empty(), "the 410 removed the stale record");
}

#[tokio::test]
async fn a_410_for_a_connection_still_in_its_connect_keeps_its_record() {
    let server = spawn(Backend::DynamoDb).await;
    let store = store_of(&server).await;
    // A record written a moment ago by `$connect`, for a socket the gateway does not serve
    // yet: posts to it are 410 until the handshake completes.
    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis() as u64;
    let connecting = Connection {
        user: UserId::parse("bob").expect("valid"),
        connection_id: chat_core::ids::ConnectionId::parse("connecting00000=").expect("valid"),
        device: None,
        connected_at: now_ms,
        expires_at: u64::MAX / 2,
    };
    store.put_connection(&connecting).await.expect("put");
    let mut alice = server.connect("alice", "phone").await;
    assert_eq!(alice.send_to("bob", "m1", "hi").await["type"], "ack");
    alice.assert_quiet().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(connections(&store, "bob").await.len(), 1, "the young record survives the 410");
}

#[tokio::test]
async fn dev_endpoints_refuse_a_host_name_a_rebinding_page_would_send() {
    let server = spawn(Backend::Embedded).await;
    let (status, _) = server.http_get_as("/dev/token?user=alice", "evil.example:8080").await.expect("answered");
    assert_eq!(status, 403);
    let (status, _) = server.http_get_as("/dev/pushes?user=alice", "evil.example").await.expect("answered");
    assert_eq!(status, 403);
    let (status, body) = server.http_get_as("/dev/token?user=alice", "localhost").await.expect("answered");
    assert_eq!(status, 200, "{body}");
}

/// 200 `sync` frames sent at once to a connection handled one frame at a time, then a ping:
/// the socket is read on while frames wait, so the pong does not wait behind them.
#[tokio::test]
async fn a_ping_is_answered_while_data_frames_wait_their_turn() {
    let limits = chat_devserver::Limits { in_flight: 1, ..Default::default() };
    let server = spawn_with(options(Backend::Embedded), limits).await;
    let mut alice = server.connect("alice", "phone").await;
    for i in 0..200 {
        alice.send(json!({"action":"sync","id":format!("s{i}")})).await;
    }
    alice.ping(b"still there?").await;
    let (mut replies, mut pong_after) = (0, None);
    while replies < 200 {
        match alice.next_raw().await {
            Some(tokio_tungstenite::tungstenite::Message::Pong(_)) => pong_after = Some(replies),
            Some(tokio_tungstenite::tungstenite::Message::Text(_)) => replies += 1,
            Some(_) => {}
            None => panic!("closed"),
        }
    }
    let pong_after = pong_after.expect("the ping was answered");
    assert!(pong_after < 200, "the pong came after {pong_after} of 200 replies, not behind all of them");
}

/// Past the waiting bound, a data frame gets API Gateway's throttling answer and is not
/// handled; every frame gets exactly one answer either way.
#[tokio::test]
async fn frames_past_the_waiting_bound_are_refused_like_api_gateway_throttling() {
    let limits = chat_devserver::Limits { in_flight: 1, queued: 4, ..Default::default() };
    let server = spawn_with(options(Backend::Embedded), limits).await;
    let mut alice = server.connect("alice", "phone").await;
    for i in 0..60 {
        alice
            .send(json!({"action":"send","id":format!("m{i}"),"to":"bob","clientMsgId":format!("c{i}"),"body":"x"}))
            .await;
    }
    let (mut acks, mut throttled) = (0, 0);
    while acks + throttled < 60 {
        let f = alice.recv().await;
        if f["type"] == "ack" {
            acks += 1;
        } else if f["message"] == "Too Many Requests" {
            throttled += 1;
        }
    }
    assert!(throttled > 0 && acks > 0, "{acks} acked, {throttled} throttled");
    let mut bob = server.connect("bob", "phone").await;
    assert_eq!(bob.sync_all(0).await.len(), acks, "a throttled frame stored nothing");
}

#[tokio::test]
async fn dev_metrics_count_what_the_functions_did_in_prometheus_text() {
    let server = spawn(Backend::Embedded).await;
    let mut alice = server.connect("alice", "phone").await;
    assert_eq!(alice.send_to("bob", "m1", "hi").await["type"], "ack");
    alice.send_text("not json").await;
    alice.recv().await;
    let (status, body) = server.http_get("/dev/metrics").await.expect("answered");
    assert_eq!(status, 200);
    let value = |name: &str| {
        body.lines().find_map(|l| l.strip_prefix(&format!("{name} "))).and_then(|v| v.trim().parse::<u64>().ok())
    };
    assert!(value("chat_messages_stored_total").is_some_and(|n| n >= 1), "{body}");
    assert!(value("chat_deliveries_total").is_some_and(|n| n >= 1), "{body}");
    assert!(value("chat_refused_total").is_some_and(|n| n >= 1), "{body}");
    assert!(body.contains("# TYPE chat_inbox_entries_total counter"));
}

#[tokio::test]
async fn shutdown_sends_a_close_frame_and_runs_disconnect_for_every_connection() {
    let server = spawn(Backend::DynamoDb).await;
    let store = store_of(&server).await;
    let mut a = server.connect("alice", "phone").await;
    let mut b = server.connect("bob", "phone").await;
    assert_eq!(connections(&store, "alice").await.len() + connections(&store, "bob").await.len(), 2);
    let stopping = tokio::spawn(server.stop());
    assert_eq!(a.close_code().await, Some(1001));
    assert_eq!(b.close_code().await, Some(1001));
    stopping.await.expect("stopped");
    assert!(connections(&store, "alice").await.is_empty());
    assert!(connections(&store, "bob").await.is_empty());
}

#[tokio::test]
async fn a_client_close_is_answered_at_once_and_disconnect_runs() {
    let server = spawn(Backend::DynamoDb).await;
    let store = store_of(&server).await;
    for round in 0..3 {
        let a = server.connect("alice", "phone").await;
        assert_eq!(connections(&store, "alice").await.len(), 1, "round {round}");
        let t = std::time::Instant::now();
        a.close().await;
        // The server answers the close handshake (its connection ends) at once: it does not
        // keep the socket, or a writer task, waiting for anything.
        assert!(t.elapsed() < Duration::from_secs(2), "round {round}: close took {:?}", t.elapsed());
        for _ in 0..100 {
            if connections(&store, "alice").await.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(connections(&store, "alice").await.is_empty(), "round {round}: $disconnect ran");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_restart_on_the_same_data_dir_keeps_history_and_idempotency() {
    let opts = options(Backend::Embedded);
    let server = spawn_with(opts.clone(), Default::default()).await;
    let mut alice = server.connect("alice", "phone").await;
    let first = alice.send_to("bob", "keep-1", "survives").await;
    alice.send_to("bob", "keep-2", "me too").await;
    server.stop().await;
    let server = spawn_with(opts, Default::default()).await;
    let mut bob = server.connect("bob", "phone").await;
    let all = bob.sync_all(0).await;
    assert_eq!(
        all.iter().map(|m| m["body"].as_str().unwrap_or_default()).collect::<Vec<_>>(),
        vec!["survives", "me too"]
    );
    let mut alice = server.connect("alice", "phone").await;
    let again = alice.send_to("bob", "keep-1", "survives").await;
    assert_eq!(again["msgId"], first["msgId"], "the resend is still recognised");
    let next = alice.send_to("bob", "keep-3", "after restart").await;
    assert_eq!(next["seq"], 3);
}

#[tokio::test]
async fn an_idle_connection_is_closed_like_api_gateway_does() {
    let limits = chat_devserver::Limits { idle: Duration::from_millis(300), ..Default::default() };
    let server = spawn_with(options(Backend::Embedded), limits).await;
    let mut alice = server.connect("alice", "phone").await;
    assert_eq!(alice.close_code().await, Some(1001));
}

#[tokio::test]
async fn a_plain_get_serves_the_web_client_and_unknown_paths_are_404() {
    let server = spawn(Backend::Embedded).await;
    let (status, body) = server.http_get("/").await.expect("get");
    assert_eq!(status, 200);
    assert!(body.contains("<title>serverless-chat</title>"));
    let (status, js) = server.http_get("/app.js").await.expect("get");
    assert_eq!(status, 200);
    assert!(js.contains("/dev/token"));
    assert_eq!(server.http_get("/app.css").await.map(|r| r.0), Some(200));
    assert_eq!(server.http_get("/nope/deeper").await.map(|r| r.0), Some(404));
    assert_eq!(server.http_get("/dev/token").await.map(|r| r.0), Some(400));
    assert_eq!(server.http_get("/dev/token?user=a%20b").await.map(|r| r.0), Some(400));
    assert_eq!(server.http_get("/dev/token?user=system").await.map(|r| r.0), Some(400));
    assert_eq!(server.http_get("/dev/token?user=alice&ttl=0").await.map(|r| r.0), Some(400));
}

#[tokio::test]
async fn a_frame_posted_the_moment_a_client_connects_is_delivered() {
    // Posts must work as soon as the handshake has succeeded, as in API Gateway; a gap
    // between the 101 and the registration would turn them into 410s and delete the record.
    let server = spawn(Backend::Embedded).await;
    let mut alice = server.connect("alice", "phone").await;
    for i in 0..20 {
        let mut bob = server.connect("bob", &format!("d{i}")).await;
        alice.send(json!({"action":"typing","to":"bob"})).await;
        assert_eq!(bob.recv().await["type"], "typing", "round {i}");
        bob.close().await;
    }
}

#[tokio::test]
async fn sends_over_the_per_user_rate_limit_are_refused_and_not_stored() {
    let mut opts = options(Backend::Embedded);
    opts.limits.send = Some(chat_core::ratelimit::RateLimit { rate: 0.5, burst: 3.0 });
    let server = spawn_with(opts, Default::default()).await;
    let mut alice = server.connect("alice", "phone").await;
    for i in 0..3 {
        assert_eq!(alice.send_to("bob", &format!("ok{i}"), "fine").await["type"], "ack");
    }
    let refused = alice.send_to("bob", "too-many", "one more").await;
    assert_eq!((refused["type"].as_str(), refused["code"].as_str()), (Some("error"), Some("rate_limited")));
    assert_eq!(refused["clientMsgId"], "too-many");
    assert!(refused["retryAfterMs"].as_u64().is_some_and(|ms| ms > 0 && ms <= 2_000), "{refused}");
    let mut other_device = server.connect("alice", "laptop").await;
    let again = other_device.send_to("bob", "other-device", "hi").await;
    assert_eq!(again["code"], "rate_limited", "the bucket is the user's, not the connection's");
    let mut carol = server.connect("carol", "phone").await;
    assert_eq!(carol.send_to("bob", "carol", "hi").await["type"], "ack", "each user has its own bucket");
    let mut bob = server.connect("bob", "phone").await;
    assert_eq!(bob.sync_all(0).await.len(), 4, "the refused sends stored nothing");
}
