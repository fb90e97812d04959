//! `chat-invoke`: the pre-send hook as a Lambda function (`chat:preSendHook`), invoked
//! synchronously (`RequestResponse`) with the hook request as its payload; its answer is
//! the verdict. A function error (the payload of an unhandled exception) is a failure of
//! the hook, handled by its failure policy like a timeout.
//!
//! [`hook_from_vars`] builds the configured hook for the send and admin functions: none
//! without `CHAT_PRE_SEND_HOOK`, so an unconfigured deployment makes no call at all.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_lambda::primitives::Blob;
use chat_core::BoxError;
use chat_core::config::{ConfigError, Vars};
use chat_core::hook::{DEFAULT_TIMEOUT, FailurePolicy, Hook, HookFuture, HookRequest, PreSendHook, Verdict};
use chat_core::schema::env;

/// The app's hook function, invoked through the Lambda API.
#[derive(Debug, Clone)]
pub struct LambdaHook {
    client: aws_sdk_lambda::Client,
    function: String,
}

/// The function answered with an error (an unhandled exception, a bad answer).
#[derive(Debug)]
struct FunctionError(String);

impl std::fmt::Display for FunctionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the hook function failed: {}", self.0)
    }
}

impl std::error::Error for FunctionError {}

impl LambdaHook {
    /// Invokes `function` (a name or ARN) with `client`.
    pub fn new(client: aws_sdk_lambda::Client, function: impl Into<String>) -> Self {
        Self { client, function: function.into() }
    }
}

impl PreSendHook for LambdaHook {
    fn check<'a>(&'a self, request: &'a HookRequest) -> HookFuture<'a> {
        Box::pin(async move {
            let payload = serde_json::to_vec(request)?;
            let out = self.client.invoke().function_name(&self.function).payload(Blob::new(payload)).send().await?;
            let body = out.payload().map(|b| b.as_ref().to_vec()).unwrap_or_default();
            if let Some(kind) = out.function_error() {
                let detail = String::from_utf8_lossy(&body).chars().take(200).collect::<String>();
                return Err(Box::new(FunctionError(format!("{kind}: {detail}"))) as BoxError);
            }
            Verdict::parse(&body)
        })
    }
}

/// The hook's time budget and failure policy from the environment.
pub fn policy_from_vars(vars: &Vars<'_>) -> Result<(Duration, FailurePolicy), ConfigError> {
    let expected = "a number of milliseconds from 1 to 30000";
    let ms: u64 = vars.parse_or(env::PRE_SEND_HOOK_TIMEOUT_MS, DEFAULT_TIMEOUT.as_millis() as u64, expected)?;
    if !(1..=30_000).contains(&ms) {
        return Err(ConfigError::Invalid { var: env::PRE_SEND_HOOK_TIMEOUT_MS, value: ms.to_string(), expected });
    }
    let failure = match vars.get(env::PRE_SEND_HOOK_FAILURE) {
        None => FailurePolicy::Open,
        Some(value) => FailurePolicy::parse(&value).ok_or(ConfigError::Invalid {
            var: env::PRE_SEND_HOOK_FAILURE,
            value,
            expected: "open or closed",
        })?,
    };
    let timeout = Duration::from_millis(ms);
    Ok((timeout, failure))
}

/// The configured hook (`CHAT_PRE_SEND_HOOK` names the function), or `None`.
pub fn hook_from_vars(vars: &Vars<'_>, sdk: &aws_config::SdkConfig) -> Result<Option<Hook>, ConfigError> {
    let Some(function) = vars.get(env::PRE_SEND_HOOK) else { return Ok(None) };
    let (timeout, failure) = policy_from_vars(vars)?;
    let hook = LambdaHook::new(aws_sdk_lambda::Client::new(sdk), function);
    Ok(Some(Hook { hook: Arc::new(hook), timeout, failure }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_defaults_to_open_and_one_second_and_refuses_nonsense() {
        let none = |_: &str| None;
        assert_eq!(policy_from_vars(&Vars::new(&none)).ok(), Some((DEFAULT_TIMEOUT, FailurePolicy::Open)));
        let set = |k: &str| match k {
            env::PRE_SEND_HOOK_FAILURE => Some("closed".to_owned()),
            env::PRE_SEND_HOOK_TIMEOUT_MS => Some("250".to_owned()),
            _ => None,
        };
        assert_eq!(policy_from_vars(&Vars::new(&set)).ok(), Some((Duration::from_millis(250), FailurePolicy::Closed)));
        let bad = |k: &str| (k == env::PRE_SEND_HOOK_FAILURE).then(|| "sometimes".to_owned());
        assert!(policy_from_vars(&Vars::new(&bad)).is_err());
    }
}
