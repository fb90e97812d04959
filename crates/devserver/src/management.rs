//! The API Gateway Management API: `POST|GET|DELETE /{stage}/@connections/{id}`, also
//! without the stage prefix, with the status codes and error types API Gateway uses (the
//! SDK reads `x-amzn-ErrorType` to pick the error variant, e.g. `GoneException`).

use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::events::iso8601;
use crate::registry::{Outbound, Registry, SendError};

/// API Gateway's limit on a posted payload.
const MAX_POST_BYTES: usize = 128 * 1024;

/// The connection id if `path` is a Management API path, percent-decoded (the SDK sends
/// `@` as `%40`), with or without the `/{stage}` prefix.
pub fn connection_id(path: &str, stage: &str) -> Option<String> {
    let decoded = percent_decode(path)?;
    let rest = decoded.strip_prefix('/').unwrap_or(&decoded);
    let rest = rest.strip_prefix(stage).and_then(|r| r.strip_prefix('/')).unwrap_or(rest);
    let id = rest.strip_prefix("@connections/")?;
    (!id.is_empty() && !id.contains('/')).then(|| id.to_owned())
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn error(status: StatusCode, error_type: &str, message: &str) -> Response {
    (status, [("x-amzn-ErrorType", error_type)], axum::Json(json!({"message": message}))).into_response()
}

/// Serves one Management API request.
pub fn serve(registry: &Registry, method: &Method, id: &str, body: Bytes) -> Response {
    match *method {
        Method::POST => {
            if body.len() > MAX_POST_BYTES {
                return error(StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLargeException", "payload too large");
            }
            let msg = match String::from_utf8(body.to_vec()) {
                Ok(text) => Outbound::Text(text),
                Err(_) => Outbound::Binary(body),
            };
            match registry.send(id, msg) {
                Ok(()) => StatusCode::OK.into_response(),
                Err(SendError::Gone) => error(StatusCode::GONE, "GoneException", "connection is gone"),
                Err(SendError::Full) => {
                    error(StatusCode::TOO_MANY_REQUESTS, "LimitExceededException", "client buffer full")
                }
            }
        }
        Method::GET => match registry.get(id) {
            Some(h) => axum::Json(json!({
                "connectedAt": iso8601(h.connected_at),
                "lastActiveAt": iso8601(h.last_active.load(Ordering::Relaxed)),
                "identity": {"sourceIp": h.source_ip, "userAgent": h.user_agent},
            }))
            .into_response(),
            None => error(StatusCode::GONE, "GoneException", "connection is gone"),
        },
        Method::DELETE => match registry.send(id, Outbound::Close(1000, "closed by @connections DELETE")) {
            Ok(()) | Err(SendError::Full) => StatusCode::NO_CONTENT.into_response(),
            Err(SendError::Gone) => error(StatusCode::GONE, "GoneException", "connection is gone"),
        },
        _ => StatusCode::METHOD_NOT_ALLOWED.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn management_paths_are_recognised_with_and_without_stage_and_encoding() {
        assert_eq!(connection_id("/local/@connections/abc=", "local").as_deref(), Some("abc="));
        assert_eq!(connection_id("/local/%40connections/abc%3D", "local").as_deref(), Some("abc="));
        assert_eq!(connection_id("/@connections/abc=", "local").as_deref(), Some("abc="));
        assert_eq!(connection_id("/other/@connections/abc=", "local"), None);
        assert_eq!(connection_id("/local/@connections/", "local"), None);
        assert_eq!(connection_id("/local/x", "local"), None);
        assert_eq!(connection_id("/%zz", "local"), None);
    }
}
