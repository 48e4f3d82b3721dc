//! Payment routes beside JSON-RPC:
//!
//! - `POST /payments/webhook`: the provider's events (body at most
//!   [`WEBHOOK_MAX_BYTES`]; authenticated by the provider: the sandbox's
//!   `Webhook-Signature: t=…,v1=…`, PortOne's Standard Webhooks headers, Toss' payment
//!   fetched back). 200 once the event is stored (`{"duplicate": true}` for a replay) or
//!   found to concern no payment, 401 for a missing, wrong or stale signature (or deposit
//!   secret), 400 for a body that is not an event, 404 without a provider, 503 when the
//!   event could not be stored or its payment fetched (the provider delivers it again).
//! - The sandbox gateway's pages, only when the sandbox is the provider:
//!   `GET /sandbox/checkout/{key}` (the checkout page), `POST …/pay` (pays; an `amount`
//!   field, JSON or form, simulates a tampered checkout), `POST …/abort`,
//!   `GET /sandbox/payments/{key}` (the payment and its webhook deliveries, JSON) and
//!   `POST /sandbox/payments/{key}/redeliver` (sends the latest event again, now).

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use truffle_node::market::WebhookError;
use truffle_node::Node;
use truffle_payments::{PaymentError, SandboxRecord};

use crate::body::{read_request_limited, BodyError};

/// Largest webhook body accepted.
pub(crate) const WEBHOOK_MAX_BYTES: usize = 64 * 1024;

/// The payment routes.
pub(crate) fn routes() -> Router<Node> {
    Router::new()
        .route("/payments/webhook", post(webhook))
        .route("/sandbox/checkout/{key}", get(checkout_page))
        .route("/sandbox/checkout/{key}/pay", post(pay))
        .route("/sandbox/checkout/{key}/abort", post(abort))
        .route("/sandbox/payments/{key}", get(sandbox_payment))
        .route("/sandbox/payments/{key}/redeliver", post(redeliver))
}

fn text(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

async fn webhook(State(node): State<Node>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match read_request_limited(&parts.headers, body, WEBHOOK_MAX_BYTES).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => {
            return text(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is over {WEBHOOK_MAX_BYTES} bytes"),
            )
        }
        Err(BodyError::Unreadable) => {
            return text(
                StatusCode::BAD_REQUEST,
                "the request body could not be read",
            )
        }
    };
    match node.market().receive_webhook(&parts.headers, &body).await {
        Ok(receipt) => (StatusCode::OK, Json(receipt)).into_response(),
        Err(error @ WebhookError::Disabled) => text(StatusCode::NOT_FOUND, error.to_string()),
        Err(error @ WebhookError::Signature(_)) => {
            tracing::warn!(target: "rpc", %error, "webhook refused");
            text(StatusCode::UNAUTHORIZED, error.to_string())
        }
        Err(error @ WebhookError::Malformed(_)) => text(StatusCode::BAD_REQUEST, error.to_string()),
        Err(error @ (WebhookError::Storage(_) | WebhookError::Provider(_))) => {
            tracing::warn!(target: "rpc", %error, "webhook not stored");
            text(StatusCode::SERVICE_UNAVAILABLE, error.to_string())
        }
    }
}

fn no_sandbox() -> Response {
    text(
        StatusCode::NOT_FOUND,
        "the sandbox gateway is not enabled on this node",
    )
}

