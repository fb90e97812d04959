//! `send`: store for every participant, ack the sender, then deliver.

use chat_core::clock::Clock;
use chat_core::ids::{ClientMsgId, ConnectionId, Conversation, MsgId, UserId};
use chat_core::message::{AppendOutcome, NewMessage};
use chat_core::poster::Poster;
use chat_core::protocol::{MessageView, ServerFrame, Target};
use chat_core::store::{Connection, Store};
use chat_lambda::Caller;
use futures_util::future::join_all;

use crate::{Deps, Failure, deliver, groups};

/// How many connection lookups run at once when a message goes to many members.
const LOOKUP_CONCURRENCY: usize = 16;

/// Stores the message (one append for every participant), posts the `ack`, then the
/// `message` frame to every other live connection of every participant. The connection
/// lookups run concurrently with the append, so the ack waits only for the store. A resend
/// of a stored `clientMsgId` gets the first ack and delivers nothing.
pub(crate) async fn send<S: Store, P: Poster, C: Clock>(
    deps: &Deps<S, P, C>,
    caller: &Caller,
    id: Option<String>,
    target: Target,
    client_msg_id: ClientMsgId,
    body: String,
) -> Result<(), Failure> {
    let (conversation, participants) = match target {
        Target::User(to) => {
            let mut participants = vec![caller.user.clone()];
            if to != caller.user {
                participants.push(to.clone());
            }
            (Conversation::direct(&caller.user, &to), participants)
        }
        Target::Group(gid) => {
            let group = groups::member_group(deps, &caller.user, &gid).await?;
            (Conversation::Group(gid), group.members)
        }
    };
    let now = deps.clock.now_ms();
    let msg = NewMessage {
        msg_id: MsgId::generate(now),
        conversation,
        from: caller.user.clone(),
        client_msg_id,
        body,
        ts: now,
        participants,
    };
    let (outcome, connections) = tokio::join!(deps.store.append(&msg), lookup_connections(deps, &msg.participants));
    let (ack, seqs) = match outcome? {
        AppendOutcome::Stored { ack, seqs } => (ack, seqs),
        AppendOutcome::Duplicate(ack) => (ack, Vec::new()),
    };
    let ack_frame = ServerFrame::Ack {
        id,
        client_msg_id: msg.client_msg_id.to_string(),
        msg_id: ack.msg_id.clone(),
        seq: ack.seq,
        conversation: ack.conversation,
        ts: ack.ts,
    };
    deliver::reply(deps, caller, &ack_frame).await;
    // A resumed large fan-out stores under the first attempt's id and time.
    let msg = NewMessage { msg_id: ack.msg_id, ts: ack.ts, ..msg };
    deliver_stored(deps, &msg, &seqs, connections, Some(&caller.connection_id)).await;
    Ok(())
}

/// Posts a stored message to the live connections of each participant in `seqs` (each
/// with its own seq), skipping `skip` (the sending connection, which has its ack).
pub(crate) async fn deliver_stored<S: Store, P: Poster, C: Clock>(
    deps: &Deps<S, P, C>,
    msg: &NewMessage,
    seqs: &[(UserId, u64)],
    connections: Vec<Vec<Connection>>,
    skip: Option<&ConnectionId>,
) {
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
        .filter(|(c, _)| Some(&c.connection_id) != skip)
        .collect();
    deliver::fan_out(deps, targets).await;
}

/// The live connections of each of `users`, in order, looked up a few at a time. A failed
/// lookup only costs live delivery (the message is stored and `sync` finds it).
pub(crate) async fn lookup_connections<S: Store, P, C: Clock>(
    deps: &Deps<S, P, C>,
    users: &[UserId],
) -> Vec<Vec<Connection>> {
    let now_s = deps.clock.now_ms() / 1000;
    let mut out = Vec::with_capacity(users.len());
    for wave in users.chunks(LOOKUP_CONCURRENCY) {
        let lookups = wave.iter().map(|user| async move {
            deps.store.connections(user, now_s).await.unwrap_or_else(|e| {
                tracing::warn!(%user, error = %e, "connection lookup failed; live delivery skipped");
                Vec::new()
            })
        });
        out.extend(join_all(lookups).await);
    }
    out
}
