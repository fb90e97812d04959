//! An account deletion interrupted anywhere and resumed ends in the same state as one that
//! ran through: for every store call the deletion makes (in-memory store) and for a spread
//! of them (DynamoDB on moto), the call fails, the run stops there, and a second run from
//! the stored job finishes it. What is left that names the user, and what the others'
//! inboxes show, is then compared with an uninterrupted run of the same scenario.

use std::collections::BTreeMap;
use std::sync::Arc;

use chat_core::ids::UserId;
use chat_core::protocol::Platform;
use chat_core::push::{Notifier, NotifyError, PushEndpoint, PushRequest};
use chat_core::store::{ErasureStore as _, Store};
use chat_faults::{Fault, Faults, FaultyStore};
use chat_lambda::testing::{RecordingPoster, connection, route_event};
use chat_send::Deps;

/// A notifier that deletes nothing anywhere (the test counts what the store holds).
struct NoSns;

impl Notifier for NoSns {
    async fn create_endpoint(&self, _platform: Platform, token: &str) -> Result<String, NotifyError> {
        Ok(format!("arn:test:{token}"))
    }
    async fn delete_endpoint(&self, _arn: &str) -> Result<(), NotifyError> {
        Ok(())
    }
    async fn publish(&self, _e: &PushEndpoint, _r: &PushRequest) -> Result<(), NotifyError> {
        Ok(())
    }
}

const ALICE: &str = "YWxpY2U=";

async fn act<S: Store>(deps: &Deps<S, RecordingPoster>, user: &str, conn: &str, body: serde_json::Value) {
    chat_send::handle(deps, route_event(user, conn, &body.to_string())).await.expect("handled");
}

/// alice: 1:1 messages both ways, a group she created with bob and carol, blocks both
/// ways, a report, a device; then her deletion is requested (with `erase`).
async fn scenario<S: Store>(deps: &Deps<S, RecordingPoster>) -> chat_core::store::DeletionJob {
    use serde_json::json;
    for (u, c) in [("alice", ALICE), ("bob", "Ym9i"), ("carol", "Y2Fyb2w="), ("dave", "ZGF2ZQ==")] {
        deps.store.put_connection(&connection(u, c)).await.expect("put");
    }
    act(deps, "alice", ALICE, json!({"action":"group.create","name":"g","members":["bob","carol"]})).await;
    act(deps, "alice", ALICE, json!({"action":"send","to":"bob","clientMsgId":"a1","body":"one"})).await;
    act(deps, "bob", "Ym9i", json!({"action":"send","to":"alice","clientMsgId":"b1","body":"two"})).await;
    let gid = deps.store.groups_of(&user("alice")).await.expect("groups")[0].clone();
    act(deps, "alice", ALICE, json!({"action":"send","group":gid,"clientMsgId":"a2","body":"three"})).await;
    act(deps, "alice", ALICE, json!({"action":"block","user":"dave"})).await;
    act(deps, "dave", "ZGF2ZQ==", json!({"action":"block","user":"alice"})).await;
    let from_bob = deps.store.sync(&user("alice"), 0, 100).await.expect("sync");
    let msg = from_bob.entries.iter().find(|e| e.from == "bob").expect("bob's message").msg_id.clone();
    act(deps, "alice", ALICE, json!({"action":"report","msgId":msg,"reason":"spam"})).await;
    let device = PushEndpoint {
        user: user("alice"),
        token: "tok".into(),
        platform: Platform::Fcm,
        endpoint_arn: "arn:test:tok".into(),
    };
    deps.store.put_endpoint(&device).await.expect("device");
    chat_send::account::start_deletion(deps, &user("alice"), true).await.expect("started")
}

fn user(u: &str) -> UserId {
    UserId::parse(u).expect("valid")
}

