//! Fetching a JSON Web Key Set over HTTP(S), with the TLS stack the AWS SDK already uses.

use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::jwk::JwkSet;

/// A JWKS larger than this is refused: real ones are a few KiB.
const MAX_JWKS_BYTES: usize = 256 * 1024;

/// Why the key set could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    /// The URL is not a valid URI.
    #[error("invalid JWKS URL")]
    Url(#[source] http::uri::InvalidUri),
    /// TLS roots could not be loaded.
    #[error("no TLS roots")]
    Tls(#[source] std::io::Error),
    /// The request failed.
    #[error("JWKS request failed")]
    Request(#[source] hyper_util::client::legacy::Error),
    /// The server answered with a non-200 status.
    #[error("JWKS server answered {0}")]
    Status(http::StatusCode),
    /// The body could not be read or was too large.
    #[error("JWKS body unreadable or over {MAX_JWKS_BYTES} bytes")]
    Body,
    /// The body is not a JWKS.
    #[error("JWKS body is not a key set")]
    Parse(#[source] serde_json::Error),
    /// The fetch took too long.
    #[error("JWKS request timed out")]
    Timeout,
}

/// Fetches and parses the key set at `url` (http or https), within 5 seconds.
pub async fn fetch(url: &str) -> Result<JwkSet, JwksError> {
    let uri: http::Uri = url.parse().map_err(JwksError::Url)?;
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(JwksError::Tls)?
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Empty<bytes::Bytes>> = Client::builder(TokioExecutor::new()).build(https);
    let request = async {
        let resp = client.get(uri).await.map_err(JwksError::Request)?;
        if resp.status() != http::StatusCode::OK {
            return Err(JwksError::Status(resp.status()));
        }
        let body =
            Limited::new(resp.into_body(), MAX_JWKS_BYTES).collect().await.map_err(|_| JwksError::Body)?.to_bytes();
        serde_json::from_slice(&body).map_err(JwksError::Parse)
    };
    tokio::time::timeout(std::time::Duration::from_secs(5), request).await.map_err(|_| JwksError::Timeout)?
}
