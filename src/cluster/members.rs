//! Who is in the cluster: every node puts `{id, role, addr, seen_at}` into the members bucket once a
//! second (entries expire ten seconds after the last one), and `GET /api/v1/cluster` reads them back
//! with the lease's holder and this node's lag behind each event stream.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::{ClusterError, Node, Role};
use crate::values::format_time;

const EVERY: Duration = Duration::from_secs(1);

/// A member as `GET /api/v1/cluster` lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Member {
    pub id: String,
    /// `leader`, `standby` or `edge`.
    pub role: String,
    /// The node's HTTP address, `host:port`.
    pub addr: String,
    pub seen_at: String,
}

/// This node's lag behind one event stream: messages it has not applied yet.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StreamLag {
    pub name: String,
    pub lag: u64,
}

/// `GET /api/v1/cluster`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClusterView {
    pub name: String,
    /// This node's id.
    pub node: String,
    /// The leader's node id, when there is one.
    pub leader: Option<String>,
    pub nodes: Vec<Member>,
    /// Empty on an edge, which holds no events.
    pub streams: Vec<StreamLag>,
}

fn key(id: &str) -> String {
    format!("node.{id}")
}

/// Puts this node's entry every second until shutdown, then removes it.
pub async fn heartbeat(node: Arc<Node>, addr: SocketAddr, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(EVERY);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tick.tick() => {}
            _ = node.role_changed.notified() => {}
        }
        let me = Member {
            id: node.id.clone(),
            role: node.role().as_str().to_string(),
            addr: addr.to_string(),
            seen_at: format_time(chrono::Utc::now()),
        };
        let value = Bytes::from(serde_json::to_vec(&me).expect("a member serialises"));
        if let Ok(Err(e)) = tokio::time::timeout(EVERY, node.members.put(key(&node.id), value)).await {
            tracing::debug!(error = %e, "cluster heartbeat failed");
        }
    }
    let _ = tokio::time::timeout(EVERY, node.members.delete(key(&node.id))).await;
}

pub(super) async fn view(node: &Node) -> Result<ClusterView, ClusterError> {
    let js = |e: String| ClusterError::JetStream(e);
    let mut nodes: Vec<Member> = super::entries(&node.members, EVERY * 2)
        .await
        .map_err(js)?
        .into_iter()
        .filter_map(|(_, v)| serde_json::from_slice(&v).ok())
        .collect();
    nodes.sort_by(|a, b| a.id.cmp(&b.id));
    metrics::gauge!("ioc_cluster_nodes").set(nodes.len() as f64);
    let leader = match node.role() {
        Role::Leader => Some(node.id.clone()),
        _ => tokio::time::timeout(EVERY * 2, node.lease.get("leader"))
            .await
            .map_err(|_| js("no answer from the lease bucket in time".into()))?
            .map_err(|e| js(e.to_string()))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()),
    };
    let streams = if node.role() == Role::Edge {
        Vec::new()
    } else {
        node.log.lags()
    };
    Ok(ClusterView {
        name: node.names.name().to_string(),
        node: node.id.clone(),
        leader,
        nodes,
        streams,
    })
}
