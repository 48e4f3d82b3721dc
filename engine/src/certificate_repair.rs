//! Certificates that went missing: a validator finds the heights it applied without a
//! certificate, lowest first ([`CertificateGaps`]), asks its peers for them, and votes
//! again on those that stay uncertified (their votes were lost: a dropped connection, a
//! restart, a clock that was off when the block applied). A follower stops at the first
//! height no validator certified, so a lost vote must not leave a gap for ever.
//!
//! [`repair_round`] is one round of this, over any transport: the engine's housekeeping
//! asks its peers over libp2p, the deterministic simulation over its simulated network.

use std::collections::BTreeSet;
use std::future::Future;

use truffle_ledger::{BlockHeader, Certificate, PublicKey};
use truffle_store::Store;

use crate::certifier::{certifying_set, Certifier};

/// Most uncertified heights a validator votes on again in one round.
pub const MAX_REVOTES: usize = 16;

/// Most heights [`CertificateGaps::due`] looks at in one round.
const MAX_UNCERTIFIED_SCAN: u64 = 256;
/// Most certified heights [`CertificateGaps::first_uncertified`] steps over in a call.
const MAX_GAP_SCAN: usize = 4_096;

/// The heights applied here that have no certificate yet, from the lowest up: a
/// validator fetches their certificates from its peers, and votes on them again when
/// they stay uncertified (the votes were lost: a dropped connection, a restart, a clock
/// that was off when the block applied). Checked once per housekeeping round.
#[derive(Debug)]
pub struct CertificateGaps {
    /// Every height below this one has its certificate here.
    first_uncertified: u64,
    /// The heights found uncertified at the last round.
    uncertified: BTreeSet<u64>,
}

impl Default for CertificateGaps {
    fn default() -> Self {
        CertificateGaps {
            first_uncertified: 1,
            uncertified: BTreeSet::new(),
        }
    }
}

impl CertificateGaps {
    /// The lowest height up to `head` applied here without a certificate (`head + 1`
    /// when none lacks one); a certificate above a gap does not hide the gap. Heights
    /// whose block is not here (a node that began from a snapshot) have nothing to
    /// certify. `None` while a long chain is still being scanned: each call steps
    /// over at most 4,096 certified heights, so a restart does not stall the caller.
    pub fn first_uncertified(&mut self, store: &Store, head: u64) -> Option<u64> {
        for _ in 0..MAX_GAP_SCAN {
            let height = self.first_uncertified;
            if height > head {
                return Some(height);
            }
            let certified = matches!(store.certificate(height), Ok(Some(_)));
            if !certified && matches!(store.header(height), Ok(Some(_))) {
                return Some(height);
            }
            self.first_uncertified += 1;
        }
        None
    }

    /// The headers applied here up to `head` that have no certificate now and had none
    /// at the last round either (at most [`MAX_REVOTES`]): votes still in flight get a
    /// round to arrive before they are sent again.
    pub fn due(&mut self, store: &Store, head: u64) -> Vec<BlockHeader> {
        let Some(from) = self.first_uncertified(store, head) else {
            return Vec::new();
        };
        let to = head.min(from.saturating_add(MAX_UNCERTIFIED_SCAN - 1));
        let now: BTreeSet<u64> = (from..=to)
            .filter(|height| matches!(store.certificate(*height), Ok(None)))
            .collect();
        let due = now
            .intersection(&self.uncertified)
            .filter_map(|height| store.header(*height).ok().flatten())
            .take(MAX_REVOTES)
            .collect();
        self.uncertified = now;
        due
    }
}

/// Certificates asked of one peer in one request (the peer protocol's limit).
pub const MAX_CERTIFICATES_PER_ASK: u64 = crate::protocol::MAX_CERTIFICATES_PER_REQUEST;

/// What one round of [`repair_round`] did.
#[derive(Debug, Default)]
pub struct RepairRound {
    /// Heights whose certificate a peer supplied and this node stored.
    pub accepted: Vec<u64>,
    /// Headers applied here that stayed uncertified a round: vote on them again.
    pub vote_again: Vec<BlockHeader>,
}

