//! One refusal type for every route: what a frame could not get, and why. A route returns
//! `Result<ServerFrame, Refusal>`; the edge turns a refusal into exactly one `error` frame.

use chat_core::BoxError;
use chat_core::group::GroupError;
use chat_core::ids::UserId;
use chat_core::protocol::{ErrorCode, FrameError, ServerFrame};
use chat_core::push::NotifyError;
use chat_core::ratelimit::{Limits, Route};
use chat_core::store::{BudgetStore, Spend, StoreError};

use crate::Caller;
use crate::metrics::{self, Metric};

/// What the client is told when infrastructure failed: the request may be retried.
const INTERNAL_MESSAGE: &str =
    "the server could not complete the request; retry it (a send with the same clientMsgId is safe to retry)";

/// Why a route could not do what a frame asked.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The client's mistake or lack of rights: it sees this code and these words, and
    /// nothing was changed.
    #[error("{code:?}: {message}")]
    Client {
        /// The protocol error code.
        code: ErrorCode,
        /// Plain words for the client.
        message: String,
    },
    /// Over a per-user limit: `rate_limited`, with when to retry; nothing was changed.
    #[error("rate limited for {retry_after_ms} ms")]
    RateLimited {
        /// When the request may succeed, ms from now.
        retry_after_ms: u64,
    },
    /// Infrastructure failed: the client sees `internal`; the log gets the cause chain.
    #[error("{what}")]
    Internal {
        /// What was being done.
        what: &'static str,
        /// The failure.
        #[source]
        source: BoxError,
    },
}

impl Refusal {
    /// A refusal the client sees as `code` with `message`.
    pub fn client(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Client { code, message: message.into() }
    }

    /// An infrastructure failure while doing `what`.
    pub fn internal(what: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Internal { what, source: source.into() }
    }

    /// The one `error` frame for this refusal, echoing the frame's `id` and `clientMsgId`.
    /// An internal failure is logged here, with its whole cause chain, and only here.
    pub fn into_frame(self, caller: &Caller, id: Option<String>, client_msg_id: Option<String>) -> ServerFrame {
        let (code, message) = match self {
            Self::Client { code, message } => {
                metrics::count(Metric::Refused, 1);
                (code, message)
            }
            Self::RateLimited { retry_after_ms } => {
                metrics::count(Metric::RateLimited, 1);
                tracing::info!(user = %caller.user, retry_after_ms, "rate limited");
                let message = format!("too many requests; retry in {retry_after_ms} ms");
                return ServerFrame::Error {
                    id,
                    client_msg_id,
                    code: ErrorCode::RateLimited,
                    message,
                    retry_after_ms: Some(retry_after_ms),
                };
            }
            Self::Internal { what, source } => {
                metrics::count(Metric::InternalErrors, 1);
                if matches!(source.downcast_ref::<StoreError>(), Some(StoreError::Contention)) {
                    metrics::count(Metric::StoreContention, 1);
                }
                tracing::error!(user = %caller.user, error = %cause_chain(&*source), "{what}");
                (ErrorCode::Internal, INTERNAL_MESSAGE.to_owned())
            }
        };
        ServerFrame::from_error(FrameError { id, client_msg_id, code, message })
    }
}

pub use chat_core::cause_chain;

/// Spends one request of `user`'s budget for `route`, if the route has one: a refusal
/// says when to retry. Every function checks its routes' budgets through here.
pub async fn spend_budget<S: BudgetStore>(
    store: &S,
    limits: &Limits,
    route: Route,
    user: &UserId,
    now_ms: u64,
) -> Result<(), Refusal> {
    let Some(budget) = limits.budget(route) else { return Ok(()) };
    match store.spend(user, route, &budget, now_ms).await? {
        Spend::Allowed => Ok(()),
        Spend::Refused { retry_after_ms } => Err(Refusal::RateLimited { retry_after_ms }),
    }
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Self::internal("store failed", e)
    }
}

impl From<GroupError> for Refusal {
    fn from(e: GroupError) -> Self {
        let code = match e {
            GroupError::NotFound => ErrorCode::NotFound,
            GroupError::NotCreator => ErrorCode::Forbidden,
            GroupError::TooLarge => ErrorCode::TooLarge,
            GroupError::Invalid(_) => ErrorCode::BadRequest,
        };
        Self::client(code, e.to_string())
    }
}

impl From<NotifyError> for Refusal {
    fn from(e: NotifyError) -> Self {
        match e {
            NotifyError::NotConfigured(_) => Self::client(ErrorCode::BadRequest, e.to_string()),
            e => Self::internal("push service failed", e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_failure_logs_its_cause_chain_and_tells_the_client_only_internal() {
        let io = std::io::Error::other("connection reset");
        let store = StoreError::Unavailable(Box::new(io));
        assert_eq!(cause_chain(&store), "store unavailable: connection reset");
        let caller = crate::testing::caller("alice", "c1=");
        let frame = Refusal::from(store).into_frame(&caller, Some("r".into()), Some("m".into()));
        let v: serde_json::Value = serde_json::from_str(&frame.to_json()).expect("json");
        assert_eq!(v["code"], "internal");
        assert_eq!(v["id"], "r");
        assert_eq!(v["clientMsgId"], "m");
        assert!(!v["message"].as_str().unwrap_or_default().contains("reset"), "no internals reach the client");
    }

    #[test]
    fn group_errors_map_to_their_codes() {
        let frame = |e: GroupError| {
            let caller = crate::testing::caller("alice", "c1=");
            serde_json::from_str::<serde_json::Value>(&Refusal::from(e).into_frame(&caller, None, None).to_json())
                .expect("json")["code"]
                .clone()
        };
        assert_eq!(frame(GroupError::NotFound), "not_found");
        assert_eq!(frame(GroupError::NotCreator), "forbidden");
        assert_eq!(frame(GroupError::TooLarge), "too_large");
    }
}
