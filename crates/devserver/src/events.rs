//! The events API Gateway sends to the functions, as the exact JSON it sends, then
//! deserialized into `aws_lambda_events` types: the same path a Lambda's event takes.

use std::collections::HashMap;

use aws_lambda_events::apigw::{ApiGatewayCustomAuthorizerRequestTypeRequest, ApiGatewayWebsocketProxyRequest};
use serde_json::{Map, Value, json};

/// What is fixed for a connection and goes into each of its events.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    /// The connection id.
    pub connection_id: String,
    /// Connect time, ms.
    pub connected_at: u64,
    /// Host header (the API's domain name).
    pub domain_name: String,
    /// Stage name.
    pub stage: String,
    /// Client address.
    pub source_ip: String,
    /// Client's User-Agent.
    pub user_agent: String,
    /// The authorizer's context (principalId, userId, deviceId).
    pub authorizer: Map<String, Value>,
}

/// The parts of the upgrade request the `$connect` events carry.
#[derive(Debug, Clone, Default)]
pub struct Handshake {
    /// Request headers.
    pub headers: Vec<(String, String)>,
    /// Query string parameters.
    pub query: Vec<(String, String)>,
}

fn request_id() -> String {
    ulid::Ulid::new().to_string()
}

fn context(info: &ConnectionInfo, route: &str, event_type: &str, now_ms: u64) -> Value {
    let id = request_id();
    let mut ctx = json!({
        "routeKey": route,
        "eventType": event_type,
        "extendedRequestId": id,
        "requestTime": request_time(now_ms),
        "messageDirection": "IN",
        "stage": info.stage,
        "connectedAt": info.connected_at,
        "requestTimeEpoch": now_ms,
        "identity": {"sourceIp": info.source_ip, "userAgent": info.user_agent},
        "requestId": id,
        "domainName": info.domain_name,
        "connectionId": info.connection_id,
        "apiId": "local",
    });
    if !info.authorizer.is_empty() {
        let mut auth = info.authorizer.clone();
        auth.insert("integrationLatency".into(), json!(0));
        ctx["authorizer"] = Value::Object(auth);
    }
    ctx
}

fn single(pairs: &[(String, String)]) -> Value {
    let map: HashMap<&str, &str> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    json!(map)
}

fn multi(pairs: &[(String, String)]) -> Value {
    let mut map: HashMap<&str, Vec<&str>> = HashMap::new();
    for (k, v) in pairs {
        map.entry(k.as_str()).or_default().push(v.as_str());
    }
    json!(map)
}

/// The authorizer's REQUEST event for a connect attempt.
pub fn authorizer_request(
    info: &ConnectionInfo,
    hs: &Handshake,
    now_ms: u64,
) -> serde_json::Result<ApiGatewayCustomAuthorizerRequestTypeRequest> {
    serde_json::from_value(json!({
        "type": "REQUEST",
        "methodArn": format!("arn:aws:execute-api:local:000000000000:local/{}/$connect", info.stage),
        "headers": single(&hs.headers),
        "multiValueHeaders": multi(&hs.headers),
        "queryStringParameters": single(&hs.query),
        "multiValueQueryStringParameters": multi(&hs.query),
        "stageVariables": {},
        "requestContext": context(info, "$connect", "CONNECT", now_ms),
    }))
}

/// The `$connect` route event.
pub fn connect(
    info: &ConnectionInfo,
    hs: &Handshake,
    now_ms: u64,
) -> serde_json::Result<ApiGatewayWebsocketProxyRequest> {
    serde_json::from_value(json!({
        "headers": single(&hs.headers),
        "multiValueHeaders": multi(&hs.headers),
        "queryStringParameters": single(&hs.query),
        "multiValueQueryStringParameters": multi(&hs.query),
        "requestContext": context(info, "$connect", "CONNECT", now_ms),
        "isBase64Encoded": false,
    }))
}

