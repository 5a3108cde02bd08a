//! Hostile HTTP clients and pages against the real server: slow or large bodies on every route, too many
//! connections, DNS rebinding, cross-site requests and tokens in URLs. Each gets a clear answer and
//! changes nothing, and the server keeps serving others meanwhile.

mod common;

use std::time::Duration;

use common::*;
use ioc_stream::api::auth::TokenConfig;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const WAIT: Duration = Duration::from_secs(20);

fn addr(server: &TestServer) -> String {
    server.base.trim_start_matches("http://").to_string()
}

/// Sends `bytes` on a fresh connection and returns everything the server answered before it closed
/// (or `wait` passed).
async fn raw(addr: &str, bytes: &[u8], wait: Duration) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(wait, s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// One request on its own connection: the status and the JSON body of the answer.
async fn request(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, Value) {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("host: {addr}\r\n"));
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    head.push_str(body);
    let answer = raw(addr, head.as_bytes(), WAIT).await;
    parse(&answer)
}

fn parse(answer: &str) -> (u16, Value) {
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"));
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

/// Item 4 of issue 9: a slow body on any route that reads one is cut off with 408, a large one refused
/// with 413, and neither holds its connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_body_has_a_deadline_and_a_size_limit() {
    let server = TestServer::start_with(
        &fixture("basic"),
        |c| {
            c.limits.body_timeout = Duration::from_millis(800);
            c.limits.max_json_body_bytes = 4096;
        },
        None,
    )
    .await;
    let addr = addr(&server);
    let slow = |method: &'static str, path: &'static str| {
        let addr = addr.clone();
        tokio::spawn(async move {
            let head = format!(
                "{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"scen"
            );
            let started = std::time::Instant::now();
            (raw(&addr, head.as_bytes(), WAIT).await, started.elapsed())
        })
    };
    let trickles = [
        slow("POST", "/api/v1/alerts/ack"),
        slow("PUT", "/api/v1/scenarios/slow"),
        slow("POST", "/api/v1/query"),
        slow("POST", "/api/v1/scenarios/validate"),
        slow("PUT", "/api/v1/dashboards/slow"),
    ];
    // Meanwhile others are served.
    let (status, _) = server.get("/api/v1/scenarios").await;
    assert_eq!(status, 200);
    for t in trickles {
        let (answer, took) = t.await.unwrap();
        let (status, body) = parse(&answer);
        assert_eq!((status, code(&body)), (408, "request_timeout"), "{answer}");
        assert!(took < WAIT, "answered, not left hanging");
    }
    assert!(server.scenario("slow").await.is_none(), "nothing was changed");
    // Past the size limit: 413, before the handler runs.
    let big = json!({"sql": format!("SELECT '{}'", "x".repeat(5000))}).to_string();
    for (method, path) in [("POST", "/api/v1/query"), ("PUT", "/api/v1/scenarios/big")] {
        let (status, body) = request(&addr, method, path, &[("content-type", "application/json")], &big).await;
        assert_eq!(
            (status, code(&body)),
            (413, "payload_too_large"),
            "{method} {path}: {body}"
        );
    }
    server.stop().await;
}

