//! Binary Merkle trees over a block's transactions and receipts, with inclusion proofs.
//!
//! Leaves and inner nodes are hashed under different domain tags, and an odd node at
//! the end of a level is promoted unchanged (never duplicated), so no two different
//! lists share a root.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::hash::{domain, Hash};

/// Hash of one leaf.
pub fn leaf_hash(bytes: &[u8]) -> Hash {
    Hash::tagged(domain::MERKLE_LEAF, &[bytes])
}

fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Hash::tagged(domain::MERKLE_NODE, &[left.as_bytes(), right.as_bytes()])
}

/// Root of the tree over leaf hashes (the root of no leaves is `Hash::ZERO`).
pub fn root(leaves: &[Hash]) -> Hash {
    if leaves.is_empty() {
        return Hash::ZERO;
    }
    let mut level = leaves.to_vec();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [left, right] => node_hash(left, right),
                [single] => *single,
                _ => unreachable!("chunks(2) yields one or two"),
            })
            .collect();
    }
    level[0]
}

/// Proof that a leaf is at `index` among `leaf_count` leaves.
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
pub struct MerkleProof {
    /// Position of the leaf.
    pub index: u32,
    /// Number of leaves in the tree.
    pub leaf_count: u32,
    /// Sibling hashes from the leaf up (levels where the node was promoted have none).
    pub siblings: Vec<Hash>,
}

/// Builds the proof for leaf `index`.
pub fn prove(leaves: &[Hash], index: usize) -> Option<MerkleProof> {
    if index >= leaves.len() {
        return None;
    }
    let mut siblings = Vec::new();
    let mut level = leaves.to_vec();
    let mut position = index;
    while level.len() > 1 {
        let sibling = position ^ 1;
        if sibling < level.len() {
            siblings.push(level[sibling]);
        }
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [left, right] => node_hash(left, right),
                [single] => *single,
                _ => unreachable!("chunks(2) yields one or two"),
            })
            .collect();
        position /= 2;
    }
    Some(MerkleProof {
        index: index as u32,
        leaf_count: leaves.len() as u32,
        siblings,
    })
}

impl MerkleProof {
    /// Whether the leaf with hash `leaf` is at `self.index` under `root`.
    pub fn verify(&self, leaf: &Hash, expected_root: &Hash) -> bool {
        if self.index >= self.leaf_count {
            return false;
        }
        let mut hash = *leaf;
        let mut position = self.index as u64;
        let mut width = self.leaf_count as u64;
        let mut siblings = self.siblings.iter();
        while width > 1 {
            let sibling = position ^ 1;
            if sibling < width {
                let Some(other) = siblings.next() else {
                    return false;
                };
                hash = if position % 2 == 0 {
                    node_hash(&hash, other)
                } else {
                    node_hash(other, &hash)
                };
            }
            position /= 2;
            width = width.div_ceil(2);
        }
        siblings.next().is_none() && hash == *expected_root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_leaf_proves_and_nothing_else_does() {
        for count in 1..=17usize {
            let leaves: Vec<Hash> = (0..count).map(|i| leaf_hash(&[i as u8])).collect();
            let top = root(&leaves);
            for i in 0..count {
                let proof = prove(&leaves, i).unwrap();
                assert!(proof.verify(&leaves[i], &top), "count {count} leaf {i}");
                let other = leaf_hash(b"other");
                assert!(!proof.verify(&other, &top));
                let mut moved = proof.clone();
                moved.index = ((i + 1) % count) as u32;
                if count > 1 {
                    assert!(
                        !moved.verify(&leaves[i], &top),
                        "count {count} leaf {i} moved"
                    );
                }
            }
        }
    }

    #[test]
    fn odd_promotion_does_not_collide_with_duplication() {
        let a = leaf_hash(b"a");
        let b = leaf_hash(b"b");
        let c = leaf_hash(b"c");
        assert_ne!(root(&[a, b, c]), root(&[a, b, c, c]));
    }
}
