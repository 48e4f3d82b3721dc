//! Local stand-ins of PortOne V2 and Toss Payments for tests: real HTTP servers on
//! 127.0.0.1 that answer the documented requests with the documented shapes, check the
//! merchant's credentials, and send webhooks as the real gateways do. Each also serves a
//! browser script with the SDK's documented interface (`PortOne.requestPayment`;
//! `PaymentWidget(clientKey, customerKey)` with `renderPaymentMethods` and
//! `requestPayment`), which "pays" at the fake instead of showing a card form, so a
//! browser test can go through the same page code as production.
//!
//! Test controls (`pay`, `authorize`, `deposit`, …) stand for what the customer does on
//! the gateway's own pages.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::standard_webhooks::{self, WebhookSecret};

/// One request a fake received.
#[derive(Clone, Debug)]
pub struct Seen {
    /// `GET`, `POST`.
    pub method: String,
    /// The path.
    pub path: String,
    /// The `Authorization` header.
    pub authorization: String,
    /// The `Idempotency-Key` header.
    pub idempotency_key: String,
    /// The JSON body (`null` for none).
    pub body: Value,
}

fn header_text(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn cors(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        "*".parse().expect("valid"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        "content-type".parse().expect("valid"),
    );
    response
}

fn script(body: String) -> Response {
    cors(
        (
            [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
            body,
        )
            .into_response(),
    )
}

fn error(status: StatusCode, field: &str, code: &str, message: &str) -> Response {
    cors((status, Json(json!({ field: code, "message": message }))).into_response())
}

async fn serve(app: Router) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{address}"))
}

fn now_iso() -> String {
    crate::types::iso8601(truffle_clock::now_ms())
}

async fn post_json(url: &str, headers: &[(&str, String)], body: String) -> Result<u16, String> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let mut request = client
        .post(url)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    Ok(response.status().as_u16())
}

// ---------------------------------------------------------------------------------
// PortOne V2

struct PortOneState {
    api_secret: String,
    store_id: String,
    webhook_secret: WebhookSecret,
    webhook_url: Mutex<Option<String>>,
    payments: Mutex<BTreeMap<String, Value>>,
    seen: Mutex<Vec<Seen>>,
    next_message: Mutex<u64>,
}

/// A fake PortOne V2: `GET /payments/{id}`, `POST /payments/{id}/cancel`, the browser
/// SDK at `/v2/browser-sdk.js` (its `requestPayment` pays through `POST /fake/pay`),
/// and Standard Webhooks deliveries to the merchant's webhook URL.
#[derive(Clone)]
pub struct FakePortOne {
    /// Base URL of the API (and of the SDK script).
    pub url: String,
    state: Arc<PortOneState>,
}

impl FakePortOne {
    /// Starts the fake for the merchant with these credentials.
    pub async fn start(
        api_secret: &str,
        store_id: &str,
        webhook_secret: WebhookSecret,
    ) -> std::io::Result<FakePortOne> {
        let state = Arc::new(PortOneState {
            api_secret: api_secret.to_owned(),
            store_id: store_id.to_owned(),
            webhook_secret,
            webhook_url: Mutex::new(None),
            payments: Mutex::default(),
            seen: Mutex::default(),
            next_message: Mutex::new(0),
        });
        let app = Router::new()
            .route("/payments/{id}", get(portone_get))
            .route("/payments/{id}/cancel", post(portone_cancel))
            .route("/v2/browser-sdk.js", get(portone_sdk))
            .route("/fake/pay", post(portone_browser_pay).options(preflight))
            .with_state(state.clone());
        let url = serve(app).await?;
        Ok(FakePortOne { url, state })
    }

    /// Where webhooks go (the merchant's `/payments/webhook`).
    pub fn set_webhook_url(&self, url: &str) {
        *self.state.webhook_url.lock().expect("lock") = Some(url.to_owned());
    }

    /// The customer pays `amount` won for payment `payment_id` (PAID).
    pub fn pay(&self, payment_id: &str, amount: u64) -> Value {
        let payment = json!({
            "status": "PAID", "id": payment_id, "transactionId": format!("tx-{payment_id}"),
            "merchantId": "merchant-fake", "storeId": self.state.store_id,
            "channel": {"type": "TEST", "pgProvider": "TOSSPAYMENTS"},
            "version": "V2", "requestedAt": now_iso(), "updatedAt": now_iso(),
            "statusChangedAt": now_iso(), "orderName": "fake order",
            "amount": {"total": amount, "taxFree": 0, "vat": 0, "supply": amount,
                       "discount": 0, "paid": amount, "cancelled": 0, "cancelledTaxFree": 0},
            "currency": "KRW", "customer": {}, "paidAt": now_iso(),
        });
        self.state
            .payments
            .lock()
            .expect("lock")
            .insert(payment_id.to_owned(), payment.clone());
        payment
    }

