//! Ingest throughput on one core: NDJSON requests of 10,000 events of about 200 bytes each, through
//! decode + validate + append (the path of `POST /api/v1/streams/{stream}/events` after the body is read).
//! Also the JSON-array and Arrow IPC paths. Prints events/s and MB/s.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::ipc::writer::StreamWriter;
use ioc_stream::config::Limits;
use ioc_stream::ingest::{self, Format, Ingestor};
use ioc_stream::store::Store;

const EVENTS_PER_REQUEST: u64 = 10_000;
const REQUESTS: u64 = 60;

fn main() {
    let catalog = Arc::new(common::catalog());
    let def = common::dossiers(&catalog);
    let now = chrono::Utc::now().timestamp_millis();
    let bodies: Vec<String> = (0..REQUESTS)
        .map(|r| {
            (0..EVENTS_PER_REQUEST)
                .map(|i| common::event(r * EVENTS_PER_REQUEST + i, now + i as i64) + "\n")
                .collect()
        })
        .collect();
    let bytes: usize = bodies.iter().map(|b| b.len()).sum();
    let events = REQUESTS * EVENTS_PER_REQUEST;
    println!(
        "ingest: {REQUESTS} requests x {EVENTS_PER_REQUEST} events, {:.0} bytes/event",
        bytes as f64 / events as f64
    );

    let run = |label: &str, format: Format, bodies: &[Vec<u8>]| {
        let store = Arc::new(Store::new(&catalog, 65_536, Duration::from_secs(3600)));
        let ingestor = Ingestor::new(catalog.clone(), store.clone(), Limits::default());
        let total: usize = bodies.iter().map(|b| b.len()).sum();
        let start = Instant::now();
        let mut n = 0;
        for b in bodies {
            n += ingestor.ingest("dossiers", format, b).expect("valid").accepted;
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "  {label:<28} {:>10.0} events/s  {:>7.1} MB/s  ({n} events, {:.2} s, store {} rows)",
            n as f64 / secs,
            total as f64 / secs / 1e6,
            secs,
            store.stream("dossiers").unwrap().stats().rows
        );
    };

    let ndjson: Vec<Vec<u8>> = bodies.iter().map(|b| b.clone().into_bytes()).collect();
    run("NDJSON (decode+validate+append)", Format::Ndjson, &ndjson);
    let arrays: Vec<Vec<u8>> = bodies
        .iter()
        .map(|b| format!("[{}]", b.trim_end().replace('\n', ",")).into_bytes())
        .collect();
    run("JSON array", Format::JsonArray, &arrays);
    let ipc: Vec<Vec<u8>> = ndjson
        .iter()
        .map(|b| {
            let batch = ingest::decode(&def, Format::Ndjson, b, &Limits::default()).unwrap();
            let mut out = Vec::new();
            let mut w = StreamWriter::try_new(&mut out, &batch.schema()).unwrap();
            w.write(&batch).unwrap();
            w.finish().unwrap();
            drop(w);
            out
        })
        .collect();
    run("Arrow IPC", Format::ArrowIpc, &ipc);

    // The slow path: one bad line in each request makes the server name it (and store nothing).
    let store = Arc::new(Store::new(&catalog, 65_536, Duration::from_secs(3600)));
    let ingestor = Ingestor::new(catalog.clone(), store, Limits::default());
    let bad: Vec<Vec<u8>> = ndjson
        .iter()
        .take(5)
        .map(|b| [b.as_slice(), b"{\"oops\":1}\n"].concat())
        .collect();
    let start = Instant::now();
    for b in &bad {
        assert!(ingestor.ingest("dossiers", Format::Ndjson, b).is_err());
    }
    let per = start.elapsed().as_secs_f64() * 1000.0 / bad.len() as f64;
    println!("  rejecting a 10,000-line request with one bad line: {per:.1} ms per request");
}
