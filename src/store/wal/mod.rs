//! The write-ahead log: every accepted request is appended here before it is acknowledged, and replayed
//! into the store on start.
//!
//! Layout: `DATA_DIR/wal/STREAM/NNNNNNNNNN.wal`, numbered in write order. A file starts with the 8 bytes
//! `IOCWAL1\n`, then holds records: `u32 length | u32 CRC-32 | payload`, little-endian, where the payload is
//! one Arrow IPC stream (schema, the request's batch, end marker), so each record says which columns it
//! was written with. A record is written with one `write` to the file itself (no user-space buffer), so
//! once `append` returns the bytes are in the kernel: a crash of the process (SIGKILL, panic) loses nothing
//! that was acknowledged, whatever the fsync policy. The policy only decides what a crash of the machine
//! (power, kernel) may lose:
//! - `always`: `fdatasync` before every acknowledgement; nothing acknowledged is lost. Slowest.
//! - `interval` (default, 100 ms): a background task syncs every interval; a machine crash may lose the
//!   last interval's acknowledged events.
//! - `never`: the kernel writes back when it likes (typically within 30 s); a machine crash may lose that.
//!
//! A new file is started when the current one passes `roll_bytes` or `roll_age`, and on every start (old
//! files are never appended to). A file is deleted when its newest event is older than the stream's
//! retention. On replay a record that is short (a torn write) or fails its checksum ends its file: the file
//! is cut there with a warning, and everything before it is kept.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::ipc::writer::StreamWriter;
use datafusion::arrow::record_batch::RecordBatch;

const MAGIC: &[u8; 8] = b"IOCWAL1\n";
const HEADER: usize = 8;
/// No record is larger than this (a request body is at most 64 MiB decompressed); a bigger length field
/// can only be garbage.
const MAX_RECORD: usize = 1 << 30;

pub use crate::config::Fsync;

/// Where and how the WAL is written.
#[derive(Debug, Clone)]
pub struct WalConfig {
    /// The `wal` folder; each stream has a folder inside it.
    pub dir: PathBuf,
    pub fsync: Fsync,
    /// A file is closed and a new one started past this size...
    pub roll_bytes: u64,
    /// ... or this age, so retention can delete old files.
    pub roll_age: Duration,
    /// Told the outcome of every append (`/readyz`).
    pub health: Arc<crate::health::Check>,
}

