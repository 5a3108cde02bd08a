//! The cached partial aggregate: stands where DataFusion's partial `AggregateExec` stood, and produces the
//! same partial states while reading only what changed.
//!
//! At each run it sorts the stream's segments (from the evaluation's [`ReadView`]) by what the scenario's
//! moving time bounds make of them:
//! - a sealed segment the bounds cover entirely: its partial states do not depend on `now()`, so they
//!   come from the [`PartialCache`], computed once (by running the partial aggregate over that segment
//!   alone) or, for a compacted segment, combined from its parts' states (`AggregateMode::PartialReduce`),
//!   reading only the parts that were not cached;
//! - a segment the bounds rule out entirely: skipped;
//! - a sealed segment the bounds cut: its states for the bounds' current values, kept until the bounds
//!   move (a bound such as `date_trunc('year', now())` cuts the same file the same way all year);
//! - the open segment: read again at every run.
//!
//! The final aggregate above merges all of it (`merge_batch`), exactly as it merges the partial states of
//! several partitions. Entries of segments no longer covered are dropped after each run. This node only
//! computes; which aggregates may be cached is decided in [`super::analysis`].

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use datafusion::arrow::compute::concat_batches;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{internal_datafusion_err, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::memory::MemoryStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    collect, ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
    ReplaceChildrenOptions, SendableRecordBatchStream,
};
use futures::{StreamExt, TryStreamExt};

use super::cache::PartialCache;
use crate::store::table::ScanStats;
use crate::store::time::{coverage, Coverage, TimeBound};
use crate::store::{ReadView, Segment};

/// A partial aggregate over one stream whose sealed segments' states are cached between runs.
#[derive(Debug)]
pub struct IncrementalAggExec {
    /// DataFusion's `AggregateExec` in `Partial` mode, over a input that reads the stream once.
    partial: Arc<dyn ExecutionPlan>,
    stream: String,
    /// The conjuncts on the stream's event time that move with the clock.
    bounds: Vec<TimeBound>,
    cache: Arc<PartialCache>,
    /// Segments whose states are computed at the same time on a cache miss.
    parallelism: usize,
    props: Arc<PlanProperties>,
}

impl IncrementalAggExec {
    pub fn new(
        partial: Arc<dyn ExecutionPlan>,
        stream: String,
        bounds: Vec<TimeBound>,
        cache: Arc<PartialCache>,
        parallelism: usize,
    ) -> IncrementalAggExec {
        let props = PlanProperties::new(
            EquivalenceProperties::new(partial.schema()),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Final,
            Boundedness::Bounded,
        );
        IncrementalAggExec {
            partial,
            stream,
            bounds,
            cache,
            parallelism: parallelism.max(1),
            props: Arc::new(props),
        }
    }

    fn with_partial(&self, partial: Arc<dyn ExecutionPlan>) -> IncrementalAggExec {
        IncrementalAggExec {
            partial,
            stream: self.stream.clone(),
            bounds: self.bounds.clone(),
            cache: self.cache.clone(),
            parallelism: self.parallelism,
            props: self.props.clone(),
        }
    }

