//! Block certificates: after applying a block, this validator signs its header and
//! sends the vote (with the header) to the others; more than two thirds of the set
//! ([`truffle_ledger::certificate::quorum`]) voting for the same header makes the
//! block's certificate, stored beside the block.
//!
//! A vote for a header that differs from the one this node applied at that height is
//! never counted. It becomes equivocation evidence ([`truffle_ledger::evidence`]) as
//! soon as this node holds what convicts the voter: its vote for the header applied
//! here (two votes, one height), or the certificate of the header applied here (a vote
//! against a certified header). Until then it waits beside the height's tally. Evidence
//! is filed in the node-local column (`evidence/` ‖ height ‖ validator), one record per
//! validator and height, and handed to the engine to send to every validator.
//!
//! Which validators certify block `h`: more than two thirds of the set in force when `h`
//! was applied, the set recorded after block `h - 1` ([`certifying_set`]). A block that
//! changes the set is certified by the set it replaces; auditors check exactly this
//! rule (`truffle_ledger::verify`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use truffle_ledger::certificate::{quorum, vote};
use truffle_ledger::evidence::{Conflict, SignedHeader};
use truffle_ledger::{BlockHeader, Certificate, Evidence, Hash, HeaderVote, Keypair, PublicKey};
use truffle_store::Store;

/// The validators whose quorum certifies the block at `height`: the set after its
/// parent, read from the state tree's versioned values. Falls back to the current set
/// when that version is not kept (a chain begun before the set record existed, or a
/// state restored from a later snapshot).
pub fn certifying_set(store: &Store, height: u64) -> BTreeSet<PublicKey> {
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

/// Prefix of evidence records in the node-local column.
const EVIDENCE_PREFIX: &[u8] = b"evidence/";

fn evidence_key(height: u64, validator: &PublicKey) -> Vec<u8> {
    let mut key = EVIDENCE_PREFIX.to_vec();
    key.extend_from_slice(&height.to_be_bytes());
    key.extend_from_slice(&validator.0);
    key
}

#[derive(Default)]
struct Tally {
    /// The header this node applied at the height.
    header: Option<BlockHeader>,
    votes: BTreeMap<PublicKey, HeaderVote>,
    /// Votes that arrived before this node applied the height.
    early: Vec<(BlockHeader, HeaderVote)>,
    /// Votes for another header than the one applied here, waiting for what convicts
    /// their voter (its vote for ours, or our certificate).
    divergent: Vec<(PublicKey, SignedHeader)>,
    certified: bool,
}

/// Gathers votes into certificates, and conflicting votes into evidence.
pub struct Certifier {
    key: Keypair,
    chain_id: Hash,
    store: Store,
    tallies: Mutex<BTreeMap<u64, Tally>>,
    /// The highest height this node applied.
    head: AtomicU64,
    /// Evidence filed since the engine last took it (to send to the others).
    fresh_evidence: Mutex<Vec<Evidence>>,
    /// Evidence records held.
    evidence_count: AtomicU64,
    /// Fault injection: sign a second, different header at every height.
    equivocate: AtomicBool,
    /// Fault injection: sign no header at all.
    withhold_votes: AtomicBool,
}

/// What to do after a vote was counted.
#[derive(Debug, PartialEq, Eq)]
pub enum VoteOutcome {
    /// Counted; no certificate yet.
    Counted,
    /// Counted and completed the certificate.
    Certified,
    /// Kept until this node applies the height.
    Early,
    /// Already certified, or a duplicate.
    Ignored,
    /// For another header than the one applied here: not counted; evidence once it
    /// convicts (see the module docs).
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

/// Why a vote was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VoteError {
    /// Not from a validator.
    #[error("vote from {0}, which is not a validator")]
    NotAValidator(PublicKey),
    /// Signature does not verify.
    #[error("vote from {0} has a bad signature")]
    BadSignature(PublicKey),
    /// For a header of another chain.
    #[error("vote from {0} for a header of another chain")]
    WrongChain(PublicKey),
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
}

impl VoteError {
    /// A short label for metrics.
    pub(crate) fn reason(&self) -> &'static str {
        match self {
            VoteError::NotAValidator(_) => "not_a_validator",
            VoteError::BadSignature(_) => "bad_signature",
            VoteError::WrongChain(_) => "wrong_chain",
            VoteError::TooFarAhead { .. } => "too_far_ahead",
        }
    }
}

