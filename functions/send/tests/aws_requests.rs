//! Counts the AWS requests a 1:1 send makes, and the items its transaction writes to each
//! table, against a real DynamoDB API (moto in CI), by running the `send` handler on a
//! captured API Gateway event with a counting SDK interceptor and a recording poster. The
//! figures are in docs/data-model.md, and the cost table of docs/deploy.md comes from them.

use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use chat_core::clock::SystemClock;
use chat_core::ids::UserId;
use chat_core::ratelimit::Limits;
use chat_core::schema::TableNames;
use chat_core::store::ConnectionStore;
use chat_dynamo::DynamoStore;
use chat_lambda::testing::{self, RecordingPoster, connection, route_event};
use chat_send::Deps;

/// The send function's handler, its AWS requests labelled as that function's (the test
/// command checks each against the function's role in the synthesized stack).
macro_rules! handle {
    ($deps:expr, $event:expr) => {
        chat_lambda::aws_log::function("send", chat_send::handle($deps, $event))
    };
}
use lambda_runtime::LambdaEvent;

/// Everything that went out, in order: DynamoDB operations and posts.
#[derive(Debug, Default, Clone)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, s: String) {
        self.0.lock().expect("log").push(s);
    }
    fn entries(&self) -> Vec<String> {
        self.0.lock().expect("log").clone()
    }
}

impl Intercept for Log {
    fn name(&self) -> &'static str {
        "RequestLog"
    }

    fn read_before_transmit(
        &self,
        ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let target = ctx.request().headers().get("x-amz-target").unwrap_or("unknown");
        let op = target.rsplit('.').next().unwrap_or(target);
        self.push(format!("dynamodb:{op}"));
        if op == "TransactWriteItems" {
            let body: serde_json::Value =
                ctx.request().body().bytes().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or_default();
            self.push(format!("items:{}", items_by_table(&body)));
        }
        Ok(())
    }
}

/// `table=count` of a transaction's items, by table role (the name after the test's
/// prefix), sorted, and how many summaries move in the activity index: e.g.
/// `conversations=2,messages=2,state=1;activity=2`.
fn items_by_table(body: &serde_json::Value) -> String {
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    let mut activity = 0;
    for item in body["TransactItems"].as_array().into_iter().flatten() {
        let Some(action) = item.as_object().and_then(|o| o.values().next()) else { continue };
        let table = action["TableName"].as_str().unwrap_or("?");
        *counts.entry(table.rsplit('-').next().unwrap_or(table).to_owned()).or_default() += 1;
        // A summary whose `activity` (the index's sort key) moves: index writes. (An
        // `if_not_exists(#act, ...)` only fills in a missing one: no move, no index write.)
        if action["UpdateExpression"].as_str().is_some_and(|e| e.contains("#act = :seq")) {
            activity += 1;
        }
    }
    let items: Vec<String> = counts.iter().map(|(t, n)| format!("{t}={n}")).collect();
    format!("{};activity={activity}", items.join(","))
}

/// A recording poster that writes each post into `log`, between the DynamoDB requests.
fn poster(log: &Log) -> RecordingPoster {
    let log = log.clone();
    RecordingPoster::observed(move |p| {
        log.push(format!("post:{}:{}", p.frame["type"].as_str().unwrap_or("?"), p.connection))
    })
}

/// The send fixture's caller: alice on the captured event's connection.
const ALICE: &str = "TWegAcC4EowCHnA=";

/// Fresh tables, a store to set them up with, and a store on the same tables whose every
/// DynamoDB request is written to the returned log.
async fn stores() -> (DynamoStore, DynamoStore, Log) {
    assert!(std::env::var("AWS_ENDPOINT_URL").is_ok(), "AWS_ENDPOINT_URL must point at a DynamoDB API (scripts/test)");
    let sdk = chat_lambda::sdk_config(chat_lambda::Budget::Data).await;
    let tables = TableNames::with_prefix(&format!("req{}-", ulid::Ulid::new().to_string().to_lowercase()));
    let setup = DynamoStore::connect(&sdk, tables.clone());
    chat_dynamo::tables::ensure_tables(&setup.client(), &tables).await.expect("tables");
    let log = Log::default();
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk).interceptor(log.clone()).build();
    (setup, DynamoStore::connect(config, tables), log)
}

