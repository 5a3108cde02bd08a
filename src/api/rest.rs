//! REST handlers under `/api/v1` (PROTOCOL.md, "HTTP").

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::auth::{Caller, Need};
use super::error::ApiError;
use super::AppState;
use crate::catalog::ColumnDef;
use crate::engine::alerts::AlertEvent;
use crate::engine::{AlertDef, ResultBody, Scenario, ScenarioInfo, Trigger};
use crate::ingest::{Accepted, Format, IngestError};
use crate::values::{ColumnInfo, Row};
use axum::Extension;

/// `GET /healthz`, liveness: 200 while the process answers, even when it cannot take events (a restart
/// would not mend a full disk). `status` is `ok`, or `degraded` when a check fails; `checks` says which
/// and why.
pub async fn healthz(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let status = if state.health.ready() { "ok" } else { "degraded" };
    Json(serde_json::json!({"status": status, "checks": state.health.reports()}))
}

/// `GET /readyz`, readiness: 200 `ready` when every check passes, else 503 `not_ready` (and while
/// shutting down), with the same `checks` as `/healthz`.
pub async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let shutting_down = state.shutdown.is_cancelled();
    let ready = state.health.ready() && !shutting_down;
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "not_ready" },
        "shutting_down": shutting_down,
        "checks": state.health.reports(),
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

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

#[derive(Serialize)]
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

pub async fn scenarios(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<ScenarioInfo>>, ApiError> {
    caller.require(Need::View)?;
    Ok(Json(state.engine.list()))
}

pub async fn scenario(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<ScenarioInfo>, ApiError> {
    caller.require(Need::View)?;
    state.engine.get(&name).map(Json).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_scenario",
            format!("unknown scenario `{name}`"),
        )
    })
}

pub async fn result(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<ResultBody>, ApiError> {
    caller.require(Need::View)?;
    if let Some(cluster) = &state.cluster {
        cluster.wanted(&name).await;
    }
    let mut body = state.engine.result(&name).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_scenario",
            format!("unknown scenario `{name}`"),
        )
    })?;
    if let Some(rows) = &caller.rows {
        body.rows = Arc::new(
            body.rows
                .iter()
                .filter(|r| rows.matches_row(&body.columns, r))
                .cloned()
                .collect(),
        );
    }
    Ok(Json(body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryRequest {
    sql: String,
    limit: Option<usize>,
}

#[derive(Serialize)]
pub struct QueryResponse {
    columns: Vec<ColumnInfo>,
    rows: Vec<Row>,
    truncated: bool,
}

/// Rows a one-shot query returns by default, and at most.
pub const QUERY_DEFAULT_LIMIT: usize = 1_000;
pub const QUERY_MAX_LIMIT: usize = 10_000;

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

/// The body of `PUT /api/v1/scenarios/{name}` and (with `name`) `POST /api/v1/scenarios/validate`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioBody {
    #[serde(default)]
    name: Option<String>,
    sql: String,
    title: Option<String>,
    every_ms: Option<u64>,
    on: Option<Trigger>,
    key: Option<Vec<String>>,
    view: Option<String>,
    alert: Option<AlertDef>,
}

impl ScenarioBody {
    fn into_scenario(self, name: String) -> Result<Scenario, ApiError> {
        let trigger = self.on.unwrap_or(Trigger::Interval);
        let every = self
            .every_ms
            .map(std::time::Duration::from_millis)
            .unwrap_or_else(|| trigger.default_every());
        let def = Scenario {
            title: self.title.unwrap_or_else(|| name.clone()),
            every,
            trigger,
            key: self.key.unwrap_or_default(),
            view: self.view.unwrap_or_else(|| "table".into()),
            alert: self.alert,
            sql: self.sql.trim().to_string(),
            ..Scenario::named(&name)
        };
        def.check().map_err(ApiError::bad_request)?;
        Ok(def)
    }
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("bad request body: {e}")))
}

