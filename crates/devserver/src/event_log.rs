//! The devserver's event sink: the events the deployed stack publishes to EventBridge,
//! kept here (the recent ones, for `GET /dev/events`) and, with `--events-url`, POSTed one
//! at a time, in order, as EventBridge's envelope (`id`, `detail-type`, `source`, `time`,
//! `detail`), so a local backend receives what its EventBridge rule would.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chat_core::events::{Change, event_of};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::http_client::HttpClient;

/// How many recent events `/dev/events` keeps.
pub const KEPT: usize = 10_000;

/// The `source` of the devserver's events (the stack's default).
pub const SOURCE: &str = "serverless-chat";

/// Recent events, and the queue to `--events-url`.
pub struct EventLog {
    recent: Mutex<VecDeque<Value>>,
    count: AtomicU64,
    forward: Option<mpsc::UnboundedSender<Value>>,
}

impl std::fmt::Debug for EventLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLog").field("count", &self.count).finish_non_exhaustive()
    }
}

impl EventLog {
    /// A log; with `url`, every event is also POSTed there (in order, each retried a few
    /// times, then logged and dropped).
    pub fn new(url: Option<String>) -> Self {
        let forward = url.map(|url| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(forward_all(url, rx));
            tx
        });
        Self { recent: Mutex::new(VecDeque::new()), count: AtomicU64::new(0), forward }
    }

    /// Publishes the event of `change`.
    pub fn record(&self, change: Change) {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        // Numbered under the lock: `n` is the order of publication.
        let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        let event = event_of(&change, &n.to_string());
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        let envelope = json!({
            "n": n,
            "id": event.id,
            "detail-type": event.detail_type,
            "source": SOURCE,
            "time": crate::events::iso8601(now),
            "detail": event.detail,
        });
        if recent.len() == KEPT {
            recent.pop_front();
        }
        recent.push_back(envelope.clone());
        if let Some(tx) = &self.forward {
            let _ = tx.send(envelope);
        }
    }

    /// The kept events numbered after `after`, oldest first.
    pub fn after(&self, after: u64) -> Vec<Value> {
        let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        recent.iter().filter(|e| e["n"].as_u64().is_some_and(|n| n > after)).cloned().collect()
    }
}

async fn forward_all(url: String, mut rx: mpsc::UnboundedReceiver<Value>) {
    let client = HttpClient::new();
    while let Some(event) = rx.recv().await {
        for attempt in 0..5u32 {
            match client.post_json(&url, &event, Duration::from_secs(5)).await {
                Ok((status, _)) if (200..300).contains(&status) => break,
                Ok((status, _)) => tracing::warn!(%url, status, "the events URL refused an event"),
                Err(e) => tracing::warn!(%url, error = %chat_core::cause_chain(&*e), "posting an event failed"),
            }
            if attempt == 4 {
                tracing::error!(%url, id = %event["id"], "event dropped after 5 attempts");
            }
            tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
        }
    }
}
