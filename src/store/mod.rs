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
pub mod table;
pub mod time;
pub mod view;
pub mod wal;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::array::{new_null_array, BooleanArray};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::TimestampMillisecondType;
use datafusion::arrow::record_batch::RecordBatch;
use parking_lot::{Mutex, RwLock};
use tokio::sync::watch;

use crate::catalog::{Catalog, StreamDef};
pub use segment::{Part, Segment};
pub use view::{ReadView, Snapshot};
use wal::{ReplayStats, StreamWal, WalConfig};

#[derive(Debug)]
struct Segments {
    sealed: Vec<Arc<Segment>>,
    open: Segment,
    opened_at: Instant,
    max_event_ms: Option<i64>,
    /// The history's files, as segments (empty for a stream without history).
    history: Vec<Arc<Segment>>,
}

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
    Wal(String),
}

/// What an ingest stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Appended {
    pub accepted: usize,
    pub duplicates: usize,
}

/// What is held only by the writer: the stored ids and the WAL.
#[derive(Debug, Default)]
struct Writer {
    ids: ids::Ids,
    wal: Option<StreamWal>,
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

/// One stream's storage.
#[derive(Debug)]
pub struct StreamStore {
    pub def: Arc<StreamDef>,
    segments: RwLock<Segments>,
    /// Bytes this stream holds, and the bytes of the whole store (shared by every stream).
    held: AtomicUsize,
    total: Arc<AtomicUsize>,
    caps: Caps,
    seal_rows: usize,
    seal_age: Duration,
    /// Bumped on every append: lets a scenario tell whether its inputs changed, and wait for a change.
    version: watch::Sender<u64>,
    /// Taken by writers (ingest, retention) before `segments`; readers never take it.
    writer: Mutex<Writer>,
    /// The Parquet history, for a stream that keeps one; taken before `writer` (only by maintenance).
    history: Option<Mutex<history::History>>,
}

impl StreamStore {
    pub fn new(def: Arc<StreamDef>, seal_rows: usize, seal_age: Duration) -> StreamStore {
        Self::with_caps(def, seal_rows, seal_age, Caps::default(), Arc::new(AtomicUsize::new(0)))
    }

    fn with_caps(
        def: Arc<StreamDef>,
        seal_rows: usize,
        seal_age: Duration,
        caps: Caps,
        total: Arc<AtomicUsize>,
    ) -> StreamStore {
        StreamStore {
            def,
            held: AtomicUsize::new(0),
            total,
            caps,
            segments: RwLock::new(Segments {
                sealed: Vec::new(),
                open: Segment::empty(),
                opened_at: Instant::now(),
                max_event_ms: None,
                history: Vec::new(),
            }),
            seal_rows: seal_rows.max(1),
            seal_age,
            version: watch::Sender::new(0),
            writer: Mutex::new(Writer::default()),
            history: None,
        }
    }

    /// Stores a batch that matches the stream's schema (and has a non-null event-time column): events whose
    /// id is already stored are dropped, the rest is written to the WAL (when there is one) and then made
    /// visible. All or nothing: on an error nothing of the batch is stored.
    pub fn ingest(&self, batch: RecordBatch) -> Result<Appended, AppendError> {
        let mut w = self.writer.lock();
        self.ingest_locked(&mut w, batch, true)
    }

