//! The history tier of a stream: events older than its in-memory window, in Parquet files under
//! `DATA_DIR/history/STREAM/DAY/NUMBER.parquet` (one UTC day per file), listed by a [`manifest`].
//!
//! The store moves events here as they leave the window ([`History::write`]): a file per day touched,
//! written durably, then the manifest, and only then do the events leave memory and may the WAL files
//! that held them be deleted. So a crash at any point loses nothing and duplicates nothing. A day that is
//! over and has several files is compacted into one ([`History::compact`]); files whose newest event is
//! older than `history` are deleted ([`History::expire`]). Each file is a sealed [`Segment`] whose rows
//! stay on disk (`Segment::file`): queries read it like any segment, skipping it, or its row groups, by
//! event time, and the engine caches its partial aggregates like any sealed segment's.
//!
//! This module knows nothing of ingest or the WAL beyond the two numbers the manifest keeps for them.

pub mod manifest;
pub mod parquet;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::DateTime;
use datafusion::arrow::array::{AsArray, BooleanArray, RecordBatch};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::TimestampMillisecondType;

use super::segment::{next_id, Part, Segment};
use crate::catalog::StreamDef;
use manifest::{FileEntry, Manifest};

/// A history file, as a segment refers to it.
///
/// A file that compaction or expiry takes out of the manifest is only marked retired: it is deleted when
/// the last segment that refers to it is dropped, so a query that took its snapshot before can still read
/// it. (A crash in between leaves a file the manifest does not list, which the next start deletes.)
#[derive(Debug)]
pub struct HistoryFile {
    pub path: Arc<Path>,
    /// Bytes on disk.
    pub bytes: u64,
    retired: std::sync::atomic::AtomicBool,
}

impl HistoryFile {
    fn retire(&self) {
        self.retired.store(true, std::sync::atomic::Ordering::Release);
    }
}

impl Drop for HistoryFile {
    fn drop(&mut self) {
        if self.retired.load(std::sync::atomic::Ordering::Acquire) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn retire(segment: &Segment) {
    if let Some(file) = &segment.file {
        file.retire();
    }
}

/// What a stream's history holds, for `GET /api/v1/streams` and `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistoryStats {
    pub files: usize,
    pub rows: u64,
    pub bytes: u64,
    /// The oldest event time held (epoch ms).
    pub from_ms: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
#[error("history of `{stream}`: {message}")]
pub struct HistoryError {
    pub stream: String,
    pub message: String,
}

impl HistoryError {
    /// The error for a stream that keeps no history.
    pub fn none(stream: &str) -> HistoryError {
        HistoryError {
            stream: stream.to_string(),
            message: "the stream keeps no history (no `history` in its catalog entry)".into(),
        }
    }
}

/// One stream's history.
#[derive(Debug)]
pub struct History {
    dir: PathBuf,
    def: Arc<StreamDef>,
    keep_ms: i64,
    manifest: Manifest,
    /// One segment per manifest entry, in the same order.
    files: Vec<Arc<Segment>>,
}

/// The UTC day of an epoch-ms time, as `YYYY-MM-DD`.
fn day_of(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "invalid".into())
}

fn segment_of(dir: &Path, entry: &FileEntry, parts: Vec<Part>) -> Arc<Segment> {
    Arc::new(Segment {
        id: next_id(),
        parts,
        batches: Vec::new(),
        min_ms: entry.min_ms,
        max_ms: entry.max_ms,
        rows: entry.rows as usize,
        bytes: 0,
        file: Some(Arc::new(HistoryFile {
            path: dir.join(&entry.name).into(),
            bytes: entry.bytes,
            retired: Default::default(),
        })),
    })
}

impl History {
    /// The history of `def` under `data_dir`, when the stream keeps one: the manifest read, and every file
    /// of the folder that it does not list (a write that a crash interrupted) deleted.
    pub fn open(data_dir: &Path, def: &Arc<StreamDef>) -> Result<Option<History>, HistoryError> {
        let Some((keep, _)) = &def.history else {
            return Ok(None);
        };
        let err = |message: String| HistoryError {
            stream: def.name.clone(),
            message,
        };
        let dir = data_dir.join("history").join(&def.name);
        std::fs::create_dir_all(&dir).map_err(|e| err(format!("{}: {e}", dir.display())))?;
        let manifest = Manifest::load(&dir).map_err(err)?;
        let listed: std::collections::HashSet<PathBuf> = manifest.files.iter().map(|f| dir.join(&f.name)).collect();
        for day in std::fs::read_dir(&dir)
            .map_err(|e| err(format!("{}: {e}", dir.display())))?
            .flatten()
        {
            let path = day.path();
            if !path.is_dir() {
                if path.extension().is_some_and(|x| x == "tmp") {
                    let _ = std::fs::remove_file(&path);
                }
                continue;
            }
            for f in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                let p = f.path();
                if !listed.contains(&p) {
                    tracing::warn!(file = %p.display(), "history: a file the manifest does not list (an interrupted write); deleting it");
                    let _ = std::fs::remove_file(&p);
                }
            }
        }
        let files = manifest.files.iter().map(|f| segment_of(&dir, f, Vec::new())).collect();
        Ok(Some(History {
            dir,
            def: def.clone(),
            keep_ms: keep.as_millis() as i64,
            manifest,
            files,
        }))
    }

    fn err(&self, message: impl std::fmt::Display) -> HistoryError {
        HistoryError {
            stream: self.def.name.clone(),
            message: message.to_string(),
        }
    }

    pub fn watermark(&self) -> i64 {
        self.manifest.watermark_ms
    }

    pub fn wal_from(&self) -> u64 {
        self.manifest.wal_from
    }

    /// The files, as segments, oldest day first.
    pub fn segments(&self) -> Vec<Arc<Segment>> {
        self.files.clone()
    }

