//! Connectors against the real brokers on this machine (and in CI): NATS with JetStream on
//! 127.0.0.1:4222, Mosquitto on 127.0.0.1:1883. A test that cannot reach its broker fails with a clear
//! message when `CI` is set, and otherwise prints why it is skipped. Every test uses its own stream,
//! subjects, topics and client ids (a random suffix), so runs do not collide.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use async_nats::jetstream;
use common::{copy_fixture, Mirror, TestServer};
use futures::StreamExt;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_ioc-stream");
const NATS: &str = "127.0.0.1:4222";
const MQTT: &str = "127.0.0.1:1883";

/// True when the broker answers; false (after saying so) when it does not and `CI` is not set.
fn broker(addr: &str, what: &str) -> bool {
    let ok = std::net::TcpStream::connect_timeout(&addr.parse().unwrap(), Duration::from_secs(2)).is_ok();
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!("{what} is not reachable at {addr}: CI must run it (see .ci/run and docs/protocol.md, \"Sources\")");
        }
        eprintln!("SKIPPED: {what} is not reachable at {addr}");
    }
    ok
}

fn suffix() -> String {
    format!("{:08x}", rand::random::<u32>())
}

/// The `basic` fixture with sources appended to the `orders` stream.
fn queries_with(sources: &str) -> tempfile::TempDir {
    let dir = copy_fixture("basic");
    let path = dir.path().join("streams.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push('\n');
    text.push_str(sources);
    std::fs::write(&path, text).unwrap();
    dir
}

fn nats_source(s: &str) -> String {
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

fn mqtt_source(s: &str) -> String {
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

fn order(id: &str) -> Value {
    json!({"event_id": id, "event_time": chrono::Utc::now().to_rfc3339(), "region": "north", "amount": 1})
}

fn ndjson(ids: impl Iterator<Item = String>) -> String {
    ids.map(|id| format!("{}\n", order(&id))).collect()
}

/// A JetStream context with the test's stream created.
async fn jetstream_for(s: &str) -> jetstream::Context {
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

async fn publish_js(js: &jetstream::Context, s: &str, body: String) {
    js.publish(format!("ioct.{s}.orders"), body.into())
        .await
        .unwrap()
        .await
        .expect("JetStream stores the message");
}

/// The real binary, started on a data directory and killed or stopped by the test.
struct Proc {
    child: Child,
    base: String,
}

impl Proc {
    fn start(queries: &Path, data: &Path, extra: &[&str]) -> Proc {
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

    fn kill(mut self) {
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
async fn forget_mqtt_session(client_id: String) {
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

async fn get(http: &reqwest::Client, url: String) -> Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

/// `(count(*), count(DISTINCT event_id))` of orders.
async fn counts(http: &reqwest::Client, base: &str) -> (u64, u64) {
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
async fn until_count(http: &reqwest::Client, base: &str, n: u64, wait: Duration) -> (u64, u64) {
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

async fn source(http: &reqwest::Client, base: &str) -> Value {
    get(http, format!("{base}/api/v1/sources")).await[0].clone()
}

/// JetStream: events published while the server is SIGKILLed and restarted are all stored exactly once,
/// and the consumer resumes from its durable position (not from the start of the stream).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_sigkill_and_restart_counts_every_event_once() {
    if !broker(NATS, "NATS JetStream") {
        return;
    }
    let s = suffix();
    let js = jetstream_for(&s).await;
    let queries = queries_with(&nats_source(&s));
    let data = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let (messages, per_message) = (300usize, 40usize);
    let publisher = {
        let (js, s) = (js.clone(), s.clone());
        tokio::spawn(async move {
            for m in 0..messages {
                publish_js(&js, &s, ndjson((0..per_message).map(|e| format!("{s}-{m}-{e}")))).await;
                if m % 10 == 0 {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        })
    };
    let server = Proc::start(queries.path(), data.path(), &["--fsync", "interval"]);
    // Kill it in the middle of the stream of messages.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while counts(&http, &server.base).await.0 < 2_000 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the source took nothing in 30 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill();
    publisher.await.unwrap();
    let total = (messages * per_message) as u64;
    let server = Proc::start(queries.path(), data.path(), &["--fsync", "interval"]);
    let (n, ids) = until_count(&http, &server.base, total, Duration::from_secs(60)).await;
    assert_eq!((n, ids), (total, total), "count(*) == count(DISTINCT id) == published");
    let src = source(&http, &server.base).await;
    assert_eq!(src["kind"], "nats");
    assert_eq!(src["state"], "connected", "{src}");
    assert!(
        src["received"].as_u64().unwrap() < messages as u64,
        "the consumer resumed from its position instead of the start: {src}"
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let src = source(&http, &server.base).await;
    assert_eq!(src["pending"], 0, "no consumer lag once caught up: {src}");
    let _ = js.delete_stream(format!("IOCT_{s}")).await;
}

/// A message that cannot be decoded, or whose events are invalid, is terminated, counted and kept with
/// its reason; the messages around it are stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_poison_message_is_rejected_and_the_rest_flows() {
    if !broker(NATS, "NATS JetStream") {
        return;
    }
    let s = suffix();
    let js = jetstream_for(&s).await;
    let queries = queries_with(&nats_source(&s));
    let server = TestServer::start(queries.path()).await;
    publish_js(&js, &s, ndjson((0..10).map(|i| format!("a{i}")))).await;
    publish_js(&js, &s, "this is not json\n".into()).await;
    publish_js(&js, &s, r#"{"event_id":"x","region":"north","amount":1}"#.into()).await;
    publish_js(&js, &s, ndjson((0..10).map(|i| format!("b{i}")))).await;
    let (n, ids) = until_count(&server.http, &server.base, 20, Duration::from_secs(30)).await;
    assert_eq!((n, ids), (20, 20));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let src = loop {
        let src = source(&server.http, &server.base).await;
        if src["rejected"] == 2 && src["acked"] == 2 || tokio::time::Instant::now() > deadline {
            break src;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        (
            src["received"].as_u64(),
            src["acked"].as_u64(),
            src["rejected"].as_u64()
        ),
        (Some(4), Some(2), Some(2)),
        "{src}"
    );
    let (status, rejects) = server.get("/api/v1/sources/orders/rejects").await;
    assert_eq!(status, 200);
    let rejects = rejects.as_array().unwrap();
    assert_eq!(rejects.len(), 2, "{rejects:?}");
    assert_eq!(rejects[0]["subject"], format!("ioct.{s}.orders"));
    assert!(rejects[0]["preview"].as_str().unwrap().contains("not json"));
    assert!(
        rejects[1]["reason"].as_str().unwrap().contains("event_time"),
        "{}",
        rejects[1]
    );
    assert_eq!(server.get("/api/v1/sources/nope/rejects").await.0, 404);
    let metrics = server.metrics().await;
    assert!(metrics.contains("ioc_source_rejected_total"), "{metrics}");
    // Terminated, not redelivered: nothing waits for an ack.
    let mut consumer: jetstream::consumer::PullConsumer = js
        .get_stream(format!("IOCT_{s}"))
        .await
        .unwrap()
        .get_consumer(&format!("ioct-{s}"))
        .await
        .unwrap();
    let info = consumer.info().await.unwrap();
    assert_eq!((info.num_pending, info.num_ack_pending), (0, 0), "{info:?}");
    server.stop().await;
    let _ = js.delete_stream(format!("IOCT_{s}")).await;
}

/// A broker that is not there at start: the server serves meanwhile and the source says why it waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_broker_does_not_stop_the_server() {
    let s = suffix();
    let unreachable = nats_source(&s).replace(&format!("nats://{NATS}"), "nats://127.0.0.1:1");
    let queries = queries_with(&unreachable);
    let server = TestServer::start(queries.path()).await;
    let (status, _) = server.ndjson("orders", &[order("http-1")]).await;
    assert_eq!(status, 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let src = source(&server.http, &server.base).await;
        if src["state"] == "error" {
            assert!(src["last_error"].as_str().unwrap().contains("127.0.0.1:1"), "{src}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{src}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::timeout(Duration::from_secs(10), server.stop())
        .await
        .expect("shutdown does not wait for the broker");
}

/// MQTT QoS 1: events published before, during (the broker keeps them for the persistent session) and
/// after a restart of the server are all stored exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt_qos1_across_a_server_restart() {
    if !broker(MQTT, "Mosquitto") {
        return;
    }
    let s = suffix();
    let queries = queries_with(&mqtt_source(&s));
    let data = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let mut opts = rumqttc::MqttOptions::new(format!("ioct-pub-{s}"), "127.0.0.1", 1883);
    opts.set_keep_alive(Duration::from_secs(10));
    let (client, mut events) = rumqttc::AsyncClient::new(opts, 100);
    let pump = tokio::spawn(async move { while events.poll().await.is_ok() {} });
    let topic = format!("ioct/{s}/orders/a");
    let publish = |round: usize, n: usize| {
        let (client, topic) = (client.clone(), topic.clone());
        async move {
            for m in 0..n {
                let body = ndjson((0..10).map(|e| format!("r{round}-{m}-{e}")));
                client
                    .publish(&topic, rumqttc::QoS::AtLeastOnce, false, body)
                    .await
                    .unwrap();
            }
        }
    };
    let server = Proc::start(queries.path(), data.path(), &[]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while source(&http, &server.base).await["state"] != "connected" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the MQTT source did not connect"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    publish(0, 50).await;
    until_count(&http, &server.base, 300, Duration::from_secs(30)).await;
    server.kill();
    // The server is down: the broker keeps QoS 1 messages for its persistent session.
    publish(1, 50).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let server = Proc::start(queries.path(), data.path(), &[]);
    publish(2, 50).await;
    let (n, ids) = until_count(&http, &server.base, 1_500, Duration::from_secs(60)).await;
    assert_eq!((n, ids), (1_500, 1_500), "count(*) == count(DISTINCT id) == published");
    pump.abort();
    server.kill();
    forget_mqtt_session(format!("ioct-{s}")).await;
}

/// Results out: a NATS subscriber that applies the published snapshots and deltas holds exactly the
/// scenario's result; alerts arrive on PREFIX.alerts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_results_applied_equal_the_scenario_result() {
    if !broker(NATS, "NATS") {
        return;
    }
    let s = suffix();
    let prefix = format!("ioct.{s}.results");
    let nats = async_nats::connect(NATS).await.unwrap();
    let mut updates = nats.subscribe(format!("{prefix}.by_region")).await.unwrap();
    nats.flush().await.unwrap();
    let queries = copy_fixture("basic");
    let publish = ioc_stream::publish::PublishConfig {
        url: format!("nats://{NATS}"),
        prefix: prefix.clone(),
        snapshot_every: 3,
        user: None,
        password_env: None,
        token_env: None,
        creds_file: None,
        tls: Default::default(),
        tls_required: false,
    };
    let server = TestServer::start_with(queries.path(), |c| c.publish = Some(publish), None).await;
    let regions = ["north", "south", "east", "west"];
    let mut mirror = Mirror::default();
    let mut snapshots = 0;
    for round in 0..12 {
        let events: Vec<Value> = (0..5)
            .map(|i| {
                json!({"event_id": format!("{round}-{i}"), "event_time": chrono::Utc::now().to_rfc3339(),
                       "region": regions[(round + i) % regions.len()], "amount": round * 10 + i})
            })
            .collect();
        assert_eq!(server.ndjson("orders", &events).await.0, 200);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    // Apply what arrives until the mirror holds the current result's seq.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (_, result) = server.get("/api/v1/scenarios/by_region/result").await;
        if mirror.seq == result["seq"].as_u64().unwrap() && mirror.seq > 0 {
            let rows: Vec<Value> = result["rows"].as_array().unwrap().clone();
            assert_eq!(
                mirror.sorted(),
                common::sorted(rows),
                "the published messages give the result"
            );
            break;
        }
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let msg = tokio::time::timeout(left, updates.next())
            .await
            .unwrap_or_else(|_| panic!("no update; mirror {mirror:?}, result {result}"))
            .unwrap();
        let v: Value = serde_json::from_slice(&msg.payload).unwrap();
        if v["type"] == "snapshot" {
            snapshots += 1;
        }
        mirror.apply(&v).unwrap_or_else(|e| panic!("{e}: {v}"));
    }
    assert!(
        snapshots >= 2,
        "a snapshot at the start and every 3 updates: {snapshots}"
    );
    server.stop().await;
}

/// A TCP relay in front of a broker that the test can cut (every connection dropped, new ones refused)
/// and restore: the broker going away and coming back, without touching the broker other tests share.
struct Relay {
    port: u16,
    down: tokio::sync::watch::Sender<bool>,
}

impl Relay {
    async fn start(upstream: &'static str) -> Relay {
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

    fn set_down(&self, down: bool) {
        self.down.send_replace(down);
    }
}

/// The broker goes away while the server runs and comes back: the MQTT source reconnects and catches up
/// from its persistent session; the server answers meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt_broker_lost_while_running_catches_up() {
    if !broker(MQTT, "Mosquitto") {
        return;
    }
    let s = suffix();
    let relay = Relay::start(MQTT).await;
    let queries = queries_with(&mqtt_source(&s).replace(MQTT, &format!("127.0.0.1:{}", relay.port)));
    let server = TestServer::start(queries.path()).await;
    let mut opts = rumqttc::MqttOptions::new(format!("ioct-pub-{s}"), "127.0.0.1", 1883);
    opts.set_keep_alive(Duration::from_secs(10));
    let (client, mut events) = rumqttc::AsyncClient::new(opts, 100);
    let pump = tokio::spawn(async move { while events.poll().await.is_ok() {} });
    let topic = format!("ioct/{s}/orders/b");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while source(&server.http, &server.base).await["state"] != "connected" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the MQTT source did not connect"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for round in 0..2 {
        for m in 0..20 {
            let body = ndjson((0..10).map(|e| format!("{round}-{m}-{e}")));
            client
                .publish(&topic, rumqttc::QoS::AtLeastOnce, false, body)
                .await
                .unwrap();
        }
        if round == 0 {
            until_count(&server.http, &server.base, 200, Duration::from_secs(30)).await;
            relay.set_down(true);
            let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
            while source(&server.http, &server.base).await["state"] == "connected" {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the source did not notice the broker left"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert_eq!(server.ndjson("orders", &[order(&format!("http-{s}"))]).await.0, 200);
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    relay.set_down(false);
    let (n, ids) = until_count(&server.http, &server.base, 401, Duration::from_secs(60)).await;
    assert_eq!((n, ids), (401, 401));
    pump.abort();
    server.stop().await;
    forget_mqtt_session(format!("ioct-{s}")).await;
}

/// The same for JetStream: the client reconnects and the durable consumer delivers what was published
/// while the broker was away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_broker_lost_while_running_catches_up() {
    if !broker(NATS, "NATS JetStream") {
        return;
    }
    let s = suffix();
    let js = jetstream_for(&s).await;
    let relay = Relay::start(NATS).await;
    let queries = queries_with(&nats_source(&s).replace(NATS, &format!("127.0.0.1:{}", relay.port)));
    let server = TestServer::start(queries.path()).await;
    publish_js(&js, &s, ndjson((0..100).map(|i| format!("a{i}")))).await;
    until_count(&server.http, &server.base, 100, Duration::from_secs(30)).await;
    relay.set_down(true);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while source(&server.http, &server.base).await["state"] == "connected" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the source did not notice the broker left"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    publish_js(&js, &s, ndjson((0..100).map(|i| format!("b{i}")))).await;
    relay.set_down(false);
    let (n, ids) = until_count(&server.http, &server.base, 200, Duration::from_secs(60)).await;
    assert_eq!((n, ids), (200, 200));
    server.stop().await;
    let _ = js.delete_stream(format!("IOCT_{s}")).await;
}

/// `ioc-stream check` validates source settings: a mistake is an error (exit 1, `file:line: message`),
/// a secret's variable that is not set is a warning.
#[test]
fn check_validates_source_settings() {
    let run = |sources: &str| {
        let queries = queries_with(sources);
        let out = Command::new(BIN)
            .arg("check")
            .arg("--queries")
            .arg(queries.path())
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let bad = mqtt_source("x").replace("qos = 1", "qos = 2");
    let (code, stderr) = run(&bad);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("qos 2 is not supported"), "{stderr}");
    let creds = nats_source("y").replace(
        "format = \"ndjson\"",
        "format = \"ndjson\"\nuser = \"ioc\"\npassword_env = \"IOCT_UNSET_PASSWORD_VARIABLE\"",
    );
    let (code, stderr) = run(&creds);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("warning:") && stderr.contains("IOCT_UNSET_PASSWORD_VARIABLE"),
        "{stderr}"
    );
    let in_url = nats_source("z").replace("nats://", "nats://u:p@");
    let (code, stderr) = run(&in_url);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("no credentials in the URL"), "{stderr}");
}

/// A `[publish]` table with a mistake stops `serve` with a message naming it.
#[test]
fn serve_refuses_a_bad_publish_table() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ioc.toml");
    std::fs::write(
        &config,
        "[publish]\nurl = \"nats://127.0.0.1:4222\"\nprefix = \"ioc results\"\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("--queries")
        .arg(common::fixture("basic"))
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("publish.prefix"), "{stderr}");
}

/// `demo --via nats`: the simulator's events reach every stream through JetStream sources.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_via_nats_takes_the_simulator_events_through_jetstream() {
    if !broker(NATS, "NATS JetStream") {
        return;
    }
    let s = suffix();
    let via = ioc_stream::ingest::connectors::demo::DemoVia {
        url: format!("nats://{NATS}"),
        prefix: format!("ioct.d{s}"),
    };
    let queries = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
    let options = ioc_stream::simulator::SimulatorOptions {
        rate: 400.0,
        seed: 7,
        backfill: Duration::from_secs(600),
    };
    let server = TestServer::start_with(&queries, |c| c.demo_via = Some(via), Some(options)).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (_, sources) = server.get("/api/v1/sources").await;
        let sources = sources.as_array().unwrap().clone();
        let rows = server.stored_rows().await;
        let fed = sources
            .iter()
            .all(|src| src["kind"] == "nats" && src["acked"].as_u64() > Some(0));
        if fed && rows.values().all(|n| *n > 0) && sources.len() == rows.len() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{sources:#?} {rows:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let names: Vec<String> = server.stored_rows().await.into_keys().collect();
    server.stop().await;
    let js = jetstream::new(async_nats::connect(NATS).await.unwrap());
    for name in names {
        let _ = js
            .delete_stream(format!(
                "IOCT_D{}_{}",
                s.to_ascii_uppercase(),
                name.to_ascii_uppercase()
            ))
            .await;
    }
}