/// Item 4 of issue 9: connections past the cap per address, or past the cap in all, get a fixed answer
/// at once and are closed; an upgraded WebSocket holds its place; places come back when connections close.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_a_cap_get_a_clear_answer() {
    let server = TestServer::start_with(
        &fixture("basic"),
        |c| {
            c.limits.max_connections_per_ip = 3;
            c.limits.header_timeout = Duration::from_secs(60);
        },
        None,
    )
    .await;
    let addr = addr(&server);
    // Two idle connections (nothing sent) and one WebSocket.
    let idle1 = TcpStream::connect(&addr).await.unwrap();
    let _idle2 = TcpStream::connect(&addr).await.unwrap();
    let mut ws = server.ws().await;
    send(&mut ws, json!({"op": "ping"})).await;
    assert_eq!(recv(&mut ws, WAIT).await.unwrap()["type"], "pong");
    let answer = raw(
        &addr,
        format!("GET /healthz HTTP/1.1\r\nhost: {addr}\r\n\r\n").as_bytes(),
        WAIT,
    )
    .await;
    let (status, body) = parse(&answer);
    assert_eq!((status, code(&body)), (429, "too_many_connections"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("retry-after: 5"), "{answer}");
    // Closing one gives its place back.
    drop(idle1);
    eventually(WAIT, || {
        let addr = addr.clone();
        async move {
            let (status, _) = request(&addr, "GET", "/healthz", &[], "").await;
            (status == 200).then_some(())
        }
    })
    .await;
    server.stop().await;

    // The cap in all.
    let server = TestServer::start_with(
        &fixture("basic"),
        |c| {
            c.limits.max_connections = 2;
            c.limits.header_timeout = Duration::from_secs(60);
        },
        None,
    )
    .await;
    let addr = server.base.trim_start_matches("http://").to_string();
    let held: Vec<TcpStream> = vec![
        TcpStream::connect(&addr).await.unwrap(),
        TcpStream::connect(&addr).await.unwrap(),
    ];
    let (status, body) = request(&addr, "GET", "/healthz", &[], "").await;
    assert_eq!((status, code(&body)), (503, "server_busy"), "{body}");
    drop(held);
    eventually(WAIT, || {
        let addr = addr.clone();
        async move {
            let (status, _) = request(&addr, "GET", "/healthz", &[], "").await;
            (status == 200).then_some(())
        }
    })
    .await;
    server.stop().await;
}

/// Item 6 of issue 9 (loopback mode, no tokens): a page on another name that resolves to 127.0.0.1 (DNS
/// rebinding) is refused; so are cross-site requests that change something and JSON bodies sent as
/// anything but `application/json` (which a page could send without a CORS preflight).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebinding_and_cross_site_requests_are_refused() {
    let dir = copy_fixture("basic");
    let server = TestServer::start_with(dir.path(), |c| c.allowed_hosts = vec!["ioc.test".into()], None).await;
    let addr = addr(&server);
    let port = addr.rsplit_once(':').unwrap().1.to_string();
    let evil_host = format!("rebind.evil.example:{port}");
    let evil_origin = format!("http://{evil_host}");
    // Host.
    for (host, want) in [
        (addr.clone(), 200),
        (format!("localhost:{port}"), 200),
        (format!("ioc.test:{port}"), 200),
        (evil_host.clone(), 403),
    ] {
        // A page that does not exist stands for the pages (the frontend may not be built here): 404 when
        // the Host is allowed.
        for (path, ok) in [("/api/v1/scenarios", 200), ("/no-such-page", 404), ("/healthz", 200)] {
            let (status, body) = request(&addr, "GET", path, &[("host", &host)], "").await;
            let want = if want == 200 { ok } else { want };
            assert_eq!(status, want, "{host} {path}: {body}");
            if want == 403 {
                assert_eq!(code(&body), "host_not_allowed");
            }
        }
    }
    let sql = json!({"sql": "SELECT 1 AS one"}).to_string();
    let (status, body) = request(
        &addr,
        "POST",
        "/api/v1/query",
        &[
            ("host", &evil_host),
            ("origin", &evil_origin),
            ("content-type", "application/json"),
        ],
        &sql,
    )
    .await;
    assert_eq!((status, code(&body)), (403, "host_not_allowed"));
    let mut ws = format!("ws://{addr}/ws").into_client_request().unwrap();
    ws.headers_mut().insert("host", evil_host.parse().unwrap());
    ws.headers_mut().insert("origin", evil_origin.parse().unwrap());
    match tokio_tungstenite::connect_async(ws).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 403),
        other => panic!("the rebound page opened the WebSocket: {:?}", other.map(|_| ())),
    }

    // Content type: what a form or `text/plain` post sends is refused before anything runs.
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let (status, body) = request(&addr, "POST", "/api/v1/query", &[("content-type", content_type)], &sql).await;
        assert_eq!((status, code(&body)), (415, "unsupported_media_type"), "{content_type}");
    }
    let (status, body) = request(&addr, "POST", "/api/v1/query", &[], &sql).await;
    assert_eq!(status, 415, "no content type: {body}");
    let (status, body) = request(
        &addr,
        "POST",
        "/api/v1/query",
        &[("content-type", "application/json; charset=utf-8")],
        &sql,
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // Origin on everything that changes something; a same-origin page and non-browsers pass.
    let scenario = json!({"sql": "SELECT 1 AS one"}).to_string();
    let json_type = ("content-type", "application/json");
    let cases: Vec<(&str, &str, &str, String)> = vec![
        ("PUT", "/api/v1/scenarios/planted", "application/json", scenario.clone()),
        ("DELETE", "/api/v1/scenarios/totals", "application/json", String::new()),
        (
            "POST",
            "/api/v1/alerts/ack",
            "application/json",
            json!({"scenario": "x", "key": []}).to_string(),
        ),
        ("POST", "/api/v1/query", "application/json", sql.clone()),
        (
            "POST",
            "/api/v1/streams/orders/events",
            "application/x-ndjson",
            format!(
                "{}\n",
                json!({"event_id": "csrf", "event_time": 1, "region": "north", "amount": 1})
            ),
        ),
    ];
    let before = server.stored_rows().await;
    for (method, path, content_type, body) in &cases {
        for origin in [evil_origin.as_str(), "null"] {
            let (status, answer) = request(
                &addr,
                method,
                path,
                &[("origin", origin), ("content-type", content_type)],
                body,
            )
            .await;
            assert_eq!(
                (status, code(&answer)),
                (403, "forbidden"),
                "{method} {path} from {origin}"
            );
        }
    }
    assert!(server.scenario("planted").await.is_none());
    assert!(server.scenario("totals").await.is_some());
    assert_eq!(server.stored_rows().await, before);
    let own = format!("http://{addr}");
    let (status, body) = request(
        &addr,
        "PUT",
        "/api/v1/scenarios/planted",
        &[("origin", &own), json_type],
        &scenario,
    )
    .await;
    assert_eq!(status, 200, "the server's own page may: {body}");
    server.stop().await;
}

