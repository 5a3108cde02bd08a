//! Devices in the field: telecom base stations (up/down) and environment sensors (air quality, water levels).
//!
//! Stations start up; outages start at random (power, fiber cuts, hardware, weather) and end after a few minutes,
//! at a rate that keeps about 2% of stations down. Stations that are up also report now and then, in turn.
//! Sensors report in turn too: air quality follows the traffic peaks of a Vietnamese day (UTC+7) with occasional
//! spikes past the alert threshold; rivers stay between about 2 and 3.5 m, except in one or two communes where the
//! level rises and falls slowly and crosses the alert level part of the time.

use std::f64::consts::TAU;

use rand::rngs::SmallRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::Rng;
use serde_json::json;

use super::emit::Stream;
use super::world::{SensorKind, World};
use super::Tick;

const REASONS: [(&str, f64); 4] = [
    ("power", 40.0),
    ("fiber_cut", 25.0),
    ("hardware", 20.0),
    ("weather", 15.0),
];
/// The share of stations down at any time, in the steady state.
const DOWN_SHARE: f64 = 0.02;
const MIN_OUTAGE_MS: i64 = 120_000;
const MAX_OUTAGE_MS: i64 = 480_000;

struct Outage {
    reason: &'static str,
    until: i64,
}

pub(super) struct Stations {
    down: Vec<Option<Outage>>,
    /// The next station to report its state.
    cursor: usize,
    /// Whether outages start (backfill turns them off for old history).
    pub outages: bool,
}

impl Stations {
    pub fn new(world: &World) -> Stations {
        Stations {
            down: world.stations.iter().map(|_| None).collect(),
            cursor: 0,
            outages: true,
        }
    }

    /// Ends the outages that are over, starts new ones, and spends `budget` on heartbeats.
    pub fn tick(&mut self, world: &World, t: &mut Tick, budget: f64) {
        // Per station, outages start at the rate that makes DOWN_SHARE the steady state: rate × mean duration is
        // the odds of being down against up.
        let mean_outage = (MIN_OUTAGE_MS + MAX_OUTAGE_MS) as f64 / 2.0;
        let rate = DOWN_SHARE / ((1.0 - DOWN_SHARE) * mean_outage);
        let p_start = 1.0 - (-rate * t.span as f64).exp();
        for i in 0..self.down.len() {
            match &self.down[i] {
                Some(outage) if outage.until <= t.now => {
                    let until = outage.until;
                    self.down[i] = None;
                    self.report(world, t, i, until);
                }
                None if self.outages && t.chance(p_start) => {
                    let at = t.event_time();
                    let reason = REASONS.choose_weighted(t.rng, |r| r.1).map_or("power", |r| r.0);
                    let until = at + t.rng.random_range(MIN_OUTAGE_MS..=MAX_OUTAGE_MS);
                    self.down[i] = Some(Outage { reason, until });
                    self.report(world, t, i, at);
                }
                _ => {}
            }
        }
        // Heartbeats come from stations that are up: a down station's latest report stays its `down` event, which
        // tells since when it is down.
        for _ in 0..t.count(budget).min(self.down.len()) {
            let i = self.cursor;
            self.cursor = (self.cursor + 1) % self.down.len();
            if self.down[i].is_none() {
                let at = t.event_time();
                self.report(world, t, i, at);
            }
        }
    }

    fn report(&self, world: &World, t: &mut Tick, i: usize, at: i64) {
        let station = &world.stations[i];
        let (state, reason) = match &self.down[i] {
            Some(outage) => ("down", Some(outage.reason)),
            None => ("up", None),
        };
        let event = json!({
            "station_id": station.id,
            "operator": station.operator,
            "commune_code": station.commune_code,
            "state": state,
            "reason": reason,
        });
        t.out.emit(Stream::Stations, at, event);
    }

    #[cfg(test)]
    pub fn down_count(&self) -> usize {
        self.down.iter().filter(|d| d.is_some()).count()
    }
}

/// Air-quality spikes start at a rate that keeps about 3% of air sensors in one (mean duration 6.5 minutes).
const SPIKE_RATE_PER_MS: f64 = 0.03 / (0.97 * 390_000.0);
const MIN_SPIKE_MS: i64 = 180_000;
const MAX_SPIKE_MS: i64 = 600_000;
/// Vietnam's offset from UTC: the daily cycle follows local rush hours.
const LOCAL_OFFSET_HOURS: f64 = 7.0;

struct SensorState {
    /// This sensor's usual level (air) or mean level (water).
    base: f64,
    phase: f64,
    /// Water gauges of the communes where the river rises.
    rising: bool,
    spike_until: i64,
    spike_peak: f64,
    last_reading: Option<i64>,
}

