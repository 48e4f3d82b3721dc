//! Follower nodes: full nodes that verify everything and vote on nothing.
//!
//! A follower (a seller's own node) is never a Raft member: it receives no Raft log, so
//! no replicated service data (sealed member records, sessions, vault wrappings). It
//! asks the validators for **certified blocks** over the peer transport
//! ([`FollowerRequest::Blocks`]), and applies one only when
//!
//! 1. the block follows its head (height, parent hash) and its body matches its header,
//! 2. its certificate is for that header and carries `⌊2n/3⌋ + 1` valid signatures of
//!    the set in force after the parent, read from the follower's **own** state (which
//!    it computed itself from the genesis, so no single validator chooses the set), and
//! 3. executing the block's transactions on its own state gives exactly that header
//!    (state root, receipts, everything).
//!
//! Anything else is refused, counted, and the follower asks another validator. Client
//! transactions are handed to a validator ([`FollowerRequest::Submit`]), which pools
//! them like its own; the follower then sees them in a certified block like any other.
//!
//! Validators answer only followers an admin allowed on the ledger
//! (`Payload::SetFollower`): the transport admits their keys, and the handler checks
//! the grant again on every request, so a revocation applied by a block cuts a
//! follower off even before the transport drops its connection.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use borsh::{BorshDeserialize, BorshSerialize};
use truffle_consensus::LedgerEvent;
use truffle_ledger::exec::{execute_block_with, Signatures};
use truffle_ledger::state::StateView;
use truffle_ledger::{
    Block, BlockHeader, BlockProposal, Certificate, Hash, PublicKey, Rejection, SignedTransaction,
};

use crate::engine::Engine;
use crate::error::{PeerError, Refusal};
use crate::follower_snapshot::SnapshotRefusal;
use crate::protocol::MAX_FORWARD_BATCH;
use truffle_store::Store;

/// Most blocks a validator sends in one answer.
pub const MAX_BLOCKS_PER_REQUEST: u32 = 64;
/// A validator stops adding blocks to an answer past this many bytes (the transport
/// carries at most 32 MiB).
pub const MAX_BLOCKS_BYTES: usize = 8 << 20;
/// How long a caught-up follower waits before asking again.
const POLL_EVERY: Duration = Duration::from_millis(100);

/// A follower node's request to a validator.
#[derive(Clone, Debug, BorshSerialize, BorshDeserialize)]
pub enum FollowerRequest {
    /// Certified blocks from height `from` on, at most `max`.
    Blocks {
        /// First height wanted.
        from: u64,
        /// Most blocks wanted.
        max: u32,
    },
    /// Client transactions for the validator's pool.
    Submit(Vec<SignedTransaction>),
    /// A chunk of the validator's current snapshot, from byte `offset`.
    Snapshot {
        /// First byte wanted.
        offset: u64,
    },
}

/// A block with the certificate that lets a follower apply it.
#[derive(Clone, Debug, BorshSerialize, BorshDeserialize)]
pub struct CertifiedBlock {
    /// The block.
    pub block: Block,
    /// Its certificate.
    pub certificate: Certificate,
}

/// A validator's answer to a [`FollowerRequest`].
#[derive(Debug, BorshSerialize, BorshDeserialize)]
pub enum FollowerResponse {
    /// Certified blocks in height order (none when the follower is caught up).
    Blocks(Vec<CertifiedBlock>),
    /// One verdict per submitted transaction.
    Submitted(Vec<Result<Hash, Rejection>>),
    /// A chunk of the current snapshot.
    SnapshotChunk {
        /// Names the snapshot file: a chunk of another one means starting again.
        id: u64,
        /// Its length.
        total: u64,
        /// The bytes from the offset asked for (at most 3 MiB).
        bytes: Vec<u8>,
    },
    /// The validator has no snapshot yet.
    NoSnapshot,
}

