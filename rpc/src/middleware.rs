//! What every JSON-RPC call passes through: the operator gate of `admin_*` methods,
//! request counts and latency by method, and a tracing span per call.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use jsonrpsee::core::middleware::{Batch, BatchEntry, BatchEntryErr, Notification, RpcServiceT};
use jsonrpsee::server::MethodResponse;
use jsonrpsee::types::{ErrorObjectOwned, Request};
use jsonrpsee::Extensions;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};
use tracing::Instrument;

use crate::error;

/// Methods only the node's operator may call.
pub const ADMIN_PREFIX: &str = "admin_";

/// The listener a connection came in on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listener {
    /// The public RPC address.
    Public,
    /// The operator's loopback address (`rpc_admin_listen`).
    Admin,
}

/// Whether the HTTP request carried the operator's bearer token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperatorAuthenticated(pub bool);

/// Labels of one call.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    /// The method, or `unknown` for names the server does not register (bounded labels).
    pub method: String,
    /// `ok` or `error`.
    pub outcome: String,
}

/// Labels of a latency observation.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MethodLabels {
    /// The method, or `unknown`.
    pub method: String,
}

type LatencyFamily = Family<MethodLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 0.1 ms .. ~3.3 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}

/// Counts and latencies of JSON-RPC calls, shared by every connection.
#[derive(Debug)]
pub struct RpcMetrics {
    calls: Family<CallLabels, Counter>,
    latency: LatencyFamily,
    known: HashSet<String>,
}

impl RpcMetrics {
    /// Metrics labelled by the given method names (others count as `unknown`).
    pub fn new(methods: impl IntoIterator<Item = String>) -> RpcMetrics {
        RpcMetrics {
            calls: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
            known: methods.into_iter().collect(),
        }
    }

    /// Adds the metrics to `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "rpc_requests",
            "JSON-RPC calls by method and outcome",
            self.calls.clone(),
        );
        registry.register_with_unit(
            "rpc_request_duration",
            "Time to answer a JSON-RPC call, by method",
            Unit::Seconds,
            self.latency.clone(),
        );
    }

    fn label(&self, method: &str) -> String {
        if self.known.contains(method) {
            method.to_owned()
        } else {
            "unknown".to_owned()
        }
    }

    /// Counts one call under `label` (from [`RpcMetrics::label`]).
    fn record(&self, label: String, ok: bool, started: Option<Instant>) {
        let method = label;
        if let Some(started) = started {
            self.latency
                .get_or_create(&MethodLabels {
                    method: method.clone(),
                })
                .observe(started.elapsed().as_secs_f64());
        }
        let outcome = if ok { "ok" } else { "error" };
        self.calls
            .get_or_create(&CallLabels {
                method,
                outcome: outcome.to_owned(),
            })
            .inc();
    }
}

/// Why an `admin_*` call is refused, if it is.
fn admin_refusal(
    method: &str,
    extensions: &Extensions,
    separate_listener: bool,
) -> Option<ErrorObjectOwned> {
    if !method.starts_with(ADMIN_PREFIX) {
        return None;
    }
    let listener = extensions
        .get::<Listener>()
        .copied()
        .unwrap_or(Listener::Public);
    if separate_listener && listener != Listener::Admin {
        return Some(error::error(
            error::OPERATOR_REFUSED,
            format!("{method} is served only on this node's admin address"),
        ));
    }
    let authenticated = extensions
        .get::<OperatorAuthenticated>()
        .is_some_and(|a| a.0);
    if !authenticated {
        return Some(error::error(
            error::OPERATOR_REFUSED,
            format!(
                "{method} needs the operator's credentials: send `Authorization: Bearer <token>` \
                 with the token from the node's admin token file"
            ),
        ));
    }
    None
}

/// The middleware (one per connection, sharing the metrics).
#[derive(Clone)]
pub struct RpcGate<S> {
    inner: S,
    metrics: Arc<RpcMetrics>,
    separate_admin_listener: bool,
}

impl<S> RpcGate<S> {
    /// Wraps `inner`; with `separate_admin_listener`, `admin_*` methods answer only on
    /// the admin listener.
    pub fn new(inner: S, metrics: Arc<RpcMetrics>, separate_admin_listener: bool) -> Self {
        RpcGate {
            inner,
            metrics,
            separate_admin_listener,
        }
    }
}

