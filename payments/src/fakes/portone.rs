//! The fake PortOne V2.

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
use crate::standard_webhooks::{self, WebhookSecret};

struct PortOneState {
    api_secret: String,
    store_id: String,
    webhook_secret: WebhookSecret,
    webhook_url: Mutex<Option<String>>,
    payments: Mutex<BTreeMap<String, Value>>,
    seen: Mutex<Vec<Seen>>,
    /// Webhooks delivered: `{type, paymentId, status}` (the merchant's HTTP status).
    deliveries: Mutex<Vec<Value>>,
    next_message: Mutex<u64>,
}

/// A fake PortOne V2: `GET /payments/{id}`, `POST /payments/{id}/cancel`, the browser
/// SDK at `/v2/browser-sdk.js` (its `requestPayment` goes to the payment window at
/// `/fake/checkout`), and Standard Webhooks deliveries to the merchant's webhook URL.
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
            deliveries: Mutex::default(),
            next_message: Mutex::new(0),
        });
        let app = Router::new()
            .route("/payments/{id}", get(portone_get))
            .route("/payments/{id}/cancel", post(portone_cancel))
            .route("/v2/browser-sdk.js", get(portone_sdk))
            .route(
                "/fake/checkout",
                get(portone_checkout_page).post(portone_checkout),
            )
            .route("/fake/state", get(portone_state))
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
    let status = post_json(
        &url,
        &[
            (standard_webhooks::ID_HEADER, message),
            (standard_webhooks::TIMESTAMP_HEADER, timestamp.to_string()),
            (standard_webhooks::SIGNATURE_HEADER, signature),
        ],
        body,
    )
    .await;
    state.deliveries.lock().expect("lock").push(json!({
        "type": kind, "paymentId": payment_id,
        "status": status.as_ref().ok(), "error": status.as_ref().err(),
    }));
    status
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

/// The payment window the SDK sends the browser to: the request's fields in a form.
async fn portone_checkout_page() -> Response {
    checkout_page("PortOne", "orderName", "totalAmount")
}

/// The customer pays or cancels in the payment window. Paying records the payment as
/// PAID and tells the merchant's server (`Transaction.Paid`, signed) before sending the
/// browser to `redirectUrl?paymentId=…&transactionType=PAYMENT&txId=…`; cancelling
/// sends it there with `code` and `message`, as the V2 SDK does on phones.
async fn portone_checkout(State(state): State<Arc<PortOneState>>, body: String) -> Response {
    let form = Form::parse(&body);
    let payment_id = form.get("paymentId");
    if form.get("storeId") != state.store_id || payment_id.is_empty() || payment_id.len() > 200 {
        return error(
            StatusCode::BAD_REQUEST,
            "code",
            "INVALID_REQUEST",
            "storeId and paymentId",
        );
    }
    let tx_id = format!("tx-{payment_id}");
    let mut back = vec![
        ("paymentId", payment_id),
        ("transactionType", "PAYMENT"),
        ("txId", tx_id.as_str()),
    ];
    if form.get("action") != "pay" {
        back.extend([
            ("code", "FAILURE_TYPE_PG"),
            (
                "message",
                "[PAY_PROCESS_CANCELED] 사용자가 결제를 취소하였습니다.",
            ),
        ]);
        return back_to(form.get("redirectUrl"), &back);
    }
    let Ok(amount) = form.get("totalAmount").parse::<u64>() else {
        return error(
            StatusCode::BAD_REQUEST,
            "code",
            "INVALID_REQUEST",
            "totalAmount",
        );
    };
    let fake = FakePortOne {
        url: String::new(),
        state: state.clone(),
    };
    fake.pay(payment_id, amount);
    // PortOne tells the merchant's server too, whatever the browser does next.
    let status = send_portone_webhook(&state, "Transaction.Paid", payment_id).await;
    tracing::info!(target: "fakes", payment_id, ?status, "fake PortOne payment");
    back_to(form.get("redirectUrl"), &back)
}

/// What the fake holds, for a test in another process: payments, the API calls it
/// received, the webhooks it delivered.
async fn portone_state(State(state): State<Arc<PortOneState>>) -> Response {
    let mut json = state_json(&state.payments, &state.seen);
    let deliveries = state.deliveries.lock().expect("lock").clone();
    json.insert("deliveries".into(), Value::Array(deliveries));
    Json(json).into_response()
}

async fn portone_sdk(State(_state): State<Arc<PortOneState>>) -> Response {
    // `PortOne.requestPayment(request)`: with a `redirectUrl` the V2 SDK takes the
    // browser to the payment window and back to `redirectUrl` (on phones; elsewhere it
    // resolves `{paymentId, txId}` or `{code, message}`). The fake always redirects, to
    // its checkout page; the promise stays pending as the page goes away.
    script(
        r#"(function () {
  var base = new URL(document.currentScript.src).origin;
  window.PortOne = {
    requestPayment: function (request) {
      var url = new URL(base + "/fake/checkout");
      ["storeId", "channelKey", "paymentId", "orderName", "totalAmount", "currency", "payMethod", "redirectUrl"]
        .forEach(function (name) { if (request[name] != null) url.searchParams.set(name, String(request[name])); });
      if (!request.redirectUrl) {
        return Promise.resolve({ code: "FAILURE_TYPE_PG", message: "redirectUrl is required by this fake", paymentId: request.paymentId });
      }
      location.href = url.toString();
      return new Promise(function () {});
    },
  };
})();
"#
        .to_owned(),
    )
}
