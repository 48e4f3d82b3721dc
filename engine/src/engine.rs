//! The engine handle: consensus, transport, pool, producer and certifier wired together.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use openraft::ServerState;
use tokio::sync::{broadcast, Notify};
use truffle_clock::SharedClock;
use truffle_consensus::network::{P2p, PeerInfo};
use truffle_consensus::{LedgerEvent, NodeId, Raft};
use truffle_genesis::GenesisSpec;
use truffle_ledger::state::{decode_record, keys, StateView};
use truffle_ledger::types::Account;
use truffle_ledger::{BlockHeader, Hash, Keypair, PublicKey};
use truffle_store::Store;

use crate::certifier::Certifier;
use crate::error::EngineError;
use crate::mempool::Mempool;
use crate::metrics::EngineMetrics;
use crate::protocol::PeerService;
use crate::shutdown::ShutdownSignal;

/// What the engine needs to know to run: the chain-level part of a node's configuration.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Folder of the node's database and snapshots.
    pub data_dir: PathBuf,
    /// libp2p listen address; defaults to this validator's address in the genesis.
    pub p2p_listen: Option<String>,
    /// Most transactions per block (capped by the chain's parameter).
    pub max_block_transactions: usize,
    /// Proposals the leader keeps in flight at once.
    pub max_proposals_in_flight: usize,
    /// While another proposal is in flight, how long (ms) the leader may wait for the
    /// pool to fill a block.
    pub block_batch_wait_ms: u64,
    /// How far (ms) a block's time may be ahead of this node's clock for it to still
    /// sign the header.
    pub max_clock_skew_ms: u64,
    /// Capacity of the transaction pool.
    pub mempool_capacity: usize,
    /// Most pooled transactions per signer.
    pub mempool_per_signer: usize,
    /// Seconds a transaction may wait in the pool.
    pub mempool_max_age_secs: u64,
    /// Raft heartbeat, ms.
    pub raft_heartbeat_ms: u64,
    /// Raft election timeout, minimum ms.
    pub raft_election_min_ms: u64,
    /// Raft election timeout, maximum ms.
    pub raft_election_max_ms: u64,
    /// Raft entries between snapshots.
    pub snapshot_every_entries: u64,
    /// Allows `testnet` to cut and restore links (never on a real network).
    pub enable_fault_injection: bool,
    /// Runs as a follower node: syncs certified blocks from the validators and executes
    /// them itself; never a Raft member, never votes.
    pub follower: bool,
    /// Validators' public RPC addresses, named to clients of a follower for what it
    /// cannot do itself (member operations).
    pub validator_rpc: Vec<String>,
    /// Fault injection: serve followers blocks with forged certificates (a lying
    /// validator, for tests; needs `enable_fault_injection`).
    pub fault_forge_follower_certificates: bool,
    /// Fault injection: serve followers a snapshot with a forged state record and a
    /// matching checksum (needs `enable_fault_injection`).
    pub fault_forge_follower_snapshot: bool,
}

/// A Raft role, as health and metrics name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Proposes blocks.
    Leader,
    /// Follows a leader.
    Follower,
    /// Standing for election.
    Candidate,
    /// Receives the log without voting.
    Learner,
    /// Stopped.
    Shutdown,
    /// A follower node: syncs certified blocks, votes on nothing (no Raft role).
    Replica,
}

impl Role {
    /// Every role, in a fixed order.
    pub const ALL: [Role; 6] = [
        Role::Leader,
        Role::Follower,
        Role::Candidate,
        Role::Learner,
        Role::Shutdown,
        Role::Replica,
    ];

    /// `leader`, `follower`, `candidate`, `learner`, `shutdown` or `replica`.
    pub fn name(self) -> &'static str {
        match self {
            Role::Leader => "leader",
            Role::Follower => "follower",
            Role::Candidate => "candidate",
            Role::Learner => "learner",
            Role::Shutdown => "shutdown",
            Role::Replica => "replica",
        }
    }
}

impl From<ServerState> for Role {
    fn from(state: ServerState) -> Role {
        match state {
            ServerState::Leader => Role::Leader,
            ServerState::Follower => Role::Follower,
            ServerState::Candidate => Role::Candidate,
            ServerState::Learner => Role::Learner,
            ServerState::Shutdown => Role::Shutdown,
        }
    }
}

