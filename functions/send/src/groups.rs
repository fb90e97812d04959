//! Group actions: create, add, remove, leave. Membership is checked on every action; a
//! non-member is told the group does not exist. Each change is announced in the group
//! conversation as a `message` from `system`, stored like any message.

use chat_core::clock::Clock;
use chat_core::group::{Group, GroupError};
use chat_core::ids::{ClientMsgId, Conversation, GroupId, MsgId, UserId};
use chat_core::message::{NewMessage, Origin, fingerprint};
use chat_core::poster::Poster;
use chat_core::protocol::{ErrorCode, ServerFrame};
use chat_core::push::PushQueue;
use chat_core::store::{GroupCreated, GroupStore, MembersChange, Store, StoreError};
use chat_lambda::Refusal;

use crate::Request;

/// How many times a membership change is re-planned after the group changed under it.
const REPLANS: usize = 5;

pub(crate) fn names(users: &[UserId]) -> String {
    users.iter().map(UserId::as_str).collect::<Vec<_>>().join(", ")
}

impl<S: GroupStore, P, C, Q> Request<'_, S, P, C, Q> {
    /// The group, if the caller is a member; otherwise `not_found`, whether or not it
    /// exists.
    pub(crate) async fn member_group(&self, id: &GroupId) -> Result<Group, Refusal> {
        match self.deps.store.group(id).await? {
            Some(g) if g.is_member(self.user) => Ok(g),
            _ => Err(GroupError::NotFound.into()),
        }
    }

    /// The group a message goes to: the sender must be a member, except `system` (the
    /// server API's own messages), which may post in any group.
    pub(crate) async fn sender_group(&self, id: &GroupId) -> Result<Group, Refusal> {
        if self.user.as_str() != chat_core::message::SYSTEM_SENDER {
            return self.member_group(id).await;
        }
        Ok(self.deps.store.group(id).await?.ok_or(GroupError::NotFound)?)
    }
}

