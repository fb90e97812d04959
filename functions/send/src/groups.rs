//! Group actions: create, add, remove, leave. Membership is checked on every action; a
//! non-member is told the group does not exist. Each change is announced in the group
//! conversation as a `message` from `system`, stored like any message.

use chat_core::clock::Clock;
use chat_core::group::{Group, GroupError};
use chat_core::ids::{Conversation, GroupId, UserId};
use chat_core::message::{AppendOutcome, NewMessage};
use chat_core::poster::Poster;
use chat_core::protocol::{ErrorCode, ServerFrame};
use chat_core::push::PushQueue;
use chat_core::store::Store;
use chat_lambda::Caller;

use crate::send::{deliver_stored, lookup_connections};
use crate::{Deps, Failure};

impl From<GroupError> for Failure {
    fn from(e: GroupError) -> Self {
        let code = match e {
            GroupError::NotFound => ErrorCode::NotFound,
            GroupError::NotCreator => ErrorCode::Forbidden,
            GroupError::TooLarge => ErrorCode::TooLarge,
            GroupError::Invalid(_) => ErrorCode::BadRequest,
        };
        Failure::Refused(code, e.to_string())
    }
}

/// The group, if `user` is a member; otherwise `not_found`, whether or not it exists.
pub(crate) async fn member_group<S: Store, P, C, Q>(
    deps: &Deps<S, P, C, Q>,
    user: &UserId,
    id: &GroupId,
) -> Result<Group, Failure> {
    match deps.store.group(id).await? {
        Some(g) if g.is_member(user) => Ok(g),
        _ => Err(GroupError::NotFound.into()),
    }
}

fn names(users: &[UserId]) -> String {
    users.iter().map(UserId::as_str).collect::<Vec<_>>().join(", ")
}

/// Stores a `system` notice for `to` in the group's conversation and delivers it.
async fn announce<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &Deps<S, P, C, Q>,
    group: &GroupId,
    to: Vec<UserId>,
    text: String,
) -> Result<(), Failure> {
    let notice = NewMessage::system(Conversation::Group(group.clone()), text, deps.clock.now_ms(), to);
    let (outcome, connections) =
        tokio::join!(deps.store.append(&notice), lookup_connections(deps, &notice.participants));
    if let AppendOutcome::Stored { seqs, .. } = outcome? {
        deliver_stored(deps, &notice, &seqs, connections, None).await;
    }
    Ok(())
}

/// `group.create`: the caller becomes creator and first member.
pub(crate) async fn create<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &Deps<S, P, C, Q>,
    caller: &Caller,
    id: Option<String>,
    name: String,
    members: Vec<UserId>,
) -> Result<ServerFrame, Failure> {
    let gid = GroupId::parse(&ulid_string(deps.clock.now_ms()))
        .map_err(|e| Failure::Refused(ErrorCode::Internal, e.to_string()))?;
    let group = Group::create(gid, name, caller.user.clone(), &members)?;
    deps.store.create_group(&group).await?;
    let others: Vec<UserId> = group.members.iter().skip(1).cloned().collect();
    let text = if others.is_empty() {
        format!("{} created the group", caller.user)
    } else {
        format!("{} created the group with {}", caller.user, names(&others))
    };
    announce(deps, &group.id, group.members.clone(), text).await?;
    Ok(ServerFrame::Group { id, group: group.view() })
}

fn ulid_string(now_ms: u64) -> String {
    chat_core::ids::MsgId::generate(now_ms).to_string()
}

/// `group.add`: creator only; already-members are skipped.
pub(crate) async fn add<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &Deps<S, P, C, Q>,
    caller: &Caller,
    id: Option<String>,
    gid: GroupId,
    members: Vec<UserId>,
) -> Result<ServerFrame, Failure> {
    let group = member_group(deps, &caller.user, &gid).await?;
    let added = group.plan_add(&caller.user, &members)?;
    let group = group.with_changes(&added, &[]);
    if !added.is_empty() {
        deps.store.update_members(&gid, &added, &[]).await?;
        announce(deps, &gid, group.members.clone(), format!("{} added {}", caller.user, names(&added))).await?;
    }
    Ok(ServerFrame::Group { id, group: group.view() })
}

/// `group.remove`: creator only. The removed members get this last notice, then nothing.
pub(crate) async fn remove<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &Deps<S, P, C, Q>,
    caller: &Caller,
    id: Option<String>,
    gid: GroupId,
    members: Vec<UserId>,
) -> Result<ServerFrame, Failure> {
    let group = member_group(deps, &caller.user, &gid).await?;
    let removed = group.plan_remove(&caller.user, &members)?;
    if !removed.is_empty() {
        deps.store.update_members(&gid, &[], &removed).await?;
        announce(deps, &gid, group.members.clone(), format!("{} removed {}", caller.user, names(&removed))).await?;
    }
    Ok(ServerFrame::Group { id, group: group.with_changes(&[], &removed).view() })
}

/// `group.leave`: any member; the others are told.
pub(crate) async fn leave<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &Deps<S, P, C, Q>,
    caller: &Caller,
    id: Option<String>,
    gid: GroupId,
) -> Result<ServerFrame, Failure> {
    let group = member_group(deps, &caller.user, &gid).await?;
    group.plan_leave(&caller.user)?;
    deps.store.update_members(&gid, &[], std::slice::from_ref(&caller.user)).await?;
    let rest = group.with_changes(&[], std::slice::from_ref(&caller.user)).members;
    if !rest.is_empty() {
        announce(deps, &gid, rest, format!("{} left", caller.user)).await?;
    }
    Ok(ServerFrame::Ok { id })
}
