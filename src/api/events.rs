//! `POST /api/v1/streams/{stream}/events`: a producer's request, read within its limit and deadline,
//! gunzipped when it says so, and handed to the ingestor whole (stored all or nothing). This module does
//! not decode events (`ingest` does).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, Request, StatusCode};
use axum::{Extension, Json};

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::ingest::{Accepted, Format, IngestError};

/// `POST /api/v1/streams/{stream}/events`: the request is stored whole or not at all.
#[utoipa::path(
    post,
    path = "/api/v1/streams/{stream}/events",
    tag = "ingest",
    params(("stream" = String, Path, description = "A stream of the catalog")),
    request_body(
        description = "Events; `Content-Encoding: gzip` is accepted",
        content(
            (String = "application/x-ndjson"),
            (Vec<Object> = "application/json"),
            ("application/vnd.apache.arrow.stream"),
        )
    ),
    responses(
        (status = 200, description = "Stored, and durable per the WAL policy", body = Accepted),
        (status = 404, description = "Unknown stream (`unknown_stream`)", body = ErrorBody),
        (status = 413, description = "The body, or the body decompressed, is over its limit", body = ErrorBody),
        (status = 415, description = "Another content type or encoding", body = ErrorBody),
        (status = 422, description = "Invalid events (`invalid_events`, with `lines`); nothing was stored", body = ErrorBody),
        (status = 429, description = "The store is full (`store_full`, with `Retry-After`)", body = ErrorBody),
        (status = 503, description = "The WAL cannot be written (`wal_unavailable`, with `Retry-After`)", body = ErrorBody),
        (status = "4XX", description = "No token, or one that may not ingest into this stream", body = ErrorBody),
    )
)]
pub async fn ingest(
    State(state): State<Arc<AppState>>,
    Path(stream): Path<String>,
    Extension(caller): Extension<Caller>,
    request: Request<Body>,
) -> Result<Json<Accepted>, ApiError> {
    caller.may_ingest(&stream)?;
    if state.catalog.stream(&stream).is_none() {
        return Err(IngestError::UnknownStream(stream).into());
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let format = Format::from_content_type(&content_type)
        .ok_or_else(|| IngestError::UnsupportedMediaType(content_type.clone()))?;
    let encoding = match request
        .headers()
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("?"))
    {
        None | Some("identity") => Encoding::Identity,
        Some(e) if e.eq_ignore_ascii_case("gzip") => Encoding::Gzip,
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("unsupported Content-Encoding `{other}`: send gzip or no encoding"),
            ))
        }
    };
    // A producer that trickles its body (slow loris) is cut off: the whole body must arrive in time.
    let limits = &state.config.limits;
    let body = super::body::read_within(request.into_body(), limits.max_body_bytes, limits.body_timeout).await?;
    let ingestor = state.ingestor.clone();
    let max_decompressed = state.config.limits.max_decompressed_bytes;
    let accepted = tokio::task::spawn_blocking(move || -> Result<Accepted, ApiError> {
        let body = match encoding {
            Encoding::Identity => body.to_vec(),
            Encoding::Gzip => gunzip(&body, max_decompressed)?,
        };
        Ok(ingestor.ingest(&stream, format, &body)?)
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(Json(accepted))
}

enum Encoding {
    Identity,
    Gzip,
}

/// A gzip body, decompressed up to `limit` bytes (413 past it; 400 when it is not valid gzip).
fn gunzip(body: &[u8], limit: usize) -> Result<Vec<u8>, ApiError> {
    use std::io::Read;
    let mut out = Vec::new();
    let mut reader = flate2::read::GzDecoder::new(body).take(limit as u64 + 1);
    reader
        .read_to_end(&mut out)
        .map_err(|e| ApiError::bad_request(format!("the gzip body is corrupt: {e}")))?;
    if out.len() > limit {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is larger than {limit} bytes once decompressed"),
        ));
    }
    Ok(out)
}
