//! Leader failover: kill the leader under a trickle of transactions and time the first
//! block of its successor.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonrpsee_http_client::HttpClient;
use serde::Serialize;
use truffle_ledger::types::Role;
use truffle_ledger::{Keypair, Payload};
use truffle_wire::api::{AccountApiClient, ChainApiClient, SystemApiClient, TxApiClient};

use super::report::percentile;
use super::setup::{client, rpc_error, Signer};
use super::RaftTiming;
use crate::cluster::{Testnet, TestnetError, TestnetOptions};

/// The result of a failover measurement.
#[derive(Clone, Debug, Serialize)]
pub struct FailoverReport {
    /// How the measured nodes were built (`system_version`'s `build`).
    pub build: String,
    /// Kill-to-first-new-commit time of each trial, ms.
    pub trials_ms: Vec<f64>,
    /// Median, ms.
    pub median_ms: f64,
    /// Fastest, ms.
    pub min_ms: f64,
    /// Slowest, ms.
    pub max_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// The Raft timing of the measured cluster.
    pub raft: RaftTiming,
}

/// Kills the leader `trials` times while clients keep submitting, and measures the
/// time from SIGKILL to the first block proposed by another validator.
pub async fn run_failover(
    nodes: usize,
    trials: usize,
    raft: Option<RaftTiming>,
    dir: &std::path::Path,
) -> Result<FailoverReport, TestnetError> {
    let options = RaftTiming::apply(
        raft,
        TestnetOptions {
            nodes,
            extra_args: vec!["--mempool.per-signer".into(), "1000000".into()],
            ..TestnetOptions::default()
        },
    );
    let timing = RaftTiming {
        heartbeat_ms: options.heartbeat_ms,
        election_min_ms: options.election_timeout_ms.0,
        election_max_ms: options.election_timeout_ms.1,
    };
    let mut net = Testnet::create(dir, &options)?;
    net.start_all()?;
    let all: Vec<usize> = (0..nodes).collect();
    let chain_id = net.genesis.chain_id();
    let build = net
        .client(0)
        .version()
        .await
        .map_err(|e| rpc_error(0, e))?
        .build;
    let mut trials_ms = Vec::new();
    let mut signer = Signer {
        chain_id,
        nonces: HashMap::new(),
    };
    for trial in 0..trials {
        let leader = net.wait_for_leader(&all, Duration::from_secs(30)).await?;
        let survivors: Vec<usize> = all.iter().copied().filter(|i| *i != leader).collect();
        // A steady trickle of transactions through the survivors, so that a new
        // leader has something to commit at once.
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let feeder = {
            let stop = stop.clone();
            let urls: Vec<String> = survivors.iter().map(|i| net.rpc_url(*i)).collect();
            let key = net.key(survivors[0]).clone();
            let start_nonce = net
                .client(survivors[0])
                .get_nonce(key.public())
                .await
                .map_err(|e| rpc_error(survivors[0], e))?;
            signer.nonces.insert(key.public(), start_nonce);
            let txs: Vec<String> = (0..2_000)
                .map(|n| {
                    hex::encode(
                        signer
                            .sign(
                                &key,
                                Payload::RegisterAccount {
                                    account: Keypair::from_name(&format!("failover-{trial}-{n}"))
                                        .public(),
                                    role: Role::Member,
                                    adult: false,
                                },
                            )
                            .encode(),
                    )
                })
                .collect();
            tokio::spawn(async move {
                let clients: Vec<HttpClient> = urls.iter().map(|u| client(u)).collect();
                for (n, tx) in txs.into_iter().enumerate() {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let _ = clients[n % clients.len()].submit(tx).await;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
        };
        tokio::time::sleep(Duration::from_millis(500)).await;
        let watcher = net.client(survivors[0]);
        let killed_key = net.nodes[leader].key;
        let height_at_kill = watcher
            .get_header(None)
            .await
            .map_err(|e| rpc_error(survivors[0], e))?
            .header
            .height;
        let killed_at = Instant::now();
        net.kill(leader)?;
        let mut next = height_at_kill + 1;
        let elapsed = loop {
            if killed_at.elapsed() > Duration::from_secs(30) {
                return Err(TestnetError::Timeout(
                    Duration::from_secs(30),
                    "no commit after the leader died".into(),
                ));
            }
            match watcher.get_header(Some(next)).await {
                Ok(header) if header.header.proposer != killed_key => break killed_at.elapsed(),
                Ok(_) => next += 1,
                Err(_) => tokio::time::sleep(Duration::from_millis(2)).await,
            }
        };
        stop.store(true, Ordering::Relaxed);
        let _ = feeder.await;
        trials_ms.push(elapsed.as_secs_f64() * 1_000.0);
        net.start(leader)?;
        let _ = net.wait_for_leader(&all, Duration::from_secs(30)).await?;
        // Let the restarted node catch up before the next trial.
        tokio::time::sleep(Duration::from_millis(1_000)).await;
        // The feeder's registrar may have lost a few transactions with the old leader;
        // forget its nonce so the next trial asks the chain.
        signer.nonces.clear();
    }
    net.down()?;
    let mut sorted = trials_ms.clone();
    sorted.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
    Ok(FailoverReport {
        build,
        median_ms: percentile(&sorted, 50.0),
        p99_ms: percentile(&sorted, 99.0),
        raft: timing,
        min_ms: sorted.first().copied().unwrap_or(0.0),
        max_ms: sorted.last().copied().unwrap_or(0.0),
        trials_ms,
    })
}
