//! Rich messages: a send's reply and mentions checked against the conversation, `react`,
//! and `history` around a message, with quotes of deleted originals marked.

use std::collections::HashMap;

use chat_core::clock::Clock;
use chat_core::ids::{ClientMsgId, Conversation, MsgId, UserId};
use chat_core::message::{InboxEntry, NewMessage, Origin, UpdateKind};
use chat_core::poster::Poster;
use chat_core::protocol::{ErrorCode, SendExtras};
use chat_core::push::PushQueue;
use chat_core::rich::ReplyTo;
use chat_core::store::{InboxStore, Page, Store};
use chat_lambda::Refusal;

use crate::Request;

impl<S: Store, P: Poster, C: Clock, Q: PushQueue> Request<'_, S, P, C, Q> {
    /// A send's quote and mentions: the message answered must be one of this conversation
    /// in the sender's inbox (`not_found` otherwise, as for any message one cannot see),
    /// and everyone mentioned a participant (`bad_request` otherwise).
    pub(crate) async fn extras(
        &self,
        conversation: &Conversation,
        participants: &[UserId],
        extras: SendExtras,
    ) -> Result<(Option<ReplyTo>, Vec<UserId>), Refusal> {
        if let Some(stranger) = extras.mentions.iter().find(|u| !participants.contains(u)) {
            return Err(Refusal::client(
                ErrorCode::BadRequest,
                format!("mentions: {stranger} is not in this conversation"),
            ));
        }
        let Some(id) = extras.reply_to else { return Ok((None, extras.mentions)) };
        let not_found = || Refusal::client(ErrorCode::NotFound, "replyTo: no such message in this conversation");
        let original = self.deps.store.message(self.user, &id).await?.ok_or_else(not_found)?;
        if original.conversation != *conversation || original.deleted || !original.is_message() {
            return Err(not_found());
        }
        Ok((Some(ReplyTo::of(&original)), extras.mentions))
    }

    /// `react`: adds (or takes back) one emoji of the caller on a message it holds. Every
    /// holder gets an `update` of kind `reaction` at its next seq and the message's counts
    /// change in place; no push, no unread, no move in the conversation list. A repeat, or
    /// taking back an emoji not there, changes nothing and is acked all the same.
    pub(crate) async fn react(
        &self,
        msg_id: MsgId,
        emoji: String,
        removed: bool,
        client_msg_id: ClientMsgId,
    ) -> Result<(), Refusal> {
        let me = self.user;
        self.refuse_spent_bucket().await?;
        let not_found = || Refusal::client(ErrorCode::NotFound, "no such message in your inbox");
        let own = self.deps.store.message(me, &msg_id).await?.ok_or_else(not_found)?;
        if own.deleted || !own.is_message() {
            return Err(not_found());
        }
        // A member who left (or was removed) changes nothing the group still sees.
        if let Conversation::Group(gid) = &own.conversation
            && self.origin == Origin::User
            && !self.deps.store.group(gid).await?.is_some_and(|g| g.is_member(me))
        {
            return Err(Refusal::client(ErrorCode::Forbidden, "you are no longer in this group"));
        }
        let participants = self.participants(&own.conversation).await?;
        let now = self.deps.clock.now_ms();
        let msg = NewMessage {
            origin: self.origin,
            msg_id,
            conversation: own.conversation,
            from: me.clone(),
            client_msg_id,
            body: emoji,
            ts: now,
            participants,
            // Reactions share the send bucket: a flood of them is a flood of writes.
            limit: if self.socket.is_some() { self.deps.limits.send } else { None },
            amends: Some(UpdateKind::Reaction),
            name: None,
            attachments: Vec::new(),
            reply_to: None,
            mentions: Vec::new(),
            removed,
        };
        let stored = self.store(&msg).await?;
        self.ack(&msg, &stored.ack).await;
        let msg = NewMessage { ts: stored.ack.ts, ..msg };
        self.deliver(&msg, &stored.recipients, self.socket_id()).await;
        Ok(())
    }
}

