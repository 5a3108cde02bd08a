//! Connectors, through the real server (in process, 127.0.0.1:0) and the real NATS JetStream on
//! 127.0.0.1:4222:
//! - JetStream source throughput: messages of 10,000 events and of 100 events are published to a JetStream
//!   stream first, then a server with a source on it starts; events/s from its start until the store holds
//!   all of them (decode + validate + WAL under `interval` + ack). The broker's `max_payload` (1 MiB by
//!   default) caps a message: the large messages hold 10,000 events, or as many as fit (printed). Beside it, in the same run, HTTP NDJSON
//!   ingest of the same bodies (4 producers).
//! - End to end: one event per JetStream message, 100 messages/s, to an `on: change` scenario keyed by
//!   dossier; from just before `publish` to the WebSocket delta that shows the event. p50/p99.
//!
//! Skips (with a message) when NATS is not reachable.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use futures::{SinkExt, StreamExt};
use ioc_stream::config::Config;
use parking_lot::Mutex;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

const NATS: &str = "127.0.0.1:4222";
const EVENTS: u64 = 400_000;

fn main() {
    if std::net::TcpStream::connect_timeout(&NATS.parse().unwrap(), Duration::from_secs(2)).is_err() {
        println!("connectors: SKIPPED, NATS is not reachable at {NATS}");
        return;
    }
    let runtime = common::runtime(2);
    println!("connectors: {EVENTS} events per case, ~200 bytes/event, fsync interval");
    runtime.block_on(async {
        if std::env::var_os("IOC_BENCH_LATENCY_ONLY").is_some() {
            latency().await;
            return;
        }
        // The broker caps a message at its max_payload (1 MiB by default): the large messages hold 10,000
        // events when they fit, else as many as fit.
        let max_payload = async_nats::connect(NATS).await.unwrap().server_info().max_payload as u64;
        let large = (max_payload * 9 / 10 / 210).min(10_000);
        println!("  (broker max_payload {max_payload} bytes: large messages of {large} events)");
        for per_message in [large, 100] {
            jetstream_source(per_message).await;
            http_ingest(per_message).await;
        }
        latency().await;
    });
}

fn tag() -> String {
    format!("{:08x}", rand::random::<u32>())
}

fn bodies(per_message: u64) -> Vec<String> {
    let now = chrono::Utc::now().timestamp_millis();
    (0..EVENTS.div_ceil(per_message))
        .map(|m| {
            (m * per_message..((m + 1) * per_message).min(EVENTS))
                .map(|i| common::event(i, now + (i % per_message) as i64) + "\n")
                .collect()
        })
        .collect()
}

fn queries(sources: &str, scenario: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("streams.toml"),
        format!("{}\n{sources}", common::CATALOG),
    )
    .unwrap();
    if let Some(sql) = scenario {
        std::fs::write(dir.path().join("recent.sql"), sql).unwrap();
    }
    dir
}

async fn start(dir: &std::path::Path) -> ioc_stream::server::Running {
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        queries: dir.to_path_buf(),
        data_dir: dir.join("data"),
        ..Config::default()
    };
    ioc_stream::server::start(config, None).await.unwrap()
}

fn source(t: &str, max_messages: usize) -> String {
    format!(
        r#"[[streams.dossiers.sources]]
kind = "nats"
url = "nats://{NATS}"
stream = "IOCB_{t}"
subject = "iocb.{t}"
durable = "iocb-{t}"
batch = {{ max_messages = {max_messages}, max_bytes = 33554432, linger_ms = 5 }}
"#
    )
}

async fn js_stream(t: &str) -> jetstream::Context {
    let js = jetstream::new(async_nats::connect(NATS).await.unwrap());
    js.get_or_create_stream(jetstream::stream::Config {
        name: format!("IOCB_{t}"),
        subjects: vec![format!("iocb.{t}")],
        ..Default::default()
    })
    .await
    .unwrap();
    js
}

async fn jetstream_source(per_message: u64) {
    let t = tag();
    let js = js_stream(&t).await;
    let bodies = bodies(per_message);
    let mut acks = Vec::new();
    for b in &bodies {
        acks.push(js.publish(format!("iocb.{t}"), b.clone().into()).await.unwrap());
        if acks.len() >= 256 {
            for a in acks.drain(..) {
                a.await.unwrap();
            }
        }
    }
    for a in acks {
        a.await.unwrap();
    }
    let max_messages = if per_message >= 1_000 { 4 } else { 500 };
    let dir = queries(&source(&t, max_messages), None);
    let started = Instant::now();
    let server = start(dir.path()).await;
    let store = server.state.store.stream("dossiers").unwrap().clone();
    while (store.stats().rows as u64) < EVENTS {
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(started.elapsed() < Duration::from_secs(300), "the source stalled");
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "  JetStream source, {per_message:>6}-event messages: {:>9.0} events/s  ({:.2} s)",
        EVENTS as f64 / secs,
        secs
    );
    server.shutdown().await;
    let _ = js.delete_stream(format!("IOCB_{t}")).await;
}

