//! The simulated province: communes, agencies and procedures, facilities, stations and sensors, read from the
//! catalog's reference tables (`queries/reference/*.csv`).
//!
//! A missing table (or a table without the columns we need) falls back to a small built-in list, so the simulator
//! runs on a bare catalog (tests, a new province); nothing here fails. Values are read through
//! `ReferenceTable::strings`, which works whatever type CSV inference chose (booleans, integers).

use std::collections::BTreeMap;

use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::Rng;

use crate::catalog::Catalog;

pub(super) struct Commune {
    pub code: String,
    pub population: f64,
}

pub(super) struct Procedure {
    pub code: String,
    /// Index into [`World::agencies`].
    pub agency: usize,
    pub full_online: bool,
    /// The legal deadline, in real hours.
    pub due_hours: f64,
    /// The fee charged on completion, when the procedure has one.
    pub fee_vnd: Option<i64>,
}

pub(super) struct Facility {
    pub id: String,
    pub sector: String,
    pub commune_code: String,
}

pub(super) struct Station {
    pub id: String,
    pub operator: String,
    pub commune_code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SensorKind {
    Aqi,
    Pm25,
    WaterLevel,
}

impl SensorKind {
    fn parse(text: &str) -> Option<SensorKind> {
        match text.trim() {
            "aqi" => Some(SensorKind::Aqi),
            "pm25" => Some(SensorKind::Pm25),
            "water_level" => Some(SensorKind::WaterLevel),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SensorKind::Aqi => "aqi",
            SensorKind::Pm25 => "pm25",
            SensorKind::WaterLevel => "water_level",
        }
    }

    /// The alert level when the thresholds table does not give one (AQI "unhealthy", the PM2.5 breakpoint of
    /// that band, a flood alert level in metres).
    fn default_threshold(self) -> f64 {
        match self {
            SensorKind::Aqi => 150.0,
            SensorKind::Pm25 => 55.5,
            SensorKind::WaterLevel => 4.5,
        }
    }

    /// The top of the normal range; a threshold below it would make every reading an alert.
    fn normal_max(self) -> f64 {
        match self {
            SensorKind::Aqi => 125.0,
            SensorKind::Pm25 => 52.0,
            SensorKind::WaterLevel => 3.5,
        }
    }
}

pub(super) struct Sensor {
    pub id: String,
    pub kind: SensorKind,
    pub commune_code: String,
}

pub(super) struct World {
    pub communes: Vec<Commune>,
    by_population: WeightedIndex<f64>,
    pub agencies: Vec<String>,
    pub procedures: Vec<Procedure>,
    /// A few procedures carry most dossiers (birth registration, land), as in real statistics.
    by_demand: WeightedIndex<f64>,
    pub facilities: Vec<Facility>,
    pub stations: Vec<Station>,
    pub sensors: Vec<Sensor>,
    thresholds: [f64; 3],
}

impl World {
    pub fn load(catalog: &Catalog, rng: &mut SmallRng) -> World {
        let communes = or_fallback("communes", load_communes(catalog), fallback_communes);
        let (agencies, procedures) = match load_procedures(catalog, rng) {
            Some(loaded) => loaded,
            None => {
                tracing::debug!("simulator: built-in list used for procedures");
                fallback_procedures(rng)
            }
        };
        let facilities = or_fallback("facilities", load_facilities(catalog), || {
            fallback_facilities(&communes)
        });
        let stations = or_fallback(STATION_TABLES[0], load_stations(catalog), || {
            fallback_stations(&communes)
        });
        let sensors = or_fallback(SENSOR_TABLES[0], load_sensors(catalog), || fallback_sensors(&communes));
        World {
            by_population: weighted(communes.iter().map(|c| c.population)),
            by_demand: demand_weights(procedures.len(), rng),
            thresholds: load_thresholds(catalog),
            communes,
            agencies,
            procedures,
            facilities,
            stations,
            sensors,
        }
    }

    /// A commune index, weighted by population.
    pub fn commune(&self, rng: &mut SmallRng) -> usize {
        self.by_population.sample(rng)
    }

    /// A procedure index, weighted by demand.
    pub fn procedure(&self, rng: &mut SmallRng) -> usize {
        self.by_demand.sample(rng)
    }