pub async fn put_scenario(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Extension(caller): Extension<Caller>,
    body: axum::body::Bytes,
) -> Result<Json<ScenarioInfo>, ApiError> {
    caller.require(Need::Analyse)?;
    let def = parse_body::<ScenarioBody>(&body)?.into_scenario(name)?;
    Ok(Json(state.engine.put(def).await?))
}

pub async fn delete_scenario(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Extension(caller): Extension<Caller>,
) -> Result<StatusCode, ApiError> {
    caller.require(Need::Analyse)?;
    if state.engine.delete(&name).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_scenario",
            format!("unknown scenario `{name}`"),
        ))
    }
}

pub async fn validate(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: axum::body::Bytes,
) -> Result<Json<crate::engine::Validated>, ApiError> {
    caller.require(Need::Analyse)?;
    let mut body = parse_body::<ScenarioBody>(&body)?;
    let name = body.name.take().unwrap_or_else(|| "draft".into());
    let def = body.into_scenario(name)?;
    Ok(Json(state.engine.validate(&def).await?))
}

#[derive(Deserialize)]
pub struct AlertsQuery {
    since: Option<String>,
}

pub async fn alerts(
    State(state): State<Arc<AppState>>,
    axum::extract::Query(q): axum::extract::Query<AlertsQuery>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<AlertEvent>>, ApiError> {
    caller.require(Need::View)?;
    let since = match q.since {
        None => None,
        Some(t) => Some(
            chrono::DateTime::parse_from_rfc3339(&t)
                .map_err(|e| ApiError::bad_request(format!("since: not an RFC 3339 time: {e}")))?
                .with_timezone(&chrono::Utc),
        ),
    };
    Ok(Json(state.engine.alerts().since(since, caller.rows.as_deref())))
}

#[derive(Deserialize)]
pub struct AckBody {
    scenario: String,
    key: Vec<serde_json::Value>,
}

/// `POST /api/v1/alerts/ack`: whoever may view may acknowledge (the operators at the wall).
pub async fn ack_alert(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: axum::body::Bytes,
) -> Result<Json<crate::engine::alerts::Ack>, ApiError> {
    caller.require(Need::View)?;
    let body = parse_body::<AckBody>(&body)?;
    state
        .engine
        .alerts()
        .ack(&body.scenario, &body.key, &caller.name, caller.rows.as_deref())
        .map(Json)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_alert",
                format!("no alert of `{}` is firing for that key", body.scenario),
            )
        })
}

#[derive(Serialize)]
pub struct TableInfo {
    name: String,
    kind: &'static str,
    columns: Vec<ColumnInfo>,
}

/// `GET /api/v1/tables`: every name a scenario may read, with its columns (for the console's completion).
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
pub async fn sources(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<crate::ingest::connectors::SourceInfo>>, ApiError> {
    caller.require(Need::View)?;
    Ok(Json(state.sources.statuses().map(|s| s.info()).collect()))
}

/// `GET /api/v1/sources/{stream}/rejects`: the last rejected messages of the stream's sources, oldest
/// first, each with the source it came through.
pub async fn source_rejects(
    State(state): State<Arc<AppState>>,
    Path(stream): Path<String>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<serde_json::Value>>, ApiError> {
    caller.require(Need::View)?;
    if state.catalog.stream(&stream).is_none() {
        return Err(IngestError::UnknownStream(stream).into());
    }
    let mut list = Vec::new();
    for s in state.sources.statuses().filter(|s| s.stream == stream) {
        for r in s.rejects() {
            let mut v = serde_json::to_value(&r).map_err(ApiError::internal)?;
            v["kind"] = serde_json::Value::from(s.kind);
            v["source"] = serde_json::Value::from(s.name.clone());
            list.push(v);
        }
    }
    list.sort_by(|a, b| a["at"].as_str().cmp(&b["at"].as_str()));
    Ok(Json(list))
}
