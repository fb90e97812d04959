//! The events function against real DynamoDB streams (moto's): a devserver on `--dynamodb`
//! does one of everything, then the state and groups tables' stream records are run
//! through `chat_events::handle`, and what it would publish must be exactly what the
//! devserver published from what its store wrote: one event per change, none per inbox
//! copy, none for notices or expired records.

use std::sync::Mutex;

use aws_lambda_events::dynamodb::Event as StreamEvent;
use chat_core::events::Event;
use chat_e2e::{Backend, TestServer};
use serde_json::{Value, json};

/// Records what would go to EventBridge.
#[derive(Default)]
struct Recorded(Mutex<Vec<Event>>);

impl chat_events::Sink for Recorded {
    async fn publish(&self, events: &[Event]) -> Vec<bool> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend(events.iter().cloned());
        vec![true; events.len()]
    }
}

/// One DynamoDB Streams API call (moto routes it by its target, like boto3's).
async fn streams_call(action: &str, body: Value) -> Value {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL");
    let auth =
        "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00";
    let headers = [
        ("authorization".to_owned(), auth.to_owned()),
        ("x-amz-target".to_owned(), format!("DynamoDBStreams_20120810.{action}")),
        ("content-type".to_owned(), "application/x-amz-json-1.0".to_owned()),
    ];
    let r = chat_e2e::http("POST", &format!("{endpoint}/"), &headers, body.to_string().as_bytes()).await;
    assert_eq!(r.status, 200, "{action}: {}", String::from_utf8_lossy(&r.body));
    serde_json::from_slice(&r.body).expect("json")
}

