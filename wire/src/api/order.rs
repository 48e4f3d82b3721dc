//! `order_*` and `payment_*`: orders, payments through the provider, refunds, history.
//!
//! Ordering is a signed `create_order` transaction (`tx_submitAndWait`); raffle winners
//! get their orders from the draw. Paying:
//!
//! 1. `payment_start(session, order)` → the provider's checkout (the sandbox's page, or
//!    the widget parameters of a real gateway) for exactly the order's amount;
//! 2. the buyer pays at the provider; the provider's signed webhook (`POST
//!    /payments/webhook`) or `payment_confirm` (with the payment key the provider
//!    returned) tells the node;
//! 3. the node settles: `settle_payment` by its operator key pays the order and moves the
//!    item to the buyer in the same block. A payment of another amount fails the order
//!    (cancelled at the provider and on the ledger); a payment for an order that expired
//!    or went to someone else is refunded.

use crate::market::{HistoryEntry, OrderView, Page, PageRequest, RefundReceipt};
use crate::payments::Checkout;
use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;

/// Orders.
#[rpc(server, client, namespace = "order")]
pub trait OrderApi {
    /// An order: item, buyer, seller, amount, status, deadline, payment and refund
    /// records, and this node's record of payment events received for it.
    #[method(name = "get")]
    fn get(&self, order: u64) -> RpcResult<OrderView>;

    /// Refunds a paid order with an admin- (or operator-) signed `refund_order`
    /// transaction (hex of its borsh encoding): the node checks what the ledger will,
    /// cancels the payment at the provider, submits the transaction and waits for its
    /// block (`timeout_ms`, default 10000, at most 60000). Ownership goes back to the
    /// seller when the buyer still holds the item as the sale left it.
    #[method(name = "refund")]
    async fn refund(
        &self,
        transaction: String,
        timeout_ms: Option<u64>,
    ) -> RpcResult<RefundReceipt>;

    /// The open refund requests (a buyer's `request_refund` waiting for the seller's
    /// or an admin's `decide_refund`, or approved and being refunded by the operator),
    /// oldest order first, paged.
    #[method(name = "openRefunds")]
    fn open_refunds(&self, page: Option<PageRequest>) -> RpcResult<Page<OrderView>>;
}

/// Payments.
#[rpc(server, client, namespace = "payment")]
pub trait PaymentApi {
    /// Opens the provider's checkout for an order the session's member must pay
    /// (pending, before its deadline); calling it again returns the same open checkout.
    #[method(name = "start")]
    async fn start(&self, session_token: String, order: u64) -> RpcResult<Checkout>;

    /// Confirms the payment the buyer made at the provider (`payment_key` from the
    /// provider's success redirect) for exactly the order's amount, settles it and
    /// returns the order (paid, unless settlement is still under way).
    #[method(name = "confirm")]
    async fn confirm(
        &self,
        session_token: String,
        order: u64,
        payment_key: String,
    ) -> RpcResult<OrderView>;

    /// The logged-in member's orders as buyer and seller with their payments and
    /// refunds, latest activity first, paged.
    #[method(name = "history")]
    async fn history(
        &self,
        session_token: String,
        page: Option<PageRequest>,
    ) -> RpcResult<Page<HistoryEntry>>;
}
