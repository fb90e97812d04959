//! The server API's client (docs/server-api.md): one JSON request, signed with SigV4
//! (service `lambda`) when the URL is a deployed stack's function URL, plain against a
//! devserver on loopback.
//!
//! [`Endpoint`] (pure) reads the URL: where requests go, whether they are signed, the
//! region a function URL's host names. [`Client::connect`] loads credentials once (the
//! AWS SDK's default chain) when they are needed; [`Client::call`] sends one request and
//! returns the [`Answer`], error answers included: what an answer means is the caller's.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use bytes::Bytes;
use http::{Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::{Connect, HttpConnector};
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use crate::sign::{SignError, sign};

/// A whole call (connect, send, read the answer) takes at most this long.
const TIMEOUT: Duration = Duration::from_secs(30);

/// An answer larger than this is refused (the largest real one, a group of 100, is a few
/// KiB).
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// Why a call could not be made or its answer not read. An error *answer* (4xx, 5xx) is
/// not one of these: it is an [`Answer`].
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The API URL is not an absolute http(s) URL.
    #[error("--api-url {0:?} is not an http:// or https:// URL")]
    Url(String),
    /// Requests must be signed and no region was found.
    #[error("no region to sign for: give --region, or set AWS_REGION (the URL's host is not a function URL's)")]
    NoRegion,
    /// Requests must be signed and the SDK found no credentials.
    #[error("no AWS credentials to sign with (the AWS SDK's default chain found none)")]
    NoCredentials,
    /// The credentials provider failed.
    #[error("loading AWS credentials")]
    Credentials(#[source] aws_credential_types::provider::error::CredentialsError),
    /// The TLS roots could not be loaded.
    #[error("loading the TLS roots")]
    Tls(#[source] std::io::Error),
    /// The request could not be built (a path that is not a valid URI).
    #[error("building the request")]
    Request(#[source] http::Error),
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// Connecting or sending failed.
    #[error("calling {0}")]
    Send(String, #[source] hyper_util::client::legacy::Error),
    /// The answer's body could not be read or was too large.
    #[error("reading the answer (over {MAX_ANSWER_BYTES} bytes, or cut short)")]
    Body,
    /// The call took longer than [`TIMEOUT`].
    #[error("no answer within {} s", TIMEOUT.as_secs())]
    Timeout,
}

/// Where the server API is, read from its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `http` or `https`.
    scheme: String,
    /// `host[:port]`, as the URL gives it.
    authority: String,
    /// The host alone (without brackets for IPv6).
    host: String,
    /// The URL's path without its trailing `/`: requests go to `{base}/v1/...`.
    base: String,
}

impl Endpoint {
    /// Reads an absolute `http://` or `https://` URL.
    pub fn parse(url: &str) -> Result<Self, CallError> {
        let bad = || CallError::Url(url.to_owned());
        let uri: Uri = url.parse().map_err(|_| bad())?;
        let scheme = uri.scheme_str().filter(|s| *s == "http" || *s == "https").ok_or_else(bad)?;
        let authority = uri.authority().ok_or_else(bad)?;
        let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_owned();
        if host.is_empty() || uri.query().is_some() {
            return Err(bad());
        }
        Ok(Self {
            scheme: scheme.to_owned(),
            authority: authority.as_str().to_owned(),
            host,
            base: uri.path().trim_end_matches('/').to_owned(),
        })
    }

    /// Whether the host is this machine (127.0.0.0/8, ::1, `localhost`): a devserver,
    /// which takes plain requests.
    pub fn is_loopback(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost") || self.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    /// The region of a function URL's host, `<id>.lambda-url.<region>.on.aws`.
    pub fn url_region(&self) -> Option<&str> {
        let labels: Vec<&str> = self.host.split('.').collect();
        match labels.as_slice() {
            [_, lambda_url, region, "on", "aws"] if lambda_url.eq_ignore_ascii_case("lambda-url") => Some(region),
            _ => None,
        }
    }

    /// The `host` header: the authority without a default port.
    fn host_header(&self) -> &str {
        let default_port = if self.scheme == "https" { ":443" } else { ":80" };
        self.authority.strip_suffix(default_port).unwrap_or(&self.authority)
    }

    /// The absolute URL of `path_and_query` (which starts with `/`).
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}://{}{}{}", self.scheme, self.authority, self.base, path_and_query)
    }
}

/// One request to the server API: built by a subcommand, sent by [`Client::call`].
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The HTTP method.
    pub method: Method,
    /// The path under the API's URL (`/v1/...`, segments percent-encoded) with its query.
    pub path: String,
    /// The JSON body, if any.
    pub body: Option<Value>,
}

/// What the server answered.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body, as sent.
    pub body: Bytes,
}

