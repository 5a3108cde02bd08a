//! NDJSON and JSON-array bodies, decoded with arrow-json against the stream's schema.
//!
//! NDJSON is strict: one object per line (blank lines are skipped but counted, so line numbers match the
//! producer's file). A JSON array is parsed for its element boundaries with serde_json (without building
//! values), and each element is fed to the same arrow decoder.

use std::sync::Arc;

use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::json::reader::{Decoder, ReaderBuilder};
use datafusion::arrow::record_batch::RecordBatch;
use serde_json::value::RawValue;

use super::{check_batch, clean, Errors, IngestError};
use crate::catalog::StreamDef;
use crate::config::Limits;

const BATCH_ROWS: usize = 8192;

fn decoder(schema: &SchemaRef) -> Decoder {
    ReaderBuilder::new(schema.clone())
        .with_batch_size(BATCH_ROWS)
        .build_decoder()
        .expect("a catalog schema of plain types always has a JSON decoder")
}

/// Feeds `parts` to one decoder; the rows of all of them as one batch.
fn decode_parts<'a>(schema: &SchemaRef, parts: impl Iterator<Item = &'a [u8]>) -> Result<RecordBatch, String> {
    let mut d = decoder(schema);
    let mut batches = Vec::new();
    for part in parts {
        let mut buf = part;
        while !buf.is_empty() {
            let read = d.decode(buf).map_err(|e| clean(&e))?;
            buf = &buf[read..];
            if !buf.is_empty() || d.len() >= BATCH_ROWS {
                batches.extend(d.flush().map_err(|e| clean(&e))?);
            }
        }
    }
    if d.has_partial_record() {
        return Err("the JSON value is not complete".into());
    }
    batches.extend(d.flush().map_err(|e| clean(&e))?);
    datafusion::arrow::compute::concat_batches(schema, &batches).map_err(|e| clean(&e))
}

/// The stream's schema with every column nullable: the slow path decodes with it so that a missing value
/// is reported as such by `check_batch`, not as arrow's struct-level error.
fn relaxed(def: &StreamDef) -> SchemaRef {
    Arc::new(Schema::new(
        def.schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_nullable(true))
            .collect::<Vec<_>>(),
    ))
}

/// Deepest nesting of arrays and objects an event may have. Stream columns are flat, so only unknown
/// fields can nest at all; the limit keeps a hostile `[[[[...` from exhausting the decoder's stack.
pub const MAX_DEPTH: usize = 64;

