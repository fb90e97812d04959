//! How long inboxes keep their entries (`chat:retentionDays`, devserver `--retention-days`),
//! and the clock readers judge expiry by.
//!
//! An entry expires `days` after it was written (its `ts`): every store writes the expiry
//! beside the entry (DynamoDB: the item's `ttl` attribute, which TTL deletes for free and
//! lazily; the memory store: a field of its record, journaled), and every reader leaves out
//! an entry whose expiry has passed at [`Retention::now_s`], whether or not it is deleted
//! yet. Entries written while retention was off (0) never expire.
//!
//! A retention is the same for every entry, so an inbox loses entries from its low end:
//! `sync` reports the first seq it still keeps when the ones before it are gone
//! ([`crate::store::Page::oldest`]).

use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::message::{ConversationSummary, IDEMPOTENCY_TTL_MS};

/// One day, in ms.
pub const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// The retention of inbox entries, with the clock that says what has expired.
#[derive(Clone)]
pub struct Retention {
    /// How long an entry is kept, ms; 0: forever.
    keep_ms: u64,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Retention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Retention").field("keep_ms", &self.keep_ms).finish_non_exhaustive()
    }
}

impl Default for Retention {
    fn default() -> Self {
        Self::forever()
    }
}

impl Retention {
    /// Keep everything (the default).
    pub fn forever() -> Self {
        Self { keep_ms: 0, clock: Arc::new(SystemClock) }
    }

    /// Keep entries `days` days (0: forever), judged by `clock`.
    pub fn days(days: u32, clock: Arc<dyn Clock>) -> Self {
        Self { keep_ms: u64::from(days) * DAY_MS, clock }
    }

    /// Whether entries expire at all.
    pub fn is_on(&self) -> bool {
        self.keep_ms > 0
    }

    /// How long entries are kept, ms (0: forever).
    pub fn keep_ms(&self) -> u64 {
        self.keep_ms
    }

    /// The expiry of an entry written at `written_ms`, in s since the epoch (DynamoDB
    /// TTL's unit); `None` while retention is off.
    pub fn expires_at_s(&self, written_ms: u64) -> Option<u64> {
        self.is_on().then(|| (written_ms + self.keep_ms).div_ceil(1000))
    }

    /// Now, in s since the epoch: what expiries are compared with.
    pub fn now_s(&self) -> u64 {
        self.clock.now_ms() / 1000
    }

    /// Now, in ms.
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// Whether an entry with this expiry is gone for readers (an expiry at or before now).
    pub fn expired(&self, expires_at_s: Option<u64>) -> bool {
        expires_at_s.is_some_and(|e| e <= self.now_s())
    }

    /// How long an idempotency record lives: 24 hours, never longer than the messages
    /// (a retention is whole days, so never shorter than 24 hours either: it stays 24 h).
    pub fn idempotency_ms(&self) -> u64 {
        if self.is_on() { IDEMPOTENCY_TTL_MS.min(self.keep_ms) } else { IDEMPOTENCY_TTL_MS }
    }

    /// A summary as readers see it: when its last message (sent at `last.ts`) has expired,
    /// every message of the conversation has, so it shows no preview and counts nothing
    /// unread (the conversation itself stays listed: it still exists).
    pub fn trim(&self, mut s: ConversationSummary) -> ConversationSummary {
        if self.expired(self.expires_at_s(s.last.ts)) {
            s.last.preview.clear();
            s.last.expired = true;
            s.unread = 0;
            s.mentions = 0;
            s.first_mention = None;
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn an_entry_expires_a_retention_after_it_was_written_and_never_when_off() {
        let clock = Arc::new(ManualClock::at(10 * DAY_MS));
        let r = Retention::days(1, clock.clone());
        let written = 10 * DAY_MS;
        assert_eq!(r.expires_at_s(written), Some((11 * DAY_MS) / 1000));
        assert!(!r.expired(r.expires_at_s(written)));
        clock.advance(DAY_MS - 1000);
        assert!(!r.expired(r.expires_at_s(written)));
        clock.advance(1000);
        assert!(r.expired(r.expires_at_s(written)));
        assert!(!r.expired(None), "written while retention was off");
        let off = Retention::days(0, clock);
        assert_eq!(off.expires_at_s(written), None);
    }

    #[test]
    fn idempotency_records_never_outlive_the_messages() {
        let r = Retention::days(1, Arc::new(ManualClock::at(0)));
        assert!(r.idempotency_ms() <= r.keep_ms());
        assert_eq!(Retention::forever().idempotency_ms(), IDEMPOTENCY_TTL_MS);
    }
}
