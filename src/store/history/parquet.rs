//! History files: Parquet written and read with the `parquet` crate DataFusion is built on.
//!
//! A file holds events of one UTC day, sorted by event time, compressed with zstd, in row groups of up to
//! 128k rows with page statistics, so a reader can skip row groups by their event-time range. Writing is
//! durable before it returns (a temporary name, `fsync`, rename, `fsync` of the folder). Reading gives the
//! columns asked for, in the stream's current schema (a column added to the catalog since reads as null; a
//! column whose type changed is an error naming the file), from the row groups the scan's time bounds do
//! not rule out. Every error names the file.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{new_null_array, Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::{concat_batches, sort_to_indices, take_record_batch};
use datafusion::arrow::datatypes::{SchemaRef, TimestampMillisecondType};
use datafusion::common::{DataFusionError, Result};
use datafusion::parquet::arrow::arrow_reader::statistics::StatisticsConverter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::arrow::{ArrowWriter, ParquetRecordBatchStreamBuilder, ProjectionMask};
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::{EnabledStatistics, WriterProperties};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::SendableRecordBatchStream;
use futures::TryStreamExt;

use super::manifest::sync_dir;
use crate::store::time::{coverage, Coverage, TimeBound};

/// Rows in one row group.
const ROW_GROUP_ROWS: usize = 128 * 1024;

/// What a written file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub rows: u64,
    pub bytes: u64,
    pub min_ms: i64,
    pub max_ms: i64,
}

fn named(path: &Path, e: impl std::fmt::Display) -> DataFusionError {
    DataFusionError::Execution(format!("history file {}: {e}", path.display()))
}

/// Writes `batches` (one stream's schema) sorted by the event time in column `time` to `path`, durably.
pub fn write(path: &Path, schema: &SchemaRef, batches: &[RecordBatch], time: usize) -> Result<Written> {
    let all = concat_batches(schema, batches)?;
    let order = sort_to_indices(all.column(time), None, None)?;
    let sorted = take_record_batch(&all, &order)?;
    let times = sorted.column(time).as_primitive::<TimestampMillisecondType>();
    let (min_ms, max_ms) = match (times.len(), times.values().first(), times.values().last()) {
        (0, _, _) | (_, None, _) | (_, _, None) => (i64::MAX, i64::MIN),
        (_, Some(lo), Some(hi)) => (*lo, *hi),
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| named(path, e))?;
    let tmp = path.with_extension("parquet.tmp");
    let file = std::fs::File::create(&tmp).map_err(|e| named(path, e))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).map_err(|e| named(path, e))?))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_statistics_enabled(EnabledStatistics::Page)
        .build();
    let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(|e| named(path, e))?;
    writer.write(&sorted).map_err(|e| named(path, e))?;
    let file = writer.into_inner().map_err(|e| named(path, e))?;
    file.sync_all().map_err(|e| named(path, e))?;
    let bytes = file.metadata().map_err(|e| named(path, e))?.len();
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| named(path, e))?;
    sync_dir(dir).map_err(|e| named(path, e))?;
    Ok(Written {
        rows: sorted.num_rows() as u64,
        bytes,
        min_ms,
        max_ms,
    })
}

/// Every row of the file at `path`, in `schema` (for compaction).
pub fn read_all(path: &Path, schema: &SchemaRef) -> Result<Vec<RecordBatch>> {
    let file = std::fs::File::open(path).map_err(|e| named(path, e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| named(path, e))?
        .with_batch_size(64 * 1024)
        .build()
        .map_err(|e| named(path, e))?;
    reader
        .map(|b| {
            let b = b.map_err(|e| named(path, e))?;
            conform(path, &b, schema)
        })
        .collect()
}

/// A stream of the rows of the file at `path` in `schema` (the stream's projected schema), from the row
/// groups whose event times `bounds` do not rule out.
pub fn read(
    path: Arc<Path>,
    schema: SchemaRef,
    time_name: String,
    bounds: Vec<TimeBound>,
    batch_size: usize,
) -> SendableRecordBatchStream {
    let out = schema.clone();
    let stream = futures::stream::once(async move {
        let file = tokio::fs::File::open(&*path).await.map_err(|e| named(&path, e))?;
        let builder = ParquetRecordBatchStreamBuilder::new(file)
            .await
            .map_err(|e| named(&path, e))?;
        let file_schema = builder.schema().clone();
        let groups = builder.metadata().row_groups();
        let mut keep: Vec<usize> = (0..groups.len()).collect();
        if !bounds.is_empty() {
            let stats = StatisticsConverter::try_new(&time_name, &file_schema, builder.parquet_schema())
                .map_err(|e| named(&path, e))?;
            let mins = stats.row_group_mins(groups.iter()).map_err(|e| named(&path, e))?;
            let maxes = stats.row_group_maxes(groups.iter()).map_err(|e| named(&path, e))?;
            if let (Some(mins), Some(maxes)) = (
                mins.as_primitive_opt::<TimestampMillisecondType>(),
                maxes.as_primitive_opt::<TimestampMillisecondType>(),
            ) {
                let ranges: Vec<(i64, i64)> = (0..groups.len())
                    .map(|i| {
                        if mins.is_valid(i) && maxes.is_valid(i) {
                            (mins.value(i), maxes.value(i))
                        } else {
                            (i64::MIN, i64::MAX)
                        }
                    })
                    .collect();
                let covered = coverage(&bounds, &ranges)?;
                keep.retain(|&i| covered[i] != Coverage::None);
            }
        }
        let indices: Vec<usize> = schema
            .fields()
            .iter()
            .filter_map(|f| file_schema.index_of(f.name()).ok())
            .collect();
        let mask = ProjectionMask::roots(builder.parquet_schema(), indices);
        let batches = builder
            .with_projection(mask)
            .with_row_groups(keep)
            .with_batch_size(batch_size)
            .build()
            .map_err(|e| named(&path, e))?;
        let conformed = batches
            .map_err({
                let path = path.clone();
                move |e| named(&path, e)
            })
            .and_then(move |b| {
                let r = conform(&path, &b, &schema);
                async move { r }
            });
        Ok::<_, DataFusionError>(conformed)
    })
    .try_flatten();
    Box::pin(RecordBatchStreamAdapter::new(out, stream))
}

/// `batch` (as read from a file) in `schema`: columns matched by name; one the file lacks is null when the
/// schema allows it.
fn conform(path: &Path, batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    if batch.schema().fields() == schema.fields() {
        return Ok(RecordBatch::try_new(schema.clone(), batch.columns().to_vec())?);
    }
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| match batch.column_by_name(f.name()) {
            Some(c) if c.data_type() == f.data_type() => Ok(c.clone()),
            Some(c) => Err(named(
                path,
                format!(
                    "column `{}` is {} in the file and {} in the catalog",
                    f.name(),
                    c.data_type(),
                    f.data_type()
                ),
            )),
            None if f.is_nullable() => Ok(new_null_array(f.data_type(), batch.num_rows())),
            None => Err(named(
                path,
                format!("the file has no column `{}`, which is required", f.name()),
            )),
        })
        .collect::<Result<_>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}
