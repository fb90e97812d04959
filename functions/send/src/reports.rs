//! `report`: a message in the reporter's inbox goes to the moderation queue with a copy of
//! it as the reporter sees it now (a later edit or delete cannot hide the evidence); the
//! same reporter reporting it again changes nothing. With `CHAT_AUTO_HIDE_REPORTS` (N), a
//! message reported by N distinct users is deleted for everyone as a moderator's delete,
//! and its case closed as `auto`.

use chat_core::clock::Clock;
use chat_core::ids::MsgId;
use chat_core::poster::Poster;
use chat_core::protocol::{ErrorCode, ServerFrame};
use chat_core::push::PushQueue;
use chat_core::store::Store;
use chat_core::store::reports::{Action, Evidence, Filed, Reason, Report, Resolution, Status};
use chat_lambda::Refusal;

use crate::Request;

impl<S: Store, P: Poster, C: Clock, Q: PushQueue> Request<'_, S, P, C, Q> {
    /// `report`: `ok`.
    pub(crate) async fn report(
        &self,
        msg_id: MsgId,
        reason: Reason,
        note: Option<String>,
    ) -> Result<ServerFrame, Refusal> {
        let not_found = || Refusal::client(ErrorCode::NotFound, "no such message in your inbox");
        let entry = self.deps.store.message(self.user, &msg_id).await?.ok_or_else(not_found)?;
        if !entry.is_message() {
            return Err(not_found());
        }
        if entry.deleted {
            // Nothing left to copy. A message already in the queue (reported before it was
            // deleted, by this reporter or another) is answered as reported: the case has
            // the copy; otherwise there is nothing to report.
            return match self.deps.store.case(msg_id.as_str()).await? {
                Some(_) => Ok(ServerFrame::Ok { id: self.id.clone() }),
                None => Err(not_found()),
            };
        }
        if entry.from == self.user.as_str() {
            return Err(Refusal::client(ErrorCode::BadRequest, "you cannot report your own message"));
        }
        let now = self.deps.clock.now_ms();
        let report = Report {
            reporter: self.user.clone(),
            reason,
            note,
            at: now,
            evidence: Evidence {
                msg_id: entry.msg_id.clone(),
                conversation: entry.conversation.clone(),
                from: entry.from.clone(),
                body: entry.body.clone(),
                attachments: entry.attachments.iter().map(|a| a.attachment_id.clone()).collect(),
                ts: entry.ts,
            },
        };
        if let Filed::New(case) = self.deps.store.file_report(&report).await?
            && let Some(n) = self.deps.moderation.auto_hide
            && case.status == Status::Open
            && case.reporters >= n
        {
            crate::server::moderator_delete(self.deps, &case.copy.conversation, case.copy.msg_id.clone()).await.ok();
            let resolution = Resolution { action: Action::DeleteMessage, by: "auto".into(), at: now };
            self.deps.store.resolve(&case.id, &resolution).await?;
        }
        Ok(ServerFrame::Ok { id: self.id.clone() })
    }
}
