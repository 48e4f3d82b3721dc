//! What the node and a provider exchange: checkouts, payments, cancels and webhook
//! events, shaped after Toss Payments' JSON (camelCase fields, `DONE`-style statuses).
//! Amounts are integer won.

use serde::{Deserialize, Serialize};

pub use truffle_wire::payments::{CancelRecord, Checkout, Payment, PaymentStatus};

/// What the merchant asks the provider to open a checkout for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutRequest {
    /// The merchant's order id (unique per order: see [`crate::order_ref`]).
    pub order_id: String,
    /// What is bought.
    pub order_name: String,
    /// Amount due, in won.
    pub amount: u64,
    /// An opaque id of the customer (never personal data).
    pub customer_key: String,
    /// Where the customer's browser goes after paying.
    pub success_url: Option<String>,
    /// Where it goes when paying failed.
    pub fail_url: Option<String>,
}

/// The merchant confirms a payment the customer authorized (Toss `POST /v1/payments/confirm`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmRequest {
    /// The payment's key.
    pub payment_key: String,
    /// The merchant's order id it must belong to.
    pub order_id: String,
    /// The amount the merchant expects, in won: the provider refuses any other.
    pub amount: u64,
    /// Makes a retried confirmation harmless (sent as the `Idempotency-Key` header).
    pub idempotency_key: String,
}

/// The merchant cancels (refunds) a payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelRequest {
    /// The payment's key.
    pub payment_key: String,
    /// Why.
    pub reason: String,
    /// Amount to give back; `None`: all of it.
    pub amount: Option<u64>,
    /// Makes a retried cancellation harmless (sent as the `Idempotency-Key` header).
    pub idempotency_key: String,
}

/// The event type of a payment status change.
pub const PAYMENT_STATUS_CHANGED: &str = "PAYMENT_STATUS_CHANGED";

/// A webhook event: what the provider tells the merchant, signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEvent {
    /// The provider's id of the event; delivering it again uses the same id.
    pub event_id: String,
    /// The kind, e.g. [`PAYMENT_STATUS_CHANGED`].
    pub event_type: String,
    /// When the event happened (ISO 8601).
    pub created_at: String,
    /// The payment as of the event.
    pub data: Payment,
}

/// Formats ms since the Unix epoch as ISO 8601 in UTC, e.g. `2024-03-01T09:00:00.000Z`.
pub fn iso8601(ms: u64) -> String {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Days to civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_formats_utc() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_709_283_600_123), "2024-03-01T09:00:00.123Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn payments_read_toss_json() {
        let json = r#"{"paymentKey":"tgen_1","orderId":"truffle-1","orderName":"덩크","status":"DONE",
            "totalAmount":159000,"balanceAmount":159000,"approvedAt":"2024-03-01T18:00:00+09:00",
            "method":"카드","cancels":null}"#;
        let payment: Payment = serde_json::from_str(json).unwrap();
        assert!(payment.cancels.is_empty());
        assert_eq!(payment.status, PaymentStatus::Done);
        assert_eq!(payment.total_amount, 159_000);
        assert!(payment.status.is_paid());
        assert_eq!(
            serde_json::to_value(PaymentStatus::PartialCanceled).unwrap(),
            "PARTIAL_CANCELED"
        );
    }
}
