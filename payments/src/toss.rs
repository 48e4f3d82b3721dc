//! Toss Payments (<https://docs.tosspayments.com>), core API v1.
//!
//! ```text
//! POST {base}/v1/payments/confirm            {paymentKey, orderId, amount}
//! GET  {base}/v1/payments/{paymentKey}
//! GET  {base}/v1/payments/orders/{orderId}
//! POST {base}/v1/payments/{paymentKey}/cancel {cancelReason[, cancelAmount]}
//! ```
//!
//! Every call authenticates with HTTP Basic auth (the secret key as user name, an
//! empty password); calls that change money carry an `Idempotency-Key` header, so a
//! retry after a timeout is harmless. Errors come back as `{code, message}` with a 4xx
//! or 5xx status. The checkout happens in Toss' payment widget in the customer's browser
//! (`loadPaymentWidget` … `requestPayment`): [`PaymentProvider::checkout`] returns the
//! widget's parameters and calls nothing; the widget sends the browser to the success
//! URL with `paymentKey`, `orderId` and `amount`, and the node confirms.
//!
//! Toss does not sign its payment webhooks, so their bodies are never believed:
//!
//! - `PAYMENT_STATUS_CHANGED {data: {paymentKey, …}}`: the payment is fetched by key.
//! - `DEPOSIT_CALLBACK {orderId, secret, status, transactionKey}` (a virtual account was
//!   paid into): the payment is fetched by order id, and the callback's `secret` must be
//!   the one Toss gave that payment (compared in constant time), else it is refused.
//! - anything else is acknowledged and ignored.

use std::time::Duration;

use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::json;

use crate::error::{PaymentError, PaymentResult};
use crate::provider::{HeaderMap, PaymentProvider, WebhookNotice};
use crate::types::{CancelRequest, Checkout, CheckoutRequest, ConfirmRequest, Payment};

/// How to reach and authenticate with a REST gateway.
#[derive(Clone)]
pub struct TossConfig {
    /// The provider's name as recorded on the ledger, e.g. `toss`.
    pub name: String,
    /// Base URL, e.g. `https://api.tosspayments.com`.
    pub base_url: String,
    /// The secret API key (Basic auth user name).
    pub secret_key: String,
    /// Where the customer's browser loads the payment widget SDK from.
    pub sdk_url: String,
    /// The widget's public client key, handed to the customer's browser.
    pub client_key: Option<String>,
    /// Timeout of one call.
    pub timeout: Duration,
}

impl std::fmt::Debug for TossConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TossConfig")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// A REST gateway client.
#[derive(Debug)]
pub struct TossProvider {
    config: TossConfig,
    http: reqwest::Client,
}

/// Where the browser loads the payment widget SDK from, by default.
pub const DEFAULT_SDK_URL: &str = "https://js.tosspayments.com/v1/payment-widget";
/// Toss' API, by default.
pub const DEFAULT_API_URL: &str = "https://api.tosspayments.com";
/// The event type of a virtual account's deposit.
pub const DEPOSIT_CALLBACK: &str = "DEPOSIT_CALLBACK";

/// A Toss payment with the secret its deposit callbacks carry.
#[derive(Deserialize)]
struct TossPayment {
    #[serde(flatten)]
    payment: Payment,
    #[serde(default)]
    secret: Option<String>,
}

/// A webhook body: a status change (`eventType`, `data`) or a deposit callback (flat,
/// or under `data` in the newer form).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TossWebhook {
    #[serde(default)]
    event_type: Option<String>,
    #[serde(default)]
    data: Option<serde_json::Value>,
    #[serde(default)]
    secret: Option<String>,
    #[serde(default)]
    order_id: Option<String>,
    #[serde(default)]
    transaction_key: Option<String>,
}

fn malformed(what: impl Into<String>) -> PaymentError {
    PaymentError::MalformedEvent(what.into())
}

/// Toss error codes that mean "the confirmed amount is not the authorized one".
const AMOUNT_CODES: [&str; 2] = ["NOT_MATCHES_AMOUNT", "INVALID_AMOUNT"];

