//! The settings of the broker-facing parts, as plain data: `[publish]` (results out on NATS, run by
//! `crate::publish`), `demo --via nats` (run by `ingest::connectors::demo`), TLS files (read by the
//! connectors), and the WAL's fsync policy (applied by `store::wal`). Their behaviour lives with the code
//! that uses them; keeping the data here keeps `config` a leaf that imports no other stage.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// `[publish]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PublishConfig {
    /// `nats://host:port`; several servers separated by commas.
    pub url: String,
    /// Subjects are `PREFIX.<scenario>` and `PREFIX.alerts`.
    pub prefix: String,
    /// A snapshot after this many updates of a scenario (besides every new epoch).
    #[serde(default = "default_snapshot_every")]
    pub snapshot_every: u64,
    pub user: Option<String>,
    pub password_env: Option<String>,
    pub token_env: Option<String>,
    pub creds_file: Option<PathBuf>,
    #[serde(default)]
    pub tls: Tls,
    #[serde(default)]
    pub tls_required: bool,
}

fn default_snapshot_every() -> u64 {
    100
}

/// TLS settings of a broker connection (sources and `[publish]`).
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    /// PEM file of the CA certificates that sign the broker's certificate.
    pub ca_file: Option<PathBuf>,
    /// PEM files of the client certificate and its key, for brokers that ask for one.
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
}

/// Where the demo's events go through NATS: the server URL and the subject prefix (`ioc.demo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoVia {
    pub url: String,
    pub prefix: String,
}

/// When appended WAL bytes are forced to stable storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    Always,
    Interval(Duration),
    Never,
}

impl Fsync {
    /// `always`, `interval` (with `interval`), or `never`.
    pub fn parse(text: &str, interval: Duration) -> Option<Fsync> {
        match text {
            "always" => Some(Fsync::Always),
            "interval" => Some(Fsync::Interval(interval)),
            "never" => Some(Fsync::Never),
            _ => None,
        }
    }
}