pub(crate) struct EngineInner {
    pub(crate) config: EngineConfig,
    pub(crate) genesis: GenesisSpec,
    pub(crate) chain_id: Hash,
    pub(crate) key: Keypair,
    pub(crate) node_id: NodeId,
    pub(crate) store: Store,
    pub(crate) raft: Raft,
    pub(crate) p2p: P2p,
    pub(crate) clock: SharedClock,
    pub(crate) mempool: Mutex<Mempool>,
    /// Wakes the producer (a permit is kept if it is busy, so no arrival is missed).
    pub(crate) producer_wake: Notify,
    /// Wakes the forwarder, likewise.
    pub(crate) forwarder_wake: Notify,
    pub(crate) events: broadcast::Sender<LedgerEvent>,
    pub(crate) certifier: Certifier,
    /// Evidence a peer could not be reached for, to send again.
    pub(crate) undelivered_evidence: crate::evidence_relay::Undelivered,
    pub(crate) certified_height: Mutex<Option<u64>>,
    pub(crate) snapshots_installed: std::sync::atomic::AtomicU64,
    pub(crate) started_ms: u64,
    pub(crate) registrar_nonce: Mutex<Option<u64>>,
    pub(crate) verified: truffle_consensus::VerifiedSignatures,
    pub(crate) shutdown: ShutdownSignal,
    pub(crate) metrics: Arc<EngineMetrics>,
    pub(crate) peer_services: RwLock<BTreeMap<String, Arc<dyn PeerService>>>,
    /// Fault injection: the [`crate::LeaderFault`] in force, as its code.
    pub(crate) leader_fault: std::sync::atomic::AtomicU8,
    /// Follower node: blocks refused (bad certificate, or executing to another header).
    pub(crate) follower_refused: std::sync::atomic::AtomicU64,
    /// Where Raft and the transport run; stops them when the engine is dropped.
    pub(crate) _consensus_runtime: truffle_consensus::runtime::ConsensusRuntime,
}

/// A running chain engine. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<EngineInner>,
}

impl Engine {
    /// The chain id.
    pub fn chain_id(&self) -> Hash {
        self.inner.chain_id
    }

    /// The genesis spec.
    pub fn genesis(&self) -> &GenesisSpec {
        &self.inner.genesis
    }

    /// The node's key.
    pub fn key(&self) -> &Keypair {
        &self.inner.key
    }

    /// The node's Raft id.
    pub fn node_id(&self) -> NodeId {
        self.inner.node_id
    }

    /// The engine's configuration (the block size already capped by the chain's).
    pub fn engine_config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// The node's database.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The node's clock: every reading of time in the engine and its features.
    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    /// Wall-clock milliseconds, from [`Engine::clock`].
    pub fn now_ms(&self) -> u64 {
        self.inner.clock.now_ms()
    }

    /// Applied blocks, service commands and snapshots as they happen.
    pub fn subscribe(&self) -> broadcast::Receiver<LedgerEvent> {
        self.inner.events.subscribe()
    }

    /// The latest applied header.
    pub fn head(&self) -> Result<BlockHeader, EngineError> {
        self.inner.store.head()?.ok_or(EngineError::NoGenesis)
    }

    /// This node's Raft role.
    pub fn role(&self) -> Role {
        if self.inner.config.follower {
            return Role::Replica;
        }
        Role::from(self.inner.raft.metrics().borrow().state)
    }

    /// Whether this node is a follower node (syncs certified blocks, votes on nothing).
    pub fn is_follower_node(&self) -> bool {
        self.inner.config.follower
    }

    /// The error a follower node answers with for what only validators do.
    pub(crate) fn follower_refusal(&self) -> EngineError {
        let rpc = &self.inner.config.validator_rpc;
        EngineError::FollowerNode(if rpc.is_empty() {
            "send member operations to a validator's RPC".to_owned()
        } else {
            format!("send member operations to a validator: {}", rpc.join(", "))
        })
    }

    /// Whether this node is the Raft leader.
    pub fn is_leader(&self) -> bool {
        let metrics = self.inner.raft.metrics();
        let metrics = metrics.borrow();
        metrics.state == ServerState::Leader && metrics.current_leader == Some(self.inner.node_id)
    }

