//! What the engine tells about its scenarios: the list entry of each (`GET /api/v1/scenarios`), the
//! current result of one, and the answer to a validation. Read-only views; nothing here changes state.

use std::sync::Arc;

use serde::Serialize;

use super::incremental::Mode;
use super::registry::Running;
use super::{AlertDef, Engine, Trigger};
use crate::values::{self, ColumnInfo, Row};

/// A scenario as `GET /api/v1/scenarios` shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScenarioInfo {
    pub name: String,
    pub title: String,
    pub every_ms: u64,
    pub on: Trigger,
    pub key: Vec<String>,
    pub view: String,
    pub alert: Option<AlertDef>,
    pub sql: String,
    /// `ok`, `warming` (a first incremental evaluation still computing) or `error`.
    pub status: &'static str,
    pub last_error: Option<String>,
    /// `incremental` (sealed segments' partial aggregates are cached) or `full` (every evaluation reads
    /// every row its time filter keeps); null for a scenario that does not plan.
    pub mode: Option<Mode>,
    /// Why the scenario is evaluated in full: one sentence an analyst can act on; null when incremental.
    pub full_reason: Option<String>,
    pub last_eval_ms: Option<f64>,
    pub p50_eval_ms: Option<f64>,
    pub p99_eval_ms: Option<f64>,
    pub seq: u64,
    pub epoch: String,
    pub evaluations: u64,
    pub errors: u64,
    /// Of the last evaluation: rows in the segments it read, segments read, skipped by time pruning, and
    /// taken from the partial-aggregate cache.
    pub rows_scanned: u64,
    pub segments_scanned: u64,
    pub segments_skipped: u64,
    pub segments_cached: u64,
    /// History files its last evaluation opened (none for a query that stays inside the memory window).
    pub history_files_read: u64,
    /// Bytes its cached partial aggregates hold.
    pub cache_bytes: usize,
    pub result_rows: usize,
}

/// The result of a scenario as `GET /api/v1/scenarios/{name}/result` shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResultBody {
    pub scenario: String,
    /// 0 until the first evaluation.
    pub seq: u64,
    pub columns: Vec<ColumnInfo>,
    pub key: Vec<String>,
    /// Rows in column order.
    #[schema(value_type = Vec<Vec<serde_json::Value>>)]
    pub rows: Arc<Vec<Row>>,
    /// RFC 3339; null until the first evaluation.
    #[schema(format = DateTime)]
    pub evaluated_at: Option<String>,
    #[schema(format = DateTime)]
    pub data_time: Option<String>,
}

/// A definition that plans: its result columns and how it would be evaluated.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Validated {
    pub ok: bool,
    pub columns: Vec<ColumnInfo>,
    pub mode: Mode,
    pub full_reason: Option<String>,
}

impl ScenarioInfo {
    /// Planned, and its last evaluation succeeded or made progress (`status` is not `"error"`).
    pub fn is_ok(&self) -> bool {
        self.status != "error"
    }
}

impl Engine {
    pub fn list(&self) -> Vec<ScenarioInfo> {
        self.all().iter().map(|sc| info(sc)).collect()
    }

    pub fn get(&self, name: &str) -> Option<ScenarioInfo> {
        self.running(name).map(|sc| info(&sc))
    }

    pub fn result(&self, name: &str) -> Option<ResultBody> {
        let sc = self.running(name)?;
        Some(match sc.topic.current() {
            Some(v) => ResultBody {
                scenario: name.to_string(),
                seq: v.seq,
                columns: v.columns.as_ref().clone(),
                key: v.key.as_ref().clone(),
                rows: v.rows.clone(),
                evaluated_at: v.evaluated_at.map(values::format_time),
                data_time: v.data_time.map(values::format_time),
            },
            None => ResultBody {
                scenario: name.to_string(),
                seq: 0,
                columns: Vec::new(),
                key: sc.def.key.clone(),
                rows: Arc::new(Vec::new()),
                evaluated_at: None,
                data_time: None,
            },
        })
    }
}

fn info(sc: &Running) -> ScenarioInfo {
    let status = sc.status.lock();
    let error = status.broken.clone().or_else(|| status.last_error.clone());
    let prepared = sc.planned.as_ref().map(|p| &p.prepared);
    ScenarioInfo {
        name: sc.def.name.clone(),
        title: sc.def.title.clone(),
        every_ms: sc.def.every.as_millis() as u64,
        on: sc.def.trigger,
        key: sc.def.key.clone(),
        view: sc.def.view.clone(),
        alert: sc.def.alert.clone(),
        sql: sc.def.sql.clone(),
        status: match (&error, status.warming) {
            (Some(_), _) => "error",
            (None, Some(_)) => "warming",
            (None, None) => "ok",
        },
        last_error: error.or_else(|| {
            status.warming.map(|n| {
                format!("first evaluation: {n} segments' partial aggregates computed so far; it carries on at the next tick")
            })
        }),
        mode: prepared.map(|p| p.mode.clone()),
        full_reason: prepared.and_then(|p| p.full_reason.clone()),
        last_eval_ms: status.last_eval_ms,
        p50_eval_ms: status.percentile(50.0),
        p99_eval_ms: status.percentile(99.0),
        seq: sc.topic.current().map_or(0, |v| v.seq),
        // An edge's epoch is the one its topic follows.
        epoch: sc.topic.current().map_or_else(|| sc.epoch.to_string(), |v| v.epoch.to_string()),
        evaluations: status.evaluations,
        errors: status.errors,
        rows_scanned: status.scanned.rows_scanned,
        segments_scanned: status.scanned.segments_scanned,
        segments_skipped: status.scanned.segments_skipped,
        segments_cached: status.scanned.segments_cached,
        history_files_read: status.scanned.files_read,
        cache_bytes: prepared.map_or(0, |p| p.cache_bytes()),
        result_rows: status.result_rows,
    }
}
