//! Push against the SNS API (moto in CI, or whatever `AWS_ENDPOINT_URL` points at): device
//! registration creates a platform endpoint, the send path's push request reaches the push
//! topic's subscribers, and a disabled endpoint is forgotten.

use aws_sdk_sns::Client as Sns;
use chat_core::clock::SystemClock;
use chat_core::ids::{Conversation, MsgId, UserId};
use chat_core::protocol::Platform;
use chat_core::push::{PushQueue, PushRequest};
use chat_core::store::PushStore;
use chat_core::store::memory::MemoryStore;
use chat_lambda::testing::{self, RecordingPoster};
use chat_push::{Deps, deliver, handle_route};
use chat_sns::{PlatformApps, SnsNotifier, TopicQueue};
use lambda_runtime::LambdaEvent;

async fn sns() -> Sns {
    assert!(std::env::var("AWS_ENDPOINT_URL").is_ok(), "AWS_ENDPOINT_URL must point at an SNS API (scripts/test)");
    Sns::new(&chat_lambda::sdk_config(chat_lambda::Budget::Data).await)
}

async fn fcm_app(sns: &Sns) -> String {
    let name = format!("chat-test-{}", ulid::Ulid::new());
    let out = sns
        .create_platform_application()
        .name(name)
        .platform("GCM")
        .attributes("PlatformCredential", "test-api-key")
        .send()
        .await
        .expect("platform application");
    out.platform_application_arn().expect("arn").to_owned()
}

/// alice's route event carrying `body`.
fn route_event(body: serde_json::Value) -> LambdaEvent<aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest> {
    testing::route_event("alice", "TWegAcC4EowCHnA=", &body.to_string())
}

fn request(user: &str) -> PushRequest {
    PushRequest {
        user: UserId::parse(user).expect("valid"),
        from: "bob".into(),
        conversation: Conversation::parse("dm:alice:bob").expect("valid"),
        seq: 3,
        msg_id: MsgId::generate(1),
        preview: "hello".into(),
        mention: false,
    }
}

#[tokio::test]
async fn registering_creates_a_platform_endpoint_and_a_push_reaches_it_once() {
    let sns = sns().await;
    let app = fcm_app(&sns).await;
    let replies = RecordingPoster::default();
    let deps = Deps {
        store: MemoryStore::new(),
        notifier: SnsNotifier::new(sns.clone(), PlatformApps { fcm: Some(app.clone()), ..Default::default() }),
        poster: replies.clone(),
        clock: SystemClock,
        limits: chat_core::ratelimit::Limits::none(),
    };
    let token = format!("device-{}", ulid::Ulid::new());
    handle_route(
        &deps,
        route_event(serde_json::json!({"action":"push.register","id":"r","platform":"fcm","token":token})),
    )
    .await
    .expect("handled");
    assert_eq!(replies.posts().last().map(|p| &p.frame), Some(&serde_json::json!({"type":"ok","id":"r"})));
    let endpoints =
        sns.list_endpoints_by_platform_application().platform_application_arn(&app).send().await.expect("list");
    let tokens: Vec<_> =
        endpoints.endpoints().iter().filter_map(|e| e.attributes().and_then(|a| a.get("Token")).cloned()).collect();
    assert_eq!(tokens, vec![token.clone()], "SNS has the endpoint");
    let alice = UserId::parse("alice").expect("valid");
    assert_eq!(deps.store.endpoints(&alice).await.expect("list").len(), 1);
    let req = request("alice");
    assert_eq!(chat_lambda::aws_log::function("push", deliver(&deps, &req)).await.expect("deliver"), 1);
    assert_eq!(
        chat_lambda::aws_log::function("push", deliver(&deps, &req)).await.expect("deliver"),
        0,
        "a retried request notifies nobody twice"
    );
    // A platform without an application is refused.
    handle_route(
        &deps,
        route_event(serde_json::json!({"action":"push.register","id":"a","platform":"apns","token":"t"})),
    )
    .await
    .expect("handled");
    assert_eq!(replies.posts().last().map(|p| p.frame["code"].clone()), Some(serde_json::json!("bad_request")));
}