#[tokio::test]
async fn a_one_to_one_send_writes_five_items_in_one_transaction_with_its_rate_limit_and_acks_before_delivering() {
    let (setup, counted, log) = stores().await;
    // alice sends from the fixture's connection; she has a laptop too, bob has two devices.
    for c in [
        connection("alice", ALICE),
        connection("alice", "laptop="),
        connection("bob", "phone="),
        connection("bob", "tablet="),
    ] {
        setup.put_connection(&c).await.expect("put");
    }
    // With the default per-user limits: the send bucket rides on the sender's new entry,
    // which the append writes anyway, so it adds no request and no item.
    let deps = Deps { limits: Limits::default(), ..Deps::basic(counted, poster(&log)) };
    let body = r#"{"action":"send","to":"bob","clientMsgId":"c1","body":"hi"}"#;
    handle!(&deps, route_event("alice", ALICE, body)).await.expect("handled");

    let entries = log.entries();
    let ack_at = entries.iter().position(|e| e == "post:ack:TWegAcC4EowCHnA=").expect("an ack was posted");
    let mut before_ack: Vec<&str> = entries[..ack_at].iter().map(String::as_str).collect();
    before_ack.sort_unstable();
    // The idempotency record; each inbox's latest entry and each user's connections (4
    // Queries, all at once); one transaction: the record, and per participant its entry and
    // its conversation summary. No counter items.
    assert_eq!(
        before_ack,
        vec![
            "dynamodb:BatchGetItem",
            "dynamodb:Query",
            "dynamodb:Query",
            "dynamodb:Query",
            "dynamodb:Query",
            "dynamodb:TransactWriteItems",
            "items:conversations=2,messages=2,state=1;activity=2",
        ]
    );
    let mut after_ack: Vec<&str> = entries[ack_at + 1..].iter().map(String::as_str).collect();
    after_ack.sort_unstable();
    assert_eq!(after_ack, vec!["post:message:laptop=", "post:message:phone=", "post:message:tablet="]);
    println!("1:1 send: {} DynamoDB requests, {} posts", ack_at - 1, entries.len() - ack_at);
    // The reply in the same conversation: it already is both users' most recent one, so
    // neither summary moves in the index (no index writes for a back-and-forth).
    let before = log.entries().len();
    let reply = r#"{"action":"send","to":"bob","clientMsgId":"c2","body":"again"}"#;
    handle!(&deps, route_event("alice", ALICE, reply)).await.expect("handled");
    let again: Vec<String> = log.entries()[before..].iter().filter(|e| e.starts_with("items:")).cloned().collect();
    assert_eq!(again, vec!["items:conversations=2,messages=2,state=1;activity=0".to_owned()]);
}

#[tokio::test]
async fn a_send_to_a_group_of_ten_writes_twenty_one_items_in_one_transaction() {
    use chat_core::group::Group;
    use chat_core::ids::GroupId;
    use chat_core::store::GroupStore;

    let (setup, counted, log) = stores().await;
    let members: Vec<UserId> = std::iter::once("alice".to_owned())
        .chain((1..10).map(|i| format!("m{i}")))
        .map(|u| UserId::parse(&u).expect("valid"))
        .collect();
    let group = Group::create(GroupId::parse("ten").expect("valid"), "ten".into(), members[0].clone(), &members[1..])
        .expect("group");
    setup.create_group(&group).await.expect("create");
    setup.put_connection(&connection("alice", ALICE)).await.expect("put");
    for m in &members[1..] {
        setup.put_connection(&connection(m.as_str(), &format!("{m}="))).await.expect("put");
    }
    let deps = Deps::basic(counted, poster(&log));
    let body = r#"{"action":"send","group":"ten","clientMsgId":"g1","body":"hi all"}"#;
    handle!(&deps, route_event("alice", ALICE, body)).await.expect("handled");
    let entries = log.entries();
    let ack_at = entries.iter().position(|e| e == "post:ack:TWegAcC4EowCHnA=").expect("an ack was posted");
    let count = |name: &str| entries[..ack_at].iter().filter(|e| *e == name).count();
    assert_eq!(count("dynamodb:Query"), 21, "the group, then 10 latest entries and 10 members' connections");
    assert_eq!(count("dynamodb:BatchGetItem"), 1);
    assert_eq!(count("dynamodb:TransactWriteItems"), 1);
    assert_eq!(count("items:conversations=10,messages=10,state=1;activity=10"), 1);
    assert_eq!(ack_at, 24, "23 requests and the transaction's item count");
    assert_eq!(entries[ack_at + 1..].iter().filter(|e| e.starts_with("post:message:")).count(), 9);
    println!("group of 10 send: {} DynamoDB requests, {} posts", ack_at - 1, entries.len() - ack_at);
}

