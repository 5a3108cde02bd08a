//! Shared test helpers: a real server on 127.0.0.1:0, a real HTTP client, real WebSocket clients, and a
//! `Mirror` that applies snapshots and deltas exactly as a screen would.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use ioc_stream::config::Config;
use ioc_stream::server::{self, Running};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

pub struct TestServer {
    pub running: Option<Running>,
    pub base: String,
    pub ws_url: String,
    pub http: reqwest::Client,
    _data: tempfile::TempDir,
}

/// A copy of a fixture folder that the test may change (scenarios written through the API land there).
pub fn copy_fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture(name), dir.path());
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The address a server process prints on its first line (`listening on http://HOST:PORT`), or the
/// line it printed instead.
pub fn listening(child: &mut std::process::Child) -> Result<String, String> {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout is piped"))
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    line.trim()
        .strip_prefix("listening on ")
        .map(str::to_string)
        .ok_or(line)
}

pub fn test_config(queries: &Path, data: &Path) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        queries: queries.to_path_buf(),
        data_dir: data.to_path_buf(),
        heartbeat: Duration::from_millis(500),
        ..Config::default()
    }
}

impl TestServer {
    pub async fn start(queries: &Path) -> TestServer {
        Self::start_with(queries, |_| {}, None).await
    }

