//! The building blocks both append paths share (`append`: one transaction; `fanout`:
//! resumable chunks): consistent reads of state items and of each inbox's latest entry,
//! the conditional entry write, each participant's share of writes, and the retry policy
//! for cancelled transactions.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{KeysAndAttributes, Put, TransactWriteItem};
use chat_core::ids::UserId;
use chat_core::message::{IDEMPOTENCY_TTL_MS, NewMessage, UpdateKind};
use chat_core::ratelimit::Bucket;
use chat_core::schema::{messages as m, state as st};
use chat_core::store::StoreError;

use crate::conversations::{amend_summary_write, message_summary_write, original_write};
use crate::holders::Holder;
use crate::items::{self, Item, n, s};
use crate::store::DynamoStore;
use crate::unavailable;

/// How many read-then-write rounds a contended append may take before giving up.
pub(crate) const MAX_ROUNDS: u32 = 60;
/// Turns an SDK builder's error into a store error.
pub(crate) fn build<T, E: std::error::Error + Send + Sync + 'static>(r: Result<T, E>) -> Result<T, StoreError> {
    r.map_err(|e| StoreError::Unavailable(Box::new(e)))
}

/// Exponential backoff with full jitter, capped at 200 ms.
pub(crate) fn backoff(round: u32) -> Duration {
    let cap = 5u64.saturating_mul(1 << round.min(6)).min(200);
    let jitter = u64::from(ulid::Ulid::new().random() as u32) % (cap + 1);
    Duration::from_millis(jitter)
}

/// Reads state items (counters, idempotency records, markers; at most 100) in one
/// consistent batch, keyed by `pk`.
pub(crate) async fn read_state(store: &DynamoStore, keys: Vec<String>) -> Result<HashMap<String, Item>, StoreError> {
    let keys: Vec<Item> = keys.into_iter().map(|k| Item::from([(st::PK.to_owned(), s(k))])).collect();
    let mut found = HashMap::new();
    for item in store.batch_get(&store.tables.state, keys).await? {
        if let Ok(pk) = items::get_s(&item, st::PK, "state item") {
            found.insert(pk.to_owned(), item);
        }
    }
    Ok(found)
}

impl DynamoStore {
    /// Reads up to 100 items of `table` in one consistent `BatchGetItem`, asking again for
    /// keys DynamoDB leaves unprocessed (it does under throttling).
    pub(crate) async fn batch_get(&self, table: &str, keys: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::with_capacity(keys.len());
        let mut pending = Some(build(KeysAndAttributes::builder().set_keys(Some(keys)).consistent_read(true).build())?);
        for _ in 0..5 {
            let Some(request) = pending.take() else { break };
            let out = self.client.batch_get_item().request_items(table, request).send().await.map_err(unavailable)?;
            found.extend(out.responses().and_then(|r| r.get(table)).into_iter().flatten().cloned());
            pending = out.unprocessed_keys().and_then(|u| u.get(table)).cloned();
        }
        if pending.is_some() {
            return Err(StoreError::Contention);
        }
        Ok(found)
    }
}

/// Puts `item` (a state item keyed by `pk`, with its `ts`) unless a live one is there: an
/// idempotency claim for 24 hours from `now_ms` (it gets the matching TTL). Returns whether
/// this call made the claim.
pub(crate) async fn claim_for_a_day(store: &DynamoStore, mut item: Item, now_ms: u64) -> Result<bool, StoreError> {
    item.insert(st::TS.to_owned(), n(now_ms));
    item.insert(st::TTL.to_owned(), n((now_ms + IDEMPOTENCY_TTL_MS).div_ceil(1000)));
    let put = store
        .client
        .put_item()
        .table_name(&store.tables.state)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#pk) OR #ts <= :cutoff")
        .expression_attribute_names("#pk", st::PK)
        .expression_attribute_names("#ts", st::TS)
        .expression_attribute_values(":cutoff", n(now_ms.saturating_sub(IDEMPOTENCY_TTL_MS)))
        .send()
        .await;
    match put {
        Ok(_) => Ok(true),
        Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(false),
        Err(e) => Err(unavailable(e)),
    }
}

/// The latest entry of an inbox, as the next append needs it: its seq (the next one is
/// one past it), its conversation (is that one already the owner's most recent?) and the
/// owner's send bucket it carries.
#[derive(Debug, Clone, Default)]
pub(crate) struct Latest {
    /// The latest seq, 0 for an empty inbox.
    pub(crate) seq: u64,
    /// Its conversation.
    pub(crate) conversation: Option<String>,
    /// The owner's bucket as of that entry.
    pub(crate) bucket: Option<Bucket>,
}

impl Latest {
    /// Whether `conversation` is the one of this latest entry (its summary's `activity`
    /// then need not move).
    pub(crate) fn on_top(&self, conversation: &str) -> bool {
        self.conversation.as_deref() == Some(conversation)
    }
}

/// How many latest-entry Queries run at once: every participant of one transaction.
const LATEST_CONCURRENCY: usize = 50;

