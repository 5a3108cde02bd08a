//! The demo's event generator: a simulated province that pushes events into the streams of `queries/streams.toml`.
//!
//! It plays the service systems of the demo domain (DESIGN.md, "The demo domain"): dossiers that are received,
//! processed and completed on time or late, citizen feedback tickets with SLAs, e-ID activations, payments at
//! public facilities, telecom stations that go down and come back, and environment sensors with daily cycles,
//! spikes and a rising river. Deadlines are compressed (one real hour of deadline is one demo minute) so that
//! dossiers and tickets become overdue within a demo session. About 3% of events arrive late.
//!
//! It does not decode, validate or store anything: every event goes through [`EventSink`], the same path as HTTP
//! ingest. It skips a stream the catalog does not declare (or declares with other columns), and falls back to small
//! built-in lists when a reference table is missing. Everything is deterministic given the seed, except wall-clock
//! time (timestamps, tick lengths and the run tag in ids, which keeps ids unique across restarts).
//!
//! Layout: [`Generator`] owns the whole simulated state and turns "the span ending at `now`" into events; `run`
//! drives it from a 200 ms interval after a backfill of history. `world` reads the reference tables, `lifecycle`
//! schedules status changes, and `dossiers`, `services` (feedback, e-ID, payments) and `devices` (stations, sensors)
//! each generate one family of streams.

mod devices;
mod dossiers;
mod emit;
mod lifecycle;
mod resume;
mod services;
mod world;
mod year;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use crate::catalog::Catalog;
use emit::{Batch, Emitter, Stream};

/// Why a sink did not take the simulator's events.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("unknown stream `{0}`")]
    UnknownStream(String),
    #[error("stream `{0}` keeps no history")]
    NoHistory(String),
    /// The ingest path refused them, as it would refuse `POST /api/v1/streams/{stream}/events`.
    #[error(transparent)]
    Ingest(#[from] crate::ingest::IngestError),
    /// Writing the history files failed.
    #[error(transparent)]
    History(#[from] crate::store::history::HistoryError),
    /// `demo --via nats`: the broker did not take them.
    #[error("the broker did not take the events: {0}")]
    Broker(String),
}

/// Where the simulator's events go: the same decode + validate + store path as HTTP ingest.
pub trait EventSink: Send + Sync + 'static {
    /// Decodes, validates and stores `ndjson` (one JSON object per line) for `stream`, exactly as
    /// `POST /api/v1/streams/{stream}/events` would. Returns the number of events accepted.
    fn push(&self, stream: &str, ndjson: Vec<u8>) -> Result<usize, SinkError>;

    /// Events the stream's history holds, or `None` when the stream keeps no history.
    fn history_rows(&self, _stream: &str) -> Option<u64> {
        None
    }

    /// Decodes and validates `bodies` (NDJSON) as `push` does, and writes them straight into the stream's
    /// history files in one durable write. Returns the number of events written.
    fn push_history(&self, stream: &str, _bodies: Vec<Vec<u8>>) -> Result<usize, SinkError> {
        Err(SinkError::NoHistory(stream.to_string()))
    }

    /// The events the stream holds in memory (after a restart: what the WAL brought back).
    fn recent(&self, _stream: &str) -> Vec<datafusion::arrow::array::RecordBatch> {
        Vec::new()
    }
}

/// How the simulator behaves.
#[derive(Debug, Clone)]
pub struct SimulatorOptions {
    /// Events per second across all streams.
    pub rate: f64,
    /// Seed for the random generator, so a run can be repeated.
    pub seed: u64,
    /// How far back to generate history at start (events stamped in the past), so "today" tiles are alive at once.
    pub backfill: Duration,
    /// Days of history written on a first start into the streams that keep one (0: none).
    pub history_days: u32,
}

