//! The sandbox gateway: a payment provider inside the node, for development and tests.
//!
//! It behaves like a card gateway with an instant approval:
//!
//! ```text
//! checkout(order)           → READY, payment key sbx_…, page /sandbox/checkout/{key}
//! pay(key[, amount])        → DONE for the amount paid (a tampered amount is kept as
//!                             paid: the merchant must notice), event PAYMENT_STATUS_CHANGED
//! abort(key)                → ABORTED (the customer gave up)
//! confirm(key, order, amt)  → the DONE payment if `amt` is what was paid, else refused
//! cancel(key, reason)       → CANCELED, balance 0, event PAYMENT_STATUS_CHANGED
//! ```
//!
//! Every event is signed (see [`crate::webhook`]) and POSTed to the webhook URL, again
//! after failures with a growing pause, until a 2xx answer or [`MAX_DELIVERY_ATTEMPTS`].
//! A restarted node resumes unfinished deliveries ([`Sandbox::resume_deliveries`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use futures::future::BoxFuture;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use truffle_clock::SharedClock;

use crate::error::{PaymentError, PaymentResult};
use crate::provider::{verify_signed_event, HeaderMap, PaymentProvider, WebhookNotice};
use crate::types::{
    iso8601, CancelRecord, CancelRequest, Checkout, CheckoutRequest, ConfirmRequest, Payment,
    PaymentStatus, WebhookEvent, PAYMENT_STATUS_CHANGED,
};

/// The sandbox's provider name.
pub const SANDBOX: &str = "sandbox";
/// Deliveries of one event before the sandbox gives up.
pub const MAX_DELIVERY_ATTEMPTS: u32 = 12;
/// Pauses between delivery attempts (the last one repeats).
const DELIVERY_BACKOFF_MS: [u64; 6] = [0, 200, 500, 1_000, 2_000, 5_000];
/// How long one delivery may take.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

const PAYMENT_PREFIX: &[u8] = b"payment/";
const ORDER_PREFIX: &[u8] = b"order/";

/// Keys and values in key order, as [`SandboxStore::scan`] returns them.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Why the sandbox's store could not read or write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sandbox store: {0}")]
pub struct SandboxStoreError(pub String);

/// Where the sandbox keeps its payments: byte keys and values, durable across restarts
/// in the node (its local column family), in memory in unit tests.
pub trait SandboxStore: Send + Sync + 'static {
    /// The value of a key.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, SandboxStoreError>;
    /// Writes keys atomically.
    fn put(&self, writes: &[(Vec<u8>, Vec<u8>)]) -> Result<(), SandboxStoreError>;
    /// Every (key, value) under a prefix, in key order.
    fn scan(&self, prefix: &[u8]) -> Result<Entries, SandboxStoreError>;
}

/// A [`SandboxStore`] in memory.
#[derive(Debug, Default)]
pub struct MemorySandboxStore(Mutex<BTreeMap<Vec<u8>, Vec<u8>>>);

impl SandboxStore for MemorySandboxStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, SandboxStoreError> {
        Ok(self.0.lock().expect("store lock").get(key).cloned())
    }
    fn put(&self, writes: &[(Vec<u8>, Vec<u8>)]) -> Result<(), SandboxStoreError> {
        let mut map = self.0.lock().expect("store lock");
        for (key, value) in writes {
            map.insert(key.clone(), value.clone());
        }
        Ok(())
    }
    fn scan(&self, prefix: &[u8]) -> Result<Entries, SandboxStoreError> {
        Ok(self
            .0
            .lock()
            .expect("store lock")
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}

/// One webhook event and how its delivery went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The event id.
    pub event_id: String,
    /// The payment status it reports.
    pub status: PaymentStatus,
    /// The exact body sent.
    pub body: String,
    /// The signature header of the latest attempt.
    pub signature: String,
    /// Attempts so far.
    pub attempts: u32,
    /// A 2xx answer came back.
    pub delivered: bool,
    /// HTTP status of the latest attempt.
    pub last_status: Option<u16>,
    /// Why the latest attempt failed, if it did.
    pub last_error: Option<String>,
}

