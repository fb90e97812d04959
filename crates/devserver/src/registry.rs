//! Open WebSocket connections, by connection id: what `@connections` posts reach.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

/// How many frames may wait for a slow client before posts to it are refused with 429,
/// as API Gateway does when a client's buffer is full.
pub const OUTBOX_FRAMES: usize = 1024;

/// How many bytes of frames may wait for a slow client (beyond the one frame that always
/// fits). With [`OUTBOX_FRAMES`], this bounds the memory a client that stops reading holds.
pub const OUTBOX_BYTES: usize = 1024 * 1024;

/// What the writer task of a connection is told to do.
#[derive(Debug)]
pub enum Outbound {
    /// Send a text frame.
    Text(String),
    /// Send a binary frame.
    Binary(bytes::Bytes),
    /// Close with this code and reason.
    Close(u16, &'static str),
}

/// A registered connection.
#[derive(Debug)]
pub struct Handle {
    /// To the connection's writer task.
    pub outbox: mpsc::Sender<Outbound>,
    /// Connect time, ms.
    pub connected_at: u64,
    /// Last frame from the client, ms.
    pub last_active: AtomicU64,
    /// Client address.
    pub source_ip: String,
    /// Client's User-Agent.
    pub user_agent: String,
    /// Bytes of frames queued in the outbox, not yet written to the socket. Shared with
    /// the writer task, which must not hold the handle itself (it holds the outbox's
    /// sender, and the writer ends only when every sender is gone).
    pub queued: Arc<AtomicUsize>,
}

/// Why a post could not be queued.
#[derive(Debug, PartialEq, Eq)]
pub enum SendError {
    /// No such connection (410).
    Gone,
    /// The client is not reading (429).
    Full,
}

/// All open connections.
#[derive(Debug, Default)]
pub struct Registry {
    map: Mutex<HashMap<String, std::sync::Arc<Handle>>>,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, std::sync::Arc<Handle>>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a connection.
    pub fn insert(&self, id: String, handle: Handle) -> std::sync::Arc<Handle> {
        let handle = std::sync::Arc::new(handle);
        self.lock().insert(id, handle.clone());
        handle
    }

    /// Removes a connection.
    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Looks a connection up.
    pub fn get(&self, id: &str) -> Option<std::sync::Arc<Handle>> {
        self.lock().get(id).cloned()
    }

    /// How many connections are open.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no connection is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Queues a frame for a connection without waiting; refuses it when the connection's
    /// outbox holds [`OUTBOX_FRAMES`] frames or would pass [`OUTBOX_BYTES`].
    pub fn send(&self, id: &str, msg: Outbound) -> Result<(), SendError> {
        let handle = self.get(id).ok_or(SendError::Gone)?;
        let size = msg.size();
        let queued = handle.queued.fetch_add(size, Ordering::SeqCst);
        let refuse = |e| {
            handle.queued.fetch_sub(size, Ordering::SeqCst);
            Err(e)
        };
        if queued > 0 && queued + size > OUTBOX_BYTES {
            return refuse(SendError::Full);
        }
        match handle.outbox.try_send(msg) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => refuse(SendError::Full),
            Err(mpsc::error::TrySendError::Closed(_)) => refuse(SendError::Gone),
        }
    }
}

impl Outbound {
    /// Bytes this frame holds while it waits.
    pub fn size(&self) -> usize {
        match self {
            Outbound::Text(t) => t.len(),
            Outbound::Binary(b) => b.len(),
            Outbound::Close(..) => 0,
        }
    }
}

impl Handle {
    /// Records client activity.
    pub fn touch(&self, now_ms: u64) {
        self.last_active.store(now_ms, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> (Registry, mpsc::Receiver<Outbound>) {
        let (tx, rx) = mpsc::channel(OUTBOX_FRAMES);
        let r = Registry::default();
        r.insert(
            "c=".into(),
            Handle {
                outbox: tx,
                connected_at: 0,
                last_active: 0.into(),
                source_ip: String::new(),
                user_agent: String::new(),
                queued: Default::default(),
            },
        );
        (r, rx)
    }

    #[test]
    fn a_client_that_does_not_read_holds_a_bounded_number_of_bytes() {
        let (r, mut rx) = registry();
        let frame = "x".repeat(100 * 1024);
        let accepted = (0..100).take_while(|_| r.send("c=", Outbound::Text(frame.clone())).is_ok()).count();
        assert_eq!(accepted, OUTBOX_BYTES / frame.len(), "posts are refused once the byte budget is spent");
        assert_eq!(r.send("c=", Outbound::Text(frame.clone())), Err(SendError::Full));
        // The writer drains one frame: room for one more.
        let sent = rx.try_recv().expect("a queued frame");
        r.get("c=").expect("open").queued.fetch_sub(sent.size(), Ordering::SeqCst);
        assert_eq!(r.send("c=", Outbound::Text(frame.clone())), Ok(()));
        assert_eq!(r.send("c=", Outbound::Text(frame)), Err(SendError::Full));
    }

    #[test]
    fn one_frame_always_fits_an_empty_outbox_and_small_frames_are_capped_by_count() {
        let (r, _rx) = registry();
        assert_eq!(r.send("c=", Outbound::Text("y".repeat(OUTBOX_BYTES + 1))), Ok(()));
        let (r, _rx) = registry();
        let accepted =
            (0..OUTBOX_FRAMES + 10).take_while(|_| r.send("c=", Outbound::Text("{}".into())).is_ok()).count();
        assert_eq!(accepted, OUTBOX_FRAMES);
        assert_eq!(r.send("gone=", Outbound::Text("{}".into())), Err(SendError::Gone));
    }
}
