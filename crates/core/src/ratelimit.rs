//! A token bucket per connection, for `send`: `burst` messages at once, refilled at `rate`
//! per second. Over it, a send is refused with `rate_limited` and nothing is stored.
//!
//! The buckets live in the process: exact in the devserver; in AWS, per Lambda instance
//! (a connection's frames mostly land on the same few warm instances), with the API
//! Gateway stage's route throttling as the hard limit behind it. Keeping buckets in
//! DynamoDB would cost a write per message, more than the message itself.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::ids::ConnectionId;

/// How many buckets are kept before the oldest are dropped (a dropped bucket starts full).
const MAX_BUCKETS: usize = 100_000;

/// Rate limit settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Sustained sends per second.
    pub rate: f64,
    /// Sends allowed at once.
    pub burst: f64,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self { rate: 20.0, burst: 60.0 }
    }
}

impl RateLimit {
    /// Reads `CHAT_SEND_RATE` and `CHAT_SEND_BURST` (defaults 20/s and 60); a rate of 0
    /// turns the limit off. A value that is not a number is an error, not the default.
    pub fn from_vars(vars: &crate::config::Vars<'_>) -> Result<Option<Self>, crate::config::ConfigError> {
        use crate::schema::env::{SEND_BURST, SEND_RATE};
        let d = Self::default();
        let rate: f64 = vars.parse_or(SEND_RATE, d.rate, "a number of sends per second (0: no limit)")?;
        let burst: f64 = vars.parse_or(SEND_BURST, d.burst, "a number of sends")?;
        let limit = Self { rate, burst: burst.max(1.0) };
        Ok((rate > 0.0 && rate.is_finite()).then_some(limit))
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: u64,
}

/// Buckets by connection.
#[derive(Debug)]
pub struct RateLimiter {
    limit: Option<RateLimit>,
    buckets: Mutex<HashMap<ConnectionId, Bucket>>,
}

impl RateLimiter {
    /// A limiter with `limit` (`None`: unlimited).
    pub fn new(limit: Option<RateLimit>) -> Self {
        Self { limit, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one token for `conn` at `now_ms`; false when the bucket is empty.
    pub fn allow(&self, conn: &ConnectionId, now_ms: u64) -> bool {
        let Some(limit) = self.limit else { return true };
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(conn) {
            // Forget the buckets idle longest: they would be full again anyway.
            let refill_ms = (limit.burst / limit.rate * 1000.0) as u64;
            buckets.retain(|_, b| now_ms.saturating_sub(b.at_ms) < refill_ms);
            if buckets.len() >= MAX_BUCKETS {
                buckets.clear();
            }
        }
        let b = buckets.entry(conn.clone()).or_insert(Bucket { tokens: limit.burst, at_ms: now_ms });
        let elapsed = now_ms.saturating_sub(b.at_ms) as f64 / 1000.0;
        b.tokens = (b.tokens + elapsed * limit.rate).min(limit.burst);
        b.at_ms = now_ms;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self::new(Some(RateLimit::default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(s: &str) -> ConnectionId {
        ConnectionId::parse(s).expect("valid")
    }

    #[test]
    fn a_burst_is_allowed_then_refused_until_tokens_refill() {
        let l = RateLimiter::new(Some(RateLimit { rate: 2.0, burst: 3.0 }));
        let c = conn("a=");
        assert!((0..3).all(|_| l.allow(&c, 1_000)));
        assert!(!l.allow(&c, 1_000));
        assert!(!l.allow(&c, 1_400), "0.8 of a token is not enough");
        assert!(l.allow(&c, 1_500), "half a second refills one token at 2/s");
        assert!(!l.allow(&c, 1_500));
        assert!((0..3).all(|_| l.allow(&c, 60_000)), "refill stops at the burst");
        assert!(!l.allow(&c, 60_000));
    }

    #[test]
    fn connections_have_their_own_buckets_and_none_means_unlimited() {
        let l = RateLimiter::new(Some(RateLimit { rate: 1.0, burst: 1.0 }));
        assert!(l.allow(&conn("a="), 0));
        assert!(!l.allow(&conn("a="), 0));
        assert!(l.allow(&conn("b="), 0));
        let free = RateLimiter::new(None);
        assert!((0..10_000).all(|_| free.allow(&conn("a="), 0)));
    }
}
