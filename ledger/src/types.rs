//! The records the ledger keeps in its state, one struct per kind.
//!
//! Every record is borsh-encoded into the authenticated state map; the serde
//! derives serve JSON-RPC and the CLI. Fields are only appended, never reordered.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::crypto::PublicKey;
use crate::hash::Hash;

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

/// What an account may do.
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
pub enum Role {
    /// A verified marketplace member (buyer; seller once approved).
    Member,
    /// Marketplace administrator: approves sellers, runs ads, changes validators.
    Admin,
    /// A validator's service account: registers verified members, settles payments.
    Operator,
}

/// Whether an account may sign.
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
pub enum AccountStatus {
    /// Normal.
    Active,
    /// Frozen by an admin; may be reactivated.
    Suspended,
    /// The member left; final.
    Withdrawn,
}

/// A member's standing as a seller.
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
#[serde(rename_all = "snake_case", tag = "state")]
pub enum SellerStatus {
    /// Not a seller.
    None,
    /// Applied, waiting for an admin.
    Applied {
        /// Shop name given in the application.
        shop_name: String,
    },
    /// May register products.
    Approved {
        /// Shop name.
        shop_name: String,
        /// Height of the approval.
        since_height: u64,
    },
    /// Was a seller; may no longer register products.
    Revoked {
        /// Shop name.
        shop_name: String,
        /// Height of the revocation.
        at_height: u64,
    },
}

/// Gender, for ad targeting and recommendation cohorts.
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
pub enum Gender {
    /// Female.
    Female,
    /// Male.
    Male,
    /// Other or not stated.
    Other,
}

/// An account on the ledger.
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
pub struct Account {
    /// The account's public key (its id).
    pub key: PublicKey,
    /// What the account may do.
    pub role: Role,
    /// Whether it may sign.
    pub status: AccountStatus,
    /// The nonce the account's next transaction must carry.
    pub nonce: u64,
    /// A registrar checked the member's phone before registering it.
    pub phone_verified: bool,
    /// Birth year attested at registration, for age-limited raffles; cleared on withdrawal.
    pub birth_year: Option<u16>,
    /// Seller standing.
    pub seller: SellerStatus,
    /// Height at which the account was created.
    pub registered_height: u64,
    /// Raffles of this seller voided because it withheld its committed secret.
    pub missed_reveals: u32,
    /// Block time before which this seller may not create a raffle (0: no cooling
    /// period): set when a raffle is voided for a missed reveal, to the void's block
    /// time plus `missed_reveals × ChainParams::missed_reveal_cooldown_ms`.
    pub raffle_cooldown_until_ms: u64,
}

impl Account {
    /// Whether the account may register products.
    pub fn is_approved_seller(&self) -> bool {
        matches!(self.seller, SellerStatus::Approved { .. })
    }
}

/// What a seller submits to register a limited edition.
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
pub struct ProductSpec {
    /// Brand, e.g. "Nike".
    pub brand: String,
    /// Model or style code, e.g. "DD1391-100".
    pub model: String,
    /// Korean name, e.g. "나이키 덩크 로우 범고래" (may be empty if `name_en` is set).
    pub name_ko: String,
    /// English name (may be empty if `name_ko` is set).
    pub name_en: String,
    /// Category, e.g. "sneakers".
    pub category: String,
    /// Release date as YYYYMMDD.
    pub release_date: u32,
    /// Price of one piece, in won.
    pub price: u64,
    /// Free-text description.
    pub description: String,
    /// blake3 of each product image (the images stay off the ledger).
    pub image_hashes: Vec<Hash>,
    /// Serial number of each piece; the edition size N is their count.
    pub serials: Vec<String>,
    /// List every piece for sale at `price` as soon as it is registered.
    pub list_for_sale: bool,
}

/// A registered limited edition.
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
pub struct Product {
    /// Product id (sequential).
    pub id: u64,
    /// The approved seller that registered it.
    pub seller: PublicKey,
    /// Brand.
    pub brand: String,
    /// Model or style code.
    pub model: String,
    /// Korean name.
    pub name_ko: String,
    /// English name.
    pub name_en: String,
    /// Category.
    pub category: String,
    /// Release date as YYYYMMDD.
    pub release_date: u32,
    /// Price of one piece, in won.
    pub price: u64,
    /// Description.
    pub description: String,
    /// blake3 of each image.
    pub image_hashes: Vec<Hash>,
    /// Edition size N.
    pub edition_size: u32,
    /// Id of piece 1/N; piece k/N has id `first_item + k - 1`.
    pub first_item: u64,
    /// The registering transaction.
    pub registered: TxRef,
}

/// Why an item cannot move right now.
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
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum ItemLock {
    /// Free to transfer.
    Free,
    /// Escrowed as a prize of this raffle.
    Raffle(u64),
    /// Reserved for this pending order.
    Order(u64),
}

