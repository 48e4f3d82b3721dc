//! A running Truffle node.
//!
//! [`launch`] opens the node's RocksDB, writes genesis on first start, starts the
//! libp2p transport and openraft, and spawns the node's tasks:
//!
//! - the **producer** (on the leader) batches pooled transactions into block proposals;
//! - the **forwarder** (on followers) hands client transactions to the leader;
//! - the **certifier** signs every applied header and gathers the others' votes into
//!   certificates;
//! - **housekeeping** expires old transactions, fetches missing certificates and
//!   follows validator-set changes.
//!
//! The RPC crate serves a [`Node`]; tests and the `testnet` launcher run it as a
//! process through the CLI.

mod certifier;
pub mod config;
pub mod keyfile;
mod mempool;
pub mod messages;
mod node;
pub mod services;
mod tasks;

use std::sync::Arc;

pub use config::NodeConfig;
pub use mempool::PoolError;
pub use node::{Health, Node, SubmitError, TxStatus};
pub use truffle_consensus::LedgerEvent;

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
    /// Consensus failed.
    #[error("consensus: {0}")]
    Consensus(String),
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A key file is unusable.
    #[error(transparent)]
    KeyFile(#[from] keyfile::KeyFileError),
}

impl From<truffle_consensus::ConsensusError> for NodeError {
    fn from(error: truffle_consensus::ConsensusError) -> Self {
        NodeError::Consensus(error.to_string())
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

/// Starts a node with the standard services.
pub async fn launch(config: NodeConfig) -> Result<Node, NodeError> {
    let genesis =
        truffle_genesis::load(&config.chain).map_err(|e| NodeError::Config(e.to_string()))?;
    let key = validator_key(&config, &genesis)?;
    Node::launch(config, genesis, key, Arc::new(services::Services)).await
}
