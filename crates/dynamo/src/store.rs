//! [`DynamoStore`]: connections and inboxes on DynamoDB.

use aws_sdk_dynamodb::Client;
use chat_core::ids::{ConnectionId, Conversation, UserId};
use chat_core::message::{AppendOutcome, NewMessage};
use chat_core::schema::{TableNames, connections as c, messages as m};
use chat_core::store::{Connection, ConnectionStore, InboxStore, Page, StoreError};

use crate::items::{self, n, s};
use crate::unavailable;

/// The chat store on DynamoDB. Cheap to clone (the SDK client is an `Arc` inside).
#[derive(Debug, Clone)]
pub struct DynamoStore {
    pub(crate) client: Client,
    pub(crate) tables: TableNames,
    pub(crate) inbox_locks: std::sync::Arc<crate::append::InboxLocks>,
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

    /// Runs a Query of `limit + 1` items and turns it into a page whose `next` is the
    /// sort key of the last returned entry when there is more. Asking for one more than
    /// needed tells "there is more" without a second request.
    async fn page(
        &self,
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
        limit: u32,
    ) -> Result<Page, StoreError> {
        let out = query.limit(limit as i32 + 1).consistent_read(true).send().await.map_err(unavailable)?;
        let mut entries = out.items().iter().map(items::entry_from).collect::<Result<Vec<_>, _>>()?;
        let more = entries.len() > limit as usize;
        entries.truncate(limit as usize);
        let next = if more { entries.last().map(|e| e.seq) } else { None };
        Ok(Page { entries, next })
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

impl InboxStore for DynamoStore {
    async fn append(&self, msg: &NewMessage) -> Result<AppendOutcome, StoreError> {
        crate::append::append(self, msg).await
    }

    async fn sync(&self, user: &UserId, after: u64, limit: u32) -> Result<Page, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.messages)
            .key_condition_expression("#pk = :pk AND #sk > :after")
            .expression_attribute_names("#pk", m::PK)
            .expression_attribute_names("#sk", m::SK)
            .expression_attribute_values(":pk", s(user.as_str()))
            .expression_attribute_values(":after", n(after))
            .scan_index_forward(true);
        self.page(query, limit).await
    }

    async fn history(
        &self,
        user: &UserId,
        conversation: &Conversation,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Page, StoreError> {
        let conv = conversation.to_string();
        let upper = match before {
            Some(0) => return Ok(Page::default()),
            Some(b) => m::conv_seq(&conv, b - 1),
            None => m::conv_seq(&conv, u64::MAX),
        };
        let query = self
            .client
            .query()
            .table_name(&self.tables.messages)
            .index_name(m::BY_CONVERSATION_INDEX)
            .key_condition_expression("#pk = :pk AND #cs BETWEEN :lo AND :hi")
            .expression_attribute_names("#pk", m::PK)
            .expression_attribute_names("#cs", m::CONV_SEQ)
            .expression_attribute_values(":pk", s(user.as_str()))
            .expression_attribute_values(":lo", s(m::conv_seq(&conv, 0)))
            .expression_attribute_values(":hi", s(upper))
            .scan_index_forward(false);
        self.page(query, limit).await
    }
}

impl DynamoStore {
    /// The SDK client (for table management).
    pub fn client(&self) -> Client {
        self.client.clone()
    }
}