    /// The partial states of the whole stream as the evaluation sees it.
    async fn states(self: Arc<Self>, context: Arc<TaskContext>) -> Result<Vec<RecordBatch>> {
        let view = context
            .session_config()
            .get_extension::<ReadView>()
            .ok_or_else(|| internal_datafusion_err!("a cached aggregate runs only inside an evaluation"))?;
        let snapshot = view.get(&self.stream).cloned().unwrap_or_default();
        let segments: Vec<&Arc<Segment>> = snapshot.segments().collect();
        let ranges: Vec<(i64, i64)> = segments.iter().map(|s| (s.min_ms, s.max_ms)).collect();
        let coverage = coverage(&self.bounds, &ranges)?;
        let sealed = snapshot.sealed.len();

        // The covered sealed segments (in the snapshot's order), the others to read or skip.
        let mut covered: Vec<Arc<Segment>> = Vec::new();
        let mut cut: Vec<Arc<Segment>> = Vec::new();
        let mut fresh: Vec<Arc<Segment>> = Vec::new();
        let mut skipped = 0u64;
        for (i, (seg, c)) in segments.iter().zip(coverage).enumerate() {
            match c {
                Coverage::None => skipped += 1,
                Coverage::All if i < sealed => covered.push(Arc::clone(seg)),
                Coverage::Some if i < sealed => cut.push(Arc::clone(seg)),
                _ => fresh.push(Arc::clone(seg)),
            }
        }
        let ids: Vec<u64> = covered.iter().map(|s| s.id).collect();
        // Most ticks cover the same sealed segments as the last one (new events go to the open segment):
        // then the states assembled last time serve again, with no lookup at all.
        let (mut states_out, hits, combined) = match self.cache.assembled(&ids) {
            Some(states) => (states, ids.len() as u64, 0),
            None => {
                let (states, hits, combined) = self.assemble(covered, &view, &context).await?;
                self.cache.remember(ids, states.clone());
                (states, hits, combined)
            }
        };
        // Sealed segments the bounds cut: read once for each position of the bounds.
        let key = self
            .bounds
            .iter()
            .map(TimeBound::value_key)
            .collect::<Result<Vec<_>>>()?
            .join(" AND ");
        let mut cut_hits = 0u64;
        for seg in &cut {
            match self.cache.cut(seg.id, &key) {
                Some(state) => {
                    cut_hits += 1;
                    states_out.push(state);
                }
                None => {
                    let batches = self.run_partial(&view, &context, vec![Arc::clone(seg)]).await?;
                    let state = concat_batches(&self.schema(), &batches)?;
                    self.cache.insert_cut(seg.id, key.clone(), state.clone());
                    states_out.push(state);
                }
            }
        }
        self.cache.retain_cut(&cut.iter().map(|s| s.id).collect());
        let hits = hits + cut_hits;
        // The open segment (and whatever else is not sealed): read as it is now.
        if !fresh.is_empty() {
            states_out.extend(self.run_partial(&view, &context, fresh).await?);
        }
        metrics::counter!("ioc_engine_cache_hits_total").increment(hits);
        if let Some(stats) = context.session_config().get_extension::<ScanStats>() {
            stats.segments_cached.fetch_add(hits + combined, Ordering::Relaxed);
            stats.segments_combined.fetch_add(combined, Ordering::Relaxed);
            stats.segments_skipped.fetch_add(skipped, Ordering::Relaxed);
        }
        Ok(states_out)
    }

