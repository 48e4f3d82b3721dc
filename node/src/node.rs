//! The running node: consensus, transport, pool, producer and certifier wired together.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;
use openraft::ServerState;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, Notify};
use truffle_consensus::network::{AppHandler, NetworkFactory, P2p, P2pConfig, PeerInfo};
use truffle_consensus::{
    genesis_membership, node_id_of, open_parts, raft_config, AppCommand, Command, LedgerEvent,
    NodeId, Raft, RaftTiming, ServiceApplier,
};
use truffle_genesis::GenesisSpec;
use truffle_ledger::state::{decode_record, keys, StateView};
use truffle_ledger::types::Account;
use truffle_ledger::{
    Block, BlockHeader, BlockProposal, Effect, Hash, Keypair, Outcome, PublicKey, Rejection,
    SignedTransaction,
};
use truffle_store::Store;

use crate::certifier::Certifier;
use crate::config::NodeConfig;
use crate::mempool::{Mempool, PoolError};
use crate::messages::{NodeRequest, NodeResponse, MAX_CERTIFICATES_PER_REQUEST, MAX_FORWARD_BATCH};
use crate::NodeError;

/// Why a submitted transaction was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The ledger refuses it (decoding, chain, signature, signer, nonce).
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The pool cannot take it now.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// The node cannot take transactions now.
    #[error("node unavailable: {0}")]
    Unavailable(String),
}

/// Where a transaction stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum TxStatus {
    /// Waiting in this node's pool.
    Pending,
    /// Applied in a block.
    Committed {
        /// Block height.
        height: u64,
        /// Position in the block.
        index: u32,
        /// What it did.
        effect: Effect,
        /// Whether the block has a certificate yet.
        certified: bool,
    },
    /// Included in a block and refused.
    Rejected {
        /// Block height.
        height: u64,
        /// Position in the block.
        index: u32,
        /// Why.
        rejection: Rejection,
    },
    /// Not known to this node.
    Unknown,
}

/// A node's view of the cluster.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Health {
    /// leader, follower, candidate or learner.
    pub role: String,
    /// This node's key.
    pub node_key: PublicKey,
    /// This node's Raft id.
    pub node_id: NodeId,
    /// The leader's Raft id.
    pub leader_id: Option<NodeId>,
    /// The leader's key.
    pub leader_key: Option<String>,
    /// Raft term.
    pub term: u64,
    /// Last committed log index.
    pub committed_index: Option<u64>,
    /// Last applied log index.
    pub applied_index: Option<u64>,
    /// Height of the latest applied block.
    pub height: u64,
    /// Its hash.
    pub head_hash: Hash,
    /// Its state root.
    pub state_root: Hash,
    /// Highest height with a certificate.
    pub certified_height: Option<u64>,
    /// Log index of this node's latest snapshot (built or installed).
    pub snapshot_index: Option<u64>,
    /// Log entries up to this index are purged from this node's log.
    pub purged_index: Option<u64>,
    /// Snapshots this node installed from the leader since it started.
    pub snapshots_installed: u64,
    /// Validators known to the transport.
    pub peers: usize,
    /// Raft ids of the voting members, as this node knows them.
    pub voters: Vec<NodeId>,
    /// Transactions waiting in this node's pool.
    pub pending_transactions: usize,
    /// Seconds since start.
    pub uptime_secs: u64,
    /// The chain.
    pub chain_id: Hash,
}

pub(crate) struct NodeInner {
    pub(crate) config: NodeConfig,
    pub(crate) genesis: GenesisSpec,
    pub(crate) chain_id: Hash,
    pub(crate) key: Keypair,
    pub(crate) node_id: NodeId,
    pub(crate) store: Store,
    pub(crate) raft: Raft,
    pub(crate) p2p: P2p,
    pub(crate) mempool: Mutex<Mempool>,
    /// Wakes the producer (a permit is kept if it is busy, so no arrival is missed).
    pub(crate) producer_wake: Notify,
    /// Wakes the forwarder, likewise.
    pub(crate) forwarder_wake: Notify,
    pub(crate) events: broadcast::Sender<LedgerEvent>,
    pub(crate) certifier: Certifier,
    pub(crate) certified_height: Mutex<Option<u64>>,
    pub(crate) snapshots_installed: std::sync::atomic::AtomicU64,
    pub(crate) started: Instant,
    pub(crate) registrar_nonce: Mutex<Option<u64>>,
    pub(crate) members: crate::services::members::Members,
    pub(crate) verified: truffle_consensus::VerifiedSignatures,
    pub(crate) recommender: crate::recommend::Recommender,
    pub(crate) catalog: crate::catalog::Catalog,
    pub(crate) ads: crate::ads::AdBoard,
    pub(crate) market: crate::market::Market,
    pub(crate) chat: crate::chat::ChatHub,
    pub(crate) kakao: crate::kakao::Kakao,
    pub(crate) shutdown: ShutdownSignal,
    /// Set while a backup runs: one checkpoint at a time.
    pub(crate) backup_running: std::sync::atomic::AtomicBool,
    pub(crate) metrics: Arc<crate::metrics::NodeMetrics>,
    pub(crate) operator_token: crate::operator::OperatorToken,
}

