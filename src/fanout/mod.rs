//! Fan-out: one topic per scenario; every update is encoded once and the same bytes go to every subscriber
//! (once per distinct filter, for filtered subscriptions).
//!
//! Each WebSocket client has one queue of frames, bounded in bytes. Publishing never waits: when a client's
//! queue is full, the client is marked as lagging on that topic and gets no more of its deltas; once the
//! client has drained its queue, it receives one fresh snapshot at the topic's current `seq` instead of the
//! backlog (PROTOCOL.md: "a slow client ... gets one fresh snapshot"). Both the lag mark and its clearing
//! happen under the topic's lock, so the snapshot and the deltas after it are contiguous.
//!
//! A topic keeps its last updates (default 256) so a client that reconnects with `resume` gets what it
//! missed, in order, when the epoch matches and the history still reaches back far enough.
//! This module does not evaluate or diff; it is handed finished results by the engine.

pub mod filter;
pub mod message;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use parking_lot::{Mutex, RwLock};
use serde_json::Value;
use tokio::sync::mpsc;

pub use filter::Filter;

use crate::values::{ColumnInfo, Row};

/// A text frame, validated as UTF-8 once and shared by reference count.
pub type Frame = axum::extract::ws::Utf8Bytes;

/// Updates a topic keeps for `resume`, unless configured otherwise.
pub const DEFAULT_HISTORY: usize = 256;

/// A scenario's result as of one update.
#[derive(Debug, Clone)]
pub struct ResultView {
    pub scenario: Arc<str>,
    pub epoch: Arc<str>,
    pub seq: u64,
    pub columns: Arc<Vec<ColumnInfo>>,
    pub key: Arc<Vec<String>>,
    pub rows: Arc<Vec<Row>>,
    /// Row index by the JSON text of its key (empty for unkeyed scenarios).
    pub index: Arc<HashMap<String, usize>>,
    pub evaluated_at: Option<DateTime<Utc>>,
    pub data_time: Option<DateTime<Utc>>,
}

impl ResultView {
    /// Positions of the key columns.
    pub fn key_positions(&self) -> Vec<usize> {
        self.key
            .iter()
            .filter_map(|k| self.columns.iter().position(|c| &c.name == k))
            .collect()
    }

    fn row_by_key(&self, key: &[Value]) -> Option<&Row> {
        let text = serde_json::to_string(key).ok()?;
        self.index.get(&text).map(|&i| &self.rows[i])
    }
}

/// What changed from the previous view.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Clients replace their state (first result, unkeyed scenarios).
    Snapshot,
    /// Keyed scenarios: rows to insert or replace, and keys to delete.
    Delta { upsert: Vec<Row>, delete: Vec<Vec<Value>> },
}

/// One connected client, as the topics see it.
#[derive(Debug)]
pub struct Client {
    pub id: u64,
    tx: mpsc::Sender<Frame>,
    queued_bytes: AtomicUsize,
    max_bytes: usize,
    /// Topics on which this client lags and is owed a snapshot.
    owed: Mutex<Vec<Arc<Topic>>>,
}

impl Client {
    /// Queues a frame without waiting; false when the queue is full (in frames or bytes) or the client is gone.
    pub fn try_send(&self, frame: Frame) -> bool {
        let len = frame.len();
        // Count first: the writer may take the frame (and subtract) before this call returns.
        if self.queued_bytes.fetch_add(len, Ordering::AcqRel) + len > self.max_bytes || self.tx.try_send(frame).is_err()
        {
            self.queued_bytes.fetch_sub(len, Ordering::AcqRel);
            return false;
        }
        true
    }

    /// The writer took a frame of `len` bytes off the queue.
    pub fn sent(&self, len: usize) {
        self.queued_bytes.fetch_sub(len, Ordering::AcqRel);
    }

    pub fn queued_bytes(&self) -> usize {
        self.queued_bytes.load(Ordering::Acquire)
    }

    /// Snapshots this client is owed, to send once its queue has drained.
    pub fn take_owed(&self) -> Vec<Arc<Topic>> {
        std::mem::take(&mut *self.owed.lock())
    }

