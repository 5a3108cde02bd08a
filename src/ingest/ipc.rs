//! Arrow IPC stream bodies: columns are matched to the catalog by name and cast to the catalog's types
//! (a producer may send `Int32` for an `int64` column, or timestamps in another unit); extra columns are
//! ignored; a missing column is null (an error if the column is required).

use std::io::Cursor;
use std::sync::Arc;

use datafusion::arrow::array::new_null_array;
use datafusion::arrow::compute::{cast_with_options, CastOptions};
use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::record_batch::RecordBatch;

use super::{check_batch, clean, Errors, IngestError};
use crate::catalog::StreamDef;
use crate::config::Limits;

pub fn decode(def: &StreamDef, body: &[u8], limits: &Limits) -> Result<RecordBatch, IngestError> {
    let reader = StreamReader::try_new(Cursor::new(body), None)
        .map_err(|e| IngestError::whole(format!("not an Arrow IPC stream: {}", clean(&e))))?;
    let mut errors = Errors::new(limits.max_reported_errors);
    let mut out = Vec::new();
    let mut first_row = 1;
    for batch in reader {
        let batch = batch.map_err(|e| IngestError::whole(format!("bad Arrow IPC stream: {}", clean(&e))))?;
        let conformed = conform(def, &batch)?;
        let base = first_row;
        check_batch(def, &conformed, &|r| base + r, &mut errors);
        first_row += batch.num_rows();
        out.push(conformed);
    }
    if first_row == 1 {
        return Err(IngestError::whole("the Arrow IPC stream holds no rows"));
    }
    errors.into_result(())?;
    let strict: Vec<RecordBatch> = out
        .into_iter()
        .map(|b| RecordBatch::try_new(def.schema.clone(), b.columns().to_vec()))
        .collect::<Result<_, _>>()
        .map_err(|e| IngestError::whole(clean(&e)))?;
    datafusion::arrow::compute::concat_batches(&def.schema, &strict).map_err(|e| IngestError::whole(clean(&e)))
}

/// The batch with the catalog's columns, in the catalog's order and types.
fn conform(def: &StreamDef, batch: &RecordBatch) -> Result<RecordBatch, IngestError> {
    let options = CastOptions {
        safe: false,
        ..Default::default()
    };
    let mut columns = Vec::with_capacity(def.columns.len());
    for field in def.schema.fields() {
        let column = match batch.column_by_name(field.name()) {
            Some(c) => cast_with_options(c, field.data_type(), &options).map_err(|e| {
                IngestError::whole(format!(
                    "column `{}`: cannot use {} as {}: {}",
                    field.name(),
                    c.data_type(),
                    field.data_type(),
                    clean(&e)
                ))
            })?,
            None => new_null_array(field.data_type(), batch.num_rows()),
        };
        columns.push(column);
    }
    // Nulls in required columns are reported by `check_batch` with their rows; build the batch with the
    // schema relaxed so that they can be.
    let relaxed = Arc::new(datafusion::arrow::datatypes::Schema::new(
        def.schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_nullable(true))
            .collect::<Vec<_>>(),
    ));
    let relaxed_batch = RecordBatch::try_new(relaxed, columns).map_err(|e| IngestError::whole(clean(&e)))?;
    Ok(relaxed_batch)
}
