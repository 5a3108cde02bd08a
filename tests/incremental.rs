//! The incremental engine against the plain path, on random input: at every step the result of each
//! random aggregate scenario, evaluated with cached partial aggregates, must equal the same query evaluated
//! in full over the same snapshot at the same instant.
//!
//! The events come late and out of order (up to 2.5 hours back, past the 2-hour retention), with
//! duplicate ids, in requests of random size; segments seal by rows (40) and at random maintenance steps,
//! small ones are compacted, retention drops old ones, and now and then the server "restarts": the store
//! is rebuilt from its WAL and every query planned again. The scenarios are drawn from the shapes the
//! engine caches: GROUP BY columns or time buckets (or none), count / sum / min / max / avg / count
//! DISTINCT / FILTER / CASE, moving and fixed time bounds, other filters, and joins with a reference table.
//!
//! `IOC_PROPTEST_SEED=N` replays one seed; `IOC_PROPTEST_CASES=N` runs N seeds (default 4).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use datafusion::arrow::array::{ArrayRef, BooleanArray, Int64Array, StringArray, TimestampMillisecondArray};
use datafusion::arrow::record_batch::RecordBatch;
use ioc_stream::catalog::Catalog;
use ioc_stream::config::Config;
use ioc_stream::engine::prepared::Prepared;
use ioc_stream::engine::{Engine, Mode};
use ioc_stream::fanout::Hub;
use ioc_stream::store::{Caps, Store};
use ioc_stream::values;
use ioc_stream::wal::{Fsync, WalConfig};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

const STREAMS: &str = r#"
[streams.ev]
event_time = "event_time"
id = "id"
retention = "2h"
columns = [
  { name = "id",         type = "utf8" },
  { name = "event_time", type = "timestamp_ms" },
  { name = "agency",     type = "utf8" },
  { name = "status",     type = "utf8" },
  { name = "online",     type = "bool" },
  { name = "amount",     type = "int64", nullable = true },
]
"#;

const AGENCIES: &str =
    "agency_code,agency_name,level\nA1,One,province\nA2,Two,province\nA3,Three,commune\nA4,Four,commune\n";
/// Agencies in events; A5 has no reference row.
const EVENT_AGENCIES: [&str; 5] = ["A1", "A2", "A3", "A4", "A5"];
const STATUSES: [&str; 3] = ["received", "processing", "completed"];
const SEAL_ROWS: usize = 64;
const RANDOM_SCENARIOS: usize = 16;
const STEPS: usize = 90;

fn pick<'a>(rng: &mut SmallRng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

/// A random aggregate scenario of a shape the engine caches.
fn scenario(rng: &mut SmallRng) -> String {
    let joined = rng.random_range(0..4);
    let (join, groups): (&str, &[&str]) = match joined {
        0 => (
            "JOIN agencies r ON r.agency_code = e.agency",
            &["r.level", "r.agency_name", ""],
        ),
        1 => (
            "LEFT JOIN agencies r ON r.agency_code = e.agency",
            &["r.level", "e.agency", ""],
        ),
        _ => (
            "",
            &[
                "e.agency",
                "e.status",
                "e.agency, e.status",
                "date_bin(INTERVAL '10 minutes', e.event_time)",
                "date_trunc('hour', e.event_time)",
                "",
            ],
        ),
    };
    let group = pick(rng, groups);
    let mut aggs: Vec<&str> = vec![
        "count(*)",
        "sum(e.amount)",
        "min(e.event_time)",
        "max(e.amount)",
        "avg(CASE WHEN e.online THEN 1.0 ELSE 0.0 END)",
        "count(DISTINCT e.agency)",
        "count(*) FILTER (WHERE e.status = 'completed')",
        "sum(CASE WHEN e.status = 'received' THEN 1 ELSE 0 END)",
        "avg(e.amount)",
    ];
    if joined == 1 {
        aggs.push("count(r.level)");
    }
    let n = rng.random_range(1..=3);
    let chosen: Vec<String> = (0..n).map(|i| format!("{} AS a{i}", pick(rng, &aggs))).collect();
    let mut conditions: Vec<String> = Vec::new();
    match rng.random_range(0..6) {
        0 => {}
        1 => conditions.push(format!(
            "e.event_time >= now() - INTERVAL '{} minutes'",
            rng.random_range(5..150)
        )),
        2 => conditions.push("e.event_time > date_trunc('hour', now())".into()),
        3 => conditions
            .push("e.event_time BETWEEN now() - INTERVAL '100 minutes' AND now() - INTERVAL '20 minutes'".into()),
        4 => conditions.push(format!(
            "now() - INTERVAL '{} minutes' < e.event_time",
            rng.random_range(1..60)
        )),
        _ => conditions.push("e.event_time >= TIMESTAMP '2026-06-01T00:30:00Z'".into()),
    }
    match rng.random_range(0..5) {
        0 => conditions.push("e.online".into()),
        1 => conditions.push("e.amount > 50".into()),
        2 => conditions.push("e.status <> 'received'".into()),
        _ => {}
    }
    let select = if group.is_empty() {
        chosen.join(", ")
    } else {
        format!("{group} AS g, {}", chosen.join(", "))
    };
    let mut sql = format!("SELECT {select} FROM ev e {join}");
    if !conditions.is_empty() {
        sql.push_str(&format!(" WHERE {}", conditions.join(" AND ")));
    }
    if !group.is_empty() {
        sql.push_str(&format!(" GROUP BY {group}"));
    }
    sql
}

