//! WebSocket clients that never read (item 5 of issue 9): the server's writes to them block once the
//! socket buffers are full. A write that the socket does not take in time drops the client, and the idle
//! check still drops a silent client while its writer is blocked. Other clients keep receiving.

mod common;

use std::time::Duration;

use common::*;
use reqwest::Method;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);

/// A scenario whose every evaluation is a new snapshot of about 700 KB.
async fn put_big_scenario(server: &TestServer) {
    let sql = "SELECT value AS n, repeat('x', 200) AS pad, now() AS at FROM range(3000)";
    let (status, body) = server
        .send_json(
            Method::PUT,
            "/api/v1/scenarios/big",
            json!({"sql": sql, "every_ms": 100}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

fn clients(server: &TestServer) -> u64 {
    server.running.as_ref().unwrap().state.hub.client_count()
}

async fn subscribed_non_reader(server: &TestServer) -> Ws {
    let mut ws = server.ws().await;
    send(&mut ws, json!({"op": "subscribe", "scenario": "big"})).await;
    ws
}

/// Reads until a `big` update arrives.
async fn next_update(ws: &mut Ws) {
    loop {
        let m = recv(ws, WAIT).await.expect("the reading client keeps receiving");
        if m["scenario"] == "big" {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_dropped_at_the_write_deadline() {
    let dir = copy_fixture("basic");
    let server = TestServer::start_with(
        dir.path(),
        |c| {
            c.limits.ws_write_timeout = Duration::from_secs(1);
            // Only the write deadline can drop it within this test.
            c.limits.idle_timeout = Duration::from_secs(600);
        },
        None,
    )
    .await;
    put_big_scenario(&server).await;
    let mut reader = server.ws().await;
    send(&mut reader, json!({"op": "subscribe", "scenario": "big"})).await;
    next_update(&mut reader).await;
    let stuck = subscribed_non_reader(&server).await;
    assert_eq!(clients(&server), 2);
    // The non-reader is dropped once the socket stops taking writes; the reader keeps reading meanwhile.
    let deadline = tokio::time::Instant::now() + WAIT;
    while clients(&server) > 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the client that never reads is still connected"
        );
        next_update(&mut reader).await;
    }
    next_update(&mut reader).await;
    let metrics = server.metrics().await;
    assert!(metrics.contains("ioc_ws_write_timeout_total"), "{metrics}");
    drop(stuck);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_idle_check_runs_while_the_writer_is_blocked() {
    let dir = copy_fixture("basic");
    let server = TestServer::start_with(
        dir.path(),
        |c| {
            // The write deadline is far away: only the idle check can drop it within this test.
            c.limits.ws_write_timeout = Duration::from_secs(600);
            c.limits.ping_interval = Duration::from_millis(200);
            // Long enough for the writer to be blocked on the full socket before the client is idle.
            c.limits.idle_timeout = Duration::from_secs(5);
        },
        None,
    )
    .await;
    put_big_scenario(&server).await;
    let stuck = subscribed_non_reader(&server).await;
    assert_eq!(clients(&server), 1);
    eventually(WAIT, || async { (clients(&server) == 0).then_some(()) }).await;
    drop(stuck);
    server.stop().await;
}