/// The latest entry of each of `users`' inboxes: one consistent Query each (newest first,
/// one item), a few at a time.
pub(crate) async fn latest_entries(
    store: &DynamoStore,
    users: &[UserId],
) -> Result<HashMap<UserId, Latest>, StoreError> {
    use futures_util::stream::{self, StreamExt, TryStreamExt};
    stream::iter(users.iter().cloned())
        .map(|user| async move {
            let out = store
                .client
                .query()
                .table_name(&store.tables.messages)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", m::PK)
                .expression_attribute_names("#seq", m::SK)
                .expression_attribute_names("#conv", m::CONVERSATION)
                .expression_attribute_names("#tok", m::TOKENS)
                .expression_attribute_names("#tat", m::TOKENS_AT)
                .projection_expression("#seq, #conv, #tok, #tat")
                .expression_attribute_values(":pk", s(user.as_str()))
                .scan_index_forward(false)
                .limit(1)
                .consistent_read(true)
                .send()
                .await
                .map_err(unavailable)?;
            let latest = match out.items().first() {
                // Every entry expired and was deleted (retention): go on from the seq the
                // summaries still know, never from 1 again.
                None if store.retention.is_on() => match store.latest_after_expiry(&user).await? {
                    Some((seq, conversation)) => Latest { seq, conversation: Some(conversation), bucket: None },
                    None => Latest::default(),
                },
                None => Latest::default(),
                Some(item) => Latest {
                    seq: items::get_n(item, m::SK, "inbox entry")?,
                    conversation: item.get(m::CONVERSATION).and_then(|v| v.as_s().ok()).cloned(),
                    bucket: items::bucket_from(item),
                },
            };
            Ok::<_, StoreError>((user, latest))
        })
        .buffer_unordered(LATEST_CONCURRENCY)
        .try_collect()
        .await
}

/// One participant's share of an append: the inbox entry at `next` (carrying the owner's
/// send bucket, `bucket`), the summary, and for an edit or delete the change to the
/// message itself.
pub(crate) fn participant_writes(
    store: &DynamoStore,
    msg: &NewMessage,
    user: &UserId,
    latest: &Latest,
    bucket: Option<Bucket>,
    holder: Option<&Holder>,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let entry = msg.entry_at(latest.seq + 1);
    let on_top = latest.on_top(&entry.conversation.to_string());
    let mut item = items::entry_item(user, &entry);
    store.set_expiry(&mut item, entry.ts);
    items::with_bucket(&mut item, bucket);
    item.shrink_to_fit();
    let mut writes = vec![entry_write(&store.tables.messages, item)?];
    let summaries = &store.tables.conversations;
    match (msg.amends, holder) {
        (None, _) => writes.push(message_summary_write(summaries, user, &entry, msg.name.as_deref(), on_top)?),
        // A reaction: the message's counts, and no summary (the list does not move).
        (Some(UpdateKind::Reaction), Some(h)) => writes.push(crate::rich::reaction_write(
            &store.tables.messages,
            user,
            (h.original_seq, entry.seq),
            &msg.body,
            msg.removed,
            *user == msg.from,
        )?),
        (Some(kind), Some(h)) => {
            writes.push(original_write(&store.tables.messages, user, h.original_seq, kind, &msg.body, msg.ts)?);
            if h.has_summary {
                writes.push(amend_summary_write(summaries, user, &entry, h.last_is_target, on_top)?);
            }
        }
        (Some(_), None) => return Err(StoreError::Corrupt(format!("an edit for {user}, who does not hold it"))),
    }
    Ok(writes)
}

/// Items one participant adds to a transaction: entry and summary, for an edit or delete
/// also the message changed in place; a reaction's entry and the message's counts.
pub(crate) fn items_per_participant(msg: &NewMessage) -> usize {
    match msg.amends {
        Some(UpdateKind::Reaction) | None => 2,
        Some(_) => 3,
    }
}

/// Puts an inbox entry at its seq only if that seq is still free: this condition is what
/// makes seqs unique and gap-free (the seq is one past the latest entry read, and a
/// concurrent writer that took it first cancels the transaction).
pub(crate) fn entry_write(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#sk)")
        .expression_attribute_names("#sk", m::SK);
    Ok(TransactWriteItem::builder().put(build(put.build())?).build())
}

/// The positions of a cancelled transaction's items whose condition failed.
pub(crate) fn failed_conditions<R>(e: &SdkError<TransactWriteItemsError, R>) -> Vec<usize> {
    match e.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(t)) => t
            .cancellation_reasons()
            .iter()
            .enumerate()
            .filter(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
            .map(|(i, _)| i)
            .collect(),
        _ => Vec::new(),
    }
}

/// A cancellation caused by a failed condition or a conflicting transaction: someone
/// else wrote first, so reading again and retrying will make progress.
pub(crate) fn is_retryable_cancel<R>(e: &SdkError<TransactWriteItemsError, R>) -> bool {
    match e.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(t)) => t
            .cancellation_reasons()
            .iter()
            .filter_map(|r| r.code())
            .all(|code| matches!(code, "None" | "ConditionalCheckFailed" | "TransactionConflict")),
        _ => false,
    }
}
