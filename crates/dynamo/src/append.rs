//! The append: every participant's next seq, its inbox entry and the idempotency record,
//! in one `TransactWriteItems`, so a failure at any point leaves no gap and no half-sent
//! message.
//!
//! 1. One consistent `BatchGetItem` reads each participant's counter and the
//!    `(sender, clientMsgId)` record. A live record means a resend: return its ack.
//! 2. One `TransactWriteItems` writes, all or nothing: the idempotency record (condition:
//!    absent or expired), each counter moved from the value read to the next (condition:
//!    unchanged since the read), and each inbox entry at its new seq.
//!
//! A concurrent writer to the same inbox makes a counter condition fail and the whole
//! transaction cancel; we read again and retry with jittered backoff. Nothing was written,
//! so no seq is lost. Two round trips in the common case; a 1:1 send writes 5 items.
//!
//! Optimistic retries cost O(n²) attempts when n writers race for one inbox, so appends
//! that one process makes to the same inboxes are first serialized in-process
//! ([`InboxLocks`]): the devserver, and a Lambda instance, never race themselves. Races
//! between Lambda instances remain and are resolved by the retries above.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{KeysAndAttributes, Put, TransactWriteItem, Update};
use chat_core::message::{AppendOutcome, IDEMPOTENCY_TTL_MS, NewMessage, StoredAck};
use chat_core::schema::{messages as m, state as st};
use chat_core::store::StoreError;

use crate::items::{self, Item, get_n, n, s};
use crate::store::DynamoStore;
use crate::unavailable;

/// How many read-then-write rounds a contended append may take before giving up.
pub(crate) const MAX_ROUNDS: u32 = 60;
/// DynamoDB's limit on items in one transaction: idempotency + 2 per participant.
pub(crate) const MAX_PARTICIPANTS_PER_TRANSACTION: usize = 49;

pub(crate) fn build<T, E: std::error::Error + Send + Sync + 'static>(r: Result<T, E>) -> Result<T, StoreError> {
    r.map_err(|e| StoreError::Unavailable(Box::new(e)))
}

/// What one round found out.
enum Round {
    Done(AppendOutcome),
    Retry,
}

/// Striped in-process locks over inboxes: a user id hashes to one of 256 stripes.
#[derive(Debug)]
pub(crate) struct InboxLocks([tokio::sync::Mutex<()>; 256]);

impl Default for InboxLocks {
    fn default() -> Self {
        Self(std::array::from_fn(|_| tokio::sync::Mutex::new(())))
    }
}

impl InboxLocks {
    /// Locks the stripes of all `users`, in ascending order so two callers never deadlock.
    async fn lock_all(&self, users: &[chat_core::ids::UserId]) -> Vec<tokio::sync::MutexGuard<'_, ()>> {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let hasher = BuildHasherDefault::<DefaultHasher>::default();
        let mut stripes: Vec<usize> = users.iter().map(|u| (hasher.hash_one(u) % 256) as usize).collect();
        stripes.sort_unstable();
        stripes.dedup();
        let mut guards = Vec::with_capacity(stripes.len());
        for i in stripes {
            guards.push(self.0[i].lock().await);
        }
        guards
    }
}

pub(crate) async fn append(store: &DynamoStore, msg: &NewMessage) -> Result<AppendOutcome, StoreError> {
    let _guards = store.inbox_locks.lock_all(&msg.participants).await;
    if msg.participants.len() > MAX_PARTICIPANTS_PER_TRANSACTION {
        return crate::fanout::append_chunked(store, msg).await;
    }
    for round in 0..MAX_ROUNDS {
        match append_round(store, msg).await? {
            Round::Done(outcome) => return Ok(outcome),
            Round::Retry => tokio::time::sleep(backoff(round)).await,
        }
    }
    Err(StoreError::Contention)
}

/// Exponential backoff with full jitter, capped at 200 ms.
pub(crate) fn backoff(round: u32) -> Duration {
    let cap = 5u64.saturating_mul(1 << round.min(6)).min(200);
    let jitter = u64::from(ulid::Ulid::new().random() as u32) % (cap + 1);
    Duration::from_millis(jitter)
}

