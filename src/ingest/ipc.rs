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

/// Checks the stream's framing before arrow reads it: every message's metadata is a valid flatbuffer and
/// its declared body lies within the request. Arrow's reader trusts the declared lengths, so a 60-byte
/// body claiming a 1 TiB buffer would make it try to allocate that much (and abort the process).
fn check_framing(body: &[u8]) -> Result<(), String> {
    let int_at = |at: usize| -> Option<i32> { Some(i32::from_le_bytes(body.get(at..at + 4)?.try_into().ok()?)) };
    let mut at = 0usize;
    while at < body.len() {
        let mut len = int_at(at).ok_or("a message header is cut off")?;
        at += 4;
        if len == -1 {
            // The continuation marker; the length follows.
            len = int_at(at).ok_or("a message header is cut off")?;
            at += 4;
        }
        if len == 0 {
            return Ok(()); // end of stream
        }
        let len = usize::try_from(len).map_err(|_| "a message has a negative length")?;
        let meta = body
            .get(at..at.saturating_add(len))
            .ok_or("a message's metadata runs past the end of the body")?;
        at += len;
        let message = datafusion::arrow::ipc::root_as_message(meta)
            .map_err(|e| format!("a message's metadata is invalid: {e}"))?;
        let declared = message.bodyLength();
        let declared = usize::try_from(declared).map_err(|_| "a message declares a negative body length")?;
        if declared > body.len() - at {
            return Err(format!(
                "a message declares {declared} body bytes but only {} remain",
                body.len() - at
            ));
        }
        at += declared;
    }
    Ok(())
}

pub fn decode(def: &StreamDef, body: &[u8], limits: &Limits) -> Result<RecordBatch, IngestError> {
    check_framing(body).map_err(|e| IngestError::whole(format!("bad Arrow IPC stream: {e}")))?;
    // Arrow's reader still panics on some malformed metadata (an integer of bit width 0, a buffer outside
    // the body): such a body is a bad request, never a crash of the server.
    std::panic::catch_unwind(|| decode_checked(def, body, limits)).unwrap_or_else(|_| {
        Err(IngestError::whole(
            "bad Arrow IPC stream: its metadata is inconsistent (the decoder refused it)",
        ))
    })
}

fn decode_checked(def: &StreamDef, body: &[u8], limits: &Limits) -> Result<RecordBatch, IngestError> {
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
    let batch =
        datafusion::arrow::compute::concat_batches(&def.schema, &strict).map_err(|e| IngestError::whole(clean(&e)))?;
    own_buffers(batch)
}

/// The reader's arrays are slices of the request body, and each reports the whole body as its size: the
/// store would count a 10-column request ten times against its byte caps (and an import of the window
/// would be refused at a tenth of the cap). A copy gives each column buffers of its own (one memcpy of
/// the request), so what is counted is what is held.
fn own_buffers(batch: RecordBatch) -> Result<RecordBatch, IngestError> {
    let n = u32::try_from(batch.num_rows()).map_err(|_| IngestError::whole("too many rows in one request"))?;
    let all = datafusion::arrow::array::UInt32Array::from_iter_values(0..n);
    datafusion::arrow::compute::take_record_batch(&batch, &all).map_err(|e| IngestError::whole(clean(&e)))
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

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use datafusion::arrow::array::{ArrayRef, Int64Array, StringArray, TimestampMillisecondArray};
    use datafusion::arrow::ipc::writer::StreamWriter;

    use super::*;
    use crate::catalog::Catalog;

    /// What the store counts for a decoded request is about what it holds, not the body once per column.
    #[test]
    fn a_decoded_batch_counts_its_own_bytes() {
        let catalog = Catalog::parse(
            Path::new("streams.toml"),
            "[streams.s]\nevent_time = \"t\"\nretention = \"1h\"\ncolumns = [\n\
             { name = \"t\", type = \"timestamp_ms\" },\n{ name = \"a\", type = \"utf8\" },\n\
             { name = \"b\", type = \"utf8\" },\n{ name = \"c\", type = \"int64\" },\n]\n",
        )
        .unwrap();
        let def = catalog.stream("s").unwrap();
        let n = 20_000;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(TimestampMillisecondArray::from_iter_values(0..n).with_timezone("UTC")),
            Arc::new(StringArray::from_iter_values((0..n).map(|i| format!("a-{i:010}")))),
            Arc::new(StringArray::from_iter_values((0..n).map(|i| format!("b-{i:010}")))),
            Arc::new(Int64Array::from_iter_values(0..n)),
        ];
        let batch = RecordBatch::try_new(def.schema.clone(), columns).unwrap();
        let mut body = Vec::new();
        let mut w = StreamWriter::try_new(&mut body, &def.schema).unwrap();
        w.write(&batch).unwrap();
        w.finish().unwrap();
        drop(w);
        let decoded = decode(def, &body, &crate::config::Limits::default()).unwrap();
        assert_eq!(decoded.num_rows(), n as usize);
        let counted = decoded.get_array_memory_size();
        assert!(
            counted < 2 * body.len(),
            "{counted} bytes counted for a body of {}",
            body.len()
        );
    }
}
