//! `mute` and `unmute`: no push for a conversation while muted (the push function reads
//! the mute on the summary); unread counts go on. The user's other connections are told.

use chat_core::clock::Clock;
use chat_core::ids::Conversation;
use chat_core::poster::Poster;
use chat_core::protocol::{ErrorCode, ServerFrame};
use chat_core::push::PushQueue;
use chat_core::store::Store;
use chat_lambda::{Refusal, deliver as post};

use crate::Request;

impl<S: Store, P: Poster, C: Clock, Q: PushQueue> Request<'_, S, P, C, Q> {
    /// `mute` (`until` absent: until unmuted) or `unmute` (`muted` false): `ok`.
    pub(crate) async fn mute(
        &self,
        conversation: Conversation,
        muted: bool,
        until: Option<u64>,
    ) -> Result<ServerFrame, Refusal> {
        let now = self.deps.clock.now_ms();
        let until = match (muted, until) {
            (false, _) => None,
            (true, None) => Some(-1),
            (true, Some(u)) if u > now => Some(i64::try_from(u).unwrap_or(i64::MAX)),
            (true, Some(_)) => return Err(Refusal::client(ErrorCode::BadRequest, "until is in the past")),
        };
        if !self.deps.store.set_mute(self.user, &conversation, until).await? {
            return Err(Refusal::client(ErrorCode::NotFound, "no such conversation in your inbox"));
        }
        let frame = ServerFrame::Muted { conversation, muted_until: until }.to_json();
        let mine = self.connections_of(std::slice::from_ref(self.user)).await.into_iter().flatten();
        let targets =
            mine.filter(|c| Some(&c.connection_id) != self.socket_id()).map(|c| (c, frame.as_str())).collect();
        post::fan_out(&self.deps.store, &self.deps.poster, now, targets).await;
        Ok(ServerFrame::Ok { id: self.id.clone() })
    }
}
