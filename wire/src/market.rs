//! What the market answers (`order_*`, `payment_*`, `raffle_*`): orders with their
//! items, a member's payment history, raffles with their phase, entries, the draw
//! recomputed, and the payment events a node received.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use truffle_ledger::types::{
    ClosingBlock, DrawResult, Order, OrderSource, OrderStatus, PaymentRecord, Raffle,
    RaffleCancellation, RaffleStatus, RefundRecord, RefundRequest, TxRef,
};
use truffle_ledger::{Hash, PublicKey};

use crate::chain::TxStatus;
use crate::payments::Payment;

/// Largest page of any market listing.
pub const MAX_PAGE_SIZE: u32 = 100;
/// Page size when none is given.
pub const DEFAULT_PAGE_SIZE: u32 = 20;

/// Which page of a listing: `page` from 1, `page_size` 1 to [`MAX_PAGE_SIZE`].
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(default)]
pub struct PageRequest {
    /// Page number, from 1 (default 1).
    pub page: Option<u32>,
    /// Items per page (default 20, at most 100).
    pub page_size: Option<u32>,
}

/// One page of a listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "{T}Page")]
pub struct Page<T> {
    /// Items in the whole listing.
    pub total: u64,
    /// This page's number, from 1.
    pub page: u32,
    /// Items per page.
    pub page_size: u32,
    /// The items of this page.
    pub items: Vec<T>,
}

/// A piece as an order shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ItemSummary {
    /// Item id.
    pub id: u64,
    /// Its product.
    pub product: u64,
    /// Brand.
    pub brand: String,
    /// Product name (Korean, else English).
    pub name: String,
    /// k of k/N.
    pub edition: u32,
    /// N.
    pub edition_size: u32,
    /// Serial number.
    pub serial: String,
    /// Current owner.
    pub owner: PublicKey,
}

/// An order with its item and this node's record of payments received for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OrderView {
    /// The ledger's order record.
    #[serde(flatten)]
    pub order: Order,
    /// The provider's order id for it.
    pub order_ref: String,
    /// The piece.
    pub item_summary: Option<ItemSummary>,
    /// Pending, but its payment window has passed (it will be expired).
    pub overdue: bool,
    /// Payment events this node received for the order and what became of them.
    pub settlements: Vec<OutboxEntry>,
    /// The buyer's refund request, if any, and where it stands.
    pub refund_request: Option<RefundRequest>,
}

/// Which side of an order a member is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HistoryRole {
    /// The member pays.
    Buyer,
    /// The member is paid.
    Seller,
}

/// One order in a member's payment history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HistoryEntry {
    /// Order id.
    pub order: u64,
    /// The member's side.
    pub role: HistoryRole,
    /// Where it stands.
    pub status: OrderStatus,
    /// Amount, in won.
    pub amount: u64,
    /// Listing or raffle.
    pub source: OrderSource,
    /// The piece.
    pub item: Option<ItemSummary>,
    /// When it was ordered (or won).
    pub created: TxRef,
    /// The payment, once settled.
    pub payment: Option<PaymentRecord>,
    /// The refund, if any.
    pub refund: Option<RefundRecord>,
    /// Why it was cancelled or expired.
    pub closed_reason: Option<String>,
    /// Payment deadline (block time, ms).
    pub expires_at_ms: u64,
    /// Height of its latest recorded change (order, payment or refund): the sort key.
    pub last_height: u64,
}

/// Where a raffle is in its life, as of this node's latest block and clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RafflePhase {
    /// The entry window has not opened.
    Upcoming,
    /// Entries are accepted.
    AcceptingEntries,
    /// The window is over; the next block closes entry.
    Closing,
    /// Entry closed; waiting for every validator's contribution to the seed (their
    /// nodes send them by themselves, within seconds).
    AwaitingContributions,
    /// The contribution deadline passed with a validator's contribution missing: the
    /// next draw transaction voids the raffle (the seller is not blamed).
    MissedContribution,
    /// Every validator contributed; the seller may reveal the secret until the reveal
    /// deadline.
    AwaitingReveal,
    /// The seller revealed: anyone may draw.
    ReadyToDraw,
    /// The reveal deadline passed without the secret: the next draw transaction voids
    /// the raffle (nothing is drawn).
    MissedReveal,
    /// Drawn.
    Drawn,
    /// Void: the seller did not reveal its secret in time (the miss is on its
    /// standing), or a validator's contribution did not come; nothing was drawn or
    /// charged, the prizes went back to the seller.
    Void,
    /// The seller cancelled it before entry closed (`RaffleView::cancellation` says
    /// why); nothing was drawn or charged, the prizes went back to the seller.
    Cancelled,
}

/// A raffle with its phase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RaffleView {
    /// The ledger's raffle record.
    #[serde(flatten)]
    pub raffle: Raffle,
    /// Where it is in its life.
    pub phase: RafflePhase,
    /// Last height at which the seller may reveal, once entry closed.
    pub reveal_deadline: Option<u64>,
    /// Why and when the seller cancelled it, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancellation: Option<RaffleCancellation>,
}

