//! Deterministic simulation of a Truffle validator cluster.
//!
//! Three to five validators run in one process, on one thread, under tokio's paused
//! clock: the real openraft `Raft` of each, its RocksDB log and state machine (the
//! ledger executing every block), and the engine's certifier, on a simulated network
//! (loss, delay, reordering, duplication, partitions), a simulated disk (the log is
//! synced when the simulation says; a crash loses the appends never synced) and
//! simulated clocks (skewed per node). One seed decides everything: the cluster's
//! size, the faults, the client's operations, openraft's election timeouts
//! (`truffle_consensus::runtime`), so a seed replays the same run, interleaving
//! included. After the faults the cluster is healed, must converge, and the checkers
//! (`check.rs`) run.
//!
//! One or two follower nodes (`follower.rs`) run beside the validators: each builds its
//! own state from the genesis and applies the certified blocks it asks the validators
//! for with the engine's checks, and in half the seeds one validator lies to them. The
//! validators gather missing certificates and vote again on heights left uncertified
//! as the engine's housekeeping does (`truffle_engine::certificate_repair`), since a
//! follower stops at the first height no validator certified.
//!
//! What is not simulated: the libp2p transport (its framing and limits are tested
//! elsewhere), the engine's producer, forwarder and mempool (the client proposes
//! blocks through Raft itself), snapshots (the log is never purged), and a power cut
//! that also loses state-machine writes (a crash loses the unsynced log only, as when
//! the process dies and the operating system keeps what was written).

mod check;
mod follower;
mod net;
mod node;
mod workload;
mod world;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use truffle_consensus::RaftTiming;
use truffle_ledger::Hash;

use crate::follower::SimFollower;
use crate::node::{SimClock, SimNode, MAX_CLOCK_SKEW_MS};
use crate::workload::Actors;
use crate::world::{NetFaults, Shared, World};

pub use crate::world::Stats;

/// What to simulate.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Validators; `None` draws 3 to 5 from the seed.
    pub validators: Option<usize>,
    /// Follower nodes; `None` draws 1 or 2 from the seed.
    pub followers: Option<usize>,
    /// Simulated time under faults, ms; then the cluster is healed and must converge.
    pub fault_ms: u64,
    /// Whether to keep the trace in the report (it is always digested).
    pub keep_trace: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            validators: None,
            followers: None,
            fault_ms: 20_000,
            keep_trace: false,
        }
    }
}

/// What one seed's run did.
#[derive(Clone, Debug)]
pub struct SimReport {
    /// The seed.
    pub seed: u64,
    /// Validators simulated.
    pub validators: usize,
    /// Followers simulated.
    pub followers: usize,
    /// Whether one validator lied to the followers.
    pub liar: bool,
    /// Height the cluster converged on.
    pub height: u64,
    /// Raffles drawn and orders paid on the final chain.
    pub draws: u64,
    /// Orders paid on the final chain.
    pub paid_orders: u64,
    /// Counts of messages, faults and acknowledged blocks.
    pub stats: Stats,
    /// blake3 of the trace: equal for two runs of one seed.
    pub trace_digest: Hash,
    /// The trace, when asked for.
    pub trace: Vec<String>,
}

/// Why a seed failed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The simulation could not be set up (a store, Raft's configuration).
    #[error("setup: {0}")]
    Setup(String),
    /// An invariant broke; the trace tells how the run got there.
    #[error("seed {seed}: {} invariant(s) broken, first: {}", problems.len(), problems.first().map_or("", String::as_str))]
    Broken {
        /// The seed.
        seed: u64,
        /// What broke.
        problems: Vec<String>,
        /// The run's trace.
        trace: Vec<String>,
    },
}

/// Raft's timing in the simulation: the engine's defaults, with the log never purged.
fn timing() -> RaftTiming {
    RaftTiming {
        snapshot_every_entries: u64::MAX / 4,
        ..RaftTiming::default()
    }
}

/// A folder for one run's stores: in memory (`/dev/shm`) where there is one, since the
/// simulated disk syncs often and the real one need not keep anything.
fn data_dir() -> std::io::Result<tempfile::TempDir> {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(dir) = tempfile::Builder::new()
            .prefix("truffle-sim")
            .tempdir_in(shm)
        {
            return Ok(dir);
        }
    }
    tempfile::Builder::new().prefix("truffle-sim").tempdir()
}