/// What a webhook body asks of the node; nothing in it is believed but the ids to
/// fetch, which are safe in a URL path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TossEvent {
    /// `PAYMENT_STATUS_CHANGED`: fetch the payment by key.
    StatusChanged {
        /// The payment's key.
        payment_key: String,
    },
    /// `DEPOSIT_CALLBACK`: fetch the payment by order id; `secret` must be the one Toss
    /// gave that payment.
    Deposit {
        /// The order id.
        order_id: String,
        /// The callback's secret.
        secret: String,
        /// The deposit's transaction key (at most 100 characters), naming the event.
        transaction_key: String,
    },
    /// Anything else: acknowledged, nothing done.
    Ignored {
        /// The event's type (at most 64 characters).
        event_type: String,
    },
}

/// Reads a webhook body: `{eventType: "PAYMENT_STATUS_CHANGED", createdAt, data:
/// Payment}`, or a deposit callback `{createdAt, secret, status, transactionKey,
/// orderId}` (flat, or under `data` with `eventType: "DEPOSIT_CALLBACK"`).
pub fn read_webhook(body: &[u8]) -> PaymentResult<TossEvent> {
    // JSON is UTF-8 (RFC 8259): serde_json would skip bad bytes in fields it ignores.
    let body = std::str::from_utf8(body).map_err(|_| malformed("the body is not UTF-8"))?;
    let hook: TossWebhook = serde_json::from_str(body).map_err(|e| malformed(e.to_string()))?;
    let event_type = hook.event_type.clone().unwrap_or_default();
    let data = hook.data.clone().unwrap_or_default();
    let text = |name: &str| data.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    if event_type == crate::types::PAYMENT_STATUS_CHANGED {
        let key = text("paymentKey").ok_or_else(|| malformed("data.paymentKey is missing"))?;
        if !crate::rest::is_path_safe(&key) {
            return Err(malformed("data.paymentKey is not a payment key"));
        }
        return Ok(TossEvent::StatusChanged { payment_key: key });
    }
    let secret = hook.secret.clone().or_else(|| text("secret"));
    if event_type == DEPOSIT_CALLBACK || (event_type.is_empty() && secret.is_some()) {
        let order_id = hook
            .order_id
            .clone()
            .or_else(|| text("orderId"))
            .ok_or_else(|| malformed("the deposit callback has no orderId"))?;
        let secret = secret.ok_or(crate::SignatureError::Missing("secret"))?;
        if !crate::rest::is_path_safe(&order_id) {
            return Err(malformed("orderId is not an order id"));
        }
        let transaction_key = hook
            .transaction_key
            .or_else(|| text("transactionKey"))
            .unwrap_or_default()
            .chars()
            .take(100)
            .collect();
        return Ok(TossEvent::Deposit {
            order_id,
            secret,
            transaction_key,
        });
    }
    Ok(TossEvent::Ignored {
        event_type: event_type.chars().take(64).collect(),
    })
}

/// Whether a deposit callback's `secret` is the payment's (`expected`, from Toss):
/// compared in constant time; a payment without a secret matches nothing.
pub(crate) fn deposit_secret_matches(expected: Option<&str>, secret: &str) -> bool {
    let expected = expected.unwrap_or_default();
    let matches: bool =
        subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), secret.as_bytes()).into();
    !expected.is_empty() && matches
}

/// Reads a payment as Toss answers it, with its deposit secret (the fuzz target reads
/// answers too: they cross a trust boundary as webhooks do).
pub(crate) fn read_payment(body: &[u8]) -> PaymentResult<(Payment, Option<String>)> {
    let read: TossPayment =
        serde_json::from_slice(body).map_err(|e| PaymentError::InvalidResponse(e.to_string()))?;
    Ok((read.payment, read.secret))
}

