//! Attachments' object storage for the devserver. By default its own directory
//! ([`LocalBlobs`]: the data dir's `blobs/`, or a temporary one in memory mode), with URLs
//! on the devserver's own port, signed (HMAC-SHA256 with a key made at start) so they
//! cannot be forged, bound to the method, key, expiry, and for uploads the exact type and
//! size, like S3's presigned URLs; an upload URL works once. With `--s3`, S3 through the
//! SDK ([`Watched`] around `chat_s3::S3Blobs`): as S3 would tell the media function, a
//! watcher looks for each upload's object and runs the same check in-process.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chat_core::media::{BlobError, BlobFuture, BlobStore, PresignedPut};
use chat_core::store::{ConnectionStore, UploadStore};
use ring::hmac;
use serde::Deserialize;

/// The query of a signed URL.
#[derive(Debug, Deserialize)]
pub struct Signed {
    /// Expiry, ms since the epoch.
    pub exp: u64,
    /// Uploads: the exact size.
    pub len: Option<u64>,
    /// Uploads: the exact content type.
    #[serde(rename = "type")]
    pub content_type: Option<String>,
    /// Downloads: the file name to save as.
    pub name: Option<String>,
    /// The signature, hex.
    pub sig: String,
}

/// Files in a directory, behind signed URLs.
pub struct LocalBlobs {
    dir: PathBuf,
    base: String,
    key: hmac::Key,
}

