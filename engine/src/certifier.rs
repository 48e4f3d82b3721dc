//! Block certificates: after applying a block, this validator signs its header and
//! sends the vote to the others; more than two thirds of the set
//! ([`truffle_ledger::certificate::quorum`]) voting for the same header makes the
//! block's certificate, stored beside the block.
//!
//! A vote for a header that differs from the one this node applied at that height is
//! evidence that two validators diverged: it is never counted, and it is logged loudly.
//!
//! Which validators certify block `h`: more than two thirds of the set in force when `h`
//! was applied, the set recorded after block `h - 1` ([`certifying_set`]). A block that
//! changes the set is certified by the set it replaces; auditors check exactly this
//! rule (`truffle_ledger::verify`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use truffle_ledger::certificate::{quorum, vote};
use truffle_ledger::{BlockHeader, Certificate, Hash, HeaderVote, Keypair, PublicKey};
use truffle_store::Store;

/// The validators whose quorum certifies the block at `height`: the set after its
/// parent, read from the state tree's versioned values. Falls back to the current set
/// when that version is not kept (a chain begun before the set record existed, or a
/// state restored from a later snapshot).
pub(crate) fn certifying_set(store: &Store, height: u64) -> BTreeSet<PublicKey> {
    match truffle_ledger::exec::validator_set_at(store, height.saturating_sub(1)) {
        Ok(Some(set)) => set.keys.into_iter().collect(),
        _ => truffle_ledger::exec::current_validators(store)
            .map(|set| set.into_iter().map(|v| v.key).collect())
            .unwrap_or_default(),
    }
}

/// Votes kept for heights this node has not applied yet.
const MAX_EARLY_HEIGHTS: usize = 4_096;

/// Votes are taken for heights at most this far above the highest block this node
/// applied: a validator cannot fill the vote table with far-future heights (and so
/// halt certification). A node further behind fetches certificates instead.
pub(crate) const VOTE_WINDOW: u64 = 256;

#[derive(Default)]
struct Tally {
    header_hash: Option<Hash>,
    votes: BTreeMap<PublicKey, HeaderVote>,
    /// Votes that arrived before this node applied the height.
    early: Vec<(Hash, HeaderVote)>,
    certified: bool,
}

/// Gathers votes into certificates.
pub(crate) struct Certifier {
    key: Keypair,
    chain_id: Hash,
    store: Store,
    tallies: Mutex<BTreeMap<u64, Tally>>,
    /// The highest height this node applied.
    head: std::sync::atomic::AtomicU64,
}

/// What to do after a vote was counted.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum VoteOutcome {
    /// Counted; no certificate yet.
    Counted,
    /// Counted and completed the certificate.
    Certified,
    /// Kept until this node applies the height.
    Early,
    /// Already certified, or a duplicate.
    Ignored,
}

/// Why a vote was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum VoteError {
    /// Not from a validator.
    #[error("vote from {0}, which is not a validator")]
    NotAValidator(PublicKey),
    /// Signature does not verify.
    #[error("vote from {0} has a bad signature")]
    BadSignature(PublicKey),
    /// For a height too far above this node's head ([`VOTE_WINDOW`]).
    #[error("vote from {validator} for height {height}, more than {VOTE_WINDOW} above this node's head {head}")]
    TooFarAhead {
        /// The voter.
        validator: PublicKey,
        /// Height voted for.
        height: u64,
        /// This node's head.
        head: u64,
    },
    /// For another header than the one applied here.
    #[error("validator {validator} voted for header {theirs} at height {height}, this node applied {ours}")]
    Divergent {
        /// The voter.
        validator: PublicKey,
        /// Height.
        height: u64,
        /// Header it voted for.
        theirs: Hash,
        /// Header applied here.
        ours: Hash,
    },
}

impl Certifier {
    /// A certifier signing with `key`.
    pub(crate) fn new(key: Keypair, chain_id: Hash, store: Store) -> Certifier {
        let head = store.head().ok().flatten().map_or(0, |h| h.height);
        Certifier {
            key,
            chain_id,
            store,
            tallies: Mutex::new(BTreeMap::new()),
            head: std::sync::atomic::AtomicU64::new(head),
        }
    }

