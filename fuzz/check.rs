//! Properties of `ioc_stream::ingest::decode`, shared by the cargo-fuzz target
//! (`fuzz/fuzz_targets/ingest_decoders.rs`) and the bounded run in CI (`tests/fuzz_decoders.rs`); both
//! include this file with `#[path]`.
//!
//! An input is one selector byte and a body (see [`Case::from_input`]). For every input:
//! - `decode` returns (a panic is a failure; so are the violations below);
//! - on `Ok`: the batch has the stream's exact schema, at least one row, one row per non-blank NDJSON line
//!   or JSON array element, no null in a required column, every timestamp in 1970-01-01..=2200-01-01;
//!   and it round-trips: written as NDJSON and as an Arrow IPC stream, it decodes to the same batch;
//! - on `Err`: the error is `Invalid` (never `StoreFull`, `UnknownStream`, ...), its message is not empty,
//!   it lists at most `max_reported_errors` lines, numbered from 1, each with a message.

#![allow(dead_code)]

use std::path::Path;
use std::sync::LazyLock;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, TimestampMillisecondType};
use ioc_stream::catalog::{Catalog, StreamDef};
use ioc_stream::config::Limits;
use ioc_stream::ingest::{decode, Format, IngestError, MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS};

/// The fuzzing catalog: `orders` as in `tests/fixtures/basic`, and `all_types` with every column type.
pub const CATALOG: &str = r#"
[streams.orders]
event_time = "event_time"
id = "event_id"
retention = "24h"
columns = [
  { name = "event_id",   type = "utf8" },
  { name = "event_time", type = "timestamp_ms" },
  { name = "region",     type = "utf8" },
  { name = "amount",     type = "int64" },
  { name = "paid",       type = "bool", nullable = true },
  { name = "note",       type = "utf8", nullable = true },
]

[streams.all_types]
event_time = "t"
id = "k"
retention = "1h"
columns = [
  { name = "k",   type = "utf8" },
  { name = "t",   type = "timestamp_ms" },
  { name = "b",   type = "bool" },
  { name = "i32", type = "int32" },
  { name = "i64", type = "int64", nullable = true },
  { name = "f",   type = "float64" },
  { name = "d",   type = "date32", nullable = true },
  { name = "t2",  type = "timestamp_ms", nullable = true },
  { name = "s",   type = "utf8", nullable = true },
]
"#;

/// The streams a selector byte can pick, in selector order.
pub const STREAMS: [&str; 2] = ["orders", "all_types"];
/// The formats a selector byte can pick, in selector order.
pub const FORMATS: [Format; 3] = [Format::Ndjson, Format::JsonArray, Format::ArrowIpc];

struct Setup {
    catalog: Catalog,
    default: Limits,
    tight: Limits,
}

static SETUP: LazyLock<Setup> = LazyLock::new(|| Setup {
    catalog: Catalog::parse(Path::new("fuzz/check.rs"), CATALOG).expect("the fuzzing catalog parses"),
    default: Limits::default(),
    tight: Limits {
        max_event_bytes: 96,
        max_reported_errors: 2,
        ..Limits::default()
    },
});

/// The stream definition of `name` in [`CATALOG`].
pub fn stream(name: &str) -> &'static StreamDef {
    &SETUP.catalog.streams[name]
}

/// The selector byte for a case: the first byte of a fuzz input.
pub fn selector(format: Format, stream: &str, tight: bool) -> u8 {
    let f = FORMATS.iter().position(|x| *x == format).expect("a known format") as u8;
    let s = STREAMS.iter().position(|x| *x == stream).expect("a known stream") as u8;
    f + 3 * s + 6 * u8::from(tight)
}

/// One call of `decode`.
pub struct Case<'a> {
    pub format: Format,
    pub stream: &'static str,
    pub def: &'static StreamDef,
    pub limits: &'static Limits,
    pub body: &'a [u8],
}

