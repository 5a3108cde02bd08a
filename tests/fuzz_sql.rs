//! The bounded run of the SQL fuzz target, for CI: random expressions and nesting sent to
//! `POST /api/v1/scenarios/validate` of a real server, as an analyst's console would send them. Every
//! answer must be a 200 or a 400 with a message; the server must never fail (5xx), hang past the planning
//! timeout, or die (it runs in this process: a stack overflow or an abort ends the test).
//!
//! The inputs (fixed RNG seed, bounded by count): random expression trees over the test catalog's columns
//! with operators, functions (those that build large values among them, with huge arguments), `CASE`,
//! casts, `IN` lists, subqueries and `now()`; extreme shapes (operator chains around the limit, nesting past
//! the parser's recursion limit, long literals, long `IN` lists); and mutations of the fixture's scenarios
//! (tokens dropped, repeated, swapped, truncated). `fuzz/fuzz_targets/sql.rs` is the same property for
//! `cargo fuzz`, on arbitrary bytes.

mod common;

use common::{fixture, TestServer};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

const CASES: usize = 600;

const COLUMNS: [&str; 6] = ["event_time", "region", "amount", "paid", "note", "event_id"];
const BINARY: [&str; 14] = [
    "+",
    "-",
    "*",
    "/",
    "%",
    "=",
    "<>",
    "<",
    ">=",
    "AND",
    "OR",
    "||",
    "LIKE",
    "IS DISTINCT FROM",
];
const FUNCTIONS: [(&str, usize); 14] = [
    ("abs", 1),
    ("length", 1),
    ("upper", 1),
    ("coalesce", 2),
    ("nullif", 2),
    ("date_trunc", 2),
    ("repeat", 2),
    ("lpad", 2),
    ("rpad", 3),
    ("concat", 3),
    ("replace", 3),
    ("regexp_replace", 3),
    ("substr", 2),
    ("round", 1),
];

fn leaf(rng: &mut SmallRng) -> String {
    match rng.random_range(0..9) {
        0..=2 => COLUMNS[rng.random_range(0..COLUMNS.len())].to_string(),
        3 => rng.random_range(-5..1_000_000_000i64).to_string(),
        4 => format!("{}", rng.random_range(0..u32::MAX as u64) * 1_000),
        5 => "'abc'".to_string(),
        6 => "now()".to_string(),
        7 => "NULL".to_string(),
        _ => "INTERVAL '5 minutes'".to_string(),
    }
}

fn expr(rng: &mut SmallRng, depth: usize) -> String {
    if depth == 0 || rng.random_bool(0.25) {
        return leaf(rng);
    }
    match rng.random_range(0..8) {
        0..=2 => format!(
            "{} {} {}",
            expr(rng, depth - 1),
            BINARY[rng.random_range(0..BINARY.len())],
            expr(rng, depth - 1)
        ),
        3 => {
            let (f, n) = FUNCTIONS[rng.random_range(0..FUNCTIONS.len())];
            let args: Vec<String> = (0..n).map(|_| expr(rng, depth - 1)).collect();
            format!("{f}({})", args.join(", "))
        }
        4 => format!(
            "CASE WHEN {} THEN {} ELSE {} END",
            expr(rng, depth - 1),
            expr(rng, depth - 1),
            expr(rng, depth - 1)
        ),
        5 => format!(
            "CAST({} AS {})",
            expr(rng, depth - 1),
            ["BIGINT", "VARCHAR", "DOUBLE", "TIMESTAMP"][rng.random_range(0..4)]
        ),
        6 => format!("({})", expr(rng, depth - 1)),
        _ => format!("{} IN ({}, {})", expr(rng, depth - 1), leaf(rng), leaf(rng)),
    }
}

fn query(rng: &mut SmallRng) -> String {
    let select = expr(rng, 5);
    match rng.random_range(0..4) {
        0 => format!("SELECT {select} AS x FROM orders"),
        1 => format!("SELECT region, count(*) AS n FROM orders WHERE {} GROUP BY region", expr(rng, 4)),
        2 => format!("SELECT {select} AS x"),
        _ => format!(
            "SELECT region, sum(amount) AS s FROM orders WHERE event_time >= now() - INTERVAL '1 hour' AND amount > (SELECT {} ) GROUP BY region HAVING {}",
            expr(rng, 3),
            expr(rng, 3)
        ),
    }
}

