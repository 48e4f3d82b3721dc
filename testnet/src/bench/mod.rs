//! Load and failover measurements against a cluster of real node processes.
//!
//! The load generator starts (or targets) a cluster, creates funded, verified
//! accounts (and, for the read workloads, a catalog), prepares the workload (signing
//! every transaction up front), then drives it through JSON-RPC from concurrent
//! clients, closed-loop (each client waits for its operation) or open-loop (a fixed
//! rate, whether or not earlier operations finished). Commits are observed by following
//! the chain's blocks, so a transaction's latency is submit → the block that holds it,
//! as seen by a client; a read's is request → answer.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonrpsee_http_client::HttpClient;
use serde::Serialize;
use truffle_ledger::types::Role;
use truffle_ledger::{Hash, Keypair, Payload};
use truffle_wire::api::{ChainApiClient, SystemApiClient};

use crate::cluster::{Testnet, TestnetError, TestnetOptions};

mod attack;
mod audit;
mod catch_up;
mod failover;
mod operation;
mod reads;
mod report;
mod setup;

use operation::{
    perform_range, spawn_block_watcher, Failure, Operation, OperationResult, Results, Waiters,
};
use report::process_usage;
use setup::{client, rpc_error, Fixtures, Signer};

pub use attack::{Attack, AttackOptions, AttackReport};
pub use audit::AuditReplay;
pub use catch_up::{run_catch_up, CatchUpOptions, CatchUpReport};
pub use failover::{run_failover, FailoverReport};
pub use report::{KindReport, Latency, LoadReport, NodeUsage};

/// What the clients do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Workload {
    /// Each account enters one raffle (a hyped drop).
    RaffleEntries,
    /// Registrars register new members.
    Registrations,
    /// Accounts hand items to each other.
    Transfers,
    /// Shoppers search a catalog (`product_search`: text in either language, model
    /// codes, filters, sorts, pages).
    Searches,
    /// Shoppers ask for recommendations (`reco_forVisitor` by gender and age,
    /// `reco_similar`).
    Recommendations,
    /// A fifth of each of the above.
    Mix,
}

impl Workload {
    /// The kinds a mix is made of, in turn.
    pub const MIXED: [Workload; 5] = [
        Workload::RaffleEntries,
        Workload::Registrations,
        Workload::Transfers,
        Workload::Searches,
        Workload::Recommendations,
    ];

    /// Whether the workload submits transactions.
    pub fn transactions(self) -> bool {
        !matches!(self, Workload::Searches | Workload::Recommendations)
    }

    /// Whether the workload reads the catalog (which the bench then registers).
    pub fn reads(self) -> bool {
        matches!(
            self,
            Workload::Searches | Workload::Recommendations | Workload::Mix
        )
    }
}

/// Raft timing for a started cluster: heartbeat and election timeouts, ms. A follower
/// grants no vote (and calls no election) until a leader lease of `election_max_ms`
/// has passed since it last heard the leader, so a leader's death is noticed after
/// about `election_max_ms` plus a timeout drawn between the two.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RaftTiming {
    /// Heartbeat interval.
    pub heartbeat_ms: u64,
    /// Shortest election timeout.
    pub election_min_ms: u64,
    /// Longest election timeout (and the leader lease).
    pub election_max_ms: u64,
}

impl RaftTiming {
    /// The testnet options with this timing (or theirs when `None`).
    pub(crate) fn apply(timing: Option<RaftTiming>, mut options: TestnetOptions) -> TestnetOptions {
        if let Some(timing) = timing {
            options.heartbeat_ms = timing.heartbeat_ms;
            options.election_timeout_ms = (timing.election_min_ms, timing.election_max_ms);
        }
        options
    }
}

/// Which nodes of a started cluster answer the reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadNodes {
    /// Every node, validators and followers.
    #[default]
    All,
    /// The validators only.
    Validators,
    /// The followers only (the validators then only order and certify).
    Followers,
}

