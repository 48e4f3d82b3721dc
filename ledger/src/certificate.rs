//! Block certificates: a quorum of validator signatures over a header.
//!
//! Raft only survives crashes; it says nothing to someone who does not trust the node
//! serving a block. A certificate does: anyone holding the validator keys can check
//! that more than two thirds of the validators applied the block and got this header.
//!
//! Why two thirds: with `n = 3f + 1` validators of which at most `f` lie, two
//! certificates of `⌊2n/3⌋ + 1` votes each share at least `f + 1` signers, so two
//! certificates for different headers at one height prove that more than `f` validators
//! signed both (a strict majority would let one liar certify two headers out of three).
//! With 3 validators the quorum is all 3: the chain runs, but tolerates no liar (and
//! certifies nothing while one is down).
//!
//! Which validators: the certificate of block `h` carries more than two thirds of the set
//! in force when `h` was applied, the set recorded in the state after block `h - 1`
//! (`exec::validator_set_at(store, h - 1)`). A block that changes the set is certified
//! by the set it replaces; the new set certifies from the next block on. See
//! [`crate::verify`] for how an auditor follows the changes from genesis.

use std::collections::BTreeSet;

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::block::BlockHeader;
use crate::crypto::{Keypair, PublicKey, Signature};
use crate::hash::{domain, Hash};

/// One validator's signature over a header.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct HeaderVote {
    /// The validator.
    pub validator: PublicKey,
    /// Its signature over [`vote_message`].
    pub signature: Signature,
}

/// A quorum of votes over one header.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct Certificate {
    /// Height of the header.
    pub height: u64,
    /// Hash of the header.
    pub header_hash: Hash,
    /// The votes, at most one per validator.
    pub votes: Vec<HeaderVote>,
}

/// Why a certificate does not certify a header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// The certificate is for another header.
    #[error("certificate is for header {certified} at height {certified_height}, not {expected} at {expected_height}")]
    WrongHeader {
        /// Header hash in the certificate.
        certified: Hash,
        /// Height in the certificate.
        certified_height: u64,
        /// The header being checked.
        expected: Hash,
        /// Its height.
        expected_height: u64,
    },
    /// A vote is from a key outside the validator set.
    #[error("vote by {0}, which is not a validator at this height")]
    NotAValidator(PublicKey),
    /// Two votes from the same validator.
    #[error("two votes by {0}")]
    DuplicateVote(PublicKey),
    /// A vote's signature does not verify.
    #[error("vote by {0} has a bad signature")]
    BadSignature(PublicKey),
    /// Too few votes.
    #[error("{have} of {validators} validators signed; {need} are needed")]
    NoQuorum {
        /// Valid votes.
        have: usize,
        /// Votes needed.
        need: usize,
        /// Size of the validator set.
        validators: usize,
    },
}

/// Votes needed out of `validators`: more than two thirds, `⌊2n/3⌋ + 1`.
///
/// The one rule: the node's certifier, `truffle verify` (through [`Certificate::verify`])
/// and the browser's verifier (`web/static/assets/js/verify.js`, held to this function by
/// the golden vectors of `truffle-web`) all count with it.
pub fn quorum(validators: usize) -> usize {
    validators * 2 / 3 + 1
}

/// The message a validator signs for a header.
pub fn vote_message(chain_id: &Hash, header_hash: &Hash) -> Hash {
    Hash::tagged(
        domain::HEADER_VOTE,
        &[chain_id.as_bytes(), header_hash.as_bytes()],
    )
}

/// Signs a header as a validator.
pub fn vote(key: &Keypair, header: &BlockHeader) -> HeaderVote {
    let message = vote_message(&header.chain_id, &header.hash());
    HeaderVote {
        validator: key.public(),
        signature: key.sign(message.as_bytes()),
    }
}

impl HeaderVote {
    /// Whether the vote is a valid signature over `header_hash` on `chain_id`.
    pub fn verify(&self, chain_id: &Hash, header_hash: &Hash) -> bool {
        let message = vote_message(chain_id, header_hash);
        self.validator
            .verify(message.as_bytes(), &self.signature)
            .is_ok()
    }
}