impl Certifier {
    /// Heights the vote table tracks (applied, or with early votes), for /metrics: a
    /// liar's far-future votes must not fill it.
    pub(crate) fn tracked_heights(&self) -> usize {
        self.tallies.lock().expect("certifier lock poisoned").len()
    }

    /// A certifier signing with `key`.
    pub fn new(key: Keypair, chain_id: Hash, store: Store) -> Certifier {
        let head = store.head().ok().flatten().map_or(0, |h| h.height);
        let evidence_count = store
            .local_scan(EVIDENCE_PREFIX)
            .map_or(0, |records| records.len() as u64);
        Certifier {
            key,
            chain_id,
            store,
            tallies: Mutex::new(BTreeMap::new()),
            head: AtomicU64::new(head),
            fresh_evidence: Mutex::new(Vec::new()),
            evidence_count: AtomicU64::new(evidence_count),
            equivocate: AtomicBool::new(false),
            withhold_votes: AtomicBool::new(false),
        }
    }

    /// This node applied `header`: returns its own vote (to send to the others), unless
    /// `sign` is false (the header's time is too far ahead of this node's clock), and
    /// whether the certificate is complete.
    pub fn on_applied(
        &self,
        header: &BlockHeader,
        validators: &BTreeSet<PublicKey>,
        sign: bool,
    ) -> (Option<HeaderVote>, bool) {
        self.head.fetch_max(header.height, Ordering::SeqCst);
        let own = sign.then(|| vote(&self.key, header));
        let header_hash = header.hash();
        let mut tallies = self.tallies.lock().expect("certifier lock poisoned");
        let tally = tallies.entry(header.height).or_default();
        tally.header = Some(header.clone());
        if let Some(own) = own.as_ref().filter(|v| validators.contains(&v.validator)) {
            tally.votes.insert(own.validator, own.clone());
        }
        for (theirs, early) in std::mem::take(&mut tally.early) {
            if theirs.hash() == header_hash {
                tally.votes.insert(early.validator, early);
            } else {
                self.divergent(
                    tally,
                    early.validator,
                    SignedHeader::new(theirs, &early),
                    validators,
                );
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

    /// A vote from another validator for `header`.
    pub fn on_vote(
        &self,
        header: BlockHeader,
        vote: HeaderVote,
        validators: &BTreeSet<PublicKey>,
    ) -> Result<VoteOutcome, VoteError> {
        let height = header.height;
        if !validators.contains(&vote.validator) {
            return Err(VoteError::NotAValidator(vote.validator));
        }
        if header.chain_id != self.chain_id {
            return Err(VoteError::WrongChain(vote.validator));
        }
        let mut head = self.head.load(Ordering::SeqCst);
        if height > head.saturating_add(VOTE_WINDOW) {
            // The head may have moved without a block applied here (a snapshot).
            if let Ok(Some(stored)) = self.store.head() {
                head = head.max(stored.height);
                self.head.fetch_max(head, Ordering::SeqCst);
            }
        }
        if height > head.saturating_add(VOTE_WINDOW) {
            return Err(VoteError::TooFarAhead {
                validator: vote.validator,
                height,
                head,
            });
        }
        let header_hash = header.hash();
        if !vote.verify(&self.chain_id, &header_hash) {
            return Err(VoteError::BadSignature(vote.validator));
        }
        let mut tallies = self.tallies.lock().expect("certifier lock poisoned");
        if tallies.len() >= MAX_EARLY_HEIGHTS * 2 && !tallies.contains_key(&height) {
            return Ok(VoteOutcome::Ignored);
        }
        let tally = tallies.entry(height).or_default();
        if tally.header.is_none() && height <= head {
            // Applied here, but the tally was forgotten (or applied before a restart).
            if let Ok(Some(applied)) = self.store.header(height) {
                tally.header = Some(applied);
                tally.certified = matches!(self.store.certificate(height), Ok(Some(_)));
            }
        }
        let Some(ours) = tally.header.as_ref().map(BlockHeader::hash) else {
            if tally.early.len() < validators.len() * 2 {
                tally.early.push((header, vote));
            }
            return Ok(VoteOutcome::Early);
        };
        if ours != header_hash {
            let validator = vote.validator;
            self.divergent(
                tally,
                validator,
                SignedHeader::new(header, &vote),
                validators,
            );
            return Ok(VoteOutcome::Divergent {
                validator,
                height,
                theirs: header_hash,
                ours,
            });
        }
        if tally.certified {
            // A vote for ours may still convict a voter whose other vote waits.
            self.convict_waiting(tally, &vote, validators);
            return Ok(VoteOutcome::Ignored);
        }
        self.convict_waiting(tally, &vote, validators);
        if tally.votes.insert(vote.validator, vote).is_some() {
            return Ok(VoteOutcome::Ignored);
        }
        if self.try_certify(height, tally, validators) {
            Ok(VoteOutcome::Certified)
        } else {
            Ok(VoteOutcome::Counted)
        }
    }

    /// A vote of `validator` for another header than ours (`tally.header`): evidence
    /// if this node holds what convicts it, else kept until it does.
    fn divergent(
        &self,
        tally: &mut Tally,
        validator: PublicKey,
        theirs: SignedHeader,
        validators: &BTreeSet<PublicKey>,
    ) {
        let Some(ours) = tally.header.clone() else {
            return;
        };
        tracing::error!(target: "certifier", height = ours.height, %validator, theirs = %theirs.header.hash(), ours = %ours.hash(), "divergent header vote");
        if let Some(own_vote) = tally.votes.get(&validator) {
            let evidence = Evidence::double_vote(
                self.chain_id,
                validator,
                SignedHeader::new(ours, own_vote),
                theirs,
            );
            self.file(evidence, validators);
            return;
        }
        if tally.certified {
            if let Ok(Some(certificate)) = self.store.certificate(ours.height) {
                let evidence = Evidence {
                    chain_id: self.chain_id,
                    validator,
                    vote: theirs,
                    conflict: Conflict::Certified {
                        header: ours,
                        certificate,
                    },
                };
                self.file(evidence, validators);
                return;
            }
        }
        let known = tally
            .divergent
            .iter()
            .any(|(v, s)| *v == validator && s.header == theirs.header);
        if !known && tally.divergent.len() < validators.len() * 2 {
            tally.divergent.push((validator, theirs));
        }
    }

    /// `vote` is for ours: a waiting vote of the same validator for another header
    /// convicts it (two votes, one height).
    fn convict_waiting(
        &self,
        tally: &mut Tally,
        vote: &HeaderVote,
        validators: &BTreeSet<PublicKey>,
    ) {
        let Some(ours) = tally.header.clone() else {
            return;
        };
        let waiting: Vec<SignedHeader> = tally
            .divergent
            .iter()
            .filter(|(v, _)| *v == vote.validator)
            .map(|(_, s)| s.clone())
            .collect();
        for theirs in waiting {
            let evidence = Evidence::double_vote(
                self.chain_id,
                vote.validator,
                SignedHeader::new(ours.clone(), vote),
                theirs,
            );
            self.file(evidence, validators);
        }
    }

    /// The height is certified: every waiting divergent vote conflicts with a
    /// certified header.
    fn convict_against_certificate(
        &self,
        tally: &mut Tally,
        certificate: &Certificate,
        validators: &BTreeSet<PublicKey>,
    ) {
        let Some(ours) = tally.header.clone() else {
            return;
        };
        // Kept: the voter's own vote for ours may still come and make a double vote.
        for (validator, theirs) in tally.divergent.clone() {
            let evidence = match tally.votes.get(&validator) {
                Some(own_vote) => Evidence::double_vote(
                    self.chain_id,
                    validator,
                    SignedHeader::new(ours.clone(), own_vote),
                    theirs,
                ),
                None => Evidence {
                    chain_id: self.chain_id,
                    validator,
                    vote: theirs,
                    conflict: Conflict::Certified {
                        header: ours.clone(),
                        certificate: certificate.clone(),
                    },
                },
            };
            self.file(evidence, validators);
        }
    }

    fn try_certify(
        &self,
        height: u64,
        tally: &mut Tally,
        validators: &BTreeSet<PublicKey>,
    ) -> bool {
        let Some(header) = tally.header.clone() else {
            return false;
        };
        if tally.certified {
            return false;
        }
        let signers = tally
            .votes
            .keys()
            .filter(|v| validators.contains(v))
            .count();
        if signers < quorum(validators.len()) {
            return false;
        }
        let certificate =
            Certificate::from_votes(&header, validators, tally.votes.values().cloned());
        match self.store.put_certificate(&certificate) {
            Ok(()) => {
                tally.certified = true;
                self.convict_against_certificate(tally, &certificate, validators);
                true
            }
            Err(error) => {
                tracing::error!(target: "certifier", height, %error, "cannot store certificate");
                false
            }
        }
    }

    /// Stores a certificate fetched from a peer, after checking it.
    pub fn accept_certificate(
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
        let tally = tallies.entry(certificate.height).or_default();
        tally.header = Some(header);
        tally.certified = true;
        self.convict_against_certificate(tally, certificate, validators);
        true
    }

    /// Files a record this node found, after the same check every receiver makes.
    fn file(&self, evidence: Evidence, validators: &BTreeSet<PublicKey>) {
        if let Err(error) = evidence.check(&self.chain_id, validators) {
            tracing::error!(target: "certifier", %error, "evidence found here does not check");
            return;
        }
        if self.store_evidence(&evidence) {
            tracing::error!(target: "certifier", height = evidence.height(), validator = %evidence.validator, double_vote = evidence.is_double_vote(), "equivocation evidence filed");
            self.fresh_evidence
                .lock()
                .expect("certifier lock poisoned")
                .push(evidence);
        }
    }

    /// Files a checked record; true when it is new (or replaces a weaker one: a double
    /// vote needs no certificate to check, so it is kept over a vote against one).
    pub(crate) fn store_evidence(&self, evidence: &Evidence) -> bool {
        let key = evidence_key(evidence.height(), &evidence.validator);
        let held = self
            .store
            .local_get(&key)
            .ok()
            .flatten()
            .and_then(|bytes| borsh::from_slice::<Evidence>(&bytes).ok());
        let replace = match &held {
            None => true,
            Some(held) => !held.is_double_vote() && evidence.is_double_vote(),
        };
        if !replace {
            return false;
        }
        let bytes = borsh::to_vec(evidence).expect("encoding to a Vec cannot fail");
        match self.store.local_write(&[(key, Some(bytes))]) {
            Ok(()) => {
                if held.is_none() {
                    self.evidence_count.fetch_add(1, Ordering::Relaxed);
                }
                true
            }
            Err(error) => {
                tracing::error!(target: "certifier", %error, "cannot store evidence");
                false
            }
        }
    }

    /// Evidence filed since the last call (to send to the other validators).
    pub(crate) fn take_fresh_evidence(&self) -> Vec<Evidence> {
        std::mem::take(&mut *self.fresh_evidence.lock().expect("certifier lock poisoned"))
    }

    /// Evidence records held, by height from `from`, at most `limit`.
    pub(crate) fn evidence(&self, from: u64, limit: usize) -> Vec<Evidence> {
        let mut start = EVIDENCE_PREFIX.to_vec();
        start.extend_from_slice(&from.to_be_bytes());
        self.store
            .local_scan(EVIDENCE_PREFIX)
            .unwrap_or_default()
            .into_iter()
            .filter(|(key, _)| key.as_slice() >= start.as_slice())
            .filter_map(|(_, bytes)| borsh::from_slice(&bytes).ok())
            .take(limit)
            .collect()
    }

    /// How many evidence records this node holds.
    pub(crate) fn evidence_count(&self) -> u64 {
        self.evidence_count.load(Ordering::Relaxed)
    }

    /// Fault injection: whether this validator signs a second header at every height.
    pub(crate) fn set_equivocate(&self, on: bool) {
        self.equivocate.store(on, Ordering::SeqCst);
    }

    /// See [`Certifier::set_equivocate`].
    pub(crate) fn equivocating(&self) -> bool {
        self.equivocate.load(Ordering::SeqCst)
    }

    /// Fault injection: whether this validator signs no header (its votes are lost).
    pub(crate) fn set_withhold_votes(&self, on: bool) {
        self.withhold_votes.store(on, Ordering::SeqCst);
    }

    /// See [`Certifier::set_withhold_votes`].
    pub(crate) fn withholding_votes(&self) -> bool {
        self.withhold_votes.load(Ordering::SeqCst)
    }

    /// Fault injection: a header that conflicts with `header` (another state root) and
    /// this validator's vote for it.
    pub(crate) fn forged_vote(&self, header: &BlockHeader) -> (BlockHeader, HeaderVote) {
        let mut forged = header.clone();
        forged.state_root = Hash::of(forged.state_root.as_bytes());
        let vote = vote(&self.key, &forged);
        (forged, vote)
    }
}

/// A chain of one validator, `validator`, with `admin` as its admin (tests).
#[cfg(test)]
pub(crate) fn genesis_of_one(
    validator: &Keypair,
    admin: &Keypair,
) -> truffle_ledger::exec::GenesisState {
    truffle_ledger::exec::GenesisState {
        chain_id: Hash::of(b"chain"),
        time_ms: 1,
        params: truffle_ledger::types::ChainParams::default(),
        admins: vec![admin.public()],
        validators: vec![truffle_ledger::types::Validator {
            key: validator.public(),
            name: "v0".into(),
            p2p_address: "/ip4/127.0.0.1/tcp/1".into(),
            since_height: 0,
        }],
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
        use truffle_ledger::exec::{execute_block, genesis_block};
        use truffle_ledger::{BlockProposal, Payload, Transaction};

        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let v0 = Keypair::from_name("v0");
        let v1 = Keypair::from_name("v1");
        let admin = Keypair::from_name("admin");
        let genesis = genesis_of_one(&v0, &admin);
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
            certifier.on_vote(h2.clone(), vote(&v1, &h2), &certifying_set(&store, 2)),
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
            certifier.on_vote(h1.clone(), early, &set),
            Ok(VoteOutcome::Early)
        );
        let (_, certified) = certifier.on_applied(&h1, &set, true);
        assert!(
            !certified,
            "own vote + early vote = 2 of 4, a majority but not enough"
        );
        assert_eq!(
            certifier.on_vote(h1.clone(), vote(&keys[3], &h1), &set),
            Ok(VoteOutcome::Certified),
            "3 of 4"
        );
        assert_eq!(store.certificate(1).unwrap().unwrap().signatures.len(), 3);

        let h2 = header(2, b"b");
        let (_, certified) = certifier.on_applied(&h2, &set, true);
        assert!(!certified);
        let other = header(2, b"forked");
        assert!(matches!(
            certifier.on_vote(other.clone(), vote(&keys[2], &other), &set),
            Ok(VoteOutcome::Divergent { .. })
        ));
        let outsider = Keypair::from_name("outsider");
        assert_eq!(
            certifier.on_vote(h2.clone(), vote(&outsider, &h2), &set),
            Err(VoteError::NotAValidator(outsider.public()))
        );
        let mut forged = vote(&keys[2], &h2);
        forged.signature.0[0] ^= 1;
        assert!(matches!(
            certifier.on_vote(h2.clone(), forged, &set),
            Err(VoteError::BadSignature(_))
        ));
        assert_eq!(
            certifier.on_vote(h2.clone(), vote(&keys[3], &h2), &set),
            Ok(VoteOutcome::Counted)
        );
        assert_eq!(
            certifier.on_vote(h2.clone(), vote(&keys[2], &h2), &set),
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
            certifier.on_vote(far.clone(), vote(&keys[1], &far), &set),
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
                .on_vote(h.clone(), vote(&keys[1], &h), &set)
                .is_err());
        }
        assert_eq!(certifier.tallies.lock().unwrap().len(), 0);
        let near = header(VOTE_WINDOW, b"near");
        assert_eq!(
            certifier.on_vote(near.clone(), vote(&keys[1], &near), &set),
            Ok(VoteOutcome::Early)
        );
        // Once this node applies a block, the window moves with it.
        let h1 = header(1, b"one");
        certifier.on_applied(&h1, &set, true);
        let next = header(VOTE_WINDOW + 1, b"next");
        assert_eq!(
            certifier.on_vote(next.clone(), vote(&keys[1], &next), &set),
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
                certifier.on_vote(h1.clone(), vote(key, &h1), &set),
                Ok(VoteOutcome::Counted)
            );
        }
        assert_eq!(
            certifier.on_vote(h1.clone(), vote(&keys[3], &h1), &set),
            Ok(VoteOutcome::Certified)
        );
        let certificate = store.certificate(1).unwrap().unwrap();
        assert!(certificate
            .votes(&set)
            .iter()
            .all(|v| v.validator != keys[0].public()));
    }

