//! An edge's feeds: for each scenario a local client wants, an ordered JetStream consumer of its subject
//! in the results stream (from the oldest message kept, which includes a snapshot, then live), rebuilt
//! by a [`Replica`] and handed to the engine's topic ([`Engine::follow`]); the topic's fan-out, resume
//! history, filters, row-level tokens and slow-client conflation then work as on any node.
//!
//! A feed starts when a client subscribes (the subscription waits until the feed has caught up, so a
//! client resuming from another edge gets the updates it missed, not a snapshot) and stops once nobody
//! has wanted the scenario for [`IDLE`]. A delta that does not follow (a gap) is not applied: the feed
//! waits for the leader's next snapshot, and re-reads the stream if none comes within a second.
//! This module does not evaluate and holds no events.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use async_nats::jetstream::consumer::DeliverPolicy;
use futures::StreamExt;
use parking_lot::Mutex;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::replica::{Applied, Replica};
use super::Node;
use crate::engine::Engine;
use crate::fanout::{Change, Hub};

/// A feed nobody has wanted for this long stops.
const IDLE: Duration = Duration::from_secs(30);
/// How long a subscription waits for its feed to catch up.
const PRIME_WAIT: Duration = Duration::from_secs(3);

struct Feed {
    primed: watch::Receiver<bool>,
    stop: CancellationToken,
    task: JoinHandle<()>,
    idle_since: Option<Instant>,
}

/// The feeds of one edge.
#[derive(Default)]
pub struct Feeds {
    parts: OnceLock<(Arc<Node>, Arc<Engine>, Arc<Hub>)>,
    feeds: Mutex<HashMap<String, Feed>>,
    /// Cancelled at shutdown: no feed starts after it.
    closed: CancellationToken,
}

impl std::fmt::Debug for Feeds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feeds")
            .field("feeds", &self.feeds.lock().len())
            .finish()
    }
}

impl Feeds {
    pub(super) fn attach(&self, node: Arc<Node>, engine: Arc<Engine>, hub: Arc<Hub>) {
        let _ = self.parts.set((node, engine, hub));
    }

    /// Starts the feed of `scenario` if it is not running, and waits (bounded) until it has caught up.
    pub async fn want(&self, scenario: &str) {
        let Some((node, engine, _)) = self.parts.get() else {
            return;
        };
        if self.closed.is_cancelled() {
            return;
        }
        let mut primed = {
            let mut feeds = self.feeds.lock();
            let feed = feeds.entry(scenario.to_string()).or_insert_with(|| {
                let (tx, rx) = watch::channel(false);
                let stop = self.closed.child_token();
                let task = tokio::spawn(feed(
                    node.clone(),
                    engine.clone(),
                    scenario.to_string(),
                    tx,
                    stop.clone(),
                ));
                metrics::gauge!("ioc_cluster_edge_feeds").increment(1.0);
                Feed {
                    primed: rx,
                    stop,
                    task,
                    idle_since: None,
                }
            });
            feed.idle_since = None;
            feed.primed.clone()
        };
        let _ = tokio::time::timeout(PRIME_WAIT, primed.wait_for(|p| *p)).await;
    }

    /// Stops the feeds nobody has wanted for [`IDLE`]; returns their tasks.
    fn sweep(&self, hub: &Hub) -> Vec<JoinHandle<()>> {
        let now = Instant::now();
        let mut feeds = self.feeds.lock();
        let idle: Vec<String> = feeds
            .iter_mut()
            .filter_map(|(name, feed)| {
                if hub.existing(name).is_some_and(|t| t.subscriber_count() > 0) {
                    feed.idle_since = None;
                    return None;
                }
                let since = *feed.idle_since.get_or_insert(now);
                (now.duration_since(since) >= IDLE).then(|| name.clone())
            })
            .collect();
        idle.into_iter()
            .filter_map(|name| feeds.remove(&name))
            .map(|f| {
                f.stop.cancel();
                metrics::gauge!("ioc_cluster_edge_feeds").decrement(1.0);
                f.task
            })
            .collect()
    }
}

/// Sweeps idle feeds every few seconds; at shutdown stops them all and waits for them.
pub async fn run(feeds: Arc<Feeds>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        if let Some((_, _, hub)) = feeds.parts.get() {
            for task in feeds.sweep(hub) {
                let _ = task.await;
            }
        }
    }
    feeds.closed.cancel();
    let all: Vec<Feed> = feeds.feeds.lock().drain().map(|(_, f)| f).collect();
    for f in all {
        f.stop.cancel();
        let _ = f.task.await;
    }
}

async fn feed(
    node: Arc<Node>,
    engine: Arc<Engine>,
    scenario: String,
    primed: watch::Sender<bool>,
    stop: CancellationToken,
) {
    let mut replica = Replica::default();
    let mut backoff =
        crate::ingest::connectors::batch::Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    loop {
        let read = read(&node, &engine, &scenario, &mut replica, &primed, &stop);
        let outcome = read.await;
        if stop.is_cancelled() {
            return;
        }
        let delay = match outcome {
            // A gap: read the stream again, which holds the last snapshot and the updates after it.
            Ok(()) => Duration::from_millis(1000),
            Err(e) => {
                tracing::debug!(scenario = %scenario, error = %e, "edge feed; retrying");
                backoff.next_delay()
            }
        };
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

/// Reads the scenario's subject until a gap (`Ok`), an error, or the stop.
async fn read(
    node: &Node,
    engine: &Engine,
    scenario: &str,
    replica: &mut Replica,
    primed: &watch::Sender<bool>,
    stop: &CancellationToken,
) -> Result<(), String> {
    let consumer = super::ordered(
        &node.js,
        node.names.results_stream(),
        node.names.results_subject(scenario),
        DeliverPolicy::All,
    )
    .await?;
    if consumer.cached_info().num_pending == 0 {
        primed.send_replace(true);
    }
    let mut messages = consumer.messages().await.map_err(|e| e.to_string())?;
    let mut check = tokio::time::interval(Duration::from_secs(1));
    loop {
        let next = tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            m = messages.next() => m,
            _ = check.tick() => {
                // What was rebuilt before the scenario was registered here (definitions arrive on their
                // own) is shown once it is.
                if let Some(view) = replica.view() {
                    if !engine.shows(view) {
                        engine.follow(view.clone(), None);
                    }
                }
                continue;
            }
        };
        let message = next.ok_or("the consumer ended")?.map_err(|e| e.to_string())?;
        let pending = message.info().map(|i| i.pending).unwrap_or(0);
        match replica.apply(&message.payload) {
            Ok(Applied::Snapshot(view)) => {
                engine.follow(view, Some(Change::Snapshot));
            }
            Ok(Applied::Delta(view, change)) => {
                engine.follow(view, Some(change));
            }
            Ok(Applied::Gap) if pending == 0 && *primed.borrow() => {
                metrics::counter!("ioc_cluster_edge_gaps_total").increment(1);
                return Ok(());
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(scenario, error = %e, "a result message that does not apply"),
        }
        if pending == 0 {
            primed.send_replace(true);
        }
    }
}