impl Certificate {
    /// Checks that more than two thirds of `validators` ([`quorum`]) signed `header`.
    ///
    /// `validators` is the set in force when the block was applied: the set after its
    /// parent (validator-set changes take effect from the next block).
    pub fn verify(
        &self,
        header: &BlockHeader,
        validators: &BTreeSet<PublicKey>,
    ) -> Result<(), CertificateError> {
        let expected = header.hash();
        if self.header_hash != expected || self.height != header.height {
            return Err(CertificateError::WrongHeader {
                certified: self.header_hash,
                certified_height: self.height,
                expected,
                expected_height: header.height,
            });
        }
        let mut seen = BTreeSet::new();
        for vote in &self.votes {
            if !validators.contains(&vote.validator) {
                return Err(CertificateError::NotAValidator(vote.validator));
            }
            if !seen.insert(vote.validator) {
                return Err(CertificateError::DuplicateVote(vote.validator));
            }
            if !vote.verify(&header.chain_id, &expected) {
                return Err(CertificateError::BadSignature(vote.validator));
            }
        }
        let need = quorum(validators.len());
        if seen.len() < need {
            return Err(CertificateError::NoQuorum {
                have: seen.len(),
                need,
                validators: validators.len(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> BlockHeader {
        BlockHeader {
            chain_id: Hash::of(b"chain"),
            height: 7,
            prev_hash: Hash::of(b"prev"),
            time_ms: 1,
            proposer: Keypair::from_name("v0").public(),
            transaction_count: 0,
            transactions_root: Hash::ZERO,
            receipts_root: Hash::ZERO,
            state_root: Hash::of(b"state"),
        }
    }

    #[test]
    fn quorum_is_more_than_two_thirds() {
        let table: Vec<usize> = (1..=10).map(quorum).collect();
        assert_eq!(table, [1, 2, 3, 3, 4, 5, 5, 6, 7, 7]);
        for n in 1..=31usize {
            let q = quorum(n);
            assert!(3 * q > 2 * n, "{q} of {n} is more than two thirds");
            assert!(3 * (q - 1) <= 2 * n, "{q} of {n} is the least such count");
            // Two quorums overlap in more than f = (n - 1) / 3 validators.
            assert!(2 * q - n > (n - 1) / 3, "n = {n}");
        }
    }

    #[test]
    fn quorum_rules() {
        let keys: Vec<Keypair> = (0..4)
            .map(|i| Keypair::from_name(&format!("v{i}")))
            .collect();
        let set: BTreeSet<PublicKey> = keys.iter().map(|k| k.public()).collect();
        let header = header();
        let cert = |votes: Vec<HeaderVote>| Certificate {
            height: 7,
            header_hash: header.hash(),
            votes,
        };
        let three = || (0..3).map(|i| vote(&keys[i], &header)).collect::<Vec<_>>();
        assert!(cert(three()).verify(&header, &set).is_ok(), "3 of 4");
        assert!(matches!(
            cert(vec![vote(&keys[0], &header), vote(&keys[1], &header)]).verify(&header, &set),
            Err(CertificateError::NoQuorum {
                have: 2,
                need: 3,
                validators: 4,
            })
        ));
        // With three validators, two no longer certify: all three must sign.
        let three_set: BTreeSet<PublicKey> = keys[..3].iter().map(|k| k.public()).collect();
        assert!(matches!(
            cert(vec![vote(&keys[0], &header), vote(&keys[1], &header)])
                .verify(&header, &three_set),
            Err(CertificateError::NoQuorum { need: 3, .. })
        ));
        assert!(cert(three()).verify(&header, &three_set).is_ok());
        assert!(matches!(
            cert(vec![vote(&keys[0], &header), vote(&keys[0], &header)]).verify(&header, &set),
            Err(CertificateError::DuplicateVote(_))
        ));
        let outsider = Keypair::from_name("outsider");
        assert!(matches!(
            cert(vec![vote(&keys[0], &header), vote(&outsider, &header)]).verify(&header, &set),
            Err(CertificateError::NotAValidator(_))
        ));
        let mut other = header.clone();
        other.height = 8;
        assert!(matches!(
            cert(vec![vote(&keys[0], &other), vote(&keys[1], &header)]).verify(&header, &set),
            Err(CertificateError::BadSignature(_))
        ));
    }
}
