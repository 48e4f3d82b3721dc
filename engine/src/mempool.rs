//! Transactions accepted from clients and not yet in a block.
//!
//! Every node keeps one. A follower forwards its transactions to the leader (again,
//! after a pause, if they have not shown up in a block: the leader may have changed);
//! the leader takes batches from its own for block proposals. A transaction leaves the
//! pool when a block's receipt names it, applied or refused, or when it has waited too
//! long. Batches respect each signer's nonce order, so a signer's pipelined
//! transactions land in order.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use truffle_ledger::{Hash, PublicKey, SignedTransaction};

/// Why the pool did not take a transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// The pool is full.
    #[error("the node's transaction pool is full ({0} transactions); retry later")]
    Full(usize),
    /// The signer has too many transactions waiting.
    #[error("the signer has {0} transactions waiting; wait for some to commit")]
    SignerBacklog(usize),
}

struct Pending {
    tx: SignedTransaction,
    /// Monotonic ms (the engine's clock) when it arrived.
    received: u64,
    /// Monotonic ms when it was last forwarded.
    forwarded: Option<u64>,
    in_flight: bool,
}

/// The pool.
pub(crate) struct Mempool {
    capacity: usize,
    per_signer: usize,
    max_age: Duration,
    order: VecDeque<Hash>,
    pending: HashMap<Hash, Pending>,
    by_signer: HashMap<PublicKey, usize>,
    /// The nonce after the signer's last in-flight transaction.
    next_in_flight: HashMap<PublicKey, u64>,
}

impl Mempool {
    /// An empty pool.
    pub(crate) fn new(capacity: usize, per_signer: usize, max_age: Duration) -> Mempool {
        Mempool {
            capacity,
            per_signer,
            max_age,
            order: VecDeque::new(),
            pending: HashMap::new(),
            by_signer: HashMap::new(),
            next_in_flight: HashMap::new(),
        }
    }

    /// Number of transactions held.
    pub(crate) fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether the pool holds this transaction.
    pub(crate) fn contains(&self, hash: &Hash) -> bool {
        self.pending.contains_key(hash)
    }

    /// Adds a checked transaction at monotonic time `now_ms`; a duplicate is accepted
    /// and ignored.
    pub(crate) fn insert(
        &mut self,
        hash: Hash,
        tx: SignedTransaction,
        now_ms: u64,
    ) -> Result<(), PoolError> {
        if self.pending.contains_key(&hash) {
            return Ok(());
        }
        if self.pending.len() >= self.capacity {
            return Err(PoolError::Full(self.capacity));
        }
        let count = self.by_signer.entry(tx.tx.signer).or_default();
        if *count >= self.per_signer {
            return Err(PoolError::SignerBacklog(*count));
        }
        *count += 1;
        self.order.push_back(hash);
        self.pending.insert(
            hash,
            Pending {
                tx,
                received: now_ms,
                forwarded: None,
                in_flight: false,
            },
        );
        Ok(())
    }

    /// Removes a transaction a block has settled (applied or refused).
    pub(crate) fn remove(&mut self, hash: &Hash) {
        if let Some(pending) = self.pending.remove(hash) {
            let signer = pending.tx.tx.signer;
            if let Some(count) = self.by_signer.get_mut(&signer) {
                *count -= 1;
                if *count == 0 {
                    self.by_signer.remove(&signer);
                    self.next_in_flight.remove(&signer);
                }
            }
        }
    }

    /// After a block is applied: forget in-flight nonce expectations, so the next
    /// batch re-reads each signer's nonce from the state.
    pub(crate) fn block_applied(&mut self) {
        let in_flight: std::collections::HashSet<PublicKey> = self
            .pending
            .values()
            .filter(|p| p.in_flight)
            .map(|p| p.tx.tx.signer)
            .collect();
        self.next_in_flight
            .retain(|signer, _| in_flight.contains(signer));
        self.order.retain(|hash| self.pending.contains_key(hash));
    }

