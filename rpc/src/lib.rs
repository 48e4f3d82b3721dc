//! The JSON-RPC API and HTTP routes of a Truffle node, on one port.
//!
//! - `POST /` and WebSocket upgrades on `/`: JSON-RPC 2.0 (jsonrpsee), one namespace
//!   per trait in `truffle_wire::api`: `system_*`, `chain_*`, `tx_*`, `account_*`..., and
//!   `rpc.discover`, the OpenRPC reference of them all (`truffle_wire::openrpc`).
//! - Other paths: plain HTTP routes in [`http`] (health for load balancers, pages).
//!
//! Request bodies, responses, batches and connections are bounded; errors carry the
//! stable codes of [`error`].

mod body;
pub mod chat_errors;
mod click;
pub mod error;
pub mod fuzzing;
mod handlers;
pub mod http;
mod images_http;
mod kakao_http;
pub mod listener;
pub mod market_errors;
pub mod middleware;
#[cfg(test)]
mod openrpc_drift;
mod payments_http;
mod web;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Body;
use jsonrpsee::server::middleware::rpc::RpcServiceBuilder;
use jsonrpsee::server::{stop_channel, BatchRequestConfig, ServerConfig, ServerHandle};
use jsonrpsee::Methods;
use middleware::{Listener, OperatorAuthenticated, RpcGate, RpcMetrics};
use prometheus_client::registry::Registry;
use tower::{Service, ServiceExt};
use truffle_node::Node;

pub use handlers::rpc_module;

/// Limits of the server.
#[derive(Clone, Copy, Debug)]
pub struct RpcLimits {
    /// Largest request body, bytes.
    pub max_request_bytes: u32,
    /// Largest response body, bytes.
    pub max_response_bytes: u32,
    /// Most calls in a batch.
    pub max_batch: u32,
    /// Most concurrent connections; one over it is closed at once.
    pub max_connections: u32,
    /// Most concurrent connections per client /24 or /64 (0: no limit).
    pub max_connections_per_client: u32,
    /// Longest wait for a request's headers, and for the next request on a new or
    /// keep-alive connection, ms.
    pub header_timeout_ms: u64,
    /// Requests per second per client /24 or /64 (0: no limit).
    pub requests_per_sec: u32,
    /// Bursts a client may send above its rate.
    pub request_burst: u32,
    /// Whether this host (127.0.0.1, ::1) is rate limited and capped too (other
    /// loopback addresses always are).
    pub rate_limit_loopback: bool,
}

impl Default for RpcLimits {
    fn default() -> Self {
        RpcLimits {
            max_request_bytes: 1024 * 1024,
            max_response_bytes: 32 * 1024 * 1024,
            max_batch: 100,
            max_connections: 1_000,
            max_connections_per_client: 64,
            header_timeout_ms: 10_000,
            requests_per_sec: 100,
            request_burst: 200,
            rate_limit_loopback: false,
        }
    }
}

/// A running server.
pub struct RpcServer {
    /// Where it listens.
    pub local_addr: SocketAddr,
    /// Where the `admin_*` methods are served, when the node has a separate address.
    pub admin_addr: Option<SocketAddr>,
    handle: ServerHandle,
    /// The accept loops (one per listener); each ends once its listener is closed and
    /// every connection it accepted has finished.
    accepts: Vec<tokio::task::JoinHandle<()>>,
    open_connections: Arc<AtomicUsize>,
}

impl RpcServer {
    /// Stops accepting connections and closes the open ones once their requests are
    /// answered (without waiting).
    pub fn stop(&self) {
        let _ = self.handle.stop();
    }

    /// Stops accepting connections (the listening sockets are closed, so new clients
    /// are refused and go to another node), lets the requests in flight finish, and
    /// waits up to `grace` for every connection to close. Returns how many were still
    /// open when the grace period ended (0: everything in flight was answered).
    pub async fn shutdown(mut self, grace: std::time::Duration) -> usize {
        self.stop();
        let all = futures::future::join_all(self.accepts.iter_mut());
        match tokio::time::timeout(grace, all).await {
            Ok(_) => 0,
            Err(_) => {
                for accept in &self.accepts {
                    accept.abort();
                }
                self.open_connections.load(Ordering::Acquire)
            }
        }
    }

    /// Connections open right now (HTTP keep-alive and requests in flight).
    pub fn open_connections(&self) -> usize {
        self.open_connections.load(Ordering::Acquire)
    }
}

/// Counts a connection as open until dropped.
struct ConnectionGuard(Arc<AtomicUsize>);

