//! The HTTP server: REST under `/api/v1`, WebSocket at `/ws`, `/metrics`, `/healthz`, `/readyz` and the
//! wall page. Every request passes `site::guard` (Host, Origin); the API, `/ws` and `/metrics` then
//! `authenticate`; the JSON API's bodies `body::json_body`. Every route is registered with its OpenAPI
//! description ([`openapi`]); the wall's pages are the one fallback.

pub mod accept;
pub mod alerts;
pub mod assets;
pub mod auth;
pub mod body;
pub mod cluster;
pub mod dashboards;
pub mod error;
pub mod events;
pub mod openapi;
pub mod rest;
pub mod scenarios;
pub mod silence;
pub mod site;
pub mod ws;

use std::sync::{Arc, OnceLock};

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::catalog::Catalog;
use crate::config::Config;
use crate::engine::Engine;
use crate::fanout::Hub;
use crate::ingest::Ingestor;
use crate::store::Store;
use error::ErrorBody;

/// What every handler may use.
#[derive(Debug)]
pub struct AppState {
    pub config: Arc<Config>,
    pub catalog: Arc<Catalog>,
    pub store: Arc<Store>,
    pub ingestor: Arc<Ingestor>,
    pub engine: Arc<Engine>,
    pub hub: Arc<Hub>,
    pub auth: Arc<auth::Auth>,
    pub shutdown: CancellationToken,
    /// Upgraded WebSocket connections, which the HTTP server's graceful shutdown no longer tracks.
    pub connections: tokio_util::task::TaskTracker,
    /// The names and origins this server answers to.
    pub site: site::Site,
    pub health: Arc<crate::health::Health>,
    /// The broker sources of the catalog and their status.
    pub sources: Arc<crate::ingest::connectors::Sources>,
    /// This node's membership of a cluster (docs/cluster.md); none for a single node.
    pub cluster: Option<Arc<crate::cluster::Node>>,
}

/// The whole HTTP server: [`routes`], with the OpenAPI document they make, and the wall's pages as the
/// fallback.
pub fn router(state: Arc<AppState>) -> Router {
    let (api, doc) = routes(state.clone()).split_for_parts();
    api.layer(axum::Extension(openapi::Document::new(&doc)))
        // Pages and bundles gzip-compressed for tablets on 4G.
        .fallback_service(get(assets::serve).layer(tower_http::compression::CompressionLayer::new()))
        .layer(axum::middleware::from_fn_with_state(state.clone(), site::guard))
        // Ingest and the JSON routes read with their own limits; this bounds any other extractor.
        .layer(axum::extract::DefaultBodyLimit::max(state.config.limits.max_body_bytes))
        .with_state(state)
}

/// Every route of the API, each registered with its OpenAPI description (`routes!` reads the handler's
/// `#[utoipa::path]`), so nothing is served that `GET /api/v1/openapi.json` does not show. Routes are
/// added here only this way (`tests/scenarios_api.rs` checks it).
pub fn routes(state: Arc<AppState>) -> OpenApiRouter<Arc<AppState>> {
    // Routes whose bodies are JSON: read whole, in time, within their limit, before the handler.
    let json = OpenApiRouter::new()
        .routes(routes!(rest::streams))
        .routes(routes!(scenarios::list))
        .routes(routes!(scenarios::validate))
        .routes(routes!(scenarios::get, scenarios::put, scenarios::delete))
        .routes(routes!(scenarios::result))
        .routes(routes!(alerts::list))
        .routes(routes!(alerts::ack))
        .routes(routes!(rest::tables))
        .routes(routes!(dashboards::list))
        .routes(routes!(dashboards::get, dashboards::put, dashboards::delete))
        .routes(routes!(rest::query))
        .routes(routes!(rest::sources))
        .routes(routes!(rest::source_rejects))
        .routes(routes!(cluster::view))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), body::json_body));
    OpenApiRouter::with_openapi(openapi::Base::openapi())
        .merge(json)
        // Ingest reads its own body (its formats, its larger limit, the same deadline).
        .routes(routes!(events::ingest))
        .routes(routes!(metrics))
        .routes(routes!(ws::upgrade))
        .route_layer(axum::middleware::from_fn_with_state(state, authenticate))
        .routes(routes!(rest::healthz))
        .routes(routes!(rest::readyz))
        .routes(routes!(openapi::serve))
}

