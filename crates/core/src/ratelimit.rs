//! Per-user limits, kept in the store so they hold across a user's connections and across
//! Lambda instances (a bucket in process memory would be per instance in AWS). Pure: the
//! arithmetic lives here; the stores keep the state.
//!
//! - `send`: a token bucket ([`RateLimit`]): `burst` messages at once, refilled at `rate`
//!   per second. Its state ([`Bucket`]) lives on the sender's seq counter, which every
//!   send reads and writes anyway, so on DynamoDB it costs no extra request.
//! - every other route that writes or fans out: a fixed-window budget ([`Budget`]), one
//!   conditional counter per user, route and window (one `UpdateItem` on DynamoDB).
//!
//! Defaults are in [`Limits::default`]; each is overridden by its variable
//! (`schema::env`), 0 turning it off.

use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, Vars};
use crate::schema::env;

/// A token bucket: `burst` at once, refilled at `rate` per second.
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

/// A bucket's state as stored: tokens left, and when they were counted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// Tokens left at `at_ms`.
    pub tokens: f64,
    /// When, ms since the epoch.
    pub at_ms: u64,
}

impl RateLimit {
    /// Takes one token at `now_ms` from `bucket` (`None`: never used, so full). Returns the
    /// bucket to store, or how many ms until a token is there.
    pub fn take(&self, bucket: Option<Bucket>, now_ms: u64) -> Result<Bucket, u64> {
        let b = bucket.unwrap_or(Bucket { tokens: self.burst, at_ms: now_ms });
        let elapsed = now_ms.saturating_sub(b.at_ms) as f64 / 1000.0;
        let tokens = (b.tokens + elapsed * self.rate).min(self.burst);
        if tokens >= 1.0 {
            return Ok(Bucket { tokens: tokens - 1.0, at_ms: now_ms.max(b.at_ms) });
        }
        Err((((1.0 - tokens) / self.rate) * 1000.0).ceil().max(1.0) as u64)
    }

    /// Reads `CHAT_SEND_RATE` and `CHAT_SEND_BURST` (defaults 20/s and 60); a rate of 0
    /// turns the limit off. A value that is not a number is an error, not the default.
    pub fn from_vars(vars: &Vars<'_>) -> Result<Option<Self>, ConfigError> {
        let d = Self::default();
        let rate: f64 = vars.parse_or(env::SEND_RATE, d.rate, "a number of sends per second (0: no limit)")?;
        let burst: f64 = vars.parse_or(env::SEND_BURST, d.burst, "a number of sends")?;
        Ok((rate > 0.0 && rate.is_finite()).then_some(Self { rate, burst: burst.max(1.0) }))
    }
}

/// At most `max` requests per user in each fixed window of `window_ms`. A fixed window
/// lets a client spend two budgets across a window's edge; the bound is 2x, documented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Requests allowed per window.
    pub max: u32,
    /// The window, ms.
    pub window_ms: u64,
}

impl Budget {
    /// `max` per minute.
    pub const fn per_minute(max: u32) -> Self {
        Self { max, window_ms: 60_000 }
    }

    /// The window `now_ms` falls in (its index since the epoch).
    pub fn window(&self, now_ms: u64) -> u64 {
        now_ms / self.window_ms.max(1)
    }

    /// Ms from `now_ms` until the next window opens.
    pub fn retry_after(&self, now_ms: u64) -> u64 {
        let w = self.window_ms.max(1);
        (w - now_ms % w).max(1)
    }
}

/// The routes with a [`Budget`], each its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// `group.create`, `group.add`, `group.remove`, `group.leave` (each writes notices into
    /// other users' inboxes).
    Group,
    /// `receipt`.
    Receipt,
    /// `typing` (excess is dropped silently: it is ephemeral).
    Typing,
    /// `presence` (subscriptions).
    Presence,
    /// `push.register`.
    PushRegister,
    /// `upload` (each hands out a URL and writes a record).
    Upload,
}

impl Route {
    /// Every route.
    pub const ALL: &'static [Route] =
        &[Self::Group, Self::Receipt, Self::Typing, Self::Presence, Self::PushRegister, Self::Upload];

    /// The route's name in stored keys.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Group => "group",
            Self::Receipt => "receipt",
            Self::Typing => "typing",
            Self::Presence => "presence",
            Self::PushRegister => "push.register",
            Self::Upload => "upload",
        }
    }
}

