//! `sync` and `history`: a user reads only its own inbox, and only conversations it is in.
//! A page is cut short when it would not fit in one frame (`fit_page`); `next` says where
//! the rest starts.

use chat_core::ids::Conversation;
use chat_core::protocol::{EntryView, ErrorCode, ServerFrame, fit_page};
use chat_core::store::{GroupStore, InboxStore, Page};
use chat_lambda::Refusal;

use crate::Request;

/// The page's entries as clients see them, cut to fit one frame.
fn views(page: Page) -> (Vec<EntryView>, Option<u64>) {
    let Page { entries, mut next } = page;
    let mut messages = entries.into_iter().map(EntryView::from).collect();
    fit_page(&mut messages, &mut next);
    (messages, next)
}

impl<S: GroupStore, P, C, Q> Request<'_, S, P, C, Q> {
    /// Refuses a conversation the caller is not in: a 1:1 of others (`forbidden`), a group
    /// it is not a member of (`not_found`, as for one that does not exist).
    pub(crate) async fn participant_of(&self, conversation: &Conversation) -> Result<(), Refusal> {
        match conversation {
            Conversation::Direct(..) if !conversation.is_direct_participant(self.user) => {
                Err(Refusal::client(ErrorCode::Forbidden, "you are not part of this conversation"))
            }
            Conversation::Group(gid) => self.member_group(gid).await.map(drop),
            Conversation::Direct(..) => Ok(()),
        }
    }
}

impl<S: InboxStore + GroupStore, P, C, Q> Request<'_, S, P, C, Q> {
    /// Inbox entries after `after`, ascending.
    pub(crate) async fn sync(&self, after: u64, limit: u32) -> Result<ServerFrame, Refusal> {
        let (messages, next) = views(self.deps.store.sync(self.user, after, limit).await?);
        Ok(ServerFrame::Sync { id: self.id.clone(), messages, next })
    }

    /// One conversation of the caller's inbox, newest first.
    pub(crate) async fn history(
        &self,
        conversation: Conversation,
        before: Option<u64>,
        limit: u32,
    ) -> Result<ServerFrame, Refusal> {
        self.participant_of(&conversation).await?;
        let page = self.deps.store.history(self.user, &conversation, before, limit).await?;
        let (messages, next) = views(page);
        Ok(ServerFrame::History { id: self.id.clone(), conversation, messages, next })
    }
}
