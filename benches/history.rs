//! History at scale: a year of events in the Parquet history tier, read by the real server binary.
//!
//! 1. Writes `IOC_BENCH_HISTORY` events (default 100,000,000) over the 365 days before the in-memory
//!    window straight into a stream's history files (the library's `add_history`, one write per day) and
//!    prints the write rate and the disk bytes per event.
//! 2. Starts `ioc-stream serve` on them with one scenario, "this year by agency" (count, completed,
//!    average fee per agency since the local 1 January), and a trickle of live events (100/s) so every
//!    tick evaluates: prints the start time, the time to the first result and that evaluation's
//!    `last_eval_ms`, then p50/p90 of `last_eval_ms` over 30 ticks, and the server's RSS (the window holds
//!    next to nothing: all of it is the history's cost). Target: p50 <= 10 ms, RSS <= 1 GiB.
//! 3. DuckDB (python3 `duckdb`, when installed) runs the same query over the same files, cold and warm.
//! 4. `ioc-stream import` of a Parquet file of `IOC_BENCH_IMPORT` events (default 2,000,000) older than
//!    the window, and of one of `IOC_BENCH_WINDOW` events (default 10,000,000) inside it: events/s.
//! 5. Restarts the server (SIGTERM, then start): time until it answers with the window (WAL replay) and
//!    the year (history opened), and until "this year by agency" has its first result again.
//!
//! Run: `cargo bench --bench history` (about 10 minutes at the default scale on 2 cores; set the
//! variables lower for a quick look).

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray,
};
use ioc_stream::catalog::Catalog;
use ioc_stream::store::{Caps, Store};
use ioc_stream::wal::{Fsync, WalConfig};
use serde_json::Value;

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

/// The benchmarks' dossier stream, with a 24 h window and a history.
fn catalog_text() -> String {
    common::CATALOG.replace("retention = \"7d\"", "retention = \"24h\"\nhistory = \"400d\"")
}

const SCENARIO: &str = "-- every: 500ms\n-- key: agency_code\n\
SELECT agency_code, count(*) AS dossiers, count(*) FILTER (WHERE status = 'completed') AS completed, \
avg(fee_vnd) AS avg_fee FROM dossiers WHERE event_time >= date_trunc('year', now()) GROUP BY agency_code\n";

const AGENCIES: [&str; 20] = [
    "SO_TP",
    "SO_XD",
    "SO_YT",
    "SO_TC",
    "SO_NNMT",
    "SO_GDDT",
    "CA_TINH",
    "UBND_XA",
    "SO_NV",
    "SO_CT",
    "SO_KHCN",
    "SO_VHTTDL",
    "SO_DTTG",
    "VP_UBND",
    "TTR",
    "KBNN",
    "NHNN",
    "BQL_KCN",
    "BHXH",
    "THUE",
];
const STATUSES: [&str; 3] = ["received", "processing", "completed"];

fn env_n(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// `n` events with ids from `first`, times spread evenly over `[from, to)`.
fn batch(catalog: &Catalog, first: u64, n: u64, from: i64, to: i64) -> RecordBatch {
    let ids = first..first + n;
    let time = |i: u64| from + ((to - from) as f64 * (i - first) as f64 / n as f64) as i64;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            ids.clone().map(|i| format!("ev-{i:012}")),
        )),
        Arc::new(TimestampMillisecondArray::from_iter_values(ids.clone().map(time)).with_timezone("UTC")),
        Arc::new(StringArray::from_iter_values(
            ids.clone().map(|i| format!("H99.{:010}", i / 3)),
        )),
        Arc::new(StringArray::from_iter_values(
            ids.clone().map(|i| STATUSES[(i % 3) as usize]),
        )),
        Arc::new(StringArray::from_iter_values(
            ids.clone().map(|i| AGENCIES[(i * 7 % 20) as usize]),
        )),
        Arc::new(StringArray::from_iter_values(
            ids.clone().map(|i| format!("X0{:03}", 100 + i % 100)),
        )),
        Arc::new(StringArray::from_iter_values(ids.clone().map(|i| {
            if i % 5 < 2 {
                "online"
            } else {
                "direct"
            }
        }))),
        Arc::new(BooleanArray::from(
            ids.clone().map(|i| Some(i % 5 == 0)).collect::<Vec<_>>(),
        )),
        Arc::new(
            TimestampMillisecondArray::from_iter_values(ids.clone().map(|i| time(i) + 5 * DAY)).with_timezone("UTC"),
        ),
        Arc::new(Int64Array::from_iter(
            ids.map(|i| (i % 3 == 2).then_some((i % 5) as i64 * 50_000)),
        )),
    ];
    RecordBatch::try_new(catalog.streams["dossiers"].schema.clone(), columns).unwrap()
}

fn write_parquet(path: &Path, catalog: &Catalog, first: u64, n: u64, from: i64, to: i64) {
    let schema = catalog.streams["dossiers"].schema.clone();
    let mut w =
        datafusion::parquet::arrow::ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, None).unwrap();
    let step = 500_000;
    let mut at = 0;
    while at < n {
        let k = step.min(n - at);
        let span = (to - from) as f64 / n as f64;
        let lo = from + (at as f64 * span) as i64;
        let hi = from + ((at + k) as f64 * span) as i64;
        w.write(&batch(catalog, first + at, k, lo, hi)).unwrap();
        at += k;
    }
    w.close().unwrap();
}

