//! The measured operations: submitting a transaction and waiting for the block that
//! holds it (seen by one block watcher for all clients), or sending a read and waiting
//! for the answer; each records its latency or why it has none.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonrpsee_http_client::HttpClient;
use tokio::sync::oneshot;
use truffle_ledger::{Hash, Outcome};
use truffle_wire::api::{ChainApiClient, TxApiClient};

use super::reads;
use super::setup::rpc_error;
use super::Workload;
use crate::cluster::TestnetError;

/// Who waits for which transaction: the block watcher tells them when and whether it applied.
pub(super) type Waiters = Arc<Mutex<HashMap<Hash, oneshot::Sender<(Instant, bool)>>>>;

/// One measured operation.
#[derive(Clone, Debug)]
pub(super) enum Operation {
    /// A transaction: submit, then wait for its block.
    Submit(Box<truffle_ledger::SignedTransaction>),
    /// A read request: wait for the answer.
    Read(reads::Read),
}

/// Why an operation did not complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Failure {
    /// Refused at submission or in a block, or a read answered with an error.
    Rejected,
    /// No block (or answer) within the timeout.
    TimedOut,
}

/// Latency in ms, or why there is none.
pub(super) type OperationResult = Result<f64, Failure>;
/// How each operation went, by kind, as the clients finish them.
pub(super) type Results = Arc<Mutex<Vec<(Workload, OperationResult)>>>;

/// Submits `tx`, again while the node answers that a retry may pass (no leader, a
/// write dropped by a leader change), until `deadline`: a client of the chain would.
async fn submit_until_taken(
    client: &HttpClient,
    tx: &truffle_ledger::SignedTransaction,
    deadline: Instant,
) -> Result<truffle_ledger::Hash, jsonrpsee::core::ClientError> {
    const BACKOFF: Duration = Duration::from_millis(50);
    let encoded = hex::encode(tx.encode());
    loop {
        match client.submit(encoded.clone()).await {
            Err(jsonrpsee::core::ClientError::Call(error))
                if truffle_wire::codes::retryable(&error)
                    && Instant::now() + BACKOFF < deadline =>
            {
                tokio::time::sleep(BACKOFF).await;
            }
            other => return other,
        }
    }
}

/// Performs operation `n` of `work` and records how it went.
pub(super) async fn perform(
    work: Arc<Vec<(Workload, Operation)>>,
    n: usize,
    client: HttpClient,
    waiters: Waiters,
    results: Results,
    timeout: Duration,
) {
    let (kind, operation) = &work[n];
    let started = Instant::now();
    let result = match operation {
        Operation::Submit(tx) => {
            let (sender, receiver) = oneshot::channel();
            waiters
                .lock()
                .expect("waiters lock poisoned")
                .insert(tx.hash(), sender);
            match submit_until_taken(&client, tx, started + timeout).await {
                Err(_) => Err(Failure::Rejected),
                Ok(_) => match tokio::time::timeout(timeout, receiver).await {
                    Ok(Ok((at, true))) => Ok(at.duration_since(started).as_secs_f64() * 1_000.0),
                    Ok(Ok((_, false))) => Err(Failure::Rejected),
                    _ => Err(Failure::TimedOut),
                },
            }
        }
        Operation::Read(read) => match tokio::time::timeout(timeout, read.send(&client)).await {
            Ok(Ok(())) => Ok(started.elapsed().as_secs_f64() * 1_000.0),
            Ok(Err(_)) => Err(Failure::Rejected),
            Err(_) => Err(Failure::TimedOut),
        },
    };
    results
        .lock()
        .expect("results lock poisoned")
        .push((*kind, result));
}

/// Follows the chain on one node (new heads pushed over a WebSocket, receipts read per
/// block); tells each waiter when its transaction lands. Polling for the next block
/// instead cost the watched node hundreds of refused calls a second.
pub(super) async fn spawn_block_watcher(
    url: &str,
    client: HttpClient,
    waiters: Waiters,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> Result<(), TestnetError> {
    let ws_url = match url.strip_prefix("http://") {
        Some(rest) => format!("ws://{rest}"),
        None => url.to_owned(),
    };
    let ws = jsonrpsee_ws_client::WsClientBuilder::default()
        .request_timeout(Duration::from_secs(30))
        .build(&ws_url)
        .await
        .map_err(|e| rpc_error(0, e))?;
    let mut heads = ws
        .subscribe_new_heads()
        .await
        .map_err(|e| rpc_error(0, e))?;
    let mut next = client
        .get_header(None)
        .await
        .map_err(|e| rpc_error(0, e))?
        .header
        .height
        + 1;
    tokio::spawn(async move {
        let _ws = ws;
        while !stop.load(Ordering::Relaxed) {
            let head = match tokio::time::timeout(Duration::from_millis(200), heads.next()).await {
                Ok(Some(Ok(head))) => head.header.height,
                Ok(_) => break,
                Err(_) => continue,
            };
            // Heads may be skipped when the subscriber lags: read every block up to it.
            while next <= head {
                let Ok(receipts) = client.get_receipts(next).await else {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    continue;
                };
                let now = Instant::now();
                let mut waiters = waiters.lock().expect("waiters lock poisoned");
                for receipt in &receipts {
                    if let Some(waiter) = waiters.remove(&receipt.tx_hash) {
                        let applied = matches!(receipt.outcome, Outcome::Applied { .. });
                        let _ = waiter.send((now, applied));
                    }
                }
                next += 1;
            }
        }
    });
    Ok(())
}
