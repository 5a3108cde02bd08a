//! The WebSocket side at scale: resume without gap or duplicate, filtered subscriptions, slow and silent
//! clients, limits. Real clients over real sockets.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

fn order(id: &str, region: &str, amount: i64) -> Value {
    json!({"event_id": id, "event_time": Utc::now().timestamp_millis(), "region": region, "amount": amount})
}

/// Applies updates of `scenario` to `mirror` until `done`.
async fn follow(ws: &mut Ws, scenario: &str, mirror: &mut Mirror, mut done: impl FnMut(&Mirror) -> bool) {
    while !done(mirror) {
        let m = recv(ws, WAIT)
            .await
            .unwrap_or_else(|| panic!("timed out at {mirror:?}"));
        if m["scenario"] == scenario && (m["type"] == "snapshot" || m["type"] == "delta") {
            mirror.apply(&m).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_after_a_dropped_connection_has_no_gap_and_no_duplicate() {
    let server = TestServer::start(&fixture("basic")).await;
    server.ndjson("orders", &[order("a", "north", 1)]).await;
    let mut ws = server.ws().await;
    send(&mut ws, json!({"op": "subscribe", "scenario": "by_region"})).await;
    let mut mirror = Mirror::default();
    follow(&mut ws, "by_region", &mut mirror, |m| m.rows.len() == 1).await;
    drop(ws); // the network drops

    // Several updates happen while the screen is away.
    let mut expected_n = 1;
    for i in 0..5 {
        server.ndjson("orders", &[order(&format!("b{i}"), "north", 1)]).await;
        expected_n += 1;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let missed_from = mirror.seq;
    let snapshots_before = mirror.snapshots;
    let mut ws = server.ws().await;
    send(
        &mut ws,
        json!({"op": "subscribe", "scenario": "by_region", "resume": {"epoch": mirror.epoch, "seq": mirror.seq}}),
    )
    .await;
    follow(&mut ws, "by_region", &mut mirror, |m| {
        m.sorted().first().is_some_and(|r| r[2] == expected_n)
    })
    .await;
    assert_eq!(
        mirror.snapshots, snapshots_before,
        "resumed with deltas, not a snapshot"
    );
    assert!(
        mirror.seq > missed_from + 1,
        "several deltas were replayed: {} -> {}",
        missed_from,
        mirror.seq
    );

    // Resuming at the current seq sends nothing until the next update.
    let mut again = server.ws().await;
    send(
        &mut again,
        json!({"op": "subscribe", "scenario": "by_region", "resume": {"epoch": mirror.epoch, "seq": mirror.seq}}),
    )
    .await;
    let quiet = recv(&mut again, Duration::from_millis(400)).await;
    assert!(
        quiet.is_none() || quiet.as_ref().unwrap()["type"] == "heartbeat",
        "{quiet:?}"
    );
    // A wrong epoch gets a snapshot.
    send(
        &mut again,
        json!({"op": "subscribe", "scenario": "by_region", "resume": {"epoch": "other", "seq": 1}}),
    )
    .await;
    loop {
        let m = recv(&mut again, WAIT).await.unwrap();
        if m["type"] != "heartbeat" {
            assert_eq!(m["type"], "snapshot", "{m}");
            break;
        }
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filtered_subscriber_sees_exactly_its_rows_even_when_a_row_moves_out() {
    let dir = copy_fixture("basic");
    let server = TestServer::start(dir.path()).await;
    let sql = "SELECT region, CASE WHEN sum(amount) >= 100 THEN 'big' ELSE 'small' END AS class, sum(amount) AS total \
               FROM orders GROUP BY region";
    let (status, body) = server
        .send_json(
            Method::PUT,
            "/api/v1/scenarios/classes",
            json!({"sql": sql, "key": ["region"], "every_ms": 100}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    server
        .ndjson(
            "orders",
            &[
                order("a", "north", 10),
                order("b", "south", 150),
                order("c", "west", 20),
            ],
        )
        .await;

    let mut all = server.ws().await;
    send(&mut all, json!({"op": "subscribe", "scenario": "classes"})).await;
    let mut small = server.ws().await;
    send(
        &mut small,
        json!({"op": "subscribe", "scenario": "classes", "filter": {"class": "small"}}),
    )
    .await;
    let mut m_all = Mirror::default();
    let mut m_small = Mirror::default();
    follow(&mut all, "classes", &mut m_all, |m| m.rows.len() == 3).await;
    follow(&mut small, "classes", &mut m_small, |m| m.rows.len() == 2).await;

    // north crosses 100: it moves out of the filter; west changes and stays in.
    server
        .ndjson("orders", &[order("d", "north", 95), order("e", "west", 1)])
        .await;
    follow(&mut all, "classes", &mut m_all, |m| {
        m.sorted().contains(&json!(["north", "big", 105]))
    })
    .await;
    follow(&mut small, "classes", &mut m_small, |m| m.seq == m_all.seq).await;
    let want: Vec<Value> = m_all.sorted().into_iter().filter(|r| r[1] == "small").collect();
    assert_eq!(m_small.sorted(), want);
    assert_eq!(m_small.sorted(), vec![json!(["west", "small", 21])]);

    // An update that changes none of its rows still arrives (empty), so seq stays contiguous.
    server.ndjson("orders", &[order("f", "south", 5)]).await;
    follow(&mut all, "classes", &mut m_all, |m| {
        m.sorted().contains(&json!(["south", "big", 155]))
    })
    .await;
    follow(&mut small, "classes", &mut m_small, |m| m.seq == m_all.seq).await;
    assert_eq!(m_small.sorted(), vec![json!(["west", "small", 21])]);

    // A filter on a column the result does not have is refused.
    send(
        &mut small,
        json!({"op": "subscribe", "scenario": "classes", "filter": {"nope": 1}}),
    )
    .await;
    loop {
        let m = recv(&mut small, WAIT).await.unwrap();
        if m["type"] == "error" {
            assert_eq!(m["code"], "bad_request");
            break;
        }
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_does_not_hold_back_the_others() {
    let dir = copy_fixture("basic");
    let server = TestServer::start_with(dir.path(), |c| c.limits.client_queue_bytes = 64 << 10, None).await;
    // A large, unkeyed result: every change is a whole snapshot of every order.
    let sql = "SELECT event_id, region, amount, 'padding padding padding padding padding' AS note FROM orders ORDER BY event_id";
    let (status, _) = server
        .send_json(
            Method::PUT,
            "/api/v1/scenarios/everything",
            json!({"sql": sql, "every_ms": 100}),
        )
        .await;
    assert_eq!(status, 200);
    let mut slow = server.ws().await;
    send(&mut slow, json!({"op": "subscribe", "scenario": "everything"})).await;
    let mut fast = server.ws().await;
    send(&mut fast, json!({"op": "subscribe", "scenario": "everything"})).await;
    let mut m_fast = Mirror::default();
    let mut n = 0;
    for round in 0..40 {
        let batch: Vec<Value> = (0..100)
            .map(|i| order(&format!("r{round:02}-{i:03}"), "north", i))
            .collect();
        n += batch.len();
        server.ndjson("orders", &batch).await;
        follow(&mut fast, "everything", &mut m_fast, |m| m.rows.len() == n).await;
    }
    let metrics = server.metrics().await;
    let lagged: f64 = metrics
        .lines()
        .find(|l| l.starts_with("ioc_fanout_lagged_total"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    assert!(lagged >= 1.0, "the slow client was marked as lagging:\n{metrics}");
    // Once it reads again it catches up with one fresh snapshot, not a backlog.
    let mut m_slow = Mirror::default();
    follow(&mut slow, "everything", &mut m_slow, |m| m.rows.len() == n).await;
    assert!(
        m_slow.snapshots < 40,
        "not every update was queued for it: {}",
        m_slow.snapshots
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_client_is_dropped_and_limits_answer_clearly() {
    let server = TestServer::start_with(
        &fixture("basic"),
        |c| {
            c.limits.ping_interval = Duration::from_millis(200);
            c.limits.idle_timeout = Duration::from_millis(800);
            c.limits.max_subscriptions = 2;
        },
        None,
    )
    .await;
    let mut silent = server.ws().await;
    tokio::time::sleep(Duration::from_millis(2500)).await; // never reads, so never answers a ping
    let ended = tokio::time::timeout(WAIT, async {
        loop {
            match futures::StreamExt::next(&mut silent).await {
                None | Some(Err(_)) | Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) => return true,
                Some(Ok(_)) => {}
            }
        }
    })
    .await
    .unwrap_or(false);
    assert!(ended, "the server closed the silent connection");
    // A live client that answers pings stays.
    let mut live = server.ws().await;
    for name in ["by_region", "totals"] {
        send(&mut live, json!({"op": "subscribe", "scenario": name})).await;
    }
    send(&mut live, json!({"op": "subscribe", "scenario": "top2"})).await;
    let error = loop {
        let m = recv(&mut live, WAIT).await.expect("the live client stays connected");
        if m["type"] == "error" {
            break m;
        }
    };
    assert_eq!(error["code"], "bad_request");
    assert!(
        error["message"].as_str().unwrap().contains("at most 2 subscriptions"),
        "{error}"
    );
    // Reading (which answers the server's pings) for longer than the idle timeout keeps it connected.
    let deadline = tokio::time::Instant::now() + Duration::from_millis(1500);
    while recv(
        &mut live,
        deadline.saturating_duration_since(tokio::time::Instant::now()),
    )
    .await
    .is_some()
    {}
    send(&mut live, json!({"op": "ping"})).await;
    loop {
        let m = recv(&mut live, WAIT)
            .await
            .expect("still connected after the idle timeout");
        if m["type"] == "pong" {
            break;
        }
    }
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("ioc_ws_idle_dropped_total"),
        "the silent client was dropped:\n{metrics}"
    );
    server.stop().await;
}

/// The read buffer per connection is 1 KiB (issue 13, item 3); a client message larger than it still
/// arrives whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_larger_than_the_read_buffer_arrives_whole() {
    let server = TestServer::start(&fixture("basic")).await;
    server.ndjson("orders", &[order("a", "north", 1)]).await;
    let mut ws = server.ws().await;
    let long = "x".repeat(6000);
    send(
        &mut ws,
        json!({"op": "subscribe", "scenario": "by_region", "id": long, "filter": {"region": "north"}}),
    )
    .await;
    send(
        &mut ws,
        json!({"op": "subscribe", "scenario": "by_region", "filter": {"region": "north", "region_name": long}}),
    )
    .await;
    let mut answers = Vec::new();
    while answers.len() < 2 {
        let m = recv(&mut ws, WAIT).await.expect("an answer");
        if m["type"] != "heartbeat" {
            answers.push(m);
        }
    }
    // The first is refused for its id's length, the second is a (filtered, empty) snapshot.
    assert_eq!(answers[0]["code"], "bad_request", "{}", answers[0]);
    assert_eq!(answers[1]["type"], "snapshot", "{}", answers[1]);
    assert_eq!(answers[1]["rows"], json!([]));
    server.stop().await;
}