/// How often the live loop generates events.
const TICK: Duration = Duration::from_millis(200);
/// A stalled runtime must not turn into one huge burst: a live tick covers at most this much time.
const MAX_TICK_SPAN_MS: i64 = 2_000;
/// Backfill is generated in steps of this much simulated time (short next to the shortest deadline, 3 minutes).
const BACKFILL_STEP_MS: i64 = 5_000;
/// Backfill stays small so that start-up takes a moment (about a second), whatever `--backfill` says.
const MAX_BACKFILL_EVENTS: f64 = 80_000.0;
/// History at the live rate (up to the cap), so the per-minute charts do not jump when live traffic starts.
const BACKFILL_RATE_FACTOR: f64 = 1.0;
/// At most this many events per `push` call during backfill.
const BACKFILL_CHUNK: usize = 5_000;
/// Station outages are simulated for the last part of the backfill only: older ones would flood the history with
/// down/up pairs (their number grows with time, not with the event rate) and no tile looks that far back.
const OUTAGE_HISTORY_MS: i64 = 3_600_000;

/// Runs until `shutdown` is cancelled.
pub async fn run(catalog: Arc<Catalog>, sink: Arc<dyn EventSink>, opts: SimulatorOptions, shutdown: CancellationToken) {
    let start = now_ms();
    let mut generator = Generator::new(&catalog, opts.seed, start);
    let streams = generator.streams();
    if streams.is_empty() {
        tracing::warn!("simulator: the catalog declares none of the demo streams; nothing to generate");
        shutdown.cancelled().await;
        return;
    }
    tracing::info!(rate = opts.rate, seed = opts.seed, ?streams, "simulator started");
    let mut health = SinkHealth::default();
    if generator.out.enabled(Stream::Dossiers) {
        let open = resume::open_dossiers(&sink.recent(Stream::Dossiers.name()));
        if !open.is_empty() {
            let resumed = generator.resume_dossiers(start, open);
            tracing::info!(resumed, "simulator: open dossiers taken up again after a restart");
        }
    }
    if !opts.backfill.is_zero() {
        backfill(&mut generator, &sink, &opts, &catalog, start, &shutdown, &mut health).await;
    }
    let year = spawn_year(&catalog, &sink, &opts, &generator, start, &shutdown);
    live(&mut generator, &sink, opts.rate, &shutdown, &mut health).await;
    if let Some(year) = year {
        let _ = year.await;
    }
    tracing::info!("simulator stopped");
}

/// Generates history from `now - opts.backfill` to `now` and pushes it in chunks.
async fn backfill(
    generator: &mut Generator,
    sink: &Arc<dyn EventSink>,
    opts: &SimulatorOptions,
    catalog: &Catalog,
    now: i64,
    shutdown: &CancellationToken,
    health: &mut SinkHealth,
) {
    let span = i64::try_from(opts.backfill.as_millis()).unwrap_or(i64::MAX).min(now);
    let rate = (opts.rate * BACKFILL_RATE_FACTOR).min(MAX_BACKFILL_EVENTS * 1_000.0 / span as f64);
    generator.out.limit_history(catalog, now, BACKFILL_CHUNK);
    let mut t = now - span;
    while t < now && !shutdown.is_cancelled() {
        let end = (t + BACKFILL_STEP_MS).min(now);
        generator.stations.outages = end > now - OUTAGE_HISTORY_MS;
        generator.tick(end, end - t, rate * (end - t) as f64 / 1_000.0);
        t = end;
        push(sink, generator.out.take_full(), health).await;
    }
    generator.stations.outages = true;
    generator.out.unlimit_history();
    push(sink, generator.out.take_all(), health).await;
    tracing::info!(accepted = health.accepted, backfill = ?opts.backfill, "simulator: history generated");
}