    /// Two votes of one validator for different headers of one height: evidence, filed
    /// once, handed out once, and checked by the ledger's one function.
    #[test]
    fn a_double_vote_becomes_evidence() {
        let (_dir, _store, keys, set, certifier) = four_validators();
        let h1 = header(1, b"one");
        certifier.on_applied(&h1, &set, true);
        assert_eq!(
            certifier.on_vote(h1.clone(), vote(&keys[1], &h1), &set),
            Ok(VoteOutcome::Counted)
        );
        let forged = header(1, b"forged");
        assert!(matches!(
            certifier.on_vote(forged.clone(), vote(&keys[1], &forged), &set),
            Ok(VoteOutcome::Divergent { .. })
        ));
        let fresh = certifier.take_fresh_evidence();
        assert_eq!(fresh.len(), 1);
        assert!(fresh[0].is_double_vote());
        assert_eq!(fresh[0].validator, keys[1].public());
        assert_eq!(fresh[0].check(&Hash::of(b"chain"), &set), Ok(()));
        assert_eq!(certifier.evidence(0, 10), fresh);
        assert_eq!(certifier.evidence_count(), 1);
        // The same vote again files nothing new.
        certifier
            .on_vote(forged.clone(), vote(&keys[1], &forged), &set)
            .unwrap();
        assert!(certifier.take_fresh_evidence().is_empty());
        assert_eq!(certifier.evidence(2, 10), vec![], "from a later height");
    }