/// What is left: items naming alice by store table (ids masked), and bob's and carol's
/// inboxes as (from, kind, deleted, body).
async fn outcome<S: Store>(store: &S) -> (BTreeMap<String, usize>, Vec<Vec<String>>) {
    let mut tables = BTreeMap::new();
    for line in store.stored_mentions("alice").await.expect("stored") {
        // The table, without a DynamoDB run's own prefix.
        let table = line.split(':').next().unwrap_or("").rsplit('-').next().unwrap_or("");
        *tables.entry(table.to_owned()).or_default() += 1;
    }
    let mut inboxes = Vec::new();
    for u in ["bob", "carol"] {
        let page = store.sync(&user(u), 0, 1000).await.expect("sync");
        inboxes
            .push(page.entries.iter().map(|e| format!("{} {:?} {} {:?}", e.from, e.kind, e.deleted, e.body)).collect());
    }
    (tables, inboxes)
}

async fn run_with_fault<S: Store + Clone>(
    inner: S,
    fault_at: Option<usize>,
) -> (usize, (BTreeMap<String, usize>, Vec<Vec<String>>)) {
    let faults = Arc::new(Faults::new());
    let store = FaultyStore::new(inner, faults.clone());
    let deps = Deps::basic(store, RecordingPoster::default());
    let job = scenario(&deps).await;
    let start = faults.calls();
    if let Some(k) = fault_at {
        faults.inject(start + k, Fault::Fail);
    }
    let first = chat_send::account::run_deletion(&deps, &NoSns, job).await;
    let resumed = match first {
        Ok(job) => job,
        Err(_) => {
            assert!(fault_at.is_some(), "only a fault stops a run");
            let job = deps.store.deletion(&user("alice")).await.expect("job").expect("stored");
            assert!(!job.done());
            chat_send::account::run_deletion(&deps, &NoSns, job).await.expect("the resumed run finishes")
        }
    };
    assert!(resumed.done());
    (faults.calls() - start, outcome(deps.store.inner()).await)
}

/// Runs `test` on a runtime whose threads have room for a debug build's deep futures (the
/// scenario's group sends through two store wrappers).
fn with_big_stacks(test: impl std::future::Future<Output = ()> + Send + 'static) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(16 << 20)
        .enable_all()
        .build()
        .expect("runtime");
    // Spawned: the test runs on a worker thread, not the caller's.
    rt.block_on(async move { tokio::spawn(test).await }).expect("the test passed");
}

#[test]
fn a_deletion_stopped_at_any_store_call_and_resumed_ends_as_one_that_ran_through() {
    with_big_stacks(stopped_anywhere_on_memory());
}

#[test]
fn on_dynamodb_a_deletion_stopped_midway_and_resumed_ends_the_same() {
    with_big_stacks(stopped_midway_on_dynamodb());
}

async fn stopped_anywhere_on_memory() {
    let (calls, expected) = run_with_fault(chat_core::store::memory::MemoryStore::new(), None).await;
    assert!(calls > 20, "the deletion makes {calls} store calls");
    assert!(
        expected.0.keys().all(|t| ["inboxes", "summaries", "idempotency", "groups", "bans"].contains(&t.as_str())),
        "{expected:?}"
    );
    for k in 0..calls {
        let (_, got) = run_with_fault(chat_core::store::memory::MemoryStore::new(), Some(k)).await;
        assert_eq!(got, expected, "a fault at the deletion's store call {k}");
    }
}

async fn stopped_midway_on_dynamodb() {
    assert!(std::env::var("AWS_ENDPOINT_URL").is_ok(), "AWS_ENDPOINT_URL must point at a DynamoDB API (scripts/test)");
    let fresh = || async {
        let sdk = chat_lambda::sdk_config(chat_lambda::Budget::Data).await;
        let tables = chat_core::schema::TableNames::with_prefix(&format!(
            "del{}-",
            ulid::Ulid::new().to_string().to_lowercase()
        ));
        let store = chat_dynamo::DynamoStore::connect(&sdk, tables.clone());
        chat_dynamo::tables::ensure_tables(&store.client(), &tables).await.expect("tables");
        store
    };
    let (calls, expected) = run_with_fault(fresh().await, None).await;
    for k in [1, calls / 3, calls / 2, calls - 2] {
        let (_, got) = run_with_fault(fresh().await, Some(k)).await;
        assert_eq!(got, expected, "a fault at the deletion's store call {k} of {calls}");
    }
}
