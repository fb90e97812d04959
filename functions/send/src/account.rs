//! Account deletion (`account.delete`, `DELETE /v1/users/{id}`): [`start_deletion`]
//! writes the tombstone and the job and answers at once; [`run_deletion`] works the job's
//! steps (`chat_core::store::Step`) to the end, saving after each, so a run that stops
//! anywhere is resumed by the next from the step it reached. Every step is idempotent.
//! Groups, erased messages and connections go through the same operations the server API
//! uses (notices, moderator deletes, closes), never a copy.

use chat_core::clock::Clock;
use chat_core::ids::UserId;
use chat_core::media::{UploadId, original_key, thumbnail_key};
use chat_core::message::InboxEntry;
use chat_core::poster::Poster;
use chat_core::protocol::{ErrorCode, ServerFrame};
use chat_core::push::{Notifier, PushQueue};
use chat_core::store::{Ban, DeletionJob, Step, Store, StoreError};
use chat_lambda::Refusal;

use crate::Deps;

/// Inbox entries read per round of the erase and inbox steps.
const PAGE: u32 = 100;

/// Writes `user`'s tombstone (its connections are refused from now on; frames in flight
/// store nothing), then its deletion job, unless one is running (that one is returned).
pub async fn start_deletion<S: Store, P, C: Clock, Q>(
    deps: &Deps<S, P, C, Q>,
    user: &UserId,
    erase: bool,
) -> Result<DeletionJob, StoreError> {
    let now = deps.clock.now_ms();
    if let Some(mut running) = deps.store.deletion(user).await?.filter(|j| !j.done()) {
        // Asked again: written anew, which starts a run (in AWS, one whose earlier runs kept
        // failing and were parked; the run resumes from its step).
        running.restarts += 1;
        deps.store.save_deletion(&running).await?;
        return Ok(running);
    }
    deps.store.put_ban(user, &Ban::tombstone(now)).await?;
    let job = DeletionJob::new(format!("del_{}", chat_core::ids::MsgId::generate(now)), user.clone(), erase, now);
    deps.store.start_deletion(&job).await
}

impl<S: Store, P, C: Clock, Q> crate::Request<'_, S, P, C, Q> {
    /// `account.delete`: `confirm` must be the caller's own id (a client's guard against a
    /// stray frame); answers with the job at once.
    pub(crate) async fn account_delete(&self, confirm: &UserId) -> Result<ServerFrame, Refusal> {
        if confirm != self.user {
            return Err(Refusal::client(ErrorCode::BadRequest, "confirm must be your own user id"));
        }
        let job = start_deletion(self.deps, self.user, false).await?;
        tracing::info!(user = %self.user, job = %job.job_id, "account deletion requested");
        Ok(ServerFrame::Deleting { id: self.id.clone(), job_id: job.job_id })
    }
}

/// Lifts `user`'s tombstone (`DELETE /v1/users/{id}/tombstone`); returns whether there was
/// one. A ban is not lifted this way.
pub async fn lift_tombstone<S: Store, P, C: Clock, Q>(
    deps: &Deps<S, P, C, Q>,
    user: &UserId,
) -> Result<bool, StoreError> {
    match deps.store.ban(user, deps.clock.now_ms()).await? {
        Some(b) if b.deleted => deps.store.lift_ban(user).await,
        _ => Ok(false),
    }
}

/// Runs `job` to the end (or until a step fails: the job keeps the step it reached, and
/// the next run resumes there). Returns the finished job.
pub async fn run_deletion<S: Store, P: Poster, C: Clock, Q: PushQueue, N: Notifier>(
    deps: &Deps<S, P, C, Q>,
    notifier: &N,
    mut job: DeletionJob,
) -> Result<DeletionJob, Refusal> {
    while !job.done() {
        // Boxed: a step's future holds a whole append's (an erase's moderator deletes), too
        // large for a thread's stack in a debug build otherwise.
        Box::pin(step(deps, notifier, &mut job)).await?;
        job.advance(deps.clock.now_ms());
        deps.store.save_deletion(&job).await?;
    }
    tracing::info!(user = %job.user, job = %job.job_id, removed = ?job.removed, "account deleted");
    Ok(job)
}

