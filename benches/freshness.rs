//! Freshness: from the ingest acknowledgement (HTTP 200) to the WebSocket delta that reflects the event,
//! through the real server on 127.0.0.1:0, a real HTTP client and a real WebSocket client. The scenario is
//! evaluated every 200 ms, so the expected p50 is about half the interval; the target is p99 under the
//! interval plus 50 ms. Prints p50/p90/p99/max.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use ioc_stream::config::Config;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

const EVERY_MS: u64 = 200;
const ITERATIONS: usize = 150;

fn main() {
    let runtime = common::runtime(2);
    runtime.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("streams.toml"), common::CATALOG).unwrap();
    std::fs::write(
        dir.path().join("by_agency.sql"),
        format!(
            "-- every: {EVERY_MS}ms\n-- key: agency_code\nSELECT agency_code, count(*) AS n FROM dossiers GROUP BY agency_code\n"
        ),
    )
    .unwrap();
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        queries: dir.path().to_path_buf(),
        data_dir: dir.path().join("data"),
        ..Config::default()
    };
    let server = ioc_stream::server::start(config, None).await.unwrap();
    let base = format!("http://{}", server.addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", server.addr))
        .await
        .unwrap();
    ws.send(Message::Text(
        json!({"op": "subscribe", "scenario": "by_agency"}).to_string().into(),
    ))
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let mut counts: HashMap<String, i64> = HashMap::new();
    let mut latencies = Vec::with_capacity(ITERATIONS);
    let now = chrono::Utc::now().timestamp_millis();
    for i in 0..ITERATIONS as u64 {
        // A random phase against the evaluation tick.
        tokio::time::sleep(Duration::from_millis(rand::random::<u64>() % EVERY_MS)).await;
        let body = common::event(i, now) + "\n";
        let agency = common::AGENCIES[(i % 8) as usize].to_string();
        let resp = http
            .post(format!("{base}/api/v1/streams/dossiers/events"))
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let acked = Instant::now();
        let want = counts.get(&agency).copied().unwrap_or(0) + 1;
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
                .await
                .expect("an update")
                .unwrap()
                .unwrap();
            let Message::Text(text) = msg else { continue };
            let v: Value = serde_json::from_str(&text).unwrap();
            let rows = match v["type"].as_str() {
                Some("snapshot") => v["rows"].clone(),
                Some("delta") => v["upsert"].clone(),
                _ => continue,
            };
            for row in rows.as_array().unwrap() {
                counts.insert(row[0].as_str().unwrap().to_string(), row[1].as_i64().unwrap());
            }
            if counts.get(&agency).copied() == Some(want) {
                latencies.push(acked.elapsed());
                break;
            }
        }
    }
    latencies.sort();
    println!(
        "freshness (ack -> WebSocket delta), scenario every {EVERY_MS} ms, {ITERATIONS} events: p50 {:.1} ms  p90 {:.1} ms  p99 {:.1} ms  max {:.1} ms  (target p99 < {} ms)",
        common::pct(&latencies, 50.0),
        common::pct(&latencies, 90.0),
        common::pct(&latencies, 99.0),
        latencies.last().unwrap().as_secs_f64() * 1000.0,
        EVERY_MS + 50
    );
    server.shutdown().await;
}
