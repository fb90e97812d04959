//! [`DynamoStore`]: the store handle, and connections on DynamoDB.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use chat_core::ids::{ConnectionId, UserId};
use chat_core::schema::{TableNames, connections as c, state as st};
use chat_core::store::{Connection, ConnectionStore, StoreError};

use crate::items::{self, get_n, n, s};
use crate::txn::{MAX_ROUNDS, backoff, build, is_retryable_cancel, read_state};
use crate::unavailable;

/// The chat store on DynamoDB. Cheap to clone (the SDK client is an `Arc` inside).
#[derive(Debug, Clone)]
pub struct DynamoStore {
    pub(crate) client: Client,
    pub(crate) tables: TableNames,
    pub(crate) inbox_locks: std::sync::Arc<crate::locks::InboxLocks>,
    /// How long inbox entries are kept (`crate::retention`).
    pub(crate) retention: chat_core::retention::Retention,
}

impl DynamoStore {
    /// A store on `tables` through `client`.
    pub fn new(client: Client, tables: TableNames) -> Self {
        Self { client, tables, inbox_locks: Default::default(), retention: Default::default() }
    }

    /// This store, writing every inbox entry with its expiry under `retention` and leaving
    /// out of every read the entries past it (`crate::retention`).
    pub fn with_retention(mut self, retention: chat_core::retention::Retention) -> Self {
        self.retention = retention;
        self
    }

    /// A store on `tables` with a client built from `config` (an `&SdkConfig` from
    /// `chat_lambda::sdk_config`, or a DynamoDB client config): what every function does
    /// at cold start.
    pub fn connect(config: impl Into<aws_sdk_dynamodb::Config>, tables: TableNames) -> Self {
        Self::new(Client::from_conf(config.into()), tables)
    }

    /// One connection fewer on the user's counter (never below zero; a counter that drifted
    /// is recounted when it says "full").
    async fn uncount_connection(&self, user: &UserId) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.state)
            .key(st::PK, s(st::connection_count_key(user.as_str())))
            .update_expression("ADD #n :minus")
            .condition_expression("#n > :zero")
            .expression_attribute_names("#n", st::COUNT)
            .expression_attribute_values(":minus", AttributeValue::N("-1".into()))
            .expression_attribute_values(":zero", n(0))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// The table names in use.
    pub fn tables(&self) -> &TableNames {
        &self.tables
    }
}

impl ConnectionStore for DynamoStore {
    async fn put_connection(&self, conn: &Connection) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.tables.connections)
            .set_item(Some(items::connection_item(conn)))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// The user's connection counter (state table) is moved from the value read to one
    /// more, conditionally, in the same transaction as the record: racing handshakes
    /// conflict and read again, so the cap is never exceeded and one of them always wins.
    /// The counter is only a fast path: when it is missing or says "full" it is recounted
    /// from the connections themselves (records whose `$disconnect` never came expire),
    /// so it cannot lock a user out.
    async fn put_connection_capped(&self, conn: &Connection, max: usize, now_s: u64) -> Result<bool, StoreError> {
        let key = st::connection_count_key(conn.user.as_str());
        for round in 0..MAX_ROUNDS {
            let state = read_state(self, vec![key.clone()]).await?;
            let read = state.get(&key).map(|i| get_n(i, st::COUNT, "connection counter")).transpose()?;
            let mut count = read.unwrap_or(u64::MAX);
            if count >= max as u64 {
                count = self.connections(&conn.user, now_s).await?.len() as u64;
                if count >= max as u64 {
                    return Ok(false);
                }
            }
            let mut counter = Update::builder()
                .table_name(&self.tables.state)
                .key(st::PK, s(&key))
                .update_expression("SET #n = :next")
                .expression_attribute_names("#n", st::COUNT)
                .expression_attribute_values(":next", n(count + 1));
            counter = match read {
                None => counter.condition_expression("attribute_not_exists(#n)"),
                Some(r) => counter.condition_expression("#n = :read").expression_attribute_values(":read", n(r)),
            };
            let record =
                Put::builder().table_name(&self.tables.connections).set_item(Some(items::connection_item(conn)));
            let writes = vec![
                TransactWriteItem::builder().update(build(counter.build())?).build(),
                TransactWriteItem::builder().put(build(record.build())?).build(),
            ];
            match self.client.transact_write_items().set_transact_items(Some(writes)).send().await {
                Ok(_) => return Ok(true),
                Err(e) if is_retryable_cancel(&e) => tokio::time::sleep(backoff(round)).await,
                Err(e) => return Err(unavailable(e)),
            }
        }
        Err(StoreError::Contention)
    }

    async fn delete_connection(&self, user: &UserId, id: &ConnectionId) -> Result<(), StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.tables.connections)
            .key(c::PK, s(user.as_str()))
            .key(c::SK, s(id.as_str()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(unavailable)?;
        if out.attributes().is_some() {
            self.uncount_connection(user).await?;
        }
        Ok(())
    }

    async fn delete_stale_connection(
        &self,
        user: &UserId,
        id: &ConnectionId,
        connected_before_ms: u64,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.tables.connections)
            .key(c::PK, s(user.as_str()))
            .key(c::SK, s(id.as_str()))
            .condition_expression("#at < :before")
            .expression_attribute_names("#at", c::CONNECTED_AT)
            .expression_attribute_values(":before", n(connected_before_ms))
            .send()
            .await;
        match result {
            Ok(_) => {
                self.uncount_connection(user).await?;
                Ok(true)
            }
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn connections(&self, user: &UserId, now_s: u64) -> Result<Vec<Connection>, StoreError> {
        // TTL deletion is lazy (up to days), so expired records are filtered here too.
        let out = self
            .client
            .query()
            .table_name(&self.tables.connections)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", c::PK)
            .expression_attribute_values(":pk", s(user.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let conns = out.items().iter().map(items::connection_from).collect::<Result<Vec<_>, _>>()?;
        Ok(conns.into_iter().filter(|c| c.expires_at > now_s).collect())
    }
}

impl DynamoStore {
    /// The SDK client (for table management).
    pub fn client(&self) -> Client {
        self.client.clone()
    }
}
