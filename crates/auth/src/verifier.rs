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
    /// The token is for another app (`aud`, or `client_id` of a Cognito access token).
    #[error("token is for another audience")]
    WrongAudience,
    /// The key set could not be fetched.
    #[error("key set unavailable")]
    Jwks(#[source] JwksError),
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    exp: f64,
    /// `aud`: a string or a list of strings.
    #[serde(default)]
    aud: Option<serde_json::Value>,
    /// Cognito: `id` or `access`.
    #[serde(default)]
    token_use: Option<String>,
    /// Cognito access tokens name the app client here, not in `aud`.
    #[serde(default)]
    client_id: Option<String>,
}

/// The longest a key set is trusted without fetching it again: a key the JWKS stops
/// serving stops being trusted within this, whatever `Cache-Control` says.
pub const JWKS_MAX_AGE: Duration = Duration::from_secs(600);
/// The shortest: a `max-age` below it is raised to it, so a verifier never hammers the
/// key set; a failed refresh is retried no sooner than this either.
const JWKS_MIN_AGE: Duration = Duration::from_secs(1);

/// How old the set must be before an unknown kid makes the verifier fetch it again (a
/// token with a made-up kid must not trigger a fetch each time).
const UNKNOWN_KID_REFETCH: Duration = Duration::from_secs(60);
/// How soon a failed refresh is tried again.
const JWKS_RETRY: Duration = Duration::from_secs(30);

/// A fetched key set and when to fetch it again.
struct KeySet {
    set: JwkSet,
    fetched_at: Instant,
    next_fetch: Instant,
}

impl KeySet {
    /// `max_age` from the server's `Cache-Control`, kept within [`JWKS_MIN_AGE`] and
    /// [`JWKS_MAX_AGE`].
    fn new(set: JwkSet, max_age: Option<Duration>) -> Self {
        let ttl = max_age.unwrap_or(JWKS_MAX_AGE).clamp(JWKS_MIN_AGE, JWKS_MAX_AGE);
        let now = Instant::now();
        Self { set, fetched_at: now, next_fetch: now + ttl }
    }
}

enum Keys {
    Secret(DecodingKey),
    Jwks { url: String, set: RwLock<KeySet> },
}

/// Verifies tokens against one [`AuthConfig`]. Build it once per cold start.
pub struct Verifier {
    keys: Keys,
    validation: Validation,
    /// Checked by hand: Cognito access tokens carry the app client in `client_id`.
    audience: Option<String>,
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
                let (set, max_age) = jwks::fetch_with_max_age(url).await.map_err(AuthError::Jwks)?;
                Ok(Self::jwks(url.clone(), KeySet::new(set, max_age), issuer.as_deref(), audience.as_deref()))
            }
        }
    }

    /// A verifier of HS256 tokens signed with `secret` and issued by `issuer` (`iss`).
    pub fn hs256(secret: &[u8], issuer: &str) -> Self {
        crate::crypto::install();
        Self {
            keys: Keys::Secret(DecodingKey::from_secret(secret)),
            validation: validation(Algorithm::HS256, Some(issuer)),
            audience: None,
        }
    }

    /// A verifier of RS256 tokens signed by a key of `set`, fetched again from `url` at
    /// most [`JWKS_MAX_AGE`] later (sooner when the server's `Cache-Control` says so), and
    /// when a token names a key it lacks.
    pub fn with_jwks(url: String, set: JwkSet, issuer: Option<&str>, audience: Option<&str>) -> Self {
        Self::jwks(url, KeySet::new(set, None), issuer, audience)
    }

    fn jwks(url: String, set: KeySet, issuer: Option<&str>, audience: Option<&str>) -> Self {
        crate::crypto::install();
        Self {
            keys: Keys::Jwks { url, set: RwLock::new(set) },
            validation: validation(Algorithm::RS256, issuer),
            audience: audience.map(str::to_owned),
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
        if let Some(audience) = &self.audience
            && !for_audience(&data.claims, audience)
        {
            return Err(AuthError::WrongAudience);
        }
        let user = UserId::parse(&data.claims.sub).map_err(AuthError::BadSubject)?;
        if user.as_str() == SYSTEM_SENDER {
            return Err(AuthError::ReservedSubject);
        }
        Ok((user, data.claims.exp.max(0.0) as u64))
    }

    async fn jwks_key(&self, token: &str, url: &str, set: &RwLock<KeySet>) -> Result<DecodingKey, AuthError> {
        let header = decode_header(token).map_err(AuthError::Invalid)?;
        let kid = header.kid.ok_or(AuthError::UnknownKey)?;
        let find = |set: &RwLock<KeySet>| -> (Option<DecodingKey>, bool, Duration) {
            let guard = set.read().unwrap_or_else(|p| p.into_inner());
            let key = guard.set.find(&kid).and_then(|jwk| DecodingKey::from_jwk(jwk).ok());
            (key, Instant::now() >= guard.next_fetch, guard.fetched_at.elapsed())
        };
        let (key, due, age) = find(set);
        // Fetch again when the set is due (so a key the JWKS stopped serving stops being
        // trusted), or for an unknown kid (a new key) once the set is a minute old.
        if !due && (key.is_some() || age < UNKNOWN_KID_REFETCH) {
            return key.ok_or(AuthError::UnknownKey);
        }
        match jwks::fetch_with_max_age(url).await {
            Ok((fresh, max_age)) => *set.write().unwrap_or_else(|p| p.into_inner()) = KeySet::new(fresh, max_age),
            Err(e) => {
                // Keep the keys we have (the identity provider may be briefly down) and try
                // again soon; an unknown kid stays unknown.
                tracing::warn!(error = %chat_core::cause_chain(&e), "JWKS refresh failed; keeping the current keys");
                set.write().unwrap_or_else(|p| p.into_inner()).next_fetch = Instant::now() + JWKS_RETRY;
                return key.ok_or(AuthError::Jwks(e));
            }
        }
        find(set).0.ok_or(AuthError::UnknownKey)
    }
}

/// Whether the token is for `audience`: its `aud` (a string or a list) names it, or, for a
/// Cognito access token (`token_use: access`, which has no `aud`), its `client_id` does.
fn for_audience(claims: &Claims, audience: &str) -> bool {
    if claims.token_use.as_deref() == Some("access") {
        return claims.client_id.as_deref() == Some(audience);
    }
    match &claims.aud {
        Some(serde_json::Value::String(a)) => a == audience,
        Some(serde_json::Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(audience)),
        _ => false,
    }
}

fn validation(alg: Algorithm, issuer: Option<&str>) -> Validation {
    let mut v = Validation::new(alg);
    v.set_required_spec_claims(if issuer.is_some() { &["exp", "sub", "iss"][..] } else { &["exp", "sub"][..] });
    v.validate_exp = true;
    v.validate_nbf = true;
    v.leeway = 30;
    match issuer {
        Some(iss) => v.set_issuer(&[iss]),
        None => v.iss = None,
    }
    // The audience is checked by `for_audience`, after decoding.
    v.validate_aud = false;
    v
}