impl<'a> Case<'a> {
    /// `byte % 3` picks the format, `byte / 3 % 2` the stream, `byte / 6 % 2` the limits (0: defaults,
    /// 1: tight); the rest of the input is the body. `None` for an empty input.
    pub fn from_input(data: &'a [u8]) -> Option<Case<'a>> {
        let (&sel, body) = data.split_first()?;
        let stream = STREAMS[(sel / 3 % 2) as usize];
        Some(Case {
            format: FORMATS[(sel % 3) as usize],
            stream,
            def: self::stream(stream),
            limits: if sel / 6 % 2 == 1 { &SETUP.tight } else { &SETUP.default },
            body,
        })
    }
}

/// Decodes one input and checks every property, panicking with a description on a violation. `Some(rows)`
/// when the body was accepted, `None` when it was rejected (or the input is empty).
pub fn check_input(data: &[u8]) -> Option<usize> {
    let case = Case::from_input(data)?;
    match decode(case.def, case.format, case.body, case.limits) {
        Ok(batch) => {
            check_accepted(&case, &batch);
            Some(batch.num_rows())
        }
        Err(e) => {
            check_rejected(&case, &e);
            None
        }
    }
}

/// Properties of an accepted body.
pub fn check_accepted(case: &Case, batch: &RecordBatch) {
    let def = case.def;
    assert_eq!(
        batch.schema(),
        def.schema,
        "accepted batch for `{}` ({:?}) does not have the stream's schema",
        case.stream,
        case.format
    );
    check_values(def, batch);
    assert!(
        batch.num_rows() > 0,
        "accepted a body with no events ({:?})",
        case.format
    );
    match case.format {
        Format::Ndjson => {
            let lines = case
                .body
                .split(|b| *b == b'\n')
                .filter(|l| !l.iter().all(|b| b.is_ascii_whitespace()))
                .count();
            assert_eq!(batch.num_rows(), lines, "NDJSON: rows != non-blank lines");
        }
        Format::JsonArray => {
            let elements: Vec<&serde_json::value::RawValue> =
                serde_json::from_slice(case.body).expect("an accepted JSON array body is a JSON array");
            assert_eq!(batch.num_rows(), elements.len(), "JSON array: rows != elements");
        }
        Format::ArrowIpc => {}
    }
    round_trip(case, batch);
}

/// Required columns hold no null, timestamps are in range.
pub fn check_values(def: &StreamDef, batch: &RecordBatch) {
    for (i, col) in def.columns.iter().enumerate() {
        let array = batch.column(i);
        assert_eq!(array.len(), batch.num_rows(), "column `{}`: length", col.name);
        if !col.nullable {
            assert_eq!(array.null_count(), 0, "required column `{}` holds nulls", col.name);
        }
        if let DataType::Timestamp(..) = array.data_type() {
            let times = array.as_primitive::<TimestampMillisecondType>();
            for (row, t) in times.iter().enumerate() {
                if let Some(t) = t {
                    assert!(
                        (MIN_TIMESTAMP_MS..=MAX_TIMESTAMP_MS).contains(&t),
                        "column `{}` row {row}: timestamp {t} ms is out of 1970-01-01..=2200-01-01",
                        col.name
                    );
                }
            }
        }
    }
}

/// An accepted batch, written as NDJSON and as an Arrow IPC stream, decodes to itself (with the default
/// limits: a re-encoded line may be longer than the tight limit allows).
pub fn round_trip(case: &Case, batch: &RecordBatch) {
    let limits = &SETUP.default;
    let ndjson = to_ndjson(batch);
    match decode(case.def, Format::Ndjson, &ndjson, limits) {
        Ok(again) => assert!(
            again == *batch,
            "NDJSON round trip changed the batch:\nbefore: {batch:?}\nafter:  {again:?}\nNDJSON: {}",
            String::from_utf8_lossy(&ndjson)
        ),
        Err(e) => panic!(
            "an accepted batch written as NDJSON is rejected: {e:?}\nNDJSON: {}",
            String::from_utf8_lossy(&ndjson)
        ),
    }
    let ipc = to_ipc(batch);
    match decode(case.def, Format::ArrowIpc, &ipc, limits) {
        Ok(again) => assert!(again == *batch, "Arrow IPC round trip changed the batch"),
        Err(e) => panic!("an accepted batch written as Arrow IPC is rejected: {e:?}"),
    }
}

/// Properties of a rejected body.
pub fn check_rejected(case: &Case, e: &IngestError) {
    let IngestError::Invalid { message, lines } = e else {
        panic!("decode returned {e:?}, expected IngestError::Invalid");
    };
    assert!(!message.is_empty(), "an error without a message");
    assert!(
        lines.len() <= case.limits.max_reported_errors.max(1),
        "{} line errors listed, the limit is {}",
        lines.len(),
        case.limits.max_reported_errors
    );
    // Not checked: that the lines are in order. For Arrow IPC they are not (`check_batch` reports column by
    // column: rows 1, 2, 3 of one column, then rows 1, 2, 3 of the next).
    for l in lines {
        assert!(l.line >= 1, "line numbers start at 1: {l:?}");
        assert!(!l.message.is_empty(), "a line error without a message: {l:?}");
    }
    if case.format == Format::Ndjson {
        let count = case.body.split(|b| *b == b'\n').count();
        let last = lines.iter().map(|l| l.line).max().unwrap_or(0);
        assert!(last <= count, "line {last} named, the body has {count} lines");
    }
}

/// The batch as NDJSON (arrow's writer: nulls omitted, timestamps as RFC 3339).
pub fn to_ndjson(batch: &RecordBatch) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = datafusion::arrow::json::LineDelimitedWriter::new(&mut out);
    w.write(batch).expect("write NDJSON");
    w.finish().expect("finish NDJSON");
    out
}

/// The batch as a JSON array.
pub fn to_json_array(batch: &RecordBatch) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = datafusion::arrow::json::ArrayWriter::new(&mut out);
    w.write(batch).expect("write JSON");
    w.finish().expect("finish JSON");
    out
}

/// The batch as an Arrow IPC stream.
pub fn to_ipc(batch: &RecordBatch) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = datafusion::arrow::ipc::writer::StreamWriter::try_new(&mut out, &batch.schema()).expect("IPC writer");
    w.write(batch).expect("write IPC");
    w.finish().expect("finish IPC");
    drop(w);
    out
}
