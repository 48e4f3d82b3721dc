//! How a node takes payments and runs its order and raffle chores (`[market]` in the
//! node's TOML config; `--payments.*`, `--orders.*`, `--raffles.*` flags).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use truffle_payments::standard_webhooks::WebhookSecret;
use truffle_payments::{
    PaymentProvider, PortOneConfig, PortOneProvider, Sandbox, TossConfig, TossProvider,
};

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
    /// Toss Payments (`payment_base_url`, a secret key, the widget's client key).
    #[serde(alias = "http")]
    Toss,
    /// PortOne V2 (`payment_base_url`, an API secret, a store id, a channel key, webhook
    /// secrets `whsec_…`).
    Portone,
    /// No payments: `payment_start` answers that payments are disabled.
    Off,
}

/// Payments, order expiry and raffle draws.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MarketConfig {
    /// The payment provider.
    pub payment_provider: ProviderKind,
    /// Name recorded on the ledger for Toss' payments.
    pub payment_provider_name: String,
    /// Base URL of the provider's API (default: the provider's production API, which
    /// takes test keys too).
    pub payment_base_url: Option<String>,
    /// Where buyers' browsers load the provider's SDK (default: the provider's CDN).
    pub payment_sdk_url: Option<String>,
    /// File holding the provider's secret key (else `TRUFFLE_PAYMENTS_SECRET_KEY`).
    pub payment_secret_key_file: Option<PathBuf>,
    /// The widget's public client key (Toss), handed to buyers' browsers.
    pub payment_client_key: Option<String>,
    /// PortOne's store id (public).
    pub payment_store_id: Option<String>,
    /// PortOne's channel key (public).
    pub payment_channel_key: Option<String>,
    /// File holding the webhook secret (else `TRUFFLE_PAYMENTS_WEBHOOK_SECRET`): the
    /// sandbox's HMAC key (derived when neither is given), or PortOne's `whsec_…`
    /// secrets, one per line, newest first (several while rotating).
    pub payment_webhook_secret_file: Option<PathBuf>,
    /// The sandbox on a chain other than `dev` and `local` (a test cluster); refused
    /// otherwise, since anyone can "pay" at the sandbox.
    pub allow_sandbox: bool,
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
            payment_sdk_url: None,
            payment_secret_key_file: None,
            payment_client_key: None,
            payment_store_id: None,
            payment_channel_key: None,
            payment_webhook_secret_file: None,
            allow_sandbox: false,
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
                if !(chain == "dev" || chain == "local" || self.allow_sandbox) {
                    return Err(NodeError::Config(format!(
                        "the sandbox takes payments from anyone: it runs on the dev and local presets, not on {chain:?}, unless allow_sandbox is set (--payments.allow-sandbox)"
                    )));
                }
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
            ProviderKind::Toss => {
                let secret_key = self.secret_key()?;
                let client_key = self.payment_client_key.clone().ok_or_else(|| {
                    NodeError::Config(
                        "toss needs the widget's client key: --payments.client-key".into(),
                    )
                })?;
                let provider = TossProvider::new(TossConfig {
                    name: self.payment_provider_name.clone(),
                    base_url: self.base_url(truffle_payments::toss::DEFAULT_API_URL)?,
                    secret_key,
                    client_key: Some(client_key),
                    sdk_url: self.sdk_url(truffle_payments::toss::DEFAULT_SDK_URL)?,
                    timeout: Duration::from_secs(15),
                })
                .map_err(|e| NodeError::Config(format!("payment provider: {e}")))?;
                Ok((Some(Arc::new(provider)), None))
            }
            ProviderKind::Portone => {
                let api_secret = self.secret_key()?;
                let required = |value: &Option<String>, flag: &str| {
                    value
                        .clone()
                        .filter(|v| !v.trim().is_empty())
                        .ok_or_else(|| {
                            NodeError::Config(format!("portone needs --payments.{flag}"))
                        })
                };
                let store_id = required(&self.payment_store_id, "store-id")?;
                let channel_key = required(&self.payment_channel_key, "channel-key")?;
                let secrets = webhook_secret.ok_or_else(|| {
                    NodeError::Config(
                        "portone needs its webhook secret (whsec_…): --payments.webhook-secret-file or TRUFFLE_PAYMENTS_WEBHOOK_SECRET".into(),
                    )
                })?;
                let webhook_secrets = secrets
                    .lines()
                    .map(str::trim)
                    .filter(|line| !line.is_empty())
                    .map(WebhookSecret::parse)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| NodeError::Config(format!("portone webhook secret: {e}")))?;
                let provider = PortOneProvider::new(PortOneConfig {
                    api_url: self.base_url(truffle_payments::portone::DEFAULT_API_URL)?,
                    api_secret,
                    store_id,
                    channel_key,
                    webhook_secrets,
                    webhook_tolerance_secs: self.webhook_tolerance_secs,
                    sdk_url: self.sdk_url(truffle_payments::portone::DEFAULT_SDK_URL)?,
                    timeout: Duration::from_secs(15),
                })
                .map_err(|e| NodeError::Config(format!("payment provider: {e}")))?;
                Ok((Some(Arc::new(provider)), None))
            }
        }
    }

    fn secret_key(&self) -> Result<String, NodeError> {
        secret(
            &self.payment_secret_key_file,
            "TRUFFLE_PAYMENTS_SECRET_KEY",
            "payment secret key",
        )?
        .ok_or_else(|| {
            NodeError::Config(
                "the payment provider needs its secret key: --payments.secret-key-file or TRUFFLE_PAYMENTS_SECRET_KEY".into(),
            )
        })
    }

    fn base_url(&self, default: &str) -> Result<String, NodeError> {
        http_url(
            self.payment_base_url.as_deref().unwrap_or(default),
            "base-url",
        )
    }

    fn sdk_url(&self, default: &str) -> Result<String, NodeError> {
        http_url(
            self.payment_sdk_url.as_deref().unwrap_or(default),
            "sdk-url",
        )
    }
}

