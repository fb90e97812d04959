//! The memory store's presence, push and budget parts.

use super::{MemoryStore, Record};
use crate::ids::{ConnectionId, UserId};
use crate::message::IDEMPOTENCY_TTL_MS;
use crate::presence::PresenceState;
use crate::push::PushEndpoint;
use crate::ratelimit::{Budget, Route};
use crate::store::{BudgetStore, PresenceStore, PushStore, Spend, StoreError, Subscription};

impl PresenceStore for MemoryStore {
    async fn presence(&self, users: &[UserId]) -> Result<Vec<Option<PresenceState>>, StoreError> {
        let state = self.lock();
        Ok(users.iter().map(|u| state.data.presence.get(u).copied()).collect())
    }

    async fn set_presence(
        &self,
        user: &UserId,
        expected: Option<PresenceState>,
        new: PresenceState,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock();
        if state.data.presence.get(user).copied() != expected {
            return Ok(false);
        }
        state.commit(Record::SetPresence { user: user.clone(), state: new })?;
        Ok(true)
    }

    async fn subscribe(&self, users: &[UserId], sub: &Subscription) -> Result<(), StoreError> {
        let mut state = self.lock();
        for u in users {
            state.data.subscriptions.entry(u.clone()).or_default().insert(sub.connection_id.clone(), sub.clone());
        }
        Ok(())
    }

    async fn subscribers(&self, user: &UserId, now_s: u64) -> Result<Vec<Subscription>, StoreError> {
        let state = self.lock();
        Ok(state
            .data
            .subscriptions
            .get(user)
            .map(|s| s.values().filter(|s| s.expires_at > now_s).cloned().collect())
            .unwrap_or_default())
    }

    async fn unsubscribe(&self, user: &UserId, connection: &ConnectionId) -> Result<(), StoreError> {
        let mut state = self.lock();
        if let Some(s) = state.data.subscriptions.get_mut(user) {
            s.remove(connection);
        }
        Ok(())
    }
}

/// Budget counters kept before the oldest are dropped (a dropped one restarts at 0).
const MAX_BUDGETS: usize = 100_000;

impl BudgetStore for MemoryStore {
    async fn spend(&self, user: &UserId, route: Route, budget: &Budget, now_ms: u64) -> Result<Spend, StoreError> {
        let window = budget.window(now_ms);
        let mut state = self.lock();
        let budgets = &mut state.data.budgets;
        if budgets.len() >= MAX_BUDGETS {
            budgets.retain(|(_, _, w), _| *w >= window);
        }
        let used = budgets.entry((user.clone(), route, window)).or_default();
        if *used >= budget.max {
            return Ok(Spend::Refused { retry_after_ms: budget.retry_after(now_ms) });
        }
        *used += 1;
        Ok(Spend::Allowed)
    }
}

impl PushStore for MemoryStore {
    async fn put_endpoint(&self, e: &PushEndpoint) -> Result<(), StoreError> {
        self.lock().commit(Record::PutEndpoint { endpoint: e.clone() })
    }

    async fn endpoints(&self, user: &UserId) -> Result<Vec<PushEndpoint>, StoreError> {
        let state = self.lock();
        Ok(state.data.endpoints.get(user).map(|e| e.values().cloned().collect()).unwrap_or_default())
    }

    async fn delete_endpoint(&self, user: &UserId, token: &str) -> Result<Option<PushEndpoint>, StoreError> {
        let mut state = self.lock();
        let Some(existing) = state.data.endpoints.get(user).and_then(|e| e.get(token)).cloned() else {
            return Ok(None);
        };
        state.commit(Record::DeleteEndpoint { user: user.clone(), token: token.to_owned() })?;
        Ok(Some(existing))
    }

    async fn claim_push(&self, key: &str, now_ms: u64) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let claims = &mut state.data.push_claims;
        if claims.get(key).is_some_and(|at| at + IDEMPOTENCY_TTL_MS > now_ms) {
            return Ok(false);
        }
        claims.retain(|_, at| *at + IDEMPOTENCY_TTL_MS > now_ms);
        claims.insert(key.to_owned(), now_ms);
        Ok(true)
    }
}
