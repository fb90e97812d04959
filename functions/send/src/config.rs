//! The send function's settings, read once per cold start.

use chat_core::config::{ConfigError, Vars};
use chat_core::schema::env;
use chat_lambda::config::RouteConfig;

/// Everything the send function reads from its environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Tables, `@connections` endpoint, per-user limits.
    pub route: RouteConfig,
    /// The push topic, if push is on.
    pub push_topic_arn: Option<String>,
    /// Days inbox entries are kept (`chat:retentionDays`); 0: forever.
    pub retention_days: u32,
}

impl Config {
    /// Reads the settings through `vars`; names the variable that is missing or wrong.
    pub fn from_vars(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            route: RouteConfig::from_vars(vars)?,
            push_topic_arn: vars.get(env::PUSH_TOPIC_ARN),
            retention_days: vars.parse_or(env::RETENTION_DAYS, 0, "a whole number of days (0: keep forever)")?,
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
        assert_eq!((c.route.limits.send, c.route.tables.messages.as_str(), c.push_topic_arn), (None, "m", None));
        assert_eq!(c.retention_days, 0, "kept forever unless set");
        let days = |k: &str| match k {
            env::CALLBACK_URL => Some("https://x/prod".to_owned()),
            env::RETENTION_DAYS => Some("30".to_owned()),
            _ => None,
        };
        assert_eq!(Config::from_vars(&Vars::new(&days)).expect("valid").retention_days, 30);
    }
}
