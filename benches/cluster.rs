//! Cluster figures (docs/cluster.md), printed: real processes around a private `nats-server` with
//! JetStream, the same helpers as `tests/cluster.rs`.
//!
//! 1. Ingest: events/s acknowledged by a single node (its WAL, `interval` fsync) beside a cluster engine
//!    node (JetStream acknowledgements), same producers (4 tasks, 5,000-event NDJSON requests), same run.
//! 2. Failover: SIGKILL of the leader to the first update a screen on an edge gets from the new leader,
//!    p50 and max over `IOC_BENCH_ROUNDS` rounds (default 10); the killed node comes back as a standby.
//! 3. Clients on 2 edges (`IOC_CLIENTS`, default 4,000 in all; capped by the open-file limit): bytes of
//!    the edges' memory per idle connection, and delivery latency (evaluation to receipt) p50/p99 under
//!    load.
//!
//! Run with `cargo bench --bench cluster`.

#[path = "../tests/brokers/cluster.rs"]
mod cluster;
#[path = "../tests/common/mod.rs"]
mod common;
#[path = "common/mod.rs"]
mod common_bench;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cluster::*;
use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

fn fixture() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic")
}

fn pct(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// A single node, as `serve` without `--cluster`.
struct Single {
    child: std::process::Child,
    base: String,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl Single {
    fn start() -> Single {
        let q = tempfile::tempdir().unwrap();
        for f in ["streams.toml", "by_region.sql"] {
            std::fs::copy(fixture().join(f), q.path().join(f)).unwrap();
        }
        std::fs::create_dir_all(q.path().join("reference")).unwrap();
        std::fs::copy(
            fixture().join("reference/regions.csv"),
            q.path().join("reference/regions.csv"),
        )
        .unwrap();
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--queries"])
            .arg(q.path())
            .arg("--data-dir")
            .arg(data.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = common::listening(&mut child).expect("the single node starts");
        Single {
            child,
            base,
            _dirs: (q, data),
        }
    }
}

impl Drop for Single {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Acknowledged events per second from 4 producers posting 5,000-event requests for `secs`.
async fn ingest_rate(http: &reqwest::Client, base: &str, secs: u64) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for p in 0..4 {
        let (http, base, done) = (http.clone(), base.to_string(), done.clone());
        tasks.push(tokio::spawn(async move {
            let run = format!("p{p}-{:08x}", rand::random::<u32>());
            let mut b = 0;
            while Instant::now() < deadline {
                let (body, rows) = batch(&run, b, 5_000);
                let r = http
                    .post(format!("{base}/api/v1/streams/orders/events"))
                    .header("content-type", "application/x-ndjson")
                    .body(body)
                    .send()
                    .await;
                if r.is_ok_and(|r| r.status().is_success()) {
                    done.fetch_add(rows.len() as u64, Ordering::Relaxed);
                }
                b += 1;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let Some(nats) = Nats::start() else { return };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let nats = &nats;
    rt.block_on(async move {
        let http = reqwest::Client::new();
        let queries = fixture();

        // 1. Ingest, single node beside a cluster node.
        let single = Single::start();
        let single_rate = ingest_rate(&http, &single.base, 8).await;
        drop(single);
        let name = format!("bench{:06x}", rand::random::<u32>() & 0xffffff);
        let node = Node::start("serve", &nats.url(), &name, &queries);
        leader(&http, &node.base, 1, None, Duration::from_secs(20)).await;
        let cluster_rate = ingest_rate(&http, &node.base, 8).await;
        drop(node);
        println!("ingest, 4 producers x 5,000-event NDJSON requests, 8 s each:");
        println!("  single node (WAL, fsync interval)   {:>10.0} events/s", single_rate);
        println!("  cluster engine node (JetStream ack) {:>10.0} events/s", cluster_rate);

        // 2. Failover.
        let rounds: usize = std::env::var("IOC_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
        let name = format!("bench{:06x}", rand::random::<u32>() & 0xffffff);
        let mut engines = vec![Node::start("serve", &nats.url(), &name, &queries)];
        leader(&http, &engines[0].base, 1, None, Duration::from_secs(20)).await;
        engines.push(Node::start("serve", &nats.url(), &name, &queries));
        let edge = Node::start("edge", &nats.url(), &name, &queries);
        leader(&http, &edge.base, 3, None, Duration::from_secs(20)).await;
        let seen = Shared::default();
        let screen = tokio::spawn(follow(edge.ws_url(), "by_region", seen.clone(), false));
        let acked: Acked = Arc::default();
        let stop = Arc::new(AtomicU64::new(0));
        let bases = Arc::new(Mutex::new(engines.iter().map(|e| e.base.clone()).collect::<Vec<_>>()));
        let producer = {
            let (http, bases, stop, acked) = (http.clone(), bases.clone(), stop.clone(), acked.clone());
            tokio::spawn(async move {
                let mut b = 0;
                while stop.load(Ordering::Relaxed) == 0 {
                    let now = bases.lock().unwrap().clone();
                    produce(http.clone(), now, "fo".into(), b, b + 1, 20, acked.clone(), Duration::from_millis(50)).await.unwrap();
                    b += 1;
                }
            })
        };
        let mut times = Vec::new();
        for round in 0..rounds {
            let mut ids = Vec::new();
            for e in &engines {
                ids.push(node_id(&http, &e.base).await);
            }
            let old = leader(&http, &edge.base, 3, None, Duration::from_secs(20)).await;
            let i = ids.iter().position(|id| *id == old).expect("the leader is one of the engines");
            let seq_at_kill = seen.lock().unwrap().mirror.seq;
            let killed = Instant::now();
            engines[i].kill();
            let first = loop {
                let found = {
                    let s = seen.lock().unwrap();
                    s.arrived.iter().find(|(seq, at)| *seq > seq_at_kill && *at > killed).map(|(_, at)| *at)
                };
                if let Some(at) = found {
                    break at;
                }
                assert!(killed.elapsed() < Duration::from_secs(30), "no update from a new leader in 30 s");
                tokio::time::sleep(Duration::from_millis(5)).await;
            };
            let took = first.duration_since(killed).as_secs_f64();
            println!("  round {round}: first update from the new leader {took:.2} s after SIGKILL");
            times.push(took);
            engines[i] = Node::start("serve", &nats.url(), &name, &queries);
            *bases.lock().unwrap() = engines.iter().map(|e| e.base.clone()).collect();
            leader(&http, &edge.base, 3, None, Duration::from_secs(20)).await;
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        stop.store(1, Ordering::Relaxed);
        producer.await.unwrap();
        times.sort_by(f64::total_cmp);
        let errors = seen.lock().unwrap().errors.clone();
        println!(
            "failover over {rounds} rounds: p50 {:.2} s, max {:.2} s (lease 3 s); screen errors (gaps): {}",
            pct(&times, 0.5),
            times.last().copied().unwrap_or(f64::NAN),
            errors.len()
        );
        screen.abort();
        drop(edge);
        drop(engines);

        // 3. Clients on two edges.
        let wanted: usize = std::env::var("IOC_CLIENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(4_000);
        let clients = wanted.min(common_bench::fd_limit().saturating_sub(300));
        let name = format!("bench{:06x}", rand::random::<u32>() & 0xffffff);
        let engine = Node::start("serve", &nats.url(), &name, &queries);
        leader(&http, &engine.base, 1, None, Duration::from_secs(20)).await;
        let edges = [
            Node::start("edge", &nats.url(), &name, &queries),
            Node::start("edge", &nats.url(), &name, &queries),
        ];
        leader(&http, &edges[0].base, 3, None, Duration::from_secs(20)).await;
        // One screen per edge first, so each edge's feed runs before the measured clients connect.
        let warm: Vec<_> = edges.iter().map(|e| tokio::spawn(follow(e.ws_url(), "by_region", Shared::default(), false))).collect();
        tokio::time::sleep(Duration::from_secs(2)).await;
        let rss_before: u64 = edges.iter().map(|e| common_bench::rss_kib(e.pid())).sum();
        let latencies = Arc::new(Mutex::new(Vec::<f64>::new()));
        let measuring = Arc::new(AtomicU64::new(0));
        let mut held = Vec::new();
        for c in 0..clients {
            let url = edges[c % 2].ws_url();
            let Ok((mut ws, _)) = tokio_tungstenite::connect_async(&url).await else { continue };
            let sub = serde_json::json!({"op": "subscribe", "scenario": "by_region"}).to_string();
            let _ = ws.send(Message::Text(sub.into())).await;
            let (latencies, measuring) = (latencies.clone(), measuring.clone());
            held.push(tokio::spawn(async move {
                while let Some(Ok(m)) = ws.next().await {
                    let Message::Text(t) = m else { continue };
                    if measuring.load(Ordering::Relaxed) == 0 {
                        continue;
                    }
                    let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                    if v["type"] != "delta" && v["type"] != "snapshot" {
                        continue;
                    }
                    if let Some(at) = v["evaluated_at"].as_str().and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()) {
                        let ms = (chrono::Utc::now() - at.with_timezone(&chrono::Utc)).num_microseconds().unwrap_or(0) as f64 / 1000.0;
                        latencies.lock().unwrap().push(ms);
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        let rss_after: u64 = edges.iter().map(|e| common_bench::rss_kib(e.pid())).sum();
        let per_conn = (rss_after.saturating_sub(rss_before) * 1024) as f64 / held.len().max(1) as f64;
        measuring.store(1, Ordering::Relaxed);
        let acked: Acked = Arc::default();
        produce(http.clone(), vec![engine.base.clone()], "load".into(), 0, 150, 20, acked, Duration::from_millis(100)).await.unwrap();
        measuring.store(0, Ordering::Relaxed);
        let mut l = latencies.lock().unwrap().clone();
        l.sort_by(f64::total_cmp);
        println!(
            "{} clients on 2 edges: {:.0} bytes of edge memory per idle connection; update latency p50 {:.0} ms, p99 {:.0} ms over {} deliveries",
            held.len(),
            per_conn,
            pct(&l, 0.5),
            pct(&l, 0.99),
            l.len()
        );
        for h in held {
            h.abort();
        }
        for w in warm {
            w.abort();
        }
        drop(edges);
        drop(engine);
    });
}
