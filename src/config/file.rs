//! The configuration file (`serve --config FILE`, TOML, every field optional; docs/protocol.md,
//! "Configuration file") and the command-line flags, merged over the defaults into one [`Config`].
//! Flags win over the file, the file over the defaults. This module reads one file; it does not watch it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::Config;
use super::Fsync;

/// What the command line says (each `None` leaves the file's value, or the default).
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub listen: Option<SocketAddr>,
    pub queries: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    /// `always`, `interval` or `never`.
    pub fsync: Option<String>,
    pub no_incremental: bool,
    /// `--cluster URL`: a member of the cluster on that NATS.
    pub cluster: Option<String>,
    /// `--cluster-name NAME`.
    pub cluster_name: Option<String>,
    /// `edge`: a fan-out node of the cluster.
    pub edge: bool,
}

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    #[error("{0}")]
    Invalid(String),
}

/// The configuration file: every field optional; command-line flags win.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    queries: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    time_zone: Option<String>,
    eval_threads: Option<usize>,
    #[serde(default)]
    wal: FileWal,
    #[serde(default)]
    limits: FileLimits,
    #[serde(default)]
    tokens: Vec<super::TokenConfig>,
    #[serde(default)]
    allowed_origins: Vec<String>,
    #[serde(default)]
    allowed_hosts: Vec<String>,
    #[serde(default)]
    engine: FileEngine,
    /// Results out on NATS (docs/protocol.md, "Results on NATS").
    publish: Option<super::PublishConfig>,
    /// Cluster mode (docs/cluster.md).
    cluster: Option<FileCluster>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCluster {
    url: Option<String>,
    name: Option<String>,
    replicas: Option<usize>,
    lease_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEngine {
    incremental: Option<bool>,
    cache_bytes: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileWal {
    fsync: Option<String>,
    fsync_interval_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLimits {
    max_body_bytes: Option<usize>,
    max_decompressed_bytes: Option<usize>,
    max_stream_bytes: Option<usize>,
    max_store_bytes: Option<usize>,
    max_event_bytes: Option<usize>,
    max_ws_message_bytes: Option<usize>,
    client_queue_frames: Option<usize>,
    max_subscriptions: Option<usize>,
    eval_timeout_ms: Option<u64>,
    max_result_rows: Option<usize>,
    eval_memory_bytes: Option<usize>,
    client_queue_bytes: Option<usize>,
    topic_history: Option<usize>,
    topic_history_bytes: Option<usize>,
    topic_history_age_ms: Option<u64>,
    ping_interval_ms: Option<u64>,
    idle_timeout_ms: Option<u64>,
    max_connections_per_token: Option<usize>,
    body_timeout_ms: Option<u64>,
    header_timeout_ms: Option<u64>,
    max_json_body_bytes: Option<usize>,
    max_connections: Option<usize>,
    max_connections_per_ip: Option<usize>,
    ws_write_timeout_ms: Option<u64>,
}

impl Config {
    /// The defaults, then the file (when given), then the flags.
    pub fn load(file: Option<&Path>, flags: Flags) -> Result<Config, ConfigError> {
        let mut c = Config::default();
        let mut fsync = flags.fsync.clone();
        let mut interval = Duration::from_millis(100);
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })?;
            let f: FileConfig = toml::from_str(&text).map_err(|e| ConfigError::Parse {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
            let l = f.limits;
            c.listen = f.listen.unwrap_or(c.listen);
            c.queries = f.queries.unwrap_or(c.queries);
            c.data_dir = f.data_dir.unwrap_or(c.data_dir);
            c.time_zone = f.time_zone.unwrap_or(c.time_zone);
            c.eval_threads = f.eval_threads.unwrap_or(c.eval_threads);
            if let Some(k) = &f.cluster {
                let url = k
                    .url
                    .clone()
                    .or(flags.cluster.clone())
                    .ok_or_else(|| ConfigError::Invalid(format!("{}: [cluster] needs `url`", path.display())))?;
                let mut cluster = super::ClusterConfig::new(&url, k.name.as_deref());
                cluster.replicas = k.replicas.unwrap_or(cluster.replicas);
                cluster.lease = k.lease_ms.map(Duration::from_millis).unwrap_or(cluster.lease);
                c.cluster = Some(cluster);
            }
            let d = &mut c.limits;
            d.max_body_bytes = l.max_body_bytes.unwrap_or(d.max_body_bytes);
            d.max_decompressed_bytes = l.max_decompressed_bytes.unwrap_or(d.max_decompressed_bytes);
            d.max_stream_bytes = l.max_stream_bytes.unwrap_or(d.max_stream_bytes);
            d.max_store_bytes = l.max_store_bytes.unwrap_or(d.max_store_bytes);
            d.max_event_bytes = l.max_event_bytes.unwrap_or(d.max_event_bytes);
            d.max_ws_message_bytes = l.max_ws_message_bytes.unwrap_or(d.max_ws_message_bytes);
            d.client_queue_frames = l.client_queue_frames.unwrap_or(d.client_queue_frames);
            d.max_subscriptions = l.max_subscriptions.unwrap_or(d.max_subscriptions);
            d.eval_timeout = l.eval_timeout_ms.map(Duration::from_millis).unwrap_or(d.eval_timeout);
            d.max_result_rows = l.max_result_rows.unwrap_or(d.max_result_rows);
            d.eval_memory_bytes = l.eval_memory_bytes.unwrap_or(d.eval_memory_bytes);
            d.client_queue_bytes = l.client_queue_bytes.unwrap_or(d.client_queue_bytes);
            d.topic_history = l.topic_history.unwrap_or(d.topic_history);
            d.topic_history_bytes = l.topic_history_bytes.unwrap_or(d.topic_history_bytes);
            d.topic_history_age = l
                .topic_history_age_ms
                .map(Duration::from_millis)
                .unwrap_or(d.topic_history_age);
            d.ping_interval = l.ping_interval_ms.map(Duration::from_millis).unwrap_or(d.ping_interval);
            d.idle_timeout = l.idle_timeout_ms.map(Duration::from_millis).unwrap_or(d.idle_timeout);
            d.max_connections_per_token = l.max_connections_per_token.unwrap_or(d.max_connections_per_token);
            d.body_timeout = l.body_timeout_ms.map(Duration::from_millis).unwrap_or(d.body_timeout);
            d.header_timeout = l
                .header_timeout_ms
                .map(Duration::from_millis)
                .unwrap_or(d.header_timeout);
            d.max_json_body_bytes = l.max_json_body_bytes.unwrap_or(d.max_json_body_bytes);
            d.max_connections = l.max_connections.unwrap_or(d.max_connections);
            d.max_connections_per_ip = l.max_connections_per_ip.unwrap_or(d.max_connections_per_ip);
            d.ws_write_timeout = l
                .ws_write_timeout_ms
                .map(Duration::from_millis)
                .unwrap_or(d.ws_write_timeout);
            c.tokens = f.tokens;
            c.allowed_origins = f.allowed_origins;
            c.allowed_hosts = f.allowed_hosts;
            c.incremental = f.engine.incremental.unwrap_or(c.incremental);
            c.cache_bytes = f.engine.cache_bytes.unwrap_or(c.cache_bytes);
            if let Some(p) = &f.publish {
                p.validate()
                    .map_err(|e| ConfigError::Invalid(format!("{}: [publish]: {e}", path.display())))?;
            }
            c.publish = f.publish;
            fsync = fsync.or(f.wal.fsync);
            interval = f.wal.fsync_interval_ms.map(Duration::from_millis).unwrap_or(interval);
            if interval.is_zero() {
                return Err(ConfigError::Invalid(format!(
                    "{}: wal.fsync_interval_ms must be at least 1",
                    path.display()
                )));
            }
        }
        if let Some(text) = fsync {
            c.fsync = Fsync::parse(&text, interval).ok_or_else(|| {
                ConfigError::Invalid(format!("fsync: `{text}` is not one of always, interval, never"))
            })?;
        } else {
            c.fsync = Fsync::Interval(interval);
        }
        c.listen = flags.listen.unwrap_or(c.listen);
        c.queries = flags.queries.unwrap_or(c.queries);
        c.data_dir = flags.data_dir.unwrap_or(c.data_dir);
        if flags.no_incremental {
            c.incremental = false;
        }
        if let Some(url) = &flags.cluster {
            let cluster = c.cluster.get_or_insert_with(|| super::ClusterConfig::new(url, None));
            cluster.url = url.clone();
        }
        if let Some(name) = &flags.cluster_name {
            let Some(cluster) = c.cluster.as_mut() else {
                return Err(ConfigError::Invalid(
                    "--cluster-name needs --cluster (or [cluster] url)".into(),
                ));
            };
            cluster.name = name.clone();
        }
        if flags.edge {
            let Some(cluster) = c.cluster.as_mut() else {
                return Err(ConfigError::Invalid(
                    "an edge needs --cluster (or [cluster] url)".into(),
                ));
            };
            cluster.edge = true;
        }
        if let Some(cluster) = &c.cluster {
            cluster.validate().map_err(ConfigError::Invalid)?;
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn flags_win_over_the_file_and_the_file_over_the_defaults() {
        let f = write(
            "listen = \"127.0.0.1:9000\"\nqueries = \"from_file\"\n[limits]\ntopic_history_bytes = 4096\n\
             [wal]\nfsync = \"never\"\n[[tokens]]\ntoken = \"t-0123456789\"\nrole = \"viewer\"\n",
        );
        let flags = Flags {
            queries: Some("from_flag".into()),
            fsync: Some("always".into()),
            ..Flags::default()
        };
        let c = Config::load(Some(f.path()), flags).unwrap();
        assert_eq!(c.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(c.queries, PathBuf::from("from_flag"));
        assert_eq!(c.data_dir, Config::default().data_dir);
        assert_eq!(c.limits.topic_history_bytes, 4096);
        assert_eq!(c.fsync, Fsync::Always);
        assert_eq!(c.tokens.len(), 1);
        assert_eq!(c.tokens[0].role, super::super::Role::Viewer);
    }

    #[test]
    fn a_bad_file_is_a_typed_error() {
        let unknown = write("[limits]\nno_such_key = 1\n");
        assert!(matches!(
            Config::load(Some(unknown.path()), Flags::default()),
            Err(ConfigError::Parse { .. })
        ));
        let zero = write("[wal]\nfsync_interval_ms = 0\n");
        assert!(matches!(
            Config::load(Some(zero.path()), Flags::default()),
            Err(ConfigError::Invalid(_))
        ));
        let missing = Path::new("/nonexistent/ioc.toml");
        assert!(matches!(
            Config::load(Some(missing), Flags::default()),
            Err(ConfigError::Read { .. })
        ));
    }

    #[test]
    fn cluster_settings_from_the_file_and_the_flags() {
        let f = write("[cluster]\nurl = \"nats://10.0.0.1:4222\"\nname = \"prov-1\"\nreplicas = 3\nlease_ms = 1500\n");
        let c = Config::load(Some(f.path()), Flags::default()).unwrap().cluster.unwrap();
        assert_eq!(
            (c.url.as_str(), c.name.as_str(), c.replicas),
            ("nats://10.0.0.1:4222", "prov-1", 3)
        );
        assert_eq!(c.lease, Duration::from_millis(1500));
        assert!(!c.edge);
        // Flags win; `edge` needs a cluster; a name that cannot prefix a subject is refused.
        let flags = Flags {
            cluster: Some("nats://127.0.0.1:4222".into()),
            cluster_name: Some("t1".into()),
            edge: true,
            ..Flags::default()
        };
        let c = Config::load(Some(f.path()), flags).unwrap().cluster.unwrap();
        assert_eq!(
            (c.url.as_str(), c.name.as_str(), c.edge),
            ("nats://127.0.0.1:4222", "t1", true)
        );
        let edge_alone = Flags {
            edge: true,
            ..Flags::default()
        };
        assert!(matches!(Config::load(None, edge_alone), Err(ConfigError::Invalid(_))));
        let bad_name = Flags {
            cluster: Some("nats://127.0.0.1:4222".into()),
            cluster_name: Some("a.b".into()),
            ..Flags::default()
        };
        assert!(matches!(Config::load(None, bad_name), Err(ConfigError::Invalid(_))));
        assert!(Config::load(None, Flags::default()).unwrap().cluster.is_none());
    }
}
