//! Fan-out: one topic per scenario; every update is encoded once and the same bytes go to every subscriber
//! (once per distinct filter, for filtered subscriptions).
//!
//! Each WebSocket client has one queue of frames, bounded in bytes. Publishing never waits: when a client's
//! queue is full, the client is marked as lagging on that topic and gets no more of its deltas; once the
//! client has drained its queue, it receives one fresh snapshot at the topic's current `seq` instead of the
//! backlog (PROTOCOL.md: "a slow client ... gets one fresh snapshot"). Both the lag mark and its clearing
//! happen under the topic's lock, so the snapshot and the deltas after it are contiguous.
//!
//! A topic keeps its last updates ([`history`]: bounded in updates, bytes and age) so a client that
//! reconnects with `resume` gets what it missed, in order, when the epoch matches and the history still
//! reaches back far enough; otherwise it gets a snapshot.
//! This module does not evaluate or diff; it is handed finished results by the engine.

pub mod client;
pub mod filter;
pub mod frame;
pub mod history;
pub mod message;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use parking_lot::{Mutex, RwLock};
use serde_json::Value;
use tokio::sync::mpsc;

pub use client::{Client, Owed};
pub use filter::{Filter, FilterError};
pub use frame::Frame;
use history::History;
pub use history::HistoryLimits;

use crate::values::{ColumnInfo, Row};

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

/// A subscription within a topic: a client, and the id it gave the subscription (none: the client's
/// one subscription to the topic without an id). One client may hold several, with different ids.
type SubKey = (u64, Option<Arc<str>>);

#[derive(Debug, Clone)]
struct Subscriber {
    client: Arc<Client>,
    id: Option<Arc<str>>,
    filter: Option<Arc<Filter>>,
}

impl Subscriber {
    fn key(&self) -> SubKey {
        (self.client.id, self.id.clone())
    }

    /// `frame` as this subscription receives it: with its id, when it has one.
    fn frame(&self, frame: &Frame) -> Frame {
        match &self.id {
            Some(id) => message::with_id(frame, id),
            None => frame.clone(),
        }
    }
}

#[derive(Debug)]
struct TopicInner {
    /// The epoch whose updates are current; updates of another epoch (an evaluation of a replaced
    /// definition that finished late) are dropped.
    epoch: Option<Arc<str>>,
    current: Option<Arc<ResultView>>,
    /// The snapshot frame of `current`, encoded on first need.
    snapshot: Option<Frame>,
    subscribers: HashMap<SubKey, Subscriber>,
    lagging: HashSet<SubKey>,
    /// The last updates as sent to unfiltered subscribers.
    history: History,
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
    /// Bytes the histories of all topics hold.
    pub history_bytes: Arc<AtomicUsize>,
}

/// The fan-out's counters at one moment, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FanoutTotals {
    pub frames_queued: u64,
    pub bytes_queued: u64,
    pub lagged: u64,
    pub resumed: u64,
    pub history_bytes: usize,
}

/// Where a client wants to pick up a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resume {
    pub epoch: String,
    pub seq: u64,
}

impl Topic {
    fn new(name: &str, stats: Arc<FanoutStats>, history: HistoryLimits) -> Topic {
        Topic {
            name: name.into(),
            inner: Mutex::new(TopicInner {
                epoch: None,
                current: None,
                snapshot: None,
                subscribers: HashMap::new(),
                lagging: HashSet::new(),
                history: History::new(history, stats.history_bytes.clone()),
            }),
            stats,
        }
    }

