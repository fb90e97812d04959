//! `send`: store for every participant, ack the sender, then deliver.

use chat_core::clock::Clock;
use chat_core::ids::{ClientMsgId, ConnectionId, Conversation, MsgId, UserId};
use chat_core::message::{AppendOutcome, NewMessage};
use chat_core::poster::Poster;
use chat_core::protocol::{MessageView, ServerFrame, Target};
use chat_core::push::{PREVIEW_CHARS, PushQueue, PushRequest, preview};
use chat_core::store::{Connection, Store};
use chat_lambda::Caller;
use futures_util::future::join_all;

use chat_lambda::deliver;

use crate::{Deps, Failure, groups};

/// How many connection lookups run at once when a message goes to many members.
const LOOKUP_CONCURRENCY: usize = 16;

/// Stores the message (one append for every participant), posts the `ack`, then the
/// `message` frame to every other live connection of every participant. The connection
/// lookups run concurrently with the append, so the ack waits only for the store. A resend
/// of a stored `clientMsgId` gets the first ack and delivers nothing.
pub(crate) async fn send<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &Deps<S, P, C, Q>,
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
    deliver::reply(&deps.poster, caller, &ack_frame).await;
    // A resumed large fan-out stores under the first attempt's id and time.
    let msg = NewMessage { msg_id: ack.msg_id, ts: ack.ts, ..msg };
    let offline: Vec<(UserId, u64)> = seqs
        .iter()
        .filter(|(user, _)| *user != caller.user)
        .filter(|(user, _)| msg.participants.iter().zip(&connections).any(|(p, c)| p == user && c.is_empty()))
        .cloned()
        .collect();
    deliver_stored(deps, &msg, &seqs, connections, Some(&caller.connection_id)).await;
    hand_off_pushes(deps, &msg, &offline).await;
    Ok(())
}

/// No push hand-off may hold the function longer than this.
const PUSH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Hands a push request for each offline recipient to the push queue, after the ack and
/// the live deliveries. A failure is logged and never fails the send: the message is
/// stored, and `sync` shows it when the user comes back.
async fn hand_off_pushes<S, P, C, Q: PushQueue>(deps: &Deps<S, P, C, Q>, msg: &NewMessage, offline: &[(UserId, u64)]) {
    let requests: Vec<PushRequest> = offline
        .iter()
        .map(|(user, seq)| PushRequest {
            user: user.clone(),
            from: msg.from.to_string(),
            conversation: msg.conversation.clone(),
            seq: *seq,
            msg_id: msg.msg_id.clone(),
            preview: preview(&msg.body, PREVIEW_CHARS),
        })
        .collect();
    let hand_offs = requests.iter().map(|req| async move {
        match tokio::time::timeout(PUSH_TIMEOUT, deps.push.enqueue(req)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(user = %req.user, error = %e, "push hand-off failed"),
            Err(_) => tracing::warn!(user = %req.user, "push hand-off timed out"),
        }
    });
    join_all(hand_offs).await;
}

/// Posts a stored message to the live connections of each participant in `seqs` (each
/// with its own seq), skipping `skip` (the sending connection, which has its ack).
pub(crate) async fn deliver_stored<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &Deps<S, P, C, Q>,
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
    deliver::fan_out(&deps.store, &deps.poster, targets).await;
}

/// The live connections of each of `users`, in order, looked up a few at a time. A failed
/// lookup only costs live delivery (the message is stored and `sync` finds it).
pub(crate) async fn lookup_connections<S: Store, P, C: Clock, Q>(
    deps: &Deps<S, P, C, Q>,
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
