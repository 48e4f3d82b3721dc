//! Equivocation evidence: a validator's signature over a header that conflicts with
//! another header of the same height it signed, or with a certified one.
//!
//! A record is self-contained: it carries both headers and the signatures, so anyone
//! holding the chain id and the validator set in force at the height (for a chain whose
//! set never changed, the genesis) checks it offline with [`Evidence::check`] — the one
//! function the node (on detection and on receipt from a peer), `truffle verify
//! evidence` and `truffle verify`'s fork detection all use.
//!
//! Two forms:
//!
//! - [`Conflict::Vote`]: the validator signed two different headers of one height.
//!   Nothing else is needed to convict it.
//! - [`Conflict::Certified`]: the validator signed a header that differs from the one
//!   more than two thirds of the set certified at that height. An honest validator
//!   signs only the header it applied, and every honest validator applies the same
//!   block at a height, so such a vote is a lie (or a node whose state diverged, which
//!   its operator must look at either way).
//!
//! Two certificates for different headers at one height (a fork) share at least
//! `f + 1` signers; [`from_certificates`] turns them into one [`Conflict::Vote`] record
//! per validator that signed both.

use std::collections::BTreeSet;

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::block::BlockHeader;
use crate::certificate::{Certificate, CertificateError, HeaderVote};
use crate::crypto::{PublicKey, Signature};
use crate::hash::Hash;

/// Largest encoding of one record a node takes from a peer or an RPC caller: two
/// headers (about 200 bytes each) and a certificate of at most a few hundred votes.
pub const MAX_EVIDENCE_BYTES: usize = 64 * 1024;

/// A header and one validator's signature over it (its vote).
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
pub struct SignedHeader {
    /// The header.
    pub header: BlockHeader,
    /// The validator's signature over [`crate::certificate::vote_message`] of it.
    pub signature: Signature,
}

impl SignedHeader {
    /// The header with `vote`'s signature.
    pub fn new(header: BlockHeader, vote: &HeaderVote) -> SignedHeader {
        SignedHeader {
            header,
            signature: vote.signature,
        }
    }

    /// The vote this stands for, by `validator`.
    pub fn vote(&self, validator: PublicKey) -> HeaderVote {
        HeaderVote {
            validator,
            signature: self.signature,
        }
    }
}

/// What the validator's vote conflicts with.
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
#[serde(rename_all = "snake_case")]
pub enum Conflict {
    /// The same validator's vote for another header of the same height.
    Vote(SignedHeader),
    /// Another header of the same height, with its certificate.
    Certified {
        /// The certified header.
        header: BlockHeader,
        /// Its certificate (by the set in force at the height).
        certificate: Certificate,
    },
}

/// Proof that `validator` equivocated at a height.
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
pub struct Evidence {
    /// The chain.
    pub chain_id: Hash,
    /// The validator that equivocated.
    pub validator: PublicKey,
    /// One header it signed.
    pub vote: SignedHeader,
    /// What that vote conflicts with.
    pub conflict: Conflict,
}

/// Why a record does not prove an equivocation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    /// A header or the record is of another chain.
    #[error("the evidence is for chain {found}, not {expected}")]
    WrongChain {
        /// The chain checked against.
        expected: Hash,
        /// The chain in the record.
        found: Hash,
    },
    /// The accused key is not in the validator set of the height.
    #[error("{0} is not a validator at this height")]
    NotAValidator(PublicKey),
    /// The two headers are of different heights.
    #[error("the headers are of heights {0} and {1}, not one")]
    DifferentHeights(u64, u64),
    /// The two headers are one.
    #[error("both votes are for header {0}: no conflict")]
    SameHeader(Hash),
    /// A signature of the accused does not verify.
    #[error("the accused validator's signature over header {0} does not verify")]
    BadSignature(Hash),
    /// The conflicting certificate does not certify its header.
    #[error("the conflicting certificate does not hold: {0}")]
    Certificate(CertificateError),
    /// The record is too large to be taken.
    #[error("the evidence is {0} bytes, more than {MAX_EVIDENCE_BYTES}")]
    TooLarge(usize),
}

impl Evidence {
    /// Two votes of `validator` for different headers of one height.
    pub fn double_vote(
        chain_id: Hash,
        validator: PublicKey,
        first: SignedHeader,
        second: SignedHeader,
    ) -> Evidence {
        // One order for one pair, so a record found twice is stored once.
        let (first, second) = if first.header.hash() <= second.header.hash() {
            (first, second)
        } else {
            (second, first)
        };
        Evidence {
            chain_id,
            validator,
            vote: first,
            conflict: Conflict::Vote(second),
        }
    }

