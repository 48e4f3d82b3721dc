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

/// A quorum of votes over one header, compact: which validators of the certifying set
/// signed (a bitmap over the set in key order) and their signatures, so no key is
/// repeated (issue 18: 64 bytes a signer and one bit, instead of 96 bytes).
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
    /// Bit `i` (byte `i / 8`, least significant bit first) is set when the `i`-th key of
    /// the certifying set, in ascending key order, signed; exactly `⌈n / 8⌉` bytes, hex
    /// in JSON.
    #[serde(with = "hex_bytes")]
    #[schemars(with = "String")]
    pub signers: Vec<u8>,
    /// The signers' signatures over [`vote_message`], in the same (key) order.
    pub signatures: Vec<Signature>,
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        hex::decode(text).map_err(serde::de::Error::custom)
    }
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
    /// The signer bitmap is not `⌈n / 8⌉` bytes, names a position past the set, or
    /// does not count as many signers as there are signatures.
    #[error(
        "the signer bitmap does not fit the {validators} validators and {signatures} signature(s)"
    )]
    BadSigners {
        /// Size of the validator set.
        validators: usize,
        /// Signatures carried.
        signatures: usize,
    },
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
    /// The certificate of `header` made of `votes` by members of `validators` (other
    /// keys' votes and second votes of a key are left out; nothing is checked).
    pub fn from_votes(
        header: &BlockHeader,
        validators: &BTreeSet<PublicKey>,
        votes: impl IntoIterator<Item = HeaderVote>,
    ) -> Certificate {
        let mut by_key: std::collections::BTreeMap<PublicKey, Signature> = Default::default();
        for vote in votes {
            if validators.contains(&vote.validator) {
                by_key.entry(vote.validator).or_insert(vote.signature);
            }
        }
        let mut signers = vec![0u8; validators.len().div_ceil(8)];
        let mut signatures = Vec::with_capacity(by_key.len());
        for (i, key) in validators.iter().enumerate() {
            if let Some(signature) = by_key.get(key) {
                signers[i / 8] |= 1 << (i % 8);
                signatures.push(*signature);
            }
        }
        Certificate {
            height: header.height,
            header_hash: header.hash(),
            signers,
            signatures,
        }
    }

    /// Whether the `i`-th key of the set signed.
    fn signed(&self, i: usize) -> bool {
        self.signers
            .get(i / 8)
            .is_some_and(|byte| byte & (1 << (i % 8)) != 0)
    }

    /// How many signers the bitmap names.
    pub fn signer_count(&self) -> usize {
        self.signers.iter().map(|b| b.count_ones() as usize).sum()
    }

    /// The votes this certificate carries, read against `validators` (the set it was
    /// made for): signer and signature pairs, in key order. Unchecked.
    pub fn votes(&self, validators: &BTreeSet<PublicKey>) -> Vec<HeaderVote> {
        validators
            .iter()
            .enumerate()
            .filter(|(i, _)| self.signed(*i))
            .zip(&self.signatures)
            .map(|((_, key), signature)| HeaderVote {
                validator: *key,
                signature: *signature,
            })
            .collect()
    }

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
        let n = validators.len();
        let past_the_set = (n..self.signers.len() * 8).any(|i| self.signed(i));
        if self.signers.len() != n.div_ceil(8)
            || past_the_set
            || self.signer_count() != self.signatures.len()
        {
            return Err(CertificateError::BadSigners {
                validators: n,
                signatures: self.signatures.len(),
            });
        }
        for vote in self.votes(validators) {
            if !vote.verify(&header.chain_id, &expected) {
                return Err(CertificateError::BadSignature(vote.validator));
            }
        }
        let need = quorum(n);
        if self.signatures.len() < need {
            return Err(CertificateError::NoQuorum {
                have: self.signatures.len(),
                need,
                validators: n,
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
        let cert = |votes: Vec<HeaderVote>| Certificate::from_votes(&header, &set, votes);
        let three = || (0..3).map(|i| vote(&keys[i], &header)).collect::<Vec<_>>();
        assert!(cert(three()).verify(&header, &set).is_ok(), "3 of 4");
        assert_eq!(cert(three()).votes(&set), {
            let mut votes = three();
            votes.sort_by_key(|v| v.validator);
            votes
        });
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
        let two = Certificate::from_votes(
            &header,
            &three_set,
            vec![vote(&keys[0], &header), vote(&keys[1], &header)],
        );
        assert!(matches!(
            two.verify(&header, &three_set),
            Err(CertificateError::NoQuorum { need: 3, .. })
        ));
        let all_three = Certificate::from_votes(&header, &three_set, three());
        assert!(all_three.verify(&header, &three_set).is_ok());
        // A vote twice counts once.
        assert!(matches!(
            cert(vec![
                vote(&keys[0], &header),
                vote(&keys[0], &header),
                vote(&keys[1], &header)
            ])
            .verify(&header, &set),
            Err(CertificateError::NoQuorum { have: 2, .. })
        ));
        // Outsiders are left out of a certificate; a bitmap naming a position past the
        // set, or counting other than the signatures, is refused.
        let outsider = Keypair::from_name("outsider");
        assert_eq!(
            cert(vec![vote(&keys[0], &header), vote(&outsider, &header)]).signer_count(),
            1
        );
        let mut past = cert(three());
        past.signers[0] |= 1 << 5;
        past.signatures.push(vote(&outsider, &header).signature);
        assert!(matches!(
            past.verify(&header, &set),
            Err(CertificateError::BadSigners { .. })
        ));
        let mut uncounted = cert(three());
        uncounted.signatures.pop();
        assert!(matches!(
            uncounted.verify(&header, &set),
            Err(CertificateError::BadSigners { .. })
        ));
        let mut long = cert(three());
        long.signers.push(0);
        assert!(matches!(
            long.verify(&header, &set),
            Err(CertificateError::BadSigners { .. })
        ));
        let mut other = header.clone();
        other.height = 8;
        let mut mixed = cert(three());
        mixed.signatures[0] = vote(&keys[0], &other).signature;
        assert!(matches!(
            mixed.verify(&header, &set),
            Err(CertificateError::BadSignature(_))
        ));
        // Three signers of four: 8 + 32 + 4 + 1 + 4 + 3 × 64 bytes.
        assert_eq!(borsh::to_vec(&cert(three())).unwrap().len(), 241);
    }
}
