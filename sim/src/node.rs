//! A simulated validator: the real openraft `Raft`, the RocksDB log and state machine,
//! and the engine's certifier, over a data folder of its own. It crashes (the log loses
//! the appends the simulated disk never synced) and restarts from what the disk kept.

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use truffle_clock::Clock;
use truffle_consensus::{
    applied_log_index, forget_committed_from, genesis_membership, node_id_of, raft_config,
    LedgerEvent, LogStore, ManualSync, NodeId, Raft, RaftTiming, ServiceApplier, ServiceError,
    ServiceOutcome, StateMachine, VerifiedSignatures,
};
use truffle_engine::certificate_repair::{repair_round, CertificateGaps};
use truffle_engine::Certifier;
use truffle_ledger::{BlockHeader, GenesisState, Keypair, PublicKey};
use truffle_store::Store;

use crate::net::{request, send_vote, SimNetwork};
use crate::world::{Endpoint, Shared};
use crate::SimError;

/// Skew a validator tolerates between a header's time and its clock before it refuses
/// to sign (the engine's default `max_clock_skew_ms`).
pub(crate) const MAX_CLOCK_SKEW_MS: u64 = 10_000;

/// A node's clock: the simulated time plus a skew the nemesis sets.
#[derive(Debug)]
pub(crate) struct SimClock {
    start: tokio::time::Instant,
    wall_at_start_ms: u64,
    skew_ms: AtomicI64,
}

impl SimClock {
    pub(crate) fn new(start: tokio::time::Instant, wall_at_start_ms: u64) -> SimClock {
        SimClock {
            start,
            wall_at_start_ms,
            skew_ms: AtomicI64::new(0),
        }
    }

    pub(crate) fn set_skew(&self, skew_ms: i64) {
        self.skew_ms.store(skew_ms, Ordering::SeqCst);
    }
}

impl Clock for SimClock {
    fn now_ms(&self) -> u64 {
        let elapsed = self.monotonic_ms();
        let wall = self.wall_at_start_ms.saturating_add(elapsed);
        wall.saturating_add_signed(self.skew_ms.load(Ordering::SeqCst))
    }

    fn monotonic_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// The simulation proposes blocks only: every service command is refused alike.
pub(crate) struct NoServices;

impl ServiceApplier for NoServices {
    fn apply(&self, _: &Store, _: &[u8]) -> Result<ServiceOutcome, ServiceError> {
        Err(ServiceError::UnknownTag(0))
    }
}

/// A running node.
pub(crate) struct Running {
    pub(crate) raft: Raft,
    pub(crate) store: Store,
    sync: ManualSync,
    tasks: Vec<JoinHandle<()>>,
}

/// A validator of the simulated cluster, up or down.
pub(crate) struct SimNode {
    pub(crate) index: usize,
    pub(crate) key: Keypair,
    pub(crate) id: NodeId,
    dir: PathBuf,
    pub(crate) clock: Arc<SimClock>,
    pub(crate) running: Option<Running>,
    /// Whether Raft was initialized on this node's disk.
    initialized: bool,
}

pub(crate) fn setup(what: &str, error: impl std::fmt::Display) -> SimError {
    SimError::Setup(format!("{what}: {error}"))
}

impl SimNode {
    pub(crate) fn new(index: usize, key: Keypair, dir: PathBuf, clock: Arc<SimClock>) -> SimNode {
        SimNode {
            index,
            id: node_id_of(&key.public()),
            key,
            dir,
            clock,
            running: None,
            initialized: false,
        }
    }

    /// The node's name in the trace.
    pub(crate) fn name(&self) -> String {
        format!("n{}", self.index)
    }

