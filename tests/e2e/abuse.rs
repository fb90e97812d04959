//! Hostile clients, end to end on both stores: limits hold per user across all of a
//! user's connections (the state is in the store, as in AWS across Lambda instances), not
//! per socket.

use chat_core::ratelimit::{Budget, Limits, RateLimit};
use chat_e2e::{Backend, Client, TestServer, options, spawn_with};
use futures_util::future::join_all;
use serde_json::{Value, json};

/// A server with small limits: sends in bursts of 3 (refilled far slower than a test
/// runs), 10 group actions and 4 typing frames a minute, 4 live connections.
pub(crate) async fn limited(backend: Backend) -> TestServer {
    let mut o = options(backend);
    o.limits = Limits {
        send: Some(RateLimit { rate: 0.001, burst: 3.0 }),
        group: Some(Budget::per_minute(10)),
        typing: Some(Budget::per_minute(4)),
        connections: Some(4),
        ..Limits::default()
    };
    spawn_with(o, Default::default()).await
}

/// Sends every frame at once (each with its own id), then collects the direct replies.
async fn fire(client: &mut Client, frames: Vec<Value>) -> Vec<Value> {
    let ids: Vec<String> = (0..frames.len()).map(|i| format!("f{i}")).collect();
    for (mut f, id) in frames.into_iter().zip(&ids) {
        f["id"] = json!(id);
        client.send(f).await;
    }
    let mut replies = Vec::new();
    while replies.len() < ids.len() {
        // Up to LONG_WAIT per frame: some of these fan out to ~100 inboxes, which moto (one
        // request at a time) takes long to store while the other suites load it too.
        let f = client.recv_within(chat_e2e::LONG_WAIT).await;
        if f["id"].as_str().is_some_and(|id| ids.iter().any(|i| i == id)) {
            replies.push(f);
        }
    }
    replies
}

fn codes(replies: &[Value]) -> (usize, usize) {
    let ok = replies.iter().filter(|r| r["type"] != "error").count();
    let limited = replies
        .iter()
        .filter(|r| r["code"] == "rate_limited" && r["retryAfterMs"].as_u64().is_some_and(|ms| ms > 0))
        .count();
    (ok, limited)
}

async fn the_send_limit_is_per_user_across_connections(server: TestServer) {
    let mut devices = Vec::new();
    for d in ["a", "b", "c", "d"] {
        devices.push(server.connect("alice", d).await);
    }
    let bursts = devices.iter_mut().enumerate().map(|(n, c)| {
        let frames = (0..10)
            .map(|i| json!({"action":"send","to":"bob","clientMsgId":format!("d{n}-{i}"),"body":"spam"}))
            .collect();
        fire(c, frames)
    });
    let replies: Vec<Value> = join_all(bursts).await.into_iter().flatten().collect();
    assert_eq!(codes(&replies), (3, 37), "one bucket for all four connections: {replies:?}");
    let mut bob = server.connect("bob", "phone").await;
    assert_eq!(bob.sync_all(0).await.len(), 3, "refused sends stored nothing");
    let mut carol = server.connect("carol", "phone").await;
    assert_eq!(carol.send_to("bob", "c1", "hi").await["type"], "ack", "another user has its own bucket");
}

async fn group_actions_are_limited_per_user_and_refusals_notify_nobody(server: TestServer) {
    let mut a1 = server.connect("alice", "a").await;
    let mut a2 = server.connect("alice", "b").await;
    let create = |i: usize| json!({"action":"group.create","name":format!("g{i}"),"members":["bob"]});
    let (r1, r2) =
        tokio::join!(fire(&mut a1, (0..6).map(create).collect()), fire(&mut a2, (6..12).map(create).collect()));
    let replies: Vec<Value> = r1.into_iter().chain(r2).collect();
    assert_eq!(codes(&replies), (10, 2), "{replies:?}");
    let mut bob = server.connect("bob", "phone").await;
    assert_eq!(bob.sync_all(0).await.len(), 10, "only the allowed groups wrote a notice to bob");
}

async fn typing_past_its_budget_is_dropped_silently(server: TestServer) {
    let mut alice = server.connect("alice", "a").await;
    let mut bob = server.connect("bob", "b").await;
    for _ in 0..6 {
        alice.send(json!({"action":"typing","to":"bob"})).await;
    }
    alice.assert_quiet().await;
    // Frames of one connection are handled concurrently: give the last ones time to land.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    bob.send(json!({"action":"ping","id":"end"})).await;
    let (_, before) = bob.until("pong").await;
    let typing = before.iter().filter(|f| f["type"] == "typing").count();
    assert_eq!(typing, 4, "the budget's worth reaches bob, the rest is dropped without an error");
}

async fn concurrent_adds_never_push_a_group_past_100_members(server: TestServer) {
    let mut owner = server.connect("owner", "a").await;
    let group = owner.request(json!({"action":"group.create","name":"big","members":["first"]})).await;
    let gid = group["groupId"].clone();
    let adds = (0..5)
        .map(|b| {
            let members: Vec<String> = (0..30).map(|i| format!("u{b}-{i:02}")).collect();
            json!({"action":"group.add","group":gid,"members":members})
        })
        .collect();
    let replies = fire(&mut owner, adds).await;
    let added = replies.iter().filter(|r| r["type"] == "group").count();
    let refused = replies.iter().filter(|r| r["code"] == "too_large").count();
    assert_eq!((added, refused), (3, 2), "{replies:?}");
    let largest = replies.iter().filter_map(|r| r["members"].as_array().map(Vec::len)).max();
    assert_eq!(largest, Some(92), "each reply is the group as stored, not a shared snapshot");
    let conversation = format!("group:{}", gid.as_str().unwrap_or_default());
    let mut first = server.connect("first", "a").await;
    let history = first.request(json!({"action":"history","conversation":conversation})).await;
    assert_eq!(history["messages"].as_array().map(Vec::len), Some(4), "the creation and three adds: {history}");
}

