//! A running Truffle node: the chain engine (`truffle-engine`) with the marketplace's
//! features composed on it.
//!
//! [`launch`] reads the keys a configuration names and starts a [`Node`]: the engine
//! (store, transport, Raft, pool, producer, certifier), then the features — members
//! (replicated service data), the catalog and search index, banner ads,
//! recommendations, the market (orders, payments, raffle chores), member chat, product
//! images and the KakaoTalk link — and their tasks.
//!
//! The RPC crate serves a [`Node`]; tests and the `testnet` launcher run it as a
//! process through the CLI.

pub mod ads;
pub mod allocator;
pub mod backup;
pub mod chat;
pub mod config;
pub mod images;
pub mod kakao;
pub use truffle_wire::keyfile;
pub mod market;
pub mod metrics;
mod node;
pub mod operator;
pub mod recommend;

use std::sync::Arc;

pub use config::NodeConfig;
pub use node::{Health, Node, SubmitError, TxStatus};
pub use truffle_catalog as catalog;
/// Lowers the calling thread to background priority (the consensus layer's, for the
/// CLI's background threads).
pub use truffle_consensus::runtime::lower_thread_priority;
pub use truffle_engine::{
    Engine, EngineError, InvalidBlock, LeaderFault, LedgerEvent, PoolError, MAX_FAULT_VOTES,
};
pub use truffle_members as services;

/// Why a node could not start or answer.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The configuration is unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] truffle_store::StoreError),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] truffle_ledger::LedgerError),
    /// The chain engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A key file is unusable.
    #[error(transparent)]
    KeyFile(#[from] keyfile::KeyFileError),
}

impl NodeError {
    /// Whether the same call may succeed if made again a little later.
    pub fn retryable(&self) -> bool {
        match self {
            NodeError::Engine(error) => error.retryable(),
            _ => false,
        }
    }
}

/// The validator key a config names: its key file, or the preset key for dev chains.
pub fn validator_key(
    config: &NodeConfig,
    genesis: &truffle_genesis::GenesisSpec,
) -> Result<truffle_ledger::Keypair, NodeError> {
    if let Some(path) = &config.key_file {
        return Ok(keyfile::read_key_file(path)?);
    }
    let preset = truffle_genesis::dev_keys::validator(config.validator_index);
    if genesis.validator(&preset.public()).is_some() {
        return Ok(preset);
    }
    Err(NodeError::Config(
        "no key file given (--key-file), and the chain is not a preset whose dev keys could be used".into(),
    ))
}

/// Whether a config's chain is a development preset (`dev`, `local`), whose keys are
/// public: nothing it seals is secret, and codes may go to the log.
pub fn is_dev_chain(config: &NodeConfig) -> bool {
    config.chain == "dev" || config.chain == "local"
}

/// The vault: this node's key store `<data_dir>/vault.keys`, created at first start
/// from `vault_key_file` (64 hex characters, the provisioning secret every validator
/// gets once) or, for the `dev` and `local` presets only, a well-known development key.
/// Once the store exists the provisioning file is not needed (and should be destroyed:
/// it derives every epoch key, so it would open every withdrawn member's old copies).
pub fn vault_key(
    config: &NodeConfig,
    genesis: &truffle_genesis::GenesisSpec,
) -> Result<services::vault::VaultKey, NodeError> {
    let store_path = config.data_dir.join(services::keystore::KEY_STORE_FILE);
    let secret: Option<[u8; 32]> = if let Some(path) = config
        .vault_key_file
        .as_ref()
        .filter(|_| !store_path.exists())
    {
        let text = std::fs::read_to_string(path).map_err(|e| {
            NodeError::Config(format!(
                "cannot read vault key file {}: {e}",
                path.display()
            ))
        })?;
        Some(
            truffle_ledger::hash::parse_hex_array(&text).map_err(|e| {
                NodeError::Config(format!("vault key file {}: {e}", path.display()))
            })?,
        )
    } else if is_dev_chain(config) {
        tracing::warn!(target: "node", "using the public development vault key: personal data is not protected");
        Some(
            truffle_ledger::Hash::tagged(b"truffle/v1/dev-vault", &[genesis.chain_id().as_bytes()])
                .0,
        )
    } else {
        None
    };
    if secret.is_none() && !store_path.exists() {
        return Err(NodeError::Config(
            "--vault-key-file is required at a validator's first start: the 32-byte hex secret that seals members' personal data, shared by the validators".into(),
        ));
    }
    if let Some(path) = config
        .vault_key_file
        .as_ref()
        .filter(|_| store_path.exists())
    {
        if path.exists() && !is_dev_chain(config) {
            tracing::warn!(target: "node", file = %path.display(), "the vault's provisioning key file still exists: destroy it, it can open withdrawn members' old data");
        }
    }
    std::fs::create_dir_all(&config.data_dir)?;
    let keys = services::keystore::KeyStore::open(&store_path, secret.as_ref())
        .map_err(|e| NodeError::Config(e.to_string()))?;
    Ok(services::vault::VaultKey::with_store(keys))
}

/// A follower node's vault: a key store of a random secret, which seals nothing (a
/// follower receives no member data and proposes no service command).
fn follower_vault(config: &NodeConfig) -> Result<services::vault::VaultKey, NodeError> {
    std::fs::create_dir_all(&config.data_dir)?;
    let store_path = config.data_dir.join(services::keystore::KEY_STORE_FILE);
    let secret = truffle_ledger::Keypair::generate().seed();
    let keys = services::keystore::KeyStore::open(&store_path, Some(&secret))
        .map_err(|e| NodeError::Config(e.to_string()))?;
    Ok(services::vault::VaultKey::with_store(keys))
}

