//! Dashboards for the wall and the tablet: `queries/dashboards/NAME.toml`, read on every request (so a file
//! edited on disk shows on the next page load), written atomically by `PUT` (temporary file, then rename).
//!
//! A dashboard is `title` (+ `title_en`), `rotate_seconds` (default 30, 0 = no rotation) and `pages`, each
//! with `title` and `panels`. A panel has a `type` (kpi, timeseries, ranking, table, alerts, map), the
//! `scenario` it shows (not for `alerts`), an optional `area = [column, row, width, height]` on a 12 x 6
//! grid, and display hints the frontend reads (`value`, `label`, `x`, `y`, `columns`, `lat`, `lon`,
//! `format`, `limit`, ...), which are kept as they are. A panel may name a scenario that does not exist
//! (yet): the wall shows that in the panel. docs/protocol.md, "Dashboards", is the reference.

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde_json::{Map, Value};

use super::auth::{Caller, Need};
use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::catalog::valid_name;

pub const PANEL_TYPES: [&str; 6] = ["kpi", "timeseries", "ranking", "table", "alerts", "map"];
/// Largest dashboard file or body we accept.
pub const MAX_BYTES: usize = 256 << 10;
const MAX_PAGES: usize = 50;
const MAX_PANELS: usize = 48;

fn dir(state: &AppState) -> PathBuf {
    state.config.queries.join("dashboards")
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_dashboard", message)
}

fn unknown(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown_dashboard",
        format!("unknown dashboard `{name}`"),
    )
}

/// Checks a dashboard's shape; returns it unchanged when it is valid.
pub fn validate(value: &Value) -> Result<&Map<String, Value>, String> {
    let obj = value.as_object().ok_or("a dashboard is an object")?;
    match obj.get("title") {
        Some(Value::String(t)) if !t.trim().is_empty() => {}
        _ => return Err("`title` (text) is required".into()),
    }
    if let Some(r) = obj.get("rotate_seconds") {
        if r.as_u64().is_none_or(|r| r > 86_400) {
            return Err("`rotate_seconds` is a whole number of seconds, 0 to 86400".into());
        }
    }
    let pages = match obj.get("pages") {
        Some(Value::Array(p)) if !p.is_empty() => p,
        _ => return Err("`pages` must be a non-empty list".into()),
    };
    if pages.len() > MAX_PAGES {
        return Err(format!("at most {MAX_PAGES} pages"));
    }
    for (i, page) in pages.iter().enumerate() {
        let at = format!("pages[{}]", i + 1);
        let page = page.as_object().ok_or(format!("{at}: a page is a table"))?;
        if !page.get("title").is_some_and(Value::is_string) {
            return Err(format!("{at}: `title` (text) is required"));
        }
        let panels = match page.get("panels") {
            Some(Value::Array(p)) if !p.is_empty() => p,
            _ => return Err(format!("{at}: `panels` must be a non-empty list")),
        };
        if panels.len() > MAX_PANELS {
            return Err(format!("{at}: at most {MAX_PANELS} panels"));
        }
        for (j, panel) in panels.iter().enumerate() {
            let at = format!("{at}.panels[{}]", j + 1);
            let panel = panel.as_object().ok_or(format!("{at}: a panel is a table"))?;
            let ty = panel.get("type").and_then(Value::as_str).unwrap_or("");
            if !PANEL_TYPES.contains(&ty) {
                return Err(format!("{at}: `type` must be one of {}", PANEL_TYPES.join(", ")));
            }
            match panel.get("scenario") {
                Some(Value::String(s)) if valid_name(s) => {}
                Some(_) => return Err(format!("{at}: `scenario` is not a valid scenario name")),
                None if ty == "alerts" => {}
                None => return Err(format!("{at}: `scenario` is required for a {ty} panel")),
            }
            if let Some(area) = panel.get("area") {
                let ok = area.as_array().is_some_and(|a| {
                    a.len() == 4 && a.iter().all(|v| v.as_u64().is_some_and(|n| (1..=12).contains(&n)))
                });
                if !ok {
                    return Err(format!(
                        "{at}: `area` is [column, row, width, height], whole numbers from 1 to 12"
                    ));
                }
            }
        }
    }
    Ok(obj)
}

fn read(path: &FsPath, name: &str) -> Result<Value, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_BYTES as u64 {
        return Err(format!("larger than {MAX_BYTES} bytes"));
    }
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let value: Value = toml::from_str(&text).map_err(|e| e.to_string())?;
    validate(&value)?;
    let mut obj = value.as_object().cloned().unwrap_or_default();
    obj.insert("name".into(), Value::String(name.to_string()));
    Ok(Value::Object(obj))
}

/// Every dashboard file, sorted by name; a file that does not parse is logged and left out.
pub fn load_all(dir: &FsPath) -> Vec<Value> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .filter_map(|p| Some((p.file_stem()?.to_str()?.to_string(), p)))
        .filter(|(n, _)| valid_name(n))
        .collect();
    names.sort();
    names
        .into_iter()
        .filter_map(|(name, path)| match read(&path, &name) {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "dashboard left out");
                None
            }
        })
        .collect()
}

