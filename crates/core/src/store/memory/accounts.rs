//! Bans in the in-process store (journaled like every decided change).

use super::{MemoryStore, Record};
use crate::ids::UserId;
use crate::store::{AccountStore, Ban, StoreError};

impl AccountStore for MemoryStore {
    async fn put_ban(&self, user: &UserId, ban: &Ban) -> Result<(), StoreError> {
        self.lock().commit(Record::PutBan { user: user.clone(), ban: ban.clone() })
    }

    async fn lift_ban(&self, user: &UserId) -> Result<bool, StoreError> {
        let mut state = self.lock();
        if !state.data.bans.contains_key(user) {
            return Ok(false);
        }
        state.commit(Record::LiftBan { user: user.clone() })?;
        Ok(true)
    }

    async fn ban(&self, user: &UserId, now_ms: u64) -> Result<Option<Ban>, StoreError> {
        Ok(self.lock().data.bans.get(user).filter(|b| b.active(now_ms)).cloned())
    }
}
