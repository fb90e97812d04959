//! `block`, `unblock`, `blocks`. While A blocks B, B's 1:1 messages and edits are stored in
//! B's inbox only (the append decides, in the reads it already makes), and B's typing and
//! receipts toward A, and A's presence to B, are dropped: B sees nothing that tells it. A's
//! own sends to B are refused (`forbidden`) so A's app can offer to unblock. Groups are
//! unchanged.

use chat_core::clock::Clock;
use chat_core::ids::UserId;
use chat_core::poster::Poster;
use chat_core::protocol::{ErrorCode, ServerFrame};
use chat_core::push::PushQueue;
use chat_core::store::{BlockChange, Store};
use chat_lambda::{Refusal, deliver as post};

use crate::Request;

impl<S: Store, P: Poster, C: Clock, Q: PushQueue> Request<'_, S, P, C, Q> {
    /// `block`: `ok`; the caller's other connections get the new list.
    pub(crate) async fn block(&self, user: UserId) -> Result<ServerFrame, Refusal> {
        if user == *self.user || user.as_str() == chat_core::message::SYSTEM_SENDER {
            return Err(Refusal::client(ErrorCode::BadRequest, "you cannot block that user"));
        }
        match self.deps.store.block(self.user, &user).await? {
            BlockChange::Added => self.tell_blocks().await?,
            BlockChange::Already => {}
            BlockChange::TooMany => {
                return Err(Refusal::client(ErrorCode::TooLarge, "you block 1,000 users already; unblock some first"));
            }
        }
        Ok(ServerFrame::Ok { id: self.id.clone() })
    }

    /// `unblock`: `ok`; new messages reach the caller again (none sent meanwhile).
    pub(crate) async fn unblock(&self, user: UserId) -> Result<ServerFrame, Refusal> {
        if self.deps.store.unblock(self.user, &user).await? {
            self.tell_blocks().await?;
        }
        Ok(ServerFrame::Ok { id: self.id.clone() })
    }

    /// `blocks`: the list.
    pub(crate) async fn blocks(&self) -> Result<ServerFrame, Refusal> {
        Ok(ServerFrame::Blocks { id: self.id.clone(), users: self.deps.store.blocks(self.user).await? })
    }

    /// Sends the caller's other connections its blocks as they now are.
    async fn tell_blocks(&self) -> Result<(), Refusal> {
        let frame = ServerFrame::Blocks { id: None, users: self.deps.store.blocks(self.user).await? }.to_json();
        let mine = self.connections_of(std::slice::from_ref(self.user)).await.into_iter().flatten();
        let targets =
            mine.filter(|c| Some(&c.connection_id) != self.socket_id()).map(|c| (c, frame.as_str())).collect();
        post::fan_out(&self.deps.store, &self.deps.poster, self.deps.clock.now_ms(), targets).await;
        Ok(())
    }

    /// Whether `other` blocks the caller (its typing and receipts toward `other` are
    /// dropped without a word).
    pub(crate) async fn blocked_by(&self, other: &UserId) -> Result<bool, Refusal> {
        Ok(!self.deps.store.blockers(self.user, std::slice::from_ref(other)).await?.is_empty())
    }
}