impl TossProvider {
    /// A client for `config`.
    pub fn new(config: TossConfig) -> PaymentResult<TossProvider> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| PaymentError::Transport(e.to_string()))?;
        Ok(TossProvider { config, http })
    }

    /// A fetched payment's notice; `event_id` names the state seen, so that the same
    /// state told twice is one event.
    fn notice(prefix: &str, payment: Payment) -> WebhookNotice {
        WebhookNotice::Payment {
            event_id: format!(
                "{prefix}:{}:{}:{}",
                payment.payment_key,
                payment.status.as_str(),
                payment.balance_amount
            ),
            payment,
        }
    }

    /// Handles a webhook body (see the module's documentation).
    async fn webhook_now(&self, body: &[u8]) -> PaymentResult<WebhookNotice> {
        match read_webhook(body)? {
            TossEvent::StatusChanged { payment_key } => {
                let payment = self.payment(&payment_key).await?;
                Ok(Self::notice("toss", payment))
            }
            TossEvent::Deposit {
                order_id,
                secret,
                transaction_key,
            } => {
                let call = self
                    .http
                    .get(self.url(&format!("/v1/payments/orders/{order_id}")));
                let fetched: TossPayment = match self.call_json(call, None).await {
                    Err(PaymentError::Refused { code, .. }) if code == "NOT_FOUND_PAYMENT" => {
                        return Err(PaymentError::UnknownPayment(order_id))
                    }
                    other => other?,
                };
                if !deposit_secret_matches(fetched.secret.as_deref(), &secret) {
                    return Err(crate::SignatureError::Mismatch.into());
                }
                let prefix = format!("toss-deposit-{transaction_key}");
                Ok(Self::notice(&prefix, fetched.payment))
            }
            TossEvent::Ignored { event_type } => Ok(WebhookNotice::Ignored {
                event_id: format!("toss-{event_type}"),
                reason: format!("a {event_type:?} event concerns no payment"),
            }),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url.trim_end_matches('/'))
    }

    async fn call(
        &self,
        request: reqwest::RequestBuilder,
        idempotency_key: Option<&str>,
    ) -> PaymentResult<Payment> {
        self.call_json(request, idempotency_key).await
    }

    async fn call_json<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        idempotency_key: Option<&str>,
    ) -> PaymentResult<T> {
        let mut request = request
            .basic_auth(&self.config.secret_key, Some(""))
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        let (status, body) = crate::rest::send(request).await?;
        crate::rest::decode(status, &body, "code")
    }
}

