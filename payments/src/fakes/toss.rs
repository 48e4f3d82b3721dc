//! The fake Toss Payments.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::{
    back_to, checkout_page, error, header_text, now_iso, post_json, record, script, serve,
    state_json, Form, Seen,
};

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
/// payment widget script at `/v1/payment-widget` (its `requestPayment` goes to the
/// payment window at `/fake/checkout`, which sends the browser to the success or fail
/// URL), and
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
                "/fake/checkout",
                get(toss_checkout_page).post(toss_checkout),
            )
            .route("/fake/state", get(toss_state))
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
    let deposit = method == "가상계좌";
    // The Payment object of API version 2022-11-16, as the confirm, lookup and cancel
    // calls and PAYMENT_STATUS_CHANGED's `data` carry it.
    let vat = amount.div_ceil(11);
    let payment = json!({
        "mId": "tosspayments", "version": "2022-11-16", "lastTransactionKey": null,
        "paymentKey": key, "orderId": order_id, "orderName": "fake order",
        "taxExemptionAmount": 0, "status": status, "requestedAt": now_iso(), "approvedAt": null,
        "useEscrow": false, "cultureExpense": false,
        "card": if deposit { Value::Null } else {
            json!({"issuerCode": "61", "acquirerCode": "31", "number": "43301234****123*",
                   "installmentPlanMonths": 0, "isInterestFree": false, "interestPayer": null,
                   "approveNo": "00000000", "useCardPoint": false, "cardType": "신용",
                   "ownerType": "개인", "acquireStatus": "READY", "amount": amount})
        },
        "virtualAccount": if deposit {
            json!({"accountType": "일반", "accountNumber": "X6516011111111", "bankCode": "20",
                   "customerName": "구매자", "dueDate": crate::types::iso8601(truffle_clock::now_ms() + 86_400_000),
                   "refundStatus": "NONE", "expired": false, "settlementStatus": "INCOMPLETED",
                   "refundReceiveAccount": null, "depositorName": null})
        } else { Value::Null },
        "transfer": null, "mobilePhone": null, "giftCertificate": null, "cashReceipt": null,
        "cashReceipts": null, "discount": null, "cancels": null,
        "secret": if deposit { json!(format!("ps_fake_secret_{n}")) } else { Value::Null },
        "type": "NORMAL", "easyPay": null, "country": "KR", "failure": null,
        "isPartialCancelable": true, "receipt": null,
        "checkout": {"url": format!("https://api.tosspayments.com/v1/payments/{key}/checkout")},
        "currency": "KRW", "totalAmount": amount, "balanceAmount": amount,
        "suppliedAmount": amount - vat, "vat": vat, "taxFreeAmount": 0,
        "method": method, "metadata": null,
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
        "존재하지 않는 결제 입니다.",
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
                json!({"code": "NOT_FOUND_PAYMENT", "message": "존재하지 않는 결제 입니다."}),
            ),
            Some(payment) if payment["orderId"] != body["orderId"] => (
                404,
                json!({"code": "NOT_FOUND_PAYMENT", "message": "존재하지 않는 결제 입니다."}),
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
                payment["lastTransactionKey"] = json!(format!(
                    "txk-{}",
                    payment["paymentKey"].as_str().unwrap_or_default()
                ));
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
    let cancel = json!({
        "transactionKey": format!("cancel-{key}"), "cancelReason": body["cancelReason"],
        "taxExemptionAmount": 0, "canceledAt": now_iso(), "easyPayDiscountAmount": 0,
        "receiptKey": null, "cancelAmount": amount, "taxFreeAmount": 0,
        "refundableAmount": total.saturating_sub(amount), "cancelStatus": "DONE",
        "cancelRequestId": null,
    });
    match payment["cancels"].as_array_mut() {
        Some(cancels) => cancels.push(cancel),
        None => payment["cancels"] = json!([cancel]),
    }
    Json(payment.clone()).into_response()
}

/// The payment window the widget sends the browser to: the request's fields in a form.
async fn toss_checkout_page() -> Response {
    checkout_page("토스페이먼츠", "orderName", "amount")
}

/// The customer authorizes or cancels in the payment window. Authorizing makes an
/// IN_PROGRESS card payment (waiting for the merchant's confirmation) and sends the
/// browser to `successUrl?paymentType=NORMAL&orderId=…&paymentKey=…&amount=…`;
/// cancelling sends it to `failUrl?code=PAY_PROCESS_CANCELED&message=…&orderId=…`.
async fn toss_checkout(State(state): State<Arc<TossState>>, body: String) -> Response {
    let form = Form::parse(&body);
    let order_id = form.get("orderId");
    if form.get("clientKey") != state.client_key {
        return error(
            StatusCode::BAD_REQUEST,
            "code",
            "INVALID_CLIENT_KEY",
            "unknown clientKey",
        );
    }
    if order_id.len() < 6 || order_id.len() > 64 {
        return error(
            StatusCode::BAD_REQUEST,
            "code",
            "INVALID_REQUEST",
            "orderId: 6 to 64 characters",
        );
    }
    if form.get("action") != "pay" {
        return back_to(
            form.get("failUrl"),
            &[
                ("code", "PAY_PROCESS_CANCELED"),
                ("message", "사용자에 의해 결제가 취소되었습니다."),
                ("orderId", order_id),
            ],
        );
    }
    let Ok(amount) = form.get("amount").parse::<u64>() else {
        return error(StatusCode::BAD_REQUEST, "code", "INVALID_REQUEST", "amount");
    };
    let key = toss_new_payment(&state, order_id, amount, "카드", "IN_PROGRESS");
    back_to(
        form.get("successUrl"),
        &[
            ("paymentType", "NORMAL"),
            ("orderId", order_id),
            ("paymentKey", &key),
            ("amount", &amount.to_string()),
        ],
    )
}

/// What the fake holds, for a test in another process: payments and the API calls it
/// received.
async fn toss_state(State(state): State<Arc<TossState>>) -> Response {
    Json(state_json(&state.payments, &state.seen)).into_response()
}

async fn toss_widget(State(_state): State<Arc<TossState>>) -> Response {
    // The widget's documented interface: `PaymentWidget(clientKey, customerKey)`,
    // `renderPaymentMethods(selector, {value})`, `renderAgreement(selector)`,
    // `requestPayment({orderId, orderName, successUrl, failUrl})`, which takes the
    // browser to the payment window (here the fake's checkout page), then to
    // `successUrl?paymentKey=…&orderId=…&amount=…` or `failUrl?code=…&message=…`.
    script(
        r#"(function () {
  var base = new URL(document.currentScript.src).origin;
  window.PaymentWidget = function (clientKey, customerKey) {
    var amount = 0;
    return {
      renderPaymentMethods: function (selector, value) {
        amount = typeof value === "number" ? value : value.value;
        var el = document.querySelector(selector);
        if (el) el.textContent = "[fake Toss widget] 카드 · " + amount + "원";
        return { on: function () {}, updateAmount: function (v) { amount = v; } };
      },
      renderAgreement: function (selector) {
        var el = document.querySelector(selector);
        if (el) el.textContent = "[fake Toss widget] 결제 약관 동의";
        return {};
      },
      requestPayment: function (request) {
        var url = new URL(base + "/fake/checkout");
        var fields = { clientKey: clientKey, customerKey: customerKey, orderId: request.orderId,
          orderName: request.orderName, amount: amount, successUrl: request.successUrl, failUrl: request.failUrl };
        Object.keys(fields).forEach(function (name) {
          if (fields[name] != null) url.searchParams.set(name, String(fields[name]));
        });
        location.href = url.toString();
        return new Promise(function () {});
      },
    };
  };
})();
"#
        .to_owned(),
    )
}
