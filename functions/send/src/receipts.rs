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
use chat_lambda::Refusal;
use futures_util::future::join_all;

use crate::Request;

/// How many receipts are recorded at once.
const CONCURRENCY: usize = 16;

impl<S: Store, P: Poster, C: Clock, Q: PushQueue> Request<'_, S, P, C, Q> {
    /// Records each receipt, then forwards the changes. Ids the caller did not receive
    /// from someone else, group messages of a group the caller is no longer in, and
    /// statuses that would move backwards change nothing. Replies `ok`.
    pub(crate) async fn receipt(&self, msg_ids: Vec<MsgId>, status: ReceiptStatus) -> Result<ServerFrame, Refusal> {
        let me = self.user;
        let mut targets: Vec<ReceiptUpdate> = Vec::new();
        for wave in msg_ids.chunks(CONCURRENCY) {
            for r in join_all(wave.iter().map(|m| self.deps.store.received(me, m))).await {
                targets.extend(r?);
            }
        }
        let mut allowed = self.current_member_only(targets).await?;
        // A 1:1 message's sender who blocks the caller hears nothing of its receipts.
        let senders: Vec<UserId> = allowed
            .iter()
            .filter(|t| matches!(t.conversation, Conversation::Direct(..)))
            .map(|t| t.sender.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if !senders.is_empty() {
            let blockers = self.deps.store.blockers(me, &senders).await?;
            allowed.retain(|t| !(matches!(t.conversation, Conversation::Direct(..)) && blockers.contains(&t.sender)));
        }
        let mut updates: Vec<ReceiptUpdate> = Vec::new();
        for wave in allowed.chunks(CONCURRENCY) {
            let results = join_all(wave.iter().map(|t| self.deps.store.record_receipt(me, t, status))).await;
            for (t, changed) in wave.iter().zip(results) {
                if changed? {
                    updates.push(t.clone());
                }
            }
        }
        let ts = self.deps.clock.now_ms();
        let mut by_sender: BTreeMap<UserId, Vec<String>> = BTreeMap::new();
        for u in updates {
            let frame =
                ServerFrame::Receipt { msg_id: u.msg_id, conversation: u.conversation, by: me.clone(), status, ts };
            by_sender.entry(u.sender).or_default().push(frame.to_json());
        }
        self.tell(&by_sender.into_iter().collect::<Vec<_>>()).await;
        Ok(ServerFrame::Ok { id: self.id.clone() })
    }

    /// Only current members may mark group messages: a former member changes nothing.
    async fn current_member_only(&self, targets: Vec<ReceiptUpdate>) -> Result<Vec<ReceiptUpdate>, Refusal> {
        let mut membership: BTreeMap<GroupId, bool> = BTreeMap::new();
        let mut allowed = Vec::with_capacity(targets.len());
        for t in targets {
            if let Conversation::Group(gid) = &t.conversation {
                let member = match membership.get(gid) {
                    Some(m) => *m,
                    None => {
                        let m = self.deps.store.group(gid).await?.is_some_and(|g| g.is_member(self.user));
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
        Ok(allowed)
    }
}
