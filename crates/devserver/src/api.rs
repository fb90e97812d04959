//! The devserver's side of the server API (`chat_server_api::router`, merged as it is):
//! who may call it, and `/dev/events`, where the events it and the WebSocket actions
//! publish can be read.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chat_core::store::Store;
use serde::Deserialize;
use serde_json::json;

use crate::{Gw, host_is_safe};

#[derive(Deserialize)]
pub(crate) struct EventsQuery {
    after: Option<u64>,
}

/// `GET /dev/events?after=N`: the events published (as EventBridge would carry them),
/// oldest first, each numbered `n`.
pub(crate) async fn dev_events<S: Store + Clone + 'static>(State(gw): Gw<S>, Query(q): Query<EventsQuery>) -> Response {
    axum::Json(gw.events.after(q.after.unwrap_or(0))).into_response()
}

/// Every server-API request passes here first: the same peer and `Host` rules as
/// `/dev/*`, and no request a browser page on another site could make (an `Origin` that
/// is not this machine's): the API acts as anyone, so a web page must not reach it.
pub(crate) async fn guard<S: Store + Clone + 'static>(
    State(gw): Gw<S>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match api_refusal(gw.dev_endpoints, &gw.addr, &peer, request.headers()) {
        Some(why) => (StatusCode::FORBIDDEN, axum::Json(json!({"code": "forbidden", "message": why}))).into_response(),
        // The admin function's work, for the AWS request log (chat_lambda::aws_log).
        None => chat_lambda::aws_log::function("admin", next.run(request)).await,
    }
}

/// Why the server API may not answer this request, if it may not.
fn api_refusal(dev_endpoints: bool, addr: &SocketAddr, peer: &SocketAddr, headers: &HeaderMap) -> Option<&'static str> {
    if !dev_endpoints && !peer.ip().is_loopback() {
        return Some("the server API answers loopback peers only; start with --dev-endpoints to serve others");
    }
    let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    if !host_is_safe(host, addr) {
        return Some("Host must be localhost, an IP address or the listen address");
    }
    if let Some(origin) = headers.get(axum::http::header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        let host = origin.split_once("://").map_or(origin, |(_, h)| h);
        let loopback = host.parse::<SocketAddr>().map(|a| a.ip().is_loopback()).unwrap_or_else(|_| {
            let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
            name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        });
        if !loopback {
            return Some("requests from web pages of other sites are refused");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_api_refuses_other_peers_rebound_hosts_and_other_sites_pages() {
        let addr: SocketAddr = "127.0.0.1:8080".parse().expect("addr");
        let local: SocketAddr = "127.0.0.1:50000".parse().expect("peer");
        let remote: SocketAddr = "192.0.2.7:50000".parse().expect("peer");
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, v.parse().expect("value"));
            }
            h
        };
        let plain = headers(&[("host", "127.0.0.1:8080")]);
        assert_eq!(api_refusal(false, &addr, &local, &plain), None);
        assert!(api_refusal(false, &addr, &remote, &plain).is_some(), "a request without credentials from elsewhere");
        assert_eq!(api_refusal(true, &addr, &remote, &plain), None, "--dev-endpoints serves others");
        assert!(api_refusal(false, &addr, &local, &headers(&[("host", "evil.example")])).is_some());
        let page = headers(&[("host", "127.0.0.1:8080"), ("origin", "https://evil.example")]);
        assert!(api_refusal(false, &addr, &local, &page).is_some(), "a web page of another site");
        let own = headers(&[("host", "127.0.0.1:8080"), ("origin", "http://localhost:8080")]);
        assert_eq!(api_refusal(false, &addr, &local, &own), None, "the devserver's own web client");
    }
}
