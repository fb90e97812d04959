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
    if let Some(running) = deps.store.deletion(user).await?.filter(|j| !j.done()) {
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
        step(deps, notifier, &mut job).await?;
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
            // Expired records too (`now` 0): everything that names a connection goes.
            for c in store.connections(&user, 0).await? {
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
        Step::Groups => groups(deps, job).await?,
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
        Step::Erase if job.erase => erase(deps, job).await?,
        Step::Erase => {}
        Step::Inbox => inbox(deps, job).await?,
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
/// member as its creator first, or is deleted when nobody else is in it.
async fn groups<S: Store, P: Poster, C: Clock, Q: PushQueue>(
    deps: &Deps<S, P, C, Q>,
    job: &mut DeletionJob,
) -> Result<(), Refusal> {
    let user = job.user.clone();
    for gid in deps.store.groups_of(&user).await? {
        let Some(group) = deps.store.group(&gid).await? else { continue };
        let heir = group.members.iter().find(|m| **m != user).cloned();
        match heir {
            None => {
                deps.store.delete_group(&gid).await?;
                job.count("groupsDeleted", 1);
            }
            Some(heir) => {
                if group.creator == user && deps.store.transfer_group(&gid, &user, &heir).await? {
                    job.count("groupsHandedOver", 1);
                }
                crate::server::change_members(deps, &gid, &[], std::slice::from_ref(&user)).await?;
                job.count("groupsLeft", 1);
            }
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
        for e in page.entries.iter().filter(|e| sent_message(e, &user)) {
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
        job.count("idempotencyRecords", deps.store.forget_entries(&job.user, &page.entries).await?);
        let uploads: Vec<UploadId> = page
            .entries
            .iter()
            .filter(|e| e.from == job.user.as_str())
            .flat_map(|e| e.attachments.iter())
            .filter_map(|a| UploadId::parse(&a.attachment_id).ok())
            .collect();
        if !uploads.is_empty() {
            if let Some(media) = &deps.media {
                for id in &uploads {
                    for key in [original_key(id), thumbnail_key(id)] {
                        media.blobs.delete(&key).await.map_err(|e| Refusal::internal("deleting an object", e))?;
                    }
                }
                job.count("objects", uploads.len() as u64);
            }
            job.count("uploads", deps.store.delete_uploads(&uploads).await?);
        }
        job.count("inboxEntries", page.entries.len() as u64);
        job.cursor = last;
        deps.store.save_deletion(job).await?;
    }
    deps.store.delete_inbox(&job.user).await?;
    Ok(())
}
