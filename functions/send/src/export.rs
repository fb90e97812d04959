//! Account export (`account.export`, `POST /v1/users/{id}/export`): [`start_export`]
//! stores the job and answers at once; [`run_export`] reads the user's data page by page
//! into one NDJSON file (`chat_core::export` says what it holds), writes it to the media
//! bucket, tells the user's live connections where it is (`exported`, a link for 24
//! hours) and saves the job done (the `account.exported` event). A run is reads and one
//! write: one that stops anywhere is run again from the start, and writes the same key.

use chat_core::clock::Clock;
use chat_core::export::{AttachmentLink, CONTENT_TYPE, ExportFile, own_attachments};
use chat_core::ids::UserId;
use chat_core::media::{UploadId, original_key};
use chat_core::poster::Poster;
use chat_core::protocol::{ErrorCode, ServerFrame};
use chat_core::store::export::{EXPORT_LINK_TTL_MS, export_key};
use chat_core::store::{ExportJob, Store, StoreError};
use chat_lambda::{Refusal, deliver as post};

use crate::{Deps, Media};

/// Inbox entries and conversations read per request.
const PAGE: u32 = 100;

/// Stores a new export job for `user`, unless one is running (that one is returned).
pub async fn start_export<S: Store, P, C: Clock, Q>(
    deps: &Deps<S, P, C, Q>,
    user: &UserId,
) -> Result<ExportJob, StoreError> {
    let now = deps.clock.now_ms();
    let job = ExportJob::new(format!("exp_{}", chat_core::ids::MsgId::generate(now)), user.clone(), now);
    deps.store.start_export(&job).await
}

/// The refusal of an export on a deployment without a media bucket (nowhere to write it).
pub fn no_media() -> Refusal {
    Refusal::client(ErrorCode::BadRequest, "exports need the media bucket, which this deployment does not have")
}

impl<S: Store, P, C: Clock, Q> crate::Request<'_, S, P, C, Q> {
    /// `account.export`: answers with the job at once (the running one, if any). A new
    /// one is refused within an hour of the previous request (`rate_limited`).
    pub(crate) async fn account_export(&self) -> Result<ServerFrame, Refusal> {
        if self.deps.media.is_none() {
            return Err(no_media());
        }
        let now = self.deps.clock.now_ms();
        let latest = self.deps.store.export_job(self.user).await?;
        let job = match latest {
            Some(running) if !running.done() => running,
            Some(done) if done.cooldown_left(now) > 0 => {
                return Err(Refusal::RateLimited { retry_after_ms: done.cooldown_left(now) });
            }
            _ => start_export(self.deps, self.user).await?,
        };
        tracing::info!(user = %self.user, job = %job.job_id, "account export requested");
        Ok(ServerFrame::Exporting { id: self.id.clone(), job_id: job.job_id })
    }
}

/// A link to `job`'s file that works until the file's own expiry, if it is written and
/// not expired (`GET /v1/users/{id}/export` hands out a fresh one).
pub async fn link<S, P, C: Clock, Q>(deps: &Deps<S, P, C, Q>, job: &ExportJob) -> Result<Option<String>, Refusal> {
    let (Some(media), Some(key), Some(expires_at)) = (&deps.media, &job.key, job.expires_at) else { return Ok(None) };
    if !job.link_live(deps.clock.now_ms()) {
        return Ok(None);
    }
    let url = media.blobs.presign_get(key, expires_at, Some(&file_name(job))).await.map_err(storage_failed)?;
    Ok(Some(url))
}

/// Deletes `user`'s export job and its file (an account deletion); returns how many
/// exports there were (0 or 1).
pub async fn forget_export<S: Store, P, C, Q>(deps: &Deps<S, P, C, Q>, user: &UserId) -> Result<u64, Refusal> {
    let Some(job) = deps.store.export_job(user).await? else { return Ok(0) };
    if let (Some(media), Some(key)) = (&deps.media, &job.key) {
        media.blobs.delete(key).await.map_err(storage_failed)?;
    }
    Ok(u64::from(deps.store.delete_export(user).await?))
}

/// The name the file downloads as.
fn file_name(job: &ExportJob) -> String {
    format!("chat-export-{}.ndjson", job.job_id)
}

fn storage_failed(e: chat_core::media::BlobError) -> Refusal {
    Refusal::internal("object storage failed", e)
}