/// Shapes at and past the limits.
fn extremes() -> Vec<String> {
    let chain = |n: usize, op: &str| format!("SELECT {} AS x", vec!["1"; n].join(op));
    let nest = |n: usize, open: &str, close: &str| format!("SELECT {}1{} AS x", open.repeat(n), close.repeat(n));
    vec![
        chain(999, "+"),
        chain(1_000, "+"),
        chain(1_001, "+"),
        chain(20_000, "*"),
        format!("SELECT 1 AS x WHERE {}", vec!["amount > 1"; 1_500].join(" OR ")),
        nest(45, "(", ")"),
        nest(200, "(", ")"),
        nest(5_000, "(", ")"),
        nest(200, "abs(", ")"),
        nest(200, "-", ""),
        nest(300, "NOT ", ""),
        format!(
            "SELECT {} 1 {} AS x",
            "CASE WHEN true THEN ".repeat(100),
            " END".repeat(100)
        ),
        format!(
            "SELECT 1 AS x FROM orders WHERE amount IN ({})",
            (0..5_000).map(|i| i.to_string()).collect::<Vec<_>>().join(",")
        ),
        format!("SELECT '{}' AS x", "y".repeat(60_000)),
        "SELECT length(repeat('x', 2000000000)) AS x".into(),
        "SELECT repeat(note, 1000000000) AS x FROM orders".into(),
        "SELECT lpad('', 2147483647) AS x".into(),
        format!("SELECT {} AS x", vec!["repeat('ab', 1000)"; 40].join(" || ")),
        "SELECT value FROM range(1000000000)".into(),
        "SELECT * FROM orders a, orders b, orders c, orders d".into(),
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r".into(),
        "SELECT 1; SELECT 2".into(),
        "".into(),
        "SELECT".into(),
        "SELECT (((((".into(),
        "SELECT '\u{0}' AS x".into(),
    ]
}

/// A scenario of the fixture with tokens dropped, repeated, swapped or cut.
fn mutation(rng: &mut SmallRng, seeds: &[String]) -> String {
    let seed = &seeds[rng.random_range(0..seeds.len())];
    let mut words: Vec<&str> = seed.split_whitespace().collect();
    for _ in 0..rng.random_range(1..4) {
        if words.is_empty() {
            break;
        }
        let i = rng.random_range(0..words.len());
        match rng.random_range(0..4) {
            0 => {
                words.remove(i);
            }
            1 => {
                let w = words[i];
                for _ in 0..rng.random_range(1..50) {
                    words.insert(i, w);
                }
            }
            2 => {
                let j = rng.random_range(0..words.len());
                words.swap(i, j);
            }
            _ => words.truncate(i),
        }
    }
    words.join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_sql_is_answered_with_a_result_or_an_error() {
    let dir = fixture("basic");
    let server = TestServer::start(&dir).await;
    let seeds: Vec<String> = ioc_stream::engine::read_dir(&dir)
        .into_iter()
        .filter_map(|(_, parsed, _)| parsed.ok().map(|s| s.sql))
        .collect();
    let mut rng = SmallRng::seed_from_u64(0x05ee_d5a1);
    let mut inputs = extremes();
    while inputs.len() < CASES {
        inputs.push(if rng.random_bool(0.7) {
            query(&mut rng)
        } else {
            mutation(&mut rng, &seeds)
        });
    }
    let (mut ok, mut refused) = (0, 0);
    for (i, sql) in inputs.iter().enumerate() {
        let (status, body) = server
            .send_json(
                reqwest::Method::POST,
                "/api/v1/scenarios/validate",
                json!({"name": "fuzz", "sql": sql}),
            )
            .await;
        match status {
            200 => {
                assert_eq!(body["ok"], json!(true), "input {i}: {sql:.200}: {body}");
                ok += 1;
            }
            400 => {
                let message = body["error"]["message"].as_str().unwrap_or_default();
                assert!(!message.is_empty(), "input {i}: {sql:.200}: {body}");
                refused += 1;
            }
            other => panic!("input {i} answered {other}: {sql:.300}: {body}"),
        }
    }
    let (status, health) = server.get("/healthz").await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["status"], Value::from("ok"), "{health}");
    eprintln!("{} inputs: {ok} valid, {refused} refused", inputs.len());
    assert!(
        ok > 20 && refused > 20,
        "{ok} valid, {refused} refused: the generator is off"
    );
    server.stop().await;
}