impl PaymentProvider for TossProvider {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn checkout<'a>(
        &'a self,
        request: &'a CheckoutRequest,
    ) -> BoxFuture<'a, PaymentResult<Checkout>> {
        Box::pin(async move {
            Ok(Checkout {
                provider: self.config.name.clone(),
                order_id: request.order_id.clone(),
                order_name: request.order_name.clone(),
                amount: request.amount,
                payment_key: None,
                checkout_url: None,
                widget: Some(json!({
                    "sdk": "toss",
                    "sdkUrl": self.config.sdk_url,
                    "clientKey": self.config.client_key,
                    "customerKey": request.customer_key,
                    "orderId": request.order_id,
                    "orderName": request.order_name,
                    "amount": { "currency": "KRW", "value": request.amount },
                    "successUrl": request.success_url,
                    "failUrl": request.fail_url,
                })),
                status: None,
            })
        })
    }

    fn confirm<'a>(&'a self, request: &'a ConfirmRequest) -> BoxFuture<'a, PaymentResult<Payment>> {
        Box::pin(async move {
            if !crate::rest::is_path_safe(&request.payment_key) {
                return Err(PaymentError::UnknownPayment(request.payment_key.clone()));
            }
            let call = self
                .http
                .post(self.url("/v1/payments/confirm"))
                .json(&json!({
                    "paymentKey": request.payment_key,
                    "orderId": request.order_id,
                    "amount": request.amount,
                }));
            match self.call(call, Some(&request.idempotency_key)).await {
                Ok(payment) if payment.order_id != request.order_id => {
                    Err(PaymentError::InvalidResponse(format!(
                        "confirmed payment belongs to order {}, not {}",
                        payment.order_id, request.order_id
                    )))
                }
                Ok(payment) if payment.total_amount != request.amount => {
                    Err(PaymentError::AmountMismatch {
                        expected: request.amount,
                        authorized: payment.total_amount,
                    })
                }
                Ok(payment) => Ok(payment),
                Err(PaymentError::Refused { code, .. })
                    if AMOUNT_CODES.contains(&code.as_str()) =>
                {
                    // Ask what was authorized, to say so.
                    let authorized = self
                        .payment(&request.payment_key)
                        .await
                        .map(|p| p.total_amount)
                        .unwrap_or(0);
                    Err(PaymentError::AmountMismatch {
                        expected: request.amount,
                        authorized,
                    })
                }
                Err(PaymentError::Refused { code, .. }) if code == "ALREADY_PROCESSED_PAYMENT" => {
                    // A retried confirmation: the payment's state is the answer.
                    let payment = self.payment(&request.payment_key).await?;
                    if payment.total_amount != request.amount {
                        return Err(PaymentError::AmountMismatch {
                            expected: request.amount,
                            authorized: payment.total_amount,
                        });
                    }
                    Ok(payment)
                }
                Err(PaymentError::Refused { code, .. }) if code == "NOT_FOUND_PAYMENT" => {
                    Err(PaymentError::UnknownPayment(request.payment_key.clone()))
                }
                Err(other) => Err(other),
            }
        })
    }

    fn payment<'a>(&'a self, payment_key: &'a str) -> BoxFuture<'a, PaymentResult<Payment>> {
        Box::pin(async move {
            if !crate::rest::is_path_safe(payment_key) {
                return Err(PaymentError::UnknownPayment(payment_key.to_owned()));
            }
            let call = self
                .http
                .get(self.url(&format!("/v1/payments/{payment_key}")));
            match self.call(call, None).await {
                Err(PaymentError::Refused { code, .. }) if code == "NOT_FOUND_PAYMENT" => {
                    Err(PaymentError::UnknownPayment(payment_key.to_owned()))
                }
                other => other,
            }
        })
    }

    fn cancel<'a>(&'a self, request: &'a CancelRequest) -> BoxFuture<'a, PaymentResult<Payment>> {
        Box::pin(async move {
            if !crate::rest::is_path_safe(&request.payment_key) {
                return Err(PaymentError::UnknownPayment(request.payment_key.clone()));
            }
            let mut body = json!({ "cancelReason": request.reason });
            if let Some(amount) = request.amount {
                body["cancelAmount"] = json!(amount);
            }
            let call = self
                .http
                .post(self.url(&format!("/v1/payments/{}/cancel", request.payment_key)))
                .json(&body);
            match self.call(call, Some(&request.idempotency_key)).await {
                Err(PaymentError::Refused { code, .. }) if code == "ALREADY_CANCELED_PAYMENT" => {
                    self.payment(&request.payment_key).await
                }
                other => other,
            }
        })
    }

    fn webhook<'a>(
        &'a self,
        _headers: &'a HeaderMap,
        body: &'a [u8],
        _now_ms: u64,
    ) -> BoxFuture<'a, PaymentResult<WebhookNotice>> {
        Box::pin(self.webhook_now(body))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::extract::{Path, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::{get, post};
    use axum::{Json, Router};
    use serde_json::Value;

    use super::*;
    use crate::types::PaymentStatus;

    /// What the fake gateway saw: (path, authorization, idempotency key, body).
    type Seen = Arc<Mutex<Vec<(String, String, String, Value)>>>;

    fn payment(key: &str, amount: u64, status: &str) -> Value {
        json!({"paymentKey": key, "orderId": "truffle-x-1", "orderName": "덩크", "status": status,
               "totalAmount": amount, "balanceAmount": amount, "approvedAt": null, "cancels": null})
    }

    async fn fake_toss(seen: Seen) -> String {
        fn record(seen: &Seen, path: &str, headers: &HeaderMap, body: Value) {
            let header = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            };
            seen.lock().unwrap().push((
                path.to_owned(),
                header("authorization"),
                header("idempotency-key"),
                body,
            ));
        }
        async fn confirm(
            State(seen): State<Seen>,
            headers: HeaderMap,
            Json(body): Json<Value>,
        ) -> (StatusCode, Json<Value>) {
            record(&seen, "confirm", &headers, body.clone());
            if body["amount"] != json!(15_000) {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"code": "NOT_MATCHES_AMOUNT", "message": "금액 불일치"})),
                );
            }
            (StatusCode::OK, Json(payment("pk_1", 15_000, "DONE")))
        }
        async fn lookup(Path(key): Path<String>) -> (StatusCode, Json<Value>) {
            if key == "pk_1" {
                (StatusCode::OK, Json(payment("pk_1", 15_000, "DONE")))
            } else {
                (
                    StatusCode::NOT_FOUND,
                    Json(json!({"code": "NOT_FOUND_PAYMENT", "message": "없음"})),
                )
            }
        }
        async fn cancel(
            State(seen): State<Seen>,
            Path(key): Path<String>,
            headers: HeaderMap,
            Json(body): Json<Value>,
        ) -> (StatusCode, Json<Value>) {
            record(&seen, "cancel", &headers, body);
            (StatusCode::OK, Json(payment(&key, 15_000, "CANCELED")))
        }
        let app = Router::new()
            .route("/v1/payments/confirm", post(confirm))
            .route("/v1/payments/{key}", get(lookup))
            .route("/v1/payments/{key}/cancel", post(cancel))
            .with_state(seen);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{address}")
    }

    fn provider(base_url: String) -> TossProvider {
        TossProvider::new(TossConfig {
            name: "toss".into(),
            base_url,
            secret_key: "test_sk_abc".into(),
            sdk_url: DEFAULT_SDK_URL.into(),
            client_key: Some("test_ck".into()),
            timeout: Duration::from_secs(5),
        })
        .unwrap()
    }

    #[tokio::test]
    async fn confirms_with_basic_auth_and_idempotency_keys() {
        let seen: Seen = Arc::default();
        let toss = provider(fake_toss(seen.clone()).await);
        let confirm = ConfirmRequest {
            payment_key: "pk_1".into(),
            order_id: "truffle-x-1".into(),
            amount: 15_000,
            idempotency_key: "confirm-pk_1".into(),
        };
        let paid = toss.confirm(&confirm).await.unwrap();
        assert_eq!(paid.status, PaymentStatus::Done);
        {
            let seen = seen.lock().unwrap();
            let (_, auth, idempotency, body) = &seen[0];
            // base64("test_sk_abc:")
            assert_eq!(auth, "Basic dGVzdF9za19hYmM6");
            assert_eq!(idempotency, "confirm-pk_1");
            assert_eq!(body["paymentKey"], "pk_1");
            assert_eq!(body["amount"], 15_000);
        }
        let wrong = ConfirmRequest {
            amount: 1_500,
            ..confirm
        };
        assert_eq!(
            toss.confirm(&wrong).await,
            Err(PaymentError::AmountMismatch {
                expected: 1_500,
                authorized: 15_000
            })
        );
        assert!(matches!(
            toss.payment("pk_404").await,
            Err(PaymentError::UnknownPayment(_))
        ));
        let cancelled = toss
            .cancel(&CancelRequest {
                payment_key: "pk_1".into(),
                reason: "환불".into(),
                amount: None,
                idempotency_key: "refund-7".into(),
            })
            .await
            .unwrap();
        assert_eq!(cancelled.status, PaymentStatus::Canceled);
        let seen = seen.lock().unwrap();
        let (path, _, idempotency, body) = seen.last().unwrap();
        assert_eq!(
            (path.as_str(), idempotency.as_str()),
            ("cancel", "refund-7")
        );
        assert_eq!(body["cancelReason"], "환불");
        assert!(body.get("cancelAmount").is_none());
    }

    #[tokio::test]
    async fn unreachable_gateways_are_retryable_and_checkouts_are_widget_parameters() {
        let toss = provider("http://127.0.0.1:9".into());
        let error = toss.payment("pk_1").await.unwrap_err();
        assert!(error.is_retryable(), "{error}");
        let checkout = toss
            .checkout(&CheckoutRequest {
                order_id: "truffle-x-1".into(),
                order_name: "덩크".into(),
                amount: 15_000,
                customer_key: "c".into(),
                success_url: Some("https://shop.example/ok".into()),
                fail_url: None,
            })
            .await
            .unwrap();
        assert_eq!(checkout.payment_key, None);
        let widget = checkout.widget.unwrap();
        assert_eq!(widget["amount"]["value"], 15_000);
        assert_eq!(widget["clientKey"], "test_ck");
    }
}

