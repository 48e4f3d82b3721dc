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
use truffle_wire::chain::SubmitOutcome;

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

/// How long a client waits before submitting again what a node refused as retryable.
const BACKOFF: Duration = Duration::from_millis(50);

/// Submits `tx`, again while the node answers that a retry may pass (no leader, a
/// write dropped by a leader change), until `deadline`: a client of the chain would.
async fn submit_until_taken(
    client: &HttpClient,
    tx: &truffle_ledger::SignedTransaction,
    deadline: Instant,
) -> Result<truffle_ledger::Hash, jsonrpsee::core::ClientError> {
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

/// Waits (at most `limit`) for the block watcher's word on a submitted transaction:
/// its latency from `started`, or why there is none.
async fn until_applied(
    receiver: oneshot::Receiver<(Instant, bool)>,
    started: Instant,
    limit: Duration,
) -> OperationResult {
    match tokio::time::timeout(limit, receiver).await {
        Ok(Ok((at, true))) => Ok(at.duration_since(started).as_secs_f64() * 1_000.0),
        Ok(Ok((_, false))) => Err(Failure::Rejected),
        _ => Err(Failure::TimedOut),
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
                Ok(_) => until_applied(receiver, started, timeout).await,
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

/// Performs operations `range` of `work`: a single one as it is, more than one with
/// the submissions in one `tx_submitBatch` call to `writer`, then the reads one by one.
pub(super) async fn perform_range(
    work: Arc<Vec<(Workload, Operation)>>,
    range: std::ops::Range<usize>,
    writer: HttpClient,
    reader: HttpClient,
    waiters: Waiters,
    results: Results,
    timeout: Duration,
) {
    let client_for = |n: usize| match work[n].1 {
        Operation::Read(_) => reader.clone(),
        Operation::Submit(_) => writer.clone(),
    };
    if range.len() == 1 {
        let n = range.start;
        return perform(work.clone(), n, client_for(n), waiters, results, timeout).await;
    }
    let reads: Vec<usize> = range
        .clone()
        .filter(|n| matches!(work[*n].1, Operation::Read(_)))
        .collect();
    perform_batch(
        work.clone(),
        range,
        writer.clone(),
        waiters.clone(),
        results.clone(),
        timeout,
    )
    .await;
    for n in reads {
        perform(
            work.clone(),
            n,
            reader.clone(),
            waiters.clone(),
            results.clone(),
            timeout,
        )
        .await;
    }
}

/// Performs operations `range` of `work` (the submissions among them) in one
/// `tx_submitBatch` call, submitting again the ones refused as retryable until the
/// timeout, and records how each went: latency from the call to its block.
pub(super) async fn perform_batch(
    work: Arc<Vec<(Workload, Operation)>>,
    range: std::ops::Range<usize>,
    client: HttpClient,
    waiters: Waiters,
    results: Results,
    timeout: Duration,
) {
    let started = Instant::now();
    let deadline = started + timeout;
    let mut pending = Vec::new();
    let mut receivers = Vec::new();
    for n in range {
        let (kind, Operation::Submit(tx)) = &work[n] else {
            continue;
        };
        let (sender, receiver) = oneshot::channel();
        waiters
            .lock()
            .expect("waiters lock poisoned")
            .insert(tx.hash(), sender);
        pending.push((n, hex::encode(tx.encode())));
        receivers.push((n, *kind, receiver));
    }
    let mut refused = std::collections::HashSet::new();
    while !pending.is_empty() {
        let batch: Vec<String> = pending.iter().map(|(_, tx)| tx.clone()).collect();
        let Ok(outcomes) = client.submit_batch(batch).await else {
            refused.extend(pending.iter().map(|(n, _)| *n));
            break;
        };
        let may_retry = Instant::now() + BACKOFF < deadline;
        let mut again = Vec::new();
        for ((n, tx), outcome) in pending.into_iter().zip(outcomes) {
            match outcome {
                SubmitOutcome::Accepted { .. } => {}
                SubmitOutcome::Refused { retryable, .. } if retryable && may_retry => {
                    again.push((n, tx))
                }
                SubmitOutcome::Refused { .. } => {
                    refused.insert(n);
                }
            }
        }
        pending = again;
        if !pending.is_empty() {
            tokio::time::sleep(BACKOFF).await;
        }
    }
    for (n, kind, receiver) in receivers {
        let result = if refused.contains(&n) {
            Err(Failure::Rejected)
        } else {
            let left = deadline.saturating_duration_since(Instant::now());
            until_applied(receiver, started, left).await
        };
        results
            .lock()
            .expect("results lock poisoned")
            .push((kind, result));
    }
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
