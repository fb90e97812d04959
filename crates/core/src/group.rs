//! Group membership rules, pure: who may do what to a group, and what changes. The store
//! persists the outcome; the send function announces it.

use serde::{Deserialize, Serialize};

use crate::ids::{GroupId, UserId};
use crate::protocol::{GroupView, MAX_GROUP_MEMBERS};

/// A group: its creator administers it; members, creator included, read and send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Server-assigned id.
    pub id: GroupId,
    /// Display name.
    pub name: String,
    /// Who created it; the only one who may add or remove members.
    pub creator: UserId,
    /// Current members in the order they joined (the creator first, while a member).
    pub members: Vec<UserId>,
}

/// Why a group action is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GroupError {
    /// The caller is not a member: to them, the group does not exist.
    #[error("group not found")]
    NotFound,
    /// The caller is a member but not the creator.
    #[error("only the group's creator may add or remove members")]
    NotCreator,
    /// The group would have more than [`MAX_GROUP_MEMBERS`] members.
    #[error("a group has at most {MAX_GROUP_MEMBERS} members")]
    TooLarge,
    /// Nothing would change (e.g. removing non-members, or the creator removing itself).
    #[error("{0}")]
    Invalid(&'static str),
}

impl Group {
    /// A new group of `creator` and `members` (duplicates and the creator dropped).
    pub fn create(id: GroupId, name: String, creator: UserId, members: &[UserId]) -> Result<Self, GroupError> {
        let mut all = vec![creator.clone()];
        for m in members {
            if !all.contains(m) {
                all.push(m.clone());
            }
        }
        if all.len() > MAX_GROUP_MEMBERS {
            return Err(GroupError::TooLarge);
        }
        Ok(Self { id, name, creator, members: all })
    }

    /// Whether `user` is a member.
    pub fn is_member(&self, user: &UserId) -> bool {
        self.members.contains(user)
    }

    /// The members `caller` may add: refused unless the caller is the creator and a
    /// member; already-members are skipped. Returns the users newly added.
    pub fn plan_add(&self, caller: &UserId, users: &[UserId]) -> Result<Vec<UserId>, GroupError> {
        self.check_admin(caller)?;
        let mut added: Vec<UserId> = Vec::new();
        for u in users {
            if !self.is_member(u) && !added.contains(u) {
                added.push(u.clone());
            }
        }
        if self.members.len() + added.len() > MAX_GROUP_MEMBERS {
            return Err(GroupError::TooLarge);
        }
        Ok(added)
    }

    /// The members `caller` may remove (creator only; the creator leaves with
    /// `group.leave` instead). Non-members are skipped. Returns the users removed.
    pub fn plan_remove(&self, caller: &UserId, users: &[UserId]) -> Result<Vec<UserId>, GroupError> {
        self.check_admin(caller)?;
        if users.contains(caller) {
            return Err(GroupError::Invalid("the creator cannot remove itself; use group.leave"));
        }
        Ok(users.iter().filter(|u| self.is_member(u)).cloned().collect())
    }

    /// Checks that `caller` may leave (any member may, the creator included: the group
    /// then has no administrator and its membership is fixed).
    pub fn plan_leave(&self, caller: &UserId) -> Result<(), GroupError> {
        if self.is_member(caller) { Ok(()) } else { Err(GroupError::NotFound) }
    }

    /// The change the app's backend asks for (server API: no creator check): who of `add`
    /// is not a member yet, who of `remove` is. Past the cap, nothing.
    pub fn plan_admin(&self, add: &[UserId], remove: &[UserId]) -> Result<(Vec<UserId>, Vec<UserId>), GroupError> {
        let mut added: Vec<UserId> = Vec::new();
        for u in add {
            if !self.is_member(u) && !added.contains(u) && !remove.contains(u) {
                added.push(u.clone());
            }
        }
        let mut removed: Vec<UserId> = Vec::new();
        for u in remove {
            if self.is_member(u) && !removed.contains(u) {
                removed.push(u.clone());
            }
        }
        if self.members.len() + added.len() - removed.len() > MAX_GROUP_MEMBERS {
            return Err(GroupError::TooLarge);
        }
        Ok((added, removed))
    }

