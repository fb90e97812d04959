//! `chat-send`: the message routes (`send`, `sync`, `history`, `typing`, `ping`) and
//! `$default`, which answers frames no route matched.
//!
//! Layout:
//! - [`handle`] (here): caller from the event, frame parsing, dispatch, the one reply.
//! - `send`: store a message for every participant, ack, then deliver.
//! - `groups`: `group.create`, `group.add`, `group.remove`, `group.leave`.
//! - `receipts`: `receipt`.
//! - `read`: `sync` and `history`.
//!
//! Every reply goes out through `@connections` ([`Poster`]); the integration response is
//! always a bare 200. A client mistake becomes one `error` frame; an infrastructure
//! failure becomes one `internal` error frame plus an error log line.

mod groups;
mod read;
mod receipts;
mod send;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use chat_core::clock::{Clock, SystemClock};
use chat_core::poster::Poster;
use chat_core::protocol::{Action, ErrorCode, FrameError, Request, ServerFrame, Target, parse_frame};
use chat_core::push::{NoPush, PushQueue};
use chat_core::ratelimit::RateLimiter;
use chat_core::store::{Store, StoreError};
use chat_lambda::{Caller, deliver};
use lambda_runtime::LambdaEvent;

/// What the handler needs; built once per cold start.
#[derive(Debug)]
pub struct Deps<S, P, C = SystemClock, Q = NoPush> {
    /// Connections and inboxes.
    pub store: S,
    /// `@connections`.
    pub poster: P,
    /// Wall-clock time.
    pub clock: C,
    /// Where push requests for offline recipients go.
    pub push: Q,
    /// Per-connection send rate limits.
    pub limiter: RateLimiter,
}

/// Why a request failed after parsing.
#[derive(Debug)]
enum Failure {
    /// The client asked for something it may not have, or that does not exist.
    Refused(ErrorCode, String),
    /// The store failed; nothing was acknowledged.
    Store(StoreError),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// Runs one WebSocket route event.
pub async fn handle<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &Deps<S, P, C, Q>,
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, lambda_runtime::Error> {
    let caller = Caller::from_event(&event.payload)?;
    let body = event.payload.body.as_deref().unwrap_or("");
    let reply = match parse_frame(body) {
        Err(e) => {
            tracing::info!(user = %caller.user, code = ?e.code, "frame refused");
            Some(ServerFrame::from_error(e))
        }
        Ok(request) => serve(deps, &caller, request).await,
    };
    if let Some(frame) = reply {
        deliver::reply(&deps.poster, &caller, &frame).await;
    }
    Ok(chat_lambda::ok())
}

async fn serve<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &Deps<S, P, C, Q>,
    caller: &Caller,
    request: Request,
) -> Option<ServerFrame> {
    let Request { id, action } = request;
    let client_msg_id = match &action {
        Action::Send { client_msg_id, .. } => Some(client_msg_id.to_string()),
        _ => None,
    };
    let result = match action {
        Action::Send { .. } if !deps.limiter.allow(&caller.connection_id, deps.clock.now_ms()) => {
            Err(Failure::Refused(ErrorCode::RateLimited, "too many messages; slow down and retry".into()))
        }
        Action::Send { target, client_msg_id, body } => {
            send::send(deps, caller, id.clone(), target, client_msg_id, body).await.map(|()| None)
        }
        Action::Sync { after, limit } => read::sync(deps, caller, id.clone(), after, limit).await.map(Some),
        Action::History { conversation, before, limit } => {
            read::history(deps, caller, id.clone(), conversation, before, limit).await.map(Some)
        }
        Action::Typing { target } => typing(deps, caller, target).await.map(|()| None),
        Action::Ping => Ok(Some(ServerFrame::Pong { id: id.clone() })),
        Action::Receipt { msg_ids, status } => {
            receipts::receipt(deps, caller, id.clone(), msg_ids, status).await.map(Some)
        }
        Action::GroupCreate { name, members } => {
            groups::create(deps, caller, id.clone(), name, members).await.map(Some)
        }
        Action::GroupAdd { group, members } => groups::add(deps, caller, id.clone(), group, members).await.map(Some),
        Action::GroupRemove { group, members } => {
            groups::remove(deps, caller, id.clone(), group, members).await.map(Some)
        }
        Action::GroupLeave { group } => groups::leave(deps, caller, id.clone(), group).await.map(Some),
        other => Err(Failure::Refused(
            ErrorCode::UnknownAction,
            format!("{} is served by its own route, not this one", action_name(&other)),
        )),
    };
    match result {
        Ok(frame) => frame,
        Err(failure) => Some(error_frame(caller, id, client_msg_id, failure)),
    }
}

fn error_frame(caller: &Caller, id: Option<String>, client_msg_id: Option<String>, failure: Failure) -> ServerFrame {
    let (code, message) = match failure {
        Failure::Refused(code, message) => (code, message),
        Failure::Store(e) => {
            tracing::error!(user = %caller.user, error = %e, source = ?std::error::Error::source(&e), "store failed");
            (ErrorCode::Internal, "the server could not complete the request; retry it (a send with the same clientMsgId is safe to retry)".to_owned())
        }
    };
    ServerFrame::from_error(FrameError { id, client_msg_id, code, message })
}

fn action_name(action: &Action) -> &'static str {
    match action {
        Action::Presence { .. } => "presence",
        Action::PushRegister { .. } => "push.register",
        Action::PushUnregister { .. } => "push.unregister",
        _ => "this action",
    }
}

/// Typing indicators go to the other side's live connections (every other member, for a
/// group) and are never stored: no write, only connection lookups.
async fn typing<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &Deps<S, P, C, Q>,
    caller: &Caller,
    target: Target,
) -> Result<(), Failure> {
    let (conversation, others) = match target {
        Target::User(to) => (chat_core::ids::Conversation::direct(&caller.user, &to), vec![to]),
        Target::Group(gid) => {
            let group = groups::member_group(deps, &caller.user, &gid).await?;
            (chat_core::ids::Conversation::Group(gid), group.members)
        }
    };
    let others: Vec<_> = others.into_iter().filter(|u| *u != caller.user).collect();
    let frame = ServerFrame::Typing { conversation, from: caller.user.clone() }.to_json();
    let conns = send::lookup_connections(deps, &others).await;
    deliver::fan_out(&deps.store, &deps.poster, conns.into_iter().flatten().map(|c| (c, frame.as_str())).collect())
        .await;
    Ok(())
}
