//! The bounded run of the ingest-decoder fuzz target, for CI (which cannot afford the sanitizer build that
//! `cargo fuzz` needs). The properties are the fuzz target's own (`fuzz/check.rs`); the inputs are:
//! - every seed in `fuzz/corpus/ingest_decoders/` and every input in `fuzz/artifacts-found/` (crashes found
//!   by `cargo fuzz`, kept as regressions);
//! - `MUTATIONS` deterministic mutations of the seeds (fixed RNG seed): bit flips, truncations, inserted
//!   JSON tokens, huge numbers, 10,000-deep nesting, invalid UTF-8, NUL bytes, duplicated lines, IPC
//!   lengths and offsets overwritten with extreme integers, another format or stream, splices of two seeds.
//!
//! Bounded by count, not by time. An input that breaks a property (or panics) is written to
//! `CARGO_TARGET_TMPDIR/fuzz-failures/` and the test fails listing them all; an input that aborts the process
//! (a refused allocation, see [`Capped`], or a stack overflow) is left in `fuzz-failures/in-progress`. Replay
//! one with `cargo fuzz run ingest_decoders <file>`, or keep it as a regression in `fuzz/artifacts-found/`.
//!
//! `cargo test --test fuzz_decoders -- --ignored write_seeds` rewrites the seed corpus from `seed_inputs`.

#[path = "../fuzz/check.rs"]
mod check;

use std::alloc::{GlobalAlloc, Layout, System};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMillisecondArray, TimestampSecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use ioc_stream::ingest::Format;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// The system allocator, refusing requests over `MAX_ALLOCATION` bytes. No input here needs a fraction of
/// that; a decoder that asks for it trusts a length read from the body. Refusing makes the process abort at
/// once (with the size on stderr) instead of zeroing gigabytes for seconds or being killed by the OOM killer.
struct Capped;

const MAX_ALLOCATION: usize = 256 << 20;

impl Capped {
    fn refuse(size: usize) {
        use std::io::Write;
        // Formatting an integer into stderr does not allocate.
        let _ = writeln!(
            std::io::stderr(),
            "fuzz_decoders: refused an allocation of {size} bytes; the input is in {}/fuzz-failures/in-progress",
            env!("CARGO_TARGET_TMPDIR")
        );
    }
}

