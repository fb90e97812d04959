//! `chat-lambda`: what every chat function shares at its edge.
//!
//! - [`Caller`]: who sent an API Gateway WebSocket event, from the authorizer context.
//! - [`sdk_config`]: AWS SDK settings chosen on purpose (retries, timeouts).
//! - [`aws_log`]: every AWS request written down (`CHAT_AWS_REQUEST_LOG`), for the IAM check.
//! - [`init_tracing`]: JSON logs for CloudWatch.
//! - [`ok`]: the integration response every route returns.
//! - [`config`]: the settings every route-serving function reads.
//! - [`metrics`]: counters, as CloudWatch EMF lines in Lambda and Prometheus text locally.
//! - [`deliver`]: posting replies and fanning frames out through `@connections`.
//! - [`Refusal`]: why a route refused a frame; one `error` frame at the edge.
//! - [`trigger`]: one entry point for functions with a route and another trigger.
//! - `testing` (feature): the test kit, event builders and a recording poster.

pub mod aws_log;
pub mod config;
pub mod deliver;
pub mod metrics;
pub mod refusal;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod trigger;

pub use refusal::Refusal;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use chat_core::ids::{ConnectionId, DeviceId, IdError, UserId};
use chat_core::protocol::{ErrorCode, FrameError, Request, ServerFrame, parse_frame};

/// Authorizer context keys: the authorizer sets them, every route reads them.
pub mod context {
    /// The verified user id.
    pub const USER_ID: &str = "userId";
    /// The device id from the `device` query parameter, if given.
    pub const DEVICE_ID: &str = "deviceId";
    /// The token's `exp` (s since the epoch): the session ends with it.
    pub const EXPIRES_AT: &str = "expiresAt";
}

/// The caller of a WebSocket route, as the gateway vouches for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The user, from the authorizer context (never from the frame).
    pub user: UserId,
    /// The device, if the client named one on connect.
    pub device: Option<DeviceId>,
    /// The connection the event came from.
    pub connection_id: ConnectionId,
    /// When that connection was made, ms since the epoch.
    pub connected_at: u64,
    /// When the token it connected with expires, s since the epoch (`None`: the
    /// authorizer gave no expiry, as before expiries were passed on).
    pub expires_at: Option<u64>,
}

/// Why an event does not identify its caller: a gateway misconfiguration, never a client
/// mistake (the authorizer runs before any route).
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// No authorizer context: the `$connect` route has no authorizer.
    #[error("event has no authorizer context with {0}")]
    NoAuthorizer(&'static str),
    /// The event has no connection id.
    #[error("event has no connection id")]
    NoConnection,
    /// An id in the event is malformed.
    #[error("malformed id in event")]
    BadId(#[from] IdError),
}

impl Caller {
    /// Reads the caller from a route event.
    pub fn from_event(event: &ApiGatewayWebsocketProxyRequest) -> Result<Self, EventError> {
        let ctx = &event.request_context;
        let fields = &ctx.authorizer.fields;
        let user =
            fields.get(context::USER_ID).and_then(|v| v.as_str()).ok_or(EventError::NoAuthorizer(context::USER_ID))?;
        let device = match fields.get(context::DEVICE_ID).and_then(|v| v.as_str()) {
            Some(d) if !d.is_empty() => Some(DeviceId::parse(d)?),
            _ => None,
        };
        let connection_id = ctx.connection_id.as_deref().ok_or(EventError::NoConnection)?;
        Ok(Self {
            user: UserId::parse(user)?,
            device,
            connection_id: ConnectionId::parse(connection_id)?,
            connected_at: u64::try_from(ctx.connected_at).unwrap_or(0),
            // API Gateway hands context values to routes as strings or numbers.
            expires_at: fields.get(context::EXPIRES_AT).and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok())),
        })
    }

    /// Whether the token this connection was opened with has expired at `now_ms`.
    pub fn expired(&self, now_ms: u64) -> bool {
        self.expires_at.is_some_and(|exp| exp.saturating_mul(1000) <= now_ms)
    }
}

/// What every route does first: reads the caller from the event and parses its frame. A
/// connection whose token has expired gets one `unauthorized` error and is closed (API
/// Gateway keeps sockets up to two hours, longer than tokens live), and `None` is
/// returned: the route does nothing else.
pub async fn accept<P: chat_core::poster::Poster>(
    event: &ApiGatewayWebsocketProxyRequest,
    poster: &P,
    now_ms: u64,
) -> Result<Option<(Caller, Result<Request, FrameError>)>, EventError> {
    let caller = Caller::from_event(event)?;
    let parsed = parse_frame(event.body.as_deref().unwrap_or(""));
    if parsed.is_err() {
        metrics::count(metrics::Metric::Refused, 1);
    }
    if !caller.expired(now_ms) {
        return Ok(Some((caller, parsed)));
    }
    let id = parsed.ok().and_then(|r| r.id);
    let message = "the token has expired; connect again with a fresh token".to_owned();
    let frame = ServerFrame::from_error(FrameError { id, client_msg_id: None, code: ErrorCode::Unauthorized, message });
    deliver::reply(poster, &caller, &frame).await;
    if let Err(e) = poster.close(&caller.connection_id).await {
        tracing::warn!(user = %caller.user, error = %refusal::cause_chain(&e), "closing an expired session failed");
    }
    tracing::info!(user = %caller.user, "session expired; connection closed");
    Ok(None)
}

