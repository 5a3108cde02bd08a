//! One `Config` for the server: the defaults of PROTOCOL.md, the configuration file over them and the
//! command-line flags over both ([`file`]). A leaf: it imports no other module of the crate (the settings
//! of the broker-facing parts and the WAL's fsync policy are plain data in [`outputs`]), so every stage
//! may import it without a cycle.

pub mod file;
pub mod outputs;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

pub use file::{ConfigError, Flags};
pub use outputs::{DemoVia, Fsync, PublishConfig, Tls};

/// Limits on what clients may send and hold. Every input has one; see docs/protocol.md.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest ingest request body, in bytes (413 past it).
    pub max_body_bytes: usize,
    /// Largest ingest body once decompressed (`Content-Encoding: gzip`), in bytes (413 past it).
    pub max_decompressed_bytes: usize,
    /// Bytes all streams together may hold in memory (429 past it).
    pub max_store_bytes: usize,
    /// Bytes one stream may hold in memory (429 past it).
    pub max_stream_bytes: usize,
    /// Largest single NDJSON line / JSON array element, in bytes (422 past it).
    pub max_event_bytes: usize,
    /// How many line errors a 422 answer lists at most.
    pub max_reported_errors: usize,
    /// Largest WebSocket message a client may send, in bytes.
    pub max_ws_message_bytes: usize,
    /// Frames a client's outgoing queue holds before the client is treated as slow.
    pub client_queue_frames: usize,
    /// Bytes a client's outgoing queue holds before the client is treated as slow.
    pub client_queue_bytes: usize,
    /// Updates each topic keeps for `resume`.
    pub topic_history: usize,
    /// Bytes each topic's kept updates may hold (a resume the history cannot serve gets a snapshot).
    pub topic_history_bytes: usize,
    /// Age past which a kept update is dropped.
    pub topic_history_age: Duration,
    /// How often the server pings each WebSocket client.
    pub ping_interval: Duration,
    /// A client silent this long (no message, no pong) is dropped.
    pub idle_timeout: Duration,
    /// Subscriptions one WebSocket connection may hold.
    pub max_subscriptions: usize,
    /// WebSocket connections one token may hold at once.
    pub max_connections_per_token: usize,
    /// Time one scenario evaluation may take before it is cancelled and reported as an error.
    pub eval_timeout: Duration,
    /// Rows a scenario's result may have; a larger result is an error, not a truncated answer.
    pub max_result_rows: usize,
    /// Memory one evaluation may hold in DataFusion's pool (hash tables, sorts); past it the evaluation fails.
    pub eval_memory_bytes: usize,
    /// Time an ingest request's whole body may take to arrive (408 past it).
    pub body_timeout: Duration,
    /// Time a client may take to send a request's headers (the connection is closed past it).
    pub header_timeout: Duration,
    /// Largest JSON request body (scenarios, queries, dashboards, alert acknowledgements), in bytes (413).
    pub max_json_body_bytes: usize,
    /// Open connections in all (HTTP and WebSocket); never more than the open-file limit allows.
    pub max_connections: usize,
    /// Open connections from one IP address.
    pub max_connections_per_ip: usize,
    /// Time one write to a WebSocket client may take; a client that does not take its frames is dropped.
    pub ws_write_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 16 << 20,
            max_decompressed_bytes: 64 << 20,
            max_store_bytes: 4 << 30,
            max_stream_bytes: 2 << 30,
            max_event_bytes: 1 << 20,
            max_reported_errors: 100,
            max_ws_message_bytes: 64 << 10,
            client_queue_frames: 1024,
            client_queue_bytes: 1 << 20,
            topic_history: 256,
            topic_history_bytes: 1 << 20,
            topic_history_age: Duration::from_secs(300),
            ping_interval: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            max_subscriptions: 64,
            max_connections_per_token: 1000,
            eval_timeout: Duration::from_secs(5),
            max_result_rows: 10_000,
            body_timeout: Duration::from_secs(30),
            header_timeout: Duration::from_secs(10),
            eval_memory_bytes: 256 << 20,
            max_json_body_bytes: 1 << 20,
            max_connections: 20_000,
            max_connections_per_ip: 1_000,
            ws_write_timeout: Duration::from_secs(15),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Ingest,
    Analyst,
    Admin,
}