    /// The payment as the fake holds it.
    pub fn payment(&self, payment_id: &str) -> Option<Value> {
        self.state
            .payments
            .lock()
            .expect("lock")
            .get(payment_id)
            .cloned()
    }

    /// The requests the fake's API received.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().expect("lock").clone()
    }

    /// Sends a webhook of `kind` (e.g. `Transaction.Paid`) about `payment_id`, signed
    /// now; returns the merchant's HTTP status.
    pub async fn send_webhook(&self, kind: &str, payment_id: &str) -> Result<u16, String> {
        send_portone_webhook(&self.state, kind, payment_id).await
    }

    /// The signed headers and body of a webhook (for tests that tamper with them).
    pub fn signed_webhook(&self, kind: &str, payment_id: &str) -> (String, u64, String, String) {
        signed_portone_webhook(&self.state, kind, payment_id)
    }
}

fn signed_portone_webhook(
    state: &PortOneState,
    kind: &str,
    payment_id: &str,
) -> (String, u64, String, String) {
    let message = {
        let mut next = state.next_message.lock().expect("lock");
        *next += 1;
        format!("msg_fake{:016}", *next)
    };
    let body = json!({
        "type": kind, "timestamp": now_iso(),
        "data": {"paymentId": payment_id, "storeId": state.store_id,
                 "transactionId": format!("tx-{payment_id}")},
    })
    .to_string();
    let timestamp = truffle_clock::now_ms() / 1000;
    let signature =
        standard_webhooks::sign(&state.webhook_secret, &message, timestamp, body.as_bytes());
    (message, timestamp, signature, body)
}

async fn send_portone_webhook(
    state: &PortOneState,
    kind: &str,
    payment_id: &str,
) -> Result<u16, String> {
    let url = state
        .webhook_url
        .lock()
        .expect("lock")
        .clone()
        .ok_or("no webhook URL")?;
    let (message, timestamp, signature, body) = signed_portone_webhook(state, kind, payment_id);
    post_json(
        &url,
        &[
            (standard_webhooks::ID_HEADER, message),
            (standard_webhooks::TIMESTAMP_HEADER, timestamp.to_string()),
            (standard_webhooks::SIGNATURE_HEADER, signature),
        ],
        body,
    )
    .await
}

/// The refusal of a call without the merchant's API secret.
fn portone_refusal(state: &PortOneState, headers: &HeaderMap) -> Option<Response> {
    if header_text(headers, "authorization") != format!("PortOne {}", state.api_secret) {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "type",
            "UNAUTHORIZED",
            "인증 정보가 올바르지 않습니다.",
        ));
    }
    None
}

fn record(seen: &Mutex<Vec<Seen>>, method: &str, path: String, headers: &HeaderMap, body: Value) {
    seen.lock().expect("lock").push(Seen {
        method: method.into(),
        path,
        authorization: header_text(headers, "authorization"),
        idempotency_key: header_text(headers, "idempotency-key"),
        body,
    });
}

async fn portone_get(
    State(state): State<Arc<PortOneState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    record(
        &state.seen,
        "GET",
        format!("/payments/{id}"),
        &headers,
        Value::Null,
    );
    if let Some(response) = portone_refusal(&state, &headers) {
        return response;
    }
    match state.payments.lock().expect("lock").get(&id) {
        Some(payment) => Json(payment.clone()).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "type",
            "PAYMENT_NOT_FOUND",
            "결제 건이 존재하지 않습니다.",
        ),
    }
}

