//! Raffles: the spec a seller submits, entry windows, entries, closing blocks and draws.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::crypto::PublicKey;
use crate::hash::{hex_newtype, Hash};

use super::TxRef;

/// When a raffle accepts entries: by block height or by block time.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case", tag = "by")]
pub enum EntryWindow {
    /// Blocks with `opens <= height < closes` accept entries.
    Heights {
        /// First height that accepts entries.
        opens: u64,
        /// First height that does not.
        closes: u64,
    },
    /// Blocks with `opens_ms <= time < closes_ms` accept entries.
    Times {
        /// First block time (ms since the Unix epoch) that accepts entries.
        opens_ms: u64,
        /// First block time that does not.
        closes_ms: u64,
    },
}

impl EntryWindow {
    /// Whether a block at `height`/`time_ms` accepts entries.
    pub fn is_open_at(&self, height: u64, time_ms: u64) -> bool {
        match *self {
            EntryWindow::Heights { opens, closes } => opens <= height && height < closes,
            EntryWindow::Times {
                opens_ms,
                closes_ms,
            } => opens_ms <= time_ms && time_ms < closes_ms,
        }
    }

    /// Whether a block at `height`/`time_ms` is at or past the close.
    pub fn is_closed_at(&self, height: u64, time_ms: u64) -> bool {
        match *self {
            EntryWindow::Heights { closes, .. } => height >= closes,
            EntryWindow::Times { closes_ms, .. } => time_ms >= closes_ms,
        }
    }
}

/// What a seller submits to create a raffle.
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
pub struct RaffleSpec {
    /// The prizes: items the seller owns; one winner per item.
    pub items: Vec<u64>,
    /// When entries are accepted.
    pub window: EntryWindow,
    /// What a winner pays, in won.
    pub price: u64,
    /// How many runners-up to draw after the winners.
    pub runners_up: u32,
    /// Minimum age of entrants in years, if any.
    pub min_age: Option<u8>,
    /// `raffle_commitment(secret)` of the seller's secret, revealed after close.
    pub seed_commitment: Hash,
    /// Blocks within which the seller must reveal, counted from the block that brought
    /// the last validator contribution (the reveal window also lasts at least
    /// `ChainParams::min_raffle_reveal_ms` of block time).
    pub reveal_blocks: u64,
    /// How long a winner has to pay, in milliseconds of block time.
    pub payment_window_ms: u64,
}

/// Where a raffle stands.
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
#[serde(rename_all = "snake_case")]
pub enum RaffleStatus {
    /// Created; accepts entries inside its window.
    Open,
    /// Entry closed; waiting for the reveal and the draw.
    Closed,
    /// Winners drawn.
    Drawn,
    /// Nothing was drawn, nothing charged, the prizes went back to the seller: the
    /// seller did not reveal its secret by the deadline (`seller_missed_reveal`, the miss
    /// is on its account), or a validator's contribution did not come in time
    /// (`Raffle::missing_contributors`).
    Void,
    /// The seller called it off before entry closed (`CancelRaffle`): nothing is drawn,
    /// the prizes went back to the seller, and the reason is kept for the entrants
    /// (`keys::raffle_cancellation`).
    Cancelled,
}

/// The block that closed a raffle's entry: its hash goes into the validators' VRF input
/// and into the draw's seed.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct ClosingBlock {
    /// Height of the first block at or past the close.
    pub height: u64,
    /// Its hash.
    pub hash: Hash,
}

/// The outcome of a draw.
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
pub struct DrawResult {
    /// The seed the winners were drawn from.
    pub seed: Hash,
    /// Whether the seller's secret went into the seed: always true for draws made by
    /// this ledger (a raffle without the secret is void, never drawn).
    pub seller_revealed: bool,
    /// Winners, in the order of `Raffle::items`.
    pub winners: Vec<PublicKey>,
    /// Runners-up, in the order they are offered an unpaid prize.
    pub runners_up: Vec<PublicKey>,
    /// The draw transaction.
    pub drawn: TxRef,
}