/// One round of repair on a validator whose head is `head`: asks `peers` in turn
/// (`ask(peer, from, to)`, `None` when a peer did not answer) for the certificates of
/// heights from the lowest gap up, applied at least two blocks ago so that live votes
/// get a moment; stops once the lowest gap is filled (a peer may hold later
/// certificates but not that one). Then returns the headers to vote on again.
pub async fn repair_round<Ask, Answer>(
    gaps: &mut CertificateGaps,
    store: &Store,
    certifier: &Certifier,
    head: u64,
    peers: &[PublicKey],
    mut ask: Ask,
) -> RepairRound
where
    Ask: FnMut(PublicKey, u64, u64) -> Answer,
    Answer: Future<Output = Option<Vec<Certificate>>>,
{
    let mut round = RepairRound::default();
    if let Some(from) = gaps.first_uncertified(store, head) {
        let to = head
            .saturating_sub(2)
            .min(from.saturating_add(MAX_CERTIFICATES_PER_ASK - 1));
        for peer in peers.iter().filter(|_| from <= to) {
            let Some(certificates) = ask(*peer, from, to).await else {
                continue;
            };
            for certificate in &certificates {
                let set: BTreeSet<PublicKey> = certifying_set(store, certificate.height);
                if certifier.accept_certificate(certificate, &set) {
                    round.accepted.push(certificate.height);
                }
            }
            if matches!(store.certificate(from), Ok(Some(_))) {
                break;
            }
        }
    }
    round.vote_again = gaps.due(store, head);
    round
}

#[cfg(test)]
mod tests {
    use super::*;
    use truffle_ledger::certificate::vote;
    use truffle_ledger::Keypair;

    /// A gap below a certified height is found (the certificate above it does not hide
    /// it), and a height is voted on again only once it stayed uncertified a round.
    #[test]
    fn certificate_gaps_are_found_and_voted_on_again_after_a_round() {
        use truffle_ledger::exec::{execute_block, genesis_block};
        use truffle_ledger::BlockProposal;

        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let v0 = Keypair::from_name("v0");
        let genesis = crate::certifier::genesis_of_one(&v0, &Keypair::from_name("admin"));
        let executed = genesis_block(&store, &genesis).unwrap();
        store.commit_block(&executed, &[]).unwrap();
        let mut parent = executed.block.header;
        let set: BTreeSet<PublicKey> = [v0.public()].into();
        for height in 1..=6u64 {
            let proposal = BlockProposal {
                proposer: v0.public(),
                time_ms: 1 + height,
                transactions: vec![],
            };
            let executed = execute_block(&store, &parent, &proposal).unwrap();
            store.commit_block(&executed, &[]).unwrap();
            parent = executed.block.header;
            if height != 3 && height != 5 {
                let certificate = Certificate::from_votes(&parent, &set, [vote(&v0, &parent)]);
                store.put_certificate(&certificate).unwrap();
            }
        }
        let mut gaps = CertificateGaps::default();
        assert_eq!(gaps.first_uncertified(&store, 6), Some(3));
        assert!(
            gaps.due(&store, 6).is_empty(),
            "votes in flight get a round"
        );
        let due: Vec<u64> = gaps.due(&store, 6).iter().map(|h| h.height).collect();
        assert_eq!(
            due,
            vec![3, 5],
            "both gaps, the one under certified heights too"
        );
        let h3 = store.header(3).unwrap().unwrap();
        store
            .put_certificate(&Certificate::from_votes(&h3, &set, [vote(&v0, &h3)]))
            .unwrap();
        assert_eq!(gaps.first_uncertified(&store, 6), Some(5));
        let due: Vec<u64> = gaps.due(&store, 6).iter().map(|h| h.height).collect();
        assert_eq!(due, vec![5]);
        assert_eq!(
            gaps.first_uncertified(&store, 4),
            Some(5),
            "nothing missing up to 4"
        );
    }
}