async fn portone_cancel(
    State(state): State<Arc<PortOneState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    record(
        &state.seen,
        "POST",
        format!("/payments/{id}/cancel"),
        &headers,
        body.clone(),
    );
    if let Some(response) = portone_refusal(&state, &headers) {
        return response;
    }
    if body["reason"].as_str().is_none_or(str::is_empty) {
        return error(
            StatusCode::BAD_REQUEST,
            "type",
            "INVALID_REQUEST",
            "reason is required",
        );
    }
    let cancellation = {
        let mut payments = state.payments.lock().expect("lock");
        let Some(payment) = payments.get_mut(&id) else {
            return error(
                StatusCode::NOT_FOUND,
                "type",
                "PAYMENT_NOT_FOUND",
                "결제 건이 존재하지 않습니다.",
            );
        };
        match payment["status"].as_str() {
            Some("CANCELLED") => {
                return error(
                    StatusCode::CONFLICT,
                    "type",
                    "PAYMENT_ALREADY_CANCELLED",
                    "이미 취소된 결제 건입니다.",
                )
            }
            Some("PAID") => {}
            _ => {
                return error(
                    StatusCode::CONFLICT,
                    "type",
                    "PAYMENT_NOT_PAID",
                    "결제가 완료되지 않았습니다.",
                )
            }
        }
        let total = payment["amount"]["total"].as_u64().unwrap_or(0);
        let amount = body["amount"].as_u64().unwrap_or(total);
        let cancellation = json!({
            "status": "SUCCEEDED", "id": format!("cancel-{id}"), "totalAmount": amount,
            "taxFreeAmount": 0, "vatAmount": 0, "reason": body["reason"],
            "requestedAt": now_iso(), "cancelledAt": now_iso(),
        });
        payment["status"] = json!(if amount < total {
            "PARTIAL_CANCELLED"
        } else {
            "CANCELLED"
        });
        payment["amount"]["cancelled"] = json!(amount);
        payment["cancellations"] = json!([cancellation.clone()]);
        cancellation
    };
    Json(json!({ "cancellation": cancellation })).into_response()
}

async fn preflight(method: Method) -> Response {
    let _ = method;
    cors(StatusCode::NO_CONTENT.into_response())
}

/// What the fake SDK posts when the customer "pays".
async fn portone_browser_pay(
    State(state): State<Arc<PortOneState>>,
    Json(request): Json<Value>,
) -> Response {
    let (Some(payment_id), Some(amount)) = (
        request["paymentId"].as_str(),
        request["totalAmount"].as_u64(),
    ) else {
        return error(
            StatusCode::BAD_REQUEST,
            "code",
            "INVALID_REQUEST",
            "paymentId and totalAmount",
        );
    };
    if request["storeId"].as_str() != Some(state.store_id.as_str()) {
        return error(
            StatusCode::BAD_REQUEST,
            "code",
            "INVALID_STORE",
            "unknown storeId",
        );
    }
    let fake = FakePortOne {
        url: String::new(),
        state: state.clone(),
    };
    fake.pay(payment_id, amount);
    // PortOne tells the merchant's server too, whatever the browser does next.
    let status = send_portone_webhook(&state, "Transaction.Paid", payment_id).await;
    tracing::info!(target: "fakes", payment_id, ?status, "fake PortOne payment");
    cors(Json(json!({ "paymentId": payment_id, "txId": format!("tx-{payment_id}"), "transactionType": "PAYMENT" })).into_response())
}

async fn portone_sdk(State(_state): State<Arc<PortOneState>>) -> Response {
    // `PortOne.requestPayment(request)` resolves with `{paymentId, txId}` on success and
    // `{code, message, paymentId}` on failure, as the V2 browser SDK documents; the
    // fake's "customer" pays at once.
    script(
        r#"(function () {
  var base = new URL(document.currentScript.src).origin;
  window.PortOne = {
    requestPayment: function (request) {
      return fetch(base + "/fake/pay", { method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify(request) })
        .then(function (r) { return r.json(); })
        .catch(function (e) { return { code: "FAILURE_TYPE_PG", message: String(e), paymentId: request.paymentId }; });
    },
  };
})();
"#
        .to_owned(),
    )
}

// ---------------------------------------------------------------------------------
// Toss Payments

struct TossState {
    secret_key: String,
    client_key: String,
    webhook_url: Mutex<Option<String>>,
    /// Payments by key.
    payments: Mutex<BTreeMap<String, Value>>,
    /// Answers by idempotency key (a retried call gets the first answer).
    answers: Mutex<BTreeMap<String, (u16, Value)>>,
    seen: Mutex<Vec<Seen>>,
    next: Mutex<u64>,
}

