//! [`FaultyPoster`] and [`FaultyPush`]: the send path's two outbound hops.

use std::sync::Arc;

use chat_core::BoxError;
use chat_core::ids::ConnectionId;
use chat_core::poster::{PostError, Poster};
use chat_core::push::{PushQueue, PushRequest};

use crate::{Fault, Faults, Injected};

/// A poster whose posts fail as its [`Faults`] plan says ([`Fault::Gone`] is a 410).
#[derive(Debug)]
pub struct FaultyPoster<P> {
    inner: P,
    faults: Arc<Faults>,
}

impl<P> FaultyPoster<P> {
    /// Wraps `inner`.
    pub fn new(inner: P, faults: Arc<Faults>) -> Self {
        Self { inner, faults }
    }

    /// The wrapped poster.
    pub fn inner(&self) -> &P {
        &self.inner
    }
}

impl<P: Poster> Poster for FaultyPoster<P> {
    async fn post(&self, connection: &ConnectionId, data: &str) -> Result<(), PostError> {
        let fail = |i: Injected| match i.fault {
            Fault::Gone => PostError::Gone,
            _ => PostError::Failed(Box::new(i)),
        };
        self.faults.run("post", self.inner.post(connection, data), fail).await
    }

    async fn close(&self, connection: &ConnectionId) -> Result<(), PostError> {
        self.inner.close(connection).await
    }
}

/// A push queue whose hand-offs fail as its [`Faults`] plan says.
#[derive(Debug)]
pub struct FaultyPush<Q> {
    inner: Q,
    faults: Arc<Faults>,
}

impl<Q> FaultyPush<Q> {
    /// Wraps `inner`.
    pub fn new(inner: Q, faults: Arc<Faults>) -> Self {
        Self { inner, faults }
    }

    /// The wrapped queue.
    pub fn inner(&self) -> &Q {
        &self.inner
    }
}

impl<Q: PushQueue> PushQueue for FaultyPush<Q> {
    async fn enqueue(&self, req: &PushRequest) -> Result<(), BoxError> {
        self.faults.run("enqueue", self.inner.enqueue(req), |i| Box::new(i) as BoxError).await
    }
}
