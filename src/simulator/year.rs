//! A year of history for the demo's first start: dossiers, feedback tickets, e-ID activations and payments,
//! generated hour by hour and written straight into the streams' Parquet history (through
//! [`super::EventSink::push_history`]), a week per write.
//!
//! The year has a province's rhythm: office hours on weekdays, quiet weekends, a dip at the Lunar New Year
//! (early February), and slow progress over the year (more full-online filing, digitisation and electronic
//! results; slow agencies catch up a little), so the wall's year-to-date KPIs, the month-by-month chart and
//! the change against the previous month have a shape. Deadlines are real (a procedure's `due_hours`), not
//! the live simulator's compressed ones: this is what a year exported from the one-stop-shop database looks
//! like. Volumes are those of a mid-sized province (about 1,800 dossiers a working day), so the year is a
//! few million events, written in well under a minute on 2 cores.
//!
//! It does not touch memory or the WAL, and it writes only streams that keep a history and hold none yet
//! (a restarted demo keeps the year it has). Events stop at `end` (the in-memory window's start); the live
//! simulator carries on from there. Dossiers and tickets still open at `end` never complete.

use std::f64::consts::PI;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use super::emit::{rfc3339, Emitter, Stream};
use super::lifecycle::{Lifecycles, Step};
use super::services::{sector_profile, AGE_GROUPS, CASHLESS_METHODS, CATEGORIES, SOURCES};
use super::world::World;
use crate::catalog::Catalog;

/// The streams that get a year.
pub(super) const STREAMS: [Stream; 4] = [
    Stream::Dossiers,
    Stream::Feedback,
    Stream::EidActivations,
    Stream::Payments,
];

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// The province's offset from UTC (Asia/Ho_Chi_Minh), for the daily rhythm.
const LOCAL_OFFSET_MS: i64 = 7 * HOUR_MS;
/// Events per NDJSON body handed to the sink.
const CHUNK: usize = 20_000;
/// A write covers this much time (so each UTC day lands in one file per stream).
const WRITE_SPAN_MS: i64 = 7 * DAY_MS;

/// New items per working day at the start of the year.
const DOSSIERS_PER_DAY: f64 = 1_800.0;
const TICKETS_PER_DAY: f64 = 260.0;
const ACTIVATIONS_PER_DAY: f64 = 900.0;
const PAYMENTS_PER_DAY: f64 = 2_500.0;

/// Relative activity per local hour: counters open 7:30–11:30 and 13:30–17:00; online filing never stops.
const HOURS: [f64; 24] = [
    0.3, 0.2, 0.15, 0.15, 0.2, 0.4, 1.0, 3.0, 5.0, 5.5, 5.0, 3.5, 1.5, 2.5, 5.0, 5.0, 4.0, 1.8, 1.2, 1.0, 0.9, 0.8,
    0.6, 0.4,
];

/// What the year wrote, per stream.
#[derive(Debug, Default)]
pub(super) struct Written {
    pub events: [usize; 4],
    pub failed: Option<String>,
}

/// How the year unfolds: `f` is the share of the year gone (0..1).
struct Trend {
    f: f64,
}

impl Trend {
    fn online(&self, full_online_procedure: bool) -> f64 {
        if full_online_procedure {
            0.55 + 0.20 * self.f
        } else {
            0.22 + 0.10 * self.f
        }
    }
    fn digitised(&self, online: bool) -> f64 {
        if online {
            0.95
        } else {
            0.55 + 0.15 * self.f
        }
    }
    fn e_result(&self) -> f64 {
        0.72 + 0.12 * self.f
    }
    /// Slow agencies improve over the year.
    fn lateness(&self, base: f64) -> f64 {
        base * (1.15 - 0.35 * self.f)
    }
}

struct Dossier {
    id: u64,
    procedure: usize,
    commune: usize,
    channel: &'static str,
    full_online: bool,
    digitised: bool,
    received_at: i64,
    due_at: i64,
    e_result: bool,
}

struct Ticket {
    id: u64,
    category: &'static str,
    commune: usize,
    source: &'static str,
    sla_due_at: i64,
}

