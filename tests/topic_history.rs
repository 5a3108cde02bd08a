//! What a topic keeps for `resume` is bounded by bytes as well as by count (issue 13, item 2): a large
//! unkeyed scenario that changes at every evaluation holds one snapshot, not hundreds, with no client
//! connected; the bytes kept are in `/metrics`; a resume the history cannot serve gets a snapshot.
//! Real server, real WebSocket clients.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::*;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);

fn gauge(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_unkeyed_scenario_keeps_one_snapshot_and_the_bytes_are_counted() {
    let dir = copy_fixture("basic");
    std::fs::write(
        dir.path().join("all_orders.sql"),
        "-- every: 100ms\nSELECT event_id, region, amount, now() AS at FROM orders\n",
    )
    .unwrap();
    let server = TestServer::start(dir.path()).await;
    let now = Utc::now().timestamp_millis();
    let rows: Vec<Value> = (0..9000)
        .map(|i| json!({"event_id": format!("o{i}"), "event_time": now, "region": format!("r{}", i % 50), "amount": i}))
        .collect();
    let (status, _) = server.ndjson("orders", &rows).await;
    assert_eq!(status, 200);
    // Twenty updates of ~600 KB each: 12 MB if every one were kept.
    eventually(WAIT, || async {
        let s = server.scenario("all_orders").await?;
        (s["seq"].as_u64()? >= 20 && s["result_rows"] == 9000).then_some(())
    })
    .await;
    let metrics = server.metrics().await;
    let held = gauge(&metrics, "ioc_fanout_history_bytes").expect("ioc_fanout_history_bytes in /metrics");
    assert!(held <= (1 << 20) as f64, "history holds {held} bytes");

    // A client that was far behind gets a snapshot of every row, then the next updates.
    let mut ws = server.ws().await;
    let seq = server.scenario("all_orders").await.unwrap()["seq"].as_u64().unwrap();
    let epoch = server.scenario("all_orders").await.unwrap()["epoch"].clone();
    send(
        &mut ws,
        json!({"op": "subscribe", "scenario": "all_orders", "resume": {"epoch": epoch, "seq": 1}}),
    )
    .await;
    let first = loop {
        let m = recv(&mut ws, WAIT).await.expect("a message");
        if m["scenario"] == "all_orders" {
            break m;
        }
    };
    assert_eq!(first["type"], "snapshot");
    assert!(first["seq"].as_u64().unwrap() >= seq);
    assert_eq!(first["rows"].as_array().unwrap().len(), 9000);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_past_the_byte_bound_gets_a_snapshot() {
    let server = TestServer::start_with(&fixture("basic"), |c| c.limits.topic_history_bytes = 600, None).await;
    let order = |i: usize| json!({"event_id": format!("a{i}"), "event_time": Utc::now().timestamp_millis(), "region": "north", "amount": 1});
    server.ndjson("orders", &[order(0)]).await;
    let by_region = eventually(WAIT, || async {
        server
            .scenario("by_region")
            .await
            .filter(|s| s["seq"].as_u64() >= Some(1))
    })
    .await;
    let (epoch, from) = (by_region["epoch"].clone(), by_region["seq"].as_u64().unwrap());
    // Deltas of ~200 bytes each: 600 bytes hold about three of them.
    for i in 1..=8 {
        server.ndjson("orders", &[order(i)]).await;
        let want = from + i as u64;
        eventually(WAIT, || async {
            let s = server.scenario("by_region").await?;
            (s["seq"].as_u64()? >= want).then_some(())
        })
        .await;
    }
    let metrics = server.metrics().await;
    let held = gauge(&metrics, "ioc_fanout_history_bytes").unwrap();
    assert!(held > 0.0 && held <= 600.0 * 6.0, "history holds {held} bytes");
    // From one update back: deltas. From the start: a snapshot.
    let now = server.scenario("by_region").await.unwrap()["seq"].as_u64().unwrap();
    for (at, expect) in [(now - 1, "delta"), (from, "snapshot")] {
        let mut ws = server.ws().await;
        send(
            &mut ws,
            json!({"op": "subscribe", "scenario": "by_region", "resume": {"epoch": epoch, "seq": at}}),
        )
        .await;
        let m = loop {
            let m = recv(&mut ws, WAIT).await.expect("a message");
            if m["scenario"] == "by_region" {
                break m;
            }
        };
        assert_eq!(m["type"], expect, "resume at {at} (now {now}): {m}");
    }
    // The resume served from the history is counted (read through the hub's totals, not its atomics).
    let resumed = gauge(&server.metrics().await, "ioc_fanout_resumed_total").unwrap_or(0.0);
    assert!(resumed >= 1.0, "ioc_fanout_resumed_total {resumed}");
    server.stop().await;
}
