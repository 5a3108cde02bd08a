//! More connector tests against the real brokers (see `connectors.rs` for the rules): a broker lost
//! while the server runs (through a relay the test cuts), results out on NATS applied by a subscriber,
//! and `demo --via nats`.

mod brokers;
mod common;

use std::path::Path;
use std::time::Duration;

use async_nats::jetstream;
use brokers::*;
use common::{copy_fixture, Mirror, TestServer};
use futures::StreamExt;
use serde_json::{json, Value};

/// Results out: a NATS subscriber that applies the published snapshots and deltas holds exactly the
/// scenario's result (with snapshots every `snapshot_every` updates between the deltas).
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
        history_days: 0,
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
