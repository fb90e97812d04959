//! Appends to more participants than one transaction holds (groups over 33 members; edits
//! and deletes over 24).
//!
//! 1. Claim the `(sender, clientMsgId)` record with a conditional put, marked `pending`,
//!    holding the message id and time. A resend that finds a pending claim resumes it with
//!    the claimed id; one that finds a complete record gets its ack.
//! 2. Write the participants in chunks of 25 (20 for an edit or delete), up to 4 chunks at
//!    once. Each chunk is one transaction per round: for each participant its counter
//!    (read, then moved on under a condition), its inbox entry, its conversation summary
//!    (and the change to the message, for an edit), and a delivery marker
//!    `dlv#<msgId>#<user>` (condition: absent). A participant whose marker exists already has the message, so a resumed
//!    append never stores anything twice, and each inbox stays gap-free: entry and counter
//!    move together.
//! 3. Complete the record with the sender's seq and everyone's seqs; only then ack.
//!
//! A failure before step 3 leaves some inboxes with the message and no ack; the client's
//! retry with the same `clientMsgId` finishes the rest, exactly once.

use std::collections::HashMap;

use futures_util::future::join_all;

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use chat_core::ids::{MsgId, UserId};
use chat_core::message::{AppendOutcome, IDEMPOTENCY_TTL_MS, NewMessage};
use chat_core::ratelimit::RateLimit;
use chat_core::schema::state as st;
use chat_core::store::StoreError;

use crate::conversations::Holder;
use crate::items::{self, Item, get_n, n, s};
use crate::store::DynamoStore;
use crate::txn::{
    MAX_ROUNDS, backoff, build, claim_for_a_day, counter_write, is_retryable_cancel, items_per_participant, on_top,
    participant_writes, read_state,
};
use crate::unavailable;

const CONCURRENT_CHUNKS: usize = 4;

/// Participants per chunk: counter, marker and their share of items each, at most 100.
fn chunk_size(msg: &NewMessage) -> usize {
    100 / (2 + items_per_participant(msg))
}

enum Claim {
    Fresh,
    Resume { msg_id: MsgId, ts: u64 },
    Done(AppendOutcome),
}

pub(crate) async fn append_chunked(
    store: &DynamoStore,
    msg: &NewMessage,
    holders: &HashMap<UserId, Holder>,
) -> Result<AppendOutcome, StoreError> {
    let idem_key = st::idempotency_key(msg.from.as_str(), msg.client_msg_id.as_str());
    if let Some(limit) = msg.limit
        && !msg.is_system()
        && !recorded(store, msg, &idem_key).await?
        && let Err(retry_after_ms) = charge(store, msg, limit).await?
    {
        return Ok(AppendOutcome::RateLimited { retry_after_ms });
    }
    let msg = if msg.is_system() {
        msg.clone()
    } else {
        match claim(store, msg, &idem_key).await? {
            Claim::Fresh => msg.clone(),
            Claim::Resume { msg_id, ts } => NewMessage { msg_id, ts, ..msg.clone() },
            Claim::Done(outcome) => return Ok(outcome),
        }
    };
    let chunks: Vec<&[UserId]> = msg.participants.chunks(chunk_size(&msg)).collect();
    let mut seqs = Vec::with_capacity(msg.participants.len());
    for wave in chunks.chunks(CONCURRENT_CHUNKS) {
        for chunk in join_all(wave.iter().map(|c| write_chunk(store, &msg, c, holders))).await {
            seqs.extend(chunk?);
        }
    }
    let sender_seq = seqs.iter().find(|(u, _)| *u == msg.from).map_or(0, |(_, q)| *q);
    let ack = msg.ack(sender_seq);
    if !msg.is_system() {
        let ttl = (msg.ts + IDEMPOTENCY_TTL_MS).div_ceil(1000);
        store
            .client
            .put_item()
            .table_name(&store.tables.state)
            .set_item(Some(items::ack_item(&idem_key, &ack, &seqs, ttl)))
            .send()
            .await
            .map_err(unavailable)?;
    }
    Ok(AppendOutcome::Stored { ack, seqs })
}

/// Whether a live idempotency record of this `(from, clientMsgId)` exists: a resend (or
/// a conflict, or a resume) is answered without charging the send limit.
async fn recorded(store: &DynamoStore, msg: &NewMessage, key: &str) -> Result<bool, StoreError> {
    let state = read_state(store, vec![key.to_owned()]).await?;
    Ok(match state.get(key) {
        Some(item) => items::ack_from(item)?.ts + IDEMPOTENCY_TTL_MS > msg.ts,
        None => false,
    })
}

