//! The simulator against catalogs other than the demo's: streams left out or declared differently, and
//! reference tables that name the province's communes and agencies.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray};

use super::*;
use crate::catalog::ReferenceTable;

#[test]
fn streams_missing_from_the_catalog_are_skipped() {
    let only_payments = DEMO_STREAMS
        .split("\n[streams.")
        .find(|s| s.starts_with("payments]"))
        .unwrap();
    let catalog = Catalog::parse(Path::new("s.toml"), &format!("[streams.{only_payments}")).unwrap();
    let mut g = Generator::new(&catalog, 3, START);
    assert_eq!(g.streams(), ["payments"]);
    let sim = simulate(&mut g, 50, 200, 100.0);
    assert_eq!(sim.events.keys().copied().collect::<Vec<_>>(), ["payments"]);
    // The whole rate goes to the streams that exist.
    assert!(sim.total > 700, "{}", sim.total);
}

#[test]
fn a_stream_declared_with_other_columns_is_skipped() {
    let changed = DEMO_STREAMS.replace(r#"{ name = "method",       type = "utf8" },"#, "");
    assert_ne!(changed, DEMO_STREAMS);
    let g = Generator::new(&Catalog::parse(Path::new("s.toml"), &changed).unwrap(), 3, START);
    assert!(!g.streams().contains(&"payments"));
    assert!(g.streams().contains(&"dossiers"));
}

fn table(name: &str, columns: Vec<(&str, ArrayRef)>) -> (String, Arc<ReferenceTable>) {
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let table = ReferenceTable {
        name: name.to_string(),
        batch,
    };
    (name.to_string(), Arc::new(table))
}

#[test]
fn reference_tables_are_used_whatever_their_inferred_types() {
    let mut catalog = catalog();
    let strings = |v: &[&str]| Arc::new(StringArray::from(v.to_vec())) as ArrayRef;
    catalog.reference.extend([
        table(
            "procedures",
            vec![
                ("procedure_code", strings(&["P1", "P2"])),
                ("procedure_name", strings(&["one", "two"])),
                ("agency_code", strings(&["A", "UBND_XA"])),
                (
                    "full_online",
                    Arc::new(BooleanArray::from(vec![true, false])) as ArrayRef,
                ),
                ("due_hours", Arc::new(Int64Array::from(vec![24, 0])) as ArrayRef),
            ],
        ),
        table(
            "communes",
            vec![
                ("commune_code", strings(&["C1", "C2"])),
                (
                    "population",
                    Arc::new(Int64Array::from(vec![90_000, 10_000])) as ArrayRef,
                ),
            ],
        ),
    ]);
    let mut g = Generator::new(&catalog, 5, START);
    let sim = simulate(&mut g, 600, 1_000, 50.0);
    let received: Vec<&Value> = sim
        .of("dossiers")
        .iter()
        .filter(|e| e["status"] == "received")
        .collect();
    assert!(received
        .iter()
        .all(|e| e["procedure_code"] == "P1" || e["procedure_code"] == "P2"));
    assert!(received
        .iter()
        .all(|e| e["procedure_code"] == "P1" || e["full_online"] == false));
    assert!(received.iter().any(|e| e["full_online"] == true));
    let c1 = received.iter().filter(|e| e["commune_code"] == "C1").count() as f64 / received.len() as f64;
    assert!(c1 > 0.8, "C1 share {c1}");
    // A zero deadline still gets the 3-minute minimum.
    assert!(received
        .iter()
        .all(|e| millis(&e["due_at"]) - millis(&e["received_at"]) >= 180_000));
    // Facilities, stations and sensors fall back to built-in lists placed in the loaded communes.
    let payments = sim.of("payments");
    assert!(
        !payments.is_empty()
            && payments
                .iter()
                .all(|e| e["commune_code"] == "C1" || e["commune_code"] == "C2")
    );
}

#[test]
fn the_demo_province_comes_from_its_reference_tables() {
    let catalog =
        Catalog::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("queries")).expect("the demo catalog loads");
    let codes = |table: &str, column: &str| -> BTreeSet<String> {
        let values = catalog.reference.get(table).and_then(|t| t.strings(column));
        values
            .unwrap_or_else(|| panic!("reference table {table} with {column}"))
            .into_iter()
            .collect()
    };
    let known = [
        ("commune_code", codes("communes", "commune_code")),
        ("agency_code", codes("agencies", "agency_code")),
        ("procedure_code", codes("procedures", "procedure_code")),
        ("facility_id", codes("facilities", "facility_id")),
        ("station_id", codes("base_stations", "station_id")),
        ("sensor_id", codes("sensor_sites", "sensor_id")),
    ];
    let mut g = Generator::new(&catalog, 1, START);
    let sim = simulate(&mut g, 1_200, 1_000, 20.0);
    for (stream, events) in &sim.events {
        for e in events {
            for (column, codes) in &known {
                if let Some(code) = e.get(*column) {
                    assert!(
                        codes.contains(code.as_str().unwrap()),
                        "{stream}: unknown {column} in {e}"
                    );
                }
            }
        }
    }
    assert!(sim.of("stations").iter().any(|e| e["state"] == "down"));
}
