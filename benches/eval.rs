//! Evaluation cost, incremental against full (the same engine with `--no-incremental`), in one process and
//! one run. Events are dossier-like (time, agency of 20, status of 3, online flag), spread over 24 hours and
//! appended in 64k-row requests, as `../shared/perf/side_by_side.py` pushes them.
//!
//! 1. At 1M, 10M and 50M retained rows: "last 24 h by agency", "today by agency" and "last 5 minutes by
//!    agency" (the SQL of side_by_side.py). Each is planned once, evaluated once (the first evaluation fills
//!    the cache), then timed over ticks with 100 new events arriving before each; p50/p99 per tick. Then the
//!    growth of each p50 from 1M to 50M.
//! 2. At 10M, through the engine's own scheduler (every 1 s, events arriving): "last 5 minutes" alone, and
//!    beside the two heavy ones; the p50 of its evaluations.
//! 3. At 10M: 100 scenarios of mixed shapes every 1 s with 2,000 events/s arriving: the process's CPU over
//!    20 s, as a share of 2 cores, and the evaluations done.
//! 4. The partial-aggregate cache of the demo's scenarios over 10M dossier events (and 1M of each other
//!    stream).
//!
//! `IOC_BENCH_ROWS=1000000,10000000` picks the sizes of part 1; `IOC_BENCH_PARTS=1,2` the parts.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, StringArray, TimestampMillisecondArray,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::record_batch::RecordBatch;
use ioc_stream::catalog::Catalog;
use ioc_stream::config::Config;
use ioc_stream::engine::{read_dir, Engine};
use ioc_stream::fanout::Hub;
use ioc_stream::store::Store;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const CATALOG: &str = r#"
[streams.dossiers]
event_time = "event_time"
retention = "26h"
columns = [
  { name = "event_time",  type = "timestamp_ms" },
  { name = "agency_code", type = "utf8" },
  { name = "status",      type = "utf8" },
  { name = "online",      type = "bool" },
]
"#;

const LAST_24H: &str = "SELECT agency_code, count(*) AS received, \
  sum(CASE WHEN status = 'completed' THEN 1 ELSE 0 END) AS completed, \
  avg(CASE WHEN online THEN 1.0 ELSE 0.0 END) AS online_rate \
  FROM dossiers WHERE event_time >= now() - INTERVAL '24 hours' GROUP BY agency_code";
const TODAY: &str = "SELECT agency_code, count(*) AS received, \
  sum(CASE WHEN status = 'completed' THEN 1 ELSE 0 END) AS completed, \
  avg(CASE WHEN online THEN 1.0 ELSE 0.0 END) AS online_rate \
  FROM dossiers WHERE event_time >= date_trunc('day', now()) GROUP BY agency_code";
const LAST_5MIN: &str = "SELECT agency_code, count(*) AS n FROM dossiers \
  WHERE event_time > now() - INTERVAL '5 minutes' GROUP BY agency_code";

const STATUSES: [&str; 3] = ["received", "processing", "completed"];
const BATCH: usize = 65_536;

fn agencies() -> Vec<String> {
    (0..20).map(|i| format!("SO_{i:02}")).collect()
}

/// `n` events with times in `[from_ms, to_ms)`, ascending.
fn batch(catalog: &Catalog, rng: &mut SmallRng, n: usize, from_ms: i64, to_ms: i64) -> RecordBatch {
    let agencies = agencies();
    let mut times: Vec<i64> = (0..n)
        .map(|_| rng.random_range(from_ms..to_ms.max(from_ms + 1)))
        .collect();
    times.sort_unstable();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(TimestampMillisecondArray::from(times).with_timezone("UTC")),
        Arc::new(StringArray::from_iter_values(
            (0..n).map(|_| agencies[rng.random_range(0..agencies.len())].as_str()),
        )),
        Arc::new(StringArray::from_iter_values(
            (0..n).map(|_| STATUSES[rng.random_range(0..3)]),
        )),
        Arc::new(BooleanArray::from(
            (0..n).map(|_| rng.random_bool(0.42)).collect::<Vec<_>>(),
        )),
    ];
    RecordBatch::try_new(catalog.streams["dossiers"].schema.clone(), columns).unwrap()
}

