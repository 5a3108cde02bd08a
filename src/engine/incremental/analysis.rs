//! Which partial aggregates of a physical plan may be cached per segment, and, when one may not, a sentence
//! that tells the analyst why.
//!
//! A partial aggregate's states for a sealed segment can be kept between ticks when they depend on nothing
//! but that segment's rows and on immutable reference tables:
//! - its input reads exactly one stream, once, and every operator between the scan and the aggregate
//!   handles each event on its own: filters, projections, repartitioning, inner joins with reference
//!   tables, and outer, semi or anti joins that keep or drop events (not ones that keep reference rows
//!   without a match). Window functions, limits, nested aggregates or a second read of a stream are not;
//! - `now()` appears below the aggregate only in conjuncts that bound the stream's event time
//!   (`event_time >= now() - INTERVAL '1 hour'`, `event_time >= date_trunc('day', now())`); the engine
//!   then caches only segments those bounds cover entirely, where the conjuncts are true for every row
//!   whatever the time. `now()` anywhere else below the aggregate, or a volatile function, makes the
//!   states change from tick to tick.
//!
//! Everything above the partial aggregate (the final aggregate, HAVING, ORDER BY, projections using
//! `now()`) runs in full at every tick on the merged states, so it is free to do anything.

use std::sync::Arc;

use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::JoinType;
use datafusion::physical_expr::{split_conjunction, PhysicalExpr};
use datafusion::physical_plan::aggregates::AggregateExec;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::coop::CooperativeExec;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::joins::{
    CrossJoinExec, HashJoinExec, NestedLoopJoinExec, SortMergeJoinExec, SymmetricHashJoinExec,
};
use datafusion::physical_plan::limit::{GlobalLimitExec, LocalLimitExec};
use datafusion::physical_plan::placeholder_row::PlaceholderRowExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::sorts::sort::SortExec;
use datafusion::physical_plan::union::UnionExec;
use datafusion::physical_plan::windows::{BoundedWindowAggExec, WindowAggExec};
use datafusion::physical_plan::{ExecutionPlan, InputOrderMode};

use crate::engine::clock::is_clock;
use crate::engine::pushdown::event_time_of;
use crate::store::scan::StreamScanExec;
use crate::store::time::{calls, is_volatile, TimeBound};

/// A partial aggregate that may be cached: the stream it reads and the conjuncts that bound its event
/// time with the clock.
#[derive(Debug)]
pub struct Cacheable {
    pub stream: String,
    pub bounds: Vec<TimeBound>,
}

/// Whether `agg` (a partial aggregate) may be cached, or why not.
pub fn cacheable(agg: &AggregateExec) -> Result<Cacheable, String> {
    if agg.limit_options().is_some() {
        return Err("a LIMIT without ORDER BY is applied while the groups are computed; \
                    add an ORDER BY to the LIMIT"
            .into());
    }
    if *agg.input_order_mode() != InputOrderMode::Linear {
        return Err("the aggregate reads its input in order of its keys, which the cache cannot keep".into());
    }
    let mut own = Ok(());
    let _ = agg.apply_expressions(&mut |e| {
        own = moving("inside the aggregate (an argument, a FILTER or a CASE)", e);
        Ok(if own.is_ok() {
            TreeNodeRecursion::Continue
        } else {
            TreeNodeRecursion::Stop
        })
    });
    own?;
    let mut input = Input::default();
    input.walk(agg.input())?;
    match input.scans.as_slice() {
        [] => Err("the aggregate reads no stream".into()),
        [scan] => Ok(Cacheable {
            stream: scan.clone(),
            bounds: input.bounds,
        }),
        many => Err(format!(
            "the aggregate reads {} (a self-join, IN/NOT IN or EXISTS on a stream, or two streams joined); \
             only an aggregate that reads one stream once can be cached",
            many.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(" and ")
        )),
    }
}

/// An error when `expr` depends on the clock or is volatile; `place` says where it stands.
fn moving(place: &str, expr: &Arc<dyn PhysicalExpr>) -> Result<(), String> {
    if calls(expr, &is_clock) {
        return Err(format!(
            "`{expr}` uses now() {place}; only a bound on the event time may move with the clock \
             (such as `event_time >= now() - INTERVAL '1 hour'`)"
        ));
    }
    if is_volatile(expr) {
        return Err(format!(
            "`{expr}` calls a volatile function {place}, so no two evaluations agree"
        ));
    }
    Ok(())
}

/// What the input of an aggregate reads, gathered while checking that it handles each event on its own.
#[derive(Default)]
struct Input {
    scans: Vec<String>,
    bounds: Vec<TimeBound>,
}

