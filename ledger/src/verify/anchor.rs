//! The anchor: a certified header whose validator set is traced back to genesis.
//!
//! See the [module docs](super) for the certification rule this checks.

use std::collections::BTreeSet;

use borsh::BorshDeserialize;
use serde::{Deserialize, Serialize};

use super::bundle::{Anchor, CertifiedHeader, ProvenValue};
use super::{TrustRoot, VerifyError};
use crate::block::BlockHeader;
use crate::crypto::PublicKey;
use crate::hash::Hash;
use crate::state::{keys, verify_proof};
use crate::types::ValidatorSet;

/// What the auditor requires of the anchor beyond its certificate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Freshness {
    /// Refuse anchors below this height (a header the auditor already saw, say).
    pub min_height: Option<u64>,
}

/// The validator sets from genesis to the anchor: `(height of the change, set)`, in
/// height order, starting with `(0, genesis set)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SetHistory {
    changes: Vec<(u64, BTreeSet<PublicKey>)>,
}

impl SetHistory {
    /// A history holding only the genesis set.
    pub fn new(genesis: BTreeSet<PublicKey>) -> SetHistory {
        SetHistory {
            changes: vec![(0, genesis)],
        }
    }

    /// The set after the block at `height` (the latest change at or below it).
    pub fn after(&self, height: u64) -> &BTreeSet<PublicKey> {
        &self
            .changes
            .iter()
            .rev()
            .find(|(changed_at, _)| *changed_at <= height)
            .expect("the genesis set is at height 0")
            .1
    }

    /// The set whose quorum must certify the block at `height`: the set in force when
    /// it was applied, i.e. after its parent.
    pub fn certifying(&self, height: u64) -> &BTreeSet<PublicKey> {
        self.after(height.saturating_sub(1))
    }

    /// Height of the latest change (0: none since genesis).
    pub fn last_change(&self) -> u64 {
        self.changes.last().expect("never empty").0
    }

    /// Every change, genesis first.
    pub fn changes(&self) -> &[(u64, BTreeSet<PublicKey>)] {
        &self.changes
    }

    fn push(&mut self, height: u64, set: BTreeSet<PublicKey>) {
        self.changes.push((height, set));
    }
}

/// A header the auditor now trusts, and the validator sets up to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertifiedState {
    /// The anchor header.
    pub header: BlockHeader,
    /// Its hash.
    pub hash: Hash,
    /// The validator sets from genesis to the anchor.
    pub sets: SetHistory,
}

impl CertifiedState {
    /// Checks `value` under `key` against the anchor's state root and returns it.
    pub fn proven<'a>(
        &self,
        record: impl FnOnce() -> String,
        key: &[u8],
        proven: &'a ProvenValue,
    ) -> Result<Option<&'a [u8]>, VerifyError> {
        check_proof(&self.header, record, key, proven)
    }

    /// Like [`proven`](Self::proven), for a record that must exist; decodes it.
    pub fn record<T: BorshDeserialize>(
        &self,
        record: impl Fn() -> String,
        key: &[u8],
        proven: &ProvenValue,
    ) -> Result<T, VerifyError> {
        let bytes = self
            .proven(&record, key, proven)?
            .ok_or_else(|| VerifyError::Missing {
                record: record(),
                height: self.header.height,
            })?;
        decode(&record, self.header.height, bytes)
    }

    /// Checks a header and certificate from elsewhere in the chain (at or below the
    /// anchor) against the validator set in force at its height.
    pub fn check_certified(
        &self,
        what: impl Fn() -> String,
        trust: &TrustRoot,
        block: &CertifiedHeader,
    ) -> Result<(), VerifyError> {
        check_chain_id(&what, trust, &block.header)?;
        let height = block.header.height;
        if height > self.header.height {
            return Err(VerifyError::Mismatch {
                what: format!("height of {}", what()),
                expected: format!("at most the anchor's {}", self.header.height),
                found: height.to_string(),
            });
        }
        if height == 0 {
            return Err(VerifyError::UncertifiedGenesis);
        }
        block
            .certificate
            .verify(&block.header, self.sets.certifying(height))
            .map_err(|source| VerifyError::Certificate {
                what: what(),
                height,
                source,
            })
    }
}

pub(super) fn decode<T: BorshDeserialize>(
    record: impl Fn() -> String,
    height: u64,
    bytes: &[u8],
) -> Result<T, VerifyError> {
    borsh::from_slice(bytes).map_err(|e| VerifyError::Record {
        record: record(),
        height,
        reason: e.to_string(),
    })
}