/// A store holding `rows` events over the last 24 hours, and its catalog.
fn filled(rows: usize, queries: &Path) -> (Catalog, Arc<Store>) {
    std::fs::write(queries.join("streams.toml"), CATALOG).unwrap();
    let catalog = Catalog::load(queries).unwrap();
    let config = Config::default();
    let store = Arc::new(Store::new(&catalog, config.seal_rows, config.seal_age));
    let now = Utc::now().timestamp_millis();
    let (from, to) = (now - 86_400_000 + 60_000, now - 1_000);
    let mut rng = SmallRng::seed_from_u64(7);
    let stream = store.stream("dossiers").unwrap();
    let mut done = 0;
    while done < rows {
        let n = BATCH.min(rows - done);
        // Consecutive slices of the day, so segments hold consecutive times as in a live stream.
        let lo = from + ((to - from) as f64 * done as f64 / rows as f64) as i64;
        let hi = from + ((to - from) as f64 * (done + n) as f64 / rows as f64) as i64;
        stream.append(batch(&catalog, &mut rng, n, lo, hi)).unwrap();
        done += n;
    }
    (catalog, store)
}

fn engine(config: &Config, catalog: &Catalog, store: &Arc<Store>, incremental: bool) -> Arc<Engine> {
    let config = Config {
        incremental,
        ..config.clone()
    };
    Engine::new(&config, catalog, store.clone(), Arc::new(Hub::new(16))).unwrap()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Timing {
    first: f64,
    p50: f64,
    p99: f64,
}

/// Plans `sql`, runs it once, then `ticks` times with 100 new events before each.
fn time_query(
    runtime: &tokio::runtime::Runtime,
    engine: &Arc<Engine>,
    catalog: &Catalog,
    store: &Arc<Store>,
    sql: &str,
    incremental: bool,
    ticks: usize,
) -> Timing {
    let prepared = runtime.block_on(engine.prepare(sql, incremental)).unwrap();
    let start = Instant::now();
    runtime.block_on(prepared.run(Utc::now())).unwrap();
    let first = ms(start.elapsed());
    let mut rng = SmallRng::seed_from_u64(11);
    let stream = store.stream("dossiers").unwrap();
    let mut times: Vec<Duration> = (0..ticks)
        .map(|_| {
            let now = Utc::now().timestamp_millis();
            stream.append(batch(catalog, &mut rng, 100, now - 1_000, now)).unwrap();
            let start = Instant::now();
            runtime.block_on(prepared.run(Utc::now())).unwrap();
            start.elapsed()
        })
        .collect();
    times.sort();
    Timing {
        first,
        p50: common::pct(&times, 50.0),
        p99: common::pct(&times, 99.0),
    }
}

fn part_sizes(runtime: &tokio::runtime::Runtime, sizes: &[usize]) {
    println!("1. per tick, incremental against full, 100 new events before each tick (ms)");
    println!(
        "   {:>10}  {:<22} {:>10} {:>9} {:>9} | {:>10} {:>9} {:>9} | {:>7}",
        "rows", "query", "inc first", "inc p50", "inc p99", "full first", "full p50", "full p99", "speedup"
    );
    let mut p50s: BTreeMap<&str, Vec<(usize, f64)>> = BTreeMap::new();
    for &rows in sizes {
        let dir = tempfile::tempdir().unwrap();
        let (catalog, store) = filled(rows, dir.path());
        let config = Config {
            queries: dir.path().to_path_buf(),
            ..Config::default()
        };
        let engine = engine(&config, &catalog, &store, true);
        for (name, sql) in [
            ("last 24 h by agency", LAST_24H),
            ("today by agency", TODAY),
            ("last 5 min by agency", LAST_5MIN),
        ] {
            let inc = time_query(runtime, &engine, &catalog, &store, sql, true, 30);
            let full = time_query(
                runtime,
                &engine,
                &catalog,
                &store,
                sql,
                false,
                if rows > 20_000_000 { 8 } else { 15 },
            );
            println!(
                "   {:>10}  {:<22} {:>10.1} {:>9.2} {:>9.2} | {:>10.1} {:>9.2} {:>9.2} | {:>6.0}x",
                rows,
                name,
                inc.first,
                inc.p50,
                inc.p99,
                full.first,
                full.p50,
                full.p99,
                full.p50 / inc.p50
            );
            p50s.entry(name).or_default().push((rows, inc.p50));
        }
        runtime.block_on(engine.shutdown());
    }
    if sizes.len() > 1 {
        for (name, v) in p50s {
            let (first, last) = (v[0], v[v.len() - 1]);
            println!(
                "   growth of the incremental p50 of {name} from {} to {} rows: {:.2}x (target <= 1.5)",
                first.0,
                last.0,
                last.1 / first.1
            );
        }
    }
}

/// Appends `per_second` events at the current time, in 20 requests a second, until `stop`.
fn arrivals(
    catalog: Catalog,
    store: Arc<Store>,
    per_second: usize,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut rng = SmallRng::seed_from_u64(3);
        let stream = store.stream("dossiers").unwrap();
        while !stop.load(Ordering::Relaxed) {
            let now = Utc::now().timestamp_millis();
            stream
                .append(batch(&catalog, &mut rng, per_second / 20, now - 500, now))
                .unwrap();
            std::thread::sleep(Duration::from_millis(50));
        }
    })
}

