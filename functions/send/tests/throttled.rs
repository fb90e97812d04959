//! A throttled DynamoDB, through the real SDK: every `TransactWriteItems` is refused with
//! DynamoDB's throttling error (HTTP 400 `ProvisionedThroughputExceededException`) by
//! `chat_faults::dynamo::DynamoFault`. The SDK's retry settings (`chat_lambda::Budget::Data`) must give up
//! after their attempts, in seconds, so a throttled table cannot hold a Lambda until its
//! timeout; the send answers `internal` and stores nothing; once the table recovers, the
//! same `clientMsgId` completes it exactly once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_core::clock::SystemClock;
use chat_core::ids::{ConnectionId, UserId};
use chat_core::poster::{PostError, Poster};
use chat_core::schema::TableNames;
use chat_core::store::{Connection, ConnectionStore, InboxStore};
use chat_dynamo::DynamoStore;
use chat_faults::dynamo::{DynamoFailure, DynamoFault};
use chat_send::{Deps, handle};
use lambda_runtime::LambdaEvent;
use serde_json::Value;

#[derive(Debug, Default, Clone)]
struct Replies(Arc<std::sync::Mutex<Vec<Value>>>);

impl Poster for Replies {
    async fn post(&self, connection: &ConnectionId, data: &str) -> Result<(), PostError> {
        if connection.as_str() == "TWegAcC4EowCHnA=" {
            let frame = serde_json::from_str(data).map_err(|e| PostError::Failed(Box::new(e)))?;
            self.0.lock().expect("replies").push(frame);
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_throttled_table_fails_the_send_within_the_retry_budget_and_the_resend_completes_it() {
    assert!(std::env::var("AWS_ENDPOINT_URL").is_ok(), "AWS_ENDPOINT_URL must point at a DynamoDB API (scripts/test)");
    let sdk = chat_lambda::sdk_config(chat_lambda::Budget::Data).await;
    let tables = TableNames::with_prefix(&format!("thr{}-", ulid::Ulid::new().to_string().to_lowercase()));
    let setup = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), tables.clone());
    chat_dynamo::tables::ensure_tables(&setup.client(), &tables).await.expect("tables");
    let alice = UserId::parse("alice").expect("valid");
    let conn = Connection {
        user: alice.clone(),
        connection_id: ConnectionId::parse("TWegAcC4EowCHnA=").expect("valid"),
        device: None,
        connected_at: 0,
        expires_at: u64::MAX / 2,
    };
    setup.put_connection(&conn).await.expect("put");

    let throttle = DynamoFault::named("TransactWriteItems", DynamoFailure::Refused);
    throttle.set(false);
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk).interceptor(throttle.clone()).build();
    let replies = Replies::default();
    let deps = Deps {
        store: DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(config), tables),
        poster: replies.clone(),
        clock: SystemClock,
        push: chat_core::push::NoPush,
        limiter: chat_core::ratelimit::RateLimiter::new(None),
    };
    let event = || {
        serde_json::from_str(include_str!("../../../crates/lambda/fixtures/websocket-message.json")).expect("fixture")
    };

    throttle.set(true);
    let t = Instant::now();
    handle(&deps, LambdaEvent::new(event(), Default::default())).await.expect("handled");
    let took = t.elapsed();
    let attempts = throttle.hits();
    println!("throttled: {attempts} attempts, gave up after {took:?}");
    assert_eq!(attempts, 3, "standard retry mode: 3 attempts, then give up");
    // Backoff is jittered, at most 1 s then 2 s; the operation budget (5 s, scaled for the
    // emulator) caps it in any case.
    let scale: u32 = std::env::var("CHAT_AWS_TIMEOUT_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    assert!(took < Duration::from_secs(5) * scale, "the send was held {took:?}");
    let first = replies.0.lock().expect("replies").clone();
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!((first[0]["type"].as_str(), first[0]["code"].as_str()), (Some("error"), Some("internal")));
    for user in ["alice", "bob"] {
        let page = setup.sync(&UserId::parse(user).expect("valid"), 0, 10).await.expect("sync");
        assert!(page.entries.is_empty(), "{user}: nothing stored by a throttled send");
    }

    throttle.set(false);
    handle(&deps, LambdaEvent::new(event(), Default::default())).await.expect("handled");
    handle(&deps, LambdaEvent::new(event(), Default::default())).await.expect("handled");
    let all = replies.0.lock().expect("replies").clone();
    assert_eq!(all[1]["type"], "ack", "{all:?}");
    assert_eq!(all[1], all[2], "the repeat gets the first ack");
    for user in ["alice", "bob"] {
        let page = setup.sync(&UserId::parse(user).expect("valid"), 0, 10).await.expect("sync");
        assert_eq!(page.entries.len(), 1, "{user}: stored exactly once");
    }
}