async fn step<S: Store, P: Poster, C: Clock, Q: PushQueue, N: Notifier>(
    deps: &Deps<S, P, C, Q>,
    notifier: &N,
    job: &mut DeletionJob,
) -> Result<(), Refusal> {
    let user = job.user.clone();
    let store = &deps.store;
    match job.step {
        Step::Connections => {
            // Expired records too (`now` 0): everything that names a connection goes. Each
            // live one is told why first, as an expired session is, so a client stops
            // reconnecting (the handshake's 401 is not visible to a WebSocket client).
            let told = ServerFrame::from_error(chat_core::protocol::FrameError {
                id: None,
                client_msg_id: None,
                code: ErrorCode::Unauthorized,
                message: "this account was deleted".to_owned(),
            })
            .to_json();
            for c in store.connections(&user, 0).await? {
                if let Err(e) = deps.poster.post(&c.connection_id, &told).await {
                    tracing::info!(%user, error = %chat_core::cause_chain(&e), "telling a deleted user's connection");
                }
                if let Err(e) = deps.poster.close(&c.connection_id).await {
                    tracing::info!(%user, error = %chat_core::cause_chain(&e), "closing a deleted user's connection");
                }
                store.delete_connection(&user, &c.connection_id).await?;
                job.count("connections", 1);
            }
        }
        Step::Devices => {
            for device in store.endpoints(&user).await? {
                notifier
                    .delete_endpoint(&device.endpoint_arn)
                    .await
                    .map_err(|e| Refusal::internal("deleting a push endpoint", e))?;
                store.delete_endpoint(&user, &device.token).await?;
                job.count("devices", 1);
            }
        }
        Step::Presence => job.count("presence", store.delete_presence(&user).await?),
        Step::Groups => Box::pin(groups(deps, job)).await?,
        Step::Blocks => {
            for other in store.blocks(&user).await? {
                if store.unblock(&user, &other).await? {
                    job.count("blocks", 1);
                }
            }
            for owner in store.blocked_by(&user).await? {
                if store.unblock(&owner, &user).await? {
                    job.count("blockedBy", 1);
                }
            }
        }
        Step::Reports => {
            for case in store.reports_by(&user).await? {
                if store.withdraw_report(&case, &user).await? {
                    job.count("reports", 1);
                }
            }
        }
        Step::Erase if job.erase => Box::pin(erase(deps, job)).await?,
        Step::Erase => {}
        Step::Inbox => Box::pin(inbox(deps, job)).await?,
        Step::Conversations => job.count("conversations", store.delete_summaries(&user).await?),
        Step::Limits => {
            job.count("limits", store.forget_limits(&user, deps.clock.now_ms()).await?);
            job.count("exports", crate::export::forget_export(deps, &user).await?);
        }
        Step::Done => {}
    }
    Ok(())
}

/// Leaves every group with the usual notice; a group the user created gets the longest
/// member as its creator first, or is deleted when nobody else is in it. The group in hand
/// is saved in the job first, so a run that stopped between the membership change and
/// its notice stores the notice on resuming (once: a notice already there is not repeated).
async fn groups<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &Deps<S, P, C, Q>,
    job: &mut DeletionJob,
) -> Result<(), Refusal> {
    let user = job.user.clone();
    let mut gids = deps.store.groups_of(&user).await?;
    if let Some(pending) = job.group.clone()
        && !gids.contains(&pending)
    {
        gids.insert(0, pending);
    }
    for gid in gids {
        job.group = Some(gid.clone());
        deps.store.save_deletion(job).await?;
        if let Some(group) = deps.store.group(&gid).await? {
            leave(deps, job, &group).await?;
        }
        job.group = None;
        deps.store.save_deletion(job).await?;
    }
    Ok(())
}

