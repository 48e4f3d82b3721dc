//! An attacker beside a load measurement (issue #20, item 8): slow connections that send
//! a request's headers a byte a second and reconnect when closed, and a flood of
//! `auth_login` with wrong passwords, both from another loopback network than the
//! measured clients (127.0.1.0/24: the node limits it as it would a remote network,
//! while 127.0.0.1, the host itself, is exempt).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// What the attacker does.
#[derive(Clone, Copy, Debug)]
pub struct AttackOptions {
    /// Slow connections to keep trying to hold open.
    pub slow_connections: usize,
    /// Concurrent `auth_login` loops.
    pub login_flood: usize,
}

/// What the attacker got.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AttackReport {
    /// Slow connections attempted.
    pub slow_connections: usize,
    /// Connections the node accepted and later closed (header timeout).
    pub slow_closed_by_timeout: u64,
    /// Connections closed at once (over a connection cap) or refused.
    pub slow_refused: u64,
    /// `auth_login` calls sent.
    pub logins_sent: u64,
    /// Answers: checked (wrong credentials, 3012).
    pub logins_checked: u64,
    /// Answers: throttled (3013).
    pub logins_throttled: u64,
    /// Answers: busy (2009) or rate limited (2010 / 429).
    pub logins_busy_or_limited: u64,
    /// No answer (connection refused or closed).
    pub logins_unanswered: u64,
}

#[derive(Default)]
struct Counters {
    closed_by_timeout: AtomicU64,
    refused: AtomicU64,
    sent: AtomicU64,
    checked: AtomicU64,
    throttled: AtomicU64,
    busy: AtomicU64,
    unanswered: AtomicU64,
}

/// A running attack; [`Attack::stop`] ends it and reports.
pub struct Attack {
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    options: AttackOptions,
}

/// The attacker's source address number `n` (127.0.1.1 ..= 127.0.1.254).
fn source(n: usize) -> SocketAddr {
    SocketAddr::from(([127, 0, 1, 1 + (n % 254) as u8], 0))
}

async fn connect(from: SocketAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(from)?;
    socket.connect(to).await
}

/// One slow client: connect, drip a header a byte a second, reconnect when closed.
async fn slow_client(n: usize, to: SocketAddr, stop: Arc<AtomicBool>, counters: Arc<Counters>) {
    const HEADER: &[u8] = b"POST / HTTP/1.1\r\nHost: truffle\r\nContent-Type: application/json\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut stream) = connect(source(n), to).await else {
            counters.refused.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        let mut sent = 0;
        let mut buffer = [0u8; 256];
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            if stream
                .write_all(&HEADER[sent % HEADER.len()..][..1])
                .await
                .is_err()
            {
                break;
            }
            sent += 1;
            // Wait a second, watching for the node closing the connection.
            match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buffer)).await {
                Ok(Ok(0)) | Ok(Err(_)) | Ok(Ok(_)) => break,
                Err(_) => continue,
            }
        }
        if sent <= 1 {
            counters.refused.fetch_add(1, Ordering::Relaxed);
        } else {
            counters.closed_by_timeout.fetch_add(1, Ordering::Relaxed);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// One flooding client: `auth_login` with a wrong password, over and over, one
/// connection each (`Connection: close`).
async fn login_flood(n: usize, to: SocketAddr, stop: Arc<AtomicBool>, counters: Arc<Counters>) {
    let mut attempt = 0u64;
    while !stop.load(Ordering::Relaxed) {
        attempt += 1;
        let body = format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"auth_login\",\"params\":[\"victim{}@example.com\",\"Wrong&Secret{attempt}\"]}}",
            attempt % 7
        );
        let request = format!(
            "POST / HTTP/1.1\r\nHost: truffle\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        counters.sent.fetch_add(1, Ordering::Relaxed);
        let answer = async {
            let mut stream = connect(source(n), to).await.ok()?;
            stream.write_all(request.as_bytes()).await.ok()?;
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer).await.ok()?;
            Some(String::from_utf8_lossy(&answer).into_owned())
        };
        match tokio::time::timeout(Duration::from_secs(10), answer).await {
            Ok(Some(text)) if text.contains("3012") => {
                counters.checked.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Some(text)) if text.contains("3013") => {
                counters.throttled.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Some(text)) if !text.is_empty() => {
                counters.busy.fetch_add(1, Ordering::Relaxed);
            }
            _ => {
                counters.unanswered.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

impl Attack {
    /// Starts attacking the node at `rpc_url` (`http://127.0.0.1:PORT`).
    pub fn start(rpc_url: &str, options: AttackOptions) -> Result<Attack, String> {
        let to: SocketAddr = rpc_url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .map_err(|e| format!("the attack needs an http://IP:PORT target: {e}"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(Counters::default());
        let mut tasks = Vec::new();
        for n in 0..options.slow_connections {
            tasks.push(tokio::spawn(slow_client(
                n,
                to,
                stop.clone(),
                counters.clone(),
            )));
        }
        for n in 0..options.login_flood {
            tasks.push(tokio::spawn(login_flood(
                n,
                to,
                stop.clone(),
                counters.clone(),
            )));
        }
        Ok(Attack {
            stop,
            counters,
            tasks,
            options,
        })
    }

    /// Stops the attack (each task ends within about a second) and reports.
    pub async fn stop(self) -> AttackReport {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(15), task).await;
        }
        let c = &self.counters;
        AttackReport {
            slow_connections: self.options.slow_connections,
            slow_closed_by_timeout: c.closed_by_timeout.load(Ordering::Relaxed),
            slow_refused: c.refused.load(Ordering::Relaxed),
            logins_sent: c.sent.load(Ordering::Relaxed),
            logins_checked: c.checked.load(Ordering::Relaxed),
            logins_throttled: c.throttled.load(Ordering::Relaxed),
            logins_busy_or_limited: c.busy.load(Ordering::Relaxed),
            logins_unanswered: c.unanswered.load(Ordering::Relaxed),
        }
    }
}
