//! The send function's settings, read once per cold start.

use chat_core::config::{ConfigError, Vars};
use chat_core::ratelimit::Limits;
use chat_core::schema::{TableNames, env};

/// Everything the send function reads from its environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The tables.
    pub tables: TableNames,
    /// The `@connections` endpoint, `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`.
    pub callback_url: String,
    /// The push topic, if push is on.
    pub push_topic_arn: Option<String>,
    /// The per-user limits.
    pub limits: Limits,
}

impl Config {
    /// Reads the settings through `vars`; names the variable that is missing or wrong.
    pub fn from_vars(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            tables: TableNames::from_vars(vars),
            callback_url: vars.require(env::CALLBACK_URL)?,
            push_topic_arn: vars.get(env::PUSH_TOPIC_ARN),
            limits: Limits::from_vars(vars)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_callback_url_is_required_and_a_bad_rate_is_refused() {
        let none = |_: &str| None;
        assert_eq!(Config::from_vars(&Vars::new(&none)), Err(ConfigError::Missing(env::CALLBACK_URL)));
        let bad = |k: &str| match k {
            env::CALLBACK_URL => Some("https://x.execute-api.eu-west-1.amazonaws.com/prod".to_owned()),
            env::SEND_RATE => Some("fast".to_owned()),
            _ => None,
        };
        assert!(matches!(Config::from_vars(&Vars::new(&bad)), Err(ConfigError::Invalid { var: env::SEND_RATE, .. })));
        let off = |k: &str| match k {
            env::CALLBACK_URL => Some("https://x/prod".to_owned()),
            env::SEND_RATE => Some("0".to_owned()),
            env::MESSAGES_TABLE => Some("m".to_owned()),
            _ => None,
        };
        let c = Config::from_vars(&Vars::new(&off)).expect("valid");
        assert_eq!((c.limits.send, c.tables.messages.as_str(), c.push_topic_arn), (None, "m", None));
    }
}