async fn a_user_has_at_most_its_cap_of_live_connections_even_when_handshakes_race(server: TestServer) {
    use tokio_tungstenite::tungstenite::Error;
    let url = server.url(&format!("token={}", server.token("alice").await));
    let attempts = join_all((0..6).map(|_| Client::connect(&url))).await;
    let refused = attempts.iter().filter(|a| matches!(a, Err(Error::Http(r)) if r.status() == 429)).count();
    let mut open: Vec<Client> = attempts.into_iter().filter_map(Result::ok).collect();
    assert_eq!((open.len(), refused), (4, 2), "exactly the cap, never more");
    assert_eq!(chat_e2e::connect_status(&url).await, Some(429), "at the cap, the next handshake is refused");
    if let Some(one) = open.pop() {
        one.close().await;
    }
    let mut freed = None;
    for _ in 0..50 {
        freed = chat_e2e::connect_status(&url).await;
        if freed.is_none() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(freed, None, "a closed connection frees its slot");
    let mut bob = server.connect("bob", "phone").await;
    assert_eq!(bob.request(json!({"action":"ping"})).await["type"], "pong", "another user is not affected");
}

/// One member floods a group of 10 with 200 concurrent edits over 4 connections while 7
/// others send 20 messages: every send is acked, because an edit whose sender's bucket is
/// empty is refused with one read, before it reads who holds the message or waits for the
/// inboxes' locks (on DynamoDB: before any transaction; functions/send/tests/aws_requests.rs
/// counts that one read). The sends wait up to LONG_WAIT: moto answers the flood's 200
/// reads in turn, which on a loaded 2-core runner can take longer than one request's WAIT
/// (how fast is not what this checks; what the flood costs is counted there).
async fn a_flood_of_edits_does_not_hold_up_the_others_sends(server: TestServer) {
    let names: Vec<String> = (1..10).map(|i| format!("f{i}")).collect();
    let mut flooder = server.connect("f0", "a").await;
    let g = flooder.request(json!({"action":"group.create","name":"flood","members":names})).await;
    let gid = g["groupId"].as_str().expect("groupId").to_owned();
    let target = flooder.request(json!({"action":"send","group":gid,"clientMsgId":"t","body":"typo"})).await;
    assert_eq!(target["type"], "ack", "{target}");
    let mut sockets = vec![flooder];
    for device in ["b", "c", "d"] {
        sockets.push(server.connect("f0", device).await);
    }
    let mut senders = Vec::new();
    for name in names.iter().take(7) {
        senders.push(server.connect(name, "phone").await);
    }
    for (k, socket) in sockets.iter_mut().enumerate() {
        for i in 0..50 {
            let id = format!("e{k}-{i}");
            socket.send(json!({"action":"edit","msgId":target["msgId"],"clientMsgId":id,"body":id,"id":id})).await;
        }
    }
    let sends = senders.iter_mut().enumerate().map(|(n, c)| {
        let gid = gid.clone();
        async move {
            let count = if n < 6 { 3 } else { 2 };
            let mut acks = Vec::new();
            for i in 0..count {
                let frame = json!({"action":"send","group":gid,"clientMsgId":format!("s{n}-{i}"),"body":"meanwhile"});
                acks.push(c.request_within(frame, chat_e2e::LONG_WAIT).await);
            }
            acks
        }
    });
    let acks: Vec<Value> = join_all(sends).await.into_iter().flatten().collect();
    assert_eq!(acks.len(), 20);
    assert!(acks.iter().all(|a| a["type"] == "ack"), "every send acked: {acks:?}");
    // The flood's own answers: its burst of edits acked, the rest refused for the rate.
    let mut answers = Vec::new();
    for (k, socket) in sockets.iter_mut().enumerate() {
        let mine = |f: &Value| f["id"].as_str().is_some_and(|id| id.starts_with(&format!("e{k}-")));
        let mut got = 0;
        while got < 50 {
            let f = socket.recv_within(chat_e2e::LONG_WAIT).await;
            if mine(&f) {
                got += 1;
                answers.push(f);
            }
        }
    }
    let acked = answers.iter().filter(|a| a["type"] == "ack").count();
    let limited = answers.iter().filter(|a| a["code"] == "rate_limited").count();
    assert_eq!((acked, limited), (2, 198), "what the burst had left after the first send, then refusals");
}

chat_e2e::suite!(crate::abuse::limited;
    a_user_has_at_most_its_cap_of_live_connections_even_when_handshakes_race,
    concurrent_adds_never_push_a_group_past_100_members,
    the_send_limit_is_per_user_across_connections,
    group_actions_are_limited_per_user_and_refusals_notify_nobody,
    typing_past_its_budget_is_dropped_silently,
    a_flood_of_edits_does_not_hold_up_the_others_sends,
);
