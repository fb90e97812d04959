//! Functions with two triggers (presence: a route and the connections stream; push: routes
//! and the push topic) receive either event on one entry point.

use std::future::Future;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::LambdaEvent;

/// A WebSocket route event, or the function's other trigger's event `T`.
#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
pub enum RouteOr<T> {
    /// The other trigger (a stream batch, an SNS delivery): tried first, since a route
    /// event has none of its required fields.
    Other(T),
    /// A WebSocket route.
    Route(Box<ApiGatewayWebsocketProxyRequest>),
}

/// Runs `route` or `other` on the event, answering what Lambda expects of each: the route's
/// integration response, or nothing.
pub async fn dispatch<T, R, O>(
    event: LambdaEvent<RouteOr<T>>,
    route: impl FnOnce(LambdaEvent<ApiGatewayWebsocketProxyRequest>) -> R,
    other: impl FnOnce(LambdaEvent<T>) -> O,
) -> Result<serde_json::Value, lambda_runtime::Error>
where
    R: Future<Output = Result<ApiGatewayProxyResponse, lambda_runtime::Error>>,
    O: Future<Output = Result<(), lambda_runtime::Error>>,
{
    match event.payload {
        RouteOr::Other(e) => {
            other(LambdaEvent::new(e, event.context)).await?;
            Ok(serde_json::Value::Null)
        }
        RouteOr::Route(e) => Ok(serde_json::to_value(route(LambdaEvent::new(*e, event.context)).await?)?),
    }
}
