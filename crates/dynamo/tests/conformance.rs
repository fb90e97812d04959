//! The store conformance suite against a real DynamoDB API: moto server in CI (started by
//! `scripts/test`), LocalStack or DynamoDB Local on a laptop. Every test gets its own
//! uniquely named tables, so tests run in parallel.

use aws_sdk_dynamodb::Client;
use chat_core::schema::TableNames;
use chat_dynamo::{DynamoStore, tables};
use chat_lambda::Budget;

async fn fresh_store() -> DynamoStore {
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok(),
        "AWS_ENDPOINT_URL must point at a DynamoDB API (run scripts/test, which starts moto)"
    );
    let sdk = chat_lambda::sdk_config(Budget::Data).await;
    let client = Client::new(&sdk);
    let prefix = format!("t{}-", ulid::Ulid::new().to_string().to_lowercase());
    let tables = TableNames::with_prefix(&prefix);
    tables::ensure_tables(&client, &tables).await.expect("create tables");
    DynamoStore::new(client, tables)
}

chat_core::store_conformance_tests!(fresh_store());

#[tokio::test]
async fn creating_the_tables_twice_is_harmless() {
    let store = fresh_store().await;
    tables::ensure_tables(&store.client(), store.tables()).await.expect("second create");
}

/// A large fan-out interrupted after some inboxes were written (its idempotency record
/// still `pending`) is finished by the client's retry, without storing anything twice.
#[tokio::test]
async fn an_interrupted_large_fan_out_is_resumed_by_the_retry_exactly_once() {
    use chat_core::ids::{ClientMsgId, Conversation, GroupId, MsgId, UserId};
    use chat_core::message::{AppendOutcome, NewMessage};
    use chat_core::schema::state as st;
    use chat_core::store::InboxStore;

    let store = fresh_store().await;
    let members: Vec<UserId> = (0..60).map(|i| UserId::parse(&format!("u{i}")).expect("valid")).collect();
    let msg = NewMessage {
        msg_id: MsgId::generate(1_000),
        conversation: Conversation::Group(GroupId::parse("g").expect("valid")),
        from: members[0].clone(),
        client_msg_id: ClientMsgId::parse("big").expect("valid"),
        body: "hello".into(),
        ts: 1_000,
        participants: members.clone(),
        limit: None,
        amends: None,
        name: None,
        attachments: Vec::new(),
    };
    let AppendOutcome::Stored { seqs: first, .. } = store.append(&msg).await.expect("append") else { panic!("stored") };
    // Put the record back to `pending`, as if the process had died before completing it.
    let key = st::idempotency_key("u0", "big");
    let mut item = chat_dynamo::items::ack_item(&key, &msg.ack(0), &[], 999_999);
    item.insert(st::STATUS.to_owned(), chat_dynamo::items::s(chat_dynamo::items::PENDING));
    store.client().put_item().table_name(&store.tables().state).set_item(Some(item.clone())).send().await.expect("put");
    // A retry after 20 members left: the group is now small enough for one transaction,
    // but the half-written fan-out must still be finished, never acked as it stands.
    let shrunk =
        NewMessage { msg_id: MsgId::generate(1_500), ts: 1_500, participants: members[..30].to_vec(), ..msg.clone() };
    let AppendOutcome::Stored { ack, .. } = store.append(&shrunk).await.expect("append") else { panic!("stored") };
    assert_eq!(ack.msg_id, msg.msg_id, "the first attempt's message is finished");
    assert_eq!(ack.seq, 1, "a real seq in the sender's inbox, never the pending record's 0");
    store.client().put_item().table_name(&store.tables().state).set_item(Some(item)).send().await.expect("put");
    // The retry comes with a fresh server msgId; the claimed one wins.
    let retry = NewMessage { msg_id: MsgId::generate(2_000), ts: 2_000, ..msg.clone() };
    let AppendOutcome::Stored { ack, mut seqs } = store.append(&retry).await.expect("append") else { panic!("stored") };
    assert_eq!(ack.msg_id, msg.msg_id);
    let mut first = first;
    first.sort();
    seqs.sort();
    assert_eq!(seqs, first, "every member keeps its one entry");
    for m in &members {
        let page = store.sync(m, 0, 10).await.expect("sync");
        assert_eq!(page.entries.len(), 1, "{m} has the message once");
    }
    assert!(
        matches!(store.append(&retry).await.expect("append"), AppendOutcome::Duplicate(a) if a.msg_id == msg.msg_id)
    );
}

/// The config the functions build inside Lambda (straight from the environment, without
/// the default provider chain) really reaches the API.
#[tokio::test]
async fn a_lambda_style_sdk_config_reaches_the_api() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL (scripts/test)");
    let get = |k: &str| match k {
        "AWS_LAMBDA_FUNCTION_NAME" => Some("send".to_owned()),
        "AWS_ENDPOINT_URL" => Some(endpoint.clone()),
        other => std::env::var(other).ok(),
    };
    let sdk = chat_lambda::sdk_config_with(Budget::Data, get).await;
    let client = Client::new(&sdk);
    client.list_tables().send().await.expect("the API answers");
}
