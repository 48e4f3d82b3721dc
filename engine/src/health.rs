//! A node's view of the cluster, as `/health` and `chain_health` show it.

use crate::engine::{Engine, Role};
use crate::error::EngineError;
pub use truffle_wire::chain::Health;

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
            role: if self.inner.config.follower {
                Role::Replica
            } else {
                Role::from(metrics.state)
            }
            .name()
            .to_owned(),
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