/// Runs one seed: builds its own runtime (one thread, paused clock) and folder.
pub fn run_seed(seed: u64, config: &SimConfig) -> Result<SimReport, SimError> {
    let dir = data_dir().map_err(|e| SimError::Setup(format!("temp dir: {e}")))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .map_err(|e| SimError::Setup(format!("runtime: {e}")))?;
    truffle_consensus::runtime::seed_thread_rng(Some(seed));
    let result = runtime.block_on(simulate(seed, config, dir.path()));
    // Tasks still pending (late duplicates) hold handles on the stores: drop them
    // before the folder goes.
    drop(runtime);
    truffle_consensus::runtime::seed_thread_rng(None);
    result
}

/// Draws the network's faults.
fn draw_faults(rng: &mut StdRng) -> NetFaults {
    NetFaults {
        loss: rng.gen_range(0.0..0.15),
        duplicate: rng.gen_range(0.0..0.10),
        max_delay_ms: rng.gen_range(1..=40),
        spike: rng.gen_range(0.0..0.05),
    }
}

async fn simulate(
    seed: u64,
    config: &SimConfig,
    dir: &std::path::Path,
) -> Result<SimReport, SimError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let count = config.validators.unwrap_or_else(|| rng.gen_range(3..=5));
    let actors = Arc::new(Actors::new(count));
    let genesis = actors.genesis();
    let start = tokio::time::Instant::now();
    let mut nodes: Vec<SimNode> = actors
        .validators
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let clock = Arc::new(SimClock::new(start, workload::T0_MS + 1_000));
            SimNode::new(i, key.clone(), dir.join(format!("n{i}")), clock)
        })
        .collect();
    let follower_count = config.followers.unwrap_or_else(|| rng.gen_range(1..=2));
    let mut followers: Vec<SimFollower> = (0..follower_count)
        .map(|i| {
            let key = truffle_ledger::Keypair::from_name(&format!("sim-follower-{i}"));
            SimFollower::new(i, &key, dir.join(format!("f{i}")))
        })
        .collect();
    // Half the seeds with followers have a validator that lies to them.
    let liar = (follower_count > 0 && rng.gen_bool(0.5)).then(|| {
        let at = rng.gen_range(0..nodes.len());
        (nodes[at].id, nodes[at].key.clone())
    });
    let names = nodes
        .iter()
        .map(|n| (n.id, n.name()))
        .chain(followers.iter().map(|f| (f.id, f.name())))
        .collect();
    let world = Shared::new(World {
        rng: StdRng::seed_from_u64(rng.gen()),
        start,
        trace: Vec::new(),
        live: Default::default(),
        cut: None,
        net: draw_faults(&mut rng),
        stats: Stats::default(),
        headers: Default::default(),
        acknowledged: Vec::new(),
        violations: Vec::new(),
        liar: liar.clone(),
        chain_id: genesis.chain_id,
        names,
    });
    let liar_name = liar.as_ref().map(|(id, _)| world.lock().name(*id));
    world.note(format!(
        "seed {seed}: {count} validators, {follower_count} followers, liar to followers: {liar_name:?}"
    ));
    for node in &mut nodes {
        node.start(&world, &genesis, &timing()).await?;
    }
    for follower in &mut followers {
        follower.start(&world, &genesis).await?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let client = tokio::spawn(workload::client(
        world.clone(),
        actors.clone(),
        rng.gen(),
        stop.clone(),
    ));
    nemesis(
        &world,
        &mut nodes,
        &mut followers,
        &genesis,
        config.fault_ms,
    )
    .await?;
    stop.store(true, Ordering::SeqCst);
    let _ = client.await;
    heal(&world, &mut nodes, &mut followers, &genesis).await?;
    let probe = workload::probe(&world, &actors, Duration::from_secs(60)).await;
    let stores = settle(&world, &nodes, &followers).await;
    let mut problems = std::mem::take(&mut world.lock().violations);
    match probe {
        Some(height) => world.note(format!("healed: probe block {height}")),
        None => problems.push("no block committed within 60 s of healing".into()),
    }
    let (acknowledged, lies, refusals) = {
        let w = world.lock();
        (
            w.acknowledged.clone(),
            w.stats.lies,
            w.stats.follower_refusals,
        )
    };
    problems.extend(check::check(&stores, &acknowledged));
    if lies != refusals {
        problems.push(format!("{lies} lies told to followers, {refusals} refused"));
    }
    let height = check::common_head(&stores).map_or(0, |(h, _)| h);
    let (draws, paid_orders) = stores
        .first()
        .map_or((0, 0), |(_, store)| check::figures(store));
    drop(stores);
    for node in &mut nodes {
        if let Some(running) = node.running.take() {
            let _ = running.raft.shutdown().await;
        }
    }
    for follower in &mut followers {
        follower.crash(&world).await;
    }
    let (trace, stats) = {
        let mut w = world.lock();
        (std::mem::take(&mut w.trace), w.stats.clone())
    };
    let trace_digest = Hash::of(trace.join("\n").as_bytes());
    if !problems.is_empty() {
        return Err(SimError::Broken {
            seed,
            problems,
            trace,
        });
    }
    Ok(SimReport {
        seed,
        validators: count,
        followers: follower_count,
        liar: liar.is_some(),
        height,
        draws,
        paid_orders,
        stats,
        trace_digest,
        trace: if config.keep_trace { trace } else { Vec::new() },
    })
}

