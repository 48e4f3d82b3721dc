//! Compact proofs of the state map: a key's value (or its absence) against a state root.
//!
//! The Jellyfish Merkle tree's own proof (`jmt::proof::SparseMerkleProof`) carries every
//! sibling as a whole node (a tag and two 32-byte hashes) and the leaf's key and value
//! hashes, which the verifier can compute itself. A [`StateProof`] carries what the
//! check needs and nothing more: each sibling's hash, or a one-byte mark for an empty
//! subtree, and the leaf only when it is another key's (an absence proof). It checks to
//! the same root with the same hashing as jmt 0.12 (blake3), and is canonical: a proof
//! that verifies has exactly one encoding, so no byte of a bundle can change unnoticed.
//! The browser's verifier (`web/static/assets/js/verify.js`) follows this file.

use borsh::{BorshDeserialize, BorshSerialize};

use crate::hash::Hash;
use crate::state::tree_key;

/// jmt's hash of an empty subtree (`SPARSE_MERKLE_PLACEHOLDER_HASH`, private there).
const PLACEHOLDER: [u8; 32] = *b"SPARSE_MERKLE_PLACEHOLDER_HASH__";
/// jmt's domain tag of a leaf node.
const LEAF_DOMAIN: &[u8] = b"JMT::LeafNode";
/// jmt's domain tag of an internal node.
const INTERNAL_DOMAIN: &[u8] = b"JMT::IntrnalNode";
/// Levels of a 256-bit key path: no proof has more siblings.
const MAX_DEPTH: usize = 256;

/// Where a proven path ends.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum ProofLeaf {
    /// An empty subtree: the key is absent.
    Empty,
    /// The leaf of the key itself, holding the value being proven (both are known to
    /// the verifier, so nothing is carried).
    Key,
    /// The leaf of another key, the only one in the subtree where the asked key would
    /// be: the asked key is absent.
    Other {
        /// The other key's tree key (blake3 of the state key).
        key_hash: Hash,
        /// blake3 of its value.
        value_hash: Hash,
    },
}

/// A key's value or absence, proven against a state root: the leaf the path ends in,
/// then the sibling of each level from the bottom up (`None` for an empty subtree).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct StateProof {
    /// The end of the path.
    pub leaf: ProofLeaf,
    /// Sibling hashes from the leaf's level up to the root's children.
    pub siblings: Vec<Option<Hash>>,
}

/// Why a jmt proof could not be turned into a compact one (a bug of the prover side).
#[derive(Debug, thiserror::Error)]
#[error("unexpected jmt proof encoding: {0}")]
pub struct ConvertError(String);

/// jmt 0.12's borsh layout of `SparseMerkleProof`, whose fields are private: read back
/// from its own encoding.
#[derive(BorshDeserialize)]
struct JmtProof {
    leaf: Option<JmtLeaf>,
    siblings: Vec<JmtNode>,
}

#[derive(BorshDeserialize)]
struct JmtLeaf {
    key_hash: [u8; 32],
    value_hash: [u8; 32],
}

#[derive(BorshDeserialize)]
enum JmtNode {
    Null,
    Internal { left: [u8; 32], right: [u8; 32] },
    Leaf(JmtLeaf),
}

fn leaf_hash(key_hash: &[u8; 32], value_hash: &[u8; 32]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(LEAF_DOMAIN);
    hasher.update(key_hash);
    hasher.update(value_hash);
    *hasher.finalize().as_bytes()
}

fn internal_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(INTERNAL_DOMAIN);
    hasher.update(left);
    hasher.update(right);
    *hasher.finalize().as_bytes()
}

/// Bit `index` of a key path, most significant bit of byte 0 first (jmt's order).
fn bit(path: &[u8; 32], index: usize) -> bool {
    path[index / 8] >> (7 - index % 8) & 1 == 1
}

fn common_prefix_bits(a: &[u8; 32], b: &[u8; 32]) -> usize {
    (0..MAX_DEPTH)
        .find(|&i| bit(a, i) != bit(b, i))
        .unwrap_or(MAX_DEPTH)
}

impl StateProof {
    /// The compact form of a jmt proof for `key`.
    pub fn from_jmt(
        key: &[u8],
        proof: &jmt::proof::SparseMerkleProof<crate::state::TreeHasher>,
    ) -> Result<StateProof, ConvertError> {
        let bytes = borsh::to_vec(proof).map_err(|e| ConvertError(e.to_string()))?;
        let parsed: JmtProof =
            borsh::from_slice(&bytes).map_err(|e| ConvertError(e.to_string()))?;
        let own = tree_key(key).0;
        let leaf = match parsed.leaf {
            None => ProofLeaf::Empty,
            Some(leaf) if leaf.key_hash == own => ProofLeaf::Key,
            Some(leaf) => ProofLeaf::Other {
                key_hash: Hash(leaf.key_hash),
                value_hash: Hash(leaf.value_hash),
            },
        };
        let siblings = parsed
            .siblings
            .iter()
            .map(|node| match node {
                JmtNode::Null => None,
                JmtNode::Internal { left, right } => Some(Hash(internal_hash(left, right))),
                JmtNode::Leaf(leaf) => Some(Hash(leaf_hash(&leaf.key_hash, &leaf.value_hash))),
            })
            .collect();
        Ok(StateProof { leaf, siblings })
    }

