//! Replaying one WAL file: every record's batches, in order, until a torn or corrupt record, where the file
//! is cut. Reads only; the WAL itself decides which files to replay and what to keep.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::Path;

use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::record_batch::RecordBatch;

use super::{io, ReplayStats, WalError, HEADER, MAGIC, MAX_RECORD};

/// Replays one file; returns the newest event time in it (`None` when it holds no records). Cuts a torn
/// or corrupt tail.
pub(super) fn replay_file(
    path: &Path,
    each: &mut dyn FnMut(RecordBatch) -> Result<i64, String>,
    stats: &mut ReplayStats,
) -> Result<Option<i64>, WalError> {
    let mut data = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut data))
        .map_err(io(path))?;
    stats.files += 1;
    if data.len() < MAGIC.len() {
        if MAGIC.starts_with(&data) {
            // Created, then the process died before the header was complete.
            return Ok(None);
        }
        return Err(WalError::NotWal {
            path: path.display().to_string(),
        });
    }
    if &data[..MAGIC.len()] != MAGIC {
        return Err(WalError::NotWal {
            path: path.display().to_string(),
        });
    }
    let mut at = MAGIC.len();
    let mut max_ms: Option<i64> = None;
    let mut problem = None;
    while at < data.len() {
        if data.len() - at < HEADER {
            problem = Some("a torn record header");
            break;
        }
        let len = u32::from_le_bytes(data[at..at + 4].try_into().expect("4 bytes")) as usize;
        let crc = u32::from_le_bytes(data[at + 4..at + 8].try_into().expect("4 bytes"));
        if len > MAX_RECORD || data.len() - at - HEADER < len {
            problem = Some("a torn record");
            break;
        }
        let payload = &data[at + HEADER..at + HEADER + len];
        if crc32fast::hash(payload) != crc {
            problem = Some("a record that fails its checksum");
            break;
        }
        let batches: Result<Vec<RecordBatch>, _> =
            StreamReader::try_new(std::io::Cursor::new(payload), None).and_then(|r| r.collect::<Result<Vec<_>, _>>());
        let Ok(batches) = batches else {
            problem = Some("a record that is not a readable Arrow IPC stream");
            break;
        };
        for b in batches {
            stats.rows += b.num_rows();
            let m = each(b).map_err(|message| WalError::Replay {
                path: path.display().to_string(),
                message,
            })?;
            max_ms = Some(max_ms.map_or(m, |x| x.max(m)));
        }
        stats.records += 1;
        at += HEADER + len;
    }
    if let Some(what) = problem {
        let cut = (data.len() - at) as u64;
        tracing::warn!(
            file = %path.display(),
            offset = at,
            bytes = cut,
            "WAL: {what} at the end of the file (a crash mid-write?); cutting it off and keeping everything before it"
        );
        OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|f| {
                f.set_len(at as u64)?;
                f.sync_all()
            })
            .map_err(io(path))?;
        stats.cut_bytes += cut;
        metrics::counter!("ioc_wal_cut_bytes_total").increment(cut);
    }
    Ok(max_ms)
}
