//! `$connect` records the connection under its user; `$disconnect` forgets it.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use chat_core::clock::Clock;
use chat_core::config::{ConfigError, Vars};
use chat_core::ratelimit::Limits;
use chat_core::schema::TableNames;
use chat_core::schema::connections::TTL_SECS;
use chat_core::store::{Connection, ConnectionStore};
use chat_lambda::Caller;
use lambda_runtime::LambdaEvent;

/// What the connection routes need.
#[derive(Debug)]
pub struct Deps<S, C> {
    /// Where connections are recorded.
    pub store: S,
    /// Wall-clock time.
    pub clock: C,
    /// At most this many live connections per user (`None`: no cap).
    pub max_connections: Option<u32>,
}

/// The connection routes' settings, read once per cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The tables.
    pub tables: TableNames,
    /// `CHAT_CONNECTIONS_PER_USER` (default 20; 0: no cap).
    pub max_connections: Option<u32>,
}

impl Config {
    /// Reads the settings through `vars`; names the variable that is wrong.
    pub fn from_vars(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self { tables: TableNames::from_vars(vars), max_connections: Limits::from_vars(vars)?.connections })
    }
}

/// The `$connect` response that refuses the handshake (API Gateway fails the upgrade when
/// the `$connect` integration does not answer 2xx; the devserver answers the client 429).
fn too_many() -> ApiGatewayProxyResponse {
    let mut r = ApiGatewayProxyResponse::default();
    r.status_code = 429;
    r.body = Some(aws_lambda_events::encodings::Body::Text("too many connections for this user".into()));
    r
}

/// Handles `$connect` and `$disconnect` (by the event's route key).
pub async fn handle<S: ConnectionStore, C: Clock>(
    deps: &Deps<S, C>,
    event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
) -> Result<ApiGatewayProxyResponse, lambda_runtime::Error> {
    let caller = Caller::from_event(&event.payload)?;
    match event.payload.request_context.route_key.as_deref() {
        Some("$connect") => {
            let connected_at = if caller.connected_at > 0 { caller.connected_at } else { deps.clock.now_ms() };
            let conn = Connection {
                user: caller.user.clone(),
                connection_id: caller.connection_id.clone(),
                device: caller.device.clone(),
                connected_at,
                expires_at: connected_at / 1000 + TTL_SECS,
            };
            match deps.max_connections {
                None => deps.store.put_connection(&conn).await?,
                Some(max) => {
                    let now_s = deps.clock.now_ms() / 1000;
                    if !deps.store.put_connection_capped(&conn, max as usize, now_s).await? {
                        tracing::info!(user = %caller.user, max, "connection refused: too many");
                        return Ok(too_many());
                    }
                }
            }
            tracing::info!(user = %caller.user, "connected");
        }
        Some("$disconnect") => {
            deps.store.delete_connection(&caller.user, &caller.connection_id).await?;
            tracing::info!(user = %caller.user, "disconnected");
        }
        other => return Err(format!("connection handler got route {other:?}").into()),
    }
    Ok(chat_lambda::ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::clock::ManualClock;
    use chat_core::ids::UserId;
    use chat_core::store::memory::MemoryStore;
    use chat_lambda::testing::{self, fixtures};

    fn event(fixture: &str, route: &str) -> LambdaEvent<ApiGatewayWebsocketProxyRequest> {
        let event = testing::event(fixture, |v| {
            v["requestContext"]["routeKey"] = route.into();
            v["requestContext"]["authorizer"] = serde_json::json!({"principalId":"alice","userId":"alice"});
        });
        LambdaEvent::new(event, Default::default())
    }

    #[tokio::test]
    async fn connect_records_and_disconnect_forgets_the_connection() {
        let deps = Deps { store: MemoryStore::new(), clock: ManualClock::at(1_700_000_000_000), max_connections: None };
        handle(&deps, event(fixtures::CONNECT, "$connect")).await.expect("connect");
        let alice = UserId::parse("alice").expect("valid");
        let conns = deps.store.connections(&alice, 0).await.expect("list");
        assert_eq!(conns.len(), 1);
        assert_eq!(conns[0].connection_id.as_str(), "TWegAcC4EowCHnA=");
        assert_eq!(conns[0].expires_at, 1_547_230_720 + TTL_SECS);
        let mut ev = event(fixtures::DISCONNECT, "$disconnect");
        ev.payload.request_context.connection_id = Some("TWegAcC4EowCHnA=".into());
        handle(&deps, ev).await.expect("disconnect");
        assert!(deps.store.connections(&alice, 0).await.expect("list").is_empty());
    }

    #[tokio::test]
    async fn an_event_without_authorizer_context_fails() {
        let deps = Deps { store: MemoryStore::new(), clock: ManualClock::at(0), max_connections: None };
        let mut ev = event(fixtures::CONNECT, "$connect");
        ev.payload.request_context.authorizer = Default::default();
        assert!(handle(&deps, ev).await.is_err());
    }

    #[tokio::test]
    async fn past_the_cap_a_handshake_is_refused_and_leaves_no_record_even_when_they_race() {
        let deps =
            Deps { store: MemoryStore::new(), clock: ManualClock::at(1_700_000_000_000), max_connections: Some(3) };
        let connect = |i: u64| {
            let mut ev = event(fixtures::CONNECT, "$connect");
            ev.payload.request_context.connection_id = Some(format!("conn{i:011}="));
            ev.payload.request_context.connected_at = 1_700_000_000_000 + i as i64;
            handle(&deps, ev)
        };
        let results = futures_util::future::join_all((0..6).map(connect)).await;
        let codes: Vec<i64> = results.into_iter().map(|r| r.expect("handled").status_code).collect();
        assert_eq!(codes.iter().filter(|c| **c == 200).count(), 3, "{codes:?}");
        assert_eq!(codes.iter().filter(|c| **c == 429).count(), 3, "{codes:?}");
        let alice = UserId::parse("alice").expect("valid");
        assert_eq!(deps.store.connections(&alice, 0).await.expect("list").len(), 3, "refused ones left nothing");
    }
}
