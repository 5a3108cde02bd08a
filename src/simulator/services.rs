//! Citizen-facing services: feedback tickets with SLAs, e-ID activations and payments at public facilities.
//!
//! Feedback tickets go `open` → `in_progress` → `resolved` under an SLA compressed to minutes (shorter for security
//! and traffic, longer for land); about one in six breaches it and a few are never resolved in the session.
//! Activations and payments have no state: each event stands alone.

use std::collections::BTreeMap;

use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::seq::IndexedRandom;
use rand::Rng;
use serde_json::{json, Value};

use super::emit::{rfc3339, Stream};
use super::lifecycle::{Lifecycles, Step};
use super::world::World;
use super::Tick;

/// Events per ticket on average (open, in_progress, resolved for most).
const EVENTS_PER_TICKET: f64 = 2.9;
/// Open tickets kept in memory; past it the oldest is forgotten (and stays open).
const MAX_OPEN_TICKETS: usize = 20_000;

/// Category, relative frequency and compressed SLA range in minutes.
pub(super) const CATEGORIES: [(&str, f64, f64, f64); 8] = [
    ("urban_order", 20.0, 10.0, 25.0),
    ("traffic", 18.0, 8.0, 15.0),
    ("environment", 16.0, 15.0, 30.0),
    ("land", 12.0, 25.0, 40.0),
    ("public_services", 12.0, 15.0, 30.0),
    ("health", 8.0, 10.0, 20.0),
    ("education", 7.0, 15.0, 30.0),
    ("security", 7.0, 4.0, 10.0),
];

pub(super) const SOURCES: [(&str, f64); 4] = [("zalo", 35.0), ("hotline", 30.0), ("portal", 20.0), ("app", 15.0)];

struct Ticket {
    id: String,
    category: &'static str,
    commune: usize,
    source: &'static str,
    sla_due_at: i64,
}

pub(super) struct Feedback {
    open: Lifecycles<Ticket>,
    run: String,
    opened: u64,
}

impl Feedback {
    pub fn new(run: &str) -> Feedback {
        Feedback {
            open: Lifecycles::new(MAX_OPEN_TICKETS),
            run: run.to_string(),
            opened: 0,
        }
    }

    pub fn tick(&mut self, world: &World, t: &mut Tick, budget: f64) {
        for _ in 0..t.count(budget / EVENTS_PER_TICKET) {
            self.open_ticket(world, t);
        }
        let out = &mut *t.out;
        self.open.release(t.now, |ticket, step| {
            out.emit(Stream::Feedback, step.at, event(world, ticket, step))
        });
    }

    fn open_ticket(&mut self, world: &World, t: &mut Tick) {
        let (category, _, sla_min, sla_max) = *pick(t, &CATEGORIES, |c| c.1);
        let source = pick(t, &SOURCES, |s| s.1).0;
        let opened_at = t.now - t.rng.random_range(0..t.span);
        let sla = (t.uniform(sla_min, sla_max) * 60_000.0) as i64;
        self.opened += 1;
        let ticket = Ticket {
            id: format!("PA-{}-{:06}", self.run, self.opened),
            category,
            commune: world.commune(t.rng),
            source,
            sla_due_at: opened_at + sla,
        };
        let steps = plan(t, opened_at, sla);
        self.open.insert(ticket, steps);
    }
}

/// The ticket's whole life, decided when it is opened: resolved within its SLA (most), after it, or never.
fn plan(t: &mut Tick, opened: i64, sla: i64) -> Vec<Step> {
    let within = |fraction: f64| opened + (sla as f64 * fraction) as i64;
    let mut steps = vec![step(t, "open", opened)];
    if t.chance(0.02) {
        return steps;
    }
    let in_progress = within(t.uniform(0.05, 0.35));
    steps.push(step(t, "in_progress", in_progress));
    let fate = t.uniform(0.0, 1.0);
    let resolved = if fate < 0.03 {
        return steps;
    } else if fate < 0.19 {
        within(t.uniform(1.05, 2.0))
    } else {
        within(t.uniform(0.4, 0.97))
    };
    steps.push(step(t, "resolved", resolved));
    steps
}

fn step(t: &mut Tick, status: &'static str, at: i64) -> Step {
    Step {
        status,
        at,
        arrives: t.arrival(at),
    }
}

