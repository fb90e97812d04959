//! The server API's actions (`chat-server-api`, docs/server-api.md), served by the very
//! code that serves users' frames: a server-API send is the `send` action with a trusted
//! `from`, a moderator's delete is the sender's `delete` shown as by `moderator`, and group
//! administration is the creator's `group.*` without the creator check. No socket is
//! involved: the answer is returned, and every participant's devices (the actor's too) get
//! the change live.

use chat_core::clock::Clock;
use chat_core::group::{Group, GroupError};
use chat_core::ids::{ClientMsgId, Conversation, MsgId, UserId};
use chat_core::media::UploadId;
use chat_core::message::{MODERATOR, Origin, SYSTEM_SENDER, StoredAck, UpdateKind};
use chat_core::poster::Poster;
use chat_core::protocol::{ErrorCode, Target};
use chat_core::push::PushQueue;
use chat_core::store::Store;
use chat_lambda::Refusal;

use crate::groups::names;
use crate::{Deps, Request};

/// The `system` user id.
pub(crate) fn system() -> UserId {
    UserId::parse(SYSTEM_SENDER).unwrap_or_else(|_| unreachable!("`system` is a valid user id"))
}

impl<S, P, C, Q> Deps<S, P, C, Q> {
    pub(crate) fn acting_as<'a>(&'a self, user: &'a UserId, origin: Origin) -> Request<'a, S, P, C, Q> {
        Request { deps: self, user, socket: None, origin, id: None }
    }
}

/// `POST /v1/messages`: stores and delivers a message as `from` (a user, or `system`)
/// exactly like that user's `send`; returns the ack.
pub async fn send<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &Deps<S, P, C, Q>,
    from: &UserId,
    target: Target,
    client_msg_id: ClientMsgId,
    body: String,
    uploads: Vec<UploadId>,
    extras: chat_core::protocol::SendExtras,
) -> Result<StoredAck, Refusal> {
    if from.as_str() == SYSTEM_SENDER && !uploads.is_empty() {
        return Err(Refusal::client(ErrorCode::BadRequest, "system has no uploads to attach"));
    }
    match &target {
        Target::User(to) if to.as_str() == SYSTEM_SENDER => {
            return Err(Refusal::client(ErrorCode::BadRequest, "`system` cannot receive messages"));
        }
        // The backend is told plainly what a user's own socket is not (privacy): the group
        // exists, and `from` is not in it.
        Target::Group(gid) if from.as_str() != SYSTEM_SENDER => match deps.store.group(gid).await? {
            Some(g) if !g.is_member(from) => {
                return Err(Refusal::client(ErrorCode::Forbidden, format!("{from} is not a member of this group")));
            }
            _ => {}
        },
        _ => {}
    }
    deps.acting_as(from, Origin::Server).send(target, client_msg_id, body, uploads, extras).await
}

/// `DELETE /v1/messages/{msgId}`: a moderator's delete of a message of `conversation`,
/// stored as its sender's delete (an `update` at the next seq of every holder's inbox)
/// shown with `by: "moderator"`. A repeat changes nothing.
pub async fn moderator_delete<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &Deps<S, P, C, Q>,
    conversation: &Conversation,
    msg_id: MsgId,
) -> Result<(), Refusal> {
    let not_found = || Refusal::client(ErrorCode::NotFound, "no such message in this conversation");
    let holders = match conversation {
        Conversation::Direct(a, b) => vec![a.clone(), b.clone()],
        Conversation::Group(gid) => deps.store.group(gid).await?.map(|g| g.members).unwrap_or_default(),
    };
    // Its sender, from the first holder's copy (the sender's own copy is the one changed).
    let mut sender = None;
    for user in &holders {
        if let Some(entry) = deps.store.message(user, &msg_id).await? {
            if entry.conversation != *conversation {
                return Err(not_found());
            }
            sender = Some(entry.from);
            break;
        }
    }
    let sender = sender.and_then(|s| UserId::parse(&s).ok()).ok_or_else(not_found)?;
    // One key per message: a second moderator delete is a resend of the first.
    let key = ClientMsgId::parse(&format!("{MODERATOR}-delete-{}", msg_id.as_str()))
        .map_err(|e| Refusal::internal("a moderator delete's key", e))?;
    let request = deps.acting_as(&sender, Origin::Moderator);
    match request.amend(UpdateKind::Delete, msg_id, String::new(), key).await {
        Err(Refusal::Client { code: ErrorCode::Forbidden, .. }) => Err(not_found()),
        other => other,
    }
}

/// `POST /v1/groups`: a group created as `creator` did (idempotent by its key).
pub async fn create_group<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &Deps<S, P, C, Q>,
    creator: &UserId,
    name: String,
    members: Vec<UserId>,
    client_msg_id: Option<ClientMsgId>,
) -> Result<Group, Refusal> {
    deps.acting_as(creator, Origin::User).group_create(name, members, client_msg_id).await
}

/// `POST /v1/groups/{id}/members`: one membership change, announced by `system`.
pub async fn change_members<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &Deps<S, P, C, Q>,
    group: &chat_core::ids::GroupId,
    add: &[UserId],
    remove: &[UserId],
) -> Result<Group, Refusal> {
    let system = system();
    let request = deps.acting_as(&system, Origin::Server);
    let (after, added, removed) = request.change_members(group, |g| g.plan_admin(add, remove)).await?;
    let mut lines = Vec::new();
    if !added.is_empty() {
        lines.push(format!("{} joined", names(&added)));
    }
    if !removed.is_empty() {
        lines.push(format!("{} left", names(&removed)));
    }
    if !lines.is_empty() {
        // The removed get this last notice, then nothing.
        let told = after.with_changes(&removed, &[]).members;
        request.announce(group, &after.name, told, lines.join("; ")).await?;
    }
    Ok(after)
}

/// `PATCH /v1/groups/{id}`: a new name, announced (members' lists follow the notice).
pub async fn rename_group<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &Deps<S, P, C, Q>,
    group: &chat_core::ids::GroupId,
    name: String,
) -> Result<Group, Refusal> {
    let renamed = deps.store.rename_group(group, &name).await?.ok_or(GroupError::NotFound)?;
    let system = system();
    let text = format!("the group was renamed to {name}");
    deps.acting_as(&system, Origin::Server).announce(group, &renamed.name, renamed.members.clone(), text).await?;
    Ok(renamed)
}

/// `DELETE /v1/groups/{id}`: every member gets a last notice, then the group is gone.
pub async fn delete_group<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &Deps<S, P, C, Q>,
    group: &chat_core::ids::GroupId,
) -> Result<Group, Refusal> {
    let existing = deps.store.group(group).await?.ok_or(GroupError::NotFound)?;
    let system = system();
    let request = deps.acting_as(&system, Origin::Server);
    let text = "the group was deleted".to_owned();
    request.announce(group, &existing.name, existing.members.clone(), text).await?;
    Ok(deps.store.delete_group(group).await?.unwrap_or(existing))
}
