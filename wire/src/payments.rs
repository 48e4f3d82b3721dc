//! What a payment provider reports and how a customer pays, as the node passes them on
//! (`payment_start`, `order_refund`): shaped after Toss Payments' JSON (camelCase
//! fields, `DONE`-style statuses). Amounts are integer won.

use serde::{Deserialize, Serialize};

/// Where a payment stands at the provider (Toss Payments' status names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentStatus {
    /// Created; the customer has not paid.
    Ready,
    /// The customer authorized it; waiting for the merchant's confirmation.
    InProgress,
    /// A virtual account waits for the deposit.
    WaitingForDeposit,
    /// Paid (approved and captured).
    Done,
    /// Cancelled in full (refunded if it was paid).
    Canceled,
    /// Partly cancelled.
    PartialCanceled,
    /// The customer or the issuer aborted it.
    Aborted,
    /// Not paid in time.
    Expired,
}

impl PaymentStatus {
    /// Whether money was taken and not (fully) given back.
    pub fn is_paid(self) -> bool {
        matches!(self, PaymentStatus::Done | PaymentStatus::PartialCanceled)
    }

    /// The status as the provider spells it, e.g. `DONE`.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Ready => "READY",
            PaymentStatus::InProgress => "IN_PROGRESS",
            PaymentStatus::WaitingForDeposit => "WAITING_FOR_DEPOSIT",
            PaymentStatus::Done => "DONE",
            PaymentStatus::Canceled => "CANCELED",
            PaymentStatus::PartialCanceled => "PARTIAL_CANCELED",
            PaymentStatus::Aborted => "ABORTED",
            PaymentStatus::Expired => "EXPIRED",
        }
    }
}

/// One cancellation (refund) of a payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CancelRecord {
    /// Amount given back, in won.
    pub cancel_amount: u64,
    /// Why.
    pub cancel_reason: String,
    /// When (ISO 8601).
    pub canceled_at: String,
    /// The provider's id of this cancellation.
    #[serde(default)]
    pub transaction_key: String,
}

/// A payment as the provider reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "ProviderPayment")]
pub struct Payment {
    /// The provider's id of the payment.
    pub payment_key: String,
    /// The merchant's order id (see `truffle_payments::order_ref`).
    pub order_id: String,
    /// What is bought, as shown to the customer.
    #[serde(default)]
    pub order_name: String,
    /// Where it stands.
    pub status: PaymentStatus,
    /// Amount paid (or asked for, before payment), in won.
    pub total_amount: u64,
    /// Amount not cancelled, in won.
    #[serde(default)]
    pub balance_amount: u64,
    /// When it was approved (ISO 8601).
    #[serde(default)]
    pub approved_at: Option<String>,
    /// Cancellations, oldest first (Toss sends `null` for none).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub cancels: Vec<CancelRecord>,
}

fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

/// How the customer pays: a checkout page, or the parameters of the provider's
/// payment widget (Toss Payments `requestPayment`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Checkout {
    /// Provider name, e.g. `sandbox` or `toss`.
    pub provider: String,
    /// The merchant's order id.
    pub order_id: String,
    /// What is bought.
    pub order_name: String,
    /// Amount due, in won.
    pub amount: u64,
    /// The payment's key, when the provider issues it before the customer pays
    /// (the sandbox does; Toss issues it with the success redirect).
    pub payment_key: Option<String>,
    /// A page where the customer pays (the sandbox's checkout page).
    pub checkout_url: Option<String>,
    /// Parameters for the provider's widget, when it has one.
    pub widget: Option<serde_json::Value>,
    /// The payment's status, when the provider already knows it.
    pub status: Option<PaymentStatus>,
}
