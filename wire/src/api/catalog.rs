//! The catalog: `product_search`, `product_history`, `product_register`,
//! `product_transfer` (beside `product_get`/`product_getItem`), `seller_*` and `ad_*`.

use crate::ads::{AdBanner, AdStats, AdViewer};
use crate::catalog::{ItemHistory, SellerStanding, SellerState};
use crate::chain::TxStatus;
use crate::search::{SearchQuery, SearchResults};
use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use serde::{Deserialize, Serialize};
use truffle_ledger::admin_query::AdminQuery;
use truffle_ledger::{Hash, PublicKey};

/// The method name an [`AdminQuery`] for `ad_stats` is signed for.
pub const AD_STATS_METHOD: &str = "ad_stats";

/// What a catalog transaction did once in a block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CatalogReceipt {
    /// The transaction id.
    pub hash: Hash,
    /// Where it stands: `committed` (with height and effect), or `pending` if the block
    /// did not come within the wait (follow it with `tx_status`).
    pub status: TxStatus,
    /// The product registered, or the product of the piece transferred.
    pub product: Option<u64>,
    /// The pieces created (registration, in edition order) or moved (transfer).
    pub items: Vec<u64>,
}

/// Searching, registering and transferring limited editions.
#[rpc(server, client, namespace = "product")]
pub trait CatalogApi {
    /// Searches products: Korean, English or mixed text (partial words, brand names in
    /// either script), filters (brand, category, price range, open raffle,
    /// availability, registering seller), sort and paging. Returns the total, the page's hits with
    /// highlights and where each product was registered on the ledger.
    #[method(name = "search")]
    async fn search(&self, query: SearchQuery) -> RpcResult<SearchResults>;

    /// The most popular products (most pieces sold, then an open raffle, then the
    /// newest), from the node's catalog read model: `limit` 1 to 100, default 6. A
    /// seller's own products are `product_search` with `filters.seller`.
    #[method(name = "popular")]
    async fn popular(&self, limit: Option<u32>) -> RpcResult<SearchResults>;

    /// Every owner a piece has had, oldest first, each with the height and hash of the
    /// transaction that made it the owner.
    #[method(name = "history")]
    fn history(&self, item: u64) -> RpcResult<ItemHistory>;

    /// Submits a seller-signed `register_product` transaction (hex of its borsh
    /// encoding), waits for its block (`timeout_ms`, default 10000, at most 60000) and
    /// returns the product and piece ids. A refusal by the ledger is an error with the
    /// rule's code (1014 not an approved seller, 1017 duplicate serial with the clashing
    /// item in `data.item`...).
    #[method(name = "register")]
    async fn register(
        &self,
        transaction: String,
        timeout_ms: Option<u64>,
    ) -> RpcResult<CatalogReceipt>;

    /// Submits an owner-signed `transfer_item` transaction and waits for its block, like
    /// `product_register` (1018: the signer does not own the piece).
    #[method(name = "transfer")]
    async fn transfer(
        &self,
        transaction: String,
        timeout_ms: Option<u64>,
    ) -> RpcResult<CatalogReceipt>;
}

/// Seller standing (applications, approvals and revocations are signed transactions:
/// `apply_seller`, `approve_seller`, `revoke_seller` through `tx_submit`).
#[rpc(server, client, namespace = "seller")]
pub trait SellerApi {
    /// An account's seller standing.
    #[method(name = "get")]
    fn get(&self, account: PublicKey) -> RpcResult<SellerStanding>;

    /// Accounts that applied to sell, by key, optionally only `applied`, `approved` or
    /// `revoked` ones; paged by `after` (the last key of the previous page) and `limit`
    /// (default 100, at most 1000).
    #[method(name = "list")]
    async fn list(
        &self,
        status: Option<SellerState>,
        after: Option<PublicKey>,
        limit: Option<u32>,
    ) -> RpcResult<Vec<SellerStanding>>;
}

/// Banner campaigns.
#[rpc(server, client, namespace = "ad")]
pub trait AdApi {
    /// The live campaigns of a page (`placement`, e.g. "main") that target the viewer
    /// (gender, birth year; both optional). Each banner's `click_url` is this node's
    /// `/ads/{id}/click`, never the landing URL. Counts an impression for each.
    #[method(name = "list")]
    fn list(&self, placement: String, viewer: Option<AdViewer>) -> RpcResult<Vec<AdBanner>>;

    /// Impressions and clicks of every campaign, summed over this node and every
    /// validator that answers. Admin only: `query` is signed by an admin key over
    /// `blake3("truffle/v1/admin-query" ‖ chain id ‖ "ad_stats" ‖ 0 ‖ time_ms)` within
    /// 60 s of the node's clock.
    #[method(name = "stats")]
    async fn stats(&self, query: AdminQuery) -> RpcResult<AdStats>;
}
