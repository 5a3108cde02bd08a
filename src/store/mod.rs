//! In-memory Arrow storage per stream: immutable sealed segments plus one open segment.
//!
//! Every segment knows the min/max of its event-time column, so a query with a time filter reads only the
//! segments that can hold matching rows ([`scan::StreamScanExec`]). The open segment is sealed (its batches
//! concatenated into one) when it reaches a row count (`seal_rows`, 16,384 by default: a tick re-reads the
//! open segment, so it stays small) or an age; runs of small sealed segments are compacted into larger ones,
//! up to four times `seal_rows` ([`compact`]). Retention drops whole sealed segments whose newest event is
//! older than the stream's retention. A reader takes a [`Snapshot`]: a list of `Arc`s, cheap to take and
//! unaffected by later appends. This module does not decode or validate: it is given batches that already
//! match the stream's schema.
//!
//! Memory is bounded: a stream and the whole store each have a cap on the bytes their Arrow arrays hold.
//! An append that would pass a cap is refused ([`StoreFull`]) and ingest answers 429; retention frees room.
//!
//! [`StreamStore::ingest`] is the one way events come in: under the stream's writer lock it drops events
//! whose id is already stored ([`ids`]), checks the caps, appends the batch to the WAL ([`wal`]),
//! and only then makes it visible to readers. A failure at any step leaves nothing behind. On start,
//! [`Store::open`] replays the WAL through the same path (without writing it again). Every append bumps the
//! stream's version, which [`StreamStore::changes`] lets a scenario wait on.

pub mod compact;
pub mod history;
pub mod ids;
mod mover;
pub mod scan;
pub mod segment;
mod stream;
pub mod table;
pub mod time;
pub mod view;
pub mod wal;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::array::new_null_array;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{Field, TimestampMillisecondType};
use datafusion::arrow::record_batch::RecordBatch;
use parking_lot::Mutex;

use crate::catalog::{Catalog, StreamDef};
pub use segment::{Part, Segment};
use stream::seal;
pub use stream::StreamStore;
pub use view::{ReadView, Snapshot};
use wal::{ReplayStats, StreamWal, WalConfig};

/// Rows and bytes held, for `/api/v1/streams` and `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStats {
    pub rows: usize,
    pub bytes: usize,
    pub segments: usize,
}

/// An append refused because it would pass a memory cap.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the store is full: {what} holds {held} of {cap} bytes; retry when retention has freed room")]
pub struct StoreFull {
    pub what: String,
    pub held: usize,
    pub cap: usize,
}

/// Why an ingest stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error(transparent)]
    Full(#[from] StoreFull),
    #[error("the write-ahead log cannot be written ({0}); nothing of this request was stored, retry later")]
    Wal(#[from] WalAppendError),
}

/// Why the WAL did not take a batch.
#[derive(Debug, thiserror::Error)]
pub enum WalAppendError {
    #[error("cannot encode the batch: {0}")]
    Encode(#[from] datafusion::arrow::error::ArrowError),
    #[error(transparent)]
    Write(#[from] std::io::Error),
}

/// What an ingest stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Appended {
    pub accepted: usize,
    pub duplicates: usize,
}

/// Bytes the store may hold.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    pub stream_bytes: usize,
    pub total_bytes: usize,
}

impl Default for Caps {
    fn default() -> Caps {
        Caps {
            stream_bytes: usize::MAX,
            total_bytes: usize::MAX,
        }
    }
}

/// Why events in the WAL cannot be read in the catalog's current schema: the server does not start rather
/// than show wrong numbers (docs/protocol.md, "WAL").
#[derive(Debug, thiserror::Error)]
pub enum SchemaChange {
    #[error("stream `{stream}`: column `{column}` is now required but the WAL holds events without it")]
    NowRequired { stream: String, column: String },
    #[error(
        "stream `{stream}`: column `{column}` was {was} when these events were written and is {now} in the \
         catalog now; change it back, or move the stream's WAL folder away to start without those events"
    )]
    TypeChanged {
        stream: String,
        column: String,
        was: String,
        now: String,
    },
    #[error(
        "stream `{stream}`: column `{column}` is required (not nullable) but events in the WAL were written \
         without it; make it nullable, or move the stream's WAL folder away"
    )]
    Missing { stream: String, column: String },
    #[error("stream `{stream}`: {source}")]
    Arrow {
        stream: String,
        source: datafusion::arrow::error::ArrowError,
    },
}

