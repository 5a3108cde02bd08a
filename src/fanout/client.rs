//! One connected client as the topics see it: a bounded queue of frames (in frames and in bytes) that
//! publishing fills without ever waiting, and the snapshots it is owed on the topics where it lagged.
//! This module does not write to sockets; the connection's writer drains the queue.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::mpsc;

use super::{Frame, Topic};

/// One connected client.
#[derive(Debug)]
pub struct Client {
    pub id: u64,
    tx: mpsc::Sender<Frame>,
    queued_bytes: AtomicUsize,
    max_bytes: usize,
    /// Subscriptions that lag and are owed a snapshot: the topic and the subscription's id.
    owed: Mutex<Vec<Owed>>,
}

/// A subscription owed a fresh snapshot once its client's queue has drained.
#[derive(Debug)]
pub struct Owed {
    pub topic: Arc<Topic>,
    pub id: Option<Arc<str>>,
}

impl Owed {
    /// Clears the lag and returns the snapshot to send now (none when the subscription has gone).
    pub fn resync(&self, client_id: u64) -> Option<Frame> {
        self.topic.resync(client_id, self.id.as_deref())
    }
}

impl Client {
    pub(super) fn new(id: u64, tx: mpsc::Sender<Frame>, max_bytes: usize) -> Client {
        Client {
            id,
            tx,
            queued_bytes: AtomicUsize::new(0),
            max_bytes,
            owed: Mutex::new(Vec::new()),
        }
    }

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

    pub(super) fn owe(&self, topic: Arc<Topic>, id: Option<Arc<str>>) {
        self.owed.lock().push(Owed { topic, id });
    }

    /// Snapshots this client is owed, to send once its queue has drained.
    pub fn take_owed(&self) -> Vec<Owed> {
        std::mem::take(&mut *self.owed.lock())
    }

    pub fn is_owed(&self) -> bool {
        !self.owed.lock().is_empty()
    }
}