/// Every record of `table`'s stream, as Lambda would get them.
async fn stream_records(table: &str) -> StreamEvent {
    let sdk = chat_lambda::sdk_config(chat_lambda::Budget::Data).await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let described = client.describe_table().table_name(table).send().await.expect("describe");
    let arn = described.table().and_then(|t| t.latest_stream_arn()).expect("a stream").to_owned();
    let stream = streams_call("DescribeStream", json!({"StreamArn": arn})).await;
    let mut records = Vec::new();
    for shard in stream["StreamDescription"]["Shards"].as_array().expect("shards") {
        let it = streams_call(
            "GetShardIterator",
            json!({"StreamArn": arn, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON"}),
        )
        .await;
        let mut iterator = it["ShardIterator"].clone();
        loop {
            let page = streams_call("GetRecords", json!({"ShardIterator": iterator})).await;
            let got = page["Records"].as_array().cloned().unwrap_or_default();
            if got.is_empty() {
                break;
            }
            records.extend(got);
            iterator = page["NextShardIterator"].clone();
            if iterator.is_null() {
                break;
            }
        }
    }
    serde_json::from_value(json!({"Records": records})).expect("a Lambda stream event")
}

/// Waits until the devserver published `account.deleted` of `job`.
async fn deleted(server: &TestServer, job: &Value) -> Value {
    for _ in 0..600 {
        let events = server.events(0).await;
        if let Some(e) = events.iter().find(|e| e["detail-type"] == "account.deleted" && e["detail"]["jobId"] == *job) {
            return e["detail"].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no account.deleted for {job}");
}

/// An event as compared: group changes and lifted bans carry the publisher's own sequence
/// in their ids (the stream's, the devserver's); a message's event carries it as it stands
/// when published, which for the stream read at the end of this test is after its edit or
/// delete: compared without its changing fields. Everything else must match exactly.
fn comparable(detail_type: &str, mut detail: Value) -> Value {
    if ["group.members_changed", "group.renamed", "user.unbanned", "report.resolved"].contains(&detail_type) {
        detail["id"] = Value::Null;
    }
    if let Some(m) = detail.get_mut("message").and_then(Value::as_object_mut) {
        for changes in ["body", "editedAt", "deleted"] {
            m.remove(changes);
        }
    }
    json!({"type": detail_type, "detail": detail})
}

async fn the_events_function_publishes_exactly_what_the_devserver_does(server: TestServer) {
    let mut alice = server.connect("alice", "phone").await;
    let mut bob = server.connect("bob", "phone").await;
    let ack = alice.send_to("bob", "m1", "hello").await;
    bob.recv().await;
    alice.request(json!({"action":"edit","msgId":ack["msgId"],"clientMsgId":"e1","body":"hello!"})).await;
    let resend = alice.send_to("bob", "m1", "hello").await;
    assert_eq!(resend["msgId"], ack["msgId"], "a resend is no change");
    let g = alice.request(json!({"action":"group.create","name":"team","members":["bob"]})).await;
    let gid = g["groupId"].as_str().expect("id").to_owned();
    alice.request(json!({"action":"send","group":gid,"clientMsgId":"g1","body":"hi team"})).await;
    alice.request(json!({"action":"group.add","group":gid,"members":["carol"]})).await;
    server.api("PATCH", &format!("/v1/groups/{gid}"), Some(json!({"name":"crew"}))).await;
    let bad = alice.request(json!({"action":"send","group":gid,"clientMsgId":"g2","body":"oops"})).await;
    server
        .api("DELETE", &format!("/v1/messages/{}?conversation=group:{gid}", bad["msgId"].as_str().unwrap_or("")), None)
        .await;
    server
        .api("POST", "/v1/messages", Some(json!({"from":"system","to":"bob","body":"shipped","clientMsgId":"o1"})))
        .await;
    // A group past one transaction: the chunked fan-out's record completes once.
    let many: Vec<String> = (0..55).map(|i| format!("m{i}")).collect();
    let big = server.api("POST", "/v1/groups", Some(json!({"creator":"alice","name":"big","members":many}))).await.1;
    let big_id = big["group"]["groupId"].as_str().expect("id").to_owned();
    alice.request(json!({"action":"send","group":big_id,"clientMsgId":"b1","body":"to all"})).await;
    let reported = bob.request(json!({"action":"report","msgId":ack["msgId"],"reason":"spam"})).await;
    assert_eq!(reported["type"], "ok", "{reported}");
    let (_, resolved) = server
        .api(
            "POST",
            &format!("/v1/reports/{}/resolve", ack["msgId"].as_str().unwrap_or("")),
            Some(json!({"action":"dismiss"})),
        )
        .await;
    assert_eq!(resolved["report"]["status"], "resolved", "{resolved}");
    server.api("PUT", "/v1/users/mallory/ban", Some(json!({"reason":"spam"}))).await;
    server.api("DELETE", "/v1/users/mallory/ban", None).await;
    server.api("DELETE", &format!("/v1/groups/{gid}"), None).await;
    // An account deletion: its message is an event, its tombstone none, its end one.
    let mut dave = server.connect("dave", "phone").await;
    dave.send_to("bob", "d1", "bye").await;
    let job = server.api("DELETE", "/v1/users/dave", None).await.1["jobId"].clone();
    deleted(&server, &job).await;

    let published: Vec<Value> = server
        .events(0)
        .await
        .into_iter()
        .map(|e| comparable(e["detail-type"].as_str().unwrap_or_default(), e["detail"].clone()))
        .collect();
    let prefix = server.options.table_prefix.clone().expect("a table prefix");
    let sdk = chat_lambda::sdk_config(chat_lambda::Budget::Data).await;
    let deps = chat_events::Deps {
        store: chat_dynamo::DynamoStore::connect(&sdk, chat_core::schema::TableNames::with_prefix(&prefix)),
        sink: Recorded::default(),
    };
    for table in ["state", "groups", "reports"] {
        let event = stream_records(&format!("{prefix}{table}")).await;
        let handled = chat_events::handle(&deps, lambda_runtime::LambdaEvent::new(event, Default::default()));
        let answer = chat_lambda::aws_log::function("events", handled).await.expect("handled");
        assert!(answer.batch_item_failures.is_empty(), "{table}: every record handled");
    }
    let from_streams: Vec<Value> = deps
        .sink
        .0
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .map(|e| comparable(e.detail_type, e.detail.clone()))
        .collect();
    let mut a: Vec<String> = published.iter().map(Value::to_string).collect();
    let mut b: Vec<String> = from_streams.iter().map(Value::to_string).collect();
    a.sort();
    b.sort();
    assert_eq!(a.len(), 18, "one event per change: {published:#?}");
    assert_eq!(a, b, "the stream publishes what the devserver does");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_events_function_publishes_exactly_what_the_devserver_does_on_dynamodb() {
    the_events_function_publishes_exactly_what_the_devserver_does(chat_e2e::spawn(Backend::DynamoDb).await).await;
}

/// The jobs function as AWS runs it: a deletion requested while nothing runs jobs (the
/// devserver stopped) is run by `chat_jobs::handle` from the state table's stream records,
/// and the events function then publishes its `account.deleted` once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jobs_function_runs_a_deletion_from_the_state_stream() {
    let server = chat_e2e::spawn(Backend::DynamoDb).await;
    let mut erin = server.connect("erin", "phone").await;
    let mut bob = server.connect("bob", "phone").await;
    erin.send_to("bob", "e1", "hi").await;
    bob.send_to("erin", "b1", "hi erin").await;
    let prefix = server.options.table_prefix.clone().expect("a table prefix");
    server.stop().await;

    let sdk = chat_lambda::sdk_config(chat_lambda::Budget::Data).await;
    let store = chat_dynamo::DynamoStore::connect(&sdk, chat_core::schema::TableNames::with_prefix(&prefix));
    let deps = chat_send::Deps::basic(store.clone(), chat_lambda::testing::RecordingPoster::default());
    let erin_id = chat_core::ids::UserId::parse("erin").expect("valid");
    let job = chat_send::account::start_deletion(&deps, &erin_id, false).await.expect("requested");
    let notifier = NoSns;
    for _ in 0..3 {
        let event = stream_records(&format!("{prefix}state")).await;
        let run = chat_jobs::handle(&deps, &notifier, lambda_runtime::LambdaEvent::new(event, long_context()));
        let answer = chat_lambda::aws_log::function("jobs", run).await.expect("handled");
        assert!(answer.batch_item_failures.is_empty(), "the run succeeded");
    }
    use chat_core::store::ErasureStore as _;
    let done = store.deletion(&erin_id).await.expect("read").expect("the job");
    assert!(done.done(), "{done:?}");
    assert_eq!(done.job_id, job.job_id);
    assert_eq!(done.removed.get("inboxEntries"), Some(&2), "{done:?}");

    let events = chat_events::Deps { store, sink: Recorded::default() };
    let stream = stream_records(&format!("{prefix}state")).await;
    let handled = chat_events::handle(&events, lambda_runtime::LambdaEvent::new(stream, Default::default()));
    chat_lambda::aws_log::function("events", handled).await.expect("handled");
    let published = events.sink.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let ends: Vec<&Event> = published.iter().filter(|e| e.detail_type == "account.deleted").collect();
    assert_eq!(ends.len(), 1, "one account.deleted: {published:?}");
    assert_eq!(ends[0].detail["removed"]["inboxEntries"], 2);
}

/// An invocation with 15 minutes left.
fn long_context() -> lambda_runtime::Context {
    let mut context = lambda_runtime::Context::default();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    context.deadline = u64::try_from(now.as_millis()).unwrap_or(u64::MAX) + 15 * 60 * 1000;
    context
}

/// SNS as far as a deletion needs it: nothing to delete here.
struct NoSns;

impl chat_core::push::Notifier for NoSns {
    async fn create_endpoint(
        &self,
        _p: chat_core::protocol::Platform,
        token: &str,
    ) -> Result<String, chat_core::push::NotifyError> {
        Ok(token.to_owned())
    }
    async fn delete_endpoint(&self, _arn: &str) -> Result<(), chat_core::push::NotifyError> {
        Ok(())
    }
    async fn publish(
        &self,
        _e: &chat_core::push::PushEndpoint,
        _r: &chat_core::push::PushRequest,
    ) -> Result<(), chat_core::push::NotifyError> {
        Ok(())
    }
}
