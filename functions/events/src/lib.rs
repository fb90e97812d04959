//! `chat-events`: every stored change, published once to the stack's EventBridge bus
//! (docs/server-api.md, "Events"). Never on the send path: this function reads the
//! DynamoDB streams of the state and groups tables.
//!
//! Layout:
//! - [`handle`] (here): a stream batch in order: each record to a change (through
//!   `chat_dynamo::changes`, which reads the change's entry), each change to its event
//!   (`chat_core::events::event_of`, the function the devserver uses too), then published;
//!   the first record whose event could not be published (or read) is reported as the batch
//!   item failure, so the stream retries from it (and its retries exhausted, the record goes
//!   to the on-failure queue with its alarm).
//! - `bus`: the [`Sink`] port and its EventBridge adapter (`PutEvents`, 10 entries a call,
//!   failed entries retried).
//! - `record`: `aws_lambda_events` stream records to `chat_dynamo::changes::Record`.

mod bus;
mod record;

pub use bus::{Bus, Sink};
pub use record::record_of;

use aws_lambda_events::dynamodb::Event as StreamEvent;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use chat_core::events::{Event, event_of};
use chat_dynamo::DynamoStore;
use lambda_runtime::LambdaEvent;

/// The events' `source` unless `CHAT_EVENT_SOURCE` says otherwise.
pub const DEFAULT_SOURCE: &str = "serverless-chat";

/// What the handler needs.
#[derive(Debug)]
pub struct Deps<K> {
    /// The tables (the change's own entry is read from its holder's inbox).
    pub store: DynamoStore,
    /// Where events go.
    pub sink: K,
}

/// Runs one stream batch; returns the first record that must be retried, if any.
pub async fn handle<K: Sink>(
    deps: &Deps<K>,
    event: LambdaEvent<StreamEvent>,
) -> Result<DynamoDbEventResponse, lambda_runtime::Error> {
    let mut events: Vec<(String, Event)> = Vec::new();
    let mut failed_at: Option<String> = None;
    for raw in &event.payload.records {
        let id = raw.change.sequence_number.clone().unwrap_or_else(|| raw.event_id.clone());
        let record = match record_of(raw) {
            Ok(r) => r,
            Err(e) => {
                // A record this code cannot read will never be readable: log it and go on,
                // rather than block the shard behind it.
                tracing::error!(record = %id, error = %e, "unreadable stream record skipped");
                continue;
            }
        };
        match chat_dynamo::changes::change_of(&deps.store, &record).await {
            Ok(Some(change)) => events.push((id, event_of(&change, &record.sequence))),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(record = %id, error = %chat_core::cause_chain(&e), "reading a change failed; retried");
                failed_at = Some(id);
                break;
            }
        }
    }
    let published = deps.sink.publish(&events.iter().map(|(_, e)| e.clone()).collect::<Vec<_>>()).await;
    if let Some(first) = published.iter().position(|ok| !ok) {
        failed_at = Some(events[first].0.clone());
    }
    chat_lambda::metrics::count(
        chat_lambda::metrics::Metric::EventsPublished,
        published.iter().filter(|ok| **ok).count() as u64,
    );
    let mut response = DynamoDbEventResponse::default();
    if let Some(id) = failed_at {
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = Some(id);
        response.batch_item_failures.push(failure);
    }
    Ok(response)
}
