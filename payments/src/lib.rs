//! Payment providers for Truffle.
//!
//! The node takes payments through a [`PaymentProvider`], modelled on the Korean
//! gateways (Toss Payments, PortOne): a checkout per order, a confirmation that states
//! the amount, signed webhook events, cancellations for refunds, and idempotency keys on
//! every call that changes money. Three implementations:
//!
//! - [`Sandbox`]: a gateway that runs inside the node for development and tests. Its
//!   checkout page is served on the node's RPC port (`/sandbox/checkout/{payment_key}`);
//!   paying there marks the payment `DONE` and delivers a signed webhook to the node's
//!   own `/payments/webhook`, retrying until it is acknowledged. Its records live in a
//!   [`SandboxStore`] (the node's local column family), so they survive restarts.
//! - [`TossProvider`]: Toss Payments (the payment widget, `POST /v1/payments/confirm`
//!   with Basic auth and an `Idempotency-Key`; unsigned webhooks answered by fetching
//!   the payment, deposit callbacks checked by their `secret`).
//! - [`PortOneProvider`]: PortOne V2 (the browser SDK's `requestPayment`, webhooks
//!   signed per [`standard_webhooks`], the payment fetched before anything settles).
//!
//! The sandbox signs its webhooks per [`webhook`]: HMAC-SHA256 over `timestamp.body`.
//! [`fakes`] (feature `fakes`) serves local stand-ins of both gateways for tests;
//! [`fuzzing`] holds the logic of the webhook fuzz targets.
//! Amounts are integer won throughout.

mod error;
#[cfg(any(test, feature = "fakes"))]
pub mod fakes;
pub mod fuzzing;
pub mod portone;
mod provider;
mod rest;
mod sandbox;
pub mod standard_webhooks;
pub mod toss;
mod types;
pub mod webhook;

pub use error::{PaymentError, PaymentResult, SignatureError};
pub use portone::{PortOneConfig, PortOneProvider};
pub use provider::{verify_signed_event, HeaderMap, PaymentProvider, WebhookNotice};
pub use sandbox::{
    Delivery, Entries, MemorySandboxStore, Sandbox, SandboxRecord, SandboxStore, SandboxStoreError,
    MAX_DELIVERY_ATTEMPTS, SANDBOX,
};
pub use toss::{TossConfig, TossProvider};
pub use types::{
    iso8601, CancelRecord, CancelRequest, Checkout, CheckoutRequest, ConfirmRequest, Payment,
    PaymentStatus, WebhookEvent, PAYMENT_STATUS_CHANGED,
};

/// The order id a provider sees for ledger order `order` of the chain whose id starts
/// with `chain_prefix` (8 hex characters): `truffle-<chain>-<order>`, unique per chain
/// and order, within Toss' 6–64 characters of `[A-Za-z0-9_-]`.
pub fn order_ref(chain_prefix: &str, order: u64) -> String {
    format!("truffle-{chain_prefix}-{order}")
}

/// The ledger order id in `order_ref`, if it is an order of the chain `chain_prefix`.
pub fn parse_order_ref(chain_prefix: &str, order_ref: &str) -> Option<u64> {
    let rest = order_ref.strip_prefix("truffle-")?;
    let (chain, order) = rest.split_once('-')?;
    if chain != chain_prefix || order.is_empty() || !order.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let id = order.parse::<u64>().ok()?;
    (id.to_string() == order).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_refs_round_trip_per_chain() {
        let reference = order_ref("1a2b3c4d", 17);
        assert_eq!(reference, "truffle-1a2b3c4d-17");
        assert_eq!(parse_order_ref("1a2b3c4d", &reference), Some(17));
        assert_eq!(parse_order_ref("ffffffff", &reference), None);
        for bad in [
            "truffle-1a2b3c4d-",
            "truffle-1a2b3c4d-017",
            "truffle-1a2b3c4d-1x",
            "order-17",
        ] {
            assert_eq!(parse_order_ref("1a2b3c4d", bad), None, "{bad}");
        }
    }
}