fn payment_error(error: PaymentError) -> Response {
    match error {
        PaymentError::UnknownPayment(_) => text(StatusCode::NOT_FOUND, error.to_string()),
        PaymentError::Refused { .. } => text(StatusCode::CONFLICT, error.to_string()),
        other => text(StatusCode::SERVICE_UNAVAILABLE, other.to_string()),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn won(amount: u64) -> String {
    let digits = amount.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("₩{out}")
}

fn page(record: &SandboxRecord, note: &str) -> Response {
    let payment = &record.payment;
    let key = escape(&payment.payment_key);
    let actions = if payment.status == truffle_payments::PaymentStatus::Ready {
        format!(
            "<form method=\"post\" action=\"/sandbox/checkout/{key}/pay\"><button>결제하기 · Pay {}</button></form>\
             <form method=\"post\" action=\"/sandbox/checkout/{key}/abort\"><button>취소 · Cancel</button></form>",
            won(record.requested_amount)
        )
    } else {
        String::new()
    };
    Html(format!(
        "<!doctype html><html lang=\"ko\"><head><meta charset=\"utf-8\"><title>Truffle sandbox checkout</title></head>\
         <body><h1>Sandbox checkout</h1><p>No real money moves here.</p>\
         <p>{}</p><p>order <code>{}</code> · {}</p><p>status <b>{}</b></p>{}{}</body></html>",
        escape(&payment.order_name),
        escape(&payment.order_id),
        won(record.requested_amount),
        payment.status.as_str(),
        if note.is_empty() { String::new() } else { format!("<p>{}</p>", escape(note)) },
        actions
    ))
    .into_response()
}

async fn checkout_page(State(node): State<Node>, Path(key): Path<String>) -> Response {
    let Some(sandbox) = node.market().sandbox() else {
        return no_sandbox();
    };
    match sandbox.record(&key) {
        Ok(record) => page(&record, ""),
        Err(error) => payment_error(error),
    }
}

/// The `amount` field of a JSON or form body, if any.
/// Why an `amount` field is refused.
const BAD_AMOUNT: &str = "amount must be a positive integer (won)";

fn amount_field(headers: &HeaderMap, body: &[u8]) -> Result<Option<u64>, &'static str> {
    if body.is_empty() {
        return Ok(None);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let bad = || BAD_AMOUNT;
    if content_type.starts_with("application/json") {
        let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| bad())?;
        return match value.get("amount") {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(amount) => amount.as_u64().map(Some).ok_or_else(bad),
        };
    }
    let body = std::str::from_utf8(body).map_err(|_| bad())?;
    for pair in body.split('&') {
        if let Some(value) = pair.strip_prefix("amount=") {
            return value.parse::<u64>().map(Some).map_err(|_| bad());
        }
    }
    Ok(None)
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

async fn pay(
    State(node): State<Node>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(sandbox) = node.market().sandbox() else {
        return no_sandbox();
    };
    let amount = match amount_field(&headers, &body) {
        Ok(amount) => amount,
        Err(reason) => return text(StatusCode::BAD_REQUEST, reason),
    };
    match sandbox.pay(&key, amount) {
        Ok(payment) if wants_html(&headers) => match sandbox.record(&key) {
            Ok(record) => page(&record, "Paid. The shop is told by a signed webhook."),
            Err(_) => Json(payment).into_response(),
        },
        Ok(payment) => Json(payment).into_response(),
        Err(error) => payment_error(error),
    }
}

async fn abort(State(node): State<Node>, Path(key): Path<String>) -> Response {
    let Some(sandbox) = node.market().sandbox() else {
        return no_sandbox();
    };
    match sandbox.abort(&key) {
        Ok(payment) => Json(payment).into_response(),
        Err(error) => payment_error(error),
    }
}

async fn sandbox_payment(State(node): State<Node>, Path(key): Path<String>) -> Response {
    let Some(sandbox) = node.market().sandbox() else {
        return no_sandbox();
    };
    match sandbox.record(&key) {
        Ok(record) => Json(record).into_response(),
        Err(error) => payment_error(error),
    }
}

async fn redeliver(State(node): State<Node>, Path(key): Path<String>) -> Response {
    let Some(sandbox) = node.market().sandbox() else {
        return no_sandbox();
    };
    match sandbox.redeliver(&key).await {
        Ok(delivery) => Json(delivery).into_response(),
        Err(error) => payment_error(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_from_json_and_forms() {
        let mut json = HeaderMap::new();
        json.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        assert_eq!(
            amount_field(&json, br#"{"amount": 500}"#).unwrap(),
            Some(500)
        );
        assert_eq!(amount_field(&json, b"{}").unwrap(), None);
        assert!(amount_field(&json, br#"{"amount": -1}"#).is_err());
        let form = HeaderMap::new();
        assert_eq!(amount_field(&form, b"x=1&amount=42").unwrap(), Some(42));
        assert_eq!(amount_field(&form, b"").unwrap(), None);
        assert_eq!(won(1_234_567), "₩1,234,567");
        assert_eq!(won(999), "₩999");
        assert_eq!(escape("<a href='x'>"), "&lt;a href=&#39;x&#39;&gt;");
    }
}
