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
use tokio::sync::oneshot;
use truffle_ledger::tx::raffle_commitment;
use truffle_ledger::types::{EntryWindow, ProductSpec, RaffleSpec, Role};
use truffle_ledger::{Effect, Hash, Keypair, Outcome, Payload, PublicKey, Transaction};
use truffle_wire::api::{AccountApiClient, ChainApiClient, SystemApiClient, TxApiClient};

use crate::cluster::{Testnet, TestnetError, TestnetOptions};

mod failover;
mod reads;

pub use failover::{run_failover, FailoverReport};

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

/// How to load the cluster.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Validators to start (ignored with `targets`).
    pub nodes: usize,
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
    /// Open-loop submission rate (tx/s); closed-loop at full speed when `None`.
    pub rate: Option<f64>,
    /// How long one transaction may take before it counts as timed out.
    pub timeout: Duration,
    /// The workload.
    pub workload: Workload,
    /// Folder for a started cluster.
    pub dir: std::path::PathBuf,
}

/// Latency percentiles, ms.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Worst.
    pub max: f64,
}

impl Latency {
    /// Percentiles of `sorted` (ascending).
    fn of_sorted(sorted: &[f64]) -> Latency {
        Latency {
            p50: percentile(sorted, 50.0),
            p90: percentile(sorted, 90.0),
            p99: percentile(sorted, 99.0),
            max: sorted.last().copied().unwrap_or(0.0),
        }
    }
}

/// How one kind of operation went (for a transaction, latency is submit → block; for a
/// read, request → answer).
#[derive(Clone, Debug, Serialize)]
pub struct KindReport {
    /// The kind.
    pub kind: Workload,
    /// Operations started.
    pub operations: usize,
    /// Committed (transactions) or answered (reads).
    pub completed: usize,
    /// Refused, or answered with an error.
    pub failed: usize,
    /// Without an outcome within the timeout.
    pub timed_out: usize,
    /// Completed per second of the measured phase.
    pub per_sec: f64,
    /// Latency of the completed ones.
    pub latency_ms: Latency,
}

impl KindReport {
    /// One report per kind present in `results`, in [`Workload::MIXED`] order.
    fn all(results: &[(Workload, OperationResult)], elapsed: f64) -> Vec<KindReport> {
        Workload::MIXED
            .iter()
            .filter_map(|kind| {
                let mine: Vec<OperationResult> = results
                    .iter()
                    .filter(|(k, _)| k == kind)
                    .map(|(_, r)| *r)
                    .collect();
                if mine.is_empty() {
                    return None;
                }
                let mut latencies: Vec<f64> = mine
                    .iter()
                    .filter_map(|r| r.as_ref().ok().copied())
                    .collect();
                latencies.sort_by(|a, b| a.partial_cmp(b).expect("latencies are finite"));
                Some(KindReport {
                    kind: *kind,
                    operations: mine.len(),
                    completed: latencies.len(),
                    failed: mine
                        .iter()
                        .filter(|r| **r == Err(Failure::Rejected))
                        .count(),
                    timed_out: mine
                        .iter()
                        .filter(|r| **r == Err(Failure::TimedOut))
                        .count(),
                    per_sec: latencies.len() as f64 / elapsed.max(f64::EPSILON),
                    latency_ms: Latency::of_sorted(&latencies),
                })
            })
            .collect()
    }
}

/// A node's resource use over the measured phase.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NodeUsage {
    /// Node index.
    pub index: usize,
    /// CPU seconds used during the phase.
    pub cpu_secs: f64,
    /// Average CPU use, % of one core.
    pub cpu_percent: f64,
    /// Peak resident memory since the node started, MiB.
    pub peak_rss_mib: f64,
    /// Resident memory at the end, MiB.
    pub rss_mib: f64,
}

