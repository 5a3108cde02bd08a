//! What every source reports: its state, counters, consumer lag and the last rejected messages, for
//! `GET /api/v1/sources`, `GET /api/v1/sources/{stream}/rejects` and `/metrics`. Shared by the source's
//! task (which writes) and the API (which reads); it holds no connection.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use serde::Serialize;

/// Rejected messages kept per source.
pub const REJECTS_KEPT: usize = 100;
/// Bytes of a rejected payload kept for the operator.
const PREVIEW_BYTES: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = SourceState)]
pub enum State {
    Connecting,
    Connected,
    Error,
}

/// A message that was rejected, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Reject {
    pub at: String,
    /// The NATS subject or MQTT topic it came on.
    pub subject: String,
    pub reason: String,
    pub bytes: usize,
    /// The start of the payload (lossy UTF-8).
    pub preview: String,
}

#[derive(Debug)]
pub struct SourceStatus {
    pub stream: String,
    pub kind: &'static str,
    pub name: String,
    state: Mutex<(State, Option<String>)>,
    /// Messages received from the broker.
    pub received: AtomicU64,
    /// Messages acknowledged after their events were stored.
    pub acked: AtomicU64,
    /// Messages rejected (undecodable or invalid).
    pub rejected: AtomicU64,
    /// Events stored (new, not duplicates).
    pub events: AtomicU64,
    /// Events ignored as duplicates (redeliveries).
    pub duplicates: AtomicU64,
    /// JetStream consumer lag (messages not yet delivered); `u64::MAX` when not known.
    pending: AtomicU64,
    rejects: Mutex<VecDeque<Reject>>,
}

/// `GET /api/v1/sources` entry.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SourceInfo {
    pub stream: String,
    pub kind: &'static str,
    pub name: String,
    pub state: State,
    pub last_error: Option<String>,
    pub received: u64,
    pub acked: u64,
    pub rejected: u64,
    pub events: u64,
    pub duplicates: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<u64>,
}

impl SourceStatus {
    pub fn new(stream: &str, kind: &'static str, name: &str) -> SourceStatus {
        SourceStatus {
            stream: stream.to_string(),
            kind,
            name: name.to_string(),
            state: Mutex::new((State::Connecting, None)),
            received: AtomicU64::new(0),
            acked: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            events: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            pending: AtomicU64::new(u64::MAX),
            rejects: Mutex::new(VecDeque::new()),
        }
    }

    /// Sets the state; `error` replaces `last_error` when given (a connected source keeps its last error).
    pub fn set(&self, state: State, error: Option<String>) {
        let mut s = self.state.lock();
        s.0 = state;
        if error.is_some() {
            s.1 = error;
        }
    }

    pub fn state(&self) -> State {
        self.state.lock().0
    }

    pub fn set_pending(&self, pending: u64) {
        self.pending.store(pending, Ordering::Relaxed);
    }

    pub fn reject(&self, subject: &str, payload: &[u8], reason: String) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(stream = %self.stream, source = %self.name, subject, %reason, "message rejected");
        let end = payload.len().min(PREVIEW_BYTES);
        let reject = Reject {
            at: crate::values::format_time(chrono::Utc::now()),
            subject: subject.to_string(),
            reason,
            bytes: payload.len(),
            preview: String::from_utf8_lossy(&payload[..end]).into_owned(),
        };
        let mut list = self.rejects.lock();
        if list.len() == REJECTS_KEPT {
            list.pop_front();
        }
        list.push_back(reject);
    }

    /// The rejected messages kept, oldest first.
    pub fn rejects(&self) -> Vec<Reject> {
        self.rejects.lock().iter().cloned().collect()
    }

    pub fn info(&self) -> SourceInfo {
        let (state, last_error) = self.state.lock().clone();
        let pending = self.pending.load(Ordering::Relaxed);
        SourceInfo {
            stream: self.stream.clone(),
            kind: self.kind,
            name: self.name.clone(),
            state,
            last_error,
            received: self.received.load(Ordering::Relaxed),
            acked: self.acked.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            events: self.events.load(Ordering::Relaxed),
            duplicates: self.duplicates.load(Ordering::Relaxed),
            pending: (pending != u64::MAX).then_some(pending),
        }
    }

    /// Writes this source's counters and gauges to the metrics recorder (rendered by `/metrics`).
    pub fn record_metrics(&self) {
        let info = self.info();
        let labels = [
            ("stream", info.stream.clone()),
            ("kind", info.kind.to_string()),
            ("source", info.name.clone()),
        ];
        metrics::counter!("ioc_source_received_total", &labels).absolute(info.received);
        metrics::counter!("ioc_source_acked_total", &labels).absolute(info.acked);
        metrics::counter!("ioc_source_rejected_total", &labels).absolute(info.rejected);
        metrics::counter!("ioc_source_events_total", &labels).absolute(info.events);
        metrics::counter!("ioc_source_duplicates_total", &labels).absolute(info.duplicates);
        let up = if info.state == State::Connected { 1.0 } else { 0.0 };
        metrics::gauge!("ioc_source_connected", &labels).set(up);
        if let Some(p) = info.pending {
            metrics::gauge!("ioc_source_pending", &labels).set(p as f64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_rejects() {
        let s = SourceStatus::new("a", "nats", "d");
        for i in 0..150 {
            s.reject("x", format!("bad {i}").as_bytes(), format!("reason {i}"));
        }
        let list = s.rejects();
        assert_eq!(list.len(), REJECTS_KEPT);
        assert_eq!(list[0].reason, "reason 50");
        assert_eq!(s.info().rejected, 150);
        assert_eq!(s.info().pending, None);
    }
}