    /// The states of the covered segments: from the cache, combined from cached parts, or computed; then
    /// grouped into blocks. Drops the cache entries of segments no longer covered. Answers the states, the
    /// segments found in the cache, and those combined from their parts.
    async fn assemble(
        self: &Arc<Self>,
        segments: Vec<Arc<Segment>>,
        view: &Arc<ReadView>,
        context: &Arc<TaskContext>,
    ) -> Result<(Vec<RecordBatch>, u64, u64)> {
        let (mut hits, mut combined) = (0u64, 0u64);
        let mut covered: Vec<(Arc<Segment>, Option<RecordBatch>)> = segments
            .into_iter()
            .map(|seg| {
                let state = self.cache.get(seg.id);
                hits += u64::from(state.is_some());
                (seg, state)
            })
            .collect();

        // A compacted segment some of whose parts are cached: their states, combined with those of the
        // other parts (read from the segment's slices).
        let mut compute = Vec::new();
        for (i, (seg, state)) in covered.iter_mut().enumerate() {
            if state.is_some() {
                continue;
            }
            let known: Vec<Option<RecordBatch>> = seg.parts.iter().map(|p| self.cache.get(p.id)).collect();
            let unknown: Option<Vec<Arc<Segment>>> = known
                .iter()
                .enumerate()
                .filter(|(_, k)| k.is_none())
                .map(|(i, _)| seg.part(i).map(Arc::new))
                .collect();
            match unknown {
                Some(unknown) if known.iter().any(Option::is_some) => {
                    let mut states: Vec<RecordBatch> = known.into_iter().flatten().collect();
                    if !unknown.is_empty() {
                        states.extend(self.run_partial(view, context, unknown).await?);
                    }
                    let reduced = self.reduce(states, context).await?;
                    self.cache.insert(seg.id, reduced.clone());
                    combined += 1;
                    *state = Some(reduced);
                }
                _ => compute.push(i),
            }
        }
        // The others: the partial aggregate over each segment alone, `parallelism` at a time, each on a task
        // of its own (a dropped evaluation aborts them).
        let mut running = tokio::task::JoinSet::new();
        let mut compute = compute.into_iter();
        loop {
            while running.len() < self.parallelism {
                let Some(i) = compute.next() else { break };
                let seg = Arc::clone(&covered[i].0);
                let this = Arc::clone(self);
                let (view, context) = (Arc::clone(view), Arc::clone(context));
                running.spawn(async move {
                    let batches = this.run_partial(&view, &context, vec![Arc::clone(&seg)]).await?;
                    let state = concat_batches(&this.schema(), &batches)?;
                    Ok::<_, datafusion::error::DataFusionError>((i, state))
                });
            }
            let Some(done) = running.join_next().await else { break };
            let (i, state) = done.map_err(|e| internal_datafusion_err!("computing a segment's states: {e}"))??;
            // Past the budget the state is used for this tick only (the budget counts the refusal).
            self.cache.insert(covered[i].0.id, state.clone());
            metrics::counter!("ioc_engine_cache_misses_total").increment(1);
            covered[i].1 = Some(state);
        }
        let keep: HashSet<u64> = covered.iter().map(|(seg, _)| seg.id).collect();
        let states = self.blocks(covered, context).await?;
        self.cache.retain(&keep);
        Ok((states, hits, combined))
    }

    /// The states of the covered segments, fewer of them: segments whose oldest events fall in one time
    /// block share one combined state, kept in the cache (keyed by the block's members) for as long as the
    /// block keeps its members, so a tick merges tens of states rather than one per segment.
    async fn blocks(
        &self,
        covered: Vec<(Arc<Segment>, Option<RecordBatch>)>,
        context: &Arc<TaskContext>,
    ) -> Result<Vec<RecordBatch>> {
        let lo = covered.iter().map(|(s, _)| s.min_ms).min().unwrap_or(0);
        let hi = covered.iter().map(|(s, _)| s.max_ms).max().unwrap_or(0);
        let width = block_width(hi.saturating_sub(lo));
        let mut groups: std::collections::BTreeMap<i64, Vec<(u64, RecordBatch)>> = std::collections::BTreeMap::new();
        for (seg, state) in covered {
            if let Some(state) = state {
                groups
                    .entry(seg.min_ms.div_euclid(width))
                    .or_default()
                    .push((seg.id, state));
            }
        }
        let mut out = Vec::with_capacity(groups.len());
        let mut keep = HashSet::new();
        for members in groups.into_values() {
            if members.len() < 2 {
                out.extend(members.into_iter().map(|(_, s)| s));
                continue;
            }
            let ids: Vec<u64> = members.iter().map(|(id, _)| *id).collect();
            keep.insert(ids.clone());
            match self.cache.block(&ids) {
                Some(state) => out.push(state),
                None => {
                    let state = self
                        .reduce(members.into_iter().map(|(_, s)| s).collect(), context)
                        .await?;
                    self.cache.insert_block(ids, state.clone());
                    out.push(state);
                }
            }
        }
        self.cache.retain_blocks(&keep);
        Ok(out)
    }

