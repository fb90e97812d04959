//! Delivery: who gets a stored message, and getting it to them. Every action that tells
//! other users something (a message, a group notice, a receipt, a typing indicator) posts
//! through here.
//!
//! A stored message has one [`Recipient`] per participant: the user, the seq the message
//! took in that user's inbox, and the user's live connections, matched up once when the
//! append returns. Delivery posts each recipient's own `message` frame to each of its
//! connections; recipients with none get a push hand-off instead.

use chat_core::clock::Clock;
use chat_core::ids::{ConnectionId, UserId};
use chat_core::message::{AppendOutcome, NewMessage, StoredAck};
use chat_core::poster::Poster;
use chat_core::protocol::{ErrorCode, ServerFrame};
use chat_core::push::{PREVIEW_CHARS, PushQueue, PushRequest, preview};
use chat_core::store::{Connection, ConnectionStore, InboxStore};
use chat_lambda::metrics::Metric;
use chat_lambda::{Refusal, deliver as post};
use futures_util::future::join_all;

use crate::Request;

/// How many connection lookups run at once when a message goes to many members.
const LOOKUP_CONCURRENCY: usize = 16;

/// No push hand-off may hold the function longer than this.
const PUSH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// One participant of a stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// Whose inbox.
    pub user: UserId,
    /// The seq the message took in that inbox.
    pub seq: u64,
    /// The user's live connections when the message was stored.
    pub connections: Vec<Connection>,
}

/// What storing a message came to.
pub(crate) struct Stored {
    /// What the sender is told (the first ack, for a resend).
    pub(crate) ack: StoredAck,
    /// Everyone who now has the message; empty for a resend, which delivers nothing.
    pub(crate) recipients: Vec<Recipient>,
}

