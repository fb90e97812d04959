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
use chat_core::protocol::{Action, ErrorCode, FrameError, Platform, ServerFrame, parse_frame};
use chat_core::push::{PushEndpoint, PushRequest};
use chat_core::store::{PushStore, StoreError};
use chat_lambda::{Caller, deliver as post};
use chat_sns::{Notifier, NotifyError};
use lambda_runtime::LambdaEvent;

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
}

fn error(id: Option<String>, code: ErrorCode, message: impl Into<String>) -> ServerFrame {
    ServerFrame::from_error(FrameError { id, client_msg_id: None, code, message: message.into() })
}

/// The `push.register` and `push.unregister` routes.
pub async fn handle_route<S: PushStore, N: Notifier, P: Poster, C: Clock>(
    deps: &Deps<S, N, P, C>,
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, lambda_runtime::Error> {
    let caller = Caller::from_event(&event.payload)?;
    let frame = match parse_frame(event.payload.body.as_deref().unwrap_or("")) {
        Err(e) => ServerFrame::from_error(e),
        Ok(req) => match req.action {
            Action::PushRegister { platform, token } => {
                register(deps, &caller.user, platform, token).await.map_or_else(
                    |(code, message)| error(req.id.clone(), code, message),
                    |()| ServerFrame::Ok { id: req.id.clone() },
                )
            }
            Action::PushUnregister { token } => unregister(deps, &caller.user, &token).await.map_or_else(
                |(code, message)| error(req.id.clone(), code, message),
                |()| ServerFrame::Ok { id: req.id.clone() },
            ),
            _ => error(req.id, ErrorCode::BadRequest, "the push routes serve only push.register and push.unregister"),
        },
    };
    post::reply(&deps.poster, &caller, &frame).await;
    Ok(chat_lambda::ok())
}

fn internal(e: &dyn std::fmt::Display) -> (ErrorCode, String) {
    tracing::error!(error = %e, "push registration failed");
    (ErrorCode::Internal, "the server could not update push devices; retry".into())
}

async fn register<S: PushStore, N: Notifier, P, C>(
    deps: &Deps<S, N, P, C>,
    user: &UserId,
    platform: Platform,
    token: String,
) -> Result<(), (ErrorCode, String)> {
    let endpoint_arn = match deps.notifier.create_endpoint(platform, &token).await {
        Ok(arn) => arn,
        Err(e @ NotifyError::NotConfigured(_)) => return Err((ErrorCode::BadRequest, e.to_string())),
        Err(e) => return Err(internal(&e)),
    };
    let endpoint = PushEndpoint { user: user.clone(), token, platform, endpoint_arn };
    deps.store.put_endpoint(&endpoint).await.map_err(|e| internal(&e))
}

async fn unregister<S: PushStore, N: Notifier, P, C>(
    deps: &Deps<S, N, P, C>,
    user: &UserId,
    token: &str,
) -> Result<(), (ErrorCode, String)> {
    if let Some(gone) = deps.store.delete_endpoint(user, token).await.map_err(|e| internal(&e))?
        && let Err(e) = deps.notifier.delete_endpoint(&gone.endpoint_arn).await
    {
        tracing::warn!(error = %e, "could not delete the SNS endpoint; it stays orphaned");
    }
    Ok(())
}

/// Publishes one push request to each of its user's devices; returns how many accepted
/// it. A request already delivered (a retry) does nothing.
pub async fn deliver<S: PushStore, N: Notifier, P, C: Clock>(
    deps: &Deps<S, N, P, C>,
    req: &PushRequest,
) -> Result<usize, StoreError> {
    let claim = format!("{}#{}", req.msg_id, req.user);
    if !deps.store.claim_push(&claim, deps.clock.now_ms()).await? {
        tracing::info!(user = %req.user, "push already sent; retry ignored");
        return Ok(0);
    }
    let endpoints = deps.store.endpoints(&req.user).await?;
    let results = futures_util::future::join_all(endpoints.iter().map(|e| deps.notifier.publish(e, req))).await;
    let mut sent = 0;
    for (endpoint, result) in endpoints.iter().zip(results) {
        match result {
            Ok(()) => sent += 1,
            Err(NotifyError::Disabled) => {
                tracing::info!(user = %req.user, "push endpoint disabled; forgetting the device");
                deps.store.delete_endpoint(&req.user, &endpoint.token).await?;
                if let Err(e) = deps.notifier.delete_endpoint(&endpoint.endpoint_arn).await {
                    tracing::warn!(error = %e, "could not delete a disabled SNS endpoint");
                }
            }
            Err(e) => tracing::warn!(user = %req.user, error = %e, "push failed"),
        }
    }
    Ok(sent)
}

/// The push topic's subscription: each record's message is a [`PushRequest`].
pub async fn handle_sns<S: PushStore, N: Notifier, P, C: Clock>(
    deps: &Deps<S, N, P, C>,
    event: LambdaEvent<SnsEvent>,
) -> Result<(), lambda_runtime::Error> {
    for record in &event.payload.records {
        match serde_json::from_str::<PushRequest>(&record.sns.message) {
            Ok(req) => {
                deliver(deps, &req).await?;
            }
            Err(e) => tracing::error!(error = %e, "a push topic message is not a push request; dropped"),
        }
    }
    Ok(())
}

/// Either event the push Lambda receives.
#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
pub enum Event {
    /// Push requests from the push topic.
    Sns(SnsEvent),
    /// `push.register` / `push.unregister`.
    Route(Box<ApiGatewayWebsocketProxyRequest>),
}

/// The Lambda entry point: dispatches on the event's shape.
pub async fn handle<S: PushStore, N: Notifier, P: Poster, C: Clock>(
    deps: &Deps<S, N, P, C>,
    event: LambdaEvent<Event>,
) -> Result<serde_json::Value, lambda_runtime::Error> {
    match event.payload {
        Event::Sns(e) => {
            handle_sns(deps, LambdaEvent::new(e, event.context)).await?;
            Ok(serde_json::Value::Null)
        }
        Event::Route(e) => Ok(serde_json::to_value(handle_route(deps, LambdaEvent::new(*e, event.context)).await?)?),
    }
}
