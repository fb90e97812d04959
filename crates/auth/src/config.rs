//! Authentication settings, read once per cold start.

/// The environment variables this crate reads (named in `chat_core::schema::env`).
pub mod env {
    use chat_core::schema::env as names;
    /// HS256 shared secret.
    pub const SECRET: &str = names::JWT_SECRET;
    /// JWKS URL (RS256), e.g. a Cognito user pool's `/.well-known/jwks.json`.
    pub const JWKS_URL: &str = names::JWT_JWKS_URL;
    /// Required `iss` with a JWKS.
    pub const ISSUER: &str = names::JWT_ISSUER;
    /// Required `aud` with a JWKS (Cognito ID tokens: the app client id).
    pub const AUDIENCE: &str = names::JWT_AUDIENCE;
}

/// The issuer HS256 tokens must carry (`iss`) when `CHAT_JWT_ISSUER` is not set.
pub const DEFAULT_ISSUER: &str = "serverless-chat";

/// Which tokens to accept.
#[derive(Clone, PartialEq, Eq)]
pub enum AuthConfig {
    /// HS256 tokens signed with this secret.
    Hs256 {
        /// The shared secret.
        secret: Vec<u8>,
        /// The required `iss` (`CHAT_JWT_ISSUER`, default [`DEFAULT_ISSUER`]): a token
        /// minted elsewhere with the same key (the devserver's) is refused.
        issuer: String,
    },
    /// RS256 tokens signed by a key in the JWKS at `url`.
    Jwks {
        /// Where the key set is.
        url: String,
        /// Required issuer, if any.
        issuer: Option<String>,
        /// Required audience, if any.
        audience: Option<String>,
    },
}

impl std::fmt::Debug for AuthConfig {
    // Never print the secret, not even in a debug log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Hs256 { issuer, .. } => write!(f, "Hs256 {{ secret: <redacted>, issuer: {issuer:?} }}"),
            Self::Jwks { url, issuer, audience } => {
                f.debug_struct("Jwks").field("url", url).field("issuer", issuer).field("audience", audience).finish()
            }
        }
    }
}

/// Why the settings are unusable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// Neither a secret nor a JWKS URL is set.
    #[error("set CHAT_JWT_SECRET (HS256) or CHAT_JWT_JWKS_URL (RS256)")]
    Missing,
    /// Both are set, so it is unclear which tokens to trust.
    #[error("set only one of CHAT_JWT_SECRET and CHAT_JWT_JWKS_URL")]
    Ambiguous,
    /// The secret is too short to be safe.
    #[error("CHAT_JWT_SECRET must be at least 16 bytes")]
    WeakSecret,
    /// A key set is only trusted for one issuer and one audience.
    #[error("with CHAT_JWT_JWKS_URL, set CHAT_JWT_ISSUER and CHAT_JWT_AUDIENCE too")]
    JwksWithoutIssuerOrAudience,
    /// Keys fetched over plain HTTP could be replaced on the way.
    #[error("CHAT_JWT_JWKS_URL must be https (http only for a loopback host)")]
    InsecureJwksUrl,
}

impl AuthConfig {
    /// Reads the settings from the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the settings through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |k: &str| get(k).filter(|v| !v.is_empty());
        match (get(env::SECRET), get(env::JWKS_URL)) {
            (Some(_), Some(_)) => Err(ConfigError::Ambiguous),
            (Some(secret), None) if secret.len() < 16 => Err(ConfigError::WeakSecret),
            (Some(secret), None) => Ok(Self::Hs256 {
                secret: secret.into_bytes(),
                issuer: get(env::ISSUER).unwrap_or_else(|| DEFAULT_ISSUER.to_owned()),
            }),
            (None, Some(url)) => {
                if !secure_url(&url) {
                    return Err(ConfigError::InsecureJwksUrl);
                }
                match (get(env::ISSUER), get(env::AUDIENCE)) {
                    (Some(issuer), Some(audience)) => {
                        Ok(Self::Jwks { url, issuer: Some(issuer), audience: Some(audience) })
                    }
                    _ => Err(ConfigError::JwksWithoutIssuerOrAudience),
                }
            }
            (None, None) => Err(ConfigError::Missing),
        }
    }
}

/// `https://…`, or `http://` to a loopback host (a local identity provider in tests).
fn secure_url(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else { return false };
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    let host = match host.rsplit_once(':') {
        Some((h, port)) if !h.is_empty() && port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    matches!(host, "localhost" | "[::1]") || host.starts_with("127.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Result<AuthConfig, ConfigError> {
        AuthConfig::from_lookup(|k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn a_secret_or_a_jwks_url_is_required_but_not_both() {
        assert_eq!(from(&[]), Err(ConfigError::Missing));
        assert_eq!(
            from(&[(env::SECRET, "0123456789abcdef"), (env::JWKS_URL, "https://x")]),
            Err(ConfigError::Ambiguous)
        );
        assert_eq!(from(&[(env::SECRET, "short")]), Err(ConfigError::WeakSecret));
        assert!(
            matches!(from(&[(env::SECRET, "0123456789abcdef")]), Ok(AuthConfig::Hs256 { issuer, .. }) if issuer == DEFAULT_ISSUER)
        );
        assert!(matches!(
            from(&[(env::SECRET, "0123456789abcdef"), (env::ISSUER, "me")]),
            Ok(AuthConfig::Hs256 { issuer, .. }) if issuer == "me"
        ));
        assert_eq!(
            from(&[(env::JWKS_URL, "https://x/jwks.json"), (env::ISSUER, "iss"), (env::AUDIENCE, "aud")]),
            Ok(AuthConfig::Jwks {
                url: "https://x/jwks.json".into(),
                issuer: Some("iss".into()),
                audience: Some("aud".into())
            })
        );
    }

    #[test]
    fn a_key_set_needs_https_an_issuer_and_an_audience() {
        let jwks = |url: &str| from(&[(env::JWKS_URL, url), (env::ISSUER, "i"), (env::AUDIENCE, "a")]);
        assert_eq!(
            from(&[(env::JWKS_URL, "https://x/j"), (env::ISSUER, "iss")]),
            Err(ConfigError::JwksWithoutIssuerOrAudience)
        );
        assert_eq!(
            from(&[(env::JWKS_URL, "https://x/j"), (env::AUDIENCE, "a")]),
            Err(ConfigError::JwksWithoutIssuerOrAudience)
        );
        assert_eq!(jwks("http://idp.example.com/jwks.json"), Err(ConfigError::InsecureJwksUrl));
        assert_eq!(jwks("ftp://x/j"), Err(ConfigError::InsecureJwksUrl));
        assert_eq!(jwks("http://localhost.evil.com/j"), Err(ConfigError::InsecureJwksUrl));
        for ok in ["https://x/j", "http://127.0.0.1:8000/jwks.json", "http://localhost/j", "http://[::1]:9/j"] {
            assert!(jwks(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn debug_output_never_contains_the_secret() {
        let c = AuthConfig::Hs256 { secret: b"super-secret-value".to_vec(), issuer: DEFAULT_ISSUER.into() };
        assert!(!format!("{c:?}").contains("super-secret"));
    }
}