impl<S: ConnectionStore + InboxStore, P: Poster, C: Clock, Q: PushQueue> Request<'_, S, P, C, Q> {
    /// Stores `msg` for every participant while looking up their connections (so the ack
    /// waits only for the store), and matches seqs and connections up into recipients.
    pub(crate) async fn store(&self, msg: &NewMessage) -> Result<Stored, Refusal> {
        let (outcome, mut connections) =
            tokio::join!(self.deps.store.append(msg), self.connections_of(&msg.participants));
        Ok(match outcome? {
            // A resend, or a reaction that changes nothing: the ack, and nothing to deliver.
            AppendOutcome::Duplicate(ack) | AppendOutcome::Unchanged(ack) => Stored { ack, recipients: Vec::new() },
            AppendOutcome::TooManyReactions => {
                return Err(Refusal::client(
                    ErrorCode::TooLarge,
                    format!(
                        "you have {} different emoji on this message; take one back first",
                        chat_core::rich::MAX_REACTIONS_PER_USER
                    ),
                ));
            }
            AppendOutcome::AttachmentRefused => {
                return Err(Refusal::client(
                    ErrorCode::BadRequest,
                    "an attachment's upload was taken by another message, or is not yours to attach",
                ));
            }
            AppendOutcome::NotFound => {
                return Err(Refusal::client(ErrorCode::NotFound, "no such message: it was deleted, or is not yours"));
            }
            AppendOutcome::RateLimited { retry_after_ms } => return Err(Refusal::RateLimited { retry_after_ms }),
            AppendOutcome::Banned => return Err(crate::banned()),
            AppendOutcome::Blocked => {
                return Err(Refusal::client(ErrorCode::Forbidden, "you blocked this user; unblock them to send"));
            }
            AppendOutcome::Conflict => {
                return Err(Refusal::client(
                    ErrorCode::Conflict,
                    "this clientMsgId was used for a different message in the last 24 hours; use a new one",
                ));
            }
            AppendOutcome::Stored { ack, seqs } => {
                chat_lambda::metrics::count(Metric::MessagesStored, 1);
                chat_lambda::metrics::count(Metric::InboxEntries, seqs.len() as u64);
                let recipients = seqs
                    .into_iter()
                    .map(|(user, seq)| {
                        let at = msg.participants.iter().position(|p| *p == user);
                        let connections = at.map(|i| std::mem::take(&mut connections[i])).unwrap_or_default();
                        Recipient { user, seq, connections }
                    })
                    .collect();
                Stored { ack, recipients }
            }
        })
    }

    /// Posts each recipient's own `message` (or, for an edit or delete, `update`) frame to
    /// each of its live connections except `skip` (the sending connection, which has its
    /// ack).
    pub(crate) async fn deliver(&self, msg: &NewMessage, recipients: &[Recipient], skip: Option<&ConnectionId>) {
        let frames: Vec<String> = recipients.iter().map(|r| ServerFrame::from(msg.entry_at(r.seq)).to_json()).collect();
        let targets = recipients
            .iter()
            .zip(&frames)
            .flat_map(|(r, frame)| r.connections.iter().map(move |c| (c.clone(), frame.as_str())))
            .filter(|(c, _)| Some(&c.connection_id) != skip)
            .collect();
        post::fan_out(&self.deps.store, &self.deps.poster, self.deps.clock.now_ms(), targets).await;
    }

    /// Posts each user's frames to every live connection of that user (for frames that
    /// are not stored: receipts, typing).
    pub(crate) async fn tell(&self, frames: &[(UserId, Vec<String>)]) {
        let users: Vec<UserId> = frames.iter().map(|(u, _)| u.clone()).collect();
        let connections = self.connections_of(&users).await;
        let targets = frames
            .iter()
            .zip(connections)
            .flat_map(|((_, frames), conns)| {
                conns.into_iter().flat_map(move |c| frames.iter().map(move |f| (c.clone(), f.as_str())))
            })
            .collect();
        post::fan_out(&self.deps.store, &self.deps.poster, self.deps.clock.now_ms(), targets).await;
    }

    /// Hands a push request for each recipient other than the sender with no live
    /// connection to the push queue, after the ack and the live deliveries. A failure is
    /// logged and never fails the send: the message is stored, and `sync` shows it.
    pub(crate) async fn push_offline(&self, msg: &NewMessage, recipients: &[Recipient]) {
        let requests: Vec<PushRequest> = recipients
            .iter()
            .filter(|r| r.user != msg.from && r.connections.is_empty())
            .map(|r| PushRequest {
                user: r.user.clone(),
                from: msg.from.to_string(),
                conversation: msg.conversation.clone(),
                seq: r.seq,
                msg_id: msg.msg_id.clone(),
                preview: preview(&chat_core::media::push_text(&msg.body, &msg.attachments), PREVIEW_CHARS),
                mention: msg.mentions.contains(&r.user),
            })
            .collect();
        let hand_offs = requests.iter().map(|req| async move {
            match tokio::time::timeout(PUSH_TIMEOUT, self.deps.push.enqueue(req)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(user = %req.user, error = %chat_lambda::refusal::cause_chain(&*e), "push hand-off failed"),
                Err(_) => tracing::warn!(user = %req.user, "push hand-off timed out"),
            }
        });
        join_all(hand_offs).await;
    }

    /// The live connections of each of `users`, in order, looked up a few at a time. A
    /// failed lookup only costs live delivery (the message is stored and `sync` finds it).
    pub(crate) async fn connections_of(&self, users: &[UserId]) -> Vec<Vec<Connection>> {
        let now_s = self.deps.clock.now_ms() / 1000;
        let mut out = Vec::with_capacity(users.len());
        for wave in users.chunks(LOOKUP_CONCURRENCY) {
            let lookups = wave.iter().map(|user| async move {
                self.deps.store.connections(user, now_s).await.unwrap_or_else(|e| {
                    tracing::warn!(%user, error = %chat_lambda::refusal::cause_chain(&e), "connection lookup failed; live delivery skipped");
                    Vec::new()
                })
            });
            out.extend(join_all(lookups).await);
        }
        out
    }
}
