//! One error shape for every endpoint: `{"code","message"}` (plus `retryAfterMs` when rate
//! limited) with the protocol's code and its HTTP status. Nothing was changed.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chat_core::protocol::{ErrorCode, FrameError};
use chat_lambda::Refusal;
use serde_json::json;

/// Why a request was refused.
#[derive(Debug)]
pub struct ApiError {
    /// The protocol's code.
    pub code: ErrorCode,
    /// Plain words for the caller.
    pub message: String,
    /// For `rate_limited`: when to retry, ms from now.
    pub retry_after_ms: Option<u64>,
    /// The HTTP status, when it is not the code's own (405).
    status: Option<StatusCode>,
}

impl ApiError {
    /// `code` with `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), retry_after_ms: None, status: None }
    }

    /// `bad_request`.
    pub fn bad(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// `too_large`.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::TooLarge, message)
    }

    /// A path the API does not have.
    pub fn unknown_path() -> Self {
        Self::new(ErrorCode::NotFound, "no such endpoint (see docs/server-api.md)")
    }

    /// A known path with a method it does not serve: 405, `bad_request`.
    pub fn method_not_allowed() -> Self {
        Self { status: Some(StatusCode::METHOD_NOT_ALLOWED), ..Self::bad("this path does not serve that method") }
    }
}

impl From<FrameError> for ApiError {
    fn from(e: FrameError) -> Self {
        Self::new(e.code, e.message)
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Client { code, message } => Self::new(code, message),
            Refusal::RateLimited { retry_after_ms } => Self {
                retry_after_ms: Some(retry_after_ms),
                ..Self::new(ErrorCode::RateLimited, format!("too many requests; retry in {retry_after_ms} ms"))
            },
            Refusal::Internal { what, source } => {
                chat_lambda::metrics::count(chat_lambda::metrics::Metric::InternalErrors, 1);
                tracing::error!(error = %chat_core::cause_chain(&*source), "server API: {what}");
                Self::new(ErrorCode::Internal, "the server could not complete the request; retry it")
            }
        }
    }
}

impl From<chat_core::store::StoreError> for ApiError {
    fn from(e: chat_core::store::StoreError) -> Self {
        Refusal::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status.unwrap_or_else(|| {
            StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        });
        let mut body = json!({"code": self.code, "message": self.message});
        if let Some(ms) = self.retry_after_ms {
            body["retryAfterMs"] = json!(ms);
        }
        (status, Json(body)).into_response()
    }
}
