//! The manifest of a stream's history: `DATA_DIR/history/STREAM/manifest.json`, the one record of which
//! Parquet files hold the stream's history and of what the WAL no longer needs to replay.
//!
//! A file is part of the history when, and only when, the manifest lists it: a file written but not yet
//! listed (a crash between the two) is deleted at the next start, and the WAL still holds its events. The
//! manifest also records the *watermark* and the WAL file it was taken at: every event older than the
//! watermark that was appended to a WAL file numbered below `wal_from` is in a listed file. A replay skips
//! those events, and keeps every event of later files (late ones included) for the next move. The manifest
//! is replaced atomically (a temporary file, `fsync`, a rename, `fsync` of the folder).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One Parquet file of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path relative to the stream's history folder: `DAY/NUMBER.parquet`.
    pub name: String,
    /// The UTC day of every event in it (`2026-03-01`).
    pub day: String,
    pub min_ms: i64,
    pub max_ms: i64,
    pub rows: u64,
    /// Bytes on disk.
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    /// Every event older than this, from a WAL file numbered below `wal_from`, is in a listed file.
    pub watermark_ms: i64,
    pub wal_from: u64,
    /// The number the next file will take.
    pub next_file: u64,
    pub files: Vec<FileEntry>,
}

impl Default for Manifest {
    fn default() -> Manifest {
        Manifest {
            version: 1,
            watermark_ms: i64::MIN,
            wal_from: 0,
            next_file: 0,
            files: Vec::new(),
        }
    }
}

pub const NAME: &str = "manifest.json";

impl Manifest {
    /// The manifest of `dir`, or an empty one when there is none yet.
    pub fn load(dir: &Path) -> Result<Manifest, String> {
        let path = dir.join(NAME);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Writes the manifest to `dir`, replacing the last one atomically and durably.
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!("{NAME}.tmp"));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, dir.join(NAME))?;
        sync_dir(dir)
    }

    pub fn path_of(&self, dir: &Path, entry: &FileEntry) -> PathBuf {
        dir.join(&entry.name)
    }
}

/// Makes a folder's entries (a new or renamed file) durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_and_loads_and_starts_empty() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Manifest::load(dir.path()).unwrap(), Manifest::default());
        let m = Manifest {
            watermark_ms: 5,
            wal_from: 3,
            next_file: 2,
            files: vec![FileEntry {
                name: "2026-03-01/00000001.parquet".into(),
                day: "2026-03-01".into(),
                min_ms: 1,
                max_ms: 4,
                rows: 10,
                bytes: 100,
            }],
            ..Manifest::default()
        };
        m.save(dir.path()).unwrap();
        assert_eq!(Manifest::load(dir.path()).unwrap(), m);
        std::fs::write(dir.path().join(NAME), b"{not json").unwrap();
        assert!(Manifest::load(dir.path()).unwrap_err().contains(NAME));
    }
}