/// Why a batch replayed from the WAL could not be restored (the WAL reports it with the file it is in).
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(transparent)]
    Schema(#[from] SchemaChange),
    #[error("cannot leave out the events past retention: {0}")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    #[error(transparent)]
    Store(#[from] AppendError),
}

/// A batch from the WAL in the catalog's current schema. Columns are matched by name: a column the
/// catalog added is null in old events when it is nullable; a column it removed is left out. A column
/// whose type changed, or a new required column, cannot be made up: that is an error naming the column.
pub fn adapt(def: &StreamDef, batch: RecordBatch) -> Result<RecordBatch, SchemaChange> {
    if batch.schema().fields() == def.schema.fields() {
        return Ok(batch);
    }
    let names = |field: &Field| (def.name.clone(), field.name().clone());
    let mut columns = Vec::with_capacity(def.schema.fields().len());
    for field in def.schema.fields() {
        match batch.column_by_name(field.name()) {
            Some(col) if col.data_type() == field.data_type() => {
                if !field.is_nullable() && col.null_count() > 0 {
                    let (stream, column) = names(field);
                    return Err(SchemaChange::NowRequired { stream, column });
                }
                columns.push(col.clone());
            }
            Some(col) => {
                let (stream, column) = names(field);
                return Err(SchemaChange::TypeChanged {
                    stream,
                    column,
                    was: crate::values::type_name(col.data_type()),
                    now: crate::values::type_name(field.data_type()),
                });
            }
            None if field.is_nullable() => columns.push(new_null_array(field.data_type(), batch.num_rows())),
            None => {
                let (stream, column) = names(field);
                return Err(SchemaChange::Missing { stream, column });
            }
        }
    }
    RecordBatch::try_new(def.schema.clone(), columns).map_err(|source| SchemaChange::Arrow {
        stream: def.name.clone(),
        source,
    })
}

/// Min and max of the event-time column (non-null, timestamp ms).
pub fn event_time_range(batch: &RecordBatch, column: usize) -> (i64, i64) {
    let times = batch.column(column).as_primitive::<TimestampMillisecondType>();
    let min = datafusion::arrow::compute::min(times).unwrap_or(i64::MAX);
    let max = datafusion::arrow::compute::max(times).unwrap_or(i64::MIN);
    debug_assert_eq!(times.null_count(), 0);
    (min, max)
}

/// All streams' storage.
#[derive(Debug)]
pub struct Store {
    streams: BTreeMap<String, Arc<StreamStore>>,
    total: Arc<AtomicUsize>,
}

impl Store {
    pub fn new(catalog: &Catalog, seal_rows: usize, seal_age: Duration) -> Store {
        Self::with_caps(catalog, seal_rows, seal_age, Caps::default())
    }

    pub fn with_caps(catalog: &Catalog, seal_rows: usize, seal_age: Duration, caps: Caps) -> Store {
        let total = Arc::new(AtomicUsize::new(0));
        let streams = catalog
            .streams
            .iter()
            .map(|(name, def)| {
                let s = StreamStore::with_caps(def.clone(), seal_rows, seal_age, caps, total.clone());
                (name.clone(), Arc::new(s))
            })
            .collect();
        Store { streams, total }
    }

    /// A store with its WAL: replays what `wal` holds within retention (as of `now_ms`) into the streams,
    /// then writes every later ingest to it. Returns what the replay found per stream.
    pub fn open(
        catalog: &Catalog,
        seal_rows: usize,
        seal_age: Duration,
        caps: Caps,
        wal: &WalConfig,
        now_ms: i64,
    ) -> Result<(Store, BTreeMap<String, ReplayStats>), wal::WalError> {
        let mut store = Self::with_caps(catalog, seal_rows, seal_age, caps);
        // The history lives beside the WAL folder, in the data directory.
        let data_dir = wal.dir.parent().unwrap_or(std::path::Path::new(".")).to_path_buf();
        let mut stats = BTreeMap::new();
        for (name, stream) in store.streams.iter_mut() {
            let history = history::History::open(&data_dir, &stream.def).map_err(|e| wal::WalError::Replay {
                path: data_dir.join("history").join(name).display().to_string(),
                message: e.to_string(),
            })?;
            let retention_cutoff = now_ms.saturating_sub(stream.def.retention.as_millis() as i64);
            // Without history, events past retention are left out and their files deleted. With history,
            // events older than the watermark from files below `wal_from` are in Parquet already; every
            // other event comes back to memory and moves at the next maintenance.
            let (watermark, wal_from) = history
                .as_ref()
                .map_or((retention_cutoff, u64::MAX), |h| (h.watermark(), h.wal_from()));
            let with_history = history.is_some();
            let cutoff_of = move |number: u64| {
                if !with_history || number < wal_from {
                    watermark
                } else {
                    i64::MIN
                }
            };
            let keep = |f: &wal::FileInfo| f.max_ms >= cutoff_of(f.number);
            let (log, st) = StreamWal::open(wal, name, keep, |batch, number| {
                stream.restore(batch, cutoff_of(number)).map_err(|e| e.to_string())
            })?;
            let s = Arc::get_mut(stream).expect("the store is not shared yet");
            if let Some(h) = history {
                s.segments.get_mut().history = h.segments();
                s.history = Some(Mutex::new(h));
            }
            s.writer.get_mut().wal = Some(log);
            stats.insert(name.clone(), st);
        }
        Ok((store, stats))
    }

    /// Syncs the WAL files written since the last sync (the `interval` policy); outside the writers' locks.
    pub fn sync_dirty(&self) {
        for s in self.streams.values() {
            if let Some(f) = s.wal_to_sync() {
                let t = Instant::now();
                if let Err(e) = f.sync_data() {
                    tracing::error!(stream = %s.def.name, error = %e, "WAL fsync failed");
                    metrics::counter!("ioc_wal_errors_total").increment(1);
                }
                metrics::histogram!("ioc_wal_fsync_seconds").record(t.elapsed().as_secs_f64());
            }
        }
    }

    /// Syncs every stream's WAL (shutdown: everything acknowledged is on disk before the process exits).
    pub fn sync_all(&self) {
        for s in self.streams.values() {
            if let Err(e) = s.sync_wal() {
                tracing::error!(stream = %s.def.name, error = %e, "WAL fsync failed at shutdown");
            }
        }
    }

    /// Bytes held by every stream together.
    pub fn total_bytes(&self) -> usize {
        self.total.load(Ordering::Acquire)
    }

    pub fn stream(&self, name: &str) -> Option<&Arc<StreamStore>> {
        self.streams.get(name)
    }

    pub fn streams(&self) -> impl Iterator<Item = &Arc<StreamStore>> {
        self.streams.values()
    }

    /// Runs [`StreamStore::maintain`] on every stream.
    pub fn maintain(&self, now_ms: i64) -> usize {
        self.streams.values().map(|s| s.maintain(now_ms)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, TimestampMillisecondArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use std::path::Path;

    fn def() -> Arc<StreamDef> {
        let text = r#"[streams.s]
event_time = "t"
retention = "1h"
columns = [{ name = "t", type = "timestamp_ms" }, { name = "v", type = "int64" }]"#;
        Catalog::parse(Path::new("x"), text).unwrap().streams["s"].clone()
    }

    fn batch(times: &[i64]) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new(
                "t",
                DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
                false,
            ),
            Field::new("v", DataType::Int64, false),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(TimestampMillisecondArray::from(times.to_vec()).with_timezone("UTC")),
                Arc::new(Int64Array::from(times.to_vec())),
            ],
        )
        .unwrap()
    }

    #[test]
    fn seals_by_rows_and_drops_by_retention() {
        let s = StreamStore::new(def(), 4, Duration::from_secs(3600));
        s.append(batch(&[1_000, 2_000, 3_000])).unwrap();
        s.append(batch(&[4_000, 5_000])).unwrap();
        s.append(batch(&[7_200_000])).unwrap();
        let snap = s.snapshot();
        assert_eq!(snap.sealed.len(), 1);
        assert_eq!(
            (snap.sealed[0].min_ms, snap.sealed[0].max_ms, snap.sealed[0].rows),
            (1_000, 5_000, 5)
        );
        assert_eq!(snap.sealed[0].batches.len(), 1);
        assert_eq!(snap.open.as_ref().unwrap().rows, 1);
        assert_eq!(s.stats().rows, 6);
        // Retention 1h: at t = 3_605_001 ms the sealed segment's newest row (5 s) is past it.
        assert_eq!(s.maintain(3_605_001), 5);
        assert_eq!(s.stats().rows, 1);
        assert_eq!(s.max_event_ms(), Some(7_200_000));
    }

    #[test]
    fn refuses_appends_past_its_caps_and_retention_frees_room() {
        // Batches large enough to stay whole in the open segment.
        let big = |t: i64| batch(&[t; 20_000]);
        let one = big(1).get_array_memory_size();
        let total = Arc::new(AtomicUsize::new(0));
        let caps = Caps {
            stream_bytes: 3 * one,
            total_bytes: usize::MAX,
        };
        let s = StreamStore::with_caps(def(), 100_000, Duration::ZERO, caps, total.clone());
        for t in [1, 2, 3] {
            s.append(big(t)).unwrap();
        }
        let full = s.append(big(4)).unwrap_err();
        assert!(full.what.contains("stream `s`"), "{full}");
        assert_eq!(s.stats().rows, 60_000);
        assert_eq!(total.load(Ordering::Acquire), s.stats().bytes);
        s.maintain(10 * 3_600_000); // seals (age 0) and drops everything past retention
        assert_eq!(total.load(Ordering::Acquire), 0);
        s.append(batch(&[36_000_000])).unwrap();
    }

    #[test]
    fn small_sealed_segments_are_compacted_and_remember_their_parts() {
        let s = StreamStore::new(def(), 100, Duration::ZERO);
        let mut ids = Vec::new();
        for t in 0..8 {
            s.append(batch(&[t * 10, t * 10 + 1])).unwrap();
            // Seal each append on its own (age 0), without compacting yet: seven small segments wait.
            let mut g = s.segments.write();
            seal(&mut g);
            ids.push(g.sealed.last().unwrap().id);
        }
        assert_eq!(s.compact(), 1);
        let snap = s.snapshot();
        assert_eq!(snap.sealed.len(), 1);
        assert_eq!(snap.sealed[0].parts.iter().map(|p| p.id).collect::<Vec<_>>(), ids);
        assert_eq!(
            (snap.sealed[0].rows, snap.sealed[0].min_ms, snap.sealed[0].max_ms),
            (16, 0, 71)
        );
        assert_eq!(s.stats().rows, 16);
    }

    #[test]
    fn a_snapshot_does_not_see_later_appends() {
        let s = StreamStore::new(def(), 100, Duration::from_secs(3600));
        s.append(batch(&[1])).unwrap();
        let snap = s.snapshot();
        s.append(batch(&[2])).unwrap();
        assert_eq!(snap.segments().map(|g| g.rows).sum::<usize>(), 1);
        assert_eq!(s.snapshot().segments().map(|g| g.rows).sum::<usize>(), 2);
    }
}
