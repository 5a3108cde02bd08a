//! Freshness: from the ingest acknowledgement (HTTP 200) to the WebSocket delta that shows the event,
//! through the real server on 127.0.0.1:0, real HTTP clients and a real WebSocket client.
//!
//! Each request carries one event with a dossier id of its own; the scenario counts events per dossier over
//! the last 3 seconds, keyed by dossier, so the delta that first upserts an id is the one that shows that
//! event (a delta that arrives before the client has read its own acknowledgement counts as 0 ms). Three
//! runs, one process:
//! - the scenario evaluated every 200 ms, 10 requests/s (the interval trigger: about half the interval);
//! - the same scenario `on: change` (evaluated as soon as the stream receives data, at most every 25 ms),
//!   at 10 requests/s and at 1,000 requests/s (20 producers). Target p99 <= 50 ms at 1,000/s.
//!
//! Prints p50/p90/p99/max of each.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use ioc_stream::config::Config;
use parking_lot::Mutex;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

const SQL: &str = "SELECT dossier_id, count(*) AS n FROM dossiers \
    WHERE event_time >= now() - INTERVAL '3 seconds' GROUP BY dossier_id";

#[derive(Default)]
struct Seen {
    acked: HashMap<String, Instant>,
    shown: HashMap<String, Instant>,
}

fn main() {
    let runtime = common::runtime(2);
    println!("freshness (ack -> WebSocket delta showing the event)");
    runtime.block_on(run("every 200 ms", "-- every: 200ms\n", 10, 15));
    runtime.block_on(run("on change", "-- on: change\n", 10, 15));
    runtime.block_on(run("on change", "-- on: change\n", 1_000, 10));
}

async fn run(label: &str, header: &str, per_second: u64, seconds: u64) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("streams.toml"), common::CATALOG).unwrap();
    std::fs::write(
        dir.path().join("recent.sql"),
        format!("{header}-- key: dossier_id\n{SQL}\n"),
    )
    .unwrap();
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        queries: dir.path().to_path_buf(),
        data_dir: dir.path().join("data"),
        fsync: ioc_stream::wal::Fsync::Never,
        ..Config::default()
    };
    let server = ioc_stream::server::start(config, None).await.unwrap();
    let base = format!("http://{}", server.addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", server.addr))
        .await
        .unwrap();
    ws.send(Message::Text(
        json!({"op": "subscribe", "scenario": "recent"}).to_string().into(),
    ))
    .await
    .unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let reader = {
        let seen = seen.clone();
        tokio::spawn(async move {
            while let Some(Ok(msg)) = ws.next().await {
                let Message::Text(text) = msg else { continue };
                let v: Value = serde_json::from_str(&text).unwrap();
                let rows = match v["type"].as_str() {
                    Some("snapshot") => v["rows"].clone(),
                    Some("delta") => v["upsert"].clone(),
                    _ => continue,
                };
                let now = Instant::now();
                let mut s = seen.lock();
                for row in rows.as_array().unwrap() {
                    let id = row[0].as_str().unwrap().to_string();
                    s.shown.entry(id).or_insert(now);
                }
            }
        })
    };
    // Give the scenario its first (empty) evaluation.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let producers = if per_second >= 100 { 20 } else { 1 };
    let http = reqwest::Client::new();
    let tasks: Vec<_> = (0..producers)
        .map(|p| {
            let (http, base, seen) = (http.clone(), base.clone(), seen.clone());
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 * producers / per_second));
                for i in 0..per_second * seconds / producers {
                    tick.tick().await;
                    let id = format!("f-{p}-{i}");
                    let now = chrono::Utc::now().timestamp_millis();
                    let body = format!(
                        "{{\"event_id\":\"{id}\",\"event_time\":{now},\"dossier_id\":\"{id}\",\"status\":\"received\",\"agency_code\":\"SO_TP\",\"commune_code\":\"X0100\",\"channel\":\"online\",\"full_online\":true,\"due_at\":{now},\"fee_vnd\":0}}\n"
                    );
                    let resp = http
                        .post(format!("{base}/api/v1/streams/dossiers/events"))
                        .header("content-type", "application/x-ndjson")
                        .body(body)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(resp.status(), 200);
                    seen.lock().acked.insert(id, Instant::now());
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    reader.abort();
    let (mut latencies, total) = {
        let s = seen.lock();
        let latencies: Vec<Duration> = s
            .acked
            .iter()
            .filter_map(|(id, acked)| s.shown.get(id).map(|shown| shown.saturating_duration_since(*acked)))
            .collect();
        (latencies, s.acked.len())
    };
    let missed = total - latencies.len();
    latencies.sort();
    println!(
        "  {label:<13} {per_second:>5} requests/s, {:>6} events: p50 {:>6.1} ms  p90 {:>6.1} ms  p99 {:>6.1} ms  max {:>6.1} ms{}",
        total,
        common::pct(&latencies, 50.0),
        common::pct(&latencies, 90.0),
        common::pct(&latencies, 99.0),
        latencies.last().map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0),
        if missed > 0 { format!("  ({missed} never shown)") } else { String::new() }
    );
    server.shutdown().await;
}