/// Shapes that are evaluated in full: both paths must still agree (they are the same path).
const FULL: [&str; 2] = [
    "SELECT agency, count(*) AS n FROM (SELECT agency, row_number() OVER (PARTITION BY agency ORDER BY event_time) AS rn FROM ev) WHERE rn <= 3 GROUP BY agency",
    "SELECT e.agency, count(*) AS n FROM ev e WHERE e.id NOT IN (SELECT id FROM ev WHERE status = 'completed') GROUP BY e.agency",
];

struct World {
    dir: tempfile::TempDir,
    catalog: Catalog,
    store: Arc<Store>,
    engine: Arc<Engine>,
}

impl World {
    async fn open(dir: tempfile::TempDir, now_ms: i64) -> World {
        let queries = dir.path().join("queries");
        let catalog = Catalog::load(&queries).unwrap();
        let wal = WalConfig::new(&dir.path().join("data"), Fsync::Never);
        let (store, _) = Store::open(&catalog, SEAL_ROWS, Duration::ZERO, Caps::default(), &wal, now_ms).unwrap();
        let store = Arc::new(store);
        let config = Config {
            queries: queries.clone(),
            time_zone: "Asia/Ho_Chi_Minh".into(),
            ..Config::default()
        };
        let engine = Engine::new(&config, &catalog, store.clone(), Arc::new(Hub::new(4))).unwrap();
        World {
            dir,
            catalog,
            store,
            engine,
        }
    }

    async fn restart(self, now_ms: i64) -> World {
        let World { dir, engine, store, .. } = self;
        engine.shutdown().await;
        store.sync_all();
        drop(engine);
        drop(store);
        World::open(dir, now_ms).await
    }
}

fn write_queries(dir: &Path) {
    let q = dir.join("queries");
    std::fs::create_dir_all(q.join("reference")).unwrap();
    std::fs::write(q.join("streams.toml"), STREAMS).unwrap();
    std::fs::write(q.join("reference/agencies.csv"), AGENCIES).unwrap();
}

fn events(rng: &mut SmallRng, world: &World, now_ms: i64, next_id: &mut u64, quiet: bool) -> RecordBatch {
    // Mostly small requests, now and then a larger one.
    let n = if quiet {
        1
    } else if rng.random_bool(0.85) {
        rng.random_range(1..=3)
    } else {
        rng.random_range(1..=60)
    };
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        // One in ten repeats an earlier id (a producer's retry).
        if *next_id > 0 && rng.random_bool(0.1) {
            ids.push(format!("ev-{}", rng.random_range(0..*next_id)));
        } else {
            ids.push(format!("ev-{next_id}"));
            *next_id += 1;
        }
    }
    // Most events are recent; one in five is late, up to 2.5 hours (past the retention of 2 hours).
    let times: Vec<i64> = (0..n)
        .map(|_| {
            if rng.random_bool(0.8) {
                now_ms - rng.random_range(0..120_000)
            } else {
                now_ms - rng.random_range(0..150 * 60_000)
            }
        })
        .collect();
    let def = &world.catalog.streams["ev"];
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(ids)),
        Arc::new(TimestampMillisecondArray::from(times).with_timezone("UTC")),
        Arc::new(StringArray::from_iter_values(
            (0..n).map(|_| pick(rng, &EVENT_AGENCIES)),
        )),
        Arc::new(StringArray::from_iter_values((0..n).map(|_| pick(rng, &STATUSES)))),
        Arc::new(BooleanArray::from(
            (0..n).map(|_| rng.random_bool(0.4)).collect::<Vec<_>>(),
        )),
        Arc::new(Int64Array::from(
            (0..n)
                .map(|_| rng.random_bool(0.9).then(|| rng.random_range(0..100)))
                .collect::<Vec<_>>(),
        )),
    ];
    RecordBatch::try_new(def.schema.clone(), columns).unwrap()
}