/// The draw recomputed from the ledger's entries, closing block and secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Recomputed {
    /// The seed.
    pub seed: Hash,
    /// Winners, in prize order.
    pub winners: Vec<PublicKey>,
    /// Runners-up, in order.
    pub runners_up: Vec<PublicKey>,
}

/// Everything needed to check a raffle's draw, and the check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RaffleOutcome {
    /// Raffle id.
    pub raffle: u64,
    /// Status.
    pub status: RaffleStatus,
    /// Phase.
    pub phase: RafflePhase,
    /// The seller's commitment, fixed at creation.
    pub seed_commitment: Hash,
    /// The block that closed entry (its hash is half of the seed).
    pub closing_block: Option<ClosingBlock>,
    /// Last height at which the seller may reveal.
    pub reveal_deadline: Option<u64>,
    /// The seller's secret, once revealed.
    pub revealed_secret: Option<Hash>,
    /// Whether the revealed secret matches the commitment.
    pub secret_matches_commitment: Option<bool>,
    /// The seller missed the deadline: the raffle is (or is about to be) void.
    pub seller_missed_reveal: bool,
    /// Entries.
    pub entries: u32,
    /// Entries taking part (not cancelled by a withdrawal).
    pub eligible_entries: u32,
    /// Prizes (item ids), in order.
    pub items: Vec<u64>,
    /// The draw as recorded on the ledger.
    pub recorded: Option<DrawResult>,
    /// The draw recomputed by this node from the entries, closing block and secret.
    pub recomputed: Option<Recomputed>,
    /// Whether the recomputation matches the record.
    pub matches: Option<bool>,
}

/// What came of a member's entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum EntryOutcome {
    /// Not drawn yet.
    Waiting,
    /// Won this prize.
    Won {
        /// The item.
        item: u64,
    },
    /// Drawn as runner-up at this rank (1 = first).
    RunnerUp {
        /// Rank.
        rank: u32,
    },
    /// Not drawn.
    NotSelected,
    /// The entry was cancelled (withdrawal).
    Cancelled,
    /// The raffle is void: its seller did not reveal the committed secret by the
    /// deadline, so nothing was drawn and nothing is charged.
    Void,
    /// The seller cancelled the raffle before entry closed (`raffle_get` says why:
    /// `cancellation.reason`); nothing was drawn and nothing is charged.
    RaffleCancelled,
}

/// A member's raffle entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MyEntry {
    /// Raffle id.
    pub raffle: u64,
    /// The raffle's phase.
    pub phase: RafflePhase,
    /// Position in entry order.
    pub position: u32,
    /// The entering transaction.
    pub tx: TxRef,
    /// What came of it.
    pub outcome: EntryOutcome,
    /// What a winner pays, in won.
    pub price: u64,
    /// Prizes.
    pub items: Vec<u64>,
}

/// Where a payment event stands on this node.
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
pub enum SettlementState {
    /// Received; the ledger has not settled it yet.
    Pending,
    /// Settled on the ledger: the order is paid by this payment.
    Settled {
        /// Height of the settlement's block.
        height: u64,
    },
    /// The payment could not buy the order and was cancelled (refunded) at the provider.
    Refunded {
        /// Why.
        reason: String,
    },
    /// The order failed (for example, the amount did not match): payment cancelled,
    /// order cancelled.
    Failed {
        /// Why.
        reason: String,
    },
    /// Nothing to settle (another status, or not an order of this chain).
    Ignored {
        /// Why.
        reason: String,
    },
}

/// How the node learnt of the payment.
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
#[serde(rename_all = "snake_case")]
pub enum EventSource {
    /// A signed webhook.
    Webhook,
    /// The provider's answer to the node's confirmation.
    Confirmation,
}

/// A verified payment event and what became of it.
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
#[schemars(rename = "PaymentEvent")]
pub struct OutboxEntry {
    /// Provider name.
    pub provider: String,
    /// The provider's event id (the ledger's idempotency key).
    pub event_id: String,
    /// Webhook or confirmation.
    pub source: EventSource,
    /// The provider's payment id.
    pub payment_key: String,
    /// The provider's order id.
    pub order_ref: String,
    /// The ledger order, when the order id is one of this chain's.
    pub order: Option<u64>,
    /// The payment status the event reports (`DONE`, `CANCELED`...).
    pub status: String,
    /// The amount paid, in won.
    pub amount: u64,
    /// When this node received it, ms.
    pub received_ms: u64,
    /// Where it stands.
    pub state: SettlementState,
    /// Settlement attempts so far.
    pub attempts: u32,
    /// Why the last attempt did not finish.
    pub last_error: Option<String>,
    /// When the entry last changed, ms.
    pub updated_ms: u64,
}

/// What a refund did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RefundReceipt {
    /// The refund transaction.
    pub hash: Hash,
    /// Where it stands (`committed`, or `pending` if the block did not come in time).
    pub status: TxStatus,
    /// The payment as the provider reports it after the cancellation.
    pub provider_payment: Payment,
    /// The order now.
    pub order: OrderView,
}

impl SettlementState {
    /// Whether nothing more will happen to the entry.
    pub fn is_final(&self) -> bool {
        !matches!(self, SettlementState::Pending)
    }
}
