//! The engine: scenarios planned once, evaluated by DataFusion on their trigger, results diffed by key and
//! handed to the fan-out.
//!
//! - [`scenario`]: the scenario file format and its rules; [`files`]: scenario files on disk (load, sync,
//!   put, delete, atomic writes).
//! - [`session`], [`clock`], [`sandbox`]: the DataFusion session queries plan in, the `now()` a planned
//!   query reads, and what analysts' SQL may do.
//! - [`prepared`]: a query planned once (and, where it can be, rewritten by [`incremental`] so that a tick
//!   reads only what changed) and run at every tick against one snapshot of the store.
//! - [`registry`]: the scenarios registered and their status; [`schedule`]: when each one runs, and on
//!   which evaluation runtime; [`evaluate`]: one evaluation, its diff and its publication; [`alerts`].
//!
//! Evaluations run on runtimes of their own, separate from the network runtime, so a heavy query never
//! delays a WebSocket write; a scenario whose evaluations are slow moves to a second, lower-priority
//! runtime so it cannot hold up the cheap ones. A failed evaluation marks the scenario `error` with the
//! message and is retried at the next trigger; the other scenarios are unaffected. Changing a scenario's
//! definition starts a new epoch: its subscribers get a fresh snapshot on their open connection.

pub mod alerts;
pub mod capped;
pub mod clock;
pub mod diff;
pub mod evaluate;
pub mod files;
pub mod follow;
pub mod incremental;
pub mod info;
pub mod prepared;
pub mod pushdown;
pub mod registry;
pub mod sandbox;
pub mod scenario;
pub mod schedule;
pub mod session;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;
use parking_lot::RwLock;
use tokio_util::task::TaskTracker;

use crate::catalog::Catalog;
use crate::config::{Config, Limits};
use crate::fanout::Hub;
use crate::store::table::ScanStats;
use crate::store::Store;
use crate::values::{ColumnInfo, Row};
use alerts::Alerts;
pub use files::{read_dir, write_atomically};
pub use incremental::{CacheBudget, CacheUsage, Mode};
pub use info::{ResultBody, ScenarioInfo, Validated};
use prepared::Planning;
use registry::Running;
pub use sandbox::SqlError;
pub use scenario::{AlertDef, Scenario, ScenarioError, Trigger};
use schedule::EvalRuntimes;

/// The outcome of running a query once.
#[derive(Debug, Clone)]
pub struct QueryOutput {
    pub columns: Vec<ColumnInfo>,
    pub rows: Vec<Row>,
    /// Streams and tables the query reads.
    pub inputs: Vec<String>,
    pub batches: Vec<RecordBatch>,
    /// Rows were left out past the limit.
    pub truncated: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot start the evaluation runtime: {0}")]
    Runtime(#[from] std::io::Error),
    #[error("{0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    #[error("the engine is shutting down")]
    ShuttingDown,
    /// The definition breaks a rule of `Scenario::check`.
    #[error(transparent)]
    Rule(#[from] scenario::RuleError),
    #[error("`{0}` is reserved for the alerts topic")]
    Reserved(String),
    #[error("key column `{0}` is not a column of the result")]
    UnknownKey(String),
    /// The alert's condition does not plan over the result, or is not true/false.
    #[error("alert condition: {0}")]
    AlertCondition(String),
    #[error(transparent)]
    Sql(#[from] SqlError),
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
}

/// How long shutdown waits for scenario tasks to stop.
const STOP_GRACE: Duration = Duration::from_secs(2);

pub struct Engine {
    base: SessionContext,
    store: Arc<Store>,
    hub: Arc<Hub>,
    limits: Limits,
    queries: PathBuf,
    planning: Planning,
    scenarios: RwLock<BTreeMap<String, Arc<Running>>>,
    /// Held while the scenario files and the registry are brought in line (API writes, the disk watcher).
    files: tokio::sync::Mutex<()>,
    runtimes: EvalRuntimes,
    /// Every scenario's task; shutdown waits for them.
    tasks: TaskTracker,
    scan_stats: Arc<ScanStats>,
    alerts: Arc<Alerts>,
    /// False on a cluster's edge: scenarios are registered (and planned) but their results come from the
    /// cluster ([`follow`]).
    evaluate: bool,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("scenarios", &self.scenarios.read().len())
            .finish()
    }
}

impl Engine {
    pub fn new(
        config: &Config,
        catalog: &Catalog,
        store: Arc<Store>,
        hub: Arc<Hub>,
    ) -> Result<Arc<Engine>, EngineError> {
        let scan_stats = Arc::new(ScanStats::default());
        let threads = config.eval_threads.max(1);
        let base = session::base(threads, &config.time_zone, catalog, &store, &scan_stats)?;
        let alerts = Arc::new(Alerts::new(hub.topic(alerts::TOPIC)));
        Ok(Arc::new(Engine {
            base,
            store,
            hub,
            limits: config.limits.clone(),
            queries: config.queries.clone(),
            planning: Planning {
                incremental: config.incremental,
                budget: CacheBudget::new(config.cache_bytes),
                memory_bytes: config.limits.eval_memory_bytes,
                time_zone: config.time_zone.clone(),
                parallelism: threads,
            },
            scenarios: RwLock::new(BTreeMap::new()),
            files: tokio::sync::Mutex::new(()),
            runtimes: EvalRuntimes::new(threads)?,
            tasks: TaskTracker::new(),
            scan_stats,
            alerts,
            evaluate: !config.cluster.as_ref().is_some_and(|c| c.edge),
        }))
    }

    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    pub fn alerts(&self) -> &Arc<Alerts> {
        &self.alerts
    }

    /// What every scan of every query has read and skipped since the start.
    pub fn scan_totals(&self) -> crate::store::table::ScanTotals {
        self.scan_stats.totals()
    }

    /// What the cached partial aggregates hold, against their limit.
    pub fn cache_usage(&self) -> CacheUsage {
        self.planning.budget.usage()
    }

    /// Stops every scenario task (waiting a little for them), then the evaluation runtimes.
    pub async fn shutdown(&self) {
        let scenarios: Vec<Arc<Running>> = self.scenarios.read().values().cloned().collect();
        for sc in scenarios {
            sc.cancel.cancel();
        }
        self.tasks.close();
        if tokio::time::timeout(STOP_GRACE, self.tasks.wait()).await.is_err() {
            tracing::warn!("scenario tasks did not stop within {STOP_GRACE:?}");
        }
        self.runtimes.shutdown();
    }
}
