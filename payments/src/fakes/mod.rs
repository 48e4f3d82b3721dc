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

use axum::http::{header, HeaderMap, StatusCode};
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

/// What a fake holds, as `GET /fake/state` shows it: its payments and the requests it
/// received (the authorization shown: the tests check it, and the fakes' keys are test
/// keys).
pub(super) fn state_json(
    payments: &Mutex<std::collections::BTreeMap<String, Value>>,
    seen: &Mutex<Vec<Seen>>,
) -> serde_json::Map<String, Value> {
    let payments: Vec<Value> = payments.lock().expect("lock").values().cloned().collect();
    let seen: Vec<Value> = seen
        .lock()
        .expect("lock")
        .iter()
        .map(|s| {
            json!({
                "method": s.method, "path": s.path, "authorization": s.authorization,
                "idempotencyKey": s.idempotency_key, "body": s.body,
            })
        })
        .collect();
    let mut state = serde_json::Map::new();
    state.insert("payments".into(), Value::Array(payments));
    state.insert("seen".into(), Value::Array(seen));
    state
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

/// The fields of a form body (`application/x-www-form-urlencoded`).
pub(super) struct Form(std::collections::BTreeMap<String, String>);

impl Form {
    /// Reads a form body.
    pub(super) fn parse(body: &str) -> Form {
        Form(
            reqwest::Url::parse(&format!("http://form.invalid/?{body}"))
                .map(|url| url.query_pairs().into_owned().collect())
                .unwrap_or_default(),
        )
    }

    /// The value of field `name` (empty if absent).
    pub(super) fn get(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or_default()
    }
}

/// The gateway's payment window: what is being paid, the request's fields (the page's
/// query, put into the form by the page's script: no text of the request is ever
/// written into the HTML) and two buttons, pay (`결제하기`) and cancel (`결제 취소`),
/// that post the form back to the fake. The amount is shown editable: a test stands
/// for a buyer's browser that changed the amount by editing it.
pub(super) fn checkout_page(gateway: &str, order_name_field: &str, amount_field: &str) -> Response {
    let page = format!(
        r#"<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{gateway} 결제창 (테스트용 가짜)</title></head>
<body>
<h1>{gateway} 결제창 (테스트용 가짜)</h1>
<form id="fake-checkout" method="post" action="/fake/checkout">
<p id="order-name"></p>
<label>결제 금액(원) <input id="amount" name="{amount_field}"></label>
<p><button name="action" value="pay">결제하기</button>
<button name="action" value="cancel">결제 취소</button></p>
</form>
<script>
  const form = document.getElementById("fake-checkout");
  for (const [name, value] of new URLSearchParams(location.search)) {{
    if (name === "{amount_field}") {{ document.getElementById("amount").value = value; continue; }}
    if (name === "{order_name_field}") document.getElementById("order-name").textContent = value;
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.append(input);
  }}
</script>
</body></html>
"#
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
}

/// A `303 See Other` to `url` with `params` appended to its query (as the gateways send
/// the browser back to the merchant), or a 400 if `url` is not an http(s) URL.
pub(super) fn back_to(url: &str, params: &[(&str, &str)]) -> Response {
    let Ok(mut url) = reqwest::Url::parse(url) else {
        return error(
            StatusCode::BAD_REQUEST,
            "code",
            "INVALID_REQUEST",
            "return URL",
        );
    };
    if !matches!(url.scheme(), "http" | "https") {
        return error(
            StatusCode::BAD_REQUEST,
            "code",
            "INVALID_REQUEST",
            "return URL",
        );
    }
    url.query_pairs_mut().extend_pairs(params.iter().copied());
    (StatusCode::SEE_OTHER, [(header::LOCATION, url.to_string())]).into_response()
}
