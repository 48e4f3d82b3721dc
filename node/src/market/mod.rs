//! The market: payments for orders, their settlement on the ledger, refunds, payment
//! history, and the chores that keep orders and raffles moving.
//!
//! ```text
//! buyer ──payment_start(session, order)──► provider.checkout ──► checkout page / widget
//! provider ──POST /payments/webhook──► receive_webhook ─► provider.webhook: authenticate
//!     (sandbox: HMAC over timestamp.body; PortOne: Standard Webhooks, then the payment
//!     fetched from its API; Toss: the payment fetched, a deposit's secret compared)
//!     ─► outbox (local family, WAL synced) ─► 200 ─► settlement worker
//! buyer ──payment_confirm(session, order, key)──► provider.confirm(amount = the order's)
//!     ─► outbox ─► settlement worker
//! settlement worker (this node): read the order
//!     pending, amount matches ─► SettlePayment by this validator's operator key: the
//!                                order is paid and the item moves in the same block
//!     amount differs          ─► provider cancel ─► CancelOrder ("the order fails")
//!     expired/cancelled/paid  ─► provider cancel (the buyer gets the money back)
//! admin ──order_refund(signed RefundOrder)──► provider cancel ─► RefundOrder
//! leader housekeeping: ExpireOrder past expires_at_ms (a raffle prize passes to the next
//!     runner-up), DrawRaffle once the seller revealed or the reveal deadline passed
//! ```
//!
//! Money moves exactly once: the provider is asked with idempotency keys, the outbox
//! deduplicates deliveries by event id, and the ledger refuses a reused event id
//! (`PaymentEventReused`) and any payment of an order that is no longer pending.

mod config;
mod flows;
mod housekeeping;
mod outbox;
mod settle;
mod views;

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use truffle_ledger::types::OrderStatus;
use truffle_ledger::{Hash, PublicKey, Rejection};
use truffle_payments::{
    PaymentError, PaymentProvider, Sandbox, SandboxStore, SandboxStoreError, SignatureError,
};
use truffle_store::Store;

pub use config::{MarketConfig, ProviderKind};
pub use flows::WebhookReceipt;
pub use truffle_wire::market::{
    EntryOutcome, EventSource, HistoryEntry, HistoryRole, ItemSummary, MyEntry, OrderView,
    OutboxEntry, Page, PageRequest, RaffleOutcome, RafflePhase, RaffleView, Recomputed,
    RefundReceipt, SettlementState, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE,
};

use crate::services::members::MemberError;
use crate::services::members::Members;
use crate::{NodeError, SubmitError};
use truffle_engine::Engine;

