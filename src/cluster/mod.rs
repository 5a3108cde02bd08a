//! Cluster mode on NATS JetStream (docs/cluster.md): nodes are processes around one JetStream, which is
//! the durable, replicated log and the message bus; we build no consensus and no replication of our own.
//!
//! - [`log`]: events. Every ingest publishes its validated batch to JetStream and answers on its ack;
//!   every engine node reads every stream into its own store.
//! - [`lease`]: one engine node is the leader, by a lease in a key-value bucket; the others stand by,
//!   evaluating too, so that one can take over at once.
//! - [`leader`]: the leader continues each scenario from the results kept in JetStream and publishes
//!   every update there ([`crate::publish`]).
//! - [`edge`]: an edge node serves screens from those results; it holds no events and evaluates nothing.
//! - [`definitions`]: scenario and dashboard files, shared through a key-value bucket.
//! - [`members`]: who is in the cluster, for `GET /api/v1/cluster`.
//! - [`replica`]: a result rebuilt from its published messages.
//!
//! Every name the cluster uses starts with its `name` ([`Names`]), so clusters (and tests) can share
//! one NATS.

pub mod definitions;
pub mod edge;
pub mod leader;
pub mod lease;
pub mod log;
pub mod members;
pub mod replica;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, kv, stream};
use parking_lot::RwLock;
use serde::Serialize;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::catalog::Catalog;
use crate::config::{ClusterConfig, Limits};
use crate::engine::Engine;
use crate::fanout::Hub;
use crate::store::Store;

/// Why a node cannot join its cluster.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("cannot reach the cluster's NATS at {url}: {message}")]
    Connect { url: String, message: String },
    #[error("JetStream: {0}")]
    JetStream(String),
}

/// The subjects, streams and buckets of one cluster.
#[derive(Debug, Clone)]
pub struct Names {
    name: String,
}

impl Names {
    pub fn new(name: &str) -> Names {
        Names { name: name.to_string() }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn events_stream(&self, stream: &str) -> String {
        format!("{}_events_{stream}", self.name)
    }

    pub fn events_subject(&self, stream: &str) -> String {
        format!("{}.events.{stream}", self.name)
    }

    /// The stream that keeps every scenario's last updates and snapshots.
    pub fn results_stream(&self) -> String {
        format!("{}_results", self.name)
    }

    /// Results are published on `PREFIX.<scenario>` and alerts on `PREFIX.alerts` ([`crate::publish`]).
    pub fn results_prefix(&self) -> String {
        format!("{}.results", self.name)
    }

    pub fn results_subject(&self, scenario: &str) -> String {
        format!("{}.results.{scenario}", self.name)
    }

    fn bucket(&self, what: &str) -> String {
        format!("{}_{what}", self.name)
    }
}

/// A node's part in the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Leader,
    Standby,
    Edge,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Leader => "leader",
            Role::Standby => "standby",
            Role::Edge => "edge",
        }
    }
}

/// Updates and snapshots kept per scenario in the results stream: enough to always hold a snapshot
/// (the leader publishes one every [`SNAPSHOT_EVERY`] updates) and the updates after it.
pub const RESULTS_PER_SCENARIO: i64 = 128;
pub const SNAPSHOT_EVERY: u64 = 32;
/// How long the results stream keeps a scenario's messages: a scenario that has not changed for longer
/// starts a new epoch after a failover.
const RESULTS_AGE: Duration = Duration::from_secs(24 * 3600);
/// How long a node's entry in the members bucket outlives its last heartbeat.
const MEMBER_TTL: Duration = Duration::from_secs(10);

/// This process as a member of its cluster.
#[derive(Debug)]
pub struct Node {
    pub id: String,
    config: ClusterConfig,
    names: Names,
    client: async_nats::Client,
    js: jetstream::Context,
    log: Arc<log::EventLog>,
    role: RwLock<Role>,
    /// Told when the role changes, so the members bucket shows it at once.
    role_changed: tokio::sync::Notify,
    /// The leader as last seen (this node, or the holder of the lease).
    leader: RwLock<Option<String>>,
    lease: kv::Store,
    members: kv::Store,
    definitions: kv::Store,
    /// An edge's feeds of results (none on engine nodes).
    feeds: Option<Arc<edge::Feeds>>,
}

