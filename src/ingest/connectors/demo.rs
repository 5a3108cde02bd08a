//! `ioc-stream demo --via nats`: the simulator publishes its events to NATS JetStream (one JetStream
//! stream `PREFIX_STREAM` per catalog stream, subject `PREFIX.stream`) and the server takes them through
//! sources added to the catalog, so the demo shows the connector path end to end. The embedded default
//! stays plain HTTP-path ingest, needing no broker. This module does not decode or store.

use std::sync::Arc;

use async_nats::jetstream;
use tokio::runtime::Handle;

use super::config::{BatchBounds, NatsSource, PayloadFormat, SourceDef, Tls};
use crate::catalog::Catalog;
use crate::simulator::{EventSink, SinkError};

/// A body larger than this is split at line boundaries (NATS's default `max_payload` is 1 MiB).
const MAX_MESSAGE_BYTES: usize = 512 << 10;

pub use crate::config::DemoVia;

impl DemoVia {
    fn js_stream(&self, stream: &str) -> String {
        format!("{}_{}", self.prefix.replace('.', "_"), stream).to_ascii_uppercase()
    }

    fn subject(&self, stream: &str) -> String {
        format!("{}.{stream}", self.prefix)
    }

    /// Adds a JetStream source to every stream of the catalog that has none.
    pub fn add_sources(&self, catalog: &mut Catalog) {
        for (name, def) in catalog.streams.iter_mut() {
            if !def.sources.is_empty() {
                continue;
            }
            let source = SourceDef::Nats(NatsSource {
                url: self.url.clone(),
                stream: self.js_stream(name),
                create: true,
                subject: self.subject(name),
                durable: format!("{}-{name}", self.prefix.replace('.', "-")),
                format: PayloadFormat::Ndjson,
                user: None,
                password_env: None,
                token_env: None,
                creds_file: None,
                tls: Tls::default(),
                tls_required: false,
                batch: BatchBounds::default(),
                ack_wait_s: 30,
            });
            Arc::make_mut(def).sources.push(source);
        }
    }
}

/// The simulator's sink that publishes to JetStream (from the simulator's blocking thread).
pub struct NatsSink {
    via: DemoVia,
    js: jetstream::Context,
    runtime: Handle,
}

impl NatsSink {
    pub async fn connect(via: DemoVia, catalog: &Catalog) -> Result<NatsSink, super::SourceError> {
        let client = super::nats::connect(&via.url, "ioc-stream demo", &Default::default(), None).await?;
        let js = jetstream::new(client);
        for name in catalog.streams.keys() {
            js.get_or_create_stream(jetstream::stream::Config {
                name: via.js_stream(name),
                subjects: vec![via.subject(name)],
                ..Default::default()
            })
            .await
            .map_err(|e| super::SourceError::Broker(e.to_string()))?;
        }
        Ok(NatsSink {
            via,
            js,
            runtime: Handle::current(),
        })
    }
}

impl EventSink for NatsSink {
    fn push(&self, stream: &str, ndjson: Vec<u8>) -> Result<usize, SinkError> {
        let subject = self.via.subject(stream);
        let mut events = 0;
        for chunk in split_lines(&ndjson, MAX_MESSAGE_BYTES) {
            let lines = chunk.iter().filter(|b| **b == b'\n').count();
            let body = bytes::Bytes::copy_from_slice(chunk);
            self.runtime.block_on(async {
                let ack = self
                    .js
                    .publish(subject.clone(), body)
                    .await
                    .map_err(|e| SinkError::Broker(e.to_string()))?;
                ack.await.map_err(|e| SinkError::Broker(e.to_string()))
            })?;
            events += lines;
        }
        Ok(events)
    }
}

/// Splits NDJSON into pieces of at most `max` bytes at line ends (a longer line is a piece of its own).
fn split_lines(body: &[u8], max: usize) -> Vec<&[u8]> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut last_end = 0;
    for (i, b) in body.iter().enumerate() {
        if *b == b'\n' {
            if i + 1 - start > max && last_end > start {
                pieces.push(&body[start..last_end]);
                start = last_end;
            }
            last_end = i + 1;
        }
    }
    if last_end > start {
        pieces.push(&body[start..last_end]);
    }
    if body.len() > last_end.max(start) {
        pieces.push(&body[last_end.max(start)..]);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_line_ends() {
        let body = b"aaaa\nbbbb\ncccc\n";
        assert_eq!(split_lines(body, 10), vec![&b"aaaa\nbbbb\n"[..], &b"cccc\n"[..]]);
        assert_eq!(split_lines(body, 100), vec![&body[..]]);
        assert_eq!(split_lines(b"a\nbb", 100), vec![&b"a\n"[..], &b"bb"[..]]);
    }
}
