//! Presence and push devices on DynamoDB. Presence lives under the watched user (state item
//! plus one item per subscription, expiring with its connection), push devices under
//! their user: every read is a key lookup or a one-partition Query.

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, PutRequest, TransactWriteItem, WriteRequest};
use chat_core::ids::{ConnectionId, UserId};
use chat_core::presence::PresenceState;
use chat_core::protocol::Platform;
use chat_core::push::PushEndpoint;
use chat_core::schema::{presence as p, push as pu, state as st};
use chat_core::store::{PresenceStore, PushStore, StoreError, Subscription};

use crate::items::{Item, get_n, get_s, n, s};
use crate::store::DynamoStore;
use crate::txn::{MAX_ROUNDS, backoff, build, claim_for_a_day, is_retryable_cancel, read_state};
use crate::unavailable;

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn state_from(item: &Item) -> PresenceState {
    PresenceState {
        online: item.get(p::ONLINE).and_then(|v| v.as_bool().ok()).copied().unwrap_or(false),
        last_seen: get_n(item, p::LAST_SEEN, "presence").ok(),
    }
}

fn platform_name(platform: Platform) -> &'static str {
    match platform {
        Platform::Fcm => "fcm",
        Platform::Apns => "apns",
        Platform::ApnsSandbox => "apns_sandbox",
    }
}

fn platform_from(name: &str) -> Result<Platform, StoreError> {
    match name {
        "fcm" => Ok(Platform::Fcm),
        "apns" => Ok(Platform::Apns),
        "apns_sandbox" => Ok(Platform::ApnsSandbox),
        other => Err(corrupt("push device", format!("unknown platform {other}"))),
    }
}

impl PresenceStore for DynamoStore {
    async fn presence(&self, users: &[UserId]) -> Result<Vec<Option<PresenceState>>, StoreError> {
        let mut found: std::collections::HashMap<String, PresenceState> = Default::default();
        for chunk in users.chunks(100) {
            let keys = chunk
                .iter()
                .map(|u| Item::from([(p::PK.to_owned(), s(u.as_str())), (p::SK.to_owned(), s(p::STATE))]))
                .collect();
            for item in self.batch_get(&self.tables.presence, keys).await? {
                found.insert(get_s(&item, p::PK, "presence")?.to_owned(), state_from(&item));
            }
        }
        Ok(users.iter().map(|u| found.get(u.as_str()).copied()).collect())
    }

