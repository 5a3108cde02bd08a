//! Events in over HTTP (NDJSON, JSON array, Arrow IPC), results out over a real WebSocket: the snapshot
//! plus the deltas must give exactly what this test computes on its own from the events it sent.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use common::*;
use datafusion::arrow::array::{BooleanArray, Int64Array, StringArray, TimestampMillisecondArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::arrow::ipc::writer::StreamWriter;
use datafusion::arrow::record_batch::RecordBatch;
use futures::SinkExt;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);
const REGIONS: [(&str, &str); 4] = [
    ("north", "Miền Bắc"),
    ("centre", "Miền Trung"),
    ("south", "Miền Nam"),
    ("west", "Miền Tây"),
];

#[derive(Clone, Debug)]
struct Order {
    id: String,
    time_ms: i64,
    region: &'static str,
    amount: i64,
    paid: Option<bool>,
}

impl Order {
    fn json(&self) -> Value {
        json!({"event_id": self.id, "event_time": self.time_ms, "region": self.region,
               "amount": self.amount, "paid": self.paid, "extra_field": "ignored"})
    }
}

/// Deterministic orders: a third of them two hours old (outside the 10-minute window).
fn orders(from: usize, n: usize, now_ms: i64, weight: impl Fn(usize) -> usize) -> Vec<Order> {
    (from..from + n)
        .map(|i| Order {
            id: format!("o{i}"),
            time_ms: if i % 3 == 0 {
                now_ms - 2 * 3_600_000 - i as i64
            } else {
                now_ms - (i as i64 % 5000)
            },
            region: REGIONS[weight(i) % 4].0,
            amount: (i as i64 * 37) % 1000 + 1,
            paid: match i % 4 {
                0 => None,
                1 => Some(false),
                _ => Some(true),
            },
        })
        .collect()
}

fn arrow_ipc(orders: &[Order]) -> Vec<u8> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("event_id", DataType::Utf8, false),
        // A producer may send other units or no time zone: the server casts to the catalog's type.
        Field::new("event_time", DataType::Timestamp(TimeUnit::Millisecond, None), false),
        Field::new("region", DataType::Utf8, false),
        Field::new("amount", DataType::Int64, false),
        Field::new("paid", DataType::Boolean, true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from_iter_values(orders.iter().map(|o| o.id.clone()))),
            Arc::new(TimestampMillisecondArray::from_iter_values(
                orders.iter().map(|o| o.time_ms),
            )),
            Arc::new(StringArray::from_iter_values(orders.iter().map(|o| o.region))),
            Arc::new(Int64Array::from_iter_values(orders.iter().map(|o| o.amount))),
            Arc::new(BooleanArray::from(orders.iter().map(|o| o.paid).collect::<Vec<_>>())),
        ],
    )
    .unwrap();
    let mut out = Vec::new();
    let mut w = StreamWriter::try_new(&mut out, &schema).unwrap();
    w.write(&batch).unwrap();
    w.finish().unwrap();
    drop(w);
    out
}

struct Expected {
    by_region: Vec<Value>,
    totals: Vec<Value>,
    recent: Vec<Value>,
    top2: Vec<Value>,
}

fn expected(all: &[Order], now_ms: i64) -> Expected {
    let mut by: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    let mut recent: BTreeMap<&str, i64> = BTreeMap::new();
    for o in all {
        let e = by.entry(o.region).or_default();
        e.0 += 1;
        e.1 += o.amount;
        if o.time_ms >= now_ms - 600_000 {
            *recent.entry(o.region).or_default() += 1;
        }
    }
    let name = |r: &str| REGIONS.iter().find(|(k, _)| *k == r).unwrap().1;
    let mut ranking: Vec<(&str, i64)> = by.iter().map(|(r, (_, t))| (*r, *t)).collect();
    ranking.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    Expected {
        by_region: sorted(by.iter().map(|(r, (n, t))| json!([r, name(r), n, t])).collect()),
        totals: vec![json!([
            all.len(),
            all.iter().map(|o| o.amount).sum::<i64>(),
            all.iter().filter(|o| o.paid == Some(true)).count()
        ])],
        recent: sorted(recent.iter().map(|(r, n)| json!([r, n])).collect()),
        top2: sorted(ranking.iter().take(2).map(|(r, t)| json!([r, t])).collect()),
    }
}

