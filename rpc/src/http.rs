//! The plain HTTP routes beside JSON-RPC.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use truffle_node::Node;

use crate::RpcLimits;

/// The router of the non-RPC paths.
pub fn routes(node: Node, limits: RpcLimits) -> Router {
    Router::new()
        .route("/health", get(health))
        .merge(crate::web::routes())
        .route("/ads/{id}/click", get(crate::click::click))
        .merge(crate::payments_http::routes())
        .route(
            "/kakao/skill/{secret}",
            axum::routing::post(crate::kakao_http::skill),
        )
        .layer(axum::extract::DefaultBodyLimit::max(
            limits.max_request_bytes as usize,
        ))
        .with_state(node)
}

/// 200 with the node's health while it has a leader; 503 otherwise.
async fn health(State(node): State<Node>) -> Response {
    match node.health().await {
        Ok(health) => {
            let status = if health.leader_id.is_some() {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            (status, Json(health)).into_response()
        }
        Err(error) => (StatusCode::SERVICE_UNAVAILABLE, error.to_string()).into_response(),
    }
}
