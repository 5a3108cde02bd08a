//! Evaluation latency of a "last 5 minutes" aggregate at 1M and 10M retained rows (24 hours of events),
//! planned and run exactly as the engine does on every tick. With segment pruning the 10M figure should
//! stay within 2x of the 1M figure. Prints p50/p99 and the segments scanned/skipped per evaluation.

mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::array::{ArrayRef, BooleanArray, Int64Array, StringArray, TimestampMillisecondArray};
use datafusion::arrow::record_batch::RecordBatch;
use ioc_stream::config::Config;
use ioc_stream::engine;
use ioc_stream::store::table::ScanStats;
use ioc_stream::store::Store;

const LAST_5_MIN: &str = "SELECT agency_code, count(*) AS n, sum(fee_vnd) AS fees FROM dossiers \
     WHERE event_time >= now() - INTERVAL '5 minutes' GROUP BY agency_code";
const FULL_SCAN: &str = "SELECT agency_code, count(*) AS n, sum(fee_vnd) AS fees FROM dossiers GROUP BY agency_code";
const BATCH: usize = 8192;

fn batch(def: &ioc_stream::catalog::StreamDef, first: u64, n: usize, t0: i64, step_ms: f64) -> RecordBatch {
    let ids = first..first + n as u64;
    let time = |i: u64| t0 + ((i as f64) * step_ms) as i64;
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(ids.clone().map(|i| format!("ev-{i}")))),
        Arc::new(TimestampMillisecondArray::from_iter_values(ids.clone().map(time)).with_timezone("UTC")),
        Arc::new(StringArray::from_iter_values(
            ids.clone().map(|i| format!("H99.{}", i / 3)),
        )),
        Arc::new(StringArray::from_iter_values(
            ids.clone().map(|i| common::STATUSES[(i % 3) as usize]),
        )),
        Arc::new(StringArray::from_iter_values(
            ids.clone().map(|i| common::AGENCIES[(i % 8) as usize]),
        )),
        Arc::new(StringArray::from_iter_values(
            ids.clone().map(|i| format!("X0{}", 100 + i % 100)),
        )),
        Arc::new(StringArray::from_iter_values(ids.clone().map(|_| "online"))),
        Arc::new(BooleanArray::from(
            ids.clone().map(|i| i.is_multiple_of(2)).collect::<Vec<_>>(),
        )),
        Arc::new(
            TimestampMillisecondArray::from_iter_values(ids.clone().map(|i| time(i) + 86_400_000)).with_timezone("UTC"),
        ),
        Arc::new(Int64Array::from_iter_values(ids.map(|i| (i % 5) as i64 * 50_000))),
    ];
    RecordBatch::try_new(def.schema.clone(), cols).unwrap()
}

fn measure(rows: usize, runtime: &tokio::runtime::Runtime) -> f64 {
    let catalog = common::catalog();
    let def = common::dossiers(&catalog);
    let config = Config::default();
    let store = Store::new(&catalog, config.seal_rows, config.seal_age);
    let stream = store.stream("dossiers").unwrap().clone();
    let now = chrono::Utc::now().timestamp_millis();
    let t0 = now - 86_400_000;
    let step = 86_400_000.0 / rows as f64;
    let mut first = 0u64;
    while (first as usize) < rows {
        let n = BATCH.min(rows - first as usize);
        stream.append(batch(&def, first, n, t0, step)).unwrap();
        first += n as u64;
    }
    let stats = Arc::new(ScanStats::default());
    let ctx = engine::session::base(config.eval_threads, &config.time_zone, &catalog, &store, &stats).unwrap();
    let run = |sql: &str, times: usize| -> Vec<Duration> {
        let mut out: Vec<Duration> = (0..times)
            .map(|_| {
                let start = Instant::now();
                runtime.block_on(async {
                    let df = ctx.sql(sql).await.unwrap();
                    let batches = df.collect().await.unwrap();
                    assert!(!batches.is_empty());
                });
                start.elapsed()
            })
            .collect();
        out.sort();
        out
    };
    run(LAST_5_MIN, 3); // warm up
    let before = (
        stats.segments_scanned.load(Ordering::Relaxed),
        stats.segments_skipped.load(Ordering::Relaxed),
    );
    let iterations = 50;
    let last5 = run(LAST_5_MIN, iterations);
    let scanned = (stats.segments_scanned.load(Ordering::Relaxed) - before.0) / iterations as u64;
    let skipped = (stats.segments_skipped.load(Ordering::Relaxed) - before.1) / iterations as u64;
    let full = run(FULL_SCAN, 5);
    println!(
        "  {:>10} rows: last 5 min p50 {:>7.2} ms  p99 {:>7.2} ms  (segments scanned {scanned}, skipped {skipped}) | full scan p50 {:>8.2} ms",
        rows,
        common::pct(&last5, 50.0),
        common::pct(&last5, 99.0),
        common::pct(&full, 50.0),
    );
    common::pct(&last5, 50.0)
}

fn main() {
    let runtime = common::runtime(2);
    println!("eval: \"last 5 minutes\" aggregate over 24 h of events, planned anew each run (as the engine does)");
    let one = measure(1_000_000, &runtime);
    let ten = measure(10_000_000, &runtime);
    println!("  10M / 1M p50 ratio: {:.2} (target <= 2)", ten / one);
}