/// A fake Toss Payments: `POST /v1/payments/confirm`, `GET /v1/payments/{paymentKey}`,
/// `GET /v1/payments/orders/{orderId}`, `POST /v1/payments/{paymentKey}/cancel`, the
/// payment widget script at `/v1/payment-widget` (its `requestPayment` authorizes
/// through `POST /fake/authorize` and sends the browser to the success URL), and
/// `PAYMENT_STATUS_CHANGED` / `DEPOSIT_CALLBACK` webhooks.
#[derive(Clone)]
pub struct FakeToss {
    /// Base URL of the API (and of the widget script).
    pub url: String,
    state: Arc<TossState>,
}

impl FakeToss {
    /// Starts the fake for the merchant with these keys.
    pub async fn start(secret_key: &str, client_key: &str) -> std::io::Result<FakeToss> {
        let state = Arc::new(TossState {
            secret_key: secret_key.to_owned(),
            client_key: client_key.to_owned(),
            webhook_url: Mutex::new(None),
            payments: Mutex::default(),
            answers: Mutex::default(),
            seen: Mutex::default(),
            next: Mutex::new(0),
        });
        let app = Router::new()
            .route("/v1/payments/confirm", post(toss_confirm))
            .route("/v1/payments/{key}", get(toss_get))
            .route("/v1/payments/orders/{order}", get(toss_get_by_order))
            .route("/v1/payments/{key}/cancel", post(toss_cancel))
            .route("/v1/payment-widget", get(toss_widget))
            .route(
                "/fake/authorize",
                post(toss_browser_authorize).options(preflight),
            )
            .with_state(state.clone());
        let url = serve(app).await?;
        Ok(FakeToss { url, state })
    }

    /// Where webhooks go (the merchant's `/payments/webhook`).
    pub fn set_webhook_url(&self, url: &str) {
        *self.state.webhook_url.lock().expect("lock") = Some(url.to_owned());
    }

    /// The customer authorizes `amount` won for `order_id` in the widget (IN_PROGRESS,
    /// waiting for the merchant's confirmation); returns the payment key.
    pub fn authorize(&self, order_id: &str, amount: u64) -> String {
        toss_new_payment(&self.state, order_id, amount, "카드", "IN_PROGRESS")
    }

    /// The customer chose a virtual account (WAITING_FOR_DEPOSIT once confirmed);
    /// returns the payment key.
    pub fn issue_virtual_account(&self, order_id: &str, amount: u64) -> String {
        toss_new_payment(&self.state, order_id, amount, "가상계좌", "IN_PROGRESS")
    }

    /// The payment as the fake holds it.
    pub fn payment(&self, payment_key: &str) -> Option<Value> {
        self.state
            .payments
            .lock()
            .expect("lock")
            .get(payment_key)
            .cloned()
    }

    /// The requests the fake's API received.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().expect("lock").clone()
    }

    /// The customer pays into the virtual account: DONE, then a `DEPOSIT_CALLBACK`
    /// carrying the payment's secret (or `secret` if given: a forger's guess). Returns
    /// the merchant's HTTP status.
    pub async fn deposit(&self, payment_key: &str, secret: Option<&str>) -> Result<u16, String> {
        let (order_id, real_secret) = {
            let mut payments = self.state.payments.lock().expect("lock");
            let payment = payments.get_mut(payment_key).ok_or("no such payment")?;
            payment["status"] = json!("DONE");
            payment["approvedAt"] = json!(now_iso());
            (
                payment["orderId"].as_str().unwrap_or_default().to_owned(),
                payment["secret"].as_str().unwrap_or_default().to_owned(),
            )
        };
        let body = json!({
            "createdAt": now_iso(), "secret": secret.unwrap_or(&real_secret), "status": "DONE",
            "transactionKey": format!("txk-{payment_key}"), "orderId": order_id,
        });
        self.post_webhook(body).await
    }

    /// Sends `PAYMENT_STATUS_CHANGED` with the payment as the fake holds it (or as
    /// `data` says, for tests of a forged body); returns the merchant's HTTP status.
    pub async fn status_changed(
        &self,
        payment_key: &str,
        data: Option<Value>,
    ) -> Result<u16, String> {
        let data = match data {
            Some(data) => data,
            None => self.payment(payment_key).ok_or("no such payment")?,
        };
        let body =
            json!({ "eventType": "PAYMENT_STATUS_CHANGED", "createdAt": now_iso(), "data": data });
        self.post_webhook(body).await
    }

    /// Sends any body to the merchant's webhook URL.
    pub async fn post_webhook(&self, body: Value) -> Result<u16, String> {
        let url = self
            .state
            .webhook_url
            .lock()
            .expect("lock")
            .clone()
            .ok_or("no webhook URL")?;
        post_json(&url, &[], body.to_string()).await
    }
}

