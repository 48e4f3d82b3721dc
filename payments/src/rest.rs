//! What the REST clients of the gateways share: bounded answers and typed refusals.

use serde::de::DeserializeOwned;

use crate::error::{PaymentError, PaymentResult};

/// Largest answer read from a gateway (a payment is a few kilobytes): a gateway, or
/// whatever answers at its address, cannot make the node buffer without bound.
pub(crate) const MAX_RESPONSE_BYTES: usize = 256 * 1024;

/// Sends `request` and reads at most [`MAX_RESPONSE_BYTES`] of the answer.
pub(crate) async fn send(request: reqwest::RequestBuilder) -> PaymentResult<(u16, Vec<u8>)> {
    let mut response = request
        .send()
        .await
        .map_err(|e| PaymentError::Transport(e.to_string()))?;
    let status = response.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| PaymentError::Transport(e.to_string()))?
    {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(PaymentError::InvalidResponse(format!(
                "the answer is over {MAX_RESPONSE_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, body))
}

/// A 2xx answer's JSON, or the refusal in it: `code_field` names the error code's field
/// (`code` at Toss, `type` at PortOne).
pub(crate) fn decode<T: DeserializeOwned>(
    status: u16,
    body: &[u8],
    code_field: &str,
) -> PaymentResult<T> {
    if (200..300).contains(&status) {
        return serde_json::from_slice(body)
            .map_err(|e| PaymentError::InvalidResponse(e.to_string()));
    }
    let error: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let field = |name: &str| {
        error
            .get(name)
            .and_then(|v| v.as_str())
            .map(|v| v.chars().take(200).collect::<String>())
    };
    Err(PaymentError::Refused {
        code: field(code_field).unwrap_or_else(|| format!("HTTP_{status}")),
        message: field("message")
            .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect()),
        status,
    })
}

/// Whether `text` may stand in a URL path as a gateway's id (no `/`, `?`, `%`, `..`).
pub(crate) fn is_path_safe(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 200
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
        && text != "."
        && text != ".."
}
