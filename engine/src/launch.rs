//! Starting the engine: the store, the transport, Raft, then the engine's tasks.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::{mpsc, Notify};
use truffle_clock::SharedClock;
use truffle_consensus::network::{NetworkFactory, P2p, P2pConfig};
use truffle_consensus::runtime::ConsensusRuntime;
use truffle_consensus::{
    genesis_membership, node_id_of, open_parts, raft_config, Raft, RaftTiming, ServiceApplier,
};
use truffle_genesis::GenesisSpec;
use truffle_ledger::Keypair;
use truffle_store::Store;

use crate::certifier::Certifier;
use crate::engine::{current_validators, Engine, EngineConfig, EngineInner};
use crate::error::EngineError;
use crate::mempool::Mempool;
use crate::metrics::EngineMetrics;
use crate::peers::{InboundRequest, PeerInbox};
use crate::shutdown::ShutdownSignal;

impl Engine {
    /// Opens the store, starts the transport and Raft, and the engine's tasks.
    /// `services` applies the replicated service commands features propose.
    pub async fn launch(
        config: EngineConfig,
        genesis: GenesisSpec,
        key: Keypair,
        services: Arc<dyn ServiceApplier>,
        clock: SharedClock,
    ) -> Result<Engine, EngineError> {
        genesis
            .validate()
            .map_err(|e| EngineError::Config(e.to_string()))?;
        let chain_id = genesis.chain_id();
        let genesis_state = genesis.to_state();
        std::fs::create_dir_all(&config.data_dir)?;
        let db = config.data_dir.join("db");
        let mut store = Store::open(&db)?;
        if config.follower && store.snapshot_import_pending()? {
            // A crash cut the follower's snapshot import short: its replicated data is
            // partly wiped and the download is gone. It holds nothing else of value
            // (no Raft log, no member data), so it starts over from empty.
            tracing::warn!(target: "follower", "interrupted snapshot import: starting over from an empty store");
            drop(store);
            std::fs::remove_dir_all(&db)?;
            store = Store::open(&db)?;
        }
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
        let in_genesis = genesis.validators.iter().any(|v| v.key == key.public());
        if config.follower && in_genesis {
            return Err(EngineError::Config(
                "a validator's key cannot run a follower node: make a key of its own".into(),
            ));
        }
        if (config.fault_forge_follower_certificates || config.fault_forge_follower_snapshot)
            && !config.enable_fault_injection
        {
            return Err(EngineError::FaultInjectionDisabled);
        }
        // Followers a validator serves: those allowed on the ledger (none on a follower).
        let followers = if config.follower {
            Vec::new()
        } else {
            truffle_ledger::exec::allowed_followers(&store)?
                .into_iter()
                .map(|g| g.key)
                .collect()
        };
        // Peers' requests queue here until the engine exists to serve them.
        let (inbox, requests) = PeerInbox::new();
        // Raft and the transport run on a runtime of their own, so that a node busy with
        // clients still answers its peers on time (see `ConsensusRuntime`).
        let consensus_runtime = ConsensusRuntime::start()?;
        let p2p_config = P2pConfig {
            keypair: key.clone(),
            listen: listen
                .parse()
                .map_err(|e| EngineError::Config(format!("p2p address {listen}: {e}")))?,
            chain_id,
            validators: validators
                .iter()
                .filter_map(|(k, a)| a.parse().ok().map(|a| (*k, a)))
                .collect(),
            // The last chunk of a snapshot is answered only once the receiver has
            // rebuilt its state from it: seconds on a loaded machine. Dead peers fail
            // fast anyway (the connection closes), so a long timeout costs nothing.
            request_timeout: Duration::from_secs(60),
            followers,
            follower_mode: config.follower,
        };
        // The swarm registers its sockets with, and spawns its task on, the runtime entered.
        let p2p = {
            let _entered = consensus_runtime.handle().enter();
            P2p::start(p2p_config, Arc::new(inbox))?
        };
        let timing = RaftTiming {
            heartbeat_ms: config.raft_heartbeat_ms,
            election_timeout_ms: (config.raft_election_min_ms, config.raft_election_max_ms),
            snapshot_every_entries: config.snapshot_every_entries,
            keep_entries_behind_snapshot: (config.snapshot_every_entries / 4).max(100),
        };
        // openraft spawns its tasks on the runtime it starts on.
        let raft_config = raft_config(&chain_id, &timing)?;
        let network = NetworkFactory::new(p2p.clone());
        let raft = consensus_runtime
            .handle()
            .spawn(async move {
                Raft::new(
                    node_id,
                    raft_config,
                    network,
                    parts.log_store,
                    parts.state_machine,
                )
                .await
            })
            .await
            .map_err(|e| EngineError::Raft(e.to_string()))?
            .map_err(|e| EngineError::Raft(e.to_string()))?;
        p2p.set_raft(raft.clone());

        if in_genesis {
            let initialized = raft
                .is_initialized()
                .await
                .map_err(|e| EngineError::Raft(e.to_string()))?;
            if !initialized {
                // Every genesis validator initializes with the same membership, so the
                // first log entry is identical everywhere.
                if let Err(error) = raft.initialize(genesis_membership(&genesis_state)).await {
                    tracing::debug!(target: "node", %error, "raft already initialized");
                }
            }
        } else if config.follower {
            tracing::info!(target: "node", key = %key.public(), "follower node: syncing certified blocks from the validators");
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
        let started_ms = clock.monotonic_ms();
        let engine = Engine {
            inner: Arc::new(EngineInner {
                config,
                genesis,
                chain_id,
                key,
                node_id,
                store,
                raft,
                p2p,
                clock,
                mempool: Mutex::new(mempool),
                producer_wake: Notify::new(),
                forwarder_wake: Notify::new(),
                events,
                certifier,
                undelivered_evidence: Default::default(),
                certified_height: Mutex::new(None),
                snapshots_installed: std::sync::atomic::AtomicU64::new(0),
                started_ms,
                registrar_nonce: Mutex::new(None),
                verified,
                shutdown: ShutdownSignal::default(),
                metrics: Arc::new(EngineMetrics::default()),
                peer_services: RwLock::new(BTreeMap::new()),
                leader_fault: std::sync::atomic::AtomicU8::new(0),
                follower_refused: std::sync::atomic::AtomicU64::new(0),
                _consensus_runtime: consensus_runtime,
            }),
        };
        engine.spawn_tasks(requests);
        Ok(engine)
    }

    fn spawn_tasks(&self, requests: mpsc::Receiver<InboundRequest>) {
        tokio::spawn(crate::peers::serve(self.clone(), requests));
        tokio::spawn(crate::tasks::apply_events(self.clone()));
        if self.inner.config.follower {
            tokio::spawn(crate::follower::sync(self.clone()));
            tokio::spawn(crate::follower::forward(self.clone()));
            tokio::spawn(crate::follower::housekeeping(self.clone()));
            return;
        }
        tokio::spawn(crate::tasks::produce_blocks(self.clone()));
        tokio::spawn(crate::tasks::forward_transactions(self.clone()));
        tokio::spawn(crate::tasks::housekeeping(self.clone()));
        tokio::spawn(crate::tasks::watch_leader(self.clone()));
    }
}
