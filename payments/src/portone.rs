//! PortOne V2 (<https://developers.portone.io>): the browser SDK, the REST API, and
//! webhooks signed per Standard Webhooks.
//!
//! ```text
//! browser: PortOne.requestPayment({storeId, channelKey, paymentId, orderName,
//!          totalAmount, currency, payMethod, redirectUrl}) → {paymentId, code?, message?}
//! GET  {base}/payments/{paymentId}                       → the payment (status, amount.total)
//! POST {base}/payments/{paymentId}/cancel {reason[, amount]} → {cancellation}
//! POST {node}/payments/webhook  webhook-id, webhook-timestamp, webhook-signature
//!      {"type": "Transaction.Paid", "timestamp": …, "data": {paymentId, storeId, transactionId}}
//! ```
//!
//! The merchant names the payment: its `paymentId` is the order's reference
//! ([`crate::order_ref`]), so a payment can only ever settle the order it was made for,
//! and PortOne refuses to take a second payment under the same id. Calls authenticate
//! with `Authorization: PortOne <API secret>`; cancellations carry an `Idempotency-Key`.
//!
//! A webhook is verified ([`crate::standard_webhooks`], several secrets for rotation),
//! then the payment it names is fetched from the API: its status and amount come from
//! PortOne, never from the body. `Transaction.*` events of this store are payment
//! notices; any other type (billing keys, a type added later) is acknowledged and
//! ignored.

use std::time::Duration;

use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::json;

use crate::error::{PaymentError, PaymentResult};
use crate::provider::{HeaderMap, PaymentProvider, WebhookNotice};
use crate::standard_webhooks::{self, WebhookSecret};
use crate::types::{
    CancelRecord, CancelRequest, Checkout, CheckoutRequest, ConfirmRequest, Payment, PaymentStatus,
};

/// PortOne's API, by default.
pub const DEFAULT_API_URL: &str = "https://api.portone.io";
/// Where the browser loads the V2 SDK from, by default.
pub const DEFAULT_SDK_URL: &str = "https://cdn.portone.io/v2/browser-sdk.js";
/// The provider's name on the ledger.
pub const PORTONE: &str = "portone";

/// How to reach and authenticate with PortOne.
#[derive(Clone)]
pub struct PortOneConfig {
    /// Base URL of the REST API.
    pub api_url: String,
    /// The V2 API secret (`Authorization: PortOne <secret>`).
    pub api_secret: String,
    /// The store's id (public; the browser SDK needs it, webhooks name it).
    pub store_id: String,
    /// The channel (PG contract) the browser pays through (public).
    pub channel_key: String,
    /// Webhook secrets, newest first (several while rotating).
    pub webhook_secrets: Vec<WebhookSecret>,
    /// Tolerance of webhook timestamps, seconds.
    pub webhook_tolerance_secs: u64,
    /// Where the customer's browser loads the SDK from.
    pub sdk_url: String,
    /// Timeout of one call.
    pub timeout: Duration,
}

impl std::fmt::Debug for PortOneConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortOneConfig")
            .field("api_url", &self.api_url)
            .field("store_id", &self.store_id)
            .finish_non_exhaustive()
    }
}

/// A PortOne V2 client.
#[derive(Debug)]
pub struct PortOneProvider {
    config: PortOneConfig,
    http: reqwest::Client,
}

/// `amount` of a PortOne payment.
#[derive(Deserialize)]
struct Amount {
    total: u64,
    #[serde(default)]
    cancelled: u64,
}

/// One entry of `cancellations`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cancellation {
    #[serde(default)]
    id: String,
    #[serde(default)]
    total_amount: u64,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    cancelled_at: Option<String>,
    #[serde(default)]
    requested_at: Option<String>,
}

/// A payment as `GET /payments/{paymentId}` returns it (the fields the node uses).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PortOnePayment {
    status: String,
    id: String,
    #[serde(default)]
    store_id: Option<String>,
    #[serde(default)]
    order_name: String,
    amount: Amount,
    currency: String,
    #[serde(default)]
    paid_at: Option<String>,
    #[serde(default)]
    cancellations: Vec<Cancellation>,
}

/// A webhook body.
#[derive(Deserialize)]
struct WebhookBody {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    data: serde_json::Value,
}