impl Answer {
    /// The body as JSON pretty-printed, or as text when it is not JSON.
    pub fn pretty(&self) -> String {
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_else(|_| v.to_string()),
            Err(_) => String::from_utf8_lossy(&self.body).into_owned(),
        }
    }

    /// An error answer's code and message: the API's `{"code","message"}`, or (from
    /// something in front of it, like the function URL's own 403 `{"Message"}`) `http_<status>`
    /// and whatever the body says.
    pub fn error(&self) -> (String, String) {
        let json = serde_json::from_slice::<Value>(&self.body).unwrap_or(Value::Null);
        let text = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_owned);
        let code = text("code").unwrap_or_else(|| format!("http_{}", self.status.as_u16()));
        let message = text("message").or_else(|| text("Message")).unwrap_or_else(|| {
            let body = String::from_utf8_lossy(&self.body).trim().to_owned();
            if body.is_empty() { self.status.canonical_reason().unwrap_or("no reason given").to_owned() } else { body }
        });
        (code, message)
    }
}

/// What signing needs: the region and the credentials.
#[derive(Debug, Clone)]
struct Signing {
    region: String,
    credentials: Credentials,
}

/// A client of one server API: its endpoint and, when requests are signed, credentials.
#[derive(Debug)]
pub struct Client {
    endpoint: Endpoint,
    signing: Option<Signing>,
}

impl Client {
    /// A client for `endpoint`. Requests are signed unless the host is loopback or
    /// `unsigned`; then the region is `region`, else the function URL's, else the SDK's,
    /// and the credentials are the SDK's default chain's.
    pub async fn connect(endpoint: Endpoint, region: Option<String>, unsigned: bool) -> Result<Self, CallError> {
        if unsigned || endpoint.is_loopback() {
            return Ok(Self { endpoint, signing: None });
        }
        let sdk = chat_lambda::sdk_config(chat_lambda::Budget::Data).await;
        let region = region
            .or_else(|| endpoint.url_region().map(str::to_owned))
            .or_else(|| sdk.region().map(ToString::to_string))
            .filter(|r| !r.is_empty())
            .ok_or(CallError::NoRegion)?;
        let provider = sdk.credentials_provider().ok_or(CallError::NoCredentials)?;
        let credentials = provider.provide_credentials().await.map_err(CallError::Credentials)?;
        Ok(Self { endpoint, signing: Some(Signing { region, credentials }) })
    }

    /// Sends `call` and reads the answer, whatever its status.
    pub async fn call(&self, call: &Call) -> Result<Answer, CallError> {
        let url = self.endpoint.url(&call.path);
        let body = call.body.as_ref().map(|b| Bytes::from(b.to_string())).unwrap_or_default();
        let mut builder = Request::builder()
            .method(call.method.clone())
            .uri(&url)
            .header(http::header::HOST, self.endpoint.host_header())
            .header(http::header::ACCEPT, "application/json");
        if call.body.is_some() {
            builder = builder.header(http::header::CONTENT_TYPE, "application/json");
        }
        let mut request = builder.body(body).map_err(CallError::Request)?;
        if let Some(s) = &self.signing {
            sign(&mut request, &s.credentials, &s.region, SystemTime::now())?;
        }
        let request = request.map(Full::new);
        let exchange = async {
            if self.endpoint.scheme == "https" {
                let https = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_native_roots()
                    .map_err(CallError::Tls)?
                    .https_only()
                    .enable_http1()
                    .build();
                exchange(https, request, &url).await
            } else {
                exchange(HttpConnector::new(), request, &url).await
            }
        };
        tokio::time::timeout(TIMEOUT, exchange).await.map_err(|_| CallError::Timeout)?
    }
}