    pub fn is_owed(&self) -> bool {
        !self.owed.lock().is_empty()
    }
}

#[derive(Debug, Clone)]
struct Subscriber {
    client: Arc<Client>,
    filter: Option<Arc<Filter>>,
}

#[derive(Debug, Default)]
struct TopicInner {
    /// The epoch whose updates are current; updates of another epoch (an evaluation of a replaced
    /// definition that finished late) are dropped.
    epoch: Option<Arc<str>>,
    current: Option<Arc<ResultView>>,
    /// The snapshot frame of `current`, encoded on first need.
    snapshot: Option<Frame>,
    subscribers: HashMap<u64, Subscriber>,
    lagging: HashSet<u64>,
    /// The last updates as sent to unfiltered subscribers: `(seq, frame)`.
    history: VecDeque<(u64, Frame)>,
    history_len: usize,
}

/// A scenario's stream of updates.
#[derive(Debug)]
pub struct Topic {
    pub name: Arc<str>,
    inner: Mutex<TopicInner>,
    stats: Arc<FanoutStats>,
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct FanoutStats {
    pub frames_queued: AtomicU64,
    pub bytes_queued: AtomicU64,
    pub lagged: AtomicU64,
    pub resumed: AtomicU64,
}

/// Where a client wants to pick up a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resume {
    pub epoch: String,
    pub seq: u64,
}

impl Topic {
    fn new(name: &str, stats: Arc<FanoutStats>, history_len: usize) -> Topic {
        Topic {
            name: name.into(),
            inner: Mutex::new(TopicInner {
                history_len,
                ..TopicInner::default()
            }),
            stats,
        }
    }

    /// A topic outside any hub (one-shot queries need one to hold nothing).
    pub fn detached(name: &str) -> Topic {
        Topic::new(name, Arc::new(FanoutStats::default()), 0)
    }

    /// The snapshot for a subscriber: shared when unfiltered, its own when filtered.
    fn snapshot_for(inner: &mut TopicInner, filter: Option<&Filter>) -> Option<Frame> {
        let view = inner.current.as_ref()?;
        match filter {
            Some(f) => Some(message::snapshot_rows(view, &f.rows(view))),
            None => {
                if inner.snapshot.is_none() {
                    inner.snapshot = Some(message::snapshot(view));
                }
                inner.snapshot.clone()
            }
        }
    }

    /// Adds `client` and queues what it needs first: the missed updates when `resume` can be honoured,
    /// nothing when it missed nothing, else the current snapshot (when there is a result yet).
    pub fn subscribe(self: &Arc<Self>, client: &Arc<Client>, filter: Option<Filter>, resume: Option<&Resume>) {
        let mut inner = self.inner.lock();
        let filter = filter.map(Arc::new);
        inner.subscribers.insert(
            client.id,
            Subscriber {
                client: client.clone(),
                filter: filter.clone(),
            },
        );
        inner.lagging.remove(&client.id);
        if filter.is_none() {
            if let Some(frames) = resume.and_then(|r| Self::missed(&inner, r)) {
                self.stats.resumed.fetch_add(1, Ordering::Relaxed);
                for frame in frames {
                    self.deliver(&mut inner, client, &frame);
                }
                return;
            }
        }
        if let Some(frame) = Self::snapshot_for(&mut inner, filter.as_deref()) {
            self.deliver(&mut inner, client, &frame);
        }
    }

    /// The updates after `r.seq` when the history holds all of them in the same epoch.
    fn missed(inner: &TopicInner, r: &Resume) -> Option<Vec<Frame>> {
        let current = inner.current.as_ref()?;
        if *current.epoch != *r.epoch || r.seq > current.seq {
            return None;
        }
        if r.seq == current.seq {
            return Some(Vec::new());
        }
        let oldest = inner.history.front()?.0;
        (oldest <= r.seq + 1).then(|| {
            inner
                .history
                .iter()
                .filter(|(seq, _)| *seq > r.seq)
                .map(|(_, f)| f.clone())
                .collect()
        })
    }

