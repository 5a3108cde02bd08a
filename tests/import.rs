//! `ioc-stream import` (the real binary) against a real server: Parquet, CSV and NDJSON files loaded into a
//! stream with history, a backfill landing in Parquet, and an import stopped by a bad row that resumes with
//! the command its summary prints, ending with every row exactly once.

mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_ioc-stream");
const DAY: i64 = 86_400_000;

fn import(url: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(["import", "--url", url, "--stream", "orders", "--chunk", "700"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn count(server: &common::TestServer) -> (i64, i64, i64) {
    let (status, q) = server
        .send_json(
            reqwest::Method::POST,
            "/api/v1/query",
            json!({"sql": "SELECT count(*), count(DISTINCT event_id), sum(amount) FROM orders"}),
        )
        .await;
    assert_eq!(status, 200, "{q}");
    let n = |i: usize| q["rows"][0][i].as_i64().unwrap_or(0);
    (n(0), n(1), n(2))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parquet_csv_and_ndjson_files_are_imported_and_a_stopped_import_resumes() {
    let queries = common::copy_fixture("history");
    let server = common::TestServer::start(queries.path()).await;
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now().timestamp_millis();
    let time = |i: i64| now - 20 * DAY + i * 60_000;

    // 3,000 rows of Parquet: a year-old export would have extra columns and other integer types.
    let schema = Arc::new(Schema::new(vec![
        Field::new("event_id", DataType::Utf8, false),
        Field::new("event_time", DataType::Timestamp(TimeUnit::Millisecond, None), false),
        Field::new("region", DataType::Utf8, false),
        Field::new("amount", DataType::Int64, false),
        Field::new("operator", DataType::Utf8, true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from_iter_values((0..3_000).map(|i| format!("p-{i}")))) as ArrayRef,
            Arc::new(TimestampMillisecondArray::from_iter_values((0..3_000).map(time))),
            Arc::new(StringArray::from_iter_values(
                (0..3_000).map(|i| ["north", "south"][i % 2]),
            )),
            Arc::new(Int64Array::from_iter_values(0..3_000)),
            Arc::new(StringArray::from(vec![Some("x"); 3_000])),
        ],
    )
    .unwrap();
    let parquet = dir.path().join("export.parquet");
    let mut w =
        datafusion::parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&parquet).unwrap(), schema, None)
            .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    // 1,000 rows of CSV and 1,000 NDJSON lines.
    let mut csv = String::from("event_id,event_time,region,amount,paid\n");
    let mut ndjson = String::new();
    for i in 0..1_000i64 {
        let t = chrono::DateTime::from_timestamp_millis(time(3_000 + i))
            .unwrap()
            .to_rfc3339();
        csv.push_str(&format!("c-{i},{t},centre,1,true\n"));
        ndjson.push_str(
            &json!({"event_id": format!("n-{i}"), "event_time": time(4_000 + i), "region": "west", "amount": 2})
                .to_string(),
        );
        ndjson.push('\n');
    }
    std::fs::write(dir.path().join("a.csv"), csv).unwrap();
    std::fs::write(dir.path().join("b.ndjson"), &ndjson).unwrap();
    let files = ["export.parquet", "a.csv", "b.ndjson"].map(|f| dir.path().join(f).display().to_string());
    let (ok, stdout, stderr) = import(&server.base, &files.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("imported 5000 rows from 3 files"), "{stdout}");
    let sum = (0..3_000).sum::<i64>() + 1_000 + 2_000;
    assert_eq!(count(&server).await, (5_000, 5_000, sum));
    // Older than the window: they go to history.
    common::eventually(Duration::from_secs(30), || async {
        let (_, streams) = server.get("/api/v1/streams").await;
        (streams[0]["history_rows"].as_u64() == Some(5_000)).then_some(())
    })
    .await;
    // (Importing the same files again would count them twice: de-duplication by id covers the in-memory
    // window, and these events are in history now. A stopped import resumes with `--skip` instead.)

    // A bad line in the middle of a new file: the import stops, says where, and resumes.
    let mut lines: Vec<String> = (0..2_000)
        .map(|i| {
            json!({"event_id": format!("r-{i}"), "event_time": now - 1_000, "region": "north", "amount": 1}).to_string()
        })
        .collect();
    lines[1_500] = r#"{"event_id":"r-1500","event_time":"yesterday","region":"north","amount":1}"#.into();
    let bad = dir.path().join("late.ndjson");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let (ok, _, stderr) = import(&server.base, &[bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(stderr.contains("stopped after 1400 rows"), "{stderr}");
    let resume = stderr
        .lines()
        .find_map(|l| l.strip_prefix("resume with: "))
        .unwrap()
        .to_string();
    assert!(resume.contains("--skip 1400"), "{resume}");
    lines[1_500] = json!({"event_id": "r-1500", "event_time": now - 1_000, "region": "north", "amount": 1}).to_string();
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let (ok, stdout, stderr) = import(&server.base, &["--skip", "1400", bad.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("imported 600 rows"), "{stdout}");
    assert_eq!(count(&server).await, (7_000, 7_000, sum + 2_000));
    server.stop().await;
}
