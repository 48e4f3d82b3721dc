//! The plain HTTP routes beside JSON-RPC.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Extension;
use axum::{Json, Router};
use prometheus_client::registry::Registry;
use truffle_node::Node;

use crate::RpcLimits;

/// The router of the non-RPC paths.
pub fn routes(node: Node, limits: RpcLimits, metrics: Arc<Registry>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics_text))
        .merge(crate::web::routes())
        .merge(crate::images_http::routes())
        .route("/ads/{id}/click", get(crate::click::click))
        .merge(crate::payments_http::routes())
        .route(
            "/kakao/skill/{secret}",
            axum::routing::post(crate::kakao_http::skill),
        )
        .layer(axum::extract::DefaultBodyLimit::max(
            limits.max_request_bytes as usize,
        ))
        .layer(Extension(metrics))
        .with_state(node)
}

/// Content type of the OpenMetrics text format, which Prometheus scrapes.
pub const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The node's and the server's metrics, read now.
async fn metrics_text(
    State(node): State<Node>,
    Extension(registry): Extension<Arc<Registry>>,
) -> Response {
    node.metrics().refresh(&node).await;
    let mut text = String::new();
    match prometheus_client::encoding::text::encode(&mut text, &registry) {
        Ok(()) => ([(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)], text).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
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
