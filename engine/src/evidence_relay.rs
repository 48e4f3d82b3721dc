//! Evidence that did not reach a validator is sent again: a validator that was down (or
//! cut off) when a record went out would otherwise never hold it (issue 18).
//!
//! Each record a peer could not be reached for is kept, per peer, until that peer answers
//! for it (accepts it, or refuses it: either way it has seen it). The housekeeping task
//! offers the kept records again every [`RESEND_EVERY`]; at most [`MAX_PER_PEER`] are kept
//! per peer (the oldest heights are dropped first). The queue lives in memory: a node that
//! restarts still holds its records on disk and serves them (`chain_getEvidence`), but
//! only re-sends what it files or receives after the restart.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use truffle_ledger::{Evidence, PublicKey};

use crate::engine::Engine;
use crate::error::PeerError;
use crate::protocol::PeerRequest;

/// How often undelivered evidence is offered again.
pub(crate) const RESEND_EVERY: Duration = Duration::from_secs(3);
/// Records kept per unreachable peer.
pub(crate) const MAX_PER_PEER: usize = 1_024;

/// One peer's records, by (height, accused validator).
type Queue = BTreeMap<(u64, PublicKey), Evidence>;

/// Records each peer has not answered for.
#[derive(Default)]
pub(crate) struct Undelivered {
    by_peer: Mutex<BTreeMap<PublicKey, Queue>>,
    resending: AtomicBool,
}

impl Undelivered {
    fn keep(&self, peer: PublicKey, record: Evidence) {
        let mut by_peer = self.by_peer.lock().expect("undelivered lock poisoned");
        let queue = by_peer.entry(peer).or_default();
        queue.insert((record.height(), record.validator), record);
        while queue.len() > MAX_PER_PEER {
            queue.pop_first();
        }
    }

    fn delivered(&self, peer: &PublicKey, record: &Evidence) {
        let mut by_peer = self.by_peer.lock().expect("undelivered lock poisoned");
        if let Some(queue) = by_peer.get_mut(peer) {
            queue.remove(&(record.height(), record.validator));
            if queue.is_empty() {
                by_peer.remove(peer);
            }
        }
    }

    /// Records waiting, over all peers (for tests and logs).
    pub(crate) fn len(&self) -> usize {
        let by_peer = self.by_peer.lock().expect("undelivered lock poisoned");
        by_peer.values().map(Queue::len).sum()
    }
}

impl Engine {
    /// Sends one record to one peer; keeps it for a later try when the peer cannot be
    /// reached.
    pub(crate) async fn deliver_evidence(&self, peer: PublicKey, record: Evidence) {
        let request = PeerRequest::Evidence(Box::new(record.clone()));
        match self.send_to_peer(&peer, &request).await {
            Ok(_) | Err(PeerError::Refused(_)) => {
                self.inner.undelivered_evidence.delivered(&peer, &record)
            }
            Err(error) => {
                tracing::warn!(target: "certifier", %peer, %error, "could not send evidence; will retry");
                self.inner.undelivered_evidence.keep(peer, record);
            }
        }
    }

    /// Offers every kept record again, one peer after another, in the background (one
    /// round at a time).
    pub(crate) fn resend_undelivered_evidence(&self) {
        let undelivered = &self.inner.undelivered_evidence;
        if undelivered.len() == 0 || undelivered.resending.swap(true, Ordering::SeqCst) {
            return;
        }
        let pending: Vec<(PublicKey, Vec<Evidence>)> = undelivered
            .by_peer
            .lock()
            .expect("undelivered lock poisoned")
            .iter()
            .map(|(peer, queue)| (*peer, queue.values().cloned().collect()))
            .collect();
        let engine = self.clone();
        tokio::spawn(async move {
            for (peer, records) in pending {
                tracing::info!(target: "certifier", %peer, count = records.len(), "sending undelivered evidence again");
                for record in records {
                    engine.deliver_evidence(peer, record).await;
                }
            }
            engine
                .inner
                .undelivered_evidence
                .resending
                .store(false, Ordering::SeqCst);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use truffle_ledger::certificate::vote;
    use truffle_ledger::evidence::{Conflict, SignedHeader};
    use truffle_ledger::{BlockHeader, Hash, Keypair};

    fn record(height: u64) -> Evidence {
        let liar = Keypair::from_name("liar");
        let header = |salt: &[u8]| BlockHeader {
            chain_id: Hash::of(b"chain"),
            height,
            prev_hash: Hash::of(salt),
            time_ms: 0,
            proposer: liar.public(),
            transaction_count: 0,
            transactions_root: Hash::ZERO,
            receipts_root: Hash::ZERO,
            state_root: Hash::ZERO,
        };
        let (a, b) = (header(b"a"), header(b"b"));
        Evidence {
            chain_id: a.chain_id,
            validator: liar.public(),
            vote: SignedHeader::new(a.clone(), &vote(&liar, &a)),
            conflict: Conflict::Vote(SignedHeader::new(b.clone(), &vote(&liar, &b))),
        }
    }

    #[test]
    fn kept_per_peer_bounded_and_dropped_once_delivered() {
        let undelivered = Undelivered::default();
        let peer = Keypair::from_name("peer").public();
        for height in 0..(MAX_PER_PEER as u64 + 10) {
            undelivered.keep(peer, record(height));
        }
        assert_eq!(undelivered.len(), MAX_PER_PEER, "bounded");
        // The oldest heights went first.
        undelivered.delivered(&peer, &record(9));
        assert_eq!(undelivered.len(), MAX_PER_PEER);
        undelivered.delivered(&peer, &record(10));
        assert_eq!(undelivered.len(), MAX_PER_PEER - 1);
    }
}