    /// The height at which the validator equivocated.
    pub fn height(&self) -> u64 {
        self.vote.header.height
    }

    /// The headers in conflict: the accused's vote's, then the other.
    pub fn headers(&self) -> (&BlockHeader, &BlockHeader) {
        let other = match &self.conflict {
            Conflict::Vote(other) => &other.header,
            Conflict::Certified { header, .. } => header,
        };
        (&self.vote.header, other)
    }

    /// Whether this is the stronger form (two votes of the accused), which needs no
    /// certificate to check.
    pub fn is_double_vote(&self) -> bool {
        matches!(self.conflict, Conflict::Vote(_))
    }

    /// Where a node files it: height, then the accused. One record per pair.
    pub fn key(&self) -> (u64, PublicKey) {
        (self.height(), self.validator)
    }

    /// Checks that the record proves an equivocation on `chain_id` by a member of
    /// `validators`, the set in force at the record's height (the set after its parent,
    /// as for certificates). The one check of the node, `truffle verify evidence` and the
    /// auditor's fork detection.
    pub fn check(
        &self,
        chain_id: &Hash,
        validators: &BTreeSet<PublicKey>,
    ) -> Result<(), EvidenceError> {
        let size = borsh::object_length(self).unwrap_or(usize::MAX);
        if size > MAX_EVIDENCE_BYTES {
            return Err(EvidenceError::TooLarge(size));
        }
        let (first, second) = self.headers();
        for found in [self.chain_id, first.chain_id, second.chain_id] {
            if found != *chain_id {
                return Err(EvidenceError::WrongChain {
                    expected: *chain_id,
                    found,
                });
            }
        }
        if !validators.contains(&self.validator) {
            return Err(EvidenceError::NotAValidator(self.validator));
        }
        if first.height != second.height {
            return Err(EvidenceError::DifferentHeights(first.height, second.height));
        }
        let first_hash = first.hash();
        let second_hash = second.hash();
        if first_hash == second_hash {
            return Err(EvidenceError::SameHeader(first_hash));
        }
        if !self.vote.vote(self.validator).verify(chain_id, &first_hash) {
            return Err(EvidenceError::BadSignature(first_hash));
        }
        match &self.conflict {
            Conflict::Vote(other) => {
                if !other.vote(self.validator).verify(chain_id, &second_hash) {
                    return Err(EvidenceError::BadSignature(second_hash));
                }
            }
            Conflict::Certified {
                header,
                certificate,
            } => certificate
                .verify(header, validators)
                .map_err(EvidenceError::Certificate)?,
        }
        Ok(())
    }
}

