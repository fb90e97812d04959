//! Sending frames to connections: the API Gateway Management API in production (and in
//! the devserver, which serves that API), behind a trait so handlers can be tested alone.

use std::future::Future;

use crate::BoxError;
use crate::ids::ConnectionId;

/// Why a post failed; the variant says what the caller does next.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// The connection is gone (HTTP 410): delete its record.
    #[error("connection is gone")]
    Gone,
    /// Anything else (timeout, throttling, 5xx): log it and move on; `sync` recovers.
    #[error("post failed")]
    Failed(#[source] BoxError),
}

/// Posts data to a live WebSocket connection.
pub trait Poster: Send + Sync {
    /// Sends `data` as one text frame to `connection`.
    fn post(&self, connection: &ConnectionId, data: &str) -> impl Future<Output = Result<(), PostError>> + Send;
    /// Closes `connection` (`DELETE @connections/{id}`); closing a gone one is not an error.
    fn close(&self, connection: &ConnectionId) -> impl Future<Output = Result<(), PostError>> + Send;
}