    /// The leader's key, if one is known.
    pub fn leader_key(&self) -> Option<PublicKey> {
        let metrics = self.inner.raft.metrics();
        let metrics = metrics.borrow();
        let leader = metrics.current_leader?;
        let node = metrics.membership_config.membership().get_node(&leader)?;
        PublicKey::from_hex(&node.key).ok()
    }

    /// The nonce an account's next transaction must carry.
    pub fn next_nonce(&self, account: &PublicKey) -> Result<u64, EngineError> {
        Ok(self.account(account)?.map(|a| a.nonce).unwrap_or(0))
    }

    /// An account's record.
    pub fn account(&self, account: &PublicKey) -> Result<Option<Account>, EngineError> {
        match self.inner.store.get(&keys::account(account))? {
            Some(bytes) => Ok(Some(decode_record("account", &bytes)?)),
            None => Ok(None),
        }
    }

    /// The engine's metrics.
    pub fn engine_metrics(&self) -> &Arc<EngineMetrics> {
        &self.inner.metrics
    }

    /// Highest height with a certificate.
    pub fn certified_height(&self) -> Option<u64> {
        *self.inner.certified_height.lock().expect("lock poisoned")
    }

    /// Transactions waiting in this node's pool.
    pub fn pending_transactions(&self) -> usize {
        self.inner
            .mempool
            .lock()
            .expect("mempool lock poisoned")
            .len()
    }

    /// Time since the node started.
    pub fn uptime(&self) -> Duration {
        Duration::from_millis(
            self.inner
                .clock
                .monotonic_ms()
                .saturating_sub(self.inner.started_ms),
        )
    }

    /// The validators the transport knows.
    pub async fn peers(&self) -> Vec<PeerInfo> {
        self.inner.p2p.peers().await
    }

    /// Whether fault injection is enabled (testnets only; never on production presets).
    pub fn fault_injection_enabled(&self) -> bool {
        self.inner.config.enable_fault_injection
    }

    /// The certified blocks this node holds from height `from` on, at most `max` (and
    /// at most 64), the answer stopping once it passes `max_bytes` (for auditors and
    /// followers alike: `follower::certified_blocks`).
    pub fn certified_blocks(
        &self,
        from: u64,
        max: u32,
        max_bytes: usize,
    ) -> Result<Vec<crate::follower::CertifiedBlock>, truffle_store::StoreError> {
        crate::follower::certified_blocks(&self.inner.store, from, max, max_bytes)
    }

    /// Fault injection (testnet only): cuts links to these validators.
    pub async fn partition(&self, keys: Vec<PublicKey>) -> Result<(), EngineError> {
        self.require_fault_injection()?;
        self.inner.p2p.partition(keys).await;
        Ok(())
    }

    /// Fault injection (testnet only): restores all links.
    pub async fn heal(&self) -> Result<(), EngineError> {
        self.require_fault_injection()?;
        self.inner.p2p.heal().await;
        Ok(())
    }

    /// Fault injection (testnet only): from now on (or no longer, with `false`) this
    /// validator signs a second, different header at every height it applies and sends
    /// that vote instead of the honest one to half of the other validators.
    pub fn set_equivocate(&self, on: bool) -> Result<(), EngineError> {
        self.require_fault_injection()?;
        tracing::warn!(target: "node", on, "fault injection: equivocation");
        self.inner.certifier.set_equivocate(on);
        Ok(())
    }

    /// Fault injection (testnet only): from now on (or no longer, with `false`) this
    /// validator signs no header, as if every vote it sent were lost.
    pub fn set_withhold_votes(&self, on: bool) -> Result<(), EngineError> {
        self.require_fault_injection()?;
        tracing::warn!(target: "node", on, "fault injection: withholding header votes");
        self.inner.certifier.set_withhold_votes(on);
        Ok(())
    }

    /// Equivocation evidence this node holds, by height from `from`, at most `limit`.
    pub fn evidence(&self, from: u64, limit: usize) -> Vec<truffle_ledger::Evidence> {
        self.inner.certifier.evidence(from, limit)
    }

    /// Heights in the certifier's vote table.
    pub fn vote_heights_tracked(&self) -> usize {
        self.inner.certifier.tracked_heights()
    }

    /// How many equivocation records this node holds.
    pub fn evidence_count(&self) -> u64 {
        self.inner.certifier.evidence_count()
    }

