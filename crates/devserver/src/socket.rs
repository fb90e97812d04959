//! The WebSocket side of the gateway: the handshake (authorizer, then `$connect`), the
//! frame loop (route selection, one handler invocation per frame, API Gateway's limits)
//! and `$disconnect`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chat_core::clock::Clock;
use chat_core::protocol::{ActionKind, Function, route_of};
use chat_core::store::Store;
use futures_util::{SinkExt, StreamExt};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc};

use crate::Gateway;
use crate::events::{self, ConnectionInfo, Handshake};
use crate::registry::{Handle, OUTBOX_FRAMES, Outbound};

/// API Gateway's WebSocket limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest frame (32 KB).
    pub max_frame: usize,
    /// Largest message (128 KB); larger closes with 1009.
    pub max_message: usize,
    /// Idle timeout (10 minutes).
    pub idle: Duration,
    /// Longest connection (2 hours).
    pub max_age: Duration,
    /// Frames of one connection handled at once.
    pub in_flight: usize,
    /// Frames of one connection waiting for a handler slot. The socket is read on while
    /// frames wait, so pings and close frames are answered at once; past this bound a data
    /// frame is refused the way API Gateway's throttling answers it ("Too Many Requests").
    pub queued: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_frame: 32 * 1024,
            max_message: 128 * 1024,
            idle: Duration::from_secs(10 * 60),
            max_age: Duration::from_secs(2 * 60 * 60),
            in_flight: 32,
            queued: 256,
        }
    }
}

fn new_connection_id() -> String {
    // API Gateway ids look like `L0SM9cOFvHcCIhw=`: 15 base64-ish characters and `=`.
    let s = ulid::Ulid::new().to_string();
    format!("{}=", &s[s.len() - 15..])
}

fn lambda_event<T>(payload: T) -> LambdaEvent<T> {
    LambdaEvent::new(payload, Context::default())
}

/// Runs the authorizer and `$connect`; on success upgrades to a WebSocket.
pub async fn handshake<S: Store + Clone + 'static>(
    gw: Arc<Gateway<S>>,
    ws: WebSocketUpgrade,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    peer: SocketAddr,
) -> Response {
    let now = gw.clock.now_ms();
    let header_pairs: Vec<(String, String)> =
        headers.iter().filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned()))).collect();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let mut info = ConnectionInfo {
        connection_id: new_connection_id(),
        connected_at: now,
        domain_name: header("host"),
        stage: gw.stage.clone(),
        source_ip: peer.ip().to_string(),
        user_agent: header("user-agent"),
        authorizer: Default::default(),
    };
    let hs = Handshake { headers: header_pairs, query };
    let auth_event = match events::authorizer_request(&info, &hs, now) {
        Ok(e) => e,
        Err(e) => return internal("authorizer event", &e),
    };
    let authorized = chat_connect::authorizer::handle(&gw.verifier, &gw.store, now, lambda_event(auth_event));
    let allowed = match chat_lambda::aws_log::function("authorizer", authorized).await {
        Ok(r) => r,
        Err(_) => return (StatusCode::UNAUTHORIZED, "Unauthorized").into_response(),
    };
    if let Value::Object(ctx) = allowed.context {
        info.authorizer = ctx;
    }
    info.authorizer.insert("principalId".into(), json!(allowed.principal_id));
    let connect_event = match events::connect(&info, &hs, now) {
        Ok(e) => e,
        Err(e) => return internal("connect event", &e),
    };
    let connected = chat_connect::connection::handle(&gw.connections, lambda_event(connect_event));
    match chat_lambda::aws_log::function("connect", connected).await {
        Err(e) => return internal("$connect", &*e),
        // A `$connect` that does not answer 2xx fails the handshake, with its status.
        Ok(r) if !(200..300).contains(&r.status_code) => {
            let status = StatusCode::from_u16(u16::try_from(r.status_code).unwrap_or(500))
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = match r.body {
                Some(aws_lambda_events::encodings::Body::Text(t)) => t,
                _ => String::new(),
            };
            return (status, body).into_response();
        }
        Ok(_) => {}
    }
    feed_presence(&gw, &info);
    // Register before the 101 goes out: once the client sees its handshake succeed, posts
    // to it must work (API Gateway accepts them as soon as `$connect` returned), so frames
    // posted before the upgrade completes wait in the outbox.
    let (tx, rx) = mpsc::channel(OUTBOX_FRAMES);
    let handle = gw.registry.insert(
        info.connection_id.clone(),
        Handle {
            outbox: tx.clone(),
            connected_at: info.connected_at,
            last_active: info.connected_at.into(),
            source_ip: info.source_ip.clone(),
            user_agent: info.user_agent.clone(),
            queued: Default::default(),
        },
    );
    let failed = (gw.clone(), info.connection_id.clone());
    // Small socket buffers: tungstenite's default 128 KiB each would cost ~170 KB per idle
    // connection; chat frames are small and the outbox already queues what waits.
    ws.max_frame_size(gw.limits.max_frame)
        .max_message_size(gw.limits.max_message)
        .read_buffer_size(8 * 1024)
        .write_buffer_size(8 * 1024)
        .on_failed_upgrade(move |e| {
            tracing::info!(error = %e, "WebSocket upgrade failed");
            failed.0.registry.remove(&failed.1);
        })
        .on_upgrade(move |socket| connection(gw, info, socket, Outbox { tx, rx, handle }))
}

