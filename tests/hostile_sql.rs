//! Hostile SQL against the real binary (items 1-3 of issue 9): queries that used to overflow a thread's
//! stack and abort the process, build gigabytes while planning, or convert a 30-million-row result before
//! cutting it to 1,000. Each must be answered (an error or a bounded result), and the server must stay up
//! and small.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_ioc-stream");

struct Proc {
    child: Child,
    base: String,
}

impl Proc {
    fn start(data: &Path) -> Proc {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--queries"])
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic"))
            .arg("--data-dir")
            .arg(data)
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

    /// Resident memory of the server, in MiB.
    fn rss_mib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap();
        kb / 1024
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn post(http: &reqwest::Client, base: &str, path: &str, body: Value) -> (u16, Value) {
    let r = http
        .post(format!("{base}{path}"))
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: the server did not answer: {e}"));
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn message(v: &Value) -> String {
    v["error"]["message"].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_queries_are_answered_and_the_server_stays_up_and_small() {
    let data = tempfile::tempdir().unwrap();
    let mut server = Proc::start(data.path());
    let http = reqwest::Client::new();
    let base = server.base.clone();

    // 1. Deep expressions: 900 terms plan (on the evaluation threads' large stacks); 20,000 are refused
    // before parsing. Both through the query API and validation.
    let chain = |n: usize, op: &str, term: &str| vec![term; n].join(op);
    let (status, body) = post(
        &http,
        &base,
        "/api/v1/query",
        json!({"sql": format!("SELECT {} AS n", chain(900, "+", "1"))}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rows"][0][0], json!(900));
    for (path, sql) in [
        ("/api/v1/query", format!("SELECT {} AS n", chain(20_000, "+", "1"))),
        (
            "/api/v1/scenarios/validate",
            format!("SELECT 1 AS n WHERE {}", chain(3_000, " AND ", "'a' = 'a'")),
        ),
    ] {
        let (status, body) = post(&http, &base, path, json!({ "sql": sql })).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(message(&body).contains("operators"), "{body}");
    }
    assert!(server.alive(), "deep expressions killed the server");

    // 2. Values built while planning: refused at once, without gigabytes.
    for sql in [
        "SELECT length(repeat('x', 2000000000))",
        "SELECT length(lpad('x', 2000000000, 'y'))",
        "SELECT regexp_replace(repeat('x', 100000), '', repeat('y', 1000), 'g')",
    ] {
        let (status, body) = post(&http, &base, "/api/v1/query", json!({"sql": sql})).await;
        assert_eq!(status, 400, "{sql}: {body}");
        assert!(message(&body).contains("limit"), "{sql}: {body}");
    }
    let sql = format!(
        "SELECT {}",
        (0..20).map(|_| "repeat('x', 1000)").collect::<Vec<_>>().join(" || ")
    );
    let (status, body) = post(&http, &base, "/api/v1/query", json!({ "sql": sql })).await;
    assert_eq!(status, 400, "{body}");
    assert!(message(&body).contains("times"), "{body}");
    assert!(
        server.rss_mib() < 1024,
        "RSS {} MiB after building values",
        server.rss_mib()
    );

    // 3. A large result is read only up to the limit, and said to be cut.
    let (status, body) = post(
        &http,
        &base,
        "/api/v1/query",
        json!({"sql": "SELECT value, value AS b, value AS c, value AS d FROM range(30000000)", "limit": 1000}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rows"].as_array().unwrap().len(), 1000);
    assert_eq!(body["truncated"], json!(true));
    assert!(
        server.rss_mib() < 1024,
        "RSS {} MiB after a cut result",
        server.rss_mib()
    );

    let r = http.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(server.alive());
}