/// Whether a JSON text nests arrays/objects deeper than [`MAX_DEPTH`]. Cheap for normal events: only a
/// line with more than `MAX_DEPTH` brackets is scanned (strings are skipped, escapes honoured).
fn too_deep(json: &[u8]) -> bool {
    if memchr::memchr2_iter(b'[', b'{', json).take(MAX_DEPTH + 1).count() <= MAX_DEPTH {
        return false;
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in json {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| b.is_ascii_whitespace())
}

/// `(line number, bytes)` of every non-blank line.
fn lines(body: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    body.split(|b| *b == b'\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !is_blank(l))
}

pub fn decode_ndjson(def: &StreamDef, body: &[u8], limits: &Limits) -> Result<RecordBatch, IngestError> {
    let mut count = 0;
    let mut longest = 0;
    let mut deep = false;
    for line in memchr_lines(body) {
        if !is_blank(line) {
            count += 1;
            longest = longest.max(line.len());
            deep = deep || too_deep(line);
        }
    }
    if longest <= limits.max_event_bytes && !deep {
        if let Ok(batch) = decode_parts(&def.schema, std::iter::once(body)) {
            if batch.num_rows() == count {
                let mut errors = Errors::new(1);
                check_batch(def, &batch, &|r| r, &mut errors);
                if errors.total == 0 {
                    return Ok(batch);
                }
            }
        }
    }
    line_by_line(def, lines(body), limits, "line")
}

/// Splits on `\n` with memchr (the fast path only counts and measures lines).
fn memchr_lines(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', body).chain(std::iter::once(body.len()));
    ends.map(move |end| {
        let line = &body[start.min(end)..end];
        start = end + 1;
        line
    })
}

pub fn decode_array(def: &StreamDef, body: &[u8], limits: &Limits) -> Result<RecordBatch, IngestError> {
    let elements: Vec<&RawValue> = serde_json::from_slice(body)
        .map_err(|e| IngestError::whole(format!("the body is not a JSON array of objects: {e}")))?;
    if elements.is_empty() {
        return Err(IngestError::whole("the JSON array is empty"));
    }
    let all_objects = elements.iter().all(|e| e.get().starts_with('{'));
    let longest = elements.iter().map(|e| e.get().len()).max().unwrap_or(0);
    let deep = elements.iter().any(|e| too_deep(e.get().as_bytes()));
    if all_objects && longest <= limits.max_event_bytes && !deep {
        if let Ok(batch) = decode_parts(&def.schema, elements.iter().map(|e| e.get().as_bytes())) {
            if batch.num_rows() == elements.len() {
                let mut errors = Errors::new(1);
                check_batch(def, &batch, &|r| r, &mut errors);
                if errors.total == 0 {
                    return Ok(batch);
                }
            }
        }
    }
    let numbered = elements.iter().enumerate().map(|(i, e)| (i + 1, e.get().as_bytes()));
    line_by_line(def, numbered, limits, "element")
}

/// The slow path: decode each line alone to find and name every bad one. Returns the batch if, against
/// expectation, every line is fine on its own.
fn line_by_line<'a>(
    def: &StreamDef,
    lines: impl Iterator<Item = (usize, &'a [u8])>,
    limits: &Limits,
    what: &str,
) -> Result<RecordBatch, IngestError> {
    let mut errors = Errors::new(limits.max_reported_errors);
    let mut good = Vec::new();
    let schema = relaxed(def);
    for (n, line) in lines {
        if line.len() > limits.max_event_bytes {
            errors.push(n, format!("the {what} is longer than {} bytes", limits.max_event_bytes));
            continue;
        }
        let trimmed = line.trim_ascii_start();
        if !trimmed.starts_with(b"{") {
            errors.push(n, format!("the {what} is not a JSON object"));
            continue;
        }
        if too_deep(line) {
            errors.push(
                n,
                format!("the {what} nests arrays or objects more than {MAX_DEPTH} levels deep"),
            );
            continue;
        }
        match decode_parts(&schema, std::iter::once(line)) {
            Ok(batch) if batch.num_rows() == 1 => {
                let before = errors.total;
                check_batch(def, &batch, &|_| n, &mut errors);
                if errors.total == before {
                    good.push(batch);
                }
            }
            Ok(_) => errors.push(n, format!("one JSON object per {what}")),
            Err(message) => errors.push(n, message),
        }
    }
    if good.is_empty() && errors.total == 0 {
        return Err(IngestError::whole("the request holds no events"));
    }
    errors.into_result(())?;
    // Every kept line passed `check_batch`, so its required columns hold no nulls.
    let batch = datafusion::arrow::compute::concat_batches(&schema, &good)
        .and_then(|b| RecordBatch::try_new(def.schema.clone(), b.columns().to_vec()))
        .map_err(|e| IngestError::whole(clean(&e)))?;
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use std::path::Path;

    fn def() -> Arc<StreamDef> {
        let text = r#"[streams.s]
event_time = "t"
retention = "1h"
columns = [
  { name = "t", type = "timestamp_ms" },
  { name = "name", type = "utf8" },
  { name = "n", type = "int64", nullable = true },
]"#;
        Catalog::parse(Path::new("x"), text).unwrap().streams["s"].clone()
    }

    fn lines_of(r: Result<RecordBatch, IngestError>) -> Vec<(usize, String)> {
        match r {
            Err(IngestError::Invalid { lines, .. }) => lines.into_iter().map(|l| (l.line, l.message)).collect(),
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn decodes_good_ndjson_and_arrays() {
        let l = Limits::default();
        let body = b"{\"t\":\"2026-11-23T08:00:00Z\",\"name\":\"a\",\"n\":1}\n\n{\"t\":1763884800000,\"name\":\"b\",\"x\":9}\n";
        let b = decode_ndjson(&def(), body, &l).unwrap();
        assert_eq!(b.num_rows(), 2);
        let arr = br#"[{"t":"2026-11-23T08:00:00+07:00","name":"a"},{"t":1,"name":"b","n":null}]"#;
        assert_eq!(decode_array(&def(), arr, &l).unwrap().num_rows(), 2);
    }

    #[test]
    fn names_every_bad_line() {
        let l = Limits::default();
        let body = concat!(
            "{\"t\":1,\"name\":\"ok\"}\n",
            "{\"t\":1,\"name\":5}\n",
            "{\"name\":\"no time\"}\n",
            "{\"t\":1,\"name\":\"x\"\n",
            "{\"t\":1,\"name\":\"ok\"}{\"t\":2,\"name\":\"two\"}\n",
            "[1]\n",
            "{\"t\":99999999999999,\"name\":\"far\"}\n",
        );
        let errs = lines_of(decode_ndjson(&def(), body.as_bytes(), &l));
        let numbers: Vec<usize> = errs.iter().map(|e| e.0).collect();
        assert_eq!(numbers, vec![2, 3, 4, 5, 6, 7], "{errs:?}");
        assert!(errs[1].1.contains("`t`"), "{errs:?}");
        let arr = br#"[{"t":1,"name":"a"},{"t":"not a time","name":"b"}]"#;
        assert_eq!(lines_of(decode_array(&def(), arr, &l))[0].0, 2);
    }
}
