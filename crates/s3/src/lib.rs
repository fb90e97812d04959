//! `chat-s3`: [`S3Blobs`], the attachments' [`BlobStore`] on S3 through the official SDK
//! (so `AWS_ENDPOINT_URL` points it at moto, LocalStack or AWS alike).
//!
//! Upload URLs are presigned PUTs whose signature covers the content type, the exact
//! length and the `state=pending` tag: S3 refuses a different type or size, and the
//! bucket's lifecycle rule deletes objects still tagged pending after a day. `keep` retags
//! an attached object `state=attached`.

use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Tag, Tagging};
use chat_core::media::{BlobError, BlobFuture, BlobStore, PresignedPut};

/// The tag of objects not attached to any message yet.
pub const PENDING_TAG: &str = "state=pending";

/// A bucket.
#[derive(Debug, Clone)]
pub struct S3Blobs {
    client: Client,
    bucket: String,
}

fn failed<E: std::error::Error + Send + Sync + 'static>(e: E) -> BlobError {
    BlobError(Box::new(e))
}

fn ttl(expires_at: u64) -> Result<PresigningConfig, BlobError> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    let secs = expires_at.saturating_sub(now).div_ceil(1000).max(1);
    PresigningConfig::expires_in(Duration::from_secs(secs)).map_err(failed)
}

impl S3Blobs {
    /// The bucket `bucket` through `client`.
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self { client, bucket: bucket.into() }
    }

    /// A client from a shared SDK config, with path-style addressing (what emulators need;
    /// S3 accepts it too).
    pub fn connect(config: impl Into<aws_sdk_s3::config::Builder>, bucket: impl Into<String>) -> Self {
        let conf = config.into().force_path_style(true).build();
        Self::new(Client::from_conf(conf), bucket)
    }

    /// The bucket's name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The client (tests create buckets with it).
    pub fn client(&self) -> &Client {
        &self.client
    }

    async fn tag(&self, key: &str, value: &str) -> Result<(), BlobError> {
        let tag = Tag::builder().key("state").value(value).build().map_err(failed)?;
        let tagging = Tagging::builder().tag_set(tag).build().map_err(failed)?;
        self.client.put_object_tagging().bucket(&self.bucket).key(key).tagging(tagging).send().await.map_err(failed)?;
        Ok(())
    }
}

impl BlobStore for S3Blobs {
    fn presign_put<'a>(
        &'a self,
        key: &'a str,
        content_type: &'a str,
        size: u64,
        expires_at: u64,
    ) -> BlobFuture<'a, PresignedPut> {
        Box::pin(async move {
            let length = i64::try_from(size).map_err(failed)?;
            let presigned = self
                .client
                .put_object()
                .bucket(&self.bucket)
                .key(key)
                .content_type(content_type)
                .content_length(length)
                .tagging(PENDING_TAG)
                .presigned(ttl(expires_at)?)
                .await
                .map_err(failed)?;
            let headers = presigned
                .headers()
                .filter(|(name, _)| !name.eq_ignore_ascii_case("host"))
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect();
            Ok(PresignedPut { url: presigned.uri().to_owned(), headers, expires_at })
        })
    }

    fn presign_get<'a>(&'a self, key: &'a str, expires_at: u64, file_name: Option<&'a str>) -> BlobFuture<'a, String> {
        Box::pin(async move {
            let mut get = self.client.get_object().bucket(&self.bucket).key(key);
            if let Some(name) = file_name {
                get = get.response_content_disposition(content_disposition(name));
            }
            let presigned = get.presigned(ttl(expires_at)?).await.map_err(failed)?;
            Ok(presigned.uri().to_owned())
        })
    }

    fn size<'a>(&'a self, key: &'a str) -> BlobFuture<'a, Option<u64>> {
        Box::pin(async move {
            match self.client.head_object().bucket(&self.bucket).key(key).send().await {
                Ok(out) => Ok(out.content_length().and_then(|n| u64::try_from(n).ok())),
                Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
                Err(e) => Err(failed(e)),
            }
        })
    }

    fn get<'a>(&'a self, key: &'a str, max_bytes: u64) -> BlobFuture<'a, Vec<u8>> {
        Box::pin(async move {
            let out = self.client.get_object().bucket(&self.bucket).key(key).send().await.map_err(failed)?;
            if out.content_length().is_some_and(|n| u64::try_from(n).unwrap_or(u64::MAX) > max_bytes) {
                return Err(BlobError(format!("{key} is larger than {max_bytes} bytes").into()));
            }
            let bytes = out.body.collect().await.map_err(failed)?.into_bytes();
            Ok(bytes.to_vec())
        })
    }

    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>, content_type: &'a str) -> BlobFuture<'a, ()> {
        Box::pin(async move {
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(key)
                .content_type(content_type)
                .tagging(PENDING_TAG)
                .body(ByteStream::from(bytes))
                .send()
                .await
                .map_err(failed)?;
            Ok(())
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BlobFuture<'a, ()> {
        Box::pin(async move {
            self.client.delete_object().bucket(&self.bucket).key(key).send().await.map_err(failed)?;
            Ok(())
        })
    }

    fn keep<'a>(&'a self, key: &'a str) -> BlobFuture<'a, ()> {
        Box::pin(self.tag(key, "attached"))
    }
}

/// `attachment; filename="…"; filename*=UTF-8''…`: the name as the browser should save it.
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '_' }).collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_are_quoted_safely() {
        assert_eq!(content_disposition("a b.pdf"), "attachment; filename=\"a b.pdf\"; filename*=UTF-8''a%20b.pdf");
        assert!(content_disposition("é.png").contains("filename*=UTF-8''%C3%A9.png"));
    }
}