#[cfg(test)]
mod webhook_tests {
    use super::*;
    use crate::fakes::FakeToss;
    use crate::types::PaymentStatus;

    async fn setup() -> (FakeToss, TossProvider) {
        let fake = FakeToss::start("test_sk_fake", "test_ck_fake")
            .await
            .unwrap();
        let toss = TossProvider::new(TossConfig {
            name: "toss".into(),
            base_url: fake.url.clone(),
            secret_key: "test_sk_fake".into(),
            client_key: Some("test_ck_fake".into()),
            sdk_url: DEFAULT_SDK_URL.into(),
            timeout: Duration::from_secs(5),
        })
        .unwrap();
        (fake, toss)
    }

    fn confirm(key: &str, amount: u64) -> ConfirmRequest {
        ConfirmRequest {
            payment_key: key.into(),
            order_id: "truffle-x-1".into(),
            amount,
            idempotency_key: format!("confirm-{key}"),
        }
    }

    #[tokio::test]
    async fn status_changes_are_believed_only_as_fetched() {
        let (fake, toss) = setup().await;
        let key = fake.authorize("truffle-x-1", 15_000);
        assert_eq!(
            toss.confirm(&confirm(&key, 15_000)).await.unwrap().status,
            PaymentStatus::Done
        );
        // A forged body claims another amount: the node asks Toss.
        let forged = json!({"eventType": "PAYMENT_STATUS_CHANGED", "createdAt": "2024-03-01T00:00:00.000000",
            "data": {"paymentKey": key, "orderId": "truffle-x-1", "status": "DONE", "totalAmount": 1}});
        let notice = toss
            .webhook(&HeaderMap::new(), forged.to_string().as_bytes(), 0)
            .await
            .unwrap();
        let WebhookNotice::Payment { event_id, payment } = notice else {
            panic!("a payment")
        };
        assert_eq!(payment.total_amount, 15_000);
        assert_eq!(event_id, format!("toss:{key}:DONE:15000"));
        let unknown =
            json!({"eventType": "PAYMENT_STATUS_CHANGED", "data": {"paymentKey": "tgen_nope"}});
        assert!(matches!(
            toss.webhook(&HeaderMap::new(), unknown.to_string().as_bytes(), 0)
                .await,
            Err(PaymentError::UnknownPayment(_))
        ));
        let other = json!({"eventType": "PAYOUT_STATUS_CHANGED", "data": {}});
        assert!(matches!(
            toss.webhook(&HeaderMap::new(), other.to_string().as_bytes(), 0)
                .await
                .unwrap(),
            WebhookNotice::Ignored { .. }
        ));
        // A retried confirmation answers the payment; another amount fails.
        assert_eq!(
            toss.confirm(&confirm(&key, 15_000)).await.unwrap().status,
            PaymentStatus::Done
        );
        let seen = fake.seen();
        assert!(seen
            .iter()
            .all(|s| s.authorization == "Basic dGVzdF9za19mYWtlOg=="));
        assert_eq!(seen[0].idempotency_key, format!("confirm-{key}"));
    }

