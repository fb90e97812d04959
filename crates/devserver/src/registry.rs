//! Open WebSocket connections, by connection id: what `@connections` posts reach.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc;

/// How many frames may wait for a slow client before posts to it are refused with 429,
/// as API Gateway does when a client's buffer is full. Bounds memory per connection.
pub const OUTBOX_FRAMES: usize = 1024;

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

    /// Queues a frame for a connection without waiting.
    pub fn send(&self, id: &str, msg: Outbound) -> Result<(), SendError> {
        let handle = self.get(id).ok_or(SendError::Gone)?;
        handle.outbox.try_send(msg).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => SendError::Full,
            mpsc::error::TrySendError::Closed(_) => SendError::Gone,
        })
    }
}

impl Handle {
    /// Records client activity.
    pub fn touch(&self, now_ms: u64) {
        self.last_active.store(now_ms, Ordering::Relaxed);
    }
}
