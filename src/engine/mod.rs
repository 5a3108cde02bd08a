//! The engine: scenarios evaluated by DataFusion on their interval, results diffed by key and handed to
//! the fan-out.
//!
//! Each scenario has one task on the evaluation runtime (separate from the network runtime, so a heavy
//! query never delays a WebSocket write). The task ticks on the scenario's interval and awaits each
//! evaluation, so an evaluation still running at the next tick is never started twice (that tick is
//! skipped). Every evaluation plans the SQL anew: the stream tables snapshot their segments then, and
//! `now()` is folded to the moment of that evaluation. A failed evaluation marks the scenario `error`
//! with the message and is retried on the next tick; the other scenarios are unaffected.
//!
//! Scenarios come from `queries/*.sql` and from the API ([`Engine::put`], [`Engine::delete`]), which writes
//! the same files (atomically: a temporary file, then a rename). [`Engine::sync_dir`] picks up files edited
//! on disk while the server runs. A scenario whose file goes bad keeps its last result on screens, stops
//! evaluating and shows `status: "error"` until the file is fixed. Changing a scenario's definition starts
//! a new epoch: its subscribers get a fresh snapshot on their open connection.

pub mod alerts;
pub mod diff;
pub mod sandbox;
pub mod scenario;

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::execution::context::SQLOptions;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::execution::SessionStateBuilder;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::catalog::Catalog;
use crate::config::{Config, Limits};
use crate::fanout::{Change, Hub, ResultView, Topic};
use crate::store::table::{ScanStats, StreamTable};
use crate::store::Store;
use crate::values::{self, ColumnInfo, Row};
use alerts::Alerts;
use sandbox::SqlError;
pub use scenario::{AlertDef, Scenario, ScenarioError, Trigger};

/// The outcome of running a query once.
#[derive(Debug, Clone)]
pub struct QueryOutput {
    pub columns: Vec<ColumnInfo>,
    pub rows: Vec<Row>,
    /// Streams and tables the query reads.
    pub inputs: Vec<String>,
    pub batches: Vec<RecordBatch>,
}

/// A scenario as `GET /api/v1/scenarios` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioInfo {
    pub name: String,
    pub title: String,
    pub every_ms: u64,
    pub on: Trigger,
    pub key: Vec<String>,
    pub view: String,
    pub alert: Option<AlertDef>,
    pub sql: String,
    pub status: &'static str,
    pub last_error: Option<String>,
    pub last_eval_ms: Option<f64>,
    pub p99_eval_ms: Option<f64>,
    pub seq: u64,
    pub epoch: String,
    pub evaluations: u64,
    pub errors: u64,
    /// Of the last evaluation: rows in the segments it read, segments read and skipped by time pruning.
    pub rows_scanned: u64,
    pub segments_scanned: u64,
    pub segments_skipped: u64,
    pub result_rows: usize,
}

/// The result of a scenario as `GET /api/v1/scenarios/{name}/result` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ResultBody {
    pub scenario: String,
    pub seq: u64,
    pub columns: Vec<ColumnInfo>,
    pub key: Vec<String>,
    pub rows: Arc<Vec<Row>>,
    pub evaluated_at: Option<String>,
    pub data_time: Option<String>,
}

/// Evaluation times kept for the p99.
const EVAL_TIMES: usize = 256;

#[derive(Debug, Default)]
struct Status {
    last_error: Option<String>,
    /// The file went bad on disk: the scenario stopped; this says why.
    broken: Option<String>,
    last_eval_ms: Option<f64>,
    times_ms: VecDeque<f64>,
    evaluations: u64,
    errors: u64,
    scanned: (u64, u64, u64),
    result_rows: usize,
}

impl Status {
    fn p99(&self) -> Option<f64> {
        let mut t: Vec<f64> = self.times_ms.iter().copied().collect();
        if t.is_empty() {
            return None;
        }
        t.sort_by(f64::total_cmp);
        Some(t[((t.len() - 1) as f64 * 0.99).round() as usize])
    }
}

/// A registered scenario and its task.
#[derive(Debug)]
struct Running {
    def: Scenario,
    epoch: Arc<str>,
    topic: Arc<Topic>,
    status: Mutex<Status>,
    cancel: CancellationToken,
    /// This scenario's scan counters (the session of its evaluations carries them to the tables).
    scan: Arc<ScanStats>,
    /// Its own memory pool, so one heavy scenario cannot starve the others.
    env: Arc<RuntimeEnv>,
    /// The file text it was loaded from (or written as), to tell whether the file changed on disk.
    source: Option<String>,
}

