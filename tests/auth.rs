//! Tokens, roles and row limits, enforced on every path that returns data; Origin checks; per-token
//! connection limits; refusing to listen beyond loopback without tokens.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::*;
use ioc_stream::api::auth::TokenConfig;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const VIEWER_NORTH: &str = "viewer-north-0123456789";
const VIEWER: &str = "viewer-all-0123456789";
const INGEST: &str = "ingest-orders-0123456789";
const INGEST_OTHER: &str = "ingest-other-0123456789";
const ANALYST: &str = "analyst-0123456789";

fn tokens() -> Vec<TokenConfig> {
    let t = |token: &str, role: &str, extra: Value| -> TokenConfig {
        let mut v = json!({"token": token, "role": role});
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        serde_json::from_value(v).unwrap()
    };
    vec![
        t(VIEWER_NORTH, "viewer", json!({"rows": {"region": "north"}})),
        t(VIEWER, "viewer", json!({})),
        t(INGEST, "ingest", json!({"streams": ["orders"]})),
        t(INGEST_OTHER, "ingest", json!({"streams": ["elsewhere"]})),
        t(ANALYST, "analyst", json!({})),
    ]
}

async fn call(server: &TestServer, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let mut r = server.http.request(method.parse().unwrap(), server.url(path));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r.header("content-type", "application/x-ndjson").body(format!("{b}\n"));
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn order(id: &str, region: &str) -> Value {
    json!({"event_id": id, "event_time": Utc::now().timestamp_millis(), "region": region, "amount": 10})
}

async fn ws_with(server: &TestServer, token: Option<&str>, origin: Option<&str>) -> Result<Ws, u16> {
    let url = match token {
        Some(t) => format!("{}?token={t}", server.ws_url),
        None => server.ws_url.clone(),
    };
    let mut request = url.into_client_request().unwrap();
    if let Some(o) = origin {
        request.headers_mut().insert("origin", o.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_and_row_limits_hold_on_every_path() {
    let dir = copy_fixture("basic");
    std::fs::write(
        dir.path().join("watch.sql"),
        "-- every: 100ms\n-- key: region\n-- alert: n >= 1 AS info\nSELECT region, count(*) AS n FROM orders GROUP BY region\n",
    )
    .unwrap();
    let server = TestServer::start_with(
        dir.path(),
        |c| {
            c.tokens = tokens();
            c.limits.max_connections_per_token = 2;
        },
        None,
    )
    .await;
    let events = "/api/v1/streams/orders/events";
    // 401 without or with an unknown token; /healthz and the page stay open.
    assert_eq!(call(&server, "GET", "/api/v1/scenarios", None, None).await.0, 401);
    assert_eq!(
        call(&server, "GET", "/api/v1/scenarios", Some("nope-nope-nope-nope"), None)
            .await
            .0,
        401
    );
    assert_eq!(call(&server, "GET", "/healthz", None, None).await.0, 200);
    assert_eq!(server.http.get(server.url("/")).send().await.unwrap().status(), 200);
    // 403 when the role does not allow it.
    assert_eq!(
        call(&server, "POST", events, Some(VIEWER), Some(order("x", "north")))
            .await
            .0,
        403
    );
    assert_eq!(
        call(&server, "POST", events, Some(INGEST_OTHER), Some(order("x", "north")))
            .await
            .0,
        403
    );
    assert_eq!(
        call(&server, "GET", "/api/v1/scenarios", Some(INGEST), None).await.0,
        403
    );
    assert_eq!(
        call(&server, "DELETE", "/api/v1/scenarios/watch", Some(VIEWER), None)
            .await
            .0,
        403
    );
    let query = server
        .http
        .post(server.url("/api/v1/query"))
        .bearer_auth(VIEWER_NORTH)
        .json(&json!({"sql": "SELECT 1"}));
    assert_eq!(query.send().await.unwrap().status(), 403);
    let query = server
        .http
        .post(server.url("/api/v1/query"))
        .bearer_auth(ANALYST)
        .json(&json!({"sql": "SELECT 1"}));
    assert_eq!(query.send().await.unwrap().status(), 200);
    let (status, body) = call(&server, "GET", "/metrics", Some(INGEST), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")));

    // Subscribers: the row-limited viewer sees only north, in snapshots, deltas and alerts.
    let mut north = ws_with(&server, Some(VIEWER_NORTH), None).await.unwrap();
    let mut all = ws_with(&server, Some(VIEWER), None).await.unwrap();
    for ws in [&mut north, &mut all] {
        send(ws, json!({"op": "subscribe", "scenario": "watch"})).await;
        send(ws, json!({"op": "subscribe", "scenario": "alerts"})).await;
        // Asking for another region's rows does not widen the limit.
        send(
            ws,
            json!({"op": "subscribe", "scenario": "by_region", "filter": {"region": "south"}}),
        )
        .await;
    }
    for (i, region) in ["north", "south", "north", "west"].iter().enumerate() {
        let (status, _) = call(
            &server,
            "POST",
            events,
            Some(INGEST),
            Some(order(&format!("e{i}"), region)),
        )
        .await;
        assert_eq!(status, 200);
    }
    let mut m_north = Mirror::default();
    let mut m_all = Mirror::default();
    let mut alerts_north = Vec::new();
    let mut by_region_north = Mirror::default();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Some(m) = recv(
        &mut north,
        deadline.saturating_duration_since(tokio::time::Instant::now()),
    )
    .await
    {
        match (m["type"].as_str(), m["scenario"].as_str()) {
            (Some("alert"), _) => alerts_north.push(m),
            (Some("snapshot" | "delta"), Some("watch")) => m_north.apply(&m).unwrap(),
            (Some("snapshot" | "delta"), Some("by_region")) => by_region_north.apply(&m).unwrap(),
            _ => {}
        }
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
    while let Some(m) = recv(
        &mut all,
        deadline.saturating_duration_since(tokio::time::Instant::now()),
    )
    .await
    {
        if m["scenario"] == "watch" && m["type"] != "alert" {
            m_all.apply(&m).unwrap();
        }
    }
    assert_eq!(
        m_all.sorted(),
        vec![json!(["north", 2]), json!(["south", 1]), json!(["west", 1])]
    );
    assert_eq!(m_north.sorted(), vec![json!(["north", 2])]);
    assert!(
        by_region_north.rows.is_empty(),
        "south filter within a north limit matches nothing"
    );
    assert!(
        !alerts_north.is_empty() && alerts_north.iter().all(|a| a["key"] == json!(["north"])),
        "{alerts_north:?}"
    );
    // HTTP paths too.
    let (_, result) = call(
        &server,
        "GET",
        "/api/v1/scenarios/watch/result",
        Some(VIEWER_NORTH),
        None,
    )
    .await;
    assert_eq!(result["rows"], json!([["north", 2]]));
    let (_, alerts) = call(&server, "GET", "/api/v1/alerts", Some(VIEWER_NORTH), None).await;
    assert!(
        alerts.as_array().unwrap().iter().all(|a| a["key"] == json!(["north"])),
        "{alerts}"
    );
    let (_, alerts) = call(&server, "GET", "/api/v1/alerts", Some(VIEWER), None).await;
    assert_eq!(alerts.as_array().unwrap().len(), 3);

    // The socket: no token, a foreign Origin, too many connections.
    assert_eq!(ws_with(&server, None, None).await.err(), Some(401));
    assert_eq!(
        ws_with(&server, Some(VIEWER), Some("https://evil.example")).await.err(),
        Some(403)
    );
    let host = server.base.clone();
    assert!(
        ws_with(&server, Some(ANALYST), Some(&host)).await.is_ok(),
        "same-origin page"
    );
    let second = ws_with(&server, Some(VIEWER), None).await.unwrap();
    assert_eq!(
        ws_with(&server, Some(VIEWER), None).await.err(),
        Some(429),
        "third connection of a token"
    );
    drop(second);
    drop(all);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        ws_with(&server, Some(VIEWER), None).await.is_ok(),
        "a closed connection frees its slot"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_to_listen_beyond_loopback_without_tokens() {
    let data = tempfile::tempdir().unwrap();
    let mut config = test_config(&fixture("basic"), data.path());
    config.listen = "0.0.0.0:0".parse().unwrap();
    let err = ioc_stream::server::start(config, None).await.err().expect("refused");
    let text = err.to_string();
    assert!(text.contains("without tokens") && text.contains("--config"), "{text}");
}
