//! The chain engine: what every Truffle node runs, whatever its features.
//!
//! [`Engine::launch`] opens the node's RocksDB, writes genesis on first start, starts
//! the libp2p transport and openraft, and spawns the engine's tasks:
//!
//! - the **producer** (on the leader) batches pooled transactions into block proposals;
//! - the **forwarder** (on followers) hands client transactions to the leader;
//! - the **certifier** signs every applied header and gathers the others' votes into
//!   certificates;
//! - **housekeeping** expires old transactions, fetches missing certificates and
//!   follows validator-set changes.
//!
//! Features (members, market, chat, catalog, ads, recommendations...) sit on top: they
//! propose replicated service commands ([`Engine::propose_service`]), answer their peers
//! ([`Engine::register_peer_service`], [`Engine::ask_peer`]), follow applied blocks
//! ([`read_model::follow`], or [`Engine::subscribe`]) and stop with the engine
//! ([`Engine::stopping`]). The engine names none of them; openraft's types stay behind
//! it and `truffle-consensus`.

pub mod certificate_repair;
mod certifier;
mod engine;
mod error;
mod evidence_relay;
mod faults;
pub mod follower;
pub mod follower_snapshot;
pub mod fuzzing;
mod health;
mod ingress;
mod launch;
mod leader_fault;
mod mempool;
pub mod metrics;
mod peers;
pub mod protocol;
pub mod read_model;
mod replication;
mod services;
mod shutdown;
mod tasks;

// The certifier is the engine's own; it is public so that the deterministic simulation
// (`truffle-sim`) runs the same vote counting as a node.
pub use certifier::{certifying_set, Certifier, VoteError, VoteOutcome};
pub use engine::{Engine, EngineConfig, Role};
pub use error::{EngineError, PeerError, Refusal, SubmitError};
pub use faults::{InvalidBlock, MAX_FAULT_VOTES};
pub use health::Health;
pub use ingress::TxStatus;
pub use leader_fault::{LeaderFault, UnknownLeaderFault};
pub use mempool::PoolError;
pub use protocol::PeerService;
pub use replication::{block_time, clock_allows};
pub use services::{encode_tagged, ServiceRouter, TaggedService};
pub use truffle_clock::{Clock, SharedClock};
pub use truffle_consensus::network::PeerInfo;
pub use truffle_consensus::{LedgerEvent, ServiceApplier, ServiceError, ServiceOutcome};
