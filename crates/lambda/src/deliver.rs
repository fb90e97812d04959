//! Posting frames: the caller's reply, and fan-out to many connections at once.

use std::time::Duration;

use chat_core::poster::{PostError, Poster};
use chat_core::protocol::ServerFrame;
use chat_core::store::{Connection, ConnectionStore};
use futures_util::future::join_all;

use crate::Caller;

/// No single post may hold the function longer than this (the SDK has its own budget too).
const POST_TIMEOUT: Duration = Duration::from_secs(3);

/// Sends the direct reply to the calling connection. A failure is logged, not returned:
/// there is nobody else to tell.
pub async fn reply<P: Poster>(poster: &P, caller: &Caller, frame: &ServerFrame) {
    match tokio::time::timeout(POST_TIMEOUT, poster.post(&caller.connection_id, &frame.to_json())).await {
        Ok(Ok(())) => {}
        Ok(Err(PostError::Gone)) => tracing::info!(user = %caller.user, "caller left before its reply"),
        Ok(Err(PostError::Failed(e))) => tracing::warn!(user = %caller.user, error = %e, "reply failed"),
        Err(_) => tracing::warn!(user = %caller.user, "reply timed out"),
    }
}

/// Posts each `(connection, frame)` concurrently, each within [`POST_TIMEOUT`]; a
/// connection that is gone (410) has its record deleted. Never fails: a missed frame is
/// recovered by `sync`.
pub async fn fan_out<S: ConnectionStore, P: Poster>(store: &S, poster: &P, targets: Vec<(Connection, &str)>) {
    let posts = targets.into_iter().map(|(conn, frame)| async move {
        match tokio::time::timeout(POST_TIMEOUT, poster.post(&conn.connection_id, frame)).await {
            Ok(Ok(())) => {}
            Ok(Err(PostError::Gone)) => {
                if let Err(e) = store.delete_connection(&conn.user, &conn.connection_id).await {
                    tracing::warn!(user = %conn.user, error = %e, "could not delete a gone connection");
                }
            }
            Ok(Err(PostError::Failed(e))) => {
                tracing::warn!(user = %conn.user, error = %e, source = ?std::error::Error::source(&*e), "post failed");
            }
            Err(_) => tracing::warn!(user = %conn.user, "post timed out"),
        }
    });
    join_all(posts).await;
}
