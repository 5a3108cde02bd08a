//! Load tool: N real WebSocket clients (default 10,000; `IOC_CLIENTS` to change; capped by the file
//! descriptor limit) against the real server binary running as its own process, each subscribed to 5
//! scenarios that change once a second. Prints the server's resident memory per idle connection, delivery
//! latency from evaluation (`evaluated_at`) to receipt p50/p99/p99.9, and messages per second.
//! Run with `cargo bench --bench fanout_load` (release build of the server); `IOC_BIN=path` runs another
//! build of the server with the same clients.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

const SCENARIOS: usize = 5;
const MEASURE: Duration = Duration::from_secs(20);

fn main() {
    let wanted: usize = std::env::var("IOC_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let clients = wanted.min(common::fd_limit().saturating_sub(200));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("streams.toml"), common::CATALOG).unwrap();
    for i in 0..SCENARIOS {
        std::fs::write(
            dir.path().join(format!("tick{i}.sql")),
            format!("-- every: 1s\nSELECT {i} AS k, date_trunc('second', now()) AS second, 'x' AS pad\n"),
        )
        .unwrap();
    }
    // Every client comes from 127.0.0.1: lift the per-address cap (1,000 by default).
    let config = dir.path().join("load.toml");
    std::fs::write(&config, "[limits]\nmax_connections_per_ip = 1000000\n").unwrap();
    // IOC_BIN: another build of the server (to compare two versions with the same client).
    let bin = std::env::var("IOC_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_ioc-stream").to_string());
    let mut server = Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("--queries")
        .arg(dir.path())
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("the server binary starts");
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .expect("listening line")
        .to_string();
    let pid = server.id();
    // Two threads: one client thread cannot read 50,000 messages a second on time and would measure itself.
    let runtime = common::runtime(2);
    runtime.block_on(run(addr, pid, clients));
    let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    let _ = server.wait();
}

async fn run(addr: String, pid: u32, clients: usize) {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss0 = common::rss_kib(pid);
    let url = format!("ws://{addr}/ws");
    let started = Instant::now();
    let mut sockets = Vec::with_capacity(clients);
    let mut pending = futures::stream::iter(0..clients)
        .map(|_| {
            let url = url.clone();
            async move { tokio_tungstenite::connect_async(url).await.map(|(ws, _)| ws) }
        })
        .buffer_unordered(256);
    while let Some(ws) = pending.next().await {
        match ws {
            Ok(ws) => sockets.push(ws),
            Err(e) => {
                eprintln!("connect failed after {} clients: {e}", sockets.len());
                break;
            }
        }
    }
    let connected = sockets.len();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss1 = common::rss_kib(pid);
    println!(
        "fanout_load: {connected} clients connected in {:.1} s; server RSS {} MiB idle -> {} MiB: {:.1} KiB per idle connection (target <= 8)",
        started.elapsed().as_secs_f64(),
        rss0 / 1024,
        rss1 / 1024,
        (rss1.saturating_sub(rss0)) as f64 / connected.max(1) as f64
    );

    let messages = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(parking_lot::Mutex::new(Vec::<u32>::with_capacity(connected * 100)));
    let stop = tokio_util::sync::CancellationToken::new();
    let mut tasks = Vec::new();
    for mut ws in sockets {
        let (messages, latencies, stop) = (messages.clone(), latencies.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..SCENARIOS {
                let sub = format!(r#"{{"op":"subscribe","scenario":"tick{i}"}}"#);
                if ws.send(Message::Text(sub.into())).await.is_err() {
                    return;
                }
            }
            loop {
                let msg = tokio::select! {
                    _ = stop.cancelled() => return,
                    m = ws.next() => m,
                };
                let Some(Ok(Message::Text(text))) = msg else {
                    if msg.is_none() {
                        return;
                    }
                    continue;
                };
                let now = chrono::Utc::now();
                messages.fetch_add(1, Ordering::Relaxed);
                // Only snapshots of a new second carry a fresh evaluation; the first one may be older.
                if let Some(at) = text.find("\"evaluated_at\":\"").map(|i| &text[i + 16..i + 40]) {
                    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(at) {
                        let ms = (now - t.with_timezone(&chrono::Utc)).num_milliseconds();
                        if (0..60_000).contains(&ms) {
                            latencies.lock().push(ms as u32);
                        }
                    }
                }
            }
        }));
    }
    // Skip the initial snapshots, then measure.
    tokio::time::sleep(Duration::from_secs(3)).await;
    latencies.lock().clear();
    let m0 = messages.load(Ordering::Relaxed);
    tokio::time::sleep(MEASURE).await;
    let m1 = messages.load(Ordering::Relaxed);
    let rss2 = common::rss_kib(pid);
    stop.cancel();
    for t in tasks {
        let _ = t.await;
    }
    let mut l = std::mem::take(&mut *latencies.lock());
    l.sort_unstable();
    let pct = |q: f64| l.get(((l.len().max(1) - 1) as f64 * q) as usize).copied().unwrap_or(0);
    println!(
        "  {SCENARIOS} scenarios x 1 update/s: {:.0} messages/s received; latency evaluation -> receipt p50 {} ms, p99 {} ms, p99.9 {} ms (target p99 < 250); server RSS while busy {} MiB",
        (m1 - m0) as f64 / MEASURE.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        pct(0.999),
        rss2 / 1024
    );
}
