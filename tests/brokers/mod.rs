//! Helpers of the connector tests: reaching the brokers (skip, or fail under `CI`), unique names, the
//! catalog with sources, publishing, the real binary, counting, and a relay that cuts a broker off.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use async_nats::jetstream;
use serde_json::{json, Value};

use crate::common::copy_fixture;

pub const BIN: &str = env!("CARGO_BIN_EXE_ioc-stream");
pub const NATS: &str = "127.0.0.1:4222";
pub const MQTT: &str = "127.0.0.1:1883";

/// True when the broker answers; false (after saying so) when it does not and `CI` is not set.
pub fn broker(addr: &str, what: &str) -> bool {
    let ok = std::net::TcpStream::connect_timeout(&addr.parse().unwrap(), Duration::from_secs(2)).is_ok();
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!("{what} is not reachable at {addr}: CI must run it (see .ci/run and docs/protocol.md, \"Sources\")");
        }
        eprintln!("SKIPPED: {what} is not reachable at {addr}");
    }
    ok
}

pub fn suffix() -> String {
    format!("{:08x}", rand::random::<u32>())
}

/// The `basic` fixture with sources appended to the `orders` stream.
pub fn queries_with(sources: &str) -> tempfile::TempDir {
    let dir = copy_fixture("basic");
    let path = dir.path().join("streams.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push('\n');
    text.push_str(sources);
    std::fs::write(&path, text).unwrap();
    dir
}

pub fn nats_source(s: &str) -> String {
    format!(
        r#"
[[streams.orders.sources]]
kind = "nats"
url = "nats://{NATS}"
stream = "IOCT_{s}"
create = true
subject = "ioct.{s}.orders"
durable = "ioct-{s}"
format = "ndjson"
batch = {{ max_messages = 200, linger_ms = 5 }}
"#
    )
}

pub fn mqtt_source(s: &str) -> String {
    format!(
        r#"
[[streams.orders.sources]]
kind = "mqtt"
url = "mqtt://{MQTT}"
topics = ["ioct/{s}/orders/#"]
qos = 1
client_id = "ioct-{s}"
format = "ndjson"
"#
    )
}

pub fn order(id: &str) -> Value {
    json!({"event_id": id, "event_time": chrono::Utc::now().to_rfc3339(), "region": "north", "amount": 1})
}

pub fn ndjson(ids: impl Iterator<Item = String>) -> String {
    ids.map(|id| format!("{}\n", order(&id))).collect()
}

/// A JetStream context with the test's stream created.
pub async fn jetstream_for(s: &str) -> jetstream::Context {
    let client = async_nats::connect(NATS).await.expect("NATS connects");
    let js = jetstream::new(client);
    js.get_or_create_stream(jetstream::stream::Config {
        name: format!("IOCT_{s}"),
        subjects: vec![format!("ioct.{s}.orders")],
        ..Default::default()
    })
    .await
    .expect("the JetStream stream is created");
    js
}

pub async fn publish_js(js: &jetstream::Context, s: &str, body: String) {
    js.publish(format!("ioct.{s}.orders"), body.into())
        .await
        .unwrap()
        .await
        .expect("JetStream stores the message");
}

/// The real binary, started on a data directory and killed or stopped by the test.
pub struct Proc {
    child: Child,
    pub base: String,
}

impl Proc {
    pub fn start(queries: &Path, data: &Path, extra: &[&str]) -> Proc {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--queries"])
            .arg(queries)
            .arg("--data-dir")
            .arg(data)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let base =
            crate::common::listening(&mut child).unwrap_or_else(|line| panic!("the server did not start: {line:?}"));
        Proc { child, base }
    }

    pub fn kill(mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Ends a persistent MQTT session on the broker (connect with clean_session = true), so test runs leave
/// no sessions behind.
pub async fn forget_mqtt_session(client_id: String) {
    let mut opts = rumqttc::MqttOptions::new(client_id, "127.0.0.1", 1883);
    opts.set_clean_session(true);
    let (client, mut events) = rumqttc::AsyncClient::new(opts, 10);
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(ev) = events.poll().await {
            if matches!(ev, rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(_))) {
                let _ = client.disconnect().await;
            }
            if matches!(ev, rumqttc::Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
                break;
            }
        }
    })
    .await;
}

pub async fn get(http: &reqwest::Client, url: String) -> Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

/// `(count(*), count(DISTINCT event_id))` of orders.
pub async fn counts(http: &reqwest::Client, base: &str) -> (u64, u64) {
    let v: Value = http
        .post(format!("{base}/api/v1/query"))
        .json(&json!({"sql": "SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM orders"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let row = &v["rows"][0];
    (row[0].as_u64().unwrap(), row[1].as_u64().unwrap())
}

/// Waits until orders holds `n` rows; panics with the sources' status after `wait`.
pub async fn until_count(http: &reqwest::Client, base: &str, n: u64, wait: Duration) -> (u64, u64) {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let c = counts(http, base).await;
        if c.0 >= n {
            return c;
        }
        if tokio::time::Instant::now() > deadline {
            let sources = get(http, format!("{base}/api/v1/sources")).await;
            panic!("{} of {n} events after {wait:?}; sources: {sources:#}", c.0);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn source(http: &reqwest::Client, base: &str) -> Value {
    get(http, format!("{base}/api/v1/sources")).await[0].clone()
}

/// A TCP relay in front of a broker that the test can cut (every connection dropped, new ones refused)
/// and restore: the broker going away and coming back, without touching the broker other tests share.
pub struct Relay {
    pub port: u16,
    down: tokio::sync::watch::Sender<bool>,
}

impl Relay {
    pub async fn start(upstream: &'static str) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (down, watch) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if *watch.borrow() {
                    continue; // dropped: the broker is "away"
                }
                let mut watch = watch.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = watch.wait_for(|d| *d) => {}
                    }
                });
            }
        });
        Relay { port, down }
    }

    pub fn set_down(&self, down: bool) {
        self.down.send_replace(down);
    }
}
pub mod cluster;