impl<S: Store, P: Poster, C: Clock, Q: PushQueue> Request<'_, S, P, C, Q> {
    /// Stores a `system` notice for `to` in the group's conversation and delivers it.
    /// The group's `name` goes into the members' conversation summaries.
    pub(crate) async fn announce(
        &self,
        group: &GroupId,
        name: &str,
        to: Vec<UserId>,
        text: String,
    ) -> Result<(), Refusal> {
        let notice = NewMessage {
            name: Some(name.to_owned()),
            ..NewMessage::system(Conversation::Group(group.clone()), text, self.deps.clock.now_ms(), to)
        };
        let stored = self.store(&notice).await?;
        self.deliver(&notice, &stored.recipients, None).await;
        Ok(())
    }

    /// The group's state after a change, as the reply to the action.
    pub(crate) fn group_frame(&self, group: &Group) -> ServerFrame {
        ServerFrame::Group { id: self.id.clone(), group: group.view() }
    }

    /// `group.create`: the caller becomes creator and first member. With a `clientMsgId`,
    /// a retry within 24 hours gets the first group (nothing created or announced again);
    /// the same id for a different group is `conflict`.
    pub(crate) async fn group_create(
        &self,
        name: String,
        members: Vec<UserId>,
        client_msg_id: Option<ClientMsgId>,
    ) -> Result<Group, Refusal> {
        let me = self.user;
        let now = self.deps.clock.now_ms();
        let gid = GroupId::parse(MsgId::generate(now).as_str()).map_err(|e| Refusal::internal("a new group id", e))?;
        let group = Group::create(gid, name, me.clone(), &members)?;
        if let Some(key) = client_msg_id {
            let mut sorted: Vec<&str> = group.members.iter().map(UserId::as_str).collect();
            sorted.sort_unstable();
            let digest = fingerprint(&[&group.name, &sorted.join(",")]);
            match self.deps.store.create_group_once(&group, &key, &digest, now).await? {
                GroupCreated::New => {}
                GroupCreated::Existing(id) => {
                    return Ok(self.deps.store.group(&id).await?.ok_or(GroupError::NotFound)?);
                }
                GroupCreated::Conflict => {
                    return Err(Refusal::client(
                        ErrorCode::Conflict,
                        "this clientMsgId created a different group in the last 24 hours; use a new one",
                    ));
                }
            }
        } else {
            self.deps.store.create_group(&group).await?;
        }
        let others = &group.members[1..];
        let text = if others.is_empty() {
            format!("{me} created the group")
        } else {
            format!("{me} created the group with {}", names(others))
        };
        self.announce(&group.id, &group.name, group.members.clone(), text).await?;
        Ok(group)
    }

    /// Re-plans and applies a membership change until it applies to the group as stored:
    /// `plan` gives (added, removed) for the group as read; the store refuses the change if
    /// the group changed in between, and the cap is checked there, atomically. Returns the
    /// group as stored after the change (read again: concurrent changes by others are in
    /// it, so the reply never shows a stale snapshot), and the change.
    pub(crate) async fn change_members(
        &self,
        gid: &GroupId,
        plan: impl Fn(&Group) -> Result<(Vec<UserId>, Vec<UserId>), GroupError>,
    ) -> Result<(Group, Vec<UserId>, Vec<UserId>), Refusal> {
        for _ in 0..REPLANS {
            // The app's backend administers any group; a user only one it is in.
            let group = match self.origin {
                Origin::Server => self.deps.store.group(gid).await?.ok_or(GroupError::NotFound)?,
                _ => self.member_group(gid).await?,
            };
            let (added, removed) = plan(&group)?;
            if added.is_empty() && removed.is_empty() {
                return Ok((group, added, removed));
            }
            match self.deps.store.update_members(gid, &added, &removed).await? {
                MembersChange::Done => {
                    let after = self.deps.store.group(gid).await?;
                    return Ok((after.unwrap_or_else(|| group.with_changes(&added, &removed)), added, removed));
                }
                MembersChange::TooLarge => return Err(GroupError::TooLarge.into()),
                MembersChange::Stale => continue,
            }
        }
        Err(Refusal::internal("the group kept changing while it was updated", StoreError::Contention))
    }

    /// `group.add`: creator only; already-members are skipped.
    pub(crate) async fn group_add(&self, gid: GroupId, members: Vec<UserId>) -> Result<ServerFrame, Refusal> {
        let me = self.user;
        let (group, added, _) = self.change_members(&gid, |g| Ok((g.plan_add(me, &members)?, Vec::new()))).await?;
        if !added.is_empty() {
            self.announce(&gid, &group.name, group.members.clone(), format!("{me} added {}", names(&added))).await?;
        }
        Ok(self.group_frame(&group))
    }

    /// `group.remove`: creator only. The removed members get this last notice, then
    /// nothing.
    pub(crate) async fn group_remove(&self, gid: GroupId, members: Vec<UserId>) -> Result<ServerFrame, Refusal> {
        let me = self.user;
        let (group, _, removed) = self.change_members(&gid, |g| Ok((Vec::new(), g.plan_remove(me, &members)?))).await?;
        if !removed.is_empty() {
            let told = group.with_changes(&removed, &[]).members;
            self.announce(&gid, &group.name, told, format!("{me} removed {}", names(&removed))).await?;
        }
        Ok(self.group_frame(&group))
    }

    /// `group.leave`: any member; the others are told.
    pub(crate) async fn group_leave(&self, gid: GroupId) -> Result<ServerFrame, Refusal> {
        let me = self.user;
        let leave = |g: &Group| g.plan_leave(me).map(|()| (Vec::new(), vec![me.clone()]));
        let (group, _, _) = self.change_members(&gid, leave).await?;
        if !group.members.is_empty() {
            self.announce(&gid, &group.name, group.members.clone(), format!("{me} left")).await?;
        }
        Ok(ServerFrame::Ok { id: self.id.clone() })
    }
}
