//! A follower's catch-up from an empty folder: the validators build a chain of many
//! small blocks, then a follower starts and is timed until its head is theirs; then an
//! auditor (`truffle verify chain`, its own process) is timed replaying the same chain
//! from the genesis over JSON-RPC.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::Mutex;
use truffle_ledger::types::Role;
use truffle_ledger::{Keypair, Payload};
use truffle_wire::api::{ChainApiClient, SystemApiClient, TxApiClient};
use truffle_wire::chain::TxStatus;

use super::audit::{audit_replay, wait_for_height, AuditReplay};
use super::report::process_usage;
use super::setup::{client, rpc_error, Signer};
use crate::cluster::{Testnet, TestnetError, TestnetOptions};

/// How to measure a catch-up.
#[derive(Clone, Debug)]
pub struct CatchUpOptions {
    /// Validators.
    pub validators: usize,
    /// Registrations the validators commit before the follower starts.
    pub transactions: usize,
    /// Concurrent clients building the chain (about the transactions per block).
    pub clients: usize,
    /// Raft entries between the validators' snapshots: small to catch up by snapshot,
    /// larger than the chain to replay every block from the genesis.
    pub snapshot_every_entries: u64,
    /// Folder for the cluster.
    pub dir: std::path::PathBuf,
}

/// What a catch-up took.
#[derive(Clone, Debug, Serialize)]
pub struct CatchUpReport {
    /// How the nodes were built (`system_version`'s `build`).
    pub build: String,
    /// Validators.
    pub validators: usize,
    /// The validators' head height when the follower started.
    pub blocks: u64,
    /// Transactions in those blocks.
    pub transactions: u64,
    /// Whether the follower took a snapshot (its log says so) before replaying blocks.
    pub by_snapshot: bool,
    /// Follower start (process spawn) → its head at the validators' height, s.
    pub seconds: f64,
    /// Blocks per second over that time.
    pub blocks_per_sec: f64,
    /// Transactions per second over that time.
    pub transactions_per_sec: f64,
    /// The follower's CPU over the catch-up, s.
    pub follower_cpu_secs: f64,
    /// The follower's peak resident memory, MiB.
    pub follower_peak_rss_mib: f64,
    /// The follower's header at that height equals the validators'.
    pub same_header: bool,
    /// The auditor's replay of the chain from the genesis (`truffle verify chain`).
    pub audit: AuditReplay,
}

impl CatchUpReport {
    /// A table for people.
    pub fn table(&self) -> String {
        format!(
            "follower catch-up from empty ({}) · {} validators · nodes built {}\n\
             {} blocks ({} transactions) in {:.2} s: {:.0} blocks/s, {:.0} tx/s\n\
             follower CPU {:.2} s, peak resident {:.0} MiB; same header as the validators: {}\n\
             auditor (`truffle verify chain` from the genesis): {} blocks ({} transactions) in \
             {:.2} s: {:.0} blocks/s, {:.0} tx/s; verified: {}",
            if self.by_snapshot {
                "snapshot, then blocks"
            } else {
                "every block replayed from the genesis"
            },
            self.validators,
            self.build,
            self.blocks,
            self.transactions,
            self.seconds,
            self.blocks_per_sec,
            self.transactions_per_sec,
            self.follower_cpu_secs,
            self.follower_peak_rss_mib,
            self.same_header,
            self.audit.blocks,
            self.audit.transactions,
            self.audit.seconds,
            self.audit.blocks_per_second,
            self.audit.transactions_per_second,
            self.audit.verified,
        )
    }
}

/// Builds the chain, starts one follower from empty and times it to the validators'
/// head. Stops the cluster before returning.
pub async fn run_catch_up(options: &CatchUpOptions) -> Result<CatchUpReport, TestnetError> {
    let mut net = Testnet::create(
        &options.dir,
        &TestnetOptions {
            nodes: options.validators,
            followers: 1,
            snapshot_every_entries: Some(options.snapshot_every_entries),
            extra_args: vec!["--mempool.per-signer".into(), "1000000".into()],
            ..TestnetOptions::default()
        },
    )?;
    let result = measure(&mut net, options).await;
    let _ = net.down();
    result
}

