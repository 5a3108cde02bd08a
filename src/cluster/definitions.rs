//! Scenario and dashboard definitions shared by every node through a key-value bucket
//! (`NAME_definitions`): `scenario.<name>` holds the text of `queries/<name>.sql` and `dashboard.<name>`
//! that of `queries/dashboards/<name>.toml`.
//!
//! Each node keeps its own files in line with the bucket, so the engine, the API and the disk watcher
//! work as on a single node:
//! - at start, what the bucket holds wins over the local files, and a file only this node has is offered
//!   to the bucket (so the first node of a new cluster fills it);
//! - a change in the bucket (from any node) is written to the local file, and the engine reloads it;
//! - once a second, a local file changed by the API or by hand is put into the bucket, and a removed one
//!   is deleted from it.
//!
//! A node that was away while a definition was deleted offers its copy back when it starts: delete
//! definitions while the nodes run. This module does not plan or validate definitions; each node's engine
//! does, and a definition that does not plan is listed as broken there, as on a single node.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::kv::Operation;
use bytes::Bytes;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::Node;
use crate::engine::Engine;

/// The definitions on disk, by bucket key.
type Files = BTreeMap<String, String>;

fn file_of(queries: &Path, key: &str) -> Option<PathBuf> {
    let (kind, name) = key.split_once('.')?;
    if !crate::catalog::valid_name(name) {
        return None;
    }
    match kind {
        "scenario" => Some(queries.join(format!("{name}.sql"))),
        "dashboard" => Some(queries.join("dashboards").join(format!("{name}.toml"))),
        _ => None,
    }
}

fn read_files(queries: &Path) -> Files {
    let mut files = Files::new();
    for (dir, ext, kind) in [
        (queries.to_path_buf(), "sql", "scenario"),
        (queries.join("dashboards"), "toml", "dashboard"),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|x| x != ext) {
                continue;
            }
            let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            if stem.starts_with('.') || !crate::catalog::valid_name(stem) {
                continue;
            }
            if let Ok(text) = std::fs::read_to_string(&path) {
                files.insert(format!("{kind}.{stem}"), text);
            }
        }
    }
    files
}

async fn local(queries: &Path) -> Files {
    let q = queries.to_path_buf();
    tokio::task::spawn_blocking(move || read_files(&q))
        .await
        .unwrap_or_default()
}

/// Writes (or, with `None`, removes) the file of `key`.
async fn write(queries: &Path, key: &str, text: Option<String>) {
    let Some(path) = file_of(queries, key) else { return };
    let p = path.clone();
    let done = tokio::task::spawn_blocking(move || match text {
        Some(t) => crate::engine::write_atomically(&p, &t),
        None => match std::fs::remove_file(&p) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        },
    })
    .await;
    if let Ok(Err(e)) = done {
        tracing::warn!(path = %path.display(), error = %e, "cannot write a shared definition");
    }
}

pub async fn sync(node: Arc<Node>, engine: Arc<Engine>, shutdown: CancellationToken) {
    let mut backoff =
        crate::ingest::connectors::batch::Backoff::new(Duration::from_millis(200), Duration::from_secs(5));
    loop {
        match run(&node, &engine, &shutdown).await {
            Ok(()) => return,
            Err(e) => {
                let delay = backoff.next_delay();
                tracing::warn!(error = %e, ?delay, "sharing definitions through the cluster; retrying");
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
}

async fn run(node: &Node, engine: &Arc<Engine>, shutdown: &CancellationToken) -> Result<(), String> {
    let kv = &node.definitions;
    let queries = engine.queries_dir().to_path_buf();
    // Watch first, so nothing put while the bucket is read is missed.
    let mut watch = kv.watch_all().await.map_err(|e| e.to_string())?;
    let mut synced: Files = super::entries(kv, Duration::from_secs(10))
        .await?
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
        .collect();
    let on_disk = local(&queries).await;
    for (k, text) in &synced {
        if on_disk.get(k) != Some(text) {
            write(&queries, k, Some(text.clone())).await;
        }
    }
    for (k, text) in on_disk {
        if !synced.contains_key(&k) && kv.create(&k, Bytes::from(text.clone())).await.is_ok() {
            synced.insert(k, text);
        }
    }
    engine.sync_dir().await;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            entry = watch.next() => {
                let entry = entry.ok_or("the watch of the definitions ended")?.map_err(|e| e.to_string())?;
                let text = match entry.operation {
                    Operation::Put => Some(String::from_utf8_lossy(&entry.value).into_owned()),
                    Operation::Delete | Operation::Purge => None,
                };
                if synced.get(&entry.key) == text.as_ref() {
                    continue;
                }
                tracing::info!(definition = %entry.key, removed = text.is_none(), "definition changed in the cluster");
                write(&queries, &entry.key, text.clone()).await;
                match text {
                    Some(t) => synced.insert(entry.key.clone(), t),
                    None => synced.remove(&entry.key),
                };
                engine.sync_dir().await;
            }
            _ = tick.tick() => {
                let on_disk = local(&queries).await;
                for (k, text) in &on_disk {
                    if synced.get(k) != Some(text) {
                        kv.put(k, Bytes::from(text.clone())).await.map_err(|e| e.to_string())?;
                        synced.insert(k.clone(), text.clone());
                    }
                }
                let gone: Vec<String> = synced.keys().filter(|k| !on_disk.contains_key(*k)).cloned().collect();
                for k in gone {
                    kv.delete(&k).await.map_err(|e| e.to_string())?;
                    synced.remove(&k);
                }
            }
        }
    }
}
