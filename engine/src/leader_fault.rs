//! Fault injection (testnets only): a leader that lies about raffles' randomness.
//!
//! Tests of the raffle seed need a leader that tries what `ARCHITECTURE.md` says it
//! cannot get away with: leaving out a validator's VRF contribution, putting a proof it
//! made in place of another validator's, or stamping a block time past the rules so
//! that a time window closes early. The lie is applied to the blocks this node
//! proposes while it leads; every other node then judges the block by the ledger rules
//! alone. Only a node started with `--enable-fault-injection` accepts a fault.

use std::str::FromStr;

use truffle_ledger::draw::contribution_proof;
use truffle_ledger::state::{decode_record, keys, StateView};
use truffle_ledger::types::Raffle;
use truffle_ledger::{Payload, SignedTransaction};

use crate::engine::Engine;
use crate::error::EngineError;

/// How a leader lies in the blocks it proposes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LeaderFault {
    /// No lie.
    #[default]
    Honest,
    /// Leaves every other validator's `ContributeRaffleRandomness` out of its blocks
    /// (and out of its pool, so that the validator's node keeps handing it back).
    CensorContributions,
    /// Puts, in place of another validator's contribution, the same transaction with
    /// the proof replaced by one this leader made over the same input (the other
    /// validator's signature kept: the leader cannot sign for it).
    ForgeContributions,
    /// Stamps every block a second past the genesis time step after its parent, as a
    /// leader that would close a time window early would.
    TimeBeyondStep,
}

impl LeaderFault {
    /// The name `system_leaderFault` takes.
    pub fn name(self) -> &'static str {
        match self {
            LeaderFault::Honest => "honest",
            LeaderFault::CensorContributions => "censor_contributions",
            LeaderFault::ForgeContributions => "forge_contributions",
            LeaderFault::TimeBeyondStep => "time_beyond_step",
        }
    }

    fn code(self) -> u8 {
        match self {
            LeaderFault::Honest => 0,
            LeaderFault::CensorContributions => 1,
            LeaderFault::ForgeContributions => 2,
            LeaderFault::TimeBeyondStep => 3,
        }
    }

    fn from_code(code: u8) -> LeaderFault {
        match code {
            1 => LeaderFault::CensorContributions,
            2 => LeaderFault::ForgeContributions,
            3 => LeaderFault::TimeBeyondStep,
            _ => LeaderFault::Honest,
        }
    }
}

/// A fault name `system_leaderFault` does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown leader fault {0:?} (expected honest, censor_contributions, forge_contributions or time_beyond_step)")]
pub struct UnknownLeaderFault(pub String);

impl FromStr for LeaderFault {
    type Err = UnknownLeaderFault;

    fn from_str(name: &str) -> Result<LeaderFault, UnknownLeaderFault> {
        [
            LeaderFault::Honest,
            LeaderFault::CensorContributions,
            LeaderFault::ForgeContributions,
            LeaderFault::TimeBeyondStep,
        ]
        .into_iter()
        .find(|fault| fault.name() == name)
        .ok_or_else(|| UnknownLeaderFault(name.to_owned()))
    }
}

/// Whether `tx` is another validator's raffle contribution, and for which raffle.
fn foreign_contribution(tx: &SignedTransaction, own: &truffle_ledger::PublicKey) -> Option<u64> {
    match tx.tx.payload {
        Payload::ContributeRaffleRandomness { raffle, .. } if tx.tx.signer != *own => Some(raffle),
        _ => None,
    }
}

impl Engine {
    /// Fault injection (testnet only): how this node lies in the blocks it proposes as
    /// leader from now on ([`LeaderFault::Honest`] to stop).
    pub fn set_leader_fault(&self, fault: LeaderFault) -> Result<(), EngineError> {
        self.require_fault_injection()?;
        tracing::warn!(target: "producer", fault = fault.name(), "fault injection: leader fault");
        self.inner
            .leader_fault
            .store(fault.code(), std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    /// The leader fault in force ([`LeaderFault::Honest`] unless fault injection set one).
    pub fn leader_fault(&self) -> LeaderFault {
        LeaderFault::from_code(
            self.inner
                .leader_fault
                .load(std::sync::atomic::Ordering::SeqCst),
        )
    }

    /// Applies the leader fault in force to a batch taken from the pool.
    pub(crate) fn tamper_batch(&self, batch: Vec<SignedTransaction>) -> Vec<SignedTransaction> {
        let fault = self.leader_fault();
        if !matches!(
            fault,
            LeaderFault::CensorContributions | LeaderFault::ForgeContributions
        ) {
            return batch;
        }
        let own = self.inner.key.public();
        let mut out = Vec::with_capacity(batch.len());
        for tx in batch {
            let Some(raffle) = foreign_contribution(&tx, &own) else {
                out.push(tx);
                continue;
            };
            // Out of the pool: the validator's node hands it back later, and it is
            // dropped again.
            self.inner
                .mempool
                .lock()
                .expect("mempool lock poisoned")
                .remove(&tx.hash());
            if fault == LeaderFault::CensorContributions {
                tracing::warn!(target: "producer", raffle, signer = %tx.tx.signer, "fault injection: censoring a raffle contribution");
                continue;
            }
            let closing = self
                .inner
                .store
                .get(&keys::raffle(raffle))
                .ok()
                .flatten()
                .and_then(|bytes| decode_record::<Raffle>("raffle", &bytes).ok())
                .and_then(|r| r.closing_block);
            let Some(closing) = closing else {
                continue;
            };
            let mut forged = tx.clone();
            forged.tx.payload = Payload::ContributeRaffleRandomness {
                raffle,
                proof: contribution_proof(
                    &self.inner.key,
                    &self.inner.chain_id,
                    raffle,
                    &closing.hash,
                ),
            };
            tracing::warn!(target: "producer", raffle, signer = %tx.tx.signer, forged = %forged.hash(), "fault injection: replacing a raffle contribution with a forged one");
            out.push(forged);
        }
        out
    }

    /// The time the leader fault in force stamps on a proposal, if it moves it.
    pub(crate) fn tampered_time(&self, head_time_ms: u64, step_ms: u64) -> Option<u64> {
        (self.leader_fault() == LeaderFault::TimeBeyondStep)
            .then(|| head_time_ms.saturating_add(step_ms).saturating_add(1_000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for fault in [
            LeaderFault::Honest,
            LeaderFault::CensorContributions,
            LeaderFault::ForgeContributions,
            LeaderFault::TimeBeyondStep,
        ] {
            assert_eq!(fault.name().parse::<LeaderFault>().unwrap(), fault);
            assert_eq!(LeaderFault::from_code(fault.code()), fault);
        }
        assert!("grind".parse::<LeaderFault>().is_err());
    }
}