#[tokio::test]
async fn a_disabled_endpoint_is_removed() {
    let sns = sns().await;
    let app = fcm_app(&sns).await;
    let deps = Deps {
        store: MemoryStore::new(),
        notifier: SnsNotifier::new(sns.clone(), PlatformApps { fcm: Some(app), ..Default::default() }),
        poster: RecordingPoster::default(),
        clock: SystemClock,
        limits: chat_core::ratelimit::Limits::none(),
    };
    handle_route(
        &deps,
        route_event(serde_json::json!({"action":"push.register","platform":"fcm","token":"old-token"})),
    )
    .await
    .expect("handled");
    let alice = UserId::parse("alice").expect("valid");
    let endpoint = deps.store.endpoints(&alice).await.expect("list").pop().expect("registered");
    assert_eq!(endpoint.platform, Platform::Fcm);
    sns.set_endpoint_attributes()
        .endpoint_arn(&endpoint.endpoint_arn)
        .attributes("Enabled", "false")
        .send()
        .await
        .expect("disable");
    assert_eq!(chat_lambda::aws_log::function("push", deliver(&deps, &request("alice"))).await.expect("deliver"), 0);
    assert!(deps.store.endpoints(&alice).await.expect("list").is_empty(), "the disabled device is forgotten");
}

#[tokio::test]
async fn a_device_token_moves_to_the_user_who_registers_it_last_and_unregister_touches_only_the_callers() {
    let sns = sns().await;
    let app = fcm_app(&sns).await;
    let deps = Deps {
        store: MemoryStore::new(),
        notifier: SnsNotifier::new(sns.clone(), PlatformApps { fcm: Some(app.clone()), ..Default::default() }),
        poster: RecordingPoster::default(),
        clock: SystemClock,
        limits: chat_core::ratelimit::Limits::none(),
    };
    let token = format!("shared-{}", ulid::Ulid::new());
    let register = |user: &str| {
        let body = serde_json::json!({"action":"push.register","platform":"fcm","token":token}).to_string();
        testing::route_event(user, "TWegAcC4EowCHnA=", &body)
    };
    handle_route(&deps, register("alice")).await.expect("handled");
    handle_route(&deps, register("bob")).await.expect("handled");
    assert_eq!(
        chat_lambda::aws_log::function("push", deliver(&deps, &request("alice"))).await.expect("deliver"),
        0,
        "alice's pushes stop going there"
    );
    assert_eq!(chat_lambda::aws_log::function("push", deliver(&deps, &request("bob"))).await.expect("deliver"), 1);
    let unregister = serde_json::json!({"action":"push.unregister","token":token}).to_string();
    handle_route(&deps, testing::route_event("alice", "TWegAcC4EowCHnA=", &unregister)).await.expect("handled");
    let endpoints = |sns: Sns, app: String| async move {
        let out = sns.list_endpoints_by_platform_application().platform_application_arn(app).send().await;
        out.expect("list").endpoints().len()
    };
    assert_eq!(endpoints(sns.clone(), app.clone()).await, 1, "alice's unregister leaves bob's device alone");
    let bob = UserId::parse("bob").expect("valid");
    assert_eq!(deps.store.endpoints(&bob).await.expect("list").len(), 1);
    handle_route(&deps, testing::route_event("bob", "TWegAcC4EowCHnA=", &unregister)).await.expect("handled");
    assert_eq!(endpoints(sns, app).await, 0, "the owner's unregister deletes the SNS endpoint");
}

#[tokio::test]
async fn a_push_request_reaches_the_push_topics_subscribers() {
    let sns = sns().await;
    let topic = sns.create_topic().name(format!("chat-push-{}", ulid::Ulid::new())).send().await.expect("topic");
    let topic_arn = topic.topic_arn().expect("arn").to_owned();
    // Subscribe a local HTTP endpoint, standing in for the push function's subscription.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = axum::Router::new().route(
        "/sns",
        axum::routing::post(move |body: String| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(body);
                "ok"
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    sns.subscribe()
        .topic_arn(&topic_arn)
        .protocol("http")
        .endpoint(format!("http://{addr}/sns"))
        .send()
        .await
        .expect("subscribe");
    let req = request("carol");
    TopicQueue::new(sns.clone(), topic_arn).enqueue(&req).await.expect("published");
    let mut found = None;
    while let Ok(Some(body)) = tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv()).await {
        let envelope: serde_json::Value = serde_json::from_str(&body).expect("SNS posts JSON");
        if envelope["Type"] == "Notification" {
            found = Some(envelope);
            break;
        }
    }
    let envelope = found.expect("the topic delivered a notification");
    let got: PushRequest =
        serde_json::from_str(envelope["Message"].as_str().expect("message")).expect("a push request");
    assert_eq!(got, req);
}
