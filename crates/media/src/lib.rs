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

/// Checks the object at `key` (an upload's original) and records the outcome. Objects
/// that are not uploads, and uploads already checked, are left alone (storage events can
/// repeat). Returns what was recorded, if anything.
pub async fn check<S: UploadStore>(store: &S, blobs: &dyn BlobStore, key: &str) -> Result<Option<Checked>, CheckError> {
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
    Ok(Some(checked))
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
