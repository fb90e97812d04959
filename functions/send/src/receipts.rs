//! `receipt`: record delivered/read for messages the caller received, and tell the
//! original senders' live connections.

use std::collections::BTreeMap;

use chat_core::clock::Clock;
use chat_core::ids::{MsgId, UserId};
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

/// Records each receipt (ids the caller did not receive, or that would move a status
/// backwards, change nothing), then forwards the changes. Replies `ok`.
pub(crate) async fn receipt<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &Deps<S, P, C, Q>,
    caller: &Caller,
    id: Option<String>,
    msg_ids: Vec<MsgId>,
    status: ReceiptStatus,
) -> Result<ServerFrame, Failure> {
    let mut updates: Vec<ReceiptUpdate> = Vec::new();
    for wave in msg_ids.chunks(CONCURRENCY) {
        let results = join_all(wave.iter().map(|m| deps.store.record_receipt(&caller.user, m, status))).await;
        for r in results {
            updates.extend(r?);
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
