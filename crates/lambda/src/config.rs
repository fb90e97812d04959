//! The settings every route-serving function reads (send, presence, push): its tables, the
//! `@connections` endpoint, and the per-user limits. Each function's own `Config` embeds it.

use chat_core::config::{ConfigError, Vars};
use chat_core::ratelimit::Limits;
use chat_core::schema::{TableNames, env};

/// What a function that answers routes needs from its environment.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteConfig {
    /// The tables.
    pub tables: TableNames,
    /// The `@connections` endpoint, `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`.
    pub callback_url: String,
    /// The per-user limits.
    pub limits: Limits,
}

impl RouteConfig {
    /// Reads the settings through `vars`; names the variable that is missing or wrong.
    pub fn from_vars(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            tables: TableNames::from_vars(vars),
            callback_url: vars.require(env::CALLBACK_URL)?,
            limits: Limits::from_vars(vars)?,
        })
    }
}
