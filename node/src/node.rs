//! The running node: the chain engine with the marketplace's features composed on it.

use std::ops::Deref;
use std::sync::Arc;

use truffle_engine::read_model::follow;
use truffle_engine::Engine;
use truffle_genesis::GenesisSpec;
use truffle_ledger::Keypair;

use crate::config::NodeConfig;
use crate::NodeError;

pub use truffle_engine::{Health, SubmitError, TxStatus};

pub(crate) struct NodeInner {
    pub(crate) engine: Engine,
    pub(crate) config: NodeConfig,
    pub(crate) members: Arc<crate::services::members::Members>,
    pub(crate) recommender: crate::recommend::Recommender,
    pub(crate) catalog: crate::catalog::Catalog,
    pub(crate) ads: Arc<crate::ads::AdBoard>,
    pub(crate) market: Arc<crate::market::Market>,
    pub(crate) chat: Arc<crate::chat::ChatHub>,
    pub(crate) images: crate::images::ImageHub,
    pub(crate) kakao: crate::kakao::Kakao,
    /// Set while a backup runs: one checkpoint at a time.
    pub(crate) backup_running: std::sync::atomic::AtomicBool,
    pub(crate) metrics: crate::metrics::NodeMetrics,
    pub(crate) operator_token: crate::operator::OperatorToken,
}

/// A running node. Cheap to clone. It dereferences to its [`Engine`], whose methods
/// (submitting transactions, health, proposals, the read barrier) it offers as its own.
#[derive(Clone)]
pub struct Node {
    pub(crate) inner: Arc<NodeInner>,
}

impl Deref for Node {
    type Target = Engine;

    fn deref(&self) -> &Engine {
        &self.inner.engine
    }
}

impl Node {
    /// Opens the store, starts the engine, then the features and their tasks.
    pub async fn launch(
        config: NodeConfig,
        genesis: GenesisSpec,
        key: Keypair,
        members: crate::services::members::Members,
    ) -> Result<Node, NodeError> {
        config
            .validate()
            .map_err(|e| NodeError::Config(e.to_string()))?;
        std::fs::create_dir_all(&config.data_dir)?;
        let operator_token = crate::operator::OperatorToken::load_or_create(&config)?;
        let clock = truffle_clock::SystemClock::shared();
        let engine = Engine::launch(
            config.engine_config(),
            genesis,
            key,
            Arc::new(crate::service_router()),
            clock,
        )
        .await?;
        let mut config = config;
        config.max_block_transactions = engine.engine_config().max_block_transactions;
        let catalog = crate::catalog::Catalog::new(
            engine.store().clone(),
            config.data_dir.join(crate::catalog::INDEX_DIR),
            engine.clock().clone(),
        );
        let ads = Arc::new(crate::ads::AdBoard::new(engine.store().clone()));
        engine.register_peer_service(crate::ads::PEER_SERVICE, ads.clone());
        let members = Arc::new(members);
        let market = Arc::new(crate::market::Market::new(
            &config.market,
            &config.chain,
            &engine,
            members.clone(),
        )?);
        let chat = Arc::new(crate::chat::ChatHub::new(
            &config,
            crate::chat::ChatContext::new(engine.clone(), members.clone()),
        ));
        let images = crate::images::ImageHub::new(engine.clone(), members.clone());
        let kakao = crate::kakao::Kakao::new(&config)?;
        let metrics = crate::metrics::NodeMetrics::new(
            engine.engine_metrics().clone(),
            config.data_dir.join(crate::catalog::INDEX_DIR),
        );
        let node = Node {
            inner: Arc::new(NodeInner {
                engine,
                config,
                members,
                recommender: crate::recommend::Recommender::new(),
                catalog,
                ads,
                market,
                chat,
                images,
                kakao,
                backup_running: std::sync::atomic::AtomicBool::new(false),
                metrics,
                operator_token,
            }),
        };
        node.spawn_tasks();
        Ok(node)
    }

    fn spawn_tasks(&self) {
        tokio::spawn(follow(
            self.engine().clone(),
            Arc::new(self.catalog().clone()),
            crate::catalog::FOLLOW_POLICY,
        ));
        tokio::spawn(follow(
            self.engine().clone(),
            Arc::new(crate::recommend::RecoFollower(self.clone())),
            crate::recommend::FOLLOW_POLICY,
        ));
        tokio::spawn(crate::market::run(self.inner.market.clone()));
        tokio::spawn(crate::chat::run(self.inner.chat.clone()));
        tokio::spawn(crate::kakao::sweep_loop(self.clone()));
        tokio::spawn(crate::services::epochs::run(
            self.engine().clone(),
            self.inner.members.clone(),
        ));
    }

    /// The chain engine under this node.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The node's configuration.
    pub fn config(&self) -> &NodeConfig {
        &self.inner.config
    }

    /// The node's metrics: the engine's and the features'.
    pub fn metrics(&self) -> &crate::metrics::NodeMetrics {
        &self.inner.metrics
    }

    /// The operator's credential for `admin_*` methods.
    pub fn operator_token(&self) -> &crate::operator::OperatorToken {
        &self.inner.operator_token
    }

    /// The catalog read model: search, ownership histories, seller standing.
    pub fn catalog(&self) -> &crate::catalog::Catalog {
        &self.inner.catalog
    }

    /// The banner service.
    pub fn ads(&self) -> &crate::ads::AdBoard {
        &self.inner.ads
    }

    /// The market: orders, payments, raffle chores.
    pub fn market(&self) -> &crate::market::Market {
        &self.inner.market
    }

    /// The chat service.
    pub fn chat(&self) -> &crate::chat::ChatHub {
        &self.inner.chat
    }

    /// Product images: uploads, and the stored files.
    pub fn images(&self) -> &crate::images::ImageHub {
        &self.inner.images
    }

    /// The members service.
    pub fn members(&self) -> &crate::services::members::Members {
        &self.inner.members
    }
}
