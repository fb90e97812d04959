//! `sync` and `history`: a user reads only its own inbox, and only conversations it is in.

use chat_core::ids::Conversation;
use chat_core::protocol::{ErrorCode, MessageView, ServerFrame};
use chat_core::store::Store;
use chat_lambda::Caller;

use crate::{Deps, Failure};

/// Inbox entries after `after`, ascending.
pub(crate) async fn sync<S: Store, P, C, Q>(
    deps: &Deps<S, P, C, Q>,
    caller: &Caller,
    id: Option<String>,
    after: u64,
    limit: u32,
) -> Result<ServerFrame, Failure> {
    let page = deps.store.sync(&caller.user, after, limit).await?;
    Ok(ServerFrame::Sync { id, messages: page.entries.into_iter().map(MessageView::from).collect(), next: page.next })
}

/// One conversation of the caller's inbox, newest first.
pub(crate) async fn history<S: Store, P, C, Q>(
    deps: &Deps<S, P, C, Q>,
    caller: &Caller,
    id: Option<String>,
    conversation: Conversation,
    before: Option<u64>,
    limit: u32,
) -> Result<ServerFrame, Failure> {
    match &conversation {
        Conversation::Direct(..) if !conversation.is_direct_participant(&caller.user) => {
            return Err(Failure::Refused(ErrorCode::Forbidden, "you are not part of this conversation".into()));
        }
        Conversation::Group(gid) => {
            crate::groups::member_group(deps, &caller.user, gid).await?;
        }
        Conversation::Direct(..) => {}
    }
    let page = deps.store.history(&caller.user, &conversation, before, limit).await?;
    Ok(ServerFrame::History {
        id,
        conversation,
        messages: page.entries.into_iter().map(MessageView::from).collect(),
        next: page.next,
    })
}