/// Why a follower refused a block a validator sent.
#[derive(Debug, thiserror::Error)]
pub enum FollowRefusal {
    /// Not the next block after the follower's head.
    #[error("block {height} does not follow the head {head}")]
    NotNext {
        /// The block's height.
        height: u64,
        /// The follower's head.
        head: u64,
    },
    /// The body does not match the header's roots.
    #[error("the body of block {0} does not match its header")]
    BadBody(u64),
    /// The certificate does not certify the header under the set in force.
    #[error("block {height}: bad certificate: {error}")]
    BadCertificate {
        /// The block's height.
        height: u64,
        /// What is wrong with it.
        error: truffle_ledger::certificate::CertificateError,
    },
    /// Executing the block here gave another header than the certified one.
    #[error("block {height} executes here to header {ours}, not the certified {theirs}")]
    Diverged {
        /// The block's height.
        height: u64,
        /// The header computed here.
        ours: Hash,
        /// The certified header.
        theirs: Hash,
    },
    /// The ledger refused the block.
    #[error("block {height} does not execute: {error}")]
    Execution {
        /// The block's height.
        height: u64,
        /// The ledger's error.
        error: String,
    },
}

/// Checks a certified block against the head it must follow and the certifying set.
pub fn check_certified(
    head: &BlockHeader,
    certified: &CertifiedBlock,
    validators: &std::collections::BTreeSet<PublicKey>,
) -> Result<(), FollowRefusal> {
    let header = &certified.block.header;
    if header.height != head.height + 1 || header.prev_hash != head.hash() {
        return Err(FollowRefusal::NotNext {
            height: header.height,
            head: head.height,
        });
    }
    certified
        .certificate
        .verify(header, validators)
        .map_err(|error| FollowRefusal::BadCertificate {
            height: header.height,
            error,
        })?;
    if !certified.block.check_body() {
        return Err(FollowRefusal::BadBody(header.height));
    }
    Ok(())
}

impl Engine {
    /// A follower's request, on a validator.
    pub(crate) async fn handle_follower_request(
        &self,
        from: PublicKey,
        request: FollowerRequest,
    ) -> Result<FollowerResponse, Refusal> {
        // The transport admitted the key; the ledger decides, on every request, so a
        // revocation holds from the block that applies it.
        let allowed = self
            .inner
            .store
            .get(&truffle_ledger::state::keys::follower(&from))
            .map_err(|e| Refusal::new(e.to_string()))?
            .is_some();
        if !allowed {
            return Err(Refusal::new(format!("{from} is not an allowed follower")));
        }
        match request {
            FollowerRequest::Blocks { from: first, max } => {
                let store = self.inner.store.clone();
                let forge = self.inner.config.enable_fault_injection
                    && self.inner.config.fault_forge_follower_certificates;
                let key = self.inner.key.clone();
                let chain = self.inner.chain_id;
                let blocks = tokio::task::spawn_blocking(move || {
                    let mut blocks = certified_blocks(&store, first, max, MAX_BLOCKS_BYTES)?;
                    if forge {
                        for certified in &mut blocks {
                            forge_certificate(&mut certified.certificate, &key, &chain);
                        }
                    }
                    Ok::<_, truffle_store::StoreError>(blocks)
                })
                .await
                .map_err(|e| Refusal::new(e.to_string()))?
                .map_err(|e| Refusal::new(e.to_string()))?;
                Ok(FollowerResponse::Blocks(blocks))
            }
            FollowerRequest::Submit(txs) => {
                let verdicts = self.accept_forwarded(txs).await?;
                Ok(FollowerResponse::Submitted(verdicts))
            }
            FollowerRequest::Snapshot { offset } => self.snapshot_chunk(offset).await,
        }
    }

    pub(crate) async fn ask_validator(
        &self,
        to: &PublicKey,
        request: &FollowerRequest,
    ) -> Result<FollowerResponse, PeerError> {
        let bytes = borsh::to_vec(request).expect("encoding to a Vec cannot fail");
        let answer = self
            .inner
            .p2p
            .request_follower(to, bytes)
            .await
            .map_err(|e| match e {
                truffle_consensus::network::P2pError::Refused(reason) => PeerError::Refused(reason),
                other => PeerError::Unreachable(other.to_string()),
            })?;
        borsh::from_slice(&answer).map_err(|e| PeerError::BadAnswer(e.to_string()))
    }

