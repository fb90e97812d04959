//! Appends to more participants than one transaction holds (groups over 49 members; edits
//! and deletes over 33).
//!
//! 1. Claim the `(sender, clientMsgId)` record with a conditional put, marked `pending`,
//!    holding the message id and time. A resend that finds a pending claim resumes it with
//!    the claimed id; one that finds a complete record gets its ack.
//! 2. A fresh send writes the sender's own entry first, charged to its send bucket; an
//!    empty bucket gives the claim back and stores nothing.
//! 3. Write the others in chunks of 33 (25 for an edit or delete), up to 4 chunks at once.
//!    Each chunk is one transaction per round: for each participant its inbox entry at one
//!    past its latest (condition: that seq is free), its conversation summary (and the
//!    change to the message, for an edit), and a delivery marker `dlv#<msgId>#<user>`
//!    (condition: absent). A participant whose marker exists already has the message, so a
//!    resumed append never stores anything twice, and each inbox stays gap-free.
//! 4. Complete the record with the sender's seq and everyone's seqs; only then ack.
//!
//! A failure before step 4 leaves some inboxes with the message and no ack; the client's
//! retry with the same `clientMsgId` finishes the rest, exactly once.

use std::collections::HashMap;

use futures_util::future::join_all;

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use chat_core::ids::{MsgId, UserId};
use chat_core::message::{AppendOutcome, IDEMPOTENCY_TTL_MS, NewMessage};
use chat_core::ratelimit::RateLimit;
use chat_core::schema::state as st;
use chat_core::store::StoreError;

use crate::holders::Holder;
use crate::items::{self, Item, get_n, n, s};
use crate::store::DynamoStore;
use crate::txn::{
    Latest, MAX_ROUNDS, backoff, build, claim_for_a_day, is_retryable_cancel, items_per_participant, latest_entries,
    participant_writes, read_state,
};
use crate::unavailable;

const CONCURRENT_CHUNKS: usize = 4;

/// Participants per chunk: their share of items and a marker each, at most 100.
fn chunk_size(msg: &NewMessage) -> usize {
    100 / (1 + items_per_participant(msg))
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
    // A large fan-out is rare: its ban check is a read of its own.
    if msg.origin == chat_core::message::Origin::User
        && !msg.is_notice()
        && chat_core::store::AccountStore::ban(store, &msg.from, msg.ts).await?.is_some()
    {
        return Ok(AppendOutcome::Banned);
    }
    let (msg, fresh) = if msg.is_notice() {
        (msg.clone(), false)
    } else {
        match claim(store, msg, &idem_key).await? {
            Claim::Fresh => (msg.clone(), true),
            Claim::Resume { msg_id, ts } => (NewMessage { msg_id, ts, ..msg.clone() }, false),
            Claim::Done(outcome) => return Ok(outcome),
        }
    };
    // The attachments' uploads are taken before any inbox gets the message (again by a
    // resumed send, which the condition allows for the same message).
    let claims = crate::uploads::claim_writes(&store.tables.state, &msg)?;
    if !claims.is_empty() {
        let result = store.client.transact_write_items().set_transact_items(Some(claims)).send().await;
        match result {
            Ok(_) => {}
            Err(e) if !crate::txn::failed_conditions(&e).is_empty() => {
                if fresh {
                    release(store, &idem_key, &msg).await?;
                }
                return Ok(AppendOutcome::AttachmentRefused);
            }
            Err(e) => return Err(unavailable(e)),
        }
    }
    let mut seqs = Vec::with_capacity(msg.participants.len());
    // A fresh send is charged first, with the sender's own entry (which carries its bucket):
    // when the bucket is empty nothing is stored and the claim is given back. A resumed
    // send was charged by its first attempt.
    if fresh && let Some(limit) = msg.limit {
        match write_chunk(store, &msg, std::slice::from_ref(&msg.from), holders, Some(limit)).await? {
            Ok(done) => seqs.extend(done),
            Err(retry_after_ms) => {
                release(store, &idem_key, &msg).await?;
                return Ok(AppendOutcome::RateLimited { retry_after_ms });
            }
        }
    }
    let rest: Vec<UserId> = msg.participants.iter().filter(|u| !seqs.iter().any(|(d, _)| d == *u)).cloned().collect();
    let chunks: Vec<&[UserId]> = rest.chunks(chunk_size(&msg)).collect();
    for wave in chunks.chunks(CONCURRENT_CHUNKS) {
        for chunk in join_all(wave.iter().map(|c| write_chunk(store, &msg, c, holders, None))).await {
            seqs.extend(chunk?.unwrap_or_default());
        }
    }
    let sender_seq = seqs.iter().find(|(u, _)| *u == msg.from).map_or(0, |(_, q)| *q);
    let ack = msg.ack(sender_seq);
    if !msg.is_notice() {
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

/// Gives back the pending claim of a send refused by its limit (only ours, only while it
/// is pending), so nothing of it remains.
async fn release(store: &DynamoStore, key: &str, msg: &NewMessage) -> Result<(), StoreError> {
    let result = store
        .client
        .delete_item()
        .table_name(&store.tables.state)
        .key(st::PK, s(key))
        .condition_expression("#status = :pending AND #mid = :mid")
        .expression_attribute_names("#status", st::STATUS)
        .expression_attribute_names("#mid", st::MSG_ID)
        .expression_attribute_values(":pending", s(items::PENDING))
        .expression_attribute_values(":mid", s(msg.msg_id.as_str()))
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(()),
        Err(e) => Err(unavailable(e)),
    }
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
/// have it already; returns every user's seq. With `limit` (a chunk of the sender alone),
/// the sender's entry is charged to its send bucket: `Err` with the wait when it is empty.
async fn write_chunk(
    store: &DynamoStore,
    msg: &NewMessage,
    users: &[UserId],
    holders: &HashMap<UserId, Holder>,
    limit: Option<RateLimit>,
) -> Result<Result<Vec<(UserId, u64)>, u64>, StoreError> {
    let mut done: Vec<(UserId, u64)> = Vec::with_capacity(users.len());
    let mut remaining: Vec<UserId> = users.to_vec();
    let none = Latest::default();
    for round in 0..MAX_ROUNDS {
        let markers = remaining.iter().map(|u| marker_key(msg, u)).collect();
        let (state, latest) = tokio::try_join!(read_state(store, markers), latest_entries(store, &remaining))?;
        let mut writes = Vec::with_capacity((1 + items_per_participant(msg)) * remaining.len());
        let mut planned = Vec::with_capacity(remaining.len());
        for user in &remaining {
            if let Some(marker) = state.get(&marker_key(msg, user)) {
                done.push((user.clone(), get_n(marker, st::SEQ, "delivery marker")?));
                continue;
            }
            let last = latest.get(user).unwrap_or(&none);
            let bucket = match limit {
                Some(limit) if *user == msg.from => match limit.take(last.bucket, msg.ts) {
                    Ok(new) => Some(new),
                    Err(retry_after_ms) => return Ok(Err(retry_after_ms)),
                },
                _ => last.bucket,
            };
            let next = last.seq + 1;
            writes.extend(participant_writes(store, msg, user, last, bucket, holders.get(user))?);
            writes.push(marker_write(&store.tables.state, msg, user, next)?);
            planned.push((user.clone(), next));
        }
        remaining.retain(|u| planned.iter().any(|(p, _)| p == u));
        if planned.is_empty() {
            return Ok(Ok(done));
        }
        match store.client.transact_write_items().set_transact_items(Some(writes)).send().await {
            Ok(_) => {
                done.extend(planned);
                return Ok(Ok(done));
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
