//! Alerts over HTTP: the transitions kept (`GET /api/v1/alerts?since=`) and acknowledgements
//! (`POST /api/v1/alerts/ack`), both within the caller's row limit. Firing and resolving is the
//! engine's (`engine::alerts`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::auth::{Caller, Need};
use super::body::parse_json;
use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::fanout::message::{Ack, AlertEvent};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertsQuery {
    /// RFC 3339: transitions at or after this time (default: all that are kept).
    since: Option<String>,
}

/// `GET /api/v1/alerts`: alert transitions, oldest first (within the caller's row limit).
#[utoipa::path(
    get,
    path = "/api/v1/alerts",
    tag = "alerts",
    params(AlertsQuery),
    responses(
        (status = 200, description = "Transitions, oldest first", body = Vec<AlertEvent>),
        (status = 400, description = "`since` is not an RFC 3339 time", body = ErrorBody),
        (status = "4XX", description = "No token, or one that may not view", body = ErrorBody),
    )
)]
pub async fn list(
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

/// The body of `POST /api/v1/alerts/ack`.
#[derive(Deserialize, ToSchema)]
pub struct AckBody {
    scenario: String,
    key: Vec<serde_json::Value>,
}

/// `POST /api/v1/alerts/ack`: whoever may view may acknowledge (the operators at the wall).
#[utoipa::path(
    post,
    path = "/api/v1/alerts/ack",
    tag = "alerts",
    request_body = AckBody,
    responses(
        (status = 200, description = "Acknowledged; also sent to the `alerts` topic", body = Ack),
        (status = 404, description = "No alert of the scenario is firing for that key (`unknown_alert`)", body = ErrorBody),
        (status = "4XX", description = "No token, or one that may not view", body = ErrorBody),
    )
)]
pub async fn ack(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: axum::body::Bytes,
) -> Result<Json<Ack>, ApiError> {
    caller.require(Need::View)?;
    let body = parse_json::<AckBody>(&body)?;
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