    #[tokio::test]
    async fn deposit_callbacks_must_carry_the_payments_secret() {
        let (fake, toss) = setup().await;
        let key = fake.issue_virtual_account("truffle-x-1", 15_000);
        let waiting = toss.confirm(&confirm(&key, 15_000)).await.unwrap();
        assert_eq!(waiting.status, PaymentStatus::WaitingForDeposit);
        let secret = fake.payment(&key).unwrap()["secret"]
            .as_str()
            .unwrap()
            .to_owned();
        // The customer pays into the account (the fake's own callback goes nowhere here).
        let _ = fake.deposit(&key, None).await;
        let callback = |secret: &str| {
            json!({"createdAt": "2024-03-01T00:00:00.000000", "secret": secret, "status": "DONE",
                   "transactionKey": "txk-1", "orderId": "truffle-x-1"})
            .to_string()
        };
        let notice = toss
            .webhook(&HeaderMap::new(), callback(&secret).as_bytes(), 0)
            .await
            .unwrap();
        let WebhookNotice::Payment { payment, .. } = notice else {
            panic!("a payment")
        };
        assert_eq!(
            (payment.status, payment.total_amount),
            (PaymentStatus::Done, 15_000)
        );
        let forged = toss
            .webhook(&HeaderMap::new(), callback("ps_guess").as_bytes(), 0)
            .await;
        assert_eq!(
            forged,
            Err(PaymentError::Signature(crate::SignatureError::Mismatch))
        );
        let no_secret =
            json!({"eventType": "DEPOSIT_CALLBACK", "orderId": "truffle-x-1"}).to_string();
        assert!(matches!(
            toss.webhook(&HeaderMap::new(), no_secret.as_bytes(), 0)
                .await,
            Err(PaymentError::Signature(crate::SignatureError::Missing(
                "secret"
            )))
        ));
        // A card payment has no secret: no callback can claim it.
        let (fake, toss) = setup().await;
        let card = fake.authorize("truffle-x-1", 15_000);
        toss.confirm(&confirm(&card, 15_000)).await.unwrap();
        assert_eq!(
            toss.webhook(&HeaderMap::new(), callback("").as_bytes(), 0)
                .await,
            Err(PaymentError::Signature(crate::SignatureError::Mismatch))
        );
    }
}
