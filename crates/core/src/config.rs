//! Settings, read once per cold start through a lookup: the process environment in the
//! functions, a map in tests (as `chat_auth::config` does). Each function builds one typed
//! `Config` from [`Vars`]; the variable names are `schema::env`'s, which the CDK stack
//! reads from `schema.json`.

use std::str::FromStr;

/// Why the settings are unusable: the function refuses to start, naming the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is unset or empty.
    #[error("{0} is not set")]
    Missing(&'static str),
    /// A variable's value cannot be used.
    #[error("{var}={value:?} is not valid: expected {expected}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// What it held.
        value: String,
        /// What it should hold.
        expected: &'static str,
    },
}

/// Variables by name; an empty value counts as unset.
pub struct Vars<'a>(&'a (dyn Fn(&str) -> Option<String> + Sync));

impl std::fmt::Debug for Vars<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vars")
    }
}

fn from_process(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl<'a> Vars<'a> {
    /// Variables looked up through `get`.
    pub fn new(get: &'a (dyn Fn(&str) -> Option<String> + Sync)) -> Self {
        Self(get)
    }

    /// The process environment.
    pub fn env() -> Vars<'static> {
        Vars(&from_process)
    }

    /// A variable's value, if set and not empty.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.is_empty())
    }

    /// A required variable.
    pub fn require(&self, name: &'static str) -> Result<String, ConfigError> {
        self.get(name).ok_or(ConfigError::Missing(name))
    }

    /// A variable parsed as `T`, or `default` when unset; a value that does not parse is
    /// an error, never silently the default.
    pub fn parse_or<T: FromStr>(
        &self,
        name: &'static str,
        default: T,
        expected: &'static str,
    ) -> Result<T, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| ConfigError::Invalid { var: name, value: v, expected }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_unset_and_a_bad_number_is_an_error_not_the_default() {
        let get = |k: &str| match k {
            "EMPTY" => Some(String::new()),
            "N" => Some("12".to_owned()),
            "BAD" => Some("twelve".to_owned()),
            _ => None,
        };
        let vars = Vars::new(&get);
        assert_eq!(vars.get("EMPTY"), None);
        assert_eq!(vars.require("EMPTY"), Err(ConfigError::Missing("EMPTY")));
        assert_eq!(vars.parse_or("N", 5u64, "a number"), Ok(12));
        assert_eq!(vars.parse_or("UNSET", 5u64, "a number"), Ok(5));
        assert!(matches!(vars.parse_or("BAD", 5u64, "a number"), Err(ConfigError::Invalid { var: "BAD", .. })));
    }
}
