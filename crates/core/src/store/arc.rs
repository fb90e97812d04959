//! A shared store (the devserver hands one store to several functions) is a store too.

use std::future::Future;
use std::sync::Arc;

use super::*;
use crate::ids::{ConnectionId, GroupId, MsgId};

impl<T: ConnectionStore> ConnectionStore for Arc<T> {
    fn put_connection(&self, c: &Connection) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).put_connection(c)
    }
    fn delete_connection(
        &self,
        user: &UserId,
        id: &ConnectionId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).delete_connection(user, id)
    }
    fn connections(
        &self,
        user: &UserId,
        now_s: u64,
    ) -> impl Future<Output = Result<Vec<Connection>, StoreError>> + Send {
        (**self).connections(user, now_s)
    }
}

impl<T: InboxStore> InboxStore for Arc<T> {
    fn append(&self, m: &NewMessage) -> impl Future<Output = Result<AppendOutcome, StoreError>> + Send {
        (**self).append(m)
    }
    fn sync(&self, user: &UserId, after: u64, limit: u32) -> impl Future<Output = Result<Page, StoreError>> + Send {
        (**self).sync(user, after, limit)
    }
    fn history(
        &self,
        user: &UserId,
        conversation: &Conversation,
        before: Option<u64>,
        limit: u32,
    ) -> impl Future<Output = Result<Page, StoreError>> + Send {
        (**self).history(user, conversation, before, limit)
    }
}

impl<T: GroupStore> GroupStore for Arc<T> {
    fn create_group(&self, g: &Group) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).create_group(g)
    }
    fn group(&self, id: &GroupId) -> impl Future<Output = Result<Option<Group>, StoreError>> + Send {
        (**self).group(id)
    }
    fn update_members(
        &self,
        id: &GroupId,
        added: &[UserId],
        removed: &[UserId],
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).update_members(id, added, removed)
    }
    fn groups_of(&self, user: &UserId) -> impl Future<Output = Result<Vec<GroupId>, StoreError>> + Send {
        (**self).groups_of(user)
    }
}

impl<T: ReceiptStore> ReceiptStore for Arc<T> {
    fn received(
        &self,
        by: &UserId,
        msg_id: &MsgId,
    ) -> impl Future<Output = Result<Option<ReceiptUpdate>, StoreError>> + Send {
        (**self).received(by, msg_id)
    }
    fn record_receipt(
        &self,
        by: &UserId,
        target: &ReceiptUpdate,
        status: ReceiptStatus,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        (**self).record_receipt(by, target, status)
    }
}

impl<T: PresenceStore> PresenceStore for Arc<T> {
    fn presence(
        &self,
        users: &[UserId],
    ) -> impl Future<Output = Result<Vec<Option<PresenceState>>, StoreError>> + Send {
        (**self).presence(users)
    }
    fn set_presence(
        &self,
        user: &UserId,
        expected: Option<PresenceState>,
        new: PresenceState,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        (**self).set_presence(user, expected, new)
    }
    fn subscribe(&self, users: &[UserId], sub: &Subscription) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).subscribe(users, sub)
    }
    fn subscribers(
        &self,
        user: &UserId,
        now_s: u64,
    ) -> impl Future<Output = Result<Vec<Subscription>, StoreError>> + Send {
        (**self).subscribers(user, now_s)
    }
    fn unsubscribe(
        &self,
        user: &UserId,
        connection: &ConnectionId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).unsubscribe(user, connection)
    }
}

impl<T: PushStore> PushStore for Arc<T> {
    fn put_endpoint(&self, e: &PushEndpoint) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).put_endpoint(e)
    }
    fn endpoints(&self, user: &UserId) -> impl Future<Output = Result<Vec<PushEndpoint>, StoreError>> + Send {
        (**self).endpoints(user)
    }
    fn delete_endpoint(
        &self,
        user: &UserId,
        token: &str,
    ) -> impl Future<Output = Result<Option<PushEndpoint>, StoreError>> + Send {
        (**self).delete_endpoint(user, token)
    }
    fn claim_push(&self, key: &str, now_ms: u64) -> impl Future<Output = Result<bool, StoreError>> + Send {
        (**self).claim_push(key, now_ms)
    }
}
