//! What every connection to the RPC port passes before a request is read: caps on open
//! connections, in all and per client /24 or /64 (one over is closed at once), a
//! header-read timeout that is also the idle timeout (a slowloris client, one that
//! connects and sends nothing, or one idle on keep-alive is closed after it), and a
//! per-client request rate (token bucket per /24 or
//! /64; over it, `429 Too Many Requests` — with a JSON-RPC error body on the RPC path).
//! Body sizes are bounded by jsonrpsee (`max_request_bytes`) and axum's
//! `DefaultBodyLimit`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Body;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};

/// JSON-RPC code of a call refused by the per-client request rate.
pub use truffle_wire::codes::RATE_LIMITED;

/// Whether `ip` is this host's own address (127.0.0.1 or ::1): operator tools and local
/// benchmarks, exempt unless `rpc_rate_limit_loopback`. Other loopback addresses
/// (127.0.1.x) are limited like any network, so a local test can play a remote one.
fn is_this_host(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4 == std::net::Ipv4Addr::LOCALHOST,
        IpAddr::V6(v6) => {
            v6 == std::net::Ipv6Addr::LOCALHOST
                || v6.to_ipv4_mapped() == Some(std::net::Ipv4Addr::LOCALHOST)
        }
    }
}

/// Per-client request rate: a token bucket per client prefix.
#[derive(Debug)]
pub struct RateLimiter {
    per_sec: f64,
    burst: f64,
    exempt_loopback: bool,
    buckets: Mutex<HashMap<Vec<u8>, (f64, Instant)>>,
}

/// Most buckets kept; beyond, full (idle) buckets are dropped first.
const MAX_BUCKETS: usize = 100_000;

impl RateLimiter {
    /// `per_sec` requests a second with bursts of `burst` per client prefix (0 turns it
    /// off); loopback clients are not limited when `exempt_loopback`.
    pub fn new(per_sec: u32, burst: u32, exempt_loopback: bool) -> RateLimiter {
        RateLimiter {
            per_sec: f64::from(per_sec),
            burst: f64::from(burst.max(1)),
            exempt_loopback,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request's token for `ip`; `Err(seconds)` to wait when none is left.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        if self.per_sec <= 0.0 || (self.exempt_loopback && is_this_host(ip)) {
            return Ok(());
        }
        let prefix = truffle_node::services::throttle::client_prefix(ip);
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("rate lock poisoned");
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(&prefix) {
            let (per_sec, burst) = (self.per_sec, self.burst);
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * per_sec < burst
            });
            if buckets.len() >= MAX_BUCKETS {
                return Err(1);
            }
        }
        let (tokens, at) = buckets.entry(prefix).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.per_sec).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.per_sec).ceil().max(1.0) as u64)
        }
    }
}

/// Open connections per client prefix, each counted until its [`ClientPlace`] drops.
#[derive(Debug)]
pub struct ClientConnections {
    max: usize,
    exempt_loopback: bool,
    open: Mutex<HashMap<Vec<u8>, usize>>,
}

/// One client's open connection, counted until dropped.
#[derive(Debug)]
pub struct ClientPlace {
    owner: Option<(std::sync::Arc<ClientConnections>, Vec<u8>)>,
}

impl Drop for ClientPlace {
    fn drop(&mut self) {
        if let Some((owner, prefix)) = self.owner.take() {
            let mut open = owner.open.lock().expect("connections lock poisoned");
            if let Some(count) = open.get_mut(&prefix) {
                *count -= 1;
                if *count == 0 {
                    open.remove(&prefix);
                }
            }
        }
    }
}

