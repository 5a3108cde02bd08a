//! Analysts register scenarios at run time: validate, preview, save, update, delete; the sandbox; limits;
//! files edited on disk; alerts; and the OpenAPI description of the API (`scenarios_api/openapi.rs`).

mod common;
#[path = "scenarios_api/openapi.rs"]
mod openapi;

use std::time::Duration;

use chrono::Utc;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

fn order(id: &str, region: &str, amount: i64) -> Value {
    json!({"event_id": id, "event_time": Utc::now().timestamp_millis(), "region": region, "amount": amount})
}

/// The next message for `scenario` (skipping heartbeats and other scenarios).
async fn next_for(ws: &mut Ws, scenario: &str) -> Value {
    loop {
        let m = recv(ws, WAIT).await.expect("a message");
        if m["scenario"] == scenario {
            return m;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_preview_update_delete() {
    let dir = copy_fixture("basic");
    let server = TestServer::start(dir.path()).await;
    server
        .ndjson(
            "orders",
            &[order("a", "north", 10), order("b", "south", 20), order("c", "north", 5)],
        )
        .await;

    // Preview on live data.
    let sql = "SELECT region, sum(amount) AS total FROM orders GROUP BY region";
    let (status, preview) = server
        .send_json(Method::POST, "/api/v1/query", json!({"sql": sql}))
        .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(
        sorted(preview["rows"].as_array().unwrap().clone()),
        vec![json!(["north", 15]), json!(["south", 20])]
    );

    // Validate, then save.
    let body = json!({"name": "totals_by_region", "sql": sql, "key": ["region"], "every_ms": 100, "view": "ranking"});
    let (status, v) = server
        .send_json(Method::POST, "/api/v1/scenarios/validate", body.clone())
        .await;
    assert_eq!((status, v["ok"].as_bool()), (200, Some(true)), "{v}");
    assert_eq!(v["columns"][1], json!({"name": "total", "type": "int64"}));
    let put = json!({"sql": sql, "title": "Totals", "key": ["region"], "every_ms": 100, "view": "ranking"});
    let (status, saved) = server
        .send_json(Method::PUT, "/api/v1/scenarios/totals_by_region", put)
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["title"], "Totals");
    let file = std::fs::read_to_string(dir.path().join("totals_by_region.sql")).unwrap();
    assert!(file.contains("-- key: region") && file.contains(sql), "{file}");

    let mut ws = server.ws().await;
    send(&mut ws, json!({"op": "subscribe", "scenario": "totals_by_region"})).await;
    let mut mirror = Mirror::default();
    loop {
        let m = next_for(&mut ws, "totals_by_region").await;
        mirror.apply(&m).unwrap();
        if mirror.sorted() == vec![json!(["north", 15]), json!(["south", 20])] {
            break;
        }
    }
    let first_epoch = mirror.epoch.clone();

    // Update the SQL: the same connection gets a snapshot of the new epoch.
    let put =
        json!({"sql": "SELECT region, count(*) AS n FROM orders GROUP BY region", "key": ["region"], "every_ms": 100});
    let (status, _) = server
        .send_json(Method::PUT, "/api/v1/scenarios/totals_by_region", put)
        .await;
    assert_eq!(status, 200);
    loop {
        let m = next_for(&mut ws, "totals_by_region").await;
        if m["type"] == "snapshot" && m["epoch"] != first_epoch.as_str() {
            assert_eq!(m["seq"], 1);
            assert_eq!(
                sorted(m["rows"].as_array().unwrap().clone()),
                vec![json!(["north", 2]), json!(["south", 1])]
            );
            break;
        }
        assert_eq!(
            m["epoch"],
            first_epoch.as_str(),
            "no update of the new epoch before its snapshot: {m}"
        );
    }

    // Delete: subscribers are told, the file is gone, the scenario is unknown.
    let r = server
        .http
        .delete(server.url("/api/v1/scenarios/totals_by_region"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let m = next_for(&mut ws, "totals_by_region").await;
    assert_eq!(
        (m["type"].as_str(), m["code"].as_str()),
        (Some("error"), Some("scenario_removed")),
        "{m}"
    );
    assert!(!dir.path().join("totals_by_region.sql").exists());
    assert!(server.scenario("totals_by_region").await.is_none());
    let r = server
        .http
        .delete(server.url("/api/v1/scenarios/totals_by_region"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_refuses_everything_but_one_select() {
    let dir = copy_fixture("basic");
    let server = TestServer::start(dir.path()).await;
    let refused = [
        ("CREATE TABLE t AS SELECT 1", "CREATE TABLE"),
        ("DROP TABLE orders", "DROP TABLE"),
        ("INSERT INTO orders SELECT * FROM orders", "INSERT INTO"),
        ("DELETE FROM orders", "DELETE FROM"),
        ("COPY (SELECT 1) TO '/tmp/ioc-out.csv'", "COPY"),
        ("SET datafusion.execution.batch_size = 1", "SET"),
        (
            "CREATE EXTERNAL TABLE p (line VARCHAR) STORED AS CSV LOCATION '/etc/passwd'",
            "CREATE EXTERNAL TABLE",
        ),
        ("SELECT 1; SELECT 2", "one statement"),
    ];
    for (sql, word) in refused {
        for (path, body) in [
            ("/api/v1/scenarios/validate", json!({"name": "x", "sql": sql})),
            ("/api/v1/query", json!({"sql": sql})),
        ] {
            let (status, body) = server.send_json(Method::POST, path, body).await;
            assert_eq!(status, 400, "{path} {sql}: {body}");
            assert_eq!(body["error"]["code"], "invalid_sql");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.contains(word), "{sql}: {message}");
        }
        let (status, _) = server
            .send_json(Method::PUT, "/api/v1/scenarios/x", json!({"sql": sql}))
            .await;
        assert_eq!(status, 400, "{sql}");
    }
    assert!(!dir.path().join("x.sql").exists(), "nothing refused was saved");
    // No way to read a file: not as a table, not through a table function.
    for sql in [
        "SELECT * FROM '/etc/passwd'",
        "SELECT * FROM \"/etc/passwd\"",
        "SELECT * FROM read_csv('/etc/passwd')",
    ] {
        let (status, body) = server
            .send_json(Method::POST, "/api/v1/query", json!({"sql": sql}))
            .await;
        assert_eq!(status, 400, "{sql}: {body}");
        assert!(!body.to_string().contains("root:"), "{body}");
    }
    // Errors carry the position.
    let (status, body) = server
        .send_json(
            Method::POST,
            "/api/v1/scenarios/validate",
            json!({"name": "x", "sql": "SELECT region,\n  FROM WHERE"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["line"], 2, "{body}");
    assert!(body["error"]["column"].as_u64().is_some(), "{body}");
    let (_, body) = server
        .send_json(
            Method::POST,
            "/api/v1/scenarios/validate",
            json!({"name": "x", "sql": "SELECT nope FROM orders"}),
        )
        .await;
    assert!(body["error"]["message"].as_str().unwrap().contains("nope"), "{body}");
    // Bad metadata.
    let bad = [
        json!({"name": "x", "sql": "SELECT 1 AS a", "key": ["b"]}),
        json!({"name": "x", "sql": "SELECT 1 AS a", "every_ms": 5}),
        json!({"name": "X-1", "sql": "SELECT 1 AS a"}),
        json!({"name": "x", "sql": "SELECT 1 AS a", "alert": {"when": "a >", "severity": "warning"}}),
        json!({"name": "x", "sql": "SELECT 1 AS a", "alert": {"when": "a > 0", "severity": "loud"}}),
        json!({"name": "alerts", "sql": "SELECT 1 AS a"}),
    ];
    for b in bad {
        let (status, body) = server
            .send_json(Method::POST, "/api/v1/scenarios/validate", b.clone())
            .await;
        assert_eq!(status, 400, "{b}: {body}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_and_row_caps_are_errors_and_others_keep_running() {
    let dir = copy_fixture("basic");
    let server = TestServer::start_with(
        dir.path(),
        |c| {
            c.limits.eval_timeout = Duration::from_millis(300);
            c.limits.max_result_rows = 10;
            c.limits.eval_memory_bytes = 1 << 20;
        },
        None,
    )
    .await;
    let slow = json!({"sql": "SELECT count(*) AS n FROM generate_series(1, 20000000000)", "every_ms": 500});
    let (status, body) = server.send_json(Method::PUT, "/api/v1/scenarios/slow", slow).await;
    assert_eq!(status, 200, "{body}");
    let big = json!({"sql": "SELECT value FROM generate_series(1, 50)", "every_ms": 200});
    let (status, _) = server.send_json(Method::PUT, "/api/v1/scenarios/big", big).await;
    assert_eq!(status, 200);
    let slow = eventually(WAIT, || async {
        server.scenario("slow").await.filter(|s| s["status"] == "error")
    })
    .await;
    assert!(
        slow["last_error"].as_str().unwrap().contains("longer than 300 ms"),
        "{slow}"
    );
    let big = eventually(WAIT, || async {
        server.scenario("big").await.filter(|s| s["status"] == "error")
    })
    .await;
    assert!(
        big["last_error"]
            .as_str()
            .unwrap()
            .contains("more than the limit of 10"),
        "{big}"
    );
    assert!(big["errors"].as_u64().unwrap() >= 1);
    // A query that needs more memory than its pool fails cleanly (a hash join's build side cannot spill).
    let join = "SELECT count(*) AS n FROM generate_series(1, 2000000) a JOIN generate_series(1, 2000000) b ON a.value = b.value";
    let (status, body) = server
        .send_json(Method::POST, "/api/v1/query", json!({"sql": join}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("resources exhausted"),
        "{body}"
    );
    // A one-shot query is held to the same timeout.
    let (status, body) = server
        .send_json(
            Method::POST,
            "/api/v1/query",
            json!({"sql": "SELECT count(*) FROM generate_series(1, 20000000000)"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    // The other scenarios keep evaluating.
    let before = server.scenario("totals").await.unwrap()["evaluations"]
        .as_u64()
        .unwrap();
    server.ndjson("orders", &[order("a", "north", 1)]).await;
    eventually(WAIT, || async {
        let t = server.scenario("totals").await.unwrap();
        (t["status"] == "ok" && t["evaluations"].as_u64().unwrap() > before + 3 && t["seq"].as_u64().unwrap() >= 2)
            .then_some(())
    })
    .await;
    server.stop().await;
}

/// Issue 13, item 1: a file that never planned is an error from the start, with its line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_file_that_does_not_plan_is_listed_as_an_error() {
    let dir = copy_fixture("basic");
    let server = TestServer::start(dir.path()).await;
    std::fs::write(
        dir.path().join("broken.sql"),
        "-- every: 1s\nSELECT nope FROM tickets\n",
    )
    .unwrap();
    let listed = eventually(WAIT, || async { server.scenario("broken").await }).await;
    // Give the watcher a few more passes: the entry must not turn (or stay) green.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let listed = server.scenario("broken").await.unwrap_or(listed);
    assert_eq!(listed["status"], "error", "{listed}");
    let message = listed["last_error"].as_str().unwrap_or_default();
    assert!(
        message.contains("broken.sql:2") && message.contains("tickets"),
        "{listed}"
    );
    let (_, result) = server.get("/api/v1/scenarios/broken/result").await;
    assert_eq!(result["seq"], 0, "never evaluated: {result}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_edited_on_disk_are_picked_up() {
    let dir = copy_fixture("basic");
    let server = TestServer::start(dir.path()).await;
    // A new file appears.
    std::fs::write(
        dir.path().join("fresh.sql"),
        "-- every: 100ms\nSELECT count(*) AS n FROM orders\n",
    )
    .unwrap();
    eventually(WAIT, || async {
        server.scenario("fresh").await.filter(|s| s["seq"].as_u64() >= Some(1))
    })
    .await;
    // An existing file goes bad: error with the file and line; the others keep running.
    std::fs::write(
        dir.path().join("totals.sql"),
        "-- every: 100ms\nSELECT nope FROM orders\n",
    )
    .unwrap();
    let broken = eventually(WAIT, || async {
        server.scenario("totals").await.filter(|s| s["status"] == "error")
    })
    .await;
    let message = broken["last_error"].as_str().unwrap();
    assert!(
        message.contains("totals.sql:2") && message.contains("nope"),
        "{message}"
    );
    let before = server.scenario("fresh").await.unwrap()["seq"].as_u64().unwrap();
    server.ndjson("orders", &[order("z", "west", 3)]).await;
    eventually(WAIT, || async {
        (server.scenario("fresh").await.unwrap()["seq"].as_u64().unwrap() > before).then_some(())
    })
    .await;
    // Fixed again: evaluating, status ok.
    std::fs::write(
        dir.path().join("totals.sql"),
        "-- every: 100ms\nSELECT count(*) AS n FROM orders\n",
    )
    .unwrap();
    eventually(WAIT, || async {
        server
            .scenario("totals")
            .await
            .filter(|s| s["status"] == "ok" && s["sql"].as_str().unwrap().contains("count"))
    })
    .await;
    // Removed on disk: gone.
    std::fs::remove_file(dir.path().join("fresh.sql")).unwrap();
    eventually(WAIT, || async {
        server.scenario("fresh").await.is_none().then_some(())
    })
    .await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_fire_and_resolve_once_per_crossing() {
    let dir = copy_fixture("basic");
    let server = TestServer::start(dir.path()).await;
    let put = json!({"sql": "SELECT region, sum(amount) AS total FROM orders GROUP BY region", "key": ["region"],
                     "every_ms": 100, "alert": {"when": "total >= 100", "severity": "warning"}});
    let (status, body) = server.send_json(Method::PUT, "/api/v1/scenarios/watch", put).await;
    assert_eq!(status, 200, "{body}");
    let mut ws = server.ws().await;
    send(&mut ws, json!({"op": "subscribe", "scenario": "alerts"})).await;
    let started = Utc::now();

    let mut n = 0;
    let mut push = |amount: i64| {
        n += 1;
        order(&format!("e{n}"), "north", amount)
    };
    let steps = [
        (60, None),
        (50, Some("firing")),
        (30, None),
        (-100, Some("resolved")),
        (10, None),
        (200, Some("firing")),
    ];
    for (amount, expect) in steps {
        let event = push(amount);
        server.ndjson("orders", &[event]).await;
        // Give the scenario several evaluations (every 100 ms) to see the change.
        let deadline = tokio::time::Instant::now() + Duration::from_millis(700);
        let mut got = Vec::new();
        while let Some(m) = recv(&mut ws, deadline.saturating_duration_since(tokio::time::Instant::now())).await {
            if m["type"] == "alert" {
                got.push(m);
            }
        }
        match expect {
            None => assert!(got.is_empty(), "after {amount}: {got:?}"),
            Some(state) => {
                assert_eq!(got.len(), 1, "exactly one transition after {amount}: {got:?}");
                assert_eq!(got[0]["state"], state);
                assert_eq!(got[0]["severity"], "warning");
                assert_eq!(got[0]["key"], json!(["north"]));
                assert_eq!(got[0]["scenario"], "watch");
            }
        }
    }
    let (status, history) = server
        .get(&format!(
            "/api/v1/alerts?since={}",
            started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        ))
        .await;
    assert_eq!(status, 200);
    let states: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, vec!["firing", "resolved", "firing"]);
    // A new subscriber of the alerts topic first gets what is firing now.
    let mut late = server.ws().await;
    send(&mut late, json!({"op": "subscribe", "scenario": "alerts"})).await;
    let first = recv(&mut late, WAIT).await.unwrap();
    assert_eq!(
        (first["type"].as_str(), first["state"].as_str()),
        (Some("alert"), Some("firing")),
        "{first}"
    );
    assert!(first["acked_by"].is_null(), "{first}");
    // Acknowledging shows on every screen: both sockets get `alert_ack`, and the state is remembered.
    let (status, _) = server
        .send_json(
            Method::POST,
            "/api/v1/alerts/ack",
            json!({"scenario": "watch", "key": ["south"]}),
        )
        .await;
    assert_eq!(status, 404, "nothing fires for south");
    let (status, ack) = server
        .send_json(
            Method::POST,
            "/api/v1/alerts/ack",
            json!({"scenario": "watch", "key": ["north"]}),
        )
        .await;
    assert_eq!(status, 200, "{ack}");
    assert_eq!(ack["acked_by"], "local");
    for socket in [&mut ws, &mut late] {
        let got = loop {
            let m = recv(socket, WAIT).await.expect("an alert_ack");
            if m["type"] == "alert_ack" {
                break m;
            }
        };
        assert_eq!(
            (got["scenario"].as_str(), &got["key"]),
            (Some("watch"), &json!(["north"])),
            "{got}"
        );
    }
    let (_, history) = server.get("/api/v1/alerts").await;
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["state"].as_str(), last["acked_by"].as_str()),
        (Some("firing"), Some("local")),
        "{last}"
    );
    let mut third = server.ws().await;
    send(&mut third, json!({"op": "subscribe", "scenario": "alerts"})).await;
    let replay = recv(&mut third, WAIT).await.unwrap();
    assert_eq!(replay["acked_by"], "local", "{replay}");
    let (status, _) = server.get("/api/v1/alerts?since=yesterday").await;
    assert_eq!(status, 400);
    server.stop().await;
}

/// Dashboards: files under `dashboards/`, listed and fetched, written through the API (validated, atomic),
/// edits on disk picked up, deleted; the catalog for the console's completion.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboards_and_tables() {
    let dir = copy_fixture("basic");
    let server = TestServer::start(dir.path()).await;
    let (status, list) = server.get("/api/v1/dashboards").await;
    assert_eq!((status, list), (200, json!([])));
    let board = json!({"title": "Tổng quan", "rotate_seconds": 20, "pages": [{"title": "Đơn hàng", "panels": [
        {"type": "kpi", "scenario": "totals", "value": "total", "area": [1, 1, 3, 2]},
        {"type": "alerts"}]}]});
    let (status, saved) = server
        .send_json(Method::PUT, "/api/v1/dashboards/main", board.clone())
        .await;
    assert_eq!(status, 200, "{saved}");
    let text = std::fs::read_to_string(dir.path().join("dashboards/main.toml")).unwrap();
    assert!(
        text.contains("Tổng quan") && text.contains("[[pages.panels]]"),
        "{text}"
    );
    let (status, got) = server.get("/api/v1/dashboards/main").await;
    assert_eq!(status, 200);
    assert_eq!(got["pages"], board["pages"]);
    assert_eq!(got["name"], "main");
    for (body, says) in [
        (json!({"pages": []}), "title"),
        (
            json!({"title": "x", "pages": [{"title": "p", "panels": [{"type": "pie", "scenario": "totals"}]}]}),
            "type",
        ),
        (
            json!({"title": "x", "pages": [{"title": "p", "panels": [{"type": "kpi"}]}]}),
            "scenario",
        ),
    ] {
        let (status, e) = server.send_json(Method::PUT, "/api/v1/dashboards/main", body).await;
        assert_eq!(status, 400, "{e}");
        assert_eq!(e["error"]["code"], "invalid_dashboard");
        assert!(e["error"]["message"].as_str().unwrap().contains(says), "{e}");
    }
    let (status, _) = server
        .send_json(Method::PUT, "/api/v1/dashboards/..%2Fx", board.clone())
        .await;
    assert_eq!(status, 400);
    // Unchanged by the rejected writes; an edit on disk shows on the next read; a broken file is left out.
    let (_, got) = server.get("/api/v1/dashboards/main").await;
    assert_eq!(got["title"], "Tổng quan");
    std::fs::write(
        dir.path().join("dashboards/main.toml"),
        text.replace("Tổng quan", "Wall"),
    )
    .unwrap();
    std::fs::write(dir.path().join("dashboards/broken.toml"), "title = ").unwrap();
    let (_, list) = server.get("/api/v1/dashboards").await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["title"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Wall"]);
    let (status, _) = server
        .send_json(Method::DELETE, "/api/v1/dashboards/main", json!(null))
        .await;
    assert_eq!(status, 204);
    let (status, _) = server.get("/api/v1/dashboards/main").await;
    assert_eq!(status, 404);

    let (status, tables) = server.get("/api/v1/tables").await;
    assert_eq!(status, 200);
    let orders = tables
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "orders")
        .unwrap();
    assert_eq!(orders["kind"], "stream");
    assert!(
        orders["columns"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "amount"),
        "{orders}"
    );
    assert!(
        tables
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "regions" && t["kind"] == "reference"),
        "{tables}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_change_scenarios_cost_nothing_while_quiet_and_cost_is_visible() {
    let dir = copy_fixture("basic");
    let server = TestServer::start(dir.path()).await;
    let put = json!({"sql": "SELECT count(*) AS n FROM orders WHERE event_time >= now() - INTERVAL '1 hour'",
                     "every_ms": 100, "on": "change"});
    let (status, body) = server.send_json(Method::PUT, "/api/v1/scenarios/on_change", put).await;
    assert_eq!(status, 200, "{body}");
    let first = eventually(WAIT, || async {
        server.scenario("on_change").await.filter(|s| s["evaluations"] == 1)
    })
    .await;
    assert_eq!(first["on"], "change");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        server.scenario("on_change").await.unwrap()["evaluations"],
        1,
        "quiet: no evaluation"
    );
    server.ndjson("orders", &[order("a", "north", 1)]).await;
    let after = eventually(WAIT, || async {
        server
            .scenario("on_change")
            .await
            .filter(|s| s["evaluations"] == 2 && s["result_rows"] == 1)
    })
    .await;
    assert!(
        after["last_eval_ms"].as_f64().unwrap() > 0.0 && after["p99_eval_ms"].as_f64().is_some(),
        "{after}"
    );
    assert_eq!(after["rows_scanned"], 1, "{after}");
    assert_eq!(after["segments_scanned"], 1, "{after}");
    let metrics = server.metrics().await;
    assert!(metrics.contains("ioc_scenario_eval_seconds"), "cost in /metrics");
    assert!(
        metrics.contains("ioc_scenario_rows_scanned{scenario=\"on_change\"} 1"),
        "{metrics}"
    );
    server.stop().await;
}
