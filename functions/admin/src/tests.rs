//! The router on the memory store with the test kit's recording poster: each endpoint's
//! answer, and bad input refused with nothing stored.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chat_core::store::memory::MemoryStore;
use chat_core::store::{ConnectionStore, InboxStore};
use chat_lambda::testing::{RecordingPoster, connection};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::*;

type Deps = chat_send::Deps<MemoryStore, RecordingPoster>;

async fn app() -> (Router, Arc<Deps>) {
    let deps = Arc::new(chat_send::Deps::basic(MemoryStore::new(), RecordingPoster::default()));
    for (user, conn) in [("alice", "a1="), ("bob", "b1=")] {
        deps.store.put_connection(&connection(user, conn)).await.expect("put");
    }
    (router(deps.clone()), deps)
}

async fn call(app: &Router, method: &str, path: &str, body: &str) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn user(s: &str) -> chat_core::ids::UserId {
    chat_core::ids::UserId::parse(s).expect("valid")
}

#[tokio::test]
async fn a_message_from_system_is_stored_for_the_user_and_delivered_once() {
    let (app, deps) = app().await;
    let body = json!({"from":"system","to":"bob","body":"your order shipped","clientMsgId":"o1"}).to_string();
    let (status, ack) = call(&app, "POST", "/v1/messages", &body).await;
    assert_eq!(status, StatusCode::OK, "{ack}");
    assert_eq!((ack["type"].as_str(), ack["conversation"].as_str()), (Some("ack"), Some("dm:bob:system")));
    let live = deps.poster.frames_to("b1=");
    assert_eq!(live.len(), 1);
    assert_eq!((live[0]["from"].as_str(), live[0]["seq"].as_u64()), (Some("system"), Some(1)));
    let (_, again) = call(&app, "POST", "/v1/messages", &body).await;
    assert_eq!(again["msgId"], ack["msgId"], "a resend gets the first ack");
    assert_eq!(deps.store.sync(&user("bob"), 0, 10).await.expect("sync").entries.len(), 1, "stored once");
    let other = json!({"from":"system","to":"bob","body":"something else","clientMsgId":"o1"}).to_string();
    assert_eq!(call(&app, "POST", "/v1/messages", &other).await.1["code"], "conflict");
}

#[tokio::test]
async fn bad_requests_get_one_error_with_their_status_and_store_nothing() {
    let (app, deps) = app().await;
    let cases: Vec<(&str, &str, String, StatusCode, &str)> = vec![
        ("POST", "/v1/messages", "{not json".into(), StatusCode::BAD_REQUEST, "bad_request"),
        (
            "POST",
            "/v1/messages",
            json!({"to":"bob","body":"x","clientMsgId":"c"}).to_string(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "POST",
            "/v1/messages",
            json!({"from":"bad user","to":"bob","body":"x","clientMsgId":"c"}).to_string(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "POST",
            "/v1/messages",
            json!({"from":"alice","to":"bob","body":"x".repeat(17 * 1024),"clientMsgId":"c"}).to_string(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
        ),
        (
            "POST",
            "/v1/messages",
            format!("{{\"pad\":\"{}\"}}", "x".repeat(70 * 1024)),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
        ),
        ("POST", "/v1/nope", "{}".into(), StatusCode::NOT_FOUND, "not_found"),
        ("GET", "/v1/messages", String::new(), StatusCode::METHOD_NOT_ALLOWED, "bad_request"),
        ("GET", "/v1/groups/01ARZ3NDEKTSV4RRFFQ69G5FAV", String::new(), StatusCode::NOT_FOUND, "not_found"),
        ("PUT", "/v1/users/bob/ban", json!({"until": 1}).to_string(), StatusCode::BAD_REQUEST, "bad_request"),
    ];
    for (method, path, body, status, code) in cases {
        let (got, err) = call(&app, method, path, &body).await;
        assert_eq!((got, err["code"].as_str()), (status, Some(code)), "{method} {path}: {err}");
        assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    for u in ["alice", "bob"] {
        assert!(deps.store.sync(&user(u), 0, 10).await.expect("sync").entries.is_empty(), "nothing stored");
    }
}

#[tokio::test]
async fn a_user_acting_through_the_api_must_be_in_the_group_and_system_need_not() {
    let (app, _) = app().await;
    let (status, g) =
        call(&app, "POST", "/v1/groups", &json!({"creator":"alice","name":"team","members":["bob"]}).to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{g}");
    let gid = g["group"]["groupId"].as_str().unwrap_or_default().to_owned();
    assert_eq!(g["group"]["creator"], "alice");
    let outsider = json!({"from":"carol","group":gid,"body":"hi","clientMsgId":"c1"}).to_string();
    assert_eq!(call(&app, "POST", "/v1/messages", &outsider).await.1["code"], "forbidden");
    let system = json!({"from":"system","group":gid,"body":"welcome","clientMsgId":"c2"}).to_string();
    assert_eq!(call(&app, "POST", "/v1/messages", &system).await.0, StatusCode::OK);
    let (status, g) = call(
        &app,
        "POST",
        &format!("/v1/groups/{gid}/members"),
        &json!({"add":["carol"],"remove":["alice"]}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(g["group"]["members"], json!(["bob", "carol"]));
    let (_, g) = call(&app, "PATCH", &format!("/v1/groups/{gid}"), &json!({"name":"crew"}).to_string()).await;
    assert_eq!(g["group"]["name"], "crew");
    assert_eq!(call(&app, "DELETE", &format!("/v1/groups/{gid}"), "").await.0, StatusCode::OK);
    assert_eq!(call(&app, "GET", &format!("/v1/groups/{gid}"), "").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_ban_closes_the_users_connections_and_stores_nothing_it_sends_until_lifted() {
    let (app, deps) = app().await;
    let (status, ban) = call(&app, "PUT", "/v1/users/bob/ban", &json!({"reason":"spam"}).to_string()).await;
    assert_eq!((status, ban["closed"].as_u64()), (StatusCode::OK, Some(1)), "{ban}");
    assert_eq!(deps.poster.closed(), vec!["b1=".to_owned()]);
    let frame = json!({"action":"send","to":"alice","clientMsgId":"c1","body":"still here"}).to_string();
    chat_send::handle(&deps, chat_lambda::testing::route_event("bob", "b1=", &frame)).await.expect("handled");
    assert_eq!(deps.poster.frames_to("b1=")[0]["code"], "forbidden");
    assert!(deps.store.sync(&user("alice"), 0, 10).await.expect("sync").entries.is_empty());
    let (_, info) = call(&app, "GET", "/v1/users/bob", "").await;
    assert_eq!((info["connections"].as_u64(), info["banned"]["reason"].as_str()), (Some(0), Some("spam")));
    call(&app, "DELETE", "/v1/users/bob/ban", "").await;
    let (_, info) = call(&app, "GET", "/v1/users/bob", "").await;
    assert_eq!(info["banned"], Value::Null);
}
