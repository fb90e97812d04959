//! `upload` and `attachment`: URLs for bytes that never pass through here. `upload` hands
//! out a presigned PUT bound to the declared type and size, for a conversation the caller
//! is in; `send` attaches finished uploads (checked by the media function); `attachment`
//! hands out a short-lived GET, only to someone whose inbox holds the message.

use std::collections::BTreeMap;

use chat_core::clock::Clock;
use chat_core::ids::{Conversation, MsgId};
use chat_core::media::{
    self, Attachment, Blobs, DOWNLOAD_URL_TTL_MS, UPLOAD_URL_TTL_MS, Upload, UploadId, UploadPolicy, UploadState,
};
use chat_core::poster::Poster;
use chat_core::protocol::{ErrorCode, ServerFrame};
use chat_core::push::PushQueue;
use chat_core::store::Store;
use chat_lambda::Refusal;

use crate::Request;

/// Object storage and what may be uploaded to it; without it, a deployment has no
/// attachments (`upload` is refused).
#[derive(Clone)]
pub struct Media {
    /// The bucket (or the devserver's directory).
    pub blobs: Blobs,
    /// Size and type limits.
    pub policy: UploadPolicy,
}

impl std::fmt::Debug for Media {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Media").field("policy", &self.policy).finish_non_exhaustive()
    }
}

fn storage_failed(e: media::BlobError) -> Refusal {
    Refusal::internal("object storage failed", e)
}

impl<S: Store, P: Poster, C: Clock, Q: PushQueue> Request<'_, S, P, C, Q> {
    fn media(&self) -> Result<&Media, Refusal> {
        self.deps
            .media
            .as_ref()
            .ok_or_else(|| Refusal::client(ErrorCode::BadRequest, "attachments are not enabled on this deployment"))
    }

    /// `upload`: a presigned PUT for a file to send in `conversation`.
    pub(crate) async fn upload(
        &self,
        conversation: Conversation,
        content_type: String,
        size: u64,
        name: Option<String>,
    ) -> Result<ServerFrame, Refusal> {
        let media = self.media()?;
        self.participant_of(&conversation).await?;
        if !media.policy.allows(&content_type) {
            let allowed = media.policy.types.join(", ");
            return Err(Refusal::client(
                ErrorCode::BadRequest,
                format!("content type not allowed; allowed: {allowed}"),
            ));
        }
        if size > media.policy.max_bytes {
            let max = media.policy.max_bytes;
            return Err(Refusal::client(ErrorCode::TooLarge, format!("size is {size} bytes; the limit is {max}")));
        }
        let now = self.deps.clock.now_ms();
        let upload = Upload {
            id: UploadId::generate(now),
            owner: self.user.clone(),
            conversation,
            content_type: media::essence(&content_type),
            size,
            name: media::sanitize_name(name.as_deref()),
            created_at: now,
            state: UploadState::Pending,
            thumbnail: false,
            width: None,
            height: None,
            used_by: None,
        };
        self.deps.store.put_upload(&upload).await?;
        let key = media::original_key(&upload.id);
        let put = media
            .blobs
            .presign_put(&key, &upload.content_type, size, now + UPLOAD_URL_TTL_MS)
            .await
            .map_err(storage_failed)?;
        Ok(ServerFrame::Upload {
            id: self.id.clone(),
            upload_id: upload.id.to_string(),
            method: "PUT".into(),
            url: put.url,
            headers: put.headers.into_iter().collect::<BTreeMap<_, _>>(),
            expires_at: put.expires_at,
        })
    }

    /// The attachments of a new message from its upload ids: each the caller's, for this
    /// conversation, finished and unused (the store checks again, atomically, on append).
    pub(crate) async fn attachments(
        &self,
        conversation: &Conversation,
        ids: &[UploadId],
    ) -> Result<Vec<Attachment>, Refusal> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.media()?;
        let found = self.deps.store.uploads(ids).await?;
        ids.iter()
            .zip(found)
            .map(|(id, upload)| {
                let upload = upload.ok_or_else(|| Refusal::client(ErrorCode::BadRequest, format!("no upload {id}")))?;
                match upload.refusal(self.user, conversation) {
                    None => Ok(upload.attachment()),
                    Some(why) => Err(Refusal::client(ErrorCode::BadRequest, format!("upload {id} is {why}"))),
                }
            })
            .collect()
    }

    /// Marks attached uploads (and thumbnails) to be kept: the bucket's lifecycle rule
    /// deletes unattached ones after a day. A failure is logged, never fails the send.
    pub(crate) async fn keep(&self, attachments: &[Attachment]) {
        let Some(media) = self.deps.media.as_ref() else { return };
        for a in attachments {
            let Ok(id) = UploadId::parse(&a.attachment_id) else { continue };
            let mut keys = vec![media::original_key(&id)];
            if a.thumbnail {
                keys.push(media::thumbnail_key(&id));
            }
            for key in keys {
                if let Err(e) = media.blobs.keep(&key).await {
                    tracing::warn!(%key, error = %chat_lambda::refusal::cause_chain(&e), "could not mark an attachment kept");
                }
            }
        }
    }

    /// `attachment`: a short-lived GET of an attachment of a message in the caller's inbox.
    pub(crate) async fn attachment(
        &self,
        msg_id: MsgId,
        attachment_id: UploadId,
        thumbnail: bool,
    ) -> Result<ServerFrame, Refusal> {
        let media = self.media()?;
        let not_found = || Refusal::client(ErrorCode::NotFound, "no such attachment in your inbox");
        let entry = self.deps.store.message(self.user, &msg_id).await?.ok_or_else(not_found)?;
        let a = entry.attachments.iter().find(|a| a.attachment_id == attachment_id.as_str()).ok_or_else(not_found)?;
        if entry.deleted || (thumbnail && !a.thumbnail) {
            return Err(not_found());
        }
        let key = if thumbnail { media::thumbnail_key(&attachment_id) } else { media::original_key(&attachment_id) };
        let expires_at = self.deps.clock.now_ms() + DOWNLOAD_URL_TTL_MS;
        let name = (!thumbnail).then_some(a.name.as_str());
        let url = media.blobs.presign_get(&key, expires_at, name).await.map_err(storage_failed)?;
        Ok(ServerFrame::Attachment { id: self.id.clone(), url, expires_at })
    }
}