async fn measure(
    net: &mut Testnet,
    options: &CatchUpOptions,
) -> Result<CatchUpReport, TestnetError> {
    let validators = net.validators();
    for index in &validators {
        net.start(*index)?;
    }
    net.wait_for_leader(&validators, Duration::from_secs(30))
        .await?;
    net.allow_followers().await?;
    let rpc = net.client(validators[0]);
    let build = rpc.version().await.map_err(|e| rpc_error(0, e))?.build;

    // Many small blocks: each client waits for its registration's block before the next.
    let registrars: Vec<Keypair> = validators.iter().map(|i| net.key(*i).clone()).collect();
    let mut signer = Signer::at_chain_nonces(net.genesis.chain_id(), &rpc, &registrars).await?;
    let txs: Vec<String> = (0..options.transactions)
        .map(|n| {
            let registrar = &registrars[n % registrars.len()];
            let tx = signer.sign(
                registrar,
                Payload::RegisterAccount {
                    account: Keypair::from_name(&format!("catch-up-{n}")).public(),
                    role: Role::Member,
                    adult: false,
                },
            );
            hex::encode(tx.encode())
        })
        .collect();
    let queue = Arc::new(Mutex::new(txs.into_iter()));
    let mut tasks = Vec::new();
    for c in 0..options.clients.max(1) {
        let queue = queue.clone();
        let index = validators[c % validators.len()];
        let rpc = client(&net.rpc_url(index));
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(tx) = queue.lock().await.next() else {
                    return Ok(());
                };
                match rpc.submit_and_wait(tx, Some(30_000)).await {
                    Ok(TxStatus::Committed { .. }) => {}
                    Ok(other) => {
                        return Err(TestnetError::Invalid(format!(
                            "a registration did not commit: {other:?}"
                        )))
                    }
                    Err(error) => return Err(rpc_error(index, error)),
                }
            }
        }));
    }
    for task in tasks {
        task.await
            .map_err(|e| TestnetError::Invalid(format!("a client failed: {e}")))??;
    }
    // Each client saw its block on the validator it asked; the one counted from may
    // not have applied the last blocks yet.
    let mut highest = 0;
    for index in &validators {
        let view = net
            .client(*index)
            .get_header(None)
            .await
            .map_err(|e| rpc_error(*index, e))?;
        highest = highest.max(view.header.height);
    }
    let head = wait_for_height(&rpc, highest, Duration::from_secs(30), "validator 0").await?;
    let transactions: u64 = {
        let mut total = 0u64;
        let mut from = 1;
        while from <= head.height {
            let headers = rpc
                .get_headers(from, 1_000)
                .await
                .map_err(|e| rpc_error(0, e))?;
            if headers.is_empty() {
                break;
            }
            for view in &headers {
                // An auditor reads the same headers: a gap would be a defect, not noise.
                if view.header.height != from {
                    return Err(TestnetError::Invalid(format!(
                        "validator 0 has no header at height {from} (next: {})",
                        view.header.height
                    )));
                }
                total += u64::from(view.header.transaction_count);
                from += 1;
            }
        }
        total
    };

    // The follower, from an empty folder.
    let follower = net.followers()[0];
    let started = Instant::now();
    net.start(follower)?;
    let pid = net.nodes[follower].pid;
    let follower_rpc = net.client(follower);
    wait_for_height(
        &follower_rpc,
        head.height,
        Duration::from_secs(600),
        "the follower",
    )
    .await?;
    let reached = started.elapsed();
    let usage = pid.and_then(process_usage);
    let same_header = follower_rpc
        .get_header(Some(head.height))
        .await
        .map_err(|e| rpc_error(follower, e))?
        .header
        == head;
    let log = std::fs::read_to_string(net.log_path(follower)).unwrap_or_default();
    let seconds = reached.as_secs_f64();
    let audit = audit_replay(net, validators[0], head.height).await?;
    Ok(CatchUpReport {
        build,
        validators: validators.len(),
        blocks: head.height,
        transactions,
        by_snapshot: log.contains("caught up by snapshot"),
        seconds,
        blocks_per_sec: head.height as f64 / seconds,
        transactions_per_sec: transactions as f64 / seconds,
        follower_cpu_secs: usage.map(|u| u.0).unwrap_or(0.0),
        follower_peak_rss_mib: usage.map(|u| u.1).unwrap_or(0.0),
        same_header,
        audit,
    })
}