struct Server {
    child: Child,
    base: String,
    http: reqwest::Client,
    rt: tokio::runtime::Runtime,
}

impl Server {
    fn start(queries: &Path, data: &Path) -> (Server, Duration) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let started = Instant::now();
        let child = Command::new(env!("CARGO_BIN_EXE_ioc-stream"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--fsync", "never"])
            .arg("--queries")
            .arg(queries)
            .arg("--data-dir")
            .arg(data)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start ioc-stream");
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            rt: common::runtime(1),
        };
        while server.get("/healthz").is_none() {
            std::thread::sleep(Duration::from_millis(20));
            assert!(started.elapsed() < Duration::from_secs(600), "the server did not start");
        }
        (server, started.elapsed())
    }

    fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }

    fn get(&self, path: &str) -> Option<Value> {
        let url = format!("{}{path}", self.base);
        self.rt
            .block_on(async { self.http.get(url).send().await?.json::<Value>().await })
            .ok()
    }

    fn scenario(&self) -> Value {
        self.get("/api/v1/scenarios/year_by_agency").unwrap_or(Value::Null)
    }

    /// Waits for a result, pushing a trickle of live events; answers the wait and that evaluation's time.
    fn first_result(&self, live: &mut u64) -> (Duration, f64) {
        let started = Instant::now();
        loop {
            self.trickle(live);
            let s = self.scenario();
            if s["seq"].as_u64().unwrap_or(0) >= 1 {
                return (started.elapsed(), s["last_eval_ms"].as_f64().unwrap_or(f64::NAN));
            }
            assert!(started.elapsed() < Duration::from_secs(900), "no first result: {s}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// 20 live events (inside the window), so the next tick has new data to evaluate.
    fn trickle(&self, live: &mut u64) {
        let now = chrono::Utc::now().timestamp_millis();
        let body: String = (0..20)
            .map(|k| format!("{}\n", common::event(9_000_000_000 + *live + k, now - 1_000)))
            .collect();
        *live += 20;
        let url = format!("{}/api/v1/streams/dossiers/events", self.base);
        let request = self
            .http
            .post(url)
            .header("content-type", "application/x-ndjson")
            .body(body);
        let _ = self.rt.block_on(async move { request.send().await });
    }

    fn stop(self) {
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        // Drop waits for it.
    }
}

impl Drop for Server {
    /// SIGTERM then wait: also when the benchmark fails, so no server outlives its data folder.
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

fn import(base: &str, file: &Path) -> Duration {
    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_ioc-stream"))
        .args(["import", "--url", base, "--stream", "dossiers", "--chunk", "100000"])
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let tail: Vec<&str> = std::str::from_utf8(&status.stderr)
        .unwrap_or("")
        .lines()
        .rev()
        .take(5)
        .collect();
    assert!(status.status.success(), "import of {} failed: {tail:?}", file.display());
    started.elapsed()
}

fn duckdb(files: &Path, year_start_ms: i64) {
    let script = format!(
        "import duckdb, time\n\
         con = duckdb.connect()\n\
         sql = \"SELECT agency_code, count(*), count(*) FILTER (WHERE status = 'completed'), avg(fee_vnd) \
         FROM read_parquet('{}/*/*.parquet') WHERE event_time >= to_timestamp({}) GROUP BY agency_code\"\n\
         times = []\n\
         for _ in range(5):\n\
         \x20   t = time.perf_counter(); con.execute(sql).fetchall(); times.append((time.perf_counter() - t) * 1000)\n\
         print(f'  DuckDB, same query over the same Parquet files: first {{times[0]:.1f}} ms, then p50 {{sorted(times[1:])[1]:.1f}} ms')\n",
        files.display(),
        year_start_ms / 1000
    );
    match Command::new("python3").arg("-c").arg(&script).output() {
        Ok(out) if out.status.success() => print!("{}", String::from_utf8_lossy(&out.stdout)),
        Ok(out) => println!(
            "  DuckDB: not run ({})",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("python3 failed")
        ),
        Err(e) => println!("  DuckDB: not run (python3: {e})"),
    }
}

fn main() {
    let history = env_n("IOC_BENCH_HISTORY", 100_000_000);
    let window = env_n("IOC_BENCH_WINDOW", 10_000_000);
    let imported = env_n("IOC_BENCH_IMPORT", 2_000_000);
    let dir = tempfile::tempdir().unwrap();
    let queries = dir.path().join("queries");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&queries).unwrap();
    std::fs::write(queries.join("streams.toml"), catalog_text()).unwrap();
    let catalog = Catalog::load(&queries).unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let window_start = (now - DAY).div_euclid(HOUR) * HOUR;
    let first_day = (window_start - 365 * DAY).div_euclid(DAY) * DAY;
    println!("history: {history} events over 365 days, a window of {window} events (2 cores, release)");

    // 1. The year, straight into history files.
    let started = Instant::now();
    {
        let wal = WalConfig::new(&data, Fsync::Never);
        let (store, _) = Store::open(&catalog, 16_384, Duration::from_secs(60), Caps::default(), &wal, now).unwrap();
        let stream = store.stream("dossiers").unwrap();
        let per_day = history / 365;
        for d in 0..365u64 {
            let from = first_day + d as i64 * DAY;
            let to = (from + DAY).min(window_start);
            let n = if d == 364 { history - per_day * 364 } else { per_day };
            stream
                .add_history(&[batch(&catalog, d * per_day, n, from, to)], now)
                .unwrap();
        }
        let stats = stream.history_stats().unwrap();
        let secs = started.elapsed().as_secs_f64();
        println!(
            "  written: {} events in {} files, {:.1} s ({:.2} M events/s); {:.1} MiB on disk, {:.1} bytes/event",
            stats.rows,
            stats.files,
            secs,
            stats.rows as f64 / secs / 1e6,
            stats.bytes as f64 / 1_048_576.0,
            stats.bytes as f64 / stats.rows.max(1) as f64
        );
    }

    // 2. The server on it, with "this year by agency".
    std::fs::write(queries.join("year_by_agency.sql"), SCENARIO).unwrap();
    let (server, start) = Server::start(&queries, &data);
    let rss_start = server.rss_mib();
    let mut live = 0u64;
    let (wait, first_ms) = server.first_result(&mut live);
    let s = server.scenario();
    println!(
        "  server start (opening the year's files): {:.2} s, RSS {:.0} MiB",
        start.as_secs_f64(),
        rss_start
    );
    println!(
        "  \"this year by agency\": first result after {:.1} s (that evaluation {:.0} ms; mode {}, files read {})",
        wait.as_secs_f64(),
        first_ms,
        s["mode"],
        s["history_files_read"]
    );
    let mut ticks = Vec::new();
    let mut evaluations = s["evaluations"].as_u64().unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(60);
    while ticks.len() < 30 && Instant::now() < deadline {
        server.trickle(&mut live);
        std::thread::sleep(Duration::from_millis(250));
        let s = server.scenario();
        let now_evaluations = s["evaluations"].as_u64().unwrap_or(0);
        if now_evaluations > evaluations && s["status"] == "ok" {
            evaluations = now_evaluations;
            ticks.push(Duration::from_secs_f64(
                s["last_eval_ms"].as_f64().unwrap_or(0.0) / 1000.0,
            ));
        }
    }
    ticks.sort();
    println!(
        "  per tick after that: p50 {:.2} ms, p90 {:.2} ms over {} ticks (target p50 <= 10 ms)",
        common::pct(&ticks, 50.0),
        common::pct(&ticks, 90.0),
        ticks.len()
    );
    println!(
        "  server RSS with the year and its cached aggregates: {:.0} MiB (target <= 1024 MiB beyond the window)",
        server.rss_mib()
    );
    let year_start = {
        use chrono::{Datelike, TimeZone};
        let tz: chrono::FixedOffset = chrono::FixedOffset::east_opt(7 * 3600).unwrap();
        let local = chrono::Utc::now().with_timezone(&tz);
        tz.with_ymd_and_hms(local.year(), 1, 1, 0, 0, 0)
            .unwrap()
            .timestamp_millis()
    };
    duckdb(&data.join("history/dossiers"), year_start);

    // 4. Import: into history, then the window.
    let old = dir.path().join("old.parquet");
    write_parquet(
        &old,
        &catalog,
        20_000_000_000,
        imported,
        first_day + 30 * DAY,
        first_day + 60 * DAY,
    );
    let took = import(&server.base, &old);
    println!(
        "  import of {imported} events older than the window (Parquet): {:.1} s, {:.0} events/s",
        took.as_secs_f64(),
        imported as f64 / took.as_secs_f64()
    );
    let recent = dir.path().join("window.parquet");
    write_parquet(
        &recent,
        &catalog,
        30_000_000_000,
        window,
        window_start + HOUR,
        now - 60_000,
    );
    let took = import(&server.base, &recent);
    println!(
        "  import of {window} events inside the window (Parquet): {:.1} s, {:.0} events/s; RSS then {:.0} MiB",
        took.as_secs_f64(),
        window as f64 / took.as_secs_f64(),
        server.rss_mib()
    );
    let _ = std::fs::remove_file(&old);
    let _ = std::fs::remove_file(&recent);

    // 5. Restart with the window and the year.
    server.stop();
    let (server, start) = Server::start(&queries, &data);
    let rss = server.rss_mib();
    let (wait, first_ms) = server.first_result(&mut live);
    println!(
        "  restart with {window} events in the window and the year: answering after {:.2} s (RSS {:.0} MiB); \
         \"this year by agency\" again after {:.1} s more (that evaluation {:.0} ms)",
        start.as_secs_f64(),
        rss,
        wait.as_secs_f64(),
        first_ms
    );
    server.stop();
    drop(dir);
}
