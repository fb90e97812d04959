//! `chat-media-fn`: the media Lambda's handler. S3 reports each object created under `u/`
//! (an upload's bytes); each one is checked by [`chat_media::check`] (size as declared, type
//! by magic bytes, a thumbnail for images) and its upload marked ready or rejected. A
//! failure fails the invocation, so S3's retry (and then the dead-letter queue) gets it.

use aws_lambda_events::s3::S3Event;
use chat_core::media::BlobStore;
use chat_core::store::UploadStore;
use lambda_runtime::LambdaEvent;

/// What the handler needs.
pub struct Deps<S> {
    /// Upload records.
    pub store: S,
    /// The bucket.
    pub blobs: std::sync::Arc<dyn BlobStore>,
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
pub async fn handle<S: UploadStore>(deps: &Deps<S>, event: LambdaEvent<S3Event>) -> Result<(), lambda_runtime::Error> {
    for key in keys(&event.payload) {
        match chat_media::check(&deps.store, deps.blobs.as_ref(), &key).await {
            Ok(Some(checked)) => {
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
