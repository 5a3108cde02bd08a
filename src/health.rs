//! What the server knows about its own health, for `/healthz` (liveness) and `/readyz` (readiness).
//!
//! One check today, `wal`: can the write-ahead log be written? Its state is the outcome of the most
//! recent attempt to write under `DATA_DIR/wal`, whichever came last: an ingest's append (recorded by
//! [`crate::wal`]) or the probe ([`probe_wal`]) that every few seconds recreates the WAL folder when it
//! is missing (the data directory was deleted) and writes and removes a small file in it (a full disk, a
//! read-only or unwritable folder fail it). The last failure stays visible after a recovery, and so does
//! what was mended (a WAL folder or file deleted under the server).
//!
//! This module does not answer HTTP (see `api::rest::healthz` / `readyz`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

/// How often the probe writes in the WAL folder.
pub const PROBE_EVERY: Duration = Duration::from_secs(2);
/// Bytes the probe writes: enough to need a free block.
const PROBE_BYTES: usize = 64 << 10;

/// One check: ok, or failing with a message since a time.
#[derive(Debug, Default)]
pub struct Check {
    failing: AtomicBool,
    state: Mutex<State>,
}

#[derive(Debug, Default, Clone, Serialize)]
struct State {
    /// The current failure, when failing.
    error: Option<String>,
    /// When the check started failing, or last recovered.
    #[serde(serialize_with = "time")]
    since: Option<DateTime<Utc>>,
    /// The most recent failure, kept after a recovery.
    last_error: Option<String>,
    #[serde(serialize_with = "time")]
    last_error_at: Option<DateTime<Utc>>,
}

fn time<S: serde::Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&crate::values::format_time(*t)),
        None => s.serialize_none(),
    }
}

/// A check as `/healthz` and `/readyz` show it.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub ok: bool,
    #[serde(flatten)]
    state: State,
}

impl Check {
    /// An attempt succeeded.
    pub fn pass(&self) {
        if !self.failing.load(Ordering::Acquire) {
            return;
        }
        let mut state = self.state.lock();
        if self.failing.swap(false, Ordering::AcqRel) {
            tracing::info!(error = ?state.error, "recovered");
            state.error = None;
            state.since = Some(Utc::now());
        }
    }

    /// An attempt failed with `error`.
    pub fn fail(&self, error: impl Into<String>) {
        let error = error.into();
        let mut state = self.state.lock();
        let now = Utc::now();
        if !self.failing.swap(true, Ordering::AcqRel) {
            tracing::error!(%error, "failing");
            state.since = Some(now);
        }
        state.last_error = Some(error.clone());
        state.last_error_at = Some(now);
        state.error = Some(error);
    }

    pub fn is_ok(&self) -> bool {
        !self.failing.load(Ordering::Acquire)
    }

    pub fn report(&self) -> Report {
        let state = self.state.lock().clone();
        Report {
            ok: self.is_ok(),
            state,
        }
    }
}

/// Every check of the server.
#[derive(Debug, Default)]
pub struct Health {
    pub wal: Arc<Check>,
}

impl Health {
    pub fn ready(&self) -> bool {
        self.wal.is_ok()
    }

    /// The checks by name.
    pub fn reports(&self) -> serde_json::Value {
        serde_json::json!({ "wal": self.wal.report() })
    }
}

/// Every [`PROBE_EVERY`]: recreates `wal_dir` when it is missing, and writes and removes a small file in
/// it; the outcome goes to `check`. Runs until `shutdown`.
pub async fn probe_wal(wal_dir: PathBuf, check: Arc<Check>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(PROBE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let dir = wal_dir.clone();
        let outcome = tokio::task::spawn_blocking(move || probe_once(&dir)).await;
        match outcome {
            Ok(Ok(None)) => check.pass(),
            Ok(Ok(Some(mended))) => {
                // Kept as the last error, so `/healthz` says it happened.
                check.fail(mended);
                check.pass();
            }
            Ok(Err(e)) => check.fail(e),
            Err(e) => check.fail(format!("the probe did not run: {e}")),
        }
    }
}

/// One probe: `Ok(Some(what))` when it had to mend something first.
fn probe_once(dir: &std::path::Path) -> Result<Option<String>, String> {
    use std::io::Write;
    let mended = (!dir.is_dir()).then(|| format!("{} was missing (deleted?); it was created again", dir.display()));
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(".probe");
    let written = std::fs::File::create(&path).and_then(|mut f| f.write_all(&[0u8; PROBE_BYTES]));
    let removed = std::fs::remove_file(&path);
    written.map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    removed.map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    Ok(mended)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_fails_recovers_and_remembers() {
        let check = Check::default();
        assert!(check.report().ok);
        check.fail("disk full");
        let r = check.report();
        assert!(!r.ok);
        assert_eq!(r.state.error.as_deref(), Some("disk full"));
        check.pass();
        let r = check.report();
        assert!(r.ok && r.state.error.is_none());
        assert_eq!(
            r.state.last_error.as_deref(),
            Some("disk full"),
            "kept after the recovery"
        );
    }

    #[test]
    fn the_probe_recreates_a_deleted_folder() {
        let dir = tempfile::tempdir().unwrap();
        let wal = dir.path().join("data/wal");
        assert!(probe_once(&wal).unwrap().is_some_and(|m| m.contains("missing")));
        assert!(wal.is_dir());
        assert_eq!(probe_once(&wal).unwrap(), None);
        assert_eq!(std::fs::read_dir(&wal).unwrap().count(), 0, "the probe file is removed");
    }
}
