//! Nothing lost, nothing counted twice: the real binary, killed with SIGKILL at random moments while
//! producers push events with ids and retry what was not acknowledged; restarts give every demo scenario
//! the same result; a torn WAL tail is cut; a changed schema is migrated or refused with a clear error.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{copy_fixture, fixture};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_ioc-stream");

/// A server process and its address.
struct Proc {
    child: Child,
    base: String,
}

impl Proc {
    fn start(args: &[&str], queries: &Path, data: &Path, listen: &str) -> Proc {
        let mut child = Command::new(BIN)
            .args(args)
            .args(["--listen", listen, "--queries"])
            .arg(queries)
            .arg("--data-dir")
            .arg(data)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("the server did not start: {line:?}"))
            .to_string();
        Proc { child, base }
    }

    fn kill(mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }

    fn term(mut self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let status = self.child.wait().unwrap();
        assert!(status.success(), "clean exit after SIGTERM: {status:?}");
    }

    fn port(&self) -> String {
        self.base.rsplit(':').next().unwrap().to_string()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn query(http: &reqwest::Client, base: &str, sql: &str) -> Value {
    let r = http
        .post(format!("{base}/api/v1/query"))
        .json(&json!({"sql": sql, "limit": 10000}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{sql}");
    r.json().await.unwrap()
}

fn order(id: &str) -> Value {
    json!({"event_id": id, "event_time": chrono::Utc::now().to_rfc3339(), "region": "north", "amount": 1})
}

/// Several rounds of producers pushing batches while the server is killed with SIGKILL and restarted on
/// the same data directory (each round with another fsync policy). A producer retries a batch until it
/// is acknowledged, as a real one would. At the end the store holds every acknowledged event exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_loses_nothing_and_counts_nothing_twice() {
    let queries = copy_fixture("basic");
    let data = tempfile::tempdir().unwrap();
    let policies = ["interval", "always", "never", "interval", "always"];
    let mut server = Proc::start(
        &["serve", "--fsync", policies[0]],
        queries.path(),
        data.path(),
        "127.0.0.1:0",
    );
    let base = Arc::new(parking_lot::Mutex::new(server.base.clone()));
    let stop = Arc::new(AtomicBool::new(false));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();

    let mut producers = Vec::new();
    for p in 0..3 {
        let (base, stop, http) = (base.clone(), stop.clone(), http.clone());
        producers.push(tokio::spawn(async move {
            let mut acked = 0usize;
            let mut retried_batches = 0usize;
            let mut k = 0;
            while !stop.load(Ordering::Relaxed) {
                let batch: Vec<Value> = (0..25).map(|j| order(&format!("p{p}-{k}-{j}"))).collect();
                let body: String = batch.iter().map(|e| format!("{e}\n")).collect();
                let mut tries = 0;
                loop {
                    tries += 1;
                    let url = format!("{}/api/v1/streams/orders/events", base.lock());
                    let sent = http
                        .post(url)
                        .header("content-type", "application/x-ndjson")
                        .body(body.clone())
                        .send()
                        .await;
                    if let Ok(r) = sent {
                        if r.status() == 200 {
                            let v: Value = r.json().await.unwrap();
                            let (a, d) = (v["accepted"].as_u64().unwrap(), v["duplicates"].as_u64().unwrap());
                            assert_eq!(a + d, 25, "{v}");
                            if tries == 1 {
                                assert_eq!(d, 0, "a first try has no duplicates: {v}");
                            }
                            break;
                        }
                    }
                    // Not acknowledged (the server is down or restarting): retry the same batch.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                if tries > 1 {
                    retried_batches += 1;
                }
                acked += 25;
                k += 1;
            }
            (acked, retried_batches)
        }));
    }

    let mut rng = rand::rngs::SmallRng::seed_from_u64(20261201);
    for policy in &policies[1..] {
        tokio::time::sleep(Duration::from_millis(rng.random_range(150..700))).await;
        let port = server.port();
        server.kill();
        // Same port, so the producers find it again; the WAL is all that survives.
        server = Proc::start(
            &["serve", "--fsync", policy],
            queries.path(),
            data.path(),
            &format!("127.0.0.1:{port}"),
        );
        *base.lock() = server.base.clone();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let mut acked = 0;
    let mut retried = 0;
    for p in producers {
        let (a, r) = p.await.unwrap();
        acked += a;
        retried += r;
    }
    assert!(acked > 0);
    let check = |v: Value| {
        let row = v["rows"][0].as_array().unwrap().clone();
        (row[0].as_u64().unwrap() as usize, row[1].as_u64().unwrap() as usize)
    };
    let sql = "SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM orders";
    let (n, ids) = check(query(&http, &server.base, sql).await);
    assert_eq!(
        (n, ids),
        (acked, acked),
        "every acknowledged event once ({retried} batches were retried across the kills)"
    );
    // A producer that resends an acknowledged batch is told it holds duplicates only.
    let again: String = (0..25).map(|j| format!("{}\n", order(&format!("p0-0-{j}")))).collect();
    let r = http
        .post(format!("{}/api/v1/streams/orders/events", server.base))
        .header("content-type", "application/x-ndjson")
        .body(again)
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (v["accepted"].as_u64(), v["duplicates"].as_u64()),
        (Some(0), Some(25)),
        "{v}"
    );
    // And one more life, ended cleanly, holds the same.
    let port = server.port();
    server.term();
    let server = Proc::start(&["serve"], queries.path(), data.path(), &format!("127.0.0.1:{port}"));
    assert_eq!(check(query(&http, &server.base, sql).await), (acked, acked));
    server.term();
}

/// Each scenario's SQL with `now()` pinned to one instant, so results taken seconds apart compare.
fn pinned(sql: &str, at_ms: i64) -> String {
    let fixed = format!(
        "arrow_cast(arrow_cast({}, 'Timestamp(Millisecond, None)'), 'Timestamp(Nanosecond, Some(\"Asia/Ho_Chi_Minh\"))')",
        at_ms
    );
    sql.replace("now()", &fixed)
}

async fn results(http: &reqwest::Client, base: &str, at_ms: i64) -> BTreeMap<String, Value> {
    let list: Value = http
        .get(format!("{base}/api/v1/scenarios"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut out = BTreeMap::new();
    for s in list.as_array().unwrap() {
        let name = s["name"].as_str().unwrap().to_string();
        let v = query(http, base, &pinned(s["sql"].as_str().unwrap(), at_ms)).await;
        out.insert(name, v["rows"].clone());
    }
    out
}

/// The demo's scenarios give the same results after a clean restart and after SIGKILL (with `now()`
/// pinned, since their windows move with the clock).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_scenarios_are_equal_after_a_restart_and_after_sigkill() {
    let queries = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("queries");
    let data = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    // The demo generates an hour of history and then live events; it is stopped with SIGTERM, so the
    // first `serve` sees everything it acknowledged and nothing moves while the results are compared.
    let demo = Proc::start(&["demo", "--history-days", "30"], &queries, data.path(), "127.0.0.1:0");
    let mut last = 0;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let v = query(&http, &demo.base, "SELECT count(*) FROM dossiers").await;
        let n = v["rows"][0][0].as_u64().unwrap();
        if n > 100 && n < last + 50 {
            break;
        }
        last = n;
    }
    assert!(last > 100, "the demo generated its history: {last} dossiers");
    demo.term();
    let at = chrono::Utc::now().timestamp_millis();
    let first = Proc::start(&["serve"], &queries, data.path(), "127.0.0.1:0");
    let before = results(&http, &first.base, at).await;
    let non_empty = before.values().filter(|r| !r.as_array().unwrap().is_empty()).count();
    assert!(non_empty >= 6, "most scenarios have rows to compare: {before:?}");
    first.term();

    let server = Proc::start(&["serve"], &queries, data.path(), "127.0.0.1:0");
    let after = results(&http, &server.base, at).await;
    for (name, rows) in &before {
        assert_eq!(&after[name], rows, "{name} after a clean restart");
    }
    server.kill();
    let server = Proc::start(&["serve"], &queries, data.path(), "127.0.0.1:0");
    let after = results(&http, &server.base, at).await;
    for (name, rows) in &before {
        assert_eq!(&after[name], rows, "{name} after SIGKILL");
    }
    server.term();
}

fn wal_files(data: &Path, stream: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data.join("wal").join(stream))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// A crash mid-write leaves half a record: the next start cuts it off (with a warning) and keeps
/// everything before it; a WAL written under another schema is migrated when that is safe (a nullable
/// column added: null in old events) and refused with a message naming the column when it is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_tail_is_cut_and_a_changed_schema_is_migrated_or_refused() {
    let queries = copy_fixture("basic");
    let data = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let server = Proc::start(
        &["serve", "--fsync", "always"],
        queries.path(),
        data.path(),
        "127.0.0.1:0",
    );
    for k in 0..3 {
        let body: String = (0..10).map(|j| format!("{}\n", order(&format!("e{k}-{j}")))).collect();
        let r = http
            .post(format!("{}/api/v1/streams/orders/events", server.base))
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    server.kill();
    // Tear the last record in half, as a crash mid-write would.
    let last = wal_files(data.path(), "orders").pop().unwrap();
    let len = std::fs::metadata(&last).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&last).unwrap();
    f.set_len(len - 100).unwrap();
    drop(f);

    let count = "SELECT count(*) FROM orders";
    let server = Proc::start(&["serve"], queries.path(), data.path(), "127.0.0.1:0");
    let v = query(&http, &server.base, count).await;
    assert_eq!(
        v["rows"][0][0], 20,
        "the two whole requests are kept, the torn third is cut"
    );
    server.term();

    // A nullable column added to the catalog: old events read it as null.
    let streams = queries.path().join("streams.toml");
    let text = std::fs::read_to_string(&streams).unwrap();
    let added = text.replace(
        "{ name = \"amount\",     type = \"int64\" },",
        "{ name = \"amount\",     type = \"int64\" },\n  { name = \"channel\", type = \"utf8\", nullable = true },",
    );
    assert_ne!(added, text, "the fixture's amount column is where the test expects it");
    std::fs::write(&streams, &added).unwrap();
    let server = Proc::start(&["serve"], queries.path(), data.path(), "127.0.0.1:0");
    let v = query(&http, &server.base, "SELECT count(*), count(channel) FROM orders").await;
    assert_eq!(v["rows"][0], json!([20, 0]));
    server.term();

    // A type changed: the server refuses to start and says which column and what to do.
    let changed = text.replace(
        "{ name = \"amount\",     type = \"int64\" },",
        "{ name = \"amount\",     type = \"utf8\" },",
    );
    std::fs::write(&streams, &changed).unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--queries"])
        .arg(queries.path())
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`amount`") && err.contains("int64") && err.contains("utf8") && err.contains("move"),
        "{err}"
    );
    // Nothing was cut or deleted by the refusal: with the old catalog back, all 20 events are there.
    std::fs::write(&streams, &text).unwrap();
    let server = Proc::start(&["serve"], queries.path(), data.path(), "127.0.0.1:0");
    let v = query(&http, &server.base, count).await;
    assert_eq!(v["rows"][0][0], 20);
    server.term();
    let _ = fixture("basic");
}