impl<S> RpcServiceT for RpcGate<S>
where
    S: RpcServiceT<
            MethodResponse = MethodResponse,
            BatchResponse = MethodResponse,
            NotificationResponse = MethodResponse,
        > + Clone
        + Send
        + Sync
        + 'static,
{
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(&self, request: Request<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        let service = self.inner.clone();
        let metrics = self.metrics.clone();
        let label = metrics.label(request.method_name());
        let refusal = admin_refusal(
            request.method_name(),
            request.extensions(),
            self.separate_admin_listener,
        );
        let span = tracing::debug_span!(target: "rpc", "rpc", method = %label);
        async move {
            let started = Instant::now();
            let response = match refusal {
                Some(refusal) => {
                    tracing::info!(target: "rpc", method = %label, "admin call refused");
                    MethodResponse::error(request.id(), refusal)
                }
                None => service.call(request).await,
            };
            metrics.record(label, response.is_success(), Some(started));
            response
        }
        .instrument(span)
    }

    fn batch<'a>(&self, mut batch: Batch<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        // The server runs a batch's calls without passing them through `call`, so the
        // gate and the counts are applied to each entry here.
        for entry in batch.iter_mut() {
            let refused = match entry {
                Ok(BatchEntry::Call(request)) => admin_refusal(
                    request.method_name(),
                    request.extensions(),
                    self.separate_admin_listener,
                )
                .map(|refusal| (request.id(), refusal)),
                _ => None,
            };
            if let Ok(entry) = entry {
                let label = self.metrics.label(entry.method_name());
                self.metrics.record(label, refused.is_none(), None);
            }
            if let Some((id, refusal)) = refused {
                *entry = Err(BatchEntryErr::new(id.into_owned(), refusal));
            }
        }
        self.inner.batch(batch)
    }

    fn notification<'a>(
        &self,
        notification: Notification<'a>,
    ) -> impl Future<Output = MethodResponse> + Send + 'a {
        let refused = admin_refusal(
            notification.method_name(),
            notification.extensions(),
            self.separate_admin_listener,
        )
        .is_some();
        let inner = self.inner.clone();
        async move {
            if refused {
                // Notifications get no answer; a refused one is simply not run.
                return MethodResponse::notification();
            }
            inner.notification(notification).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extensions(listener: Listener, authenticated: bool) -> Extensions {
        let mut extensions = Extensions::new();
        extensions.insert(listener);
        extensions.insert(OperatorAuthenticated(authenticated));
        extensions
    }

    #[test]
    fn admin_methods_need_the_token() {
        let without = extensions(Listener::Public, false);
        let with = extensions(Listener::Public, true);
        let refusal = admin_refusal("admin_compact", &without, false).unwrap();
        assert_eq!(refusal.code(), error::OPERATOR_REFUSED);
        assert!(refusal.message().contains("Authorization: Bearer"));
        assert!(admin_refusal("admin_compact", &with, false).is_none());
        assert!(admin_refusal("chain_head", &without, false).is_none());
        assert!(admin_refusal("admin_compact", &Extensions::new(), false).is_some());
    }

    #[test]
    fn a_separate_admin_listener_keeps_admin_methods_off_the_public_one() {
        let public = extensions(Listener::Public, true);
        let admin = extensions(Listener::Admin, true);
        let refusal = admin_refusal("admin_compact", &public, true).unwrap();
        assert!(refusal.message().contains("admin address"));
        assert!(admin_refusal("admin_compact", &admin, true).is_none());
        let admin_without_token = extensions(Listener::Admin, false);
        assert!(admin_refusal("admin_compact", &admin_without_token, true).is_some());
    }

    #[test]
    fn unknown_methods_share_one_label() {
        let metrics = RpcMetrics::new(["chain_head".to_owned()]);
        metrics.record(metrics.label("chain_head"), true, Some(Instant::now()));
        metrics.record(metrics.label("made_up_1"), false, None);
        metrics.record(metrics.label("made_up_2"), false, None);
        let mut registry = Registry::default();
        metrics.register(&mut registry);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        assert!(
            text.contains("rpc_requests_total{method=\"chain_head\",outcome=\"ok\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("rpc_requests_total{method=\"unknown\",outcome=\"error\"} 2"),
            "{text}"
        );
        assert!(!text.contains("made_up"));
        assert!(
            text.contains("rpc_request_duration_seconds_count{method=\"chain_head\"} 1"),
            "{text}"
        );
    }
}
