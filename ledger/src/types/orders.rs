//! Orders and what settles or reverses them: payments and refunds.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::crypto::PublicKey;

use super::TxRef;

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

/// Where a buyer's refund request stands.
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
pub enum RefundRequestStatus {
    /// Waiting for the seller or an admin.
    Requested,
    /// Approved: the operator is refunding the payment at the provider.
    Approved,
    /// Refused; the order stays paid.
    Refused,
    /// The payment was refunded and the ledger recorded it.
    Refunded,
}

/// A buyer's request to refund a paid order (kept beside the order, under
/// `keys::refund_request`, so that the order record's encoding stays as it was).
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
pub struct RefundRequest {
    /// The order.
    pub order: u64,
    /// The buyer's reason.
    pub reason: String,
    /// The request transaction.
    pub requested: TxRef,
    /// Where it stands.
    pub status: RefundRequestStatus,
    /// Whether the piece is locked for the refund (it was still held as the sale left it).
    pub item_locked: bool,
    /// Who decided (the seller or an admin).
    pub decided_by: Option<PublicKey>,
    /// The decider's note to the buyer.
    pub note: Option<String>,
    /// The decision transaction.
    pub decided: Option<TxRef>,
}
