//! How a node takes payments and runs its order and raffle chores (`[market]` in the
//! node's TOML config; `--payments.*`, `--orders.*`, `--raffles.*` flags).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use truffle_payments::{HttpProvider, HttpProviderConfig, PaymentProvider, Sandbox};

use crate::NodeError;

/// Which payment provider a node uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// The sandbox on the `dev` and `local` presets; no payments on other chains.
    #[default]
    Auto,
    /// The built-in sandbox gateway (development and tests only: anyone can "pay").
    Sandbox,
    /// A Toss-style REST gateway (`payment_base_url`, a secret key, a webhook secret).
    Http,
    /// No payments: `payment_start` answers that payments are disabled.
    Off,
}

/// Payments, order expiry and raffle draws.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarketConfig {
    /// The payment provider.
    pub payment_provider: ProviderKind,
    /// Name recorded on the ledger for the HTTP provider's payments.
    pub payment_provider_name: String,
    /// Base URL of the HTTP provider, e.g. `https://api.tosspayments.com`.
    pub payment_base_url: Option<String>,
    /// File holding the HTTP provider's secret key (else `TRUFFLE_PAYMENTS_SECRET_KEY`).
    pub payment_secret_key_file: Option<PathBuf>,
    /// The widget's public client key, handed to buyers' browsers.
    pub payment_client_key: Option<String>,
    /// File holding the webhook signing secret (else `TRUFFLE_PAYMENTS_WEBHOOK_SECRET`;
    /// the sandbox derives one when neither is given).
    pub payment_webhook_secret_file: Option<PathBuf>,
    /// How far a webhook's signed timestamp may be from this node's clock, seconds.
    pub webhook_tolerance_secs: u64,
    /// Where buyers and the provider reach this node (default: `http://` + the RPC address).
    pub public_url: Option<String>,
    /// Where the provider's widget sends the buyer after paying.
    pub checkout_success_url: Option<String>,
    /// Where it sends the buyer when paying failed.
    pub checkout_fail_url: Option<String>,
    /// Testing: hold verified payment events this long before settling them.
    pub settle_delay_ms: u64,
    /// The leader expires unpaid orders once their payment window has passed.
    pub auto_expire_orders: bool,
    /// The leader draws raffles once the seller revealed or the reveal deadline passed
    /// (and adds blocks so that windows and deadlines pass on an idle chain).
    pub auto_draw_raffles: bool,
    /// How often the leader looks for orders to expire and raffles to draw (and every
    /// validator for raffles to contribute to), ms.
    pub housekeeping_interval_ms: u64,
    /// Fault injection (ignored unless `enable_fault_injection`): this validator
    /// withholds its contributions to raffle seeds, as a lying validator may.
    pub fault_withhold_raffle_contributions: bool,
}

impl Default for MarketConfig {
    fn default() -> Self {
        MarketConfig {
            payment_provider: ProviderKind::Auto,
            payment_provider_name: "toss".into(),
            payment_base_url: None,
            payment_secret_key_file: None,
            payment_client_key: None,
            payment_webhook_secret_file: None,
            webhook_tolerance_secs: truffle_payments::webhook::DEFAULT_TOLERANCE_SECS,
            public_url: None,
            checkout_success_url: None,
            checkout_fail_url: None,
            settle_delay_ms: 0,
            auto_expire_orders: true,
            auto_draw_raffles: true,
            housekeeping_interval_ms: 1_000,
            fault_withhold_raffle_contributions: false,
        }
    }
}

/// A secret from a file (trimmed), else from an environment variable.
fn secret(file: &Option<PathBuf>, env: &str, what: &str) -> Result<Option<String>, NodeError> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            NodeError::Config(format!(
                "cannot read the {what} file {}: {e}",
                path.display()
            ))
        })?;
        let text = text.trim().to_owned();
        if text.is_empty() {
            return Err(NodeError::Config(format!(
                "the {what} file {} is empty",
                path.display()
            )));
        }
        return Ok(Some(text));
    }
    Ok(std::env::var(env).ok().filter(|v| !v.trim().is_empty()))
}

/// The provider a config asks for: `(provider, sandbox if it is the sandbox)`.
pub(crate) type Providers = (Option<Arc<dyn PaymentProvider>>, Option<Arc<Sandbox>>);