async fn append_round(store: &DynamoStore, msg: &NewMessage) -> Result<Round, StoreError> {
    let idem_key = st::idempotency_key(msg.from.as_str(), msg.client_msg_id.as_str());
    let mut keys: Vec<String> = msg.participants.iter().map(|u| st::counter_key(u.as_str())).collect();
    if !msg.is_system() {
        keys.push(idem_key.clone());
    }
    let state = read_state(store, keys).await?;
    if let Some(item) = state.get(&idem_key) {
        let ack = items::ack_from(item)?;
        if ack.msg_id == msg.msg_id {
            // Our own write from an earlier round: its response was lost (a timeout, or an
            // SDK retry of a transaction that had committed), but the write stands.
            return Ok(Round::Done(AppendOutcome::Stored { ack, seqs: items::seqs_from(item)? }));
        }
        if ack.ts + IDEMPOTENCY_TTL_MS > msg.ts {
            return Ok(Round::Done(AppendOutcome::Duplicate(ack)));
        }
    }
    let mut seqs = Vec::with_capacity(msg.participants.len());
    let mut writes = Vec::with_capacity(1 + 2 * msg.participants.len());
    for user in &msg.participants {
        let key = st::counter_key(user.as_str());
        let current = match state.get(&key) {
            Some(item) => get_n(item, st::SEQ, "seq counter")?,
            None => 0,
        };
        let next = current + 1;
        seqs.push((user.clone(), next));
        writes.push(counter_write(&store.tables.state, &key, current, next)?);
        let mut entry = items::entry_item(user, &msg.entry_at(next));
        entry.shrink_to_fit();
        writes.push(entry_write(&store.tables.messages, entry)?);
    }
    let sender_seq = seqs.iter().find(|(u, _)| *u == msg.from).map_or(0, |(_, s)| *s);
    let ack =
        StoredAck { msg_id: msg.msg_id.clone(), seq: sender_seq, conversation: msg.conversation.clone(), ts: msg.ts };
    if !msg.is_system() {
        writes.insert(0, idempotency_write(&store.tables.state, &idem_key, &ack, &seqs, msg.ts)?);
    }
    let result = store.client.transact_write_items().set_transact_items(Some(writes)).send().await;
    match result {
        Ok(_) => Ok(Round::Done(AppendOutcome::Stored { ack, seqs })),
        Err(e) if is_retryable_cancel(&e) => Ok(Round::Retry),
        Err(e) => Err(unavailable(e)),
    }
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

pub(crate) fn counter_write(table: &str, key: &str, current: u64, next: u64) -> Result<TransactWriteItem, StoreError> {
    let update = Update::builder()
        .table_name(table)
        .key(st::PK, s(key))
        .update_expression("SET #seq = :next")
        .expression_attribute_names("#seq", st::SEQ)
        .expression_attribute_values(":next", n(next));
    let update = if current == 0 {
        update.condition_expression("attribute_not_exists(#seq)")
    } else {
        update.condition_expression("#seq = :current").expression_attribute_values(":current", n(current))
    };
    Ok(TransactWriteItem::builder().update(build(update.build())?).build())
}

pub(crate) fn entry_write(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#sk)")
        .expression_attribute_names("#sk", m::SK);
    Ok(TransactWriteItem::builder().put(build(put.build())?).build())
}

fn idempotency_write(
    table: &str,
    key: &str,
    ack: &StoredAck,
    seqs: &[(chat_core::ids::UserId, u64)],
    now_ms: u64,
) -> Result<TransactWriteItem, StoreError> {
    let expires_ms = ack.ts + IDEMPOTENCY_TTL_MS;
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(items::ack_item(key, ack, seqs, expires_ms.div_ceil(1000))))
        .condition_expression("attribute_not_exists(#pk) OR #ts <= :cutoff")
        .expression_attribute_names("#pk", st::PK)
        .expression_attribute_names("#ts", st::TS)
        .expression_attribute_values(":cutoff", n(now_ms.saturating_sub(IDEMPOTENCY_TTL_MS)));
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
