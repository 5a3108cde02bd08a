//! Scenarios over HTTP: list, read one and its current result, create or replace (written to its file),
//! delete, and validate a draft (PROTOCOL.md, "HTTP"). The rules a definition follows are
//! `Scenario::check`'s, not this module's.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::{Caller, Need};
use super::body::parse_json;
use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::engine::{AlertDef, ResultBody, Scenario, ScenarioInfo, Trigger};

/// `GET /api/v1/scenarios`.
#[utoipa::path(
    get,
    path = "/api/v1/scenarios",
    tag = "scenarios",
    responses(
        (status = 200, description = "Every scenario with its status", body = Vec<ScenarioInfo>),
        (status = "4XX", description = "No token, or one that may not view", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<ScenarioInfo>>, ApiError> {
    caller.require(Need::View)?;
    Ok(Json(state.engine.list()))
}

/// `GET /api/v1/scenarios/{name}`.
#[utoipa::path(
    get,
    path = "/api/v1/scenarios/{name}",
    tag = "scenarios",
    params(("name" = String, Path, description = "The scenario's name")),
    responses(
        (status = 200, description = "The scenario with its status", body = ScenarioInfo),
        (status = 404, description = "Unknown scenario (`unknown_scenario`)", body = ErrorBody),
        (status = "4XX", description = "No token, or one that may not view", body = ErrorBody),
    )
)]
pub async fn get(
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

/// `GET /api/v1/scenarios/{name}/result`: the current result (within the caller's row limit).
#[utoipa::path(
    get,
    path = "/api/v1/scenarios/{name}/result",
    tag = "scenarios",
    params(("name" = String, Path, description = "The scenario's name")),
    responses(
        (status = 200, description = "The current result; `seq` 0 until the first evaluation", body = ResultBody),
        (status = 404, description = "Unknown scenario (`unknown_scenario`)", body = ErrorBody),
        (status = "4XX", description = "No token, or one that may not view", body = ErrorBody),
    )
)]
pub async fn result(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<ResultBody>, ApiError> {
    caller.require(Need::View)?;
    // An edge first brings the scenario's results in from the cluster (docs/cluster.md).
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

/// The body of `PUT /api/v1/scenarios/{name}` and (with `name`) `POST /api/v1/scenarios/validate`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioBody {
    /// `validate` only (default `draft`); `PUT` takes the name from the path.
    #[serde(default)]
    name: Option<String>,
    sql: String,
    /// Default: the name.
    title: Option<String>,
    /// Default 2000 (25 with `on: change`).
    every_ms: Option<u64>,
    /// Default `interval`.
    on: Option<Trigger>,
    /// Result columns that identify a row.
    key: Option<Vec<String>>,
    /// `kpi`, `ranking`, `timeseries` or `table` (default).
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
        def.check()?;
        Ok(def)
    }
}

/// `PUT /api/v1/scenarios/{name}`: creates or replaces a scenario, written to its file.
#[utoipa::path(
    put,
    path = "/api/v1/scenarios/{name}",
    tag = "scenarios",
    params(("name" = String, Path, description = "The scenario's name (also its file's stem)")),
    request_body = ScenarioBody,
    responses(
        (status = 200, description = "Saved; the scenario as listed", body = ScenarioInfo),
        (status = 400, description = "A rule is broken (`bad_request`) or the SQL does not plan (`invalid_sql`)", body = ErrorBody),
        (status = "4XX", description = "No token, or one that may not analyse", body = ErrorBody),
    )
)]
pub async fn put(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Extension(caller): Extension<Caller>,
    body: axum::body::Bytes,
) -> Result<Json<ScenarioInfo>, ApiError> {
    caller.require(Need::Analyse)?;
    let def = parse_json::<ScenarioBody>(&body)?.into_scenario(name)?;
    Ok(Json(state.engine.put(def).await?))
}

/// `DELETE /api/v1/scenarios/{name}`: removes the scenario and its file; subscribers get
/// `scenario_removed`.
#[utoipa::path(
    delete,
    path = "/api/v1/scenarios/{name}",
    tag = "scenarios",
    params(("name" = String, Path, description = "The scenario's name")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "Unknown scenario (`unknown_scenario`)", body = ErrorBody),
        (status = "4XX", description = "No token, or one that may not analyse", body = ErrorBody),
    )
)]
pub async fn delete(
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

/// `POST /api/v1/scenarios/validate`: checks and plans a definition without saving it.
#[utoipa::path(
    post,
    path = "/api/v1/scenarios/validate",
    tag = "scenarios",
    request_body = ScenarioBody,
    responses(
        (status = 200, description = "It plans: its columns and how it would be evaluated", body = crate::engine::Validated),
        (status = 400, description = "As for `PUT`", body = ErrorBody),
        (status = "4XX", description = "No token, or one that may not analyse", body = ErrorBody),
    )
)]
pub async fn validate(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: axum::body::Bytes,
) -> Result<Json<crate::engine::Validated>, ApiError> {
    caller.require(Need::Analyse)?;
    let mut body = parse_json::<ScenarioBody>(&body)?;
    let name = body.name.take().unwrap_or_else(|| "draft".into());
    let def = body.into_scenario(name)?;
    Ok(Json(state.engine.validate(&def).await?))
}