    async fn set_presence(
        &self,
        user: &UserId,
        expected: Option<PresenceState>,
        new: PresenceState,
    ) -> Result<bool, StoreError> {
        let mut item = Item::from([
            (p::PK.to_owned(), s(user.as_str())),
            (p::SK.to_owned(), s(p::STATE)),
            (p::ONLINE.to_owned(), AttributeValue::Bool(new.online)),
        ]);
        if let Some(seen) = new.last_seen {
            item.insert(p::LAST_SEEN.to_owned(), n(seen));
        }
        let put = self.client.put_item().table_name(&self.tables.presence).set_item(Some(item));
        let put = match expected {
            None => put.condition_expression("attribute_not_exists(#pk)").expression_attribute_names("#pk", p::PK),
            Some(e) => {
                let put = put
                    .expression_attribute_names("#on", p::ONLINE)
                    .expression_attribute_names("#seen", p::LAST_SEEN)
                    .expression_attribute_values(":on", AttributeValue::Bool(e.online));
                match e.last_seen {
                    Some(seen) => put
                        .condition_expression("#on = :on AND #seen = :seen")
                        .expression_attribute_values(":seen", n(seen)),
                    None => put.condition_expression("#on = :on AND attribute_not_exists(#seen)"),
                }
            }
        };
        match put.send().await {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn subscribe(&self, users: &[UserId], sub: &Subscription) -> Result<(), StoreError> {
        let requests = users
            .iter()
            .map(|u| {
                let item = Item::from([
                    (p::PK.to_owned(), s(u.as_str())),
                    (p::SK.to_owned(), s(format!("{}{}", p::SUB_PREFIX, sub.connection_id))),
                    (p::SUBSCRIBER.to_owned(), s(sub.subscriber.as_str())),
                    (p::CONNECTION.to_owned(), s(sub.connection_id.as_str())),
                    (p::TTL.to_owned(), n(sub.expires_at)),
                ]);
                Ok(WriteRequest::builder()
                    .put_request(build(PutRequest::builder().set_item(Some(item)).build())?)
                    .build())
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.batch_write(&self.tables.presence, requests).await
    }

    async fn subscribers(&self, user: &UserId, now_s: u64) -> Result<Vec<Subscription>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.tables.presence)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :sub)")
            .expression_attribute_names("#pk", p::PK)
            .expression_attribute_names("#sk", p::SK)
            .expression_attribute_values(":pk", s(user.as_str()))
            .expression_attribute_values(":sub", s(p::SUB_PREFIX))
            .send()
            .await
            .map_err(unavailable)?;
        let subs = out
            .items()
            .iter()
            .map(|i| {
                Ok(Subscription {
                    subscriber: UserId::parse(get_s(i, p::SUBSCRIBER, "subscription")?)
                        .map_err(|e| corrupt("subscription", e))?,
                    connection_id: ConnectionId::parse(get_s(i, p::CONNECTION, "subscription")?)
                        .map_err(|e| corrupt("subscription", e))?,
                    expires_at: get_n(i, p::TTL, "subscription")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(subs.into_iter().filter(|s| s.expires_at > now_s).collect())
    }

    async fn unsubscribe(&self, user: &UserId, connection: &ConnectionId) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.tables.presence)
            .key(p::PK, s(user.as_str()))
            .key(p::SK, s(format!("{}{}", p::SUB_PREFIX, connection)))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

impl PushStore for DynamoStore {
    /// One transaction: the token's owner item (conditioned on the owner read), the new
    /// owner's device item, and the delete of the previous owner's; a concurrent
    /// registration makes it cancel and read again.
    async fn put_endpoint(&self, e: &PushEndpoint) -> Result<(), StoreError> {
        let owner_key = st::push_owner_key(&e.token);
        for round in 0..MAX_ROUNDS {
            let state = read_state(self, vec![owner_key.clone()]).await?;
            let previous =
                state.get(&owner_key).and_then(|i| get_s(i, st::OWNER, "push owner").ok()).map(str::to_owned);
            let owner = Put::builder()
                .table_name(&self.tables.state)
                .item(st::PK, s(owner_key.as_str()))
                .item(st::OWNER, s(e.user.as_str()))
                .expression_attribute_names("#o", st::OWNER);
            let owner = match &previous {
                None => owner.condition_expression("attribute_not_exists(#o)"),
                Some(p) => owner.condition_expression("#o = :previous").expression_attribute_values(":previous", s(p)),
            };
            let device = Put::builder().table_name(&self.tables.push).set_item(Some(Item::from([
                (pu::PK.to_owned(), s(e.user.as_str())),
                (pu::SK.to_owned(), s(e.token.as_str())),
                (pu::PLATFORM.to_owned(), s(platform_name(e.platform))),
                (pu::ENDPOINT.to_owned(), s(e.endpoint_arn.as_str())),
            ])));
            let mut writes = vec![
                TransactWriteItem::builder().put(build(owner.build())?).build(),
                TransactWriteItem::builder().put(build(device.build())?).build(),
            ];
            if let Some(p) = previous.filter(|p| p.as_str() != e.user.as_str()) {
                let moved =
                    Delete::builder().table_name(&self.tables.push).key(pu::PK, s(p)).key(pu::SK, s(e.token.as_str()));
                writes.push(TransactWriteItem::builder().delete(build(moved.build())?).build());
            }
            match self.client.transact_write_items().set_transact_items(Some(writes)).send().await {
                Ok(_) => return Ok(()),
                Err(err) if is_retryable_cancel(&err) => tokio::time::sleep(backoff(round)).await,
                Err(err) => return Err(unavailable(err)),
            }
        }
        Err(StoreError::Contention)
    }

    async fn endpoints(&self, user: &UserId) -> Result<Vec<PushEndpoint>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.tables.push)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", pu::PK)
            .expression_attribute_values(":pk", s(user.as_str()))
            .send()
            .await
            .map_err(unavailable)?;
        out.items()
            .iter()
            .map(|i| {
                Ok(PushEndpoint {
                    user: user.clone(),
                    token: get_s(i, pu::SK, "push device")?.to_owned(),
                    platform: platform_from(get_s(i, pu::PLATFORM, "push device")?)?,
                    endpoint_arn: get_s(i, pu::ENDPOINT, "push device")?.to_owned(),
                })
            })
            .collect()
    }

    async fn delete_endpoint(&self, user: &UserId, token: &str) -> Result<Option<PushEndpoint>, StoreError> {
        // The owner item goes only if it is still this user's.
        let released = self
            .client
            .delete_item()
            .table_name(&self.tables.state)
            .key(st::PK, s(st::push_owner_key(token)))
            .condition_expression("#o = :user")
            .expression_attribute_names("#o", st::OWNER)
            .expression_attribute_values(":user", s(user.as_str()))
            .send()
            .await;
        match released {
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {}
            Err(e) => return Err(unavailable(e)),
        }
        let out = self
            .client
            .delete_item()
            .table_name(&self.tables.push)
            .key(pu::PK, s(user.as_str()))
            .key(pu::SK, s(token))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(unavailable)?;
        let Some(old) = out.attributes() else { return Ok(None) };
        Ok(Some(PushEndpoint {
            user: user.clone(),
            token: token.to_owned(),
            platform: platform_from(get_s(old, pu::PLATFORM, "push device")?)?,
            endpoint_arn: get_s(old, pu::ENDPOINT, "push device")?.to_owned(),
        }))
    }

    async fn claim_push(&self, key: &str, now_ms: u64) -> Result<bool, StoreError> {
        claim_for_a_day(self, Item::from([(st::PK.to_owned(), s(st::push_claim_key(key)))]), now_ms).await
    }
}
