//! `chat-faults`: wrappers around the store, the poster and the push queue that inject a
//! failure on chosen calls, for tests of the send path's promises under faults.
//!
//! Each wrapper shares a [`Faults`] plan: a counter of the calls made through it and, for
//! some call numbers, the [`Fault`] to inject there. A test first runs a scenario with an
//! empty plan to count the calls, then reruns it once per (call number, fault) pair.
//!
//! - [`FaultyStore`]: every method of every store trait.
//! - [`FaultyPoster`]: `@connections` posts.
//! - [`FaultyPush`]: the send path's push hand-off.
//! - [`dynamo::DynamoFault`]: below the store, failing chosen DynamoDB requests inside the
//!   real SDK client (throttled, or done with the answer lost).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub mod dynamo;
mod poster;
mod store;

pub use poster::{FaultyPoster, FaultyPush};
pub use store::FaultyStore;

/// What to do to one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Fail without doing anything (a refused connection, a 500).
    Fail,
    /// Do the call, then report failure: the write happened but the reply was lost (a
    /// timeout after the request went out). The caller cannot tell this from [`Fault::Fail`].
    FailAfter,
    /// Fail as DynamoDB does when throttling outlasts the SDK's retries
    /// (`ProvisionedThroughputExceededException`), without doing anything.
    Throttle,
    /// For posts: the connection is gone (HTTP 410). Elsewhere the same as [`Fault::Fail`].
    Gone,
    /// Wait this long, then do the call normally (a slow network or a cold partition).
    Delay(Duration),
    /// Hang this long, then fail without doing anything (the SDK's operation timeout).
    Timeout(Duration),
}

impl Fault {
    /// One of each kind, with `slow` as the delay and timeout: what a test sweeps.
    pub fn every_kind(slow: Duration) -> [Fault; 6] {
        [Fault::Fail, Fault::FailAfter, Fault::Throttle, Fault::Gone, Fault::Delay(slow), Fault::Timeout(slow)]
    }
}

/// The error an injected failure produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injected {
    /// The call that failed, e.g. `append`.
    pub op: &'static str,
    /// Its number in the plan (0-based).
    pub call: usize,
    /// What was injected.
    pub fault: Fault,
}

impl std::fmt::Display for Injected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.fault {
            Fault::Throttle => {
                "ProvisionedThroughputExceededException: rate of requests exceeds the allowed throughput"
            }
            Fault::Timeout(_) => "operation timed out",
            Fault::FailAfter => "response lost after the request was sent",
            Fault::Gone => "GoneException",
            Fault::Fail | Fault::Delay(_) => "connection refused",
        };
        write!(f, "injected fault on call {} ({}): {what}", self.call, self.op)
    }
}

impl std::error::Error for Injected {}

/// A plan of faults by call number, and the calls seen so far.
#[derive(Debug, Default)]
pub struct Faults {
    calls: AtomicUsize,
    plan: Mutex<HashMap<usize, Fault>>,
    seen: Mutex<Vec<&'static str>>,
}

impl Faults {
    /// A plan that injects nothing (yet).
    pub fn new() -> Self {
        Self::default()
    }

    /// A plan that injects `fault` on call number `call` (0-based).
    pub fn at(call: usize, fault: Fault) -> Self {
        let f = Self::new();
        f.inject(call, fault);
        f
    }

    /// Adds `fault` on call number `call`.
    pub fn inject(&self, call: usize, fault: Fault) {
        self.plan.lock().unwrap_or_else(|p| p.into_inner()).insert(call, fault);
    }

    /// How many calls went through so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// The operations called so far, in the order they started.
    pub fn seen(&self) -> Vec<&'static str> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Numbers the call and takes its fault, if one is planned.
    fn next(&self, op: &'static str) -> (usize, Option<Fault>) {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).push(op);
        (call, self.plan.lock().unwrap_or_else(|p| p.into_inner()).remove(&call))
    }

    /// Runs `call` under the plan; `fail` turns an injected fault into the call's error.
    async fn run<T, E>(
        &self,
        op: &'static str,
        call: impl Future<Output = Result<T, E>>,
        fail: impl FnOnce(Injected) -> E,
    ) -> Result<T, E> {
        let (n, fault) = self.next(op);
        let injected = |fault| Injected { op, call: n, fault };
        match fault {
            None => call.await,
            Some(Fault::Delay(d)) => {
                tokio::time::sleep(d).await;
                call.await
            }
            Some(f @ Fault::Timeout(d)) => {
                tokio::time::sleep(d).await;
                Err(fail(injected(f)))
            }
            Some(f @ Fault::FailAfter) => {
                // The call's own error wins: it is what the caller would have seen anyway.
                call.await?;
                Err(fail(injected(f)))
            }
            Some(f @ (Fault::Fail | Fault::Throttle | Fault::Gone)) => Err(fail(injected(f))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_the_planned_call_fails_and_fail_after_still_does_the_work() {
        let faults = Faults::at(1, Fault::FailAfter);
        let done = AtomicUsize::new(0);
        let work = || async {
            done.fetch_add(1, Ordering::SeqCst);
            Ok::<_, String>(())
        };
        assert_eq!(faults.run("a", work(), |i| i.to_string()).await, Ok(()));
        let err = faults.run("b", work(), |i| i.to_string()).await.expect_err("call 1 fails");
        assert!(err.contains("call 1 (b)"), "{err}");
        assert_eq!(faults.run("c", work(), |i| i.to_string()).await, Ok(()));
        assert_eq!(done.load(Ordering::SeqCst), 3, "FailAfter does the call before failing");
        assert_eq!(faults.seen(), vec!["a", "b", "c"]);
        assert_eq!(faults.calls(), 3);
    }

    #[tokio::test]
    async fn fail_and_timeout_do_not_do_the_work() {
        for fault in [Fault::Fail, Fault::Throttle, Fault::Gone, Fault::Timeout(Duration::from_millis(1))] {
            let faults = Faults::at(0, fault);
            let done = AtomicUsize::new(0);
            let r = faults
                .run(
                    "op",
                    async {
                        done.fetch_add(1, Ordering::SeqCst);
                        Ok::<_, String>(())
                    },
                    |i| i.to_string(),
                )
                .await;
            assert!(r.is_err(), "{fault:?} fails");
            assert_eq!(done.load(Ordering::SeqCst), 0, "{fault:?} does nothing");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn delay_waits_then_succeeds() {
        let faults = Faults::at(0, Fault::Delay(Duration::from_secs(5)));
        let start = tokio::time::Instant::now();
        assert_eq!(faults.run("op", async { Ok::<_, String>(7) }, |i| i.to_string()).await, Ok(7));
        assert!(start.elapsed() >= Duration::from_secs(5));
    }
}
