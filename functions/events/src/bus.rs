//! Where events go: the [`Sink`] port, and [`Bus`], its EventBridge adapter.

use std::future::Future;
use std::time::Duration;

use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use chat_core::events::Event;

/// Publishes events, in order; answers, for each, whether it was accepted.
pub trait Sink: Send + Sync {
    /// Publishes `events`.
    fn publish(&self, events: &[Event]) -> impl Future<Output = Vec<bool>> + Send;
}

/// The stack's EventBridge bus.
#[derive(Debug, Clone)]
pub struct Bus {
    client: aws_sdk_eventbridge::Client,
    bus: String,
    source: String,
}

/// Entries in one `PutEvents` call (the API's limit).
const ENTRIES_PER_CALL: usize = 10;
/// Calls per batch of entries before the rest is left to the stream's retry.
const ATTEMPTS: u32 = 3;

impl Bus {
    /// Publishes to `bus` with `source`.
    pub fn new(client: aws_sdk_eventbridge::Client, bus: impl Into<String>, source: impl Into<String>) -> Self {
        Self { client, bus: bus.into(), source: source.into() }
    }

    fn entry(&self, e: &Event) -> PutEventsRequestEntry {
        PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(&self.source)
            .detail_type(e.detail_type)
            .detail(e.detail.to_string())
            .build()
    }

    /// Publishes one chunk, retrying the entries EventBridge refused.
    async fn publish_chunk(&self, chunk: &[Event]) -> Vec<bool> {
        let mut ok = vec![false; chunk.len()];
        for attempt in 0..ATTEMPTS {
            let pending: Vec<usize> = (0..chunk.len()).filter(|i| !ok[*i]).collect();
            if pending.is_empty() {
                break;
            }
            let entries = pending.iter().map(|i| self.entry(&chunk[*i])).collect();
            match self.client.put_events().set_entries(Some(entries)).send().await {
                Ok(out) => {
                    for (i, result) in pending.iter().zip(out.entries()) {
                        if result.event_id().is_some() && result.error_code().is_none() {
                            ok[*i] = true;
                        } else {
                            tracing::warn!(code = ?result.error_code(), message = ?result.error_message(), "an event was refused");
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %chat_core::cause_chain(&e), "PutEvents failed"),
            }
            if ok.iter().any(|o| !o) {
                tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
            }
        }
        ok
    }
}

impl Sink for Bus {
    async fn publish(&self, events: &[Event]) -> Vec<bool> {
        let mut out = Vec::with_capacity(events.len());
        for chunk in events.chunks(ENTRIES_PER_CALL) {
            let ok = self.publish_chunk(chunk).await;
            let stop = ok.iter().any(|o| !o);
            out.extend(ok);
            if stop {
                // Order matters per conversation: nothing after a failure is published now.
                out.resize(events.len(), false);
                break;
            }
        }
        out
    }
}
