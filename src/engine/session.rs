//! The DataFusion sessions queries are planned in.
//!
//! One base session holds the tables (one per stream, one per reference table) and the settings: as many
//! target partitions as evaluation threads, the province's time zone (so `date_trunc('day', now())` is
//! local midnight), and source positions in planning errors (for the console). Each prepared query plans
//! in a copy of it with its own clock functions ([`super::clock`]), its own memory pool and its own scan
//! counters. Analysts' SQL may only read: [`sql_options`] refuses DDL, DML and statements.

use std::sync::Arc;

use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::Result;
use datafusion::execution::context::SQLOptions;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::execution::{FunctionRegistry, SessionState, SessionStateBuilder};
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{SessionConfig, SessionContext};

use super::clock::Clock;
use crate::catalog::Catalog;
use crate::store::table::{ScanStats, StreamTable};
use crate::store::Store;

/// The base session: every stream and reference table registered, `now()` in `time_zone`, and
/// `partitions` target partitions.
pub fn base(
    partitions: usize,
    time_zone: &str,
    catalog: &Catalog,
    store: &Store,
    scan_stats: &Arc<ScanStats>,
) -> Result<SessionContext> {
    let mut config = SessionConfig::new()
        .with_target_partitions(partitions.max(1))
        .with_information_schema(false);
    config.options_mut().execution.time_zone = Some(time_zone.to_string());
    config.options_mut().sql_parser.collect_spans = true;
    let ctx = SessionContext::new_with_config(config);
    super::capped::install(&ctx);
    for stream in store.streams() {
        let table = StreamTable::new(stream.clone(), scan_stats.clone());
        ctx.register_table(stream.def.name.as_str(), Arc::new(table))?;
    }
    for (name, table) in &catalog.reference {
        ctx.register_batch(name.as_str(), table.batch.clone())?;
    }
    Ok(ctx)
}

/// A session for one query: the base session's tables and settings, `clock`'s functions in place of
/// DataFusion's `now()`, `current_date()` and `current_time()`, the memory pool of `env`, and `stats`
/// counting what its scans read.
pub fn for_query(
    base: &SessionContext,
    clock: &Clock,
    env: Arc<RuntimeEnv>,
    stats: Arc<ScanStats>,
) -> Result<SessionState> {
    let mut state = SessionStateBuilder::new_from_existing(base.state())
        .with_runtime_env(env)
        .build();
    for f in clock.functions() {
        state.register_udf(f)?;
    }
    state.config_mut().set_extension(stats);
    Ok(state)
}

/// Analysts' SQL may only read: no DDL, DML or `SET`-like statements.
pub fn sql_options() -> SQLOptions {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
}

/// Names of the tables a plan reads, subqueries included.
pub fn input_tables(plan: &LogicalPlan) -> Vec<String> {
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