    /// A topic outside any hub (one-shot queries need one to hold nothing).
    pub fn detached(name: &str) -> Topic {
        let none = HistoryLimits {
            updates: 0,
            ..HistoryLimits::default()
        };
        Topic::new(name, Arc::new(FanoutStats::default()), none)
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

    /// Adds a subscription of `client` (with its `id`, if any; one of the same id is replaced) and queues
    /// what it needs first: the missed updates when `resume` can be honoured, nothing when it missed
    /// nothing, else the current snapshot (when there is a result yet).
    pub fn subscribe(
        self: &Arc<Self>,
        client: &Arc<Client>,
        id: Option<Arc<str>>,
        filter: Option<Filter>,
        resume: Option<&Resume>,
    ) {
        let mut inner = self.inner.lock();
        let sub = Subscriber {
            client: client.clone(),
            id,
            filter: filter.map(Arc::new),
        };
        inner.subscribers.insert(sub.key(), sub.clone());
        inner.lagging.remove(&sub.key());
        if sub.filter.is_none() {
            if let Some(frames) = resume.and_then(|r| Self::missed(&inner, r)) {
                self.stats.resumed.fetch_add(1, Ordering::Relaxed);
                for frame in frames {
                    self.deliver(&mut inner, &sub, &sub.frame(&frame));
                }
                return;
            }
        }
        if let Some(frame) = Self::snapshot_for(&mut inner, sub.filter.as_deref()) {
            self.deliver(&mut inner, &sub, &sub.frame(&frame));
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
        inner.history.after(r.seq)
    }

    /// Ends the subscription of `client_id` with `id` (none: the one without an id).
    pub fn unsubscribe(&self, client_id: u64, id: Option<&str>) {
        let key = (client_id, id.map(Arc::from));
        let mut inner = self.inner.lock();
        inner.subscribers.remove(&key);
        inner.lagging.remove(&key);
    }

    /// Ends every subscription of `client_id` (it disconnected).
    pub fn unsubscribe_client(&self, client_id: u64) {
        let mut inner = self.inner.lock();
        inner.subscribers.retain(|k, _| k.0 != client_id);
        inner.lagging.retain(|k| k.0 != client_id);
    }

    fn deliver(self: &Arc<Self>, inner: &mut TopicInner, sub: &Subscriber, frame: &Frame) {
        if sub.client.try_send(frame.clone()) {
            self.stats.frames_queued.fetch_add(1, Ordering::Relaxed);
            self.stats.bytes_queued.fetch_add(frame.len() as u64, Ordering::Relaxed);
        } else if inner.lagging.insert(sub.key()) {
            self.stats.lagged.fetch_add(1, Ordering::Relaxed);
            sub.client.owe(self.clone(), sub.id.clone());
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
        let snapshot = matches!(change, Change::Snapshot);
        inner
            .history
            .push(view.seq, &frame, snapshot, std::time::Instant::now());
        let receivers: Vec<Subscriber> = inner
            .subscribers
            .iter()
            .filter(|(k, _)| !inner.lagging.contains(*k))
            .map(|(_, s)| s.clone())
            .collect();
        // One frame per distinct filter, and per distinct subscription id (which the frame carries).
        let mut per_filter: HashMap<String, Frame> = HashMap::new();
        let mut per_id: HashMap<(String, Arc<str>), Frame> = HashMap::new();
        for sub in receivers {
            let plain = match &sub.filter {
                None => frame.clone(),
                Some(f) => per_filter
                    .entry(f.id().to_string())
                    .or_insert_with(|| filtered(&view, previous.as_deref(), change, f))
                    .clone(),
            };
            let frame = match &sub.id {
                None => plain,
                Some(id) => {
                    let filter = sub.filter.as_ref().map_or("", |f| f.id()).to_string();
                    per_id
                        .entry((filter, id.clone()))
                        .or_insert_with(|| message::with_id(&plain, id))
                        .clone()
                }
            };
            self.deliver(&mut inner, &sub, &frame);
        }
    }

    /// For a lagging subscription whose client has drained its queue: clears the lag and returns the
    /// snapshot to send now.
    pub fn resync(&self, client_id: u64, id: Option<&str>) -> Option<Frame> {
        let key = (client_id, id.map(Arc::from));
        let mut inner = self.inner.lock();
        if !inner.lagging.remove(&key) {
            return None;
        }
        let sub = inner.subscribers.get(&key)?.clone();
        Self::snapshot_for(&mut inner, sub.filter.as_deref()).map(|f| sub.frame(&f))
    }

    /// Replaces the topic's state with `view`, whose epoch becomes current, and sends every subscriber a
    /// snapshot of it (a cluster node continuing another's result, an edge following a new epoch). The
    /// history restarts from that snapshot, so a client resuming at or after its `seq` misses nothing.
    pub fn reset(self: &Arc<Self>, view: Arc<ResultView>) {
        let mut inner = self.inner.lock();
        inner.epoch = Some(view.epoch.clone());
        let frame = message::snapshot(&view);
        inner.current = Some(view.clone());
        inner.snapshot = Some(frame.clone());
        inner.history.push(view.seq, &frame, true, std::time::Instant::now());
        inner.lagging.clear();
        let subscribers: Vec<Subscriber> = inner.subscribers.values().cloned().collect();
        for sub in subscribers {
            let own = match &sub.filter {
                None => frame.clone(),
                Some(f) => message::snapshot_rows(&view, &f.rows(&view)),
            };
            self.deliver(&mut inner, &sub, &sub.frame(&own));
        }
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
            if sub.client.try_send(sub.frame(frame)) {
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

    /// Bytes and updates this topic's history holds.
    pub fn history_size(&self) -> (usize, usize) {
        let inner = self.inner.lock();
        (inner.history.bytes(), inner.history.len())
    }

    /// Tells every subscriber the topic is gone (`scenario_removed`) and forgets them.
    fn close(&self) {
        let mut inner = self.inner.lock();
        let frame = message::error("scenario_removed", "the scenario was removed", Some(&self.name));
        for sub in inner.subscribers.values() {
            sub.client.try_send(sub.frame(&frame));
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
    stats: Arc<FanoutStats>,
    clients: AtomicU64,
    history: HistoryLimits,
}

impl Default for Hub {
    fn default() -> Hub {
        Hub::with_history(HistoryLimits::default())
    }
}

impl Hub {
    /// A hub whose topics keep `history_updates` updates (and the default byte and age bounds).
    pub fn new(history_updates: usize) -> Hub {
        Hub::with_history(HistoryLimits {
            updates: history_updates,
            ..HistoryLimits::default()
        })
    }

    pub fn with_history(history: HistoryLimits) -> Hub {
        Hub {
            topics: RwLock::new(HashMap::new()),
            next_client: AtomicU64::new(0),
            stats: Arc::new(FanoutStats::default()),
            clients: AtomicU64::new(0),
            history,
        }
    }

    /// Bytes the histories of all topics hold.
    pub fn history_bytes(&self) -> usize {
        self.stats.history_bytes.load(Ordering::Relaxed)
    }

    /// What the fan-out has queued, how often clients lagged, and what the histories hold.
    pub fn totals(&self) -> FanoutTotals {
        let s = &self.stats;
        FanoutTotals {
            frames_queued: s.frames_queued.load(Ordering::Relaxed),
            bytes_queued: s.bytes_queued.load(Ordering::Relaxed),
            lagged: s.lagged.load(Ordering::Relaxed),
            resumed: s.resumed.load(Ordering::Relaxed),
            history_bytes: self.history_bytes(),
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
            .or_insert_with(|| Arc::new(Topic::new(name, self.stats.clone(), self.history)))
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
        let client = Arc::new(Client::new(id, tx, max_bytes));
        (client, rx)
    }

    pub fn disconnect(&self, client: &Client, topics: impl IntoIterator<Item = Arc<Topic>>) {
        for t in topics {
            t.unsubscribe_client(client.id);
        }
        self.clients.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn client_count(&self) -> u64 {
        self.clients.load(Ordering::Relaxed)
    }
}