impl MarketConfig {
    /// Builds the provider. `chain` is the node's `--chain`; `sandbox_store` and
    /// `derived_secret` serve the sandbox.
    pub(crate) fn providers(
        &self,
        chain: &str,
        sandbox_store: Arc<dyn truffle_payments::SandboxStore>,
        derived_secret: [u8; 32],
        clock: truffle_clock::SharedClock,
    ) -> Result<Providers, NodeError> {
        let kind = match self.payment_provider {
            ProviderKind::Auto if chain == "dev" || chain == "local" => ProviderKind::Sandbox,
            ProviderKind::Auto => ProviderKind::Off,
            other => other,
        };
        let webhook_secret = secret(
            &self.payment_webhook_secret_file,
            "TRUFFLE_PAYMENTS_WEBHOOK_SECRET",
            "webhook secret",
        )?;
        match kind {
            ProviderKind::Off | ProviderKind::Auto => Ok((None, None)),
            ProviderKind::Sandbox => {
                let secret = webhook_secret
                    .map(String::into_bytes)
                    .unwrap_or_else(|| hex::encode(derived_secret).into_bytes());
                let sandbox =
                    Sandbox::new(sandbox_store, secret, self.webhook_tolerance_secs, clock);
                Ok((
                    Some(sandbox.clone() as Arc<dyn PaymentProvider>),
                    Some(sandbox),
                ))
            }
            ProviderKind::Http => {
                let base_url = self.payment_base_url.clone().ok_or_else(|| {
                    NodeError::Config("the http payment provider needs --payments.base-url".into())
                })?;
                if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
                    return Err(NodeError::Config(format!(
                        "--payments.base-url {base_url:?} is not an http(s) URL"
                    )));
                }
                let secret_key = secret(
                    &self.payment_secret_key_file,
                    "TRUFFLE_PAYMENTS_SECRET_KEY",
                    "payment secret key",
                )?
                .ok_or_else(|| {
                    NodeError::Config(
                        "the http payment provider needs a secret key: --payments.secret-key-file or TRUFFLE_PAYMENTS_SECRET_KEY".into(),
                    )
                })?;
                let webhook_secret = webhook_secret.ok_or_else(|| {
                    NodeError::Config(
                        "the http payment provider needs the webhook secret: --payments.webhook-secret-file or TRUFFLE_PAYMENTS_WEBHOOK_SECRET".into(),
                    )
                })?;
                let provider = HttpProvider::new(HttpProviderConfig {
                    name: self.payment_provider_name.clone(),
                    base_url,
                    secret_key,
                    webhook_secret: webhook_secret.into_bytes(),
                    webhook_tolerance_secs: self.webhook_tolerance_secs,
                    client_key: self.payment_client_key.clone(),
                    timeout: Duration::from_secs(15),
                })
                .map_err(|e| NodeError::Config(format!("payment provider: {e}")))?;
                Ok((Some(Arc::new(provider)), None))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_only_where_asked_or_on_dev_presets() {
        let store: Arc<dyn truffle_payments::SandboxStore> =
            Arc::new(truffle_payments::MemorySandboxStore::default());
        let config = MarketConfig::default();
        let (provider, sandbox) = config
            .providers(
                "dev",
                store.clone(),
                [7; 32],
                truffle_clock::SystemClock::shared(),
            )
            .unwrap();
        assert_eq!(provider.unwrap().name(), "sandbox");
        assert!(sandbox.is_some());
        let (provider, _) = config
            .providers(
                "/etc/truffle/genesis.json",
                store.clone(),
                [7; 32],
                truffle_clock::SystemClock::shared(),
            )
            .unwrap();
        assert!(provider.is_none(), "no sandbox on a real chain by default");
        let http = MarketConfig {
            payment_provider: ProviderKind::Http,
            ..MarketConfig::default()
        };
        let error = http
            .providers("dev", store, [7; 32], truffle_clock::SystemClock::shared())
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("--payments.base-url"), "{error}");
        let parsed: MarketConfig =
            toml::from_str("payment_provider = \"sandbox\"\nsettle_delay_ms = 5").unwrap();
        assert_eq!(parsed.payment_provider, ProviderKind::Sandbox);
        assert!(toml::from_str::<MarketConfig>("payment_providr = \"http\"").is_err());
    }
}