/// One configured token.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    pub token: String,
    pub role: Role,
    /// A name for logs and metrics.
    #[serde(default)]
    pub name: Option<String>,
    /// For `ingest`: the streams it may push to (all when absent).
    #[serde(default)]
    pub streams: Option<Vec<String>>,
    /// For `viewer`: the rows it may see, as column equalities.
    #[serde(default)]
    pub rows: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Everything the server needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub queries: PathBuf,
    pub data_dir: PathBuf,
    /// The province's time zone: `now()` carries it, so `date_trunc('day', now())` is local midnight.
    pub time_zone: String,
    /// Rows after which the open segment of a stream is sealed (small segments are then compacted up to
    /// four times this).
    pub seal_rows: usize,
    /// Age after which a non-empty open segment is sealed.
    pub seal_age: Duration,
    /// Threads of the evaluation runtime (separate from the network runtime).
    pub eval_threads: usize,
    pub heartbeat: Duration,
    pub limits: Limits,
    /// Tokens and their roles; none means loopback clients only.
    pub tokens: Vec<TokenConfig>,
    /// Origins allowed to open `/ws` from a browser; empty means the server's own host only.
    pub allowed_origins: Vec<String>,
    /// Host names (besides the listen address) that requests may name in `Host`; see [`crate::api::site`].
    pub allowed_hosts: Vec<String>,
    /// When the WAL is forced to disk (`always`, `interval`, `never`; see [`crate::wal`]).
    pub fsync: Fsync,
    /// Cache the partial aggregates of sealed segments (`--no-incremental` evaluates everything in full).
    pub incremental: bool,
    /// Bytes the cached partial aggregates of all scenarios may hold together.
    pub cache_bytes: usize,
    /// Scenario updates and alerts republished on NATS (`[publish]`), when configured.
    pub publish: Option<PublishConfig>,
    /// `demo --via nats`: the simulator publishes to JetStream and sources take the events in.
    pub demo_via: Option<DemoVia>,
    /// Cluster mode on NATS JetStream (`serve --cluster`, `edge`, `[cluster]`); none: one process alone.
    pub cluster: Option<ClusterConfig>,
}

/// `[cluster]` (docs/cluster.md): the NATS JetStream that carries a cluster's events, definitions, leader
/// lease and results.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterConfig {
    /// `nats://host:port`; several servers separated by commas.
    pub url: String,
    /// Prefixes every subject, stream and bucket the cluster uses (letters, digits, `-`, `_`).
    pub name: String,
    /// Copies JetStream keeps of each stream and bucket (1 on a single NATS server, 3 on a cluster of 3).
    pub replicas: usize,
    /// How long the leader's lease lasts without renewal: a standby takes over this long after the
    /// leader stops renewing (it renews every third of it).
    pub lease: Duration,
    /// An edge: serves screens from the cluster's published results; holds no events, evaluates nothing.
    pub edge: bool,
}

impl ClusterConfig {
    pub fn new(url: &str, name: Option<&str>) -> ClusterConfig {
        ClusterConfig {
            url: url.to_string(),
            name: name.unwrap_or("ioc").to_string(),
            replicas: 1,
            lease: Duration::from_secs(3),
            edge: false,
        }
    }

    /// The name is a valid prefix of subjects, stream names and bucket names.
    pub fn validate(&self) -> Result<(), String> {
        let ok = !self.name.is_empty()
            && self.name.len() <= 32
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(format!(
                "cluster name `{}` must be 1 to 32 letters, digits, `-` or `_`",
                self.name
            ));
        }
        if !(1..=5).contains(&self.replicas) {
            return Err("cluster.replicas must be 1 to 5".into());
        }
        if self.lease < Duration::from_millis(600) || self.lease > Duration::from_secs(60) {
            return Err("cluster.lease_ms must be 600 to 60000".into());
        }
        if !self.url.split(',').all(|u| {
            let u = u.trim();
            u.starts_with("nats://") || u.starts_with("tls://") || !u.contains("://")
        }) {
            return Err(format!("cluster.url `{}` must be nats://host:port", self.url));
        }
        Ok(())
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            queries: PathBuf::from("queries"),
            data_dir: PathBuf::from("data"),
            time_zone: "Asia/Ho_Chi_Minh".into(),
            seal_rows: 16_384,
            seal_age: Duration::from_secs(60),
            eval_threads: 2,
            heartbeat: Duration::from_secs(5),
            limits: Limits::default(),
            tokens: Vec::new(),
            allowed_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            fsync: Fsync::Interval(Duration::from_millis(100)),
            incremental: true,
            cache_bytes: 256 << 20,
            publish: None,
            demo_via: None,
            cluster: None,
        }
    }
}