    /// Opens the node's disk, starts Raft and the node's tasks, and joins the network.
    pub(crate) async fn start(
        &mut self,
        world: &Shared,
        genesis: &GenesisState,
        timing: &RaftTiming,
    ) -> Result<(), SimError> {
        let store = open_store(&self.dir.join("db")).await?;
        let (events, applied) = broadcast::channel(1_024);
        let state_machine = StateMachine::open(
            store.clone(),
            genesis,
            self.dir.join("snapshots"),
            Arc::new(NoServices),
            events,
            VerifiedSignatures::new(1 << 12),
        )
        .map_err(|e| setup("state machine", e))?;
        let (log, sync) = LogStore::with_manual_sync(store.clone());
        let network = SimNetwork {
            world: world.clone(),
            from: self.id,
        };
        let config = raft_config(&genesis.chain_id, timing).map_err(|e| setup("config", e))?;
        let raft = Raft::new(self.id, config, network, log, state_machine)
            .await
            .map_err(|e| setup("raft", e))?;
        let sync_every = Duration::from_millis(world.lock().rng.gen_range(1..=30));
        // The disk first: initializing appends the membership and waits for its sync.
        let disk = tokio::spawn(disk(sync.clone(), sync_every));
        if !self.initialized {
            // Every genesis validator initializes with the same membership, as `launch` does.
            let _ = raft.initialize(genesis_membership(genesis)).await;
            self.initialized = true;
        }
        let certifier = Arc::new(Certifier::new(
            self.key.clone(),
            genesis.chain_id,
            store.clone(),
        ));
        world.lock().live.insert(
            self.id,
            Endpoint {
                id: self.id,
                key: self.key.public(),
                clock: self.clock.clone(),
                raft: raft.clone(),
                certifier: certifier.clone(),
                store: store.clone(),
            },
        );
        world.note(format!("{} up", self.name()));
        let voter = Voter {
            world: world.clone(),
            id: self.id,
            key: self.key.clone(),
            store: store.clone(),
            certifier,
            clock: self.clock.clone(),
        };
        let tasks = vec![
            disk,
            tokio::spawn(pump(voter.clone(), applied)),
            tokio::spawn(repair_certificates(voter)),
        ];
        self.running = Some(Running {
            raft,
            store,
            sync,
            tasks,
        });
        Ok(())
    }

