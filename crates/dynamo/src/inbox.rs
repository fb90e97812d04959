//! Inboxes on DynamoDB: the append (`append`, `fanout`), sync and history.

use chat_core::ids::{Conversation, UserId};
use chat_core::message::{AppendOutcome, NewMessage};
use chat_core::schema::messages as m;
use chat_core::store::{InboxStore, Page, StoreError};

use crate::items::{self, n, s};
use crate::store::DynamoStore;
use crate::unavailable;

impl DynamoStore {
    /// A consistent Query on `byConversation` of `user`'s messages (update entries left
    /// out) in `conversation` with seqs `lo..=hi`, with `filter` (if any) added to the
    /// filter; its names and values are the caller's to add.
    pub(crate) fn conversation_messages(
        &self,
        user: &UserId,
        conversation: &Conversation,
        lo: u64,
        hi: u64,
        filter: &str,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        let conv = conversation.to_string();
        let mut kept = "attribute_not_exists(#kind)".to_owned();
        if self.retention.is_on() {
            kept = format!("{kept} AND {}", crate::retention::KEPT);
        }
        let filter = if filter.is_empty() { kept } else { format!("{kept} AND {filter}") };
        let query = self
            .client
            .query()
            .table_name(&self.tables.messages)
            .index_name(m::BY_CONVERSATION_INDEX)
            .key_condition_expression("#pk = :pk AND #cs BETWEEN :lo AND :hi")
            .filter_expression(filter)
            .expression_attribute_names("#pk", m::PK)
            .expression_attribute_names("#cs", m::CONV_SEQ)
            .expression_attribute_names("#kind", m::KIND)
            .expression_attribute_values(":pk", s(user.as_str()))
            .expression_attribute_values(":lo", s(m::conv_seq(&conv, lo)))
            .expression_attribute_values(":hi", s(m::conv_seq(&conv, hi)))
            .consistent_read(true);
        self.with_expiry_names(query)
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
        Ok(Page { entries, next, oldest: None })
    }

    /// Up to `limit` messages of `user` in `conversation` with seqs in `lo..=hi`, read on
    /// `byConversation` newest first (or oldest first, `forward`). Update entries are
    /// filtered out, and a filter applies after `Limit`, so pages are read until one more
    /// message than asked for is found, or the range ends; `next` is the seq to go on from
    /// (the last message kept, or where reading stopped).
    async fn messages_page(
        &self,
        user: &UserId,
        conversation: &Conversation,
        (lo, hi): (u64, u64),
        forward: bool,
        limit: u32,
    ) -> Result<Page, StoreError> {
        let mut entries = Vec::with_capacity(limit as usize + 1);
        let mut start = None;
        for _ in 0..HISTORY_READS {
            let out = self
                .conversation_messages(user, conversation, lo, hi, "")
                .scan_index_forward(forward)
                .limit(limit as i32 + 1 - entries.len() as i32)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items() {
                entries.push(items::entry_from(item)?);
            }
            start = out.last_evaluated_key().filter(|k| !k.is_empty()).cloned();
            if entries.len() > limit as usize || start.is_none() {
                break;
            }
        }
        let more = entries.len() > limit as usize;
        entries.truncate(limit as usize);
        let next = match (&start, more) {
            (_, true) => entries.last().map(|e| e.seq),
            // Stopped reading with the range unfinished: go on past what was read.
            (Some(key), false) => Some(items::get_n(key, m::SK, "history cursor")?),
            (None, false) => None,
        };
        Ok(Page { entries, next, oldest: None })
    }
}

/// Most Queries one `history` page makes (when many update entries are skipped).
const HISTORY_READS: usize = 4;

impl InboxStore for DynamoStore {
    async fn append(&self, msg: &NewMessage) -> Result<AppendOutcome, StoreError> {
        // Boxed: the append's state (its reads, rounds and chunked fan-out) is large, and a
        // debug build polls it on the caller's stack.
        Box::pin(crate::append::append(self, msg)).await
    }

    async fn sync(&self, user: &UserId, after: u64, limit: u32) -> Result<Page, StoreError> {
        if self.retention.is_on() {
            return self.sync_kept(user, after, limit).await;
        }
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
        let upper = match before {
            Some(0) => return Ok(Page::default()),
            Some(b) => b - 1,
            None => u64::MAX,
        };
        self.messages_page(user, conversation, (0, upper), false, limit).await
    }

    async fn send_bucket(&self, user: &UserId) -> Result<Option<chat_core::ratelimit::Bucket>, StoreError> {
        let mut latest = crate::txn::latest_entries(self, std::slice::from_ref(user)).await?;
        Ok(latest.remove(user).and_then(|l| l.bucket))
    }

    async fn history_after(
        &self,
        user: &UserId,
        conversation: &Conversation,
        after: u64,
        limit: u32,
    ) -> Result<Page, StoreError> {
        let (lo, hi) = (after.saturating_add(1), u64::MAX);
        let mut page = self.messages_page(user, conversation, (lo, hi), true, limit).await?;
        page.entries.reverse();
        Ok(page)
    }
}
