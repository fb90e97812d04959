//! The send path under injected faults (`chat-faults`): for every call the scenario makes to
//! the store, the poster and the push queue, and for every kind of fault (fail, fail after
//! doing the work, throttling, 410, delay, timeout), the scenario is run again with that one
//! call faulted, retrying a send with the same `clientMsgId` as a client does when it gets
//! an `error` frame or no ack. After each run:
//!
//! - every send was acked (at most after a retry) and is in every participant's inbox
//!   exactly once, and `sync` returns it;
//! - every inbox's seqs are 1, 2, 3, ... with no gap;
//! - a fault on a delivery post or a push hand-off never turns the send into an error and
//!   never delays its ack.
//!
//! The whole sweep runs on the in-memory store (in paused Tokio time, so delays cost
//! nothing) and the store faults again on DynamoDB (moto in CI).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chat_core::BoxError;
use chat_core::clock::SystemClock;
use chat_core::group::Group;
use chat_core::ids::{GroupId, UserId};
use chat_core::push::{PushQueue, PushRequest};
use chat_core::ratelimit::Limits;
use chat_core::store::Store;
use chat_faults::{Fault, Faults, FaultyPoster, FaultyPush, FaultyStore};
use chat_lambda::testing::{Post, RecordingPoster, connection, route_event};
use chat_send::{Deps, handle};
use serde_json::{Value, json};
use tokio::time::Instant;

/// Every push request handed off.
#[derive(Debug, Clone, Default)]
struct Pushes(Arc<Mutex<Vec<PushRequest>>>);

impl PushQueue for Pushes {
    async fn enqueue(&self, req: &PushRequest) -> Result<(), BoxError> {
        self.0.lock().expect("pushes").push(req.clone());
        Ok(())
    }
}

/// One fault plan per layer: call numbers count separately in each.
#[derive(Debug, Default, Clone)]
struct Plan {
    store: Arc<Faults>,
    poster: Arc<Faults>,
    push: Arc<Faults>,
}

/// Which layer a fault is injected into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layer {
    Store,
    Poster,
    Push,
}

impl Plan {
    fn one(layer: Layer, call: usize, fault: Fault) -> Self {
        let plan = Self::default();
        match layer {
            Layer::Store => plan.store.inject(call, fault),
            Layer::Poster => plan.poster.inject(call, fault),
            Layer::Push => plan.push.inject(call, fault),
        }
        plan
    }
}

/// The people in one run; `tag` keeps runs apart on a shared DynamoDB table.
struct Cast {
    alice: UserId,
    bob: UserId,
    carol: UserId,
    dave: UserId,
    group: GroupId,
    tag: String,
}

impl Cast {
    fn new(tag: &str) -> Self {
        let user = |name: &str| UserId::parse(&format!("{name}{tag}")).expect("valid user id");
        Self {
            alice: user("alice"),
            bob: user("bob"),
            carol: user("carol"),
            dave: user("dave"),
            group: GroupId::parse(&format!("team{tag}")).expect("valid group id"),
            tag: tag.to_owned(),
        }
    }

    fn conn(&self, name: &str) -> String {
        format!("{name}{}=", self.tag)
    }

    /// alice on two devices, bob and dave on one, carol offline; all four in one group.
    async fn set_up(&self, store: &impl Store) {
        for (user, conn) in [(&self.alice, "a1"), (&self.alice, "a2"), (&self.bob, "b1"), (&self.dave, "d1")]
            .map(|(u, c)| (u, self.conn(c)))
        {
            store.put_connection(&connection(user.as_str(), &conn)).await.expect("put connection");
        }
        let group = Group::create(
            self.group.clone(),
            "team".into(),
            self.alice.clone(),
            &[self.bob.clone(), self.carol.clone(), self.dave.clone()],
        )
        .expect("group");
        store.create_group(&group).await.expect("create group");
    }

    /// The sends: (sender, sender's connection, target field, target, clientMsgId).
    fn sends(&self) -> Vec<(UserId, String, &'static str, String, &'static str)> {
        vec![
            (self.alice.clone(), self.conn("a1"), "to", self.bob.to_string(), "m1"),
            (self.bob.clone(), self.conn("b1"), "to", self.alice.to_string(), "m2"),
            (self.alice.clone(), self.conn("a1"), "group", self.group.to_string(), "m3"),
            (self.dave.clone(), self.conn("d1"), "to", self.carol.to_string(), "m4"),
        ]
    }

