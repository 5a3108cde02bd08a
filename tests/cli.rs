//! The real binary: `serve --listen 127.0.0.1:0` prints its address, serves, and shuts down cleanly on
//! SIGTERM, closing WebSockets with 1001; `check` validates a queries folder offline.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::fixture;
use futures::StreamExt;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

const BIN: &str = env!("CARGO_BIN_EXE_ioc-stream");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_prints_its_address_and_stops_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().join("nested/data");
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--queries"])
        .arg(fixture("basic"))
        .arg("--data-dir")
        .arg(&data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("got {line:?}"))
        .to_string();
    assert!(base.starts_with("http://127.0.0.1:") && !base.ends_with(":0"), "{base}");
    assert!(data_dir.is_dir(), "--data-dir is created");
    let health = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);

    let ws_url = base.replace("http://", "ws://") + "/ws";
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url).await.unwrap();
    // One round trip, so the connection is being served (not still upgrading) when SIGTERM arrives.
    use futures::SinkExt;
    ws.send(Message::Text(r#"{"op":"ping"}"#.into())).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(msg)) = ws.next().await {
            if msg.to_text().is_ok_and(|t| t.contains("pong")) {
                return;
            }
        }
        panic!("the socket ended before the pong");
    })
    .await
    .expect("a pong");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let close = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(msg) = ws.next().await {
            if let Ok(Message::Close(frame)) = msg {
                return frame.map(|f| f.code);
            }
        }
        None
    })
    .await
    .expect("the socket closes");
    assert_eq!(close, Some(CloseCode::Away), "closed with 1001");
    let exit = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(exit.success(), "clean exit: {exit:?}");
}

#[test]
fn check_accepts_good_folders_and_names_the_line_of_each_problem() {
    for dir in [
        fixture("basic"),
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("queries"),
    ] {
        let out = Command::new(BIN)
            .arg("check")
            .arg("--queries")
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let bad = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("basic/streams.toml"), bad.path().join("streams.toml")).unwrap();
    std::fs::write(
        bad.path().join("typo.sql"),
        "-- title: t\n-- every: 1s\nSELECT nope FROM orders\n",
    )
    .unwrap();
    std::fs::write(
        bad.path().join("header.sql"),
        "-- title: t\n-- every: forever\nSELECT 1\n",
    )
    .unwrap();
    std::fs::write(
        bad.path().join("missing.sql"),
        "-- title: t\nSELECT count(*) FROM no_such_stream\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .arg("check")
        .arg("--queries")
        .arg(bad.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let p = bad.path().display();
    assert!(stderr.contains(&format!("{p}/typo.sql:3: ")), "{stderr}");
    assert!(stderr.contains(&format!("{p}/header.sql:2: every")), "{stderr}");
    assert!(
        stderr.contains(&format!("{p}/missing.sql:2: ")) && stderr.contains("no_such_stream"),
        "{stderr}"
    );
}

/// Runs `serve` with stderr piped (not a terminal) until SIGTERM; its stderr.
fn serve_logs(extra: &[&str]) -> String {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(extra)
        .args(["serve", "--listen", "127.0.0.1:0", "--queries"])
        .arg(fixture("basic"))
        .arg("--data-dir")
        .arg(data.path())
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("listening on "), "{line}");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stderr).unwrap()
}

/// Issue 13, item 5: no ANSI colour codes when stderr is not a terminal; `--log-format json` for shippers.
#[test]
fn logs_are_plain_off_a_terminal_and_json_on_request() {
    let text = serve_logs(&[]);
    assert!(text.contains("WAL replayed"), "{text}");
    assert!(!text.contains('\u{1b}'), "colour codes in logs to a pipe: {text:?}");
    let json = serve_logs(&["--log-format", "json"]);
    let lines: Vec<&str> = json.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty());
    for l in &lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
        assert!(v["level"].is_string() && v["timestamp"].is_string(), "{l}");
    }
    assert!(lines.iter().any(|l| l.contains("WAL replayed")), "{json}");
}