pub(super) fn check_proof<'a>(
    header: &BlockHeader,
    record: impl FnOnce() -> String,
    key: &[u8],
    proven: &'a ProvenValue,
) -> Result<Option<&'a [u8]>, VerifyError> {
    let value = proven.value.as_deref();
    if verify_proof(&header.state_root, key, value, &proven.proof) {
        Ok(value)
    } else {
        Err(VerifyError::StateProof {
            record: record(),
            height: header.height,
        })
    }
}

fn check_chain_id(
    what: impl Fn() -> String,
    trust: &TrustRoot,
    header: &BlockHeader,
) -> Result<(), VerifyError> {
    if header.chain_id != trust.chain_id {
        return Err(VerifyError::WrongChain {
            what: what(),
            expected: trust.chain_id,
            got: header.chain_id,
        });
    }
    Ok(())
}

fn proven_set(
    header: &BlockHeader,
    what: &str,
    proven: &ProvenValue,
) -> Result<ValidatorSet, VerifyError> {
    let record = || format!("the validator set at block {} ({what})", header.height);
    let bytes = check_proof(header, record, &keys::validator_set(), proven)?.ok_or_else(|| {
        VerifyError::Missing {
            record: record(),
            height: header.height,
        }
    })?;
    let set: ValidatorSet = decode(record, header.height, bytes)?;
    if set.keys.is_empty() || set.keys.windows(2).any(|w| w[0] >= w[1]) {
        return Err(VerifyError::ValidatorSetHistory(format!(
            "the set proven at block {} is empty or not sorted",
            header.height
        )));
    }
    Ok(set)
}

/// Checks an anchor: the chain of validator-set changes from the genesis set, the
/// anchor's certificate under the set in force, and that no change was left out.
pub fn verify_anchor(
    trust: &TrustRoot,
    anchor: &Anchor,
    freshness: Freshness,
) -> Result<CertifiedState, VerifyError> {
    let header = &anchor.block.header;
    check_chain_id(|| "the anchor header".into(), trust, header)?;
    if header.height == 0 {
        return Err(VerifyError::UncertifiedGenesis);
    }
    if let Some(min_height) = freshness.min_height {
        if header.height < min_height {
            return Err(VerifyError::Stale {
                height: header.height,
                min_height,
            });
        }
    }

    let mut sets = SetHistory::new(trust.validators.clone());
    let mut last = ValidatorSet {
        keys: trust.validators.iter().copied().collect(),
        changed_at: 0,
        previous_change: None,
    };
    for change in &anchor.set_changes {
        let block = &change.block;
        let height = block.header.height;
        let what = || format!("validator-set change at block {height}");
        check_chain_id(what, trust, &block.header)?;
        if height <= last.changed_at || height > header.height {
            return Err(VerifyError::ValidatorSetHistory(format!(
                "change at block {height} is out of order (after {}, anchor {})",
                last.changed_at, header.height
            )));
        }
        block
            .certificate
            .verify(&block.header, sets.after(height - 1))
            .map_err(|source| VerifyError::Certificate {
                what: what(),
                height,
                source,
            })?;
        let set = proven_set(&block.header, "after its change", &change.set)?;
        if set.changed_at != height || set.previous_change != Some(last.changed_at) {
            return Err(VerifyError::ValidatorSetHistory(format!(
                "the set proven at block {height} was changed at {} after a change at {:?}, \
                 but the bundle's previous change is at {} (a change was left out)",
                set.changed_at, set.previous_change, last.changed_at
            )));
        }
        sets.push(height, set.keys.iter().copied().collect());
        last = set;
    }

    anchor
        .block
        .certificate
        .verify(header, sets.certifying(header.height))
        .map_err(|source| VerifyError::Certificate {
            what: "the anchor header".into(),
            height: header.height,
            source,
        })?;
    let at_anchor = proven_set(header, "at the anchor", &anchor.set)?;
    if at_anchor != last {
        return Err(VerifyError::ValidatorSetHistory(format!(
            "the set proven at the anchor (block {}) was changed at {}, but the bundle's \
             changes end at {} (a change was left out)",
            header.height, at_anchor.changed_at, last.changed_at
        )));
    }
    Ok(CertifiedState {
        hash: header.hash(),
        header: header.clone(),
        sets,
    })
}
