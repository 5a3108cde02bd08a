//! One stream's storage: its segments (history files, sealed, open), the writer's ids and WAL, and the
//! one path events come in by ([`StreamStore::ingest`]: de-duplicate, check the caps, log, make visible).
//! Retention and the move to history run from [`StreamStore::maintain`] (`mover` holds the move). It
//! does not decode or validate: batches already match the stream's schema.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::array::{AsArray, BooleanArray};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::TimestampMillisecondType;
use datafusion::arrow::record_batch::RecordBatch;
use parking_lot::{Mutex, RwLock};
use tokio::sync::watch;

use super::wal::{self, StreamWal};
use super::{
    adapt, compact, event_time_range, history, ids, AppendError, Appended, Caps, RestoreError, Segment, Snapshot,
    StoreFull, StreamStats, WalAppendError,
};
use crate::catalog::StreamDef;

#[derive(Debug)]
pub(super) struct Segments {
    pub(super) sealed: Vec<Arc<Segment>>,
    pub(super) open: Segment,
    pub(super) opened_at: Instant,
    pub(super) max_event_ms: Option<i64>,
    /// The history's files, as segments (empty for a stream without history).
    pub(super) history: Vec<Arc<Segment>>,
}

/// What is held only by the writer: the stored ids and the WAL.
#[derive(Debug, Default)]
pub(super) struct Writer {
    pub(super) ids: ids::Ids,
    pub(super) wal: Option<StreamWal>,
}

/// One stream's storage.
#[derive(Debug)]
pub struct StreamStore {
    pub def: Arc<StreamDef>,
    pub(super) segments: RwLock<Segments>,
    /// Bytes this stream holds, and the bytes of the whole store (shared by every stream).
    pub(super) held: AtomicUsize,
    pub(super) total: Arc<AtomicUsize>,
    pub(super) caps: Caps,
    pub(super) seal_rows: usize,
    pub(super) seal_age: Duration,
    /// Bumped on every append: lets a scenario tell whether its inputs changed, and wait for a change.
    pub(super) version: watch::Sender<u64>,
    /// Taken by writers (ingest, retention) before `segments`; readers never take it.
    pub(super) writer: Mutex<Writer>,
    /// The Parquet history, for a stream that keeps one; taken before `writer` (only by maintenance).
    pub(super) history: Option<Mutex<history::History>>,
}

impl StreamStore {
    pub fn new(def: Arc<StreamDef>, seal_rows: usize, seal_age: Duration) -> StreamStore {
        Self::with_caps(def, seal_rows, seal_age, Caps::default(), Arc::new(AtomicUsize::new(0)))
    }

    pub(super) fn with_caps(
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
                    .map_err(WalAppendError::from)
                    .and_then(|record| Ok(wal.append(&record, max_ms)?));
                if let Err(e) = written {
                    tracing::error!(stream = %self.def.name, error = %e, "WAL append failed");
                    metrics::counter!("ioc_wal_errors_total").increment(1);
                    give_back(w);
                    return Err(e.into());
                }
            }
        }
        self.push(batch, min_ms, max_ms);
        Ok(Appended { accepted, duplicates })
    }

    /// Replays one batch from the WAL: adapted to the catalog's schema (or an error that stops the start),
    /// rows past retention left out, duplicates dropped, not written to the WAL again. Answers the newest
    /// event time of the batch as written.
    pub(super) fn restore(&self, batch: RecordBatch, cutoff_ms: i64) -> Result<i64, RestoreError> {
        let batch = adapt(&self.def, batch)?;
        let (min_ms, max_ms) = event_time_range(&batch, self.def.event_time);
        let batch = if min_ms < cutoff_ms {
            let times = batch
                .column(self.def.event_time)
                .as_primitive::<TimestampMillisecondType>();
            let keep: BooleanArray = times.iter().map(|t| Some(t.unwrap_or(i64::MIN) >= cutoff_ms)).collect();
            filter_record_batch(&batch, &keep)?
        } else {
            batch
        };
        let mut w = self.writer.lock();
        self.ingest_locked(&mut w, batch, false)?;
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
    pub(super) fn account(&self, s: &Segments) {
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

pub(super) fn seal(s: &mut Segments) {
    let open = std::mem::replace(&mut s.open, Segment::empty());
    s.opened_at = Instant::now();
    if open.rows > 0 {
        s.sealed.push(Arc::new(open.sealed()));
    }
}