async fn leave<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &Deps<S, P, C, Q>,
    job: &mut DeletionJob,
    group: &chat_core::group::Group,
) -> Result<(), Refusal> {
    let user = job.user.clone();
    let text = format!("{} left", crate::groups::names(std::slice::from_ref(&user)));
    if !group.is_member(&user) {
        // Left by a run that stopped before its notice: send it, unless it is there.
        let Some(member) = group.members.first() else { return Ok(()) };
        let conversation = chat_core::ids::Conversation::Group(group.id.clone());
        let recent = deps.store.history(member, &conversation, None, 20).await?;
        if !recent.entries.iter().any(|e| e.from == chat_core::message::SYSTEM_SENDER && e.body == text) {
            let system = crate::server::system();
            let request = deps.acting_as(&system, chat_core::message::Origin::Server);
            request.announce(&group.id, &group.name, group.members.clone(), text).await?;
        }
        job.count("groupsLeft", 1);
        return Ok(());
    }
    match group.members.iter().find(|m| **m != user).cloned() {
        None => {
            deps.store.delete_group(&group.id).await?;
            job.count("groupsDeleted", 1);
        }
        Some(heir) => {
            if group.creator == user && deps.store.transfer_group(&group.id, &user, &heir).await? {
                job.count("groupsHandedOver", 1);
            }
            crate::server::change_members(deps, &group.id, &[], std::slice::from_ref(&user)).await?;
            job.count("groupsLeft", 1);
        }
    }
    Ok(())
}

/// Deletes every message the user sent from every holder's inbox, as a moderator's delete
/// (an `update` at the next seq of each: sync stays exact), page by page from the cursor.
async fn erase<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &Deps<S, P, C, Q>,
    job: &mut DeletionJob,
) -> Result<(), Refusal> {
    loop {
        let page = deps.store.sync(&job.user, job.cursor, PAGE).await?;
        let Some(last) = page.entries.last().map(|e| e.seq) else { return Ok(()) };
        let user = job.user.clone();
        // Its attachments first: once deleted, the message no longer names them.
        let sent: Vec<InboxEntry> = page.entries.iter().filter(|e| sent_message(e, &user)).cloned().collect();
        forget_uploads(deps, job, &sent).await?;
        for e in &sent {
            match crate::server::moderator_delete(deps, &e.conversation, e.msg_id.clone()).await {
                Ok(()) => job.count("erasedMessages", 1),
                // Deleted meanwhile (or by a run that stopped before saving): nothing to do.
                Err(Refusal::Client { code: chat_core::protocol::ErrorCode::NotFound, .. }) => {}
                Err(e) => return Err(e),
            }
        }
        job.cursor = last;
        deps.store.save_deletion(job).await?;
    }
}

/// Whether `e` is a live message `user` sent (not an update, a notice or a deleted one).
fn sent_message(e: &InboxEntry, user: &UserId) -> bool {
    e.from == user.as_str() && e.kind.is_none() && !e.deleted
}

/// Reads the inbox page by page, removing what hangs off each entry (idempotency records,
/// the uploads the user attached and their objects), then deletes the inbox itself.
async fn inbox<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &Deps<S, P, C, Q>,
    job: &mut DeletionJob,
) -> Result<(), Refusal> {
    loop {
        let page = deps.store.sync(&job.user, job.cursor, PAGE).await?;
        let Some(last) = page.entries.last().map(|e| e.seq) else { break };
        let now = deps.clock.now_ms();
        job.count("idempotencyRecords", deps.store.forget_entries(&job.user, &page.entries, now).await?);
        forget_uploads(deps, job, &page.entries).await?;
        job.count("inboxEntries", page.entries.len() as u64);
        job.cursor = last;
        deps.store.save_deletion(job).await?;
    }
    deps.store.delete_inbox(&job.user).await?;
    Ok(())
}

/// Deletes the uploads the user attached to these entries of its inbox: their objects
/// (original and thumbnail) and their records.
async fn forget_uploads<S: Store, P, C, Q>(
    deps: &Deps<S, P, C, Q>,
    job: &mut DeletionJob,
    entries: &[InboxEntry],
) -> Result<(), Refusal> {
    let uploads: Vec<UploadId> = entries
        .iter()
        .filter(|e| e.from == job.user.as_str())
        .flat_map(|e| e.attachments.iter())
        .filter_map(|a| UploadId::parse(&a.attachment_id).ok())
        .collect();
    if uploads.is_empty() {
        return Ok(());
    }
    if let Some(media) = &deps.media {
        for id in &uploads {
            for key in [original_key(id), thumbnail_key(id)] {
                media.blobs.delete(&key).await.map_err(|e| Refusal::internal("deleting an object", e))?;
            }
        }
        job.count("objects", uploads.len() as u64);
    }
    job.count("uploads", deps.store.delete_uploads(&uploads).await?);
    Ok(())
}
