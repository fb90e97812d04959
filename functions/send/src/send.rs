//! `send`: store for every participant, ack the sender, then deliver.

use chat_core::clock::Clock;
use chat_core::hook::HookKind;
use chat_core::ids::{ClientMsgId, Conversation, MsgId};
use chat_core::message::{NewMessage, StoredAck};
use chat_core::poster::Poster;
use chat_core::protocol::{ServerFrame, Target};
use chat_core::push::PushQueue;
use chat_core::store::Store;
use chat_lambda::{Refusal, deliver as post};

use crate::Request;

impl<S: Store, P: Poster, C: Clock, Q: PushQueue> Request<'_, S, P, C, Q> {
    /// Stores the message (one append for every participant), posts the `ack`, then the
    /// `message` frame to every other live connection of every participant, then push
    /// hand-offs for participants with none. A resend of a stored `clientMsgId` gets the
    /// first ack and delivers nothing. Returns the ack (the server API's answer).
    pub(crate) async fn send(
        &self,
        target: Target,
        client_msg_id: ClientMsgId,
        body: String,
        uploads: Vec<chat_core::media::UploadId>,
        extras: chat_core::protocol::SendExtras,
    ) -> Result<StoredAck, Refusal> {
        let me = self.user;
        let (conversation, participants, name) = match target {
            Target::User(to) => {
                // `system` (the server API's own messages) has no inbox: only `to` holds it.
                let mut participants = Vec::with_capacity(2);
                if me.as_str() != chat_core::message::SYSTEM_SENDER {
                    participants.push(me.clone());
                }
                if to != *me {
                    participants.push(to.clone());
                }
                (Conversation::direct(me, &to), participants, None)
            }
            Target::Group(gid) => {
                let group = self.sender_group(&gid).await?;
                (Conversation::Group(gid), group.members, Some(group.name))
            }
        };
        let (reply_to, mentions) = self.extras(&conversation, &participants, extras).await?;
        let attachments = self.attachments(&conversation, &uploads).await?;
        let now = self.deps.clock.now_ms();
        let mut msg = NewMessage {
            origin: self.origin,
            msg_id: MsgId::generate(now),
            conversation,
            from: me.clone(),
            client_msg_id,
            body,
            ts: now,
            participants,
            // The server API is trusted: IAM and the function's concurrency bound it.
            limit: if self.socket.is_some() { self.deps.limits.send } else { None },
            amends: None,
            name,
            attachments,
            reply_to,
            mentions,
            removed: false,
        };
        self.screen(&mut msg, HookKind::Send).await?;
        let stored = self.store(&msg).await?;
        let ack = stored.ack;
        self.ack(&msg, &ack).await;
        // A resumed large fan-out stores under the first attempt's id and time.
        let msg = NewMessage { msg_id: ack.msg_id.clone(), ts: ack.ts, ..msg };
        self.deliver(&msg, &stored.recipients, self.socket_id()).await;
        self.push_offline(&msg, &stored.recipients).await;
        if !stored.recipients.is_empty() {
            self.keep(&msg.attachments).await;
        }
        Ok(ack)
    }

    /// Posts the `ack` of `msg` (as first stored: `ack`) to the sending connection, if the
    /// request came on one (the server API answers with it instead).
    pub(crate) async fn ack(&self, msg: &NewMessage, ack: &StoredAck) {
        let Some(socket) = self.socket else { return };
        let frame = ack_frame(self.id.clone(), msg.client_msg_id.as_str(), ack);
        post::reply(&self.deps.poster, socket, &frame).await;
    }
}

/// The `ack` frame of a stored message.
pub fn ack_frame(id: Option<String>, client_msg_id: &str, ack: &StoredAck) -> ServerFrame {
    ServerFrame::Ack {
        id,
        client_msg_id: client_msg_id.to_owned(),
        msg_id: ack.msg_id.clone(),
        seq: ack.seq,
        conversation: ack.conversation.clone(),
        ts: ack.ts,
    }
}