/// One physical piece of a limited edition.
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
pub struct Item {
    /// Item id (sequential across all products).
    pub id: u64,
    /// Product it belongs to.
    pub product: u64,
    /// Its number k in the edition k/N.
    pub edition: u32,
    /// Edition size N.
    pub edition_size: u32,
    /// Serial number, as registered.
    pub serial: String,
    /// Current owner.
    pub owner: PublicKey,
    /// The transaction that made the current owner the owner.
    pub owner_since: TxRef,
    /// Number of entries in the ownership history (the first is the registration).
    pub history_len: u32,
    /// Escrow state.
    pub lock: ItemLock,
    /// Asking price when listed for sale.
    pub listing_price: Option<u64>,
}

/// How an owner came to own an item.
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
#[serde(rename_all = "snake_case", tag = "kind", content = "order")]
pub enum Acquisition {
    /// The seller registered it.
    Registered,
    /// The previous owner gave it.
    Transferred,
    /// Bought through this order.
    Purchased(u64),
    /// Returned to the seller by the refund of this order.
    Refunded(u64),
}

/// One entry of an item's ownership history.
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
pub struct OwnershipRecord {
    /// Item id.
    pub item: u64,
    /// Position in the history, from 0.
    pub sequence: u32,
    /// The owner from this point.
    pub owner: PublicKey,
    /// How they got it.
    pub acquisition: Acquisition,
    /// The transaction that did it.
    pub tx: TxRef,
}

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
    /// Blocks after the closing block within which the seller must reveal.
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
    /// The seller did not reveal its secret by the deadline: nothing was drawn, nothing
    /// charged, the prizes went back to the seller, and the miss is on its account.
    Void,
}

/// The block that closed a raffle's entry: its hash is half of the draw's seed.
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

/// How an order came about.
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
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum OrderSource {
    /// The buyer bought a listed item.
    Listing,
    /// The buyer won (or inherited, as runner-up) a raffle prize.
    Raffle {
        /// Raffle id.
        raffle: u64,
    },
}

/// Where an order stands.
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
pub enum OrderStatus {
    /// Waiting for payment.
    Pending,
    /// Paid and settled: the buyer owns the item.
    Paid,
    /// Not paid in time.
    Expired,
    /// Cancelled before payment.
    Cancelled,
    /// Paid, then refunded.
    Refunded,
}

/// A payment as confirmed by the provider.
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
pub struct PaymentRecord {
    /// Provider name, e.g. "sandbox" or "toss".
    pub provider: String,
    /// The provider's id of the payment.
    pub payment_key: String,
    /// The provider's id of the webhook event that confirmed it.
    pub event_id: String,
    /// Amount confirmed, in won.
    pub amount: u64,
    /// The settlement transaction.
    pub settled: TxRef,
}

/// A refund of a paid order.
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
pub struct RefundRecord {
    /// Amount refunded, in won.
    pub amount: u64,
    /// Why.
    pub reason: String,
    /// Whether ownership went back to the seller.
    pub ownership_reversed: bool,
    /// The refund transaction.
    pub refunded: TxRef,
}

/// An order for one item.
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
pub struct Order {
    /// Order id (sequential).
    pub id: u64,
    /// The item.
    pub item: u64,
    /// Who pays.
    pub buyer: PublicKey,
    /// Who is paid (the owner when the order was made).
    pub seller: PublicKey,
    /// Amount due, in won.
    pub amount: u64,
    /// Listing or raffle.
    pub source: OrderSource,
    /// Where it stands.
    pub status: OrderStatus,
    /// The creating transaction (or the draw that created it).
    pub created: TxRef,
    /// Block time after which an unpaid order may be expired.
    pub expires_at_ms: u64,
    /// The payment, once settled.
    pub payment: Option<PaymentRecord>,
    /// The refund, if any.
    pub refund: Option<RefundRecord>,
    /// Why it was cancelled or expired.
    pub closed_reason: Option<String>,
}

/// What an admin submits to run a banner.
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
pub struct AdSpec {
    /// Title (alt text of the banner).
    pub title: String,
    /// Image URL of the banner.
    pub image_url: String,
    /// Where a click goes: an absolute http(s) URL fixed here, never taken from a request.
    pub landing_url: String,
    /// Page the banner shows on, e.g. "main" or "search".
    pub placement: String,
    /// First block time it shows.
    pub starts_at_ms: u64,
    /// First block time it no longer shows.
    pub ends_at_ms: u64,
    /// Show only to this gender, if set.
    pub target_gender: Option<Gender>,
    /// Show only to viewers at least this old, if set.
    pub target_min_age: Option<u8>,
    /// Show only to viewers at most this old, if set.
    pub target_max_age: Option<u8>,
}

/// A banner campaign.
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
pub struct AdCampaign {
    /// Campaign id (sequential).
    pub id: u64,
    /// The campaign as created (or last updated).
    pub spec: AdSpec,
    /// Admin switch.
    pub active: bool,
    /// The creating transaction.
    pub created: TxRef,
}

impl AdCampaign {
    /// Whether the banner shows at block time `now_ms`.
    pub fn is_live_at(&self, now_ms: u64) -> bool {
        self.active && self.spec.starts_at_ms <= now_ms && now_ms < self.spec.ends_at_ms
    }
}

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
    /// Fewest blocks after the closing block in which the seller may reveal its secret.
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
