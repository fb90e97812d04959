//! A small HTTP/1 client for the devserver's own outbound calls: `--events-url` and the
//! `--pre-send-hook` URL (plain `http://`, as local services are).

use std::time::Duration;

use bytes::Bytes;
use chat_core::BoxError;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// A pooled client.
#[derive(Clone)]
pub struct HttpClient(Client<HttpConnector, Full<Bytes>>);

impl Default for HttpClient {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpClient {
    /// A new client.
    pub fn new() -> Self {
        Self(Client::builder(TokioExecutor::new()).build_http())
    }

    /// POSTs `body` as JSON to `url`; answers the status and the response body.
    pub async fn post_json(
        &self,
        url: &str,
        body: &serde_json::Value,
        timeout: Duration,
    ) -> Result<(u16, Bytes), BoxError> {
        let request = http::Request::post(url)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))?;
        let call = async {
            let response = self.0.request(request).await?;
            let status = response.status().as_u16();
            let bytes = response.into_body().collect().await?.to_bytes();
            Ok::<_, BoxError>((status, bytes))
        };
        tokio::time::timeout(timeout, call).await.map_err(|_| -> BoxError { "timed out".into() })?
    }
}

/// The pre-send hook as an HTTP endpoint: the same JSON as the Lambda hook's payload,
/// POSTed; the answer's body is the verdict.
pub struct HttpHook {
    /// Where.
    pub url: String,
    /// With what.
    pub client: HttpClient,
}

impl chat_core::hook::PreSendHook for HttpHook {
    fn check<'a>(&'a self, request: &'a chat_core::hook::HookRequest) -> chat_core::hook::HookFuture<'a> {
        Box::pin(async move {
            let body = serde_json::to_value(request)?;
            // The hook's own time budget is enforced by its caller; this is a backstop.
            let (status, bytes) = self.client.post_json(&self.url, &body, Duration::from_secs(30)).await?;
            if !(200..300).contains(&status) {
                return Err(format!("the hook answered HTTP {status}").into());
            }
            chat_core::hook::Verdict::parse(&bytes)
        })
    }
}
