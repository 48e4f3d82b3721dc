//! A node's view of the cluster, as `/health` and `chain_health` show it.

use serde::{Deserialize, Serialize};
use truffle_consensus::NodeId;
use truffle_ledger::{Hash, PublicKey};

use crate::engine::{Engine, Role};
use crate::error::EngineError;

/// A node's view of the cluster.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Health {
    /// leader, follower, candidate or learner.
    pub role: String,
    /// This node's key.
    pub node_key: PublicKey,
    /// This node's Raft id.
    pub node_id: NodeId,
    /// The leader's Raft id.
    pub leader_id: Option<NodeId>,
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
    pub voters: Vec<NodeId>,
    /// Transactions waiting in this node's pool.
    pub pending_transactions: usize,
    /// Seconds since start.
    pub uptime_secs: u64,
    /// The chain.
    pub chain_id: Hash,
}

impl Engine {
    /// The node's view of the cluster.
    pub async fn health(&self) -> Result<Health, EngineError> {
        let head = self.head()?;
        let metrics = self.inner.raft.metrics().borrow().clone();
        let leader_key = metrics.current_leader.and_then(|id| {
            metrics
                .membership_config
                .membership()
                .get_node(&id)
                .map(|n| n.key.clone())
        });
        let peers = self.inner.p2p.peers().await;
        Ok(Health {
            role: Role::from(metrics.state).name().to_owned(),
            node_key: self.inner.key.public(),
            node_id: self.inner.node_id,
            leader_id: metrics.current_leader,
            leader_key,
            term: metrics.current_term,
            committed_index: metrics
                .last_applied
                .map(|l| l.index)
                .max(metrics.last_log_index),
            applied_index: metrics.last_applied.map(|l| l.index),
            height: head.height,
            head_hash: head.hash(),
            state_root: head.state_root,
            certified_height: self.certified_height(),
            snapshot_index: metrics.snapshot.map(|l| l.index),
            purged_index: metrics.purged.map(|l| l.index),
            snapshots_installed: self
                .inner
                .snapshots_installed
                .load(std::sync::atomic::Ordering::Relaxed),
            peers: peers.len(),
            voters: metrics.membership_config.membership().voter_ids().collect(),
            pending_transactions: self.pending_transactions(),
            uptime_secs: self.uptime().as_secs(),
            chain_id: self.inner.chain_id,
        })
    }
}