    fn check_admin(&self, caller: &UserId) -> Result<(), GroupError> {
        if !self.is_member(caller) {
            return Err(GroupError::NotFound);
        }
        if *caller != self.creator {
            return Err(GroupError::NotCreator);
        }
        Ok(())
    }

    /// The group with `added` appended and `removed` taken out.
    pub fn with_changes(&self, added: &[UserId], removed: &[UserId]) -> Self {
        let mut g = self.clone();
        g.members.retain(|m| !removed.contains(m));
        g.members.extend(added.iter().cloned());
        g
    }

    /// How members see it.
    pub fn view(&self) -> GroupView {
        GroupView { group_id: self.id.clone(), name: self.name.clone(), members: self.members.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> UserId {
        UserId::parse(s).expect("valid")
    }

    fn group() -> Group {
        Group::create(GroupId::parse("g1").expect("valid"), "n".into(), u("alice"), &[u("bob"), u("alice"), u("bob")])
            .expect("valid")
    }

    #[test]
    fn the_creator_is_added_first_and_duplicates_dropped() {
        assert_eq!(group().members, vec![u("alice"), u("bob")]);
    }

    #[test]
    fn a_group_holds_at_most_100_members() {
        let many: Vec<UserId> = (0..99).map(|i| u(&format!("u{i}"))).collect();
        let g = Group::create(GroupId::parse("g").expect("valid"), "n".into(), u("alice"), &many).expect("100 fit");
        assert_eq!(g.members.len(), 100);
        assert_eq!(g.plan_add(&u("alice"), &[u("extra")]), Err(GroupError::TooLarge));
        let too_many: Vec<UserId> = (0..100).map(|i| u(&format!("u{i}"))).collect();
        assert!(Group::create(GroupId::parse("g").expect("valid"), "n".into(), u("alice"), &too_many).is_err());
    }

    #[test]
    fn only_the_creator_adds_or_removes_and_strangers_see_nothing() {
        let g = group();
        assert_eq!(g.plan_add(&u("bob"), &[u("carol")]), Err(GroupError::NotCreator));
        assert_eq!(g.plan_remove(&u("bob"), &[u("alice")]), Err(GroupError::NotCreator));
        assert_eq!(g.plan_add(&u("mallory"), &[u("mallory")]), Err(GroupError::NotFound));
        assert_eq!(g.plan_leave(&u("mallory")), Err(GroupError::NotFound));
        assert_eq!(g.plan_add(&u("alice"), &[u("carol"), u("bob"), u("carol")]), Ok(vec![u("carol")]));
        assert_eq!(g.plan_remove(&u("alice"), &[u("bob"), u("zed")]), Ok(vec![u("bob")]));
        assert!(g.plan_remove(&u("alice"), &[u("alice")]).is_err());
    }

    #[test]
    fn the_app_changes_any_member_within_the_cap() {
        let g = group();
        assert_eq!(
            g.plan_admin(&[u("carol"), u("bob")], &[u("alice"), u("zed")]),
            Ok((vec![u("carol")], vec![u("alice")]))
        );
        let many: Vec<UserId> = (0..99).map(|i| u(&format!("u{i}"))).collect();
        assert_eq!(g.plan_admin(&many, &[]), Err(GroupError::TooLarge));
        assert_eq!(g.plan_admin(&many, &[u("bob")]).map(|(a, r)| (a.len(), r.len())), Ok((99, 1)));
    }

    #[test]
    fn changes_keep_join_order() {
        let g = group().with_changes(&[u("carol")], &[u("bob")]);
        assert_eq!(g.members, vec![u("alice"), u("carol")]);
        assert!(g.plan_leave(&u("carol")).is_ok());
    }
}
