//! Shared by the benchmarks: a small catalog, event generation and percentile printing.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ioc_stream::catalog::{Catalog, StreamDef};

/// A dossier-like stream of about 200 bytes per NDJSON event.
pub const CATALOG: &str = r#"
[streams.dossiers]
event_time = "event_time"
id = "event_id"
retention = "7d"
columns = [
  { name = "event_id",       type = "utf8" },
  { name = "event_time",     type = "timestamp_ms" },
  { name = "dossier_id",     type = "utf8" },
  { name = "status",         type = "utf8" },
  { name = "agency_code",    type = "utf8" },
  { name = "commune_code",   type = "utf8" },
  { name = "channel",        type = "utf8" },
  { name = "full_online",    type = "bool" },
  { name = "due_at",         type = "timestamp_ms" },
  { name = "fee_vnd",        type = "int64", nullable = true },
]
"#;

pub fn catalog() -> Catalog {
    Catalog::parse(Path::new("bench.toml"), CATALOG).unwrap()
}

pub fn dossiers(catalog: &Catalog) -> Arc<StreamDef> {
    catalog.streams["dossiers"].clone()
}

pub const AGENCIES: [&str; 8] = [
    "SO_TP", "SO_XD", "SO_YT", "SO_TC", "SO_NNMT", "SO_GDDT", "CA_TINH", "UBND_XA",
];
pub const STATUSES: [&str; 3] = ["received", "processing", "completed"];

/// One NDJSON event (about 200 bytes).
pub fn event(i: u64, time_ms: i64) -> String {
    format!(
        concat!(
            r#"{{"event_id":"ev-{:012}","event_time":{},"dossier_id":"H99.{:010}","status":"{}","#,
            r#""agency_code":"{}","commune_code":"X0{:03}","channel":"online","full_online":{},"#,
            r#""due_at":{},"fee_vnd":{}}}"#
        ),
        i,
        time_ms,
        i / 3,
        STATUSES[(i % 3) as usize],
        AGENCIES[(i % 8) as usize],
        100 + i % 100,
        i.is_multiple_of(2),
        time_ms + 86_400_000,
        (i % 5) * 50_000
    )
}

/// The q-th percentile (0..=100) of sorted durations, in ms.
pub fn pct(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((q / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// A multi-threaded tokio runtime with `threads` workers, for the benchmarks that drive async code.
pub fn runtime(threads: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Resident memory of a process, in KiB (Linux).
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// This process's open-file limit (clients the load tools may open).
pub fn fd_limit() -> usize {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024)
}
