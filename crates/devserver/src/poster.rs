//! The functions' poster in the devserver: the real SDK client ([`ApiGwPoster`]) posting
//! over HTTP to this process's own `@connections` API, with a bound on how many posts are
//! in flight at once.
//!
//! API Gateway has no such bound, but a laptop does: each post in flight holds an HTTP
//! connection to ourselves (a socket on each side), so a burst of 10,000 sends would open
//! some 20,000. Posts beyond the bound wait for a slot, which still counts against the
//! handler's own per-post timeout.

use std::sync::Arc;

use chat_apigw::ApiGwPoster;
use chat_core::ids::ConnectionId;
use chat_core::poster::{PostError, Poster};
use tokio::sync::Semaphore;

/// Posts in flight at once.
pub const MAX_IN_FLIGHT: usize = 256;

/// [`ApiGwPoster`] with at most [`MAX_IN_FLIGHT`] posts at once.
#[derive(Debug, Clone)]
pub struct LocalPoster {
    sdk: ApiGwPoster,
    slots: Arc<Semaphore>,
    /// For the AWS request log (this client is built apart from `chat_lambda::sdk_config`).
    callback: Arc<str>,
}

impl LocalPoster {
    /// Posts to the local Management API at `callback` (with the stage).
    pub fn new(callback: &str) -> Self {
        Self {
            sdk: ApiGwPoster::local(callback),
            slots: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            callback: callback.into(),
        }
    }
}

impl Poster for LocalPoster {
    async fn post(&self, connection: &ConnectionId, data: &str) -> Result<(), PostError> {
        let _slot = self.slots.acquire().await.map_err(|e| PostError::Failed(Box::new(e)))?;
        chat_lambda::aws_log::connections_call("POST", &self.callback, connection.as_str());
        self.sdk.post(connection, data).await
    }

    async fn close(&self, connection: &ConnectionId) -> Result<(), PostError> {
        chat_lambda::aws_log::connections_call("DELETE", &self.callback, connection.as_str());
        self.sdk.close(connection).await
    }
}