fn io(e: std::io::Error) -> BlobError {
    BlobError(Box::new(e))
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Percent-encodes a query value.
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl LocalBlobs {
    /// Objects under `dir` (created), URLs under `base` (`http://HOST:PORT`).
    pub fn new(dir: PathBuf, base: String) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        let mut secret = [0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut secret)
            .map_err(|_| std::io::Error::other("no randomness for the URL key"))?;
        Ok(Self { dir, base, key: hmac::Key::new(hmac::HMAC_SHA256, &secret) })
    }

    /// The file of `key`, if `key` is one this store makes (`u/<id>`, `t/<id>.jpg`).
    fn path(&self, key: &str) -> Option<PathBuf> {
        let ok = !key.is_empty()
            && key.len() <= 128
            && key.split('/').all(|p| !p.is_empty() && p != "." && p != "..")
            && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'));
        ok.then(|| self.dir.join(key))
    }

    fn message(method: &str, key: &str, exp: u64, extra: &[&str]) -> String {
        let mut m = format!("{method}\n{key}\n{exp}");
        for e in extra {
            m.push('\n');
            m.push_str(e);
        }
        m
    }

    fn sign(&self, message: &str) -> String {
        hex::encode(hmac::sign(&self.key, message.as_bytes()).as_ref())
    }

    fn verify(&self, message: &str, sig: &str, exp: u64) -> Result<(), &'static str> {
        let sig = hex::decode(sig).map_err(|_| "malformed signature")?;
        hmac::verify(&self.key, message.as_bytes(), &sig).map_err(|_| "signature does not match")?;
        if exp < now_ms() {
            return Err("the URL has expired");
        }
        Ok(())
    }

    /// Checks an upload (PUT) against its URL: signature, expiry, exact type and size.
    pub fn verify_put(&self, key: &str, q: &Signed, content_type: Option<&str>, len: u64) -> Result<(), &'static str> {
        let (Some(want_len), Some(want_type)) = (q.len, q.content_type.as_deref()) else {
            return Err("not an upload URL");
        };
        self.verify(&Self::message("PUT", key, q.exp, &[&want_len.to_string(), want_type]), &q.sig, q.exp)?;
        if content_type != Some(want_type) {
            return Err("Content-Type differs from the signed one");
        }
        if len != want_len {
            return Err("the body's length differs from the signed one");
        }
        Ok(())
    }

    /// Checks a download (GET) against its URL.
    pub fn verify_get(&self, key: &str, q: &Signed) -> Result<(), &'static str> {
        let name = q.name.as_deref().unwrap_or("");
        self.verify(&Self::message("GET", key, q.exp, &[name]), &q.sig, q.exp)
    }

    /// Stores an upload's bytes once: `false` when the key already has an object (an
    /// upload URL works once). The object appears whole or not at all: the bytes go to a
    /// temporary file first, then a hard link puts it in place, which never replaces an
    /// existing object. (A `tokio::fs::File` write returns before the bytes are in the
    /// file, so writing in place could let the check that follows see a short object.)
    pub async fn store_once(&self, key: &str, bytes: &[u8]) -> std::io::Result<bool> {
        let path = self.path(key).ok_or_else(|| std::io::Error::other("bad key"))?;
        let Some(parent) = path.parent().map(std::path::Path::to_path_buf) else {
            return Err(std::io::Error::other("bad key"));
        };
        let bytes = bytes.to_vec();
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&parent)?;
            if path.exists() {
                return Ok(false);
            }
            let mut nonce = [0u8; 8];
            ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce)
                .map_err(|_| std::io::Error::other("no randomness for a temporary name"))?;
            let tmp = parent.join(format!(".upload-{}", hex::encode(nonce)));
            std::fs::write(&tmp, &bytes)?;
            let linked = std::fs::hard_link(&tmp, &path);
            let _ = std::fs::remove_file(&tmp);
            match linked {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
                Err(e) => Err(e),
            }
        })
        .await
        .map_err(std::io::Error::other)?
    }

    /// An object's bytes, for a verified download.
    pub async fn read(&self, key: &str) -> std::io::Result<Option<Vec<u8>>> {
        let Some(path) = self.path(key) else { return Ok(None) };
        match tokio::fs::read(&path).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl BlobStore for LocalBlobs {
    fn presign_put<'a>(
        &'a self,
        key: &'a str,
        content_type: &'a str,
        size: u64,
        expires_at: u64,
    ) -> BlobFuture<'a, PresignedPut> {
        Box::pin(async move {
            let sig = self.sign(&Self::message("PUT", key, expires_at, &[&size.to_string(), content_type]));
            let url = format!(
                "{}/blobs/{key}?exp={expires_at}&len={size}&type={}&sig={sig}",
                self.base,
                encode(content_type)
            );
            Ok(PresignedPut { url, headers: vec![("content-type".into(), content_type.into())], expires_at })
        })
    }

    fn presign_get<'a>(&'a self, key: &'a str, expires_at: u64, file_name: Option<&'a str>) -> BlobFuture<'a, String> {
        Box::pin(async move {
            let name = file_name.unwrap_or("");
            let sig = self.sign(&Self::message("GET", key, expires_at, &[name]));
            let name_q = if name.is_empty() { String::new() } else { format!("&name={}", encode(name)) };
            Ok(format!("{}/blobs/{key}?exp={expires_at}{name_q}&sig={sig}", self.base))
        })
    }

    fn size<'a>(&'a self, key: &'a str) -> BlobFuture<'a, Option<u64>> {
        Box::pin(async move {
            let Some(path) = self.path(key) else { return Ok(None) };
            match tokio::fs::metadata(&path).await {
                Ok(m) => Ok(Some(m.len())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(io(e)),
            }
        })
    }

    fn get<'a>(&'a self, key: &'a str, max_bytes: u64) -> BlobFuture<'a, Vec<u8>> {
        Box::pin(async move {
            let bytes =
                self.read(key).await.map_err(io)?.ok_or_else(|| BlobError(format!("no object {key}").into()))?;
            if bytes.len() as u64 > max_bytes {
                return Err(BlobError(format!("{key} is larger than {max_bytes} bytes").into()));
            }
            Ok(bytes)
        })
    }

    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>, _content_type: &'a str) -> BlobFuture<'a, ()> {
        Box::pin(async move {
            let path = self.path(key).ok_or_else(|| BlobError(format!("bad key {key}").into()))?;
            if let Some(parent) = path.parent() {
                tokio::fs::create_dir_all(parent).await.map_err(io)?;
            }
            tokio::fs::write(&path, bytes).await.map_err(io)
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BlobFuture<'a, ()> {
        Box::pin(async move {
            let Some(path) = self.path(key) else { return Ok(()) };
            match tokio::fs::remove_file(&path).await {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(io(e)),
            }
        })
    }

    fn keep<'a>(&'a self, _key: &'a str) -> BlobFuture<'a, ()> {
        // Nothing expires here.
        Box::pin(async { Ok(()) })
    }
}

/// S3 for the devserver's `--s3`: every presigned upload is watched for (HeadObject a few
/// times a second until its URL expires) and checked in-process when its object appears,
/// as S3's event notification does for the media function in AWS.
pub struct Watched<S> {
    inner: chat_s3::S3Blobs,
    store: S,
    poster: crate::poster::LocalPoster,
    watching: Mutex<HashMap<String, u64>>,
    me: std::sync::Weak<Watched<S>>,
}

impl<S: UploadStore + ConnectionStore + Clone + 'static> Watched<S> {
    /// Watches uploads to `inner`, recording what checking finds in `store` and telling
    /// the uploader's connections through `poster`.
    pub fn new(inner: chat_s3::S3Blobs, store: S, poster: crate::poster::LocalPoster) -> Arc<Self> {
        Arc::new_cyclic(|me| Self { inner, store, poster, watching: Mutex::new(HashMap::new()), me: me.clone() })
    }

    fn watch(&self, key: &str, until: u64) {
        let first = self.watching.lock().unwrap_or_else(|p| p.into_inner()).insert(key.to_owned(), until).is_none();
        let Some(me) = self.me.upgrade() else { return };
        if first {
            let key = key.to_owned();
            tokio::spawn(async move { me.wait_for(key).await });
        }
    }

    async fn wait_for(self: Arc<Self>, key: String) {
        loop {
            tokio::time::sleep(Duration::from_millis(250)).await;
            let until = self.watching.lock().unwrap_or_else(|p| p.into_inner()).get(&key).copied().unwrap_or(0);
            if until < now_ms() {
                break;
            }
            // Watching stands in for S3's notification (the devserver's own request); the
            // check is the media function's.
            match chat_lambda::aws_log::function(chat_lambda::aws_log::DEVSERVER, self.inner.size(&key)).await {
                Ok(Some(_)) => {
                    let checked = chat_media_fn::check_and_tell(&self.store, &self.inner, &self.poster, &key);
                    if let Err(e) = chat_lambda::aws_log::function("media", checked).await {
                        tracing::warn!(%key, error = %chat_core::cause_chain(&e), "upload check failed");
                    }
                    break;
                }
                Ok(None) => {}
                Err(e) => tracing::debug!(%key, error = %e, "watching an upload"),
            }
        }
        self.watching.lock().unwrap_or_else(|p| p.into_inner()).remove(&key);
    }
}

impl<S: UploadStore + ConnectionStore + Clone + 'static> BlobStore for Watched<S> {
    fn presign_put<'a>(
        &'a self,
        key: &'a str,
        content_type: &'a str,
        size: u64,
        expires_at: u64,
    ) -> BlobFuture<'a, PresignedPut> {
        Box::pin(async move {
            let put = self.inner.presign_put(key, content_type, size, expires_at).await?;
            let tagged = put.headers.iter().any(|(h, _)| h.eq_ignore_ascii_case("x-amz-tagging"));
            chat_lambda::aws_log::presigned("PutObject", self.inner.bucket(), key, tagged);
            self.watch(key, expires_at);
            Ok(put)
        })
    }
    fn presign_get<'a>(&'a self, key: &'a str, expires_at: u64, name: Option<&'a str>) -> BlobFuture<'a, String> {
        chat_lambda::aws_log::presigned("GetObject", self.inner.bucket(), key, false);
        self.inner.presign_get(key, expires_at, name)
    }
    fn size<'a>(&'a self, key: &'a str) -> BlobFuture<'a, Option<u64>> {
        self.inner.size(key)
    }
    fn get<'a>(&'a self, key: &'a str, max_bytes: u64) -> BlobFuture<'a, Vec<u8>> {
        self.inner.get(key, max_bytes)
    }
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>, content_type: &'a str) -> BlobFuture<'a, ()> {
        self.inner.put(key, bytes, content_type)
    }
    fn delete<'a>(&'a self, key: &'a str) -> BlobFuture<'a, ()> {
        self.inner.delete(key)
    }
    fn keep<'a>(&'a self, key: &'a str) -> BlobFuture<'a, ()> {
        self.inner.keep(key)
    }
}