/// The SMS sender a config names: the HTTP gateway when configured, else the console.
pub fn sms_sender(config: &NodeConfig) -> Result<Arc<dyn services::sms::SmsSender>, NodeError> {
    match &config.sms_gateway_url {
        Some(url) => {
            let key = match &config.sms_gateway_key_file {
                Some(path) => std::fs::read_to_string(path)
                    .map_err(|e| {
                        NodeError::Config(format!(
                            "cannot read SMS gateway key {}: {e}",
                            path.display()
                        ))
                    })?
                    .trim()
                    .to_owned(),
                None => std::env::var("TRUFFLE_SMS_GATEWAY_KEY").map_err(|_| {
                    NodeError::Config(
                        "the SMS gateway needs a key: --sms.gateway-key-file or TRUFFLE_SMS_GATEWAY_KEY"
                            .into(),
                    )
                })?,
            };
            Ok(Arc::new(services::sms::HttpGatewaySender::new(
                url.clone(),
                key,
            )))
        }
        None if config.sms_console || is_dev_chain(config) => {
            Ok(Arc::new(services::sms::ConsoleSender))
        }
        None => Err(NodeError::Config(
            "--sms.gateway-url is required: without a gateway, codes would be written to the log; pass --sms.console to do that on purpose (development)".into(),
        )),
    }
}

/// Every feature's replicated service commands, by tag: members' (0–9), the Kakao
/// link's, chat's and product images'; a withdrawal erases the member's Kakao link and chat messages in
/// the same replicated step as the member's record.
pub fn service_router() -> truffle_engine::ServiceRouter {
    let members = services::Services::new(vec![
        Arc::new(kakao::forget_member),
        Arc::new(chat::forget_member),
    ]);
    truffle_engine::ServiceRouter::new()
        .with(services::SERVICE_TAGS, Arc::new(members))
        .with_tagged(kakao::CommandApplier)
        .with_tagged(chat::CommandApplier)
        .with_tagged(images::CommandApplier)
        .with_tagged(services::throttle::ThrottleApplier)
        .with_tagged(services::epochs::VaultApplier)
}

/// Starts a node with the standard services.
pub async fn launch(config: NodeConfig) -> Result<Node, NodeError> {
    let genesis =
        truffle_genesis::load(&config.chain).map_err(|e| NodeError::Config(e.to_string()))?;
    let key = validator_key(&config, &genesis)?;
    let policy = services::members::MemberPolicy {
        code_ttl_ms: config.phone_code_ttl_secs * 1000,
        resend_interval_ms: config.phone_resend_interval_secs * 1000,
        session_ttl_ms: config.session_ttl_secs * 1000,
        limits: config.throttle_limits(),
        vault_epoch_ms: Some(config.vault_epoch_secs * 1000),
    };
    let follower = config.role == config::NodeRole::Follower;
    if follower && config.key_file.is_none() {
        return Err(NodeError::Config(
            "a follower node needs a key file of its own (--key-file), the key an admin allowed"
                .into(),
        ));
    }
    let (vault, sms) = if follower {
        // A follower holds no member data: nothing replicated reaches it (it is no Raft
        // member), and member operations are refused naming a validator. Its vault is a
        // random key that seals nothing.
        (
            follower_vault(&config)?,
            Arc::new(services::sms::ConsoleSender) as Arc<_>,
        )
    } else {
        (vault_key(&config, &genesis)?, sms_sender(&config)?)
    };
    let members = services::members::Members::new(vault, sms, policy).with_pool(
        services::pool::PasswordPool::new(
            config.password_workers as usize,
            config.password_queue as usize,
        ),
    );
    Node::launch(config, genesis, key, members).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn production() -> NodeConfig {
        NodeConfig {
            chain: "/etc/truffle/genesis.json".into(),
            ..NodeConfig::default()
        }
    }

    #[test]
    fn production_nodes_refuse_to_start_without_an_sms_gateway() {
        let Err(NodeError::Config(message)) = sms_sender(&production()) else {
            panic!("a production node started without an SMS gateway");
        };
        assert!(message.contains("--sms.gateway-url"), "{message}");
        // On purpose, or on a development preset, codes may go to the log.
        let console = NodeConfig {
            sms_console: true,
            ..production()
        };
        assert!(sms_sender(&console).is_ok());
        assert!(sms_sender(&NodeConfig::default()).is_ok(), "the dev preset");
        let gateway = NodeConfig {
            sms_gateway_url: Some("https://sms.example/send".into()),
            sms_gateway_key_file: Some(std::path::PathBuf::from("/nonexistent/key")),
            ..production()
        };
        assert!(
            sms_sender(&gateway).is_err(),
            "a gateway needs its key, read at start"
        );
    }

    #[test]
    fn a_production_vault_needs_the_provisioning_secret_once() {
        let dir = tempfile::tempdir().unwrap();
        let genesis = truffle_genesis::load("dev").unwrap();
        let config = NodeConfig {
            data_dir: dir.path().join("data"),
            ..production()
        };
        assert!(vault_key(&config, &genesis).is_err(), "no secret, no store");
        let secret = dir.path().join("vault.key");
        std::fs::write(&secret, hex::encode([5u8; 32])).unwrap();
        let provisioned = NodeConfig {
            vault_key_file: Some(secret.clone()),
            ..config.clone()
        };
        let vault = vault_key(&provisioned, &genesis).unwrap();
        let mac = vault.mac("email", b"a@example.com");
        std::fs::remove_file(&secret).unwrap();
        let reopened = vault_key(&config, &genesis).unwrap();
        assert_eq!(reopened.mac("email", b"a@example.com"), mac);
        assert_eq!(reopened.keys().epoch(), 0);
    }
}
