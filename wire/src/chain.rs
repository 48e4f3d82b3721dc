//! Where a transaction stands and how a node sees the cluster (`tx_status`,
//! `chain_health`, `/health`).

use serde::{Deserialize, Serialize};
use truffle_ledger::{Effect, Hash, PublicKey, Rejection};

/// Where a transaction stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum TxStatus {
    /// Waiting in this node's pool.
    Pending,
    /// Applied in a block.
    Committed {
        /// Block height.
        height: u64,
        /// Position in the block.
        index: u32,
        /// What it did.
        effect: Effect,
        /// Whether the block has a certificate yet.
        certified: bool,
    },
    /// Included in a block and refused.
    Rejected {
        /// Block height.
        height: u64,
        /// Position in the block.
        index: u32,
        /// Why.
        rejection: Rejection,
    },
    /// Not known to this node.
    Unknown,
}

/// Transactions one `tx_submitBatch` call may carry.
pub const MAX_SUBMIT_BATCH: usize = 1_000;

/// One transaction's outcome in `tx_submitBatch`, in the order submitted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum SubmitOutcome {
    /// Checked and pooled (or applied before): its hash.
    Accepted {
        /// The transaction hash.
        hash: Hash,
    },
    /// Refused at submission: the error `tx_submit` would have answered.
    Refused {
        /// The JSON-RPC error code.
        code: i32,
        /// Why.
        message: String,
        /// Whether the same transaction may pass if submitted again shortly (no leader
        /// yet, a full pool), here or on another validator.
        retryable: bool,
    },
}

/// A node's view of the cluster.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Health {
    /// leader, follower, candidate or learner.
    pub role: String,
    /// This node's key.
    pub node_key: PublicKey,
    /// This node's Raft id.
    pub node_id: u64,
    /// The leader's Raft id.
    pub leader_id: Option<u64>,
    /// The leader's key.
    pub leader_key: Option<String>,
    /// Raft term.
    pub term: u64,
    /// Last committed log index.
    pub committed_index: Option<u64>,
    /// Last applied log index.
    pub applied_index: Option<u64>,
    /// Height of the latest applied block.
    pub height: u64,
    /// Its hash.
    pub head_hash: Hash,
    /// Its state root.
    pub state_root: Hash,
    /// Highest height with a certificate.
    pub certified_height: Option<u64>,
    /// Log index of this node's latest snapshot (built or installed).
    pub snapshot_index: Option<u64>,
    /// Log entries up to this index are purged from this node's log.
    pub purged_index: Option<u64>,
    /// Snapshots this node installed from the leader since it started.
    pub snapshots_installed: u64,
    /// Validators known to the transport.
    pub peers: usize,
    /// Raft ids of the voting members, as this node knows them.
    pub voters: Vec<u64>,
    /// Transactions waiting in this node's pool.
    pub pending_transactions: usize,
    /// Seconds since start.
    pub uptime_secs: u64,
    /// The chain.
    pub chain_id: Hash,
}

/// A peer as the transport sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PeerInfo {
    /// The validator key.
    pub key: PublicKey,
    /// Its address.
    pub address: String,
    /// Whether a connection is up.
    pub connected: bool,
    /// Whether the fault switch cut it off.
    pub partitioned: bool,
}
