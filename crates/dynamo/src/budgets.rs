//! Per-user request budgets on DynamoDB: one counter item per user, route and window in
//! the state table, counted with one conditional `UpdateItem` (`ADD`, only while under the
//! budget), so concurrent requests from any connection or Lambda instance never overspend.
//! The item expires a minute after its window.

use chat_core::ids::UserId;
use chat_core::ratelimit::{Budget, Route};
use chat_core::schema::state as st;
use chat_core::store::{BudgetStore, Spend, StoreError};

use crate::items::{n, s};
use crate::store::DynamoStore;
use crate::unavailable;

impl BudgetStore for DynamoStore {
    async fn spend(&self, user: &UserId, route: Route, budget: &Budget, now_ms: u64) -> Result<Spend, StoreError> {
        let window = budget.window(now_ms);
        let expires_s = ((window + 1) * budget.window_ms.max(1)).div_ceil(1000) + 60;
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.state)
            .key(st::PK, s(st::budget_key(route.name(), user.as_str(), window)))
            .update_expression("ADD #n :one SET #ttl = :ttl")
            .condition_expression("attribute_not_exists(#n) OR #n < :max")
            .expression_attribute_names("#n", st::COUNT)
            .expression_attribute_names("#ttl", st::TTL)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(u64::from(budget.max)))
            .expression_attribute_values(":ttl", n(expires_s))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Spend::Allowed),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                Ok(Spend::Refused { retry_after_ms: budget.retry_after(now_ms) })
            }
            Err(e) => Err(unavailable(e)),
        }
    }
}
