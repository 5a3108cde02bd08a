//! Connectors: events that arrive from message brokers instead of HTTP. A stream's catalog entry may list
//! sources (`[[streams.NAME.sources]]`, [`config`]); each runs as one task ([`nats`] for JetStream,
//! [`mqtt`] for MQTT) that takes messages in micro-batches, decodes and validates each exactly as an HTTP
//! body, stores the good ones through the same path to the WAL and the store ([`batch`]), and only then
//! acknowledges them to the broker. Every source reports its state and counters ([`status`]).
//!
//! This module does not decode (that is `ingest`) and does not publish results (that is `crate::publish`).

pub mod batch;
pub mod config;
pub mod demo;
pub mod mqtt;
pub mod nats;
pub mod status;

use std::sync::Arc;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use config::SourceDef;
pub use status::{SourceInfo, SourceStatus};

use crate::catalog::Catalog;
use crate::ingest::Ingestor;

/// Why a source could not start or lost its connection.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("environment variable `{0}` is not set (it should hold the secret)")]
    MissingSecret(String),
    #[error("{0}")]
    Config(String),
    #[error("cannot connect to {url}: {message}")]
    Connect { url: String, message: String },
    #[error("JetStream: {0}")]
    Broker(String),
    #[error("shutting down")]
    ShuttingDown,
}

/// The value of an environment variable that holds a secret.
pub fn secret(var: &str) -> Result<String, SourceError> {
    std::env::var(var).map_err(|_| SourceError::MissingSecret(var.to_string()))
}

/// Every source of the catalog, with its status.
#[derive(Debug, Default)]
pub struct Sources {
    list: Vec<(Arc<SourceStatus>, SourceDef)>,
}

impl Sources {
    /// The sources the catalog declares; an error names the first whose files or secrets are missing.
    pub fn from_catalog(catalog: &Catalog) -> Result<Sources, String> {
        let mut list = Vec::new();
        for (stream, def) in &catalog.streams {
            for source in &def.sources {
                if let Some(problem) = source.check_environment().into_iter().next() {
                    return Err(format!(
                        "stream `{stream}`: {} source `{}`: {problem}",
                        source.kind(),
                        source.name()
                    ));
                }
                let status = Arc::new(SourceStatus::new(stream, source.kind(), source.name()));
                list.push((status, source.clone()));
            }
        }
        Ok(Sources { list })
    }

    pub fn statuses(&self) -> impl Iterator<Item = &Arc<SourceStatus>> {
        self.list.iter().map(|(s, _)| s)
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Starts one task per source; the caller owns the handles and awaits them on shutdown.
    pub fn spawn(&self, ingestor: &Arc<Ingestor>, shutdown: &CancellationToken) -> Vec<JoinHandle<()>> {
        self.list
            .iter()
            .map(|(status, def)| {
                let batcher = batch::Batcher {
                    ingestor: ingestor.clone(),
                    stream: status.stream.clone(),
                    format: def.format().format(),
                    status: status.clone(),
                    max_message_bytes: ingestor.limits().max_decompressed_bytes,
                };
                let shutdown = shutdown.clone();
                match def.clone() {
                    SourceDef::Nats(n) => tokio::spawn(nats::run(n, batcher, shutdown)),
                    SourceDef::Mqtt(m) => tokio::spawn(mqtt::run(m, batcher, shutdown)),
                }
            })
            .collect()
    }
}
