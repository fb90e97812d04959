//! Asking the app's pre-send hook (`chat_core::hook`) before a send or edit is stored:
//! allowed as sent, refused (`rejected`, nothing stored), or stored with the hook's body.
//! No hook configured: nothing is asked and nothing costs anything.

use chat_core::hook::{HookKind, HookRequest, Outcome, Verdict};
use chat_core::message::NewMessage;
use chat_core::protocol::{ErrorCode, MAX_BODY_BYTES};
use chat_lambda::Refusal;
use chat_lambda::metrics::{self, Metric};

use crate::Request;

impl<S, P, C, Q> Request<'_, S, P, C, Q> {
    /// Runs `msg` past the hook, if there is one; a `replace` changes its body.
    pub(crate) async fn screen(&self, msg: &mut NewMessage, kind: HookKind) -> Result<(), Refusal> {
        let Some(hook) = self.deps.hook.as_ref() else { return Ok(()) };
        let request = HookRequest {
            kind,
            from: msg.from.to_string(),
            conversation: msg.conversation.clone(),
            participants: msg.participants.clone(),
            body: msg.body.clone(),
            attachments: msg.attachments.iter().map(|a| a.attachment_id.clone()).collect(),
            msg_id: (kind == HookKind::Edit).then(|| msg.msg_id.clone()),
        };
        let outcome = hook
            .ask(&request, |why| {
                metrics::count(Metric::PreSendHookFailures, 1);
                tracing::warn!(user = %msg.from, error = %why, "the pre-send hook failed");
            })
            .await;
        match outcome {
            Outcome::Verdict(Verdict::Allow) => Ok(()),
            Outcome::Verdict(Verdict::Reject { code, reason }) => {
                let reason = reason.unwrap_or_else(|| "the message was not accepted".to_owned());
                let message = match code {
                    Some(code) => format!("{reason} ({code})"),
                    None => reason,
                };
                Err(Refusal::client(ErrorCode::Rejected, message))
            }
            Outcome::Verdict(Verdict::Replace { body }) if body.len() <= MAX_BODY_BYTES => {
                msg.body = body;
                Ok(())
            }
            Outcome::Verdict(Verdict::Replace { .. }) => {
                // A replacement past the protocol's limit is the hook's fault: it failed.
                metrics::count(Metric::PreSendHookFailures, 1);
                tracing::warn!(user = %msg.from, "the pre-send hook's replacement is over the body limit; kept as sent");
                Ok(())
            }
            Outcome::Unavailable => Err(Refusal::client(
                ErrorCode::Unavailable,
                "the message could not be checked right now; nothing was stored, retry it",
            )),
        }
    }
}