    pub async fn start_with(
        queries: &Path,
        adjust: impl FnOnce(&mut Config),
        simulator: Option<ioc_stream::simulator::SimulatorOptions>,
    ) -> TestServer {
        let data = tempfile::tempdir().unwrap();
        let mut config = test_config(queries, data.path());
        adjust(&mut config);
        let running = server::start(config, simulator).await.expect("the server starts");
        let addr = running.addr;
        TestServer {
            running: Some(running),
            base: format!("http://{addr}"),
            ws_url: format!("ws://{addr}/ws"),
            http: reqwest::Client::new(),
            _data: data,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn send_json(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .request(method, self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// The Prometheus text of `/metrics`.
    pub async fn metrics(&self) -> String {
        self.http
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The scenario's entry in `GET /api/v1/scenarios`.
    pub async fn scenario(&self, name: &str) -> Option<Value> {
        let (_, list) = self.get("/api/v1/scenarios").await;
        list.as_array().unwrap().iter().find(|s| s["name"] == name).cloned()
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.http.get(self.url(path)).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// POSTs a body with a content type; the status and the JSON answer.
    pub async fn post(&self, path: &str, content_type: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn ndjson(&self, stream: &str, events: &[Value]) -> (u16, Value) {
        let body: String = events.iter().map(|e| format!("{e}\n")).collect();
        self.post(
            &format!("/api/v1/streams/{stream}/events"),
            "application/x-ndjson",
            body,
        )
        .await
    }

    /// Rows stored per stream, from `GET /api/v1/streams`.
    pub async fn stored_rows(&self) -> BTreeMap<String, u64> {
        let (_, v) = self.get("/api/v1/streams").await;
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| (s["name"].as_str().unwrap().to_string(), s["rows"].as_u64().unwrap()))
            .collect()
    }

    pub async fn ws(&self) -> Ws {
        let (ws, _) = tokio_tungstenite::connect_async(&self.ws_url)
            .await
            .expect("ws connects");
        ws
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }
}

pub async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

/// The next JSON text message, or None after `wait`.
pub async fn recv(ws: &mut Ws, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next()).await.ok()??;
        match msg.ok()? {
            Message::Text(t) => return Some(serde_json::from_str(&t).expect("server sends JSON")),
            Message::Close(_) => return None,
            _ => continue,
        }
    }
}

/// A scenario's state as a client builds it from snapshots and deltas.
#[derive(Debug, Default, Clone)]
pub struct Mirror {
    pub epoch: String,
    pub seq: u64,
    pub columns: Vec<String>,
    pub key: Vec<usize>,
    /// Keyed: key text -> row. Unkeyed: position -> row.
    pub rows: BTreeMap<String, Vec<Value>>,
    pub snapshots: usize,
    pub deltas: usize,
}

impl Mirror {
    fn key_text(&self, key: &[Value]) -> String {
        serde_json::to_string(key).unwrap()
    }

    /// Applies a snapshot or delta; an error if `seq` is not contiguous or a delta names an unknown key.
    pub fn apply(&mut self, msg: &Value) -> Result<(), String> {
        let seq = msg["seq"].as_u64().ok_or("no seq")?;
        let epoch = msg["epoch"].as_str().ok_or("no epoch")?.to_string();
        match msg["type"].as_str() {
            Some("snapshot") => {
                self.columns = msg["columns"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["name"].as_str().unwrap().to_string())
                    .collect();
                let key: Vec<String> = serde_json::from_value(msg["key"].clone()).unwrap();
                self.key = key
                    .iter()
                    .map(|k| self.columns.iter().position(|c| c == k).unwrap())
                    .collect();
                self.rows.clear();
                for (i, row) in msg["rows"].as_array().unwrap().iter().enumerate() {
                    let row = row.as_array().unwrap().clone();
                    let k = if self.key.is_empty() {
                        format!("{i:08}")
                    } else {
                        self.key_text(&self.key.iter().map(|&k| row[k].clone()).collect::<Vec<_>>())
                    };
                    self.rows.insert(k, row);
                }
                self.snapshots += 1;
            }
            Some("delta") => {
                if epoch != self.epoch || seq != self.seq + 1 {
                    return Err(format!("gap: had {}#{}, got {epoch}#{seq}", self.epoch, self.seq));
                }
                for row in msg["upsert"].as_array().unwrap() {
                    let row = row.as_array().unwrap().clone();
                    let k = self.key_text(&self.key.iter().map(|&k| row[k].clone()).collect::<Vec<_>>());
                    self.rows.insert(k, row);
                }
                for key in msg["delete"].as_array().unwrap() {
                    let k = self.key_text(key.as_array().unwrap());
                    if self.rows.remove(&k).is_none() {
                        return Err(format!("delete of a key not held: {k}"));
                    }
                }
                self.deltas += 1;
            }
            other => return Err(format!("not an update: {other:?}")),
        }
        self.epoch = epoch;
        self.seq = seq;
        Ok(())
    }

    /// Rows as a sorted list of JSON texts (order-free comparison).
    pub fn sorted(&self) -> Vec<Value> {
        let mut rows: Vec<Value> = self.rows.values().map(|r| Value::Array(r.clone())).collect();
        rows.sort_by_key(|r| r.to_string());
        rows
    }
}

pub fn sorted(mut rows: Vec<Value>) -> Vec<Value> {
    rows.sort_by_key(|r| r.to_string());
    rows
}

/// Mirrors of several scenarios over one connection.
pub struct Screen {
    pub ws: Ws,
    pub mirrors: BTreeMap<String, Mirror>,
    pub heartbeats: usize,
}

impl Screen {
    pub async fn subscribe(server: &TestServer, scenarios: &[&str]) -> Screen {
        let mut ws = server.ws().await;
        for s in scenarios {
            send(&mut ws, json!({"op": "subscribe", "scenario": s})).await;
        }
        Screen {
            ws,
            mirrors: BTreeMap::new(),
            heartbeats: 0,
        }
    }

    /// Applies messages until `done(mirrors)` holds; panics with the last state after `wait`.
    pub async fn until(&mut self, wait: Duration, mut done: impl FnMut(&BTreeMap<String, Mirror>) -> bool) {
        let deadline = tokio::time::Instant::now() + wait;
        while !done(&self.mirrors) {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let Some(msg) = recv(&mut self.ws, left).await else {
                panic!("timed out; state: {:#?}", self.mirrors);
            };
            match msg["type"].as_str() {
                Some("snapshot") | Some("delta") => {
                    let name = msg["scenario"].as_str().unwrap().to_string();
                    self.mirrors.entry(name).or_default().apply(&msg).unwrap();
                }
                Some("heartbeat") => self.heartbeats += 1,
                _ => panic!("unexpected message {msg}"),
            }
        }
    }
}

/// Polls `f` until it returns Some, for at most `wait`.
pub async fn eventually<T, F, Fut>(wait: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met within {wait:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
