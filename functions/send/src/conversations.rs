//! The conversation list, read markers, and edits and deletes of one's own messages.
//!
//! Edits and deletes are stored like messages (`InboxStore::append` with `amends`): the
//! change takes the next seq in every holder's inbox, so `sync` replays it in order, and
//! the message itself is changed in place, so `history` shows its latest state.

use chat_core::clock::Clock;
use chat_core::ids::{ClientMsgId, Conversation, MsgId, UserId};
use chat_core::message::{NewMessage, ReadOutcome, UpdateKind};
use chat_core::poster::Poster;
use chat_core::protocol::{ErrorCode, ServerFrame};
use chat_core::push::PushQueue;
use chat_core::store::Store;
use chat_lambda::{Refusal, deliver as post};

use crate::Request;

impl<S: Store, P: Poster, C: Clock, Q: PushQueue> Request<'_, S, P, C, Q> {
    /// `conversations`: the caller's list, most recent activity first.
    pub(crate) async fn conversations(&self, before: Option<u64>, limit: u32) -> Result<ServerFrame, Refusal> {
        let page = self.deps.store.conversations(self.user, before, limit).await?;
        Ok(ServerFrame::Conversations { id: self.id.clone(), items: page.items, next: page.next })
    }

    /// `read`: moves the caller's read marker; its other live connections are told.
    pub(crate) async fn read(&self, conversation: Conversation, up_to: u64) -> Result<ServerFrame, Refusal> {
        let me = self.user;
        if matches!(conversation, Conversation::Direct(..)) && !conversation.is_direct_participant(me) {
            return Err(Refusal::client(ErrorCode::Forbidden, "you are not part of this conversation"));
        }
        match self.deps.store.mark_read(me, &conversation, up_to).await? {
            ReadOutcome::NotFound => {
                return Err(Refusal::client(ErrorCode::NotFound, "no such conversation in your inbox"));
            }
            ReadOutcome::Unchanged(_) => {}
            ReadOutcome::Moved(summary) => {
                let frame = ServerFrame::Read { conversation, up_to: summary.read_up_to }.to_json();
                let mine = self.connections_of(std::slice::from_ref(me)).await.into_iter().flatten();
                let targets =
                    mine.filter(|c| Some(&c.connection_id) != self.socket_id()).map(|c| (c, frame.as_str())).collect();
                post::fan_out(&self.deps.store, &self.deps.poster, self.deps.clock.now_ms(), targets).await;
            }
        }
        Ok(ServerFrame::Ok { id: self.id.clone() })
    }

    /// `edit` and `delete`: only the sender, only a message it still holds. Every holder's
    /// live connections get an `update` with their own seq; nobody is pushed.
    pub(crate) async fn amend(
        &self,
        kind: UpdateKind,
        msg_id: MsgId,
        body: String,
        client_msg_id: ClientMsgId,
    ) -> Result<(), Refusal> {
        let me = self.user;
        self.refuse_spent_bucket().await?;
        let Some(own) = self.deps.store.message(me, &msg_id).await? else {
            return Err(Refusal::client(ErrorCode::NotFound, "no such message in your inbox"));
        };
        if own.from != me.as_str() {
            return Err(Refusal::client(ErrorCode::Forbidden, "only the sender may edit or delete a message"));
        }
        let participants = self.participants(&own.conversation).await?;
        // A member who left (or was removed) changes nothing the group still sees.
        if let chat_core::ids::Conversation::Group(gid) = &own.conversation
            && self.origin == chat_core::message::Origin::User
            && !self.deps.store.group(gid).await?.is_some_and(|g| g.is_member(me))
        {
            return Err(Refusal::client(ErrorCode::Forbidden, "you are no longer in this group"));
        }
        let now = self.deps.clock.now_ms();
        let mut msg = NewMessage {
            origin: self.origin,
            msg_id,
            conversation: own.conversation,
            from: me.clone(),
            client_msg_id,
            body,
            ts: now,
            participants,
            limit: if self.socket.is_some() { self.deps.limits.send } else { None },
            amends: Some(kind),
            name: None,
            attachments: Vec::new(),
            reply_to: None,
            mentions: Vec::new(),
            removed: false,
        };
        if kind == UpdateKind::Edit {
            self.screen(&mut msg, chat_core::hook::HookKind::Edit).await?;
        }
        let stored = self.store(&msg).await?;
        self.ack(&msg, &stored.ack).await;
        let msg = NewMessage { ts: stored.ack.ts, ..msg };
        self.deliver(&msg, &stored.recipients, self.socket_id()).await;
        Ok(())
    }

    /// Who may hold a message of `conversation` now: both users of a 1:1, a group's
    /// current members (a removed member's copy stops changing) and the caller.
    pub(crate) async fn participants(&self, conversation: &Conversation) -> Result<Vec<UserId>, Refusal> {
        let me = self.user;
        let mut users = match conversation {
            Conversation::Direct(a, b) => vec![a.clone(), b.clone()],
            Conversation::Group(gid) => self.deps.store.group(gid).await?.map(|g| g.members).unwrap_or_default(),
        };
        if !users.contains(me) {
            users.push(me.clone());
        }
        users.dedup();
        Ok(users)
    }
}