/// Every per-user limit of a deployment; `None` turns one off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// `send` (token bucket).
    pub send: Option<RateLimit>,
    /// `group.*`: default 30 a minute.
    pub group: Option<Budget>,
    /// `receipt`: default 600 a minute (a receipt frame carries up to 100 ids).
    pub receipt: Option<Budget>,
    /// `typing`: default 120 a minute.
    pub typing: Option<Budget>,
    /// `presence`: default 60 a minute.
    pub presence: Option<Budget>,
    /// `push.register`: default 10 a minute.
    pub push_register: Option<Budget>,
    /// `upload`: default 60 a minute.
    pub upload: Option<Budget>,
    /// Live connections per user: default 20; the next handshake is refused.
    pub connections: Option<u32>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            send: Some(RateLimit::default()),
            group: Some(Budget::per_minute(30)),
            receipt: Some(Budget::per_minute(600)),
            typing: Some(Budget::per_minute(120)),
            presence: Some(Budget::per_minute(60)),
            push_register: Some(Budget::per_minute(10)),
            upload: Some(Budget::per_minute(60)),
            connections: Some(20),
        }
    }
}

impl Limits {
    /// No limits at all (tests of other things).
    pub const fn none() -> Self {
        Self {
            send: None,
            group: None,
            receipt: None,
            typing: None,
            presence: None,
            push_register: None,
            upload: None,
            connections: None,
        }
    }

    /// The budget of `route`.
    pub fn budget(&self, route: Route) -> Option<Budget> {
        match route {
            Route::Group => self.group,
            Route::Receipt => self.receipt,
            Route::Typing => self.typing,
            Route::Presence => self.presence,
            Route::PushRegister => self.push_register,
            Route::Upload => self.upload,
        }
    }

    /// The defaults, each overridden by its variable: `CHAT_SEND_RATE`/`CHAT_SEND_BURST`,
    /// and `CHAT_<ROUTE>_PER_MINUTE` for the others (0: off).
    pub fn from_vars(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        let d = Self::default();
        let per_minute = |var: &'static str, default: Option<Budget>| -> Result<Option<Budget>, ConfigError> {
            let max: u32 =
                vars.parse_or(var, default.map_or(0, |b| b.max), "a whole number per minute (0: no limit)")?;
            Ok((max > 0).then_some(Budget::per_minute(max)))
        };
        Ok(Self {
            send: RateLimit::from_vars(vars)?,
            group: per_minute(env::GROUP_PER_MINUTE, d.group)?,
            receipt: per_minute(env::RECEIPT_PER_MINUTE, d.receipt)?,
            typing: per_minute(env::TYPING_PER_MINUTE, d.typing)?,
            presence: per_minute(env::PRESENCE_PER_MINUTE, d.presence)?,
            push_register: per_minute(env::PUSH_REGISTER_PER_MINUTE, d.push_register)?,
            upload: per_minute(env::UPLOAD_PER_MINUTE, d.upload)?,
            connections: {
                let max: u32 = vars.parse_or(env::CONNECTIONS_PER_USER, 20, "a whole number (0: no cap)")?;
                (max > 0).then_some(max)
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_until_tokens_refill() {
        let l = RateLimit { rate: 2.0, burst: 3.0 };
        let mut b = None;
        for _ in 0..3 {
            b = Some(l.take(b, 1_000).expect("within the burst"));
        }
        assert_eq!(l.take(b, 1_000), Err(500), "a token comes in half a second at 2/s");
        assert_eq!(l.take(b, 1_400), Err(100), "0.8 of a token is not enough");
        let b = l.take(b, 1_500).expect("half a second refills one token");
        assert!(l.take(Some(b), 1_500).is_err());
        let mut b = Some(b);
        for _ in 0..3 {
            b = Some(l.take(b, 60_000).expect("refilled"));
        }
        assert!(l.take(b, 60_000).is_err(), "refill stops at the burst");
    }

    #[test]
    fn a_window_budget_says_when_the_next_window_opens() {
        let b = Budget::per_minute(5);
        assert_eq!(b.window(59_999), 0);
        assert_eq!(b.window(60_000), 1);
        assert_eq!(b.retry_after(61_000), 59_000);
    }

    #[test]
    fn limits_come_from_variables_and_zero_turns_one_off() {
        let get = |k: &str| match k {
            env::GROUP_PER_MINUTE => Some("0".to_owned()),
            env::TYPING_PER_MINUTE => Some("7".to_owned()),
            env::SEND_RATE => Some("0".to_owned()),
            _ => None,
        };
        let l = Limits::from_vars(&Vars::new(&get)).expect("valid");
        assert_eq!((l.send, l.group), (None, None));
        assert_eq!(l.typing, Some(Budget::per_minute(7)));
        assert_eq!(l.presence, Limits::default().presence);
        let bad = |k: &str| (k == env::RECEIPT_PER_MINUTE).then(|| "many".to_owned());
        assert!(Limits::from_vars(&Vars::new(&bad)).is_err());
    }
}
