//! The real binary under hostile conditions of its own machine (items 8 and 9 of issue 9): a data directory
//! deleted while it runs, a disk that takes no more bytes, and the whole process stopped (SIGSTOP) and
//! continued. Health says what is wrong, the server mends what it can, and nothing is lost or dropped for
//! the server's own trouble.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{eventually, fixture, recv, send};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_ioc-stream");
const WAIT: Duration = Duration::from_secs(30);

/// A server process and its address.
struct Proc {
    child: Child,
    base: String,
}

impl Proc {
    /// `serve` on a free port; `wrap` is a shell prelude run before the binary replaces the shell
    /// (limits, signal dispositions), `config` the text of a `--config` file.
    fn start(data: &Path, config: &str, wrap: &str) -> Proc {
        let config_file = data.with_extension("toml");
        std::fs::write(&config_file, config).unwrap();
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!("{wrap}\nexec \"$0\" \"$@\""))
            .arg(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--queries"])
            .arg(fixture("basic"))
            .arg("--data-dir")
            .arg(data)
            .arg("--config")
            .arg(&config_file)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("the server did not start: {line:?}"))
            .to_string();
        Proc { child, base }
    }

    fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{name}");
    }

    fn term(mut self) {
        self.signal("TERM");
        let status = self.child.wait().unwrap();
        assert!(status.success(), "clean exit after SIGTERM: {status:?}");
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn order(id: &str) -> String {
    let event = json!({"event_id": id, "event_time": chrono::Utc::now().to_rfc3339(), "region": "north", "amount": 1});
    format!("{event}\n")
}

async fn ingest(http: &reqwest::Client, base: &str, id: &str) -> (u16, Value) {
    let r = http
        .post(format!("{base}/api/v1/streams/orders/events"))
        .header("content-type", "application/x-ndjson")
        .body(order(id))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn get(http: &reqwest::Client, url: String) -> (u16, Value) {
    let r = http.get(url).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn ids(http: &reqwest::Client, base: &str) -> Vec<String> {
    let r = http
        .post(format!("{base}/api/v1/query"))
        .json(&json!({"sql": "SELECT event_id FROM orders ORDER BY event_id"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap().to_string())
        .collect()
}

fn wal_files(data: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(data.join("wal/orders")) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

/// The data directory is deleted while the server runs: the next request recreates the WAL folders and
/// its events survive a restart (before the fix they went into the deleted file, or every request was a
/// 503 until the folder was recreated by hand).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_data_directory_is_recreated() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let http = reqwest::Client::new();
    let server = Proc::start(&data, "", "");
    let base = server.base.clone();
    assert_eq!(ingest(&http, &base, "before").await.0, 200);
    std::fs::remove_dir_all(&data).unwrap();
    let (status, body) = ingest(&http, &base, "after").await;
    assert_eq!(status, 200, "{body}");
    assert!(!wal_files(&data).is_empty(), "the WAL folder and a new file are there");
    let (status, body) = get(&http, format!("{base}/readyz")).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")), "{body}");
    let (_, body) = get(&http, format!("{base}/healthz")).await;
    let said = body["checks"]["wal"]["last_error"].as_str().unwrap_or_default();
    assert!(said.contains("deleted"), "/healthz says what happened: {body}");
    server.term();
    let server = Proc::start(&data, "", "");
    assert_eq!(
        ids(&http, &server.base).await,
        vec!["after"],
        "what was acknowledged after the deletion survives the restart"
    );
    server.term();
}

/// A disk that takes no more bytes (here: a file-size limit of 0, with SIGXFSZ ignored, as a full disk
/// answers ENOSPC): ingest is refused with 503 and leaves no file behind, `/readyz` is 503 and `/healthz`
/// says `degraded` with the reason; once the disk takes bytes again, both recover and ingest works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_reported_and_leaves_no_empty_files() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let http = reqwest::Client::new();
    let server = Proc::start(&data, "", "trap '' XFSZ\nulimit -S -f 0");
    let base = server.base.clone();
    for i in 0..5 {
        let (status, body) = ingest(&http, &base, &format!("full-{i}")).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (503, Some("wal_unavailable")),
            "{body}"
        );
    }
    assert_eq!(
        wal_files(&data),
        Vec::<PathBuf>::new(),
        "no empty .wal files are left behind"
    );
    let (status, body) = get(&http, format!("{base}/readyz")).await;
    assert_eq!((status, body["status"].as_str()), (503, Some("not_ready")), "{body}");
    assert_eq!(body["checks"]["wal"]["ok"], false, "{body}");
    assert!(
        body["checks"]["wal"]["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
    let (status, body) = get(&http, format!("{base}/healthz")).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("degraded")), "{body}");
    // The disk takes bytes again.
    let pid = server.child.id().to_string();
    let lifted = Command::new("prlimit")
        .args(["--pid", &pid, "--fsize=unlimited:"])
        .status()
        .expect("prlimit (util-linux)");
    assert!(lifted.success());
    eventually(WAIT, || {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let (status, body) = get(&http, format!("{base}/readyz")).await;
            (status == 200 && body["checks"]["wal"]["last_error"].is_string()).then_some(())
        }
    })
    .await;
    assert_eq!(ingest(&http, &base, "later").await.0, 200);
    let (status, body) = get(&http, format!("{base}/healthz")).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")), "{body}");
    server.term();
}

/// Item 9: the server is stopped (SIGSTOP) for longer than the idle timeout, then continued. A client
/// that answered every ping the server sent was not silent: it stays connected and served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_and_continued_server_keeps_its_clients() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = Proc::start(&data, "[limits]\nping_interval_ms = 300\nidle_timeout_ms = 2000\n", "");
    let ws_url = server.base.replace("http://", "ws://") + "/ws";
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url).await.unwrap();
    send(&mut ws, json!({"op": "ping"})).await;
    assert_eq!(recv(&mut ws, WAIT).await.unwrap()["type"], "pong");
    // Reading answers the server's pings; read for a while, so the connection is settled.
    let until = tokio::time::Instant::now() + Duration::from_secs(1);
    while recv(&mut ws, until.saturating_duration_since(tokio::time::Instant::now()))
        .await
        .is_some()
    {}
    server.signal("STOP");
    tokio::time::sleep(Duration::from_secs(5)).await;
    server.signal("CONT");
    // Still served for longer than the idle timeout after the pause, reading (and so answering pings).
    let until = tokio::time::Instant::now() + Duration::from_secs(4);
    while tokio::time::Instant::now() < until {
        let left = until.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, futures::StreamExt::next(&mut ws)).await {
            Err(_) => break,
            Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame)))) => {
                panic!("dropped after the server's own pause: {frame:?}")
            }
            Ok(Some(Ok(_))) => {}
            Ok(None) | Ok(Some(Err(_))) => panic!("the connection ended after the server's own pause"),
        }
    }
    send(&mut ws, json!({"op": "ping"})).await;
    let pong = loop {
        let m = recv(&mut ws, WAIT).await.expect("still connected");
        if m["type"] != "heartbeat" {
            break m;
        }
    };
    assert_eq!(pong["type"], "pong");
    server.term();
}

