//! What a reader sees: a [`Snapshot`] of one stream, and a [`ReadView`] of every stream one evaluation
//! reads, taken at one instant.
//!
//! A snapshot is a list of `Arc`s: cheap to take, and unaffected by later appends, seals, compactions or
//! retention. An evaluation puts its `ReadView` in the DataFusion task context, so every scan of that
//! evaluation (a self-join reads a stream twice) sees the same rows, and the evaluation's `data_time`
//! comes from the same instant. This module holds no data of its own.

use std::collections::HashMap;
use std::sync::Arc;

use super::segment::Segment;

/// One stream's segments at one moment.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub sealed: Vec<Arc<Segment>>,
    /// The open segment as it was (cloning batches clones `Arc`s, not data).
    pub open: Option<Arc<Segment>>,
    /// The newest event time the stream held then (epoch ms).
    pub max_event_ms: Option<i64>,
}

impl Snapshot {
    pub fn segments(&self) -> impl Iterator<Item = &Arc<Segment>> {
        self.sealed.iter().chain(self.open.iter())
    }

    pub fn rows(&self) -> usize {
        self.segments().map(|s| s.rows).sum()
    }
}

/// The snapshots one evaluation reads, by stream name.
#[derive(Debug, Clone, Default)]
pub struct ReadView {
    streams: HashMap<String, Arc<Snapshot>>,
}

impl ReadView {
    pub fn new(streams: impl IntoIterator<Item = (String, Snapshot)>) -> ReadView {
        ReadView {
            streams: streams.into_iter().map(|(n, s)| (n, Arc::new(s))).collect(),
        }
    }

    pub fn get(&self, stream: &str) -> Option<&Arc<Snapshot>> {
        self.streams.get(stream)
    }

    /// The same view, except that `stream` shows only `segments` (treated as sealed). The engine uses it
    /// to run part of a plan over chosen segments.
    pub fn only(&self, stream: &str, segments: Vec<Arc<Segment>>) -> ReadView {
        let mut streams = self.streams.clone();
        let max_event_ms = segments.iter().map(|s| s.max_ms).max();
        streams.insert(
            stream.to_string(),
            Arc::new(Snapshot {
                sealed: segments,
                open: None,
                max_event_ms,
            }),
        );
        ReadView { streams }
    }

    /// The newest event time among the streams of the view (epoch ms).
    pub fn max_event_ms(&self) -> Option<i64> {
        self.streams.values().filter_map(|s| s.max_event_ms).max()
    }
}
