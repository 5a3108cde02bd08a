//! Administrative-procedure dossiers: each is received, then processed, then (usually) completed, with one event per
//! status change that repeats the dossier's columns.
//!
//! Deadlines are the procedure's `due_hours` compressed for the demo (one real hour is one demo minute; at least
//! 3 minutes, at most 8 hours) so that dossiers fall due within a session. Agencies and communes differ: a few
//! agencies are markedly slower, which gives the "overdue by agency" ranking its shape. Most dossiers complete early
//! or on time, roughly one in eight late, and a few never complete (they stay overdue).

use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::{json, Value};

use super::emit::{rfc3339, Stream};
use super::lifecycle::{Lifecycles, Step};
use super::world::World;
use super::Tick;

const RECEIVED: &str = "received";
const PROCESSING: &str = "processing";
const COMPLETED: &str = "completed";

/// One real hour of deadline is one demo minute.
const DEMO_MS_PER_DEADLINE_HOUR: f64 = 60_000.0;
const MIN_DEADLINE_MS: f64 = 180_000.0;
/// Longer deadlines would outlive a demo session (and the open-dossier cap).
const MAX_DEADLINE_MS: f64 = 8.0 * 3_600_000.0;
/// Events per dossier on average (received, processing, completed for most): turns the event budget into arrivals.
const EVENTS_PER_DOSSIER: f64 = 2.9;
/// Open dossiers kept in memory; past it the oldest is forgotten (and stays overdue).
const MAX_OPEN: usize = 100_000;
const SLOW_AGENCIES: usize = 3;

/// How an agency (or, scaled, a commune's share of it) handles its dossiers.
#[derive(Debug, Clone, Copy)]
struct Performance {
    /// Share of dossiers completed after their due time.
    late: f64,
    /// Share of dossiers never completed.
    stuck: f64,
}

struct Dossier {
    id: String,
    procedure: usize,
    commune: usize,
    channel: &'static str,
    full_online: bool,
    digitised: bool,
    received_at: i64,
    due_at: i64,
    /// Whether the result is issued electronically, told on completion.
    e_result: bool,
}

pub(super) struct Dossiers {
    open: Lifecycles<Dossier>,
    agencies: Vec<Performance>,
    /// Multiplies an agency's odds of lateness: some communes' one-stop shops are overloaded.
    communes: Vec<f64>,
    run: String,
    received: u64,
}

impl Dossiers {
    pub fn new(world: &World, rng: &mut SmallRng, run: &str) -> Dossiers {
        let communes = (0..world.communes.len())
            .map(|_| {
                if rng.random_bool(0.15) {
                    rng.random_range(2.0..3.0)
                } else {
                    rng.random_range(0.6..1.2)
                }
            })
            .collect();
        Dossiers {
            open: Lifecycles::new(MAX_OPEN),
            agencies: agency_performance(world, rng),
            communes,
            run: run.to_string(),
            received: 0,
        }
    }

    /// Receives new dossiers for about `budget` events (counting their later status changes), then releases every
    /// status change that has happened by now.
    pub fn tick(&mut self, world: &World, t: &mut Tick, budget: f64) {
        for _ in 0..t.count(budget / EVENTS_PER_DOSSIER) {
            self.receive(world, t);
        }
        let out = &mut *t.out;
        self.open.release(t.now, |d, step| {
            out.emit(Stream::Dossiers, step.at, event(world, d, step))
        });
    }

    fn receive(&mut self, world: &World, t: &mut Tick) {
        let procedure = world.procedure(t.rng);
        let p = &world.procedures[procedure];
        let commune = world.commune(t.rng);
        let channel = channel(t, p.full_online);
        let received_at = t.now - t.rng.random_range(0..t.span);
        let due_at = received_at + demo_deadline_ms(p.due_hours);
        self.received += 1;
        let dossier = Dossier {
            id: format!("HS-{}-{:06}", self.run, self.received),
            procedure,
            commune,
            channel,
            full_online: p.full_online && channel == "online",
            // Online submissions arrive digitised; counter staff scan most of the rest (about 85% overall).
            digitised: t.chance(if channel == "online" { 0.93 } else { 0.75 }),
            received_at,
            due_at,
            e_result: t.chance(0.84),
        };
        let agency = self.agencies[p.agency];
        let factor = self.communes[commune];
        let performance = Performance {
            late: (agency.late * factor).min(0.85),
            stuck: (agency.stuck * factor).min(0.3),
        };
        let steps = plan(t, performance, received_at, due_at);
        self.open.insert(dossier, steps);
    }
}

