//! `GET /api/v1/cluster` (docs/cluster.md): the cluster's name, its leader, every node with its role,
//! HTTP address and last heartbeat, and this node's lag behind each event stream. A single node (not in a
//! cluster) answers 404 `not_a_cluster`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};

use super::auth::{Caller, Need};
use super::error::{ApiError, ErrorBody};
use super::AppState;
use crate::cluster::members::ClusterView;

#[utoipa::path(
    get,
    path = "/api/v1/cluster",
    tag = "cluster",
    responses(
        (status = 200, description = "The cluster's name, leader, nodes and this node's lag per stream", body = ClusterView),
        (status = 404, description = "This server is not in a cluster (`not_a_cluster`)", body = ErrorBody),
        (status = 503, description = "The cluster's NATS did not answer in time (`unavailable`)", body = ErrorBody),
        (status = "4XX", description = "No token, or one that may not view", body = ErrorBody),
    )
)]
pub async fn view(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<ClusterView>, ApiError> {
    caller.require(Need::View)?;
    let Some(node) = &state.cluster else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_a_cluster",
            "this server runs alone (start it with --cluster to join a cluster)",
        ));
    };
    node.view().await.map(Json).map_err(|e| {
        tracing::warn!(error = %e, "cannot read the cluster's state");
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", e.to_string())
    })
}
