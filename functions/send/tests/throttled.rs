//! A throttled DynamoDB, through the real SDK: every `TransactWriteItems` is refused with
//! DynamoDB's throttling error (HTTP 400 `ProvisionedThroughputExceededException`) by
//! `chat_faults::dynamo::DynamoFault`. The SDK's retry settings (`chat_lambda::Budget::Data`) must give up
//! after their attempts, in seconds, so a throttled table cannot hold a Lambda until its
//! timeout; the send answers `internal` and stores nothing; once the table recovers, the
//! same `clientMsgId` completes it exactly once.

use std::time::{Duration, Instant};

use chat_core::ids::UserId;
use chat_core::schema::TableNames;
use chat_core::store::{ConnectionStore, InboxStore};
use chat_dynamo::DynamoStore;
use chat_faults::dynamo::{DynamoFailure, DynamoFault};
use chat_lambda::testing::{RecordingPoster, connection, route_event};
use chat_send::{Deps, handle};

/// alice's connection.
const ALICE: &str = "TWegAcC4EowCHnA=";

#[tokio::test]
async fn a_throttled_table_fails_the_send_within_the_retry_budget_and_the_resend_completes_it() {
    assert!(std::env::var("AWS_ENDPOINT_URL").is_ok(), "AWS_ENDPOINT_URL must point at a DynamoDB API (scripts/test)");
    let sdk = chat_lambda::sdk_config(chat_lambda::Budget::Data).await;
    let tables = TableNames::with_prefix(&format!("thr{}-", ulid::Ulid::new().to_string().to_lowercase()));
    let setup = DynamoStore::connect(&sdk, tables.clone());
    chat_dynamo::tables::ensure_tables(&setup.client(), &tables).await.expect("tables");
    setup.put_connection(&connection("alice", ALICE)).await.expect("put");

    let throttle = DynamoFault::named("TransactWriteItems", DynamoFailure::Refused);
    throttle.set(false);
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk).interceptor(throttle.clone()).build();
    let replies = RecordingPoster::default();
    let deps = Deps::basic(DynamoStore::connect(config, tables), replies.clone());
    let event = || route_event("alice", ALICE, r#"{"action":"send","to":"bob","clientMsgId":"c1","body":"hi"}"#);

    throttle.set(true);
    let t = Instant::now();
    handle(&deps, event()).await.expect("handled");
    let took = t.elapsed();
    let attempts = throttle.hits();
    println!("throttled: {attempts} attempts, gave up after {took:?}");
    assert_eq!(attempts, 3, "standard retry mode: 3 attempts, then give up");
    // Backoff is jittered, at most 1 s then 2 s; the operation budget (5 s, scaled for the
    // emulator) caps it in any case.
    let scale: u32 = std::env::var("CHAT_AWS_TIMEOUT_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    assert!(took < Duration::from_secs(5) * scale, "the send was held {took:?}");
    let first = replies.frames_to(ALICE);
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!((first[0]["type"].as_str(), first[0]["code"].as_str()), (Some("error"), Some("internal")));
    for user in ["alice", "bob"] {
        let page = setup.sync(&UserId::parse(user).expect("valid"), 0, 10).await.expect("sync");
        assert!(page.entries.is_empty(), "{user}: nothing stored by a throttled send");
    }

    throttle.set(false);
    handle(&deps, event()).await.expect("handled");
    handle(&deps, event()).await.expect("handled");
    let all = replies.frames_to(ALICE);
    assert_eq!(all[1]["type"], "ack", "{all:?}");
    assert_eq!(all[1], all[2], "the repeat gets the first ack");
    for user in ["alice", "bob"] {
        let page = setup.sync(&UserId::parse(user).expect("valid"), 0, 10).await.expect("sync");
        assert_eq!(page.entries.len(), 1, "{user}: stored exactly once");
    }
}
