//! Creating the chat tables: for the devserver's `--dynamodb` mode and the tests. In AWS the
//! CDK stack creates them, with the same names, keys and index from `chat_core::schema`.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, LocalSecondaryIndex, Projection,
    ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};
use chat_core::schema::{
    TableNames, connections as c, conversations as cv, groups as g, messages as m, presence as p, push as pu,
    reports as r, state as st,
};
use chat_core::store::StoreError;

use crate::unavailable;

fn build<T, E: std::error::Error + Send + Sync + 'static>(r: Result<T, E>) -> Result<T, StoreError> {
    r.map_err(|e| StoreError::Unavailable(Box::new(e)))
}

fn attr(name: &str, t: ScalarAttributeType) -> Result<AttributeDefinition, StoreError> {
    build(AttributeDefinition::builder().attribute_name(name).attribute_type(t).build())
}

fn key(name: &str, t: KeyType) -> Result<KeySchemaElement, StoreError> {
    build(KeySchemaElement::builder().attribute_name(name).key_type(t).build())
}

/// The stream the events function reads (state and groups tables), as the CDK stack sets it.
fn changes_stream() -> Result<aws_sdk_dynamodb::types::StreamSpecification, StoreError> {
    build(
        aws_sdk_dynamodb::types::StreamSpecification::builder()
            .stream_enabled(true)
            .stream_view_type(aws_sdk_dynamodb::types::StreamViewType::NewAndOldImages)
            .build(),
    )
}

