//! Raft consensus for Truffle: openraft with a RocksDB log and state machine, and its
//! messages carried over libp2p.
//!
//! ```text
//!   node ──client_write(Block)──► openraft ──append──► LogStore (RocksDB, synced)
//!                                    │  ▲
//!                     replicate over │  │ votes, acks
//!                          libp2p    ▼  │
//!                                 other validators
//!                                    │
//!                         committed  ▼
//!                              StateMachine ──execute_block──► Store (state, tree, blocks)
//!                                    │
//!                                    └──► LedgerEvent (blocks applied, snapshots)
//! ```
//!
//! openraft's types stay behind this crate's adapters ([`types`]), so a move to a
//! later openraft touches this crate only.

// openraft's traits return its `StorageError` (224 bytes) by value; our adapters must too.
#![allow(clippy::result_large_err)]

#[cfg(test)]
mod conformance;
pub mod fuzzing;
mod log_store;
pub mod network;
pub mod runtime;
mod state_machine;
pub mod types;
mod verified;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::broadcast;
use truffle_ledger::{GenesisState, Hash};
use truffle_store::Store;

pub use log_store::{
    forget_committed_from, keep_newer_vote, purged_log_index, LogStore, ManualSync,
};
pub use state_machine::{
    applied_log_index, check_snapshot_files, LedgerEvent, ServiceApplier, ServiceError,
    ServiceOutcome, StateMachine, RAFT_POSITION_KEYS, SNAPSHOT_FILES,
};
pub use types::{
    node_id_of, AppCommand, ApplyResponse, Command, NodeId, Raft, TypeConfig, ValidatorNode,
};
pub use verified::VerifiedSignatures;

/// Why consensus could not start or act.
#[derive(Debug, thiserror::Error)]
pub enum ConsensusError {
    /// The data folder belongs to another chain.
    #[error("the data folder holds chain {stored}, but the genesis is chain {genesis}")]
    WrongChain {
        /// Chain id in the store.
        stored: Hash,
        /// Chain id of the genesis given.
        genesis: Hash,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] truffle_store::StoreError),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] truffle_ledger::LedgerError),
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// openraft refused its configuration or failed to start.
    #[error("raft: {0}")]
    Raft(String),
    /// The p2p transport failed.
    #[error("p2p: {0}")]
    P2p(String),
}

/// Timing of the Raft protocol.
#[derive(Clone, Debug)]
pub struct RaftTiming {
    /// Leader heartbeat period, ms.
    pub heartbeat_ms: u64,
    /// Election timeout range, ms.
    pub election_timeout_ms: (u64, u64),
    /// Entries between snapshots.
    pub snapshot_every_entries: u64,
    /// Entries kept in the log behind a snapshot (lets a briefly absent follower catch
    /// up from the log instead of by snapshot).
    pub keep_entries_behind_snapshot: u64,
}

impl Default for RaftTiming {
    fn default() -> Self {
        RaftTiming {
            heartbeat_ms: 150,
            election_timeout_ms: (600, 1_200),
            snapshot_every_entries: 2_000,
            keep_entries_behind_snapshot: 500,
        }
    }
}

/// The openraft configuration for a timing.
pub fn raft_config(
    chain_id: &Hash,
    timing: &RaftTiming,
) -> Result<Arc<openraft::Config>, ConsensusError> {
    let config = openraft::Config {
        cluster_name: format!("truffle-{}", &chain_id.to_hex()[..16]),
        heartbeat_interval: timing.heartbeat_ms,
        election_timeout_min: timing.election_timeout_ms.0,
        election_timeout_max: timing.election_timeout_ms.1,
        snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(timing.snapshot_every_entries),
        max_in_snapshot_log_to_keep: timing.keep_entries_behind_snapshot,
        // Blocks can be large: keep replication messages well under the transport limit.
        max_payload_entries: 64,
        snapshot_max_chunk_size: 3 * 1024 * 1024,
        // Installing rebuilds the state tree from the records before answering.
        install_snapshot_timeout: 60_000,
        ..Default::default()
    };
    config
        .validate()
        .map(Arc::new)
        .map_err(|e| ConsensusError::Raft(e.to_string()))
}

/// The genesis membership: every genesis validator is a voter.
pub fn genesis_membership(genesis: &GenesisState) -> BTreeMap<NodeId, ValidatorNode> {
    genesis
        .validators
        .iter()
        .map(|v| {
            (
                node_id_of(&v.key),
                ValidatorNode {
                    key: v.key.to_hex(),
                    p2p_address: v.p2p_address.clone(),
                },
            )
        })
        .collect()
}

/// Everything needed to start consensus on a node.
pub struct ConsensusParts {
    /// The log.
    pub log_store: LogStore,
    /// The state machine.
    pub state_machine: StateMachine,
    /// Applied blocks and snapshots, as they happen.
    pub events: broadcast::Sender<LedgerEvent>,
}

/// Opens the log and the state machine over `store` (writing genesis if new).
pub fn open_parts(
    store: &Store,
    genesis: &GenesisState,
    snapshot_dir: PathBuf,
    service: Arc<dyn ServiceApplier>,
    verified: VerifiedSignatures,
) -> Result<ConsensusParts, ConsensusError> {
    // Blocks are shared (Arc) with every subscriber; a lagging one loses the oldest rather
    // than pinning thousands of blocks in memory.
    let (events, _) = broadcast::channel(256);
    let state_machine = StateMachine::open(
        store.clone(),
        genesis,
        snapshot_dir,
        service,
        events.clone(),
        verified,
    )?;
    Ok(ConsensusParts {
        log_store: LogStore::new(store.clone()),
        state_machine,
        events,
    })
}