/// Generates the year ending at `end_ms` for `wanted` streams (a subset of [`STREAMS`]) and hands each week
/// to `write` (stream, NDJSON bodies). Stops early when `cancelled` says so or a write fails.
#[allow(clippy::too_many_arguments)] // the year's parameters, each used once; a struct would only rename them
pub(super) fn generate(
    catalog: &Catalog,
    world: &World,
    seed: u64,
    end_ms: i64,
    days: u32,
    wanted: &[Stream],
    cancelled: &dyn Fn() -> bool,
    write: &mut dyn FnMut(Stream, Vec<Vec<u8>>) -> Result<usize, super::SinkError>,
) -> Written {
    let mut rng = SmallRng::seed_from_u64(seed ^ 0x5945_4152);
    let run = format!("y{:x}-{:x}", seed, end_ms.max(0) / 1_000);
    let mut out = Emitter::new(catalog, run.clone());
    out.chunk_at(CHUNK);
    // From a UTC midnight, so that each week's write ends at one and every day lands in one file.
    let start = (end_ms - i64::from(days) * DAY_MS).div_euclid(DAY_MS) * DAY_MS;
    let lateness = agency_lateness(world, &mut rng);
    let hour_sum: f64 = HOURS.iter().sum();
    let mut dossiers: Lifecycles<Dossier> = Lifecycles::new(400_000);
    let mut tickets: Lifecycles<Ticket> = Lifecycles::new(100_000);
    let (mut next_dossier, mut next_ticket) = (0u64, 0u64);
    let want = |s: Stream| wanted.contains(&s);
    let mut written = Written::default();
    let mut flushed_to = start;
    let mut hour = start;
    while hour < end_ms {
        let trend = Trend {
            f: (hour - start) as f64 / (end_ms - start).max(1) as f64,
        };
        let local = hour + LOCAL_OFFSET_MS;
        let share = HOURS[(local.rem_euclid(DAY_MS) / HOUR_MS) as usize] / hour_sum * season(local);
        let hour_end = (hour + HOUR_MS).min(end_ms);
        let at = |rng: &mut SmallRng| hour + rng.random_range(0..(hour_end - hour).max(1));
        if want(Stream::Dossiers) {
            let n = count(&mut rng, DOSSIERS_PER_DAY * share * weekday(local, 0.30, 0.08));
            for _ in 0..n {
                next_dossier += 1;
                let received = at(&mut rng);
                let (d, steps) = dossier(world, &mut rng, &trend, &lateness, next_dossier, received);
                dossiers.insert(d, steps);
            }
            dossiers.release(hour_end - 1, |d, step| {
                out.emit(Stream::Dossiers, step.at, dossier_event(world, &run, d, step))
            });
        }
        if want(Stream::Feedback) {
            for _ in 0..count(&mut rng, TICKETS_PER_DAY * share * weekday(local, 0.6, 0.45)) {
                next_ticket += 1;
                let opened = at(&mut rng);
                let (t, steps) = ticket(world, &mut rng, next_ticket, opened);
                tickets.insert(t, steps);
            }
            tickets.release(hour_end - 1, |t, step| {
                let event = json!({
                    "ticket_id": format!("PA-{run}-{:07}", t.id),
                    "category": t.category,
                    "commune_code": world.communes[t.commune].code,
                    "source": t.source,
                    "status": step.status,
                    "sla_due_at": rfc3339(t.sla_due_at),
                });
                out.emit(Stream::Feedback, step.at, event)
            });
        }
        if want(Stream::EidActivations) {
            // Activations slow down as the population gets covered.
            let per_day = ACTIVATIONS_PER_DAY * (1.2 - 0.5 * trend.f);
            for _ in 0..count(&mut rng, per_day * share * weekday(local, 0.5, 0.3)) {
                let commune = &world.communes[world.commune(&mut rng)].code;
                let level = if rng.random_bool(0.9) { 2 } else { 1 };
                let age_group = pick(&mut rng, &AGE_GROUPS, |a| a.1).0;
                let event = json!({ "commune_code": commune, "level": level, "age_group": age_group });
                out.emit(Stream::EidActivations, at(&mut rng), event);
            }
        }
        if want(Stream::Payments) && !world.facilities.is_empty() {
            for _ in 0..count(&mut rng, PAYMENTS_PER_DAY * share * weekday(local, 0.55, 0.35)) {
                let facility = &world.facilities[rng.random_range(0..world.facilities.len())];
                let profile = sector_profile(&facility.sector);
                let cashless = (profile.cashless * (0.85 + 0.25 * trend.f)).min(0.95);
                let method = if rng.random_bool(cashless) {
                    pick(&mut rng, &CASHLESS_METHODS, |m| m.1).0
                } else {
                    "cash"
                };
                let amount = rng.random_range(profile.min_vnd..profile.max_vnd);
                let event = json!({
                    "facility_id": facility.id,
                    "sector": facility.sector,
                    "commune_code": facility.commune_code,
                    "method": method,
                    "amount_vnd": (amount / 1_000.0).round() as i64 * 1_000,
                });
                out.emit(Stream::Payments, at(&mut rng), event);
            }
        }
        hour = hour_end;
        if hour - flushed_to >= WRITE_SPAN_MS || hour >= end_ms {
            flushed_to = hour;
            if let Err(e) = flush(&mut out, write, &mut written) {
                written.failed = Some(e);
                return written;
            }
            if cancelled() {
                return written;
            }
        }
    }
    written
}

