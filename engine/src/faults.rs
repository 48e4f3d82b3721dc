//! Fault injection of a lying validator's messages (testnets only, behind
//! `--enable-fault-injection`): votes for far-future heights, and blocks that break the
//! genesis block rules. Process tests use them to show that honest nodes refuse what a
//! liar sends (issue 18); every entry point refuses unless the switch is on.

use std::time::Duration;

use truffle_consensus::{AppCommand, Command};
use truffle_ledger::certificate::vote;
use truffle_ledger::{BlockProposal, Payload, SignedTransaction, Transaction};

use crate::certifier::VOTE_WINDOW;
use crate::engine::Engine;
use crate::error::EngineError;
use crate::protocol::PeerRequest;
use crate::replication::block_time;

/// At most this many far-future votes per call (a bound on the test's own load).
pub const MAX_FAULT_VOTES: u32 = 10_000;

/// How far past the parent's time plus the genesis step a future-dated block is set.
const FUTURE_BLOCK_EXTRA_MS: u64 = 24 * 60 * 60 * 1_000;

/// Which block rule a faulty proposal breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvalidBlock {
    /// Over the genesis byte budget (`max_block_bytes`).
    Oversized,
    /// Time beyond the parent's time plus the genesis step (`max_block_time_step_ms`).
    FutureTime,
}

impl std::str::FromStr for InvalidBlock {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "oversized" => Ok(InvalidBlock::Oversized),
            "future_time" => Ok(InvalidBlock::FutureTime),
            other => Err(format!(
                "unknown invalid block {other:?}: \"oversized\" or \"future_time\""
            )),
        }
    }
}

impl Engine {
    /// Refuses a fault-injection switch on a node that does not allow them.
    pub(crate) fn require_fault_injection(&self) -> Result<(), EngineError> {
        if self.fault_injection_enabled() {
            Ok(())
        } else {
            Err(EngineError::FaultInjectionDisabled)
        }
    }

    /// Fault injection (testnet only): signs votes for `count` heights just beyond the
    /// vote window above this node's head (copies of its head header at those heights)
    /// and sends each to every other validator. Returns how many sends were refused,
    /// out of `count` times the other validators.
    pub async fn send_far_future_votes(&self, count: u32) -> Result<u64, EngineError> {
        self.require_fault_injection()?;
        if count > MAX_FAULT_VOTES {
            return Err(EngineError::FaultRequest(format!(
                "at most {MAX_FAULT_VOTES} votes at a time"
            )));
        }
        let head = self.head()?;
        let own = self.inner.key.public();
        let peers: Vec<_> = crate::certifier::certifying_set(&self.inner.store, head.height)
            .into_iter()
            .filter(|v| *v != own)
            .collect();
        tracing::warn!(target: "node", count, "fault injection: votes for far-future heights");
        let mut tasks = Vec::new();
        for peer in peers {
            let engine = self.clone();
            let head = head.clone();
            tasks.push(tokio::spawn(async move {
                let mut refused = 0u64;
                for i in 0..u64::from(count) {
                    let mut header = head.clone();
                    header.height = head.height + VOTE_WINDOW + 1 + i;
                    let vote = vote(&engine.inner.key, &header);
                    let request = PeerRequest::HeaderVote {
                        header: Box::new(header),
                        vote,
                    };
                    if engine.send_to_peer(&peer, &request).await.is_err() {
                        refused += 1;
                    }
                }
                refused
            }));
        }
        let mut refused = 0;
        for task in tasks {
            refused += task
                .await
                .map_err(|e| EngineError::FaultRequest(e.to_string()))?;
        }
        Ok(refused)
    }

    /// Fault injection (testnet only, leader only): proposes one block that breaks a
    /// genesis block rule. Returns the height of the block it made, `None` when every
    /// node refused the entry (as they must).
    pub async fn propose_invalid_block(
        &self,
        kind: InvalidBlock,
    ) -> Result<Option<u64>, EngineError> {
        self.require_fault_injection()?;
        if !self.is_leader() {
            return Err(EngineError::NotLeader);
        }
        let head = self.head()?;
        let params = &self.inner.genesis.params;
        let step = params.block_time_step_ms();
        let mut proposal = BlockProposal {
            proposer: self.inner.key.public(),
            time_ms: block_time(self.now_ms(), head.time_ms, step),
            transactions: Vec::new(),
        };
        match kind {
            InvalidBlock::FutureTime => {
                proposal.time_ms = head
                    .time_ms
                    .saturating_add(step)
                    .saturating_add(FUTURE_BLOCK_EXTRA_MS);
            }
            InvalidBlock::Oversized => {
                // Copies of one registration: the byte budget is checked before any
                // transaction is, so their validity does not matter.
                let filler: SignedTransaction = Transaction {
                    chain_id: self.inner.chain_id,
                    signer: self.inner.key.public(),
                    nonce: u64::MAX,
                    payload: Payload::ApplySeller {
                        shop_name: "x".repeat(100),
                    },
                }
                .sign(&self.inner.key);
                let size = borsh::object_length(&filler).expect("measuring cannot fail") as u64;
                let copies = params.block_bytes() / size + 1;
                proposal.transactions = vec![filler; copies as usize];
            }
        }
        tracing::warn!(target: "node", ?kind, time_ms = proposal.time_ms, transactions = proposal.transactions.len(), "fault injection: proposing a block that breaks a block rule");
        let receiver = self
            .inner
            .raft
            .client_write_ff(Command::new(&AppCommand::Block(proposal)))
            .await
            .map_err(|e| EngineError::Raft(e.to_string()))?;
        let response = tokio::time::timeout(Duration::from_secs(30), receiver)
            .await
            .map_err(|_| EngineError::Raft("the invalid block was not applied in 30 s".into()))?
            .map_err(|_| EngineError::Dropped)?
            .map_err(|e| EngineError::Raft(e.to_string()))?;
        Ok(response.data.height)
    }
}