fn event(world: &World, ticket: &Ticket, step: &Step) -> Value {
    json!({
        "ticket_id": ticket.id,
        "category": ticket.category,
        "commune_code": world.communes[ticket.commune].code,
        "source": ticket.source,
        "status": step.status,
        "sla_due_at": rfc3339(ticket.sla_due_at),
    })
}

pub(super) const AGE_GROUPS: [(Option<&str>, f64); 5] = [
    (Some("18-30"), 35.0),
    (Some("31-45"), 32.0),
    (Some("46-60"), 20.0),
    (Some("60+"), 8.0),
    (None, 5.0),
];

/// e-ID activations: level 2 mostly, in communes weighted by population.
pub(super) fn eid_activations(world: &World, t: &mut Tick, budget: f64) {
    for _ in 0..t.count(budget) {
        let at = t.event_time();
        let commune = &world.communes[world.commune(t.rng)].code;
        let level = if t.chance(0.88) { 2 } else { 1 };
        let age_group = pick(t, &AGE_GROUPS, |a| a.1).0;
        let event = json!({ "commune_code": commune, "level": level, "age_group": age_group });
        t.out.emit(Stream::EidActivations, at, event);
    }
}

/// How payments look in a sector: how often, how often cashless, and the range of amounts in VND.
pub(super) struct SectorProfile {
    weight: f64,
    pub cashless: f64,
    pub min_vnd: f64,
    pub max_vnd: f64,
}

/// Hospitals take most payments and are the least cashless (patients pay fees at the counter).
pub(super) fn sector_profile(sector: &str) -> SectorProfile {
    let (weight, cashless, min_vnd, max_vnd) = match sector {
        "health" => (40.0, 0.52, 50_000.0, 2_000_000.0),
        "education" => (20.0, 0.72, 100_000.0, 2_000_000.0),
        "public_service" => (25.0, 0.66, 20_000.0, 500_000.0),
        "utilities" => (15.0, 0.75, 50_000.0, 1_500_000.0),
        _ => (10.0, 0.62, 20_000.0, 1_000_000.0),
    };
    SectorProfile {
        weight,
        cashless,
        min_vnd,
        max_vnd,
    }
}

pub(super) const CASHLESS_METHODS: [(&str, f64); 4] = [
    ("qr", 40.0),
    ("bank_transfer", 25.0),
    ("e_wallet", 20.0),
    ("card", 15.0),
];

/// Payments at public facilities.
pub(super) struct Payments {
    /// Facilities weighted so that each sector gets its share of payments, whatever its number of facilities.
    by_sector: Option<WeightedIndex<f64>>,
}

impl Payments {
    pub fn new(world: &World) -> Payments {
        let mut per_sector: BTreeMap<&str, usize> = BTreeMap::new();
        world
            .facilities
            .iter()
            .for_each(|f| *per_sector.entry(&f.sector).or_default() += 1);
        let weights = world
            .facilities
            .iter()
            .map(|f| sector_profile(&f.sector).weight / per_sector[&*f.sector] as f64);
        Payments {
            by_sector: WeightedIndex::new(weights).ok(),
        }
    }

    pub fn tick(&self, world: &World, t: &mut Tick, budget: f64) {
        let Some(by_sector) = &self.by_sector else {
            return;
        };
        for _ in 0..t.count(budget) {
            let at = t.event_time();
            let facility = &world.facilities[by_sector.sample(t.rng)];
            let profile = sector_profile(&facility.sector);
            let method = if t.chance(profile.cashless) {
                pick(t, &CASHLESS_METHODS, |m| m.1).0
            } else {
                "cash"
            };
            // Log-uniform: many small fees, a few large bills.
            let amount = t.uniform(profile.min_vnd.ln(), profile.max_vnd.ln()).exp();
            let amount_vnd = ((amount / 1_000.0).round() as i64).max(1) * 1_000;
            let event = json!({
                "facility_id": facility.id,
                "sector": facility.sector,
                "commune_code": facility.commune_code,
                "method": method,
                "amount_vnd": amount_vnd,
            });
            t.out.emit(Stream::Payments, at, event);
        }
    }
}

/// A weighted choice from a non-empty list (the first item if the weights are unusable).
fn pick<'a, T>(t: &mut Tick, items: &'a [T], weight: impl Fn(&T) -> f64) -> &'a T {
    items.choose_weighted(t.rng, weight).unwrap_or(&items[0])
}