/// Creates the bucket if it is missing (the devserver's `--s3`, tests).
pub async fn ensure_bucket(blobs: &chat_s3::S3Blobs) -> anyhow::Result<()> {
    let client = blobs.client();
    if client.head_bucket().bucket(blobs.bucket()).send().await.is_ok() {
        return Ok(());
    }
    match client.create_bucket().bucket(blobs.bucket()).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_bucket_already_owned_by_you()) => Ok(()),
        Err(e) => Err(anyhow::Error::new(e).context(format!("creating bucket {}", blobs.bucket()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (LocalBlobs, PathBuf) {
        let dir = std::env::temp_dir().join(format!("chat-blobs-test-{}", ulid::Ulid::new()));
        (LocalBlobs::new(dir.clone(), "http://127.0.0.1:1".into()).expect("blob dir"), dir)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_upload_is_whole_the_moment_it_is_stored() {
        let (blobs, dir) = store();
        // Large enough that a write still in flight would show as a short file.
        let bytes: Vec<u8> = (0..4_000_000u32).map(|i| (i % 251) as u8).collect();
        for i in 0..20 {
            let key = format!("u/{i}");
            assert!(blobs.store_once(&key, &bytes).await.expect("store"));
            assert_eq!(blobs.size(&key).await.expect("size"), Some(bytes.len() as u64), "upload {i}");
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.join("u"))
            .expect("dir")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left behind: {leftovers:?}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn of_concurrent_uploads_through_one_url_exactly_one_is_stored() {
        let (blobs, dir) = store();
        let blobs = Arc::new(blobs);
        let tries = (0..16u8).map(|i| {
            let blobs = Arc::clone(&blobs);
            tokio::spawn(async move { blobs.store_once("u/once", &vec![i; 100_000]).await })
        });
        let mut stored = Vec::new();
        for (i, t) in tries.enumerate() {
            if t.await.expect("task").expect("store") {
                stored.push(i as u8);
            }
        }
        assert_eq!(stored.len(), 1, "winners: {stored:?}");
        let bytes = blobs.read("u/once").await.expect("read").expect("object");
        assert_eq!(bytes, vec![stored[0]; 100_000], "the object is the winner's, whole");
        let _ = std::fs::remove_dir_all(dir);
    }
}