    /// Takes up to `max` transactions of at most `max_bytes` encoded bytes in all for a
    /// block, in arrival order, each signer's in nonce order: a transaction is taken when
    /// its nonce is the signer's next (from `state_nonce`, or after the signer's
    /// in-flight transactions), or already used (its block receipt will say so). Later
    /// nonces wait for the gap to fill; one that does not fit waits for the next block.
    pub(crate) fn take_batch(
        &mut self,
        max: usize,
        max_bytes: u64,
        state_nonce: impl Fn(&PublicKey) -> u64,
    ) -> Vec<SignedTransaction> {
        let mut batch = Vec::new();
        let mut bytes = 0u64;
        let mut nonce_cache: HashMap<PublicKey, u64> = HashMap::new();
        for hash in &self.order {
            if batch.len() >= max {
                break;
            }
            let Some(pending) = self.pending.get_mut(hash) else {
                continue;
            };
            if pending.in_flight {
                continue;
            }
            let signer = pending.tx.tx.signer;
            let expected = match self.next_in_flight.get(&signer) {
                Some(next) => *next,
                None => *nonce_cache
                    .entry(signer)
                    .or_insert_with(|| state_nonce(&signer)),
            };
            let nonce = pending.tx.tx.nonce;
            if nonce > expected {
                continue;
            }
            let size = borsh::object_length(&pending.tx).expect("measuring cannot fail") as u64;
            if bytes + size > max_bytes {
                continue;
            }
            bytes += size;
            if nonce == expected {
                self.next_in_flight.insert(signer, expected + 1);
            }
            pending.in_flight = true;
            batch.push(pending.tx.clone());
        }
        batch
    }

    /// Puts back transactions whose proposal failed (for example, leadership was lost).
    pub(crate) fn return_batch(&mut self, batch: &[SignedTransaction]) {
        for tx in batch {
            if let Some(pending) = self.pending.get_mut(&tx.hash()) {
                pending.in_flight = false;
                self.next_in_flight.remove(&tx.tx.signer);
            }
        }
    }

    /// Transactions to forward to the leader at monotonic time `now`: those not
    /// forwarded in the last `every`.
    pub(crate) fn take_for_forwarding(
        &mut self,
        every: Duration,
        max: usize,
        now: u64,
    ) -> Vec<SignedTransaction> {
        let every = u64::try_from(every.as_millis()).unwrap_or(u64::MAX);
        let mut out = Vec::new();
        for hash in &self.order {
            if out.len() >= max {
                break;
            }
            let Some(pending) = self.pending.get_mut(hash) else {
                continue;
            };
            if pending
                .forwarded
                .is_some_and(|at| now.saturating_sub(at) < every)
            {
                continue;
            }
            pending.forwarded = Some(now);
            pending.in_flight = false;
            out.push(pending.tx.clone());
        }
        out
    }

    /// Forgets where transactions were forwarded: after a leader change they go to the
    /// new leader at once instead of after the retry pause.
    pub(crate) fn forget_forwarding(&mut self) {
        for pending in self.pending.values_mut() {
            pending.forwarded = None;
        }
    }