/// One request and its whole answer over `connector`.
async fn exchange<C>(connector: C, request: Request<Full<Bytes>>, url: &str) -> Result<Answer, CallError>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    let client = HyperClient::builder(TokioExecutor::new()).build(connector);
    let response = client.request(request).await.map_err(|e| CallError::Send(url.to_owned(), e))?;
    let status = response.status();
    let body =
        Limited::new(response.into_body(), MAX_ANSWER_BYTES).collect().await.map_err(|_| CallError::Body)?.to_bytes();
    Ok(Answer { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(url: &str) -> Endpoint {
        Endpoint::parse(url).expect("valid url")
    }

    #[test]
    fn loopback_hosts_are_the_devserver_and_others_are_not() {
        for url in ["http://127.0.0.1:8080/", "http://127.9.9.9/", "http://[::1]:8080", "http://LOCALHOST:8080/"] {
            assert!(endpoint(url).is_loopback(), "{url}");
        }
        for url in ["https://abc.lambda-url.eu-west-1.on.aws/", "http://10.0.0.1:8080/", "http://localhost.example/"] {
            assert!(!endpoint(url).is_loopback(), "{url}");
        }
    }

    #[test]
    fn a_function_url_names_its_region_and_other_hosts_do_not() {
        assert_eq!(endpoint("https://abc123.lambda-url.eu-west-1.on.aws/").url_region(), Some("eu-west-1"));
        assert_eq!(endpoint("https://chat.example.com/").url_region(), None);
        assert_eq!(endpoint("https://x.lambda-url.eu-west-1.amazonaws.com/").url_region(), None);
    }

    #[test]
    fn paths_join_the_url_with_or_without_a_trailing_slash_or_a_prefix() {
        assert_eq!(endpoint("http://127.0.0.1:8080/").url("/v1/groups"), "http://127.0.0.1:8080/v1/groups");
        assert_eq!(endpoint("http://127.0.0.1:8080").url("/v1/groups"), "http://127.0.0.1:8080/v1/groups");
        assert_eq!(endpoint("https://example.com/chat/").url("/v1/groups"), "https://example.com/chat/v1/groups");
    }

    #[test]
    fn the_host_header_drops_a_default_port_only() {
        assert_eq!(endpoint("https://example.com:443/").host_header(), "example.com");
        assert_eq!(endpoint("http://127.0.0.1:8080/").host_header(), "127.0.0.1:8080");
    }

    #[test]
    fn urls_that_are_not_absolute_http_are_refused() {
        for url in ["127.0.0.1:8080", "ftp://example.com/", "/v1", "http://example.com/?a=b", ""] {
            assert!(matches!(Endpoint::parse(url), Err(CallError::Url(_))), "{url}");
        }
    }

    #[test]
    fn an_error_answer_gives_the_apis_code_or_the_http_status() {
        let answer = |status: u16, body: &str| Answer {
            status: StatusCode::from_u16(status).expect("status"),
            body: Bytes::from(body.to_owned()),
        };
        let (code, message) = answer(404, r#"{"code":"not_found","message":"no such group"}"#).error();
        assert_eq!((code.as_str(), message.as_str()), ("not_found", "no such group"));
        let (code, message) = answer(403, r#"{"Message":"Forbidden"}"#).error();
        assert_eq!((code.as_str(), message.as_str()), ("http_403", "Forbidden"));
        let (code, message) = answer(502, "").error();
        assert_eq!((code.as_str(), message.as_str()), ("http_502", "Bad Gateway"));
    }
}
