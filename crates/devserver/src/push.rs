//! Push in the devserver. Without `--sns`, notifications are recorded and served at
//! `GET /dev/pushes?user=ID`; with `--sns` they go through the SNS API (honouring
//! `AWS_ENDPOINT_URL`). Either way the send path hands requests straight to the push
//! function's `deliver` (in AWS an SNS topic sits between them).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chat_core::BoxError;
use chat_core::ids::UserId;
use chat_core::protocol::Platform;
use chat_core::push::{Notifier, NotifyError};
use chat_core::push::{PushEndpoint, PushQueue, PushRequest};
use chat_core::store::Store;
use chat_sns::SnsNotifier;
use serde_json::{Value, json};

/// Notifications that would have gone out, per user.
#[derive(Debug, Default)]
pub struct Recorder {
    pushes: Mutex<HashMap<UserId, Vec<Value>>>,
    next: AtomicU64,
}

impl Recorder {
    /// What `user`'s devices would have been sent, oldest first.
    pub fn pushes(&self, user: &UserId) -> Vec<Value> {
        self.pushes.lock().unwrap_or_else(|p| p.into_inner()).get(user).cloned().unwrap_or_default()
    }
}

/// The devserver's notifier: recording, or SNS.
#[derive(Debug)]
pub enum DevNotifier {
    /// Record (the default).
    Recording(Recorder),
    /// SNS (`--sns`).
    Sns(SnsNotifier),
}

impl Notifier for DevNotifier {
    async fn create_endpoint(&self, platform: Platform, token: &str) -> Result<String, NotifyError> {
        match self {
            Self::Recording(r) => {
                let n = r.next.fetch_add(1, Ordering::Relaxed);
                let _ = token;
                Ok(format!(
                    "local:{}:{n}",
                    serde_json::to_value(platform).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
                ))
            }
            Self::Sns(s) => s.create_endpoint(platform, token).await,
        }
    }

    async fn delete_endpoint(&self, endpoint_arn: &str) -> Result<(), NotifyError> {
        match self {
            Self::Recording(_) => Ok(()),
            Self::Sns(s) => s.delete_endpoint(endpoint_arn).await,
        }
    }

    async fn publish(&self, endpoint: &PushEndpoint, req: &PushRequest) -> Result<(), NotifyError> {
        match self {
            Self::Recording(r) => {
                let record = json!({
                    "platform": endpoint.platform,
                    "token": endpoint.token,
                    "endpointArn": endpoint.endpoint_arn,
                    "title": req.from,
                    "body": req.preview,
                    "conversation": req.conversation,
                    "seq": req.seq,
                    "msgId": req.msg_id,
                    "mention": req.mention,
                    "message": serde_json::from_str::<Value>(&chat_core::push::sns_message(endpoint.platform, req)).unwrap_or(Value::Null),
                });
                r.pushes.lock().unwrap_or_else(|p| p.into_inner()).entry(req.user.clone()).or_default().push(record);
                Ok(())
            }
            Self::Sns(s) => s.publish(endpoint, req).await,
        }
    }
}

/// The push function's dependencies in the devserver.
pub type PushDeps<S> = chat_push::Deps<S, DevNotifier, crate::poster::LocalPoster, crate::dev_clock::DevClock>;

/// Hands push requests to the push function's `deliver` in the background.
pub struct DirectPush<S> {
    /// The push function's dependencies.
    pub deps: Arc<PushDeps<S>>,
}

impl<S: Store + Clone + 'static> PushQueue for DirectPush<S> {
    async fn enqueue(&self, req: &PushRequest) -> Result<(), BoxError> {
        let (deps, req) = (self.deps.clone(), req.clone());
        tokio::spawn(async move {
            // The push function's work (in AWS, the push topic invokes it).
            if let Err(e) = chat_lambda::aws_log::function("push", chat_push::deliver(&deps, &req)).await {
                tracing::warn!(error = %chat_lambda::refusal::cause_chain(&e), "push delivery failed");
            }
        });
        Ok(())
    }
}
