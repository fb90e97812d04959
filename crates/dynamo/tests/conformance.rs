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
