//! Subscriptions with a client-chosen `id` (issue 13, item 4): one connection follows one scenario with
//! different filters, each message carries the subscription's id, an `unsubscribe` with the id ends only
//! that one, and without `id` nothing changes. Real server, real WebSocket client.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use common::*;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

fn order(id: &str, region: &str) -> Value {
    json!({"event_id": id, "event_time": Utc::now().timestamp_millis(), "region": region, "amount": 1})
}

/// Applies updates per subscription (its id, or "-" without one) until `done`.
async fn follow(
    ws: &mut Ws,
    mirrors: &mut BTreeMap<String, Mirror>,
    mut done: impl FnMut(&BTreeMap<String, Mirror>) -> bool,
) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done(mirrors) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let m = recv(ws, left)
            .await
            .unwrap_or_else(|| panic!("timed out at {mirrors:#?}"));
        if m["type"] == "snapshot" || m["type"] == "delta" {
            assert_eq!(m["scenario"], "by_region");
            let id = m["id"].as_str().unwrap_or("-").to_string();
            mirrors.entry(id).or_default().apply(&m).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_connection_follows_one_scenario_with_two_filters() {
    let server = TestServer::start(&fixture("basic")).await;
    server
        .ndjson("orders", &[order("a", "north"), order("b", "south")])
        .await;
    let mut ws = server.ws().await;
    send(
        &mut ws,
        json!({"op": "subscribe", "scenario": "by_region", "id": "all"}),
    )
    .await;
    send(
        &mut ws,
        json!({"op": "subscribe", "scenario": "by_region", "id": "north", "filter": {"region": "north"}}),
    )
    .await;
    send(
        &mut ws,
        json!({"op": "subscribe", "scenario": "by_region", "filter": {"region": "south"}}),
    )
    .await;
    let mut mirrors = BTreeMap::new();
    follow(&mut ws, &mut mirrors, |m| {
        m.get("all").is_some_and(|m| m.rows.len() == 2) && m.contains_key("north") && m.contains_key("-")
    })
    .await;
    server
        .ndjson("orders", &[order("c", "north"), order("d", "west")])
        .await;
    follow(&mut ws, &mut mirrors, |m| {
        m["all"].rows.len() == 3 && m["north"].sorted().first().is_some_and(|r| r[2] == 2)
    })
    .await;
    let regions =
        |m: &Mirror| -> Vec<String> { m.sorted().iter().map(|r| r[0].as_str().unwrap().to_string()).collect() };
    assert_eq!(regions(&mirrors["north"]), ["north"]);
    assert_eq!(regions(&mirrors["-"]), ["south"]);

    // Ending `north` leaves the others.
    send(
        &mut ws,
        json!({"op": "unsubscribe", "scenario": "by_region", "id": "north"}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    server
        .ndjson("orders", &[order("e", "north"), order("f", "south")])
        .await;
    let north_seq = mirrors["north"].seq;
    follow(&mut ws, &mut mirrors, |m| {
        m["all"].sorted().iter().any(|r| r[0] == "south" && r[2] == 2) && m["-"].sorted()[0][2] == 2
    })
    .await;
    assert_eq!(mirrors["north"].seq, north_seq, "no more updates for `north`");

    // An error about a subscription names it.
    send(&mut ws, json!({"op": "subscribe", "scenario": "nope", "id": "x"})).await;
    let error = loop {
        let m = recv(&mut ws, WAIT).await.expect("an answer");
        if m["type"] == "error" {
            break m;
        }
    };
    assert_eq!(
        (error["code"].as_str(), error["id"].as_str()),
        (Some("unknown_scenario"), Some("x"))
    );
    server.stop().await;
}