    /// Blocks a follower node refused since it started.
    pub fn follower_refused_blocks(&self) -> u64 {
        self.inner.follower_refused.load(Ordering::Relaxed)
    }

    /// Checks, executes and stores one certified block (follower nodes only).
    fn apply_certified(&self, certified: CertifiedBlock) -> Result<(), FollowRefusal> {
        let block = apply_certified_block(&self.inner.store, certified)?;
        let _ = self.inner.events.send(LedgerEvent::Block(Arc::new(block)));
        Ok(())
    }
}

/// The certified blocks `store` holds from height `first` on: at most `max` (clamped to
/// [`MAX_BLOCKS_PER_REQUEST`]), stopping at the first height without a certificate and
/// once the blocks pass `max_bytes`. What a validator answers a follower's
/// [`FollowerRequest::Blocks`] (with [`MAX_BLOCKS_BYTES`]) and an auditor's
/// `chain_getCertifiedBlocks`.
pub fn certified_blocks(
    store: &Store,
    first: u64,
    max: u32,
    max_bytes: usize,
) -> Result<Vec<CertifiedBlock>, truffle_store::StoreError> {
    let max = u64::from(max.clamp(1, MAX_BLOCKS_PER_REQUEST));
    let first = first.max(1);
    let mut out = Vec::new();
    let mut bytes = 0usize;
    for height in first..first.saturating_add(max) {
        let (Some(block), Some(certificate)) = (store.block(height)?, store.certificate(height)?)
        else {
            break;
        };
        bytes += borsh::object_length(&block).unwrap_or(0);
        out.push(CertifiedBlock { block, certificate });
        if bytes >= max_bytes {
            break;
        }
    }
    Ok(out)
}

/// Checks one certified block against a follower's own state (it follows the head, its
/// certificate verifies under the set in force, executing it here gives exactly its
/// header), then stores it with its certificate. Returns the block as executed here.
pub fn apply_certified_block(
    store: &Store,
    certified: CertifiedBlock,
) -> Result<Block, FollowRefusal> {
    let head = store.head().ok().flatten().ok_or(FollowRefusal::NotNext {
        height: certified.block.header.height,
        head: 0,
    })?;
    let height = certified.block.header.height;
    let validators = crate::certifier::certifying_set(store, height);
    check_certified(&head, &certified, &validators)?;
    let CertifiedBlock { block, certificate } = certified;
    let proposal = BlockProposal {
        proposer: block.header.proposer,
        time_ms: block.header.time_ms,
        transactions: block.transactions,
    };
    let executed =
        execute_block_with(store, &head, &proposal, Signatures::Verify).map_err(|e| {
            FollowRefusal::Execution {
                height,
                error: e.to_string(),
            }
        })?;
    if executed.block.header != block.header {
        return Err(FollowRefusal::Diverged {
            height,
            ours: executed.block.header.hash(),
            theirs: block.header.hash(),
        });
    }
    store
        .commit_block(&executed, &[])
        .and_then(|()| store.put_certificate(&certificate))
        .map_err(|e| FollowRefusal::Execution {
            height,
            error: e.to_string(),
        })?;
    Ok(executed.block)
}

/// Fault injection: a certificate that claims every validator signed, each slot holding
/// this validator's own signature (which verifies for no other key).
pub fn forge_certificate(
    certificate: &mut Certificate,
    key: &truffle_ledger::Keypair,
    chain: &Hash,
) {
    let message = truffle_ledger::certificate::vote_message(chain, &certificate.header_hash);
    let own = key.sign(message.as_bytes());
    // The same signer bitmap, so the count is right: only the signatures are false.
    for signature in &mut certificate.signatures {
        *signature = own;
    }
}

/// Rounds of snapshot requests while no validator is reachable yet.
const SNAPSHOT_ROUNDS: usize = 50;