impl Dossiers {
    /// Takes up dossiers that were open when the demo stopped: their remaining status changes are planned
    /// with the usual odds, and any that would have happened while it was down happen now. Returns how many.
    pub fn resume(&mut self, world: &World, t: &mut Tick, open: Vec<super::resume::OpenDossier>) -> usize {
        let mut resumed = 0;
        for d in open {
            let Some(procedure) = world.procedures.iter().position(|p| p.code == d.procedure_code) else {
                continue;
            };
            let Some(commune) = world.communes.iter().position(|c| c.code == d.commune_code) else {
                continue;
            };
            let channel = match d.channel.as_str() {
                "online" => "online",
                "postal" => "postal",
                _ => "direct",
            };
            let agency = self.agencies[world.procedures[procedure].agency];
            let factor = self.communes[commune];
            let performance = Performance {
                late: (agency.late * factor).min(0.85),
                stuck: (agency.stuck * factor).min(0.3),
            };
            let processing = d.status == PROCESSING;
            let mut steps = plan(t, performance, d.received_at, d.due_at);
            steps.retain(|s| s.status != RECEIVED && !(processing && s.status == PROCESSING));
            if steps.is_empty() {
                continue; // it stays open, as planned
            }
            // What would have happened while the demo was down happens now, in order.
            let mut next = t.now;
            for s in &mut steps {
                if s.at < next {
                    next += t.rng.random_range(1_000..30_000);
                    s.at = next;
                    s.arrives = next;
                }
                next = s.at;
            }
            let dossier = Dossier {
                id: d.id,
                procedure,
                commune,
                channel,
                full_online: d.full_online,
                digitised: d.digitised,
                received_at: d.received_at,
                due_at: d.due_at,
                e_result: t.chance(0.84),
            };
            self.open.insert(dossier, steps);
            resumed += 1;
        }
        resumed
    }
}

/// Normal agencies are late on a few percent of dossiers; a few of the busier ones (by number of procedures) on a
/// third or more.
fn agency_performance(world: &World, rng: &mut SmallRng) -> Vec<Performance> {
    let n = world.agencies.len();
    let mut performance: Vec<Performance> = (0..n)
        .map(|_| Performance {
            late: rng.random_range(0.03..0.08),
            stuck: 0.015,
        })
        .collect();
    let mut procedures = vec![0usize; n];
    world.procedures.iter().for_each(|p| procedures[p.agency] += 1);
    let mut busiest: Vec<usize> = (0..n).collect();
    busiest.sort_by_key(|a| std::cmp::Reverse(procedures[*a]));
    busiest.truncate(n.div_ceil(2));
    busiest.shuffle(rng);
    for a in busiest.into_iter().take(SLOW_AGENCIES.min(n / 3)) {
        performance[a] = Performance {
            late: rng.random_range(0.30..0.45),
            stuck: rng.random_range(0.05..0.10),
        };
    }
    performance
}

fn demo_deadline_ms(due_hours: f64) -> i64 {
    let due_hours = if due_hours.is_finite() { due_hours } else { 120.0 };
    (due_hours * DEMO_MS_PER_DEADLINE_HOUR).clamp(MIN_DEADLINE_MS, MAX_DEADLINE_MS) as i64
}

/// Online for most full-online procedures and for a good share of the others; postal is rare.
fn channel(t: &mut Tick, full_online: bool) -> &'static str {
    let online = if full_online { 0.75 } else { 0.35 };
    let x = t.uniform(0.0, 1.0);
    if x < online {
        "online"
    } else if x < online + (1.0 - online) * 0.9 {
        "direct"
    } else {
        "postal"
    }
}

/// The dossier's whole life, decided at reception: picked up early in its deadline, then completed before it
/// (early or on time), after it, or never.
fn plan(t: &mut Tick, performance: Performance, received: i64, due: i64) -> Vec<Step> {
    let deadline = (due - received) as f64;
    let within = |fraction: f64| received + (deadline * fraction) as i64;
    let mut steps = vec![step(t, RECEIVED, received)];
    // A few dossiers wait in the inbox for the whole session.
    if t.chance(0.01) {
        return steps;
    }
    let processing = within(t.uniform(0.03, 0.2));
    steps.push(step(t, PROCESSING, processing));
    let fate = t.uniform(0.0, 1.0);
    let completed = if fate < performance.stuck {
        return steps;
    } else if fate < performance.stuck + performance.late {
        due + 15_000 + (deadline * t.uniform(0.02, 0.6)) as i64
    } else {
        within(t.uniform(0.25, 0.98))
    };
    steps.push(step(t, COMPLETED, completed));
    steps
}

fn step(t: &mut Tick, status: &'static str, at: i64) -> Step {
    Step {
        status,
        at,
        arrives: t.arrival(at),
    }
}

fn event(world: &World, d: &Dossier, step: &Step) -> Value {
    let p = &world.procedures[d.procedure];
    let completed = step.status == COMPLETED;
    json!({
        "dossier_id": d.id,
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
