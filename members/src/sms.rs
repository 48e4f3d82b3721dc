//! Sending verification codes by SMS: a console sender for development, an HTTP
//! gateway sender for production.

use std::time::Duration;

use futures::future::BoxFuture;

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// The gateway refused or failed.
    #[error("SMS gateway answered {status}")]
    Gateway {
        /// HTTP status.
        status: u16,
    },
    /// The gateway could not be reached.
    #[error("SMS gateway unreachable: {0}")]
    Unreachable(String),
}

/// Sends a text message to a phone.
pub trait SmsSender: Send + Sync + 'static {
    /// Sends `text` to `phone` (E.164).
    fn send(&self, phone: &str, text: &str) -> BoxFuture<'_, Result<(), SmsError>>;
}

/// Development sender: writes the message to the node's log.
#[derive(Default)]
pub struct ConsoleSender;

impl SmsSender for ConsoleSender {
    fn send(&self, phone: &str, text: &str) -> BoxFuture<'_, Result<(), SmsError>> {
        // Development only: this is the one place a code is written to a log.
        tracing::info!(target: "sms::console", %phone, %text, "SMS (console sender, development only)");
        Box::pin(async { Ok(()) })
    }
}

/// Production sender: POSTs `{"to": phone, "text": text}` to a gateway URL with a bearer key.
pub struct HttpGatewaySender {
    url: String,
    api_key: String,
    client: reqwest::Client,
}

impl HttpGatewaySender {
    /// A sender to `url` authenticating with `api_key`.
    pub fn new(url: String, api_key: String) -> HttpGatewaySender {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("a TLS client builds");
        HttpGatewaySender {
            url,
            api_key,
            client,
        }
    }
}

impl SmsSender for HttpGatewaySender {
    fn send(&self, phone: &str, text: &str) -> BoxFuture<'_, Result<(), SmsError>> {
        let request = self
            .client
            .post(&self.url)
            .bearer_auth(&self.api_key)
            .json(&serde_json::json!({ "to": phone, "text": text }));
        Box::pin(async move {
            let response = request
                .send()
                .await
                .map_err(|e| SmsError::Unreachable(e.without_url().to_string()))?;
            if response.status().is_success() {
                Ok(())
            } else {
                Err(SmsError::Gateway {
                    status: response.status().as_u16(),
                })
            }
        })
    }
}