/// Rows in a canonical order, with floats rounded so that summation order does not matter.
fn canonical(batches: &[RecordBatch]) -> Vec<String> {
    fn round(v: Value) -> Value {
        match v {
            Value::Number(n) if n.is_f64() => {
                let f = n.as_f64().unwrap();
                Value::String(format!("{:.9e}", f))
            }
            Value::Array(a) => Value::Array(a.into_iter().map(round).collect()),
            other => other,
        }
    }
    let mut rows: Vec<String> = values::rows_of(batches)
        .into_iter()
        .map(|r| round(Value::Array(r)).to_string())
        .collect();
    rows.sort();
    rows
}

struct Pair {
    sql: String,
    incremental: Arc<Prepared>,
    full: Arc<Prepared>,
}

async fn prepare(world: &World, sqls: &[String]) -> Vec<Pair> {
    let mut out = Vec::new();
    for sql in sqls {
        let incremental = world
            .engine
            .prepare(sql, true)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let full = world.engine.prepare(sql, false).await.unwrap();
        assert_eq!(full.mode, Mode::Full);
        out.push(Pair {
            sql: sql.clone(),
            incremental,
            full,
        });
    }
    out
}

async fn run_seed(seed: u64) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    write_queries(dir.path());
    let start: DateTime<Utc> = "2026-06-01T01:00:00Z".parse().unwrap();
    let mut now_ms = start.timestamp_millis();
    let mut world = World::open(dir, now_ms).await;
    let mut sqls: Vec<String> = (0..RANDOM_SCENARIOS).map(|_| scenario(&mut rng)).collect();
    sqls.extend(FULL.iter().map(|s| s.to_string()));
    let mut pairs = prepare(&world, &sqls).await;
    for p in &pairs[..RANDOM_SCENARIOS] {
        assert_eq!(
            p.incremental.mode,
            Mode::Incremental,
            "seed {seed}: {} should be incremental: {:?}",
            p.sql,
            p.incremental.full_reason
        );
    }
    let mut next_id = 0u64;
    let (mut cached, mut combined) = (0u64, 0u64);
    let (mut results, mut non_empty) = (0u64, 0u64);
    for step in 0..STEPS {
        // Ten quiet steps in every thirty: one small request, then a seal, so that runs of small segments
        // are compacted while their parts' states are cached.
        let quiet = step % 30 >= 20;
        now_ms += rng.random_range(5_000..if quiet { 60_000 } else { 360_000 });
        for _ in 0..if quiet { 1 } else { rng.random_range(1..=3) } {
            let batch = events(&mut rng, &world, now_ms, &mut next_id, quiet);
            world.store.stream("ev").unwrap().ingest(batch).unwrap();
        }
        if quiet || rng.random_bool(0.8) {
            world.store.maintain(now_ms);
        }
        if rng.random_bool(0.04) {
            world = world.restart(now_ms).await;
            pairs = prepare(&world, &sqls).await;
        }
        let at = DateTime::<Utc>::from_timestamp_millis(now_ms).unwrap();
        for p in &pairs {
            let before = p.incremental.stats.totals();
            let inc = p.incremental.run(at).await.unwrap_or_else(|e| panic!("{}: {e}", p.sql));
            let read = p.incremental.stats.totals() - before;
            cached += read.segments_cached;
            combined += read.segments_combined;
            let full = p.full.run(at).await.unwrap();
            assert_eq!(
                canonical(&inc.batches),
                canonical(&full.batches),
                "seed {seed}, step {step}: {}\n{}",
                p.sql,
                p.incremental.explain()
            );
            assert_eq!(inc.data_time, full.data_time);
            results += 1;
            non_empty += u64::from(inc.batches.iter().any(|b| b.num_rows() > 0));
        }
    }
    assert!(cached > 0, "seed {seed}: the cache was never used");
    assert!(
        combined > 0,
        "seed {seed}: no compacted segment was combined from its parts"
    );
    // The comparison means something only if most results hold rows (now() reads the simulated clock).
    assert!(
        non_empty * 10 > results * 8,
        "seed {seed}: {non_empty} of {results} results hold rows"
    );
    world.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_results_equal_full_evaluation_on_random_input() {
    let seeds: Vec<u64> = match std::env::var("IOC_PROPTEST_SEED") {
        Ok(s) => vec![s.parse().expect("IOC_PROPTEST_SEED is a number")],
        Err(_) => {
            let cases: u64 = std::env::var("IOC_PROPTEST_CASES")
                .ok()
                .and_then(|c| c.parse().ok())
                .unwrap_or(4);
            let base: u64 = rand::random::<u32>().into();
            (base..base + cases).collect()
        }
    };
    for seed in seeds {
        eprintln!("seed {seed} (replay with IOC_PROPTEST_SEED={seed})");
        run_seed(seed).await;
    }
}
