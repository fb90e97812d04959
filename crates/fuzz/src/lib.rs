//! `chat-fuzz`: what each fuzz target does with one input, as plain functions, so the
//! cargo-fuzz targets in `fuzz/` and the regression test over the kept corpus
//! (`tests/corpus.rs`, part of the normal test run) run the same code.
//!
//! Each function must never panic, and checks the invariants that must hold for any input:
//!
//! - [`frame`]: a client frame either parses into a request that obeys the protocol's
//!   limits, or becomes an error frame that serializes; the route key is a known route.
//! - [`apigw_event`]: any JSON that deserializes into an API Gateway WebSocket event either
//!   yields a caller with valid ids or a clean error; its body goes through [`frame`].
//! - [`jwt`]: an arbitrary token is refused; a correctly signed token with arbitrary claims
//!   is accepted only when its claims are valid (a user id `sub`, `exp` in the future, no
//!   future `nbf`).

use std::sync::OnceLock;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use chat_core::ids::UserId;
use chat_core::protocol::{Action, ActionKind, MAX_BODY_BYTES, MAX_LIST, ServerFrame, parse_frame, route_key};

/// One client frame, as text.
pub fn frame(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let route = route_key(text);
    assert!(route == "$default" || ActionKind::from_name(route).is_some());
    match parse_frame(text) {
        Ok(request) => match request.action {
            // The route the gateway picks is the one whose function serves the action.
            ref action if action.name() != route => panic!("{} parsed from a frame routed to {route}", action.name()),
            Action::Send { body, .. } => assert!(!body.is_empty() && body.len() <= MAX_BODY_BYTES),
            Action::Receipt { msg_ids, .. } => assert!(!msg_ids.is_empty() && msg_ids.len() <= MAX_LIST),
            Action::Presence { users } => assert!(users.len() <= MAX_LIST),
            _ => {}
        },
        Err(e) => {
            let json = ServerFrame::from_error(e).to_json();
            assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok(), "error frame is JSON");
        }
    }
}

/// One API Gateway WebSocket event, as the JSON a Lambda receives.
pub fn apigw_event(data: &[u8]) {
    let Ok(event) = serde_json::from_slice::<ApiGatewayWebsocketProxyRequest>(data) else { return };
    if let Ok(caller) = chat_lambda::Caller::from_event(&event) {
        assert!(UserId::parse(caller.user.as_str()).is_ok());
    }
    if let Some(body) = event.body.as_deref() {
        frame(body.as_bytes());
    }
}

const SECRET: &[u8] = b"fuzz-secret-fuzz-secret-fuzz-secret!";

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a current-thread runtime")
    })
}

fn verifier() -> &'static chat_auth::Verifier {
    static V: OnceLock<chat_auth::Verifier> = OnceLock::new();
    V.get_or_init(|| chat_auth::Verifier::hs256(SECRET, chat_auth::dev::DEV_ISSUER))
}

/// A token: the input itself, and the input as the claims of a correctly signed token.
pub fn jwt(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let rt = runtime();
    // Nobody without the key gets in, whatever the bytes.
    assert!(rt.block_on(verifier().verify(text)).is_err(), "an unsigned input was accepted: {text:?}");

    // Signed with the right key, the claims alone decide.
    let key = jsonwebtoken::EncodingKey::from_secret(SECRET);
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    let Ok(claims) = serde_json::from_str::<serde_json::Value>(text) else { return };
    let Ok(token) = jsonwebtoken::encode(&header, &claims, &key) else { return };
    if let Ok(user) = rt.block_on(verifier().verify(&token)) {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        assert_eq!(claims["sub"].as_str(), Some(user.as_str()), "accepted user is the sub claim");
        assert_eq!(claims["iss"].as_str(), Some(chat_auth::dev::DEV_ISSUER), "accepted only from its issuer: {claims}");
        let exp = claims["exp"].as_u64().or_else(|| claims["exp"].as_f64().map(|f| f as u64));
        assert!(exp.is_some_and(|e| e + 60 >= now), "accepted without a future exp: {claims}");
        if let Some(nbf) = claims.get("nbf").and_then(serde_json::Value::as_f64) {
            assert!(nbf as u64 <= now + 60, "accepted before nbf: {claims}");
        }
    }
}