impl Input {
    fn walk(&mut self, plan: &Arc<dyn ExecutionPlan>) -> Result<(), String> {
        if let Some(scan) = plan.downcast_ref::<StreamScanExec>() {
            self.scans.push(scan.stream().to_string());
            return Ok(());
        }
        if plan.children().is_empty() {
            // Reference tables (and constant rows) never change.
            return if plan.is::<EmptyExec>() || plan.is::<PlaceholderRowExec>() || plan.name() == "DataSourceExec" {
                Ok(())
            } else {
                Err(format!(
                    "the aggregate reads `{}`, which the cache does not know",
                    plan.name()
                ))
            };
        }
        if let Some(filter) = plan.downcast_ref::<FilterExec>() {
            self.filter(filter)?;
        } else if let Some(reason) = blocking(plan) {
            return Err(reason);
        } else {
            self.joins(plan)?;
            let mut own = Ok(());
            let _ = plan.apply_expressions(&mut |e| {
                own = moving(&format!("in {} before the aggregate", plan.name()), e);
                Ok(if own.is_ok() {
                    TreeNodeRecursion::Continue
                } else {
                    TreeNodeRecursion::Stop
                })
            });
            own?;
        }
        for child in plan.children() {
            self.walk(child)?;
        }
        Ok(())
    }

    /// A filter's conjuncts: those that use the clock must bound the event time of the stream below.
    fn filter(&mut self, filter: &FilterExec) -> Result<(), String> {
        for conjunct in split_conjunction(filter.predicate()) {
            if is_volatile(conjunct) {
                return Err(format!(
                    "the filter `{conjunct}` calls a volatile function, so no two evaluations agree"
                ));
            }
            if !calls(conjunct, &is_clock) {
                continue;
            }
            let input = filter.input();
            let scan = datafusion::physical_expr::utils::collect_columns(conjunct)
                .iter()
                .find_map(|c| event_time_of(input, c.index()));
            let bound = scan.and_then(|(scan, _)| {
                TimeBound::recognise(
                    conjunct,
                    &|c| event_time_of(input, c.index()).map(|(_, e)| e),
                    &scan.event_time_field(),
                )
            });
            match bound {
                Some(b) => self.bounds.push(b),
                None => {
                    return Err(format!(
                        "the filter `{conjunct}` compares now() with something other than the event time \
                         of a stream; only a bound on the event time may move with the clock (such as \
                         `event_time >= now() - INTERVAL '1 hour'`); compute the rest after the aggregate"
                    ))
                }
            }
        }
        Ok(())
    }

    /// A join handles each event on its own when the events' side is the one it keeps or filters.
    fn joins(&self, plan: &Arc<dyn ExecutionPlan>) -> Result<(), String> {
        let (join_type, left) = if let Some(j) = plan.downcast_ref::<HashJoinExec>() {
            (*j.join_type(), j.left())
        } else if let Some(j) = plan.downcast_ref::<NestedLoopJoinExec>() {
            (*j.join_type(), j.left())
        } else if let Some(j) = plan.downcast_ref::<SortMergeJoinExec>() {
            (j.join_type(), j.left())
        } else if let Some(j) = plan.downcast_ref::<SymmetricHashJoinExec>() {
            (*j.join_type(), j.left())
        } else {
            // Not a join, or a cross join (each event meets every reference row).
            return Ok(());
        };
        let events_left = reads_stream(left);
        let kept = match join_type {
            JoinType::Inner => true,
            JoinType::Left | JoinType::LeftSemi | JoinType::LeftAnti | JoinType::LeftMark => events_left,
            JoinType::Right | JoinType::RightSemi | JoinType::RightAnti | JoinType::RightMark => !events_left,
            JoinType::Full => false,
        };
        if kept {
            Ok(())
        } else {
            Err(format!(
                "a {join_type} join keeps rows of a reference table that match no event, which only the whole \
                 stream can decide; join the events to the reference table instead (events on the kept side)"
            ))
        }
    }
}

/// Why an operator between the scan and the aggregate prevents caching, if it does.
fn blocking(plan: &Arc<dyn ExecutionPlan>) -> Option<String> {
    let row_local = plan.is::<ProjectionExec>()
        || plan.is::<RepartitionExec>()
        || plan.is::<CoalescePartitionsExec>()
        || plan.is::<CooperativeExec>()
        || plan.is::<UnionExec>()
        || plan.is::<HashJoinExec>()
        || plan.is::<NestedLoopJoinExec>()
        || plan.is::<SortMergeJoinExec>()
        || plan.is::<SymmetricHashJoinExec>()
        || plan.is::<CrossJoinExec>()
        || plan.downcast_ref::<SortExec>().is_some_and(|s| s.fetch().is_none());
    if row_local {
        return None;
    }
    Some(if plan.is::<BoundedWindowAggExec>() || plan.is::<WindowAggExec>() {
        "a window function (OVER ...) is computed before the aggregate, over all rows of the stream; \
             incremental evaluation needs the aggregate to read the events directly"
            .to_string()
    } else if plan.is::<AggregateExec>() {
        "the aggregate reads the result of another aggregate (a GROUP BY or DISTINCT in a subquery) \
             that reads the whole stream"
            .to_string()
    } else if plan.is::<GlobalLimitExec>() || plan.is::<LocalLimitExec>() || plan.is::<SortExec>() {
        "a LIMIT is applied to the events before the aggregate".to_string()
    } else {
        format!("`{}` runs before the aggregate", plan.name())
    })
}

fn reads_stream(plan: &Arc<dyn ExecutionPlan>) -> bool {
    plan.is::<StreamScanExec>() || plan.children().iter().any(|c| reads_stream(c))
}