    fn ingest_locked(&self, w: &mut Writer, batch: RecordBatch, log: bool) -> Result<Appended, AppendError> {
        let rows = batch.num_rows();
        if rows == 0 {
            return Ok(Appended::default());
        }
        let (batch, claimed) = match self.def.id {
            None => (batch, Vec::new()),
            Some(col) => {
                let hashes = ids::hashes(batch.column(col));
                match w.ids.claim(&hashes) {
                    None => (batch, hashes),
                    Some(keep) => {
                        let kept = kept_hashes(&hashes, &keep);
                        let batch = filter_record_batch(&batch, &keep).expect("a mask of the batch's length");
                        (batch, kept)
                    }
                }
            }
        };
        let accepted = batch.num_rows();
        let duplicates = rows - accepted;
        if accepted == 0 {
            return Ok(Appended { accepted, duplicates });
        }
        let give_back = |w: &mut Writer| w.ids.remove(&claimed);
        let (min_ms, max_ms) = event_time_range(&batch, self.def.event_time);
        if log {
            if let Err(full) = self.check_caps(&batch) {
                give_back(w);
                return Err(full.into());
            }
            if let Some(wal) = w.wal.as_mut() {
                let written = wal::encode(&batch)
                    .map_err(|e| e.to_string())
                    .and_then(|record| wal.append(&record, max_ms).map_err(|e| e.to_string()));
                if let Err(e) = written {
                    tracing::error!(stream = %self.def.name, error = %e, "WAL append failed");
                    metrics::counter!("ioc_wal_errors_total").increment(1);
                    give_back(w);
                    return Err(AppendError::Wal(e));
                }
            }
        }
        self.push(batch, min_ms, max_ms);
        Ok(Appended { accepted, duplicates })
    }

    /// Replays one batch from the WAL: adapted to the catalog's schema (or an error that stops the start),
    /// rows past retention left out, duplicates dropped, not written to the WAL again. Answers the newest
    /// event time of the batch as written.
    fn restore(&self, batch: RecordBatch, cutoff_ms: i64) -> Result<i64, String> {
        let batch = adapt(&self.def, batch)?;
        let (min_ms, max_ms) = event_time_range(&batch, self.def.event_time);
        let batch = if min_ms < cutoff_ms {
            let times = batch
                .column(self.def.event_time)
                .as_primitive::<TimestampMillisecondType>();
            let keep: BooleanArray = times.iter().map(|t| Some(t.unwrap_or(i64::MIN) >= cutoff_ms)).collect();
            filter_record_batch(&batch, &keep).map_err(|e| e.to_string())?
        } else {
            batch
        };
        let mut w = self.writer.lock();
        self.ingest_locked(&mut w, batch, false).map_err(|e| e.to_string())?;
        Ok(max_ms)
    }

    /// Appends a batch without de-duplication or WAL (benchmarks and tests of the store alone).
    pub fn append(&self, batch: RecordBatch) -> Result<(), StoreFull> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        self.check_caps(&batch)?;
        let (min_ms, max_ms) = event_time_range(&batch, self.def.event_time);
        self.push(batch, min_ms, max_ms);
        Ok(())
    }

    fn check_caps(&self, batch: &RecordBatch) -> Result<(), StoreFull> {
        let size = batch.get_array_memory_size();
        let held = self.held.load(Ordering::Acquire);
        if held + size > self.caps.stream_bytes {
            return Err(StoreFull {
                what: format!("stream `{}`", self.def.name),
                held,
                cap: self.caps.stream_bytes,
            });
        }
        let total = self.total.load(Ordering::Acquire);
        if total + size > self.caps.total_bytes {
            return Err(StoreFull {
                what: "the store".into(),
                held: total,
                cap: self.caps.total_bytes,
            });
        }
        Ok(())
    }

    /// Makes a batch visible; `min_ms`/`max_ms` are its event-time range (computed once by the caller).
    fn push(&self, batch: RecordBatch, min_ms: i64, max_ms: i64) {
        let mut s = self.segments.write();
        if s.open.rows == 0 {
            s.opened_at = Instant::now();
        }
        s.open.push(batch, min_ms, max_ms);
        s.max_event_ms = Some(s.max_event_ms.map_or(max_ms, |m| m.max(max_ms)));
        if s.open.rows >= self.seal_rows {
            seal(&mut s);
        }
        self.account(&s);
        drop(s);
        self.version.send_modify(|v| *v += 1);
    }

