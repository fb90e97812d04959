//! Account state kept beside the chat data: bans and deletion tombstones. One
//! narrow trait, read on every handshake and folded into the reads a send already makes.

use std::future::Future;

use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::ids::UserId;

/// A ban of a user: no connection, nothing stored from it, until `until` (or lifted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ban {
    /// When it was imposed, ms since the epoch.
    pub at: u64,
    /// When it ends, ms since the epoch (`None`: until lifted).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub until: Option<u64>,
    /// Why, in the moderator's words (never shown to the user by the server).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    /// A tombstone: the account was deleted (`account.delete`, `DELETE /v1/users/{id}`).
    /// It holds until the server API lifts it (`DELETE /v1/users/{id}/tombstone`), so a
    /// stale token cannot recreate the user's state; it is no ban (no `user.banned`).
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub deleted: bool,
}

impl Ban {
    /// The tombstone of an account deleted at `at`.
    pub fn tombstone(at: u64) -> Self {
        Self { at, until: None, reason: Some("account deleted".to_owned()), deleted: true }
    }

    /// Whether the ban holds at `now_ms`.
    pub fn active(&self, now_ms: u64) -> bool {
        self.until.is_none_or(|until| until > now_ms)
    }
}

/// Bans, keyed by user.
pub trait AccountStore: Send + Sync {
    /// Bans `user` (replacing a ban it has).
    fn put_ban(&self, user: &UserId, ban: &Ban) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Lifts `user`'s ban; returns whether there was one.
    fn lift_ban(&self, user: &UserId) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// `user`'s ban if it holds at `now_ms` (strongly consistent).
    fn ban(&self, user: &UserId, now_ms: u64) -> impl Future<Output = Result<Option<Ban>, StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ban_holds_until_its_end_or_forever() {
        let timed = Ban { at: 1, until: Some(100), reason: None, deleted: false };
        assert!(timed.active(99));
        assert!(!timed.active(100));
        assert!(Ban { at: 1, until: None, reason: None, deleted: false }.active(u64::MAX));
    }
}
