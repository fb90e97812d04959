//! Attachments: what may be uploaded, what a stored upload is, and the rules the `upload`,
//! `send` and `attachment` actions and the media function share. Bytes never pass through
//! the backend's API: clients PUT them straight to object storage with a presigned URL
//! ([`BlobStore`]), the media function checks them (by magic bytes, not the declared type)
//! and makes a thumbnail of images, and `send` attaches finished uploads to a message.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::BoxError;
use crate::config::{ConfigError, Vars};
use crate::ids::{Conversation, MsgId, UserId};
use crate::schema::env;

/// Most attachments on one message.
pub const MAX_ATTACHMENTS: usize = 10;
/// Largest upload by default (25 MiB); `CHAT_MAX_UPLOAD_BYTES` changes it.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 25 * 1024 * 1024;
/// How long an upload URL works.
pub const UPLOAD_URL_TTL_MS: u64 = 15 * 60 * 1000;
/// How long a download URL works.
pub const DOWNLOAD_URL_TTL_MS: u64 = 5 * 60 * 1000;
/// How long an upload may stay unattached before it (record and object) is dropped.
pub const UNATTACHED_TTL_MS: u64 = 24 * 60 * 60 * 1000;
/// The longest side of a thumbnail, in pixels.
pub const THUMBNAIL_MAX_SIDE: u32 = 320;
/// Longest file name kept, in characters.
pub const MAX_NAME_CHARS: usize = 255;
/// The content types allowed by default: images, audio, MP4 video and PDF documents.
pub const DEFAULT_TYPES: &str =
    "image/jpeg,image/png,image/gif,image/webp,image/heic,audio/*,video/mp4,application/pdf";

/// The object key of an upload's bytes.
pub fn original_key(upload: &UploadId) -> String {
    format!("u/{}", upload.as_str())
}

/// The object key of an upload's thumbnail.
pub fn thumbnail_key(upload: &UploadId) -> String {
    format!("t/{}.jpg", upload.as_str())
}

/// The upload an original's object key names, if it is one.
pub fn upload_of_key(key: &str) -> Option<UploadId> {
    UploadId::parse(key.strip_prefix("u/")?).ok()
}

/// An upload's id: a server-made ULID (also the attachment's id once sent).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UploadId(String);

impl UploadId {
    /// A new id at `now_ms`.
    pub fn generate(now_ms: u64) -> Self {
        Self(ulid::Ulid::from_parts(now_ms, rand_bits()).to_string())
    }

    /// Checks an id from a client: 26 characters of Crockford base32.
    pub fn parse(s: &str) -> Result<Self, crate::ids::IdError> {
        if s.len() == 26 && ulid::Ulid::from_string(s).is_ok() {
            Ok(Self(s.to_owned()))
        } else {
            Err(crate::ids::IdError::Charset { what: "upload id", allowed: "a ULID (26 characters)" })
        }
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn rand_bits() -> u128 {
    ulid::Ulid::new().random()
}

impl std::fmt::Display for UploadId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An attachment as it rides on a message (`message` frames, `sync`, `history`).
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// Its id: ask for its URL with `attachment`.
    pub attachment_id: String,
    /// The file name the sender gave (or `file`).
    pub name: String,
    /// The content type the sender declared.
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    /// Whether a thumbnail exists (`variant: "thumbnail"`): images only.
    pub thumbnail: bool,
    /// An image's width in pixels (upright).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub width: Option<u32>,
    /// An image's height in pixels (upright).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub height: Option<u32>,
}

/// Where an upload stands.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadState {
    /// URL handed out; the bytes have not been checked yet.
    Pending,
    /// Checked: may be attached.
    Ready,
    /// The bytes did not match what was declared (size), or could not be read.
    Rejected,
}

/// An upload as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    /// Its id.
    pub id: UploadId,
    /// Who asked for it; only they may attach it.
    pub owner: UserId,
    /// The only conversation it may be attached in.
    pub conversation: Conversation,
    /// The declared content type (bound into the upload URL).
    pub content_type: String,
    /// The declared size (bound into the upload URL).
    pub size: u64,
    /// The file name, sanitized.
    pub name: String,
    /// When it was asked for (ms).
    pub created_at: u64,
    /// Where it stands.
    pub state: UploadState,
    /// Whether a thumbnail was made.
    pub thumbnail: bool,
    /// An image's upright dimensions.
    pub width: Option<u32>,
    /// See `width`.
    pub height: Option<u32>,
    /// The message it was attached to; an upload is attached once.
    pub used_by: Option<MsgId>,
}

