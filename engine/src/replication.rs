//! Writes through Raft (blocks and service commands), the read barrier, and what
//! follows an applied block (pool settled, header voted on).

use std::time::Duration;

use truffle_consensus::{AppCommand, Command};
use truffle_ledger::{Block, BlockHeader, BlockProposal, PublicKey, SignedTransaction};

use crate::engine::Engine;
use crate::error::{EngineError, PeerError};
use crate::protocol::{PeerRequest, PeerResponse};

/// A block's time: the clock, but never before the applied head's and at most the
/// genesis step after it (the parent may be a later block still in flight; its time is
/// at least the head's, so the step holds for it too). After a long stop, chain time
/// catches up with the clock a step per block.
pub fn block_time(now_ms: u64, head_ms: u64, step_ms: u64) -> u64 {
    now_ms.clamp(head_ms, head_ms.saturating_add(step_ms))
}

/// Whether a validator whose clock reads `now_ms` signs a header of time `time_ms`: not
/// when the header is more than `max_skew_ms` ahead of it.
pub fn clock_allows(time_ms: u64, now_ms: u64, max_skew_ms: u64) -> bool {
    time_ms <= now_ms.saturating_add(max_skew_ms)
}

impl Engine {
    /// Hands a block of `transactions` to Raft (leader only). Returns once the proposal
    /// is queued in order behind earlier ones; the returned future resolves when it is
    /// committed and applied (or fails).
    pub(crate) async fn enqueue_proposal(
        &self,
        transactions: Vec<SignedTransaction>,
    ) -> Result<impl std::future::Future<Output = Result<u64, EngineError>>, EngineError> {
        let (head_height, head_time) = self.head().map(|h| (h.height, h.time_ms)).unwrap_or((0, 0));
        // The first block is free of the step (the genesis may be long past).
        let step = if head_height == 0 {
            u64::MAX
        } else {
            self.inner.genesis.params.block_time_step_ms()
        };
        let proposal = BlockProposal {
            proposer: self.inner.key.public(),
            time_ms: self
                .tampered_time(head_time, step)
                .unwrap_or_else(|| block_time(self.now_ms(), head_time, step)),
            transactions,
        };
        let receiver = self
            .inner
            .raft
            .client_write_ff(Command::new(&AppCommand::Block(proposal)))
            .await
            .map_err(|e| EngineError::Raft(e.to_string()))?;
        Ok(async move {
            let response = receiver
                .await
                .map_err(|_| EngineError::Dropped)?
                .map_err(|e| EngineError::Raft(e.to_string()))?;
            response
                .data
                .height
                .ok_or_else(|| EngineError::Raft("a block entry produced no block".to_owned()))
        })
    }

    /// Proposes a block without transactions (leader only): time-based rules (a raffle's
    /// window, a reveal deadline) need blocks to happen even when nobody transacts.
    pub async fn propose_empty_block(&self) -> Result<u64, EngineError> {
        if !self.is_leader() {
            return Err(EngineError::NotLeader);
        }
        self.enqueue_proposal(Vec::new()).await?.await
    }

    /// Proposes a service command through Raft (via the leader when this node is a
    /// follower) and returns the applier's answer once this node has applied it too, so
    /// that a client reading from this node next sees its own write.
    pub async fn propose_service(&self, command: Vec<u8>) -> Result<Vec<u8>, EngineError> {
        if self.inner.config.follower {
            return Err(self.follower_refusal());
        }
        let (reply, log_index) = if self.is_leader() {
            self.propose_service_here(command).await?
        } else {
            let leader = self.leader_key().ok_or(EngineError::NoLeader)?;
            match self
                .send_to_peer(&leader, &PeerRequest::ProposeService(command))
                .await?
            {
                PeerResponse::ServiceApplied { reply, log_index } => (reply, log_index),
                _ => {
                    return Err(PeerError::BadAnswer(
                        "the leader did not answer with the applied service command".into(),
                    )
                    .into())
                }
            }
        };
        self.wait_applied(log_index).await?;
        Ok(reply)
    }

    pub(crate) async fn propose_service_here(
        &self,
        command: Vec<u8>,
    ) -> Result<(Vec<u8>, u64), EngineError> {
        let response = self
            .inner
            .raft
            .client_write(Command::new(&AppCommand::Service(command)))
            .await
            .map_err(|e| EngineError::Raft(e.to_string()))?;
        let _ = self.inner.raft.trigger().heartbeat().await;
        Ok((response.data.service, response.log_id.index))
    }

    async fn wait_applied(&self, log_index: u64) -> Result<(), EngineError> {
        self.inner
            .raft
            .wait(Some(Duration::from_secs(10)))
            .applied_index_at_least(Some(log_index), "read your writes")
            .await
            .map(|_| ())
            .map_err(|e| EngineError::Behind(e.to_string()))
    }

