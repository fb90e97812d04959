//! The floor: a bare WebSocket relay written for the benchmark. It does what the devserver
//! does on the wire — parse each frame, route it, ack the sender, forward a `message` to the
//! recipient — and nothing else: no auth, no store, no Lambda events, no `@connections` hop.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

type Peers = Arc<Mutex<HashMap<String, mpsc::UnboundedSender<String>>>>;

/// Serves the relay on `listener` until the process ends.
pub async fn serve(listener: TcpListener) -> anyhow::Result<()> {
    let peers: Peers = Arc::default();
    let app = axum::Router::new().route("/", axum::routing::get(upgrade)).with_state(peers);
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp: &mut tokio::net::TcpStream| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await?;
    Ok(())
}

async fn upgrade(
    State(peers): State<Peers>,
    Query(q): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    let user = q.get("user").cloned().unwrap_or_default();
    ws.on_upgrade(move |socket| connection(peers, user, socket))
}

async fn connection(peers: Peers, user: String, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    peers.lock().unwrap_or_else(|p| p.into_inner()).insert(user.clone(), tx.clone());
    let writer = tokio::spawn(async move {
        while let Some(text) = rx.recv().await {
            if sink.send(Message::Text(text.into())).await.is_err() {
                break;
            }
        }
    });
    let mut seq = 0u64;
    while let Some(Ok(msg)) = stream.next().await {
        let Message::Text(text) = msg else { continue };
        let Ok(frame) = serde_json::from_str::<Value>(&text) else { continue };
        let (Some(to), Some(cmid), Some(body)) =
            (frame["to"].as_str(), frame["clientMsgId"].as_str(), frame["body"].as_str())
        else {
            continue;
        };
        seq += 1;
        let _ = tx.send(json!({"type":"ack","clientMsgId":cmid,"seq":seq}).to_string());
        let peer = peers.lock().unwrap_or_else(|p| p.into_inner()).get(to).cloned();
        if let Some(peer) = peer {
            let _ = peer.send(json!({"type":"message","from":user,"clientMsgId":cmid,"body":body}).to_string());
        }
    }
    peers.lock().unwrap_or_else(|p| p.into_inner()).remove(&user);
    writer.abort();
}