impl Upload {
    /// The attachment this upload becomes on a message.
    pub fn attachment(&self) -> Attachment {
        Attachment {
            attachment_id: self.id.to_string(),
            name: self.name.clone(),
            content_type: self.content_type.clone(),
            size: self.size,
            thumbnail: self.thumbnail,
            width: self.width,
            height: self.height,
        }
    }

    /// Why `by` may not attach this upload to a new message in `conversation`, if it may not.
    pub fn refusal(&self, by: &UserId, conversation: &Conversation) -> Option<&'static str> {
        if &self.owner != by {
            return Some("an upload of another user");
        }
        if &self.conversation != conversation {
            return Some("an upload made for another conversation");
        }
        if self.used_by.is_some() {
            return Some("an upload already attached to a message");
        }
        match self.state {
            UploadState::Ready => None,
            UploadState::Pending => Some("an upload not complete yet (wait for it, then send)"),
            UploadState::Rejected => Some("an upload whose bytes did not match what was declared"),
        }
    }
}

/// What checking an upload's bytes found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    /// Ready or rejected.
    pub state: UploadState,
    /// Whether a thumbnail was written.
    pub thumbnail: bool,
    /// An image's upright dimensions.
    pub width: Option<u32>,
    /// See `width`.
    pub height: Option<u32>,
}

/// What the upload action may hand out: size and type limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPolicy {
    /// Largest upload, bytes.
    pub max_bytes: u64,
    /// Allowed types: exact (`image/png`) or a whole family (`audio/*`).
    pub types: Vec<String>,
}

impl Default for UploadPolicy {
    fn default() -> Self {
        Self { max_bytes: DEFAULT_MAX_UPLOAD_BYTES, types: split_types(DEFAULT_TYPES) }
    }
}

fn split_types(list: &str) -> Vec<String> {
    list.split(',').map(|t| t.trim().to_ascii_lowercase()).filter(|t| !t.is_empty()).collect()
}

impl UploadPolicy {
    /// `CHAT_MAX_UPLOAD_BYTES` and `CHAT_UPLOAD_TYPES` (comma-separated), else the defaults.
    pub fn from_vars(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        let d = Self::default();
        let max_bytes = vars.parse_or(env::MAX_UPLOAD_BYTES, d.max_bytes, "a number of bytes")?;
        let types = vars.get(env::UPLOAD_TYPES).map(|t| split_types(&t)).unwrap_or(d.types);
        Ok(Self { max_bytes, types })
    }

    /// Whether `content_type` (parameters ignored) is on the allow-list.
    pub fn allows(&self, content_type: &str) -> bool {
        let t = essence(content_type);
        self.types.iter().any(|a| match a.strip_suffix("/*") {
            Some(family) => t.split_once('/').is_some_and(|(f, sub)| f == family && !sub.is_empty()),
            None => *a == t,
        })
    }
}

/// A content type without parameters, lower-case: `image/png; x=y` -> `image/png`.
pub fn essence(content_type: &str) -> String {
    content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// A file name safe to keep and to put in a download's `Content-Disposition`: no path, no
/// control characters or quotes, at most 255 characters; `file` when nothing is left.
pub fn sanitize_name(name: Option<&str>) -> String {
    let base = name.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String =
        base.chars().filter(|c| !c.is_control() && !matches!(c, '"' | '\\')).take(MAX_NAME_CHARS).collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." { "file".to_owned() } else { cleaned.to_owned() }
}

/// What a file is, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
    /// GIF.
    Gif,
    /// WebP.
    Webp,
    /// Anything else (PDF, audio, video, unknown): kept as a file, no thumbnail.
    Other,
}

impl Sniffed {
    /// Whether a thumbnail can be made of it.
    pub fn is_image(self) -> bool {
        !matches!(self, Self::Other)
    }
}

/// Looks at the magic bytes.
pub fn sniff(bytes: &[u8]) -> Sniffed {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Sniffed::Jpeg
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Sniffed::Png
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Sniffed::Gif
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Sniffed::Webp
    } else {
        Sniffed::Other
    }
}

/// What a push notification says of a message with attachments and this body.
pub fn push_text(body: &str, attachments: &[Attachment]) -> String {
    let Some(first) = attachments.first() else { return body.to_owned() };
    let what = if attachments.len() > 1 {
        format!("{} attachments", attachments.len())
    } else {
        let t = essence(&first.content_type);
        if t.starts_with("image/") {
            "Photo".to_owned()
        } else if t.starts_with("video/") {
            "Video".to_owned()
        } else if t.starts_with("audio/") {
            "Voice message".to_owned()
        } else {
            format!("File: {}", first.name)
        }
    };
    if body.is_empty() { what } else { format!("{what}: {body}") }
}

