//! [`DynamoStore`]: the store handle, and connections on DynamoDB.

use aws_sdk_dynamodb::Client;
use chat_core::ids::{ConnectionId, UserId};
use chat_core::schema::{TableNames, connections as c};
use chat_core::store::{Connection, ConnectionStore, StoreError};

use crate::items::{self, n, s};
use crate::unavailable;

/// The chat store on DynamoDB. Cheap to clone (the SDK client is an `Arc` inside).
#[derive(Debug, Clone)]
pub struct DynamoStore {
    pub(crate) client: Client,
    pub(crate) tables: TableNames,
    pub(crate) inbox_locks: std::sync::Arc<crate::locks::InboxLocks>,
}

impl DynamoStore {
    /// A store on `tables` through `client`.
    pub fn new(client: Client, tables: TableNames) -> Self {
        Self { client, tables, inbox_locks: Default::default() }
    }

    /// A store on `tables` with a client built from `config` (an `&SdkConfig` from
    /// `chat_lambda::sdk_config`, or a DynamoDB client config): what every function does
    /// at cold start.
    pub fn connect(config: impl Into<aws_sdk_dynamodb::Config>, tables: TableNames) -> Self {
        Self::new(Client::from_conf(config.into()), tables)
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

    async fn delete_connection(&self, user: &UserId, id: &ConnectionId) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.tables.connections)
            .key(c::PK, s(user.as_str()))
            .key(c::SK, s(id.as_str()))
            .send()
            .await
            .map_err(unavailable)?;
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
            Ok(_) => Ok(true),
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
