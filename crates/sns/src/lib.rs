//! `chat-sns`: push notifications through Amazon SNS with the official SDK client.
//!
//! - [`TopicQueue`]: the send path publishes each push request to the push topic (the push
//!   function subscribes to it), so a notification is never on the path of an ack.
//! - [`SnsNotifier`]: `chat_core::push::Notifier` on SNS platform endpoints (FCM, APNs).

use aws_sdk_sns::Client;
use chat_core::BoxError;
use chat_core::protocol::Platform;
use chat_core::push::{Notifier, NotifyError, PushEndpoint, PushQueue, PushRequest};

/// Publishes push requests to the push topic.
#[derive(Debug, Clone)]
pub struct TopicQueue {
    client: Client,
    topic_arn: String,
}

impl TopicQueue {
    /// A queue publishing to `topic_arn`.
    pub fn new(client: Client, topic_arn: String) -> Self {
        Self { client, topic_arn }
    }
}

impl PushQueue for TopicQueue {
    async fn enqueue(&self, req: &PushRequest) -> Result<(), BoxError> {
        let message = serde_json::to_string(req)?;
        self.client.publish().topic_arn(&self.topic_arn).message(message).send().await?;
        Ok(())
    }
}

/// The SNS platform applications of one deployment (any may be absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlatformApps {
    /// FCM application ARN.
    pub fcm: Option<String>,
    /// APNs application ARN.
    pub apns: Option<String>,
    /// APNs sandbox application ARN.
    pub apns_sandbox: Option<String>,
}

impl PlatformApps {
    /// Reads the ARNs from the environment.
    pub fn from_env() -> Self {
        Self::from_vars(&chat_core::config::Vars::env())
    }

    /// Reads the ARNs through a lookup (`CHAT_PUSH_*_APP_ARN`).
    pub fn from_vars(vars: &chat_core::config::Vars<'_>) -> Self {
        use chat_core::schema::env;
        Self {
            fcm: vars.get(env::PUSH_FCM_APP_ARN),
            apns: vars.get(env::PUSH_APNS_APP_ARN),
            apns_sandbox: vars.get(env::PUSH_APNS_SANDBOX_APP_ARN),
        }
    }

    fn arn(&self, platform: Platform) -> Option<&str> {
        match platform {
            Platform::Fcm => self.fcm.as_deref(),
            Platform::Apns => self.apns.as_deref(),
            Platform::ApnsSandbox => self.apns_sandbox.as_deref(),
        }
    }
}

/// [`Notifier`] on SNS platform endpoints.
#[derive(Debug, Clone)]
pub struct SnsNotifier {
    client: Client,
    apps: PlatformApps,
}

impl SnsNotifier {
    /// A notifier using `apps` through `client`.
    pub fn new(client: Client, apps: PlatformApps) -> Self {
        Self { client, apps }
    }
}

fn failed<E: std::error::Error + Send + Sync + 'static>(e: E) -> NotifyError {
    NotifyError::Failed(Box::new(e))
}

impl Notifier for SnsNotifier {
    async fn create_endpoint(&self, platform: Platform, token: &str) -> Result<String, NotifyError> {
        let app = self.apps.arn(platform).ok_or(NotifyError::NotConfigured(platform))?;
        let out = self
            .client
            .create_platform_endpoint()
            .platform_application_arn(app)
            .token(token)
            .send()
            .await
            .map_err(failed)?;
        out.endpoint_arn().map(str::to_owned).ok_or_else(|| NotifyError::Failed("SNS returned no endpoint ARN".into()))
    }

    async fn delete_endpoint(&self, endpoint_arn: &str) -> Result<(), NotifyError> {
        self.client.delete_endpoint().endpoint_arn(endpoint_arn).send().await.map_err(failed)?;
        Ok(())
    }

    async fn publish(&self, endpoint: &PushEndpoint, req: &PushRequest) -> Result<(), NotifyError> {
        let result = self
            .client
            .publish()
            .target_arn(&endpoint.endpoint_arn)
            .message_structure("json")
            .message(chat_core::push::sns_message(endpoint.platform, req))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // A disabled endpoint (token expired, app uninstalled) and one SNS no longer has
            // (deleted elsewhere) are both gone for good: the device is forgotten.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_endpoint_disabled_exception() || s.is_not_found_exception()) =>
            {
                Err(NotifyError::Disabled)
            }
            Err(e) => Err(failed(e)),
        }
    }
}