/// A presigned upload: the client sends the bytes with exactly this method, URL and headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedPut {
    /// Where to PUT.
    pub url: String,
    /// Headers to send as they are (the signature covers them).
    pub headers: Vec<(String, String)>,
    /// When the URL stops working (ms).
    pub expires_at: u64,
}

/// Why object storage failed.
#[derive(Debug, thiserror::Error)]
#[error("object storage failed")]
pub struct BlobError(#[source] pub BoxError);

/// A boxed future, for the object-safe [`BlobStore`].
pub type BlobFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, BlobError>> + Send + 'a>>;

/// Object storage: S3 in AWS (and with `--s3` on the devserver), the devserver's own
/// directory by default. Object-safe, so functions hold it as [`Blobs`].
pub trait BlobStore: Send + Sync {
    /// A URL to PUT exactly `size` bytes of `content_type` at `key`, until `expires_at` (ms).
    fn presign_put<'a>(
        &'a self,
        key: &'a str,
        content_type: &'a str,
        size: u64,
        expires_at: u64,
    ) -> BlobFuture<'a, PresignedPut>;
    /// A URL to GET `key` until `expires_at` (ms), downloaded as `file_name` when given.
    fn presign_get<'a>(&'a self, key: &'a str, expires_at: u64, file_name: Option<&'a str>) -> BlobFuture<'a, String>;
    /// The size of the object at `key`, if there is one.
    fn size<'a>(&'a self, key: &'a str) -> BlobFuture<'a, Option<u64>>;
    /// The object at `key` (at most `max_bytes`; larger is an error).
    fn get<'a>(&'a self, key: &'a str, max_bytes: u64) -> BlobFuture<'a, Vec<u8>>;
    /// Writes an object (thumbnails).
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>, content_type: &'a str) -> BlobFuture<'a, ()>;
    /// Deletes an object (a rejected upload).
    fn delete<'a>(&'a self, key: &'a str) -> BlobFuture<'a, ()>;
    /// Marks an object attached, so the lifecycle rule for unattached uploads spares it.
    fn keep<'a>(&'a self, key: &'a str) -> BlobFuture<'a, ()>;
}

/// A shared object store.
pub type Blobs = Arc<dyn BlobStore>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_allow_list_takes_images_audio_mp4_and_pdf_only() {
        let p = UploadPolicy::default();
        for ok in
            ["image/png", "IMAGE/JPEG", "image/webp; q=1", "audio/ogg", "audio/mpeg", "video/mp4", "application/pdf"]
        {
            assert!(p.allows(ok), "{ok}");
        }
        for no in ["text/html", "image/svg+xml", "video/webm", "application/x-msdownload", "audio/", "", "audio"] {
            assert!(!p.allows(no), "{no}");
        }
    }

    #[test]
    fn magic_bytes_decide_not_names() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Sniffed::Png);
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Sniffed::Jpeg);
        assert_eq!(sniff(b"GIF89a.."), Sniffed::Gif);
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Sniffed::Webp);
        assert_eq!(sniff(b"%PDF-1.7"), Sniffed::Other);
        assert_eq!(sniff(b""), Sniffed::Other);
    }

    #[test]
    fn names_lose_paths_and_control_characters() {
        assert_eq!(sanitize_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(sanitize_name(Some("C:\\x\\a\"b.pdf")), "ab.pdf");
        assert_eq!(sanitize_name(Some("\u{7}\n")), "file");
        assert_eq!(sanitize_name(None), "file");
        assert_eq!(sanitize_name(Some(&"é".repeat(300))).chars().count(), 255);
    }

    #[test]
    fn push_previews_say_what_was_sent() {
        let a = |t: &str, n: &str| Attachment {
            attachment_id: "x".into(),
            name: n.into(),
            content_type: t.into(),
            size: 1,
            thumbnail: false,
            width: None,
            height: None,
        };
        assert_eq!(push_text("", &[a("image/png", "p.png")]), "Photo");
        assert_eq!(push_text("look", &[a("image/png", "p.png")]), "Photo: look");
        assert_eq!(push_text("", &[a("application/pdf", "a.pdf")]), "File: a.pdf");
        assert_eq!(push_text("", &[a("audio/ogg", "v.ogg"), a("image/png", "p")]), "2 attachments");
        assert_eq!(push_text("hi", &[]), "hi");
    }

    #[test]
    fn keys_name_their_upload() {
        let id = UploadId::generate(5);
        assert_eq!(upload_of_key(&original_key(&id)), Some(id.clone()));
        assert_eq!(upload_of_key(&thumbnail_key(&id)), None);
        assert!(UploadId::parse("../x").is_err());
    }
}
