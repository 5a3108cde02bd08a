//! Cluster mode (docs/cluster.md) with real processes around a real NATS JetStream: a private
//! `nats-server` per test (so one test can restart it), two engine nodes, two edges, producers that count
//! only what the cluster acknowledged, and screens on real WebSockets that check every `seq`.
//! Without nats-server the tests say so and are skipped; under `CI` they fail.

mod brokers;
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use brokers::cluster::*;
use brokers::suffix;
use common::fixture;

const SCENARIO: &str = "by_region";

/// Waits until every screen holds exactly what the cluster acknowledged.
async fn until_exact(screens: &[(&str, Shared)], acked: &Acked, wait: Duration, nodes: &[&Node]) {
    let deadline = Instant::now() + wait;
    loop {
        let want = acked.lock().unwrap().clone();
        let all = screens
            .iter()
            .all(|(_, s)| by_region(&s.lock().unwrap().mirror) == want);
        if all {
            return;
        }
        if Instant::now() > deadline {
            let got: Vec<_> = screens
                .iter()
                .map(|(n, s)| (n, by_region(&s.lock().unwrap().mirror)))
                .collect();
            let logs: String = nodes
                .iter()
                .map(|n| format!("--- {} {}\n{}", n.kind, n.base, n.log()))
                .collect();
            panic!("screens differ from the acknowledged events after {wait:?}:\nwant {want:?}\ngot {got:?}\n{logs}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn check_clean(name: &str, seen: &Shared) {
    let s = seen.lock().unwrap();
    assert!(s.errors.is_empty(), "{name} saw: {:?}", s.errors);
    assert_eq!(s.epochs.len(), 1, "{name} saw the epoch change: {:?}", s.epochs);
}

/// SIGKILL of the leader while screens on two edges follow a scenario and producers push to both engines:
/// the standby leads within seconds, continues the epoch and seq, and every screen ends exact with no
/// gap. Then an edge dies and its screens resume on the other edge without a gap or a snapshot.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn leader_and_edge_failures_keep_every_screen_exact_and_gapless() {
    let Some(nats) = Nats::start() else { return };
    let name = format!("t{}", suffix());
    let queries = fixture("basic");
    let http = reqwest::Client::new();
    let mut a = Node::start("serve", &nats.url(), &name, &queries);
    let first = leader(&http, &a.base, 1, None, Duration::from_secs(20)).await;
    assert_eq!(first, node_id(&http, &a.base).await, "the first engine leads");
    eprintln!("[cluster test] a leads");
    let mut b = Node::start("serve", &nats.url(), &name, &queries);
    let mut e1 = Node::start("edge", &nats.url(), &name, &queries);
    let e2 = Node::start("edge", &nats.url(), &name, &queries);
    leader(&http, &e1.base, 4, None, Duration::from_secs(20)).await;
    let v = common::eventually(Duration::from_secs(10), || async {
        let v = view(&http, &e2.base).await?;
        let mut roles: Vec<String> = v["nodes"]
            .as_array()?
            .iter()
            .map(|n| n["role"].as_str().unwrap().to_string())
            .collect();
        roles.sort();
        (roles == ["edge", "edge", "leader", "standby"]).then_some(v)
    })
    .await;
    assert_eq!(v["leader"], first.as_str(), "{v}");
    assert!(v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["addr"].as_str().unwrap().starts_with("127.0.0.1:")));

    eprintln!("[cluster test] 4 nodes up");
    let acked: Acked = Arc::default();
    let run = suffix();
    let engines = vec![a.base.clone(), b.base.clone()];
    produce(
        http.clone(),
        engines.clone(),
        run.clone(),
        0,
        20,
        50,
        acked.clone(),
        Duration::from_millis(20),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}\n{}", a.log(), b.log()));
    eprintln!("[cluster test] first batches acknowledged");
    let screens: Vec<(&str, Shared)> = ["e1-a", "e1-b", "e2-a", "e2-b"]
        .into_iter()
        .map(|n| (n, Shared::default()))
        .collect();
    let mut follows = Vec::new();
    for (n, seen) in &screens {
        let url = if n.starts_with("e1") { e1.ws_url() } else { e2.ws_url() };
        follows.push(tokio::spawn(follow(url, SCENARIO, seen.clone(), false)));
    }
    until_exact(&screens, &acked, Duration::from_secs(20), &[&a, &b, &e1, &e2]).await;
    eprintln!("[cluster test] screens exact");
    let epoch_before = screens[0].1.lock().unwrap().mirror.epoch.clone();

    // The leader dies in the middle of a stream of batches.
    let producing = tokio::spawn(produce(
        http.clone(),
        engines.clone(),
        run.clone(),
        20,
        120,
        50,
        acked.clone(),
        Duration::from_millis(30),
    ));
    tokio::time::sleep(Duration::from_millis(800)).await;
    let killed = Instant::now();
    a.kill();
    eprintln!("[cluster test] leader killed");
    let second = leader(&http, &b.base, 1, Some(&first), Duration::from_secs(20)).await;
    let took = killed.elapsed();
    assert_eq!(second, node_id(&http, &b.base).await);
    eprintln!(
        "failover: the standby leads {:.2} s after the leader's SIGKILL",
        took.as_secs_f64()
    );
    eprintln!("[cluster test] standby leads");
    producing.await.unwrap().unwrap_or_else(|e| panic!("{e}\n{}", b.log()));
    until_exact(&screens, &acked, Duration::from_secs(30), &[&b, &e1, &e2]).await;
    for (n, seen) in &screens {
        check_clean(n, seen);
        assert_eq!(
            seen.lock().unwrap().mirror.epoch,
            epoch_before,
            "{n}: the new leader continued the epoch"
        );
    }

    // An edge dies: its screens resume on the other edge.
    eprintln!("[cluster test] screens exact after failover");
    let snapshots_before: Vec<usize> = screens
        .iter()
        .map(|(_, s)| s.lock().unwrap().mirror.snapshots)
        .collect();
    e1.kill();
    for (i, (n, seen)) in screens.iter().enumerate() {
        if n.starts_with("e1") {
            let ended = std::mem::replace(&mut follows[i], tokio::spawn(async {}));
            ended.await.unwrap();
            follows[i] = tokio::spawn(follow(e2.ws_url(), SCENARIO, seen.clone(), true));
        }
    }
    eprintln!("[cluster test] screens resumed on e2");
    produce(
        http.clone(),
        vec![b.base.clone()],
        run.clone(),
        120,
        160,
        50,
        acked.clone(),
        Duration::from_millis(20),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", b.log()));
    until_exact(&screens, &acked, Duration::from_secs(20), &[&b, &e2]).await;
    for (i, (n, seen)) in screens.iter().enumerate() {
        check_clean(n, seen);
        assert_eq!(
            seen.lock().unwrap().mirror.snapshots,
            snapshots_before[i],
            "{n}: a resumed screen gets the updates it missed, not a snapshot"
        );
    }
    // Every engine holds every acknowledged event once.
    eprintln!("[cluster test] screens exact after the edge's death");
    let total: i64 = acked.lock().unwrap().values().map(|v| v.0).sum();
    let (status, body) = {
        let r = http
            .post(format!("{}/api/v1/query", b.base))
            .json(&serde_json::json!({"sql": "SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM orders"}))
            .send()
            .await
            .unwrap();
        (r.status(), r.json::<serde_json::Value>().await.unwrap())
    };
    assert!(status.is_success(), "{body}");
    assert_eq!(body["rows"][0], serde_json::json!([total, total]), "{body}");
    b.kill();
    drop(e2);
    for f in follows {
        let _ = tokio::time::timeout(Duration::from_secs(5), f).await;
    }
}

/// NATS goes away under load and comes back: the nodes reconnect, the producers' retried batches are
/// each stored once, and the screens end exact. A scenario registered through one node's API reaches
/// the other nodes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nats_restart_under_load_counts_every_acknowledged_event_once() {
    let Some(mut nats) = Nats::start() else { return };
    let name = format!("t{}", suffix());
    let queries = fixture("basic");
    let http = reqwest::Client::new();
    let a = Node::start("serve", &nats.url(), &name, &queries);
    leader(&http, &a.base, 1, None, Duration::from_secs(20)).await;
    eprintln!("[cluster test] a leads");
    let b = Node::start("serve", &nats.url(), &name, &queries);
    let edge = Node::start("edge", &nats.url(), &name, &queries);
    leader(&http, &edge.base, 3, None, Duration::from_secs(20)).await;
    eprintln!("[cluster test] 3 nodes up");
    let seen = Shared::default();
    let screen = tokio::spawn(follow(edge.ws_url(), SCENARIO, seen.clone(), false));

    let acked: Acked = Arc::default();
    let run = suffix();
    let producing = tokio::spawn(produce(
        http.clone(),
        vec![a.base.clone(), b.base.clone()],
        run.clone(),
        0,
        150,
        40,
        acked.clone(),
        Duration::from_millis(20),
    ));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    eprintln!("[cluster test] producing");
    let restarting = tokio::task::spawn_blocking(move || {
        nats.restart(Duration::from_millis(1500));
        nats
    });
    let produced = producing.await.unwrap();
    let _nats = restarting.await.unwrap();
    produced.unwrap_or_else(|e| panic!("{e}\n--- a\n{}\n--- b\n{}", a.log(), b.log()));
    eprintln!("[cluster test] producers done, NATS back");
    let screens = [("edge", seen.clone())];
    until_exact(&screens, &acked, Duration::from_secs(45), &[&a, &b, &edge]).await;
    assert!(
        seen.lock().unwrap().errors.is_empty(),
        "{:?}",
        seen.lock().unwrap().errors
    );
    // The screen's connection to the edge survived the broker's restart.
    assert!(!screen.is_finished(), "the edge kept its screen connected");

    eprintln!("[cluster test] screen exact");
    // Shared definitions: a scenario put through the standby's API runs on the leader and shows on the edge.
    let sql = "SELECT region, max(amount) AS top FROM orders GROUP BY region";
    let r = http
        .put(format!("{}/api/v1/scenarios/top_amount", b.base))
        .json(&serde_json::json!({"sql": sql, "key": ["region"], "every_ms": 200}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = http
            .get(format!("{}/api/v1/scenarios/top_amount/result", edge.base))
            .send()
            .await
            .unwrap();
        let v: serde_json::Value = r.json().await.unwrap();
        if v["rows"].as_array().is_some_and(|rows| rows.len() == REGIONS.len()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the scenario put on one node never showed on the edge: {v}\n{}\n{}\n{}",
            a.log(),
            b.log(),
            edge.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The edge serves what screens load besides /ws: the wall's page, the dashboards, the scenario list.
    for path in ["/", "/api/v1/dashboards", "/api/v1/scenarios"] {
        let r = http.get(format!("{}{path}", edge.base)).send().await.unwrap();
        assert!(r.status().is_success(), "edge {path}: {}", r.status());
    }
    let list: serde_json::Value = http
        .get(format!("{}/api/v1/scenarios", edge.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        list.as_array().unwrap().iter().any(|s| s["name"] == "top_amount"),
        "{list}"
    );
    screen.abort();
}
