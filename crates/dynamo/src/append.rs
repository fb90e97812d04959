//! The append: every participant's next seq, its inbox entry, its conversation summary
//! and the idempotency record, in one `TransactWriteItems`, so a failure at any point
//! leaves no gap, no half-sent message and no summary out of step.
//!
//! 1. At once: one consistent `BatchGetItem` of the `(sender, clientMsgId)` record (a live
//!    record means a resend: return its ack), and one consistent Query per participant for
//!    the latest entry of its inbox (newest first, one item).
//! 2. One `TransactWriteItems` writes, all or nothing: the idempotency record (condition:
//!    absent or expired) and, per participant, its inbox entry at one past the latest seq
//!    (condition: that seq is free) and its summary.
//!
//! There is no per-user counter: the entry's own condition is the compare-and-set. A
//! concurrent writer that took the seq first cancels the transaction; we read again and
//! retry with jittered backoff. Nothing was written, so no seq is lost. The sender's send
//! bucket rides on its new entry (every entry carries its owner's bucket forward), so the
//! limit costs no item either. Two round trips in the common case; a 1:1 send writes 5
//! items, as it did with counters and without summaries.
//!
//! An edit, delete or reaction first finds who holds the message
//! (`conversations::holders`), then writes the same way per holder, plus the change to the
//! message itself (`rich` for reactions). When its actor's send bucket is already empty
//! it is refused before any of that, with the one read the first round needs anyway.
//!
//! Optimistic retries cost O(n²) attempts when n writers race for one inbox, so appends
//! that one process makes to the same inboxes are first serialized in-process
//! (`locks::InboxLocks`): the devserver, and a Lambda instance, never race themselves. Races
//! between Lambda instances remain and are resolved by the retries above.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use std::borrow::Cow;
use std::collections::HashMap;

use chat_core::ids::UserId;
use chat_core::message::{AppendOutcome, IDEMPOTENCY_TTL_MS, NewMessage, Origin, StoredAck, UpdateKind};
use chat_core::rich::Change;
use chat_core::schema::state as st;
use chat_core::store::StoreError;

use crate::holders::Holder;
use crate::items::{self, n};
use crate::store::DynamoStore;
use crate::txn::{
    Latest, MAX_ROUNDS, backoff, build, failed_conditions, is_retryable_cancel, items_per_participant, latest_entries,
    participant_writes, read_state,
};
use crate::unavailable;

/// DynamoDB's limit on items in one transaction.
const MAX_TRANSACTION_ITEMS: usize = 100;

/// Participants one transaction holds: the idempotency record and the attachments'
/// uploads, then per participant its share (`items_per_participant`): 49 for a message
/// without attachments, 44 with 10, 33 for an edit or delete.
pub(crate) fn max_participants(msg: &NewMessage) -> usize {
    (MAX_TRANSACTION_ITEMS - 1 - msg.attachments.len()) / items_per_participant(msg)
}

/// What one round found out.
enum Round {
    Done(AppendOutcome),
    Retry,
    /// An interrupted chunked fan-out of this send must be finished.
    Resume,
}

pub(crate) async fn append(store: &DynamoStore, msg: &NewMessage) -> Result<AppendOutcome, StoreError> {
    let _guards = store.inbox_locks.lock_all(&msg.participants).await;
    // An edit, delete or reaction whose actor's send bucket is already empty is refused
    // with one read, before the reads of who holds the message and before any transaction:
    // a flood of them costs a Query each, not conflicting transactions, and does not hold
    // the inboxes' locks from others' sends. The read is the first round's own.
    let mut sender_latest = None;
    if msg.amends.is_some()
        && let Some(limit) = msg.limit
    {
        let latest = latest_entries(store, std::slice::from_ref(&msg.from)).await?.remove(&msg.from);
        let latest = latest.unwrap_or_default();
        if let Err(retry_after_ms) = limit.take(latest.bucket, msg.ts) {
            return Ok(AppendOutcome::RateLimited { retry_after_ms });
        }
        sender_latest = Some(latest);
    }
    for round in 0..MAX_ROUNDS {
        // An edit, delete or reaction goes to those who hold the message, found again each
        // round (a delete in between makes the next round answer `NotFound`).
        let (msg, holders) = match msg.amends {
            None => (Cow::Borrowed(msg), HashMap::new()),
            Some(kind) => {
                if let Some(outcome) = earlier(store, msg).await? {
                    return Ok(outcome);
                }
                let Some((holders, own)) = store.holders(msg).await? else { return Ok(AppendOutcome::NotFound) };
                if kind == UpdateKind::Reaction {
                    match chat_core::rich::change_of(&own.reactions, &msg.body, msg.removed) {
                        Change::Apply => {}
                        Change::Unchanged => return Ok(AppendOutcome::Unchanged(msg.ack(own.seq))),
                        Change::TooMany => return Ok(AppendOutcome::TooManyReactions),
                    }
                }
                let participants = msg.participants.iter().filter(|u| holders.contains_key(u)).cloned().collect();
                (Cow::Owned(NewMessage { participants, ..msg.clone() }), holders)
            }
        };
        if msg.participants.len() > max_participants(&msg) {
            return crate::fanout::append_chunked(store, &msg, &holders).await;
        }
        match append_round(store, &msg, &holders, sender_latest.take()).await? {
            Round::Done(outcome) => return Ok(outcome),
            Round::Resume => return crate::fanout::append_chunked(store, &msg, &holders).await,
            Round::Retry => tokio::time::sleep(backoff(round)).await,
        }
    }
    Err(StoreError::Contention)
}

