//! One error type for every HTTP answer that is not a success: the status code is decided here, and the
//! body is always `{"error": {"code", "message", ...}}` (PROTOCOL.md). Internal details are logged, not sent.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::engine::sandbox::SqlError;
use crate::engine::EngineError;
use crate::ingest::{IngestError, LineError};

#[derive(Debug, Serialize)]
struct Body<'a> {
    error: &'a ApiError,
}

#[derive(Debug, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<LineError>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            lines: None,
            line: None,
            column: None,
            retry_after: None,
        }
    }

    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", what)
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn internal(message: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %message, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; see the server log",
        )
    }
}

impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> ApiError {
        match e {
            IngestError::UnknownStream(_) => ApiError::new(StatusCode::NOT_FOUND, "unknown_stream", e.to_string()),
            IngestError::UnsupportedMediaType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                e.to_string(),
            ),
            IngestError::StoreFull(full) => ApiError {
                retry_after: Some(5),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "store_full", full.to_string())
            },
            IngestError::Unavailable(message) => ApiError {
                retry_after: Some(5),
                ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "wal_unavailable", message)
            },
            IngestError::LogUnavailable(message) => ApiError {
                retry_after: Some(1),
                ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "log_unavailable", message)
            },
            IngestError::Invalid { message, lines } => ApiError {
                lines: Some(lines),
                ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_events", message)
            },
        }
    }
}

impl From<SqlError> for ApiError {
    fn from(e: SqlError) -> ApiError {
        ApiError {
            line: e.line,
            column: e.column,
            ..ApiError::new(StatusCode::BAD_REQUEST, "invalid_sql", e.message)
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> ApiError {
        match e {
            EngineError::Sql(e) => e.into(),
            EngineError::DataFusion(e) => SqlError::from(e).into(),
            EngineError::Invalid(m) => ApiError::new(StatusCode::BAD_REQUEST, "invalid_sql", m),
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(Body { error: &self })).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
