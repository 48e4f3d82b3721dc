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

use std::sync::Mutex;

use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{json, Value};

mod portone;
mod toss;

pub use portone::FakePortOne;
pub use toss::FakeToss;

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

pub(super) fn header_text(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

pub(super) fn cors(mut response: Response) -> Response {
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

pub(super) fn script(body: String) -> Response {
    cors(
        (
            [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
            body,
        )
            .into_response(),
    )
}

pub(super) fn error(status: StatusCode, field: &str, code: &str, message: &str) -> Response {
    cors((status, Json(json!({ field: code, "message": message }))).into_response())
}

pub(super) async fn serve(app: Router) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{address}"))
}

pub(super) fn now_iso() -> String {
    crate::types::iso8601(truffle_clock::now_ms())
}

pub(super) async fn post_json(
    url: &str,
    headers: &[(&str, String)],
    body: String,
) -> Result<u16, String> {
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

pub(super) fn record(
    seen: &Mutex<Vec<Seen>>,
    method: &str,
    path: String,
    headers: &HeaderMap,
    body: Value,
) {
    seen.lock().expect("lock").push(Seen {
        method: method.into(),
        path,
        authorization: header_text(headers, "authorization"),
        idempotency_key: header_text(headers, "idempotency-key"),
        body,
    });
}

pub(super) async fn preflight(method: Method) -> Response {
    let _ = method;
    cors(StatusCode::NO_CONTENT.into_response())
}