    /// The node crashes: it leaves the network, its tasks stop, Raft stops, and the disk
    /// loses the log entries appended but never synced. Returns how many were lost.
    pub(crate) async fn crash(&mut self, world: &Shared) -> Result<u64, SimError> {
        let Some(running) = self.running.take() else {
            return Ok(0);
        };
        world.lock().live.remove(&self.id);
        for task in &running.tasks {
            task.abort();
        }
        let first_lost = running.sync.crash();
        let _ = running.raft.shutdown().await;
        let first_lost = [first_lost, running.sync.crash()]
            .into_iter()
            .flatten()
            .min();
        let applied = applied_log_index(&running.store).map_err(|e| setup("applied", e))?;
        let mut lost = 0;
        if let Some(first) = first_lost {
            // A state-machine write came after the appends of the entries it applied, so
            // the disk keeps those (its log is one sequential file).
            let from = first.max(applied.map_or(0, |a| a + 1));
            let range = running
                .store
                .raft_range()
                .map_err(|e| setup("log range", e))?;
            if let Some(range) = range.filter(|r| r.last >= from) {
                lost = range.last - from + 1;
                running
                    .store
                    .raft_truncate_from(from)
                    .map_err(|e| setup("truncate", e))?;
            }
            forget_committed_from(&running.store, from)
                .map_err(|e| setup("committed position", e))?;
        }
        let Running { raft, store, .. } = running;
        drop(raft);
        drop(store);
        // Aborted tasks drop their handles on the database when next polled.
        for _ in 0..8 {
            tokio::task::yield_now().await;
        }
        world.note(format!(
            "{} crashed, {lost} unsynced entries lost",
            self.name()
        ));
        Ok(lost)
    }
}

/// Opens a node's store; a handle the crashed node's last tasks still hold is dropped
/// when they next run, so a few tries may be needed.
pub(crate) async fn open_store(path: &std::path::Path) -> Result<Store, SimError> {
    let mut tries = 0;
    loop {
        match Store::open(path) {
            Ok(store) => return Ok(store),
            Err(error) if tries >= 50 => return Err(setup("store", error)),
            Err(_) => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// The node's disk: syncs the log every `every`, reporting the appends flushed.
async fn disk(sync: ManualSync, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        if sync.waiting() > 0 {
            sync.sync();
        }
    }
}

/// What a validator needs to vote on headers and gather certificates.
#[derive(Clone)]
struct Voter {
    world: Shared,
    id: NodeId,
    key: Keypair,
    store: Store,
    certifier: Arc<Certifier>,
    clock: Arc<SimClock>,
}

impl Voter {
    /// Signs `header` (unless its time is too far ahead of this node's clock), counts
    /// the vote and sends it to the other certifiers, as the engine's `vote_on`.
    fn vote_on(&self, header: &BlockHeader) {
        let (world, id) = (&self.world, self.id);
        let own = self.key.public();
        let validators = truffle_engine::certifying_set(&self.store, header.height);
        let sign =
            truffle_engine::clock_allows(header.time_ms, self.clock.now_ms(), MAX_CLOCK_SKEW_MS);
        let (vote, certified) = self.certifier.on_applied(header, &validators, sign);
        if certified {
            world.note(format!(
                "{} certified {}",
                world.lock().name(id),
                header.height
            ));
        }
        let Some(vote) = vote.filter(|_| validators.contains(&own)) else {
            return;
        };
        let peers: Vec<NodeId> = validators
            .iter()
            .filter(|v| **v != own)
            .map(node_id_of)
            .collect();
        for peer in peers {
            send_vote(world, id, peer, header.clone(), vote.clone());
        }
    }
}

/// Follows the node's applied blocks: records each header for the checkers and votes
/// on it.
async fn pump(voter: Voter, mut applied: broadcast::Receiver<LedgerEvent>) {
    let (world, id) = (&voter.world, voter.id);
    loop {
        let block = match applied.recv().await {
            Ok(LedgerEvent::Block(block)) => block,
            Ok(_) => continue,
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                world.note(format!("{} missed {missed} events", world.lock().name(id)));
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        world.applied(id, &block.header);
        voter.vote_on(&block.header);
    }
}

/// Every second, as the engine's housekeeping: one round of
/// [`truffle_engine::certificate_repair::repair_round`] over the simulated network
/// (certificates this node lacks fetched from its peers, lowest gap first, and votes
/// again on heights left uncertified).
async fn repair_certificates(voter: Voter) {
    let (world, id, store) = (&voter.world, voter.id, &voter.store);
    let mut gaps = CertificateGaps::default();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let Ok(Some(head)) = store.head() else {
            return;
        };
        let own = voter.key.public();
        let peers: Vec<PublicKey> = truffle_engine::certifying_set(store, head.height + 1)
            .into_iter()
            .filter(|v| *v != own)
            .collect();
        let ask = |peer: PublicKey, from: u64, to: u64| {
            ask_certificates(world, id, node_id_of(&peer), from, to)
        };
        let round =
            repair_round(&mut gaps, store, &voter.certifier, head.height, &peers, ask).await;
        for header in round.vote_again {
            world.note(format!(
                "{} votes again on {}",
                world.lock().name(id),
                header.height
            ));
            voter.vote_on(&header);
        }
    }
}

/// Asks `to` for the certificates it holds of heights `from..=through`, with the fate
/// the world draws.
async fn ask_certificates(
    world: &Shared,
    id: NodeId,
    to: NodeId,
    from: u64,
    through: u64,
) -> Option<Vec<truffle_ledger::Certificate>> {
    request(world, id, to, |target| {
        Some(
            (from..=through)
                .filter_map(|height| target.store.certificate(height).ok().flatten())
                .collect(),
        )
    })
    .await
}
