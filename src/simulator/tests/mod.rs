//! The simulator against the demo catalog (reference tables empty, so the built-in lists): what it emits must fit the
//! stream schemas and make every demo scenario move. Other catalogs: [`catalogs`]; the generator running
//! into a sink, and after a restart: [`run`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::OnceLock;

use datafusion::arrow::array::RecordBatch;
use serde_json::Value;

use super::*;
use crate::catalog::ColumnType;

/// 2026-11-23T00:00:00Z.
const START: i64 = 1_795_392_000_000;
const DEMO_STREAMS: &str = include_str!("../../../queries/streams.toml");

fn catalog() -> Catalog {
    Catalog::parse(Path::new("streams.toml"), DEMO_STREAMS).expect("the demo catalog parses")
}

/// Events per stream, parsed back from the NDJSON bodies, and how many arrived 30 s or more after their time.
#[derive(Default)]
struct Sim {
    events: BTreeMap<&'static str, Vec<Value>>,
    late: usize,
    total: usize,
}

impl Sim {
    fn collect(&mut self, now: i64, batches: Vec<Batch>) {
        for b in batches {
            let text = std::str::from_utf8(&b.body).expect("NDJSON is UTF-8");
            let events: Vec<Value> = text
                .lines()
                .map(|l| serde_json::from_str(l).expect("one JSON per line"))
                .collect();
            assert_eq!(events.len(), b.events, "{}", b.stream.name());
            for e in &events {
                self.total += 1;
                self.late += usize::from(now - millis(&e["event_time"]) >= 30_000);
            }
            self.events.entry(b.stream.name()).or_default().extend(events);
        }
    }

    fn of(&self, stream: &str) -> &[Value] {
        self.events.get(stream).map_or(&[], Vec::as_slice)
    }
}

/// Runs the generator for `ticks` ticks of `span_ms` from START, at `rate` events per second.
fn simulate(g: &mut Generator, ticks: i64, span_ms: i64, rate: f64) -> Sim {
    let mut sim = Sim::default();
    for i in 1..=ticks {
        let now = START + i * span_ms;
        g.tick(now, span_ms, rate * span_ms as f64 / 1_000.0);
        sim.collect(now, g.out.take_all());
    }
    sim
}

/// Three simulated hours at 5 events/s, shared by the tests that look at what happens over a session.
fn session() -> &'static (Sim, usize) {
    static SESSION: OnceLock<(Sim, usize)> = OnceLock::new();
    SESSION.get_or_init(|| {
        let mut g = Generator::new(&catalog(), 42, START);
        let rising = g.sensors.rising();
        (simulate(&mut g, 3_600, 3_000, 5.0), rising)
    })
}

fn millis(v: &Value) -> i64 {
    match v {
        Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
            .expect("RFC 3339")
            .timestamp_millis(),
        other => other.as_i64().expect("a timestamp is a string or epoch ms"),
    }
}

fn fits(ty: ColumnType, v: &Value) -> bool {
    match ty {
        ColumnType::Utf8 => v.is_string(),
        ColumnType::Bool => v.is_boolean(),
        ColumnType::Int32 => v.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
        ColumnType::Int64 => v.is_i64(),
        ColumnType::Float64 => v.is_number(),
        ColumnType::TimestampMs => match v {
            Value::String(s) => s.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(s).is_ok(),
            other => other.is_i64(),
        },
        ColumnType::Date32 => v.is_string(),
    }
}

#[test]
fn every_event_fits_its_stream_schema() {
    let (sim, _) = session();
    let catalog = catalog();
    for (name, def) in &catalog.streams {
        let events = sim.of(name);
        assert!(!events.is_empty(), "no events for {name}");
        for e in events {
            let object = e.as_object().expect("an event is a JSON object");
            for key in object.keys() {
                assert!(
                    def.columns.iter().any(|c| &c.name == key),
                    "{name}: unknown column {key} in {e}"
                );
            }
            for c in &def.columns {
                let v = object.get(&c.name).unwrap_or(&Value::Null);
                let ok = (c.nullable && v.is_null()) || fits(c.ty, v);
                assert!(ok, "{name}.{}: {v} is not a {:?} in {e}", c.name, c.ty);
            }
        }
    }
}

#[test]
fn timestamps_have_milliseconds_in_utc() {
    let (sim, _) = session();
    let t = sim.of("payments")[0]["event_time"].as_str().unwrap().to_string();
    assert_eq!(t.len(), "2026-11-23T08:15:00.123Z".len(), "{t}");
}

