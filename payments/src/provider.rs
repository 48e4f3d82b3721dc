//! The provider trait: what the node asks of a payment gateway.

use futures::future::BoxFuture;
pub use reqwest::header::HeaderMap;

use crate::error::PaymentResult;
use crate::types::{
    CancelRequest, Checkout, CheckoutRequest, ConfirmRequest, Payment, WebhookEvent,
};

/// A payment gateway, modelled on Toss Payments and PortOne:
///
/// ```text
/// node ──checkout(order id, amount)──► provider       (the customer pays on its page/widget)
/// node ──confirm(payment key, order id, amount)──► provider   (amount checked by the provider)
/// provider ──webhook (event id, payment)──► node        (webhook: authenticated)
/// node ──cancel(payment key, reason)──► provider      (refunds; idempotent by key)
/// ```
///
/// Every state-changing call carries an idempotency key, so the node may retry after a
/// timeout without charging or refunding twice.
pub trait PaymentProvider: Send + Sync + 'static {
    /// The provider's name as recorded on the ledger (`PaymentRecord::provider`).
    fn name(&self) -> &str;

    /// Opens a checkout for an order (idempotent per order id while unpaid).
    fn checkout<'a>(
        &'a self,
        request: &'a CheckoutRequest,
    ) -> BoxFuture<'a, PaymentResult<Checkout>>;

    /// Confirms a payment the customer authorized, for exactly `request.amount`.
    fn confirm<'a>(&'a self, request: &'a ConfirmRequest) -> BoxFuture<'a, PaymentResult<Payment>>;

    /// The payment as the provider knows it now.
    fn payment<'a>(&'a self, payment_key: &'a str) -> BoxFuture<'a, PaymentResult<Payment>>;

    /// Cancels (refunds) a payment; cancelling a cancelled payment again is not an error.
    fn cancel<'a>(&'a self, request: &'a CancelRequest) -> BoxFuture<'a, PaymentResult<Payment>>;

    /// Authenticates a webhook (its headers and the exact body received, at the
    /// receiver's clock `now_ms`) and says what it means for a payment. A provider whose
    /// bodies are not signed (Toss) or carry no payment (PortOne) fetches the payment
    /// from its API, so nothing settles on the body's word alone.
    fn webhook<'a>(
        &'a self,
        headers: &'a HeaderMap,
        body: &'a [u8],
        now_ms: u64,
    ) -> BoxFuture<'a, PaymentResult<WebhookNotice>>;
}

/// What an authenticated webhook tells the merchant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebhookNotice {
    /// The state of a payment, vouched for by the provider (a signed body, or fetched
    /// from its API); `event_id` is the same on every delivery of one event.
    Payment {
        /// The event's id (deduplicates redeliveries).
        event_id: String,
        /// The payment.
        payment: Payment,
    },
    /// An event that concerns no payment of the merchant's (an unknown type, a billing
    /// key event): acknowledged so that the provider stops delivering it.
    Ignored {
        /// The event's id.
        event_id: String,
        /// Why nothing happens.
        reason: String,
    },
}

/// Verifies a signed webhook with a shared secret and parses its event (the common
/// implementation of [`PaymentProvider::verify_webhook`]).
pub fn verify_signed_event(
    secret: &[u8],
    tolerance_secs: u64,
    signature: Option<&str>,
    body: &[u8],
    now_ms: u64,
) -> PaymentResult<WebhookEvent> {
    crate::webhook::verify(secret, signature, body, now_ms, tolerance_secs)?;
    let event: WebhookEvent = serde_json::from_slice(body)
        .map_err(|e| crate::PaymentError::MalformedEvent(e.to_string()))?;
    if event.event_id.is_empty() || event.event_id.len() > 200 {
        return Err(crate::PaymentError::MalformedEvent(
            "eventId must be 1 to 200 characters".to_owned(),
        ));
    }
    Ok(event)
}
