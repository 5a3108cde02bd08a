//! The OpenAPI description of the HTTP API, served at `GET /api/v1/openapi.json`.
//!
//! Nothing here is written by hand about a route: each handler carries `#[utoipa::path]` (method, path,
//! parameters, bodies, answers) and its request and response types derive `utoipa::ToSchema`; the router
//! (`api::router`) registers every route through `utoipa_axum`'s `OpenApiRouter` and `routes!`, which adds
//! a handler to the router and its description to the document in one step, so a route cannot be served
//! without being described. This module holds what is not a route's: the document's title, the tags, the
//! bearer-token security scheme, and the handler that serves the finished document.
//!
//! Decisions: a type derives `ToSchema` where it is defined (engine, ingest, catalog, fanout), beside the
//! `Serialize` that makes its shape, so the shape and its description change together. The document is
//! public (like `/healthz`): it describes the API and holds no data. It is OpenAPI 3.1, serialised once
//! when the router is built. The WebSocket protocol of `/ws` is beyond what OpenAPI can describe; its
//! entry names the upgrade and docs/protocol.md describes the messages. The wall's pages and bundles (the
//! router's fallback) are not part of the API and are not in it.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::OpenApi;

use super::error::ErrorBody;

/// The document's parts that are not routes; `api::router` adds the routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "ioc-stream",
        description = "Live SQL operating scenarios for a provincial Intelligent Operations Center. \
            The WebSocket protocol of /ws and the rules behind these answers: docs/protocol.md.",
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerToken),
    security(("bearer" = [])),
    tags(
        (name = "ingest", description = "Events in: NDJSON, JSON arrays or Arrow IPC"),
        (name = "streams", description = "The stream catalog and what the store holds"),
        (name = "scenarios", description = "Operating scenarios: define, validate, read results"),
        (name = "query", description = "One-shot SQL"),
        (name = "alerts", description = "Alert transitions and acknowledgements"),
        (name = "dashboards", description = "Wall and tablet layouts"),
        (name = "sources", description = "Broker sources (NATS JetStream, MQTT)"),
        (name = "operations", description = "Health, readiness, metrics, this document"),
        (name = "websocket", description = "Live results: docs/protocol.md, \"WebSocket\""),
    )
)]
pub struct Base;

/// `Authorization: Bearer TOKEN`, required on every call but `/healthz`, `/readyz` and this document when
/// tokens are configured (docs/protocol.md, "Auth").
struct BearerToken;

impl utoipa::Modify for BearerToken {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// The finished document as JSON, shared by every request.
#[derive(Debug, Clone)]
pub struct Document(bytes::Bytes);

impl Document {
    pub fn new(doc: &utoipa::openapi::OpenApi) -> Document {
        Document(doc.to_json().expect("the OpenAPI document serialises").into())
    }
}

/// `GET /api/v1/openapi.json`.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "operations",
    security(()),
    responses((status = 200, description = "This document (OpenAPI 3.1)", content_type = "application/json", body = Object))
)]
pub async fn serve(Extension(doc): Extension<Document>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], doc.0).into_response()
}
