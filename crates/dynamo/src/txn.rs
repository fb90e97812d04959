//! The building blocks both append paths share (`append`: one transaction; `fanout`:
//! resumable chunks): consistent state reads, the conditional counter and entry writes, and
//! the retry policy for cancelled transactions.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{KeysAndAttributes, Put, TransactWriteItem, Update};
use chat_core::ids::UserId;
use chat_core::message::{IDEMPOTENCY_TTL_MS, NewMessage};
use chat_core::ratelimit::Bucket;
use chat_core::schema::{messages as m, state as st};
use chat_core::store::StoreError;

use crate::conversations::{Holder, amend_summary_write, message_summary_write, original_write};
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

/// A send-limit bucket to write with a counter: the new state, and the `at` of the state
/// it was computed from (the write's condition), `None` for a bucket never stored.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BucketWrite {
    pub(crate) read_at: Option<u64>,
    pub(crate) new: Bucket,
}

/// Whether `conversation` is the one of the latest entry in the inbox whose counter is
/// `counter` (then its summary's `activity` need not move).
pub(crate) fn on_top(counter: Option<&Item>, conversation: &str) -> bool {
    counter.and_then(|c| c.get(st::TOP)).and_then(|v| v.as_s().ok()).is_some_and(|t| t == conversation)
}

/// One participant's share of an append, besides its counter: the inbox entry at `next`,
/// the summary, and for an edit or delete the change to the message itself.
pub(crate) fn participant_writes(
    store: &DynamoStore,
    msg: &NewMessage,
    user: &UserId,
    next: u64,
    on_top: bool,
    holder: Option<&Holder>,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let entry = msg.entry_at(next);
    let mut item = items::entry_item(user, &entry);
    item.shrink_to_fit();
    let mut writes = vec![entry_write(&store.tables.messages, item)?];
    let summaries = &store.tables.conversations;
    match (msg.amends, holder) {
        (None, _) => writes.push(message_summary_write(summaries, user, &entry, msg.name.as_deref(), on_top)?),
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

/// Items one participant adds to a transaction besides its counter (and marker).
pub(crate) fn items_per_participant(msg: &NewMessage) -> usize {
    if msg.amends.is_some() { 3 } else { 2 }
}

/// Moves a seq counter from `current` (0: absent) to `next`, conditionally, noting the
/// conversation of the new latest entry (`top`); with a bucket, also the sender's send
/// tokens, conditional on the bucket being the one read.
pub(crate) fn counter_write(
    table: &str,
    key: &str,
    current: u64,
    next: u64,
    top: &str,
    bucket: Option<BucketWrite>,
) -> Result<TransactWriteItem, StoreError> {
    let mut update = Update::builder()
        .table_name(table)
        .key(st::PK, s(key))
        .expression_attribute_names("#seq", st::SEQ)
        .expression_attribute_names("#top", st::TOP)
        .expression_attribute_values(":top", s(top))
        .expression_attribute_values(":next", n(next));
    let mut condition =
        if current == 0 { "attribute_not_exists(#seq)".to_owned() } else { "#seq = :current".to_owned() };
    if current != 0 {
        update = update.expression_attribute_values(":current", n(current));
    }
    match bucket {
        None => update = update.update_expression("SET #seq = :next, #top = :top"),
        Some(b) => {
            update = update
                .update_expression("SET #seq = :next, #top = :top, #tok = :tok, #tat = :tat")
                .expression_attribute_names("#tok", st::TOKENS)
                .expression_attribute_names("#tat", st::TOKENS_AT)
                .expression_attribute_values(":tok", items::f(b.new.tokens))
                .expression_attribute_values(":tat", n(b.new.at_ms));
            // The bucket must still be the one read: another writer of these tokens (the
            // chunked path's charge) changes `tokensAt` without moving the seq.
            match b.read_at {
                None => condition.push_str(" AND attribute_not_exists(#tat)"),
                Some(at) => {
                    update = update.expression_attribute_values(":readAt", n(at));
                    condition.push_str(" AND #tat = :readAt");
                }
            }
        }
    }
    Ok(TransactWriteItem::builder().update(build(update.condition_expression(condition).build())?).build())
}

pub(crate) fn entry_write(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#sk)")
        .expression_attribute_names("#sk", m::SK);
    Ok(TransactWriteItem::builder().put(build(put.build())?).build())
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
