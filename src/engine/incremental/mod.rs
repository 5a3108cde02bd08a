//! Incremental evaluation: a planned query whose aggregates read a stream is rewritten so that each sealed
//! segment's partial aggregate is computed once and reused at every tick; only the open segment and the
//! segments cut by a moving time bound are read again.
//!
//! [`rewrite`] replaces every partial aggregate that [`analysis`] accepts by an [`IncrementalAggExec`]
//! with its own [`PartialCache`]. A query is incremental when every read of a stream ends up under such a
//! node; otherwise it is kept as DataFusion planned it, evaluated in full at every tick, and the first
//! reason found is reported so the analyst can act on it. Both paths run the same operators above the
//! partial aggregates, so their results are equal (`tests/incremental.rs` checks it on random input).

pub mod analysis;
pub mod cache;
pub mod exec;

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::Result;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::ExecutionPlan;
use serde::Serialize;

pub use cache::{CacheBudget, CacheUsage, PartialCache};
pub use exec::{fresh_state, IncrementalAggExec};

use crate::store::scan::StreamScanExec;

/// How a scenario is evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Incremental,
    Full,
}

/// A plan ready to run, with what the rewrite found.
#[derive(Debug)]
pub struct Rewritten {
    pub plan: Arc<dyn ExecutionPlan>,
    pub mode: Mode,
    /// Why the query is evaluated in full (one sentence), when it is.
    pub full_reason: Option<String>,
    pub caches: Vec<Arc<PartialCache>>,
}

impl Rewritten {
    /// The plan as it is, evaluated in full, for `reason`.
    pub fn full(plan: Arc<dyn ExecutionPlan>, reason: impl Into<String>) -> Rewritten {
        Rewritten {
            plan,
            mode: Mode::Full,
            full_reason: Some(reason.into()),
            caches: Vec::new(),
        }
    }
}

/// Caches the partial aggregates of `plan` that may be cached, when that covers every read of a stream.
pub fn rewrite(plan: Arc<dyn ExecutionPlan>, budget: &Arc<CacheBudget>, parallelism: usize) -> Result<Rewritten> {
    let streams = stream_reads(&plan, false);
    if streams.is_empty() {
        return Ok(Rewritten::full(
            plan,
            "the query reads no stream, only reference tables",
        ));
    }
    let mut reasons: Vec<String> = Vec::new();
    let mut caches = Vec::new();
    let rewritten = Arc::clone(&plan)
        .transform_down(|node| {
            let Some(agg) = node.downcast_ref::<AggregateExec>() else {
                return Ok(Transformed::no(node));
            };
            let partial = match agg.mode() {
                AggregateMode::Partial => None,
                // One step over one partition: split it into the two steps the cache needs.
                AggregateMode::Single => Some(AggregateExec::try_new(
                    AggregateMode::Partial,
                    agg.group_expr().clone(),
                    agg.aggr_expr().to_vec(),
                    agg.filter_expr().to_vec(),
                    Arc::clone(agg.input()),
                    agg.input_schema(),
                )?),
                _ => return Ok(Transformed::no(node)),
            };
            let checked = analysis::cacheable(partial.as_ref().unwrap_or(agg));
            let found = match checked {
                Ok(found) => found,
                Err(reason) => {
                    reasons.push(reason);
                    return Ok(Transformed::no(node));
                }
            };
            let cache = Arc::new(PartialCache::new(Arc::clone(budget)));
            caches.push(Arc::clone(&cache));
            let replaced: Arc<dyn ExecutionPlan> = match partial {
                None => Arc::new(IncrementalAggExec::new(
                    Arc::clone(&node),
                    found.stream,
                    found.bounds,
                    cache,
                    parallelism,
                )),
                Some(partial) => {
                    let group_by = partial.group_expr().as_final();
                    let aggr = partial.aggr_expr().to_vec();
                    let cached = Arc::new(IncrementalAggExec::new(
                        Arc::new(partial),
                        found.stream,
                        found.bounds,
                        cache,
                        parallelism,
                    ));
                    Arc::new(AggregateExec::try_new(
                        AggregateMode::Final,
                        group_by,
                        aggr,
                        agg.filter_expr().to_vec(),
                        cached,
                        agg.input_schema(),
                    )?)
                }
            };
            Ok(Transformed::new(replaced, true, TreeNodeRecursion::Jump))
        })?
        .data;
    let uncached = stream_reads(&rewritten, true);
    if let Some(stream) = uncached.first() {
        let reason = reasons.into_iter().next().unwrap_or_else(|| {
            format!(
                "no aggregate (GROUP BY, count, sum, ...) reads `{stream}` directly, so every evaluation \
                 reads its rows"
            )
        });
        return Ok(Rewritten::full(plan, reason));
    }
    Ok(Rewritten {
        plan: rewritten,
        mode: Mode::Incremental,
        full_reason: None,
        caches,
    })
}

/// The streams `plan` reads (once per read); with `skip_cached`, not counting reads under a cached
/// aggregate.
fn stream_reads(plan: &Arc<dyn ExecutionPlan>, skip_cached: bool) -> Vec<String> {
    let mut out = Vec::new();
    let _ = plan.apply(|node| {
        if skip_cached && node.is::<IncrementalAggExec>() {
            return Ok(TreeNodeRecursion::Jump);
        }
        if let Some(scan) = node.downcast_ref::<StreamScanExec>() {
            out.push(scan.stream().to_string());
        }
        Ok(TreeNodeRecursion::Continue)
    });
    out
}
