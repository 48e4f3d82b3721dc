use std::time::Duration;

use jsonrpsee::core::{async_trait, RpcResult};
use truffle_ledger::SignedTransaction;
use truffle_node::market::{HistoryEntry, OrderView, Page, PageRequest, RefundReceipt};
use truffle_node::Node;
use truffle_payments::Checkout;

use crate::error;
use crate::market_errors as error_market;
use truffle_wire::api::{OrderApiServer, PaymentApiServer};

/// Default and largest wait for a refund's block.
const DEFAULT_WAIT_MS: u64 = 10_000;
const MAX_WAIT_MS: u64 = 60_000;

pub(crate) struct OrderHandler {
    pub(crate) node: Node,
}

fn decode_transaction(transaction: &str) -> RpcResult<SignedTransaction> {
    let text = transaction.trim();
    let text = text.strip_prefix("0x").unwrap_or(text);
    let bytes = hex::decode(text)
        .map_err(|e| error::invalid_param("transaction", format!("not hex: {e}")))?;
    SignedTransaction::decode(&bytes).map_err(|r| error::rejection(&r))
}

#[async_trait]
impl OrderApiServer for OrderHandler {
    fn get(&self, order: u64) -> RpcResult<OrderView> {
        self.node
            .market()
            .order(order)
            .map_err(error_market::market)
    }

    async fn refund(
        &self,
        transaction: String,
        timeout_ms: Option<u64>,
    ) -> RpcResult<RefundReceipt> {
        let tx = decode_transaction(&transaction)?;
        let timeout = Duration::from_millis(timeout_ms.unwrap_or(DEFAULT_WAIT_MS).min(MAX_WAIT_MS));
        self.node
            .market()
            .order_refund(tx, timeout)
            .await
            .map_err(error_market::market)
    }

    fn open_refunds(&self, page: Option<PageRequest>) -> RpcResult<Page<OrderView>> {
        self.node
            .market()
            .open_refunds(page.unwrap_or_default())
            .map_err(error_market::market)
    }
}

#[async_trait]
impl PaymentApiServer for OrderHandler {
    async fn start(&self, session_token: String, order: u64) -> RpcResult<Checkout> {
        self.node
            .market()
            .payment_start(&session_token, order)
            .await
            .map_err(error_market::market)
    }

    async fn confirm(
        &self,
        session_token: String,
        order: u64,
        payment_key: String,
    ) -> RpcResult<OrderView> {
        if payment_key.is_empty() || payment_key.len() > 200 {
            return Err(error::invalid_param("payment_key", "1 to 200 characters"));
        }
        self.node
            .market()
            .payment_confirm(&session_token, order, &payment_key)
            .await
            .map_err(error_market::market)
    }

    async fn history(
        &self,
        session_token: String,
        page: Option<PageRequest>,
    ) -> RpcResult<Page<HistoryEntry>> {
        self.node
            .market()
            .payment_history(&session_token, page.unwrap_or_default())
            .await
            .map_err(error_market::market)
    }
}
