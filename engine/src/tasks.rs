//! The engine's background tasks: settle the pool and vote after each block, produce
//! blocks (leader), forward transactions (followers), housekeeping, leader watch.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, Semaphore};
use tracing::Instrument;
use truffle_consensus::{node_id_of, LedgerEvent, ValidatorNode};
use truffle_ledger::{BlockProposal, PublicKey};

use crate::certificate_repair::{repair_round, CertificateGaps};
use crate::engine::{current_validators, state_nonce, Engine};
use crate::protocol::{PeerRequest, PeerResponse, MAX_FORWARD_BATCH};

/// Follows applied blocks: settles the pool, votes on headers.
pub(crate) async fn apply_events(node: Engine) {
    let mut events = node.subscribe();
    loop {
        match events.recv().await {
            Ok(LedgerEvent::Block(block)) => node.on_block_applied(&block),
            Ok(LedgerEvent::SnapshotInstalled { .. }) => {
                node.inner
                    .snapshots_installed
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let mut pool = node.inner.mempool.lock().expect("mempool lock poisoned");
                pool.block_applied();
            }
            Ok(LedgerEvent::ServiceApplied { .. }) => {}
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(target: "node", missed, "event consumer lagged; pool will settle by expiry");
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Counts leader changes as Raft reports them (not only when scraped).
pub(crate) async fn watch_leader(node: Engine) {
    let mut raft = node.inner.raft.metrics();
    loop {
        let leader = raft.borrow_and_update().current_leader;
        node.inner.metrics.on_leader(leader);
        tokio::select! {
            changed = raft.changed() => if changed.is_err() { return },
            _ = node.inner.shutdown.notified() => return,
        }
    }
}

/// The bytes of transactions a block may carry: the genesis budget of the proposal's
/// encoding, less the proposal's own fields (key, time, the list's length).
pub(crate) fn block_transaction_bytes(params: &truffle_ledger::types::ChainParams) -> u64 {
    let empty = BlockProposal {
        proposer: PublicKey([0; 32]),
        time_ms: 0,
        transactions: Vec::new(),
    };
    let overhead = borsh::object_length(&empty).expect("measuring cannot fail") as u64;
    params.block_bytes().saturating_sub(overhead)
}

/// On the leader: takes batches from the pool and proposes them as blocks, keeping a
/// few proposals in flight so that batching and replication overlap.
pub(crate) async fn produce_blocks(node: Engine) {
    let in_flight = Arc::new(Semaphore::new(
        node.inner.config.max_proposals_in_flight.max(1),
    ));
    let max_batch = node.inner.config.max_block_transactions;
    let max_batch_bytes = block_transaction_bytes(&node.inner.genesis.params);
    let time_step = node.inner.genesis.params.block_time_step_ms();
    let max_in_flight = node.inner.config.max_proposals_in_flight.max(1);
    let batch_wait = Duration::from_millis(node.inner.config.block_batch_wait_ms);
    loop {
        tokio::select! {
            _ = node.inner.producer_wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            _ = node.inner.shutdown.notified() => return,
        }
        if !node.is_leader() {
            continue;
        }
        loop {
            let Ok(permit) = in_flight.clone().acquire_owned().await else {
                return;
            };
            // Another block is on its way: a short wait makes this one fuller, which
            // pays the per-block costs (log sync, replication, votes) less often.
            let another_in_flight = in_flight.available_permits() + 1 < max_in_flight;
            if another_in_flight && !batch_wait.is_zero() {
                let pooled = node
                    .inner
                    .mempool
                    .lock()
                    .expect("mempool lock poisoned")
                    .len();
                if pooled < max_batch {
                    tokio::time::sleep(batch_wait).await;
                }
            }
            let batch = {
                let store = node.inner.store.clone();
                let mut pool = node.inner.mempool.lock().expect("mempool lock poisoned");
                pool.take_batch(max_batch, max_batch_bytes, |signer| {
                    state_nonce(&store, signer)
                })
            };
            // Fault injection only (a lying leader, for tests); the identity otherwise.
            let batch = node.tamper_batch(batch);
            if batch.is_empty() {
                // Chain time more than a step behind the clock (the chain was stopped):
                // empty blocks bring it back, one step each, one at a time.
                let alone = in_flight.available_permits() + 1 >= max_in_flight;
                let behind = node.head().is_ok_and(|h| {
                    h.height > 0 && h.time_ms.saturating_add(time_step) < node.now_ms()
                });
                if !(alone && behind) {
                    break;
                }
            }
            let span = tracing::debug_span!(target: "producer", "propose", txs = batch.len());
            if tracing::enabled!(target: "producer", tracing::Level::TRACE) {
                for tx in &batch {
                    tracing::trace!(target: "producer", parent: &span, tx = %tx.hash(), "proposed");
                }
            }
            // Queue in order here (Raft keeps the order of queued entries); only the
            // wait for the commit runs in its own task, so proposals overlap.
            match node
                .enqueue_proposal(batch.clone())
                .instrument(span.clone())
                .await
            {
                Ok(committed) => {
                    let proposer = node.clone();
                    tokio::spawn(async move {
                        let _permit = permit;
                        match committed.instrument(span).await {
                            // Followers learn the new commit index with the next message
                            // from the leader; send it now rather than at the next heartbeat,
                            // so clients reading from any node see the block at once.
                            Ok(height) => {
                                tracing::debug!(target: "producer", height, "proposal committed");
                                let _ = proposer.inner.raft.trigger().heartbeat().await;
                            }
                            Err(error) => {
                                tracing::debug!(target: "producer", %error, "proposal failed; transactions return to the pool");
                                proposer
                                    .inner
                                    .mempool
                                    .lock()
                                    .expect("mempool lock poisoned")
                                    .return_batch(&batch);
                            }
                        }
                    });
                }
                Err(error) => {
                    tracing::debug!(target: "producer", %error, "proposal refused; transactions return to the pool");
                    node.inner
                        .mempool
                        .lock()
                        .expect("mempool lock poisoned")
                        .return_batch(&batch);
                    break;
                }
            }
        }
    }
}

/// On followers: hands pooled transactions to the leader, again after a pause if
/// they have not landed in a block (the leader may have changed meanwhile).
pub(crate) async fn forward_transactions(node: Engine) {
    let mut last_leader = None;
    loop {
        tokio::select! {
            _ = node.inner.forwarder_wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            _ = node.inner.shutdown.notified() => return,
        }
        if node.is_leader() {
            continue;
        }
        let Some(leader) = node.leader_key() else {
            continue;
        };
        if last_leader != Some(leader) {
            // Transactions handed to a leader that is gone may never be proposed: hand
            // them to the new one now rather than after the retry pause.
            node.inner
                .mempool
                .lock()
                .expect("mempool lock poisoned")
                .forget_forwarding();
            last_leader = Some(leader);
        }
        if leader == node.key().public() {
            continue;
        }
        let batch = node
            .inner
            .mempool
            .lock()
            .expect("mempool lock poisoned")
            .take_for_forwarding(
                Duration::from_secs(2),
                MAX_FORWARD_BATCH,
                node.inner.clock.monotonic_ms(),
            );
        if batch.is_empty() {
            continue;
        }
        match node
            .send_to_peer(&leader, &PeerRequest::ForwardTransactions(batch.clone()))
            .await
        {
            Ok(PeerResponse::Forwarded(verdicts)) => {
                // The leader refused some outright (for example, a replayed nonce):
                // they will never be in a block, so drop them here too.
                let mut pool = node.inner.mempool.lock().expect("mempool lock poisoned");
                for (tx, verdict) in batch.iter().zip(verdicts) {
                    if let Err(rejection) = verdict {
                        tracing::debug!(target: "forwarder", %rejection, "leader refused a forwarded transaction");
                        pool.remove(&tx.hash());
                    }
                }
            }
            Ok(_) => {}
            Err(error) => {
                tracing::debug!(target: "forwarder", %error, "forwarding failed; will retry")
            }
        }
    }
}

/// Periodic chores: expire old pool entries, fetch missing certificates, follow
/// validator-set changes (transport allowlist; Raft membership on the leader).
pub(crate) async fn housekeeping(node: Engine) {
    let mut known_validators: BTreeMap<truffle_ledger::PublicKey, String> = BTreeMap::new();
    let mut known_followers: Option<Vec<truffle_ledger::PublicKey>> = None;
    let mut last_resend = std::time::Instant::now();
    let mut certificate_gaps = CertificateGaps::default();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = node.inner.shutdown.notified() => return,
        }
        if last_resend.elapsed() >= crate::evidence_relay::RESEND_EVERY {
            last_resend = std::time::Instant::now();
            node.resend_undelivered_evidence();
        }
        let expired = node
            .inner
            .mempool
            .lock()
            .expect("mempool lock poisoned")
            .expire(node.inner.clock.monotonic_ms());
        if !expired.is_empty() {
            tracing::info!(target: "node", count = expired.len(), "transactions expired from the pool");
        }
        repair_certificates(&node, &mut certificate_gaps).await;
        // Followers allowed or revoked by a block: the transport admits or cuts them.
        if let Ok(grants) = truffle_ledger::exec::allowed_followers(&node.inner.store) {
            let followers: Vec<_> = grants.into_iter().map(|g| g.key).collect();
            if known_followers.as_ref() != Some(&followers) {
                node.inner.p2p.set_followers(followers.clone()).await;
                known_followers = Some(followers);
            }
        }
        if let Ok(validators) = current_validators(&node.inner.store) {
            let now: BTreeMap<_, _> = validators.into_iter().collect();
            if now != known_validators {
                let addresses = now
                    .iter()
                    .filter_map(|(k, a)| a.parse().ok().map(|a| (*k, a)))
                    .collect();
                node.inner.p2p.set_validators(addresses).await;
                known_validators = now;
            }
            if node.is_leader() {
                sync_membership(&node, &known_validators).await;
            }
        }
    }
}

/// Makes the Raft voters equal to the ledger's validator set (leader only).
async fn sync_membership(node: &Engine, validators: &BTreeMap<truffle_ledger::PublicKey, String>) {
    let wanted: BTreeMap<u64, ValidatorNode> = validators
        .iter()
        .map(|(key, address)| {
            (
                node_id_of(key),
                ValidatorNode {
                    key: key.to_hex(),
                    p2p_address: address.clone(),
                },
            )
        })
        .collect();
    let membership = node.inner.raft.metrics().borrow().membership_config.clone();
    let voters: BTreeSet<u64> = membership.membership().voter_ids().collect();
    let wanted_ids: BTreeSet<u64> = wanted.keys().copied().collect();
    if voters == wanted_ids {
        return;
    }
    for (id, member) in &wanted {
        if membership.membership().get_node(id).is_none() {
            tracing::info!(target: "node", id, address = %member.p2p_address, "adding validator as learner");
            if let Err(error) = node.inner.raft.add_learner(*id, member.clone(), true).await {
                tracing::warn!(target: "node", %error, "add learner failed");
                return;
            }
        }
    }
    tracing::info!(target: "node", ?wanted_ids, "changing Raft voters to the ledger's validator set");
    if let Err(error) = node.inner.raft.change_membership(wanted_ids, false).await {
        tracing::warn!(target: "node", %error, "membership change failed");
    }
}

/// Fetches the certificates this node lacks from its peers, lowest gap first, and
/// votes again on heights that stayed uncertified a round (`certificate_repair`).
async fn repair_certificates(node: &Engine, gaps: &mut CertificateGaps) {
    let Ok(head) = node.head() else { return };
    let own = node.key().public();
    let peers: Vec<PublicKey> = node
        .validator_keys()
        .into_iter()
        .filter(|v| *v != own)
        .collect();
    let ask = |peer: PublicKey, from: u64, to: u64| {
        let node = node.clone();
        async move {
            let request = PeerRequest::GetCertificates { from, to };
            match node.send_to_peer(&peer, &request).await {
                Ok(PeerResponse::Certificates(certificates)) => Some(certificates),
                _ => None,
            }
        }
    };
    let store = &node.inner.store;
    let round = repair_round(gaps, store, &node.inner.certifier, head.height, &peers, ask).await;
    for height in round.accepted {
        node.note_certified(height);
    }
    node.send_fresh_evidence();
    for header in round.vote_again {
        tracing::debug!(target: "certifier", height = header.height, "still uncertified: voting again");
        node.vote_on(&header);
    }
}