/// A sandbox payment with its checkout and its webhook deliveries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxRecord {
    /// The payment.
    pub payment: Payment,
    /// The amount the checkout asked for.
    pub requested_amount: u64,
    /// The checkout page.
    pub checkout_url: String,
    /// Events, oldest first.
    pub deliveries: Vec<Delivery>,
    /// Idempotency keys of the cancellations applied.
    #[serde(default)]
    pub cancel_keys: Vec<String>,
}

#[derive(Clone, Debug)]
struct Urls {
    public_base: String,
    webhook: String,
}

/// The sandbox gateway. Create it with [`Sandbox::new`]; it needs the node's address
/// ([`Sandbox::set_urls`]) before checkouts and deliveries.
pub struct Sandbox {
    me: Weak<Sandbox>,
    store: Arc<dyn SandboxStore>,
    secret: Vec<u8>,
    tolerance_secs: u64,
    clock: SharedClock,
    urls: RwLock<Option<Urls>>,
    http: reqwest::Client,
    /// Serializes read-modify-write of records.
    lock: Mutex<()>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").finish_non_exhaustive()
    }
}

fn random_id(prefix: &str) -> String {
    let mut bytes = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

fn key(prefix: &[u8], id: &str) -> Vec<u8> {
    let mut out = prefix.to_vec();
    out.extend_from_slice(id.as_bytes());
    out
}

fn refused(code: &str, message: impl Into<String>) -> PaymentError {
    PaymentError::Refused {
        code: code.to_owned(),
        message: message.into(),
        status: 0,
    }
}

impl Sandbox {
    /// A sandbox over `store`, signing webhooks with `secret`, keeping time by `clock`.
    pub fn new(
        store: Arc<dyn SandboxStore>,
        secret: Vec<u8>,
        tolerance_secs: u64,
        clock: SharedClock,
    ) -> Arc<Sandbox> {
        Arc::new_cyclic(|me| Sandbox {
            me: me.clone(),
            store,
            secret,
            tolerance_secs,
            clock,
            urls: RwLock::new(None),
            http: reqwest::Client::builder()
                .timeout(DELIVERY_TIMEOUT)
                .build()
                .expect("a default HTTP client builds"),
            lock: Mutex::new(()),
        })
    }

    /// Sets where checkout pages are (`public_base`, e.g. `http://127.0.0.1:9944`) and
    /// where webhooks go.
    pub fn set_urls(&self, public_base: &str, webhook_url: &str) {
        *self.urls.write().expect("urls lock") = Some(Urls {
            public_base: public_base.trim_end_matches('/').to_owned(),
            webhook: webhook_url.to_owned(),
        });
    }

    fn urls(&self) -> Option<Urls> {
        self.urls.read().expect("urls lock").clone()
    }

    fn load(&self, payment_key: &str) -> PaymentResult<Option<SandboxRecord>> {
        match self
            .store
            .get(&key(PAYMENT_PREFIX, payment_key))
            .map_err(|e| PaymentError::Storage(e.to_string()))?
        {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| PaymentError::Storage(format!("sandbox record: {e}"))),
            None => Ok(None),
        }
    }

    fn save(&self, record: &SandboxRecord, extra: Vec<(Vec<u8>, Vec<u8>)>) -> PaymentResult<()> {
        let mut writes = vec![(
            key(PAYMENT_PREFIX, &record.payment.payment_key),
            serde_json::to_vec(record).expect("records serialize"),
        )];
        writes.extend(extra);
        self.store
            .put(&writes)
            .map_err(|e| PaymentError::Storage(e.to_string()))
    }

    /// A payment with its checkout and deliveries (the sandbox's own pages use this).
    pub fn record(&self, payment_key: &str) -> PaymentResult<SandboxRecord> {
        self.load(payment_key)?
            .ok_or_else(|| PaymentError::UnknownPayment(payment_key.to_owned()))
    }

    /// Appends an event for the record's current payment state (the caller saves).
    fn push_event(&self, record: &mut SandboxRecord, now: u64) -> String {
        let event = WebhookEvent {
            event_id: random_id("evt_"),
            event_type: PAYMENT_STATUS_CHANGED.to_owned(),
            created_at: iso8601(now),
            data: record.payment.clone(),
        };
        let body = serde_json::to_string(&event).expect("events serialize");
        record.deliveries.push(Delivery {
            event_id: event.event_id.clone(),
            status: record.payment.status,
            body,
            signature: String::new(),
            attempts: 0,
            delivered: false,
            last_status: None,
            last_error: None,
        });
        event.event_id
    }

    /// The customer pays on the checkout page: the payment is `DONE` for `amount`
    /// (default: the amount asked for; another amount simulates a tampered checkout)
    /// and the event goes to the webhook.
    pub fn pay(&self, payment_key: &str, amount: Option<u64>) -> PaymentResult<Payment> {
        let (payment, event_id) = {
            let _guard = self.lock.lock().expect("sandbox lock");
            let mut record = self.record(payment_key)?;
            if record.payment.status != PaymentStatus::Ready {
                return Err(refused(
                    "ALREADY_PROCESSED_PAYMENT",
                    format!("the payment is {}", record.payment.status.as_str()),
                ));
            }
            let amount = amount.unwrap_or(record.requested_amount);
            if amount == 0 {
                return Err(refused("INVALID_REQUEST", "the amount must be positive"));
            }
            let now = self.clock.now_ms();
            record.payment.status = PaymentStatus::Done;
            record.payment.total_amount = amount;
            record.payment.balance_amount = amount;
            record.payment.approved_at = Some(iso8601(now));
            let event_id = self.push_event(&mut record, now);
            self.save(&record, Vec::new())?;
            (record.payment, event_id)
        };
        self.spawn_delivery(payment_key.to_owned(), event_id);
        Ok(payment)
    }

    /// The customer gives up on the checkout page.
    pub fn abort(&self, payment_key: &str) -> PaymentResult<Payment> {
        let _guard = self.lock.lock().expect("sandbox lock");
        let mut record = self.record(payment_key)?;
        if record.payment.status != PaymentStatus::Ready {
            return Err(refused(
                "ALREADY_PROCESSED_PAYMENT",
                format!("the payment is {}", record.payment.status.as_str()),
            ));
        }
        record.payment.status = PaymentStatus::Aborted;
        self.save(&record, Vec::new())?;
        Ok(record.payment)
    }

    /// Sends the latest event of a payment once more, now, with a fresh signature (the
    /// same event id); returns the delivery as it went.
    pub async fn redeliver(&self, payment_key: &str) -> PaymentResult<Delivery> {
        let record = self.record(payment_key)?;
        let last = record
            .deliveries
            .last()
            .ok_or_else(|| refused("NOT_FOUND_EVENT", "the payment has no event yet"))?;
        self.attempt(payment_key, &last.event_id).await
    }

    /// Restarts the deliveries that had not succeeded (after a node restart).
    pub fn resume_deliveries(&self) -> PaymentResult<usize> {
        let mut resumed = 0;
        for (_, bytes) in self
            .store
            .scan(PAYMENT_PREFIX)
            .map_err(|e| PaymentError::Storage(e.to_string()))?
        {
            let Ok(record) = serde_json::from_slice::<SandboxRecord>(&bytes) else {
                continue;
            };
            for delivery in &record.deliveries {
                if !delivery.delivered && delivery.attempts < MAX_DELIVERY_ATTEMPTS {
                    self.spawn_delivery(
                        record.payment.payment_key.clone(),
                        delivery.event_id.clone(),
                    );
                    resumed += 1;
                }
            }
        }
        Ok(resumed)
    }

    fn spawn_delivery(&self, payment_key: String, event_id: String) {
        let Some(sandbox) = self.me.upgrade() else {
            return;
        };
        tokio::spawn(async move {
            for attempt in 0.. {
                let pause = DELIVERY_BACKOFF_MS[attempt.min(DELIVERY_BACKOFF_MS.len() - 1)];
                tokio::time::sleep(Duration::from_millis(pause)).await;
                match sandbox.attempt(&payment_key, &event_id).await {
                    Ok(delivery) if delivery.delivered => return,
                    Ok(delivery) if delivery.attempts >= MAX_DELIVERY_ATTEMPTS => {
                        tracing::warn!(target: "payments::sandbox", %payment_key, %event_id, "webhook delivery gave up");
                        return;
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(target: "payments::sandbox", %payment_key, %event_id, %error, "webhook delivery failed");
                        return;
                    }
                }
            }
        });
    }

    /// One delivery attempt of `event_id`, recorded.
    async fn attempt(&self, payment_key: &str, event_id: &str) -> PaymentResult<Delivery> {
        let body = {
            let record = self.record(payment_key)?;
            record
                .deliveries
                .iter()
                .find(|d| d.event_id == event_id)
                .map(|d| d.body.clone())
                .ok_or_else(|| refused("NOT_FOUND_EVENT", format!("no event {event_id}")))?
        };
        let signature =
            crate::webhook::sign(&self.secret, self.clock.now_ms() / 1000, body.as_bytes());
        let outcome = match self.urls() {
            None => Err("the sandbox does not know the webhook URL yet".to_owned()),
            Some(urls) => self
                .http
                .post(&urls.webhook)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(crate::webhook::SIGNATURE_HEADER, &signature)
                .body(body.clone())
                .send()
                .await
                .map(|response| response.status().as_u16())
                .map_err(|e| e.to_string()),
        };
        let _guard = self.lock.lock().expect("sandbox lock");
        let mut record = self.record(payment_key)?;
        let delivery = record
            .deliveries
            .iter_mut()
            .find(|d| d.event_id == event_id)
            .ok_or_else(|| refused("NOT_FOUND_EVENT", format!("no event {event_id}")))?;
        delivery.attempts += 1;
        delivery.signature = signature;
        match outcome {
            Ok(status) => {
                delivery.last_status = Some(status);
                delivery.last_error = None;
                if (200..300).contains(&status) {
                    delivery.delivered = true;
                }
            }
            Err(error) => {
                delivery.last_status = None;
                delivery.last_error = Some(error);
            }
        }
        let delivery = delivery.clone();
        self.save(&record, Vec::new())?;
        Ok(delivery)
    }

    fn checkout_now(&self, request: &CheckoutRequest) -> PaymentResult<Checkout> {
        let _guard = self.lock.lock().expect("sandbox lock");
        let order_key = key(ORDER_PREFIX, &request.order_id);
        let existing = match self
            .store
            .get(&order_key)
            .map_err(|e| PaymentError::Storage(e.to_string()))?
        {
            Some(payment_key) => self.load(&String::from_utf8_lossy(&payment_key))?,
            None => None,
        };
        let checkout = |record: &SandboxRecord| Checkout {
            provider: SANDBOX.to_owned(),
            order_id: record.payment.order_id.clone(),
            order_name: record.payment.order_name.clone(),
            amount: record.requested_amount,
            payment_key: Some(record.payment.payment_key.clone()),
            checkout_url: Some(record.checkout_url.clone()),
            widget: None,
            status: Some(record.payment.status),
        };
        if let Some(record) = existing {
            let open = record.payment.status == PaymentStatus::Ready
                && record.requested_amount == request.amount;
            if open || record.payment.status.is_paid() {
                return Ok(checkout(&record));
            }
        }
        let urls = self.urls().ok_or_else(|| {
            PaymentError::Transport("the sandbox does not know the node's address yet".into())
        })?;
        let payment_key = random_id("sbx_");
        let record = SandboxRecord {
            payment: Payment {
                payment_key: payment_key.clone(),
                order_id: request.order_id.clone(),
                order_name: request.order_name.clone(),
                status: PaymentStatus::Ready,
                total_amount: request.amount,
                balance_amount: request.amount,
                approved_at: None,
                cancels: Vec::new(),
            },
            requested_amount: request.amount,
            checkout_url: format!("{}/sandbox/checkout/{payment_key}", urls.public_base),
            deliveries: Vec::new(),
            cancel_keys: Vec::new(),
        };
        self.save(&record, vec![(order_key, payment_key.into_bytes())])?;
        Ok(checkout(&record))
    }

    fn confirm_now(&self, request: &ConfirmRequest) -> PaymentResult<Payment> {
        let record = self.record(&request.payment_key)?;
        if record.payment.order_id != request.order_id {
            return Err(PaymentError::UnknownPayment(request.payment_key.clone()));
        }
        match record.payment.status {
            PaymentStatus::Done | PaymentStatus::InProgress => {
                if record.payment.total_amount != request.amount {
                    return Err(PaymentError::AmountMismatch {
                        expected: request.amount,
                        authorized: record.payment.total_amount,
                    });
                }
                Ok(record.payment)
            }
            status => Err(PaymentError::NotPaid {
                payment_key: request.payment_key.clone(),
                status: status.as_str().to_owned(),
            }),
        }
    }

    fn cancel_now(&self, request: &CancelRequest) -> PaymentResult<(Payment, Option<String>)> {
        let _guard = self.lock.lock().expect("sandbox lock");
        let mut record = self.record(&request.payment_key)?;
        if record.cancel_keys.contains(&request.idempotency_key) {
            return Ok((record.payment, None));
        }
        let now = self.clock.now_ms();
        match record.payment.status {
            PaymentStatus::Canceled | PaymentStatus::Aborted | PaymentStatus::Expired => {
                return Ok((record.payment, None))
            }
            PaymentStatus::Ready => {
                // Nothing was paid: the checkout just closes.
                record.payment.status = PaymentStatus::Expired;
                record.cancel_keys.push(request.idempotency_key.clone());
                self.save(&record, Vec::new())?;
                return Ok((record.payment, None));
            }
            _ => {}
        }
        let amount = request
            .amount
            .unwrap_or(record.payment.balance_amount)
            .min(record.payment.balance_amount);
        record.payment.balance_amount -= amount;
        record.payment.status = if record.payment.balance_amount == 0 {
            PaymentStatus::Canceled
        } else {
            PaymentStatus::PartialCanceled
        };
        record.payment.cancels.push(CancelRecord {
            cancel_amount: amount,
            cancel_reason: request.reason.clone(),
            canceled_at: iso8601(now),
            transaction_key: random_id("ctx_"),
        });
        record.cancel_keys.push(request.idempotency_key.clone());
        let event_id = self.push_event(&mut record, now);
        self.save(&record, Vec::new())?;
        Ok((record.payment, Some(event_id)))
    }
}