    /// Checks a record (as one from a peer would be) and files it; sends it to the other
    /// validators when it is new here. Returns whether it was new.
    pub fn submit_evidence(
        &self,
        evidence: truffle_ledger::Evidence,
    ) -> Result<bool, truffle_ledger::evidence::EvidenceError> {
        let validators = crate::certifier::certifying_set(&self.inner.store, evidence.height());
        evidence.check(&self.inner.chain_id, &validators)?;
        let new = self.inner.certifier.store_evidence(&evidence);
        if new {
            self.inner.metrics.on_evidence("submitted");
            self.broadcast_evidence(vec![evidence], None);
        }
        Ok(new)
    }

    /// Resolves once shutdown has begun: features' background tasks select on it.
    pub async fn stopping(&self) {
        self.inner.shutdown.notified().await
    }

    /// Stops the engine's tasks and Raft, then makes the database durable: the
    /// write-ahead log synced and the memtables flushed, so every entry Raft
    /// acknowledged is on disk and the next start replays nothing. Each step is logged;
    /// calling it again does nothing.
    pub async fn shutdown(&self) -> Result<(), EngineError> {
        if self.inner.shutdown.is_triggered() {
            return Ok(());
        }
        tracing::info!(target: "node", "shutdown: stopping the producer, forwarder and read models");
        self.inner.shutdown.trigger();
        tracing::info!(target: "node", "shutdown: stopping raft");
        // openraft stops its core task; appends already written wait in the log
        // syncer, and the sync below covers them whether or not it ran.
        if let Err(error) = self.inner.raft.shutdown().await {
            tracing::warn!(target: "node", %error, "raft did not stop cleanly");
        }
        tracing::info!(target: "node", "shutdown: flushing the database");
        self.inner.store.flush_all()?;
        let metrics = self.inner.raft.metrics().borrow().clone();
        tracing::info!(
            target: "node",
            last_log_index = metrics.last_log_index,
            applied_index = metrics.last_applied.map(|l| l.index),
            "shutdown: database flushed; raft log and state are on disk"
        );
        Ok(())
    }

    /// Whether [`Engine::shutdown`] has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.inner.shutdown.is_triggered()
    }

    /// The current validator keys.
    pub fn validator_keys(&self) -> BTreeSet<PublicKey> {
        current_validators(&self.inner.store)
            .map(|v| v.into_iter().map(|(k, _)| k).collect())
            .unwrap_or_default()
    }

    /// Asks Raft to build a snapshot now, so that the log before it can be purged (a
    /// member's erased data must not outlive its withdrawal in the log).
    pub async fn request_snapshot(&self) {
        if let Err(error) = self.inner.raft.trigger().snapshot().await {
            tracing::debug!(target: "node", %error, "snapshot request not taken");
        }
    }

    pub(crate) fn note_certified(&self, height: u64) {
        let mut certified = self.inner.certified_height.lock().expect("lock poisoned");
        if certified.is_none_or(|h| h < height) {
            *certified = Some(height);
        }
    }

    /// Registers a feature's peer service under `name`: peers' `Feature` requests with
    /// that name go to it. A second registration under one name replaces the first.
    pub fn register_peer_service(&self, name: &str, service: Arc<dyn PeerService>) {
        self.inner
            .peer_services
            .write()
            .expect("lock poisoned")
            .insert(name.to_owned(), service);
    }

    pub(crate) fn peer_service(&self, name: &str) -> Option<Arc<dyn PeerService>> {
        self.inner
            .peer_services
            .read()
            .expect("lock poisoned")
            .get(name)
            .cloned()
    }
}

/// The validators in the state: key and p2p address.
pub(crate) fn current_validators(store: &Store) -> Result<Vec<(PublicKey, String)>, EngineError> {
    Ok(truffle_ledger::exec::current_validators(store)?
        .into_iter()
        .map(|v| (v.key, v.p2p_address))
        .collect())
}

pub(crate) fn state_nonce(store: &Store, account: &PublicKey) -> u64 {
    store
        .get(&keys::account(account))
        .ok()
        .flatten()
        .and_then(|bytes| decode_record::<Account>("account", &bytes).ok())
        .map(|a| a.nonce)
        .unwrap_or(0)
}