/// The response every route returns: replies go through `@connections`, not the
/// integration response, so the sender's `ack` can precede delivery to others.
pub fn ok() -> ApiGatewayProxyResponse {
    let mut r = ApiGatewayProxyResponse::default();
    r.status_code = 200;
    r
}

/// Which AWS calls an SDK config is for: they get different time budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// DynamoDB and SNS: standard retries (3 attempts, exponential backoff with jitter),
    /// 1 s to connect, 2 s per attempt, 5 s in all, so a throttled table fails a request
    /// in seconds instead of holding the Lambda until its timeout.
    Data,
    /// `@connections` posts: 2 attempts, 1.5 s per attempt, 3 s in all; a lost post is
    /// recovered by `sync`, so waiting longer is never worth it.
    Post,
    /// Object storage transfers (the media function reads uploads of up to tens of MB):
    /// 3 attempts, 30 s per attempt, 90 s in all.
    Bulk,
}

/// Loads the AWS SDK config from the environment (credentials, region,
/// `AWS_ENDPOINT_URL`), with the retry and timeout settings of `budget`.
///
/// Inside Lambda the runtime puts the region and the role's credentials in environment
/// variables, so the config is built from them directly: the full default chain
/// (`aws_config::load_defaults`: profile files, SSO, IMDS, ...) costs about 3 ms of cold
/// start for nothing there. Everywhere else (a laptop, CI, the devserver) the full chain
/// runs.
pub async fn sdk_config(budget: Budget) -> SdkConfig {
    sdk_config_with(budget, |k| std::env::var(k).ok()).await
}

/// Both SDK configs a function that posts needs: ([`Budget::Data`], [`Budget::Post`]).
pub async fn sdk_configs() -> (SdkConfig, SdkConfig) {
    tokio::join!(sdk_config(Budget::Data), sdk_config(Budget::Post))
}

/// [`sdk_config`] for clients `owner` makes its requests with ([`aws_log::DEVSERVER`]: the
/// devserver's), which matters only to the request log (`CHAT_AWS_REQUEST_LOG`): a
/// request through such a client made outside any function's label is a handler's that
/// lost it, and the IAM check fails on it.
pub async fn sdk_config_for(budget: Budget, owner: &'static str) -> SdkConfig {
    build_sdk_config(budget, |k| std::env::var(k).ok(), Some(owner)).await
}

/// [`sdk_config`], reading variables through `get` (the environment, or a map in tests).
pub async fn sdk_config_with(budget: Budget, get: impl Fn(&str) -> Option<String>) -> SdkConfig {
    build_sdk_config(budget, get, None).await
}

async fn build_sdk_config(
    budget: Budget,
    get: impl Fn(&str) -> Option<String>,
    owner: Option<&'static str>,
) -> SdkConfig {
    let var = |k: &str| get(k).filter(|v| !v.is_empty());
    // With CHAT_AWS_REQUEST_LOG (tests only), every request is logged for the IAM check.
    let log = var(aws_log::ENV);
    let recorded = |http: SharedHttpClient| match &log {
        Some(path) => aws_log::recording(http, path.clone(), owner),
        None => http,
    };
    // An emulator on a busy laptop or CI box (moto, LocalStack) answers far slower than AWS:
    // CHAT_AWS_TIMEOUT_SCALE stretches every budget (scripts/test uses 5).
    let scale =
        var(chat_core::schema::env::AWS_TIMEOUT_SCALE).and_then(|v| v.parse::<u32>().ok()).unwrap_or(1).clamp(1, 60);
    let (attempts, attempt, total) = match budget {
        Budget::Data => (3, Duration::from_secs(2), Duration::from_secs(5)),
        Budget::Post => (2, Duration::from_millis(1500), Duration::from_secs(3)),
        Budget::Bulk => (3, Duration::from_secs(30), Duration::from_secs(90)),
    };
    let retry = RetryConfig::standard().with_max_attempts(attempts);
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1) * scale)
        .operation_attempt_timeout(attempt * scale)
        .operation_timeout(total * scale)
        .build();
    if let (Some(_), Some(region), Some(key)) =
        (var("AWS_LAMBDA_FUNCTION_NAME"), var("AWS_REGION"), var("AWS_ACCESS_KEY_ID"))
    {
        use aws_credential_types::Credentials;
        use aws_credential_types::provider::SharedCredentialsProvider;
        let secret = var("AWS_SECRET_ACCESS_KEY").unwrap_or_default();
        let credentials = Credentials::new(key, secret, var("AWS_SESSION_TOKEN"), None, "lambda-environment");
        let mut b = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(aws_config::Region::new(region))
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .retry_config(retry)
            .timeout_config(timeouts);
        if let Some(endpoint) = var("AWS_ENDPOINT_URL") {
            b = b.endpoint_url(endpoint);
        }
        let mut http = None;
        if var(chat_core::schema::env::TLS_NATIVE_ROOTS).is_none() {
            match amazon_trust_context() {
                Ok(tls) => http = Some(rustls_ring(Some(tls))),
                Err(e) => tracing::warn!(error = %e, "Amazon root CAs unusable; falling back to the system's"),
            }
        }
        return b.http_client(recorded(http.unwrap_or_else(https_client))).build();
    }
    let loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(retry).timeout_config(timeouts);
    loader.http_client(recorded(https_client())).load().await
}