/// Tells the node's tasks to stop. Unlike a bare [`Notify::notify_waiters`], a task
/// that is busy when shutdown begins still sees it at its next `notified()`.
#[derive(Default)]
pub(crate) struct ShutdownSignal {
    stopping: std::sync::atomic::AtomicBool,
    notify: Notify,
}

impl ShutdownSignal {
    /// Resolves once shutdown has begun (at once if it already has).
    pub(crate) async fn notified(&self) {
        let notified = self.notify.notified();
        tokio::pin!(notified);
        // Registered before the flag is read, so a trigger in between is not lost.
        notified.as_mut().enable();
        if self.stopping.load(std::sync::atomic::Ordering::Acquire) {
            return;
        }
        notified.await;
    }

    fn trigger(&self) {
        self.stopping
            .store(true, std::sync::atomic::Ordering::Release);
        self.notify.notify_waiters();
    }

    fn is_triggered(&self) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::Acquire)
    }
}

/// A running node. Cheap to clone.
#[derive(Clone)]
pub struct Node {
    pub(crate) inner: Arc<NodeInner>,
}

struct AppRouter {
    node: OnceLock<Weak<NodeInner>>,
}

impl AppHandler for AppRouter {
    fn handle(
        &self,
        from: PublicKey,
        request: Vec<u8>,
    ) -> BoxFuture<'static, Result<Vec<u8>, String>> {
        let node = self
            .node
            .get()
            .and_then(Weak::upgrade)
            .map(|inner| Node { inner });
        Box::pin(async move {
            let node = node.ok_or("node is starting")?;
            let request: NodeRequest =
                borsh::from_slice(&request).map_err(|e| format!("bad request: {e}"))?;
            let response = node.handle_peer_request(from, request).await?;
            Ok(borsh::to_vec(&response).expect("encoding to a Vec cannot fail"))
        })
    }
}

