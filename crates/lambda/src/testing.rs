//! The test kit (feature `testing`): captured API Gateway events edited into the event a
//! test needs, and one recording [`Poster`]. Every function crate's tests and the benches
//! use these instead of writing their own.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use chat_core::ids::{ConnectionId, UserId};
use chat_core::poster::{PostError, Poster};
use chat_core::store::Connection;
use lambda_runtime::LambdaEvent;
use serde_json::{Value, json};

use crate::Caller;

/// Captured events (from the runtime's `lambda-events` fixtures), never hand-typed.
pub mod fixtures {
    /// A WebSocket route (`MESSAGE`) event.
    pub const MESSAGE: &str = include_str!("../fixtures/websocket-message.json");
    /// A `$connect` event.
    pub const CONNECT: &str = include_str!("../fixtures/apigw-websocket-request.json");
    /// A `$disconnect` event.
    pub const DISCONNECT: &str = include_str!("../fixtures/apigw-websocket-request-disconnect-route.json");
    /// A REQUEST authorizer event of a WebSocket `$connect`.
    pub const AUTHORIZER: &str = include_str!("../fixtures/apigw-v2-custom-authorizer-websocket-request.json");
    /// A DynamoDB stream batch.
    pub const DYNAMODB_STREAM: &str = include_str!("../fixtures/dynamodb-event.json");
    /// An SNS delivery.
    pub const SNS: &str = include_str!("../fixtures/sns-event.json");
}

/// A valid user id; panics on an invalid literal (tests only).
pub fn user(s: &str) -> UserId {
    UserId::parse(s).expect("a valid user id")
}

/// A live connection record of `user` that does not expire during a test.
pub fn connection(user_id: &str, connection_id: &str) -> Connection {
    Connection {
        user: user(user_id),
        connection_id: ConnectionId::parse(connection_id).expect("a valid connection id"),
        device: None,
        connected_at: 0,
        expires_at: u64::MAX / 2,
    }
}

/// The caller of a route event from `connection_id` of `user`.
pub fn caller(user_id: &str, connection_id: &str) -> Caller {
    Caller::from_event(&route_request(user_id, connection_id, "")).expect("a valid caller")
}

/// A captured fixture, parsed and edited by `edit`, as the event type `T`.
pub fn event<T: serde::de::DeserializeOwned>(fixture: &str, edit: impl FnOnce(&mut Value)) -> T {
    let mut v: Value = serde_json::from_str(fixture).expect("a fixture is JSON");
    edit(&mut v);
    serde_json::from_value(v).expect("the edited fixture is still an event")
}

/// A route event carrying `body`, from `connection_id` of `user` (the authorizer context
/// the gateway adds), without a device.
pub fn route_request(user_id: &str, connection_id: &str, body: &str) -> ApiGatewayWebsocketProxyRequest {
    route_request_from_device(user_id, None, connection_id, body)
}

/// [`route_request`] from a connection that named `device` on connect.
pub fn route_request_from_device(
    user_id: &str,
    device: Option<&str>,
    connection_id: &str,
    body: &str,
) -> ApiGatewayWebsocketProxyRequest {
    event(fixtures::MESSAGE, |e| {
        e["requestContext"]["connectionId"] = json!(connection_id);
        let mut authorizer = json!({"principalId": user_id, crate::context::USER_ID: user_id});
        if let Some(d) = device {
            authorizer[crate::context::DEVICE_ID] = json!(d);
        }
        e["requestContext"]["authorizer"] = authorizer;
        e["requestContext"]["routeKey"] = json!(chat_core::protocol::route_key(body));
        e["body"] = json!(body);
    })
}

/// [`route_request`] wrapped as the runtime hands it to a handler.
pub fn route_event(user_id: &str, connection_id: &str, body: &str) -> LambdaEvent<ApiGatewayWebsocketProxyRequest> {
    LambdaEvent::new(route_request(user_id, connection_id, body), Default::default())
}

/// One post a [`RecordingPoster`] saw.
#[derive(Debug, Clone)]
pub struct Post {
    /// When (Tokio time, so paused-clock tests can measure).
    pub at: tokio::time::Instant,
    /// To which connection.
    pub connection: String,
    /// The frame, parsed.
    pub frame: Value,
}

type Observer = Arc<dyn Fn(&Post) + Send + Sync>;

/// A [`Poster`] that records every frame, and answers 410 for connections marked gone.
#[derive(Clone, Default)]
pub struct RecordingPoster {
    posts: Arc<Mutex<Vec<Post>>>,
    gone: Arc<Mutex<HashSet<String>>>,
    closed: Arc<Mutex<Vec<String>>>,
    observer: Option<Observer>,
}

impl std::fmt::Debug for RecordingPoster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingPoster").field("posts", &self.posts().len()).finish()
    }
}

impl RecordingPoster {
    /// A poster that also calls `observer` with each post (to interleave posts with
    /// another log, such as an SDK interceptor's).
    pub fn observed(observer: impl Fn(&Post) + Send + Sync + 'static) -> Self {
        Self { observer: Some(Arc::new(observer)), ..Self::default() }
    }

    /// Every post so far, in order.
    pub fn posts(&self) -> Vec<Post> {
        self.posts.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The frames posted to `connection`, in order.
    pub fn frames_to(&self, connection: &str) -> Vec<Value> {
        self.posts().into_iter().filter(|p| p.connection == connection).map(|p| p.frame).collect()
    }

    /// The frames posted so far, forgetting them.
    pub fn take(&self) -> Vec<Post> {
        std::mem::take(&mut *self.posts.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The connections closed so far (`DELETE @connections`), in order.
    pub fn closed(&self) -> Vec<String> {
        self.closed.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// From now on, posts to `connection` fail as gone (HTTP 410).
    pub fn mark_gone(&self, connection: &str) {
        self.gone.lock().unwrap_or_else(|p| p.into_inner()).insert(connection.to_owned());
    }
}

impl Poster for RecordingPoster {
    async fn post(&self, connection: &ConnectionId, data: &str) -> Result<(), PostError> {
        if self.gone.lock().unwrap_or_else(|p| p.into_inner()).contains(connection.as_str()) {
            return Err(PostError::Gone);
        }
        let frame: Value = serde_json::from_str(data).map_err(|e| PostError::Failed(Box::new(e)))?;
        let post = Post { at: tokio::time::Instant::now(), connection: connection.to_string(), frame };
        if let Some(observe) = &self.observer {
            observe(&post);
        }
        self.posts.lock().unwrap_or_else(|p| p.into_inner()).push(post);
        Ok(())
    }

    async fn close(&self, connection: &ConnectionId) -> Result<(), PostError> {
        self.closed.lock().unwrap_or_else(|p| p.into_inner()).push(connection.to_string());
        Ok(())
    }
}

/// A [`Poster`] that accepts and drops every frame: for benchmarks, where recording would
/// be measured too.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiscardingPoster;

impl Poster for DiscardingPoster {
    async fn post(&self, _: &ConnectionId, data: &str) -> Result<(), PostError> {
        std::hint::black_box(data);
        Ok(())
    }

    async fn close(&self, _: &ConnectionId) -> Result<(), PostError> {
        Ok(())
    }
}