/// Creates any of the tables that is missing, waits until all are active, and turns
/// on TTL where the schema has it.
pub async fn ensure_tables(client: &Client, tables: &TableNames) -> Result<(), StoreError> {
    use KeyType::{Hash, Range};
    use ScalarAttributeType::{N, S};
    let connections = client
        .create_table()
        .table_name(&tables.connections)
        .attribute_definitions(attr(c::PK, S)?)
        .attribute_definitions(attr(c::SK, S)?)
        .key_schema(key(c::PK, Hash)?)
        .key_schema(key(c::SK, Range)?);
    let by_conversation = build(
        LocalSecondaryIndex::builder()
            .index_name(m::BY_CONVERSATION_INDEX)
            .key_schema(key(m::PK, Hash)?)
            .key_schema(key(m::CONV_SEQ, Range)?)
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build(),
    )?;
    let by_msg_id = build(
        LocalSecondaryIndex::builder()
            .index_name(m::BY_MSG_ID_INDEX)
            .key_schema(key(m::PK, Hash)?)
            .key_schema(key(m::MSG_ID, Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::Include)
                    .non_key_attributes(m::FROM)
                    .non_key_attributes(m::CONVERSATION)
                    .build(),
            )
            .build(),
    )?;
    let messages = client
        .create_table()
        .table_name(&tables.messages)
        .attribute_definitions(attr(m::PK, S)?)
        .attribute_definitions(attr(m::SK, N)?)
        .attribute_definitions(attr(m::CONV_SEQ, S)?)
        .attribute_definitions(attr(m::MSG_ID, S)?)
        .key_schema(key(m::PK, Hash)?)
        .key_schema(key(m::SK, Range)?)
        .local_secondary_indexes(by_conversation)
        .local_secondary_indexes(by_msg_id);
    let by_member = build(
        GlobalSecondaryIndex::builder()
            .index_name(g::BY_MEMBER_INDEX)
            .key_schema(key(g::MEMBER, Hash)?)
            .key_schema(key(g::PK, Range)?)
            .projection(Projection::builder().projection_type(ProjectionType::KeysOnly).build())
            .build(),
    )?;
    let groups = client
        .create_table()
        .table_name(&tables.groups)
        .attribute_definitions(attr(g::PK, S)?)
        .attribute_definitions(attr(g::SK, S)?)
        .attribute_definitions(attr(g::MEMBER, S)?)
        .key_schema(key(g::PK, Hash)?)
        .key_schema(key(g::SK, Range)?)
        .global_secondary_indexes(by_member)
        .stream_specification(changes_stream()?);
    let state = client
        .create_table()
        .table_name(&tables.state)
        .attribute_definitions(attr(st::PK, S)?)
        .key_schema(key(st::PK, Hash)?)
        .stream_specification(changes_stream()?);
    let presence = client
        .create_table()
        .table_name(&tables.presence)
        .attribute_definitions(attr(p::PK, S)?)
        .attribute_definitions(attr(p::SK, S)?)
        .key_schema(key(p::PK, Hash)?)
        .key_schema(key(p::SK, Range)?);
    let push = client
        .create_table()
        .table_name(&tables.push)
        .attribute_definitions(attr(pu::PK, S)?)
        .attribute_definitions(attr(pu::SK, S)?)
        .key_schema(key(pu::PK, Hash)?)
        .key_schema(key(pu::SK, Range)?);
    let by_activity = build(
        LocalSecondaryIndex::builder()
            .index_name(cv::BY_ACTIVITY_INDEX)
            .key_schema(key(cv::PK, Hash)?)
            .key_schema(key(cv::ACTIVITY, Range)?)
            .projection(Projection::builder().projection_type(ProjectionType::KeysOnly).build())
            .build(),
    )?;
    let conversations = client
        .create_table()
        .table_name(&tables.conversations)
        .attribute_definitions(attr(cv::PK, S)?)
        .attribute_definitions(attr(cv::SK, S)?)
        .attribute_definitions(attr(cv::ACTIVITY, N)?)
        .key_schema(key(cv::PK, Hash)?)
        .key_schema(key(cv::SK, Range)?)
        .local_secondary_indexes(by_activity);
    let by_queue = build(
        GlobalSecondaryIndex::builder()
            .index_name(r::BY_QUEUE_INDEX)
            .key_schema(key(r::QUEUE, Hash)?)
            .key_schema(key(r::OPENED_AT, Range)?)
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build(),
    )?;
    let reports = client
        .create_table()
        .table_name(&tables.reports)
        .attribute_definitions(attr(r::PK, S)?)
        .attribute_definitions(attr(r::SK, S)?)
        .attribute_definitions(attr(r::QUEUE, S)?)
        .attribute_definitions(attr(r::OPENED_AT, N)?)
        .key_schema(key(r::PK, Hash)?)
        .key_schema(key(r::SK, Range)?)
        .global_secondary_indexes(by_queue)
        .stream_specification(changes_stream()?);
    for create in [connections, messages, state, groups, presence, push, conversations, reports] {
        match create.billing_mode(BillingMode::PayPerRequest).send().await {
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_in_use_exception()) => {}
            Err(e) => return Err(unavailable(e)),
        }
    }
    let all = [
        &tables.connections,
        &tables.messages,
        &tables.state,
        &tables.groups,
        &tables.presence,
        &tables.push,
        &tables.conversations,
        &tables.reports,
    ];
    for name in all {
        wait_active(client, name).await?;
    }
    let ttls = [
        (&tables.connections, c::TTL),
        (&tables.state, st::TTL),
        (&tables.presence, p::TTL),
        (&tables.messages, chat_core::schema::messages::TTL),
    ];
    for (name, attr) in ttls {
        enable_ttl(client, name, attr).await?;
    }
    Ok(())
}

async fn wait_active(client: &Client, name: &str) -> Result<(), StoreError> {
    for _ in 0..120 {
        let out = client.describe_table().table_name(name).send().await.map_err(unavailable)?;
        if out.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    Err(StoreError::Unavailable(format!("table {name} did not become active").into()))
}

async fn enable_ttl(client: &Client, table: &str, attribute: &str) -> Result<(), StoreError> {
    let current = client.describe_time_to_live().table_name(table).send().await.map_err(unavailable)?;
    let enabled = current.time_to_live_description().and_then(|d| d.attribute_name()).is_some_and(|a| a == attribute);
    if enabled {
        return Ok(());
    }
    let spec = build(TimeToLiveSpecification::builder().enabled(true).attribute_name(attribute).build())?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(spec)
        .send()
        .await
        .map_err(unavailable)?;
    Ok(())
}