/// Registers `scenarios` (name, sql) every 1 s, waits `secs`, and returns each one's p50 evaluation time.
fn scheduled(
    runtime: &tokio::runtime::Runtime,
    engine: &Arc<Engine>,
    scenarios: &[(String, String)],
    secs: u64,
) -> BTreeMap<String, (f64, u64)> {
    runtime.block_on(async {
        for (name, sql) in scenarios {
            let def = ioc_stream::engine::Scenario {
                sql: sql.clone(),
                every: Duration::from_secs(1),
                ..ioc_stream::engine::Scenario::named(name)
            };
            let planned = engine.plan(&def).await.unwrap();
            engine.add(def, planned, None).unwrap();
        }
        tokio::time::sleep(Duration::from_secs(secs)).await;
    });
    engine
        .list()
        .into_iter()
        .map(|s| (s.name, (s.p50_eval_ms.unwrap_or(f64::NAN), s.evaluations)))
        .collect()
}

fn part_contention(runtime: &tokio::runtime::Runtime) {
    println!(
        "2. \"last 5 min by agency\" at 10M rows through the scheduler, every 1 s, 100 events/s arriving: p50 (ms)"
    );
    let dir = tempfile::tempdir().unwrap();
    let (catalog, store) = filled(10_000_000, dir.path());
    let stop = Arc::new(AtomicBool::new(false));
    let feeder = arrivals(catalog.clone(), store.clone(), 100, stop.clone());
    let config = Config {
        queries: dir.path().to_path_buf(),
        ..Config::default()
    };
    let light = vec![("last_5min".to_string(), LAST_5MIN.to_string())];
    let mut all = light.clone();
    all.push(("last_24h".into(), LAST_24H.into()));
    all.push(("today".into(), TODAY.into()));
    for incremental in [true, false] {
        let alone = {
            let e = engine(&config, &catalog, &store, incremental);
            let r = scheduled(runtime, &e, &light, 12);
            runtime.block_on(e.shutdown());
            r["last_5min"].0
        };
        let e = engine(&config, &catalog, &store, incremental);
        let r = scheduled(runtime, &e, &all, 15);
        runtime.block_on(e.shutdown());
        println!(
            "   {:<12} alone {:>7.2}   beside 24 h and today {:>7.2} ({:.2}x; target <= 2)   24 h {:>7.2}   today {:>7.2}",
            if incremental { "incremental" } else { "full" },
            alone,
            r["last_5min"].0,
            r["last_5min"].0 / alone,
            r["last_24h"].0,
            r["today"].0
        );
    }
    stop.store(true, Ordering::Relaxed);
    feeder.join().unwrap();
}

