//! Request bodies of the JSON API (scenarios, queries, dashboards, alert acknowledgements): a request
//! that may change something (`POST`, `PUT`, `PATCH`, `DELETE`) has its whole body read here, before the
//! handler runs, within `body_timeout` (408 `request_timeout`) and `max_json_body_bytes` (413
//! `payload_too_large`); `POST`, `PUT` and `PATCH` must say `Content-Type: application/json` (415
//! `unsupported_media_type`), which also keeps other sites' pages from sending them without a CORS
//! preflight (a form or `text/plain` post would otherwise run).
//!
//! `GET` and `HEAD` handlers never read a body, and hyper closes a connection whose request body was left
//! unread, so their bodies cannot hold a connection either. Ingest reads its own, larger body with the
//! same deadline (`events::ingest`). It parses a JSON body for the handlers that read one themselves
//! ([`parse_json`]).

use std::sync::Arc;
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::AppState;

/// The middleware for the JSON routes.
pub async fn json_body(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    if method == Method::GET || method == Method::HEAD {
        return next.run(request).await;
    }
    if matches!(method, Method::POST | Method::PUT | Method::PATCH) && !is_json(request.headers()) {
        return ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with `Content-Type: application/json`",
        )
        .into_response();
    }
    let limits = &state.config.limits;
    let (parts, body) = request.into_parts();
    match read_within(body, limits.max_json_body_bytes, limits.body_timeout).await {
        Ok(bytes) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Err(e) => e.into_response(),
    }
}

/// A JSON body as `T` (400 `bad_request` saying what is wrong).
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("bad request body: {e}")))
}

/// `Content-Type: application/json`, with or without parameters such as `charset`.
pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
}

/// The whole body, if it arrives within `deadline` (408 otherwise) and is at most `limit` bytes (413
/// otherwise; 400 when the client breaks it off).
pub async fn read_within(body: Body, limit: usize, deadline: Duration) -> Result<bytes::Bytes, ApiError> {
    let read = tokio::time::timeout(deadline, to_bytes(body, limit))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                format!("the body did not arrive within {deadline:?}; nothing was stored or changed"),
            )
        })?;
    read.map_err(|e| {
        // `to_bytes` fails for a body over the limit, or one that breaks off (a length it does not keep).
        let too_large = std::error::Error::source(&e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
            || e.to_string().contains("length limit");
        if too_large {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body is larger than {limit} bytes"),
            )
        } else {
            ApiError::bad_request(format!("could not read the body: {e}"))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_with_or_without_parameters() {
        let mut h = HeaderMap::new();
        assert!(!is_json(&h));
        for (value, ok) in [
            ("application/json", true),
            ("Application/JSON; charset=utf-8", true),
            ("text/plain", false),
            ("application/x-www-form-urlencoded", false),
            ("application/jsonp", false),
        ] {
            h.insert(header::CONTENT_TYPE, value.parse().unwrap());
            assert_eq!(is_json(&h), ok, "{value}");
        }
    }
}
