//! One evaluation of a scenario: run its planned query as of now (with the evaluation timeout), check the
//! result's size, update its alerts, diff it against the last result by key and publish a change when
//! there is one, then record the time, what was read and any error in the scenario's status.
//!
//! Also the one-shot paths that plan and run a query once: [`Engine::query_once`] (`POST /api/v1/query`)
//! and [`Engine::plan`], which every definition goes through before it is registered or validated.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::alerts;
use super::diff;
use super::info::Validated;
use super::prepared::{Output, Prepared};
use super::registry::{self, Planned, Running};
use super::sandbox::SqlError;
use super::{Engine, EngineError, QueryOutput, Scenario};
use crate::fanout::{Change, ResultView};
use crate::values::{self, Row};

/// A scenario whose evaluations take longer than this (median of the recent ones) runs on the
/// lower-priority runtime; one faster than `LIGHT_MS` comes back.
const HEAVY_MS: f64 = 25.0;
const LIGHT_MS: f64 = 10.0;

impl Engine {
    /// Runs `work` (planning) on the evaluation runtime, whose threads have large stacks for deep but legal
    /// queries, within the evaluation timeout.
    async fn on_eval_runtime<T: Send + 'static>(
        &self,
        work: impl std::future::Future<Output = Result<T, EngineError>> + Send + 'static,
    ) -> Result<T, EngineError> {
        let handle = self.runtimes.light().ok_or(EngineError::ShuttingDown)?;
        let timeout = self.limits.eval_timeout;
        let task = handle.spawn(async move {
            match tokio::time::timeout(timeout, work).await {
                Ok(r) => r,
                Err(_) => Err(EngineError::Sql(SqlError::new(format!(
                    "planning the query took longer than {} ms",
                    timeout.as_millis()
                )))),
            }
        });
        task.await
            .map_err(|e| EngineError::Sql(SqlError::new(format!("planning failed: {e}"))))?
    }

    /// Plans `sql` (on the evaluation runtime). `incremental` is false for queries that run once.
    pub async fn prepare(&self, sql: &str, incremental: bool) -> Result<Arc<Prepared>, SqlError> {
        let (base, store, sql) = (self.base.clone(), self.store.clone(), sql.to_string());
        let mut planning = self.planning.clone();
        planning.incremental &= incremental;
        let planned = self
            .on_eval_runtime(async move { Ok(Prepared::new(&base, &store, &sql, &planning).await?) })
            .await;
        match planned {
            Ok(p) => Ok(Arc::new(p)),
            Err(EngineError::Sql(e)) => Err(e),
            Err(e) => Err(SqlError::new(e.to_string())),
        }
    }

    /// Checks a definition and plans it: the SQL is one allowed query that plans, the key columns are
    /// columns of its result, and the alert condition is a true/false expression over them.
    pub async fn plan(&self, def: &Scenario) -> Result<Planned, EngineError> {
        registry::reserved(&def.name)?;
        def.check()?;
        let (base, store, planning, def) = (
            self.base.clone(),
            self.store.clone(),
            self.planning.clone(),
            def.clone(),
        );
        self.on_eval_runtime(async move {
            let prepared = Arc::new(Prepared::new(&base, &store, &def.sql, &planning).await?);
            if let Some(k) = def.key.iter().find(|k| !prepared.columns.iter().any(|c| &c.name == *k)) {
                return Err(EngineError::UnknownKey(k.clone()));
            }
            let alert = match &def.alert {
                None => None,
                Some(a) => {
                    crate::engine::sandbox::check_size(&a.when)?;
                    let condition = prepared
                        .condition(&a.when)
                        .map_err(|e| EngineError::AlertCondition(e.to_string()))?;
                    let empty = datafusion::arrow::record_batch::RecordBatch::new_empty(prepared.schema.clone());
                    alerts::matching(&condition, a, &[empty]).map_err(EngineError::AlertCondition)?;
                    Some(condition)
                }
            };
            Ok(Planned { prepared, alert })
        })
        .await
    }

    /// Checks a definition without registering it.
    pub async fn validate(&self, def: &Scenario) -> Result<Validated, EngineError> {
        let planned = self.plan(def).await?;
        let p = &planned.prepared;
        Ok(Validated {
            ok: true,
            columns: p.columns.clone(),
            mode: p.mode.clone(),
            full_reason: p.full_reason.clone(),
        })
    }

    /// Plans and runs `sql` once with the evaluation timeout, reading at most `limit` rows of its result
    /// (`POST /api/v1/query`); `truncated` says whether there were more.
    pub async fn query_once(self: &Arc<Self>, sql: String, limit: usize) -> Result<QueryOutput, SqlError> {
        let prepared = self.prepare(&sql, false).await?;
        let handle = self
            .runtimes
            .light()
            .ok_or_else(|| SqlError::new("the engine is shutting down"))?;
        let timeout = self.limits.eval_timeout;
        let run = prepared.clone();
        let task = handle.spawn(async move {
            match tokio::time::timeout(timeout, run.run_limited(Utc::now(), limit)).await {
                Ok(r) => r.map_err(SqlError::from),
                Err(_) => Err(SqlError::new(format!(
                    "the query took longer than {} ms",
                    timeout.as_millis()
                ))),
            }
        });
        let (out, truncated) = task
            .await
            .map_err(|e| SqlError::new(format!("the query failed: {e}")))??;
        Ok(QueryOutput {
            columns: prepared.columns.clone(),
            rows: values::rows_of(&out.batches),
            inputs: prepared.inputs.clone(),
            batches: out.batches,
            truncated,
        })
    }

    /// One evaluation of `sc`, as of now.
    pub(super) async fn evaluate(self: Arc<Self>, sc: Arc<Running>) {
        let Some(planned) = sc.planned.clone() else {
            return;
        };
        let prepared = &planned.prepared;
        let started = Instant::now();
        let before = prepared.stats.totals();
        let at = Utc::now();
        let timeout = self.limits.eval_timeout;
        let cached = prepared.cached_segments();
        let mut warming = None;
        let outcome = match tokio::time::timeout(timeout, prepared.run(at)).await {
            Ok(r) => r.map_err(|e| SqlError::from(e).message),
            // Out of time, but the segments it finished are cached: the next evaluation carries on from
            // there (a first evaluation over a year of history), so this is progress, not an error.
            Err(_) if prepared.cached_segments() > cached => {
                warming = Some(prepared.cached_segments());
                Err(String::new())
            }
            Err(_) => Err(format!("the evaluation took longer than {} ms", timeout.as_millis())),
        };
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        metrics::histogram!("ioc_scenario_eval_seconds", "scenario" => sc.def.name.clone()).record(elapsed_ms / 1000.0);
        let scanned = prepared.stats.totals() - before;
        let mut result_rows = None;
        let result = outcome.and_then(|out| {
            result_rows = Some(out.batches.iter().map(|b| b.num_rows()).sum());
            self.publish(&sc, &planned, out, at)
        });
        let mut status = sc.status.lock();
        status.timed(elapsed_ms);
        status.scanned = scanned;
        if let Some(n) = result_rows {
            status.result_rows = n;
        }
        let p50 = status.percentile(50.0).unwrap_or(0.0);
        if !status.heavy && status.times_ms.len() >= 3 && p50 > HEAVY_MS {
            status.heavy = true;
        } else if status.heavy && p50 < LIGHT_MS {
            status.heavy = false;
        }
        status.warming = warming;
        match result {
            Ok(()) => status.last_error = None,
            Err(_) if warming.is_some() => {
                tracing::info!(scenario = %sc.def.name, segments = ?warming, "first evaluation: filling the cache, carrying on at the next tick");
            }
            Err(e) => {
                if status.last_error.as_deref() != Some(e.as_str()) {
                    tracing::warn!(scenario = %sc.def.name, error = %e, "evaluation failed");
                }
                metrics::counter!("ioc_scenario_errors_total", "scenario" => sc.def.name.clone()).increment(1);
                status.errors += 1;
                status.last_error = Some(e);
            }
        }
    }

    fn publish(&self, sc: &Running, planned: &Planned, out: Output, at: DateTime<Utc>) -> Result<(), String> {
        let prepared = &planned.prepared;
        let n: usize = out.batches.iter().map(|b| b.num_rows()).sum();
        if n > self.limits.max_result_rows {
            return Err(format!(
                "the result has {n} rows, more than the limit of {}",
                self.limits.max_result_rows
            ));
        }
        let rows = values::rows_of(&out.batches);
        let key: Vec<usize> = sc
            .def
            .key
            .iter()
            .map(|k| {
                prepared
                    .columns
                    .iter()
                    .position(|c| &c.name == k)
                    .ok_or_else(|| format!("key column `{k}` is not a column of the result"))
            })
            .collect::<Result<_, _>>()?;
        let index = if key.is_empty() {
            diff::Keyed::default()
        } else {
            diff::index(&rows, &key)?
        };
        let columns = Arc::new(prepared.columns.clone());
        if let (Some(alert), Some(condition)) = (&sc.def.alert, &planned.alert) {
            let meets =
                alerts::matching(condition, alert, &out.batches).map_err(|e| format!("alert condition: {e}"))?;
            let flagged: Vec<(Vec<Value>, &Row, bool)> = rows
                .iter()
                .zip(meets)
                .enumerate()
                .map(|(i, (row, m))| {
                    let k = if key.is_empty() {
                        vec![Value::from(i)]
                    } else {
                        diff::key_of(row, &key)
                    };
                    (k, row, m)
                })
                .collect();
            self.alerts.update(&sc.def.name, &alert.severity, &columns, &flagged);
        }
        let mut last = sc.last.lock();
        let change = match last.as_ref() {
            None => Some(Change::Snapshot),
            Some((view, old_index)) => diff::diff(&view.rows, old_index, &rows, &index, &key),
        };
        let Some(change) = change else {
            return Ok(());
        };
        let view = Arc::new(ResultView {
            scenario: sc.def.name.as_str().into(),
            epoch: sc.epoch.clone(),
            seq: last.as_ref().map_or(0, |(v, _)| v.seq) + 1,
            columns,
            key: Arc::new(sc.def.key.clone()),
            rows: Arc::new(rows),
            index: index.index.clone(),
            evaluated_at: Some(at),
            data_time: out.data_time.and_then(DateTime::<Utc>::from_timestamp_millis),
        });
        sc.topic.publish(view.clone(), &change);
        *last = Some((view, index));
        Ok(())
    }
}
