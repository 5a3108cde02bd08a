//! The DataFusion table of a stream: plans a [`StreamScanExec`], which reads the evaluation's snapshot
//! when it runs.
//!
//! Every filter DataFusion offers is accepted as `Inexact`: the scan turns the conjuncts that bound the
//! event time (`event_time >= now() - INTERVAL '5 minutes'`, `event_time < TIMESTAMP '...'`) into
//! [`TimeBound`]s and skips the segments they rule out; DataFusion still applies every filter to the rows
//! of the segments kept. The bounds keep `now()` as an expression, evaluated at each run.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchema};
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_expr::split_conjunction;
use datafusion::physical_plan::ExecutionPlan;

use super::scan::StreamScanExec;
use super::time::TimeBound;
use super::StreamStore;

/// Counters of what scans read and skipped, for `/metrics`, the scenario list and the benchmarks.
#[derive(Debug, Default)]
pub struct ScanStats {
    pub scans: AtomicU64,
    pub segments_scanned: AtomicU64,
    pub segments_skipped: AtomicU64,
    pub rows_scanned: AtomicU64,
    /// Sealed segments whose partial aggregate came from the engine's cache instead of a scan.
    pub segments_cached: AtomicU64,
    /// Of those, compacted segments whose partial aggregate was combined from their parts' cached ones.
    pub segments_combined: AtomicU64,
    /// History files opened (a query that stays inside the memory window opens none).
    pub files_read: AtomicU64,
}

/// What [`ScanStats`] counted, at one moment or between two.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanTotals {
    pub rows_scanned: u64,
    pub segments_scanned: u64,
    pub segments_skipped: u64,
    pub segments_cached: u64,
    pub segments_combined: u64,
    pub files_read: u64,
}

impl ScanStats {
    pub fn totals(&self) -> ScanTotals {
        ScanTotals {
            rows_scanned: self.rows_scanned.load(Ordering::Relaxed),
            segments_scanned: self.segments_scanned.load(Ordering::Relaxed),
            segments_skipped: self.segments_skipped.load(Ordering::Relaxed),
            segments_cached: self.segments_cached.load(Ordering::Relaxed),
            segments_combined: self.segments_combined.load(Ordering::Relaxed),
            files_read: self.files_read.load(Ordering::Relaxed),
        }
    }
}

impl std::ops::Sub for ScanTotals {
    type Output = ScanTotals;
    fn sub(self, o: ScanTotals) -> ScanTotals {
        ScanTotals {
            rows_scanned: self.rows_scanned.saturating_sub(o.rows_scanned),
            segments_scanned: self.segments_scanned.saturating_sub(o.segments_scanned),
            segments_skipped: self.segments_skipped.saturating_sub(o.segments_skipped),
            segments_cached: self.segments_cached.saturating_sub(o.segments_cached),
            segments_combined: self.segments_combined.saturating_sub(o.segments_combined),
            files_read: self.files_read.saturating_sub(o.files_read),
        }
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

    /// The event-time bounds among the conjuncts of `filters`.
    fn bounds(&self, state: &dyn Session, filters: &[Expr]) -> Vec<TimeBound> {
        let def = &self.stream.def;
        let Ok(schema) = DFSchema::try_from(def.schema.as_ref().clone()) else {
            return Vec::new();
        };
        let field = Arc::new(def.schema.field(def.event_time).clone());
        let name = def.event_time_name();
        let mut bounds = Vec::new();
        for filter in filters {
            // Pushed filters name the table; the schema here does not.
            let Ok(filter) = filter.clone().transform(|e| {
                Ok(match e {
                    Expr::Column(c) if c.relation.is_some() => {
                        Transformed::yes(Expr::Column(Column::new_unqualified(c.name)))
                    }
                    other => Transformed::no(other),
                })
            }) else {
                continue;
            };
            // A filter that does not plan here (a subquery) bounds nothing; DataFusion applies it anyway.
            let Ok(physical) = state.create_physical_expr(filter.data, &schema) else {
                continue;
            };
            for conjunct in split_conjunction(&physical) {
                let resolve = |c: &datafusion::physical_expr::expressions::Column| {
                    (c.name() == name).then(|| {
                        Arc::new(datafusion::physical_expr::expressions::Column::new(name, 0))
                            as Arc<dyn datafusion::physical_expr::PhysicalExpr>
                    })
                };
                if let Some(b) = TimeBound::recognise(conjunct, &resolve, &field) {
                    bounds.push(b);
                }
            }
        }
        bounds
    }
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
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let bounds = self.bounds(state, filters);
        let partitions = state.config().target_partitions();
        Ok(Arc::new(StreamScanExec::new(
            self.stream.clone(),
            projection.cloned(),
            bounds,
            partitions,
            self.stats.clone(),
        )?))
    }
}