    /// This node applied `header`: returns its own vote (to send to the others), unless
    /// `sign` is false (the header's time is too far ahead of this node's clock), and
    /// whether the certificate is complete.
    pub(crate) fn on_applied(
        &self,
        header: &BlockHeader,
        validators: &BTreeSet<PublicKey>,
        sign: bool,
    ) -> (Option<HeaderVote>, bool) {
        self.head
            .fetch_max(header.height, std::sync::atomic::Ordering::SeqCst);
        let own = sign.then(|| vote(&self.key, header));
        let header_hash = header.hash();
        let mut tallies = self.tallies.lock().expect("certifier lock poisoned");
        let tally = tallies.entry(header.height).or_default();
        tally.header_hash = Some(header_hash);
        if let Some(own) = own.as_ref().filter(|v| validators.contains(&v.validator)) {
            tally.votes.insert(own.validator, own.clone());
        }
        for (hash, early) in std::mem::take(&mut tally.early) {
            if hash == header_hash {
                tally.votes.insert(early.validator, early);
            } else {
                tracing::error!(target: "certifier", height = header.height, validator = %early.validator, theirs = %hash, ours = %header_hash, "divergent header vote");
            }
        }
        let certified = self.try_certify(header.height, tally, validators);
        // Bound memory: forget certified heights far behind.
        let keep_from = header.height.saturating_sub(MAX_EARLY_HEIGHTS as u64);
        tallies.retain(|height, t| *height >= keep_from || !t.certified);
        while tallies.len() > MAX_EARLY_HEIGHTS * 2 {
            let first = *tallies.keys().next().expect("non-empty");
            tallies.remove(&first);
        }
        (own, certified)
    }

    /// A vote from another validator.
    pub(crate) fn on_vote(
        &self,
        height: u64,
        header_hash: Hash,
        vote: HeaderVote,
        validators: &BTreeSet<PublicKey>,
    ) -> Result<VoteOutcome, VoteError> {
        if !validators.contains(&vote.validator) {
            return Err(VoteError::NotAValidator(vote.validator));
        }
        let mut head = self.head.load(std::sync::atomic::Ordering::SeqCst);
        if height > head.saturating_add(VOTE_WINDOW) {
            // The head may have moved without a block applied here (a snapshot).
            if let Ok(Some(stored)) = self.store.head() {
                head = head.max(stored.height);
                self.head
                    .fetch_max(head, std::sync::atomic::Ordering::SeqCst);
            }
        }
        if height > head.saturating_add(VOTE_WINDOW) {
            return Err(VoteError::TooFarAhead {
                validator: vote.validator,
                height,
                head,
            });
        }
        if !vote.verify(&self.chain_id, &header_hash) {
            return Err(VoteError::BadSignature(vote.validator));
        }
        let mut tallies = self.tallies.lock().expect("certifier lock poisoned");
        if tallies.len() >= MAX_EARLY_HEIGHTS * 2 && !tallies.contains_key(&height) {
            return Ok(VoteOutcome::Ignored);
        }
        let tally = tallies.entry(height).or_default();
        if tally.certified {
            return Ok(VoteOutcome::Ignored);
        }
        match tally.header_hash {
            None => {
                if tally.early.len() < validators.len() * 2 {
                    tally.early.push((header_hash, vote));
                }
                Ok(VoteOutcome::Early)
            }
            Some(ours) if ours != header_hash => Err(VoteError::Divergent {
                validator: vote.validator,
                height,
                theirs: header_hash,
                ours,
            }),
            Some(_) => {
                if tally.votes.insert(vote.validator, vote).is_some() {
                    return Ok(VoteOutcome::Ignored);
                }
                if self.try_certify(height, tally, validators) {
                    Ok(VoteOutcome::Certified)
                } else {
                    Ok(VoteOutcome::Counted)
                }
            }
        }
    }

    fn try_certify(
        &self,
        height: u64,
        tally: &mut Tally,
        validators: &BTreeSet<PublicKey>,
    ) -> bool {
        let Some(header_hash) = tally.header_hash else {
            return false;
        };
        if tally.certified {
            return false;
        }
        let votes: Vec<HeaderVote> = tally
            .votes
            .values()
            .filter(|v| validators.contains(&v.validator))
            .cloned()
            .collect();
        if votes.len() < quorum(validators.len()) {
            return false;
        }
        let certificate = Certificate {
            height,
            header_hash,
            votes,
        };
        match self.store.put_certificate(&certificate) {
            Ok(()) => {
                tally.certified = true;
                true
            }
            Err(error) => {
                tracing::error!(target: "certifier", height, %error, "cannot store certificate");
                false
            }
        }
    }