/// What a node hands its cluster tasks.
pub struct Parts {
    pub engine: Arc<Engine>,
    pub hub: Arc<Hub>,
    pub store: Arc<Store>,
    pub catalog: Arc<Catalog>,
    pub limits: Limits,
    pub addr: SocketAddr,
}

impl Node {
    /// Connects to the cluster's NATS and creates (or finds) its streams and buckets.
    pub async fn connect(config: &ClusterConfig, catalog: &Catalog) -> Result<Arc<Node>, ClusterError> {
        let id = format!("n{}-{:06x}", std::process::id(), rand::random::<u32>() & 0xff_ffff);
        let names = Names::new(&config.name);
        let client = crate::ingest::connectors::nats::connect(
            &config.url,
            &format!("ioc-stream {}", id),
            &crate::ingest::connectors::config::NatsAuth::default(),
            None,
        )
        .await
        .map_err(|e| ClusterError::Connect {
            url: config.url.clone(),
            message: e.to_string(),
        })?;
        let js = jetstream::new(client.clone());
        let max_payload = client.server_info().max_payload;
        let log = log::EventLog::open(js.clone(), names.clone(), catalog, config.replicas, max_payload).await?;
        js.get_or_create_stream(stream::Config {
            name: names.results_stream(),
            subjects: vec![format!("{}.>", names.results_prefix())],
            max_messages_per_subject: RESULTS_PER_SCENARIO,
            max_age: RESULTS_AGE,
            max_bytes: 1 << 30,
            num_replicas: config.replicas,
            storage: stream::StorageType::File,
            discard: stream::DiscardPolicy::Old,
            ..Default::default()
        })
        .await
        .map_err(|e| ClusterError::JetStream(format!("results stream: {e}")))?;
        let r = config.replicas;
        let lease = open_bucket(&js, &names.bucket("lease"), config.lease, r).await?;
        let members = open_bucket(&js, &names.bucket("members"), MEMBER_TTL, r).await?;
        let definitions = open_bucket(&js, &names.bucket("definitions"), Duration::ZERO, r).await?;
        let role = if config.edge { Role::Edge } else { Role::Standby };
        Ok(Arc::new(Node {
            id,
            config: config.clone(),
            names,
            client,
            js,
            log: Arc::new(log),
            role: RwLock::new(role),
            role_changed: tokio::sync::Notify::new(),
            leader: RwLock::new(None),
            lease,
            members,
            definitions,
            feeds: config.edge.then(|| Arc::new(edge::Feeds::default())),
        }))
    }

    /// The event log, for the ingestor.
    pub fn log(&self) -> Arc<log::EventLog> {
        self.log.clone()
    }

    pub fn names(&self) -> &Names {
        &self.names
    }

    pub fn role(&self) -> Role {
        *self.role.read()
    }

    fn set_role(&self, role: Role) {
        *self.role.write() = role;
        self.role_changed.notify_one();
        metrics::gauge!("ioc_cluster_leader").set(if role == Role::Leader { 1.0 } else { 0.0 });
    }

    /// Starts the node's cluster tasks; each stops when `shutdown` is cancelled.
    pub fn spawn(self: &Arc<Self>, parts: Parts, shutdown: &CancellationToken) -> Vec<JoinHandle<()>> {
        let mut tasks = vec![
            tokio::spawn(members::heartbeat(self.clone(), parts.addr, shutdown.clone())),
            tokio::spawn(definitions::sync(self.clone(), parts.engine.clone(), shutdown.clone())),
        ];
        match &self.feeds {
            Some(feeds) => {
                feeds.attach(self.clone(), parts.engine.clone(), parts.hub.clone());
                tasks.push(tokio::spawn(edge::run(feeds.clone(), shutdown.clone())));
            }
            None => {
                for (name, def) in &parts.catalog.streams {
                    let Some(store) = parts.store.stream(name) else {
                        continue;
                    };
                    tasks.push(tokio::spawn(self.log.clone().consume(
                        def.clone(),
                        store.clone(),
                        parts.limits.clone(),
                        shutdown.clone(),
                    )));
                }
                tasks.push(tokio::spawn(lease::run(
                    self.clone(),
                    parts.engine.clone(),
                    parts.hub.clone(),
                    shutdown.clone(),
                )));
            }
        }
        tasks
    }

    /// Whether this node is an edge (whose screens' scenarios come in through [`Node::wanted`]).
    pub fn is_edge(&self) -> bool {
        self.feeds.is_some()
    }

