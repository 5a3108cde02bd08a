//! The demo as a newcomer runs it: the real catalog, reference tables and scenarios of `queries/`, with
//! the simulator. Every scenario evaluates without error and the province's tiles come alive; the first
//! start writes history (45 days here, a year in the demo) that the year-to-date scenarios read.

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
        history_days: 45,
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

    // The history the first start wrote: in Parquet, read by the year's scenarios, incrementally.
    let months = eventually(Duration::from_secs(120), || async {
        let (_, streams) = server.get("/api/v1/streams").await;
        let dossiers = streams
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "dossiers")
            .unwrap()
            .clone();
        let months = result("online_rate_by_month").await;
        (dossiers["history_rows"].as_u64() > Some(10_000) && months["rows"].as_array().unwrap().len() >= 2)
            .then_some(months)
    })
    .await;
    for row in months["rows"].as_array().unwrap() {
        let online = row[1].as_f64().unwrap();
        assert!(
            (10.0..80.0).contains(&online),
            "monthly full-online share {online}: {months}"
        );
    }
    let ytd = result("dossiers_ytd").await;
    let col = |name: &str| {
        ytd["columns"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c["name"] == name)
            .unwrap()
    };
    let row = &ytd["rows"][0];
    assert_eq!(row[col("full_online_target")].as_i64(), Some(35), "{ytd}");
    assert!(row[col("received")].as_i64().unwrap() > 10_000, "{ytd}");
    assert!(
        (50.0..100.0).contains(&row[col("on_time_pct")].as_f64().unwrap()),
        "{ytd}"
    );
    assert!(
        row[col("full_online_change")].is_number(),
        "a change against last month: {ytd}"
    );
    let quarter = result("on_time_by_agency_quarter").await;
    assert!(quarter["rows"].as_array().unwrap().len() >= 5, "{quarter}");
    let (_, list) = server.get("/api/v1/scenarios").await;
    for s in list.as_array().unwrap() {
        let name = s["name"].as_str().unwrap();
        if ["dossiers_ytd", "online_rate_by_month", "on_time_by_agency_quarter"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            assert_eq!(s["mode"], "incremental", "{s}");
        }
    }
    let _ = Value::Null;
    server.stop().await;
}