fn status(text: &str) -> Option<PaymentStatus> {
    Some(match text {
        "READY" => PaymentStatus::Ready,
        "PENDING" | "PAY_PENDING" => PaymentStatus::InProgress,
        "VIRTUAL_ACCOUNT_ISSUED" => PaymentStatus::WaitingForDeposit,
        "PAID" => PaymentStatus::Done,
        "FAILED" => PaymentStatus::Aborted,
        "PARTIAL_CANCELLED" => PaymentStatus::PartialCanceled,
        "CANCELLED" => PaymentStatus::Canceled,
        _ => return None,
    })
}

impl PortOnePayment {
    fn into_payment(self) -> PaymentResult<Payment> {
        let status = status(&self.status).ok_or_else(|| {
            PaymentError::InvalidResponse(format!("unknown payment status {:?}", self.status))
        })?;
        // Amounts are integer won: a payment in another currency is not one of ours.
        if self.currency != "KRW" {
            return Err(PaymentError::InvalidResponse(format!(
                "payment {} is in {}, not KRW",
                self.id, self.currency
            )));
        }
        Ok(Payment {
            payment_key: self.id.clone(),
            order_id: self.id,
            order_name: self.order_name,
            status,
            total_amount: self.amount.total,
            balance_amount: self.amount.total.saturating_sub(self.amount.cancelled),
            approved_at: self.paid_at,
            cancels: self
                .cancellations
                .into_iter()
                .map(|c| CancelRecord {
                    cancel_amount: c.total_amount,
                    cancel_reason: c.reason,
                    canceled_at: c.cancelled_at.or(c.requested_at).unwrap_or_default(),
                    transaction_key: c.id,
                })
                .collect(),
        })
    }
}

impl PortOneProvider {
    /// A client for `config`.
    pub fn new(config: PortOneConfig) -> PaymentResult<PortOneProvider> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| PaymentError::Transport(e.to_string()))?;
        Ok(PortOneProvider { config, http })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.api_url.trim_end_matches('/'))
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        idempotency_key: Option<&str>,
    ) -> PaymentResult<T> {
        let mut request = request
            .header(
                reqwest::header::AUTHORIZATION,
                format!("PortOne {}", self.config.api_secret),
            )
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        let (status, body) = crate::rest::send(request).await?;
        crate::rest::decode(status, &body, "type")
    }

    /// The payment `payment_id` of this store.
    async fn fetch(&self, payment_id: &str) -> PaymentResult<Payment> {
        if !crate::rest::is_path_safe(payment_id) {
            return Err(PaymentError::UnknownPayment(payment_id.to_owned()));
        }
        let call = self.http.get(self.url(&format!("/payments/{payment_id}")));
        let fetched: PortOnePayment = match self.call(call, None).await {
            Err(PaymentError::Refused { code, .. }) if code == "PAYMENT_NOT_FOUND" => {
                return Err(PaymentError::UnknownPayment(payment_id.to_owned()))
            }
            other => other?,
        };
        if fetched.id != payment_id {
            return Err(PaymentError::InvalidResponse(format!(
                "asked for payment {payment_id}, got {}",
                fetched.id
            )));
        }
        if fetched
            .store_id
            .as_deref()
            .is_some_and(|store| store != self.config.store_id)
        {
            return Err(PaymentError::UnknownPayment(payment_id.to_owned()));
        }
        fetched.into_payment()
    }

    async fn webhook_now(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now_ms: u64,
    ) -> PaymentResult<WebhookNotice> {
        let event_id = standard_webhooks::verify(
            &self.config.webhook_secrets,
            standard_webhooks::Headers::from_map(headers),
            body,
            now_ms,
            self.config.webhook_tolerance_secs,
        )?;
        match read_webhook(body, &self.config.store_id)? {
            PortOneEvent::Ignored { reason } => Ok(WebhookNotice::Ignored { event_id, reason }),
            PortOneEvent::Payment { payment_id } => {
                let payment = self.fetch(&payment_id).await?;
                Ok(WebhookNotice::Payment { event_id, payment })
            }
        }
    }
}

