//! One error type for every HTTP answer that is not a success: the status code is decided here, for every
//! stage's typed error (ingest, store, engine, scenario rules), and the body is always
//! `{"error": {"code", "message", ...}}` (PROTOCOL.md). Internal details are logged, not sent.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::engine::sandbox::SqlError;
use crate::engine::scenario::RuleError;
use crate::engine::EngineError;
use crate::ingest::{IngestError, LineError};

/// The body of every error answer: `{"error": {"code", "message", ...}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody<'a> {
    error: &'a ApiError,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ApiError {
    #[serde(skip)]
    pub status: StatusCode,
    /// What went wrong, for programs: `invalid_events`, `invalid_sql`, `unknown_scenario`, ...
    pub code: &'static str,
    /// What went wrong, for people.
    pub message: String,
    /// `invalid_events`: the bad events (1-based NDJSON line or JSON array element).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<LineError>>,
    /// `invalid_sql`: where in the SQL, when known.
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
            e @ IngestError::Unavailable(_) => ApiError {
                retry_after: Some(5),
                ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "wal_unavailable", e.to_string())
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

impl From<RuleError> for ApiError {
    fn from(e: RuleError) -> ApiError {
        ApiError::bad_request(e.to_string())
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
            EngineError::Rule(e) => e.into(),
            e @ (EngineError::Reserved(_) | EngineError::UnknownKey(_) | EngineError::AlertCondition(_)) => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_sql", e.to_string())
            }
            e @ EngineError::ShuttingDown => ApiError {
                retry_after: Some(5),
                ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "shutting_down", e.to_string())
            },
            other @ (EngineError::Runtime(_) | EngineError::Write { .. }) => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(ErrorBody { error: &self })).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::scenario::RuleError;
    use crate::store::{StoreFull, WalAppendError};

    fn status_and_code(e: impl Into<ApiError>) -> (u16, &'static str) {
        let e = e.into();
        (e.status.as_u16(), e.code)
    }

    /// Each stage's typed error gets its status here and nowhere else.
    #[test]
    fn every_stage_error_has_its_status() {
        let full = StoreFull {
            what: "orders".into(),
            held: 2,
            cap: 1,
        };
        let wal = WalAppendError::Write(std::io::Error::other("disk full"));
        let cases: Vec<(ApiError, (u16, &str))> = vec![
            (IngestError::UnknownStream("x".into()).into(), (404, "unknown_stream")),
            (
                IngestError::UnsupportedMediaType("text/csv".into()).into(),
                (415, "unsupported_media_type"),
            ),
            (IngestError::StoreFull(full).into(), (429, "store_full")),
            (IngestError::Unavailable(wal).into(), (503, "wal_unavailable")),
            (RuleError::NoSql.into(), (400, "bad_request")),
            (EngineError::Rule(RuleError::Name).into(), (400, "bad_request")),
            (EngineError::UnknownKey("k".into()).into(), (400, "invalid_sql")),
            (EngineError::Reserved("alerts".into()).into(), (400, "invalid_sql")),
            (EngineError::AlertCondition("x".into()).into(), (400, "invalid_sql")),
            (EngineError::ShuttingDown.into(), (503, "shutting_down")),
            (
                EngineError::Runtime(std::io::Error::other("x")).into(),
                (500, "internal"),
            ),
        ];
        for (e, expected) in cases {
            assert_eq!(status_and_code(e), expected);
        }
        let unavailable: ApiError =
            IngestError::Unavailable(WalAppendError::Write(std::io::Error::other("disk full"))).into();
        assert_eq!(unavailable.retry_after, Some(5));
        assert!(unavailable.message.contains("disk full") && unavailable.message.contains("retry later"));
    }
}