/// The SDK clients' HTTPS client (also plain HTTP, for emulators): rustls on `ring`, the
/// system's root CAs. Every SDK config needs one given: the SDK crates are built without
/// their `default-https-client` feature, which would compile aws-lc-sys.
pub fn https_client() -> SharedHttpClient {
    rustls_ring(None)
}

fn rustls_ring(trust: Option<aws_smithy_http_client::tls::TlsContext>) -> SharedHttpClient {
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
    let builder = aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(CryptoMode::Ring));
    match trust {
        Some(tls) => builder.tls_context(tls).build_https(),
        None => builder.build_https(),
    }
}

/// The root CAs of every AWS service endpoint (Amazon Trust Services: Amazon Root CA 1-4
/// and the Starfield Services G2 cross-sign), from Debian's ca-certificates.
const AMAZON_ROOTS: &[u8] = include_bytes!("../certs/amazon-trust-services.pem");

/// A TLS context trusting only the Amazon Trust Services roots. Inside Lambda the
/// functions talk to AWS endpoints only, and parsing 5 roots instead of the system's ~150
/// takes about 2 ms off every cold start. `CHAT_TLS_NATIVE_ROOTS=1` restores the system
/// store (e.g. behind a TLS-inspecting proxy).
fn amazon_trust_context() -> Result<aws_smithy_http_client::tls::TlsContext, aws_smithy_http_client::HttpClientError> {
    use aws_smithy_http_client::tls::{TlsContext, TrustStore};
    let trust = TrustStore::empty().with_native_roots(false).with_pem_certificate(AMAZON_ROOTS);
    TlsContext::builder().with_trust_store(trust).build()
}

/// Logs through the runtime's own tracing setup, which follows Lambda's advanced logging
/// controls: the level from `AWS_LAMBDA_LOG_LEVEL` (what the CDK's `chat:logLevel` sets;
/// else `RUST_LOG`, else `info`), JSON lines when `AWS_LAMBDA_LOG_FORMAT=JSON`, no
/// timestamps (CloudWatch adds them).
pub fn init_tracing() {
    lambda_runtime::tracing::init_default_subscriber();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(authorizer: serde_json::Value) -> ApiGatewayWebsocketProxyRequest {
        testing::event(testing::fixtures::MESSAGE, |v| v["requestContext"]["authorizer"] = authorizer)
    }

    #[test]
    fn the_caller_comes_from_the_authorizer_context() {
        let e = event(serde_json::json!({"principalId":"alice","userId":"alice","deviceId":"phone"}));
        let c = Caller::from_event(&e).expect("caller");
        assert_eq!(c.user.as_str(), "alice");
        assert_eq!(c.device.as_ref().map(DeviceId::as_str), Some("phone"));
        assert_eq!(c.connection_id.as_str(), "TWegAcC4EowCHnA=");
        assert_eq!(c.connected_at, 1_547_230_720_092);
    }

    #[tokio::test]
    async fn inside_lambda_the_config_comes_straight_from_the_environment() {
        let vars = [
            ("AWS_LAMBDA_FUNCTION_NAME", "send"),
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "session"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
        ];
        let get = |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned());
        let config = sdk_config_with(Budget::Data, get).await;
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert_eq!(config.endpoint_url(), Some("http://127.0.0.1:9"));
        assert_eq!(config.retry_config().map(|r| r.max_attempts()), Some(3));
        assert!(config.credentials_provider().is_some());
        assert!(config.http_client().is_some(), "the Amazon-roots client is used");
    }

    #[test]
    fn an_event_without_authorizer_context_is_an_error() {
        assert!(matches!(Caller::from_event(&event(serde_json::json!(null))), Err(EventError::NoAuthorizer(_))));
        let e = event(serde_json::json!({"userId":"bad user"}));
        assert!(matches!(Caller::from_event(&e), Err(EventError::BadId(_))));
    }
}
