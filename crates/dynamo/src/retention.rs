//! Retention on DynamoDB (`chat_core::retention`): every inbox entry written while a
//! retention is on carries its expiry in the `ttl` attribute (on the item the append
//! writes anyway: no request, no item more), which DynamoDB's TTL deletes for free, lazily
//! (typically within 48 hours of the expiry). Until then, readers leave expired entries out
//! with a filter on the same attribute.
//!
//! - `sync` reads ascending from `after`: the first entry it keeps is the oldest kept of
//!   the inbox (entries expire from the low end), so a gap before it is reported
//!   (`Page::oldest`) at no extra cost. Expired entries not yet deleted still count
//!   against a Query's `Limit`, so when a Query keeps too few, the next one reads more at
//!   once, a few times, then the page ends with a cursor past them (never early without
//!   one). With retention off, or nothing expired, it is the one Query it always was.
//! - An inbox whose entries all expired and were deleted has no latest entry to take the
//!   next seq from: the append then reads the `lastSeq` of its most recent conversation
//!   summary (the seq of its latest message or edit; summaries never expire): one Query
//!   more for a new inbox, a Query and a GetItem for an expired one (`latest_after_expiry`). A reaction moves no summary, so an inbox whose last entries
//!   were reactions and then all expired reuses their seqs (see docs/reliability.md).

use chat_core::ids::UserId;
use chat_core::schema::{conversations as cv, messages as m};
use chat_core::store::{Page, StoreError};

use crate::items::{self, Item, get_n, n, s};
use crate::store::DynamoStore;
use crate::unavailable;

/// The filter that leaves out expired entries; its names and values are added by
/// [`with_expiry_filter`].
pub(crate) const KEPT: &str = "(attribute_not_exists(#exp) OR #exp > :now_s)";

/// Most Queries one `sync` page makes past expired entries not deleted yet.
const SYNC_READS: usize = 6;

/// The most items one of those Queries reads.
const MAX_READ: i32 = 1000;

type QueryBuilder = aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;

impl DynamoStore {
    /// `query` with [`KEPT`]'s names and values (the filter itself is the caller's to
    /// set), when a retention is on.
    pub(crate) fn with_expiry_names(&self, query: QueryBuilder) -> QueryBuilder {
        if !self.retention.is_on() {
            return query;
        }
        query
            .expression_attribute_names("#exp", m::TTL)
            .expression_attribute_values(":now_s", n(self.retention.now_s()))
    }

    /// Adds the entry's expiry to its item, while a retention is on.
    pub(crate) fn set_expiry(&self, item: &mut Item, written_ms: u64) {
        if let Some(at) = self.retention.expires_at_s(written_ms) {
            item.insert(m::TTL.to_owned(), n(at));
        }
    }

    /// Whether an inbox item is past its expiry.
    pub(crate) fn expired_item(&self, item: &Item) -> bool {
        self.retention.expired(item.get(m::TTL).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok()))
    }

    /// `sync` with a retention on: see the module's doc.
    pub(crate) async fn sync_kept(&self, user: &UserId, after: u64, limit: u32) -> Result<Page, StoreError> {
        let mut entries = Vec::with_capacity(limit as usize + 1);
        let mut start = None;
        let mut read = limit as i32 + 1;
        for _ in 0..SYNC_READS {
            let query = self
                .client
                .query()
                .table_name(&self.tables.messages)
                .key_condition_expression("#pk = :pk AND #sk > :after")
                .filter_expression(KEPT)
                .expression_attribute_names("#pk", m::PK)
                .expression_attribute_names("#sk", m::SK)
                .expression_attribute_values(":pk", s(user.as_str()))
                .expression_attribute_values(":after", n(after))
                .scan_index_forward(true)
                .consistent_read(true)
                .limit(read)
                .set_exclusive_start_key(start.take());
            let out = self.with_expiry_names(query).send().await.map_err(unavailable)?;
            for item in out.items() {
                entries.push(items::entry_from(item)?);
            }
            start = out.last_evaluated_key().filter(|k| !k.is_empty()).cloned();
            if entries.len() > limit as usize || start.is_none() {
                break;
            }
            // Only expired entries so far: read more of them at once.
            read = if entries.is_empty() { (read * 4).min(MAX_READ) } else { limit as i32 + 1 - entries.len() as i32 };
        }
        let more = entries.len() > limit as usize;
        entries.truncate(limit as usize);
        let next = match (&start, more) {
            (_, true) => entries.last().map(|e| e.seq),
            (Some(key), false) => Some(get_n(key, m::SK, "sync cursor")?),
            (None, false) => None,
        };
        let oldest = entries.first().map(|e| e.seq).filter(|s| *s > after.saturating_add(1));
        Ok(Page { entries, next, oldest })
    }

    /// The latest seq of an inbox none of whose entries is left (all expired and deleted
    /// by TTL), with the conversation it was in: the `lastSeq` of its most recent
    /// conversation (highest `activity`): a Query on `byActivity`, then a GetItem of that
    /// summary. `None`: a new inbox.
    pub(crate) async fn latest_after_expiry(&self, user: &UserId) -> Result<Option<(u64, String)>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.tables.conversations)
            .index_name(cv::BY_ACTIVITY_INDEX)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", cv::PK)
            .expression_attribute_values(":pk", s(user.as_str()))
            .scan_index_forward(false)
            .limit(1)
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let Some(key) = out.items().first() else { return Ok(None) };
        let conversation = items::get_s(key, cv::SK, "conversation index entry")?.to_owned();
        // `lastSeq` is not in the (keys only) index: read the summary (a local index would
        // fetch it in the same request, but not every emulator does).
        let summary = self
            .client
            .get_item()
            .table_name(&self.tables.conversations)
            .key(cv::PK, s(user.as_str()))
            .key(cv::SK, s(&conversation))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let Some(item) = summary.item() else { return Ok(None) };
        Ok(Some((get_n(item, cv::LAST_SEQ, "conversation summary")?, conversation)))
    }
}