/// The CSP sources of the SDK of the provider named `provider`: its configured SDK
/// URL's origin and the provider's own domains; then further frame sources (PortOne's
/// card form comes from whichever card gateway is behind the channel: any https frame).
pub(crate) fn browser_origins(
    provider: Option<&str>,
    config: &MarketConfig,
) -> (Vec<String>, Vec<String>) {
    let (own, frames, default_sdk): (&str, &[&str], &str) =
        match (provider, config.payment_provider) {
            (Some(truffle_payments::portone::PORTONE), _) => (
                "https://*.portone.io",
                &["https:"],
                truffle_payments::portone::DEFAULT_SDK_URL,
            ),
            (Some(_), ProviderKind::Toss) => (
                "https://*.tosspayments.com",
                &[],
                truffle_payments::toss::DEFAULT_SDK_URL,
            ),
            _ => return (Vec::new(), Vec::new()),
        };
    let sdk = config.payment_sdk_url.as_deref().unwrap_or(default_sdk);
    let mut origins = vec![own.to_owned()];
    if let Ok(url) = reqwest::Url::parse(sdk) {
        let origin = url.origin().ascii_serialization();
        if origin != "null" && !origin.ends_with(&own["https://*".len()..]) {
            origins.insert(0, origin);
        }
    }
    (origins, frames.iter().map(|f| (*f).to_owned()).collect())
}

/// `url` if it is an http(s) URL.
fn http_url(url: &str, flag: &str) -> Result<String, NodeError> {
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(url.to_owned())
    } else {
        Err(NodeError::Config(format!(
            "--payments.{flag} {url:?} is not an http(s) URL"
        )))
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
        let sandbox_elsewhere = MarketConfig {
            payment_provider: ProviderKind::Sandbox,
            ..MarketConfig::default()
        };
        let error = sandbox_elsewhere
            .providers(
                "/etc/truffle/genesis.json",
                store.clone(),
                [7; 32],
                truffle_clock::SystemClock::shared(),
            )
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("allow_sandbox"), "{error}");
        let allowed = MarketConfig {
            allow_sandbox: true,
            ..sandbox_elsewhere
        };
        assert!(allowed
            .providers(
                "/etc/truffle/genesis.json",
                store.clone(),
                [7; 32],
                truffle_clock::SystemClock::shared()
            )
            .is_ok());
        for (kind, needs) in [
            (ProviderKind::Toss, "secret key"),
            (ProviderKind::Portone, "secret key"),
        ] {
            let config = MarketConfig {
                payment_provider: kind,
                ..MarketConfig::default()
            };
            let error = config
                .providers(
                    "dev",
                    store.clone(),
                    [7; 32],
                    truffle_clock::SystemClock::shared(),
                )
                .err()
                .unwrap()
                .to_string();
            assert!(error.contains(needs), "{error}");
        }
        let parsed: MarketConfig =
            toml::from_str("payment_provider = \"sandbox\"\nsettle_delay_ms = 5").unwrap();
        assert_eq!(parsed.payment_provider, ProviderKind::Sandbox);
        let parsed: MarketConfig = toml::from_str("payment_provider = \"http\"").unwrap();
        assert_eq!(
            parsed.payment_provider,
            ProviderKind::Toss,
            "the old name still reads"
        );
        assert!(toml::from_str::<MarketConfig>("payment_providr = \"http\"").is_err());
    }
}