#[test]
fn event_ids_are_unique() {
    let (sim, _) = session();
    let mut seen = BTreeSet::new();
    for events in sim.events.values() {
        for e in events {
            assert!(
                seen.insert(e["event_id"].as_str().unwrap()),
                "duplicate {}",
                e["event_id"]
            );
        }
    }
}

#[test]
fn stream_shares_follow_the_weights() {
    let (sim, _) = session();
    let share = |s: &str| sim.of(s).len() as f64 / sim.total as f64;
    assert!(
        (0.38..0.52).contains(&share("dossiers")),
        "dossiers {}",
        share("dossiers")
    );
    assert!(
        (0.20..0.30).contains(&share("payments")),
        "payments {}",
        share("payments")
    );
    assert!((0.09..0.15).contains(&share("eid_activations")));
    assert!(share("stations") < 0.05);
    // 3 h at 5 events/s.
    assert!((45_000..63_000).contains(&sim.total), "{}", sim.total);
}

#[test]
fn about_three_percent_of_events_arrive_late() {
    let (sim, _) = session();
    let late = sim.late as f64 / sim.total as f64;
    assert!((0.015..0.05).contains(&late), "late share {late}");
}

/// Every dossier event, grouped by dossier in arrival order.
fn dossiers(sim: &Sim) -> BTreeMap<&str, Vec<&Value>> {
    let mut by_id: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for e in sim.of("dossiers") {
        by_id.entry(e["dossier_id"].as_str().unwrap()).or_default().push(e);
    }
    by_id
}

#[test]
fn dossiers_complete_on_time_late_or_never() {
    let (sim, _) = session();
    let end = START + 3_600 * 3_000;
    let (mut on_time, mut late, mut overdue) = (0, 0, 0);
    for (id, events) in dossiers(sim) {
        let first = events[0];
        for e in &events {
            for col in [
                "procedure_code",
                "agency_code",
                "commune_code",
                "channel",
                "received_at",
                "due_at",
            ] {
                assert_eq!(e[col], first[col], "{id}: {col} changes");
            }
        }
        let received = events
            .iter()
            .find(|e| e["status"] == "received")
            .expect("received first");
        assert_eq!(received["event_time"], received["received_at"]);
        assert!(received["e_result"].is_null());
        let due = millis(&first["due_at"]);
        assert!(
            due - millis(&first["received_at"]) >= 180_000,
            "{id}: deadline under 3 minutes"
        );
        match events.iter().find(|e| e["status"] == "completed") {
            Some(done) if millis(&done["event_time"]) <= due => on_time += 1,
            Some(_) => late += 1,
            None if due < end => overdue += 1,
            None => {}
        }
        if let Some(done) = events.iter().find(|e| e["status"] == "completed") {
            assert!(done["e_result"].is_boolean());
        }
    }
    let late_share = late as f64 / (on_time + late) as f64;
    assert!(
        (0.06..0.25).contains(&late_share),
        "late share {late_share} ({late} of {})",
        on_time + late
    );
    assert!(overdue > 0, "no dossier stays overdue");
}

#[test]
fn dossier_channels_and_rates_look_like_a_province() {
    let (sim, _) = session();
    let received: Vec<&Value> = sim
        .of("dossiers")
        .iter()
        .filter(|e| e["status"] == "received")
        .collect();
    let share = |f: &dyn Fn(&Value) -> bool| received.iter().filter(|e| f(e)).count() as f64 / received.len() as f64;
    let online = share(&|e| e["channel"] == "online");
    let postal = share(&|e| e["channel"] == "postal");
    let digitised = share(&|e| e["digitised"] == true);
    assert!((0.45..0.70).contains(&online), "online {online}");
    assert!((0.01..0.10).contains(&postal), "postal {postal}");
    assert!((0.78..0.92).contains(&digitised), "digitised {digitised}");
    assert!(received
        .iter()
        .all(|e| e["full_online"] == false || e["channel"] == "online"));
}

#[test]
fn some_agencies_are_markedly_slower() {
    let (sim, _) = session();
    let mut per_agency: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for events in dossiers(sim).values() {
        if let Some(done) = events.iter().find(|e| e["status"] == "completed") {
            let entry = per_agency.entry(done["agency_code"].as_str().unwrap()).or_default();
            entry.0 += 1;
            entry.1 += usize::from(millis(&done["event_time"]) > millis(&done["due_at"]));
        }
    }
    let mut rates: Vec<f64> = per_agency
        .values()
        .filter(|(n, _)| *n >= 50)
        .map(|(n, l)| *l as f64 / *n as f64)
        .collect();
    rates.sort_by(f64::total_cmp);
    assert!(rates.len() >= 4, "{per_agency:?}");
    assert!(rates[rates.len() - 1] > 3.0 * rates[0], "{rates:?}");
}

