//! `send`: store for every participant, ack the sender, then deliver.

use chat_core::clock::Clock;
use chat_core::ids::{ClientMsgId, Conversation, MsgId, UserId};
use chat_core::message::{AppendOutcome, NewMessage};
use chat_core::poster::Poster;
use chat_core::protocol::{ErrorCode, MessageView, ServerFrame, Target};
use chat_core::store::{Connection, Store};
use chat_lambda::Caller;
use futures_util::future::join_all;

use crate::{Deps, Failure, deliver};

/// Stores the message (one atomic append for every participant), posts the `ack`, then
/// the `message` frame to every other live connection of every participant. The
/// connection lookups run concurrently with the append, so the ack waits only for the
/// store. A resend of a stored `clientMsgId` gets the first ack and delivers nothing.
pub(crate) async fn send<S: Store, P: Poster, C: Clock>(
    deps: &Deps<S, P, C>,
    caller: &Caller,
    id: Option<String>,
    target: Target,
    client_msg_id: ClientMsgId,
    body: String,
) -> Result<(), Failure> {
    let Target::User(to) = target else {
        return Err(Failure::Refused(ErrorCode::NotFound, "group not found".into()));
    };
    let now = deps.clock.now_ms();
    let mut participants = vec![caller.user.clone()];
    if to != caller.user {
        participants.push(to.clone());
    }
    let msg = NewMessage {
        msg_id: MsgId::generate(now),
        conversation: Conversation::direct(&caller.user, &to),
        from: caller.user.clone(),
        client_msg_id,
        body,
        ts: now,
        participants,
    };
    let lookups = join_all(msg.participants.iter().map(|u| connections_of(deps, u, now)));
    let (outcome, connections) = tokio::join!(deps.store.append(&msg), lookups);
    let (ack, seqs) = match outcome? {
        AppendOutcome::Stored { ack, seqs } => (ack, seqs),
        AppendOutcome::Duplicate(ack) => (ack, Vec::new()),
    };
    let ack_frame = ServerFrame::Ack {
        id,
        client_msg_id: msg.client_msg_id.to_string(),
        msg_id: ack.msg_id,
        seq: ack.seq,
        conversation: ack.conversation,
        ts: ack.ts,
    };
    deliver::reply(deps, caller, &ack_frame).await;
    let frames: Vec<(UserId, String)> = seqs
        .iter()
        .map(|(user, seq)| (user.clone(), ServerFrame::Message(MessageView::from(msg.entry_at(*seq))).to_json()))
        .collect();
    let targets = msg
        .participants
        .iter()
        .zip(connections)
        .filter_map(|(user, conns)| Some((frames.iter().find(|(u, _)| u == user)?.1.as_str(), conns)))
        .flat_map(|(frame, conns)| conns.into_iter().map(move |c| (c, frame)))
        .filter(|(c, _)| c.connection_id != caller.connection_id)
        .collect();
    deliver::fan_out(deps, targets).await;
    Ok(())
}

/// A participant's live connections; a failed lookup only costs live delivery (the
/// message is stored and `sync` finds it), so it never fails the send.
async fn connections_of<S: Store, P, C>(deps: &Deps<S, P, C>, user: &UserId, now_ms: u64) -> Vec<Connection> {
    match deps.store.connections(user, now_ms / 1000).await {
        Ok(conns) => conns,
        Err(e) => {
            tracing::warn!(%user, error = %e, "connection lookup failed; live delivery skipped");
            Vec::new()
        }
    }
}
