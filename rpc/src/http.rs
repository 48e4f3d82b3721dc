//! The plain HTTP routes beside JSON-RPC.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use truffle_node::Node;

use crate::RpcLimits;

/// The router of the non-RPC paths.
pub fn routes(node: Node, limits: RpcLimits) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/", get(index))
        .route("/ads/{id}/click", get(crate::click::click))
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

/// A status page: which chain, which height, how to reach the API.
async fn index(State(node): State<Node>) -> Response {
    let head = match node.head() {
        Ok(head) => head,
        Err(error) => return (StatusCode::SERVICE_UNAVAILABLE, error.to_string()).into_response(),
    };
    Html(format!(
        "<!doctype html><html lang=\"ko\"><head><meta charset=\"utf-8\"><title>Truffle</title></head>\
         <body><h1>Truffle</h1><p>chain <code>{}</code> ({})</p><p>height {} · block <code>{}</code></p>\
         <p>JSON-RPC: POST / · WebSocket: ws on /</p></body></html>",
        node.chain_id(),
        node.genesis().chain_name,
        head.height,
        head.hash()
    ))
    .into_response()
}