    /// Drops transactions older than the pool's age limit at monotonic time `now`;
    /// returns their hashes.
    pub(crate) fn expire(&mut self, now: u64) -> Vec<Hash> {
        let max_age = u64::try_from(self.max_age.as_millis()).unwrap_or(u64::MAX);
        let old: Vec<Hash> = self
            .pending
            .iter()
            .filter(|(_, p)| now.saturating_sub(p.received) > max_age)
            .map(|(h, _)| *h)
            .collect();
        for hash in &old {
            self.remove(hash);
        }
        self.order.retain(|hash| self.pending.contains_key(hash));
        old
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use truffle_ledger::{Keypair, Payload, Transaction};

    fn tx(key: &Keypair, nonce: u64) -> (Hash, SignedTransaction) {
        let signed = Transaction {
            chain_id: Hash::ZERO,
            signer: key.public(),
            nonce,
            payload: Payload::ApplySeller {
                shop_name: "shop".into(),
            },
        }
        .sign(key);
        (signed.hash(), signed)
    }

    #[test]
    fn batches_follow_nonce_order_and_wait_for_gaps() {
        let alice = Keypair::from_name("alice");
        let bob = Keypair::from_name("bob");
        let mut pool = Mempool::new(100, 10, Duration::from_secs(60));
        for (hash, signed) in [tx(&alice, 1), tx(&alice, 0), tx(&bob, 5), tx(&alice, 3)] {
            pool.insert(hash, signed, 0).unwrap();
        }
        let bob_key = bob.public();
        let state_nonce = move |k: &PublicKey| if *k == bob_key { 6 } else { 0 };
        let batch = pool.take_batch(10, u64::MAX, state_nonce);
        let taken: Vec<(PublicKey, u64)> =
            batch.iter().map(|t| (t.tx.signer, t.tx.nonce)).collect();
        // alice 0 is taken; alice 1 arrived first but only becomes next after 0, and
        // the scan is one pass in arrival order, so it waits for the next batch.
        assert!(taken.contains(&(alice.public(), 0)));
        assert!(!taken.contains(&(alice.public(), 3)), "nonce 3 waits for 2");
        assert!(
            taken.contains(&(bob.public(), 5)),
            "an old nonce is proposed so its receipt settles it"
        );
        let second = pool.take_batch(10, u64::MAX, state_nonce);
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].tx.nonce, 1);
        assert!(
            pool.take_batch(10, u64::MAX, state_nonce).is_empty(),
            "everything else is in flight or waiting"
        );
    }

    /// A block takes transactions up to the byte budget; the rest wait for the next.
    #[test]
    fn batches_keep_to_the_byte_budget() {
        let keys: Vec<Keypair> = (0..4)
            .map(|i| Keypair::from_name(&format!("k{i}")))
            .collect();
        let mut pool = Mempool::new(100, 10, Duration::from_secs(60));
        let mut size = 0;
        for key in &keys {
            let (hash, signed) = tx(key, 0);
            size = borsh::object_length(&signed).unwrap() as u64;
            pool.insert(hash, signed, 0).unwrap();
        }
        assert_eq!(pool.take_batch(10, 2 * size + size / 2, |_| 0).len(), 2);
        assert_eq!(pool.take_batch(10, size - 1, |_| 0).len(), 0);
        assert_eq!(pool.take_batch(10, 10 * size, |_| 0).len(), 2);
    }

    #[test]
    fn limits_removal_and_return() {
        let alice = Keypair::from_name("alice");
        let mut pool = Mempool::new(3, 2, Duration::from_secs(60));
        let (h0, t0) = tx(&alice, 0);
        let (h1, t1) = tx(&alice, 1);
        let (h2, t2) = tx(&alice, 2);
        pool.insert(h0, t0.clone(), 0).unwrap();
        pool.insert(h0, t0, 0).unwrap();
        pool.insert(h1, t1, 0).unwrap();
        assert_eq!(pool.insert(h2, t2, 0), Err(PoolError::SignerBacklog(2)));
        let batch = pool.take_batch(10, u64::MAX, |_| 0);
        assert_eq!(batch.len(), 2);
        pool.return_batch(&batch);
        assert_eq!(pool.take_batch(10, u64::MAX, |_| 0).len(), 2);
        pool.remove(&h0);
        pool.remove(&h1);
        pool.block_applied();
        assert_eq!(pool.len(), 0);
    }

    #[test]
    fn expiry_and_forwarding_pauses_follow_the_given_clock() {
        let alice = Keypair::from_name("alice");
        let mut pool = Mempool::new(10, 10, Duration::from_secs(60));
        let (h0, t0) = tx(&alice, 0);
        let (h1, t1) = tx(&alice, 1);
        pool.insert(h0, t0, 1_000).unwrap();
        pool.insert(h1, t1, 30_000).unwrap();
        assert_eq!(
            pool.take_for_forwarding(Duration::from_secs(2), 10, 30_000)
                .len(),
            2
        );
        assert!(
            pool.take_for_forwarding(Duration::from_secs(2), 10, 31_999)
                .is_empty(),
            "forwarded less than 2 s ago"
        );
        assert_eq!(
            pool.take_for_forwarding(Duration::from_secs(2), 10, 32_000)
                .len(),
            2
        );
        assert!(
            pool.expire(61_000).is_empty(),
            "exactly the age limit is kept"
        );
        assert_eq!(pool.expire(61_001), vec![h0]);
        assert_eq!(pool.len(), 1);
        assert!(pool.contains(&h1));
    }
}