/// Item 4: with a low open-file limit (`ulimit -n 320`), more clients than descriptors connect and hold
/// their connections. The server keeps descriptors in reserve: a client past its cap gets `503
/// server_busy` at once instead of waiting in the listen queue for ever, and once the crowd leaves
/// everything is served again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_clients_than_file_descriptors_get_a_clear_answer() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let config = "[limits]\nheader_timeout_ms = 60000\nmax_connections_per_ip = 100000\n";
    let server = Proc::start(&data, config, "ulimit -n 320");
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut crowd = Vec::new();
    for _ in 0..400 {
        crowd.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let health = format!("{}/healthz", server.base);
    let answer = eventually(WAIT, || {
        let (http, health) = (http.clone(), health.clone());
        async move {
            // Past the refusals answered at once a connection may be closed without an answer: try again.
            let r = http.get(health).send().await.ok()?;
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            (status != 200).then_some((status, body))
        }
    })
    .await;
    assert_eq!(answer.0, 503, "{answer:?}");
    assert_eq!(answer.1["error"]["code"], "server_busy", "{answer:?}");
    drop(crowd);
    eventually(WAIT, || {
        let (http, health) = (http.clone(), health.clone());
        async move {
            let r = http.get(health).send().await.ok()?;
            (r.status() == 200).then_some(())
        }
    })
    .await;
    server.term();
}