impl ClientConnections {
    /// At most `max` open connections per client /24 or /64 (0: no limit); loopback
    /// clients are not limited when `exempt_loopback`.
    pub fn new(max: u32, exempt_loopback: bool) -> std::sync::Arc<ClientConnections> {
        std::sync::Arc::new(ClientConnections {
            max: max as usize,
            exempt_loopback,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// A place for a new connection from `ip`, or `None` when its network has `max`.
    pub fn admit(self: &std::sync::Arc<Self>, ip: IpAddr) -> Option<ClientPlace> {
        if self.max == 0 || (self.exempt_loopback && is_this_host(ip)) {
            return Some(ClientPlace { owner: None });
        }
        let prefix = truffle_node::services::throttle::client_prefix(ip);
        let mut open = self.open.lock().expect("connections lock poisoned");
        let count = open.entry(prefix.clone()).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(ClientPlace {
            owner: Some((self.clone(), prefix)),
        })
    }
}

/// The answer to a request over the client's rate.
pub fn too_many_requests(rpc: bool, retry_after_secs: u64) -> hyper::Response<Body> {
    let body = if rpc {
        serde_json::json!({
            "jsonrpc": "2.0",
            "id": null,
            "error": {
                "code": RATE_LIMITED,
                "message": format!("too many requests from this address; retry in {retry_after_secs} s"),
                "data": { "retry_after_secs": retry_after_secs },
            },
        })
        .to_string()
    } else {
        format!("too many requests from this address; retry in {retry_after_secs} s\n")
    };
    hyper::Response::builder()
        .status(hyper::StatusCode::TOO_MANY_REQUESTS)
        .header(hyper::header::RETRY_AFTER, retry_after_secs.to_string())
        .header(
            hyper::header::CONTENT_TYPE,
            if rpc {
                "application/json"
            } else {
                "text/plain; charset=utf-8"
            },
        )
        .body(Body::from(body))
        .expect("a valid response")
}

/// Whether a connection has a request in flight, and since when it has had none.
struct Activity {
    started: Instant,
    in_flight: std::sync::atomic::AtomicUsize,
    idle_since_ms: std::sync::atomic::AtomicU64,
}

impl Activity {
    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// How long the connection has been without a request in flight (zero while one is).
    fn idle_for(&self) -> Duration {
        use std::sync::atomic::Ordering;
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return Duration::ZERO;
        }
        Duration::from_millis(
            self.now_ms()
                .saturating_sub(self.idle_since_ms.load(Ordering::Acquire)),
        )
    }
}

/// Serves one connection until it ends or `stopped` fires (then the request in flight is
/// answered and it closes). A connection without a request in flight for
/// `header_timeout` is closed: hyper's header-read timeout closes one that sends a
/// request's headers too slowly or idles on keep-alive, and a watchdog here closes one
/// that connects and never sends (hyper's timer waits for a first byte).
pub async fn serve_connection<S>(
    socket: tokio::net::TcpStream,
    service: S,
    header_timeout: Duration,
    stopped: impl std::future::Future<Output = ()>,
) where
    S: tower::Service<
            hyper::Request<hyper::body::Incoming>,
            Response = hyper::Response<Body>,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    use std::sync::atomic::Ordering;
    use tower::ServiceExt;

    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(header_timeout)
        .keep_alive_timeout(header_timeout);
    let activity = std::sync::Arc::new(Activity {
        started: Instant::now(),
        in_flight: std::sync::atomic::AtomicUsize::new(0),
        idle_since_ms: std::sync::atomic::AtomicU64::new(0),
    });
    let tracked = {
        let activity = activity.clone();
        tower::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            let activity = activity.clone();
            activity.in_flight.fetch_add(1, Ordering::AcqRel);
            let call = service.clone().oneshot(request);
            async move {
                let response = call.await;
                activity
                    .idle_since_ms
                    .store(activity.now_ms(), Ordering::Release);
                activity.in_flight.fetch_sub(1, Ordering::AcqRel);
                response
            }
        })
    };
    let service = hyper_util::service::TowerToHyperService::new(tracked);
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(socket), service);
    let idle = async {
        loop {
            let idle_for = activity.idle_for();
            if idle_for >= header_timeout {
                return;
            }
            tokio::time::sleep((header_timeout - idle_for).max(Duration::from_millis(50))).await;
        }
    };
    tokio::pin!(stopped, connection, idle);
    tokio::select! {
        result = &mut connection => {
            if let Err(error) = result {
                tracing::debug!(target: "rpc", %error, "connection ended");
            }
        }
        // Dropping the connection closes the socket.
        _ = &mut idle => tracing::debug!(target: "rpc", "idle connection closed"),
        _ = &mut stopped => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn buckets_refill_per_prefix_and_spare_loopback() {
        let limiter = RateLimiter::new(1, 3, true);
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let same_net = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 77));
        let other = IpAddr::V4(Ipv4Addr::new(10, 0, 1, 1));
        for _ in 0..3 {
            assert!(limiter.check(a).is_ok());
        }
        assert_eq!(limiter.check(same_net), Err(1), "one bucket per /24");
        assert!(limiter.check(other).is_ok());
        for _ in 0..100 {
            assert!(limiter.check(IpAddr::V4(Ipv4Addr::LOCALHOST)).is_ok());
        }
        let strict = RateLimiter::new(1, 1, false);
        assert!(strict.check(IpAddr::V4(Ipv4Addr::LOCALHOST)).is_ok());
        assert!(strict.check(IpAddr::V4(Ipv4Addr::LOCALHOST)).is_err());
        assert!(RateLimiter::new(0, 1, false).check(a).is_ok(), "0 is off");
    }

    #[test]
    fn connections_per_network_are_counted_until_dropped() {
        let connections = ClientConnections::new(2, true);
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        let first = connections.admit(a).unwrap();
        let _second = connections.admit(b).unwrap();
        assert!(connections.admit(a).is_none(), "two per /24");
        assert!(connections
            .admit(IpAddr::V4(Ipv4Addr::new(10, 0, 9, 1)))
            .is_some());
        drop(first);
        assert!(connections.admit(a).is_some());
        let local = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let held: Vec<_> = (0..10).map(|_| connections.admit(local).unwrap()).collect();
        assert_eq!(held.len(), 10, "this host is exempt");
        let other_loopback = IpAddr::V4(Ipv4Addr::new(127, 0, 1, 1));
        let _one = connections.admit(other_loopback).unwrap();
        let _two = connections.admit(other_loopback).unwrap();
        assert!(
            connections.admit(other_loopback).is_none(),
            "other loopback networks count like remote ones"
        );
    }
}