/// Faults for `fault_ms` of simulated time: partitions and heals, crashes and
/// restarts, clock skews, the network's unreliability redrawn.
async fn nemesis(
    world: &Shared,
    nodes: &mut [SimNode],
    followers: &mut [SimFollower],
    genesis: &truffle_ledger::GenesisState,
    fault_ms: u64,
) -> Result<(), SimError> {
    let everyone: Vec<truffle_consensus::NodeId> = nodes
        .iter()
        .map(|n| n.id)
        .chain(followers.iter().map(|f| f.id))
        .collect();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(fault_ms);
    loop {
        let (pause, action, pick, value) = {
            let mut w = world.lock();
            (
                Duration::from_millis(w.rng.gen_range(200..2_000)),
                w.rng.gen_range(0..10),
                w.rng.gen_range(0..everyone.len()),
                w.rng.gen::<u64>(),
            )
        };
        tokio::time::sleep(pause).await;
        if tokio::time::Instant::now() >= deadline {
            return Ok(());
        }
        match action {
            0 | 1 => {
                // A partition: a random side of one to n-1 nodes, followers included.
                let side: std::collections::BTreeSet<_> = (0..64)
                    .map(|bit| (value >> bit) & 1 == 1)
                    .zip(&everyone)
                    .filter(|(inside, _)| *inside)
                    .map(|(_, id)| *id)
                    .collect();
                if !side.is_empty() && side.len() < everyone.len() {
                    let mut w = world.lock();
                    let names: Vec<String> = everyone
                        .iter()
                        .filter(|id| side.contains(id))
                        .map(|id| w.name(*id))
                        .collect();
                    w.stats.partitions += 1;
                    w.note(&format!("partition {names:?} from the rest"));
                    w.cut = Some(side);
                }
            }
            2 => {
                let mut w = world.lock();
                if w.cut.take().is_some() {
                    w.note("partition healed");
                }
            }
            3 | 4 if pick >= nodes.len() => {
                let follower = &mut followers[pick - nodes.len()];
                if follower.running.is_some() {
                    follower.crash(world).await;
                    world.lock().stats.follower_crashes += 1;
                }
            }
            5 | 6 if pick >= nodes.len() => {
                let follower = &mut followers[pick - nodes.len()];
                if follower.running.is_none() {
                    follower.start(world, genesis).await?;
                    world.lock().stats.restarts += 1;
                }
            }
            3 | 4 => {
                let down = nodes.iter().filter(|n| n.running.is_none()).count();
                let total = nodes.len();
                let node = &mut nodes[pick];
                if node.running.is_some() && down + 1 < total {
                    let lost = node.crash(world).await?;
                    let mut w = world.lock();
                    w.stats.crashes += 1;
                    w.stats.lost_entries += lost;
                }
            }
            5 | 6 => {
                let node = &mut nodes[pick];
                if node.running.is_none() {
                    node.start(world, genesis, &timing()).await?;
                    world.lock().stats.restarts += 1;
                }
            }
            7 if pick >= nodes.len() => {}
            7 => {
                // Mostly within what validators tolerate; sometimes well beyond.
                let bound = if value % 4 == 0 {
                    3 * MAX_CLOCK_SKEW_MS
                } else {
                    3_000
                };
                let skew = (value % (2 * bound + 1)) as i64 - bound as i64;
                let node = &nodes[pick];
                node.clock.set_skew(skew);
                let mut w = world.lock();
                w.stats.skews += 1;
                w.note(&format!("{} clock skew {skew} ms", node.name()));
            }
            _ => {
                let mut w = world.lock();
                let mut rng = StdRng::seed_from_u64(value);
                w.net = draw_faults(&mut rng);
                let net = w.net.clone();
                w.note(&format!("network {net:?}"));
            }
        }
    }
}