fn toss_new_payment(
    state: &TossState,
    order_id: &str,
    amount: u64,
    method: &str,
    status: &str,
) -> String {
    let n = {
        let mut next = state.next.lock().expect("lock");
        *next += 1;
        *next
    };
    let key = format!("tgen_fake{n:012}");
    let payment = json!({
        "mId": "tosspayments", "version": "2022-11-16", "paymentKey": key,
        "orderId": order_id, "orderName": "fake order", "status": status,
        "requestedAt": now_iso(), "approvedAt": null, "method": method,
        "totalAmount": amount, "balanceAmount": amount, "suppliedAmount": amount,
        "vat": 0, "currency": "KRW", "cancels": null,
        "secret": if method == "가상계좌" { json!(format!("ps_fake_secret_{n}")) } else { Value::Null },
        "virtualAccount": if method == "가상계좌" { json!({"accountNumber": "X6516011111111", "bank": "20"}) } else { Value::Null },
    });
    state
        .payments
        .lock()
        .expect("lock")
        .insert(key.clone(), payment);
    key
}

/// The refusal of a call without the merchant's secret key.
fn toss_refusal(state: &TossState, headers: &HeaderMap) -> Option<Response> {
    use base64::Engine as _;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{}:", state.secret_key))
    );
    if header_text(headers, "authorization") != expected {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "code",
            "UNAUTHORIZED_KEY",
            "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.",
        ));
    }
    None
}

fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "code",
        "NOT_FOUND_PAYMENT",
        "존재하지 않는 결제 정보 입니다.",
    )
}

async fn toss_confirm(
    State(state): State<Arc<TossState>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    record(
        &state.seen,
        "POST",
        "/v1/payments/confirm".into(),
        &headers,
        body.clone(),
    );
    if let Some(response) = toss_refusal(&state, &headers) {
        return response;
    }
    let idempotency = header_text(&headers, "idempotency-key");
    if let Some((status, answer)) = state.answers.lock().expect("lock").get(&idempotency) {
        let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::OK);
        return (status, Json(answer.clone())).into_response();
    }
    let (status, answer) = {
        let mut payments = state.payments.lock().expect("lock");
        let key = body["paymentKey"].as_str().unwrap_or_default();
        match payments.get_mut(key) {
            None => (
                404,
                json!({"code": "NOT_FOUND_PAYMENT", "message": "존재하지 않는 결제 정보 입니다."}),
            ),
            Some(payment) if payment["orderId"] != body["orderId"] => (
                404,
                json!({"code": "NOT_FOUND_PAYMENT", "message": "존재하지 않는 결제 정보 입니다."}),
            ),
            Some(payment) if payment["status"] != "IN_PROGRESS" => (
                400,
                json!({"code": "ALREADY_PROCESSED_PAYMENT", "message": "이미 처리된 결제 입니다."}),
            ),
            Some(payment) if payment["totalAmount"] != body["amount"] => (
                400,
                json!({"code": "NOT_MATCHES_AMOUNT", "message": "결제 금액이 일치하지 않습니다."}),
            ),
            Some(payment) => {
                if payment["method"] == "가상계좌" {
                    payment["status"] = json!("WAITING_FOR_DEPOSIT");
                } else {
                    payment["status"] = json!("DONE");
                    payment["approvedAt"] = json!(now_iso());
                }
                (200, payment.clone())
            }
        }
    };
    if !idempotency.is_empty() {
        state
            .answers
            .lock()
            .expect("lock")
            .insert(idempotency, (status, answer.clone()));
    }
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        Json(answer),
    )
        .into_response()
}