const VIEWER: &str = "viewer-all-0123456789";

/// Item 7 of issue 9: `?token=` is taken on `/ws` only; on REST routes and `/metrics` it is refused, even
/// beside a valid header, so tokens do not end up in URLs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_in_urls_are_refused_outside_the_websocket() {
    let server = TestServer::start_with(
        &fixture("basic"),
        |c| {
            c.tokens = vec![serde_json::from_value::<TokenConfig>(json!({"token": VIEWER, "role": "viewer"})).unwrap()];
        },
        None,
    )
    .await;
    let bearer = format!("Bearer {VIEWER}");
    let addr = addr(&server);
    for path in [
        "/api/v1/scenarios",
        "/api/v1/scenarios/totals/result",
        "/metrics",
        "/api/v1/alerts",
    ] {
        let (status, body) = request(&addr, "GET", path, &[("authorization", &bearer)], "").await;
        assert_eq!(status, 200, "{path} with the header: {body}");
        let with_query = format!("{path}?token={VIEWER}");
        let (status, body) = request(&addr, "GET", &with_query, &[], "").await;
        assert_eq!((status, code(&body)), (400, "token_in_url"), "{with_query}: {body}");
        let (status, body) = request(&addr, "GET", &with_query, &[("authorization", &bearer)], "").await;
        assert_eq!(
            (status, code(&body)),
            (400, "token_in_url"),
            "{with_query} and the header"
        );
    }
    // The WebSocket takes it (a browser cannot set headers on one).
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{}?token={VIEWER}", server.ws_url))
        .await
        .expect("the WebSocket takes ?token=");
    send(&mut ws, json!({"op": "ping"})).await;
    assert_eq!(recv(&mut ws, WAIT).await.unwrap()["type"], "pong");
    // The pages hold no data and take `?token=` (they read it from their own URL); a page that does not
    // exist stands for them here, as the frontend may not be built.
    let (status, _) = request(&addr, "GET", &format!("/no-such-page?token={VIEWER}"), &[], "").await;
    assert_eq!(status, 404);
    server.stop().await;
}