/// Writes a year of history (on the blocking pool, beside the live loop) into the streams that keep a
/// history and hold none yet. The returned task stops at the next week when `shutdown` is cancelled.
fn spawn_year(
    catalog: &Arc<Catalog>,
    sink: &Arc<dyn EventSink>,
    opts: &SimulatorOptions,
    generator: &Generator,
    now: i64,
    shutdown: &CancellationToken,
) -> Option<tokio::task::JoinHandle<()>> {
    if opts.history_days == 0 {
        return None;
    }
    let wanted: Vec<Stream> = year::STREAMS
        .into_iter()
        .filter(|s| generator.out.enabled(*s) && sink.history_rows(s.name()) == Some(0))
        .collect();
    let retention = wanted
        .iter()
        .filter_map(|s| catalog.stream(s.name()))
        .map(|d| i64::try_from(d.retention.as_millis()).unwrap_or(i64::MAX))
        .max()?;
    // The window's start, rounded down to the hour as the store's move to history does.
    let end = now.saturating_sub(retention).div_euclid(3_600_000) * 3_600_000;
    let (catalog, sink, shutdown) = (catalog.clone(), sink.clone(), shutdown.clone());
    let (seed, days) = (opts.seed, opts.history_days);
    Some(tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let world = world::World::load(&catalog, &mut SmallRng::seed_from_u64(seed));
        let written = year::generate(
            &catalog,
            &world,
            seed,
            end,
            days,
            &wanted,
            &|| shutdown.is_cancelled(),
            &mut |stream, bodies| sink.push_history(stream.name(), bodies),
        );
        let events: usize = written.events.iter().sum();
        match written.failed {
            None => tracing::info!(
                events,
                days,
                ms = started.elapsed().as_millis() as u64,
                "simulator: year of history written"
            ),
            Some(error) => tracing::warn!(events, %error, "simulator: writing the year of history failed"),
        }
    }))
}

/// The live loop: every tick, the events of the time since the previous tick.
async fn live(
    generator: &mut Generator,
    sink: &Arc<dyn EventSink>,
    rate: f64,
    shutdown: &CancellationToken,
    health: &mut SinkHealth,
) {
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut last = now_ms();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = interval.tick() => {}
        }
        let now = now_ms();
        // The measured span, not the nominal 200 ms, so skipped ticks do not lower the rate.
        let span = (now - last).clamp(1, MAX_TICK_SPAN_MS);
        last = now;
        generator.tick(now, span, rate * span as f64 / 1_000.0);
        push(sink, generator.out.take_all(), health).await;
    }
}

/// Pushes on the blocking pool: decoding and storing is CPU work that must not stall the async runtime.
async fn push(sink: &Arc<dyn EventSink>, batches: Vec<Batch>, health: &mut SinkHealth) {
    if batches.is_empty() {
        return;
    }
    let sink = Arc::clone(sink);
    let pushed = tokio::task::spawn_blocking(move || {
        batches
            .into_iter()
            .map(|b| (b.stream, b.events, sink.push(b.stream.name(), b.body)))
            .collect::<Vec<_>>()
    })
    .await;
    match pushed {
        Ok(results) => results
            .into_iter()
            .for_each(|(stream, n, r)| health.record(stream, n, r)),
        Err(e) => tracing::warn!(error = %e, "simulator: a push did not finish"),
    }
}

/// Push failures are logged once when they start and once when they stop, not on every tick (a full store
/// refuses every push for a while).
#[derive(Default)]
struct SinkHealth {
    failing: BTreeMap<&'static str, usize>,
    accepted: usize,
}

