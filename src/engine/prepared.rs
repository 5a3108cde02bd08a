//! A query planned once and run many times.
//!
//! [`Prepared::new`] parses the SQL, checks it against the sandbox, plans it (logical, optimised,
//! physical) in a session of its own and, unless told not to, rewrites it for incremental evaluation.
//! [`Prepared::run`] then only sets the query's clock, takes one [`ReadView`] of every stream the plan
//! reads (so all its scans, and the result's `data_time`, see one instant), and runs a fresh copy of the
//! plan. Nothing is parsed or planned per tick.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::DFSchema;
use datafusion::error::Result;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::execution::{SessionState, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::{collect, execute_stream, ExecutionPlan};
use datafusion::prelude::SessionContext;
use futures::StreamExt;

use super::clock::Clock;
use super::incremental::{self, fresh_state, CacheBudget, Mode, PartialCache, Rewritten};
use super::sandbox::{self, SqlError};
use super::{pushdown, session};
use crate::store::scan::StreamScanExec;
use crate::store::table::ScanStats;
use crate::store::{ReadView, Store, StreamStore};
use crate::values::{self, ColumnInfo};

/// How queries are planned.
#[derive(Debug, Clone)]
pub struct Planning {
    /// Rewrite aggregates for incremental evaluation (`--no-incremental` turns it off).
    pub incremental: bool,
    /// The bytes every cached partial aggregate shares.
    pub budget: Arc<CacheBudget>,
    /// Memory one evaluation may hold in DataFusion's pool.
    pub memory_bytes: usize,
    /// The province's time zone, for `now()` and `current_date()`.
    pub time_zone: String,
    /// Segments whose partial aggregates are computed at the same time.
    pub parallelism: usize,
}

/// A planned query.
#[derive(Debug)]
pub struct Prepared {
    plan: Arc<dyn ExecutionPlan>,
    state: SessionState,
    clock: Clock,
    streams: Vec<Arc<StreamStore>>,
    pub schema: SchemaRef,
    pub columns: Vec<ColumnInfo>,
    /// Every table the query reads (streams and reference tables).
    pub inputs: Vec<String>,
    pub mode: Mode,
    pub full_reason: Option<String>,
    caches: Vec<Arc<PartialCache>>,
    /// What this query's scans read and skipped.
    pub stats: Arc<ScanStats>,
    /// Bytes a result may hold (the evaluation's memory limit).
    max_result_bytes: usize,
}

/// The output of one run.
#[derive(Debug)]
pub struct Output {
    pub batches: Vec<RecordBatch>,
    /// The newest event time among the streams read, from the same instant as the rows (epoch ms).
    pub data_time: Option<i64>,
}

impl Prepared {
    pub async fn new(
        base: &SessionContext,
        store: &Store,
        sql: &str,
        planning: &Planning,
    ) -> Result<Prepared, SqlError> {
        sandbox::check(sql)?;
        let clock = Clock::new(&planning.time_zone);
        let stats = Arc::new(ScanStats::default());
        let mut state = session::for_query(base, &clock, memory(planning.memory_bytes)?, stats.clone())?;
        let logical = state.create_logical_plan(sql).await?;
        session::sql_options().verify_plan(&logical)?;
        let inputs = session::input_tables(&logical);
        let physical = pushdown::push_time_bounds(state.create_physical_plan(&logical).await?)?;
        let schema = physical.schema();
        let streams = scanned(&physical)
            .iter()
            .filter_map(|name| store.stream(name).cloned())
            .collect();
        let mut rewritten = if planning.incremental {
            incremental::rewrite(physical, &planning.budget, planning.parallelism)?
        } else {
            Rewritten::full(physical, "incremental evaluation is turned off (--no-incremental)")
        };
        if rewritten.mode == Mode::Incremental && state.config().target_partitions() > 1 {
            // A tick merges cached states and reads little: one partition avoids repartitioning and
            // spawning for it. (Computing a segment's states runs several segments at once instead.)
            state.config_mut().options_mut().execution.target_partitions = 1;
            let single = pushdown::push_time_bounds(state.create_physical_plan(&logical).await?)?;
            let again = incremental::rewrite(single, &planning.budget, planning.parallelism)?;
            if again.mode == Mode::Incremental {
                rewritten = again;
            }
        }
        let Rewritten {
            plan,
            mode,
            full_reason,
            caches,
        } = rewritten;
        Ok(Prepared {
            plan,
            state,
            clock,
            streams,
            columns: values::columns_of(&schema),
            schema,
            inputs,
            mode,
            full_reason,
            caches,
            stats,
            max_result_bytes: planning.memory_bytes,
        })
    }

    /// Runs the query as of `at`. A result larger than the evaluation's memory limit is an error.
    pub async fn run(&self, at: DateTime<Utc>) -> Result<Output> {
        let (task, data_time) = self.task(at);
        let batches = collect(fresh_state(Arc::clone(&self.plan))?, task).await?;
        self.check_bytes(&batches)?;
        Ok(Output { batches, data_time })
    }

    fn check_bytes(&self, batches: &[RecordBatch]) -> Result<()> {
        let bytes: usize = batches.iter().map(|b| b.get_array_memory_size()).sum();
        if bytes > self.max_result_bytes {
            return Err(datafusion::error::DataFusionError::ResourcesExhausted(format!(
                "the result holds {bytes} bytes, more than the limit of {}",
                self.max_result_bytes
            )));
        }
        Ok(())
    }

    /// Runs the query as of `at`, reading its result only until it has `limit` rows (the rest is never
    /// computed or held). The output holds at most `limit` rows; `true` when rows were left out.
    pub async fn run_limited(&self, at: DateTime<Utc>, limit: usize) -> Result<(Output, bool)> {
        let (task, data_time) = self.task(at);
        let mut stream = execute_stream(fresh_state(Arc::clone(&self.plan))?, task)?;
        let (mut batches, mut rows, mut cut) = (Vec::new(), 0usize, false);
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            if rows + batch.num_rows() > limit {
                batches.push(batch.slice(0, limit - rows));
                cut = true;
                break;
            }
            rows += batch.num_rows();
            batches.push(batch);
            self.check_bytes(&batches)?;
        }
        Ok((Output { batches, data_time }, cut))
    }

    /// The task context of one run: the clock set to `at`, and a view of every stream read, taken now.
    fn task(&self, at: DateTime<Utc>) -> (Arc<TaskContext>, Option<i64>) {
        self.clock.set(at);
        let view = ReadView::new(self.streams.iter().map(|s| (s.def.name.clone(), s.snapshot())));
        let data_time = view.max_event_ms();
        let config = self.state.config().clone().with_extension(Arc::new(view));
        (
            Arc::new(TaskContext::from(&self.state).with_session_config(config)),
            data_time,
        )
    }

    /// A condition over the result's columns (an alert), planned once in this query's session.
    pub fn condition(&self, sql: &str) -> Result<Arc<dyn PhysicalExpr>> {
        let schema = DFSchema::try_from(self.schema.as_ref().clone())?;
        let expr = self.state.create_logical_expr(sql, &schema)?;
        self.state.create_physical_expr(expr, &schema)
    }

    /// Bytes the query's cached partial aggregates hold.
    /// Segments whose partial aggregates are cached.
    pub fn cached_segments(&self) -> usize {
        self.caches.iter().map(|c| c.len()).sum()
    }

    pub fn cache_bytes(&self) -> usize {
        self.caches.iter().map(|c| c.bytes()).sum()
    }

    /// Names of the streams the query reads.
    pub fn streams(&self) -> impl Iterator<Item = &Arc<StreamStore>> {
        self.streams.iter()
    }

    /// The plan as DataFusion prints it (for tests and diagnostics).
    pub fn explain(&self) -> String {
        datafusion::physical_plan::displayable(self.plan.as_ref())
            .indent(false)
            .to_string()
    }
}

fn memory(bytes: usize) -> Result<Arc<RuntimeEnv>> {
    RuntimeEnvBuilder::new().with_memory_limit(bytes, 1.0).build_arc()
}

/// The streams a physical plan scans, once each.
fn scanned(plan: &Arc<dyn ExecutionPlan>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let _ = plan.apply(|node| {
        if let Some(scan) = node.downcast_ref::<StreamScanExec>() {
            if !names.iter().any(|n| n == scan.stream()) {
                names.push(scan.stream().to_string());
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    names
}