/// A registered connection's sending side, handed from the handshake to the loop.
struct Outbox {
    tx: mpsc::Sender<Outbound>,
    rx: mpsc::Receiver<Outbound>,
    handle: Arc<Handle>,
}

fn internal(what: &str, e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "{what} failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "Internal server error").into_response()
}

async fn connection<S: Store + Clone + 'static>(
    gw: Arc<Gateway<S>>,
    info: ConnectionInfo,
    socket: WebSocket,
    outbox: Outbox,
) {
    let _active = gw.active.enter();
    let (mut sink, mut stream) = socket.split();
    let Outbox { tx, mut rx, handle } = outbox;
    // The writer ends when the socket fails or after sending a close frame (a `DELETE` on
    // `@connections`); either way the connection is over, and it says which close it sent.
    let queued = handle.queued.clone();
    let mut writer = tokio::spawn(async move {
        while let Some(out) = rx.recv().await {
            let size = out.size();
            let (msg, close) = match out {
                Outbound::Text(t) => (Message::Text(t.into()), None),
                Outbound::Binary(b) => (Message::Binary(b), None),
                Outbound::Close(code, reason) => {
                    (Message::Close(Some(CloseFrame { code, reason: reason.into() })), Some((code, reason)))
                }
            };
            let sent = sink.send(msg).await;
            queued.fetch_sub(size, std::sync::atomic::Ordering::SeqCst);
            if sent.is_err() {
                return Some((1006, "Connection closed abnormally"));
            }
            if close.is_some() {
                return close;
            }
        }
        // Every sender is gone: the connection is over. Close the socket properly, which
        // also answers a client's close frame.
        let _ = sink.close().await;
        None
    });
    let info = Arc::new(info);
    let permits = Arc::new(Semaphore::new(gw.limits.in_flight));
    // Data frames wait here for a handler slot; the loop below only reads, so control
    // frames (ping, close) never wait behind data.
    let (frames, mut waiting) = mpsc::channel::<String>(gw.limits.queued.max(1));
    let dispatcher = {
        let (gw, info, permits) = (gw.clone(), info.clone(), permits.clone());
        tokio::spawn(async move {
            while let Some(text) = waiting.recv().await {
                let Ok(permit) = permits.clone().acquire_owned().await else { return };
                let (gw, info) = (gw.clone(), info.clone());
                tokio::spawn(async move {
                    invoke(&gw, &info, &text).await;
                    drop(permit);
                });
            }
        })
    };
    let deadline = tokio::time::Instant::now() + gw.limits.max_age;
    let mut shutdown = gw.shutdown.clone();
    let (code, reason, server_closed) = loop {
        let next = tokio::select! {
            ended = &mut writer => {
                let (code, reason) = ended.ok().flatten().unwrap_or((1006, "Connection closed abnormally"));
                break (code, reason, false);
            }
            _ = shutdown.changed() => break (1001, "Going away", true),
            _ = tokio::time::sleep_until(deadline) => break (1001, "Going away", true),
            r = tokio::time::timeout(gw.limits.idle, stream.next()) => r,
        };
        let text = match next {
            Err(_) => break (1001, "Going away", true),
            Ok(None) => break (1006, "Connection closed abnormally", false),
            Ok(Some(Err(e))) => {
                let too_big = {
                    let s = e.to_string();
                    s.contains("too long") || s.contains("Space limit")
                };
                if too_big {
                    break (1009, "Message too big", true);
                }
                break (1002, "Protocol error", true);
            }
            Ok(Some(Ok(Message::Close(frame)))) => {
                break frame.map_or((1005, "Client-side close frame status not set", false), |f| {
                    (f.code, "Client closed", false)
                });
            }
            Ok(Some(Ok(Message::Text(t)))) => t.to_string(),
            Ok(Some(Ok(Message::Binary(b)))) => String::from_utf8_lossy(&b).into_owned(),
            Ok(Some(Ok(_))) => continue,
        };
        handle.touch(gw.clock.now_ms());
        match frames.try_send(text) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => throttled(&gw, &info),
            Err(mpsc::error::TrySendError::Closed(_)) => break (1011, "Internal error", true),
        }
    };
    // Frames already read are still handled, then `$disconnect` runs, as in API Gateway.
    drop(frames);
    let _ = dispatcher.await;
    gw.registry.remove(&info.connection_id);
    if server_closed {
        let _ = tx.send(Outbound::Close(code, reason)).await;
    }
    drop(tx);
    drop(handle);
    if !writer.is_finished() {
        let _ = tokio::time::timeout(Duration::from_secs(2), &mut writer).await;
    }
    // Frames still being handled finish before `$disconnect`, as in API Gateway.
    let _ = permits.acquire_many(gw.limits.in_flight as u32).await;
    match events::disconnect(&info, code, reason, gw.clock.now_ms()) {
        Ok(e) => {
            let disconnected = chat_connect::connection::handle(&gw.connections, lambda_event(e));
            if let Err(e) = chat_lambda::aws_log::function("connect", disconnected).await {
                tracing::warn!(error = %chat_lambda::refusal::cause_chain(&*e), "$disconnect failed");
            }
        }
        Err(e) => tracing::error!(error = %e, "disconnect event"),
    }
    feed_presence(&gw, &info);
}