/// How to load the cluster.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Validators to start (ignored with `targets`).
    pub nodes: usize,
    /// Follower nodes to start beside them (ignored with `targets`); transactions still
    /// go to the validators.
    pub followers: usize,
    /// Which nodes answer the reads.
    pub reads_on: ReadNodes,
    /// Raft timing of a started cluster (the testnet's when `None`).
    pub raft: Option<RaftTiming>,
    /// RPC URLs of a running cluster instead of starting one (its admin key and a
    /// validator key are then needed: give `admin_key` and `registrar_keys`).
    pub targets: Vec<String>,
    /// Admin key of the target cluster.
    pub admin_key: Option<Keypair>,
    /// Registrar (validator operator) keys of the target cluster.
    pub registrar_keys: Vec<Keypair>,
    /// Transactions to submit in the measured phase (one per account for raffle entries).
    pub transactions: usize,
    /// Concurrent clients.
    pub clients: usize,
    /// Transactions each client submits per call (`tx_submitBatch` above 1; a client
    /// then waits for all of them in closed loop).
    pub batch: usize,
    /// Open-loop submission rate (tx/s); closed-loop at full speed when `None`.
    pub rate: Option<f64>,
    /// How long one transaction may take before it counts as timed out.
    pub timeout: Duration,
    /// The workload.
    pub workload: Workload,
    /// Folder for a started cluster.
    pub dir: std::path::PathBuf,
    /// An attacker on the first node during the measured phase.
    pub attack: Option<AttackOptions>,
    /// After the measured phase, time an auditor (`truffle verify chain`) replaying the
    /// whole chain from the genesis (only for a cluster the run started).
    pub audit: bool,
}

