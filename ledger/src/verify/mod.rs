//! Verification of what an untrusted node serves, from the genesis alone.
//!
//! An auditor (or a wallet) holds a [`TrustRoot`]: the chain id and the genesis
//! validator keys. A node answers a question with a proof bundle ([`bundle`]); the
//! functions here check every signature, Merkle proof, state proof and certificate in
//! it and return a typed verdict, or a [`VerifyError`] saying what failed and where.
//! Nothing here touches the network, a clock or a file.
//!
//! ```text
//!   genesis set ──► change block 1 ──► change block 2 ──► … ──► anchor header
//!                   (certified by       (certified by           (certified by the set
//!                    the genesis set)    the set before it)      in force before it)
//!                         │                    │                       │
//!                   proven set record    proven set record     state proofs of the
//!                   at its state root    at its state root     records asked about
//! ```
//!
//! - [`anchor`]: the certified header every bundle is checked against, and the chain
//!   of validator-set changes that leads to it from genesis.
//! - [`item`]: an item's authenticity and owner, its ownership history, and proofs that
//!   a serial number was never registered.
//! - [`raffle`]: a raffle's entries and the recomputation of its draw.
//! - [`chain`]: the checks of a block-by-block replay from genesis (`truffle verify chain`).
//! - [`build`]: how a node (or a test) assembles bundles from its state and blocks.
//!
//! # Which validators certify a block
//!
//! The certificate of block `h` (`h >= 1`) must carry votes of more than two thirds
//! ([`certificate::quorum`](crate::certificate::quorum)) of the validator set **in force when `h` was applied**: the set recorded in the state after
//! block `h - 1` (the [`ValidatorSet`](crate::types::ValidatorSet) record at version
//! `h - 1`). Votes from any other key make the certificate invalid. A change made by
//! block `h` takes effect from block `h + 1`, so the block that changes the set is
//! certified by the set it replaces, and hands over to the new set. The genesis block
//! is not certified: the auditor derives it from the genesis spec.
//!
//! An auditor therefore walks the changes in height order: it checks each change
//! block's certificate against the set in force before it, reads the new set from a
//! state proof at that block's root, and finally checks that the anchor's own proven
//! set record is the set it ended with. Each set record names the change before it
//! (`previous_change`), so leaving a change out of a bundle is always detected.
//!
//! What this cannot rule out is the limit of every permissioned chain: a quorum of
//! a past validator set whose keys leak after its removal could sign a fork that
//! starts before the removal. Auditors who need more pin a recent certified header
//! (`Freshness::min_height`) or keep a verified checkpoint (`truffle verify chain`).

pub mod anchor;
pub mod build;
pub mod bundle;
pub mod chain;
mod error;
pub mod item;
pub mod raffle;

#[cfg(test)]
mod size_tests;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::crypto::PublicKey;
use crate::exec::GenesisState;
use crate::hash::Hash;

pub use anchor::{verify_anchor, CertifiedState, Freshness, SetHistory};
pub use build::{ArchiveChain, BuildError, ProofSource};
pub use bundle::{
    AbsenceProof, Anchor, CertifiedHeader, HistoryEntry, HistoryProof, ItemProof, ItemQuery,
    ProvenValue, RaffleProof, SetChange,
};
pub use chain::{
    check_block, check_block_prechecked, check_body_and_signatures, check_genesis, precheck,
    validators_in, Prechecked,
};
pub use error::VerifyError;
pub use item::{
    verify_absence, verify_history, verify_item, AnchorSummary, HistoryVerdict, ItemVerdict,
    OwnershipStep, SerialStatus,
};
pub use raffle::{verify_raffle, RaffleVerdict};

/// What an auditor trusts: the chain id and the genesis validators. Everything else is
/// checked against it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TrustRoot {
    /// The chain id (hash of the genesis spec).
    pub chain_id: Hash,
    /// The genesis validator keys.
    pub validators: BTreeSet<PublicKey>,
}

impl From<&GenesisState> for TrustRoot {
    fn from(genesis: &GenesisState) -> Self {
        TrustRoot {
            chain_id: genesis.chain_id,
            validators: genesis.validators.iter().map(|v| v.key).collect(),
        }
    }
}

/// Decodes a borsh-encoded bundle from untrusted bytes (no trailing bytes allowed).
pub fn decode_bundle<T: borsh::BorshDeserialize>(bytes: &[u8]) -> Result<T, VerifyError> {
    borsh::from_slice(bytes).map_err(|e| VerifyError::Malformed(e.to_string()))
}

/// Encodes a bundle for the wire.
pub fn encode_bundle<T: borsh::BorshSerialize>(bundle: &T) -> Vec<u8> {
    borsh::to_vec(bundle).expect("encoding to a Vec cannot fail")
}