/// The follower node's sync loop: asks the validators in turn for certified blocks
/// and applies those that check.
pub(crate) async fn sync(engine: Engine) {
    let mut cursor = 0usize;
    if engine.head().map(|h| h.height).unwrap_or(0) == 0 {
        // Empty: a checked snapshot first, from the first validator that has one. Just
        // after start the validators connect one by one: ask those not reached yet
        // again (bounded), so that no validator's snapshot is skipped for being slow to
        // connect, before replaying the chain from the genesis.
        let mut to_ask: Vec<PublicKey> = engine.validator_keys().into_iter().collect();
        'rounds: for _ in 0..SNAPSHOT_ROUNDS {
            let mut unreachable = Vec::new();
            for peer in to_ask {
                match engine.catch_up_by_snapshot(&peer).await {
                    Ok(height) => {
                        tracing::info!(target: "follower", %peer, height, "caught up by snapshot");
                        break 'rounds;
                    }
                    Err(error) => {
                        if matches!(error, SnapshotRefusal::Unreachable(_)) {
                            unreachable.push(peer);
                        }
                        tracing::warn!(target: "follower", %peer, %error, "snapshot not taken")
                    }
                }
            }
            if unreachable.is_empty() || engine.is_shutting_down() {
                break;
            }
            to_ask = unreachable;
            tokio::time::sleep(POLL_EVERY).await;
        }
    }
    loop {
        if engine.is_shutting_down() {
            return;
        }
        let validators: Vec<PublicKey> = crate::engine::current_validators(&engine.inner.store)
            .map(|v| v.into_iter().map(|(k, _)| k).collect())
            .unwrap_or_default();
        if validators.is_empty() {
            tokio::time::sleep(POLL_EVERY).await;
            continue;
        }
        let peer = validators[cursor % validators.len()];
        let from = engine.head().map(|h| h.height + 1).unwrap_or(1);
        let request = FollowerRequest::Blocks {
            from,
            max: MAX_BLOCKS_PER_REQUEST,
        };
        let mut wait = true;
        match engine.ask_validator(&peer, &request).await {
            Ok(FollowerResponse::Blocks(blocks)) if !blocks.is_empty() => {
                let count = blocks.len();
                let applier = engine.clone();
                let outcome = tokio::task::spawn_blocking(move || {
                    for certified in blocks {
                        applier.apply_certified(certified)?;
                    }
                    Ok::<_, FollowRefusal>(())
                })
                .await;
                match outcome {
                    Ok(Ok(())) => {
                        wait = false;
                        tracing::debug!(target: "follower", %peer, count, "certified blocks applied");
                    }
                    Ok(Err(refusal)) => {
                        engine
                            .inner
                            .follower_refused
                            .fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(target: "follower", %peer, %refusal, "block refused; asking another validator");
                        cursor += 1;
                    }
                    Err(error) => {
                        tracing::error!(target: "follower", %error, "applying blocks failed");
                        cursor += 1;
                    }
                }
            }
            // Caught up with this validator: ask the next one next time, so a validator
            // that lags (or withholds) does not hold the follower back.
            Ok(_) => cursor += 1,
            Err(error) => {
                tracing::debug!(target: "follower", %peer, %error, "sync request failed");
                cursor += 1;
            }
        }
        if wait {
            tokio::select! {
                _ = tokio::time::sleep(POLL_EVERY) => {}
                _ = engine.inner.shutdown.notified() => return,
            }
        }
    }
}

/// The follower node's forwarder: hands pooled client transactions to a validator.
pub(crate) async fn forward(engine: Engine) {
    let mut cursor = 0usize;
    loop {
        tokio::select! {
            _ = engine.inner.forwarder_wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            _ = engine.inner.shutdown.notified() => return,
        }
        let batch = engine
            .inner
            .mempool
            .lock()
            .expect("mempool lock poisoned")
            .take_for_forwarding(
                Duration::from_secs(2),
                MAX_FORWARD_BATCH,
                engine.inner.clock.monotonic_ms(),
            );
        if batch.is_empty() {
            continue;
        }
        let validators: Vec<PublicKey> = engine.validator_keys().into_iter().collect();
        if validators.is_empty() {
            continue;
        }
        let peer = validators[cursor % validators.len()];
        match engine
            .ask_validator(&peer, &FollowerRequest::Submit(batch.clone()))
            .await
        {
            Ok(FollowerResponse::Submitted(verdicts)) => {
                let mut pool = engine.inner.mempool.lock().expect("mempool lock poisoned");
                for (tx, verdict) in batch.iter().zip(verdicts) {
                    if let Err(rejection) = verdict {
                        tracing::debug!(target: "follower", %rejection, "validator refused a forwarded transaction");
                        pool.remove(&tx.hash());
                    }
                }
            }
            Ok(_) => cursor += 1,
            Err(error) => {
                tracing::debug!(target: "follower", %peer, %error, "forwarding failed; will retry");
                // The pool hands the batch out again after its pause; another validator
                // takes it then.
                cursor += 1;
            }
        }
    }
}

