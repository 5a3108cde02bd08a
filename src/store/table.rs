//! The DataFusion table of a stream: reads a [`Snapshot`](super::Snapshot) taken when the query is planned,
//! and skips the segments a time filter rules out.
//!
//! Every evaluation plans its query anew, so each one sees the rows appended since the last. Filters on the
//! event-time column against a timestamp literal (`event_time >= now() - INTERVAL '5 minutes'`, once the
//! planner has folded `now()`) are accepted as `Inexact`: we use them only to drop whole segments, and
//! DataFusion still applies them to the rows of the segments we keep.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::Session;
use datafusion::common::ScalarValue;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::Result;
use datafusion::logical_expr::{Between, BinaryExpr, Expr, Operator, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;

use super::StreamStore;

/// Counters of what scans read and skipped, for `/metrics` and the benchmarks.
#[derive(Debug, Default)]
pub struct ScanStats {
    pub scans: AtomicU64,
    pub segments_scanned: AtomicU64,
    pub segments_skipped: AtomicU64,
    pub rows_scanned: AtomicU64,
}

impl ScanStats {
    /// `(rows scanned, segments scanned, segments skipped)` so far.
    pub fn totals(&self) -> (u64, u64, u64) {
        (
            self.rows_scanned.load(Ordering::Relaxed),
            self.segments_scanned.load(Ordering::Relaxed),
            self.segments_skipped.load(Ordering::Relaxed),
        )
    }
}

/// A stream as a DataFusion table.
#[derive(Debug)]
pub struct StreamTable {
    stream: Arc<StreamStore>,
    stats: Arc<ScanStats>,
}

impl StreamTable {
    pub fn new(stream: Arc<StreamStore>, stats: Arc<ScanStats>) -> StreamTable {
        StreamTable { stream, stats }
    }
}

/// An inclusive range of event times in epoch ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub lo_ms: i64,
    pub hi_ms: i64,
}

impl TimeRange {
    pub const ALL: TimeRange = TimeRange {
        lo_ms: i64::MIN,
        hi_ms: i64::MAX,
    };

    fn intersect(self, o: TimeRange) -> TimeRange {
        TimeRange {
            lo_ms: self.lo_ms.max(o.lo_ms),
            hi_ms: self.hi_ms.min(o.hi_ms),
        }
    }
}

/// The range of event times `filter` allows, when it is a comparison (or a conjunction of comparisons) of
/// the column `column` with timestamp literals; `None` when it is anything else.
pub fn time_range(filter: &Expr, column: &str) -> Option<TimeRange> {
    match filter {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::And,
            right,
        }) => match (time_range(left, column), time_range(right, column)) {
            (Some(a), Some(b)) => Some(a.intersect(b)),
            (Some(a), None) | (None, Some(a)) => Some(a),
            (None, None) => None,
        },
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            if is_column(left, column) {
                comparison(*op, literal_ms(right)?)
            } else if is_column(right, column) {
                comparison(op.swap()?, literal_ms(left)?)
            } else {
                None
            }
        }
        Expr::Between(Between {
            expr,
            negated: false,
            low,
            high,
        }) if is_column(expr, column) => {
            let (lo, _) = literal_ms(low)?;
            let (_, hi) = literal_ms(high)?;
            Some(TimeRange { lo_ms: lo, hi_ms: hi })
        }
        _ => None,
    }
}

/// `column`, possibly cast to another timestamp type (order-preserving).
fn is_column(expr: &Expr, column: &str) -> bool {
    match expr {
        Expr::Column(c) => c.name == column,
        Expr::Cast(c) if matches!(c.field.data_type(), DataType::Timestamp(..)) => is_column(&c.expr, column),
        Expr::TryCast(c) if matches!(c.field.data_type(), DataType::Timestamp(..)) => is_column(&c.expr, column),
        _ => false,
    }
}

/// A timestamp literal as the epoch-ms range that holds it: `(floor, ceil)`, equal unless the literal has
/// sub-millisecond precision.
fn literal_ms(expr: &Expr) -> Option<(i64, i64)> {
    let (v, per_ms): (i64, i64) = match expr {
        Expr::Literal(ScalarValue::TimestampSecond(Some(v), _), _) => return Some((v * 1000, v * 1000)),
        Expr::Literal(ScalarValue::TimestampMillisecond(Some(v), _), _) => (*v, 1),
        Expr::Literal(ScalarValue::TimestampMicrosecond(Some(v), _), _) => (*v, 1_000),
        Expr::Literal(ScalarValue::TimestampNanosecond(Some(v), _), _) => (*v, 1_000_000),
        _ => return None,
    };
    let floor = v.div_euclid(per_ms);
    let ceil = floor + i64::from(v.rem_euclid(per_ms) != 0);
    Some((floor, ceil))
}