#[test]
fn feedback_tickets_move_and_some_breach_their_sla() {
    let (sim, _) = session();
    let resolved: Vec<&Value> = sim
        .of("feedback")
        .iter()
        .filter(|e| e["status"] == "resolved")
        .collect();
    let breached = resolved
        .iter()
        .filter(|e| millis(&e["event_time"]) > millis(&e["sla_due_at"]))
        .count();
    assert!(
        breached > 0 && breached < resolved.len() / 3,
        "{breached} of {}",
        resolved.len()
    );
    assert!(sim.of("feedback").iter().any(|e| e["status"] == "in_progress"));
}

#[test]
fn stations_go_down_and_come_back() {
    let (sim, _) = session();
    let events = sim.of("stations");
    let down: BTreeSet<&str> = events
        .iter()
        .filter(|e| e["state"] == "down")
        .map(|e| e["station_id"].as_str().unwrap())
        .collect();
    assert!(down.len() >= 5, "{down:?}");
    assert!(events.iter().all(|e| (e["state"] == "down") == e["reason"].is_string()));
    let recovered = events
        .iter()
        .filter(|e| e["state"] == "up" && down.contains(e["station_id"].as_str().unwrap()));
    assert!(recovered.count() > 0);
}

#[test]
fn about_two_percent_of_stations_are_down() {
    let mut g = Generator::new(&catalog(), 9, START);
    let stations = g.world.stations.len();
    let mut down = 0;
    // Sample the state every simulated minute over 10 hours (after a warm-up).
    for i in 1..=12_000 {
        g.tick(START + i * 3_000, 3_000, 0.0);
        if i > 200 && i % 20 == 0 {
            down += g.stations.down_count();
        }
    }
    let share = down as f64 / (590 * stations) as f64;
    assert!((0.01..0.03).contains(&share), "down share {share}");
}

#[test]
fn sensors_spike_and_a_river_rises() {
    let (sim, rising) = session();
    let values = |kind: &str| -> Vec<f64> {
        let of_kind = sim.of("sensors").iter().filter(|e| e["kind"] == kind);
        of_kind.map(|e| e["value"].as_f64().unwrap()).collect()
    };
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (aqi, pm25, water) = (values("aqi"), values("pm25"), values("water_level"));
    assert!(aqi.iter().any(|v| *v > 150.0) && (55.0..125.0).contains(&median(aqi.clone())));
    assert!(pm25.iter().any(|v| *v > 55.5) && (18.0..52.0).contains(&median(pm25.clone())));
    assert!((1..=2).contains(rising));
    assert!(water.iter().any(|v| *v > 4.5) && (1.8..3.6).contains(&median(water.clone())));
}

#[test]
fn eid_and_payments_look_right() {
    let (sim, _) = session();
    let eid = sim.of("eid_activations");
    let level2 = eid.iter().filter(|e| e["level"] == 2).count() as f64 / eid.len() as f64;
    assert!((0.8..0.95).contains(&level2), "{level2}");
    assert!(eid.iter().any(|e| e["age_group"].is_null()) && eid.iter().any(|e| e["age_group"] == "60+"));
    let payments = sim.of("payments");
    let cashless = |sector: &str| {
        let of: Vec<_> = payments.iter().filter(|e| e["sector"] == sector).collect();
        of.iter().filter(|e| e["method"] != "cash").count() as f64 / of.len() as f64
    };
    assert!(cashless("health") < cashless("education"));
    let all = payments.iter().filter(|e| e["method"] != "cash").count() as f64 / payments.len() as f64;
    assert!((0.55..0.72).contains(&all), "cashless {all}");
    for p in payments {
        let amount = p["amount_vnd"].as_i64().unwrap();
        assert!(
            (20_000..=2_000_000).contains(&amount) && amount % 1_000 == 0,
            "{amount}"
        );
    }
}

#[test]
fn the_same_seed_repeats_and_another_seed_differs() {
    let run = |seed| {
        let mut g = Generator::new(&catalog(), seed, START);
        let sim = simulate(&mut g, 300, 200, 200.0);
        sim.events.into_values().flatten().collect::<Vec<Value>>()
    };
    let (a, b, c) = (run(1), run(1), run(2));
    assert_eq!(a, b);
    let ids = |events: &[Value]| {
        events
            .iter()
            .map(|e| e["event_id"].to_string())
            .collect::<BTreeSet<_>>()
    };
    assert!(ids(&a).is_disjoint(&ids(&c)));
}

mod catalogs;
mod run;
