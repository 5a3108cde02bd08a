//! The streams the simulator feeds, and the NDJSON bodies it builds for them: every event gets a unique
//! `event_id` and its `event_time` here, so the generators only say what happened and when.

use chrono::{DateTime, SecondsFormat};
use serde_json::Value;

use crate::catalog::Catalog;

/// A demo stream of `queries/streams.toml`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Stream {
    Dossiers,
    Feedback,
    EidActivations,
    Payments,
    Stations,
    Sensors,
}

/// Columns every demo stream has, filled in by [`Emitter::emit`].
const COMMON_COLUMNS: [&str; 2] = ["event_id", "event_time"];

impl Stream {
    pub const ALL: [Stream; 6] = [
        Stream::Dossiers,
        Stream::Feedback,
        Stream::EidActivations,
        Stream::Payments,
        Stream::Stations,
        Stream::Sensors,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Stream::Dossiers => "dossiers",
            Stream::Feedback => "feedback",
            Stream::EidActivations => "eid_activations",
            Stream::Payments => "payments",
            Stream::Stations => "stations",
            Stream::Sensors => "sensors",
        }
    }

    /// This stream's share of the event rate: dossiers and payments are most of a province's traffic.
    pub fn weight(self) -> f64 {
        match self {
            Stream::Dossiers => 45.0,
            Stream::Payments => 25.0,
            Stream::EidActivations => 12.0,
            Stream::Feedback => 8.0,
            Stream::Sensors => 8.0,
            Stream::Stations => 2.0,
        }
    }

    fn id_prefix(self) -> &'static str {
        match self {
            Stream::Dossiers => "dos",
            Stream::Feedback => "fb",
            Stream::EidActivations => "eid",
            Stream::Payments => "pay",
            Stream::Stations => "sta",
            Stream::Sensors => "sen",
        }
    }

    /// The columns the generator writes besides [`COMMON_COLUMNS`].
    fn columns(self) -> &'static [&'static str] {
        match self {
            Stream::Dossiers => &[
                "dossier_id",
                "status",
                "procedure_code",
                "agency_code",
                "commune_code",
                "channel",
                "full_online",
                "digitised",
                "received_at",
                "due_at",
                "e_result",
                "fee_vnd",
            ],
            Stream::Feedback => &[
                "ticket_id",
                "category",
                "commune_code",
                "source",
                "status",
                "sla_due_at",
            ],
            Stream::EidActivations => &["commune_code", "level", "age_group"],
            Stream::Payments => &["facility_id", "sector", "commune_code", "method", "amount_vnd"],
            Stream::Stations => &["station_id", "operator", "commune_code", "state", "reason"],
            Stream::Sensors => &["sensor_id", "kind", "commune_code", "value"],
        }
    }

    /// Whether the catalog declares this stream with columns we can fill: every required column is one we write,
    /// and every column we write is declared (ingest may refuse unknown fields).
    fn fits(self, catalog: &Catalog) -> bool {
        let Some(def) = catalog.stream(self.name()) else {
            return false;
        };
        let ours = || COMMON_COLUMNS.iter().chain(self.columns());
        let missing: Vec<&str> = def
            .columns
            .iter()
            .filter(|c| !c.nullable && !ours().any(|o| *o == c.name))
            .map(|c| c.name.as_str())
            .collect();
        let unknown: Vec<&str> = ours()
            .filter(|o| !def.columns.iter().any(|c| c.name == **o))
            .copied()
            .collect();
        if missing.is_empty() && unknown.is_empty() {
            return true;
        }
        tracing::warn!(
            stream = self.name(),
            ?missing,
            ?unknown,
            "simulator: stream skipped, its columns differ"
        );
        false
    }
}

/// One push: the NDJSON body of `events` events of `stream`.
pub(super) struct Batch {
    pub stream: Stream,
    pub events: usize,
    pub body: Vec<u8>,
}

const N: usize = Stream::ALL.len();