    /// A local client wants `scenario`: on an edge, its feed starts (if it had not) and this returns once
    /// the feed has caught up with what the cluster holds (or after a short wait). Nothing on engine nodes.
    pub async fn wanted(&self, scenario: &str) {
        if let Some(feeds) = &self.feeds {
            feeds.want(scenario).await;
        }
    }

    /// `GET /api/v1/cluster`.
    pub async fn view(&self) -> Result<members::ClusterView, ClusterError> {
        members::view(self).await
    }
}

/// An ordered consumer of `filter` in the JetStream stream `stream`, from `from`: what every reader of
/// the cluster's streams uses (messages in stream order, no acknowledgements, recreated by the client
/// after a gap). Its pulls expire within seconds, so a consumer lost with a NATS restart is noticed soon.
pub async fn ordered(
    js: &jetstream::Context,
    stream: String,
    filter: String,
    from: async_nats::jetstream::consumer::DeliverPolicy,
) -> Result<jetstream::consumer::Consumer<jetstream::consumer::pull::OrderedConfig>, String> {
    let stream = js.get_stream(stream).await.map_err(|e| e.to_string())?;
    stream
        .create_consumer(jetstream::consumer::pull::OrderedConfig {
            filter_subject: filter,
            deliver_policy: from,
            max_expires: Duration::from_secs(5),
            ..Default::default()
        })
        .await
        .map_err(|e| e.to_string())
}

/// Every live entry of a bucket (key and value), read with an ordered consumer of the last message per
/// key and bounded in time. (async-nats's `keys()` can wait for ever when keys are written while it
/// reads, and the members bucket is written every second.)
pub async fn entries(store: &kv::Store, within: Duration) -> Result<Vec<(String, bytes::Bytes)>, String> {
    use async_nats::jetstream::consumer::{pull, DeliverPolicy};
    use futures::StreamExt;
    let read = async {
        let consumer = store
            .stream
            .create_consumer(pull::OrderedConfig {
                filter_subject: format!("{}>", store.prefix),
                deliver_policy: DeliverPolicy::LastPerSubject,
                ..Default::default()
            })
            .await
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        if consumer.cached_info().num_pending == 0 {
            return Ok(out);
        }
        let mut messages = consumer.messages().await.map_err(|e| e.to_string())?;
        while let Some(m) = messages.next().await {
            let m = m.map_err(|e| e.to_string())?;
            let pending = m.info().map(|i| i.pending).unwrap_or(0);
            let deleted = m
                .headers
                .as_ref()
                .and_then(|h| h.get("KV-Operation"))
                .is_some_and(|op| op.as_str() == "DEL" || op.as_str() == "PURGE");
            if let Some(key) = m.subject.as_str().strip_prefix(store.prefix.as_str()) {
                if !deleted {
                    out.push((key.to_string(), m.payload.clone()));
                }
            }
            if pending == 0 {
                break;
            }
        }
        Ok(out)
    };
    tokio::time::timeout(within, read)
        .await
        .map_err(|_| format!("reading the bucket {} took longer than {within:?}", store.name))?
}

/// A key-value bucket, created as the stream the KV convention describes (`KV_<bucket>` on
/// `$KV.<bucket>.>`), then opened. (async-nats's own `create_key_value` first asks for the account's
/// API level, which NATS servers before 2.10 answer in a form it does not read.)
async fn open_bucket(
    js: &jetstream::Context,
    bucket: &str,
    max_age: Duration,
    replicas: usize,
) -> Result<kv::Store, ClusterError> {
    let window = if max_age.is_zero() {
        Duration::from_secs(120)
    } else {
        max_age.min(Duration::from_secs(120))
    };
    let config = stream::Config {
        name: format!("KV_{bucket}"),
        subjects: vec![format!("$KV.{bucket}.>")],
        max_messages_per_subject: 1,
        max_age,
        duplicate_window: window,
        storage: stream::StorageType::File,
        num_replicas: replicas,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: stream::DiscardPolicy::New,
        ..Default::default()
    };
    js.get_or_create_stream(config)
        .await
        .map_err(|e| ClusterError::JetStream(format!("bucket {bucket}: {e}")))?;
    js.get_key_value(bucket)
        .await
        .map_err(|e| ClusterError::JetStream(format!("bucket {bucket}: {e}")))
}
