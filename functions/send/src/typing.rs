//! `typing`: forwarded to the other side's live connections (every other member, for a
//! group) and never stored: no write, only connection lookups.

use chat_core::clock::Clock;
use chat_core::ids::Conversation;
use chat_core::poster::Poster;
use chat_core::protocol::{ServerFrame, Target};
use chat_core::push::PushQueue;
use chat_core::store::Store;
use chat_lambda::Refusal;

use crate::Request;

impl<S: Store, P: Poster, C: Clock, Q: PushQueue> Request<'_, S, P, C, Q> {
    /// Tells the others in the conversation that the caller is typing.
    pub(crate) async fn typing(&self, target: Target) -> Result<(), Refusal> {
        let me = self.user;
        let (conversation, others) = match target {
            // Toward a user who blocks the caller: dropped, as if delivered.
            Target::User(to) if self.blocked_by(&to).await? => return Ok(()),
            Target::User(to) => (Conversation::direct(me, &to), vec![to]),
            Target::Group(gid) => {
                let group = self.member_group(&gid).await?;
                (Conversation::Group(gid), group.members)
            }
        };
        let frame = ServerFrame::Typing { conversation, from: me.clone() }.to_json();
        let frames: Vec<_> = others.into_iter().filter(|u| u != me).map(|u| (u, vec![frame.clone()])).collect();
        self.tell(&frames).await;
        Ok(())
    }
}
