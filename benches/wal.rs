//! The write-ahead log: ingest events/s with each fsync policy (decode + validate + de-duplicate + WAL
//! append + store), for large (10,000-event) and small (100-event) requests, and the time to replay
//! 10 million events on start. Prints events/s, MB of WAL per second and replay rows/s.
//!
//! `REPLAY_EVENTS` (default 10,000,000) sets the size of the replay run.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ioc_stream::config::Limits;
use ioc_stream::ingest::{Format, Ingestor};
use ioc_stream::store::{Caps, Store};
use ioc_stream::wal::{Fsync, WalConfig};

fn bodies(first: u64, requests: u64, per_request: u64, now: i64) -> Vec<Vec<u8>> {
    (0..requests)
        .map(|r| {
            let mut body = String::with_capacity(per_request as usize * 230);
            for i in 0..per_request {
                let n = first + r * per_request + i;
                body.push_str(&common::event(n, now + (n % 60_000) as i64));
                body.push('\n');
            }
            body.into_bytes()
        })
        .collect()
}

fn wal_bytes(dir: &std::path::Path) -> u64 {
    walk(&dir.join("wal"))
}

fn walk(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        walk(&p)
                    } else {
                        e.metadata().map(|m| m.len()).unwrap_or(0)
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

fn main() {
    let catalog = Arc::new(common::catalog());
    let now = chrono::Utc::now().timestamp_millis();
    println!("wal: ingest through the WAL (one producer thread), then replay");
    for (per_request, requests) in [(10_000u64, 40u64), (100, 2_000)] {
        let work = bodies(0, requests, per_request, now);
        for (label, fsync) in [
            ("always", Fsync::Always),
            ("interval 100ms", Fsync::Interval(Duration::from_millis(100))),
            ("never", Fsync::Never),
        ] {
            let dir = tempfile::tempdir_in(std::env::var("WAL_BENCH_DIR").unwrap_or_else(|_| ".".into())).unwrap();
            let wal = WalConfig::new(dir.path(), fsync);
            let (store, _) =
                Store::open(&catalog, 65_536, Duration::from_secs(3600), Caps::default(), &wal, now).unwrap();
            let store = Arc::new(store);
            let ingestor = Ingestor::new(catalog.clone(), store.clone(), Limits::default());
            let stop = Arc::new(AtomicBool::new(false));
            let syncer = matches!(fsync, Fsync::Interval(_)).then(|| {
                let (store, stop) = (store.clone(), stop.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(100));
                        store.sync_dirty();
                    }
                })
            });
            let start = Instant::now();
            let mut n = 0;
            for b in &work {
                n += ingestor.ingest("dossiers", Format::Ndjson, b).expect("valid").accepted;
            }
            let secs = start.elapsed().as_secs_f64();
            stop.store(true, Ordering::Relaxed);
            if let Some(t) = syncer {
                t.join().unwrap();
            }
            store.sync_all();
            let wal_mb = wal_bytes(dir.path()) as f64 / 1e6;
            println!(
                "  {per_request:>6}-event requests, fsync {label:<15} {:>9.0} events/s  {:>7.0} requests/s  WAL {:>6.1} MB/s ({n} events, {:.2} s)",
                n as f64 / secs,
                work.len() as f64 / secs,
                wal_mb / secs,
                secs
            );
        }
    }

    let total: u64 = std::env::var("REPLAY_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let dir = tempfile::tempdir_in(std::env::var("WAL_BENCH_DIR").unwrap_or_else(|_| ".".into())).unwrap();
    let wal = WalConfig::new(dir.path(), Fsync::Never);
    {
        let (store, _) = Store::open(&catalog, 65_536, Duration::from_secs(3600), Caps::default(), &wal, now).unwrap();
        let store = Arc::new(store);
        let ingestor = Ingestor::new(catalog.clone(), store.clone(), Limits::default());
        let per_request = 10_000;
        let mut written = 0;
        while written < total {
            for b in bodies(written, 10, per_request, now) {
                written += ingestor.ingest("dossiers", Format::Ndjson, &b).expect("valid").accepted as u64;
            }
        }
        store.sync_all();
        println!(
            "  wrote {written} events for the replay: WAL {:.0} MB, store {:.0} MB in memory",
            wal_bytes(dir.path()) as f64 / 1e6,
            store.total_bytes() as f64 / 1e6
        );
    }
    let start = Instant::now();
    let (store, stats) = Store::open(&catalog, 65_536, Duration::from_secs(3600), Caps::default(), &wal, now).unwrap();
    let secs = start.elapsed().as_secs_f64();
    let rows = store.stream("dossiers").unwrap().stats().rows;
    assert_eq!(rows as u64, total, "every event replayed");
    println!(
        "  replay of {rows} events: {secs:.2} s ({:.0} events/s, {} files, {} ids held for de-duplication)",
        rows as f64 / secs,
        stats["dossiers"].files,
        store.stream("dossiers").unwrap().ids_held()
    );
}