/// A raffle.
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
pub struct Raffle {
    /// Raffle id (sequential).
    pub id: u64,
    /// The seller running it.
    pub seller: PublicKey,
    /// The rules as created.
    pub spec: RaffleSpec,
    /// The creating transaction.
    pub created: TxRef,
    /// Where it stands.
    pub status: RaffleStatus,
    /// Number of entries.
    pub entry_count: u32,
    /// Set once the first block past the close is known.
    pub closing_block: Option<ClosingBlock>,
    /// The seller's secret, once revealed.
    pub revealed_secret: Option<Hash>,
    /// Set when the seller did not reveal in time (the raffle is then void): recorded
    /// against the seller.
    pub seller_missed_reveal: bool,
    /// The draw, once done.
    pub result: Option<DrawResult>,
    /// Runners-up already offered a prize (index into `result.runners_up`).
    pub runners_up_used: u32,
    /// The validators' part of the seed: set when entry closes.
    pub randomness: Option<RaffleRandomness>,
}

impl Raffle {
    /// The validators that were to contribute and did not (empty before the close).
    pub fn missing_contributors(&self) -> Vec<PublicKey> {
        self.randomness
            .as_ref()
            .map(|r| r.missing())
            .unwrap_or_default()
    }
}

/// A deadline of the ledger's: it has passed for a block only when that block is past
/// both its height and its time, so neither a burst of blocks nor a jump of the clock
/// alone ends it.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct Deadline {
    /// Last height that is still in time.
    pub height: u64,
    /// Last block time (ms since the Unix epoch) that is still in time.
    pub time_ms: u64,
}

impl Deadline {
    /// Whether a block at `height`/`time_ms` is past the deadline (past both).
    pub fn passed_at(&self, height: u64, time_ms: u64) -> bool {
        height > self.height && time_ms > self.time_ms
    }
}

/// Why and when a seller cancelled a raffle, kept beside the raffle record (under
/// `keys::raffle_cancellation`, so the raffle's own encoding did not change).
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
pub struct RaffleCancellation {
    /// The seller's reason, shown to the entrants.
    pub reason: String,
    /// The cancelling transaction.
    pub cancelled: TxRef,
}

/// An ECVRF-EDWARDS25519-SHA512-TAI proof (RFC 9381): Gamma ‖ c ‖ s, 80 bytes.
#[derive(Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct VrfProof(pub [u8; 80]);
hex_newtype!(
    VrfProof,
    80,
    "VrfProof",
    "An ECVRF-EDWARDS25519-SHA512-TAI proof (RFC 9381), 80 bytes in hex."
);

/// One validator's contribution to a raffle's seed: its VRF proof over the raffle's
/// input (`draw::vrf_input`), checked by every node on apply.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct RaffleContribution {
    /// The validator (its ed25519 key is the VRF key).
    pub validator: PublicKey,
    /// Its proof; the output `beta` follows from it.
    pub proof: VrfProof,
}

/// The validators' part of a raffle's seed, fixed by ledger rules when entry closes.
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
pub struct RaffleRandomness {
    /// Every validator that must contribute: the set in force after the closing block,
    /// sorted. The draw needs all of them; a subset never draws.
    pub validators: Vec<PublicKey>,
    /// The contributions received, sorted by validator key.
    pub contributions: Vec<RaffleContribution>,
    /// Until when contributions are accepted; past it with one missing, the raffle is
    /// void (the seller is not blamed).
    pub contribution_deadline: Deadline,
    /// Until when the seller may reveal: set when the last contribution arrives (the
    /// seller reveals only after every validator has committed its part).
    pub reveal_deadline: Option<Deadline>,
}

impl RaffleRandomness {
    /// Whether every validator has contributed.
    pub fn is_complete(&self) -> bool {
        self.contributions.len() == self.validators.len()
    }

    /// Whether `validator` has contributed.
    pub fn has_contributed(&self, validator: &PublicKey) -> bool {
        self.contributions.iter().any(|c| c.validator == *validator)
    }

    /// The validators that have not contributed.
    pub fn missing(&self) -> Vec<PublicKey> {
        self.validators
            .iter()
            .filter(|v| !self.has_contributed(v))
            .copied()
            .collect()
    }
}

/// One entry in a raffle.
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
pub struct RaffleEntry {
    /// Raffle id.
    pub raffle: u64,
    /// Position of the entry (0-based, in ledger order).
    pub position: u32,
    /// The entrant.
    pub entrant: PublicKey,
    /// The entering transaction.
    pub tx: TxRef,
    /// The entrant withdrew before the draw; the entry takes no part in it.
    pub cancelled: bool,
}
