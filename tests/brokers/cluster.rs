//! Helpers of the cluster tests and benchmark: a private `nats-server` with JetStream (so a test can
//! restart it), cluster nodes as real processes of the binary, screens that follow a scenario over a real
//! WebSocket and check every `seq`, and producers that count what the cluster acknowledged.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::common::Mirror;

pub const BIN: &str = env!("CARGO_BIN_EXE_ioc-stream");
pub const REGIONS: [&str; 4] = ["north", "centre", "south", "west"];

/// The `nats-server` binary: `IOC_NATS_SERVER`, or the one on PATH or in /usr/sbin (Debian's package).
fn nats_server_bin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("IOC_NATS_SERVER") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/bin")])
        .map(|d| d.join("nats-server"))
        .find(|p| p.is_file())
}

/// A NATS server with JetStream of the test's own, on a fixed port so it can be restarted.
pub struct Nats {
    child: Option<Child>,
    pub port: u16,
    bin: PathBuf,
    dir: tempfile::TempDir,
}

impl Nats {
    /// None (after saying why) when there is no nats-server and `CI` is not set; under `CI` that fails.
    pub fn start() -> Option<Nats> {
        let Some(bin) = nats_server_bin() else {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "nats-server is not installed: CI must have it (Debian's nats-server package, or IOC_NATS_SERVER)"
                );
            }
            eprintln!("SKIPPED: nats-server is not installed (apt install nats-server, or set IOC_NATS_SERVER)");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut nats = Nats {
            child: None,
            port,
            bin,
            dir: tempfile::tempdir().unwrap(),
        };
        nats.run();
        Some(nats)
    }

    fn run(&mut self) {
        let child = Command::new(&self.bin)
            .args(["-js", "-a", "127.0.0.1", "-p", &self.port.to_string(), "-sd"])
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not listen within 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Stops the server (SIGTERM: JetStream flushes what it acknowledged), then starts it again on the
    /// same port and storage after `down`.
    pub fn restart(&mut self, down: Duration) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill").args(["-TERM", &c.id().to_string()]).status();
            let _ = c.wait();
        }
        std::thread::sleep(down);
        self.run();
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A cluster node: `serve --cluster` or `edge --cluster`, as a real process with its own folders.
pub struct Node {
    child: Child,
    pub base: String,
    pub kind: &'static str,
    pub queries: tempfile::TempDir,
    pub data: tempfile::TempDir,
}

impl Node {
    /// Starts a node on a copy of `queries`; `kind` is `serve` or `edge`.
    pub fn start(kind: &'static str, nats: &str, name: &str, queries: &Path) -> Node {
        let q = tempfile::tempdir().unwrap();
        crate::common::copy_dir(queries, q.path());
        let data = tempfile::tempdir().unwrap();
        let log = std::fs::File::create(data.path().join("stderr.log")).unwrap();
        let mut child = Command::new(BIN)
            .args([
                kind,
                "--listen",
                "127.0.0.1:0",
                "--cluster",
                nats,
                "--cluster-name",
                name,
                "--queries",
            ])
            .arg(q.path())
            .arg("--data-dir")
            .arg(data.path())
            .env("RUST_LOG", "ioc_stream=info")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("the binary starts");
        let base = crate::common::listening(&mut child).unwrap_or_else(|line| {
            let log = std::fs::read_to_string(data.path().join("stderr.log")).unwrap_or_default();
            panic!(
                "the {kind} node did not start: {line:?}
{log}"
            )
        });
        Node {
            child,
            base,
            kind,
            queries: q,
            data,
        }
    }