/// Why a market request failed. Each maps to a stable JSON-RPC code at the edge.
#[derive(Debug, thiserror::Error)]
pub enum MarketError {
    /// The session is not valid (or another member error).
    #[error(transparent)]
    Member(#[from] MemberError),
    /// No record of this kind has this id.
    #[error("no {kind} {id}")]
    NotFound {
        /// "order", "raffle", "item".
        kind: &'static str,
        /// The id.
        id: u64,
    },
    /// The order is another member's.
    #[error("order {order} is not yours: only its buyer may pay it")]
    NotYourOrder {
        /// The order.
        order: u64,
    },
    /// The order cannot be paid now.
    #[error("order {order} cannot be paid: {reason}")]
    NotPayable {
        /// The order.
        order: u64,
        /// Its status.
        status: OrderStatus,
        /// Why.
        reason: String,
    },
    /// No payment provider is configured.
    #[error("this node takes no payments: no payment provider is configured")]
    PaymentsDisabled,
    /// The provider failed or refused.
    #[error("the payment provider failed: {0}")]
    Provider(PaymentError),
    /// The amount paid is not the order's: the order failed.
    #[error("{got} won were paid for order {order} of {expected} won: the order failed and the payment is cancelled")]
    AmountMismatch {
        /// The order.
        order: u64,
        /// The order's amount.
        expected: u64,
        /// The amount paid.
        got: u64,
    },
    /// A page request is out of bounds.
    #[error("invalid page: {0}")]
    InvalidPage(String),
    /// A method got a transaction of another kind.
    #[error("{method} takes a {expected} transaction, not {got}")]
    WrongKind {
        /// The method.
        method: &'static str,
        /// The kind it takes.
        expected: &'static str,
        /// The kind it got.
        got: &'static str,
    },
    /// The refund cannot be made (checked before anything is refunded).
    #[error("order {order} cannot be refunded: {reason}")]
    RefundRefused {
        /// The order.
        order: u64,
        /// Why.
        reason: String,
    },
    /// The provider refunded the payment but the ledger did not record the refund.
    #[error("the payment of order {order} was refunded at the provider, but the ledger did not record the refund: {reason}")]
    RefundIncomplete {
        /// The order.
        order: u64,
        /// Why.
        reason: String,
    },
    /// The ledger refused a transaction.
    #[error(transparent)]
    Rejected(Rejection),
    /// A transaction could not be submitted.
    #[error(transparent)]
    Submit(SubmitError),
    /// The node cannot serve this now.
    #[error("the node cannot serve this now: {0}")]
    Unavailable(String),
    /// The chain engine could not serve this now (no leader, behind, ...).
    #[error("the node cannot serve this now: {0}")]
    Engine(#[from] truffle_engine::EngineError),
}

impl From<NodeError> for MarketError {
    fn from(error: NodeError) -> Self {
        match error {
            crate::NodeError::Engine(error) => MarketError::Engine(error),
            other => MarketError::Unavailable(other.to_string()),
        }
    }
}

impl From<truffle_store::StoreError> for MarketError {
    fn from(error: truffle_store::StoreError) -> Self {
        MarketError::Unavailable(error.to_string())
    }
}

impl From<truffle_ledger::LedgerError> for MarketError {
    fn from(error: truffle_ledger::LedgerError) -> Self {
        MarketError::Unavailable(error.to_string())
    }
}

/// Why a webhook was refused (the HTTP status says which).
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// This node has no payment provider (404).
    #[error("this node takes no payments")]
    Disabled,
    /// The signature is missing, wrong or stale (401).
    #[error(transparent)]
    Signature(SignatureError),
    /// The body is not an event (400).
    #[error("{0}")]
    Malformed(String),
    /// The event could not be stored: the provider should deliver it again (503).
    #[error("the event could not be stored: {0}")]
    Storage(String),
    /// The provider's API, asked about the event's payment, did not answer usefully:
    /// the provider should deliver it again (503).
    #[error("the payment could not be fetched from the provider: {0}")]
    Provider(String),
}

/// The sandbox's records in the node's local family.
struct LocalSandboxStore(Store);

const SANDBOX_PREFIX: &[u8] = b"market/sandbox/";

fn prefixed(key: &[u8]) -> Vec<u8> {
    let mut out = SANDBOX_PREFIX.to_vec();
    out.extend_from_slice(key);
    out
}

fn sandbox_store_error(error: truffle_store::StoreError) -> SandboxStoreError {
    SandboxStoreError(error.to_string())
}

impl SandboxStore for LocalSandboxStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, SandboxStoreError> {
        self.0
            .local_get(&prefixed(key))
            .map_err(sandbox_store_error)
    }
    fn put(&self, writes: &[(Vec<u8>, Vec<u8>)]) -> Result<(), SandboxStoreError> {
        let writes: Vec<_> = writes
            .iter()
            .map(|(k, v)| (prefixed(k), Some(v.clone())))
            .collect();
        self.0.local_write(&writes).map_err(sandbox_store_error)?;
        self.0.sync().map_err(sandbox_store_error)
    }
    fn scan(&self, prefix: &[u8]) -> Result<truffle_payments::Entries, SandboxStoreError> {
        Ok(self
            .0
            .local_scan(&prefixed(prefix))
            .map_err(sandbox_store_error)?
            .into_iter()
            .map(|(k, v)| (k[SANDBOX_PREFIX.len()..].to_vec(), v))
            .collect())
    }
}

/// The node's market service.
pub struct Market {
    config: MarketConfig,
    provider: Option<Arc<dyn PaymentProvider>>,
    sandbox: Option<Arc<Sandbox>>,
    /// Origins the pages load the provider's browser SDK from and let it talk to.
    browser_origins: (Vec<String>, Vec<String>),
    store: Store,
    engine: Engine,
    members: Arc<Members>,
    chain_prefix: String,
    public_url: RwLock<Option<String>>,
    outbox: outbox::Outbox,
    /// Wakes the settlement worker.
    wake: tokio::sync::Notify,
    /// One operator transaction of the market's at a time (they share a nonce sequence).
    operator: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Market {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Market")
            .field("provider", &self.provider_name())
            .finish_non_exhaustive()
    }
}

impl Market {
    /// Wall-clock ms by the node's clock.
    pub(crate) fn now_ms(&self) -> u64 {
        self.engine.now_ms()
    }

