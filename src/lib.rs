//! ioc-stream: live SQL operating scenarios for a provincial Intelligent Operations Center.
//!
//! The data flows one way, and each module is one stage of it:
//!
//! ```text
//! service systems --HTTP NDJSON / JSON / Arrow IPC--> ingest --> store
//!   (decode + validate against the catalog)             (Arrow segments per stream, time pruning, retention)
//! store --> engine (DataFusion evaluates each scenario on its interval, diffs by key)
//!       --> fanout (one topic per scenario, encode once, bounded per-client queues) --> WebSocket clients
//! ```
//!
//! - [`catalog`]: stream schemas (`queries/streams.toml`) and reference tables (`queries/reference/*.csv`).
//! - [`ingest`]: request bodies to validated `RecordBatch`es; nothing of a bad request is kept. Its
//!   `connectors` take events from NATS JetStream and MQTT through the same path.
//! - [`store`]: immutable segments plus an open one per stream, de-duplication by id, and the
//!   `TableProvider` that prunes them.
//! - [`engine`]: scenarios (`queries/*.sql`), their schedule on a CPU runtime, evaluation and the result diff.
//! - [`fanout`]: topics, subscriptions and per-client queues.
//! - [`api`]: the axum server: REST under `/api/v1`, `/ws`, `/metrics`, `/healthz`, `/readyz` and the wall page.
//! - [`simulator`]: the demo's generator of provincial events.
//! - [`publish`]: scenario updates and alerts republished on NATS subjects (`[publish]`).
//! - [`health`]: what `/healthz` and `/readyz` report (can the WAL be written?).
//! - [`server`]: wires the stages together and runs them until shutdown.

pub mod api;
pub mod catalog;
pub mod check;
pub mod cluster;
pub mod config;
pub mod engine;
pub mod fanout;
pub mod health;
pub mod import;
pub mod ingest;
pub mod publish;
pub mod server;
pub mod simulator;
pub mod store;
pub mod values;
/// The write-ahead log lives with the store; this keeps its old path.
pub use store::wal;
