//! `receipt`: record delivered/read for messages the caller received, and tell the
//! original senders' live connections.

use std::collections::BTreeMap;

use chat_core::clock::Clock;
use chat_core::ids::{Conversation, GroupId, MsgId, UserId};
use chat_core::message::ReceiptUpdate;
use chat_core::poster::Poster;
use chat_core::protocol::{ReceiptStatus, ServerFrame};
use chat_core::push::PushQueue;
use chat_core::store::Store;
use chat_lambda::Caller;
use futures_util::future::join_all;

use crate::send::lookup_connections;
use chat_lambda::deliver;

use crate::{Deps, Failure};

/// How many receipts are recorded at once.
const CONCURRENCY: usize = 16;

/// Records each receipt, then forwards the changes. Ids the caller did not receive from
/// someone else, group messages of a group the caller is no longer in, and statuses that
/// would move backwards change nothing. Replies `ok`.
pub(crate) async fn receipt<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &Deps<S, P, C, Q>,
    caller: &Caller,
    id: Option<String>,
    msg_ids: Vec<MsgId>,
    status: ReceiptStatus,
) -> Result<ServerFrame, Failure> {
    let mut targets: Vec<ReceiptUpdate> = Vec::new();
    for wave in msg_ids.chunks(CONCURRENCY) {
        for r in join_all(wave.iter().map(|m| deps.store.received(&caller.user, m))).await {
            targets.extend(r?);
        }
    }
    // Only current members may mark group messages: a former member changes nothing.
    let mut membership: BTreeMap<GroupId, bool> = BTreeMap::new();
    let mut allowed = Vec::with_capacity(targets.len());
    for t in targets {
        if let Conversation::Group(gid) = &t.conversation {
            let member = match membership.get(gid) {
                Some(m) => *m,
                None => {
                    let m = deps.store.group(gid).await?.is_some_and(|g| g.is_member(&caller.user));
                    membership.insert(gid.clone(), m);
                    m
                }
            };
            if !member {
                continue;
            }
        }
        allowed.push(t);
    }
    let mut updates: Vec<ReceiptUpdate> = Vec::new();
    for wave in allowed.chunks(CONCURRENCY) {
        let results = join_all(wave.iter().map(|t| deps.store.record_receipt(&caller.user, t, status))).await;
        for (t, changed) in wave.iter().zip(results) {
            if changed? {
                updates.push(t.clone());
            }
        }
    }
    let ts = deps.clock.now_ms();
    let mut by_sender: BTreeMap<UserId, Vec<String>> = BTreeMap::new();
    for u in updates {
        let frame = ServerFrame::Receipt {
            msg_id: u.msg_id,
            conversation: u.conversation,
            by: caller.user.clone(),
            status,
            ts,
        };
        by_sender.entry(u.sender).or_default().push(frame.to_json());
    }
    let senders: Vec<UserId> = by_sender.keys().cloned().collect();
    let connections = lookup_connections(deps, &senders).await;
    let targets = senders
        .iter()
        .zip(connections)
        .flat_map(|(sender, conns)| {
            let frames = by_sender.get(sender).map(Vec::as_slice).unwrap_or_default();
            conns.into_iter().flat_map(move |c| frames.iter().map(move |f| (c.clone(), f.as_str())))
        })
        .collect();
    deliver::fan_out(&deps.store, &deps.poster, targets).await;
    Ok(ServerFrame::Ok { id })
}