    pub fn unsubscribe(&self, client_id: u64) {
        let mut inner = self.inner.lock();
        inner.subscribers.remove(&client_id);
        inner.lagging.remove(&client_id);
    }

    fn deliver(self: &Arc<Self>, inner: &mut TopicInner, client: &Arc<Client>, frame: &Frame) {
        if client.try_send(frame.clone()) {
            self.stats.frames_queued.fetch_add(1, Ordering::Relaxed);
            self.stats.bytes_queued.fetch_add(frame.len() as u64, Ordering::Relaxed);
        } else if inner.lagging.insert(client.id) {
            self.stats.lagged.fetch_add(1, Ordering::Relaxed);
            client.owed.lock().push(self.clone());
        }
    }

    /// Replaces the current view and sends the change to every subscriber that keeps up: the same frame to
    /// all unfiltered subscribers, and one frame per distinct filter.
    pub fn publish(self: &Arc<Self>, view: Arc<ResultView>, change: &Change) {
        let mut inner = self.inner.lock();
        if inner.epoch.as_ref().is_some_and(|e| *e != view.epoch) {
            return;
        }
        let frame = match change {
            Change::Snapshot => message::snapshot(&view),
            Change::Delta { upsert, delete } => message::delta(&view, upsert, delete),
        };
        let previous = inner.current.replace(view.clone());
        inner.snapshot = matches!(change, Change::Snapshot).then(|| frame.clone());
        if inner.history_len > 0 {
            inner.history.push_back((view.seq, frame.clone()));
            while inner.history.len() > inner.history_len {
                inner.history.pop_front();
            }
        }
        let receivers: Vec<Subscriber> = inner
            .subscribers
            .values()
            .filter(|s| !inner.lagging.contains(&s.client.id))
            .cloned()
            .collect();
        let mut per_filter: HashMap<String, Frame> = HashMap::new();
        for sub in receivers {
            let frame = match &sub.filter {
                None => frame.clone(),
                Some(f) => per_filter
                    .entry(f.id().to_string())
                    .or_insert_with(|| filtered(&view, previous.as_deref(), change, f))
                    .clone(),
            };
            self.deliver(&mut inner, &sub.client, &frame);
        }
    }

    /// For a lagging client that has drained its queue: clears the lag and returns the snapshot to send now.
    pub fn resync(&self, client_id: u64) -> Option<Frame> {
        let mut inner = self.inner.lock();
        if !inner.lagging.remove(&client_id) {
            return None;
        }
        let filter = inner.subscribers.get(&client_id)?.filter.clone();
        Self::snapshot_for(&mut inner, filter.as_deref())
    }

    /// Starts a new epoch: only updates of that epoch are published from now on.
    pub fn set_epoch(&self, epoch: Arc<str>) {
        let mut inner = self.inner.lock();
        inner.epoch = Some(epoch);
        inner.history.clear();
    }

