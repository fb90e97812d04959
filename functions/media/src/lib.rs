//! `chat-media-fn`: the media Lambda's handler. S3 reports each object created under `u/`
//! (an upload's bytes); each one is checked by [`chat_media::check`] (size as declared, type
//! by magic bytes, a thumbnail for images), its upload marked ready or rejected, and its
//! owner's live connections told (`uploaded`). A failed check fails the invocation, so
//! S3's retry (and then the dead-letter queue) gets it; a failed post only costs the
//! notice (a `send` of the upload works either way). The devserver runs [`check_and_tell`]
//! in-process for its own uploads and its `--s3` ones.

use aws_lambda_events::s3::S3Event;
use chat_core::clock::{Clock, SystemClock};
use chat_core::media::BlobStore;
use chat_core::poster::Poster;
use chat_core::store::{ConnectionStore, UploadStore};
use chat_media::{CheckError, Outcome};
use lambda_runtime::LambdaEvent;

/// What the handler needs.
pub struct Deps<S, P> {
    /// Upload records and connections.
    pub store: S,
    /// The bucket.
    pub blobs: std::sync::Arc<dyn BlobStore>,
    /// `@connections`, to tell the uploader.
    pub poster: P,
}

/// Checks the object at `key` ([`chat_media::check`]) and, when that recorded an outcome,
/// posts `uploaded` to every live connection of the upload's owner.
pub async fn check_and_tell<S: UploadStore + ConnectionStore, P: Poster>(
    store: &S,
    blobs: &dyn BlobStore,
    poster: &P,
    key: &str,
) -> Result<Option<Outcome>, CheckError> {
    let Some(outcome) = chat_media::check(store, blobs, key).await? else { return Ok(None) };
    let now_ms = SystemClock.now_ms();
    let owner = &outcome.upload.owner;
    match store.connections(owner, now_ms / 1000).await {
        Ok(connections) => {
            let frame = outcome.frame().to_json();
            let targets = connections.into_iter().map(|c| (c, frame.as_str())).collect();
            chat_lambda::deliver::fan_out(store, poster, now_ms, targets).await;
        }
        Err(e) => {
            tracing::warn!(user = %owner, error = %chat_core::cause_chain(&e), "connection lookup failed; uploaded not told")
        }
    }
    Ok(Some(outcome))
}

/// The object keys of an S3 event, decoded (S3 sends them URL-encoded, `+` for spaces).
pub fn keys(event: &S3Event) -> Vec<String> {
    event.records.iter().filter_map(|r| r.s3.object.key.as_deref()).map(decode_key).collect()
}

fn decode_key(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Handles one S3 event: every object in it, in turn.
pub async fn handle<S: UploadStore + ConnectionStore, P: Poster>(
    deps: &Deps<S, P>,
    event: LambdaEvent<S3Event>,
) -> Result<(), lambda_runtime::Error> {
    for key in keys(&event.payload) {
        match check_and_tell(&deps.store, deps.blobs.as_ref(), &deps.poster, &key).await {
            Ok(Some(Outcome { checked, .. })) => {
                tracing::info!(%key, state = ?checked.state, thumbnail = checked.thumbnail, "upload checked")
            }
            Ok(None) => tracing::debug!(%key, "nothing to check"),
            Err(e) => {
                tracing::error!(%key, error = %chat_core::cause_chain(&e), "upload check failed");
                return Err(Box::new(e));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_url_decoded() {
        assert_eq!(decode_key("u/01ARZ3NDEKTSV4RRFFQ69G5FAV"), "u/01ARZ3NDEKTSV4RRFFQ69G5FAV");
        assert_eq!(decode_key("a+b%2Fc"), "a b/c");
        assert_eq!(decode_key("bad%zz"), "bad%zz");
        assert_eq!(decode_key("end%4"), "end%4");
    }
}