/// `GET /api/v1/dashboards`.
#[utoipa::path(
    get,
    path = "/api/v1/dashboards",
    tag = "dashboards",
    responses(
        (status = 200, description = "Every dashboard file that is valid, by name, each with its `name`", body = Vec<Object>),
        (status = "4XX", description = "No token, or one that may not view", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<Value>>, ApiError> {
    caller.require(Need::View)?;
    let dir = dir(&state);
    let all = tokio::task::spawn_blocking(move || load_all(&dir))
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(all))
}

/// `GET /api/v1/dashboards/{name}`.
#[utoipa::path(
    get,
    path = "/api/v1/dashboards/{name}",
    tag = "dashboards",
    params(("name" = String, Path, description = "The dashboard's name (its file's stem)")),
    responses(
        (status = 200, description = "The dashboard (docs/protocol.md, \"Dashboards\"), with its `name`", body = Object),
        (status = 404, description = "Unknown dashboard (`unknown_dashboard`)", body = ErrorBody),
        (status = 500, description = "The file is not a valid dashboard (`invalid_dashboard`)", body = ErrorBody),
        (status = "4XX", description = "No token, or one that may not view", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Need::View)?;
    if !valid_name(&name) {
        return Err(unknown(&name));
    }
    let path = dir(&state).join(format!("{name}.toml"));
    if !path.is_file() {
        return Err(unknown(&name));
    }
    let value = tokio::task::spawn_blocking(move || read(&path, &name))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "invalid_dashboard", e))?;
    Ok(Json(value))
}

/// `PUT /api/v1/dashboards/{name}`: creates or replaces the dashboard's file.
#[utoipa::path(
    put,
    path = "/api/v1/dashboards/{name}",
    tag = "dashboards",
    params(("name" = String, Path, description = "The dashboard's name (its file's stem)")),
    request_body(content = Object, description = "The dashboard: `title`, `rotate_seconds`, `pages` (docs/protocol.md, \"Dashboards\")"),
    responses(
        (status = 200, description = "Saved; the dashboard with its `name`", body = Object),
        (status = 400, description = "Not a valid dashboard (`invalid_dashboard`)", body = ErrorBody),
        (status = "4XX", description = "No token, or one that may not analyse", body = ErrorBody),
    )
)]
pub async fn put(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Extension(caller): Extension<Caller>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.require(Need::Analyse)?;
    if !valid_name(&name) {
        return Err(invalid(format!(
            "`{name}` is not a valid dashboard name ([a-z_][a-z0-9_]*, at most 64 characters)"
        )));
    }
    if body.len() > MAX_BYTES {
        return Err(invalid(format!("a dashboard is at most {MAX_BYTES} bytes")));
    }
    let mut value: Value = serde_json::from_slice(&body).map_err(|e| invalid(format!("bad JSON: {e}")))?;
    if let Some(obj) = value.as_object_mut() {
        obj.remove("name");
    }
    validate(&value).map_err(invalid)?;
    let text = toml::to_string_pretty(&value).map_err(|e| invalid(format!("cannot be written as TOML: {e}")))?;
    let path = dir(&state).join(format!("{name}.toml"));
    tokio::task::spawn_blocking(move || crate::engine::write_atomically(&path, &text))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    if let Some(obj) = value.as_object_mut() {
        obj.insert("name".into(), Value::String(name));
    }
    Ok(Json(value))
}

/// `DELETE /api/v1/dashboards/{name}`: removes the dashboard's file.
#[utoipa::path(
    delete,
    path = "/api/v1/dashboards/{name}",
    tag = "dashboards",
    params(("name" = String, Path, description = "The dashboard's name")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "Unknown dashboard (`unknown_dashboard`)", body = ErrorBody),
        (status = "4XX", description = "No token, or one that may not analyse", body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Extension(caller): Extension<Caller>,
) -> Result<StatusCode, ApiError> {
    caller.require(Need::Analyse)?;
    if !valid_name(&name) {
        return Err(unknown(&name));
    }
    match std::fs::remove_file(dir(&state).join(format!("{name}.toml"))) {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(unknown(&name)),
        Err(e) => Err(ApiError::internal(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_checked() {
        let ok = serde_json::json!({"title": "T", "pages": [{"title": "p", "panels": [
            {"type": "kpi", "scenario": "a", "area": [1, 1, 3, 2], "value": "n"},
            {"type": "alerts"}]}]});
        assert!(validate(&ok).is_ok());
        for (bad, says) in [
            (serde_json::json!({"pages": []}), "title"),
            (serde_json::json!({"title": "T", "pages": []}), "pages"),
            (
                serde_json::json!({"title": "T", "pages": [{"title": "p", "panels": [{"type": "pie", "scenario": "a"}]}]}),
                "type",
            ),
            (
                serde_json::json!({"title": "T", "pages": [{"title": "p", "panels": [{"type": "kpi"}]}]}),
                "scenario",
            ),
            (
                serde_json::json!({"title": "T", "pages": [{"title": "p", "panels": [{"type": "kpi", "scenario": "../x"}]}]}),
                "scenario",
            ),
            (
                serde_json::json!({"title": "T", "pages": [{"title": "p", "panels": [{"type": "kpi", "scenario": "a", "area": [0, 1, 2]}]}]}),
                "area",
            ),
            (
                serde_json::json!({"title": "T", "rotate_seconds": -1, "pages": [{"title": "p", "panels": [{"type": "alerts"}]}]}),
                "rotate",
            ),
        ] {
            let e = validate(&bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
