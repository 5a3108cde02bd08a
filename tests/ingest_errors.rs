//! Bad input is rejected whole with a clear error, nothing of it is stored, and the server keeps serving.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

const EVENTS: &str = "/api/v1/streams/orders/events";

/// A valid order stamped a minute ago (within the fixture's 24 h retention, whenever the test runs).
fn good(id: &str) -> Value {
    let t = chrono::Utc::now() - chrono::Duration::minutes(1);
    json!({"event_id": id, "event_time": t.to_rfc3339(), "region": "north", "amount": 5})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_change_nothing() {
    let server = TestServer::start_with(&fixture("basic"), |c| c.limits.max_body_bytes = 64 << 10, None).await;
    let (status, _) = server.ndjson("orders", &[good("a"), good("b")]).await;
    assert_eq!(status, 200);
    let before = server.stored_rows().await;
    assert_eq!(before["orders"], 2);

    let line = |v: Value| format!("{v}\n");
    // (what, content type, body, status, error code, lines named)
    type Case = (&'static str, &'static str, Vec<u8>, u16, &'static str, Vec<usize>);
    let cases: Vec<Case> = vec![
        (
            "malformed JSON on line 2",
            "application/x-ndjson",
            format!("{}{{\"event_id\": \"x\", \n{}", line(good("c")), line(good("d"))).into_bytes(),
            422,
            "invalid_events",
            vec![2],
        ),
        (
            "wrong type",
            "application/x-ndjson",
            format!(
                "{}{}",
                line(good("c")),
                line(json!({"event_id": "d", "event_time": 1, "region": "n", "amount": "many"}))
            )
            .into_bytes(),
            422,
            "invalid_events",
            vec![2],
        ),
        (
            "missing required column",
            "application/x-ndjson",
            format!(
                "{}{}",
                line(json!({"event_id": "d", "event_time": 1, "amount": 3})),
                line(good("c"))
            )
            .into_bytes(),
            422,
            "invalid_events",
            vec![1],
        ),
        (
            "timestamp out of range",
            "application/x-ndjson",
            line(json!({"event_id": "d", "event_time": "2999-01-01T00:00:00Z", "region": "n", "amount": 3}))
                .into_bytes(),
            422,
            "invalid_events",
            vec![1],
        ),
        (
            "not an object",
            "application/x-ndjson",
            format!("{}[1,2]\n\"text\"\n", line(good("c"))).into_bytes(),
            422,
            "invalid_events",
            vec![2, 3],
        ),
        (
            "bad element of a JSON array",
            "application/json",
            json!([good("c"), {"event_id": "d", "event_time": "yesterday", "region": "n", "amount": 1}])
                .to_string()
                .into_bytes(),
            422,
            "invalid_events",
            vec![2],
        ),
        (
            "a JSON object, not an array",
            "application/json",
            good("c").to_string().into_bytes(),
            422,
            "invalid_events",
            vec![],
        ),
        (
            "empty body",
            "application/x-ndjson",
            Vec::new(),
            422,
            "invalid_events",
            vec![],
        ),
        (
            "not Arrow IPC",
            "application/vnd.apache.arrow.stream",
            b"garbage".to_vec(),
            422,
            "invalid_events",
            vec![],
        ),
        (
            "invalid UTF-8",
            "application/x-ndjson",
            b"{\"event_id\": \"\xff\xfe\"}\n".to_vec(),
            422,
            "invalid_events",
            vec![1],
        ),
        (
            "other content type",
            "text/csv",
            b"a,b\n".to_vec(),
            415,
            "unsupported_media_type",
            vec![],
        ),
        (
            "body too large",
            "application/x-ndjson",
            line(good("c")).repeat(2000).into_bytes(),
            413,
            "payload_too_large",
            vec![],
        ),
    ];
    for (what, content_type, body, want_status, want_code, want_lines) in cases {
        let (status, answer) = server.post(EVENTS, content_type, body).await;
        assert_eq!(status, want_status, "{what}: {answer}");
        assert_eq!(answer["error"]["code"], want_code, "{what}: {answer}");
        assert!(!answer["error"]["message"].as_str().unwrap().is_empty(), "{what}");
        if !want_lines.is_empty() {
            let lines: Vec<usize> = answer["error"]["lines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["line"].as_u64().unwrap() as usize)
                .collect();
            assert_eq!(lines, want_lines, "{what}: {answer}");
        }
        assert_eq!(server.stored_rows().await, before, "{what}: nothing stored");
    }

    let (status, answer) = server.ndjson("nope", &[good("x")]).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (404, Some("unknown_stream"))
    );

    // Still serving, and a good request is stored.
    let (status, _) = server.get("/healthz").await;
    assert_eq!(status, 200);
    let (status, answer) = server.ndjson("orders", &[good("z")]).await;
    assert_eq!((status, answer), (200, json!({"accepted": 1, "duplicates": 0})));
    assert_eq!(server.stored_rows().await["orders"], 3);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_answers_with_json_errors() {
    let server = TestServer::start(&fixture("basic")).await;
    let (status, body) = server.get("/api/v1/scenarios/nope/result").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("unknown_scenario"))
    );
    let (status, body) = server.get("/no/such/page").await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
    let (status, streams) = server.get("/api/v1/streams").await;
    assert_eq!(status, 200);
    assert_eq!(streams[0]["name"], "orders");
    assert_eq!(
        streams[0]["columns"][1],
        json!({"name": "event_time", "type": "timestamp_ms", "nullable": false})
    );
    let (status, body) = server
        .post(
            "/api/v1/query",
            "application/json",
            json!({"sql": "SELECT region_name FROM regions ORDER BY region", "limit": 2}).to_string(),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rows"], json!([["Miền Trung"], ["Miền Bắc"]]));
    assert_eq!(body["truncated"], true);
    let (status, body) = server
        .post(
            "/api/v1/query",
            "application/json",
            json!({"sql": "DROP TABLE orders"}).to_string(),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_sql")),
        "{body}"
    );
    let (status, body) = server
        .post(
            "/api/v1/query",
            "application/json",
            json!({"sql": "SELEC 1"}).to_string(),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let page = server.http.get(server.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let (status, _) = server.get("/healthz").await;
    assert_eq!(status, 200);
    let metrics = server.metrics().await;
    assert!(metrics.contains("ioc_store_rows"), "{metrics}");
    tokio::time::sleep(Duration::from_millis(10)).await;
    server.stop().await;
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_bodies_and_a_full_store() {
    let server = TestServer::start_with(
        &fixture("basic"),
        |c| {
            c.limits.max_decompressed_bytes = 256 << 10;
            c.limits.max_stream_bytes = 64 << 10;
        },
        None,
    )
    .await;
    let post = |body: Vec<u8>, encoding: &'static str| {
        server
            .http
            .post(server.url(EVENTS))
            .header("content-type", "application/x-ndjson")
            .header("content-encoding", encoding)
            .body(body)
            .send()
    };
    let body: String = (0..3).map(|i| format!("{}\n", good(&format!("g{i}")))).collect();
    let r = post(gzip(body.as_bytes()), "gzip").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"accepted": 3, "duplicates": 0})
    );
    let before = server.stored_rows().await;
    // A small body that inflates past the limit (a zip bomb), a corrupt one, an unknown encoding.
    let bomb = gzip(&vec![b' '; 1 << 20]);
    assert!(bomb.len() < 8 << 10);
    assert_eq!(post(bomb, "gzip").await.unwrap().status(), 413);
    assert_eq!(
        post(b"\x1f\x8b not really gzip".to_vec(), "gzip")
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(post(body.clone().into_bytes(), "br").await.unwrap().status(), 415);
    assert_eq!(server.stored_rows().await, before);

    // Fill the stream to its cap: 429 with Retry-After, and what was refused is not stored.
    let mut refused = None;
    for round in 0..200 {
        let events: Vec<Value> = (0..50).map(|i| good(&format!("f{round}-{i}"))).collect();
        let before = server.stored_rows().await["orders"];
        let body: String = events.iter().map(|e| format!("{e}\n")).collect();
        let r = post(body.into_bytes(), "identity").await.unwrap();
        if r.status() == 429 {
            assert!(r.headers().contains_key("retry-after"));
            let answer: Value = r.json().await.unwrap();
            assert_eq!(answer["error"]["code"], "store_full");
            assert_eq!(
                server.stored_rows().await["orders"],
                before,
                "nothing of a refused request is stored"
            );
            refused = Some(round);
            break;
        }
        assert_eq!(r.status(), 200);
    }
    assert!(refused.is_some(), "the cap was reached");
    let (status, _) = server.get("/healthz").await;
    assert_eq!(status, 200);
    server.stop().await;
}

/// Sends raw bytes on a fresh connection and returns what the server answered (empty if it closed).
async fn raw(addr: &str, bytes: &[u8], then_wait: Duration) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(then_wait, s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// The rest of the hostile list: deep nesting, numbers out of range, a body that lies about its length,
/// and slow-loris clients (headers or body trickled): each gets a clear error or is cut off, nothing is
/// stored, and the server keeps serving others meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_bodies_and_slow_clients_change_nothing() {
    let server = TestServer::start_with(
        &fixture("basic"),
        |c| {
            c.limits.header_timeout = Duration::from_millis(500);
            c.limits.body_timeout = Duration::from_millis(800);
        },
        None,
    )
    .await;
    let (status, _) = server.ndjson("orders", &[good("a")]).await;
    assert_eq!(status, 200);
    let before = server.stored_rows().await;
    let line = |v: Value| format!("{v}\n");
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let cases: Vec<(&str, String, Vec<usize>)> = vec![
        (
            "deeply nested value in a declared column",
            format!(
                "{}{{\"event_id\":\"n1\",\"event_time\":1,\"region\":\"n\",\"amount\":1,\"note\":{}}}\n",
                line(good("c")),
                deep(100_000)
            ),
            vec![2],
        ),
        (
            "deeply nested value in an unknown field",
            format!(
                "{{\"event_id\":\"n2\",\"event_time\":1,\"region\":\"n\",\"amount\":1,\"extra\":{}}}\n",
                deep(100_000)
            ),
            vec![1],
        ),
        (
            "integer beyond int64",
            line(json!({"event_id": "n3", "event_time": 1, "region": "n"}))
                .replace('}', ",\"amount\":99999999999999999999}"),
            vec![1],
        ),
        (
            "number beyond float64",
            line(json!({"event_id": "n4", "event_time": 1, "region": "n"})).replace('}', ",\"amount\":1e400}"),
            vec![1],
        ),
        (
            "epoch milliseconds beyond 2200",
            line(json!({"event_id": "n5", "event_time": 9_000_000_000_000_000i64, "region": "n", "amount": 1})),
            vec![1],
        ),
    ];
    for (what, body, lines) in cases {
        let (status, answer) = server.post(EVENTS, "application/x-ndjson", body).await;
        assert_eq!(status, 422, "{what}: {answer}");
        let got: Vec<usize> = answer["error"]["lines"]
            .as_array()
            .unwrap_or(&Vec::new())
            .iter()
            .map(|l| l["line"].as_u64().unwrap() as usize)
            .collect();
        assert_eq!(got, lines, "{what}: {answer}");
        assert_eq!(server.stored_rows().await, before, "{what}: nothing stored");
    }

    let addr = server.base.trim_start_matches("http://").to_string();
    let head = |len: usize| {
        format!(
            "POST {EVENTS} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-ndjson\r\nContent-Length: {len}\r\n\r\n"
        )
    };
    // A body shorter than its Content-Length, then the client goes away: nothing stored.
    let body = line(good("lie1"));
    let mut bytes = head(body.len() + 500).into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    let answer = raw(&addr, &bytes, Duration::from_millis(200)).await;
    assert!(answer.is_empty() || !answer.starts_with("HTTP/1.1 200"), "{answer}");
    // A Content-Length shorter than the body: only that many bytes are the body (a cut line: 422), and
    // the rest is not taken for a request.
    let body = line(good("lie2"));
    let mut bytes = head(body.len() / 2).into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    let answer = raw(&addr, &bytes, Duration::from_millis(500)).await;
    assert!(answer.starts_with("HTTP/1.1 422"), "{answer}");
    assert!(!answer.contains("HTTP/1.1 200"), "{answer}");
    // Slow loris, body: the head arrives, the body never completes; the server answers 408 in time.
    let slow_body = tokio::spawn({
        let addr = addr.clone();
        let head = head(100);
        async move { raw(&addr, head.as_bytes(), Duration::from_secs(10)).await }
    });
    // Slow loris, headers: the request line and no end of headers; the connection is closed.
    let slow_head = tokio::spawn({
        let addr = addr.clone();
        async move {
            raw(
                &addr,
                format!("POST {EVENTS} HTTP/1.1\r\nHost: {addr}\r\n").as_bytes(),
                Duration::from_secs(10),
            )
            .await
        }
    });
    // Meanwhile others are served.
    let (status, _) = server.ndjson("orders", &[good("b")]).await;
    assert_eq!(status, 200);
    let answer = slow_body.await.unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 408") && answer.contains("request_timeout"),
        "{answer}"
    );
    let answer = slow_head.await.unwrap();
    assert!(!answer.contains("200"), "the slow head is dropped: {answer:?}");
    let mut after = before.clone();
    *after.get_mut("orders").unwrap() += 1;
    assert_eq!(server.stored_rows().await, after, "only the good request was stored");
    server.stop().await;
}