impl PaymentProvider for Sandbox {
    fn name(&self) -> &str {
        SANDBOX
    }

    fn checkout<'a>(
        &'a self,
        request: &'a CheckoutRequest,
    ) -> BoxFuture<'a, PaymentResult<Checkout>> {
        Box::pin(async move { self.checkout_now(request) })
    }

    fn confirm<'a>(&'a self, request: &'a ConfirmRequest) -> BoxFuture<'a, PaymentResult<Payment>> {
        Box::pin(async move { self.confirm_now(request) })
    }

    fn payment<'a>(&'a self, payment_key: &'a str) -> BoxFuture<'a, PaymentResult<Payment>> {
        Box::pin(async move { Ok(self.record(payment_key)?.payment) })
    }

    fn cancel<'a>(&'a self, request: &'a CancelRequest) -> BoxFuture<'a, PaymentResult<Payment>> {
        Box::pin(async move {
            let (payment, event) = self.cancel_now(request)?;
            if let Some(event_id) = event {
                self.spawn_delivery(request.payment_key.clone(), event_id);
            }
            Ok(payment)
        })
    }

    fn webhook<'a>(
        &'a self,
        headers: &'a HeaderMap,
        body: &'a [u8],
        now_ms: u64,
    ) -> BoxFuture<'a, PaymentResult<WebhookNotice>> {
        Box::pin(async move {
            let signature = headers
                .get(crate::webhook::SIGNATURE_HEADER)
                .and_then(|v| v.to_str().ok());
            let event =
                verify_signed_event(&self.secret, self.tolerance_secs, signature, body, now_ms)?;
            Ok(WebhookNotice::Payment {
                event_id: event.event_id,
                payment: event.data,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(order: &str, amount: u64) -> CheckoutRequest {
        CheckoutRequest {
            order_id: order.into(),
            order_name: "나이키 덩크 1/3".into(),
            amount,
            customer_key: "c1".into(),
            success_url: None,
            fail_url: None,
        }
    }

    fn sandbox() -> Arc<Sandbox> {
        let sandbox = Sandbox::new(
            Arc::new(MemorySandboxStore::default()),
            b"s".to_vec(),
            300,
            truffle_clock::SystemClock::shared(),
        );
        // Nothing listens there: deliveries fail and are retried in the background.
        sandbox.set_urls("http://127.0.0.1:9", "http://127.0.0.1:9/payments/webhook");
        sandbox
    }

    #[tokio::test]
    async fn a_payment_goes_from_checkout_to_refund() {
        let sandbox = sandbox();
        let checkout = sandbox
            .checkout(&request("truffle-x-1", 1000))
            .await
            .unwrap();
        let key = checkout.payment_key.clone().unwrap();
        assert!(checkout
            .checkout_url
            .unwrap()
            .ends_with(&format!("/sandbox/checkout/{key}")));
        let again = sandbox
            .checkout(&request("truffle-x-1", 1000))
            .await
            .unwrap();
        assert_eq!(
            again.payment_key.as_deref(),
            Some(key.as_str()),
            "one open checkout per order"
        );

        let confirm = ConfirmRequest {
            payment_key: key.clone(),
            order_id: "truffle-x-1".into(),
            amount: 1000,
            idempotency_key: "c".into(),
        };
        assert!(matches!(
            sandbox.confirm(&confirm).await,
            Err(PaymentError::NotPaid { .. })
        ));
        let paid = sandbox.pay(&key, None).unwrap();
        assert_eq!(
            (paid.status, paid.total_amount),
            (PaymentStatus::Done, 1000)
        );
        assert!(sandbox.pay(&key, None).is_err(), "paid once");
        assert_eq!(
            sandbox.confirm(&confirm).await.unwrap().status,
            PaymentStatus::Done
        );
        let wrong = ConfirmRequest {
            amount: 999,
            ..confirm.clone()
        };
        assert!(matches!(
            sandbox.confirm(&wrong).await,
            Err(PaymentError::AmountMismatch {
                expected: 999,
                authorized: 1000
            })
        ));
        let other_order = ConfirmRequest {
            order_id: "truffle-x-2".into(),
            ..confirm
        };
        assert!(matches!(
            sandbox.confirm(&other_order).await,
            Err(PaymentError::UnknownPayment(_))
        ));

        let event = sandbox.record(&key).unwrap().deliveries[0].clone();
        assert_eq!(event.status, PaymentStatus::Done);
        let header =
            crate::webhook::sign(b"s", truffle_clock::now_ms() / 1000, event.body.as_bytes());
        let mut headers = HeaderMap::new();
        headers.insert(crate::webhook::SIGNATURE_HEADER, header.parse().unwrap());
        let parsed = sandbox
            .webhook(&headers, event.body.as_bytes(), truffle_clock::now_ms())
            .await
            .unwrap();
        let WebhookNotice::Payment { event_id, payment } = parsed else {
            panic!("a payment event")
        };
        assert_eq!((event_id, payment.total_amount), (event.event_id, 1000));

        let cancel = CancelRequest {
            payment_key: key.clone(),
            reason: "refund".into(),
            amount: None,
            idempotency_key: "refund-1".into(),
        };
        let cancelled = sandbox.cancel(&cancel).await.unwrap();
        assert_eq!(
            (cancelled.status, cancelled.balance_amount),
            (PaymentStatus::Canceled, 0)
        );
        let twice = sandbox.cancel(&cancel).await.unwrap();
        assert_eq!(
            twice.cancels.len(),
            1,
            "the same idempotency key refunds once"
        );
        assert_eq!(sandbox.record(&key).unwrap().deliveries.len(), 2);
        let fresh = sandbox
            .checkout(&request("truffle-x-1", 1000))
            .await
            .unwrap();
        assert_ne!(
            fresh.payment_key.as_deref(),
            Some(key.as_str()),
            "a cancelled payment is not reused"
        );
    }

    #[tokio::test]
    async fn a_tampered_amount_is_paid_as_is_and_an_unpaid_checkout_closes() {
        let sandbox = sandbox();
        let key = sandbox
            .checkout(&request("truffle-x-3", 5000))
            .await
            .unwrap()
            .payment_key
            .unwrap();
        let paid = sandbox.pay(&key, Some(50)).unwrap();
        assert_eq!(paid.total_amount, 50);
        let open = sandbox
            .checkout(&request("truffle-x-4", 5000))
            .await
            .unwrap()
            .payment_key
            .unwrap();
        let closed = sandbox
            .cancel(&CancelRequest {
                payment_key: open.clone(),
                reason: "order expired".into(),
                amount: None,
                idempotency_key: "x".into(),
            })
            .await
            .unwrap();
        assert_eq!(closed.status, PaymentStatus::Expired);
        assert!(
            sandbox.pay(&open, None).is_err(),
            "a closed checkout cannot be paid"
        );
    }
}
