//! The scan of a stream in a physical plan: reads the segments of the evaluation's [`ReadView`] when it
//! runs, not when it is planned, so one planned query serves every tick.
//!
//! Segments that the scan's time bounds rule out are skipped (their values are computed at each run, so
//! `now()` moves). The rows kept in memory are handed out in slices of at most `batch_size` rows,
//! round-robin over the scan's partitions; history files (segments whose rows are on disk) one file at a
//! time, read as the stream is polled, with their row groups skipped by the same bounds. DataFusion still applies the filters to those rows: skipping is only a saving.
//! Without a `ReadView` in the task context (a plan run by plain DataFusion), the scan takes a snapshot of
//! its stream itself. It counts what it read and skipped in [`ScanStats`].

use std::sync::atomic::Ordering;
use std::sync::Arc;

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::stats::Precision;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Result, Statistics};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::memory::MemoryStream;
use datafusion::physical_plan::statistics::StatisticsArgs;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties, ReplaceChildrenOptions,
    SendableRecordBatchStream,
};
use futures::StreamExt;

use super::history;
use super::table::ScanStats;
use super::time::{coverage, Coverage, TimeBound};
use super::view::{ReadView, Snapshot};
use super::StreamStore;

/// Rows the planner assumes a stream holds: streams are the large side of any join with a reference table.
const ASSUMED_ROWS: usize = 1 << 30;

#[derive(Debug)]
pub struct StreamScanExec {
    stream: Arc<StreamStore>,
    projection: Option<Vec<usize>>,
    bounds: Vec<TimeBound>,
    partitions: usize,
    stats: Arc<ScanStats>,
    props: Arc<PlanProperties>,
}

impl StreamScanExec {
    pub fn new(
        stream: Arc<StreamStore>,
        projection: Option<Vec<usize>>,
        bounds: Vec<TimeBound>,
        partitions: usize,
        stats: Arc<ScanStats>,
    ) -> Result<StreamScanExec> {
        let schema = match &projection {
            Some(p) => Arc::new(stream.def.schema.project(p)?),
            None => stream.def.schema.clone(),
        };
        let partitions = partitions.max(1);
        let props = PlanProperties::new(
            EquivalenceProperties::new(schema),
            Partitioning::UnknownPartitioning(partitions),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        Ok(StreamScanExec {
            stream,
            projection,
            bounds,
            partitions,
            stats,
            props: Arc::new(props),
        })
    }

    /// The same scan, also skipping what `more` rules out.
    pub fn with_bounds(&self, more: Vec<TimeBound>) -> StreamScanExec {
        let mut bounds = self.bounds.clone();
        bounds.extend(more);
        StreamScanExec {
            stream: self.stream.clone(),
            projection: self.projection.clone(),
            bounds,
            partitions: self.partitions,
            stats: self.stats.clone(),
            props: self.props.clone(),
        }
    }

    /// The stream's name.
    pub fn stream(&self) -> &str {
        &self.stream.def.name
    }

    /// The name of the event-time column in this scan's output, when it is projected.
    pub fn event_time_output(&self) -> Option<usize> {
        let time = self.stream.def.event_time;
        match &self.projection {
            None => Some(time),
            Some(p) => p.iter().position(|&i| i == time),
        }
    }

    /// The field of the event-time column.
    pub fn event_time_field(&self) -> datafusion::arrow::datatypes::FieldRef {
        Arc::new(self.stream.def.schema.field(self.stream.def.event_time).clone())
    }

    /// The stream as the evaluation sees it.
    fn snapshot(&self, context: &TaskContext) -> Arc<Snapshot> {
        context
            .session_config()
            .get_extension::<ReadView>()
            .and_then(|v| v.get(self.stream()).cloned())
            .unwrap_or_else(|| Arc::new(self.stream.snapshot()))
    }
}

impl DisplayAs for StreamScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "StreamScanExec: stream={}, time_bounds={}",
            self.stream(),
            self.bounds.len()
        )
    }
}

impl ExecutionPlan for StreamScanExec {
    fn name(&self) -> &'static str {
        "StreamScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.props
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
        _options: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    #[allow(deprecated)]
    fn with_new_children(self: Arc<Self>, _children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn statistics_from_inputs(&self, _inputs: &[Arc<Statistics>], _args: &StatisticsArgs) -> Result<Arc<Statistics>> {
        Ok(Arc::new(
            Statistics::new_unknown(&self.schema()).with_num_rows(Precision::Inexact(ASSUMED_ROWS)),
        ))
    }

    fn execute(&self, partition: usize, context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let snapshot = self.snapshot(&context);
        let segments: Vec<_> = snapshot.segments().collect();
        let ranges: Vec<(i64, i64)> = segments.iter().map(|s| (s.min_ms, s.max_ms)).collect();
        let covered = coverage(&self.bounds, &ranges)?;
        let batch_size = context.session_config().batch_size().max(1);
        let (mut scanned, mut skipped, mut rows, mut files) = (0u64, 0u64, 0u64, 0u64);
        let mut out: Vec<RecordBatch> = Vec::new();
        let mut on_disk: Vec<Arc<std::path::Path>> = Vec::new();
        let (mut next, mut next_file) = (0usize, 0usize);
        for (seg, c) in segments.iter().zip(covered) {
            if c == Coverage::None || seg.rows == 0 {
                skipped += 1;
                continue;
            }
            scanned += 1;
            rows += seg.rows as u64;
            if let Some(file) = &seg.file {
                files += 1;
                if next_file % self.partitions == partition {
                    on_disk.push(file.path.clone());
                }
                next_file += 1;
                continue;
            }
            for batch in &seg.batches {
                let mut offset = 0;
                while offset < batch.num_rows() {
                    let len = batch_size.min(batch.num_rows() - offset);
                    if next % self.partitions == partition {
                        let slice = batch.slice(offset, len);
                        out.push(match &self.projection {
                            Some(p) => slice.project(p)?,
                            None => slice,
                        });
                    }
                    next += 1;
                    offset += len;
                }
            }
        }
        // One partition counts the whole scan: the process-wide counters and the evaluation's own.
        if partition == 0 {
            let own = context.session_config().get_extension::<ScanStats>();
            for s in std::iter::once(&self.stats).chain(own.as_ref()) {
                s.scans.fetch_add(1, Ordering::Relaxed);
                s.segments_scanned.fetch_add(scanned, Ordering::Relaxed);
                s.segments_skipped.fetch_add(skipped, Ordering::Relaxed);
                s.rows_scanned.fetch_add(rows, Ordering::Relaxed);
                s.files_read.fetch_add(files, Ordering::Relaxed);
            }
            if files > 0 {
                metrics::counter!("ioc_history_files_read_total").increment(files);
            }
        }
        let memory = MemoryStream::try_new(out, self.schema(), None)?;
        if on_disk.is_empty() {
            return Ok(Box::pin(memory));
        }
        let (schema, time) = (self.schema(), self.stream.def.event_time_name().to_string());
        let bounds = self.bounds.clone();
        let disk = futures::stream::iter(on_disk).flat_map(move |path| {
            history::parquet::read(path, schema.clone(), time.clone(), bounds.clone(), batch_size)
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.schema(),
            memory.chain(disk),
        )))
    }
}
