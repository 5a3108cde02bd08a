//! The history tier: events leave the memory window for Parquet files and stay queryable as one table.
//!
//! The store-level tests drive a simulated clock (days pass in a step) on real files: events move, come
//! back after a restart, survive a crash on either side of the manifest without loss or duplicates,
//! expire past `history`, and a finished day's files are compacted into one. A corrupt file is an error
//! that names it, for the queries that read it only. The server tests push a backfill through the ingest
//! API and compare the scenarios over both tiers with an independent computation, show that a query
//! inside the window opens no file, and kill the real binary while it moves events.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray,
};
use ioc_stream::catalog::Catalog;
use ioc_stream::config::Config;
use ioc_stream::engine::Engine;
use ioc_stream::fanout::Hub;
use ioc_stream::store::{Caps, Store};
use ioc_stream::values;
use ioc_stream::wal::{Fsync, WalConfig};
use serde_json::{json, Value};

const DAY: i64 = 86_400_000;
const REGIONS: [&str; 4] = ["north", "centre", "south", "west"];

fn fixture() -> std::path::PathBuf {
    common::fixture("history")
}

/// A store over `data` with the history fixture's catalog, as a server would open it at `now_ms`.
fn open(data: &Path, now_ms: i64) -> (Catalog, Arc<Store>) {
    let catalog = Catalog::load(&fixture()).unwrap();
    let wal = WalConfig::new(data, Fsync::Never);
    let (store, _) = Store::open(&catalog, 1024, Duration::ZERO, Caps::default(), &wal, now_ms).unwrap();
    (catalog, Arc::new(store))
}

/// `n` events with ids `first..first+n`, times spread evenly over `[from_ms, to_ms)`, amount = id % 100.
fn events(catalog: &Catalog, first: u64, n: u64, from_ms: i64, to_ms: i64) -> RecordBatch {
    let ids = first..first + n;
    let time = |i: u64| from_ms + ((to_ms - from_ms) as f64 * (i - first) as f64 / n as f64) as i64;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(ids.clone().map(|i| format!("o-{i}")))),
        Arc::new(TimestampMillisecondArray::from_iter_values(ids.clone().map(time)).with_timezone("UTC")),
        Arc::new(StringArray::from_iter_values(
            ids.clone().map(|i| REGIONS[(i % 4) as usize]),
        )),
        Arc::new(Int64Array::from_iter_values(ids.clone().map(|i| (i % 100) as i64))),
        Arc::new(BooleanArray::from(
            ids.clone().map(|i| Some(i % 2 == 0)).collect::<Vec<_>>(),
        )),
        Arc::new(StringArray::from(ids.map(|_| None::<&str>).collect::<Vec<_>>())),
    ];
    RecordBatch::try_new(catalog.streams["orders"].schema.clone(), columns).unwrap()
}

/// `(count(*), count(DISTINCT event_id), sum(amount))` over both tiers, as of `now_ms`, or the error.
async fn totals(catalog: &Catalog, store: &Arc<Store>, now_ms: i64, filter: &str) -> Result<(i64, i64, i64), String> {
    let config = Config {
        queries: fixture(),
        ..Config::default()
    };
    let engine = Engine::new(&config, catalog, store.clone(), Arc::new(Hub::new(1))).unwrap();
    let sql = format!("SELECT count(*), count(DISTINCT event_id), coalesce(sum(amount), 0) FROM orders {filter}");
    let prepared = engine.prepare(&sql, false).await.map_err(|e| e.message)?;
    let at = DateTime::<Utc>::from_timestamp_millis(now_ms).unwrap();
    let out = prepared.run(at).await.map_err(|e| e.to_string());
    engine.shutdown().await;
    let rows = values::rows_of(&out?.batches);
    let n = |i: usize| rows[0][i].as_i64().unwrap();
    Ok((n(0), n(1), n(2)))
}

fn expected(ids: std::ops::Range<u64>) -> (i64, i64, i64) {
    let n = (ids.end - ids.start) as i64;
    (n, n, ids.map(|i| (i % 100) as i64).sum())
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn parquet_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(parquet_files(&p));
        } else if p.extension().is_some_and(|x| x == "parquet") {
            out.push(p);
        }
    }
    out.sort();
    out
}

