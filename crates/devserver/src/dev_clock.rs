//! The devserver's clock: the system's, moved forward by `POST /dev/clock`, so that what
//! depends on time (retention, bans, idempotency windows) can be tried without waiting.
//! Every handler and the store's retention read this one clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::response::{IntoResponse, Response};
use chat_core::clock::{Clock, SystemClock};
use serde::Deserialize;
use serde_json::json;

/// The system clock plus an offset that only grows.
#[derive(Debug, Clone, Default)]
pub struct DevClock {
    offset_ms: Arc<AtomicU64>,
}

impl DevClock {
    /// Moves the clock `ms` forward; returns the new offset from the system clock.
    pub fn advance(&self, ms: u64) -> u64 {
        self.offset_ms.fetch_add(ms, Ordering::SeqCst).saturating_add(ms)
    }
}

impl Clock for DevClock {
    fn now_ms(&self) -> u64 {
        SystemClock.now_ms().saturating_add(self.offset_ms.load(Ordering::SeqCst))
    }
}

/// `POST /dev/clock` `{"advanceMs": n}`: how far to move the clock.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Advance {
    /// Milliseconds forward (never back: nothing stored may come from the future).
    pub advance_ms: u64,
}

/// Answers `POST /dev/clock` with the clock as it now is: `{"nowMs", "offsetMs"}`.
pub fn advance(clock: &DevClock, by: &Advance) -> Response {
    let offset = clock.advance(by.advance_ms);
    axum::Json(json!({"nowMs": clock.now_ms(), "offsetMs": offset})).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_moves_forward_for_every_copy() {
        let clock = DevClock::default();
        let copy = clock.clone();
        let before = copy.now_ms();
        assert_eq!(clock.advance(2 * 86_400_000), 2 * 86_400_000);
        assert!(copy.now_ms() >= before + 2 * 86_400_000);
    }
}