    fn participants(&self, client_msg_id: &str) -> Vec<&UserId> {
        match client_msg_id {
            "m1" | "m2" => vec![&self.alice, &self.bob],
            "m3" => vec![&self.alice, &self.bob, &self.carol, &self.dave],
            _ => vec![&self.dave, &self.carol],
        }
    }
}

/// What happened to one send.
#[derive(Debug)]
struct Sent {
    client_msg_id: &'static str,
    msg_id: String,
    seq: u64,
    attempts: usize,
    /// Tokio time from the first attempt's start to its ack, if the first attempt was acked.
    first_ack_after: Option<Duration>,
}

/// Runs the scenario over `inner` with `plan`; returns the sends and all posts.
async fn run<S: Store>(inner: S, cast: &Cast, plan: &Plan) -> (Vec<Sent>, Vec<Post>, FaultyStore<S>) {
    cast.set_up(&inner).await;
    let posts = RecordingPoster::default();
    let deps = Deps {
        moderation: Default::default(),
        hook: None,
        store: FaultyStore::new(inner, plan.store.clone()),
        poster: FaultyPoster::new(posts.clone(), plan.poster.clone()),
        clock: SystemClock,
        push: FaultyPush::new(Pushes::default(), plan.push.clone()),
        limits: Limits::none(),
        media: None,
    };
    let mut sent = Vec::new();
    for (user, conn, field, target, cid) in cast.sends() {
        let body = json!({"action": "send", field: target, "clientMsgId": cid, "body": format!("{cid} body")});
        let mut attempts = 0;
        let mut first_ack_after = None;
        let acked = loop {
            attempts += 1;
            assert!(attempts <= 3, "{cid}: not acked after {} attempts", attempts - 1);
            let seen = posts.posts().len();
            let start = Instant::now();
            handle(&deps, route_event(user.as_str(), &conn, &body.to_string())).await.expect("handled");
            let replies: Vec<(Instant, Value)> = posts.posts()[seen..]
                .iter()
                .filter(|p| p.connection == conn)
                .map(|p| (p.at, p.frame.clone()))
                .collect();
            if let Some((at, ack)) = replies.iter().find(|(_, f)| f["type"] == "ack") {
                assert_eq!(ack["clientMsgId"], cid);
                if attempts == 1 {
                    first_ack_after = Some(at.duration_since(start));
                }
                break ack.clone();
            }
            // No ack: an `internal` error frame, or the ack post itself failed. Retry.
            for (_, f) in &replies {
                assert_eq!(f["type"], "error", "{cid}: unexpected reply {f}");
                assert_eq!(f["code"], "internal", "{cid}: {f}");
                assert_eq!(f["clientMsgId"], cid, "{cid}: {f}");
            }
        };
        sent.push(Sent {
            client_msg_id: cid,
            msg_id: acked["msgId"].as_str().expect("msgId").to_owned(),
            seq: acked["seq"].as_u64().expect("seq"),
            attempts,
            first_ack_after,
        });
    }
    (sent, posts.posts(), deps.store)
}

/// The properties every run must keep, whatever was injected.
async fn check<S: Store>(store: &S, cast: &Cast, sent: &[Sent], what: &str) {
    let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in sent {
        for p in cast.participants(s.client_msg_id) {
            expected.entry(p.to_string()).or_default().insert(s.msg_id.clone());
        }
    }
    for user in [&cast.alice, &cast.bob, &cast.carol, &cast.dave] {
        let page = store.sync(user, 0, 100).await.expect("sync");
        let seqs: Vec<u64> = page.entries.iter().map(|e| e.seq).collect();
        let want: Vec<u64> = (1..=seqs.len() as u64).collect();
        assert_eq!(seqs, want, "{what}: {user}'s inbox has a gap");
        // System notices (the group's creation) aside, each acked message exactly once.
        let got: Vec<String> = page
            .entries
            .iter()
            .filter(|e| e.client_msg_id.is_some() && e.from != "system")
            .map(|e| e.msg_id.to_string())
            .collect();
        let unique: BTreeSet<String> = got.iter().cloned().collect();
        assert_eq!(got.len(), unique.len(), "{what}: {user} has a message twice: {got:?}");
        assert_eq!(unique, expected.remove(user.as_str()).unwrap_or_default(), "{what}: {user}'s inbox");
    }
    for s in sent {
        let sender = cast.participants(s.client_msg_id)[0];
        let own = store.sync(sender, s.seq - 1, 1).await.expect("sync");
        assert_eq!(own.entries.first().map(|e| e.msg_id.to_string()), Some(s.msg_id.clone()), "{what}: ack seq");
    }
}