    /// Makes this node's state at least as new as everything committed when the call
    /// began (a linearizable read barrier: the ReadIndex protocol through the leader).
    pub async fn sync_with_leader(&self) -> Result<(), EngineError> {
        if self.inner.config.follower {
            return Err(self.follower_refusal());
        }
        if self.is_leader() {
            self.inner
                .raft
                .ensure_linearizable()
                .await
                .map_err(|e| EngineError::Raft(e.to_string()))?;
            return Ok(());
        }
        let leader = self.leader_key().ok_or(EngineError::NoLeader)?;
        match self.send_to_peer(&leader, &PeerRequest::ReadIndex).await? {
            PeerResponse::ReadIndex(index) => self.wait_applied(index).await,
            _ => Err(
                PeerError::BadAnswer("the leader did not answer with a read index".into()).into(),
            ),
        }
    }

    pub(crate) fn on_block_applied(&self, block: &Block) {
        self.inner.metrics.on_block(block);
        {
            let mut pool = self.inner.mempool.lock().expect("mempool lock poisoned");
            for receipt in &block.receipts {
                pool.remove(&receipt.tx_hash);
            }
            pool.block_applied();
        }
        if self.inner.config.follower {
            // A follower node votes on nothing: it checked the block's certificate.
            self.note_certified(block.header.height);
            return;
        }
        self.vote_on(&block.header);
    }

    /// Signs `header`, the one applied here at its height (unless its time is too far
    /// ahead of this node's clock), counts the vote and sends it to the other
    /// certifiers. Called when the block applies, and again while no validator holds
    /// its certificate (the votes were lost).
    pub(crate) fn vote_on(&self, header: &BlockHeader) {
        // The set in force when this block was applied (after its parent) certifies it.
        let validators = crate::certifier::certifying_set(&self.inner.store, header.height);
        let clock_allows_it = clock_allows(
            header.time_ms,
            self.now_ms(),
            self.inner.config.max_clock_skew_ms,
        );
        if !clock_allows_it {
            tracing::warn!(target: "certifier", height = header.height, time_ms = header.time_ms, now_ms = self.now_ms(), "not signing a header whose time is ahead of this node's clock");
        }
        // Fault injection (testnet only): a validator whose votes are all lost.
        let sign = clock_allows_it && !self.inner.certifier.withholding_votes();
        let (vote, certified) = self.inner.certifier.on_applied(header, &validators, sign);
        if certified {
            self.note_certified(header.height);
        }
        self.send_fresh_evidence();
        let Some(vote) = vote else {
            return;
        };
        let own = self.inner.key.public();
        if !validators.contains(&own) {
            // Not a certifier of this block (it joined or left with it): others refuse the vote.
            return;
        }
        let honest = PeerRequest::HeaderVote {
            header: Box::new(header.clone()),
            vote,
        };
        // Fault injection (testnet only): sign a second header of this height too, and
        // send it instead of the honest vote to the second half of the peers.
        let forged = self.inner.certifier.equivocating().then(|| {
            let (header, vote) = self.inner.certifier.forged_vote(header);
            tracing::warn!(target: "certifier", height = header.height, forged = %header.hash(), "fault injection: equivocating");
            PeerRequest::HeaderVote {
                header: Box::new(header),
                vote,
            }
        });
        let peers: Vec<PublicKey> = validators.into_iter().filter(|v| *v != own).collect();
        let half = peers.len() / 2;
        for (i, validator) in peers.into_iter().enumerate() {
            let engine = self.clone();
            let request = match &forged {
                Some(forged) if i >= half => forged.clone(),
                _ => honest.clone(),
            };
            tokio::spawn(async move {
                let _ = engine.send_to_peer(&validator, &request).await;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn block_time_follows_the_clock_within_the_step() {
        use super::block_time;
        assert_eq!(block_time(1_500, 1_000, 600), 1_500, "the clock");
        assert_eq!(block_time(900, 1_000, 600), 1_000, "never before the head");
        assert_eq!(
            block_time(10_000, 1_000, 600),
            1_600,
            "at most a step ahead"
        );
    }

    #[test]
    fn validators_do_not_sign_headers_ahead_of_their_clock() {
        use super::clock_allows;
        assert!(clock_allows(1_000, 1_000, 0));
        assert!(clock_allows(11_000, 1_000, 10_000), "within the skew");
        assert!(!clock_allows(11_001, 1_000, 10_000), "beyond it");
        assert!(clock_allows(0, 1_000, 0), "past times are fine");
    }
}