    pub fn stats(&self) -> HistoryStats {
        HistoryStats {
            files: self.manifest.files.len(),
            rows: self.manifest.files.iter().map(|f| f.rows).sum(),
            bytes: self.manifest.files.iter().map(|f| f.bytes).sum(),
            from_ms: self.manifest.files.iter().map(|f| f.min_ms).min(),
        }
    }

    /// Writes `rows` (events older than `watermark`, from WAL files numbered below `wal_from`, or read from
    /// them) into new files, one per UTC day, leaving out events older than `history` as of `now_ms`, then
    /// records the files, the watermark and `wal_from` in the manifest. Nothing is recorded unless every
    /// file is durable.
    pub fn write(
        &mut self,
        rows: &[RecordBatch],
        watermark: i64,
        wal_from: u64,
        now_ms: i64,
    ) -> Result<usize, HistoryError> {
        let horizon = now_ms.saturating_sub(self.keep_ms);
        let time = self.def.event_time;
        let mut days: BTreeMap<String, Vec<RecordBatch>> = BTreeMap::new();
        for batch in rows {
            let times = batch.column(time).as_primitive::<TimestampMillisecondType>();
            let mut by_day: BTreeMap<String, Vec<bool>> = BTreeMap::new();
            for (i, t) in times.values().iter().enumerate() {
                if *t < horizon {
                    continue;
                }
                by_day.entry(day_of(*t)).or_insert_with(|| vec![false; times.len()])[i] = true;
            }
            for (day, mask) in by_day {
                let part = filter_record_batch(batch, &BooleanArray::from(mask)).map_err(|e| self.err(e))?;
                days.entry(day).or_default().push(part);
            }
        }
        let mut manifest = self.manifest.clone();
        let mut added = Vec::new();
        for (day, batches) in days {
            let name = format!("{day}/{:08}.parquet", manifest.next_file);
            manifest.next_file += 1;
            let written =
                parquet::write(&self.dir.join(&name), &self.def.schema, &batches, time).map_err(|e| self.err(e))?;
            let entry = FileEntry {
                name,
                day,
                min_ms: written.min_ms,
                max_ms: written.max_ms,
                rows: written.rows,
                bytes: written.bytes,
            };
            added.push(entry.clone());
            manifest.files.push(entry);
        }
        manifest.watermark_ms = manifest.watermark_ms.max(watermark);
        manifest.wal_from = manifest.wal_from.max(wal_from);
        manifest.save(&self.dir).map_err(|e| self.err(e))?;
        let rows = added.iter().map(|e| e.rows as usize).sum();
        self.files
            .extend(added.iter().map(|e| segment_of(&self.dir, e, Vec::new())));
        self.manifest = manifest;
        Ok(rows)
    }

    /// Deletes the files whose newest event is older than `history` as of `now_ms`. Returns how many.
    pub fn expire(&mut self, now_ms: i64) -> Result<usize, HistoryError> {
        let horizon = now_ms.saturating_sub(self.keep_ms);
        let gone: Vec<usize> = (0..self.manifest.files.len())
            .filter(|&i| self.manifest.files[i].max_ms < horizon)
            .collect();
        if gone.is_empty() {
            return Ok(0);
        }
        let mut manifest = self.manifest.clone();
        let mut removed = Vec::new();
        for &i in gone.iter().rev() {
            manifest.files.remove(i);
            removed.push(self.files.remove(i));
        }
        manifest.save(&self.dir).map_err(|e| self.err(e))?;
        self.manifest = manifest;
        removed.iter().for_each(|s| retire(s));
        Ok(removed.len())
    }

    /// Compacts the files of one day that is over (entirely older than the watermark) into one file: at
    /// most one day per call, so a maintenance pass stays short. True when a day was compacted.
    pub fn compact(&mut self) -> Result<bool, HistoryError> {
        let watermark_day = day_of(self.manifest.watermark_ms);
        let mut by_day: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, f) in self.manifest.files.iter().enumerate() {
            if f.day.as_str() < watermark_day.as_str() {
                by_day.entry(f.day.as_str()).or_default().push(i);
            }
        }
        let Some((day, members)) = by_day.into_iter().find(|(_, m)| m.len() > 1) else {
            return Ok(false);
        };
        let day = day.to_string();
        let mut batches = Vec::new();
        for &i in &members {
            let path = self.dir.join(&self.manifest.files[i].name);
            batches.extend(parquet::read_all(&path, &self.def.schema).map_err(|e| self.err(e))?);
        }
        let mut manifest = self.manifest.clone();
        let name = format!("{day}/{:08}.parquet", manifest.next_file);
        manifest.next_file += 1;
        let written = parquet::write(&self.dir.join(&name), &self.def.schema, &batches, self.def.event_time)
            .map_err(|e| self.err(e))?;
        let entry = FileEntry {
            name,
            day,
            min_ms: written.min_ms,
            max_ms: written.max_ms,
            rows: written.rows,
            bytes: written.bytes,
        };
        let parts: Vec<Part> = members
            .iter()
            .map(|&i| Part {
                id: self.files[i].id,
                rows: self.files[i].rows,
            })
            .collect();
        let mut removed = Vec::new();
        for &i in members.iter().rev() {
            manifest.files.remove(i);
            removed.push(self.files.remove(i));
        }
        let at = manifest
            .files
            .iter()
            .position(|f| f.day > entry.day)
            .unwrap_or(manifest.files.len());
        manifest.files.insert(at, entry.clone());
        manifest.save(&self.dir).map_err(|e| self.err(e))?;
        self.files.insert(at, segment_of(&self.dir, &entry, parts));
        self.manifest = manifest;
        removed.iter().for_each(|s| retire(s));
        Ok(true)
    }
}
