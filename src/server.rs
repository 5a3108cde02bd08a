//! Wires the stages together and runs them until shutdown: catalog, store, engine, fan-out, HTTP server
//! (`api::accept`), the retention sweep, the WAL probe (`health`) and (for `demo`) the simulator.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::api::{self, AppState};
use crate::catalog::{Catalog, CatalogError};
use crate::config::Config;
use crate::engine::{Engine, EngineError};
use crate::fanout::Hub;
use crate::ingest::{Format, Ingestor};
use crate::simulator::{self, EventSink, SimulatorOptions, SinkError};
use crate::store::Store;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("{path}:{line}: {message}")]
    Scenario { path: String, line: usize, message: String },
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error(
        "refusing to listen on {0} without tokens: anyone who can reach it could read and change everything. \
         Configure tokens in the file given to --config (see docs/protocol.md, \"Configuration file\"), \
         or listen on a loopback address such as 127.0.0.1"
    )]
    Insecure(SocketAddr),
    #[error("configuration: {0}")]
    Config(String),
    #[error("cannot create the data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("the write-ahead log cannot be replayed: {0}")]
    Wal(#[from] crate::wal::WalError),
    #[error("cluster: {0}")]
    Cluster(#[from] crate::cluster::ClusterError),
}

/// A server that is running; dropping it does not stop it, [`Running::shutdown`] does.
pub struct Running {
    pub addr: SocketAddr,
    pub state: Arc<AppState>,
    shutdown: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

/// How long shutdown may take before the remaining connections are dropped.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

impl Running {
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Stops accepting, closes WebSockets with 1001, stops evaluation, and waits (bounded) for the tasks.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        self.wait().await;
    }

    /// Waits until the server has stopped (after the shutdown token is cancelled).
    pub async fn wait(self) {
        self.shutdown.cancelled().await;
        let connections = self.state.connections.clone();
        connections.close();
        let all = async move {
            futures::future::join_all(self.tasks).await;
            // Each socket sends its 1001 close before the process may exit.
            connections.wait().await;
        };
        if tokio::time::timeout(SHUTDOWN_GRACE, all).await.is_err() {
            tracing::warn!("shutdown took longer than {SHUTDOWN_GRACE:?}; dropping what is left");
        }
        // Nothing evaluates any more, and the HTTP server has answered every request it accepted: put all
        // of it on disk.
        self.state.engine.shutdown().await;
        let store = self.state.store.clone();
        let _ = tokio::task::spawn_blocking(move || store.sync_all()).await;
    }
}

struct IngestSink {
    ingestor: Arc<Ingestor>,
    store: Arc<Store>,
    limits: crate::config::Limits,
}

impl EventSink for IngestSink {
    fn history_rows(&self, stream: &str) -> Option<u64> {
        self.store.stream(stream)?.history_stats().map(|h| h.rows)
    }

    fn push_history(&self, stream: &str, bodies: Vec<Vec<u8>>) -> Result<usize, SinkError> {
        let unknown = || SinkError::UnknownStream(stream.to_string());
        let def = self.ingestor.catalog().stream(stream).ok_or_else(unknown)?;
        let target = self.store.stream(stream).ok_or_else(unknown)?;
        let batches = bodies
            .iter()
            .map(|b| crate::ingest::decode(def, Format::Ndjson, b, &self.limits))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(target.add_history(&batches, chrono::Utc::now().timestamp_millis())?)
    }

    fn recent(&self, stream: &str) -> Vec<datafusion::arrow::array::RecordBatch> {
        let Some(s) = self.store.stream(stream) else {
            return Vec::new();
        };
        s.snapshot()
            .segments()
            .flat_map(|seg| seg.batches.iter().cloned())
            .collect()
    }

    fn push(&self, stream: &str, ndjson: Vec<u8>) -> Result<usize, SinkError> {
        Ok(self.ingestor.ingest(stream, Format::Ndjson, &ndjson)?.accepted)
    }
}

/// Loads everything, binds the listener and starts serving. Returns once the server accepts connections.
pub async fn start(config: Config, simulator: Option<SimulatorOptions>) -> Result<Running, ServerError> {
    let _ = api::prometheus();
    let auth = api::auth::Auth::new(config.tokens.clone(), config.limits.max_connections_per_token)
        .map_err(ServerError::Config)?;
    if !auth.enabled() && !config.listen.ip().is_loopback() {
        return Err(ServerError::Insecure(config.listen));
    }
    std::fs::create_dir_all(&config.data_dir).map_err(|source| ServerError::DataDir {
        path: config.data_dir.display().to_string(),
        source,
    })?;
    if config.cluster.is_some() && simulator.is_some() {
        return Err(ServerError::Config(
            "the demo runs on one node; start cluster nodes with `serve --cluster` (docs/cluster.md)".into(),
        ));
    }
    let mut catalog = Catalog::load(&config.queries)?;
    let demo_via = config.demo_via.clone().filter(|_| simulator.is_some());
    if let Some(via) = &demo_via {
        via.add_sources(&mut catalog);
    }
    let catalog = Arc::new(catalog);
    // A cluster node that cannot reach its NATS stops here with the reason.
    let node = match &config.cluster {
        Some(c) => Some(crate::cluster::Node::connect(c, &catalog).await?),
        None => None,
    };
    // Before anything runs: a demo that cannot reach its broker stops here with the reason.
    let demo_sink = match demo_via {
        None => None,
        Some(via) => Some(
            crate::ingest::connectors::demo::NatsSink::connect(via, &catalog)
                .await
                .map_err(|e| ServerError::Config(format!("demo --via nats: {e}")))?,
        ),
    };
    let sources = Arc::new(crate::ingest::connectors::Sources::from_catalog(&catalog).map_err(ServerError::Config)?);
    let caps = crate::store::Caps {
        stream_bytes: config.limits.max_stream_bytes,
        total_bytes: config.limits.max_store_bytes,
    };
    let health = Arc::new(crate::health::Health::default());
    let mut wal = crate::wal::WalConfig::new(&config.data_dir, config.fsync);
    wal.health = health.wal.clone();
    let replay_started = std::time::Instant::now();
    // In a cluster, JetStream is the log: the store is filled from it, with no WAL (and no history tier)
    // of its own.
    let (store, replayed) = match &config.cluster {
        Some(_) => (
            Store::with_caps(&catalog, config.seal_rows, config.seal_age, caps),
            std::collections::BTreeMap::new(),
        ),
        None => Store::open(
            &catalog,
            config.seal_rows,
            config.seal_age,
            caps,
            &wal,
            chrono::Utc::now().timestamp_millis(),
        )?,
    };
    let store = Arc::new(store);
    let rows: usize = replayed.values().map(|s| s.rows).sum();
    let cut: u64 = replayed.values().map(|s| s.cut_bytes).sum();
    tracing::info!(
        cluster = config.cluster.is_some(),
        rows,
        files = replayed.values().map(|s| s.files).sum::<usize>(),
        cut_bytes = cut,
        ms = replay_started.elapsed().as_millis() as u64,
        "WAL replayed"
    );
    // The demo's history is already there after a restart: generate only what is new.
    let simulator = simulator.map(|mut o| {
        if rows > 0 {
            o.backfill = Duration::ZERO;
        }
        o
    });
    let hub = Arc::new(Hub::with_history(crate::fanout::HistoryLimits {
        updates: config.limits.topic_history,
        bytes: config.limits.topic_history_bytes,
        age: config.limits.topic_history_age,
    }));
    let engine = Engine::new(&config, &catalog, store.clone(), hub.clone())?;
    if let Some((path, e)) = engine.load_dir().await.into_iter().next() {
        engine.shutdown().await;
        return Err(ServerError::Scenario {
            path: path.display().to_string(),
            line: e.line,
            message: e.message,
        });
    }
    let mut ingestor = Ingestor::new(catalog.clone(), store.clone(), config.limits.clone());
    if let Some(node) = &node {
        ingestor = ingestor.with_log(node.log());
    }
    let ingestor = Arc::new(ingestor);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServerError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServerError::Listen {
        addr: config.listen,
        source,
    })?;
    let shutdown = CancellationToken::new();
    let fd_limit = api::accept::open_file_limit();
    let max_connections = api::accept::effective_max_connections(
        config.limits.max_connections,
        fd_limit,
        api::accept::FD_RESERVE + 2 * catalog.streams.len(),
    );
    if max_connections < config.limits.max_connections {
        tracing::warn!(
            max_connections,
            configured = config.limits.max_connections,
            open_file_limit = fd_limit,
            "at most {max_connections} connections: the open-file limit (ulimit -n) leaves no room for more"
        );
    }
    let limits = api::accept::ConnectionLimits::new(max_connections, config.limits.max_connections_per_ip);
    let site = api::site::Site::new(addr, &config.allowed_hosts, &config.allowed_origins, auth.enabled());
    let wal_dir = wal.dir.clone();
    let state = Arc::new(AppState {
        config: Arc::new(config),
        catalog: catalog.clone(),
        store: store.clone(),
        ingestor: ingestor.clone(),
        engine,
        hub,
        auth: Arc::new(auth),
        shutdown: shutdown.clone(),
        connections: tokio_util::task::TaskTracker::new(),
        site,
        health: health.clone(),
        sources: sources.clone(),
        cluster: node.clone(),
    });
    let mut tasks = Vec::new();
    let app = api::router(state.clone());
    let stop = shutdown.clone();
    let header_timeout = state.config.limits.header_timeout;
    tasks.push(tokio::spawn(api::accept::serve(
        listener,
        app,
        header_timeout,
        limits,
        stop,
    )));
    // A cluster node keeps no WAL: JetStream is its log.
    if state.config.cluster.is_none() {
        tasks.push(tokio::spawn(crate::health::probe_wal(
            wal_dir,
            health.wal.clone(),
            shutdown.clone(),
        )));
    }
    if let crate::wal::Fsync::Interval(every) = state.config.fsync {
        tasks.push(tokio::spawn(sync_wal(store.clone(), every, shutdown.clone())));
    }
    tasks.push(tokio::spawn(retention(store, shutdown.clone())));
    tasks.push(tokio::spawn(watch_scenarios(state.engine.clone(), shutdown.clone())));
    // Broker sources: each retries its broker on its own; the server serves meanwhile. An edge takes
    // no events from them.
    let edge = state.config.cluster.as_ref().is_some_and(|c| c.edge);
    if !edge {
        tasks.extend(sources.spawn(&ingestor, &shutdown));
    }
    if let Some(node) = &node {
        let parts = crate::cluster::Parts {
            engine: state.engine.clone(),
            hub: state.hub.clone(),
            store: state.store.clone(),
            catalog: catalog.clone(),
            limits: state.config.limits.clone(),
            addr,
        };
        tasks.extend(node.spawn(parts, &shutdown));
    }
    if let Some(publish) = state.config.publish.clone() {
        tasks.push(tokio::spawn(crate::publish::run(
            publish,
            state.hub.clone(),
            shutdown.clone(),
        )));
    }
    if let Some(options) = simulator {
        let sink: Arc<dyn EventSink> = match demo_sink {
            None => Arc::new(IngestSink {
                ingestor,
                store: state.store.clone(),
                limits: state.config.limits.clone(),
            }),
            // Through NATS: live events only (the year of history is written by the HTTP-path sink).
            Some(sink) => Arc::new(sink),
        };
        tasks.push(tokio::spawn(simulator::run(catalog, sink, options, shutdown.clone())));
    }
    Ok(Running {
        addr,
        state,
        shutdown,
        tasks,
    })
}

/// Picks up scenario files added, changed or removed on disk, once a second.
async fn watch_scenarios(engine: Arc<Engine>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        engine.sync_dir().await;
    }
}

/// The `interval` fsync policy: syncs what was written since the last time, off the async threads.
async fn sync_wal(store: Arc<Store>, every: Duration, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let s = store.clone();
        let _ = tokio::task::spawn_blocking(move || s.sync_dirty()).await;
    }
}

/// Seals aged open segments and drops segments past retention, once a second.
async fn retention(store: Arc<Store>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        // Sealing, compaction and retention copy and free memory: off the async threads.
        let s = store.clone();
        let dropped = tokio::task::spawn_blocking(move || s.maintain(chrono::Utc::now().timestamp_millis()))
            .await
            .unwrap_or(0);
        if dropped > 0 {
            metrics::counter!("ioc_store_rows_expired_total").increment(dropped as u64);
        }
    }
}