/// Takes one send token from the sender's bucket on its counter item, with a conditional
/// update of the tokens alone (this path writes the counter in a later chunk). Returns
/// how long to wait when the bucket is empty.
async fn charge(store: &DynamoStore, msg: &NewMessage, limit: RateLimit) -> Result<Result<(), u64>, StoreError> {
    let key = st::counter_key(msg.from.as_str());
    for round in 0..MAX_ROUNDS {
        let state = read_state(store, vec![key.clone()]).await?;
        let read = state.get(&key).and_then(items::bucket_from);
        let new = match limit.take(read, msg.ts) {
            Ok(new) => new,
            Err(retry_after_ms) => return Ok(Err(retry_after_ms)),
        };
        let mut update = store
            .client
            .update_item()
            .table_name(&store.tables.state)
            .key(st::PK, s(&key))
            .update_expression("SET #tok = :tok, #tat = :tat")
            .expression_attribute_names("#tok", st::TOKENS)
            .expression_attribute_names("#tat", st::TOKENS_AT)
            .expression_attribute_values(":tok", items::f(new.tokens))
            .expression_attribute_values(":tat", n(new.at_ms));
        update = match read {
            None => update.condition_expression("attribute_not_exists(#tat)"),
            Some(b) => update.condition_expression("#tat = :readAt").expression_attribute_values(":readAt", n(b.at_ms)),
        };
        match update.send().await {
            Ok(_) => return Ok(Ok(())),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                tokio::time::sleep(backoff(round)).await;
            }
            Err(e) => return Err(unavailable(e)),
        }
    }
    Err(StoreError::Contention)
}

async fn claim(store: &DynamoStore, msg: &NewMessage, key: &str) -> Result<Claim, StoreError> {
    let mut item = items::ack_item(key, &msg.ack(0), &[], 0);
    item.insert(st::STATUS.to_owned(), s(items::PENDING));
    if claim_for_a_day(store, item, msg.ts).await? {
        return Ok(Claim::Fresh);
    }
    let out = store
        .client
        .get_item()
        .table_name(&store.tables.state)
        .key(st::PK, s(key))
        .consistent_read(true)
        .send()
        .await
        .map_err(unavailable)?;
    let Some(existing) = out.item() else { return Err(StoreError::Contention) };
    let ack = items::ack_from(existing)?;
    if !ack.matches(msg) {
        return Ok(Claim::Done(AppendOutcome::Conflict));
    }
    if items::is_pending(existing) {
        return Ok(Claim::Resume { msg_id: ack.msg_id, ts: ack.ts });
    }
    Ok(Claim::Done(AppendOutcome::Duplicate(ack)))
}

/// Stores `msg` for each of `users` (one chunk), skipping those whose marker shows they
/// have it already; returns every user's seq.
async fn write_chunk(
    store: &DynamoStore,
    msg: &NewMessage,
    users: &[UserId],
    holders: &HashMap<UserId, Holder>,
) -> Result<Vec<(UserId, u64)>, StoreError> {
    let conversation = msg.conversation.to_string();
    let mut done: Vec<(UserId, u64)> = Vec::with_capacity(users.len());
    let mut remaining: Vec<UserId> = users.to_vec();
    for round in 0..MAX_ROUNDS {
        let keys = remaining.iter().flat_map(|u| [st::counter_key(u.as_str()), marker_key(msg, u)]).collect();
        let state = read_state(store, keys).await?;
        let mut writes = Vec::with_capacity((2 + items_per_participant(msg)) * remaining.len());
        let mut planned = Vec::with_capacity(remaining.len());
        for user in &remaining {
            if let Some(marker) = state.get(&marker_key(msg, user)) {
                done.push((user.clone(), get_n(marker, st::SEQ, "delivery marker")?));
                continue;
            }
            let counter_key = st::counter_key(user.as_str());
            let counter = state.get(&counter_key);
            let current = match counter {
                Some(item) => get_n(item, st::SEQ, "seq counter")?,
                None => 0,
            };
            let next = current + 1;
            writes.push(counter_write(&store.tables.state, &counter_key, current, next, &conversation, None)?);
            let top = on_top(counter, &conversation);
            writes.extend(participant_writes(store, msg, user, next, top, holders.get(user))?);
            writes.push(marker_write(&store.tables.state, msg, user, next)?);
            planned.push((user.clone(), next));
        }
        remaining.retain(|u| planned.iter().any(|(p, _)| p == u));
        if planned.is_empty() {
            return Ok(done);
        }
        match store.client.transact_write_items().set_transact_items(Some(writes)).send().await {
            Ok(_) => {
                done.extend(planned);
                return Ok(done);
            }
            Err(e) if is_retryable_cancel(&e) => tokio::time::sleep(backoff(round)).await,
            Err(e) => return Err(unavailable(e)),
        }
    }
    Err(StoreError::Contention)
}

/// The marker of `msg` reaching `user`: per message, or for an edit or delete per
/// `(sender, clientMsgId)` (several changes of one message each have their own).
fn marker_key(msg: &NewMessage, user: &UserId) -> String {
    match msg.amends {
        None => st::delivery_key(msg.msg_id.as_str(), user.as_str()),
        Some(_) => st::delivery_key(
            &format!("{}~{}~{}", msg.msg_id.as_str(), msg.from.as_str(), msg.client_msg_id.as_str()),
            user.as_str(),
        ),
    }
}

fn marker_write(table: &str, msg: &NewMessage, user: &UserId, seq: u64) -> Result<TransactWriteItem, StoreError> {
    // Markers outlive the idempotency record by an hour: a resume can only happen while
    // that record exists.
    let ttl = (msg.ts + IDEMPOTENCY_TTL_MS).div_ceil(1000) + 3600;
    let item: Item = Item::from([
        (st::PK.to_owned(), s(marker_key(msg, user))),
        (st::SEQ.to_owned(), n(seq)),
        (st::TTL.to_owned(), AttributeValue::N(ttl.to_string())),
    ]);
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", st::PK);
    Ok(TransactWriteItem::builder().put(build(put.build())?).build())
}