impl WalConfig {
    pub fn new(data_dir: &Path, fsync: Fsync) -> WalConfig {
        WalConfig {
            dir: data_dir.join("wal"),
            fsync,
            roll_bytes: 64 << 20,
            roll_age: Duration::from_secs(300),
            health: Arc::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WalError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error(
        "{path}: not an ioc-stream WAL file (it does not start with the WAL header); move it out of the WAL folder"
    )]
    NotWal { path: String },
    #[error("{path}: {message}")]
    Replay { path: String, message: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WalError + '_ {
    move |source| WalError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// A file with its number (files are numbered in write order) and the newest event time it holds.
#[derive(Debug, Clone)]
pub struct FileInfo {
    pub path: PathBuf,
    pub number: u64,
    pub max_ms: i64,
}

#[derive(Debug)]
struct Active {
    file: File,
    info: FileInfo,
    bytes: u64,
    opened: Instant,
    records: u64,
    /// Written since the last sync.
    dirty: bool,
}

/// The WAL of one stream.
#[derive(Debug)]
pub struct StreamWal {
    dir: PathBuf,
    config: WalConfig,
    active: Option<Active>,
    closed: Vec<FileInfo>,
    next: u64,
}

/// What a replay found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReplayStats {
    pub files: usize,
    pub records: usize,
    pub rows: usize,
    /// Bytes cut off torn or corrupt tails.
    pub cut_bytes: u64,
    /// Files deleted because everything in them was past retention.
    pub expired_files: usize,
}

fn number_of(path: &Path) -> Option<u64> {
    let name = path.file_name()?.to_str()?;
    name.strip_suffix(".wal")?.parse().ok()
}

mod replay;
use replay::replay_file;

/// Encodes one record (header + IPC stream of `batch`).
pub fn encode(batch: &RecordBatch) -> Result<Vec<u8>, datafusion::arrow::error::ArrowError> {
    let mut buf = vec![0u8; HEADER];
    {
        let mut w = StreamWriter::try_new(&mut buf, batch.schema_ref())?;
        w.write(batch)?;
        w.finish()?;
    }
    let len = (buf.len() - HEADER) as u32;
    let crc = crc32fast::hash(&buf[HEADER..]);
    buf[0..4].copy_from_slice(&len.to_le_bytes());
    buf[4..8].copy_from_slice(&crc.to_le_bytes());
    Ok(buf)
}

impl StreamWal {
    /// Replays the stream's folder (oldest file first) through `each`, which gets every batch with the
    /// number of its file and answers the newest event time in it (or an error, which stops the start:
    /// e.g. a schema the catalog can no longer read). Files for which `keep` answers false once read are
    /// deleted (everything in them is past retention, or already in history); torn tails are cut. Then
    /// returns the WAL ready to append to a new file.
    pub fn open(
        config: &WalConfig,
        stream: &str,
        keep: impl Fn(&FileInfo) -> bool,
        mut each: impl FnMut(RecordBatch, u64) -> Result<i64, String>,
    ) -> Result<(StreamWal, ReplayStats), WalError> {
        let dir = config.dir.join(stream);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(&dir)
            .map_err(io(&dir))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter_map(|p| Some((number_of(&p)?, p)))
            .collect();
        files.sort();
        let mut stats = ReplayStats::default();
        let mut closed = Vec::new();
        let next = files.last().map_or(0, |(n, _)| n + 1);
        for (number, path) in files {
            let info = match replay_file(&path, &mut |b| each(b, number), &mut stats)? {
                Some(max_ms) => FileInfo { path, number, max_ms },
                None => FileInfo {
                    path,
                    number,
                    max_ms: i64::MIN,
                },
            };
            if info.max_ms > i64::MIN && keep(&info) {
                closed.push(info);
            } else {
                std::fs::remove_file(&info.path).map_err(io(&info.path))?;
                stats.expired_files += 1;
            }
        }
        let wal = StreamWal {
            dir,
            config: config.clone(),
            active: None,
            closed,
            next,
        };
        Ok((wal, stats))
    }

    /// Appends one record (already [`encode`]d) holding events up to `max_ms`; syncs it when the policy is
    /// `always`. After an error the current file is abandoned (a later replay cuts the partial record; a
    /// file that holds no record is removed) and the next append starts a new one, so one failed write
    /// never hides the records after it. The outcome goes to `config.health`.
    pub fn append(&mut self, record: &[u8], max_ms: i64) -> std::io::Result<()> {
        let outcome = self.try_append(record, max_ms);
        match &outcome {
            Ok(()) => self.config.health.pass(),
            Err(e) => self.config.health.fail(format!("{}: {e}", self.dir.display())),
        }
        outcome
    }

    fn try_append(&mut self, record: &[u8], max_ms: i64) -> std::io::Result<()> {
        if self.active.as_ref().is_some_and(|a| !still_linked(a)) {
            // The file (or the whole data directory) was deleted or moved away under us: what is written
            // to it now would not survive a restart. Start a new file, and the folders it needs.
            // `/healthz` keeps it as the last error once the next append has succeeded.
            let a = self.active.take().expect("checked");
            self.config.health.fail(format!(
                "{}: the file in use was deleted or moved away; a new one was started (what was acknowledged into it is no longer on disk)",
                a.info.path.display()
            ));
        }
        let roll = self
            .active
            .as_ref()
            .is_some_and(|a| a.bytes + record.len() as u64 > self.config.roll_bytes && a.records > 0);
        if roll {
            self.roll()?;
        }
        if self.active.is_none() {
            self.start_file()?;
        }
        let active = self.active.as_mut().expect("a file is open");
        let written = active.file.write_all(record).and_then(|()| {
            if self.config.fsync == Fsync::Always {
                active.file.sync_data()
            } else {
                Ok(())
            }
        });
        if let Err(e) = written {
            let a = self.active.take().expect("a file is open");
            if a.records == 0 {
                // Nothing acknowledged is in it: do not leave a file behind for every refused request.
                drop(a.file);
                let _ = std::fs::remove_file(&a.info.path);
            }
            return Err(e);
        }
        active.bytes += record.len() as u64;
        active.records += 1;
        active.dirty = self.config.fsync != Fsync::Always;
        active.info.max_ms = active.info.max_ms.max(max_ms);
        metrics::counter!("ioc_wal_bytes_total").increment(record.len() as u64);
        Ok(())
    }

    fn start_file(&mut self) -> std::io::Result<()> {
        // The folder is recreated when it was deleted while the server runs.
        std::fs::create_dir_all(&self.dir)?;
        let path = self.dir.join(format!("{:010}.wal", self.next));
        self.next += 1;
        let mut file = OpenOptions::new().create_new(true).append(true).open(&path)?;
        // The new name must survive a machine crash too, or its records would vanish with it.
        if let Err(e) = file.write_all(MAGIC).and_then(|()| file.sync_all()) {
            // A full disk: no empty file is left behind for every refused request.
            drop(file);
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        self.active = Some(Active {
            file,
            info: FileInfo {
                path,
                number: self.next - 1,
                max_ms: i64::MIN,
            },
            bytes: HEADER as u64,
            opened: Instant::now(),
            records: 0,
            dirty: false,
        });
        Ok(())
    }

    /// Closes the current file (synced) so the next append starts a new one.
    fn roll(&mut self) -> std::io::Result<()> {
        if let Some(a) = self.active.take() {
            if a.records == 0 {
                let _ = std::fs::remove_file(&a.info.path);
                return Ok(());
            }
            a.file.sync_data()?;
            self.closed.push(a.info);
        }
        Ok(())
    }

    /// Closes the current file now and answers the number of the next one: every record appended so far
    /// is in a file numbered below it.
    pub fn close_file(&mut self) -> std::io::Result<u64> {
        self.roll()?;
        Ok(self.next)
    }

    /// A handle to sync outside the stream's lock, when something was written since the last sync.
    pub fn take_dirty(&mut self) -> Option<File> {
        let a = self.active.as_mut()?;
        if !a.dirty {
            return None;
        }
        let f = a.file.try_clone().ok()?;
        a.dirty = false;
        Some(f)
    }

    /// Syncs the current file now (shutdown).
    pub fn sync(&mut self) -> std::io::Result<()> {
        match self.active.as_mut() {
            Some(a) => {
                a.dirty = false;
                a.file.sync_data()
            }
            None => Ok(()),
        }
    }

    /// Rolls a file past its age and deletes the closed files `done` answers true for (everything in them
    /// is past retention, or in history). Returns the files deleted.
    pub fn maintain(&mut self, done: impl Fn(&FileInfo) -> bool) -> usize {
        if self
            .active
            .as_ref()
            .is_some_and(|a| a.opened.elapsed() >= self.config.roll_age)
        {
            if let Err(e) = self.roll() {
                tracing::error!(dir = %self.dir.display(), error = %e, "WAL: cannot close a file");
            }
        }
        let mut deleted = 0;
        self.closed.retain(|f| {
            if !done(f) {
                return true;
            }
            match std::fs::remove_file(&f.path) {
                Ok(()) => {
                    deleted += 1;
                    false
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
                Err(e) => {
                    tracing::warn!(file = %f.path.display(), error = %e, "WAL: cannot delete a file");
                    true
                }
            }
        });
        deleted
    }

    /// Files on disk (closed and current).
    pub fn files(&self) -> usize {
        self.closed.len() + usize::from(self.active.is_some())
    }
}

/// Whether the active file is still the one at its path (not deleted or moved away).
#[cfg(unix)]
fn still_linked(a: &Active) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(&a.info.path), a.file.metadata()) {
        (Ok(at_path), Ok(open)) => at_path.ino() == open.ino() && at_path.dev() == open.dev(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn still_linked(a: &Active) -> bool {
    a.info.path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, TimestampMillisecondArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};

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

    fn values(b: &RecordBatch) -> Vec<i64> {
        b.column(1)
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap()
            .values()
            .to_vec()
    }

    fn replay(config: &WalConfig, cutoff: i64) -> (StreamWal, ReplayStats, Vec<i64>) {
        let mut seen = Vec::new();
        let (wal, stats) = StreamWal::open(
            config,
            "s",
            |f| f.max_ms >= cutoff,
            |b, _| {
                let v = values(&b);
                seen.extend(&v);
                Ok(*v.iter().max().unwrap())
            },
        )
        .unwrap();
        (wal, stats, seen)
    }

    #[test]
    fn appends_replay_in_order_and_a_torn_tail_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let config = WalConfig::new(dir.path(), Fsync::Never);
        let (mut wal, stats, seen) = replay(&config, 0);
        assert_eq!((stats.files, seen.len()), (0, 0));
        for t in [[1, 2], [3, 4], [5, 6]] {
            wal.append(&encode(&batch(&t)).unwrap(), t[1]).unwrap();
        }
        drop(wal);
        let (mut wal, stats, seen) = replay(&config, 0);
        assert_eq!(seen, vec![1, 2, 3, 4, 5, 6]);
        assert_eq!((stats.records, stats.cut_bytes), (3, 0));
        // A second life writes a new file; a crash leaves half a record at its end.
        let record = encode(&batch(&[7, 8])).unwrap();
        wal.append(&record, 8).unwrap();
        let path = wal.active.as_ref().unwrap().info.path.clone();
        drop(wal);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&record[..record.len() / 2]).unwrap();
        drop(f);
        let (_, stats, seen) = replay(&config, 0);
        assert_eq!(
            seen,
            vec![1, 2, 3, 4, 5, 6, 7, 8],
            "everything before the torn record is kept"
        );
        assert_eq!(stats.cut_bytes, (record.len() / 2) as u64);
        // The cut is permanent: the next replay finds a clean file.
        let (_, stats, seen) = replay(&config, 0);
        assert_eq!((seen.len(), stats.cut_bytes), (8, 0));
    }

    #[test]
    fn a_flipped_bit_fails_the_checksum_and_ends_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let config = WalConfig::new(dir.path(), Fsync::Always);
        let (mut wal, _, _) = replay(&config, 0);
        for t in [[1, 2], [3, 4]] {
            wal.append(&encode(&batch(&t)).unwrap(), t[1]).unwrap();
        }
        let path = wal.active.as_ref().unwrap().info.path.clone();
        drop(wal);
        let mut data = std::fs::read(&path).unwrap();
        let last = data.len() - 20;
        data[last] ^= 0x40;
        std::fs::write(&path, &data).unwrap();
        let (_, stats, seen) = replay(&config, 0);
        assert_eq!(seen, vec![1, 2]);
        assert!(stats.cut_bytes > 0);
    }

    #[test]
    fn files_roll_and_expire_with_retention() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = WalConfig::new(dir.path(), Fsync::Interval(Duration::from_millis(100)));
        config.roll_bytes = 1; // every record gets its own file
        let (mut wal, _, _) = replay(&config, 0);
        for t in [[1, 2], [3, 4], [5, 6]] {
            wal.append(&encode(&batch(&t)).unwrap(), t[1]).unwrap();
        }
        assert_eq!(wal.files(), 3);
        assert!(wal.take_dirty().is_some());
        assert!(wal.take_dirty().is_none(), "synced once per write");
        assert_eq!(
            wal.maintain(|f| f.max_ms < 5),
            2,
            "the files whose newest event is before 5 go"
        );
        drop(wal);
        let (_, stats, seen) = replay(&config, 0);
        assert_eq!((seen, stats.files), (vec![5, 6], 1));
        // On start, files entirely past retention are deleted after reading.
        let (wal, stats, _) = replay(&config, 100);
        assert_eq!((stats.expired_files, wal.files()), (1, 0));
    }

    #[test]
    fn garbage_is_not_taken_for_a_wal() {
        let dir = tempfile::tempdir().unwrap();
        let config = WalConfig::new(dir.path(), Fsync::Never);
        std::fs::create_dir_all(config.dir.join("s")).unwrap();
        std::fs::write(config.dir.join("s/0000000000.wal"), b"hello, world").unwrap();
        let e = StreamWal::open(&config, "s", |f| f.max_ms >= 0, |_, _| Ok(0)).unwrap_err();
        assert!(e.to_string().contains("not an ioc-stream WAL"), "{e}");
        // A header torn at creation is an empty file, not an error.
        std::fs::write(config.dir.join("s/0000000000.wal"), b"IOCW").unwrap();
        let (_, stats) = StreamWal::open(&config, "s", |f| f.max_ms >= 0, |_, _| Ok(0)).unwrap();
        assert_eq!(stats.expired_files, 1);
    }
}
