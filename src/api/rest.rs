//! The smaller REST handlers (PROTOCOL.md, "HTTP"): health and readiness, the streams and tables, one-shot
//! queries and the broker sources. Each carries its OpenAPI description (`#[utoipa::path]`; its types
//! derive `ToSchema`). Events in: [`super::events`]; scenarios: [`super::scenarios`]; alerts:
//! [`super::alerts`]; dashboards: [`super::dashboards`]. Routing is `api::routes`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Caller, Need};
use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::catalog::ColumnDef;
use crate::ingest::connectors::status::Reject;
use crate::ingest::IngestError;
use crate::values::{ColumnInfo, Row};

/// The answer of `/healthz` and `/readyz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthBody {
    /// `/healthz`: `ok`, or `degraded` when a check fails. `/readyz`: `ready` or `not_ready`.
    status: &'static str,
    /// `/readyz` only: the server is shutting down.
    #[serde(skip_serializing_if = "Option::is_none")]
    shutting_down: Option<bool>,
    /// Each check by name (`wal`): `ok`, and `error`, `since`, `last_error`, `last_error_at`.
    #[schema(value_type = Object)]
    checks: serde_json::Value,
}

/// `GET /healthz`, liveness: 200 while the process answers, even when it cannot take events (a restart
/// would not mend a full disk). `status` is `ok`, or `degraded` when a check fails; `checks` says which
/// and why.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    security(()),
    responses((status = 200, description = "The process answers; `status` says whether every check passes", body = HealthBody))
)]
pub async fn healthz(State(state): State<Arc<AppState>>) -> Json<HealthBody> {
    let status = if state.health.ready() { "ok" } else { "degraded" };
    Json(HealthBody {
        status,
        shutting_down: None,
        checks: state.health.reports(),
    })
}

/// `GET /readyz`, readiness: 200 `ready` when every check passes, else 503 `not_ready` (and while
/// shutting down), with the same `checks` as `/healthz`.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    security(()),
    responses(
        (status = 200, description = "Every check passes", body = HealthBody),
        (status = 503, description = "A check fails, or the server is shutting down", body = HealthBody),
    )
)]
pub async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let shutting_down = state.shutdown.is_cancelled();
    let ready = state.health.ready() && !shutting_down;
    let body = HealthBody {
        status: if ready { "ready" } else { "not_ready" },
        shutting_down: Some(shutting_down),
        checks: state.health.reports(),
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// A stream as `GET /api/v1/streams` shows it.
#[derive(Serialize, ToSchema)]
pub struct StreamInfo {
    name: String,
    event_time: String,
    id: Option<String>,
    retention: String,
    columns: Vec<ColumnDef>,
    rows: usize,
    bytes: usize,
    segments: usize,
    /// The catalog's `history` (`400d`), or null for a stream that keeps only its retention.
    history: Option<String>,
    /// Events in the history's files, their bytes on disk, and the oldest event time they hold.
    history_rows: u64,
    history_bytes: u64,
    history_from: Option<String>,
}

/// `GET /api/v1/streams`.
#[utoipa::path(
    get,
    path = "/api/v1/streams",
    tag = "streams",
    responses(
        (status = 200, description = "Every stream of the catalog with what the store holds", body = Vec<StreamInfo>),
        (status = "4XX", description = "No token, or one that may neither view nor ingest", body = ErrorBody),
    )
)]
pub async fn streams(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<StreamInfo>>, ApiError> {
    caller.require(Need::View).or_else(|_| caller.require(Need::Ingest))?;
    let list = state
        .store
        .streams()
        .map(|s| {
            let stats = s.stats();
            let history = s.history_stats().unwrap_or_default();
            StreamInfo {
                name: s.def.name.clone(),
                event_time: s.def.event_time_name().to_string(),
                id: s.def.id.map(|i| s.def.columns[i].name.clone()),
                retention: s.def.retention_text.clone(),
                columns: s.def.columns.clone(),
                rows: stats.rows,
                bytes: stats.bytes,
                segments: stats.segments,
                history: s.def.history.as_ref().map(|(_, text)| text.clone()),
                history_rows: history.rows,
                history_bytes: history.bytes,
                history_from: history
                    .from_ms
                    .and_then(chrono::DateTime::<chrono::Utc>::from_timestamp_millis)
                    .map(crate::values::format_time),
            }
        })
        .collect();
    Ok(Json(list))
}

/// The body of `POST /api/v1/query`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryRequest {
    sql: String,
    /// Rows to return: default 1000, at most 10000.
    limit: Option<usize>,
}

/// A one-shot result.
#[derive(Serialize, ToSchema)]
pub struct QueryResponse {
    columns: Vec<ColumnInfo>,
    /// Rows in column order.
    #[schema(value_type = Vec<Vec<serde_json::Value>>)]
    rows: Vec<Row>,
    /// Rows were left out past the limit.
    truncated: bool,
}