/// Hands every waiting body to `write`, one call per stream.
fn flush(
    out: &mut Emitter,
    write: &mut dyn FnMut(Stream, Vec<Vec<u8>>) -> Result<usize, super::SinkError>,
    written: &mut Written,
) -> Result<(), String> {
    let batches = out.take_all();
    for (i, stream) in STREAMS.iter().enumerate() {
        let bodies: Vec<Vec<u8>> = batches
            .iter()
            .filter(|b| b.stream == *stream)
            .map(|b| b.body.clone())
            .collect();
        if bodies.is_empty() {
            continue;
        }
        written.events[i] += write(*stream, bodies).map_err(|e| format!("{}: {e}", stream.name()))?;
    }
    Ok(())
}

/// Each agency's share of late dossiers: most are late on a few percent, three on a fifth to a third.
fn agency_lateness(world: &World, rng: &mut SmallRng) -> Vec<f64> {
    let n = world.agencies.len();
    let mut late: Vec<f64> = (0..n).map(|_| rng.random_range(0.03..0.09)).collect();
    for _ in 0..3.min(n / 3) {
        let a = rng.random_range(0..n);
        late[a] = rng.random_range(0.18..0.32);
    }
    late
}

fn dossier(
    world: &World,
    rng: &mut SmallRng,
    trend: &Trend,
    lateness: &[f64],
    id: u64,
    received_at: i64,
) -> (Dossier, Vec<Step>) {
    let procedure = world.procedure(rng);
    let p = &world.procedures[procedure];
    let online = rng.random_bool(trend.online(p.full_online));
    let channel = if online {
        "online"
    } else if rng.random_bool(0.92) {
        "direct"
    } else {
        "postal"
    };
    let due_hours = if p.due_hours.is_finite() { p.due_hours } else { 120.0 };
    let deadline = (due_hours.clamp(4.0, 720.0) * HOUR_MS as f64) as i64;
    let d = Dossier {
        id,
        procedure,
        commune: world.commune(rng),
        channel,
        full_online: p.full_online && online,
        digitised: rng.random_bool(trend.digitised(online)),
        received_at,
        due_at: received_at + deadline,
        e_result: rng.random_bool(trend.e_result()),
    };
    let step = |status, at| Step {
        status,
        at,
        arrives: at,
    };
    let mut steps = vec![step("received", received_at)];
    if rng.random_bool(0.995) {
        let frac: f64 = rng.random_range(0.02..0.15);
        steps.push(step("processing", received_at + (deadline as f64 * frac) as i64));
        let late = trend.lateness(lateness.get(p.agency).copied().unwrap_or(0.05));
        let fate: f64 = rng.random();
        if fate >= 0.008 {
            let done = if fate < 0.008 + late {
                d.due_at + (deadline as f64 * rng.random_range(0.05..0.6)) as i64
            } else {
                received_at + (deadline as f64 * rng.random_range(0.3..0.98)) as i64
            };
            steps.push(step("completed", done));
        }
    }
    (d, steps)
}

