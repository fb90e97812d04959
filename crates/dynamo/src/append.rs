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
//! (`locks::InboxLocks`): the devserver, and a Lambda instance, never race themselves. Races
//! between Lambda instances remain and are resolved by the retries above.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use chat_core::message::{AppendOutcome, IDEMPOTENCY_TTL_MS, NewMessage, StoredAck};
use chat_core::schema::state as st;
use chat_core::store::StoreError;

use crate::items::{self, get_n, n};
use crate::store::DynamoStore;
use crate::txn::{
    BucketWrite, MAX_ROUNDS, backoff, build, counter_write, entry_write, is_retryable_cancel, read_state,
};
use crate::unavailable;

/// DynamoDB's limit on items in one transaction: idempotency + 2 per participant.
pub(crate) const MAX_PARTICIPANTS_PER_TRANSACTION: usize = 49;

/// What one round found out.
enum Round {
    Done(AppendOutcome),
    Retry,
    /// An interrupted chunked fan-out of this send must be finished.
    Resume,
}

pub(crate) async fn append(store: &DynamoStore, msg: &NewMessage) -> Result<AppendOutcome, StoreError> {
    let _guards = store.inbox_locks.lock_all(&msg.participants).await;
    if msg.participants.len() > MAX_PARTICIPANTS_PER_TRANSACTION {
        return crate::fanout::append_chunked(store, msg).await;
    }
    for round in 0..MAX_ROUNDS {
        match append_round(store, msg).await? {
            Round::Done(outcome) => return Ok(outcome),
            Round::Resume => return crate::fanout::append_chunked(store, msg).await,
            Round::Retry => tokio::time::sleep(backoff(round)).await,
        }
    }
    Err(StoreError::Contention)
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
        if items::is_pending(item) {
            // A chunked fan-out of this send was interrupted: only the chunked path may
            // finish it (whatever the membership is now), never ack it half stored.
            return Ok(Round::Resume);
        }
        if ack.msg_id == msg.msg_id {
            // Our own write from an earlier round: its response was lost (a timeout, or an
            // SDK retry of a transaction that had committed), but the write stands.
            return Ok(Round::Done(AppendOutcome::Stored { ack, seqs: items::seqs_from(item)? }));
        }
        if ack.ts + IDEMPOTENCY_TTL_MS > msg.ts {
            let outcome = if ack.matches(msg) { AppendOutcome::Duplicate(ack) } else { AppendOutcome::Conflict };
            return Ok(Round::Done(outcome));
        }
    }
    let mut seqs = Vec::with_capacity(msg.participants.len());
    let mut writes = Vec::with_capacity(1 + 2 * msg.participants.len());
    // The sender's send limit rides on its counter, which this transaction writes anyway.
    let sender_counter = state.get(&st::counter_key(msg.from.as_str()));
    let bucket = match msg.limit {
        None => None,
        Some(limit) => {
            let read = sender_counter.and_then(items::bucket_from);
            match limit.take(read, msg.ts) {
                Err(retry_after_ms) => return Ok(Round::Done(AppendOutcome::RateLimited { retry_after_ms })),
                Ok(new) => Some(BucketWrite { read_at: read.map(|b| b.at_ms), new }),
            }
        }
    };
    for user in &msg.participants {
        let key = st::counter_key(user.as_str());
        let current = match state.get(&key) {
            Some(item) => get_n(item, st::SEQ, "seq counter")?,
            None => 0,
        };
        let next = current + 1;
        seqs.push((user.clone(), next));
        let charge = if *user == msg.from { bucket } else { None };
        writes.push(counter_write(&store.tables.state, &key, current, next, charge)?);
        let mut entry = items::entry_item(user, &msg.entry_at(next));
        entry.shrink_to_fit();
        writes.push(entry_write(&store.tables.messages, entry)?);
    }
    let sender_seq = seqs.iter().find(|(u, _)| *u == msg.from).map_or(0, |(_, s)| *s);
    let ack = msg.ack(sender_seq);
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