impl ConnectionGuard {
    fn new(count: &Arc<AtomicUsize>) -> ConnectionGuard {
        count.fetch_add(1, Ordering::AcqRel);
        ConnectionGuard(count.clone())
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The address of the client, put in each request's extensions.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub SocketAddr);

fn is_rpc<B>(request: &hyper::Request<B>) -> bool {
    if request.uri().path() != "/" {
        return false;
    }
    request.method() == hyper::Method::POST
        || request
            .headers()
            .get(hyper::header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Whether the request carries the operator's token as `Authorization: Bearer <token>`.
fn carries_operator_token<B>(request: &hyper::Request<B>, node: &Node) -> bool {
    request
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|token| node.operator_token().matches(token))
}

/// Serves the node's API on `listen` (and the `admin_*` methods on the node's admin
/// address, if it has one) until stopped.
pub async fn serve(
    node: Node,
    listen: SocketAddr,
    limits: RpcLimits,
) -> std::io::Result<RpcServer> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let local_addr = listener.local_addr()?;
    let mut listeners = vec![(listener, Listener::Public)];
    let mut admin_addr = None;
    if let Some(admin) = node.config().rpc_admin_listen {
        let listener = tokio::net::TcpListener::bind(admin).await?;
        admin_addr = Some(listener.local_addr()?);
        listeners.push((listener, Listener::Admin));
    }
    node.market().set_listen_address(local_addr);
    node.kakao().set_listen_address(local_addr);
    let (stop_handle, handle) = stop_channel();
    let module = rpc_module(node.clone());
    let rpc_metrics = Arc::new(RpcMetrics::new(module.method_names().map(str::to_owned)));
    let mut registry = Registry::with_prefix("truffle");
    node.metrics().register(&mut registry);
    rpc_metrics.register(&mut registry);
    let methods: Methods = module.into();
    let separate_admin = admin_addr.is_some();
    let config = ServerConfig::builder()
        .max_request_body_size(limits.max_request_bytes)
        .max_response_body_size(limits.max_response_bytes)
        .max_connections(limits.max_connections)
        .set_batch_request_config(BatchRequestConfig::Limit(limits.max_batch))
        .build();
    let builder =
        jsonrpsee::server::Server::builder()
            .set_config(config)
            .set_rpc_middleware(RpcServiceBuilder::new().layer_fn(move |service| {
                RpcGate::new(service, rpc_metrics.clone(), separate_admin)
            }))
            .to_service_builder();
    let router = http::routes(node.clone(), limits, Arc::new(registry));
    let open_connections = Arc::new(AtomicUsize::new(0));
    let places = Arc::new(tokio::sync::Semaphore::new(limits.max_connections as usize));
    let rate = Arc::new(listener::RateLimiter::new(
        limits.requests_per_sec,
        limits.request_burst,
        !limits.rate_limit_loopback,
    ));
    let header_timeout = std::time::Duration::from_millis(limits.header_timeout_ms);
    let per_client = listener::ClientConnections::new(
        limits.max_connections_per_client,
        !limits.rate_limit_loopback,
    );

    let mut accepts = Vec::new();
    for (listener, kind) in listeners {
        let builder = builder.clone();
        let methods = methods.clone();
        let router = router.clone();
        let stop_handle = stop_handle.clone();
        let node = node.clone();
        let counter = open_connections.clone();
        let places = places.clone();
        let rate = rate.clone();
        let per_client = per_client.clone();
        accepts.push(tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let (socket, remote) = tokio::select! {
                    // Reap finished connections as they end, so the set stays small.
                    Some(_) = connections.join_next(), if !connections.is_empty() => continue,
                    accepted = listener.accept() => match accepted {
                        Ok(accepted) => accepted,
                        Err(error) => {
                            tracing::warn!(target: "rpc", %error, "accept failed");
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                            continue;
                        }
                    },
                    _ = stop_handle.clone().shutdown() => break,
                };
                // Over the cap, the connection is closed before anything is read.
                let Some(client_place) = per_client.admit(remote.ip()) else {
                    tracing::debug!(target: "rpc", %remote, "connection refused: client at its cap");
                    drop(socket);
                    continue;
                };
                let Ok(place) = places.clone().try_acquire_owned() else {
                    tracing::debug!(target: "rpc", %remote, "connection refused: at the cap");
                    drop(socket);
                    continue;
                };
                let rpc = builder.clone().build(methods.clone(), stop_handle.clone());
                let rate = rate.clone();
                let router = router.clone();
                let node = node.clone();
                let service =
                    tower::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
                        let authenticated = carries_operator_token(&request, &node);
                        let extensions = request.extensions_mut();
                        extensions.insert(ClientAddr(remote));
                        extensions.insert(kind);
                        extensions.insert(OperatorAuthenticated(authenticated));
                        let mut rpc = rpc.clone();
                        let router = router.clone();
                        let over_rate = rate.check(remote.ip()).err();
                        async move {
                            if let Some(retry_after_secs) = over_rate {
                                return Ok(listener::too_many_requests(
                                    is_rpc(&request),
                                    retry_after_secs,
                                ));
                            }
                            if is_rpc(&request) {
                                match rpc.call(request).await {
                                    Ok(response) => Ok::<_, Infallible>(response.map(Body::new)),
                                    Err(error) => {
                                        tracing::debug!(target: "rpc", %error, "request failed");
                                        Ok(hyper::Response::builder()
                                            .status(500)
                                            .body(Body::from("internal error"))
                                            .expect("a valid response"))
                                    }
                                }
                            } else {
                                let response = router.oneshot(request.map(Body::new)).await?;
                                Ok(response)
                            }
                        }
                    });
                let guard = ConnectionGuard::new(&counter);
                let stopped = stop_handle.clone().shutdown();
                connections.spawn(async move {
                    let _guard = guard;
                    let _places = (place, client_place);
                    // On stop, hyper answers the request in flight, then closes the
                    // connection (idle keep-alive connections close at once).
                    listener::serve_connection(socket, service, header_timeout, stopped).await;
                });
            }
            // Closing the listener now refuses new clients while the open connections
            // finish their requests.
            drop(listener);
            while connections.join_next().await.is_some() {}
        }));
    }
    Ok(RpcServer {
        local_addr,
        admin_addr,
        handle,
        accepts,
        open_connections,
    })
}