    pub fn ws_url(&self) -> String {
        format!("{}/ws", self.base.replacen("http://", "ws://", 1))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// What the node logged (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.path().join("stderr.log")).unwrap_or_default()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET /api/v1/cluster`, when the node answers.
pub async fn view(http: &reqwest::Client, base: &str) -> Option<Value> {
    let r = http
        .get(format!("{base}/api/v1/cluster"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()?;
    if !r.status().is_success() {
        return None;
    }
    r.json().await.ok()
}

/// Waits until `base` reports a leader (other than `not`) and `nodes` members; returns the leader's id.
pub async fn leader(http: &reqwest::Client, base: &str, nodes: usize, not: Option<&str>, wait: Duration) -> String {
    let deadline = Instant::now() + wait;
    loop {
        if let Some(v) = view(http, base).await {
            let leader = v["leader"].as_str().map(str::to_string);
            let n = v["nodes"].as_array().map_or(0, |a| a.len());
            if let Some(l) = leader.filter(|l| Some(l.as_str()) != not) {
                if n >= nodes {
                    return l;
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "no leader with {nodes} nodes within {wait:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The node id that `base` reports for itself.
pub async fn node_id(http: &reqwest::Client, base: &str) -> String {
    let v = view(http, base).await.expect("the node answers /api/v1/cluster");
    v["node"].as_str().unwrap().to_string()
}

/// What one screen saw.
#[derive(Debug, Default)]
pub struct Seen {
    pub mirror: Mirror,
    pub epochs: BTreeSet<String>,
    /// Gaps, unexpected messages: anything a screen must never see.
    pub errors: Vec<String>,
    pub updates: usize,
    /// When each update arrived, by seq (for latency figures).
    pub arrived: Vec<(u64, Instant)>,
}

pub type Shared = Arc<Mutex<Seen>>;

/// Follows `scenario` on `ws_url` until the connection ends; `resume` picks up where `seen` is.
pub async fn follow(ws_url: String, scenario: &str, seen: Shared, resume: bool) {
    let Ok((mut ws, _)) = tokio_tungstenite::connect_async(&ws_url).await else {
        seen.lock().unwrap().errors.push(format!("cannot connect to {ws_url}"));
        return;
    };
    let mut op = json!({"op": "subscribe", "scenario": scenario});
    if resume {
        let s = seen.lock().unwrap();
        op["resume"] = json!({"epoch": s.mirror.epoch, "seq": s.mirror.seq});
    }
    if ws.send(Message::Text(op.to_string().into())).await.is_err() {
        return;
    }
    while let Some(Ok(msg)) = ws.next().await {
        let Message::Text(text) = msg else { continue };
        let v: Value = serde_json::from_str(&text).unwrap();
        let mut s = seen.lock().unwrap();
        // (no await below while the lock is held)
        match v["type"].as_str() {
            Some("snapshot") | Some("delta") => {
                s.updates += 1;
                if let Some(e) = v["epoch"].as_str() {
                    s.epochs.insert(e.to_string());
                }
                if let Err(e) = s.mirror.apply(&v) {
                    s.errors.push(e);
                }
                let seq = s.mirror.seq;
                s.arrived.push((seq, Instant::now()));
            }
            Some("heartbeat") | Some("pong") => {}
            _ => s.errors.push(format!("unexpected message: {v}")),
        }
    }
}

/// The by_region scenario's rows as `region -> (n, total)`.
pub fn by_region(m: &Mirror) -> BTreeMap<String, (i64, i64)> {
    let col = |name: &str| m.columns.iter().position(|c| c == name);
    let (Some(r), Some(n), Some(t)) = (col("region"), col("n"), col("total")) else {
        return BTreeMap::new();
    };
    m.rows
        .values()
        .map(|row| {
            (
                row[r].as_str().unwrap().to_string(),
                (row[n].as_i64().unwrap(), row[t].as_i64().unwrap()),
            )
        })
        .collect()
}

/// What the cluster acknowledged: `region -> (count, sum of amount)`.
pub type Acked = Arc<Mutex<BTreeMap<String, (i64, i64)>>>;

/// One batch of `per` orders, ids unique to `(run, batch)`.
pub fn batch(run: &str, b: usize, per: usize) -> (String, Vec<(&'static str, i64)>) {
    let now = chrono::Utc::now().to_rfc3339();
    let mut body = String::new();
    let mut rows = Vec::new();
    for j in 0..per {
        let region = REGIONS[(b * 7 + j) % REGIONS.len()];
        let amount = ((b * 13 + j * 7) % 100) as i64;
        body.push_str(&format!(
            "{}\n",
            json!({"event_id": format!("{run}-{b}-{j}"), "event_time": now, "region": region, "amount": amount})
        ));
        rows.push((region, amount));
    }
    (body, rows)
}

/// Posts batches `from..to` to the nodes in turn; a batch that a node does not acknowledge is sent again
/// (to the next node) until one does, and only then counted. Ids make a repeat harmless. An error names
/// the batch that was never acknowledged (within about a minute) and the last answer.
#[allow(clippy::too_many_arguments)]
pub async fn produce(
    http: reqwest::Client,
    bases: Vec<String>,
    run: String,
    from: usize,
    to: usize,
    per: usize,
    acked: Acked,
    pause: Duration,
) -> Result<(), String> {
    for b in from..to {
        let (body, rows) = batch(&run, b, per);
        let mut attempt = 0;
        let started = Instant::now();
        loop {
            let base = &bases[(b + attempt) % bases.len()];
            let sent = http
                .post(format!("{base}/api/v1/streams/orders/events"))
                .header("content-type", "application/x-ndjson")
                .timeout(Duration::from_secs(15))
                .body(body.clone())
                .send()
                .await;
            let last = match sent {
                Ok(r) if r.status().is_success() => break,
                Ok(r) => format!("{} {}", r.status(), r.text().await.unwrap_or_default()),
                Err(e) => e.to_string(),
            };
            attempt += 1;
            if started.elapsed() > Duration::from_secs(60) {
                return Err(format!(
                    "batch {b} was not acknowledged in 60 s ({attempt} attempts); last answer: {last}"
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        {
            let mut a = acked.lock().unwrap();
            for (region, amount) in rows {
                let e = a.entry(region.to_string()).or_default();
                e.0 += 1;
                e.1 += amount;
            }
        }
        tokio::time::sleep(pause).await;
    }
    Ok(())
}