const NOW: i64 = 1_780_000_000_000; // 2026-05-28T...Z

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_move_to_parquet_stay_queryable_and_come_back_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let (catalog, store) = open(data.path(), NOW);
    let orders = store.stream("orders").unwrap();
    // Ten days of backfill and the last half hour, in several requests.
    for (first, from, to) in [
        (0, NOW - 10 * DAY, NOW - 5 * DAY),
        (3_000, NOW - 5 * DAY, NOW - 2 * DAY),
        (6_000, NOW - 30 * 60_000, NOW),
    ] {
        orders.ingest(events(&catalog, first, 3_000, from, to)).unwrap();
    }
    assert_eq!(totals(&catalog, &store, NOW, "").await.unwrap(), expected(0..9_000));
    let moved = store.maintain(NOW);
    assert_eq!(moved, 6_000, "the backfill leaves memory");
    let h = orders.history_stats().unwrap();
    let days: std::collections::BTreeSet<i64> = (0..6_000u64)
        .map(|i| {
            let (from, to, j) = if i < 3_000 {
                (NOW - 10 * DAY, NOW - 5 * DAY, i)
            } else {
                (NOW - 5 * DAY, NOW - 2 * DAY, i - 3_000)
            };
            (from + ((to - from) as f64 * j as f64 / 3_000.0) as i64).div_euclid(DAY)
        })
        .collect();
    assert_eq!(
        (h.rows, h.files),
        (6_000, days.len()),
        "one file per UTC day touched: {h:?}"
    );
    assert_eq!(orders.stats().rows, 3_000);
    assert_eq!(totals(&catalog, &store, NOW, "").await.unwrap(), expected(0..9_000));
    // A window inside the memory window opens no file: the result does not need them.
    assert_eq!(
        totals(
            &catalog,
            &store,
            NOW,
            "WHERE event_time >= now() - INTERVAL '30 minutes'"
        )
        .await
        .unwrap()
        .0,
        3_000
    );
    drop(store);
    let (catalog, store) = open(data.path(), NOW + 60_000);
    assert_eq!(
        totals(&catalog, &store, NOW, "").await.unwrap(),
        expected(0..9_000),
        "after a restart"
    );
    assert_eq!(
        store.stream("orders").unwrap().stats().rows,
        3_000,
        "history is not replayed into memory"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_on_either_side_of_the_manifest_loses_and_duplicates_nothing() {
    let data = tempfile::tempdir().unwrap();
    let (catalog, store) = open(data.path(), NOW);
    store
        .stream("orders")
        .unwrap()
        .ingest(events(&catalog, 0, 2_000, NOW - 3 * DAY, NOW))
        .unwrap();
    store.sync_all();
    let before = tempfile::tempdir().unwrap();
    copy_dir(data.path(), before.path());
    store.maintain(NOW);
    store.sync_all();
    drop(store);
    let history = data.path().join("history/orders");
    let new_files = parquet_files(&history);
    assert!(!new_files.is_empty());

    // The files written, the manifest not yet: the files go, the WAL brings the events back.
    let crashed = tempfile::tempdir().unwrap();
    copy_dir(before.path(), crashed.path());
    for f in &new_files {
        let to = crashed
            .path()
            .join("history/orders")
            .join(f.strip_prefix(&history).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(f, &to).unwrap();
    }
    let (catalog, store) = open(crashed.path(), NOW);
    assert!(
        parquet_files(&crashed.path().join("history/orders")).is_empty(),
        "unlisted files are deleted"
    );
    assert_eq!(totals(&catalog, &store, NOW, "").await.unwrap(), expected(0..2_000));
    store.maintain(NOW);
    assert_eq!(
        totals(&catalog, &store, NOW, "").await.unwrap(),
        expected(0..2_000),
        "moved again"
    );
    drop(store);

    // The manifest written, the WAL files not yet deleted: the replay skips what the files hold.
    let crashed = tempfile::tempdir().unwrap();
    copy_dir(before.path(), crashed.path());
    std::fs::remove_dir_all(crashed.path().join("history")).unwrap();
    copy_dir(&data.path().join("history"), &crashed.path().join("history"));
    let (catalog, store) = open(crashed.path(), NOW);
    assert_eq!(totals(&catalog, &store, NOW, "").await.unwrap(), expected(0..2_000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_days_are_compacted_and_files_past_history_deleted() {
    let data = tempfile::tempdir().unwrap();
    let (catalog, store) = open(data.path(), NOW);
    let orders = store.stream("orders").unwrap();
    let day_start = (NOW - 3 * DAY).div_euclid(DAY) * DAY;
    // Two moves that both touch one day: two files for it, then one.
    orders
        .ingest(events(&catalog, 0, 500, day_start, day_start + DAY / 2))
        .unwrap();
    store.maintain(NOW);
    orders
        .ingest(events(&catalog, 500, 500, day_start + DAY / 2, day_start + DAY))
        .unwrap();
    store.maintain(NOW); // moves the second half; then compacts the day
    let files = parquet_files(&data.path().join("history/orders"));
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(totals(&catalog, &store, NOW, "").await.unwrap(), expected(0..1_000));
    // 31 days later the day is past `history = "30d"`.
    let later = NOW + 31 * DAY;
    store.maintain(later);
    assert!(parquet_files(&data.path().join("history/orders")).is_empty());
    assert_eq!(orders.history_stats().unwrap().rows, 0);
    assert_eq!(totals(&catalog, &store, later, "").await.unwrap().0, 0);
}

/// A query that took its snapshot before a compaction still reads the files the compaction replaced: they
/// are deleted when the last reader lets go, not when the manifest drops them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compaction_never_deletes_a_file_under_a_reader() {
    let data = tempfile::tempdir().unwrap();
    let (catalog, store) = open(data.path(), NOW);
    let orders = store.stream("orders").unwrap();
    let day_start = (NOW - 3 * DAY).div_euclid(DAY) * DAY;
    // Two direct writes into one day: two files (the demo's year takes this path).
    orders
        .add_history(&[events(&catalog, 0, 300, day_start, day_start + DAY / 2)], NOW)
        .unwrap();
    orders
        .add_history(&[events(&catalog, 300, 300, day_start + DAY / 2, day_start + DAY)], NOW)
        .unwrap();
    assert_eq!(parquet_files(&data.path().join("history/orders")).len(), 2);
    assert_eq!(orders.history_stats().unwrap().rows, 600);
    let held = orders.snapshot();
    let old: Vec<_> = held
        .sealed
        .iter()
        .filter_map(|s| s.file.as_ref().map(|f| f.path.to_path_buf()))
        .collect();
    assert_eq!(old.len(), 2);
    store.maintain(NOW); // compacts the day into one new file
    assert!(old.iter().all(|p| p.exists()), "a file a reader holds was deleted");
    assert_eq!(totals(&catalog, &store, NOW, "").await.unwrap(), expected(0..600));
    drop(held);
    assert!(
        old.iter().all(|p| !p.exists()),
        "replaced files outlived their last reader"
    );
    assert_eq!(parquet_files(&data.path().join("history/orders")).len(), 1);
    assert_eq!(totals(&catalog, &store, NOW, "").await.unwrap(), expected(0..600));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_file_is_an_error_naming_it_and_the_window_keeps_working() {
    let data = tempfile::tempdir().unwrap();
    let (catalog, store) = open(data.path(), NOW);
    let orders = store.stream("orders").unwrap();
    orders
        .ingest(events(&catalog, 0, 1_000, NOW - 2 * DAY, NOW - DAY))
        .unwrap();
    orders
        .ingest(events(&catalog, 1_000, 100, NOW - 10 * 60_000, NOW))
        .unwrap();
    store.maintain(NOW);
    let file = parquet_files(&data.path().join("history/orders")).remove(0);
    std::fs::write(&file, b"not a parquet file at all").unwrap();
    let e = totals(&catalog, &store, NOW, "").await.unwrap_err();
    let name = file.file_name().unwrap().to_str().unwrap();
    assert!(e.contains(name), "the error names the file: {e}");
    let recent = totals(
        &catalog,
        &store,
        NOW,
        "WHERE event_time >= now() - INTERVAL '30 minutes'",
    )
    .await
    .unwrap();
    assert_eq!(recent.0, 100);
}

// ---------------------------------------------------------------- through the server

/// NDJSON events with ids `first..first+n`, times spread evenly over `[from_ms, to_ms)`.
fn ndjson(first: u64, n: u64, from_ms: i64, to_ms: i64) -> (String, BTreeMap<String, (i64, i64)>) {
    let mut body = String::new();
    let mut by_region: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for i in first..first + n {
        let t = from_ms + ((to_ms - from_ms) as f64 * (i - first) as f64 / n as f64) as i64;
        let region = REGIONS[(i % 4) as usize];
        let amount = (i % 100) as i64;
        body.push_str(
            &json!({"event_id": format!("o-{i}"), "event_time": t, "region": region, "amount": amount}).to_string(),
        );
        body.push('\n');
        let e = by_region.entry(region.to_string()).or_default();
        e.0 += 1;
        e.1 += amount;
    }
    (body, by_region)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_through_the_api_is_one_table_with_the_window() {
    let queries = common::copy_fixture("history");
    let server = common::TestServer::start(queries.path()).await;
    let now = Utc::now().timestamp_millis();
    let mut expect: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (first, from, to) in [
        (0, now - 20 * DAY, now - 10 * DAY),
        (4_000, now - 10 * DAY, now - 2 * 3_600_000),
        (8_000, now - 10 * 60_000, now),
    ] {
        let (body, by) = ndjson(first, 4_000, from, to);
        let (status, answer) = server
            .post("/api/v1/streams/orders/events", "application/x-ndjson", body)
            .await;
        assert_eq!(status, 200, "{answer}");
        for (r, (n, s)) in by {
            let e = expect.entry(r).or_default();
            e.0 += n;
            e.1 += s;
        }
    }
    // The server's maintenance moves the backfill to Parquet within a few seconds.
    let streams = common::eventually(Duration::from_secs(30), || async {
        let (_, streams) = server.get("/api/v1/streams").await;
        (streams[0]["history_rows"].as_u64() == Some(8_000) && streams[0]["rows"].as_u64() == Some(4_000))
            .then_some(streams)
    })
    .await;
    assert_eq!(streams[0]["history"], json!("30d"));
    assert_eq!(streams[0]["rows"], json!(4_000));
    assert!(streams[0]["history_bytes"].as_u64().unwrap() > 0);
    assert!(streams[0]["history_from"].as_str().is_some());
    // Both scenarios over both tiers equal the events sent.
    for name in ["all_by_region", "month_by_region"] {
        let rows = common::eventually(Duration::from_secs(30), || async {
            let (_, r) = server.get(&format!("/api/v1/scenarios/{name}/result")).await;
            let got: BTreeMap<String, (i64, i64)> = r["rows"]
                .as_array()?
                .iter()
                .map(|row| {
                    (
                        row[0].as_str().unwrap().to_string(),
                        (row[1].as_i64().unwrap(), row[2].as_i64().unwrap()),
                    )
                })
                .collect();
            (got == expect).then_some(got)
        })
        .await;
        assert_eq!(rows, expect, "{name}");
        let info = server.scenario(name).await.unwrap();
        assert_eq!(info["mode"], json!("incremental"), "{info}");
    }
    // The window query never opens a file; its result holds only the recent events.
    let (_, recent) = server.get("/api/v1/scenarios/recent/result").await;
    let n: i64 = recent["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[1].as_i64().unwrap())
        .sum();
    assert_eq!(n, 4_000);
    for _ in 0..5 {
        let info = server.scenario("recent").await.unwrap();
        assert_eq!(info["history_files_read"], json!(0), "{info}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (status, q) = server
        .send_json(
            reqwest::Method::POST,
            "/api/v1/query",
            json!({"sql": "SELECT count(*), count(DISTINCT event_id) FROM orders"}),
        )
        .await;
    assert_eq!(status, 200, "{q}");
    assert_eq!(q["rows"][0], json!([12_000, 12_000]));
    let metrics: Value = json!(server.metrics().await.contains("ioc_history_files_read_total"));
    assert_eq!(metrics, json!(true));
    server.stop().await;
}