fn comparison(op: Operator, (floor, ceil): (i64, i64)) -> Option<TimeRange> {
    let all = TimeRange::ALL;
    Some(match op {
        Operator::Gt | Operator::GtEq => TimeRange { lo_ms: floor, ..all },
        Operator::Lt | Operator::LtEq => TimeRange { hi_ms: ceil, ..all },
        Operator::Eq => TimeRange {
            lo_ms: floor,
            hi_ms: ceil,
        },
        _ => return None,
    })
}

#[async_trait]
impl TableProvider for StreamTable {
    fn schema(&self) -> SchemaRef {
        self.stream.def.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        let column = self.stream.def.event_time_name();
        Ok(filters
            .iter()
            .map(|f| match time_range(f, column) {
                Some(_) => TableProviderFilterPushDown::Inexact,
                None => TableProviderFilterPushDown::Unsupported,
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let column = self.stream.def.event_time_name();
        let range = filters
            .iter()
            .filter_map(|f| time_range(f, column))
            .fold(TimeRange::ALL, TimeRange::intersect);
        let snapshot = self.stream.snapshot();
        let partitions = state.config().target_partitions().max(1);
        let mut parts: Vec<Vec<RecordBatch>> = vec![Vec::new(); partitions];
        let (mut scanned, mut skipped, mut rows) = (0u64, 0u64, 0u64);
        let mut next = 0;
        for seg in snapshot.segments() {
            if !seg.overlaps(range.lo_ms, range.hi_ms) {
                skipped += 1;
                continue;
            }
            scanned += 1;
            rows += seg.rows as u64;
            for b in &seg.batches {
                parts[next % partitions].push(b.clone());
                next += 1;
            }
        }
        parts.retain(|p| !p.is_empty());
        if parts.is_empty() {
            // Zero partitions would break plans that require exactly one (DataFusion's sanity check).
            parts.push(Vec::new());
        }
        // The process-wide counters, and the evaluating scenario's own when its session carries them.
        let own = state.config().get_extension::<ScanStats>();
        for s in std::iter::once(&self.stats).chain(own.as_ref()) {
            s.scans.fetch_add(1, Ordering::Relaxed);
            s.segments_scanned.fetch_add(scanned, Ordering::Relaxed);
            s.segments_skipped.fetch_add(skipped, Ordering::Relaxed);
            s.rows_scanned.fetch_add(rows, Ordering::Relaxed);
        }
        let source = MemorySourceConfig::try_new(&parts, self.schema(), projection.cloned())?.with_show_sizes(false);
        Ok(DataSourceExec::from_data_source(source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::{col, lit};

    fn ts_ns(ms: i64) -> Expr {
        lit(ScalarValue::TimestampNanosecond(
            Some(ms * 1_000_000 + 1),
            Some("+07:00".into()),
        ))
    }

    #[test]
    fn extracts_time_ranges() {
        let t = "event_time";
        assert_eq!(time_range(&col(t).gt_eq(ts_ns(1_000)), t).unwrap().lo_ms, 1_000);
        assert_eq!(time_range(&ts_ns(1_000).gt(col(t)), t).unwrap().hi_ms, 1_001);
        let both = col(t).gt(ts_ns(10)).and(col(t).lt(ts_ns(20)));
        assert_eq!(time_range(&both, t), Some(TimeRange { lo_ms: 10, hi_ms: 21 }));
        let cast = Expr::Cast(datafusion::logical_expr::Cast::new(
            Box::new(col(t)),
            DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Nanosecond, None),
        ));
        assert!(time_range(&cast.gt(ts_ns(5)), t).is_some());
        assert!(time_range(&col("other").gt(ts_ns(5)), t).is_none());
        assert!(time_range(&col(t).not_eq(ts_ns(5)), t).is_none());
        assert!(time_range(&col(t).gt(lit(5i64)), t).is_none());
    }
}