    /// The market with `config` on the chain `chain` (a preset's name or a genesis
    /// file), over its chain engine, for the members of `members`.
    pub fn new(
        config: &MarketConfig,
        chain: &str,
        engine: &Engine,
        members: Arc<Members>,
    ) -> Result<Market, NodeError> {
        let (chain_id, key, store) = (&engine.chain_id(), engine.key(), engine.store().clone());
        let derived = Hash::tagged(
            b"truffle/v1/sandbox-webhook",
            &[chain_id.as_bytes(), &key.public().0],
        );
        let (provider, sandbox) = config.providers(
            chain,
            Arc::new(LocalSandboxStore(store.clone())),
            derived.0,
            engine.clock().clone(),
        )?;
        let browser_origins =
            config::browser_origins(provider.as_deref().map(|p| p.name()), config);
        let market = Market {
            config: config.clone(),
            provider,
            sandbox,
            browser_origins,
            chain_prefix: chain_id.to_hex()[..8].to_owned(),
            public_url: RwLock::new(None),
            outbox: outbox::Outbox::new(store.clone()),
            store,
            engine: engine.clone(),
            members,
            wake: tokio::sync::Notify::new(),
            operator: tokio::sync::Mutex::new(()),
        };
        if let Some(url) = &config.public_url {
            market.set_public_url(url);
        }
        Ok(market)
    }

    /// The configuration.
    pub fn config(&self) -> &MarketConfig {
        &self.config
    }

    /// Whether this validator plays one that withholds its raffle contributions (fault
    /// injection only).
    pub(crate) fn withholds_contributions(&self) -> bool {
        self.config.fault_withhold_raffle_contributions && self.engine.fault_injection_enabled()
    }

    /// The provider's name, if payments are on.
    pub fn provider_name(&self) -> Option<&str> {
        self.provider.as_deref().map(|p| p.name())
    }

    /// CSP sources of the provider's browser SDK and its servers, and of further frames
    /// it opens: empty unless buyers pay through an SDK in the page.
    pub fn browser_origins(&self) -> (&[String], &[String]) {
        (&self.browser_origins.0, &self.browser_origins.1)
    }

    /// The sandbox gateway, when it is the provider.
    pub fn sandbox(&self) -> Option<&Arc<Sandbox>> {
        self.sandbox.as_ref()
    }

    /// The order id the provider sees for ledger order `order`.
    pub fn order_ref(&self, order: u64) -> String {
        truffle_payments::order_ref(&self.chain_prefix, order)
    }

    /// Where buyers and the provider reach this node, once known.
    pub fn public_url(&self) -> Option<String> {
        self.public_url.read().expect("lock poisoned").clone()
    }

    fn set_public_url(&self, url: &str) {
        let url = url.trim_end_matches('/').to_owned();
        if let Some(sandbox) = &self.sandbox {
            sandbox.set_urls(&url, &format!("{url}/payments/webhook"));
        }
        *self.public_url.write().expect("lock poisoned") = Some(url);
    }

    /// Tells the market where the RPC server listens; unless `public_url` is configured,
    /// checkout pages and the sandbox's webhooks use `http://<address>`.
    pub fn set_listen_address(&self, address: SocketAddr) {
        if self.config.public_url.is_some() {
            return;
        }
        let host = if address.ip().is_unspecified() {
            std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
        } else {
            address.ip()
        };
        self.set_public_url(&format!("http://{}", SocketAddr::new(host, address.port())));
    }

    fn provider(&self) -> Result<&Arc<dyn PaymentProvider>, MarketError> {
        self.provider.as_ref().ok_or(MarketError::PaymentsDisabled)
    }

    /// This node's settlement records of an order (what it received from the provider
    /// and what became of it).
    pub fn settlements(&self, order: u64) -> Result<Vec<OutboxEntry>, MarketError> {
        Ok(self.outbox.for_order(order)?)
    }
}

/// An opaque id of a buyer for the provider: never the key itself.
fn customer_key(account: &PublicKey) -> String {
    Hash::tagged(b"truffle/v1/customer", &[&account.0]).to_hex()[..32].to_owned()
}

/// The market's background work: resumes the sandbox's deliveries, settles received
/// payments (now and whenever woken), and on the leader expires orders and draws raffles.
pub(crate) async fn run(node: Arc<Market>) {
    if let Some(sandbox) = node.sandbox() {
        match sandbox.resume_deliveries() {
            Ok(0) => {}
            Ok(resumed) => {
                tracing::info!(target: "market", resumed, "resumed sandbox webhook deliveries")
            }
            Err(error) => {
                tracing::warn!(target: "market", %error, "cannot resume sandbox deliveries")
            }
        }
    }
    tokio::join!(
        settle::settle_loop(node.clone()),
        housekeeping::housekeeping_loop(node)
    );
}