/// What a verified webhook body of store `store_id` asks of the node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortOneEvent {
    /// A `Transaction.*` event: fetch payment `payment_id` (the body's status and amount
    /// are never believed).
    Payment {
        /// The payment to fetch.
        payment_id: String,
    },
    /// Another type, or another store's event: acknowledged, nothing done.
    Ignored {
        /// Why.
        reason: String,
    },
}

/// Reads a webhook body (after its signature is checked): `{type, timestamp, data:
/// {paymentId, transactionId[, storeId]}}`, as PortOne's server SDK types it.
pub fn read_webhook(body: &[u8], store_id: &str) -> PaymentResult<PortOneEvent> {
    // JSON is UTF-8 (RFC 8259): serde_json would skip bad bytes in fields it ignores.
    let body = std::str::from_utf8(body)
        .map_err(|_| PaymentError::MalformedEvent("the body is not UTF-8".into()))?;
    let hook: WebhookBody =
        serde_json::from_str(body).map_err(|e| PaymentError::MalformedEvent(e.to_string()))?;
    let text = |name: &str| hook.data.get(name).and_then(|v| v.as_str());
    if !hook.kind.starts_with("Transaction.") {
        let kind: String = hook.kind.chars().take(64).collect();
        return Ok(PortOneEvent::Ignored {
            reason: format!("a {kind:?} event concerns no payment"),
        });
    }
    if text("storeId").is_some_and(|store| store != store_id) {
        return Ok(PortOneEvent::Ignored {
            reason: "the event is of another store".into(),
        });
    }
    let Some(payment_id) = text("paymentId") else {
        return Err(PaymentError::MalformedEvent(
            "data.paymentId is missing".into(),
        ));
    };
    Ok(PortOneEvent::Payment {
        payment_id: payment_id.to_owned(),
    })
}

/// Reads a payment as `GET /payments/{paymentId}` answers it (the fuzz target reads
/// answers too: they cross a trust boundary as webhooks do).
pub(crate) fn read_payment(body: &[u8]) -> PaymentResult<Payment> {
    serde_json::from_slice::<PortOnePayment>(body)
        .map_err(|e| PaymentError::InvalidResponse(e.to_string()))?
        .into_payment()
}

impl PaymentProvider for PortOneProvider {
    fn name(&self) -> &str {
        PORTONE
    }