    /// Runs the partial aggregate over `segments` of the stream only (the other streams as in `view`).
    async fn run_partial(
        &self,
        view: &ReadView,
        context: &TaskContext,
        segments: Vec<Arc<Segment>>,
    ) -> Result<Vec<RecordBatch>> {
        let config = context
            .session_config()
            .clone()
            .with_extension(Arc::new(view.only(&self.stream, segments)));
        let task = TaskContext::new(
            context.task_id(),
            context.session_id(),
            config,
            context.scalar_functions().clone(),
            context.higher_order_functions().clone(),
            context.aggregate_functions().clone(),
            context.window_functions().clone(),
            context.runtime_env(),
        );
        collect(fresh_state(Arc::clone(&self.partial))?, Arc::new(task)).await
    }

    /// Combines partial states into one partial state, as DataFusion's final aggregate would merge them
    /// but without finishing them.
    async fn reduce(&self, parts: Vec<RecordBatch>, context: &Arc<TaskContext>) -> Result<RecordBatch> {
        let partial = self
            .partial
            .downcast_ref::<AggregateExec>()
            .ok_or_else(|| internal_datafusion_err!("a cached aggregate wraps a partial aggregate"))?;
        let schema = self.schema();
        let input =
            datafusion::datasource::memory::MemorySourceConfig::try_new_exec(&[parts], Arc::clone(&schema), None)?;
        let reduce = AggregateExec::try_new(
            AggregateMode::PartialReduce,
            partial.group_expr().as_final(),
            partial.aggr_expr().to_vec(),
            partial.filter_expr().to_vec(),
            input,
            partial.input_schema(),
        )?;
        let batches = collect(Arc::new(reduce), Arc::clone(context)).await?;
        Ok(concat_batches(&schema, &batches)?)
    }
}

/// The time width of the blocks whose segments share one combined state: the smallest of a few widths that
/// cuts `span` into at most 48 blocks (stable while the span stays in its range, so blocks are reused).
fn block_width(span_ms: i64) -> i64 {
    const HOUR: i64 = 3_600_000;
    [
        HOUR,
        6 * HOUR,
        24 * HOUR,
        7 * 24 * HOUR,
        31 * 24 * HOUR,
        366 * 24 * HOUR,
    ]
    .into_iter()
    .find(|w| span_ms / w <= 48)
    .unwrap_or(366 * 24 * HOUR)
}

/// A copy of `plan` whose operators hold no state from an earlier run (a hash join's build side, dynamic
/// filters): a plan kept between evaluations is run through this every time.
pub fn fresh_state(plan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
    plan.transform_up(|node| Ok(Transformed::yes(node.reset_state()?)))
        .map(|t| t.data)
}

impl DisplayAs for IncrementalAggExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "IncrementalAggExec: stream={}, moving_bounds={}, cached_segments={}",
            self.stream,
            self.bounds.len(),
            self.cache.len()
        )
    }
}

impl ExecutionPlan for IncrementalAggExec {
    fn name(&self) -> &'static str {
        "IncrementalAggExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.props
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.partial]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.len() != 1 {
            return Err(internal_datafusion_err!("IncrementalAggExec has one child"));
        }
        Ok(Arc::new(self.with_partial(children.swap_remove(0))))
    }

    #[allow(deprecated)]
    fn with_new_children(self: Arc<Self>, children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        self.replace_children(children, ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(internal_datafusion_err!("IncrementalAggExec has one partition"));
        }
        let this = Arc::new(self.with_partial(Arc::clone(&self.partial)));
        let schema: SchemaRef = self.schema();
        let stream = futures::stream::once(Arc::clone(&this).states(context))
            .map_ok({
                let schema = Arc::clone(&schema);
                move |batches| {
                    MemoryStream::try_new(batches, Arc::clone(&schema), None)
                        .map(|s| s.boxed())
                        .unwrap_or_else(|e| futures::stream::once(async move { Err(e) }).boxed())
                }
            })
            .try_flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
    }
}
