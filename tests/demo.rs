//! The demo as a newcomer runs it: the real catalog, reference tables and scenarios of `queries/`, with
//! the simulator. Every scenario evaluates without error and the province's tiles come alive.

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;
use ioc_stream::simulator::SimulatorOptions;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_province_comes_alive() {
    let queries = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
    let options = SimulatorOptions {
        rate: 400.0,
        seed: 7,
        backfill: Duration::from_secs(3600),
        history_days: 0,
    };
    let server = TestServer::start_with(&queries, |_| {}, Some(options)).await;
    let (_, list) = server.get("/api/v1/scenarios").await;
    let names: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.len() >= 8, "{names:?}");

    // Every scenario evaluates cleanly and publishes a first result, then most of them move.
    let list = eventually(Duration::from_secs(60), || async {
        let (_, list) = server.get("/api/v1/scenarios").await;
        let all = list.as_array().unwrap().clone();
        for s in &all {
            assert_eq!(s["status"], "ok", "{s}");
        }
        all.iter().all(|s| s["seq"].as_u64().unwrap() >= 2).then_some(all)
    })
    .await;
    let result = |name: &str| {
        let server = &server;
        let name = name.to_string();
        async move { server.get(&format!("/api/v1/scenarios/{name}/result")).await.1 }
    };
    let today = result("dossiers_today").await;
    let received = today["rows"][0][0].as_i64().unwrap();
    assert!(received > 0, "dossiers received today: {today}");
    let overdue = result("overdue_by_agency").await;
    assert!(
        !overdue["rows"].as_array().unwrap().is_empty(),
        "some dossiers are overdue: {overdue}"
    );
    let per_minute = result("dossiers_per_minute").await;
    assert!(
        per_minute["rows"].as_array().unwrap().len() > 10,
        "a time series: {per_minute}"
    );
    let cashless = result("cashless_today").await;
    let pct = cashless["rows"][0][1].as_f64().unwrap();
    assert!((30.0..95.0).contains(&pct), "cashless share {pct}");
    let streams = server.stored_rows().await;
    for (name, rows) in &streams {
        assert!(*rows > 0, "stream {name} has events: {streams:?}");
    }
    assert!(list.iter().all(|s| s["view"].is_string()), "{list:?}");
    let _ = Value::Null;
    server.stop().await;
}