pub(super) struct Sensors {
    state: Vec<SensorState>,
    cursor: usize,
}

impl Sensors {
    pub fn new(world: &World, rng: &mut SmallRng) -> Sensors {
        let mut gauged: Vec<&str> = world
            .sensors
            .iter()
            .filter(|s| s.kind == SensorKind::WaterLevel)
            .map(|s| s.commune_code.as_str())
            .collect();
        gauged.sort_unstable();
        gauged.dedup();
        gauged.shuffle(rng);
        gauged.truncate(if rng.random_bool(0.5) { 1 } else { 2 });
        let state = world.sensors.iter().map(|s| SensorState {
            base: match s.kind {
                SensorKind::Aqi => rng.random_range(60.0..95.0),
                SensorKind::Pm25 => rng.random_range(20.0..36.0),
                SensorKind::WaterLevel => rng.random_range(2.3..3.0),
            },
            phase: rng.random_range(0.0..TAU),
            rising: s.kind == SensorKind::WaterLevel && gauged.contains(&s.commune_code.as_str()),
            spike_until: i64::MIN,
            spike_peak: 0.0,
            last_reading: None,
        });
        Sensors {
            state: state.collect(),
            cursor: 0,
        }
    }

    /// Spends `budget` on readings, the sensors taking turns so that each reports regularly.
    pub fn tick(&mut self, world: &World, t: &mut Tick, budget: f64) {
        for _ in 0..t.count(budget).min(self.state.len()) {
            let i = self.cursor;
            self.cursor = (self.cursor + 1) % self.state.len();
            let sensor = &world.sensors[i];
            let at = t.event_time();
            let value = match sensor.kind {
                SensorKind::WaterLevel => self.water_level(world, t, i, at),
                kind => self.air_quality(world, t, i, kind, at),
            };
            let event = json!({
                "sensor_id": sensor.id,
                "kind": sensor.kind.name(),
                "commune_code": sensor.commune_code,
                "value": value,
            });
            t.out.emit(Stream::Sensors, at, event);
        }
    }

    fn air_quality(&mut self, world: &World, t: &mut Tick, i: usize, kind: SensorKind, at: i64) -> f64 {
        let s = &mut self.state[i];
        let hour = ((at.rem_euclid(86_400_000)) as f64 / 3_600_000.0 + LOCAL_OFFSET_HOURS) % 24.0;
        let rush = peak(hour, 8.0) + peak(hour, 18.0);
        let (amplitude, noise, decimals) = match kind {
            SensorKind::Aqi => (25.0, 5.0, 0),
            _ => (12.0, 2.5, 1),
        };
        let mut value = s.base + amplitude * rush + t.uniform(-noise, noise);
        let elapsed = s.last_reading.map_or(0, |last| (at - last).max(0));
        s.last_reading = Some(s.last_reading.map_or(at, |last| last.max(at)));
        if at >= s.spike_until && t.chance(1.0 - (-SPIKE_RATE_PER_MS * elapsed as f64).exp()) {
            s.spike_until = at + t.rng.random_range(MIN_SPIKE_MS..=MAX_SPIKE_MS);
            s.spike_peak = world.threshold(kind) * t.uniform(1.05, 1.4);
        }
        if at < s.spike_until {
            value = value.max(s.spike_peak * t.uniform(0.97, 1.03));
        }
        round(value.max(0.0), decimals)
    }

    fn water_level(&self, world: &World, t: &mut Tick, i: usize, at: i64) -> f64 {
        let s = &self.state[i];
        let hours = at as f64 / 3_600_000.0;
        let level = if s.rising {
            // Rises from 2.9 m to 0.3 m above the alert level and back over three hours.
            let high = world.threshold(SensorKind::WaterLevel) + 0.3;
            2.9 + (high - 2.9) * (0.5 - 0.5 * (TAU * hours / 3.0 + s.phase).cos())
        } else {
            s.base + 0.3 * (TAU * hours / 6.0 + s.phase).sin()
        };
        round(level + t.uniform(-0.02, 0.02), 2)
    }

    #[cfg(test)]
    pub fn rising(&self) -> usize {
        self.state.iter().filter(|s| s.rising).count()
    }
}

/// A rush-hour bump around `center` (hours, wrapping at midnight), 1 at its top.
fn peak(hour: f64, center: f64) -> f64 {
    let d = (hour - center).abs();
    let d = d.min(24.0 - d);
    (-d * d / (2.0 * 1.5 * 1.5)).exp()
}

fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}
