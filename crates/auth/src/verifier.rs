//! Token verification.

use std::sync::RwLock;
use std::time::{Duration, Instant};

use chat_core::ids::{IdError, UserId};
use chat_core::message::SYSTEM_SENDER;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;

use crate::config::AuthConfig;
use crate::jwks::{self, JwksError};

/// Tokens longer than this are refused before any parsing.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// An unknown `kid` refetches the key set at most this often (key rotation).
const JWKS_REFRESH: Duration = Duration::from_secs(300);

/// Why a token was refused. Every variant means HTTP 401 to the client; the variants are
/// for logs (which never contain the token itself).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No token was presented.
    #[error("no token")]
    Missing,
    /// The token is over [`MAX_TOKEN_BYTES`].
    #[error("token too large")]
    TooLarge,
    /// Signature, algorithm, expiry, not-before, issuer, audience or format is wrong.
    #[error("invalid token")]
    Invalid(#[source] jsonwebtoken::errors::Error),
    /// The token names a key the key set does not have.
    #[error("unknown signing key")]
    UnknownKey,
    /// `sub` is not a valid user id.
    #[error("sub is not a valid user id")]
    BadSubject(#[source] IdError),
    /// `sub` is a reserved name (`system`).
    #[error("sub is reserved")]
    ReservedSubject,
    /// The key set could not be fetched.
    #[error("key set unavailable")]
    Jwks(#[source] JwksError),
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    exp: f64,
}

enum Keys {
    Secret(DecodingKey),
    Jwks { url: String, set: RwLock<(JwkSet, Instant)> },
}

/// Verifies tokens against one [`AuthConfig`]. Build it once per cold start.
pub struct Verifier {
    keys: Keys,
    validation: Validation,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").field("algorithms", &self.validation.algorithms).finish()
    }
}

impl Verifier {
    /// A verifier for `config`; with a JWKS, fetches the key set now.
    pub async fn new(config: &AuthConfig) -> Result<Self, AuthError> {
        match config {
            AuthConfig::Hs256 { secret, issuer } => Ok(Self::hs256(secret, issuer)),
            AuthConfig::Jwks { url, issuer, audience } => {
                let set = jwks::fetch(url).await.map_err(AuthError::Jwks)?;
                Ok(Self::with_jwks(url.clone(), set, issuer.as_deref(), audience.as_deref()))
            }
        }
    }

    /// A verifier of HS256 tokens signed with `secret` and issued by `issuer` (`iss`).
    pub fn hs256(secret: &[u8], issuer: &str) -> Self {
        Self {
            keys: Keys::Secret(DecodingKey::from_secret(secret)),
            validation: validation(Algorithm::HS256, Some(issuer), None),
        }
    }

    /// A verifier of RS256 tokens signed by a key of `set` (refetched from `url` when a
    /// token names a key it lacks).
    pub fn with_jwks(url: String, set: JwkSet, issuer: Option<&str>, audience: Option<&str>) -> Self {
        Self {
            keys: Keys::Jwks { url, set: RwLock::new((set, Instant::now())) },
            validation: validation(Algorithm::RS256, issuer, audience),
        }
    }

    /// Checks `token` and returns the user it names.
    pub async fn verify(&self, token: &str) -> Result<UserId, AuthError> {
        Ok(self.verify_identity(token).await?.0)
    }

    /// [`Verifier::verify`], with the token's `exp` (s since the epoch): a session ends
    /// when its token does.
    pub async fn verify_identity(&self, token: &str) -> Result<(UserId, u64), AuthError> {
        if token.is_empty() {
            return Err(AuthError::Missing);
        }
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::TooLarge);
        }
        let key = match &self.keys {
            Keys::Secret(key) => key.clone(),
            Keys::Jwks { url, set } => self.jwks_key(token, url, set).await?,
        };
        let data = decode::<Claims>(token, &key, &self.validation).map_err(AuthError::Invalid)?;
        let user = UserId::parse(&data.claims.sub).map_err(AuthError::BadSubject)?;
        if user.as_str() == SYSTEM_SENDER {
            return Err(AuthError::ReservedSubject);
        }
        Ok((user, data.claims.exp.max(0.0) as u64))
    }

    async fn jwks_key(
        &self,
        token: &str,
        url: &str,
        set: &RwLock<(JwkSet, Instant)>,
    ) -> Result<DecodingKey, AuthError> {
        let header = decode_header(token).map_err(AuthError::Invalid)?;
        let kid = header.kid.ok_or(AuthError::UnknownKey)?;
        let find = |set: &RwLock<(JwkSet, Instant)>| -> (Option<DecodingKey>, Instant) {
            let guard = set.read().unwrap_or_else(|p| p.into_inner());
            (guard.0.find(&kid).and_then(|jwk| DecodingKey::from_jwk(jwk).ok()), guard.1)
        };
        let (key, fetched_at) = find(set);
        if let Some(key) = key {
            return Ok(key);
        }
        if fetched_at.elapsed() < JWKS_REFRESH {
            return Err(AuthError::UnknownKey);
        }
        let fresh = jwks::fetch(url).await.map_err(AuthError::Jwks)?;
        *set.write().unwrap_or_else(|p| p.into_inner()) = (fresh, Instant::now());
        find(set).0.ok_or(AuthError::UnknownKey)
    }
}

fn validation(alg: Algorithm, issuer: Option<&str>, audience: Option<&str>) -> Validation {
    let mut v = Validation::new(alg);
    v.set_required_spec_claims(if issuer.is_some() { &["exp", "sub", "iss"][..] } else { &["exp", "sub"][..] });
    v.validate_exp = true;
    v.validate_nbf = true;
    v.leeway = 30;
    match issuer {
        Some(iss) => v.set_issuer(&[iss]),
        None => v.iss = None,
    }
    match audience {
        Some(aud) => v.set_audience(&[aud]),
        None => v.validate_aud = false,
    }
    v
}
