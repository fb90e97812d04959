//! `chat-media`: what happens to an upload once its bytes are in object storage, the same
//! in the media Lambda (S3 event) and in the devserver (in-process):
//!
//! - [`check`]: the size must be the declared one (else the upload is rejected and its
//!   object deleted); the type is taken from the magic bytes, not the declared type.
//! - [`thumbnail`]: images get a JPEG thumbnail, longest side 320 px, EXIF orientation
//!   applied and every other piece of metadata dropped (the encoder writes none). Decoding
//!   is bounded (dimensions and memory) so a decode bomb is refused, not decoded. A file
//!   that is no decodable image keeps no thumbnail and stays downloadable as a file.

use std::io::Cursor;

use chat_core::media::{self, BlobStore, Checked, UploadId, UploadState};
use chat_core::protocol::ServerFrame;
use chat_core::store::{StoreError, UploadStore};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

/// Widest or tallest image decoded.
pub const MAX_SIDE: u32 = 12_000;
/// Most memory one decode may take.
pub const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;
/// JPEG quality of thumbnails.
const QUALITY: u8 = 80;

/// Why no thumbnail was made.
#[derive(Debug, thiserror::Error)]
pub enum ThumbnailError {
    /// Not an image this build decodes, or a broken one.
    #[error("not a decodable image: {0}")]
    Decode(#[from] image::ImageError),
}

/// A thumbnail: JPEG bytes, and the original's upright dimensions.
#[derive(Debug)]
pub struct Thumbnail {
    /// The JPEG.
    pub jpeg: Vec<u8>,
    /// The original's width, upright.
    pub width: u32,
    /// The original's height, upright.
    pub height: u32,
}

/// Decodes `bytes` within the limits, turns it upright, and makes a JPEG whose longest
/// side is at most [`media::THUMBNAIL_MAX_SIDE`] (never enlarged).
pub fn thumbnail(bytes: &[u8]) -> Result<Thumbnail, ThumbnailError> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(image::ImageError::IoError)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder()?;
    let orientation = decoder.orientation()?;
    let mut img = DynamicImage::from_decoder(decoder)?;
    img.apply_orientation(orientation);
    let (width, height) = (img.width(), img.height());
    let side = media::THUMBNAIL_MAX_SIDE;
    let small = if width > side || height > side { img.thumbnail(side, side) } else { img };
    let mut jpeg = Vec::new();
    small.to_rgb8().write_with_encoder(JpegEncoder::new_with_quality(&mut jpeg, QUALITY))?;
    Ok(Thumbnail { jpeg, width, height })
}

/// Why checking an upload failed (it stays pending; a retry of the event tries again).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Object storage failed.
    #[error(transparent)]
    Blob(#[from] media::BlobError),
}

/// What checking one upload recorded.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The upload as it was before the check (its owner is told).
    pub upload: media::Upload,
    /// What the check found.
    pub checked: Checked,
}

impl Outcome {
    /// The `uploaded` frame for the owner's connections.
    pub fn frame(&self) -> ServerFrame {
        ServerFrame::Uploaded {
            upload_id: self.upload.id.to_string(),
            status: self.checked.state,
            thumbnail: self.checked.thumbnail,
            width: self.checked.width,
            height: self.checked.height,
        }
    }
}

/// Checks the object at `key` (an upload's original) and records the outcome. Objects
/// that are not uploads, and uploads already checked, are left alone (storage events can
/// repeat). Returns what was recorded, if anything.
pub async fn check<S: UploadStore>(store: &S, blobs: &dyn BlobStore, key: &str) -> Result<Option<Outcome>, CheckError> {
    let Some(id) = media::upload_of_key(key) else { return Ok(None) };
    let Some(upload) = store.uploads(std::slice::from_ref(&id)).await?.pop().flatten() else {
        tracing::warn!(%key, "an object with no upload record: ignored");
        return Ok(None);
    };
    if upload.state != UploadState::Pending {
        return Ok(None);
    }
    let checked = match blobs.size(key).await? {
        None => return Ok(None),
        Some(size) if size != upload.size => {
            tracing::info!(upload = %id, declared = upload.size, size, "upload refused: size differs from the declared one");
            blobs.delete(key).await?;
            Checked { state: UploadState::Rejected, thumbnail: false, width: None, height: None }
        }
        Some(_) => {
            let bytes = blobs.get(key, upload.size).await?;
            examine(blobs, &id, bytes).await?
        }
    };
    store.finish_upload(&id, checked).await?;
    Ok(Some(Outcome { upload, checked }))
}

