//! Blocks and mutes in the in-process store (journaled); the append applies blocks to a 1:1.

use std::collections::BTreeSet;

use super::{Data, MemoryStore, Record};
use crate::ids::UserId;
use crate::store::{BlockChange, BlockStore, MAX_BLOCKS, StoreError};

impl Data {
    /// Whether `by` blocks `user`.
    pub(super) fn blocks_user(&self, by: &UserId, user: &UserId) -> bool {
        self.blocks.get(by).is_some_and(|b| b.contains(user))
    }
}

impl MemoryStore {
    pub(super) fn apply_block(blocks: &mut std::collections::HashMap<UserId, BTreeSet<UserId>>, record: &Record) {
        match record {
            Record::Block { user, other } => {
                blocks.entry(user.clone()).or_default().insert(other.clone());
            }
            Record::Unblock { user, other } => {
                if let Some(b) = blocks.get_mut(user) {
                    b.remove(other);
                }
            }
            _ => {}
        }
    }
}

impl BlockStore for MemoryStore {
    async fn block(&self, user: &UserId, other: &UserId) -> Result<BlockChange, StoreError> {
        let mut state = self.lock();
        let current = state.data.blocks.get(user);
        if current.is_some_and(|b| b.contains(other)) {
            return Ok(BlockChange::Already);
        }
        if current.is_some_and(|b| b.len() >= MAX_BLOCKS) {
            return Ok(BlockChange::TooMany);
        }
        state.commit(Record::Block { user: user.clone(), other: other.clone() })?;
        Ok(BlockChange::Added)
    }

    async fn unblock(&self, user: &UserId, other: &UserId) -> Result<bool, StoreError> {
        let mut state = self.lock();
        if !state.data.blocks_user(user, other) {
            return Ok(false);
        }
        state.commit(Record::Unblock { user: user.clone(), other: other.clone() })?;
        Ok(true)
    }

    async fn blocks(&self, user: &UserId) -> Result<Vec<UserId>, StoreError> {
        Ok(self.lock().data.blocks.get(user).map(|b| b.iter().cloned().collect()).unwrap_or_default())
    }

    async fn blockers(&self, user: &UserId, among: &[UserId]) -> Result<Vec<UserId>, StoreError> {
        let state = self.lock();
        Ok(among.iter().filter(|by| state.data.blocks_user(by, user)).cloned().collect())
    }
}

impl crate::store::MuteStore for MemoryStore {
    async fn set_mute(
        &self,
        user: &UserId,
        conversation: &crate::ids::Conversation,
        until: Option<i64>,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock();
        if !state.data.summaries.get(user).is_some_and(|m| m.contains_key(conversation)) {
            return Ok(false);
        }
        state.commit(Record::Mute { user: user.clone(), conversation: conversation.clone(), until })?;
        Ok(true)
    }
}