/// Finds the caller of every API, WebSocket and metrics request (401/403 here), for the handlers to check
/// what it may do. `?token=` is taken on `/ws` only (browsers cannot set headers on a WebSocket); anywhere
/// else a token in the URL is refused (400 `token_in_url`), since URLs end up in proxy and access logs.
async fn authenticate(
    State(state): State<Arc<AppState>>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let query_token = request
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("token=")))
        .map(str::to_string);
    if query_token.is_some() && request.uri().path() != "/ws" {
        return error::ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "token_in_url",
            "send the token as `Authorization: Bearer TOKEN`; `?token=` is taken on /ws only",
        )
        .into_response();
    }
    match state.auth.caller(request.headers(), query_token.as_deref(), peer) {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(e) => e.into_response(),
    }
}

/// The process-wide Prometheus recorder (metrics macros write to one global recorder).
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Another recorder may be installed already (a test harness): then our handle renders nothing
        // from the macros, but the gauges below still come through `render`.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// `GET /metrics`: Prometheus text.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition (docs/protocol.md, \"Metrics\")", content_type = "text/plain", body = String),
        (status = "4XX", description = "No token, or a token that may not view", body = ErrorBody),
    )
)]
async fn metrics(
    State(state): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<auth::Caller>,
) -> Result<impl IntoResponse, error::ApiError> {
    caller.require(auth::Need::View)?;
    for s in state.store.streams() {
        let stats = s.stats();
        let name = s.def.name.clone();
        metrics::gauge!("ioc_store_rows", "stream" => name.clone()).set(stats.rows as f64);
        metrics::gauge!("ioc_store_bytes", "stream" => name.clone()).set(stats.bytes as f64);
        metrics::gauge!("ioc_store_segments", "stream" => name).set(stats.segments as f64);
    }
    for sc in state.engine.list() {
        let name = sc.name.clone();
        metrics::gauge!("ioc_scenario_last_eval_ms", "scenario" => name.clone()).set(sc.last_eval_ms.unwrap_or(0.0));
        metrics::gauge!("ioc_scenario_p99_eval_ms", "scenario" => name.clone()).set(sc.p99_eval_ms.unwrap_or(0.0));
        metrics::gauge!("ioc_scenario_rows_scanned", "scenario" => name.clone()).set(sc.rows_scanned as f64);
        metrics::gauge!("ioc_scenario_segments_skipped", "scenario" => name.clone()).set(sc.segments_skipped as f64);
        metrics::gauge!("ioc_scenario_result_rows", "scenario" => name.clone()).set(sc.result_rows as f64);
        metrics::gauge!("ioc_scenario_segments_cached", "scenario" => name.clone()).set(sc.segments_cached as f64);
        metrics::gauge!("ioc_scenario_cache_bytes", "scenario" => name.clone()).set(sc.cache_bytes as f64);
        let incremental = sc.mode == Some(crate::engine::Mode::Incremental);
        metrics::gauge!("ioc_scenario_incremental", "scenario" => name.clone()).set(if incremental {
            1.0
        } else {
            0.0
        });
        metrics::gauge!("ioc_scenario_up", "scenario" => name).set(if sc.is_ok() { 1.0 } else { 0.0 });
    }
    let scan = state.engine.scan_totals();
    metrics::counter!("ioc_scan_segments_scanned_total").absolute(scan.segments_scanned);
    metrics::counter!("ioc_scan_segments_skipped_total").absolute(scan.segments_skipped);
    metrics::counter!("ioc_scan_rows_total").absolute(scan.rows_scanned);
    let cache = state.engine.cache_usage();
    metrics::gauge!("ioc_engine_cache_bytes").set(cache.used_bytes as f64);
    metrics::gauge!("ioc_engine_cache_limit_bytes").set(cache.limit_bytes as f64);
    metrics::gauge!("ioc_engine_cache_entries").set(cache.entries as f64);
    metrics::counter!("ioc_engine_cache_refused_total").absolute(cache.refused);
    for source in state.sources.statuses() {
        source.record_metrics();
    }
    let fan = state.hub.totals();
    metrics::counter!("ioc_fanout_frames_queued_total").absolute(fan.frames_queued);
    metrics::counter!("ioc_fanout_bytes_queued_total").absolute(fan.bytes_queued);
    metrics::counter!("ioc_fanout_lagged_total").absolute(fan.lagged);
    metrics::counter!("ioc_fanout_resumed_total").absolute(fan.resumed);
    metrics::gauge!("ioc_fanout_history_bytes").set(fan.history_bytes as f64);
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        prometheus().render(),
    ))
}
