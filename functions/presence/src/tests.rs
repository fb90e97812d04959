//! Debounce tests with an injected clock: time is set, never slept through.

use chat_core::clock::ManualClock;
use chat_core::ids::ConnectionId;
use chat_core::ratelimit::Limits;
use chat_core::store::memory::MemoryStore;
use chat_core::store::{ConnectionStore, GroupStore, InboxStore, PresenceStore, Subscription};
use chat_lambda::testing::{RecordingPoster, connection as conn, fixtures, user};

use super::*;

/// Deps whose clock already stands past every window, so `settle` never sleeps.
fn deps() -> Deps<MemoryStore, RecordingPoster, ManualClock> {
    Deps {
        store: MemoryStore::new(),
        poster: RecordingPoster::default(),
        clock: ManualClock::at(1_000_000),
        window_ms: 3_000,
        limits: Limits::none(),
    }
}

async fn watch(d: &Deps<MemoryStore, RecordingPoster, ManualClock>, watcher_conn: &str, who: &str) {
    let sub = Subscription {
        subscriber: user("watcher"),
        connection_id: ConnectionId::parse(watcher_conn).expect("valid"),
        expires_at: u64::MAX / 2,
    };
    d.store.subscribe(&[user(who)], &sub).await.expect("subscribe");
}

fn posted(d: &Deps<MemoryStore, RecordingPoster, ManualClock>) -> Vec<(String, serde_json::Value)> {
    d.poster.posts().into_iter().map(|p| (p.connection, p.frame)).collect()
}

#[tokio::test]
async fn coming_online_and_going_offline_are_announced_to_subscribers_only() {
    let d = deps();
    watch(&d, "w1=", "bob").await;
    d.store.put_connection(&conn("bob", "b1=")).await.expect("put");
    assert_eq!(settle(&d, &[(user("bob"), 990_000)]).await.expect("settle"), vec![user("bob")]);
    d.store.delete_connection(&user("bob"), &ConnectionId::parse("b1=").expect("valid")).await.expect("delete");
    settle(&d, &[(user("bob"), 995_000)]).await.expect("settle");
    let p = posted(&d);
    assert_eq!(p.len(), 2);
    assert!(p.iter().all(|(c, _)| c == "w1="), "only the subscriber is told");
    assert_eq!(p[0].1["users"][0], serde_json::json!({"user":"bob","online":true,"lastSeen":null}));
    assert_eq!(p[1].1["users"][0], serde_json::json!({"user":"bob","online":false,"lastSeen":995_000}));
}

#[tokio::test]
async fn a_disconnect_followed_by_a_reconnect_within_the_window_announces_nothing() {
    let d = deps();
    watch(&d, "w1=", "bob").await;
    d.store.put_connection(&conn("bob", "b1=")).await.expect("put");
    settle(&d, &[(user("bob"), 990_000)]).await.expect("settle");
    // bob's connection drops and a new one opens a second later; by the end of the window
    // he is online again, which is what was announced.
    d.store.delete_connection(&user("bob"), &ConnectionId::parse("b1=").expect("valid")).await.expect("delete");
    d.store.put_connection(&conn("bob", "b2=")).await.expect("put");
    let announced = settle(&d, &[(user("bob"), 995_000), (user("bob"), 996_000)]).await.expect("settle");
    assert!(announced.is_empty());
    assert_eq!(posted(&d).len(), 1, "only the first online");
}

#[tokio::test]
async fn changes_still_inside_the_window_wait_for_it() {
    // The clock says the window has not passed: settle waits (here on paused tokio time,
    // which jumps forward instead of sleeping) before it looks.
    tokio::time::pause();
    let d = Deps {
        store: MemoryStore::new(),
        poster: RecordingPoster::default(),
        clock: ManualClock::at(1_000),
        window_ms: 3_000,
        limits: Limits::none(),
    };
    d.store.put_connection(&conn("bob", "b1=")).await.expect("put");
    let started = tokio::time::Instant::now();
    settle(&d, &[(user("bob"), 1_000)]).await.expect("settle");
    let waited = started.elapsed();
    assert!(
        waited >= std::time::Duration::from_millis(3_000) && waited < std::time::Duration::from_millis(3_100),
        "{waited:?}"
    );
}

#[tokio::test]
async fn a_gone_subscriber_is_dropped() {
    let d = deps();
    d.poster.mark_gone("w1=");
    let sub = Subscription {
        subscriber: user("w"),
        connection_id: ConnectionId::parse("w1=").expect("valid"),
        expires_at: u64::MAX / 2,
    };
    d.store.subscribe(&[user("bob")], &sub).await.expect("subscribe");
    d.store.put_connection(&conn("bob", "b1=")).await.expect("put");
    settle(&d, &[(user("bob"), 1)]).await.expect("settle");
    assert!(d.store.subscribers(&user("bob"), 0).await.expect("read").is_empty());
}

#[test]
fn stream_records_name_the_user_and_time() {
    let event: DynamoDbEvent = chat_lambda::testing::event(fixtures::DYNAMODB_STREAM, |v| {
        v["Records"][0]["dynamodb"]["Keys"] = serde_json::json!({"userId":{"S":"bob"},"connectionId":{"S":"c1="}});
    });
    let changes = changes_from_stream(&event);
    assert_eq!(changes[0].0, user("bob"));
    assert!(changes[0].1 > 0);
}

async fn ask(
    d: &Deps<MemoryStore, RecordingPoster, ManualClock>,
    who: &str,
    conn: &str,
    users: &[&str],
) -> serde_json::Value {
    let body = serde_json::json!({"action": "presence", "id": "p", "users": users}).to_string();
    handle_route(d, chat_lambda::testing::route_event(who, conn, &body)).await.expect("handled");
    d.poster.frames_to(conn).last().cloned().expect("a reply")
}

#[tokio::test]
async fn strangers_look_offline_and_are_not_watched_while_contacts_show_the_truth() {
    let d = deps();
    for who in ["bob", "carol", "dave"] {
        d.store.set_presence(&user(who), None, PresenceState { online: true, last_seen: Some(5) }).await.expect("set");
    }
    // alice has written to bob; she shares a group with carol; dave is a stranger.
    d.store.append(&chat_core::store::conformance::dm("alice", "bob", "m1", 10)).await.expect("append");
    let group = chat_core::group::Group {
        id: chat_core::ids::GroupId::parse("g").expect("valid"),
        name: "g".into(),
        creator: user("carol"),
        members: vec![user("carol"), user("alice")],
    };
    d.store.create_group(&group).await.expect("create");
    let reply = ask(&d, "alice", "a1=", &["bob", "carol", "dave"]).await;
    let online: Vec<(String, bool, serde_json::Value)> = reply["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| {
            (u["user"].as_str().unwrap_or("").to_owned(), u["online"].as_bool().unwrap_or(true), u["lastSeen"].clone())
        })
        .collect();
    assert_eq!(
        online,
        vec![
            ("bob".into(), true, serde_json::json!(5)),
            ("carol".into(), true, serde_json::json!(5)),
            ("dave".into(), false, serde_json::Value::Null),
        ]
    );
    let mut watchers = Vec::new();
    for who in ["bob", "carol", "dave"] {
        watchers.push(d.store.subscribers(&user(who), 0).await.expect("read").len());
    }
    assert_eq!(watchers, vec![1, 1, 0], "only contacts are watched");
    // A stranger asking about alice learns nothing either.
    let reply = ask(&d, "dave", "d1=", &["alice"]).await;
    assert_eq!(reply["users"][0]["online"], false);
    assert_eq!(reply["users"][0]["lastSeen"], serde_json::Value::Null);
}
