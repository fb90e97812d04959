//! Push notifications for offline recipients: the request the send path hands off, and the
//! per-platform payload the push function publishes. Pure.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::BoxError;
use crate::ids::{Conversation, MsgId, UserId};
use crate::protocol::Platform;

/// Longest preview of a message body in a notification, in characters.
pub const PREVIEW_CHARS: usize = 100;

/// A request to notify `user`'s devices of a message: small, so the send path can hand it
/// to SNS and move on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushRequest {
    /// Who to notify.
    pub user: UserId,
    /// The sender (the notification's title).
    pub from: String,
    /// The conversation, so the app can open it.
    pub conversation: Conversation,
    /// The message's seq in `user`'s inbox.
    pub seq: u64,
    /// The message id; with `user`, the key that stops a retried request notifying twice.
    pub msg_id: MsgId,
    /// At most [`PREVIEW_CHARS`] characters of the body.
    pub preview: String,
    /// The message mentions `user`: it is pushed even in a muted conversation, and the
    /// notification says so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mention: bool,
}

/// A registered device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushEndpoint {
    /// Whose device.
    pub user: UserId,
    /// The device's push token.
    pub token: String,
    /// Which push service.
    pub platform: Platform,
    /// The SNS platform endpoint ARN (or a local id in the devserver).
    pub endpoint_arn: String,
}

/// Where the send path hands push requests: SNS in AWS, the push handler itself in the
/// devserver. It must return quickly; the send never waits on a notification.
pub trait PushQueue: Send + Sync {
    /// Hands off one request.
    fn enqueue(&self, req: &PushRequest) -> impl std::future::Future<Output = Result<(), BoxError>> + Send;
}

/// Why a push operation failed; the variant says what the caller does next.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// This deployment has no platform application for that platform: refuse the device.
    #[error("push platform {0:?} is not configured for this deployment")]
    NotConfigured(Platform),
    /// The endpoint is disabled (the token expired or the app was uninstalled) or gone from
    /// SNS: forget it.
    #[error("push endpoint is disabled")]
    Disabled,
    /// Anything else: log it; the message is stored and `sync` shows it.
    #[error("push failed")]
    Failed(#[source] BoxError),
}

/// Creates platform endpoints and publishes notifications to them: SNS in AWS (`chat-sns`),
/// a recorder in the devserver.
pub trait Notifier: Send + Sync {
    /// Creates (or finds) the endpoint for a device token; returns its ARN.
    fn create_endpoint(
        &self,
        platform: Platform,
        token: &str,
    ) -> impl std::future::Future<Output = Result<String, NotifyError>> + Send;
    /// Deletes an endpoint.
    fn delete_endpoint(&self, endpoint_arn: &str) -> impl std::future::Future<Output = Result<(), NotifyError>> + Send;
    /// Publishes the notification for `req` to a device, in its platform's format.
    fn publish(
        &self,
        endpoint: &PushEndpoint,
        req: &PushRequest,
    ) -> impl std::future::Future<Output = Result<(), NotifyError>> + Send;
}

/// A queue that drops every request: for deployments without push notifications.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPush;

impl PushQueue for NoPush {
    async fn enqueue(&self, _req: &PushRequest) -> Result<(), BoxError> {
        Ok(())
    }
}

/// An optional queue: `None` (push not configured) drops requests.
impl<T: PushQueue> PushQueue for Option<T> {
    async fn enqueue(&self, req: &PushRequest) -> Result<(), BoxError> {
        match self {
            Some(q) => q.enqueue(req).await,
            None => Ok(()),
        }
    }
}

/// The first `max` characters of `body`, cut on a character boundary, with `…` when cut.
pub fn preview(body: &str, max: usize) -> String {
    match body.char_indices().nth(max) {
        None => body.to_owned(),
        Some((cut, _)) => {
            let mut p: String = body[..cut].chars().take(max.saturating_sub(1)).collect();
            p.push('…');
            p
        }
    }
}

/// The SNS `Message` for `MessageStructure=json`: one entry per platform, each the JSON
/// text that platform expects (FCM `notification`/`data`, APNs `aps.alert`), plus a
/// `default` for any other subscriber.
pub fn sns_message(platform: Platform, req: &PushRequest) -> String {
    let mut data = json!({
        "conversation": req.conversation.to_string(),
        "seq": req.seq,
        "msgId": req.msg_id.as_str(),
    });
    let title = if req.mention {
        data["mention"] = json!(true);
        format!("{} mentioned you", req.from)
    } else {
        req.from.clone()
    };
    let (key, payload) = match platform {
        Platform::Fcm => ("GCM", json!({"notification": {"title": title, "body": req.preview}, "data": data})),
        Platform::Apns | Platform::ApnsSandbox => (
            if platform == Platform::Apns { "APNS" } else { "APNS_SANDBOX" },
            json!({"aps": {"alert": {"title": title, "body": req.preview}, "sound": "default"}, "chat": data}),
        ),
    };
    json!({"default": format!("{title}: {}", req.preview), key: payload.to_string()}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: &str) -> PushRequest {
        PushRequest {
            user: UserId::parse("bob").expect("valid"),
            from: "alice".into(),
            conversation: Conversation::parse("dm:alice:bob").expect("valid"),
            seq: 7,
            msg_id: MsgId::generate(1),
            preview: preview(body, PREVIEW_CHARS),
            mention: false,
        }
    }

    #[test]
    fn previews_are_cut_on_character_boundaries() {
        assert_eq!(preview("short", 100), "short");
        let long = "é".repeat(150);
        let p = preview(&long, 100);
        assert_eq!(p.chars().count(), 100);
        assert!(p.ends_with('…'));
        assert_eq!(preview(&"x".repeat(100), 100).chars().count(), 100);
        assert_eq!(preview("👋🏽 hi", 2), "👋…");
    }

    #[test]
    fn fcm_payloads_carry_title_body_and_the_conversation() {
        let msg: serde_json::Value =
            serde_json::from_str(&sns_message(Platform::Fcm, &request("hello"))).expect("json");
        let gcm: serde_json::Value = serde_json::from_str(msg["GCM"].as_str().expect("GCM")).expect("json");
        assert_eq!(gcm["notification"], json!({"title": "alice", "body": "hello"}));
        assert_eq!(gcm["data"]["conversation"], "dm:alice:bob");
        assert_eq!(gcm["data"]["seq"], 7);
        assert_eq!(msg["default"], "alice: hello");
    }

    #[test]
    fn apns_payloads_use_aps_alert_and_the_right_key() {
        let msg: serde_json::Value =
            serde_json::from_str(&sns_message(Platform::ApnsSandbox, &request("yo"))).expect("json");
        let apns: serde_json::Value = serde_json::from_str(msg["APNS_SANDBOX"].as_str().expect("key")).expect("json");
        assert_eq!(apns["aps"]["alert"], json!({"title": "alice", "body": "yo"}));
        let prod: serde_json::Value = serde_json::from_str(&sns_message(Platform::Apns, &request("yo"))).expect("json");
        assert!(prod.get("APNS").is_some());
    }
}
