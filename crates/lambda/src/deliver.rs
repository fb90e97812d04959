//! Posting frames: the caller's reply, and fan-out to many connections at once. Every
//! function posts through here, so every post has the same time bound and the same
//! handling of gone connections.

use std::time::Duration;

use chat_core::ids::ConnectionId;
use chat_core::poster::{PostError, Poster};
use chat_core::protocol::ServerFrame;
use chat_core::store::{Connection, ConnectionStore};
use futures_util::future::join_all;

use crate::Caller;
use crate::metrics::{self, Metric};

/// No single post may hold the function longer than this (the SDK has its own budget too).
pub const POST_TIMEOUT: Duration = Duration::from_secs(3);

/// Sends the direct reply to the calling connection. A failure is logged, not returned:
/// there is nobody else to tell.
pub async fn reply<P: Poster>(poster: &P, caller: &Caller, frame: &ServerFrame) {
    if post_one(poster, &caller.connection_id, &frame.to_json()).await == Posted::Gone {
        tracing::info!(user = %caller.user, "caller left before its reply");
    }
}

/// What became of one post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Posted {
    /// Delivered.
    Done,
    /// Failed in a way only logging can answer (`sync` recovers the frame).
    Failed,
    /// The connection is gone (410).
    Gone,
}

async fn post_one<P: Poster>(poster: &P, connection: &ConnectionId, frame: &str) -> Posted {
    let posted = match tokio::time::timeout(POST_TIMEOUT, poster.post(connection, frame)).await {
        Ok(Ok(())) => Posted::Done,
        Ok(Err(PostError::Gone)) => Posted::Gone,
        Ok(Err(PostError::Failed(e))) => {
            tracing::warn!(error = %crate::refusal::cause_chain(&*e), "post failed");
            Posted::Failed
        }
        Err(_) => {
            tracing::warn!("post timed out");
            Posted::Failed
        }
    };
    match posted {
        Posted::Done => metrics::count(Metric::Deliveries, 1),
        Posted::Gone => metrics::count(Metric::GoneConnections, 1),
        Posted::Failed => {}
    }
    posted
}

/// Posts each `(target, frame)` concurrently, each within [`POST_TIMEOUT`], to the
/// connection `id(target)` names; returns the targets whose connection is gone (410), for
/// the caller to forget. Never fails: a missed frame is recovered by `sync`.
pub async fn post_all<T, P: Poster>(poster: &P, targets: Vec<(T, &str)>, id: impl Fn(&T) -> &ConnectionId) -> Vec<T> {
    let posted = join_all(targets.iter().map(|(t, frame)| post_one(poster, id(t), frame))).await;
    targets.into_iter().zip(posted).filter(|(_, p)| *p == Posted::Gone).map(|((t, _), _)| t).collect()
}

/// How long a connection's record is safe from a 410: a record is written in `$connect`,
/// before the gateway accepts posts to the socket.
pub const GONE_GRACE_MS: u64 = 10_000;

/// [`post_all`] to live connections, deleting the record of each one that is gone (unless
/// it connected within [`GONE_GRACE_MS`] of `now_ms`: it may still be in its `$connect`).
pub async fn fan_out<S: ConnectionStore, P: Poster>(
    store: &S,
    poster: &P,
    now_ms: u64,
    targets: Vec<(Connection, &str)>,
) {
    let gone = post_all(poster, targets, |c| &c.connection_id).await;
    let cutoff = now_ms.saturating_sub(GONE_GRACE_MS);
    let deletes = gone.iter().map(|conn| async move {
        if let Err(e) = store.delete_stale_connection(&conn.user, &conn.connection_id, cutoff).await {
            tracing::warn!(user = %conn.user, error = %crate::refusal::cause_chain(&e), "could not delete a gone connection");
        }
    });
    join_all(deletes).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{RecordingPoster, connection};
    use chat_core::store::memory::MemoryStore;

    #[tokio::test]
    async fn a_gone_connection_is_forgotten_and_the_others_get_their_frames() {
        let store = MemoryStore::new();
        let (live, gone) = (connection("bob", "live="), connection("bob", "gone="));
        for c in [&live, &gone] {
            store.put_connection(c).await.expect("put");
        }
        let poster = RecordingPoster::default();
        poster.mark_gone("gone=");
        let now = 1_000_000;
        fan_out(&store, &poster, now, vec![(live.clone(), r#"{"type":"ok"}"#), (gone, r#"{"type":"ok"}"#)]).await;
        assert_eq!(poster.frames_to("live=").len(), 1);
        let left = store.connections(&live.user, 0).await.expect("connections");
        assert_eq!(left, vec![live]);
    }

    #[tokio::test]
    async fn a_410_for_a_connection_still_in_its_connect_keeps_the_record() {
        let store = MemoryStore::new();
        let now = 1_000_000;
        let young = Connection { connected_at: now - 2_000, ..connection("bob", "young=") };
        store.put_connection(&young).await.expect("put");
        let poster = RecordingPoster::default();
        poster.mark_gone("young=");
        fan_out(&store, &poster, now, vec![(young.clone(), r#"{"type":"ok"}"#)]).await;
        assert_eq!(store.connections(&young.user, 0).await.expect("connections"), vec![young.clone()]);
        fan_out(&store, &poster, now + GONE_GRACE_MS, vec![(young.clone(), r#"{"type":"ok"}"#)]).await;
        assert!(store.connections(&young.user, 0).await.expect("connections").is_empty(), "once old, it goes");
    }
}
