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
    Ok(fetch_with_max_age(url).await?.0)
}

/// The `max-age` of a `Cache-Control` header, if it has one.
fn max_age(headers: &http::HeaderMap) -> Option<std::time::Duration> {
    let value = headers.get(http::header::CACHE_CONTROL)?.to_str().ok()?;
    value.split(',').find_map(|d| {
        let (k, v) = d.trim().split_once('=')?;
        k.eq_ignore_ascii_case("max-age").then(|| v.trim().parse().ok().map(std::time::Duration::from_secs))?
    })
}

/// [`fetch`], with how long the server says the set may be cached (`Cache-Control:
/// max-age`), if it says.
pub async fn fetch_with_max_age(url: &str) -> Result<(JwkSet, Option<std::time::Duration>), JwksError> {
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
        let max_age = max_age(resp.headers());
        let body =
            Limited::new(resp.into_body(), MAX_JWKS_BYTES).collect().await.map_err(|_| JwksError::Body)?.to_bytes();
        Ok((serde_json::from_slice(&body).map_err(JwksError::Parse)?, max_age))
    };
    tokio::time::timeout(std::time::Duration::from_secs(5), request).await.map_err(|_| JwksError::Timeout)?
}
