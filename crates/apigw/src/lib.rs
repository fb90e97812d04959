//! `chat-apigw`: [`ApiGwPoster`] posts frames to connections through the API Gateway
//! Management API (`@connections`) with the official SDK client, in AWS and against the
//! devserver alike.

use aws_config::SdkConfig;
use aws_sdk_apigatewaymanagement::Client;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use chat_core::ids::ConnectionId;
use chat_core::poster::{PostError, Poster};

/// Posts through `@connections` at one callback URL.
#[derive(Debug, Clone)]
pub struct ApiGwPoster {
    client: Client,
}

impl ApiGwPoster {
    /// A poster for the API whose callback URL is `endpoint` (with the stage).
    pub fn new(sdk: &SdkConfig, endpoint: &str) -> Self {
        let config = aws_sdk_apigatewaymanagement::config::Builder::from(sdk).endpoint_url(endpoint).build();
        Self { client: Client::from_conf(config) }
    }
}

impl Poster for ApiGwPoster {
    async fn post(&self, connection: &ConnectionId, data: &str) -> Result<(), PostError> {
        let result = self
            .client
            .post_to_connection()
            .connection_id(connection.as_str())
            .data(Blob::new(data.as_bytes()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_gone_exception()) => Err(PostError::Gone),
            Err(e) => Err(PostError::Failed(Box::new(e))),
        }
    }

    async fn close(&self, connection: &ConnectionId) -> Result<(), PostError> {
        self.delete(connection).await
    }
}

impl ApiGwPoster {
    /// `DELETE @connections/{id}`: the gateway closes the socket (and runs `$disconnect`).
    async fn delete(&self, connection: &ConnectionId) -> Result<(), PostError> {
        match self.client.delete_connection().connection_id(connection.as_str()).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_gone_exception()) => Ok(()),
            Err(e) => Err(PostError::Failed(Box::new(e))),
        }
    }

    /// A poster for a local gateway (the devserver) at `endpoint`: fixed dummy
    /// credentials and region, since the local `@connections` API does not check
    /// signatures, and nothing read from the environment (where `AWS_ENDPOINT_URL` may
    /// point at a DynamoDB API instead).
    pub fn local(endpoint: &str) -> Self {
        use aws_sdk_apigatewaymanagement::config::retry::RetryConfig;
        use aws_sdk_apigatewaymanagement::config::timeout::TimeoutConfig;
        use aws_sdk_apigatewaymanagement::config::{
            BehaviorVersion, Credentials, Region, StalledStreamProtectionConfig,
        };
        // A local post either works at once or not at all: a full client buffer (429) does
        // not drain in a retry's backoff, and retrying would hold the handler (and the
        // sender's in-flight slot) for seconds.
        let config = aws_sdk_apigatewaymanagement::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("local", "local", None, None, "chat-devserver"))
            .endpoint_url(endpoint)
            // Plain HTTP to this process (the SDK crates come without a default client).
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .retry_config(RetryConfig::disabled())
            // A frame of at most 128 KB, in memory, to this very process: an upload cannot
            // stall, and watching it costs a timer per post.
            .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
            .timeout_config(TimeoutConfig::builder().operation_timeout(std::time::Duration::from_secs(2)).build())
            .build();
        Self { client: Client::from_conf(config) }
    }
}
