//! Time bounds that move with the clock, given to the stream scans.
//!
//! DataFusion offers a table scan only the filters it may evaluate once per query, and the clock's
//! functions are not among them ([`super::clock`]), so `event_time >= now() - INTERVAL '5 minutes'` stays
//! in a `FilterExec` above the scan. [`push_time_bounds`] finds such conjuncts that bound a stream's event
//! time and hands them to the scan below, which then skips the segments they rule out at each run. The
//! filter stays where it is and still decides every row; the scan only skips whole segments.

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::Result;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::utils::collect_columns;
use datafusion::physical_expr::{split_conjunction, PhysicalExpr};
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::coop::CooperativeExec;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::sorts::sort::SortExec;
use datafusion::physical_plan::ExecutionPlan;

use crate::store::scan::StreamScanExec;
use crate::store::time::{ordered_column, TimeBound};

/// `plan` with every stream scan also given the event-time bounds of the filters right above it.
pub fn push_time_bounds(plan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
    plan.transform_up(|node| {
        let Some(filter) = node.downcast_ref::<FilterExec>() else {
            return Ok(Transformed::no(node));
        };
        let input = filter.input();
        let mut bounds = Vec::new();
        let mut target: Option<*const StreamScanExec> = None;
        for conjunct in split_conjunction(filter.predicate()) {
            let columns = collect_columns(conjunct);
            let Some((scan, _)) = columns.iter().find_map(|c| event_time_of(input, c.index())) else {
                continue;
            };
            let resolve = |c: &Column| event_time_of(input, c.index()).map(|(_, e)| e);
            if let Some(b) = TimeBound::recognise(conjunct, &resolve, &scan.event_time_field()) {
                bounds.push(b);
                target = Some(scan as *const StreamScanExec);
            }
        }
        let Some(target) = target else {
            return Ok(Transformed::no(node));
        };
        let input = Arc::clone(input).transform_down(|n| {
            Ok(match n.downcast_ref::<StreamScanExec>() {
                Some(scan) if std::ptr::eq(scan, target) => {
                    Transformed::yes(Arc::new(scan.with_bounds(std::mem::take(&mut bounds))) as Arc<dyn ExecutionPlan>)
                }
                _ => Transformed::no(n),
            })
        })?;
        Ok(Transformed::yes(replace_children_if_necessary(node, vec![input.data])?))
    })
    .map(|t| t.data)
}

/// The stream scan whose event-time column column `index` of `plan`'s output is computed from, following
/// projections (of the column or of a cast of it to a timestamp type) and the operators that pass columns
/// through unchanged; with the expression that computes the column from the event time in column 0 of a
/// one-column batch.
pub fn event_time_of(plan: &Arc<dyn ExecutionPlan>, index: usize) -> Option<(&StreamScanExec, Arc<dyn PhysicalExpr>)> {
    if let Some(scan) = plan.downcast_ref::<StreamScanExec>() {
        let time = scan.event_time_field();
        return (scan.event_time_output() == Some(index))
            .then(|| (scan, Arc::new(Column::new(time.name(), 0)) as Arc<dyn PhysicalExpr>));
    }
    if let Some(p) = plan.downcast_ref::<ProjectionExec>() {
        let expr = &p.expr().get(index)?.expr;
        let column = ordered_column(expr)?;
        let (scan, inner) = event_time_of(p.input(), column.index())?;
        let composed = Arc::clone(expr)
            .transform(|e| {
                Ok(match e.downcast_ref::<Column>() {
                    Some(_) => Transformed::yes(Arc::clone(&inner)),
                    None => Transformed::no(e),
                })
            })
            .ok()?
            .data;
        return Some((scan, composed));
    }
    if let Some(f) = plan.downcast_ref::<FilterExec>() {
        let index = match f.projection() {
            Some(p) => *p.get(index)?,
            None => index,
        };
        return event_time_of(f.input(), index);
    }
    let passes_through = plan.is::<RepartitionExec>()
        || plan.is::<CooperativeExec>()
        || plan.is::<CoalescePartitionsExec>()
        || plan.is::<SortExec>();
    match plan.children().as_slice() {
        [child] if passes_through => event_time_of(child, index),
        _ => None,
    }
}