/// A Raft role as health and metrics name it.
pub(crate) fn role_name(state: ServerState) -> &'static str {
    match state {
        ServerState::Leader => "leader",
        ServerState::Follower => "follower",
        ServerState::Candidate => "candidate",
        ServerState::Learner => "learner",
        ServerState::Shutdown => "shutdown",
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Node {
    /// Opens the store, starts the transport and Raft, and the node's tasks.
    pub async fn launch(
        config: NodeConfig,
        genesis: GenesisSpec,
        key: Keypair,
        services: Arc<dyn ServiceApplier>,
        members: crate::services::members::Members,
    ) -> Result<Node, NodeError> {
        genesis
            .validate()
            .map_err(|e| NodeError::Config(e.to_string()))?;
        let chain_id = genesis.chain_id();
        let genesis_state = genesis.to_state();
        config
            .validate()
            .map_err(|e| NodeError::Config(e.to_string()))?;
        std::fs::create_dir_all(&config.data_dir)?;
        let operator_token = crate::operator::OperatorToken::load_or_create(&config)?;
        let store = Store::open(&config.data_dir.join("db"))?;
        // Signatures verified at ingress are not verified again when their block applies.
        let verified = truffle_consensus::VerifiedSignatures::new(1 << 16);
        let parts = open_parts(
            &store,
            &genesis_state,
            config.data_dir.join("snapshots"),
            services,
            verified.clone(),
        )?;
        let events = parts.events.clone();

        let node_id = node_id_of(&key.public());
        let validators = current_validators(&store)?;
        let own = validators.iter().find(|(k, _)| *k == key.public()).cloned();
        let listen = match (&config.p2p_listen, &own) {
            (Some(listen), _) => listen.clone(),
            (None, Some((_, address))) => address.clone(),
            (None, None) => "/ip4/127.0.0.1/tcp/0".to_owned(),
        };
        let router = Arc::new(AppRouter {
            node: OnceLock::new(),
        });
        let p2p = P2p::start(
            P2pConfig {
                keypair: key.clone(),
                listen: listen
                    .parse()
                    .map_err(|e| NodeError::Config(format!("p2p address {listen}: {e}")))?,
                chain_id,
                validators: validators
                    .iter()
                    .filter_map(|(k, a)| a.parse().ok().map(|a| (*k, a)))
                    .collect(),
                // The last chunk of a snapshot is answered only once the receiver has
                // rebuilt its state from it: seconds on a loaded machine. Dead peers fail
                // fast anyway (the connection closes), so a long timeout costs nothing.
                request_timeout: Duration::from_secs(60),
            },
            router.clone(),
        )?;
        let timing = RaftTiming {
            heartbeat_ms: config.raft_heartbeat_ms,
            election_timeout_ms: (config.raft_election_min_ms, config.raft_election_max_ms),
            snapshot_every_entries: config.snapshot_every_entries,
            keep_entries_behind_snapshot: (config.snapshot_every_entries / 4).max(100),
        };
        let raft = Raft::new(
            node_id,
            raft_config(&chain_id, &timing)?,
            NetworkFactory::new(p2p.clone()),
            parts.log_store,
            parts.state_machine,
        )
        .await
        .map_err(|e| NodeError::Consensus(e.to_string()))?;
        p2p.set_raft(raft.clone());

        let in_genesis = genesis.validators.iter().any(|v| v.key == key.public());
        if in_genesis {
            let initialized = raft
                .is_initialized()
                .await
                .map_err(|e| NodeError::Consensus(e.to_string()))?;
            if !initialized {
                // Every genesis validator initializes with the same membership, so the
                // first log entry is identical everywhere.
                if let Err(error) = raft.initialize(genesis_membership(&genesis_state)).await {
                    tracing::debug!(target: "node", %error, "raft already initialized");
                }
            }
        } else {
            tracing::info!(target: "node", key = %key.public(), "not a genesis validator: waiting to be added to the cluster");
        }

        let chain_params_cap = genesis.params.max_block_transactions as usize;
        let mut config = config;
        config.max_block_transactions = config.max_block_transactions.min(chain_params_cap).max(1);
        let mempool = Mempool::new(
            config.mempool_capacity,
            config.mempool_per_signer,
            Duration::from_secs(config.mempool_max_age_secs),
        );
        let certifier = Certifier::new(key.clone(), chain_id, store.clone());
        let catalog = crate::catalog::Catalog::new(
            store.clone(),
            config.data_dir.join(crate::catalog::INDEX_DIR),
        );
        let ads = crate::ads::AdBoard::new(store.clone());
        let market = crate::market::Market::new(&config, &chain_id, &key, store.clone())?;
        let chat = crate::chat::ChatHub::new(&config);
        let kakao = crate::kakao::Kakao::new(&config)?;
        let inner = Arc::new(NodeInner {
            config,
            genesis,
            chain_id,
            key,
            node_id,
            store,
            raft,
            p2p,
            mempool: Mutex::new(mempool),
            producer_wake: Notify::new(),
            forwarder_wake: Notify::new(),
            events,
            certifier,
            certified_height: Mutex::new(None),
            snapshots_installed: std::sync::atomic::AtomicU64::new(0),
            started: Instant::now(),
            registrar_nonce: Mutex::new(None),
            members,
            verified,
            recommender: crate::recommend::Recommender::new(),
            catalog,
            ads,
            market,
            chat,
            kakao,
            shutdown: ShutdownSignal::default(),
            backup_running: std::sync::atomic::AtomicBool::new(false),
            metrics: Arc::new(crate::metrics::NodeMetrics::default()),
            operator_token,
        });
        let _ = router.node.set(Arc::downgrade(&inner));
        let node = Node { inner };
        node.spawn_tasks();
        Ok(node)
    }

    fn spawn_tasks(&self) {
        tokio::spawn(crate::tasks::apply_events(self.clone()));
        tokio::spawn(crate::tasks::produce_blocks(self.clone()));
        tokio::spawn(crate::tasks::forward_transactions(self.clone()));
        tokio::spawn(crate::tasks::housekeeping(self.clone()));
        tokio::spawn(crate::tasks::watch_leader(self.clone()));
        tokio::spawn(crate::catalog::follow(self.clone()));
        tokio::spawn(crate::recommend::reader::follow(self.clone()));
        tokio::spawn(crate::market::run(self.clone()));
        tokio::spawn(crate::chat::run(self.clone()));
    }

    /// The chain id.
    pub fn chain_id(&self) -> Hash {
        self.inner.chain_id
    }

    /// The genesis spec.
    pub fn genesis(&self) -> &GenesisSpec {
        &self.inner.genesis
    }

    /// The node's key.
    pub fn key(&self) -> &Keypair {
        &self.inner.key
    }

    /// The node's configuration.
    pub fn config(&self) -> &NodeConfig {
        &self.inner.config
    }

    /// The node's database.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Applied blocks and snapshots as they happen.
    pub fn subscribe(&self) -> broadcast::Receiver<LedgerEvent> {
        self.inner.events.subscribe()
    }

    /// The latest applied header.
    pub fn head(&self) -> Result<BlockHeader, NodeError> {
        self.inner
            .store
            .head()?
            .ok_or_else(|| NodeError::Config("the store has no genesis block".into()))
    }

    /// Whether this node is the Raft leader.
    pub fn is_leader(&self) -> bool {
        let metrics = self.inner.raft.metrics();
        let metrics = metrics.borrow();
        metrics.state == ServerState::Leader && metrics.current_leader == Some(self.inner.node_id)
    }

    /// The leader's key, if one is known.
    pub fn leader_key(&self) -> Option<PublicKey> {
        let metrics = self.inner.raft.metrics();
        let metrics = metrics.borrow();
        let leader = metrics.current_leader?;
        let node = metrics.membership_config.membership().get_node(&leader)?;
        PublicKey::from_hex(&node.key).ok()
    }

    /// The Raft handle (for membership changes and tests).
    pub fn raft(&self) -> &Raft {
        &self.inner.raft
    }

    /// The transport.
    pub fn p2p(&self) -> &P2p {
        &self.inner.p2p
    }

    /// The nonce an account's next transaction must carry.
    pub fn next_nonce(&self, account: &PublicKey) -> Result<u64, NodeError> {
        Ok(self.account(account)?.map(|a| a.nonce).unwrap_or(0))
    }

    /// An account's record.
    pub fn account(&self, account: &PublicKey) -> Result<Option<Account>, NodeError> {
        match self.inner.store.get(&keys::account(account))? {
            Some(bytes) => Ok(Some(decode_record("account", &bytes)?)),
            None => Ok(None),
        }
    }

    /// Decodes, checks and pools a transaction from a client. Returns its hash.
    pub fn submit_transaction(&self, bytes: &[u8]) -> Result<Hash, SubmitError> {
        let tx = SignedTransaction::decode(bytes)?;
        self.accept_transaction(tx)
    }

    /// Checks and pools a transaction (from a client or a peer).
    pub fn accept_transaction(&self, tx: SignedTransaction) -> Result<Hash, SubmitError> {
        let result = self.pool_transaction(tx);
        self.inner.metrics.on_submitted(&result);
        match &result {
            Ok(hash) => tracing::debug!(target: "node::mempool", tx = %hash, "pooled"),
            Err(error) => tracing::debug!(target: "node::mempool", %error, "refused"),
        }
        result
    }

    fn pool_transaction(&self, tx: SignedTransaction) -> Result<Hash, SubmitError> {
        let hash = tx.check_stateless(&self.inner.chain_id)?;
        self.inner.verified.insert(hash, tx.signature);
        // Cheap stateful checks up front, so that clients hear at once about the
        // mistakes that would only make a block refuse the transaction.
        let account = self
            .account(&tx.tx.signer)
            .map_err(|e| SubmitError::Unavailable(e.to_string()))?
            .ok_or(Rejection::UnknownSigner {
                signer: tx.tx.signer,
            })?;
        if account.status != truffle_ledger::types::AccountStatus::Active {
            return Err(Rejection::SignerNotActive {
                status: account.status,
            }
            .into());
        }
        let applied_before = self
            .inner
            .store
            .tx_receipt(&hash)
            .map_err(|e| SubmitError::Unavailable(e.to_string()))?
            .is_some_and(|(_, receipt)| receipt.is_applied());
        if applied_before {
            // Resubmitting an applied transaction is harmless: answer with its hash.
            return Ok(hash);
        }
        // A transaction a block refused left its nonce unused: it may apply now (the
        // raffle opened, the seller was approved), so it is pooled again.
        if tx.tx.nonce < account.nonce {
            return Err(Rejection::NonceReplayed {
                expected: account.nonce,
                got: tx.tx.nonce,
            }
            .into());
        }
        self.inner
            .mempool
            .lock()
            .expect("mempool lock poisoned")
            .insert(hash, tx)?;
        self.inner.producer_wake.notify_one();
        self.inner.forwarder_wake.notify_one();
        Ok(hash)
    }

    /// Where a transaction stands.
    pub fn transaction_status(&self, hash: &Hash) -> Result<TxStatus, NodeError> {
        if let Some((location, receipt)) = self.inner.store.tx_receipt(hash)? {
            return Ok(match &receipt.outcome {
                Outcome::Applied { effect } => TxStatus::Committed {
                    height: location.height,
                    index: location.index,
                    effect: effect.clone(),
                    certified: self.inner.store.certificate(location.height)?.is_some(),
                },
                Outcome::Rejected { rejection } => TxStatus::Rejected {
                    height: location.height,
                    index: location.index,
                    rejection: rejection.clone(),
                },
            });
        }
        if self
            .inner
            .mempool
            .lock()
            .expect("mempool lock poisoned")
            .contains(hash)
        {
            return Ok(TxStatus::Pending);
        }
        Ok(TxStatus::Unknown)
    }

    /// Waits until a transaction is in a block (or `timeout` passes).
    pub async fn wait_for_transaction(
        &self,
        hash: &Hash,
        timeout: Duration,
    ) -> Result<TxStatus, NodeError> {
        let mut events = self.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let status = self.transaction_status(hash)?;
            if matches!(
                status,
                TxStatus::Committed { .. } | TxStatus::Rejected { .. }
            ) {
                return Ok(status);
            }
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Err(_) => return Ok(status),
                Ok(Err(broadcast::error::RecvError::Closed)) => return Ok(status),
                Ok(_) => {}
            }
        }
    }

    /// The node's view of the cluster.
    pub async fn health(&self) -> Result<Health, NodeError> {
        let head = self.head()?;
        let metrics = self.inner.raft.metrics().borrow().clone();
        let role = role_name(metrics.state);
        let leader_key = metrics.current_leader.and_then(|id| {
            metrics
                .membership_config
                .membership()
                .get_node(&id)
                .map(|n| n.key.clone())
        });
        let peers = self.inner.p2p.peers().await;
        Ok(Health {
            role: role.to_owned(),
            node_key: self.inner.key.public(),
            node_id: self.inner.node_id,
            leader_id: metrics.current_leader,
            leader_key,
            term: metrics.current_term,
            committed_index: metrics
                .last_applied
                .map(|l| l.index)
                .max(metrics.last_log_index),
            applied_index: metrics.last_applied.map(|l| l.index),
            height: head.height,
            head_hash: head.hash(),
            state_root: head.state_root,
            certified_height: self.certified_height(),
            snapshot_index: metrics.snapshot.map(|l| l.index),
            purged_index: metrics.purged.map(|l| l.index),
            snapshots_installed: self
                .inner
                .snapshots_installed
                .load(std::sync::atomic::Ordering::Relaxed),
            peers: peers.len(),
            voters: metrics.membership_config.membership().voter_ids().collect(),
            pending_transactions: self.pending_transactions(),
            uptime_secs: self.uptime().as_secs(),
            chain_id: self.inner.chain_id,
        })
    }

    /// The node's metrics.
    pub fn metrics(&self) -> &crate::metrics::NodeMetrics {
        &self.inner.metrics
    }

    /// The operator's credential for `admin_*` methods.
    pub fn operator_token(&self) -> &crate::operator::OperatorToken {
        &self.inner.operator_token
    }

    /// Highest height with a certificate.
    pub fn certified_height(&self) -> Option<u64> {
        *self.inner.certified_height.lock().expect("lock poisoned")
    }

    /// Transactions waiting in this node's pool.
    pub fn pending_transactions(&self) -> usize {
        self.inner
            .mempool
            .lock()
            .expect("mempool lock poisoned")
            .len()
    }

    /// Time since the node started.
    pub fn uptime(&self) -> Duration {
        self.inner.started.elapsed()
    }

    /// The validators the transport knows.
    pub async fn peers(&self) -> Vec<PeerInfo> {
        self.inner.p2p.peers().await
    }

    /// Fault injection (testnet only): cuts links to these validators.
    pub async fn partition(&self, keys: Vec<PublicKey>) -> Result<(), NodeError> {
        if !self.inner.config.enable_fault_injection {
            return Err(NodeError::Config(
                "fault injection is not enabled on this node".into(),
            ));
        }
        self.inner.p2p.partition(keys).await;
        Ok(())
    }

    /// Fault injection (testnet only): restores all links.
    pub async fn heal(&self) -> Result<(), NodeError> {
        if !self.inner.config.enable_fault_injection {
            return Err(NodeError::Config(
                "fault injection is not enabled on this node".into(),
            ));
        }
        self.inner.p2p.heal().await;
        Ok(())
    }

    /// Stops the node's tasks and Raft, then makes the database durable: the write-ahead
    /// log synced and the memtables flushed, so every entry Raft acknowledged is on disk
    /// and the next start replays nothing. Each step is logged; calling it again does
    /// nothing.
    pub async fn shutdown(&self) -> Result<(), NodeError> {
        if self.inner.shutdown.is_triggered() {
            return Ok(());
        }
        tracing::info!(target: "node", "shutdown: stopping the producer, forwarder and read models");
        self.inner.shutdown.trigger();
        tracing::info!(target: "node", "shutdown: stopping raft");
        // openraft stops its core task; appends already written wait in the log
        // syncer, and the sync below covers them whether or not it ran.
        if let Err(error) = self.inner.raft.shutdown().await {
            tracing::warn!(target: "node", %error, "raft did not stop cleanly");
        }
        tracing::info!(target: "node", "shutdown: flushing the database");
        self.inner.store.flush_all()?;
        let metrics = self.inner.raft.metrics().borrow().clone();
        tracing::info!(
            target: "node",
            last_log_index = metrics.last_log_index,
            applied_index = metrics.last_applied.map(|l| l.index),
            "shutdown: database flushed; raft log and state are on disk"
        );
        Ok(())
    }

    /// Whether [`Node::shutdown`] has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.inner.shutdown.is_triggered()
    }

    /// The current validator keys.
    pub fn validator_keys(&self) -> BTreeSet<PublicKey> {
        current_validators(&self.inner.store)
            .map(|v| v.into_iter().map(|(k, _)| k).collect())
            .unwrap_or_default()
    }

    pub(crate) async fn handle_peer_request(
        &self,
        from: PublicKey,
        request: NodeRequest,
    ) -> Result<NodeResponse, String> {
        match request {
            NodeRequest::ForwardTransactions(txs) => {
                if txs.len() > MAX_FORWARD_BATCH {
                    return Err(format!(
                        "at most {MAX_FORWARD_BATCH} transactions per batch"
                    ));
                }
                // Off the async workers: a batch is up to thousands of signature
                // checks, and those workers also carry Raft's messages.
                let node = self.clone();
                let verdicts = tokio::task::spawn_blocking(move || {
                    txs.into_iter()
                        .map(|tx| {
                            node.accept_transaction(tx).map_err(|e| match e {
                                SubmitError::Rejected(rejection) => rejection,
                                other => Rejection::Malformed {
                                    reason: other.to_string(),
                                },
                            })
                        })
                        .collect()
                })
                .await
                .map_err(|e| format!("checking the batch failed: {e}"))?;
                Ok(NodeResponse::Forwarded(verdicts))
            }
            NodeRequest::HeaderVote {
                height,
                header_hash,
                vote,
            } => {
                if vote.validator != from {
                    return Err("a validator may only send its own vote".into());
                }
                let validators = crate::certifier::certifying_set(&self.inner.store, height);
                match self
                    .inner
                    .certifier
                    .on_vote(height, header_hash, vote, &validators)
                {
                    Ok(crate::certifier::VoteOutcome::Certified) => self.note_certified(height),
                    Ok(_) => {}
                    Err(error) => tracing::warn!(target: "certifier", %error, "vote refused"),
                }
                Ok(NodeResponse::VoteTaken)
            }
            NodeRequest::ProposeService(command) => {
                if !self.is_leader() {
                    return Err("not the leader".into());
                }
                let (reply, log_index) = self
                    .propose_service_here(command)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(NodeResponse::ServiceApplied { reply, log_index })
            }
            NodeRequest::AdCounts => Ok(NodeResponse::AdCounts(
                self.ads().local_counts().map_err(|e| e.to_string())?,
            )),
            NodeRequest::ReadIndex => {
                let read = self
                    .inner
                    .raft
                    .ensure_linearizable()
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(NodeResponse::ReadIndex(read.map(|l| l.index).unwrap_or(0)))
            }
            NodeRequest::GetCertificates { from: first, to } => {
                let last = to.min(first.saturating_add(MAX_CERTIFICATES_PER_REQUEST - 1));
                let mut certificates = Vec::new();
                for height in first..=last {
                    if let Some(certificate) = self
                        .inner
                        .store
                        .certificate(height)
                        .map_err(|e| e.to_string())?
                    {
                        certificates.push(certificate);
                    }
                }
                Ok(NodeResponse::Certificates(certificates))
            }
        }
    }

    pub(crate) fn note_certified(&self, height: u64) {
        let mut certified = self.inner.certified_height.lock().expect("lock poisoned");
        if certified.is_none_or(|h| h < height) {
            *certified = Some(height);
        }
    }

    pub(crate) async fn send_to_peer(
        &self,
        to: &PublicKey,
        request: &NodeRequest,
    ) -> Result<NodeResponse, String> {
        let bytes = borsh::to_vec(request).expect("encoding to a Vec cannot fail");
        let answer = self
            .inner
            .p2p
            .request_app(to, bytes)
            .await
            .map_err(|e| e.to_string())?;
        borsh::from_slice(&answer).map_err(|e| e.to_string())
    }

    /// Hands a block of `transactions` to Raft (leader only). Returns once the proposal
    /// is queued in order behind earlier ones; the returned future resolves when it is
    /// committed and applied (or fails).
    pub(crate) async fn enqueue_proposal(
        &self,
        transactions: Vec<SignedTransaction>,
    ) -> Result<impl std::future::Future<Output = Result<u64, String>>, String> {
        let head_time = self.head().map(|h| h.time_ms).unwrap_or(0);
        let proposal = BlockProposal {
            proposer: self.inner.key.public(),
            time_ms: now_ms().max(head_time),
            transactions,
        };
        let receiver = self
            .inner
            .raft
            .client_write_ff(Command::new(&AppCommand::Block(proposal)))
            .await
            .map_err(|e| e.to_string())?;
        Ok(async move {
            let response = receiver
                .await
                .map_err(|_| "the proposal was dropped".to_owned())?
                .map_err(|e| e.to_string())?;
            response
                .data
                .height
                .ok_or_else(|| "a block entry produced no block".to_owned())
        })
    }

    /// Proposes a block without transactions (leader only): time-based rules (a raffle's
    /// window, a reveal deadline) need blocks to happen even when nobody transacts.
    pub async fn propose_empty_block(&self) -> Result<u64, String> {
        if !self.is_leader() {
            return Err("only the leader proposes blocks".into());
        }
        self.enqueue_proposal(Vec::new()).await?.await
    }

    /// Proposes a service command through Raft (via the leader when this node is a
    /// follower) and returns the applier's answer once this node has applied it too, so
    /// that a client reading from this node next sees its own write.
    pub async fn propose_service(&self, command: Vec<u8>) -> Result<Vec<u8>, NodeError> {
        let (reply, log_index) = if self.is_leader() {
            self.propose_service_here(command).await?
        } else {
            let leader = self.leader_key().ok_or_else(|| {
                NodeError::Consensus("no leader is known right now; retry".into())
            })?;
            match self
                .send_to_peer(&leader, &NodeRequest::ProposeService(command))
                .await
                .map_err(NodeError::Consensus)?
            {
                NodeResponse::ServiceApplied { reply, log_index } => (reply, log_index),
                _ => {
                    return Err(NodeError::Consensus(
                        "unexpected answer from the leader".into(),
                    ))
                }
            }
        };
        self.wait_applied(log_index).await?;
        Ok(reply)
    }

    async fn propose_service_here(&self, command: Vec<u8>) -> Result<(Vec<u8>, u64), NodeError> {
        let response = self
            .inner
            .raft
            .client_write(Command::new(&AppCommand::Service(command)))
            .await
            .map_err(|e| NodeError::Consensus(e.to_string()))?;
        let _ = self.inner.raft.trigger().heartbeat().await;
        Ok((response.data.service, response.log_id.index))
    }

    async fn wait_applied(&self, log_index: u64) -> Result<(), NodeError> {
        self.inner
            .raft
            .wait(Some(Duration::from_secs(10)))
            .applied_index_at_least(Some(log_index), "read your writes")
            .await
            .map(|_| ())
            .map_err(|e| NodeError::Consensus(format!("this node is behind: {e}")))
    }

    /// Makes this node's state at least as new as everything committed when the call
    /// began (a linearizable read barrier: the ReadIndex protocol through the leader).
    pub async fn sync_with_leader(&self) -> Result<(), NodeError> {
        if self.is_leader() {
            self.inner
                .raft
                .ensure_linearizable()
                .await
                .map_err(|e| NodeError::Consensus(e.to_string()))?;
            return Ok(());
        }
        let leader = self
            .leader_key()
            .ok_or_else(|| NodeError::Consensus("no leader is known right now; retry".into()))?;
        match self
            .send_to_peer(&leader, &NodeRequest::ReadIndex)
            .await
            .map_err(NodeError::Consensus)?
        {
            NodeResponse::ReadIndex(index) => self.wait_applied(index).await,
            _ => Err(NodeError::Consensus(
                "unexpected answer from the leader".into(),
            )),
        }
    }

    /// Signs `payload` with this validator's operator key (the registrar), submits it
    /// and waits for its block.
    pub async fn submit_as_registrar(
        &self,
        payload: truffle_ledger::Payload,
    ) -> Result<TxStatus, NodeError> {
        for _ in 0..3 {
            let tx = {
                let mut next = self.inner.registrar_nonce.lock().expect("lock poisoned");
                let state = self.next_nonce(&self.inner.key.public())?;
                let nonce = next.map(|n| n.max(state)).unwrap_or(state);
                *next = Some(nonce + 1);
                truffle_ledger::Transaction {
                    chain_id: self.inner.chain_id,
                    signer: self.inner.key.public(),
                    nonce,
                    payload: payload.clone(),
                }
                .sign(&self.inner.key)
            };
            let hash = match self.accept_transaction(tx) {
                Ok(hash) => hash,
                Err(SubmitError::Rejected(Rejection::NonceReplayed { .. })) => {
                    *self.inner.registrar_nonce.lock().expect("lock poisoned") = None;
                    continue;
                }
                Err(error) => return Err(NodeError::Consensus(error.to_string())),
            };
            let status = self
                .wait_for_transaction(&hash, Duration::from_secs(20))
                .await?;
            match &status {
                TxStatus::Rejected {
                    rejection: Rejection::NonceReplayed { .. } | Rejection::NonceSkipped { .. },
                    ..
                } => {
                    *self.inner.registrar_nonce.lock().expect("lock poisoned") = None;
                    continue;
                }
                _ => return Ok(status),
            }
        }
        Err(NodeError::Consensus(
            "could not get the registrar's transaction in order; retry".into(),
        ))
    }

    /// The members service.
    pub fn members(&self) -> &crate::services::members::Members {
        &self.inner.members
    }

    pub(crate) fn on_block_applied(&self, block: &Block) {
        self.inner.metrics.on_block(block);
        {
            let mut pool = self.inner.mempool.lock().expect("mempool lock poisoned");
            for receipt in &block.receipts {
                pool.remove(&receipt.tx_hash);
            }
            pool.block_applied();
        }
        // The set in force when this block was applied (after its parent) certifies it.
        let validators = crate::certifier::certifying_set(&self.inner.store, block.header.height);
        let (vote, certified) = self.inner.certifier.on_applied(&block.header, &validators);
        if certified {
            self.note_certified(block.header.height);
        }
        let request = NodeRequest::HeaderVote {
            height: block.header.height,
            header_hash: block.header.hash(),
            vote,
        };
        let own = self.inner.key.public();
        if !validators.contains(&own) {
            // Not a certifier of this block (it joined or left with it): others refuse the vote.
            return;
        }
        for validator in validators.into_iter().filter(|v| *v != own) {
            let node = self.clone();
            let request = NodeRequest::HeaderVote {
                height: block.header.height,
                header_hash: block.header.hash(),
                vote: match &request {
                    NodeRequest::HeaderVote { vote, .. } => vote.clone(),
                    _ => unreachable!(),
                },
            };
            tokio::spawn(async move {
                let _ = node.send_to_peer(&validator, &request).await;
            });
        }
    }
}

/// The validators in the state: key and p2p address.
pub(crate) fn current_validators(store: &Store) -> Result<Vec<(PublicKey, String)>, NodeError> {
    Ok(truffle_ledger::exec::current_validators(store)?
        .into_iter()
        .map(|v| (v.key, v.p2p_address))
        .collect())
}

pub(crate) fn state_nonce(store: &Store, account: &PublicKey) -> u64 {
    store
        .get(&keys::account(account))
        .ok()
        .flatten()
        .and_then(|bytes| decode_record::<Account>("account", &bytes).ok())
        .map(|a| a.nonce)
        .unwrap_or(0)
}