    /// Brings the byte counters in line with what the segments hold (called under the write lock).
    fn account(&self, s: &Segments) {
        let now = s.open.bytes + s.sealed.iter().map(|g| g.bytes).sum::<usize>();
        let before = self.held.swap(now, Ordering::AcqRel);
        if now >= before {
            self.total.fetch_add(now - before, Ordering::AcqRel);
        } else {
            self.total.fetch_sub(before - now, Ordering::AcqRel);
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        let s = self.segments.read();
        Snapshot {
            sealed: s.history.iter().chain(&s.sealed).cloned().collect(),
            open: (s.open.rows > 0).then(|| Arc::new(s.open.clone())),
            max_event_ms: s.max_event_ms,
        }
    }

    pub fn stats(&self) -> StreamStats {
        let s = self.segments.read();
        let mut st = StreamStats {
            rows: s.open.rows,
            bytes: s.open.bytes,
            segments: s.sealed.len() + usize::from(s.open.rows > 0),
        };
        for seg in &s.sealed {
            st.rows += seg.rows;
            st.bytes += seg.bytes;
        }
        st
    }

    /// The newest event time stored (epoch ms).
    pub fn max_event_ms(&self) -> Option<i64> {
        self.segments.read().max_event_ms
    }

    pub fn version(&self) -> u64 {
        *self.version.borrow()
    }

    /// A receiver that wakes when the stream receives data (its value is the stream's version).
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    /// Seals an open segment that is older than the seal age; then, for a stream without history, drops
    /// the sealed segments whose newest event is older than `now_ms - retention` (with their ids, and the
    /// WAL files past retention), or, for a stream with history, moves events past the window to its
    /// Parquet files ([`mover`]); then compacts small segments. Returns the rows that left memory.
    pub fn maintain(&self, now_ms: i64) -> usize {
        {
            let _w = self.writer.lock();
            let mut s = self.segments.write();
            if s.open.rows > 0 && s.opened_at.elapsed() >= self.seal_age {
                seal(&mut s);
            }
        }
        let left = match &self.history {
            Some(history) => self.move_to_history(&mut history.lock(), now_ms),
            None => self.expire(now_ms),
        };
        let merged = self.compact();
        if merged > 0 {
            metrics::counter!("ioc_store_compactions_total").increment(merged as u64);
        }
        left
    }

    /// Drops the sealed segments whose newest event is older than the retention, their ids and the WAL
    /// files past it. Returns the rows dropped.
    fn expire(&self, now_ms: i64) -> usize {
        let cutoff = now_ms.saturating_sub(self.def.retention.as_millis() as i64);
        let mut w = self.writer.lock();
        let mut s = self.segments.write();
        // An open segment entirely past retention (a quiet stream) goes too.
        if s.open.rows > 0 && s.open.max_ms < cutoff {
            seal(&mut s);
        }
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut s.sealed)
            .into_iter()
            .partition(|g| g.max_ms < cutoff);
        s.sealed = kept;
        self.account(&s);
        drop(s);
        let dropped = gone.iter().map(|g| g.rows).sum();
        if let Some(col) = self.def.id {
            for g in &gone {
                for b in &g.batches {
                    w.ids.remove(&ids::hashes(b.column(col)));
                }
            }
        }
        if let Some(wal) = w.wal.as_mut() {
            let deleted = wal.maintain(|f| f.max_ms < cutoff);
            if deleted > 0 {
                metrics::counter!("ioc_wal_files_deleted_total").increment(deleted as u64);
            }
        }
        dropped
    }

    /// Writes `rows` straight into the stream's history files, as one durable write (the demo's year of
    /// history on a first start): they never pass through memory or the WAL, and their ids are not held
    /// for de-duplication. The caller gives events older than the in-memory window; events older than
    /// `history` as of `now_ms` are left out. Returns the events written.
    pub fn add_history(&self, rows: &[RecordBatch], now_ms: i64) -> Result<usize, history::HistoryError> {
        let Some(history) = &self.history else {
            return Err(history::HistoryError::none(&self.def.name));
        };
        let mut h = history.lock();
        let (watermark, wal_from) = (h.watermark(), h.wal_from());
        let written = h.write(rows, watermark, wal_from, now_ms)?;
        self.segments.write().history = h.segments();
        drop(h);
        self.version.send_modify(|v| *v += 1);
        Ok(written)
    }

    /// What the stream's history holds (`None` for a stream without history).
    pub fn history_stats(&self) -> Option<history::HistoryStats> {
        self.history.as_ref().map(|h| h.lock().stats())
    }