/// The result of a load run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LoadReport {
    /// The workload.
    pub workload: String,
    /// Validators.
    pub nodes: usize,
    /// Concurrent clients.
    pub clients: usize,
    /// Open-loop rate, if any.
    pub target_rate: Option<f64>,
    /// Transactions submitted (reads are counted in `by_kind` only).
    pub submitted: usize,
    /// Applied in a block.
    pub committed: usize,
    /// Refused (at submission or in a block).
    pub rejected: usize,
    /// Not in a block within the timeout.
    pub timed_out: usize,
    /// Wall time of the measured phase, s.
    pub duration_secs: f64,
    /// Committed transactions per second.
    pub committed_per_sec: f64,
    /// Submit-to-commit latency.
    pub latency_ms: Latency,
    /// Blocks produced during the measured phase.
    pub blocks: u64,
    /// Average transactions per block.
    pub transactions_per_block: f64,
    /// Each kind of operation on its own (reads included).
    pub by_kind: Vec<KindReport>,
    /// Per-node CPU and memory (only for clusters this run started).
    pub node_usage: Vec<NodeUsage>,
}

impl LoadReport {
    /// A table for people.
    pub fn table(&self) -> String {
        let mut out = format!(
            "workload {} · {} nodes · {} clients · {}\n",
            self.workload,
            self.nodes,
            self.clients,
            match self.target_rate {
                Some(rate) => format!("open loop at {rate:.0} operations/s"),
                None => "closed loop".to_owned(),
            },
        );
        if self.submitted > 0 {
            out.push_str(&format!(
                "submitted {:>8}   committed {:>8}   rejected {:>6}   timed out {:>6}\n\
                 committed/s {:>10.0}   over {:.1} s   {} blocks, {:.0} tx/block\n\
                 latency ms   p50 {:>7.1}   p90 {:>7.1}   p99 {:>7.1}   max {:>7.1}\n",
                self.submitted,
                self.committed,
                self.rejected,
                self.timed_out,
                self.committed_per_sec,
                self.duration_secs,
                self.blocks,
                self.transactions_per_block,
                self.latency_ms.p50,
                self.latency_ms.p90,
                self.latency_ms.p99,
                self.latency_ms.max
            ));
        }
        if self.by_kind.len() > 1 || self.submitted == 0 {
            out.push_str(
                "kind                done      /s  failed  timed out   p50 ms   p90 ms   p99 ms   max ms\n",
            );
            for kind in &self.by_kind {
                out.push_str(&format!(
                    "{:<17} {:>7} {:>7.0} {:>7} {:>10} {:>8.1} {:>8.1} {:>8.1} {:>8.1}\n",
                    format!("{:?}", kind.kind),
                    kind.completed,
                    kind.per_sec,
                    kind.failed,
                    kind.timed_out,
                    kind.latency_ms.p50,
                    kind.latency_ms.p90,
                    kind.latency_ms.p99,
                    kind.latency_ms.max
                ));
            }
        }
        for node in &self.node_usage {
            out.push_str(&format!(
                "node {}   cpu {:>6.1} s ({:>5.0}% of a core)   peak rss {:>7.1} MiB   rss {:>7.1} MiB\n",
                node.index, node.cpu_secs, node.cpu_percent, node.peak_rss_mib, node.rss_mib
            ));
        }
        out
    }
}

fn rpc_error(index: usize, error: impl std::fmt::Display) -> TestnetError {
    TestnetError::Rpc {
        index,
        reason: error.to_string(),
    }
}

fn client(url: &str) -> HttpClient {
    jsonrpsee_http_client::HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(30))
        .max_concurrent_requests(1_024)
        .build(url)
        .expect("a valid URL")
}

/// Signs with locally tracked nonces.
struct Signer {
    chain_id: Hash,
    nonces: HashMap<PublicKey, u64>,
}

impl Signer {
    fn sign(&mut self, key: &Keypair, payload: Payload) -> truffle_ledger::SignedTransaction {
        let nonce = self.nonces.entry(key.public()).or_insert(0);
        let tx = Transaction {
            chain_id: self.chain_id,
            signer: key.public(),
            nonce: *nonce,
            payload,
        }
        .sign(key);
        *nonce += 1;
        tx
    }
}