fn dossier_event(world: &World, run: &str, d: &Dossier, step: &Step) -> serde_json::Value {
    let p = &world.procedures[d.procedure];
    let completed = step.status == "completed";
    json!({
        "dossier_id": format!("HS-{run}-{:07}", d.id),
        "status": step.status,
        "procedure_code": p.code,
        "agency_code": world.agencies[p.agency],
        "commune_code": world.communes[d.commune].code,
        "channel": d.channel,
        "full_online": d.full_online,
        "digitised": d.digitised,
        "received_at": rfc3339(d.received_at),
        "due_at": rfc3339(d.due_at),
        "e_result": completed.then_some(d.e_result),
        "fee_vnd": if completed { p.fee_vnd } else { None },
    })
}

fn ticket(world: &World, rng: &mut SmallRng, id: u64, opened: i64) -> (Ticket, Vec<Step>) {
    let (category, _, sla_min, sla_max) = *pick(rng, &CATEGORIES, |c| c.1);
    // The live simulator's SLAs are in minutes for a demo; a year's are in days (one demo minute = 4 hours).
    let sla = (rng.random_range(sla_min..sla_max) * 4.0 * HOUR_MS as f64) as i64;
    let t = Ticket {
        id,
        category,
        commune: world.commune(rng),
        source: pick(rng, &SOURCES, |s| s.1).0,
        sla_due_at: opened + sla,
    };
    let step = |status, at| Step {
        status,
        at,
        arrives: at,
    };
    let mut steps = vec![step("open", opened)];
    let within = |f: f64| opened + (sla as f64 * f) as i64;
    steps.push(step("in_progress", within(rng.random_range(0.05..0.3))));
    let fate: f64 = rng.random();
    if fate >= 0.01 {
        let done = if fate < 0.15 {
            within(rng.random_range(1.05..1.8))
        } else {
            within(rng.random_range(0.3..0.97))
        };
        steps.push(step("resolved", done));
    }
    (t, steps)
}

/// Saturday and Sunday activity relative to a working day (local time).
fn weekday(local_ms: i64, saturday: f64, sunday: f64) -> f64 {
    // 1970-01-01 was a Thursday.
    match (local_ms.div_euclid(DAY_MS) + 4).rem_euclid(7) {
        6 => saturday,
        0 => sunday,
        _ => 1.0,
    }
}

/// The Lunar New Year holiday (about the first half of February) is quiet; the weeks before it are busy.
fn season(local_ms: i64) -> f64 {
    let day_of_year = chrono::DateTime::from_timestamp_millis(local_ms)
        .map(|t| chrono::Datelike::ordinal0(&t) as f64)
        .unwrap_or(0.0);
    if (33.0..42.0).contains(&day_of_year) {
        0.25
    } else if (20.0..33.0).contains(&day_of_year) {
        1.2
    } else {
        1.0 + 0.05 * (2.0 * PI * day_of_year / 365.0).sin()
    }
}

/// An integer count whose mean is `expected`.
fn count(rng: &mut SmallRng, expected: f64) -> usize {
    if expected <= 0.0 || !expected.is_finite() {
        return 0;
    }
    let whole = expected.floor();
    whole as usize + usize::from(rng.random_bool(expected - whole))
}

fn pick<'a, T>(rng: &mut SmallRng, items: &'a [T], weight: impl Fn(&T) -> f64) -> &'a T {
    let total: f64 = items.iter().map(&weight).sum();
    let mut x = rng.random_range(0.0..total.max(f64::MIN_POSITIVE));
    for item in items {
        x -= weight(item);
        if x < 0.0 {
            return item;
        }
    }
    &items[0]
}