/// The end of the faults: the partition healed, every node up, clocks true, the
/// network reliable.
async fn heal(
    world: &Shared,
    nodes: &mut [SimNode],
    followers: &mut [SimFollower],
    genesis: &truffle_ledger::GenesisState,
) -> Result<(), SimError> {
    {
        let mut w = world.lock();
        w.cut = None;
        w.net = NetFaults::calm();
        w.note("heal: every node up, clocks true, network calm");
    }
    for node in nodes.iter_mut() {
        node.clock.set_skew(0);
        if node.running.is_none() {
            node.start(world, genesis, &timing()).await?;
            world.lock().stats.restarts += 1;
        }
    }
    for follower in followers.iter_mut() {
        if follower.running.is_none() {
            follower.start(world, genesis).await?;
            world.lock().stats.restarts += 1;
        }
    }
    Ok(())
}

/// Waits (at most 60 s simulated) until every node, followers included, holds the same
/// head for a second, then returns the nodes' stores by name.
async fn settle(
    world: &Shared,
    nodes: &[SimNode],
    followers: &[SimFollower],
) -> Vec<(String, truffle_store::Store)> {
    let stores: Vec<(String, truffle_store::Store)> = nodes
        .iter()
        .filter_map(|n| n.running.as_ref().map(|r| (n.name(), r.store.clone())))
        .chain(
            followers
                .iter()
                .filter_map(|f| f.running.as_ref().map(|r| (f.name(), r.store.clone()))),
        )
        .collect();
    let mut stable = 0;
    for _ in 0..600 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if check::common_head(&stores).is_some() {
            stable += 1;
            if stable >= 10 {
                break;
            }
        } else {
            stable = 0;
        }
    }
    world.note(format!(
        "settled at {:?}",
        check::common_head(&stores).map(|(h, _)| h)
    ));
    stores
}

/// What [`run_seeds`] calls with each seed's result and the wall time it took.
pub type OnResult<'a> = dyn Fn(u64, &Result<SimReport, SimError>, Duration) + Sync + 'a;

/// Runs `count` seeds from `from` on `jobs` threads (each seed on its own runtime);
/// `each` sees every result as it comes, with the wall time it took. Returns the
/// failing seeds' errors, in seed order.
pub fn run_seeds(
    from: u64,
    count: u64,
    jobs: usize,
    config: &SimConfig,
    each: &OnResult<'_>,
) -> Vec<SimError> {
    let next = std::sync::atomic::AtomicU64::new(from);
    let end = from.saturating_add(count);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::SeqCst);
                if seed >= end {
                    return;
                }
                let began = std::time::Instant::now();
                let result = run_seed(seed, config);
                each(seed, &result, began.elapsed());
                if let Err(error) = result {
                    failures
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(error);
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap_or_else(|e| e.into_inner());
    failures.sort_by_key(|e| match e {
        SimError::Broken { seed, .. } => *seed,
        SimError::Setup(_) => u64::MAX,
    });
    failures
}

/// Runs `seed` twice with its trace kept: `None` when the traces are equal, else the
/// first pair of lines that differ (or the line only one of them has).
pub fn replay_differs(seed: u64, config: &SimConfig) -> Result<Option<(String, String)>, SimError> {
    let config = SimConfig {
        keep_trace: true,
        ..config.clone()
    };
    let first = run_seed(seed, &config)?;
    let second = run_seed(seed, &config)?;
    let length = first.trace.len().max(second.trace.len());
    Ok((0..length).find_map(|i| {
        let (a, b) = (first.trace.get(i), second.trace.get(i));
        (a != b).then(|| {
            (
                a.cloned().unwrap_or_else(|| "(end)".into()),
                b.cloned().unwrap_or_else(|| "(end)".into()),
            )
        })
    }))
}

#[cfg(test)]
mod tests;
