//! `sync` and `history`: a user reads only its own inbox, and only conversations it is in.
//! A page is cut short when it would not fit in one frame (`fit_page`); `next` says where
//! the rest starts.

use chat_core::ids::Conversation;
use chat_core::protocol::{ErrorCode, MessageView, ServerFrame, fit_page};
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
    let (mut messages, mut next): (Vec<MessageView>, _) =
        (page.entries.into_iter().map(Into::into).collect(), page.next);
    fit_page(&mut messages, &mut next);
    Ok(ServerFrame::Sync { id, messages, next })
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
    let (mut messages, mut next): (Vec<MessageView>, _) =
        (page.entries.into_iter().map(Into::into).collect(), page.next);
    fit_page(&mut messages, &mut next);
    Ok(ServerFrame::History { id, conversation, messages, next })
}
