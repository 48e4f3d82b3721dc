//! A JSON-RPC client to a node.

use std::time::Duration;

use anyhow::Context;
use jsonrpsee_http_client::{HttpClient, HttpClientBuilder};

/// Connects to the node at `url` (http://host:port).
pub(crate) fn connect(url: &str) -> anyhow::Result<HttpClient> {
    HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(70))
        .max_response_size(64 * 1024 * 1024)
        .build(url)
        .with_context(|| format!("cannot use RPC URL {url}"))
}

/// Connects to the node at `url`, sending the operator's token (if any) as
/// `Authorization: Bearer <token>` with every request, for the `admin_*` methods.
pub(crate) fn connect_with_token(
    url: &str,
    token: Option<&str>,
    timeout: Duration,
) -> anyhow::Result<HttpClient> {
    let mut headers = jsonrpsee_http_client::HeaderMap::new();
    if let Some(token) = token {
        let mut value = jsonrpsee_http_client::HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| {
                anyhow::anyhow!("the admin token holds characters a header cannot carry")
            })?;
        value.set_sensitive(true);
        headers.insert("authorization", value);
    }
    HttpClientBuilder::default()
        .request_timeout(timeout)
        .set_headers(headers)
        .build(url)
        .with_context(|| format!("cannot use RPC URL {url}"))
}

/// Turns a JSON-RPC error into a message a person can act on.
pub(crate) fn explain(error: jsonrpsee::core::ClientError, url: &str) -> anyhow::Error {
    match error {
        jsonrpsee::core::ClientError::Call(object) => {
            let data = object
                .data()
                .map(|d| format!(" ({})", d.get()))
                .unwrap_or_default();
            let advice = if truffle_wire::codes::retryable(&object) {
                "; this may pass if retried shortly, or sent to another validator"
            } else {
                ""
            };
            anyhow::anyhow!(
                "{} [code {}]{data}{advice}",
                object.message(),
                object.code()
            )
        }
        jsonrpsee::core::ClientError::Transport(inner) => {
            // The transport's own message is generic ("client error (connect)"); the cause
            // at the bottom of its chain says what happened (refused, TLS, DNS).
            let cause =
                std::iter::successors(Some(&*inner as &dyn std::error::Error), |e| e.source())
                    .last()
                    .map(|root| root.to_string())
                    .unwrap_or_default();
            let hint = if cause.to_lowercase().contains("certificate") {
                "the node's TLS certificate is not trusted here (a private CA: set SSL_CERT_FILE)"
            } else {
                "is it running? see --rpc"
            };
            anyhow::anyhow!("cannot reach the node at {url}: {inner}: {cause} ({hint})")
        }
        other => anyhow::anyhow!("RPC to {url} failed: {other}"),
    }
}

/// Signs `payload` with `key` (next nonce from the node unless given) and submits it,
/// waiting for its block unless `wait` is false.
pub(crate) async fn sign_and_submit(
    client: &HttpClient,
    url: &str,
    key: &truffle_ledger::Keypair,
    payload: truffle_ledger::Payload,
    nonce: Option<u64>,
    wait: bool,
) -> anyhow::Result<(truffle_ledger::Hash, Option<truffle_wire::chain::TxStatus>)> {
    use truffle_wire::api::{AccountApiClient, SystemApiClient, TxApiClient};
    payload
        .validate_static()
        .map_err(|e| anyhow::anyhow!("the payload is invalid: {e}"))?;
    let version = client.version().await.map_err(|e| explain(e, url))?;
    let nonce = match nonce {
        Some(nonce) => nonce,
        None => client
            .get_nonce(key.public())
            .await
            .map_err(|e| explain(e, url))?,
    };
    let signed = truffle_ledger::Transaction {
        chain_id: version.chain_id,
        signer: key.public(),
        nonce,
        payload,
    }
    .sign(key);
    let hash = signed.hash();
    let encoded = hex::encode(signed.encode());
    if !wait {
        client.submit(encoded).await.map_err(|e| explain(e, url))?;
        return Ok((hash, None));
    }
    let status = client
        .submit_and_wait(encoded, Some(30_000))
        .await
        .map_err(|e| explain(e, url))?;
    Ok((hash, Some(status)))
}
