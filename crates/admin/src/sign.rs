//! SigV4 for the server API's function URL (service `lambda`), as a pure function of the
//! request, the credentials, the region and the time, so a test can pin all four.
//!
//! The signing itself is the official `aws-sigv4` crate's (the SDK's own signer); this
//! module only chooses its settings: the body's SHA-256 in `x-amz-content-sha256` (a
//! function URL verifies the body, as the TypeScript server client does), paths
//! double-encoded and normalized (every service but S3), the session token signed.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request};

/// The service name a Lambda function URL checks signatures against.
pub const SERVICE: &str = "lambda";

/// Why a request could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The signing parameters are incomplete (an empty region, say).
    #[error("signing parameters")]
    Params(#[source] v4::signing_params::BuildError),
    /// The signer refused the request.
    #[error("signing the request")]
    Sign(#[source] aws_sigv4::http_request::SigningError),
    /// A request header is not text, so it cannot be signed.
    #[error("header {0} is not text")]
    Header(HeaderName),
    /// The signer produced a header that is not a valid header (a session token with a
    /// line break, say).
    #[error("signed header {0} is not a valid header")]
    Output(String),
}

/// Signs `request` (its URI absolute, its `host` header set) for `region` as of `at`:
/// adds `x-amz-date`, `x-amz-content-sha256`, `authorization` and, with temporary
/// credentials, `x-amz-security-token`.
pub fn sign(
    request: &mut Request<Bytes>,
    credentials: &Credentials,
    region: &str,
    at: SystemTime,
) -> Result<(), SignError> {
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SERVICE)
        .time(at)
        .settings(settings)
        .build()
        .map_err(SignError::Params)?
        .into();
    let headers = request
        .headers()
        .iter()
        .map(|(name, value)| value.to_str().map(|v| (name.as_str(), v)).map_err(|_| SignError::Header(name.clone())))
        .collect::<Result<Vec<_>, _>>()?;
    let uri = request.uri().to_string();
    let signable =
        SignableRequest::new(request.method().as_str(), uri, headers.into_iter(), SignableBody::Bytes(request.body()))
            .map_err(SignError::Sign)?;
    let output = aws_sigv4::http_request::sign(signable, &params).map_err(SignError::Sign)?;
    let mut signed = Vec::new();
    for (name, value) in output.output().headers() {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| SignError::Output(name.to_owned()))?;
        let mut value = HeaderValue::from_str(value).map_err(|_| SignError::Output(name.to_string()))?;
        value.set_sensitive(name == http::header::AUTHORIZATION || name.as_str() == "x-amz-security-token");
        signed.push((name, value));
    }
    request.headers_mut().extend(signed);
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The expected signatures are computed here from the SigV4 specification with `ring`
    //! (canonical request, string to sign, derived key), independently of `aws-sigv4`.

    use std::time::{Duration, UNIX_EPOCH};

    use ring::{digest, hmac};

    use super::*;

    /// 2015-08-30T12:36:00Z, the time of AWS's own SigV4 test suite.
    fn at() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_440_938_160)
    }

    fn credentials(token: Option<&str>) -> Credentials {
        Credentials::new("AKID", "SECRET", token.map(str::to_owned), None, "test")
    }

    fn request(method: &str, uri: &str, body: &str) -> Request<Bytes> {
        let uri: http::Uri = uri.parse().expect("test uri");
        let host = uri.host().expect("test host").to_owned();
        let mut builder = Request::builder().method(method).uri(uri).header("host", host);
        if !body.is_empty() {
            builder = builder.header("content-type", "application/json");
        }
        builder.body(Bytes::from(body.to_owned())).expect("test request")
    }

    fn sha256_hex(data: &[u8]) -> String {
        hex::encode(digest::digest(&digest::SHA256, data))
    }

    fn hmac(key: &[u8], data: &str) -> Vec<u8> {
        hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data.as_bytes()).as_ref().to_vec()
    }

    /// The signature of a canonical request, from the specification.
    fn expected_signature(canonical_request: &str) -> String {
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/lambda/aws4_request\n{}",
            sha256_hex(canonical_request.as_bytes())
        );
        let key = ["20150830", "us-east-1", "lambda", "aws4_request"]
            .iter()
            .fold(b"AWS4SECRET".to_vec(), |key, part| hmac(&key, part));
        hex::encode(hmac(&key, &string_to_sign))
    }

    fn header<'a>(request: &'a Request<Bytes>, name: &str) -> &'a str {
        request.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("no {name} header"))
    }

    #[test]
    fn a_post_is_signed_for_lambda_with_the_body_hash_as_the_specification_computes_it() {
        let body = r#"{"from":"system","to":"alice","body":"hi","clientMsgId":"c1"}"#;
        let mut req = request("POST", "https://abc.lambda-url.us-east-1.on.aws/v1/messages", body);
        sign(&mut req, &credentials(None), "us-east-1", at()).expect("signs");

        let body_hash = sha256_hex(body.as_bytes());
        assert_eq!(header(&req, "x-amz-date"), "20150830T123600Z");
        assert_eq!(header(&req, "x-amz-content-sha256"), body_hash);
        let canonical = format!(
            "POST\n/v1/messages\n\ncontent-type:application/json\nhost:abc.lambda-url.us-east-1.on.aws\n\
             x-amz-content-sha256:{body_hash}\nx-amz-date:20150830T123600Z\n\n\
             content-type;host;x-amz-content-sha256;x-amz-date\n{body_hash}"
        );
        assert_eq!(
            header(&req, "authorization"),
            format!(
                "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/lambda/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, Signature={}",
                expected_signature(&canonical)
            )
        );
    }

    #[test]
    fn an_encoded_path_is_encoded_again_and_the_query_and_session_token_are_signed() {
        let uri = "https://abc.lambda-url.us-east-1.on.aws/v1/messages/01J?conversation=dm%3Aa%2Bb%3Ac";
        let mut req = request("DELETE", uri, "");
        sign(&mut req, &credentials(Some("TOKEN")), "us-east-1", at()).expect("signs");

        assert_eq!(header(&req, "x-amz-security-token"), "TOKEN");
        let empty = sha256_hex(b"");
        let canonical = format!(
            "DELETE\n/v1/messages/01J\nconversation=dm%3Aa%2Bb%3Ac\nhost:abc.lambda-url.us-east-1.on.aws\n\
             x-amz-content-sha256:{empty}\nx-amz-date:20150830T123600Z\nx-amz-security-token:TOKEN\n\n\
             host;x-amz-content-sha256;x-amz-date;x-amz-security-token\n{empty}"
        );
        assert!(
            header(&req, "authorization").ends_with(&format!("Signature={}", expected_signature(&canonical))),
            "{}",
            header(&req, "authorization")
        );

        let mut user = request("GET", "https://abc.lambda-url.us-east-1.on.aws/v1/users/a%2Bb", "");
        sign(&mut user, &credentials(None), "us-east-1", at()).expect("signs");
        let canonical = format!(
            "GET\n/v1/users/a%252Bb\n\nhost:abc.lambda-url.us-east-1.on.aws\n\
             x-amz-content-sha256:{empty}\nx-amz-date:20150830T123600Z\n\n\
             host;x-amz-content-sha256;x-amz-date\n{empty}"
        );
        assert!(header(&user, "authorization").ends_with(&format!("Signature={}", expected_signature(&canonical))));
    }

    #[test]
    fn signing_the_same_request_at_the_same_time_gives_the_same_signature_and_another_time_another() {
        let signed_at = |t: SystemTime| {
            let mut req = request("GET", "https://abc.lambda-url.us-east-1.on.aws/v1/groups/g1", "");
            sign(&mut req, &credentials(None), "us-east-1", t).expect("signs");
            header(&req, "authorization").to_owned()
        };
        assert_eq!(signed_at(at()), signed_at(at()));
        assert_ne!(signed_at(at()), signed_at(at() + Duration::from_secs(1)));
        assert!(signed_at(at()).contains("Credential=AKID/20150830/us-east-1/lambda/aws4_request,"));
    }

    #[test]
    fn the_authorization_header_is_marked_sensitive() {
        let mut req = request("GET", "https://abc.lambda-url.us-east-1.on.aws/v1/users/alice", "");
        sign(&mut req, &credentials(None), "us-east-1", at()).expect("signs");
        assert!(req.headers().get("authorization").is_some_and(HeaderValue::is_sensitive));
    }
}