/// 100 scenarios of mixed shapes.
fn hundred() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let windows = [5, 15, 30, 60, 120, 240, 480, 720, 1080, 1440];
    for (i, m) in windows.iter().enumerate() {
        let w = format!("event_time >= now() - INTERVAL '{m} minutes'");
        let shapes = [
            format!("SELECT agency_code, count(*) AS n FROM dossiers WHERE {w} GROUP BY agency_code"),
            format!("SELECT status, count(*) AS n, avg(CASE WHEN online THEN 1.0 ELSE 0.0 END) AS r FROM dossiers WHERE {w} GROUP BY status"),
            format!("SELECT agency_code, status, count(*) AS n FROM dossiers WHERE {w} GROUP BY agency_code, status"),
            format!("SELECT count(*) AS n, count(*) FILTER (WHERE status = 'completed') AS done FROM dossiers WHERE {w}"),
            format!("SELECT status, count(DISTINCT agency_code) AS agencies FROM dossiers WHERE {w} GROUP BY status"),
            format!("SELECT date_trunc('hour', event_time) AS hour, count(*) AS n FROM dossiers WHERE {w} GROUP BY 1"),
            format!("SELECT agency_code, sum(CASE WHEN status = 'received' THEN 1 ELSE 0 END) AS received FROM dossiers WHERE {w} AND online GROUP BY agency_code"),
            format!("SELECT agency_code, min(event_time) AS first, max(event_time) AS last FROM dossiers WHERE {w} GROUP BY agency_code"),
            format!("SELECT agency_code, count(*) AS n FROM dossiers WHERE event_time >= date_trunc('day', now()) AND status <> 'processing' AND agency_code <> 'SO_{i:02}' GROUP BY agency_code"),
            format!("SELECT date_bin(INTERVAL '10 minutes', event_time) AS bucket, count(*) AS n FROM dossiers WHERE event_time >= now() - INTERVAL '{} minutes' GROUP BY 1", 60 + m / 10),
        ];
        for (j, sql) in shapes.into_iter().enumerate() {
            out.push((format!("s{i}_{j}"), sql));
        }
    }
    out
}

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(usage.ru_utime) + t(usage.ru_stime)
}

fn part_hundred(runtime: &tokio::runtime::Runtime) {
    println!("3. 100 scenarios every 1 s over 10M rows, 2,000 events/s arriving: CPU over 20 s");
    let dir = tempfile::tempdir().unwrap();
    let (catalog, store) = filled(10_000_000, dir.path());
    let config = Config {
        queries: dir.path().to_path_buf(),
        ..Config::default()
    };
    for incremental in [true, false] {
        let stop = Arc::new(AtomicBool::new(false));
        let feeder = arrivals(catalog.clone(), store.clone(), 2_000, stop.clone());
        let e = engine(&config, &catalog, &store, incremental);
        // Register and let the first evaluations (which fill the caches) pass.
        let warm = scheduled(runtime, &e, &hundred(), 8);
        let before: u64 = warm.values().map(|v| v.1).sum();
        let cpu = cpu_seconds();
        let start = Instant::now();
        std::thread::sleep(Duration::from_secs(20));
        let used = cpu_seconds() - cpu;
        let wall = start.elapsed().as_secs_f64();
        let after: u64 = e.list().iter().map(|s| s.evaluations).sum();
        let modes = e
            .list()
            .iter()
            .filter(|s| s.mode == Some(ioc_stream::engine::Mode::Incremental))
            .count();
        let cache = e.cache_usage();
        runtime.block_on(e.shutdown());
        stop.store(true, Ordering::Relaxed);
        feeder.join().unwrap();
        println!(
            "   {:<12} CPU {:>5.1}% of 2 cores (target <= 50%), {:>6.1} evaluations/s of 100 wanted, {modes} incremental, cache {:.1} MiB",
            if incremental { "incremental" } else { "full" },
            100.0 * used / (wall * 2.0),
            (after - before) as f64 / wall,
            cache.used_bytes as f64 / (1 << 20) as f64
        );
    }
}

/// A random value for a column of the demo catalog: codes from the reference tables where a column of
/// that name exists, a few values otherwise.
fn demo_batch(catalog: &Catalog, stream: &str, rng: &mut SmallRng, n: usize, from: i64, to: i64) -> RecordBatch {
    let def = &catalog.streams[stream];
    let reference =
        |column: &str| -> Option<Vec<String>> { catalog.reference.values().find_map(|t| t.strings(column)) };
    let mut columns: Vec<ArrayRef> = Vec::new();
    let mut times: Vec<i64> = (0..n).map(|_| rng.random_range(from..to)).collect();
    times.sort_unstable();
    for field in def.schema.fields() {
        let name = field.name().as_str();
        let array: ArrayRef = match field.data_type() {
            DataType::Timestamp(..) if name == def.event_time_name() => {
                Arc::new(TimestampMillisecondArray::from(times.clone()).with_timezone("UTC"))
            }
            DataType::Timestamp(..) => Arc::new(
                TimestampMillisecondArray::from_iter_values(
                    times.iter().map(|t| t + rng.random_range(-7_200_000..86_400_000)),
                )
                .with_timezone("UTC"),
            ),
            DataType::Utf8 => {
                let values = match reference(name) {
                    Some(v) if !v.is_empty() => v,
                    _ if name.ends_with("_id") => (0..n)
                        .map(|i| format!("{name}-{}", rng.random_range(0..n.max(1) as u64) + i as u64 % 7))
                        .collect(),
                    _ => (0..5).map(|i| format!("{name}_{i}")).collect(),
                };
                Arc::new(StringArray::from_iter_values(
                    (0..n).map(|_| values[rng.random_range(0..values.len())].as_str()),
                ))
            }
            DataType::Boolean => Arc::new(BooleanArray::from(
                (0..n).map(|_| rng.random_bool(0.5)).collect::<Vec<_>>(),
            )),
            DataType::Int32 => Arc::new(Int32Array::from_iter_values((0..n).map(|_| rng.random_range(1..3)))),
            DataType::Int64 => Arc::new(Int64Array::from_iter_values(
                (0..n).map(|_| rng.random_range(0..500_000)),
            )),
            DataType::Float64 => Arc::new(Float64Array::from_iter_values(
                (0..n).map(|_| rng.random_range(0.0..200.0)),
            )),
            other => panic!("no generator for {other}"),
        };
        columns.push(array);
    }
    RecordBatch::try_new(def.schema.clone(), columns).unwrap()
}