async fn toss_get(
    State(state): State<Arc<TossState>>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Response {
    record(
        &state.seen,
        "GET",
        format!("/v1/payments/{key}"),
        &headers,
        Value::Null,
    );
    if let Some(response) = toss_refusal(&state, &headers) {
        return response;
    }
    match state.payments.lock().expect("lock").get(&key) {
        Some(payment) => Json(payment.clone()).into_response(),
        None => not_found(),
    }
}

async fn toss_get_by_order(
    State(state): State<Arc<TossState>>,
    Path(order): Path<String>,
    headers: HeaderMap,
) -> Response {
    record(
        &state.seen,
        "GET",
        format!("/v1/payments/orders/{order}"),
        &headers,
        Value::Null,
    );
    if let Some(response) = toss_refusal(&state, &headers) {
        return response;
    }
    let payments = state.payments.lock().expect("lock");
    match payments
        .values()
        .rev()
        .find(|p| p["orderId"] == order.as_str())
    {
        Some(payment) => Json(payment.clone()).into_response(),
        None => not_found(),
    }
}

async fn toss_cancel(
    State(state): State<Arc<TossState>>,
    Path(key): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    record(
        &state.seen,
        "POST",
        format!("/v1/payments/{key}/cancel"),
        &headers,
        body.clone(),
    );
    if let Some(response) = toss_refusal(&state, &headers) {
        return response;
    }
    let mut payments = state.payments.lock().expect("lock");
    let Some(payment) = payments.get_mut(&key) else {
        return not_found();
    };
    if payment["status"] == "CANCELED" {
        return error(
            StatusCode::BAD_REQUEST,
            "code",
            "ALREADY_CANCELED_PAYMENT",
            "이미 취소된 결제 입니다.",
        );
    }
    let total = payment["totalAmount"].as_u64().unwrap_or(0);
    let amount = body["cancelAmount"].as_u64().unwrap_or(total);
    payment["status"] = json!(if amount < total {
        "PARTIAL_CANCELED"
    } else {
        "CANCELED"
    });
    payment["balanceAmount"] = json!(total.saturating_sub(amount));
    payment["cancels"] = json!([{
        "cancelAmount": amount, "cancelReason": body["cancelReason"], "canceledAt": now_iso(),
        "transactionKey": format!("cancel-{key}"),
    }]);
    Json(payment.clone()).into_response()
}

/// What the fake widget posts when the customer authorizes.
async fn toss_browser_authorize(
    State(state): State<Arc<TossState>>,
    Json(request): Json<Value>,
) -> Response {
    if request["clientKey"].as_str() != Some(state.client_key.as_str()) {
        return error(
            StatusCode::BAD_REQUEST,
            "code",
            "INVALID_CLIENT_KEY",
            "unknown clientKey",
        );
    }
    let (Some(order_id), Some(amount)) = (request["orderId"].as_str(), request["amount"].as_u64())
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "code",
            "INVALID_REQUEST",
            "orderId and amount",
        );
    };
    let key = toss_new_payment(&state, order_id, amount, "카드", "IN_PROGRESS");
    cors(Json(json!({ "paymentKey": key, "orderId": order_id, "amount": amount })).into_response())
}

async fn toss_widget(State(_state): State<Arc<TossState>>) -> Response {
    // The widget's documented interface: `PaymentWidget(clientKey, customerKey)`,
    // `renderPaymentMethods(selector, {value})`, `renderAgreement(selector)`,
    // `requestPayment({orderId, orderName, successUrl, failUrl})`, which sends the
    // browser to `successUrl?paymentKey=…&orderId=…&amount=…` (or `failUrl?code=…`).
    script(
        r#"(function () {
  var base = new URL(document.currentScript.src).origin;
  window.PaymentWidget = function (clientKey, customerKey) {
    var amount = 0;
    return {
      renderPaymentMethods: function (selector, value) {
        amount = typeof value === "number" ? value : value.value;
        var el = document.querySelector(selector);
        if (el) el.textContent = "[fake Toss widget] card · " + amount + " KRW";
        return { on: function () {}, updateAmount: function (v) { amount = v; } };
      },
      renderAgreement: function () { return {}; },
      requestPayment: function (request) {
        return fetch(base + "/fake/authorize", { method: "POST", headers: { "content-type": "application/json" },
          body: JSON.stringify({ clientKey: clientKey, customerKey: customerKey, orderId: request.orderId,
            orderName: request.orderName, amount: amount }) })
          .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
          .then(function (answer) {
            var url = new URL(answer.ok ? request.successUrl : request.failUrl, location.href);
            if (answer.ok) {
              url.searchParams.set("paymentKey", answer.body.paymentKey);
              url.searchParams.set("orderId", answer.body.orderId);
              url.searchParams.set("amount", String(answer.body.amount));
            } else {
              url.searchParams.set("code", answer.body.code);
              url.searchParams.set("message", answer.body.message);
              url.searchParams.set("orderId", request.orderId);
            }
            location.href = url.toString();
          });
      },
    };
  };
})();
"#
        .to_owned(),
    )
}