/// A `MESSAGE` event for `route` carrying `body`.
pub fn message(
    info: &ConnectionInfo,
    route: &str,
    body: &str,
    now_ms: u64,
) -> serde_json::Result<ApiGatewayWebsocketProxyRequest> {
    let mut ctx = context(info, route, "MESSAGE", now_ms);
    ctx["messageId"] = json!(request_id());
    serde_json::from_value(json!({"requestContext": ctx, "body": body, "isBase64Encoded": false}))
}

/// The `$disconnect` event.
pub fn disconnect(
    info: &ConnectionInfo,
    code: u16,
    reason: &str,
    now_ms: u64,
) -> serde_json::Result<ApiGatewayWebsocketProxyRequest> {
    let mut ctx = context(info, "$disconnect", "DISCONNECT", now_ms);
    ctx["disconnectStatusCode"] = json!(code);
    ctx["disconnectReason"] = json!(reason);
    serde_json::from_value(json!({
        "headers": {"Host": info.domain_name},
        "multiValueHeaders": {"Host": [info.domain_name]},
        "requestContext": ctx,
        "isBase64Encoded": false,
    }))
}

/// `09/Feb/2024:18:23:28 +0000`, API Gateway's `requestTime` format.
pub fn request_time(ms: u64) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (y, m, d, hh, mm, ss) = civil(ms);
    format!("{d:02}/{}/{y}:{hh:02}:{mm:02}:{ss:02} +0000", MONTHS[(m - 1) as usize])
}

/// `2024-02-09T18:23:28.000Z`, the Management API's timestamp format.
pub fn iso8601(ms: u64) -> String {
    let (y, m, d, hh, mm, ss) = civil(ms);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{:03}Z", ms % 1000)
}

/// Calendar date and time (UTC) of `ms` since the epoch (Howard Hinnant's algorithm).
fn civil(ms: u64) -> (i64, u32, u32, u64, u64, u64) {
    let secs = ms / 1000;
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> ConnectionInfo {
        let mut authorizer = Map::new();
        authorizer.insert("principalId".into(), json!("alice"));
        authorizer.insert("userId".into(), json!("alice"));
        ConnectionInfo {
            connection_id: "abc=".into(),
            connected_at: 1_707_503_007_396,
            domain_name: "127.0.0.1:8080".into(),
            stage: "local".into(),
            source_ip: "127.0.0.1".into(),
            user_agent: "test".into(),
            authorizer,
        }
    }

    #[test]
    fn times_use_api_gateway_formats() {
        assert_eq!(request_time(1_707_503_008_941), "09/Feb/2024:18:23:28 +0000");
        assert_eq!(iso8601(1_707_503_008_941), "2024-02-09T18:23:28.941Z");
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn a_message_event_carries_route_body_and_authorizer_context() {
        let e = message(&info(), "send", "{\"action\":\"send\"}", 1_707_503_008_941).expect("event");
        let ctx = &e.request_context;
        assert_eq!(ctx.route_key.as_deref(), Some("send"));
        assert_eq!(ctx.event_type.as_deref(), Some("MESSAGE"));
        assert_eq!(ctx.connection_id.as_deref(), Some("abc="));
        assert_eq!(ctx.authorizer.fields.get("userId"), Some(&json!("alice")));
        assert_eq!(e.body.as_deref(), Some("{\"action\":\"send\"}"));
        let caller = chat_lambda::Caller::from_event(&e).expect("caller");
        assert_eq!(caller.user.as_str(), "alice");
    }

    #[test]
    fn connect_and_authorizer_events_carry_the_query_string() {
        let hs = Handshake { headers: vec![("Host".into(), "h".into())], query: vec![("token".into(), "t".into())] };
        let a = authorizer_request(&info(), &hs, 1).expect("event");
        assert_eq!(a.query_string_parameters.first("token"), Some("t"));
        assert_eq!(a.method_arn.as_deref(), Some("arn:aws:execute-api:local:000000000000:local/local/$connect"));
        let c = connect(&info(), &hs, 1).expect("event");
        assert_eq!(c.request_context.route_key.as_deref(), Some("$connect"));
        let d = disconnect(&info(), 1000, "bye", 2).expect("event");
        assert_eq!(d.request_context.disconnect_status_code, Some(1000));
    }
}