impl<S: Store, P, C: Clock, Q> Request<'_, S, P, C, Q> {
    /// Refuses an edit, delete or reaction from a socket whose user's send bucket is
    /// already empty, with one read and before any other: a flood of them costs a read
    /// each, not the reads of who holds the message, and never a transaction. (The append
    /// charges the bucket for real; this only turns away what it would refuse anyway.)
    pub(crate) async fn refuse_spent_bucket(&self) -> Result<(), Refusal> {
        let (Some(limit), Some(_)) = (self.deps.limits.send, self.socket) else { return Ok(()) };
        let bucket = self.deps.store.send_bucket(self.user).await?;
        match limit.take(bucket, self.deps.clock.now_ms()) {
            Ok(_) => Ok(()),
            Err(retry_after_ms) => Err(Refusal::RateLimited { retry_after_ms }),
        }
    }
}

/// Which page of one conversation `history` asks for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Window {
    /// Older than a seq (or the newest).
    Before(Option<u64>),
    /// Newer than a seq.
    After(u64),
    /// Around a seq: half older (with the message itself), half newer.
    Around(u64),
}

/// A page of history and its cursors: `next` (older), `prev` (newer).
pub(crate) struct Slice {
    pub(crate) entries: Vec<InboxEntry>,
    pub(crate) next: Option<u64>,
    pub(crate) prev: Option<u64>,
}

/// Reads one window of `user`'s `conversation`, newest first.
pub(crate) async fn window<S: InboxStore>(
    store: &S,
    user: &UserId,
    conversation: &Conversation,
    window: Window,
    limit: u32,
) -> Result<Slice, chat_core::store::StoreError> {
    match window {
        Window::Before(before) => {
            let Page { entries, next, .. } = store.history(user, conversation, before, limit).await?;
            Ok(Slice { entries, next, prev: None })
        }
        Window::After(after) => {
            let Page { entries, next, .. } = store.history_after(user, conversation, after, limit).await?;
            let older = entries.last().map(|e| e.seq).filter(|_| after > 0);
            Ok(Slice { entries, next: older, prev: next })
        }
        Window::Around(seq) => {
            let newer_limit = limit / 2;
            let older_limit = limit - newer_limit;
            let (newer, older) = tokio::try_join!(
                async {
                    if newer_limit == 0 {
                        return Ok(Page::default());
                    }
                    store.history_after(user, conversation, seq, newer_limit).await
                },
                store.history(user, conversation, Some(seq.saturating_add(1)), older_limit),
            )?;
            let mut entries = newer.entries;
            entries.extend(older.entries);
            let prev = match newer.next {
                Some(cursor) => Some(cursor),
                // No newer page was read (a page of one): the message itself is the cursor.
                None if newer_limit == 0 => entries.first().map(|e| e.seq),
                None => None,
            };
            Ok(Slice { entries, next: older.next, prev })
        }
    }
}

/// Marks the quotes whose originals are gone from `user`'s inbox (deleted since the reply
/// was sent): the page's own messages first, then one lookup per other original.
pub(crate) async fn mark_deleted_quotes<S: InboxStore + chat_core::store::ConversationStore>(
    store: &S,
    user: &UserId,
    entries: &mut [InboxEntry],
) -> Result<(), chat_core::store::StoreError> {
    let mut state: HashMap<MsgId, bool> = entries.iter().map(|e| (e.msg_id.clone(), e.deleted)).collect();
    let missing: Vec<MsgId> = entries
        .iter()
        .filter_map(|e| e.reply_to.as_ref().map(|r| r.msg_id.clone()))
        .filter(|id| !state.contains_key(id))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let found = futures_util::future::try_join_all(missing.iter().map(|id| store.message(user, id))).await?;
    for (id, original) in missing.into_iter().zip(found) {
        state.insert(id, original.is_none_or(|o| o.deleted));
    }
    for quote in entries.iter_mut().filter_map(|e| e.reply_to.as_mut()) {
        if state.get(&quote.msg_id).copied().unwrap_or(true) {
            quote.mark_deleted();
        }
    }
    Ok(())
}