/// Two certificates for different headers of one height: one [`Conflict::Vote`] record
/// for each validator that signed both (more than a third of the set, when both
/// certificates hold). Votes are taken as they are; [`Evidence::check`] each record.
pub fn from_certificates(
    chain_id: Hash,
    validators: &BTreeSet<PublicKey>,
    first: (&BlockHeader, &Certificate),
    second: (&BlockHeader, &Certificate),
) -> Vec<Evidence> {
    let first_votes = first.1.votes(validators);
    let second_votes = second.1.votes(validators);
    first_votes
        .iter()
        .filter_map(|a| {
            let b = second_votes.iter().find(|b| b.validator == a.validator)?;
            Some(Evidence::double_vote(
                chain_id,
                a.validator,
                SignedHeader::new(first.0.clone(), a),
                SignedHeader::new(second.0.clone(), b),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificate::vote;
    use crate::crypto::Keypair;

    fn header(salt: &[u8]) -> BlockHeader {
        BlockHeader {
            chain_id: Hash::of(b"chain"),
            height: 7,
            prev_hash: Hash::of(b"prev"),
            time_ms: 1,
            proposer: Keypair::from_name("v0").public(),
            transaction_count: 0,
            transactions_root: Hash::ZERO,
            receipts_root: Hash::ZERO,
            state_root: Hash::of(salt),
        }
    }

    fn keys() -> (Vec<Keypair>, BTreeSet<PublicKey>) {
        let keys: Vec<Keypair> = (0..4)
            .map(|i| Keypair::from_name(&format!("v{i}")))
            .collect();
        let set = keys.iter().map(|k| k.public()).collect();
        (keys, set)
    }

    fn signed(key: &Keypair, header: &BlockHeader) -> SignedHeader {
        SignedHeader::new(header.clone(), &vote(key, header))
    }

    #[test]
    fn a_double_vote_is_evidence() {
        let (keys, set) = keys();
        let chain = Hash::of(b"chain");
        let (a, b) = (header(b"a"), header(b"b"));
        let evidence = Evidence::double_vote(
            chain,
            keys[1].public(),
            signed(&keys[1], &a),
            signed(&keys[1], &b),
        );
        assert_eq!(evidence.check(&chain, &set), Ok(()));
        assert_eq!(
            evidence,
            Evidence::double_vote(
                chain,
                keys[1].public(),
                signed(&keys[1], &b),
                signed(&keys[1], &a)
            ),
            "one record per pair, whatever the order found"
        );
        // JSON and borsh round trips.
        let json = serde_json::to_string(&evidence).unwrap();
        assert_eq!(serde_json::from_str::<Evidence>(&json).unwrap(), evidence);
        let bytes = borsh::to_vec(&evidence).unwrap();
        assert_eq!(borsh::from_slice::<Evidence>(&bytes).unwrap(), evidence);

        assert!(matches!(
            evidence.check(&Hash::of(b"other"), &set),
            Err(EvidenceError::WrongChain { .. })
        ));
        let others: BTreeSet<PublicKey> = set
            .iter()
            .copied()
            .filter(|k| *k != keys[1].public())
            .collect();
        assert_eq!(
            evidence.check(&chain, &others),
            Err(EvidenceError::NotAValidator(keys[1].public()))
        );
        // Not the accused's signature.
        let framed = Evidence::double_vote(
            chain,
            keys[1].public(),
            signed(&keys[1], &a),
            signed(&keys[2], &b),
        );
        assert!(matches!(
            framed.check(&chain, &set),
            Err(EvidenceError::BadSignature(_))
        ));
        // One header twice is no conflict.
        let same = Evidence::double_vote(
            chain,
            keys[1].public(),
            signed(&keys[1], &a),
            signed(&keys[1], &a),
        );
        assert!(matches!(
            same.check(&chain, &set),
            Err(EvidenceError::SameHeader(_))
        ));
        let mut later = header(b"b");
        later.height = 8;
        let apart = Evidence::double_vote(
            chain,
            keys[1].public(),
            signed(&keys[1], &a),
            signed(&keys[1], &later),
        );
        assert!(matches!(
            apart.check(&chain, &set),
            Err(EvidenceError::DifferentHeights(..))
        ));
    }

    #[test]
    fn a_vote_against_a_certified_header_is_evidence() {
        let (keys, set) = keys();
        let chain = Hash::of(b"chain");
        let (certified, lie) = (header(b"a"), header(b"b"));
        let certificate =
            Certificate::from_votes(&certified, &set, (0..3).map(|i| vote(&keys[i], &certified)));
        let evidence = Evidence {
            chain_id: chain,
            validator: keys[3].public(),
            vote: signed(&keys[3], &lie),
            conflict: Conflict::Certified {
                header: certified.clone(),
                certificate: certificate.clone(),
            },
        };
        assert_eq!(evidence.check(&chain, &set), Ok(()));
        let short =
            Certificate::from_votes(&certified, &set, (0..2).map(|i| vote(&keys[i], &certified)));
        let weak = Evidence {
            conflict: Conflict::Certified {
                header: certified.clone(),
                certificate: short,
            },
            ..evidence.clone()
        };
        assert!(matches!(
            weak.check(&chain, &set),
            Err(EvidenceError::Certificate(
                CertificateError::NoQuorum { .. }
            ))
        ));
    }

    #[test]
    fn two_certificates_convict_the_validators_in_both() {
        let (keys, set) = keys();
        let chain = Hash::of(b"chain");
        let (a, b) = (header(b"a"), header(b"b"));
        let cert_a = Certificate::from_votes(&a, &set, [0, 1, 2].map(|i| vote(&keys[i], &a)));
        let cert_b = Certificate::from_votes(&b, &set, [1, 2, 3].map(|i| vote(&keys[i], &b)));
        let records = from_certificates(chain, &set, (&a, &cert_a), (&b, &cert_b));
        let accused: BTreeSet<PublicKey> = records.iter().map(|e| e.validator).collect();
        assert_eq!(accused, [keys[1].public(), keys[2].public()].into());
        for record in &records {
            assert_eq!(record.check(&chain, &set), Ok(()));
        }
    }
}
