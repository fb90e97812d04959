//! `chat-auth`: verifying the JWT a client presents on `$connect`.
//!
//! Layout:
//! - [`config`]: which keys to trust, from the environment (HS256 secret or a JWKS).
//! - [`verifier`]: [`Verifier::verify`] turns a token into a [`chat_core::ids::UserId`].
//! - [`jwks`]: fetching a JWKS document over HTTPS (Cognito, any OIDC provider).
//! - [`dev`]: minting HS256 tokens, for the devserver's `/dev/token` and for tests.
//! - [`crypto`]: the signatures, computed with `ring` (installed by every entry point).
//!
//! Algorithms are pinned per configuration (HS256 with a secret, RS256 with a JWKS), so a
//! token cannot choose how it is checked: `alg: none` and HS256-signed-with-the-public-key
//! confusion are refused by construction.

pub mod config;
pub mod crypto;
pub mod dev;
pub mod jwks;
pub mod verifier;

pub use config::{AuthConfig, ConfigError};
pub use verifier::{AuthError, Verifier};