impl SinkHealth {
    fn record(&mut self, stream: Stream, events: usize, result: Result<usize, SinkError>) {
        let name = stream.name();
        match result {
            Ok(n) => {
                self.accepted += n;
                if let Some(failed) = self.failing.remove(name) {
                    tracing::info!(stream = name, failed_pushes = failed, "simulator: pushes succeed again");
                }
            }
            Err(error) => {
                let failed = self.failing.entry(name).or_insert(0);
                if *failed == 0 {
                    tracing::warn!(stream = name, events, %error, "simulator: push failed");
                } else {
                    tracing::debug!(stream = name, events, %error, "simulator: push failed");
                }
                *failed += 1;
            }
        }
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The whole simulated province: reference data, the state of every stream family and the random generator.
struct Generator {
    world: world::World,
    rng: SmallRng,
    out: Emitter,
    dossiers: dossiers::Dossiers,
    feedback: services::Feedback,
    payments: services::Payments,
    stations: devices::Stations,
    sensors: devices::Sensors,
}

impl Generator {
    /// `start_ms` only tags ids (so a restarted demo does not repeat the ids of the events it replays).
    fn new(catalog: &Catalog, seed: u64, start_ms: i64) -> Generator {
        let mut rng = SmallRng::seed_from_u64(seed);
        let world = world::World::load(catalog, &mut rng);
        let run = format!("{:x}-{:x}", seed, start_ms.max(0) / 1_000);
        Generator {
            dossiers: dossiers::Dossiers::new(&world, &mut rng, &run),
            feedback: services::Feedback::new(&run),
            payments: services::Payments::new(&world),
            stations: devices::Stations::new(&world),
            sensors: devices::Sensors::new(&world, &mut rng),
            out: Emitter::new(catalog, run),
            world,
            rng,
        }
    }

    /// The names of the streams this generator feeds.
    fn streams(&self) -> Vec<&'static str> {
        Stream::ALL
            .into_iter()
            .filter(|s| self.out.enabled(*s))
            .map(Stream::name)
            .collect()
    }

    /// Takes up the dossiers a restart found open (see [`resume`]).
    fn resume_dossiers(&mut self, now_ms: i64, open: Vec<resume::OpenDossier>) -> usize {
        let mut t = Tick {
            now: now_ms,
            span: 1,
            rng: &mut self.rng,
            out: &mut self.out,
        };
        self.dossiers.resume(&self.world, &mut t, open)
    }

    /// Generates the events of the `span_ms` ending at `now_ms`: about `budget` new events split across the
    /// streams, plus the status changes that fall due (which the budget already accounts for on average).
    fn tick(&mut self, now_ms: i64, span_ms: i64, budget: f64) {
        let total: f64 = Stream::ALL
            .iter()
            .filter(|s| self.out.enabled(**s))
            .map(|s| s.weight())
            .sum();
        let mut share = [0.0; Stream::ALL.len()];
        for s in Stream::ALL {
            if self.out.enabled(s) {
                share[s as usize] = budget * s.weight() / total;
            }
        }
        let mut t = Tick {
            now: now_ms,
            span: span_ms.max(1),
            rng: &mut self.rng,
            out: &mut self.out,
        };
        let w = &self.world;
        if t.out.enabled(Stream::Dossiers) {
            self.dossiers.tick(w, &mut t, share[Stream::Dossiers as usize]);
        }
        if t.out.enabled(Stream::Feedback) {
            self.feedback.tick(w, &mut t, share[Stream::Feedback as usize]);
        }
        services::eid_activations(w, &mut t, share[Stream::EidActivations as usize]);
        self.payments.tick(w, &mut t, share[Stream::Payments as usize]);
        if t.out.enabled(Stream::Stations) {
            self.stations.tick(w, &mut t, share[Stream::Stations as usize]);
        }
        if t.out.enabled(Stream::Sensors) {
            self.sensors.tick(w, &mut t, share[Stream::Sensors as usize]);
        }
    }
}

/// One tick's context: the simulated time, the random generator and where events go.
struct Tick<'a> {
    /// The end of the span being generated, epoch ms.
    now: i64,
    /// How much time the tick covers, ms.
    span: i64,
    rng: &'a mut SmallRng,
    out: &'a mut Emitter,
}

/// Share of events that arrive late, and by how much.
const LATE_SHARE: f64 = 0.03;
const LATE_MIN_MS: i64 = 30_000;
const LATE_MAX_MS: i64 = 300_000;

impl Tick<'_> {
    /// A uniform draw in `[lo, hi)` (or `lo` when the range is empty).
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.rng.random::<f64>()
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    /// An integer count whose mean is `expected`, so fractional budgets add up over many ticks.
    fn count(&mut self, expected: f64) -> usize {
        if expected <= 0.0 || !expected.is_finite() {
            return 0;
        }
        let whole = expected.floor();
        whole as usize + usize::from(self.chance(expected - whole))
    }

    /// The time of a new event happening now: somewhere in the tick's span, or (for the late share) 30 s to 5 min
    /// earlier, because it arrives late.
    fn event_time(&mut self) -> i64 {
        let at = self.now - self.rng.random_range(0..self.span);
        at - self.lateness()
    }

    /// When an event that happens at `at` reaches us: at once, or late for the late share.
    fn arrival(&mut self, at: i64) -> i64 {
        at + self.lateness()
    }

    fn lateness(&mut self) -> i64 {
        if self.chance(LATE_SHARE) {
            self.rng.random_range(LATE_MIN_MS..=LATE_MAX_MS)
        } else {
            0
        }
    }
}