fn part_demo_cache(runtime: &tokio::runtime::Runtime) {
    println!("4. the demo's scenarios over 10M dossier events (1M of each other stream): mode and cache");
    let queries = Path::new("queries");
    let catalog = Catalog::load(queries).unwrap();
    let config = Config {
        queries: queries.to_path_buf(),
        ..Config::default()
    };
    let store = Arc::new(Store::new(&catalog, config.seal_rows, config.seal_age));
    let now = Utc::now().timestamp_millis();
    let mut rng = SmallRng::seed_from_u64(5);
    for name in catalog.streams.keys() {
        let rows = if name == "dossiers" { 10_000_000 } else { 1_000_000 };
        let stream = store.stream(name).unwrap();
        let mut done = 0;
        while done < rows {
            let n = BATCH.min(rows - done);
            let lo = now - 86_400_000 + (86_400_000 * done / rows) as i64;
            let hi = now - 86_400_000 + (86_400_000 * (done + n) / rows) as i64;
            stream
                .append(demo_batch(&catalog, name, &mut rng, n, lo, hi.max(lo + 1)))
                .unwrap();
            done += n;
        }
    }
    let e = engine(&config, &catalog, &store, true);
    let mut total = 0usize;
    for (_, parsed, _) in read_dir(queries) {
        let Ok(def) = parsed else { continue };
        let planned = runtime.block_on(e.plan(&def)).unwrap();
        let p = &planned.prepared;
        let start = Instant::now();
        let first = runtime.block_on(p.run(Utc::now()));
        let first_ms = ms(start.elapsed());
        let start = Instant::now();
        let _ = runtime.block_on(p.run(Utc::now()));
        let second_ms = ms(start.elapsed());
        total += p.cache_bytes();
        println!(
            "   {:<28} {:<11} cache {:>8.1} KiB   first {:>8.1} ms, then {:>7.2} ms{}",
            def.name,
            format!("{:?}", p.mode).to_lowercase(),
            p.cache_bytes() as f64 / 1024.0,
            first_ms,
            second_ms,
            first.err().map(|e| format!("  ERROR {e}")).unwrap_or_default()
        );
    }
    println!("   total cache {:.2} MiB", total as f64 / (1 << 20) as f64);
    runtime.block_on(e.shutdown());
}

fn main() {
    let runtime = common::runtime(2);
    let sizes: Vec<usize> = std::env::var("IOC_BENCH_ROWS")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000_000, 10_000_000, 50_000_000]);
    let parts: Vec<u32> = std::env::var("IOC_BENCH_PARTS")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 2, 3, 4]);
    let midnight = chrono::FixedOffset::east_opt(7 * 3600)
        .unwrap()
        .from_utc_datetime(&Utc::now().naive_utc())
        .date_naive();
    println!(
        "eval: incremental against full, one process (local date {midnight}, {})",
        DateTime::<Utc>::from(std::time::SystemTime::now()).format("%H:%M UTC")
    );
    for part in parts {
        match part {
            1 => part_sizes(&runtime, &sizes),
            2 => part_contention(&runtime),
            3 => part_hundred(&runtime),
            4 => part_demo_cache(&runtime),
            _ => {}
        }
    }
}