    /// Sends a frame that is not part of the result (alerts) to every subscriber that has room for it and
    /// whose filter (if any) matches `row` of `columns`.
    pub fn broadcast(&self, frame: &Frame, columns: Option<(&[ColumnInfo], &Row)>) {
        let inner = self.inner.lock();
        for sub in inner.subscribers.values() {
            if let (Some(f), Some((cols, row))) = (&sub.filter, columns) {
                if !f.matches_row(cols, row) {
                    continue;
                }
            }
            if sub.client.try_send(frame.clone()) {
                self.stats.frames_queued.fetch_add(1, Ordering::Relaxed);
                self.stats.bytes_queued.fetch_add(frame.len() as u64, Ordering::Relaxed);
            } else {
                self.stats.lagged.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    pub fn current(&self) -> Option<Arc<ResultView>> {
        self.inner.lock().current.clone()
    }

    pub fn subscriber_count(&self) -> usize {
        self.inner.lock().subscribers.len()
    }

    /// Tells every subscriber the topic is gone (`scenario_removed`) and forgets them.
    fn close(&self) {
        let mut inner = self.inner.lock();
        let frame = message::error("scenario_removed", "the scenario was removed", Some(&self.name));
        for sub in inner.subscribers.values() {
            sub.client.try_send(frame.clone());
        }
        inner.subscribers.clear();
        inner.lagging.clear();
    }
}

/// The change as a filtered subscriber must see it: upserts of matching rows; deletes of keys whose old
/// row matched, including rows that moved out of the filter. Always a frame, possibly an empty delta, so
/// `seq` stays contiguous.
fn filtered(view: &ResultView, previous: Option<&ResultView>, change: &Change, f: &Filter) -> Frame {
    match change {
        Change::Snapshot => message::snapshot_rows(view, &f.rows(view)),
        Change::Delta { upsert, delete } => {
            let key = view.key_positions();
            let key_of = |row: &Row| -> Vec<Value> { key.iter().map(|&i| row[i].clone()).collect() };
            let was_matching = |k: &[Value]| {
                previous
                    .and_then(|p| p.row_by_key(k))
                    .is_some_and(|old| f.matches_row(&view.columns, old))
            };
            let mut up = Vec::new();
            let mut del = Vec::new();
            for row in upsert {
                if f.matches_row(&view.columns, row) {
                    up.push(row.clone());
                } else if was_matching(&key_of(row)) {
                    del.push(key_of(row));
                }
            }
            for k in delete {
                if was_matching(k) {
                    del.push(k.clone());
                }
            }
            message::delta(view, &up, &del)
        }
    }
}

/// All topics and the client registry.
#[derive(Debug)]
pub struct Hub {
    topics: RwLock<HashMap<String, Arc<Topic>>>,
    next_client: AtomicU64,
    pub stats: Arc<FanoutStats>,
    clients: AtomicU64,
    history_len: usize,
}

impl Default for Hub {
    fn default() -> Hub {
        Hub::new(DEFAULT_HISTORY)
    }
}

impl Hub {
    pub fn new(history_len: usize) -> Hub {
        Hub {
            topics: RwLock::new(HashMap::new()),
            next_client: AtomicU64::new(0),
            stats: Arc::new(FanoutStats::default()),
            clients: AtomicU64::new(0),
            history_len,
        }
    }

    /// The topic of a scenario, created on first use.
    pub fn topic(&self, name: &str) -> Arc<Topic> {
        if let Some(t) = self.topics.read().get(name) {
            return t.clone();
        }
        self.topics
            .write()
            .entry(name.to_string())
            .or_insert_with(|| Arc::new(Topic::new(name, self.stats.clone(), self.history_len)))
            .clone()
    }

    /// The names of all topics (scenarios and `alerts`).
    pub fn names(&self) -> Vec<String> {
        self.topics.read().keys().cloned().collect()
    }

    pub fn existing(&self, name: &str) -> Option<Arc<Topic>> {
        self.topics.read().get(name).cloned()
    }

    /// Removes a topic; its subscribers are told with `scenario_removed`.
    pub fn remove(&self, name: &str) {
        if let Some(t) = self.topics.write().remove(name) {
            t.close();
        }
    }

    /// A new client whose queue holds at most `max_frames` frames and `max_bytes` bytes; the receiver is
    /// for its writer task.
    pub fn connect(&self, max_frames: usize, max_bytes: usize) -> (Arc<Client>, mpsc::Receiver<Frame>) {
        let (tx, rx) = mpsc::channel(max_frames.max(1));
        let id = self.next_client.fetch_add(1, Ordering::Relaxed) + 1;
        self.clients.fetch_add(1, Ordering::Relaxed);
        let client = Arc::new(Client {
            id,
            tx,
            queued_bytes: AtomicUsize::new(0),
            max_bytes,
            owed: Mutex::new(Vec::new()),
        });
        (client, rx)
    }

    pub fn disconnect(&self, client: &Client, topics: impl IntoIterator<Item = Arc<Topic>>) {
        for t in topics {
            t.unsubscribe(client.id);
        }
        self.clients.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn client_count(&self) -> u64 {
        self.clients.load(Ordering::Relaxed)
    }
}