/// Ready, with a thumbnail when the bytes are an image that decodes within the limits.
async fn examine(blobs: &dyn BlobStore, id: &UploadId, bytes: Vec<u8>) -> Result<Checked, CheckError> {
    let plain = Checked { state: UploadState::Ready, thumbnail: false, width: None, height: None };
    if !media::sniff(&bytes).is_image() {
        return Ok(plain);
    }
    // Decoding is CPU work: off the async threads.
    let made = tokio::task::spawn_blocking(move || thumbnail(&bytes)).await;
    match made {
        Ok(Ok(t)) => {
            blobs.put(&media::thumbnail_key(id), t.jpeg, "image/jpeg").await?;
            Ok(Checked { state: UploadState::Ready, thumbnail: true, width: Some(t.width), height: Some(t.height) })
        }
        Ok(Err(e)) => {
            tracing::info!(upload = %id, error = %e, "no thumbnail: kept as a file");
            Ok(plain)
        }
        Err(e) => {
            tracing::warn!(upload = %id, error = %e, "thumbnail task failed: kept as a file");
            Ok(plain)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, RgbImage};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(img.as_raw(), width, height, image::ExtendedColorType::Rgb8)
            .expect("encode");
        out
    }

    #[test]
    fn a_large_image_becomes_a_jpeg_of_at_most_320_pixels_keeping_its_shape() {
        let t = thumbnail(&png(1200, 600)).expect("thumbnail");
        assert_eq!((t.width, t.height), (1200, 600));
        assert_eq!(media::sniff(&t.jpeg), media::Sniffed::Jpeg);
        let back = image::load_from_memory(&t.jpeg).expect("decodes");
        assert_eq!((back.width(), back.height()), (320, 160));
        let small = thumbnail(&png(40, 30)).expect("thumbnail");
        let back = image::load_from_memory(&small.jpeg).expect("decodes");
        assert_eq!((back.width(), back.height()), (40, 30), "never enlarged");
    }

    #[test]
    fn a_decode_bomb_is_refused_before_it_is_decoded() {
        // A valid PNG header claiming 100,000 x 100,000 pixels, with almost no data.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        assert!(thumbnail(&bomb).is_err());
        assert!(thumbnail(b"%PDF-1.7 not an image").is_err());
    }

    /// Objects in a map: the media check against its contract, without a network.
    #[derive(Default)]
    struct Objects(std::sync::Mutex<std::collections::HashMap<String, Vec<u8>>>);

    impl Objects {
        fn with(key: &str, bytes: Vec<u8>) -> Self {
            let o = Self::default();
            o.0.lock().expect("lock").insert(key.to_owned(), bytes);
            o
        }
        fn has(&self, key: &str) -> bool {
            self.0.lock().expect("lock").contains_key(key)
        }
    }

    impl BlobStore for Objects {
        fn presign_put<'a>(
            &'a self,
            _: &'a str,
            _: &'a str,
            _: u64,
            _: u64,
        ) -> media::BlobFuture<'a, media::PresignedPut> {
            Box::pin(async { Err(media::BlobError("not here".into())) })
        }
        fn presign_get<'a>(&'a self, _: &'a str, _: u64, _: Option<&'a str>) -> media::BlobFuture<'a, String> {
            Box::pin(async { Err(media::BlobError("not here".into())) })
        }
        fn size<'a>(&'a self, key: &'a str) -> media::BlobFuture<'a, Option<u64>> {
            Box::pin(async move { Ok(self.0.lock().expect("lock").get(key).map(|b| b.len() as u64)) })
        }
        fn get<'a>(&'a self, key: &'a str, _: u64) -> media::BlobFuture<'a, Vec<u8>> {
            Box::pin(
                async move { self.0.lock().expect("lock").get(key).cloned().ok_or(media::BlobError("gone".into())) },
            )
        }
        fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>, _: &'a str) -> media::BlobFuture<'a, ()> {
            Box::pin(async move {
                self.0.lock().expect("lock").insert(key.to_owned(), bytes);
                Ok(())
            })
        }
        fn delete<'a>(&'a self, key: &'a str) -> media::BlobFuture<'a, ()> {
            Box::pin(async move {
                self.0.lock().expect("lock").remove(key);
                Ok(())
            })
        }
        fn keep<'a>(&'a self, _: &'a str) -> media::BlobFuture<'a, ()> {
            Box::pin(async { Ok(()) })
        }
    }

    async fn pending(store: &chat_core::store::memory::MemoryStore, size: u64) -> media::Upload {
        let u = media::Upload {
            id: UploadId::generate(1),
            owner: chat_core::ids::UserId::parse("alice").expect("valid"),
            conversation: chat_core::ids::Conversation::parse("dm:alice:bob").expect("valid"),
            content_type: "image/png".into(),
            size,
            name: "a.png".into(),
            created_at: 1,
            state: UploadState::Pending,
            thumbnail: false,
            width: None,
            height: None,
            used_by: None,
        };
        store.put_upload(&u).await.expect("put");
        u
    }

    #[tokio::test]
    async fn an_image_upload_gets_its_thumbnail_and_is_ready_once() {
        let store = chat_core::store::memory::MemoryStore::new();
        let bytes = png(500, 400);
        let up = pending(&store, bytes.len() as u64).await;
        let key = media::original_key(&up.id);
        let objects = Objects::with(&key, bytes);
        let outcome = check(&store, &objects, &key).await.expect("check").expect("checked");
        let checked = outcome.checked;
        assert_eq!(
            (checked.state, checked.thumbnail, checked.width, checked.height),
            (UploadState::Ready, true, Some(500), Some(400))
        );
        assert!(objects.has(&media::thumbnail_key(&up.id)));
        assert_eq!(outcome.upload.owner, up.owner, "the owner is told");
        assert_eq!(
            serde_json::to_value(outcome.frame()).expect("json"),
            serde_json::json!({"type": "uploaded", "uploadId": up.id.to_string(), "status": "ready",
                "thumbnail": true, "width": 500, "height": 400})
        );
        assert!(check(&store, &objects, &key).await.expect("check").is_none(), "a repeated event changes nothing");
        assert!(check(&store, &objects, "t/other.jpg").await.expect("check").is_none(), "not an upload");
    }

    #[tokio::test]
    async fn an_object_of_another_size_is_rejected_and_deleted() {
        let store = chat_core::store::memory::MemoryStore::new();
        let up = pending(&store, 10).await;
        let key = media::original_key(&up.id);
        let objects = Objects::with(&key, vec![0u8; 11]);
        let outcome = check(&store, &objects, &key).await.expect("check").expect("checked");
        assert_eq!(outcome.checked.state, UploadState::Rejected);
        assert_eq!(
            serde_json::to_value(outcome.frame()).expect("json"),
            serde_json::json!({"type": "uploaded", "uploadId": up.id.to_string(), "status": "rejected", "thumbnail": false})
        );
        assert!(!objects.has(&key), "the object is deleted");
        let now = store.uploads(std::slice::from_ref(&up.id)).await.expect("read")[0].clone().expect("kept");
        assert_eq!(now.state, UploadState::Rejected);
    }

    #[test]
    fn exif_orientation_is_applied() {
        // A 60 x 20 JPEG marked "rotate 90" (orientation 6) is 20 x 60 upright.
        let img = RgbImage::from_pixel(60, 20, image::Rgb([10, 200, 30]));
        let mut jpeg = Vec::new();
        let mut enc = JpegEncoder::new_with_quality(&mut jpeg, 90);
        // APP1 Exif with one IFD entry: Orientation (0x0112) = 6, big-endian TIFF.
        let exif: Vec<u8> =
            [b"MM\0\x2a\0\0\0\x08".as_slice(), &[0, 1], &[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0], &[0, 0, 0, 0]]
                .concat();
        enc.set_exif_metadata(exif).expect("exif");
        enc.encode_image(&img).expect("encode");
        let t = thumbnail(&jpeg).expect("thumbnail");
        assert_eq!((t.width, t.height), (20, 60));
    }
}