/// Submits transactions (pipelined, `window` at a time) and waits for all of them;
/// every one must apply. Used to set a benchmark up.
async fn apply_all(
    clients: &[HttpClient],
    txs: Vec<truffle_ledger::SignedTransaction>,
) -> Result<Vec<Effect>, TestnetError> {
    let mut effects = Vec::with_capacity(txs.len());
    for chunk in txs.chunks(2_000) {
        let mut hashes = Vec::with_capacity(chunk.len());
        for (n, tx) in chunk.iter().enumerate() {
            let index = n % clients.len();
            let hash = clients[index]
                .submit(hex::encode(tx.encode()))
                .await
                .map_err(|e| rpc_error(index, e))?;
            hashes.push(hash);
        }
        for hash in hashes {
            let deadline = Instant::now() + Duration::from_secs(120);
            loop {
                match clients[0].status(hash).await.map_err(|e| rpc_error(0, e))? {
                    truffle_wire::chain::TxStatus::Committed { effect, .. } => {
                        effects.push(effect);
                        break;
                    }
                    truffle_wire::chain::TxStatus::Rejected { rejection, .. } => {
                        return Err(TestnetError::Invalid(format!(
                            "setup transaction refused: {rejection}"
                        )))
                    }
                    _ if Instant::now() > deadline => {
                        return Err(TestnetError::Timeout(
                            Duration::from_secs(120),
                            format!("setup transaction {hash}"),
                        ))
                    }
                    _ => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
        }
    }
    Ok(effects)
}

type Waiters = Arc<Mutex<HashMap<Hash, oneshot::Sender<(Instant, bool)>>>>;

/// One measured operation.
#[derive(Clone, Debug)]
enum Operation {
    /// A transaction: submit, then wait for its block.
    Submit(Box<truffle_ledger::SignedTransaction>),
    /// A read request: wait for the answer.
    Read(reads::Read),
}

/// Why an operation did not complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Failure {
    /// Refused at submission or in a block, or a read answered with an error.
    Rejected,
    /// No block (or answer) within the timeout.
    TimedOut,
}

/// Latency in ms, or why there is none.
type OperationResult = Result<f64, Failure>;
type Results = Arc<Mutex<Vec<(Workload, OperationResult)>>>;

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
async fn perform(
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
async fn spawn_block_watcher(
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

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// CPU ticks and memory of a process, from /proc.
fn process_usage(pid: u32) -> Option<(f64, f64, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // SAFETY: sysconf has no memory effects.
    let per_sec = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = |name: &str| -> f64 {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    Some((
        ticks / per_sec,
        kib("VmHWM:") / 1024.0,
        kib("VmRSS:") / 1024.0,
    ))
}

/// Runs a load measurement and returns its report.
pub async fn run_load(options: &LoadOptions) -> Result<LoadReport, TestnetError> {
    let mut own: Option<Testnet> = None;
    let (urls, admin, registrars) = if options.targets.is_empty() {
        let mut net = Testnet::create(
            &options.dir,
            &TestnetOptions {
                nodes: options.nodes,
                extra_args: vec!["--mempool.per-signer".into(), "1000000".into()],
                ..TestnetOptions::default()
            },
        )?;
        net.start_all()?;
        let all: Vec<usize> = (0..options.nodes).collect();
        net.wait_for_leader(&all, Duration::from_secs(30)).await?;
        let urls: Vec<String> = all.iter().map(|i| net.rpc_url(*i)).collect();
        let admin = net.admin.clone();
        let registrars = all.iter().map(|i| net.key(*i).clone()).collect();
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
    let chain_id = clients[0]
        .version()
        .await
        .map_err(|e| rpc_error(0, e))?
        .chain_id;
    let mut signer = Signer {
        chain_id,
        nonces: HashMap::new(),
    };
    for key in registrars.iter().chain(std::iter::once(&admin)) {
        let nonce = clients[0]
            .get_nonce(key.public())
            .await
            .map_err(|e| rpc_error(0, e))?;
        signer.nonces.insert(key.public(), nonce);
    }

    // --- setup: a seller with a raffle and items; members.
    let run_tag = Hash::of(&std::process::id().to_be_bytes()).to_hex()[..8].to_owned();
    let members_needed = match options.workload {
        Workload::Registrations | Workload::Searches | Workload::Recommendations => 0,
        Workload::RaffleEntries | Workload::Transfers | Workload::Mix => {
            options.transactions.max(2)
        }
    };
    let seller = Keypair::from_name(&format!("bench-seller-{run_tag}"));
    let members: Vec<Keypair> = (0..members_needed)
        .map(|i| Keypair::from_name(&format!("bench-member-{run_tag}-{i}")))
        .collect();
    let mut setup = Vec::new();
    for (n, key) in std::iter::once(&seller).chain(members.iter()).enumerate() {
        let registrar = &registrars[n % registrars.len()];
        setup.push(signer.sign(
            registrar,
            Payload::RegisterAccount {
                account: key.public(),
                role: Role::Member,
                birth_year: Some(1990),
            },
        ));
    }
    apply_all(&clients, setup).await?;
    apply_all(
        &clients,
        vec![signer.sign(
            &seller,
            Payload::ApplySeller {
                shop_name: "bench".into(),
            },
        )],
    )
    .await?;
    apply_all(
        &clients,
        vec![signer.sign(
            &admin,
            Payload::ApproveSeller {
                account: seller.public(),
            },
        )],
    )
    .await?;
    let items_needed = if matches!(options.workload, Workload::Transfers | Workload::Mix) {
        members.len()
    } else {
        1
    };
    let mut first_items = Vec::new();
    let mut registered = 0;
    while registered < items_needed {
        let count = (items_needed - registered).min(1_000);
        let spec = ProductSpec {
            brand: "Bench".into(),
            model: format!("B-{run_tag}-{registered}"),
            name_ko: "벤치마크 한정판".into(),
            name_en: "Benchmark edition".into(),
            category: "bench".into(),
            release_date: 20_260_101,
            price: 10_000,
            description: String::new(),
            image_hashes: vec![],
            serials: (0..count).map(|i| format!("S{i:05}")).collect(),
            list_for_sale: false,
        };
        let effects = apply_all(
            &clients,
            vec![signer.sign(&seller, Payload::RegisterProduct(spec))],
        )
        .await?;
        if let Some(Effect::ProductRegistered {
            first_item,
            item_count,
            ..
        }) = effects.first()
        {
            first_items.push((*first_item, *item_count as u64));
        }
        registered += count;
    }
    let items: Vec<u64> = first_items
        .iter()
        .flat_map(|(first, count)| *first..first + count)
        .collect();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let raffle_item = items[items.len() - 1];
    let effects = apply_all(
        &clients,
        vec![signer.sign(
            &seller,
            Payload::CreateRaffle(RaffleSpec {
                items: vec![raffle_item],
                window: EntryWindow::Times {
                    opens_ms: now_ms.saturating_sub(1_000),
                    closes_ms: now_ms + 24 * 3_600_000,
                },
                price: 10_000,
                runners_up: 0,
                min_age: None,
                seed_commitment: raffle_commitment(&Hash::of(run_tag.as_bytes())),
                reveal_blocks: 10,
                payment_window_ms: 3_600_000,
            }),
        )],
    )
    .await?;
    let Some(Effect::RaffleCreated { raffle }) = effects.first().cloned() else {
        return Err(TestnetError::Invalid(
            "the bench raffle was not created".into(),
        ));
    };
    if matches!(options.workload, Workload::Transfers | Workload::Mix) {
        // Hand each member one item (the raffle prize stays escrowed).
        let gifts: Vec<_> = members
            .iter()
            .zip(items.iter().filter(|i| **i != raffle_item))
            .map(|(member, item)| {
                signer.sign(
                    &seller,
                    Payload::TransferItem {
                        item: *item,
                        to: member.public(),
                    },
                )
            })
            .collect();
        apply_all(&clients, gifts).await?;
    }

    // --- pre-sign the measured workload.
    let catalog = if options.workload.reads() {
        reads::register_catalog(&clients, &mut signer, &seller).await?
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
                        birth_year: None,
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
    let started = Instant::now();
    let mut tasks = Vec::new();
    let interval = options
        .rate
        .map(|rate| Duration::from_secs_f64(options.clients as f64 / rate.max(1.0)));
    for c in 0..options.clients.max(1) {
        let (work, next, results, waiters) =
            (work.clone(), next.clone(), results.clone(), waiters.clone());
        let client = clients[c % clients.len()].clone();
        let timeout = options.timeout;
        tasks.push(tokio::spawn(async move {
            let mut ticker = interval.map(tokio::time::interval);
            let mut in_flight = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= work.len() {
                    break;
                }
                if let Some(ticker) = ticker.as_mut() {
                    ticker.tick().await;
                }
                let operation = perform(
                    work.clone(),
                    n,
                    client.clone(),
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
    stop.store(true, Ordering::Relaxed);
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
    let report = LoadReport {
        workload: format!("{:?}", options.workload),
        nodes: urls.len(),
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
    };
    if let Some(mut net) = own {
        net.down()?;
    }
    Ok(report)
}
