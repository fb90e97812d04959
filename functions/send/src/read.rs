//! `sync` and `history`: a user reads only its own inbox, and only conversations it is in.
//! A page is cut short when it would not fit in one frame (`fit_page`); `next` says where
//! the rest starts.

use chat_core::ids::Conversation;
use chat_core::protocol::{EntryView, ErrorCode, ServerFrame, fit_page};
use chat_core::store::{ConversationStore, GroupStore, InboxStore, Page};
use chat_lambda::Refusal;

use crate::Request;
use crate::rich::{Slice, Window};

/// The page's entries as clients see them, cut to fit one frame.
fn views(page: Page) -> (Vec<EntryView>, Option<u64>) {
    let Page { entries, mut next, .. } = page;
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

impl<S: InboxStore + GroupStore + ConversationStore, P, C, Q> Request<'_, S, P, C, Q> {
    /// Inbox entries after `after`, ascending.
    pub(crate) async fn sync(&self, after: u64, limit: u32) -> Result<ServerFrame, Refusal> {
        let page = self.deps.store.sync(self.user, after, limit).await?;
        let oldest = page.oldest;
        let (messages, next) = views(page);
        Ok(ServerFrame::Sync { id: self.id.clone(), messages, next, truncated: oldest.is_some(), oldest })
    }

    /// One conversation of the caller's inbox, newest first: before a seq, after one, or
    /// around one. Quotes of originals deleted since are marked so.
    pub(crate) async fn history(
        &self,
        conversation: Conversation,
        window: Window,
        limit: u32,
    ) -> Result<ServerFrame, Refusal> {
        self.participant_of(&conversation).await?;
        let store = &self.deps.store;
        let Slice { mut entries, next, prev } =
            crate::rich::window(store, self.user, &conversation, window, limit).await?;
        crate::rich::mark_deleted_quotes(store, self.user, &mut entries).await?;
        let (messages, next) = views(Page { entries, next, oldest: None });
        Ok(ServerFrame::History { id: self.id.clone(), conversation, messages, next, prev })
    }
}