/// Runs `job`: builds the file, writes it, tells the user's connections, saves the job
/// done. A job already done is returned as it is; one of an account being deleted is
/// dropped (returned not done).
pub async fn run_export<S: Store, P: Poster, C: Clock, Q>(
    deps: &Deps<S, P, C, Q>,
    mut job: ExportJob,
) -> Result<ExportJob, Refusal> {
    if job.done() {
        return Ok(job);
    }
    let media = deps.media.as_ref().ok_or_else(no_media)?;
    let now = deps.clock.now_ms();
    // An account being deleted is not exported: its data is going (and the deletion
    // forgets this job too).
    if deps.store.ban(&job.user, now).await?.is_some_and(|b| b.deleted) {
        deps.store.delete_export(&job.user).await?;
        tracing::info!(user = %job.user, job = %job.job_id, "export dropped: the account is being deleted");
        return Ok(job);
    }
    let expires_at = now + EXPORT_LINK_TTL_MS;
    let mut file = ExportFile::new(&job, now);
    let links = build(deps, media, &job.user, &mut file, expires_at).await?;
    for link in &links {
        file.attachment(link);
    }
    let written = file.finish();
    let key = export_key(&job.job_id);
    let bytes = written.bytes.len() as u64;
    media.blobs.put(&key, written.bytes, CONTENT_TYPE).await.map_err(storage_failed)?;
    job.finish(key, bytes, written.counts, written.truncated, now);
    let url = link(deps, &job).await?.unwrap_or_default();
    tell(deps, &job, url).await?;
    deps.store.save_export(&job).await?;
    tracing::info!(user = %job.user, job = %job.job_id, bytes, counts = ?job.counts, "account exported");
    Ok(job)
}

/// Reads everything but the attachment links into `file`; returns those links (written
/// last, after the inbox they are found in).
async fn build<S: Store, P, C: Clock, Q>(
    deps: &Deps<S, P, C, Q>,
    media: &Media,
    user: &UserId,
    file: &mut ExportFile,
    expires_at: u64,
) -> Result<Vec<AttachmentLink>, Refusal> {
    let store = &deps.store;
    let now = deps.clock.now_ms();
    let mut before = None;
    loop {
        let page = store.conversations(user, before, PAGE).await?;
        for s in &page.items {
            file.conversation(s, now);
        }
        match page.next {
            Some(next) if !page.items.is_empty() => before = Some(next),
            _ => break,
        }
    }
    for gid in store.groups_of(user).await? {
        if let Some(g) = store.group(&gid).await? {
            file.group(&g);
        }
    }
    for other in store.blocks(user).await? {
        file.block(&other);
    }
    for device in store.endpoints(user).await? {
        file.device(device.platform);
    }
    let mut links = Vec::new();
    let mut after = 0;
    'inbox: loop {
        let page = store.sync(user, after, PAGE).await?;
        for e in &page.entries {
            if !file.entry(e) {
                break 'inbox;
            }
            for a in own_attachments(user, e) {
                let Ok(id) = UploadId::parse(&a.attachment_id) else { continue };
                let url = media
                    .blobs
                    .presign_get(&original_key(&id), expires_at, Some(&a.name))
                    .await
                    .map_err(storage_failed)?;
                links.push(AttachmentLink {
                    msg_id: e.msg_id.clone(),
                    conversation: e.conversation.clone(),
                    attachment: a.clone(),
                    url,
                    expires_at,
                });
            }
        }
        // `next` ends the inbox without reading an empty page (and steps over a page of
        // expired entries, which comes back empty with a `next`).
        match page.next {
            Some(next) if next > after => after = next,
            _ => break,
        }
    }
    Ok(links)
}

/// Posts `exported` to every live connection of the user (none: the link is still in
/// `GET /v1/users/{id}/export`, and the event tells the app's backend).
async fn tell<S: Store, P: Poster, C: Clock, Q>(
    deps: &Deps<S, P, C, Q>,
    job: &ExportJob,
    url: String,
) -> Result<(), Refusal> {
    let expires_at = job.expires_at.unwrap_or_default();
    let frame = ServerFrame::Exported { job_id: job.job_id.clone(), url, expires_at }.to_json();
    let now = deps.clock.now_ms();
    let targets =
        deps.store.connections(&job.user, now / 1000).await?.into_iter().map(|c| (c, frame.as_str())).collect();
    post::fan_out(&deps.store, &deps.poster, now, targets).await;
    Ok(())
}
