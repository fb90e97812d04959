//! Bans on DynamoDB: one item `acct#<user>` in the state table. The append reads it in
//! the same consistent `BatchGetItem` as the idempotency record (no extra request), the
//! authorizer with one `GetItem` per handshake, and the state table's stream turns its
//! writes into `user.banned` / `user.unbanned` events.

use chat_core::ids::UserId;
use chat_core::schema::state as st;
use chat_core::store::{AccountStore, Ban, StoreError};

use crate::items::{Item, get_n, n, s};
use crate::store::DynamoStore;
use crate::unavailable;

/// How long a timed ban's item outlives the ban (TTL: DynamoDB deletes it for free).
const KEEP_AFTER_MS: u64 = 24 * 60 * 60 * 1000;

/// The account item of a ban.
pub fn ban_item(user: &UserId, ban: &Ban) -> Item {
    let mut item =
        Item::from([(st::PK.to_owned(), s(st::account_key(user.as_str()))), (st::BANNED_AT.to_owned(), n(ban.at))]);
    if let Some(until) = ban.until {
        item.insert(st::BANNED_UNTIL.to_owned(), n(until));
        item.insert(st::TTL.to_owned(), n((until + KEEP_AFTER_MS).div_ceil(1000)));
    }
    if let Some(reason) = &ban.reason {
        item.insert(st::BAN_REASON.to_owned(), s(reason.as_str()));
    }
    if ban.deleted {
        item.insert(st::DELETED.to_owned(), aws_sdk_dynamodb::types::AttributeValue::Bool(true));
    }
    item
}

/// The ban an account item records, if any (whether or not it still holds).
pub fn ban_from(item: &Item) -> Result<Option<Ban>, StoreError> {
    if !item.contains_key(st::BANNED_AT) {
        return Ok(None);
    }
    Ok(Some(Ban {
        at: get_n(item, st::BANNED_AT, "account")?,
        until: match item.get(st::BANNED_UNTIL) {
            Some(_) => Some(get_n(item, st::BANNED_UNTIL, "account")?),
            None => None,
        },
        reason: item.get(st::BAN_REASON).and_then(|v| v.as_s().ok()).cloned(),
        deleted: item.get(st::DELETED).and_then(|v| v.as_bool().ok()).copied().unwrap_or(false),
    }))
}

/// Whether an account item (read with the idempotency record) bans its user at `now_ms`.
pub(crate) fn banned(item: Option<&Item>, now_ms: u64) -> Result<bool, StoreError> {
    Ok(match item {
        Some(item) => ban_from(item)?.is_some_and(|b| b.active(now_ms)),
        None => false,
    })
}

impl AccountStore for DynamoStore {
    async fn put_ban(&self, user: &UserId, ban: &Ban) -> Result<(), StoreError> {
        let put = self.client.put_item().table_name(&self.tables.state).set_item(Some(ban_item(user, ban)));
        put.send().await.map_err(unavailable)?;
        Ok(())
    }

    async fn lift_ban(&self, user: &UserId) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.tables.state)
            .key(st::PK, s(st::account_key(user.as_str())))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.attributes().is_some_and(|a| !a.is_empty()))
    }

    async fn ban(&self, user: &UserId, now_ms: u64) -> Result<Option<Ban>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.state)
            .key(st::PK, s(st::account_key(user.as_str())))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(match out.item() {
            Some(item) => ban_from(item)?.filter(|b| b.active(now_ms)),
            None => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ban_round_trips_through_its_item_and_a_timed_one_expires_by_ttl() {
        let user = UserId::parse("bob").expect("valid");
        let ban = Ban { at: 1_000, until: Some(5_000), reason: Some("spam".into()), deleted: false };
        let item = ban_item(&user, &ban);
        assert_eq!(item.get(st::PK).and_then(|v| v.as_s().ok()).map(String::as_str), Some("acct#bob"));
        assert!(item.contains_key(st::TTL));
        assert_eq!(ban_from(&item).ok().flatten(), Some(ban));
        assert!(banned(Some(&item), 4_999).unwrap_or(false));
        assert!(!banned(Some(&item), 5_000).unwrap_or(true));
        let forever = ban_item(&user, &Ban { at: 1, until: None, reason: None, deleted: false });
        assert!(!forever.contains_key(st::TTL));
        assert!(banned(Some(&forever), u64::MAX).unwrap_or(false));
        assert!(!banned(None, 0).unwrap_or(true));
    }
}
