//! `GET /ads/{id}/click`: counts a banner click and redirects to the campaign's landing
//! URL as fixed on the ledger.
//!
//! Nothing from the request decides where the redirect goes: query strings, headers and
//! the rest of the path are ignored, and only a live campaign's ledger URL is ever sent.
//! Unknown, switched-off, not yet started and ended campaigns answer 404.

use std::net::{IpAddr, Ipv4Addr};

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use truffle_node::ads::{AdBoard, AdError};
use truffle_node::Node;

use crate::ClientAddr;

/// The click route's handler.
pub(crate) async fn click(
    State(node): State<Node>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    // Canonical decimal ids only ("+1", "01", "1 " are not campaign ids).
    let id = match id.parse::<u64>() {
        Ok(value) if value.to_string() == id => value,
        _ => return not_found(),
    };
    let address = request
        .extensions()
        .get::<ClientAddr>()
        .map(|a| a.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let user_agent = request
        .headers()
        .get(header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let viewer = AdBoard::viewer_id(address, &user_agent);
    match node.ads().click(id, viewer, node.now_ms()) {
        Ok((landing_url, _counted)) => {
            let Ok(location) = HeaderValue::from_str(&ascii_url(&landing_url)) else {
                return not_found();
            };
            (
                StatusCode::FOUND,
                [
                    (header::LOCATION, location),
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                ],
            )
                .into_response()
        }
        Err(AdError::NotLive(_)) => not_found(),
        Err(error) => {
            tracing::warn!(target: "rpc", %error, "ad click failed");
            (StatusCode::SERVICE_UNAVAILABLE, "try again later").into_response()
        }
    }
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "no such ad").into_response()
}

/// The URL with bytes outside printable ASCII percent-encoded (the same URL to a
/// browser; a header value must be ASCII). ASCII URLs are returned unchanged.
fn ascii_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for byte in url.bytes() {
        if byte.is_ascii_graphic() {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_stay_as_they_are_unless_not_ascii() {
        let url = "https://shop.example/drops?id=1&ref=banner#top";
        assert_eq!(ascii_url(url), url);
        assert_eq!(
            ascii_url("https://shop.example/덩크"),
            "https://shop.example/%EB%8D%A9%ED%81%AC"
        );
    }
}