#[tokio::test]
async fn a_sync_page_is_one_request_and_connect_and_disconnect_keep_the_connection_count() {
    let (_, counted, log) = stores().await;
    let store = counted;

    // With the default cap on live connections: `$connect` reads the user's connection
    // counter and writes it with the record in one transaction (the very first time, the
    // counter is made by counting the records); `$disconnect` takes one off.
    let connect_deps =
        chat_connect::connection::Deps { store: store.clone(), clock: SystemClock, max_connections: Some(20) };
    let first_connect: &[&str] = &["dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:TransactWriteItems"];
    let disconnect: &[&str] = &["dynamodb:DeleteItem", "dynamodb:UpdateItem"];
    let connect: &[&str] = &["dynamodb:BatchGetItem", "dynamodb:TransactWriteItems"];
    for (route, expected) in [("$connect", first_connect), ("$disconnect", disconnect), ("$connect", connect)] {
        let e =
            testing::event(testing::fixtures::MESSAGE, |e| e["requestContext"]["routeKey"] = serde_json::json!(route));
        let before = log.entries().len();
        let connect = chat_connect::connection::handle(&connect_deps, LambdaEvent::new(e, Default::default()));
        chat_lambda::aws_log::function("connect", connect).await.expect("handled");
        let made: Vec<String> =
            log.entries()[before..].iter().filter(|e| e.starts_with("dynamodb:")).cloned().collect();
        assert_eq!(made, expected, "{route}");
    }

    let deps = Deps::basic(store, poster(&log));
    let before = log.entries().len();
    handle!(&deps, route_event("alice", ALICE, r#"{"action":"sync","after":0,"limit":100}"#)).await.expect("handled");
    let made: Vec<String> = log.entries()[before..].iter().filter(|e| e.starts_with("dynamodb:")).cloned().collect();
    assert_eq!(made, vec!["dynamodb:Query".to_owned()], "a sync page is one Query");
}

/// A group of `n` (alice and `m1`..), every member with one live connection, and a
/// message from alice in it; returns the message's id.
async fn group_with_message(setup: &DynamoStore, deps: &Deps<DynamoStore, RecordingPoster>, n: usize) -> String {
    use chat_core::group::Group;
    use chat_core::ids::GroupId;
    use chat_core::store::GroupStore;

    let members: Vec<UserId> = std::iter::once("alice".to_owned())
        .chain((1..n).map(|i| format!("m{i}")))
        .map(|u| UserId::parse(&u).expect("valid"))
        .collect();
    let group = Group::create(GroupId::parse("rx").expect("valid"), "rx".into(), members[0].clone(), &members[1..])
        .expect("group");
    setup.create_group(&group).await.expect("create");
    setup.put_connection(&connection("alice", ALICE)).await.expect("put");
    for m in &members[1..] {
        setup.put_connection(&connection(m.as_str(), &format!("{m}="))).await.expect("put");
    }
    let body = r#"{"action":"send","group":"rx","clientMsgId":"g1","body":"react to me"}"#;
    handle!(deps, route_event("alice", ALICE, body)).await.expect("handled");
    first_msg_id(setup, &members[0]).await.to_string()
}

async fn first_msg_id(store: &DynamoStore, user: &UserId) -> chat_core::ids::MsgId {
    use chat_core::store::InboxStore;
    let page = store.sync(user, 0, 1).await.expect("sync");
    page.entries.into_iter().next().expect("a message").msg_id
}

/// What one reaction (from alice's fixture connection) costs: DynamoDB requests before
/// its ack, and the items of each transaction, by table.
async fn reaction_cost(
    deps: &Deps<DynamoStore, RecordingPoster>,
    log: &Log,
    msg_id: &str,
    cid: &str,
) -> (usize, Vec<String>) {
    let before = log.entries().len();
    let body = format!(r#"{{"action":"react","msgId":"{msg_id}","emoji":"👍","clientMsgId":"{cid}"}}"#);
    handle!(deps, route_event("alice", ALICE, &body)).await.expect("handled");
    let entries = log.entries()[before..].to_vec();
    let ack_at = entries.iter().position(|e| e == "post:ack:TWegAcC4EowCHnA=").expect("an ack was posted");
    let requests = entries[..ack_at].iter().filter(|e| e.starts_with("dynamodb:")).count();
    let items = entries[..ack_at].iter().filter(|e| e.starts_with("items:")).cloned().collect();
    (requests, items)
}

#[tokio::test]
async fn what_a_reaction_costs_in_a_one_to_one_and_in_groups_of_10_and_100() {
    // 1:1: bob's message, alice reacts (with the default limits: reactions take a token
    // of the send bucket, read with the first round's reads).
    let (setup, counted, log) = stores().await;
    let deps = Deps { limits: Limits::default(), ..Deps::basic(counted, poster(&log)) };
    setup.put_connection(&connection("alice", ALICE)).await.expect("put");
    setup.put_connection(&connection("bob", "phone=")).await.expect("put");
    handle!(&deps, route_event("alice", ALICE, r#"{"action":"send","to":"bob","clientMsgId":"c1","body":"hi"}"#))
        .await
        .expect("handled");
    let alice = UserId::parse("alice").expect("valid");
    let msg_id = first_msg_id(&setup, &alice).await.to_string();
    let (requests, items) = reaction_cost(&deps, &log, &msg_id, "r1").await;
    println!("1:1 reaction: {requests} DynamoDB requests, transactions {items:?}");
    assert_eq!(items, vec!["items:messages=4,state=1;activity=0".to_owned()], "no summaries");
    assert_eq!(requests, 13);
    // The same again: acked, nothing written.
    let (requests, items) = reaction_cost(&deps, &log, &msg_id, "r2").await;
    println!("1:1 repeated reaction: {requests} DynamoDB requests, nothing written");
    assert!(items.is_empty());

    for n in [10usize, 100] {
        let (setup, counted, log) = stores().await;
        let deps = Deps::basic(counted, poster(&log));
        let msg_id = group_with_message(&setup, &deps, n).await;
        let (requests, items) = reaction_cost(&deps, &log, &msg_id, "r1").await;
        println!("group of {n} reaction: {requests} DynamoDB requests, transactions {items:?}");
        let written: usize = items
            .iter()
            .flat_map(|i| i.trim_start_matches("items:").split(';').next().unwrap_or("").split(','))
            .filter_map(|kv| kv.split_once('=').and_then(|(_, v)| v.parse::<usize>().ok()))
            .sum();
        match n {
            10 => {
                assert_eq!((items.len(), written), (1, 21), "one transaction: 10 entries, 10 counts, the record");
                assert_eq!(requests, 38);
            }
            _ => assert_eq!((items.len(), written), (4, 300), "chunks of 33: 100 entries, 100 counts, 100 markers"),
        }
    }
}

#[tokio::test]
async fn an_edit_or_reaction_on_a_spent_bucket_costs_one_read_and_no_transaction() {
    use chat_core::ratelimit::RateLimit;
    // A burst of one that does not refill within the test: the send spends it.
    let (setup, counted, log) = stores().await;
    let limits = Limits { send: Some(RateLimit { rate: 0.000_001, burst: 1.0 }), ..Limits::default() };
    let deps = Deps { limits, ..Deps::basic(counted, poster(&log)) };
    setup.put_connection(&connection("alice", ALICE)).await.expect("put");
    setup.put_connection(&connection("bob", "phone=")).await.expect("put");
    handle!(&deps, route_event("alice", ALICE, r#"{"action":"send","to":"bob","clientMsgId":"c1","body":"hi"}"#))
        .await
        .expect("handled");
    let msg_id = first_msg_id(&setup, &UserId::parse("alice").expect("valid")).await.to_string();
    for body in [
        format!(r#"{{"action":"edit","msgId":"{msg_id}","clientMsgId":"e1","body":"typo"}}"#),
        format!(r#"{{"action":"delete","msgId":"{msg_id}","clientMsgId":"d1"}}"#),
        format!(r#"{{"action":"react","msgId":"{msg_id}","emoji":"👍","clientMsgId":"r1"}}"#),
    ] {
        let before = log.entries().len();
        handle!(&deps, route_event("alice", ALICE, &body)).await.expect("handled");
        let made = log.entries()[before..].to_vec();
        let requests: Vec<&String> = made.iter().filter(|e| e.starts_with("dynamodb:")).collect();
        // The bucket rides on the sender's newest entry: one Query of one item.
        assert_eq!(requests, vec!["dynamodb:Query"], "{body}: one read of the bucket, nothing else: {made:?}");
        assert!(made.iter().any(|e| e == "post:error:TWegAcC4EowCHnA="), "{body}: refused: {made:?}");
    }
}

/// With a retention (`chat:retentionDays`) the expiry rides on the items a send writes
/// anyway: the same requests and items. A sync is still one Query when nothing expired,
/// and with expired entries not yet deleted by TTL it reads on past them.
#[tokio::test]
async fn with_a_retention_a_send_costs_the_same_and_a_sync_pages_past_expired_entries() {
    use chat_core::clock::{Clock, ManualClock};
    use chat_core::retention::{DAY_MS, Retention};
    use chat_core::store::InboxStore;

    let (setup, counted, log) = stores().await;
    let clock = Arc::new(ManualClock::at(SystemClock.now_ms()));
    let retention = Retention::days(1, clock.clone());
    let (setup, counted) = (setup.with_retention(retention.clone()), counted.with_retention(retention));
    setup.put_connection(&connection("alice", ALICE)).await.expect("put");
    let deps = Deps { limits: Limits::default(), ..Deps::basic(counted.clone(), poster(&log)) };
    let send = |cid: &'static str| {
        let (deps, log) = (&deps, &log);
        async move {
            let before = log.entries().len();
            let body = format!(r#"{{"action":"send","to":"bob","clientMsgId":"{cid}","body":"hi"}}"#);
            handle!(deps, route_event("alice", ALICE, &body)).await.expect("handled");
            log.entries()[before..].iter().filter(|e| !e.starts_with("post:")).cloned().collect::<Vec<_>>()
        }
    };
    // An empty inbox may be one whose entries all expired and were deleted: its seqs go on
    // from its summaries' highest activity, one Query more (here: both inboxes are new).
    let first = send("r0").await;
    assert_eq!(first.iter().filter(|e| e.starts_with("dynamodb:")).count(), 8, "{first:?}");
    let made = send("r1").await;
    assert_eq!(made.iter().filter(|e| e.starts_with("dynamodb:")).count(), 6, "{made:?}");
    assert!(made.contains(&"items:conversations=2,messages=2,state=1;activity=0".to_owned()), "{made:?}");

    let syncs = |after: u64| {
        let (deps, log) = (&deps, &log);
        async move {
            let before = log.entries().len();
            let body = format!(r#"{{"action":"sync","after":{after},"limit":100}}"#);
            handle!(deps, route_event("bob", "phone=", &body)).await.expect("handled");
            log.entries()[before..].iter().filter(|e| e.starts_with("dynamodb:Query")).count()
        }
    };
    assert_eq!(syncs(0).await, 1, "nothing expired: one Query");
    // 150 more, then two days later one kept: 152 expired entries lie before it.
    for i in 0..150 {
        let m = chat_core::store::conformance::dm("alice", "bob", &format!("old{i}"), clock.now_ms());
        setup.append(&m).await.expect("append");
    }
    clock.advance(2 * DAY_MS);
    let kept = chat_core::store::conformance::dm("alice", "bob", "kept", clock.now_ms());
    setup.append(&kept).await.expect("append");
    let page = counted.sync(&UserId::parse("bob").expect("valid"), 0, 100).await.expect("sync");
    assert_eq!((page.entries.len(), page.oldest), (1, Some(153)));
    let queries = syncs(0).await;
    assert_eq!(queries, 2, "101 expired entries read, then up to 404 more");
    println!("sync with retention: 1 Query with nothing expired, {queries} past 152 expired entries");
}
