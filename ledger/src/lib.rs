//! The deterministic core of the Truffle ledger.
//!
//! A chain is a sequence of blocks; each block is a [`BlockProposal`] (transactions,
//! time, proposer) applied by [`execute_block`] to the state left by its parent. The
//! state is a set of records ([`types`]) filed under [`state::keys`] in an
//! authenticated map whose root goes into every [`BlockHeader`]; validators sign
//! headers and more than two thirds of their signatures make a [`Certificate`].
//!
//! - [`tx`]: signed, borsh-encoded transactions and their payloads.
//! - [`exec`]: the state machine; refusals are values ([`Rejection`]) in receipts.
//! - [`state`]: the storage trait, the Jellyfish Merkle tree and an in-memory store.
//! - [`state_proof`]: compact proofs of the state map (sibling hashes only).
//! - [`block`], [`merkle`], [`certificate`]: what auditors check; [`evidence`]: proof
//!   that a validator signed two headers of one height.
//! - [`draw`]: the raffle draw, a pure function of ledger data.
//! - [`verify`]: what an auditor checks, from the genesis alone, in what a node serves.
//!
//! Nothing in this crate touches the network, a clock or a file.

pub mod admin_query;
pub mod block;
pub mod certificate;
pub mod crypto;
pub mod draw;
pub mod error;
pub mod evidence;
pub mod exec;
pub mod fuzzing;
pub mod hash;
pub mod limits;
pub mod memory_chain;
pub mod merkle;
pub mod state;
pub mod state_proof;
pub mod tx;
pub mod types;
pub mod verify;
pub mod vrf;

pub use block::{Block, BlockHeader, BlockProposal, Effect, Outcome, Receipt};
pub use certificate::{Certificate, HeaderVote};
pub use crypto::{Keypair, PublicKey, Signature};
pub use error::{LedgerError, LedgerResult, ProposalError, Rejection};
pub use evidence::Evidence;
pub use exec::{
    execute_block, execute_block_with, genesis_block, ExecutedBlock, GenesisState, Signatures,
};
pub use hash::Hash;
pub use memory_chain::MemoryChain;
pub use tx::{Payload, SignedTransaction, Transaction};
