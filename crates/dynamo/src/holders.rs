//! Who holds a message an edit, delete or reaction changes, and where.

use std::collections::HashMap;

use chat_core::ids::UserId;
use chat_core::message::{InboxEntry, UpdateKind};
use chat_core::schema::{conversations as cv, messages as m};
use chat_core::store::{ConversationStore, StoreError};

use crate::items::{self, get_n};
use crate::store::DynamoStore;

/// Where an edit, delete or reaction lands for one participant.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Holder {
    /// The message's seq in this participant's inbox.
    pub(crate) original_seq: u64,
    /// Whether it is the conversation's last message there (the preview follows).
    pub(crate) last_is_target: bool,
    /// Whether this participant has a summary of the conversation to move (one written
    /// before summaries existed has none, and gets none from an edit).
    pub(crate) has_summary: bool,
}

impl DynamoStore {
    /// The participants of `msg` (an edit, delete or reaction) who hold its message, with
    /// where it is, and the actor's own copy; `None` when the actor does not hold it as a
    /// live message (or, for an edit or delete, not as its own).
    pub(crate) async fn holders(
        &self,
        msg: &chat_core::message::NewMessage,
    ) -> Result<Option<(HashMap<UserId, Holder>, InboxEntry)>, StoreError> {
        let reaction = msg.amends == Some(UpdateKind::Reaction);
        let own = match self.message(&msg.from, &msg.msg_id).await? {
            Some(own) if (reaction || own.from == msg.from.as_str()) && !own.deleted => own,
            _ => return Ok(None),
        };
        let own_seq = own.seq;
        let found = futures_util::future::try_join_all(msg.participants.iter().map(|u| async move {
            if *u == msg.from {
                return Ok(Some((u.clone(), own_seq)));
            }
            Ok::<_, StoreError>(match self.entry_key(u, &msg.msg_id).await? {
                Some(item) => Some((u.clone(), get_n(&item, m::SK, "inbox entry")?)),
                None => None,
            })
        }))
        .await?;
        let found: Vec<(UserId, u64)> = found.into_iter().flatten().collect();
        // A reaction writes no summary: none to read.
        let users: Vec<UserId> = if reaction { Vec::new() } else { found.iter().map(|(u, _)| u.clone()).collect() };
        let mut summaries = HashMap::new();
        for chunk in users.chunks(100) {
            let keys = chunk.iter().map(|u| Self::summary_key(u, &msg.conversation)).collect();
            for item in self.batch_get(&self.tables.conversations, keys).await? {
                let owner = UserId::parse(items::get_s(&item, cv::PK, "conversation summary")?)
                    .map_err(|e| StoreError::Corrupt(format!("conversation summary: {e}")))?;
                summaries.insert(owner, items::summary_from(&item)?);
            }
        }
        Ok(Some((
            found
                .into_iter()
                .map(|(u, original_seq)| {
                    let summary = summaries.get(&u);
                    let last_is_target = summary.is_some_and(|s| s.last.msg_id == msg.msg_id);
                    (u, Holder { original_seq, last_is_target, has_summary: summary.is_some() })
                })
                .collect(),
            own,
        )))
    }
}
