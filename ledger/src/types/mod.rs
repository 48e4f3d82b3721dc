//! The records the ledger keeps in its state, one struct per kind.
//!
//! Every record is borsh-encoded into the authenticated state map; the serde
//! derives serve JSON-RPC and the CLI. Fields are only appended, never reordered.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::crypto::PublicKey;
use crate::hash::Hash;

mod accounts;
mod ads;
mod catalog;
mod chain;
mod orders;
mod raffles;

pub use accounts::*;
pub use ads::*;
pub use catalog::*;
pub use chain::*;
pub use orders::*;
pub use raffles::*;

/// Accounts are named by their ed25519 public key: the ledger is pseudonymous.
pub type AccountId = PublicKey;

/// Where a record came from: the block and position of the transaction that wrote it.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct TxRef {
    /// Height of the block.
    pub height: u64,
    /// Index of the transaction within the block.
    pub index: u32,
    /// Hash of the transaction.
    pub tx_hash: Hash,
}
