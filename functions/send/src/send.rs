//! `send`: store for every participant, ack the sender, then deliver.

use chat_core::clock::Clock;
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
    /// first ack and delivers nothing.
    pub(crate) async fn send(
        &self,
        target: Target,
        client_msg_id: ClientMsgId,
        body: String,
        uploads: Vec<chat_core::media::UploadId>,
    ) -> Result<(), Refusal> {
        let caller = self.caller;
        let (conversation, participants, name) = match target {
            Target::User(to) => {
                let mut participants = vec![caller.user.clone()];
                if to != caller.user {
                    participants.push(to.clone());
                }
                (Conversation::direct(&caller.user, &to), participants, None)
            }
            Target::Group(gid) => {
                let group = self.member_group(&gid).await?;
                (Conversation::Group(gid), group.members, Some(group.name))
            }
        };
        let attachments = self.attachments(&conversation, &uploads).await?;
        let now = self.deps.clock.now_ms();
        let msg = NewMessage {
            msg_id: MsgId::generate(now),
            conversation,
            from: caller.user.clone(),
            client_msg_id,
            body,
            ts: now,
            participants,
            limit: self.deps.limits.send,
            amends: None,
            name,
            attachments,
        };
        let stored = self.store(&msg).await?;
        let ack = stored.ack;
        self.ack(&msg, &ack).await;
        // A resumed large fan-out stores under the first attempt's id and time.
        let msg = NewMessage { msg_id: ack.msg_id, ts: ack.ts, ..msg };
        self.deliver(&msg, &stored.recipients, Some(&caller.connection_id)).await;
        self.push_offline(&msg, &stored.recipients).await;
        if !stored.recipients.is_empty() {
            self.keep(&msg.attachments).await;
        }
        Ok(())
    }

    /// Posts the `ack` of `msg` (as first stored: `ack`) to the sending connection.
    pub(crate) async fn ack(&self, msg: &NewMessage, ack: &StoredAck) {
        let frame = ServerFrame::Ack {
            id: self.id.clone(),
            client_msg_id: msg.client_msg_id.to_string(),
            msg_id: ack.msg_id.clone(),
            seq: ack.seq,
            conversation: ack.conversation.clone(),
            ts: ack.ts,
        };
        post::reply(&self.deps.poster, self.caller, &frame).await;
    }
}