/// Rows a one-shot query returns by default, and at most.
pub const QUERY_DEFAULT_LIMIT: usize = 1_000;
pub const QUERY_MAX_LIMIT: usize = 10_000;

/// `POST /api/v1/query`: runs read-only SQL once.
#[utoipa::path(
    post,
    path = "/api/v1/query",
    tag = "query",
    request_body = QueryRequest,
    responses(
        (status = 200, description = "The result", body = QueryResponse),
        (status = 400, description = "Bad body or SQL (`bad_request`, `invalid_sql` with `line`, `column`)", body = ErrorBody),
        (status = "4XX", description = "No token, or one that may not analyse", body = ErrorBody),
    )
)]
pub async fn query(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    caller.require(Need::Analyse)?;
    let request: QueryRequest =
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("bad query request: {e}")))?;
    if request.sql.len() > crate::engine::scenario::MAX_SQL_BYTES {
        return Err(ApiError::bad_request("the SQL is too long"));
    }
    let limit = request.limit.unwrap_or(QUERY_DEFAULT_LIMIT).min(QUERY_MAX_LIMIT);
    let out = state
        .engine
        .query_once(request.sql, limit)
        .await
        .map_err(ApiError::from)?;
    Ok(Json(QueryResponse {
        columns: out.columns,
        rows: out.rows,
        truncated: out.truncated,
    })
    .into_response())
}

/// A table a scenario may read, as `GET /api/v1/tables` shows it.
#[derive(Serialize, ToSchema)]
pub struct TableInfo {
    name: String,
    /// `stream` or `reference`.
    kind: &'static str,
    columns: Vec<ColumnInfo>,
}

/// `GET /api/v1/tables`: every name a scenario may read, with its columns (for the console's completion).
#[utoipa::path(
    get,
    path = "/api/v1/tables",
    tag = "streams",
    responses(
        (status = 200, description = "Streams and reference tables with their columns", body = Vec<TableInfo>),
        (status = "4XX", description = "No token, or one that may not view", body = ErrorBody),
    )
)]
pub async fn tables(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<TableInfo>>, ApiError> {
    caller.require(Need::View)?;
    let streams = state.catalog.streams.values().map(|s| TableInfo {
        name: s.name.clone(),
        kind: "stream",
        columns: crate::values::columns_of(&s.schema),
    });
    let reference = state.catalog.reference.values().map(|r| TableInfo {
        name: r.name.clone(),
        kind: "reference",
        columns: crate::values::columns_of(&r.batch.schema()),
    });
    Ok(Json(streams.chain(reference).collect()))
}

/// `GET /api/v1/sources`: every broker source with its state, counters and (JetStream) lag.
#[utoipa::path(
    get,
    path = "/api/v1/sources",
    tag = "sources",
    responses(
        (status = 200, description = "Every broker source", body = Vec<crate::ingest::connectors::SourceInfo>),
        (status = "4XX", description = "No token, or one that may not view", body = ErrorBody),
    )
)]
pub async fn sources(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<crate::ingest::connectors::SourceInfo>>, ApiError> {
    caller.require(Need::View)?;
    Ok(Json(state.sources.statuses().map(|s| s.info()).collect()))
}

/// A rejected message, with the source it came through.
#[derive(Serialize, ToSchema)]
pub struct SourceReject {
    #[serde(flatten)]
    reject: Reject,
    /// `nats` or `mqtt`.
    kind: &'static str,
    /// The source's name.
    source: String,
}

/// `GET /api/v1/sources/{stream}/rejects`: the last rejected messages of the stream's sources, oldest
/// first, each with the source it came through.
#[utoipa::path(
    get,
    path = "/api/v1/sources/{stream}/rejects",
    tag = "sources",
    params(("stream" = String, Path, description = "A stream of the catalog")),
    responses(
        (status = 200, description = "The last rejected messages per source, oldest first", body = Vec<SourceReject>),
        (status = 404, description = "Unknown stream (`unknown_stream`)", body = ErrorBody),
        (status = "4XX", description = "No token, or one that may not view", body = ErrorBody),
    )
)]
pub async fn source_rejects(
    State(state): State<Arc<AppState>>,
    Path(stream): Path<String>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<SourceReject>>, ApiError> {
    caller.require(Need::View)?;
    if state.catalog.stream(&stream).is_none() {
        return Err(IngestError::UnknownStream(stream).into());
    }
    let mut list: Vec<SourceReject> = state
        .sources
        .statuses()
        .filter(|s| s.stream == stream)
        .flat_map(|s| {
            s.rejects().into_iter().map(move |reject| SourceReject {
                reject,
                kind: s.kind,
                source: s.name.clone(),
            })
        })
        .collect();
    list.sort_by(|a, b| a.reject.at.cmp(&b.reject.at));
    Ok(Json(list))
}