/// Calls made per layer by a run with no faults, and which poster calls were acks.
async fn census<S: Store>(store: S, cast: &Cast) -> (usize, usize, usize, BTreeSet<usize>) {
    let plan = Plan::default();
    let (sent, posts, store) = run(store, cast, &plan).await;
    check(store.inner(), cast, &sent, "no faults").await;
    assert!(sent.iter().all(|s| s.attempts == 1));
    let acks = posts.iter().enumerate().filter(|(_, p)| p.frame["type"] == "ack").map(|(i, _)| i).collect();
    (plan.store.calls(), plan.poster.calls(), plan.push.calls(), acks)
}

#[tokio::test(start_paused = true)]
async fn every_fault_at_every_call_keeps_acked_messages_gap_free_and_exactly_once() {
    use chat_core::store::memory::MemoryStore;
    let slow = Duration::from_secs(30);
    let cast = Cast::new("");
    let (store_calls, poster_calls, push_calls, ack_posts) = census(MemoryStore::new(), &cast).await;
    assert!(store_calls >= 10 && poster_calls >= 8 && push_calls >= 1, "{store_calls} {poster_calls} {push_calls}");

    let mut runs = 0;
    for (layer, calls) in [(Layer::Store, store_calls), (Layer::Poster, poster_calls), (Layer::Push, push_calls)] {
        for call in 0..calls {
            for fault in Fault::every_kind(slow) {
                let what = format!("{fault:?} on {layer:?} call {call}");
                let plan = Plan::one(layer, call, fault);
                let (sent, _, store) = run(MemoryStore::new(), &cast, &plan).await;
                check(store.inner(), &cast, &sent, &what).await;
                if layer != Layer::Store && !(layer == Layer::Poster && ack_posts.contains(&call)) {
                    // A fault on a delivery post or a push: the first attempt is acked at once
                    // (Tokio time is paused, so "at once" is exact: no delay came before it).
                    for s in &sent {
                        assert_eq!(s.attempts, 1, "{what}: {} needed a retry", s.client_msg_id);
                        assert!(
                            s.first_ack_after.is_some_and(|d| d < Duration::from_millis(1)),
                            "{what}: the ack of {} waited for the fault ({:?})",
                            s.client_msg_id,
                            s.first_ack_after
                        );
                    }
                }
                runs += 1;
            }
        }
    }
    println!("{runs} faulted runs ({store_calls} store, {poster_calls} poster, {push_calls} push calls x 6 faults)");
}

#[tokio::test]
async fn store_faults_against_dynamodb_keep_the_same_promises() {
    assert!(std::env::var("AWS_ENDPOINT_URL").is_ok(), "AWS_ENDPOINT_URL must point at a DynamoDB API (scripts/test)");
    let sdk = chat_lambda::sdk_config(chat_lambda::Budget::Data).await;
    let tables =
        chat_core::schema::TableNames::with_prefix(&format!("faults{}-", ulid::Ulid::new().to_string().to_lowercase()));
    let store = chat_dynamo::DynamoStore::connect(&sdk, tables.clone());
    chat_dynamo::tables::ensure_tables(&store.client(), &tables).await.expect("tables");

    let (store_calls, ..) = census(store.clone(), &Cast::new("x")).await;
    let mut runs = 0;
    for call in 0..store_calls {
        for fault in [Fault::Fail, Fault::FailAfter, Fault::Throttle, Fault::Timeout(Duration::from_millis(20))] {
            let what = format!("{fault:?} on DynamoDB store call {call}");
            let cast = Cast::new(&format!("c{call}{}", runs % 4));
            let (sent, _, faulty) = run(store.clone(), &cast, &Plan::one(Layer::Store, call, fault)).await;
            check(faulty.inner(), &cast, &sent, &what).await;
            runs += 1;
        }
    }
    println!("{runs} faulted runs against DynamoDB ({store_calls} store calls x 4 faults)");
}
