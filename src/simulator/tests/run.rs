//! The simulator running: backfill, then live events until shutdown, into a sink; and a restart that takes
//! up the dossiers the store brought back.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::*;
use crate::simulator::SinkError;

/// Records what is pushed; fails every push of `failing`.
#[derive(Default)]
struct RecordingSink {
    pushes: Mutex<Vec<(String, Vec<Value>)>>,
    failing: Option<&'static str>,
}

impl EventSink for RecordingSink {
    fn push(&self, stream: &str, ndjson: Vec<u8>) -> Result<usize, SinkError> {
        if self.failing == Some(stream) {
            return Err(SinkError::Broker("store is full".into()));
        }
        let text = String::from_utf8(ndjson).expect("the simulator writes UTF-8");
        let events: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("the simulator writes JSON lines"))
            .collect();
        let n = events.len();
        self.pushes.lock().unwrap().push((stream.to_string(), events));
        Ok(n)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_backfills_then_streams_live_until_shut_down() {
    let sink = Arc::new(RecordingSink {
        failing: Some("stations"),
        ..Default::default()
    });
    let opts = SimulatorOptions {
        rate: 1_000.0,
        seed: 11,
        backfill: Duration::from_secs(24 * 3_600),
        history_days: 0,
    };
    let shutdown = CancellationToken::new();
    let started = now_ms();
    let task = tokio::spawn(run(Arc::new(catalog()), sink.clone(), opts, shutdown.clone()));
    // Backfill takes well under a second in a release build; a debug build among parallel tests is slower.
    let live = || {
        sink.pushes
            .lock()
            .unwrap()
            .iter()
            .any(|(_, e)| e.iter().any(|e| millis(&e["event_time"]) > started))
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !live() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("stops when cancelled")
        .unwrap();

    let pushes = sink.pushes.lock().unwrap();
    let streams: BTreeSet<&str> = pushes.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        streams,
        BTreeSet::from(["dossiers", "eid_activations", "feedback", "payments", "sensors"])
    );
    assert!(pushes.iter().all(|(_, events)| events.len() <= 5_000));
    let times: Vec<i64> = pushes
        .iter()
        .flat_map(|(_, e)| e.iter().map(|e| millis(&e["event_time"])))
        .collect();
    let day = 24 * 3_600_000;
    assert!(
        times.iter().all(|t| *t >= started - day - 300_000),
        "history beyond the backfill"
    );
    assert!(
        times.iter().any(|t| *t < started - day + 3_600_000),
        "no history from the start of the backfill"
    );
    assert!(times.iter().any(|t| *t > started), "no live events");
    // Backfill is capped (~80,000), plus a moment of live traffic.
    assert!((40_000..90_000).contains(&times.len()), "{}", times.len());
    // Sensors keep 6 h: older readings are not generated.
    let sensors = pushes.iter().filter(|(s, _)| s == "sensors").flat_map(|(_, e)| e);
    assert!(sensors
        .map(|e| millis(&e["event_time"]))
        .all(|t| t >= started - 6 * 3_600_000 - 1_000));
}

/// After a restart, the dossiers the store brought back that had not completed are taken up again: they
/// complete (most of them) instead of staying overdue for ever, and nothing is dated before the restart.
#[test]
fn a_restarted_demo_takes_up_the_open_dossiers() {
    let catalog = catalog();
    let def = catalog.stream("dossiers").unwrap();
    let mut before = Generator::new(&catalog, 5, START);
    let mut bodies = Vec::new();
    for i in 1..=120 {
        before.tick(START + i * 5_000, 5_000, 20.0 * 5.0);
        bodies.extend(
            before
                .out
                .take_all()
                .into_iter()
                .filter(|b| b.stream == Stream::Dossiers),
        );
    }
    let stored: Vec<RecordBatch> = bodies
        .iter()
        .map(|b| crate::ingest::decode(def, crate::ingest::Format::Ndjson, &b.body, &Default::default()).unwrap())
        .collect();
    let open = resume::open_dossiers(&stored);
    assert!(open.len() > 50, "{} open dossiers", open.len());
    assert!(open.iter().all(|d| d.status != "completed"));
    let restart = START + 600_000 + 120_000;
    let mut after = Generator::new(&catalog, 6, restart);
    let ids: BTreeSet<String> = open.iter().map(|d| d.id.clone()).collect();
    let resumed = after.resume_dossiers(restart, open);
    assert!(resumed * 10 >= ids.len() * 9, "{resumed} of {}", ids.len());
    // Nine simulated hours (past the longest demo deadline), no new traffic.
    let mut completed = BTreeSet::new();
    for i in 1..=1_080 {
        let now = restart + i * 30_000;
        after.tick(now, 30_000, 0.0);
        for b in after.out.take_all() {
            for line in std::str::from_utf8(&b.body).unwrap().lines() {
                let e: Value = serde_json::from_str(line).unwrap();
                assert!(
                    millis(&e["event_time"]) >= restart,
                    "an event dated before the restart: {e}"
                );
                if e["status"] == "completed" {
                    completed.insert(e["dossier_id"].as_str().unwrap().to_string());
                }
            }
        }
    }
    assert!(completed.is_subset(&ids));
    assert!(
        completed.len() * 10 >= ids.len() * 7,
        "{} of {} completed",
        completed.len(),
        ids.len()
    );
}