/// Collects events as NDJSON, per stream, until they are taken for a push.
pub(super) struct Emitter {
    /// Tags this run's ids (seed and start time), so ids differ across seeds and restarts.
    run: String,
    enabled: [bool; N],
    next_id: [u64; N],
    /// Events older than this are dropped: during backfill, those a stream's retention would drop anyway.
    not_before: [i64; N],
    bodies: [Vec<u8>; N],
    counts: [usize; N],
    /// A stream's body is sealed into `full` when it reaches this many events.
    max_chunk: usize,
    full: Vec<Batch>,
}

impl Emitter {
    pub fn new(catalog: &Catalog, run: String) -> Emitter {
        Emitter {
            run,
            enabled: Stream::ALL.map(|s| s.fits(catalog)),
            next_id: [0; N],
            not_before: [i64::MIN; N],
            bodies: Default::default(),
            counts: [0; N],
            max_chunk: usize::MAX,
            full: Vec::new(),
        }
    }

    pub fn enabled(&self, stream: Stream) -> bool {
        self.enabled[stream as usize]
    }

    /// Adds an event of `stream` that happened at `at` (epoch ms); `fields` is a JSON object of its other columns.
    pub fn emit(&mut self, stream: Stream, at: i64, mut fields: Value) {
        let i = stream as usize;
        if !self.enabled[i] || at < self.not_before[i] {
            return;
        }
        self.next_id[i] += 1;
        if let Value::Object(map) = &mut fields {
            let id = format!("{}-{}-{}", stream.id_prefix(), self.run, self.next_id[i]);
            map.insert("event_id".into(), Value::String(id));
            map.insert("event_time".into(), Value::String(rfc3339(at)));
        }
        let body = &mut self.bodies[i];
        let len = body.len();
        match serde_json::to_writer(&mut *body, &fields) {
            Ok(()) => {
                body.push(b'\n');
                self.counts[i] += 1;
                if self.counts[i] >= self.max_chunk {
                    let sealed = self.seal(stream);
                    self.full.push(sealed);
                }
            }
            Err(e) => {
                body.truncate(len);
                tracing::warn!(stream = stream.name(), error = %e, "simulator: event not serialisable");
            }
        }
    }

    /// For backfill: drops events older than each stream's retention before `now`, and seals bodies at
    /// `max_chunk` events.
    pub fn limit_history(&mut self, catalog: &Catalog, now: i64, max_chunk: usize) {
        for s in Stream::ALL {
            if let Some(def) = catalog.stream(s.name()) {
                let retention = i64::try_from(def.retention.as_millis()).unwrap_or(i64::MAX);
                self.not_before[s as usize] = now.saturating_sub(retention);
            }
        }
        self.max_chunk = max_chunk.max(1);
    }

    /// Seals a stream's body when it reaches `max_chunk` events (the year of history's writes).
    pub fn chunk_at(&mut self, max_chunk: usize) {
        self.max_chunk = max_chunk.max(1);
    }

    pub fn unlimit_history(&mut self) {
        self.not_before = [i64::MIN; N];
        self.max_chunk = usize::MAX;
    }

    /// Takes the bodies sealed at `max_chunk` events.
    pub fn take_full(&mut self) -> Vec<Batch> {
        std::mem::take(&mut self.full)
    }

    /// Takes every waiting event: the sealed bodies, then one body per stream.
    pub fn take_all(&mut self) -> Vec<Batch> {
        let mut batches = self.take_full();
        for s in Stream::ALL {
            if self.counts[s as usize] > 0 {
                batches.push(self.seal(s));
            }
        }
        batches
    }

    fn seal(&mut self, stream: Stream) -> Batch {
        let i = stream as usize;
        Batch {
            stream,
            events: std::mem::take(&mut self.counts[i]),
            body: std::mem::take(&mut self.bodies[i]),
        }
    }
}

/// `2026-11-23T08:15:00.123Z`: the timestamp form of PROTOCOL.md.
pub(super) fn rfc3339(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}