    /// The level above which a reading of `kind` is an alert.
    pub fn threshold(&self, kind: SensorKind) -> f64 {
        self.thresholds[kind as usize]
    }
}

/// A reference table cannot have a stream's name, so the demo's are `base_stations` and `sensor_sites`; the plain
/// names serve a catalog without those streams.
const STATION_TABLES: [&str; 2] = ["base_stations", "stations"];
const SENSOR_TABLES: [&str; 2] = ["sensor_sites", "sensors"];

fn or_fallback<T>(table: &str, loaded: Option<Vec<T>>, fallback: impl FnOnce() -> Vec<T>) -> Vec<T> {
    loaded.filter(|rows| !rows.is_empty()).unwrap_or_else(|| {
        tracing::debug!(table, "simulator: built-in list used for a missing reference table");
        fallback()
    })
}

/// A weighted index that tolerates bad weights (missing population → weight 1).
fn weighted(weights: impl Iterator<Item = f64>) -> WeightedIndex<f64> {
    let weights: Vec<f64> = weights
        .map(|w| if w.is_finite() && w > 0.0 { w } else { 1.0 })
        .collect();
    WeightedIndex::new(if weights.is_empty() { vec![1.0] } else { weights }).expect("weights are positive")
}

/// Zipf-like weights over a random ranking of the procedures.
fn demand_weights(n: usize, rng: &mut SmallRng) -> WeightedIndex<f64> {
    let mut ranks: Vec<usize> = (0..n).collect();
    ranks.shuffle(rng);
    weighted(ranks.into_iter().map(|r| 1.0 / ((r + 1) as f64).powf(0.9)))
}

/// The rows of the first of `tables` that exists, as text, with the named columns in order; `None` when no such
/// table exists, or when it lacks one of the columns (a warning: someone meant to provide it).
fn rows(catalog: &Catalog, tables: &[&str], columns: &[&str]) -> Option<Vec<Vec<String>>> {
    let (table, t) = tables
        .iter()
        .find_map(|name| Some((*name, catalog.reference.get(*name)?)))?;
    let mut cols = Vec::with_capacity(columns.len());
    for c in columns {
        let Some(values) = t.strings(c) else {
            tracing::warn!(
                table,
                column = c,
                "simulator: reference table lacks a column; built-in list used"
            );
            return None;
        };
        cols.push(values);
    }
    let n = t.batch.num_rows();
    Some(
        (0..n)
            .map(|i| cols.iter().map(|c| c[i].trim().to_string()).collect())
            .collect(),
    )
}

fn truthy(text: &str) -> bool {
    matches!(text.to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "t")
}

fn load_communes(catalog: &Catalog) -> Option<Vec<Commune>> {
    let rows = rows(catalog, &["communes"], &["commune_code", "population"])?;
    let communes = rows.into_iter().filter(|r| !r[0].is_empty()).map(|mut r| Commune {
        population: r[1].parse().unwrap_or(1.0),
        code: std::mem::take(&mut r[0]),
    });
    Some(communes.collect())
}

fn load_procedures(catalog: &Catalog, rng: &mut SmallRng) -> Option<(Vec<String>, Vec<Procedure>)> {
    let columns = ["procedure_code", "agency_code", "full_online", "due_hours"];
    let rows = rows(catalog, &["procedures"], &columns)?;
    let mut agencies = Agencies::default();
    let mut procedures = Vec::with_capacity(rows.len());
    for r in rows.iter().filter(|r| !r[0].is_empty() && !r[1].is_empty()) {
        procedures.push(Procedure {
            code: r[0].clone(),
            agency: agencies.index(&r[1]),
            full_online: truthy(&r[2]),
            due_hours: r[3].parse().unwrap_or(120.0),
            fee_vnd: fee(rng),
        });
    }
    (!procedures.is_empty()).then_some((agencies.codes, procedures))
}

/// Agency codes in order of first appearance, each with its index.
#[derive(Default)]
struct Agencies {
    codes: Vec<String>,
    index: BTreeMap<String, usize>,
}

impl Agencies {
    fn index(&mut self, code: &str) -> usize {
        if let Some(i) = self.index.get(code) {
            return *i;
        }
        self.codes.push(code.to_string());
        self.index.insert(code.to_string(), self.codes.len() - 1);
        self.codes.len() - 1
    }
}

/// Many procedures are free or have no fee recorded; the others charge one of a few common amounts.
fn fee(rng: &mut SmallRng) -> Option<i64> {
    const FEES: [i64; 5] = [20_000, 50_000, 100_000, 200_000, 500_000];
    match rng.random::<f64>() {
        x if x < 0.45 => None,
        x if x < 0.70 => Some(0),
        _ => Some(FEES[rng.random_range(0..FEES.len())]),
    }
}

fn load_facilities(catalog: &Catalog) -> Option<Vec<Facility>> {
    let rows = rows(catalog, &["facilities"], &["facility_id", "sector", "commune_code"])?;
    let facilities = rows
        .into_iter()
        .filter(|r| r.iter().all(|v| !v.is_empty()))
        .map(|mut r| Facility {
            id: std::mem::take(&mut r[0]),
            sector: std::mem::take(&mut r[1]),
            commune_code: std::mem::take(&mut r[2]),
        });
    Some(facilities.collect())
}

fn load_stations(catalog: &Catalog) -> Option<Vec<Station>> {
    let rows = rows(catalog, &STATION_TABLES, &["station_id", "operator", "commune_code"])?;
    let stations = rows
        .into_iter()
        .filter(|r| r.iter().all(|v| !v.is_empty()))
        .map(|mut r| Station {
            id: std::mem::take(&mut r[0]),
            operator: std::mem::take(&mut r[1]),
            commune_code: std::mem::take(&mut r[2]),
        });
    Some(stations.collect())
}

fn load_sensors(catalog: &Catalog) -> Option<Vec<Sensor>> {
    let rows = rows(catalog, &SENSOR_TABLES, &["sensor_id", "kind", "commune_code"])?;
    let sensors = rows
        .into_iter()
        .filter(|r| !r[0].is_empty() && !r[2].is_empty())
        .filter_map(|mut r| {
            Some(Sensor {
                kind: SensorKind::parse(&r[1])?,
                id: std::mem::take(&mut r[0]),
                commune_code: std::mem::take(&mut r[2]),
            })
        });
    Some(sensors.collect())
}

/// Per kind, the lowest listed threshold above the normal range (tables often list several bands).
fn load_thresholds(catalog: &Catalog) -> [f64; 3] {
    let kinds = [SensorKind::Aqi, SensorKind::Pm25, SensorKind::WaterLevel];
    let mut thresholds = kinds.map(SensorKind::default_threshold);
    let listed = rows(catalog, &["sensor_thresholds"], &["kind", "threshold"]).unwrap_or_default();
    for kind in kinds {
        let lowest = listed
            .iter()
            .filter(|r| SensorKind::parse(&r[0]) == Some(kind))
            .filter_map(|r| r[1].parse::<f64>().ok())
            .filter(|t| *t > kind.normal_max())
            .min_by(f64::total_cmp);
        if let Some(t) = lowest {
            thresholds[kind as usize] = t;
        }
    }
    thresholds
}

const FALLBACK_COMMUNES: [(&str, f64); 12] = [
    ("10001", 42_000.0),
    ("10002", 18_500.0),
    ("10003", 25_000.0),
    ("10004", 61_000.0),
    ("10005", 9_800.0),
    ("10006", 31_000.0),
    ("10007", 15_500.0),
    ("10008", 22_000.0),
    ("10009", 47_000.0),
    ("10010", 12_800.0),
    ("10011", 27_500.0),
    ("10012", 8_900.0),
];

/// Codes as in the demo's `agencies.csv`.
const FALLBACK_AGENCIES: [&str; 9] = [
    "SO_TP", "SO_XD", "SO_NNMT", "SO_CT", "SO_YT", "SO_GDDT", "SO_NV", "CA_TINH", "UBND_XA",
];

fn fallback_communes() -> Vec<Commune> {
    let communes = FALLBACK_COMMUNES.iter().map(|(code, population)| Commune {
        code: code.to_string(),
        population: *population,
    });
    communes.collect()
}

/// Six procedures per agency, with the usual spread of deadlines; half of them are full-process online.
fn fallback_procedures(rng: &mut SmallRng) -> (Vec<String>, Vec<Procedure>) {
    const DUE_HOURS: [f64; 6] = [8.0, 24.0, 40.0, 72.0, 120.0, 240.0];
    let agencies: Vec<String> = FALLBACK_AGENCIES.iter().map(|a| a.to_string()).collect();
    let mut procedures = Vec::new();
    for agency in 0..agencies.len() {
        for (j, due_hours) in DUE_HOURS.into_iter().enumerate() {
            procedures.push(Procedure {
                code: format!("1.{:06}", 1_000 + agency * 10 + j),
                agency,
                full_online: j % 2 == 0,
                due_hours,
                fee_vnd: fee(rng),
            });
        }
    }
    (agencies, procedures)
}

/// A hospital, a school, a one-stop shop and a utility office per commune.
fn fallback_facilities(communes: &[Commune]) -> Vec<Facility> {
    const KINDS: [(&str, &str); 4] = [
        ("BV", "health"),
        ("TH", "education"),
        ("HCC", "public_service"),
        ("CN", "utilities"),
    ];
    let facilities = communes.iter().flat_map(|c| {
        KINDS.iter().map(|(prefix, sector)| Facility {
            id: format!("{prefix}-{}", c.code),
            sector: sector.to_string(),
            commune_code: c.code.clone(),
        })
    });
    facilities.collect()
}

/// Two base stations per operator per commune.
fn fallback_stations(communes: &[Commune]) -> Vec<Station> {
    const OPERATORS: [&str; 3] = ["VNPT", "Viettel", "MobiFone"];
    let mut stations = Vec::new();
    for c in communes {
        for (i, operator) in OPERATORS.iter().flat_map(|o| [o, o]).enumerate() {
            stations.push(Station {
                id: format!("BTS-{}-{:02}", c.code, i + 1),
                operator: operator.to_string(),
                commune_code: c.code.clone(),
            });
        }
    }
    stations
}

/// An AQI station in every commune, PM2.5 in every other one, a water gauge in every third.
fn fallback_sensors(communes: &[Commune]) -> Vec<Sensor> {
    let mut sensors = Vec::new();
    for (i, c) in communes.iter().enumerate() {
        let kinds = [
            (SensorKind::Aqi, true),
            (SensorKind::Pm25, i % 2 == 0),
            (SensorKind::WaterLevel, i % 3 == 0),
        ];
        for (kind, present) in kinds {
            if present {
                sensors.push(Sensor {
                    id: format!("{}-{}", kind.name().to_uppercase(), c.code),
                    kind,
                    commune_code: c.code.clone(),
                });
            }
        }
    }
    sensors
}
