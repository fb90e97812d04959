//! Striped in-process locks over inboxes: appends one process makes to the same inboxes
//! are serialized before they reach DynamoDB (see `append`).

/// Striped in-process locks over inboxes: a user id hashes to one of 256 stripes.
#[derive(Debug)]
pub(crate) struct InboxLocks([tokio::sync::Mutex<()>; 256]);

impl Default for InboxLocks {
    fn default() -> Self {
        Self(std::array::from_fn(|_| tokio::sync::Mutex::new(())))
    }
}

impl InboxLocks {
    /// Locks the stripes of all `users`, in ascending order so two callers never deadlock.
    pub(crate) async fn lock_all(&self, users: &[chat_core::ids::UserId]) -> Vec<tokio::sync::MutexGuard<'_, ()>> {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let hasher = BuildHasherDefault::<DefaultHasher>::default();
        let mut stripes: Vec<usize> = users.iter().map(|u| (hasher.hash_one(u) % 256) as usize).collect();
        stripes.sort_unstable();
        stripes.dedup();
        let mut guards = Vec::with_capacity(stripes.len());
        for i in stripes {
            guards.push(self.0[i].lock().await);
        }
        guards
    }
}