    /// Whether this proves `key` holding `value` (or nothing, for `None`) under `root`.
    ///
    /// Same check as jmt's `SparseMerkleProof::verify`, plus what makes the encoding
    /// canonical: an empty subtree is only ever marked `None` (never its placeholder
    /// hash), a present value only ends in [`ProofLeaf::Key`], an absent one never does.
    pub fn verify(&self, root: &Hash, key: &[u8], value: Option<&[u8]>) -> bool {
        if self.siblings.len() > MAX_DEPTH {
            return false;
        }
        let path = tree_key(key).0;
        let start = match (&self.leaf, value) {
            (ProofLeaf::Key, Some(value)) => leaf_hash(&path, blake3::hash(value).as_bytes()),
            (ProofLeaf::Empty, None) => PLACEHOLDER,
            (
                ProofLeaf::Other {
                    key_hash,
                    value_hash,
                },
                None,
            ) => {
                // The other key must be alone in the subtree the asked key falls into.
                if key_hash.0 == path
                    || common_prefix_bits(&key_hash.0, &path) < self.siblings.len()
                {
                    return false;
                }
                leaf_hash(&key_hash.0, &value_hash.0)
            }
            _ => return false,
        };
        let depth = self.siblings.len();
        let mut hash = start;
        for (i, sibling) in self.siblings.iter().enumerate() {
            let sibling = match sibling {
                Some(h) if h.0 == PLACEHOLDER => return false,
                Some(h) => h.0,
                None => PLACEHOLDER,
            };
            hash = if bit(&path, depth - 1 - i) {
                internal_hash(&sibling, &hash)
            } else {
                internal_hash(&hash, &sibling)
            };
        }
        hash == root.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{compute_state_root, keys, MemoryStore, StateChanges};

    fn store_with(changes: &StateChanges) -> (MemoryStore, Hash) {
        let store = MemoryStore::new();
        let (root, batch) = compute_state_root(&store, changes, 0).unwrap();
        store.commit(changes, &batch);
        (store, root)
    }

    /// The compact proof agrees with jmt's own check on presence and on both kinds of
    /// absence (empty subtree, another key's leaf), and is smaller.
    #[test]
    fn compact_proofs_check_as_jmt_does() {
        let changes: StateChanges = (0..2_000u64)
            .map(|i| (keys::item(i), Some(i.to_le_bytes().to_vec())))
            .collect();
        let (store, root) = store_with(&changes);
        let mut kinds = [0usize; 3];
        for i in (0..4_000u64).step_by(7) {
            let key = keys::item(i);
            let (value, jmt_proof) = crate::state::prove_jmt(&store, &key, 0).unwrap();
            let compact = StateProof::from_jmt(&key, &jmt_proof).unwrap();
            assert_eq!(value.is_some(), i < 2_000);
            let jmt_ok = jmt_proof
                .verify(jmt::RootHash(root.0), tree_key(&key), value.as_deref())
                .is_ok();
            assert!(jmt_ok);
            assert!(compact.verify(&root, &key, value.as_deref()));
            kinds[match compact.leaf {
                ProofLeaf::Key => 0,
                ProofLeaf::Empty => 1,
                ProofLeaf::Other { .. } => 2,
            }] += 1;
            // The wrong answer is refused either way.
            let wrong = if value.is_some() {
                None
            } else {
                Some(&b"x"[..])
            };
            assert!(!compact.verify(&root, &key, wrong));
            assert!(
                borsh::to_vec(&compact).unwrap().len() < borsh::to_vec(&jmt_proof).unwrap().len()
            );
        }
        assert!(
            kinds.iter().all(|&n| n > 0),
            "every kind of proof seen: {kinds:?}"
        );
    }

    #[test]
    fn a_placeholder_written_out_is_refused() {
        let changes: StateChanges = (0..64u64).map(|i| (keys::item(i), Some(vec![1]))).collect();
        let (store, root) = store_with(&changes);
        for i in 0..64u64 {
            let key = keys::item(i);
            let (_, jmt_proof) = crate::state::prove_jmt(&store, &key, 0).unwrap();
            let mut proof = StateProof::from_jmt(&key, &jmt_proof).unwrap();
            assert!(proof.verify(&root, &key, Some(&[1])));
            if let Some(slot) = proof.siblings.iter_mut().find(|s| s.is_none()) {
                *slot = Some(Hash(PLACEHOLDER));
                assert!(!proof.verify(&root, &key, Some(&[1])));
                return;
            }
        }
        panic!("no proof with an empty sibling");
    }
}