/// The devserver's change feed: what the connections table's stream is in AWS. Each
/// connect or disconnect hands the user to the presence function's debounced `settle`.
fn feed_presence<S: Store + Clone + 'static>(gw: &Arc<Gateway<S>>, info: &ConnectionInfo) {
    let Some(user) =
        info.authorizer.get("userId").and_then(Value::as_str).and_then(|u| chat_core::ids::UserId::parse(u).ok())
    else {
        return;
    };
    let (gw, at) = (gw.clone(), gw.clock.now_ms());
    tokio::spawn(async move {
        let changed = [(user, at)];
        let settled = chat_presence::settle(&gw.presence, &changed);
        if let Err(e) = chat_lambda::aws_log::function("presence", settled).await {
            tracing::warn!(error = %chat_lambda::refusal::cause_chain(&e), "presence settle failed");
        }
    });
}

/// What API Gateway answers a frame its throttling refuses: the frame is not handled.
fn throttled<S>(gw: &Gateway<S>, info: &ConnectionInfo) {
    tracing::info!(connection = %info.connection_id, "frame refused: too many waiting");
    let request_id = ulid::Ulid::new().to_string();
    let msg = json!({"message": "Too Many Requests", "connectionId": info.connection_id, "requestId": request_id});
    let _ = gw.registry.send(&info.connection_id, Outbound::Text(msg.to_string()));
}

/// Invokes the function behind the frame's route, as API Gateway would.
async fn invoke<S: Store + Clone + 'static>(gw: &Gateway<S>, info: &ConnectionInfo, body: &str) {
    let action = route_of(body);
    let route = action.map_or("$default", ActionKind::name);
    let event = match events::message(info, route, body, gw.clock.now_ms()) {
        Ok(e) => e,
        Err(e) => return tracing::error!(error = %e, "message event"),
    };
    let request_id = event.request_context.request_id.clone().unwrap_or_default();
    // `$default` is the send function's, as in the CDK stack.
    // Each under its function's label, for the AWS request log (chat_lambda::aws_log).
    use chat_lambda::aws_log::function as labelled;
    let result = match action.map_or(Function::Send, ActionKind::function) {
        Function::Presence => {
            labelled("presence", chat_presence::handle_route(&gw.presence, lambda_event(event))).await
        }
        Function::Push => labelled("push", chat_push::handle_route(&*gw.push, lambda_event(event))).await,
        Function::Send => labelled("send", chat_send::handle(&gw.send, lambda_event(event))).await,
    };
    if let Err(e) = result {
        // What API Gateway tells the client when an integration fails.
        tracing::error!(route, error = %chat_lambda::refusal::cause_chain(&*e), "function failed");
        let msg =
            json!({"message": "Internal server error", "connectionId": info.connection_id, "requestId": request_id});
        let _ = gw.registry.send(&info.connection_id, Outbound::Text(msg.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_ids_look_like_api_gateway_ones() {
        let id = new_connection_id();
        assert_eq!(id.len(), 16);
        assert!(id.ends_with('='));
        assert_ne!(id, new_connection_id());
    }
}