    /// Stores a certificate fetched from a peer, after checking it.
    pub(crate) fn accept_certificate(
        &self,
        certificate: &Certificate,
        validators: &BTreeSet<PublicKey>,
    ) -> bool {
        let Ok(Some(header)) = self.store.header(certificate.height) else {
            return false;
        };
        if certificate.verify(&header, validators).is_err() {
            return false;
        }
        if self.store.put_certificate(certificate).is_err() {
            return false;
        }
        let mut tallies = self.tallies.lock().expect("certifier lock poisoned");
        tallies.entry(certificate.height).or_default().certified = true;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(height: u64, salt: &[u8]) -> BlockHeader {
        BlockHeader {
            chain_id: Hash::of(b"chain"),
            height,
            prev_hash: Hash::of(salt),
            time_ms: 0,
            proposer: Keypair::from_name("v0").public(),
            transaction_count: 0,
            transactions_root: Hash::ZERO,
            receipts_root: Hash::ZERO,
            state_root: Hash::ZERO,
        }
    }

    /// A block that adds a validator is certified by the set before it; the block after
    /// it by the new set.
    #[test]
    fn the_set_after_the_parent_certifies() {
        use truffle_ledger::exec::{execute_block, genesis_block, GenesisState};
        use truffle_ledger::types::{ChainParams, Validator};
        use truffle_ledger::{BlockProposal, Payload, Transaction};

        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let v0 = Keypair::from_name("v0");
        let v1 = Keypair::from_name("v1");
        let admin = Keypair::from_name("admin");
        let genesis = GenesisState {
            chain_id: Hash::of(b"chain"),
            time_ms: 1,
            params: ChainParams::default(),
            admins: vec![admin.public()],
            validators: vec![Validator {
                key: v0.public(),
                name: "v0".into(),
                p2p_address: "/ip4/127.0.0.1/tcp/1".into(),
                since_height: 0,
            }],
        };
        let executed = genesis_block(&store, &genesis).unwrap();
        store.commit_block(&executed, &[]).unwrap();
        let mut parent = executed.block.header;
        let add = Transaction {
            chain_id: genesis.chain_id,
            signer: admin.public(),
            nonce: 0,
            payload: Payload::AddValidator {
                key: v1.public(),
                name: "v1".into(),
                p2p_address: "/ip4/127.0.0.1/tcp/2".into(),
            },
        }
        .sign(&admin);
        for transactions in [vec![add], vec![]] {
            let proposal = BlockProposal {
                proposer: v0.public(),
                time_ms: 2,
                transactions,
            };
            let executed = execute_block(&store, &parent, &proposal).unwrap();
            assert!(executed.block.receipts.iter().all(|r| r.is_applied()));
            store.commit_block(&executed, &[]).unwrap();
            parent = executed.block.header;
        }
        let before: BTreeSet<PublicKey> = [v0.public()].into();
        let after: BTreeSet<PublicKey> = [v0.public(), v1.public()].into();
        assert_eq!(certifying_set(&store, 1), before, "the change block");
        assert_eq!(certifying_set(&store, 2), after, "the block after it");

        let certifier = Certifier::new(v0.clone(), genesis.chain_id, store.clone());
        let h1 = store.header(1).unwrap().unwrap();
        let (_, certified) = certifier.on_applied(&h1, &certifying_set(&store, 1), true);
        assert!(certified, "v0 alone certifies the change block");
        let h2 = store.header(2).unwrap().unwrap();
        let (_, certified) = certifier.on_applied(&h2, &certifying_set(&store, 2), true);
        assert!(!certified, "the next block needs v1 too");
        assert_eq!(
            certifier.on_vote(2, h2.hash(), vote(&v1, &h2), &certifying_set(&store, 2)),
            Ok(VoteOutcome::Certified)
        );
    }

    /// A store, four validator keys, their set, and v0's certifier.
    fn four_validators() -> (
        tempfile::TempDir,
        Store,
        Vec<Keypair>,
        BTreeSet<PublicKey>,
        Certifier,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let keys: Vec<Keypair> = (0..4)
            .map(|i| Keypair::from_name(&format!("v{i}")))
            .collect();
        let set: BTreeSet<PublicKey> = keys.iter().map(|k| k.public()).collect();
        let certifier = Certifier::new(keys[0].clone(), Hash::of(b"chain"), store.clone());
        (dir, store, keys, set, certifier)
    }

    #[test]
    fn quorum_early_votes_and_divergence() {
        let (_dir, store, keys, set, certifier) = four_validators();
        let h1 = header(1, b"a");
        // A vote arriving before this node applied height 1 is kept.
        let early = vote(&keys[1], &h1);
        assert_eq!(
            certifier.on_vote(1, h1.hash(), early, &set),
            Ok(VoteOutcome::Early)
        );
        let (_, certified) = certifier.on_applied(&h1, &set, true);
        assert!(
            !certified,
            "own vote + early vote = 2 of 4, a majority but not enough"
        );
        assert_eq!(
            certifier.on_vote(1, h1.hash(), vote(&keys[3], &h1), &set),
            Ok(VoteOutcome::Certified),
            "3 of 4"
        );
        assert_eq!(store.certificate(1).unwrap().unwrap().votes.len(), 3);

        let h2 = header(2, b"b");
        let (_, certified) = certifier.on_applied(&h2, &set, true);
        assert!(!certified);
        let other = header(2, b"forked");
        assert!(matches!(
            certifier.on_vote(2, other.hash(), vote(&keys[2], &other), &set),
            Err(VoteError::Divergent { .. })
        ));
        let outsider = Keypair::from_name("outsider");
        assert_eq!(
            certifier.on_vote(2, h2.hash(), vote(&outsider, &h2), &set),
            Err(VoteError::NotAValidator(outsider.public()))
        );
        let mut forged = vote(&keys[2], &h2);
        forged.signature.0[0] ^= 1;
        assert!(matches!(
            certifier.on_vote(2, h2.hash(), forged, &set),
            Err(VoteError::BadSignature(_))
        ));
        assert_eq!(
            certifier.on_vote(2, h2.hash(), vote(&keys[3], &h2), &set),
            Ok(VoteOutcome::Counted)
        );
        assert_eq!(
            certifier.on_vote(2, h2.hash(), vote(&keys[2], &h2), &set),
            Ok(VoteOutcome::Certified)
        );
        assert!(store
            .certificate(2)
            .unwrap()
            .unwrap()
            .verify(&h2, &set)
            .is_ok());
    }

    /// Votes far above the head are refused (they cannot fill the table); votes within
    /// the window are kept; the table never holds more than the window of future heights.
    #[test]
    fn far_future_votes_are_refused() {
        let (_dir, _store, keys, set, certifier) = four_validators();
        let far = header(VOTE_WINDOW + 1, b"far");
        assert_eq!(
            certifier.on_vote(far.height, far.hash(), vote(&keys[1], &far), &set),
            Err(VoteError::TooFarAhead {
                validator: keys[1].public(),
                height: VOTE_WINDOW + 1,
                head: 0
            })
        );
        // A flood of far-future heights leaves the table as it was.
        for height in (VOTE_WINDOW + 1)..(VOTE_WINDOW + 10_000) {
            let h = header(height, b"flood");
            assert!(certifier
                .on_vote(height, h.hash(), vote(&keys[1], &h), &set)
                .is_err());
        }
        assert_eq!(certifier.tallies.lock().unwrap().len(), 0);
        let near = header(VOTE_WINDOW, b"near");
        assert_eq!(
            certifier.on_vote(near.height, near.hash(), vote(&keys[1], &near), &set),
            Ok(VoteOutcome::Early)
        );
        // Once this node applies a block, the window moves with it.
        let h1 = header(1, b"one");
        certifier.on_applied(&h1, &set, true);
        let next = header(VOTE_WINDOW + 1, b"next");
        assert_eq!(
            certifier.on_vote(next.height, next.hash(), vote(&keys[1], &next), &set),
            Ok(VoteOutcome::Early)
        );
    }

    /// A validator that does not sign a header (its time is ahead of the clock) still
    /// counts the others' votes, and its own is absent from the certificate.
    #[test]
    fn an_unsigned_header_is_certified_by_the_others() {
        let (_dir, store, keys, set, certifier) = four_validators();
        let h1 = header(1, b"ahead");
        let (own, certified) = certifier.on_applied(&h1, &set, false);
        assert!(own.is_none() && !certified);
        for key in &keys[1..3] {
            assert_eq!(
                certifier.on_vote(1, h1.hash(), vote(key, &h1), &set),
                Ok(VoteOutcome::Counted)
            );
        }
        assert_eq!(
            certifier.on_vote(1, h1.hash(), vote(&keys[3], &h1), &set),
            Ok(VoteOutcome::Certified)
        );
        let certificate = store.certificate(1).unwrap().unwrap();
        assert!(certificate
            .votes
            .iter()
            .all(|v| v.validator != keys[0].public()));
    }
}