/// Runs a load measurement and returns its report.
pub async fn run_load(options: &LoadOptions) -> Result<LoadReport, TestnetError> {
    if options.audit && !options.targets.is_empty() {
        return Err(TestnetError::Invalid(
            "an audit replays a cluster the bench starts, not a --target".into(),
        ));
    }
    let mut own: Option<Testnet> = None;
    let mut follower_urls = Vec::new();
    let (urls, admin, registrars) = if options.targets.is_empty() {
        let mut net = Testnet::create(
            &options.dir,
            &RaftTiming::apply(
                options.raft,
                TestnetOptions {
                    nodes: options.nodes,
                    followers: options.followers,
                    extra_args: vec!["--mempool.per-signer".into(), "1000000".into()],
                    ..TestnetOptions::default()
                },
            ),
        )?;
        net.start_all()?;
        let validators = net.validators();
        net.wait_for_leader(&validators, Duration::from_secs(30))
            .await?;
        net.allow_followers().await?;
        let urls: Vec<String> = validators.iter().map(|i| net.rpc_url(*i)).collect();
        follower_urls = net.followers().iter().map(|i| net.rpc_url(*i)).collect();
        let admin = net.admin.clone();
        let registrars = validators.iter().map(|i| net.key(*i).clone()).collect();
        own = Some(net);
        (urls, admin, registrars)
    } else {
        let admin = options
            .admin_key
            .clone()
            .ok_or_else(|| TestnetError::Invalid("--admin-key is needed with --target".into()))?;
        if options.registrar_keys.is_empty() {
            return Err(TestnetError::Invalid(
                "--registrar-key is needed with --target".into(),
            ));
        }
        (
            options.targets.clone(),
            admin,
            options.registrar_keys.clone(),
        )
    };
    let clients: Vec<HttpClient> = urls.iter().map(|u| client(u)).collect();
    let follower_clients: Vec<HttpClient> = follower_urls.iter().map(|u| client(u)).collect();
    let readers: Vec<HttpClient> = match options.reads_on {
        ReadNodes::Validators => clients.clone(),
        ReadNodes::Followers if !follower_clients.is_empty() => follower_clients.clone(),
        ReadNodes::Followers => {
            return Err(TestnetError::Invalid(
                "reads on followers need --followers".into(),
            ))
        }
        ReadNodes::All => clients.iter().chain(&follower_clients).cloned().collect(),
    };
    let version = clients[0].version().await.map_err(|e| rpc_error(0, e))?;
    let chain_id = version.chain_id;
    let keys: Vec<Keypair> = registrars.iter().chain([&admin]).cloned().collect();
    let mut signer = Signer::at_chain_nonces(chain_id, &clients[0], &keys).await?;

    // --- setup: a seller with a raffle and items; members.
    let run_tag = Hash::of(&std::process::id().to_be_bytes()).to_hex()[..8].to_owned();
    let Fixtures {
        seller,
        members,
        items,
        raffle_item,
        raffle,
    } = setup::fixtures(
        &clients,
        &mut signer,
        &registrars,
        &admin,
        options,
        &run_tag,
    )
    .await?;

    // --- pre-sign the measured workload.
    let catalog = if options.workload.reads() {
        let everyone: Vec<HttpClient> = clients.iter().chain(&follower_clients).cloned().collect();
        reads::register_catalog(&clients, &everyone, &mut signer, &seller).await?
    } else {
        Vec::new()
    };
    let mut work = Vec::with_capacity(options.transactions);
    let owned: Vec<u64> = items
        .iter()
        .copied()
        .filter(|i| *i != raffle_item)
        .collect();
    for n in 0..options.transactions {
        let kind = match options.workload {
            Workload::Mix => Workload::MIXED[n % Workload::MIXED.len()],
            other => other,
        };
        let operation = match kind {
            Workload::RaffleEntries => Operation::Submit(Box::new(
                signer.sign(&members[n % members.len()], Payload::EnterRaffle { raffle }),
            )),
            // One transaction per member: transfers never wait on each other's ownership.
            Workload::Transfers => {
                let from = n % members.len();
                let to = (from + 1) % members.len();
                Operation::Submit(Box::new(signer.sign(
                    &members[from],
                    Payload::TransferItem {
                        item: owned[from],
                        to: members[to].public(),
                    },
                )))
            }
            Workload::Searches => Operation::Read(reads::search(n)),
            Workload::Recommendations => Operation::Read(reads::recommendation(n, &catalog)),
            Workload::Registrations | Workload::Mix => {
                let registrar = &registrars[n % registrars.len()];
                Operation::Submit(Box::new(signer.sign(
                    registrar,
                    Payload::RegisterAccount {
                        account: Keypair::from_name(&format!("bench-new-{run_tag}-{n}")).public(),
                        role: Role::Member,
                        adult: false,
                    },
                )))
            }
        };
        work.push((kind, operation));
    }

    // --- measured phase.
    let waiters: Waiters = Arc::new(Mutex::new(HashMap::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    spawn_block_watcher(&urls[0], clients[0].clone(), waiters.clone(), stop.clone()).await?;
    let usage_before: Vec<Option<(f64, f64, f64)>> = own
        .as_ref()
        .map(|net| {
            net.nodes
                .iter()
                .map(|n| n.pid.and_then(process_usage))
                .collect()
        })
        .unwrap_or_default();
    let work = Arc::new(work);
    let next = Arc::new(AtomicUsize::new(0));
    let results: Results = Arc::new(Mutex::new(Vec::with_capacity(work.len())));
    let height_before = clients[0]
        .get_header(None)
        .await
        .map_err(|e| rpc_error(0, e))?
        .header
        .height;
    let attack = match options.attack {
        Some(attack) => {
            let running = Attack::start(&urls[0], attack).map_err(TestnetError::Invalid)?;
            // Let the slow connections pile up before measuring.
            tokio::time::sleep(Duration::from_secs(3)).await;
            Some(running)
        }
        None => None,
    };
    let term_before = highest_term(&clients).await;
    let started = Instant::now();
    let mut tasks = Vec::new();
    let batch = options
        .batch
        .clamp(1, truffle_wire::chain::MAX_SUBMIT_BATCH);
    let interval = options
        .rate
        .map(|rate| Duration::from_secs_f64((options.clients * batch) as f64 / rate.max(1.0)));
    for c in 0..options.clients.max(1) {
        let (work, next, results, waiters) =
            (work.clone(), next.clone(), results.clone(), waiters.clone());
        let writer = clients[c % clients.len()].clone();
        let reader = readers[c % readers.len()].clone();
        let timeout = options.timeout;
        tasks.push(tokio::spawn(async move {
            let mut ticker = interval.map(tokio::time::interval);
            let mut in_flight = Vec::new();
            loop {
                let n = next.fetch_add(batch, Ordering::Relaxed);
                if n >= work.len() {
                    break;
                }
                if let Some(ticker) = ticker.as_mut() {
                    ticker.tick().await;
                }
                let operation = perform_range(
                    work.clone(),
                    n..(n + batch).min(work.len()),
                    writer.clone(),
                    reader.clone(),
                    waiters.clone(),
                    results.clone(),
                    timeout,
                );
                if ticker.is_some() {
                    // Open loop: do not wait before the next operation.
                    in_flight.push(tokio::spawn(operation));
                } else {
                    operation.await;
                }
            }
            for task in in_flight {
                let _ = task.await;
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let elections = highest_term(&clients).await.saturating_sub(term_before);
    stop.store(true, Ordering::Relaxed);
    let attack = match attack {
        Some(attack) => Some(attack.stop().await),
        None => None,
    };
    let blocks = clients[0]
        .get_header(None)
        .await
        .map_err(|e| rpc_error(0, e))?
        .header
        .height
        .saturating_sub(height_before);

    let results = results.lock().expect("results lock poisoned").clone();
    let transactions: Vec<OperationResult> = results
        .iter()
        .filter(|(kind, _)| kind.transactions())
        .map(|(_, result)| *result)
        .collect();
    let mut latencies: Vec<f64> = transactions
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    latencies.sort_by(|a, b| a.partial_cmp(b).expect("latencies are finite"));
    let node_usage = match own.as_ref() {
        Some(net) => net
            .nodes
            .iter()
            .zip(usage_before)
            .filter_map(|(node, before)| {
                let (cpu_after, peak, rss) = node.pid.and_then(process_usage)?;
                let cpu = cpu_after - before.map(|b| b.0).unwrap_or(0.0);
                Some(NodeUsage {
                    index: node.index,
                    cpu_secs: cpu,
                    cpu_percent: 100.0 * cpu / elapsed,
                    peak_rss_mib: peak,
                    rss_mib: rss,
                })
            })
            .collect(),
        None => Vec::new(),
    };
    // After the nodes' usage is read: serving the replay is not the load's work.
    let audit = match own.as_mut() {
        Some(net) if options.audit => {
            let head = audit::settled_head(&clients).await?;
            let first = net.validators()[0];
            Some(audit::audit_replay(net, first, head).await?)
        }
        _ => None,
    };
    let report = LoadReport {
        build: version.build,
        workload: format!("{:?}", options.workload),
        nodes: urls.len(),
        followers: follower_urls.len(),
        reads_on: options.reads_on,
        batch,
        elections,
        clients: options.clients,
        target_rate: options.rate,
        submitted: transactions.len(),
        committed: latencies.len(),
        rejected: transactions
            .iter()
            .filter(|r| matches!(r, Err(Failure::Rejected)))
            .count(),
        timed_out: transactions
            .iter()
            .filter(|r| matches!(r, Err(Failure::TimedOut)))
            .count(),
        duration_secs: elapsed,
        committed_per_sec: latencies.len() as f64 / elapsed,
        blocks,
        transactions_per_block: transactions.len() as f64 / blocks.max(1) as f64,
        latency_ms: Latency::of_sorted(&latencies),
        by_kind: KindReport::all(&results, elapsed),
        node_usage,
        attack,
        audit,
    };
    if let Some(mut net) = own {
        net.down()?;
    }
    Ok(report)
}

/// The highest Raft term the validators report (each election raises it by one at
/// least); 0 when none answers.
async fn highest_term(validators: &[HttpClient]) -> u64 {
    let mut highest = 0;
    for client in validators {
        if let Ok(health) = client.health().await {
            highest = highest.max(health["term"].as_u64().unwrap_or(0));
        }
    }
    highest
}