async fn http_ingest(per_message: u64) {
    let dir = queries("", None);
    let server = start(dir.path()).await;
    let base = format!("http://{}", server.addr);
    let bodies = Arc::new(bodies(per_message));
    let http = reqwest::Client::new();
    let started = Instant::now();
    let producers = 4;
    let tasks: Vec<_> = (0..producers)
        .map(|p| {
            let (http, base, bodies) = (http.clone(), base.clone(), bodies.clone());
            tokio::spawn(async move {
                for b in bodies.iter().skip(p).step_by(producers) {
                    let r = http
                        .post(format!("{base}/api/v1/streams/dossiers/events"))
                        .header("content-type", "application/x-ndjson")
                        .body(b.clone())
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 200);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "  HTTP NDJSON (4 producers), {per_message:>6}-event requests: {:>9.0} events/s  ({:.2} s)",
        EVENTS as f64 / secs,
        secs
    );
    server.shutdown().await;
}

async fn latency() {
    let t = tag();
    let js = js_stream(&t).await;
    let sql = "-- on: change\n-- key: dossier_id\nSELECT dossier_id, count(*) AS n FROM dossiers \
               WHERE event_time >= now() - INTERVAL '3 seconds' GROUP BY dossier_id\n";
    let dir = queries(&source(&t, 500), Some(sql));
    let server = start(dir.path()).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", server.addr))
        .await
        .unwrap();
    ws.send(Message::Text(
        json!({"op": "subscribe", "scenario": "recent"}).to_string().into(),
    ))
    .await
    .unwrap();
    let shown: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let reader = {
        let shown = shown.clone();
        tokio::spawn(async move {
            while let Some(Ok(msg)) = ws.next().await {
                // Pings come every 10 s: only text frames are messages.
                let Message::Text(text) = msg else { continue };
                let v: Value = serde_json::from_str(&text).unwrap();
                let rows = match v["type"].as_str() {
                    Some("snapshot") => v["rows"].clone(),
                    Some("delta") => v["upsert"].clone(),
                    _ => continue,
                };
                let now = Instant::now();
                let mut s = shown.lock();
                for row in rows.as_array().unwrap() {
                    s.entry(row[0].as_str().unwrap().to_string()).or_insert(now);
                }
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let mut sent = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    for i in 0..1_000u64 {
        tick.tick().await;
        let id = format!("lat-{i}");
        let now = chrono::Utc::now().timestamp_millis();
        let body = format!(
            "{{\"event_id\":\"{id}\",\"event_time\":{now},\"dossier_id\":\"{id}\",\"status\":\"received\",\"agency_code\":\"SO_TP\",\"commune_code\":\"X0100\",\"channel\":\"online\",\"full_online\":true,\"due_at\":{now},\"fee_vnd\":0}}\n"
        );
        sent.insert(id, Instant::now());
        js.publish(format!("iocb.{t}"), body.into()).await.unwrap();
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    reader.abort();
    let mut latencies: Vec<Duration> = {
        let shown = shown.lock();
        sent.iter()
            .filter_map(|(id, at)| shown.get(id).map(|s| s.saturating_duration_since(*at)))
            .collect()
    };
    latencies.sort();
    let mut missing: Vec<u64> = {
        let shown = shown.lock();
        sent.keys()
            .filter(|id| !shown.contains_key(*id))
            .filter_map(|id| id.strip_prefix("lat-")?.parse().ok())
            .collect()
    };
    missing.sort();
    if !missing.is_empty() {
        println!(
            "  never shown: lat-{} .. lat-{}",
            missing[0],
            missing[missing.len() - 1]
        );
    }
    println!(
        "  JetStream publish -> WebSocket delta (on: change, 100 msg/s, {} events): p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms{}",
        sent.len(),
        common::pct(&latencies, 50.0),
        common::pct(&latencies, 99.0),
        latencies.last().map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0),
        if latencies.len() < sent.len() { format!("  ({} never shown)", sent.len() - latencies.len()) } else { String::new() }
    );
    server.shutdown().await;
    let _ = js.delete_stream(format!("IOCB_{t}")).await;
}
