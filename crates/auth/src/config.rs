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

/// Which tokens to accept.
#[derive(Clone, PartialEq, Eq)]
pub enum AuthConfig {
    /// HS256 tokens signed with this secret.
    Hs256 {
        /// The shared secret.
        secret: Vec<u8>,
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
            Self::Hs256 { .. } => f.write_str("Hs256 { secret: <redacted> }"),
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
            (Some(secret), None) => Ok(Self::Hs256 { secret: secret.into_bytes() }),
            (None, Some(url)) => Ok(Self::Jwks { url, issuer: get(env::ISSUER), audience: get(env::AUDIENCE) }),
            (None, None) => Err(ConfigError::Missing),
        }
    }
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
        assert!(matches!(from(&[(env::SECRET, "0123456789abcdef")]), Ok(AuthConfig::Hs256 { .. })));
        assert_eq!(
            from(&[(env::JWKS_URL, "https://x/jwks.json"), (env::ISSUER, "iss")]),
            Ok(AuthConfig::Jwks { url: "https://x/jwks.json".into(), issuer: Some("iss".into()), audience: None })
        );
    }

    #[test]
    fn debug_output_never_contains_the_secret() {
        let c = AuthConfig::Hs256 { secret: b"super-secret-value".to_vec() };
        assert!(!format!("{c:?}").contains("super-secret"));
    }
}