/// The follower node's chores: expire old pool entries, dial validators the set
/// changes name.
pub(crate) async fn housekeeping(engine: Engine) {
    let mut known = Vec::new();
    let mut certificates_from = 1u64;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = engine.inner.shutdown.notified() => return,
        }
        engine
            .inner
            .mempool
            .lock()
            .expect("mempool lock poisoned")
            .expire(engine.inner.clock.monotonic_ms());
        certificates_from = engine.fill_missing_certificates(certificates_from).await;
        if let Ok(validators) = crate::engine::current_validators(&engine.inner.store) {
            if validators != known {
                let addresses = validators
                    .iter()
                    .filter_map(|(k, a)| a.parse().ok().map(|a| (*k, a)))
                    .collect();
                engine.inner.p2p.set_validators(addresses).await;
                known = validators;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use truffle_ledger::exec::GenesisState;
    use truffle_ledger::types::{ChainParams, Validator};
    use truffle_ledger::{Keypair, MemoryChain, Payload};

    /// A certificate whose signatures are one validator's, repeated, certifies nothing;
    /// nor does one with too few signers; a block out of order or with another body is
    /// refused before it executes.
    #[test]
    fn forged_and_misplaced_blocks_are_refused() {
        let keys: Vec<Keypair> = (0..4)
            .map(|i| Keypair::from_name(&format!("v{i}")))
            .collect();
        let admin = Keypair::from_name("admin");
        let genesis_state = GenesisState {
            chain_id: Hash::of(b"follower-tests"),
            time_ms: 1_000,
            params: ChainParams::default(),
            admins: vec![admin.public()],
            validators: keys
                .iter()
                .enumerate()
                .map(|(i, k)| Validator {
                    key: k.public(),
                    name: format!("v{i}"),
                    p2p_address: "/ip4/127.0.0.1/tcp/30333".into(),
                    since_height: 0,
                })
                .collect(),
        };
        let mut chain = MemoryChain::new(&genesis_state).unwrap();
        let genesis = chain.head().clone();
        let tx = chain
            .sign(
                &admin,
                Payload::SetFollower {
                    key: Keypair::from_name("f").public(),
                    allowed: true,
                },
            )
            .unwrap();
        let block = chain
            .apply(&BlockProposal {
                proposer: keys[0].public(),
                time_ms: 2_000,
                transactions: vec![tx],
            })
            .unwrap();
        let set: BTreeSet<PublicKey> = keys.iter().map(|k| k.public()).collect();
        let certify = |signers: &[Keypair]| {
            Certificate::from_votes(
                &block.header,
                &set,
                signers
                    .iter()
                    .map(|k| truffle_ledger::certificate::vote(k, &block.header)),
            )
        };
        let good = CertifiedBlock {
            block: block.clone(),
            certificate: certify(&keys[..3]),
        };
        check_certified(&genesis, &good, &set).unwrap();

        let mut forged = good.clone();
        forge_certificate(&mut forged.certificate, &keys[0], &chain.chain_id());
        assert!(matches!(
            check_certified(&genesis, &forged, &set),
            Err(FollowRefusal::BadCertificate { .. })
        ));

        let mut two = good.clone();
        two.certificate = certify(&keys[..2]);
        assert!(matches!(
            check_certified(&genesis, &two, &set),
            Err(FollowRefusal::BadCertificate { .. })
        ));

        assert!(matches!(
            check_certified(&block.header, &good, &set),
            Err(FollowRefusal::NotNext { .. })
        ));

        let mut body = good;
        body.block.receipts.clear();
        assert!(matches!(
            check_certified(&genesis, &body, &set),
            Err(FollowRefusal::BadBody(_))
        ));
    }
}
