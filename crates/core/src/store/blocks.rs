//! Blocks: who a user does not want to hear from. One narrow trait; the append folds the
//! check of a 1:1 send into the reads it already makes (`InboxStore::append`), so it costs
//! the send no request.

use std::future::Future;

use super::StoreError;
use crate::ids::UserId;

/// The most users one user may block.
pub const MAX_BLOCKS: usize = 1000;

/// What a `block` came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockChange {
    /// Blocked now.
    Added,
    /// Already blocked: nothing changed.
    Already,
    /// The user blocks [`MAX_BLOCKS`] users already: nothing changed.
    TooMany,
}

/// Each user's blocks.
pub trait BlockStore: Send + Sync {
    /// `user` blocks `other` (at most [`MAX_BLOCKS`], checked atomically with the write).
    fn block(&self, user: &UserId, other: &UserId) -> impl Future<Output = Result<BlockChange, StoreError>> + Send;
    /// `user` unblocks `other`; returns whether it was blocked.
    fn unblock(&self, user: &UserId, other: &UserId) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Everyone `user` blocks, sorted.
    fn blocks(&self, user: &UserId) -> impl Future<Output = Result<Vec<UserId>, StoreError>> + Send;
    /// Those of `among` who block `user` (strongly consistent; one read for up to 100).
    fn blockers(&self, user: &UserId, among: &[UserId])
    -> impl Future<Output = Result<Vec<UserId>, StoreError>> + Send;
}

/// The other user of a 1:1 message that the block rules apply to: a user's (or the server
/// API's) message or edit in a direct conversation, not a moderator's change or a notice.
pub fn direct_peer(m: &crate::message::NewMessage) -> Option<UserId> {
    if m.origin == crate::message::Origin::Moderator || m.is_notice() {
        return None;
    }
    match &m.conversation {
        crate::ids::Conversation::Direct(a, b) if *a == m.from => Some(b.clone()).filter(|b| *b != m.from),
        crate::ids::Conversation::Direct(a, b) if *b == m.from => Some(a.clone()),
        _ => None,
    }
}
