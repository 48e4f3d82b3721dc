//! The chain itself: validators and their set, the parameters fixed at genesis, the
//! id counters.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::crypto::PublicKey;

/// A validator of the chain.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct Validator {
    /// Its key: libp2p identity, block-vote key and operator account.
    pub key: PublicKey,
    /// Human name.
    pub name: String,
    /// libp2p listen address, e.g. "/ip4/127.0.0.1/tcp/30333".
    pub p2p_address: String,
    /// Height at which it joined.
    pub since_height: u64,
}

/// A follower node an admin allowed to sync certified blocks from the validators
/// (`keys::follower(key)`); revoking deletes the record.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct FollowerGrant {
    /// The follower node's key.
    pub key: PublicKey,
    /// Height of the block that allowed it.
    pub since_height: u64,
}

/// Most followers allowed at once: each holds a connection to every validator.
pub const MAX_FOLLOWERS: usize = 256;

/// The validator set as one record, filed under `keys::validator_set()`, so that one
/// state proof shows the whole set at any certified state root.
///
/// Each change links to the one before it (`previous_change`), down to the genesis set:
/// an auditor walking the changes from genesis can tell when one is missing.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct ValidatorSet {
    /// The validators' keys, sorted, without duplicates.
    pub keys: Vec<PublicKey>,
    /// Height of the block that made this the set (0: the genesis set).
    pub changed_at: u64,
    /// Height of the change before this one (`None` for the genesis set).
    pub previous_change: Option<u64>,
}

/// Chain parameters fixed at genesis.
///
/// A genesis file that leaves out a field gets its default (`#[serde(default)]`), so
/// files written before a field existed still load; the chain id is computed over every
/// field, defaults included. The two block rules added last (`max_block_bytes`,
/// `max_block_time_step_ms`) are optional: absent, they take their defaults
/// ([`ChainParams::block_bytes`], [`ChainParams::block_time_step_ms`]).
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(default)]
pub struct ChainParams {
    /// Most transactions in one block.
    pub max_block_transactions: u32,
    /// How long a buyer has to pay a listing order, in ms of block time.
    pub order_payment_window_ms: u64,
    /// Most validators.
    pub max_validators: u32,
    /// Shortest entry window by height: blocks from the creating block (or the opening
    /// height, if later) to the close.
    pub min_raffle_entry_blocks: u64,
    /// Shortest entry window by time: ms of block time from the creating block (or the
    /// opening time, if later) to the close.
    pub min_raffle_entry_ms: u64,
    /// Fewest blocks (`RaffleSpec::reveal_blocks`) the seller may have to reveal its secret.
    pub min_raffle_reveal_blocks: u64,
    /// Cooling period per missed reveal: a seller whose raffle is voided may not create
    /// a raffle for `missed_reveals × this` ms of block time.
    pub missed_reveal_cooldown_ms: u64,
    /// Most bytes of transactions (their encodings, summed) in one block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_block_bytes: Option<u64>,
    /// How far a block's time may run ahead of its parent's, in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_block_time_step_ms: Option<u64>,
    /// Time floor of the reveal window: the seller may reveal for at least this many ms
    /// of block time after the last validator contribution, however many blocks pass.
    pub min_raffle_reveal_ms: u64,
    /// Blocks after the closing block within which every validator must contribute its
    /// VRF output to a raffle's seed.
    pub raffle_contribution_blocks: u64,
    /// Time floor of the contribution window, in ms of block time after the closing
    /// block: the raffle is void for a missing contribution only past both.
    pub raffle_contribution_ms: u64,
}

/// Default byte budget of a block's transactions: 16 MiB, half the peer network's
/// 32 MiB message limit (a Raft append carries at least one whole entry).
pub const DEFAULT_MAX_BLOCK_BYTES: u64 = 16 * 1024 * 1024;
/// Largest byte budget a genesis may set: 24 MiB, leaving 8 MiB of the 32 MiB message
/// for the entry's and the append's framing.
pub const MAX_MAX_BLOCK_BYTES: u64 = 24 * 1024 * 1024;
/// Default bound of a block's time over its parent's: 10 minutes. A chain that was
/// stopped longer catches up in steps of at most this (idle blocks come every second).
pub const DEFAULT_MAX_BLOCK_TIME_STEP_MS: u64 = 10 * 60 * 1000;

impl ChainParams {
    /// The byte budget of a block's transactions.
    pub fn block_bytes(&self) -> u64 {
        self.max_block_bytes.unwrap_or(DEFAULT_MAX_BLOCK_BYTES)
    }

    /// How far a block's time may run ahead of its parent's.
    pub fn block_time_step_ms(&self) -> u64 {
        self.max_block_time_step_ms
            .unwrap_or(DEFAULT_MAX_BLOCK_TIME_STEP_MS)
    }
}

impl Default for ChainParams {
    fn default() -> Self {
        ChainParams {
            max_block_transactions: 10_000,
            order_payment_window_ms: 30 * 60 * 1000,
            max_validators: 7,
            min_raffle_entry_blocks: 5,
            min_raffle_entry_ms: 30_000,
            min_raffle_reveal_blocks: 5,
            missed_reveal_cooldown_ms: 7 * 24 * 3_600_000,
            max_block_bytes: None,
            max_block_time_step_ms: None,
            min_raffle_reveal_ms: 10 * 60 * 1000,
            raffle_contribution_blocks: 20,
            raffle_contribution_ms: 2 * 60 * 1000,
        }
    }
}

/// Next ids to hand out.
#[derive(
    Clone,
    Debug,
    Default,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct Counters {
    /// Next product id.
    pub next_product: u64,
    /// Next item id.
    pub next_item: u64,
    /// Next raffle id.
    pub next_raffle: u64,
    /// Next order id.
    pub next_order: u64,
    /// Next ad id.
    pub next_ad: u64,
}