    fn checkout<'a>(
        &'a self,
        request: &'a CheckoutRequest,
    ) -> BoxFuture<'a, PaymentResult<Checkout>> {
        Box::pin(async move {
            Ok(Checkout {
                provider: PORTONE.into(),
                order_id: request.order_id.clone(),
                order_name: request.order_name.clone(),
                amount: request.amount,
                payment_key: Some(request.order_id.clone()),
                checkout_url: None,
                widget: Some(json!({
                    "sdk": "portone",
                    "sdkUrl": self.config.sdk_url,
                    "storeId": self.config.store_id,
                    "channelKey": self.config.channel_key,
                    "paymentId": request.order_id,
                    "orderName": request.order_name,
                    "totalAmount": request.amount,
                    "currency": "CURRENCY_KRW",
                    "payMethod": "CARD",
                    "customer": { "customerId": request.customer_key },
                    "redirectUrl": request.success_url,
                })),
                status: None,
            })
        })
    }

    /// PortOne has no confirmation step for card payments: the payment is fetched and
    /// must be this order's, paid, for exactly the amount.
    fn confirm<'a>(&'a self, request: &'a ConfirmRequest) -> BoxFuture<'a, PaymentResult<Payment>> {
        Box::pin(async move {
            // The payment id is the order's reference: another order's payment (paid
            // for the same amount, say) must not settle this one.
            if request.payment_key != request.order_id {
                return Err(PaymentError::UnknownPayment(request.payment_key.clone()));
            }
            let payment = self.fetch(&request.payment_key).await?;
            if !payment.status.is_paid() {
                return Err(PaymentError::NotPaid {
                    payment_key: payment.payment_key,
                    status: payment.status.as_str().to_owned(),
                });
            }
            if payment.total_amount != request.amount {
                return Err(PaymentError::AmountMismatch {
                    expected: request.amount,
                    authorized: payment.total_amount,
                });
            }
            Ok(payment)
        })
    }

    fn payment<'a>(&'a self, payment_key: &'a str) -> BoxFuture<'a, PaymentResult<Payment>> {
        Box::pin(self.fetch(payment_key))
    }

    fn cancel<'a>(&'a self, request: &'a CancelRequest) -> BoxFuture<'a, PaymentResult<Payment>> {
        Box::pin(async move {
            if !crate::rest::is_path_safe(&request.payment_key) {
                return Err(PaymentError::UnknownPayment(request.payment_key.clone()));
            }
            let mut body = json!({ "reason": request.reason, "storeId": self.config.store_id });
            if let Some(amount) = request.amount {
                body["amount"] = json!(amount);
            }
            let call = self
                .http
                .post(self.url(&format!("/payments/{}/cancel", request.payment_key)))
                .json(&body);
            match self
                .call::<serde_json::Value>(call, Some(&request.idempotency_key))
                .await
            {
                Ok(_) => {}
                // Cancelling again (a retry after a lost answer) is not an error.
                Err(PaymentError::Refused { code, .. }) if code == "PAYMENT_ALREADY_CANCELLED" => {}
                Err(PaymentError::Refused { code, .. }) if code == "PAYMENT_NOT_FOUND" => {
                    return Err(PaymentError::UnknownPayment(request.payment_key.clone()))
                }
                Err(other) => return Err(other),
            }
            self.fetch(&request.payment_key).await
        })
    }

    fn webhook<'a>(
        &'a self,
        headers: &'a HeaderMap,
        body: &'a [u8],
        now_ms: u64,
    ) -> BoxFuture<'a, PaymentResult<WebhookNotice>> {
        Box::pin(self.webhook_now(headers, body, now_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::FakePortOne;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    async fn setup(api_secret: &str) -> (FakePortOne, PortOneProvider) {
        let fake = FakePortOne::start(
            "api-secret",
            "store-1",
            WebhookSecret::parse(SECRET).unwrap(),
        )
        .await
        .unwrap();
        let provider = PortOneProvider::new(PortOneConfig {
            api_url: fake.url.clone(),
            api_secret: api_secret.into(),
            store_id: "store-1".into(),
            channel_key: "channel-1".into(),
            // The node holds a newer secret too (rotation): the old one still verifies.
            webhook_secrets: vec![
                WebhookSecret::from_bytes(b"next".to_vec()),
                WebhookSecret::parse(SECRET).unwrap(),
            ],
            webhook_tolerance_secs: 300,
            sdk_url: DEFAULT_SDK_URL.into(),
            timeout: Duration::from_secs(5),
        })
        .unwrap();
        (fake, provider)
    }

    fn headers(id: &str, timestamp: u64, signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(standard_webhooks::ID_HEADER, id.parse().unwrap());
        headers.insert(
            standard_webhooks::TIMESTAMP_HEADER,
            timestamp.to_string().parse().unwrap(),
        );
        headers.insert(
            standard_webhooks::SIGNATURE_HEADER,
            signature.parse().unwrap(),
        );
        headers
    }

    #[tokio::test]
    async fn confirms_only_this_orders_paid_payment_for_its_amount() {
        let (fake, portone) = setup("api-secret").await;
        fake.pay("truffle-x-1", 15_000);
        fake.pay("truffle-x-2", 15_000);
        let confirm = ConfirmRequest {
            payment_key: "truffle-x-1".into(),
            order_id: "truffle-x-1".into(),
            amount: 15_000,
            idempotency_key: "confirm-truffle-x-1".into(),
        };
        let paid = portone.confirm(&confirm).await.unwrap();
        assert_eq!(
            (paid.status, paid.total_amount),
            (PaymentStatus::Done, 15_000)
        );
        assert_eq!(fake.seen()[0].authorization, "PortOne api-secret");
        // Another order's payment, even for the same amount, does not pay this order.
        let other = ConfirmRequest {
            payment_key: "truffle-x-2".into(),
            ..confirm.clone()
        };
        assert!(matches!(
            portone.confirm(&other).await,
            Err(PaymentError::UnknownPayment(_))
        ));
        let wrong = ConfirmRequest {
            amount: 1_500,
            ..confirm.clone()
        };
        assert_eq!(
            portone.confirm(&wrong).await,
            Err(PaymentError::AmountMismatch {
                expected: 1_500,
                authorized: 15_000
            })
        );
        let unpaid = ConfirmRequest {
            payment_key: "truffle-x-3".into(),
            order_id: "truffle-x-3".into(),
            ..confirm
        };
        assert!(matches!(
            portone.confirm(&unpaid).await,
            Err(PaymentError::UnknownPayment(_))
        ));
        let (_, stranger) = setup("wrong-secret").await;
        assert!(matches!(
            stranger.payment("truffle-x-1").await,
            Err(PaymentError::Refused { status: 401, .. }) | Err(PaymentError::UnknownPayment(_))
        ));
    }

    #[tokio::test]
    async fn webhooks_are_verified_then_the_payment_is_fetched() {
        let (fake, portone) = setup("api-secret").await;
        fake.pay("truffle-x-1", 15_000);
        let (id, timestamp, signature, body) =
            fake.signed_webhook("Transaction.Paid", "truffle-x-1");
        let now = timestamp * 1000;
        let notice = portone
            .webhook(&headers(&id, timestamp, &signature), body.as_bytes(), now)
            .await
            .unwrap();
        let WebhookNotice::Payment { event_id, payment } = notice else {
            panic!("a payment notice")
        };
        assert_eq!(event_id, id);
        assert_eq!(
            (payment.status, payment.total_amount),
            (PaymentStatus::Done, 15_000)
        );
        // The amount comes from the API, not from anything in the body.
        assert!(fake
            .seen()
            .iter()
            .any(|s| s.path == "/payments/truffle-x-1"));
        // A tampered body, a stale delivery, a missing header: refused before any fetch.
        let tampered = body.replace("truffle-x-1", "truffle-x-9");
        let error = portone
            .webhook(
                &headers(&id, timestamp, &signature),
                tampered.as_bytes(),
                now,
            )
            .await
            .unwrap_err();
        assert_eq!(
            error,
            PaymentError::Signature(crate::SignatureError::Mismatch)
        );
        let stale = portone
            .webhook(
                &headers(&id, timestamp, &signature),
                body.as_bytes(),
                now + 301_000,
            )
            .await
            .unwrap_err();
        assert!(matches!(
            stale,
            PaymentError::Signature(crate::SignatureError::Stale { .. })
        ));
        let bare = portone
            .webhook(&HeaderMap::new(), body.as_bytes(), now)
            .await
            .unwrap_err();
        assert!(matches!(
            bare,
            PaymentError::Signature(crate::SignatureError::Missing(_))
        ));
        // Unknown event types are acknowledged and ignored.
        let (id, timestamp, signature, body) =
            fake.signed_webhook("BillingKey.Issued", "truffle-x-1");
        let ignored = portone
            .webhook(&headers(&id, timestamp, &signature), body.as_bytes(), now)
            .await
            .unwrap();
        assert!(
            matches!(ignored, WebhookNotice::Ignored { .. }),
            "{ignored:?}"
        );
    }

    #[tokio::test]
    async fn refunds_cancel_with_an_idempotency_key_once() {
        let (fake, portone) = setup("api-secret").await;
        fake.pay("truffle-x-1", 15_000);
        let cancel = CancelRequest {
            payment_key: "truffle-x-1".into(),
            reason: "환불".into(),
            amount: None,
            idempotency_key: "refund-truffle-x-1".into(),
        };
        let cancelled = portone.cancel(&cancel).await.unwrap();
        assert_eq!(
            (cancelled.status, cancelled.balance_amount),
            (PaymentStatus::Canceled, 0)
        );
        assert_eq!(cancelled.cancels[0].cancel_amount, 15_000);
        // A retry after a lost answer is not an error.
        assert_eq!(
            portone.cancel(&cancel).await.unwrap().status,
            PaymentStatus::Canceled
        );
        let seen = fake.seen();
        let call = seen.iter().find(|s| s.path.ends_with("/cancel")).unwrap();
        assert_eq!(call.idempotency_key, "refund-truffle-x-1");
        assert_eq!(call.body["reason"], "환불");
        assert!(matches!(
            portone
                .cancel(&CancelRequest {
                    payment_key: "../x".into(),
                    ..cancel
                })
                .await,
            Err(PaymentError::UnknownPayment(_))
        ));
    }
}