    /// A vote against the header applied here waits until that header is certified,
    /// then conflicts with a certified header; the voter's own vote for ours, arriving
    /// later, upgrades the record to a double vote.
    #[test]
    fn a_vote_against_a_certified_header_becomes_evidence() {
        let (_dir, _store, keys, set, certifier) = four_validators();
        let forged = header(1, b"forged");
        // Before this node applied height 1: kept early.
        assert_eq!(
            certifier.on_vote(forged.clone(), vote(&keys[3], &forged), &set),
            Ok(VoteOutcome::Early)
        );
        let h1 = header(1, b"one");
        certifier.on_applied(&h1, &set, true);
        certifier
            .on_vote(h1.clone(), vote(&keys[1], &h1), &set)
            .unwrap();
        assert!(
            certifier.take_fresh_evidence().is_empty(),
            "not certified yet"
        );
        assert_eq!(
            certifier.on_vote(h1.clone(), vote(&keys[2], &h1), &set),
            Ok(VoteOutcome::Certified)
        );
        let fresh = certifier.take_fresh_evidence();
        assert_eq!(fresh.len(), 1);
        assert!(!fresh[0].is_double_vote());
        assert_eq!(fresh[0].check(&Hash::of(b"chain"), &set), Ok(()));
        // Its vote for the certified header too: a double vote replaces the record.
        assert_eq!(
            certifier.on_vote(h1.clone(), vote(&keys[3], &h1), &set),
            Ok(VoteOutcome::Ignored)
        );
        let fresh = certifier.take_fresh_evidence();
        assert_eq!(fresh.len(), 1);
        assert!(fresh[0].is_double_vote());
        assert_eq!(certifier.evidence(0, 10), fresh);
        assert_eq!(certifier.evidence_count(), 1);
    }

    /// A vote for a header of another chain is refused.
    #[test]
    fn a_vote_for_another_chain_is_refused() {
        let (_dir, _store, keys, set, certifier) = four_validators();
        let mut other = header(1, b"one");
        other.chain_id = Hash::of(b"other chain");
        assert_eq!(
            certifier.on_vote(other.clone(), vote(&keys[1], &other), &set),
            Err(VoteError::WrongChain(keys[1].public()))
        );
    }
}