/// The answer a live idempotency record of `msg` gives (a resend, or a conflict), if any.
pub(crate) async fn earlier(store: &DynamoStore, msg: &NewMessage) -> Result<Option<AppendOutcome>, StoreError> {
    let key = st::idempotency_key(msg.from.as_str(), msg.client_msg_id.as_str());
    let state = read_state(store, vec![key.clone()]).await?;
    let Some(item) = state.get(&key) else { return Ok(None) };
    if items::is_pending(item) {
        return Ok(None);
    }
    let ack = items::ack_from(item)?;
    if ack.ts + IDEMPOTENCY_TTL_MS <= msg.ts {
        return Ok(None);
    }
    Ok(Some(if ack.matches(msg) { AppendOutcome::Duplicate(ack) } else { AppendOutcome::Conflict }))
}

async fn append_round(
    store: &DynamoStore,
    msg: &NewMessage,
    holders: &HashMap<UserId, Holder>,
    sender_latest: Option<Latest>,
) -> Result<Round, StoreError> {
    let idem_key = st::idempotency_key(msg.from.as_str(), msg.client_msg_id.as_str());
    // A user's own action also reads the sender's account item (a ban) in the same batch:
    // the check costs no request.
    let account_key = (msg.origin == Origin::User).then(|| st::account_key(msg.from.as_str()));
    // A 1:1 reads the blocks both ways in the same batch (no request of its own either).
    let peer = chat_core::store::blocks::direct_peer(msg);
    let block_keys = peer
        .as_ref()
        .map(|p| (st::block_key(msg.from.as_str(), p.as_str()), st::block_key(p.as_str(), msg.from.as_str())));
    let mut keys: Vec<String> = if msg.is_notice() {
        Vec::new()
    } else {
        [Some(idem_key.clone()), account_key.clone()].into_iter().flatten().collect()
    };
    if let Some((mine, theirs)) = &block_keys {
        keys.extend([mine.clone(), theirs.clone()]);
    }
    // And the other user's account item: a deleted account (its tombstone) gets nothing,
    // so no inbox of it is made again (the sender is told nothing, as when blocked).
    let peer_account = peer.as_ref().map(|p| st::account_key(p.as_str()));
    keys.extend(peer_account.clone());
    // The sender's latest entry, when the caller read it already (in this lock), is not
    // read again.
    let unread: Vec<UserId> = match &sender_latest {
        Some(_) => msg.participants.iter().filter(|u| **u != msg.from).cloned().collect(),
        None => msg.participants.clone(),
    };
    let (state, mut latest) = tokio::try_join!(read_state(store, keys), latest_entries(store, &unread))?;
    if let Some(own) = sender_latest
        && msg.participants.contains(&msg.from)
    {
        latest.insert(msg.from.clone(), own);
    }
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
    if let Some(key) = &account_key
        && crate::accounts::banned(state.get(key), msg.ts)?
    {
        return Ok(Round::Done(AppendOutcome::Banned));
    }
    // Blocked by the other user: stored for the sender alone, who must not learn of it.
    let mut skip = None;
    if let (Some((mine, theirs)), Some(peer)) = (&block_keys, &peer) {
        if state.contains_key(mine) {
            return Ok(Round::Done(AppendOutcome::Blocked));
        }
        if state.contains_key(theirs) {
            skip = Some(peer);
        }
    }
    if let (Some(key), Some(peer)) = (&peer_account, &peer)
        && let Some(item) = state.get(key)
        && crate::accounts::ban_from(item)?.is_some_and(|b| b.deleted)
    {
        skip = Some(peer);
    }
    let mut seqs = Vec::with_capacity(msg.participants.len());
    let mut writes = Vec::with_capacity(1 + items_per_participant(msg) * msg.participants.len());
    let none = Latest::default();
    // The sender's send limit rides on its new entry: the bucket is read from its latest
    // entry and written with the new one, whose seq no one else can have taken meanwhile.
    let charged = match msg.limit {
        None => None,
        Some(limit) => match limit.take(latest.get(&msg.from).and_then(|l| l.bucket), msg.ts) {
            Err(retry_after_ms) => return Ok(Round::Done(AppendOutcome::RateLimited { retry_after_ms })),
            Ok(new) => Some(new),
        },
    };
    for user in msg.participants.iter().filter(|u| Some(*u) != skip) {
        let last = latest.get(user).unwrap_or(&none);
        seqs.push((user.clone(), last.seq + 1));
        let bucket = if *user == msg.from && charged.is_some() { charged } else { last.bucket };
        writes.extend(participant_writes(store, msg, user, last, bucket, holders.get(user))?);
    }
    let sender_seq = seqs.iter().find(|(u, _)| *u == msg.from).map_or(0, |(_, s)| *s);
    let ack = msg.ack(sender_seq);
    // The uploads attached, right after the idempotency record: items 1..=claims.
    let claims = crate::uploads::claim_writes(&store.tables.state, msg)?;
    let claimed = 1..=claims.len();
    writes.splice(0..0, claims);
    if !msg.is_notice() {
        writes.insert(0, idempotency_write(&store.tables.state, &idem_key, &ack, &seqs, msg.ts)?);
    }
    let result = store.client.transact_write_items().set_transact_items(Some(writes)).send().await;
    match result {
        Ok(_) => Ok(Round::Done(AppendOutcome::Stored { ack, seqs })),
        // An upload another message took (or one not ready): no retry makes it attachable.
        Err(e) if failed_conditions(&e).iter().any(|i| claimed.contains(i)) => {
            Ok(Round::Done(AppendOutcome::AttachmentRefused))
        }
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