async fn converge(screen: &mut Screen, exp: &Expected) {
    screen
        .until(WAIT, |m| {
            let rows = |name: &str| m.get(name).map(|x| x.sorted()).unwrap_or_default();
            rows("by_region") == exp.by_region
                && rows("totals") == exp.totals
                && rows("recent_by_region") == exp.recent
                && rows("top2") == exp.top2
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_plus_deltas_equal_the_result_computed_from_the_events() {
    let server = TestServer::start(&fixture("basic")).await;
    let mut screen = Screen::subscribe(&server, &["by_region", "totals", "recent_by_region", "top2"]).await;
    let now_ms = Utc::now().timestamp_millis();

    // Three requests, one per encoding.
    let a = orders(0, 120, now_ms, |i| i);
    let b = orders(120, 90, now_ms, |i| i / 2);
    let c = orders(210, 60, now_ms, |i| i * 3);
    let (status, body) = server
        .ndjson("orders", &a.iter().map(Order::json).collect::<Vec<_>>())
        .await;
    assert_eq!((status, body), (200, json!({"accepted": 120, "duplicates": 0})));
    let array = Value::Array(b.iter().map(Order::json).collect()).to_string();
    let (status, body) = server
        .post("/api/v1/streams/orders/events", "application/json", array)
        .await;
    assert_eq!((status, body), (200, json!({"accepted": 90, "duplicates": 0})));
    let (status, body) = server
        .post(
            "/api/v1/streams/orders/events",
            "application/vnd.apache.arrow.stream",
            arrow_ipc(&c),
        )
        .await;
    assert_eq!((status, body), (200, json!({"accepted": 60, "duplicates": 0})));

    let mut all: Vec<Order> = [a, b, c].concat();
    converge(&mut screen, &expected(&all, now_ms)).await;

    // Shift the ranking: `west` jumps to the top, so top2 must delete a key, not just upsert.
    let west = orders(1000, 40, now_ms, |_| 3)
        .into_iter()
        .map(|o| Order { amount: 5000, ..o })
        .collect::<Vec<_>>();
    let (status, _) = server
        .ndjson("orders", &west.iter().map(Order::json).collect::<Vec<_>>())
        .await;
    assert_eq!(status, 200);
    all.extend(west);
    let exp = expected(&all, now_ms);
    assert!(exp.top2.iter().any(|r| r[0] == "west"));
    converge(&mut screen, &exp).await;
    assert!(screen.mirrors["top2"].deltas > 0, "keyed scenarios send deltas");
    assert_eq!(screen.mirrors["totals"].deltas, 0, "unkeyed scenarios send snapshots");
    assert!(screen.mirrors["totals"].snapshots >= 2);

    // The HTTP result agrees with what the screen holds.
    for name in ["by_region", "totals", "recent_by_region", "top2"] {
        let (status, result) = server.get(&format!("/api/v1/scenarios/{name}/result")).await;
        assert_eq!(status, 200);
        let mirror = &screen.mirrors[name];
        assert_eq!(result["seq"].as_u64().unwrap(), mirror.seq, "{name}");
        let rows = sorted(result["rows"].as_array().unwrap().clone());
        assert_eq!(rows, mirror.sorted(), "{name}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_scenario_sends_nothing_but_heartbeats() {
    let server = TestServer::start(&fixture("basic")).await;
    let mut screen = Screen::subscribe(&server, &["totals"]).await;
    let (status, _) = server
        .ndjson(
            "orders",
            &[orders(0, 1, Utc::now().timestamp_millis(), |i| i)[0].json()],
        )
        .await;
    assert_eq!(status, 200);
    screen
        .until(WAIT, |m| {
            m.get("totals").is_some_and(|t| t.sorted() == vec![json!([1, 1, 0])])
        })
        .await;
    let seq = screen.mirrors["totals"].seq;
    // Nothing changes for a while: only heartbeats arrive (the test server beats every 500 ms).
    let deadline = tokio::time::Instant::now() + Duration::from_millis(1600);
    let mut beats = 0;
    while let Some(msg) = recv(
        &mut screen.ws,
        deadline.saturating_duration_since(tokio::time::Instant::now()),
    )
    .await
    {
        assert_eq!(msg["type"], "heartbeat", "{msg}");
        assert!(msg["server_time"].as_str().unwrap().ends_with('Z'));
        beats += 1;
    }
    assert!(beats >= 2, "heartbeats: {beats}");
    let (_, list) = server.get("/api/v1/scenarios").await;
    let totals = list.as_array().unwrap().iter().find(|s| s["name"] == "totals").unwrap();
    assert_eq!(totals["seq"].as_u64().unwrap(), seq);
    assert!(
        totals["evaluations"].as_u64().unwrap() > 3,
        "evaluated on its interval: {totals}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_control_messages() {
    let server = TestServer::start(&fixture("basic")).await;
    let mut ws = server.ws().await;
    send(&mut ws, json!({"op": "ping"})).await;
    assert_eq!(recv(&mut ws, WAIT).await.unwrap(), json!({"type": "pong"}));
    send(&mut ws, json!({"op": "subscribe", "scenario": "nope"})).await;
    let e = recv(&mut ws, WAIT).await.unwrap();
    assert_eq!(
        (e["type"].as_str(), e["code"].as_str()),
        (Some("error"), Some("unknown_scenario"))
    );
    send(&mut ws, json!({"op": "dance"})).await;
    assert_eq!(recv(&mut ws, WAIT).await.unwrap()["code"], "bad_request");
    ws.send(tokio_tungstenite::tungstenite::Message::Text("not json".into()))
        .await
        .unwrap();
    assert_eq!(recv(&mut ws, WAIT).await.unwrap()["code"], "bad_request");
    // A message over the size limit closes that connection only.
    let big = "x".repeat(100 << 10);
    let _ = ws.send(tokio_tungstenite::tungstenite::Message::Text(big.into())).await;
    let closed = async {
        loop {
            match recv(&mut ws, Duration::from_secs(5)).await {
                None => return true,
                Some(m) if m["type"] == "heartbeat" => continue,
                Some(_) => return false,
            }
        }
    };
    assert!(closed.await, "an oversized message closes the connection");
    // Subscribe, unsubscribe: no more updates for it.
    let mut other = server.ws().await;
    send(&mut other, json!({"op": "subscribe", "scenario": "totals"})).await;
    server
        .ndjson(
            "orders",
            &[orders(0, 1, Utc::now().timestamp_millis(), |i| i)[0].json()],
        )
        .await;
    loop {
        let m = recv(&mut other, WAIT).await.unwrap();
        if m["type"] == "snapshot" && m["rows"][0][0] == 1 {
            assert_eq!(m["scenario"], "totals");
            break;
        }
    }
    send(&mut other, json!({"op": "unsubscribe", "scenario": "totals"})).await;
    // Let anything already in flight arrive, then expect silence but for heartbeats.
    while recv(&mut other, Duration::from_millis(300))
        .await
        .is_some_and(|m| m["type"] != "heartbeat")
    {}
    server
        .ndjson(
            "orders",
            &[orders(1, 1, Utc::now().timestamp_millis(), |i| i)[0].json()],
        )
        .await;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(800);
    while let Some(m) = recv(
        &mut other,
        deadline.saturating_duration_since(tokio::time::Instant::now()),
    )
    .await
    {
        assert_eq!(m["type"], "heartbeat", "after unsubscribe: {m}");
    }
    server.stop().await;
}
