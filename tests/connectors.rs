//! Connectors against the real brokers on this machine (and in CI): NATS with JetStream on
//! 127.0.0.1:4222, Mosquitto on 127.0.0.1:1883. A test that cannot reach its broker fails with a clear
//! message when `CI` is set, and otherwise prints why it is skipped. Every test uses its own stream,
//! subjects, topics and client ids (a random suffix), so runs do not collide. Broker outages, results out
//! and the demo through NATS are in `connectors_more.rs`.

mod brokers;
mod common;

use std::process::Command;
use std::time::Duration;

use async_nats::jetstream;
use brokers::*;
use common::TestServer;

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
