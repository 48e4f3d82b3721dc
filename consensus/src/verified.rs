//! Signatures this node already verified at ingress, so that applying the block that
//! holds them does not verify them a second time.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use truffle_ledger::{Hash, Signature, SignedTransaction};

/// A bounded set of (transaction hash, signature) pairs verified with `verify_strict`.
///
/// The signature is part of the entry: the transaction hash does not cover it, and a
/// block carrying a known transaction with another signature must be verified.
#[derive(Clone)]
pub struct VerifiedSignatures {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    entries: HashMap<Hash, Signature>,
    order: VecDeque<Hash>,
    capacity: usize,
}

impl VerifiedSignatures {
    /// An empty set holding at most `capacity` entries (oldest dropped first).
    pub fn new(capacity: usize) -> VerifiedSignatures {
        VerifiedSignatures {
            inner: Arc::new(Mutex::new(Inner {
                entries: HashMap::with_capacity(capacity.min(1 << 16)),
                order: VecDeque::new(),
                capacity,
            })),
        }
    }

    /// Records a transaction whose signature verified strictly.
    pub fn insert(&self, hash: Hash, signature: Signature) {
        let mut inner = self.inner.lock().expect("verified-signature lock poisoned");
        if inner.entries.insert(hash, signature).is_none() {
            inner.order.push_back(hash);
            while inner.order.len() > inner.capacity {
                if let Some(old) = inner.order.pop_front() {
                    inner.entries.remove(&old);
                }
            }
        }
    }

    /// For each transaction, whether its exact signature is in the set.
    pub fn known(&self, transactions: &[SignedTransaction]) -> Vec<bool> {
        let inner = self.inner.lock().expect("verified-signature lock poisoned");
        transactions
            .iter()
            .map(|tx| inner.entries.get(&tx.hash()) == Some(&tx.signature))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use truffle_ledger::{Keypair, Payload, Transaction};

    fn tx(nonce: u64) -> SignedTransaction {
        let key = Keypair::from_name("signer");
        Transaction {
            chain_id: Hash::ZERO,
            signer: key.public(),
            nonce,
            payload: Payload::ApplySeller {
                shop_name: "s".into(),
            },
        }
        .sign(&key)
    }

    #[test]
    fn a_known_hash_with_another_signature_is_not_verified() {
        let set = VerifiedSignatures::new(2);
        let (a, b, c) = (tx(0), tx(1), tx(2));
        set.insert(a.hash(), a.signature);
        set.insert(b.hash(), b.signature);
        assert_eq!(set.known(&[a.clone(), b.clone()]), [true, true]);
        let mut forged = a.clone();
        forged.signature.0[0] ^= 1;
        assert_eq!(set.known(&[forged]), [false]);
        set.insert(c.hash(), c.signature);
        assert_eq!(
            set.known(std::slice::from_ref(&a)),
            [false],
            "the oldest entry was dropped"
        );
        assert_eq!(set.known(&[b.clone(), c.clone()]), [true, true]);
        assert!(
            set.known(&[]).is_empty(),
            "an empty block has nothing to verify"
        );
        let mut forged_c = c.clone();
        forged_c.signature.0[0] ^= 1;
        assert_eq!(
            set.known(&[b.clone(), forged_c, a.clone(), c]),
            [true, false, false, true]
        );
    }
}