    /// Merges runs of small sealed segments into larger ones ([`compact`]). The copy is made outside the
    /// locks; the swap checks that the run is still there. Readers keep the segments they hold. Returns
    /// the segments made.
    pub fn compact(&self) -> usize {
        let runs: Vec<Vec<Arc<Segment>>> = {
            let s = self.segments.read();
            compact::plan(&s.sealed, self.seal_rows.saturating_mul(compact::GROWTH))
                .into_iter()
                .map(|r| s.sealed[r].to_vec())
                .collect()
        };
        let mut made = 0;
        for run in runs {
            let parts: Vec<&Segment> = run.iter().map(|g| g.as_ref()).collect();
            let merged = Arc::new(Segment::compacted(&parts));
            let mut s = self.segments.write();
            let Some(at) = s.sealed.iter().position(|g| g.id == run[0].id) else {
                continue;
            };
            let end = at + run.len();
            if end > s.sealed.len() || !s.sealed[at..end].iter().zip(&run).all(|(a, b)| a.id == b.id) {
                continue;
            }
            s.sealed.splice(at..end, [merged]);
            self.account(&s);
            made += 1;
        }
        made
    }

    /// A handle to the WAL file written since the last sync, to sync outside the lock (`interval`).
    pub fn wal_to_sync(&self) -> Option<std::fs::File> {
        self.writer.lock().wal.as_mut().and_then(StreamWal::take_dirty)
    }

    /// Syncs the WAL now (shutdown).
    pub fn sync_wal(&self) -> std::io::Result<()> {
        match self.writer.lock().wal.as_mut() {
            Some(wal) => wal.sync(),
            None => Ok(()),
        }
    }

    /// Ids held for de-duplication.
    pub fn ids_held(&self) -> usize {
        self.writer.lock().ids.len()
    }

    /// WAL files on disk for this stream.
    pub fn wal_files(&self) -> usize {
        self.writer.lock().wal.as_ref().map_or(0, StreamWal::files)
    }
}

fn kept_hashes(hashes: &[u128], keep: &BooleanArray) -> Vec<u128> {
    hashes
        .iter()
        .zip(keep.values().iter())
        .filter_map(|(h, k)| k.then_some(*h))
        .collect()
}

/// A batch from the WAL in the catalog's current schema. Columns are matched by name: a column the
/// catalog added is null in old events when it is nullable; a column it removed is left out. A column
/// whose type changed, or a new required column, cannot be made up: that is an error naming the column
/// (the server does not start rather than show wrong numbers; docs/protocol.md, "WAL").
pub fn adapt(def: &StreamDef, batch: RecordBatch) -> Result<RecordBatch, String> {
    if batch.schema().fields() == def.schema.fields() {
        return Ok(batch);
    }
    let mut columns = Vec::with_capacity(def.schema.fields().len());
    for field in def.schema.fields() {
        match batch.column_by_name(field.name()) {
            Some(col) if col.data_type() == field.data_type() => {
                if !field.is_nullable() && col.null_count() > 0 {
                    return Err(format!(
                        "stream `{}`: column `{}` is now required but the WAL holds events without it",
                        def.name,
                        field.name()
                    ));
                }
                columns.push(col.clone());
            }
            Some(col) => {
                return Err(format!(
                    "stream `{}`: column `{}` was {} when these events were written and is {} in the catalog now; \
                     change it back, or move the stream's WAL folder away to start without those events",
                    def.name,
                    field.name(),
                    crate::values::type_name(col.data_type()),
                    crate::values::type_name(field.data_type())
                ))
            }
            None if field.is_nullable() => columns.push(new_null_array(field.data_type(), batch.num_rows())),
            None => {
                return Err(format!(
                    "stream `{}`: column `{}` is required (not nullable) but events in the WAL were written \
                     without it; make it nullable, or move the stream's WAL folder away",
                    def.name,
                    field.name()
                ))
            }
        }
    }
    RecordBatch::try_new(def.schema.clone(), columns).map_err(|e| e.to_string())
}

fn seal(s: &mut Segments) {
    let open = std::mem::replace(&mut s.open, Segment::empty());
    s.opened_at = Instant::now();
    if open.rows > 0 {
        s.sealed.push(Arc::new(open.sealed()));
    }
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
                stream.restore(batch, cutoff_of(number))
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
