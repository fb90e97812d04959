//! Minting HS256 tokens: the devserver's `/dev/token` and the tests use it. The deployed
//! stack never mints tokens; an identity provider does.

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde::Serialize;

/// The secret the devserver uses when `CHAT_JWT_SECRET` is not set. Public on purpose:
/// it is only ever good for a local devserver.
pub const DEV_SECRET: &str = "chat-devserver-insecure-development-secret";

/// The issuer of the devserver's tokens. A deployed stack requires its own issuer
/// (`CHAT_JWT_ISSUER`, default `serverless-chat`), so a devserver token never passes it,
/// even signed with the real key.
pub const DEV_ISSUER: &str = "chat-devserver";

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    iat: u64,
    exp: u64,
}

/// A devserver token (issuer [`DEV_ISSUER`]) for `user`, issued at `now_s`, valid for
/// `ttl_s` seconds.
pub fn mint(secret: &[u8], user: &str, now_s: u64, ttl_s: u64) -> Result<String, jsonwebtoken::errors::Error> {
    mint_for(secret, DEV_ISSUER, user, now_s, ttl_s)
}

/// A token from `issuer` for `user`, issued at `now_s`, valid for `ttl_s` seconds.
pub fn mint_for(
    secret: &[u8],
    issuer: &str,
    user: &str,
    now_s: u64,
    ttl_s: u64,
) -> Result<String, jsonwebtoken::errors::Error> {
    crate::crypto::install();
    let claims = Claims { iss: issuer, sub: user, iat: now_s, exp: now_s.saturating_add(ttl_s) };
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret))
}
