//! `chat-push`: notifications for users with no live connection.
//!
//! - [`handle_route`]: `push.register` creates an SNS platform endpoint for the device token
//!   under the platform application configured for its platform, and stores it for the
//!   user; `push.unregister` removes both.
//! - [`deliver`]: one push request (handed off by the send path through the push topic)
//!   published to each of the user's devices with a per-platform payload. A disabled
//!   endpoint is forgotten; a retried request does not notify twice.
//! - [`handle_sns`]: [`deliver`] for each record of an SNS event (AWS).

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::sns::SnsEvent;
use chat_core::clock::{Clock, SystemClock};
use chat_core::ids::UserId;
use chat_core::poster::Poster;
use chat_core::protocol::{Action, ErrorCode, Platform, ServerFrame};
use chat_core::push::{Notifier, NotifyError, PushEndpoint, PushRequest};
use chat_core::ratelimit::{Limits, Route};
use chat_core::store::{BudgetStore, ConversationStore, PushStore, StoreError};
use chat_lambda::config::RouteConfig;
use chat_lambda::metrics::Metric;
use chat_lambda::refusal::{cause_chain, spend_budget};
use chat_lambda::trigger::{RouteOr, dispatch};
use chat_lambda::{Refusal, deliver as post};
use lambda_runtime::LambdaEvent;

/// The push function's settings: what every route-serving function reads. The platform
/// applications (`CHAT_PUSH_*_APP_ARN`) are read by `chat_sns::PlatformApps` where the
/// notifier is built.
pub type Config = RouteConfig;

/// What the push function needs.
#[derive(Debug)]
pub struct Deps<S, N, P, C = SystemClock> {
    /// Devices and push claims.
    pub store: S,
    /// SNS platform endpoints.
    pub notifier: N,
    /// `@connections`, for route replies.
    pub poster: P,
    /// Wall-clock time.
    pub clock: C,
    /// Per-user limits (`push.register`).
    pub limits: Limits,
}

/// The `push.register` and `push.unregister` routes.
pub async fn handle_route<S: PushStore + BudgetStore, N: Notifier, P: Poster, C: Clock>(
    deps: &Deps<S, N, P, C>,
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, lambda_runtime::Error> {
    let Some((caller, parsed)) = chat_lambda::accept(&event.payload, &deps.poster, deps.clock.now_ms()).await? else {
        return Ok(chat_lambda::ok());
    };
    let frame = match parsed {
        Err(e) => ServerFrame::from_error(e),
        Ok(req) => {
            let result = match req.action {
                Action::PushRegister { platform, token } => {
                    let now = deps.clock.now_ms();
                    match spend_budget(&deps.store, &deps.limits, Route::PushRegister, &caller.user, now).await {
                        Ok(()) => register(deps, &caller.user, platform, token).await,
                        Err(refusal) => Err(refusal),
                    }
                }
                Action::PushUnregister { token } => unregister(deps, &caller.user, &token).await,
                _ => Err(Refusal::client(
                    ErrorCode::BadRequest,
                    "the push routes serve only push.register and push.unregister",
                )),
            };
            match result {
                Ok(()) => ServerFrame::Ok { id: req.id },
                Err(refusal) => refusal.into_frame(&caller, req.id, None),
            }
        }
    };
    post::reply(&deps.poster, &caller, &frame).await;
    Ok(chat_lambda::ok())
}

async fn register<S: PushStore, N: Notifier, P, C>(
    deps: &Deps<S, N, P, C>,
    user: &UserId,
    platform: Platform,
    token: String,
) -> Result<(), Refusal> {
    let endpoint_arn = deps.notifier.create_endpoint(platform, &token).await?;
    let endpoint = PushEndpoint { user: user.clone(), token, platform, endpoint_arn };
    Ok(deps.store.put_endpoint(&endpoint).await?)
}

async fn unregister<S: PushStore, N: Notifier, P, C>(
    deps: &Deps<S, N, P, C>,
    user: &UserId,
    token: &str,
) -> Result<(), Refusal> {
    if let Some(gone) = deps.store.delete_endpoint(user, token).await?
        && let Err(e) = deps.notifier.delete_endpoint(&gone.endpoint_arn).await
    {
        tracing::warn!(error = %cause_chain(&e), "could not delete the SNS endpoint; it stays orphaned");
    }
    Ok(())
}

/// Publishes one push request to each of its user's devices; returns how many accepted
/// it. A request already delivered (a retry) does nothing.
pub async fn deliver<S: PushStore + ConversationStore, N: Notifier, P, C: Clock>(
    deps: &Deps<S, N, P, C>,
    req: &PushRequest,
) -> Result<usize, StoreError> {
    // A conversation its user muted pushes nothing (one read of its summary), except a
    // message that mentions the user.
    let summary = if req.mention {
        Vec::new()
    } else {
        deps.store.summaries(&req.user, std::slice::from_ref(&req.conversation)).await?
    };
    if summary.first().and_then(Option::as_ref).is_some_and(|s| s.muted(deps.clock.now_ms())) {
        tracing::info!(user = %req.user, "conversation muted; no push");
        return Ok(0);
    }
    let claim = format!("{}#{}", req.msg_id, req.user);
    if !deps.store.claim_push(&claim, deps.clock.now_ms()).await? {
        tracing::info!(user = %req.user, "push already sent; retry ignored");
        return Ok(0);
    }
    let endpoints = deps.store.endpoints(&req.user).await?;
    let results = futures_util::future::join_all(endpoints.iter().map(|e| deps.notifier.publish(e, req))).await;
    let mut sent = 0;
    for (endpoint, result) in endpoints.iter().zip(results) {
        chat_lambda::metrics::count(if result.is_ok() { Metric::PushesSent } else { Metric::PushesFailed }, 1);
        match result {
            Ok(()) => sent += 1,
            Err(NotifyError::Disabled) => {
                tracing::info!(user = %req.user, "push endpoint disabled; forgetting the device");
                deps.store.delete_endpoint(&req.user, &endpoint.token).await?;
                if let Err(e) = deps.notifier.delete_endpoint(&endpoint.endpoint_arn).await {
                    tracing::warn!(error = %cause_chain(&e), "could not delete a disabled SNS endpoint");
                }
            }
            Err(e) => tracing::warn!(user = %req.user, error = %cause_chain(&e), "push failed"),
        }
    }
    Ok(sent)
}

/// The push topic's subscription: each record's message is a [`PushRequest`].
pub async fn handle_sns<S: PushStore + ConversationStore, N: Notifier, P, C: Clock>(
    deps: &Deps<S, N, P, C>,
    event: LambdaEvent<SnsEvent>,
) -> Result<(), lambda_runtime::Error> {
    for record in &event.payload.records {
        match serde_json::from_str::<PushRequest>(&record.sns.message) {
            Ok(req) => {
                deliver(deps, &req).await.map_err(|e| format!("push delivery failed: {}", cause_chain(&e)))?;
            }
            Err(e) => tracing::error!(error = %e, "a push topic message is not a push request; dropped"),
        }
    }
    Ok(())
}

/// Either event the Lambda receives: a route, or a delivery from the push topic.
pub type Event = RouteOr<SnsEvent>;

/// The Lambda entry point: dispatches on the event's shape.
pub async fn handle<S: PushStore + BudgetStore + ConversationStore, N: Notifier, P: Poster, C: Clock>(
    deps: &Deps<S, N, P, C>,
    event: LambdaEvent<Event>,
) -> Result<serde_json::Value, lambda_runtime::Error> {
    dispatch(event, |e| handle_route(deps, e), |e| handle_sns(deps, e)).await
}