/// The evaluation runtime; shut down without blocking, so it may be dropped from async code.
#[derive(Debug)]
struct EvalRuntime(Mutex<Option<tokio::runtime::Runtime>>);

impl EvalRuntime {
    fn handle(&self) -> Option<tokio::runtime::Handle> {
        self.0.lock().as_ref().map(|rt| rt.handle().clone())
    }

    fn shutdown(&self) {
        if let Some(rt) = self.0.lock().take() {
            rt.shutdown_background();
        }
    }
}

impl Drop for EvalRuntime {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot start the evaluation runtime: {0}")]
    Runtime(#[from] std::io::Error),
    #[error("{0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    #[error("the engine is shutting down")]
    ShuttingDown,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Sql(#[from] SqlError),
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
}

pub struct Engine {
    ctx: SessionContext,
    store: Arc<Store>,
    hub: Arc<Hub>,
    limits: Limits,
    queries: PathBuf,
    scenarios: RwLock<BTreeMap<String, Arc<Running>>>,
    /// Held while the scenario files and the registry are brought in line (API writes, the disk watcher).
    files: tokio::sync::Mutex<()>,
    runtime: EvalRuntime,
    pub scan_stats: Arc<ScanStats>,
    pub alerts: Arc<Alerts>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("scenarios", &self.scenarios.read().len())
            .finish()
    }
}

/// A DataFusion session with the streams and reference tables registered, `now()` in the province's time
/// zone, and `target_partitions` matched to the evaluation threads.
pub fn session(
    config: &Config,
    catalog: &Catalog,
    store: &Store,
    scan_stats: &Arc<ScanStats>,
) -> Result<SessionContext, EngineError> {
    let mut session_config = SessionConfig::new()
        .with_target_partitions(config.eval_threads.max(1))
        .with_information_schema(false);
    session_config.options_mut().execution.time_zone = Some(config.time_zone.clone());
    // Positions in planning errors, for the console.
    session_config.options_mut().sql_parser.collect_spans = true;
    let ctx = SessionContext::new_with_config(session_config);
    for stream in store.streams() {
        let table = StreamTable::new(stream.clone(), scan_stats.clone());
        ctx.register_table(stream.def.name.as_str(), Arc::new(table))?;
    }
    for (name, table) in &catalog.reference {
        ctx.register_batch(name.as_str(), table.batch.clone())?;
    }
    Ok(ctx)
}

/// Analysts' SQL may only read: no DDL, DML or `SET`-like statements.
fn sql_options() -> SQLOptions {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
}

/// Names of the tables a plan reads, subqueries included.
fn input_tables(plan: &LogicalPlan) -> Vec<String> {
    let mut names = Vec::new();
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            let name = scan.table_name.table().to_string();
            if !names.contains(&name) {
                names.push(name);
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    names
}

impl Engine {
    pub fn new(
        config: &Config,
        catalog: &Catalog,
        store: Arc<Store>,
        hub: Arc<Hub>,
    ) -> Result<Arc<Engine>, EngineError> {
        let scan_stats = Arc::new(ScanStats::default());
        let ctx = session(config, catalog, &store, &scan_stats)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.eval_threads.max(1))
            .thread_name("ioc-eval")
            .enable_all()
            .build()?;
        let alerts = Arc::new(Alerts::new(hub.topic(alerts::TOPIC)));
        Ok(Arc::new(Engine {
            ctx,
            store,
            hub,
            limits: config.limits.clone(),
            queries: config.queries.clone(),
            scenarios: RwLock::new(BTreeMap::new()),
            files: tokio::sync::Mutex::new(()),
            runtime: EvalRuntime(Mutex::new(Some(runtime))),
            scan_stats,
            alerts,
        }))
    }

    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    /// Plans and runs `sql` once, on the calling task, after the sandbox check. With `own`, the evaluation
    /// counts its scans there and uses that memory pool.
    async fn query(&self, sql: &str, max_rows: usize, own: Option<&Running>) -> Result<QueryOutput, SqlError> {
        sandbox::check(sql)?;
        let ctx = match own {
            None => self.ctx.clone(),
            Some(sc) => {
                let mut state = SessionStateBuilder::new_from_existing(self.ctx.state())
                    .with_runtime_env(sc.env.clone())
                    .build();
                state.config_mut().set_extension(sc.scan.clone());
                SessionContext::new_with_state(state)
            }
        };
        let df = ctx.sql_with_options(sql, sql_options()).await?;
        let inputs = input_tables(df.logical_plan());
        let schema: SchemaRef = df.schema().inner().clone();
        let batches: Vec<RecordBatch> = df.collect().await?;
        let n: usize = batches.iter().map(|b| b.num_rows()).sum();
        if n > max_rows {
            return Err(SqlError::new(format!(
                "the result has {n} rows, more than the limit of {max_rows}"
            )));
        }
        Ok(QueryOutput {
            columns: values::columns_of(&schema),
            rows: values::rows_of(&batches),
            inputs,
            batches,
        })
    }

    fn memory_env(&self) -> Result<Arc<RuntimeEnv>, EngineError> {
        Ok(RuntimeEnvBuilder::new()
            .with_memory_limit(self.limits.eval_memory_bytes, 1.0)
            .build_arc()?)
    }

    /// Checks a definition without running it: the SQL is one allowed query that plans, the key columns
    /// are columns of its result, and the alert condition is a true/false expression over them.
    pub async fn validate(&self, def: &Scenario) -> Result<Vec<ColumnInfo>, EngineError> {
        if def.name == alerts::TOPIC {
            return Err(EngineError::Invalid(format!(
                "`{}` is reserved for the alerts topic",
                alerts::TOPIC
            )));
        }
        sandbox::check(&def.sql)?;
        let df = self
            .ctx
            .sql_with_options(&def.sql, sql_options())
            .await
            .map_err(SqlError::from)?;
        let plan = df.create_physical_plan().await.map_err(SqlError::from)?;
        let schema = plan.schema();
        let columns = values::columns_of(&schema);
        if let Some(k) = def.key.iter().find(|k| !columns.iter().any(|c| &c.name == *k)) {
            return Err(EngineError::Invalid(format!(
                "key column `{k}` is not a column of the result"
            )));
        }
        if let Some(alert) = &def.alert {
            alert.check().map_err(EngineError::Invalid)?;
            let empty = RecordBatch::new_empty(schema);
            alerts::matching(&self.ctx, alert, &[empty]).map_err(EngineError::Invalid)?;
        }
        Ok(columns)
    }

    /// Runs `sql` once on the evaluation runtime with the evaluation timeout, returning at most `limit` rows
    /// (`POST /api/v1/query`).
    pub async fn query_once(self: &Arc<Self>, sql: String, limit: usize) -> Result<QueryOutput, SqlError> {
        let handle = self
            .runtime
            .handle()
            .ok_or(SqlError::new("the engine is shutting down"))?;
        let engine = self.clone();
        let timeout = self.limits.eval_timeout;
        let env = self.memory_env().map_err(|e| SqlError::new(e.to_string()))?;
        let task = handle.spawn(async move {
            let own = Running::adhoc(env);
            match tokio::time::timeout(timeout, engine.query(&sql, usize::MAX, Some(&own))).await {
                Ok(r) => r,
                Err(_) => Err(SqlError::new(format!(
                    "the query took longer than {} ms",
                    timeout.as_millis()
                ))),
            }
        });
        let mut out = task
            .await
            .map_err(|e| SqlError::new(format!("the query failed: {e}")))??;
        out.rows.truncate(limit);
        Ok(out)
    }

    /// Loads every `*.sql` in the queries folder and starts it. Files that do not parse are returned.
    pub fn load_dir(self: &Arc<Self>) -> Vec<(PathBuf, ScenarioError)> {
        let mut errors = Vec::new();
        for (path, parsed, text) in read_dir(&self.queries) {
            match parsed {
                Ok(s) => {
                    if let Err(e) = self.add(s, text) {
                        errors.push((
                            path,
                            ScenarioError {
                                line: 1,
                                message: e.to_string(),
                            },
                        ));
                    }
                }
                Err(e) => errors.push((path, e)),
            }
        }
        errors
    }

    /// Registers a scenario (replacing one of the same name, with a new epoch) and starts evaluating it.
    pub fn add(self: &Arc<Self>, def: Scenario, source: Option<String>) -> Result<(), EngineError> {
        if def.name == alerts::TOPIC {
            return Err(EngineError::Invalid(format!(
                "`{}` is reserved for the alerts topic",
                alerts::TOPIC
            )));
        }
        let handle = self.runtime.handle().ok_or(EngineError::ShuttingDown)?;
        let running = Arc::new(Running {
            epoch: format!("e{:08x}", rand::random::<u32>()).into(),
            topic: self.hub.topic(&def.name),
            def,
            status: Mutex::new(Status::default()),
            cancel: CancellationToken::new(),
            scan: Arc::new(ScanStats::default()),
            env: self.memory_env()?,
            source,
        });
        running.topic.set_epoch(running.epoch.clone());
        if let Some(old) = self.scenarios.write().insert(running.def.name.clone(), running.clone()) {
            old.cancel.cancel();
            self.alerts.clear(&old.def.name);
        }
        handle.spawn(self.clone().run(running));
        Ok(())
    }

    /// Validates, writes `queries/NAME.sql` atomically, and (re)starts the scenario.
    pub async fn put(self: &Arc<Self>, mut def: Scenario) -> Result<ScenarioInfo, EngineError> {
        self.validate(&def).await?;
        let text = scenario::to_file_text(&def);
        let path = self.queries.join(format!("{}.sql", def.name));
        let _files = self.files.lock().await;
        write_atomically(&path, &text).map_err(|source| EngineError::Write {
            path: path.display().to_string(),
            source,
        })?;
        def.path = Some(path);
        let name = def.name.clone();
        self.add(def, Some(text))?;
        Ok(self.get(&name).expect("just added"))
    }

    /// Stops a scenario, deletes its file, and tells its subscribers (`scenario_removed`). False if unknown.
    pub async fn delete(&self, name: &str) -> Result<bool, EngineError> {
        let _files = self.files.lock().await;
        let Some(sc) = self.scenarios.write().remove(name) else {
            return Ok(false);
        };
        sc.cancel.cancel();
        let path = self.queries.join(format!("{name}.sql"));
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(EngineError::Write {
                    path: path.display().to_string(),
                    source,
                })
            }
        }
        self.hub.remove(name);
        self.alerts.clear(name);
        Ok(true)
    }

    /// Brings the registry in line with the files on disk: new and changed files are (re)loaded, removed
    /// files remove their scenario, and a file that no longer parses marks its scenario as broken.
    pub async fn sync_dir(self: &Arc<Self>) {
        let _files = self.files.lock().await;
        let on_disk = read_dir(&self.queries);
        let mut seen = std::collections::HashSet::new();
        for (path, parsed, text) in on_disk {
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            seen.insert(name.clone());
            let current = self.scenarios.read().get(&name).cloned();
            if current.as_ref().is_some_and(|c| c.source == text) {
                continue;
            }
            let outcome = match parsed {
                Ok(def) => match self.validate(&def).await {
                    Ok(_) => self.add(def, text.clone()).map_err(|e| e.to_string()),
                    Err(e) => Err(format!("{}:{}: {e}", path.display(), def.sql_line)),
                },
                Err(e) => Err(format!("{}:{}: {}", path.display(), e.line, e.message)),
            };
            if let Err(message) = outcome {
                tracing::warn!(scenario = %name, error = %message, "scenario file is invalid");
                match current {
                    Some(old) => self.mark_broken(&old, message, text),
                    None => {
                        // A new file that is bad from the start: listed with its error, never evaluated.
                        let def = Scenario {
                            path: Some(path.clone()),
                            ..Scenario::named(&name)
                        };
                        if let Ok(env) = self.memory_env() {
                            let sc = Arc::new(Running {
                                epoch: "e0".into(),
                                topic: self.hub.topic(&name),
                                def,
                                status: Mutex::new(Status::default()),
                                cancel: CancellationToken::new(),
                                scan: Arc::new(ScanStats::default()),
                                env,
                                source: text.clone(),
                            });
                            self.mark_broken(&sc, message, text);
                            self.scenarios.write().insert(name, sc);
                        }
                    }
                }
            }
        }
        let gone: Vec<String> = self
            .scenarios
            .read()
            .keys()
            .filter(|n| !seen.contains(*n))
            .cloned()
            .collect();
        for name in gone {
            if let Some(sc) = self.scenarios.write().remove(&name) {
                sc.cancel.cancel();
                self.hub.remove(&name);
                self.alerts.clear(&name);
            }
        }
    }

    /// Stops evaluating a scenario whose file went bad; screens keep its last result.
    fn mark_broken(&self, sc: &Arc<Running>, message: String, text: Option<String>) {
        sc.cancel.cancel();
        sc.status.lock().broken = Some(message);
        // Remember the bad text so the same file is not reported again every second.
        let replacement = Arc::new(Running {
            def: sc.def.clone(),
            epoch: sc.epoch.clone(),
            topic: sc.topic.clone(),
            status: Mutex::new(std::mem::take(&mut *sc.status.lock())),
            cancel: sc.cancel.clone(),
            scan: sc.scan.clone(),
            env: sc.env.clone(),
            source: text,
        });
        self.scenarios.write().insert(sc.def.name.clone(), replacement);
    }

    async fn run(self: Arc<Self>, sc: Arc<Running>) {
        let mut tick = tokio::time::interval(sc.def.every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut last: Option<(Arc<ResultView>, diff::Keyed)> = None;
        let mut inputs: Vec<String> = Vec::new();
        let mut seen_version = None;
        loop {
            tokio::select! {
                _ = sc.cancel.cancelled() => break,
                _ = tick.tick() => {}
            }
            if sc.def.trigger == Trigger::Change {
                // Only when a stream it reads received data since the last evaluation: a quiet stream costs nothing.
                let version: u64 = inputs
                    .iter()
                    .filter_map(|t| self.store.stream(t))
                    .map(|s| s.version())
                    .sum();
                if seen_version == Some(version) {
                    continue;
                }
                seen_version = Some(version);
            }
            if let Some(read) = self.evaluate(&sc, &mut last).await {
                inputs = read;
            }
        }
    }

    /// One evaluation: query, diff against the last result, publish a change if there is one, update the
    /// alerts. Returns the tables the query read.
    async fn evaluate(&self, sc: &Running, last: &mut Option<(Arc<ResultView>, diff::Keyed)>) -> Option<Vec<String>> {
        let started = Instant::now();
        let before = sc.scan.totals();
        let timeout = self.limits.eval_timeout;
        let outcome =
            match tokio::time::timeout(timeout, self.query(&sc.def.sql, self.limits.max_result_rows, Some(sc))).await {
                Ok(r) => r.map_err(|e| e.message),
                Err(_) => Err(format!("the evaluation took longer than {} ms", timeout.as_millis())),
            };
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        metrics::histogram!("ioc_scenario_eval_seconds", "scenario" => sc.def.name.clone()).record(elapsed_ms / 1000.0);
        let after = sc.scan.totals();
        let mut inputs = None;
        let mut result_rows = None;
        let result = outcome.and_then(|out| {
            inputs = Some(out.inputs.clone());
            result_rows = Some(out.rows.len());
            self.publish(sc, last, out)
        });
        let mut status = sc.status.lock();
        status.evaluations += 1;
        status.last_eval_ms = Some(elapsed_ms);
        status.times_ms.push_back(elapsed_ms);
        if status.times_ms.len() > EVAL_TIMES {
            status.times_ms.pop_front();
        }
        status.scanned = (after.0 - before.0, after.1 - before.1, after.2 - before.2);
        if let Some(n) = result_rows {
            status.result_rows = n;
        }
        match result {
            Ok(()) => status.last_error = None,
            Err(e) => {
                if status.last_error.as_deref() != Some(e.as_str()) {
                    tracing::warn!(scenario = %sc.def.name, error = %e, "evaluation failed");
                }
                metrics::counter!("ioc_scenario_errors_total", "scenario" => sc.def.name.clone()).increment(1);
                status.errors += 1;
                status.last_error = Some(e);
            }
        }
        inputs
    }

    fn publish(
        &self,
        sc: &Running,
        last: &mut Option<(Arc<ResultView>, diff::Keyed)>,
        out: QueryOutput,
    ) -> Result<(), String> {
        let key: Vec<usize> = sc
            .def
            .key
            .iter()
            .map(|k| {
                out.columns
                    .iter()
                    .position(|c| &c.name == k)
                    .ok_or_else(|| format!("key column `{k}` is not a column of the result"))
            })
            .collect::<Result<_, _>>()?;
        let index = if key.is_empty() {
            diff::Keyed::default()
        } else {
            diff::index(&out.rows, &key)?
        };
        if let Some(alert) = &sc.def.alert {
            let meets = alerts::matching(&self.ctx, alert, &out.batches)?;
            let rows: Vec<(Vec<serde_json::Value>, &Row, bool)> = out
                .rows
                .iter()
                .zip(meets)
                .enumerate()
                .map(|(i, (row, m))| {
                    let k = if key.is_empty() {
                        vec![serde_json::Value::from(i)]
                    } else {
                        diff::key_of(row, &key)
                    };
                    (k, row, m)
                })
                .collect();
            self.alerts
                .update(&sc.def.name, &alert.severity, &Arc::new(out.columns.clone()), &rows);
        }
        let change = match last {
            None => Some(Change::Snapshot),
            Some((view, old_index)) => diff::diff(&view.rows, old_index, &out.rows, &index, &key),
        };
        let Some(change) = change else {
            return Ok(());
        };
        let data_time = out
            .inputs
            .iter()
            .filter_map(|t| self.store.stream(t).and_then(|s| s.max_event_ms()))
            .max()
            .and_then(DateTime::<Utc>::from_timestamp_millis);
        let view = Arc::new(ResultView {
            scenario: sc.def.name.as_str().into(),
            epoch: sc.epoch.clone(),
            seq: last.as_ref().map_or(0, |(v, _)| v.seq) + 1,
            columns: Arc::new(out.columns),
            key: Arc::new(sc.def.key.clone()),
            rows: Arc::new(out.rows),
            index: index.index.clone(),
            evaluated_at: Some(Utc::now()),
            data_time,
        });
        sc.topic.publish(view.clone(), &change);
        *last = Some((view, index));
        Ok(())
    }

    pub fn list(&self) -> Vec<ScenarioInfo> {
        self.scenarios.read().values().map(|sc| info(sc)).collect()
    }

    pub fn get(&self, name: &str) -> Option<ScenarioInfo> {
        self.scenarios.read().get(name).map(|sc| info(sc))
    }

    pub fn result(&self, name: &str) -> Option<ResultBody> {
        let sc = self.scenarios.read().get(name)?.clone();
        let view = sc.topic.current();
        Some(match view {
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

    /// Stops every scenario task and the evaluation runtime.
    pub fn shutdown(&self) {
        for sc in self.scenarios.read().values() {
            sc.cancel.cancel();
        }
        self.runtime.shutdown();
    }
}

fn info(sc: &Running) -> ScenarioInfo {
    let status = sc.status.lock();
    let error = status.broken.clone().or_else(|| status.last_error.clone());
    ScenarioInfo {
        name: sc.def.name.clone(),
        title: sc.def.title.clone(),
        every_ms: sc.def.every.as_millis() as u64,
        on: sc.def.trigger,
        key: sc.def.key.clone(),
        view: sc.def.view.clone(),
        alert: sc.def.alert.clone(),
        sql: sc.def.sql.clone(),
        status: if error.is_some() { "error" } else { "ok" },
        last_error: error,
        last_eval_ms: status.last_eval_ms,
        p99_eval_ms: status.p99(),
        seq: sc.topic.current().map_or(0, |v| v.seq),
        epoch: sc.epoch.to_string(),
        evaluations: status.evaluations,
        errors: status.errors,
        rows_scanned: status.scanned.0,
        segments_scanned: status.scanned.1,
        segments_skipped: status.scanned.2,
        result_rows: status.result_rows,
    }
}

impl Running {
    /// The cost-keeping parts of a one-shot query (no scenario behind it).
    fn adhoc(env: Arc<RuntimeEnv>) -> Running {
        Running {
            def: Scenario::named("query"),
            epoch: "e0".into(),
            topic: Arc::new(Topic::detached("query")),
            status: Mutex::new(Status::default()),
            cancel: CancellationToken::new(),
            scan: Arc::new(ScanStats::default()),
            env,
            source: None,
        }
    }
}

/// Writes `text` to `path` through a temporary file in the same folder and a rename, so a reader (or a
/// crash) never sees half a file.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("scenario"),
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)
}

/// Every `*.sql` file in `dir`, sorted by name: parsed, with its text.
pub fn read_dir(dir: &Path) -> Vec<(PathBuf, Result<Scenario, ScenarioError>, Option<String>)> {
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .filter(|p| {
                !p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'))
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let text = std::fs::read_to_string(&path);
            let parsed = match &text {
                Ok(text) => scenario::parse(&name, text).map(|mut s| {
                    s.path = Some(path.clone());
                    s
                }),
                Err(e) => Err(ScenarioError {
                    line: 1,
                    message: format!("cannot read: {e}"),
                }),
            };
            (path, parsed, text.ok())
        })
        .collect()
}

/// Plans `sql` against `ctx` without running it: the result columns, or DataFusion's message.
pub async fn plan_columns(ctx: &SessionContext, sql: &str) -> Result<Vec<ColumnInfo>, SqlError> {
    sandbox::check(sql)?;
    let df = ctx.sql_with_options(sql, sql_options()).await?;
    let plan = df.create_physical_plan().await?;
    Ok(values::columns_of(&plan.schema()))
}
