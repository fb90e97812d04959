//! The pre-send hook (docs/server-api.md): the app's own check of every `send` and `edit`
//! before anything is stored. A port: the send function holds an `Option` of a
//! [`PreSendHook`] (no hook configured: no call at all); the adapters are a Lambda invoke
//! (`chat-lambda`) and an HTTP POST (the devserver's `--pre-send-hook`).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::BoxError;
use crate::ids::{Conversation, MsgId, UserId};

/// What the hook is asked about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HookRequest {
    /// `send` or `edit`.
    pub kind: HookKind,
    /// The sender (a user id, or `system` through the server API).
    pub from: String,
    /// The conversation.
    pub conversation: Conversation,
    /// Everyone who would get it.
    pub participants: Vec<UserId>,
    /// The text.
    pub body: String,
    /// The attachments' ids.
    pub attachments: Vec<String>,
    /// The message edited (edits only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub msg_id: Option<MsgId>,
}

/// Which action is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HookKind {
    /// A new message.
    Send,
    /// An edit of one.
    Edit,
}

/// The hook's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Verdict {
    /// Store as sent.
    Allow,
    /// Store nothing; the sender gets `rejected` with the reason.
    Reject {
        /// The app's own code, passed on in the message.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        /// Why, for the sender.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Store and deliver this body instead.
    Replace {
        /// The replacement.
        body: String,
    },
}

impl Verdict {
    /// Parses a hook's answer (JSON); anything else is a failure of the hook.
    pub fn parse(bytes: &[u8]) -> Result<Self, BoxError> {
        Ok(serde_json::from_slice(bytes)?)
    }
}

/// What a hook that times out or fails leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailurePolicy {
    /// Store the message as sent (the default: chat keeps working when the hook is down).
    #[default]
    Open,
    /// Refuse it with `unavailable`.
    Closed,
}

impl FailurePolicy {
    /// Parses `open` or `closed`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(Self::Open),
            "closed" => Some(Self::Closed),
            _ => None,
        }
    }
}

/// A future the hook returns (boxed: the hook is held as a trait object).
pub type HookFuture<'a> = Pin<Box<dyn Future<Output = Result<Verdict, BoxError>> + Send + 'a>>;

/// The app's check of a message before it is stored.
pub trait PreSendHook: Send + Sync {
    /// Asks the hook about `request`.
    fn check<'a>(&'a self, request: &'a HookRequest) -> HookFuture<'a>;
}

/// A configured hook: the adapter, its time budget, and what a failure leads to.
#[derive(Clone)]
pub struct Hook {
    /// The adapter.
    pub hook: std::sync::Arc<dyn PreSendHook>,
    /// How long it may take (default 1 s).
    pub timeout: Duration,
    /// What a timeout or failure leads to.
    pub failure: FailurePolicy,
}

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hook").field("timeout", &self.timeout).field("failure", &self.failure).finish()
    }
}

/// Default time budget of a hook call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(1000);

/// What asking a configured hook came to, failures already mapped by its policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The hook's own answer, or `Allow` for a failure under the `open` policy.
    Verdict(Verdict),
    /// The hook failed under the `closed` policy.
    Unavailable,
}

impl Hook {
    /// Asks the hook, within its time budget; a timeout or failure follows the policy and
    /// is reported through `failed` (the caller counts it in a metric and logs it).
    pub async fn ask(&self, request: &HookRequest, failed: impl FnOnce(&str)) -> Outcome {
        let why = match tokio::time::timeout(self.timeout, self.hook.check(request)).await {
            Ok(Ok(verdict)) => return Outcome::Verdict(verdict),
            Ok(Err(e)) => crate::cause_chain(&*e),
            Err(_) => format!("no answer within {} ms", self.timeout.as_millis()),
        };
        failed(&why);
        match self.failure {
            FailurePolicy::Open => Outcome::Verdict(Verdict::Allow),
            FailurePolicy::Closed => Outcome::Unavailable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Slow;
    impl PreSendHook for Slow {
        fn check<'a>(&'a self, _: &'a HookRequest) -> HookFuture<'a> {
            Box::pin(async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Ok(Verdict::Allow)
            })
        }
    }

    fn request() -> HookRequest {
        HookRequest {
            kind: HookKind::Send,
            from: "alice".into(),
            conversation: Conversation::parse("dm:alice:bob").expect("valid"),
            participants: vec![],
            body: "hi".into(),
            attachments: vec![],
            msg_id: None,
        }
    }

    #[test]
    fn answers_parse_as_the_docs_write_them() {
        assert_eq!(Verdict::parse(br#"{"action":"allow"}"#).ok(), Some(Verdict::Allow));
        assert_eq!(
            Verdict::parse(br#"{"action":"reject","reason":"no links"}"#).ok(),
            Some(Verdict::Reject { code: None, reason: Some("no links".into()) })
        );
        assert_eq!(
            Verdict::parse(br#"{"action":"replace","body":"***"}"#).ok(),
            Some(Verdict::Replace { body: "***".into() })
        );
        assert!(Verdict::parse(br#"{"action":"maybe"}"#).is_err());
        assert!(Verdict::parse(b"nope").is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn a_timeout_follows_the_failure_policy_and_is_reported() {
        for (failure, expected) in
            [(FailurePolicy::Open, Outcome::Verdict(Verdict::Allow)), (FailurePolicy::Closed, Outcome::Unavailable)]
        {
            let hook = Hook { hook: std::sync::Arc::new(Slow), timeout: DEFAULT_TIMEOUT, failure };
            let mut reported = None;
            assert_eq!(hook.ask(&request(), |why| reported = Some(why.to_owned())).await, expected);
            assert_eq!(reported.as_deref(), Some("no answer within 1000 ms"));
        }
    }
}