// SAFETY: every call is passed on to `System` unchanged, or answered with null (allowed: allocation failure).
unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MAX_ALLOCATION {
            Capped::refuse(layout.size());
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract for `alloc`.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MAX_ALLOCATION {
            Capped::refuse(layout.size());
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract for `alloc_zeroed`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > MAX_ALLOCATION {
            Capped::refuse(new_size);
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract for `realloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Capped = Capped;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/ingest_decoders");
const FOUND: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/artifacts-found");
const MUTATIONS: usize = 20_000;
const RNG_SEED: u64 = 0x10C5_F022_DEC0_DE25;
/// Mutants are cut to this length (a body of 10,000 `[` plus a seed fits).
const MAX_INPUT: usize = 64 << 10;

/// The seeds and regression inputs, by file name.
fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut inputs = Vec::new();
    for dir in [CORPUS, FOUND] {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("read a corpus entry").path();
            if path.is_file() && !path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')) {
                let name = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(&path);
                inputs.push((
                    name.display().to_string(),
                    std::fs::read(&path).expect("read a corpus file"),
                ));
            }
        }
    }
    inputs.sort();
    inputs
}

/// Checks one input; the panic message of a violated property as the error.
fn run(input: &[u8]) -> Result<Option<usize>, String> {
    catch_unwind(AssertUnwindSafe(|| check::check_input(input))).map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic without a message".to_string())
    })
}

/// Keeps a failing input where it can be replayed; the message for the final assertion.
fn report(what: &str, input: &[u8], message: &str) -> String {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
    std::fs::create_dir_all(&dir).expect("create the failures folder");
    let file = dir.join(format!("{:016x}", fnv(input)));
    std::fs::write(&file, input).expect("write a failing input");
    format!("{what}: {message}\n  input ({} bytes): {}", input.len(), file.display())
}

/// FNV-1a: a file name for an input.
fn fnv(input: &[u8]) -> u64 {
    input.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[test]
fn corpus_seeds_hold_the_properties() {
    let inputs = corpus();
    for format in check::FORMATS {
        assert!(
            inputs.iter().any(|(name, input)| name.contains("corpus")
                && input
                    .first()
                    .is_some_and(|s| check::FORMATS[usize::from(*s % 3)] == format)),
            "the corpus has no seed for {format:?}"
        );
    }
    let mut failures = Vec::new();
    for (name, input) in &inputs {
        let file = name.rsplit('/').next().unwrap_or(name);
        match run(input) {
            Err(message) => failures.push(report(name, input, &message)),
            Ok(None) if file.starts_with("ok-") => failures.push(format!("{name}: a valid seed is rejected")),
            Ok(Some(_)) if file.starts_with("bad-") => failures.push(format!("{name}: an invalid seed is accepted")),
            Ok(_) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} inputs fail:\n{}",
        failures.len(),
        inputs.len(),
        failures.join("\n")
    );
}

#[test]
fn mutated_seeds_hold_the_properties() {
    let seeds: Vec<Vec<u8>> = corpus().into_iter().map(|(_, input)| input).collect();
    assert!(!seeds.is_empty(), "no seeds in {CORPUS}");
    let mut rng = SmallRng::seed_from_u64(RNG_SEED);
    let failures_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
    std::fs::create_dir_all(&failures_dir).expect("create the failures folder");
    let in_progress = failures_dir.join("in-progress");
    let (mut accepted, mut failures) = (0, Vec::new());
    for i in 0..MUTATIONS {
        let mut input = seeds[rng.random_range(0..seeds.len())].clone();
        let times = if rng.random_bool(0.5) {
            1
        } else {
            rng.random_range(2..=4)
        };
        for _ in 0..times {
            mutate(&mut rng, &mut input, &seeds);
        }
        input.truncate(MAX_INPUT);
        // An abort (not a panic: a failed allocation, a stack overflow) ends the process; this file then holds
        // the input that did it.
        std::fs::write(&in_progress, &input).expect("write the current input");
        match run(&input) {
            Ok(Some(_)) => accepted += 1,
            Ok(None) => {}
            Err(message) => failures.push(report(&format!("mutant {i}"), &input, &message)),
        }
        if failures.len() >= 10 {
            break;
        }
    }
    assert!(
        failures.is_empty(),
        "{} mutants fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The run is only worth its time if some mutants get past the decoders to the batch checks.
    assert!(
        accepted > MUTATIONS / 100,
        "only {accepted} of {MUTATIONS} mutants were accepted"
    );
}

/// Inserted whole: JSON syntax, extreme and malformed values, field names of the fuzzing catalog, bytes that
/// are not UTF-8.
const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b",",
    b":",
    b"0",
    b"7",
    b"-",
    b".",
    b"e",
    b"1e400",
    b"-1e400",
    b"1e-400",
    b"99999999999999999999",
    b"-9223372036854775809",
    b"18446744073709551616",
    b"2147483648",
    b"-0",
    b"0.1e1",
    b"NaN",
    b"\"NaN\"",
    b"Infinity",
    b"\"-inf\"",
    b"null",
    b"true",
    b"false",
    b"\"\"",
    b"\\u0000",
    b"\\ud800",
    b"\\",
    b"\"1969-12-31T23:59:59.999Z\"",
    b"\"2200-01-01T00:00:00.001Z\"",
    b"\"2200-01-01T00:00:00Z\"",
    b"7258118400000",
    b"7258118400001",
    b"-1",
    b"\"2026-02-30\"",
    b"\"+275760-09-13\"",
    b"\"262143-12-31T23:59:59Z\"",
    b"\"2026-11-23 08:00:00\"",
    b"\"2026-11-23T08:00:00+25:00\"",
    b"{}",
    b"[]",
    b"\n",
    b"\r\n",
    b" ",
    b"\t",
    b"\x0c",
    b"\0",
    b"\xff",
    b"\xc0\x80",
    b"\xed\xa0\x80",
    b"\xef\xbb\xbf",
    b"\"event_time\":",
    b"\"amount\":",
    b"\"event_id\":",
    b"\"t\":",
    b"\"d\":",
    b"\"f\":",
    b"\"i32\":",
    b"\"b\":",
];

const I32S: &[i32] = &[0, 1, -1, 8, 255, 4096, i32::MAX, i32::MIN, 0x7fff_fff0];
const I64S: &[i64] = &[0, 1, -1, i64::MAX, i64::MIN, 1 << 32, 1 << 40, 7_258_118_400_001];

/// One random change of `input` (its first byte is the selector, the rest the body).
fn mutate(rng: &mut SmallRng, input: &mut Vec<u8>, seeds: &[Vec<u8>]) {
    if input.is_empty() {
        input.push(0);
    }
    let len = input.len();
    // A position in the body, and one that can be its end.
    let at = rng.random_range(1..=len);
    let inside = if len > 1 { rng.random_range(1..len) } else { 1 };
    match rng.random_range(0..15) {
        0 if len > 1 => input[inside] ^= 1 << rng.random_range(0..8),
        1 if len > 1 => input[inside] = rng.random(),
        2 => input.truncate(at),
        3 | 4 => {
            let token = TOKENS[rng.random_range(0..TOKENS.len())];
            if rng.random_bool(0.5) {
                input.splice(at..at, token.iter().copied());
            } else {
                let end = (at + rng.random_range(0..8)).min(len);
                input.splice(at..end, token.iter().copied());
            }
        }
        5 => {
            let depth = if rng.random_bool(0.8) {
                10_000
            } else {
                rng.random_range(60..300)
            };
            let open: &[u8] = if rng.random_bool(0.5) { b"[" } else { b"{\"a\":" };
            let nest: Vec<u8> = open.repeat(depth);
            input.splice(at..at, nest);
        }
        6 => {
            let end = (at + rng.random_range(1..32)).min(len);
            input.drain(at..end);
        }
        7 => {
            // Duplicate a line (NDJSON) or, for a body without lines, a range.
            let starts: Vec<usize> = std::iter::once(1)
                .chain(
                    input
                        .iter()
                        .enumerate()
                        .filter(|(_, b)| **b == b'\n')
                        .map(|(i, _)| i + 1),
                )
                .filter(|i| *i < len)
                .collect();
            if starts.len() > 1 {
                let from = starts[rng.random_range(0..starts.len())];
                let to = input[from..]
                    .iter()
                    .position(|b| *b == b'\n')
                    .map_or(len, |p| from + p + 1);
                let mut line = input[from..to].to_vec();
                if !line.ends_with(b"\n") {
                    line.insert(0, b'\n');
                }
                let times = if rng.random_bool(0.9) { 1 } else { 200 };
                for _ in 0..times {
                    input.splice(to..to, line.iter().copied());
                }
            } else {
                let end = (at + rng.random_range(1..64)).min(len);
                let range = input[at..end].to_vec();
                input.splice(end..end, range);
            }
        }
        8 if len > 5 => {
            let at = rng.random_range(1..=len - 4);
            let v = I32S[rng.random_range(0..I32S.len())];
            input[at..at + 4].copy_from_slice(&v.to_le_bytes());
        }
        9 if len > 9 => {
            let at = rng.random_range(1..=len - 8);
            let v = I64S[rng.random_range(0..I64S.len())];
            input[at..at + 8].copy_from_slice(&v.to_le_bytes());
        }
        10 => input[0] = rng.random_range(0..12),
        11 => {
            let other = &seeds[rng.random_range(0..seeds.len())];
            let from = rng.random_range(1..=other.len().max(1)).min(other.len());
            input.truncate(at);
            input.extend_from_slice(&other[from..]);
        }
        12 => {
            // A run of digits becomes a huge or negative number.
            if let Some(start) = input[1..].iter().position(u8::is_ascii_digit).map(|p| p + 1) {
                let skip = rng.random_range(0..4);
                let start = input[start..]
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| b.is_ascii_digit())
                    .nth(skip)
                    .map_or(start, |(i, _)| start + i);
                let end = input[start..]
                    .iter()
                    .position(|b| !b.is_ascii_digit())
                    .map_or(len, |p| start + p);
                let huge: &[u8] = [
                    &b"99999999999999999999"[..],
                    b"1e400",
                    b"-9223372036854775808",
                    b"9223372036854775807",
                    b"2147483648",
                    b"-1",
                    b"4.9e-324",
                ][rng.random_range(0..7)];
                input.splice(start..end, huge.iter().copied());
            }
        }
        13 => {
            let n = rng.random_range(1..8);
            input.splice(at..at, std::iter::repeat_n(0u8, n));
        }
        _ => {
            let bytes: [&[u8]; 4] = [b"\xff\xfe", b"\x80", b"\xf0\x9f\x98", b"\xc3"];
            input.splice(at..at, bytes[rng.random_range(0..4)].iter().copied());
        }
    }
}

/// Rewrites the seed corpus (`fuzz/corpus/ingest_decoders/`) from [`seed_inputs`].
#[test]
#[ignore = "rewrites fuzz/corpus/ingest_decoders; run by hand after changing the seeds"]
fn write_seeds() {
    std::fs::create_dir_all(CORPUS).expect("create the corpus folder");
    for (name, input) in seed_inputs() {
        assert!(input.len() < 4096, "seed {name} is {} bytes", input.len());
        std::fs::write(Path::new(CORPUS).join(name), input).expect("write a seed");
    }
}

/// The seeds: `ok-*` must be accepted, `bad-*` rejected.
fn seed_inputs() -> Vec<(&'static str, Vec<u8>)> {
    let sel = check::selector;
    let with = |selector: u8, body: &[u8]| [&[selector][..], body].concat();
    let ndjson = |stream, tight, body: &str| with(sel(Format::Ndjson, stream, tight), body.as_bytes());
    let array = |stream, tight, body: &str| with(sel(Format::JsonArray, stream, tight), body.as_bytes());
    let ipc = |stream, tight, batches: &[RecordBatch]| with(sel(Format::ArrowIpc, stream, tight), &ipc(batches));
    let orders = "{\"event_id\":\"e1\",\"event_time\":\"2026-11-23T08:00:00Z\",\"region\":\"north\",\"amount\":120,\"paid\":true,\"note\":\"xin chào\"}\n\
                  \n\
                  {\"event_id\":\"e2\",\"event_time\":1763884800000,\"region\":\"south\",\"amount\":-5,\"extra\":[1,{\"x\":null}]}\n";
    let all = "{\"k\":\"a\",\"t\":\"2026-11-23T08:00:00.123+07:00\",\"b\":false,\"i32\":2147483647,\"i64\":-9223372036854775808,\"f\":1.5e300,\"d\":\"2026-11-23\",\"t2\":0,\"s\":\"\\u00e9\\n\"}\n\
               {\"k\":\"b\",\"t\":7258118400000,\"b\":true,\"i32\":-1,\"f\":-0.0,\"d\":null,\"s\":null}\r\n";
    vec![
        ("ok-ndjson-orders", ndjson("orders", false, orders)),
        ("ok-ndjson-all-types", ndjson("all_types", false, all)),
        (
            "ok-ndjson-orders-tight",
            ndjson(
                "orders",
                true,
                "{\"event_id\":\"a\",\"event_time\":1,\"region\":\"r\",\"amount\":1}\n{\"event_id\":\"b\",\"event_time\":2,\"region\":\"r\",\"amount\":2}",
            ),
        ),
        (
            "bad-ndjson-orders-mixed",
            ndjson(
                "orders",
                false,
                "{\"event_id\":\"a\",\"event_time\":1,\"region\":\"r\",\"amount\":1}\n\
                 {\"event_id\":\"b\",\"event_time\":1,\"region\":\"r\",\"amount\":\"x\"}\n\
                 {\"event_id\":\"c\",\"region\":\"r\",\"amount\":1}\n\
                 {\"event_id\":\"d\",\"event_time\":99999999999999,\"region\":\"r\",\"amount\":1}\n\
                 {\"event_id\":\"e\",\"event_time\":1,\"region\":\"r\",\"amount\":1}{\"event_id\":\"f\",\"event_time\":1,\"region\":\"r\",\"amount\":1}\n\
                 [1]\n\
                 {\"event_id\":\"g\",\"event_time\":1,\"region\":\"r\",\"amount\":1\n",
            ),
        ),
        (
            "bad-ndjson-all-types-tight-long",
            ndjson(
                "all_types",
                true,
                "{\"k\":\"a\",\"t\":1,\"b\":true,\"i32\":1,\"f\":1,\"s\":\"a string that makes this line longer than ninety-six bytes\"}\n{\"k\":1}",
            ),
        ),
        (
            "ok-array-orders",
            array(
                "orders",
                false,
                r#"[{"event_id":"e1","event_time":"2026-11-23T08:00:00+07:00","region":"n","amount":1},
                    {"event_id":"e2","event_time":1,"region":"s","amount":9223372036854775807,"paid":null}]"#,
            ),
        ),
        (
            "ok-array-all-types",
            array(
                "all_types",
                false,
                r#"[{"k":"a","t":"1970-01-01T00:00:00Z","b":true,"i32":-2147483648,"f":1e-300,"d":"1970-01-01","t2":"2199-12-31T23:59:59.999Z"}]"#,
            ),
        ),
        (
            "bad-array-orders",
            array(
                "orders",
                false,
                r#"[{"event_id":"e1","event_time":1,"region":"n","amount":1}, 7, {"event_id":"e2","event_time":-1,"region":"n","amount":1}, {"event_id":null}]"#,
            ),
        ),
        ("bad-array-all-types-not-array", array("all_types", false, r#"{"k":"a"}"#)),
        ("bad-array-orders-empty", array("orders", false, "[]")),
        ("ok-ipc-orders", ipc("orders", false, &[orders_producer_batch(false)])),
        ("ok-ipc-all-types", ipc("all_types", false, &[all_types_batch(), all_types_batch()])),
        ("bad-ipc-orders-nulls", ipc("orders", false, &[orders_producer_batch(true)])),
        ("bad-ipc-all-types-no-rows", ipc("all_types", false, &[])),
        ("bad-ipc-orders-truncated", {
            let mut full = ipc("orders", false, &[orders_producer_batch(false)]);
            full.truncate(full.len() / 2);
            full
        }),
        ("bad-ipc-fed-json", with(sel(Format::ArrowIpc, "orders", false), orders.as_bytes())),
    ]
}

/// An Arrow IPC stream of `batches` (the schema of the first, or of [`all_types_batch`] if none).
fn ipc(batches: &[RecordBatch]) -> Vec<u8> {
    let schema = batches
        .first()
        .map_or_else(|| all_types_batch().schema(), |b| b.schema());
    let mut out = Vec::new();
    let mut w = datafusion::arrow::ipc::writer::StreamWriter::try_new(&mut out, &schema).expect("IPC writer");
    for b in batches {
        w.write(b).expect("write IPC");
    }
    w.finish().expect("finish IPC");
    drop(w);
    out
}

/// A producer's idea of `orders`: columns in another order, `Int32` amounts, timestamps in seconds without a
/// time zone, an extra column; with `nulls`, a null in a required column.
fn orders_producer_batch(nulls: bool) -> RecordBatch {
    let schema = Schema::new(vec![
        Field::new("amount", DataType::Int32, true),
        Field::new("event_time", DataType::Timestamp(TimeUnit::Second, None), false),
        Field::new("event_id", DataType::Utf8, false),
        Field::new("region", DataType::Utf8, true),
        Field::new("extra", DataType::Float64, false),
    ]);
    let region = if nulls { None } else { Some("s") };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int32Array::from(vec![Some(1), Some(-2), Some(i32::MAX)])),
        Arc::new(TimestampSecondArray::from(vec![0, 1_763_884_800, 7_258_118_400])),
        Arc::new(StringArray::from(vec!["a", "b", "c"])),
        Arc::new(StringArray::from(vec![Some("n"), region, Some("")])),
        Arc::new(Float64Array::from(vec![0.5, f64::NAN, f64::INFINITY])),
    ];
    RecordBatch::try_new(Arc::new(schema), columns).expect("a producer batch")
}

/// A batch of `all_types` exactly as the catalog declares it.
fn all_types_batch() -> RecordBatch {
    let def = check::stream("all_types");
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec!["a", "b"])),
        Arc::new(TimestampMillisecondArray::from(vec![0, 7_258_118_400_000]).with_timezone("UTC")),
        Arc::new(BooleanArray::from(vec![true, false])),
        Arc::new(Int32Array::from(vec![i32::MIN, 0])),
        Arc::new(Int64Array::from(vec![Some(i64::MAX), None])),
        Arc::new(Float64Array::from(vec![-0.0, 1e308])),
        Arc::new(Date32Array::from(vec![Some(20_415), None])),
        Arc::new(TimestampMillisecondArray::from(vec![None, Some(1)]).with_timezone("UTC")),
        Arc::new(StringArray::from(vec![Some("\u{0}"), None])),
    ];
    RecordBatch::try_new(def.schema.clone(), columns).expect("an all_types batch")
}
