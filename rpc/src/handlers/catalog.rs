use std::time::Duration;

use jsonrpsee::core::{async_trait, RpcResult};
use truffle_ledger::state::{decode_record, keys, StateView};
use truffle_ledger::types::Item;
use truffle_ledger::{Effect, Payload, PublicKey, SignedTransaction};
use truffle_node::ads::{AdBanner, AdStats, AdViewer, AdminQuery};
use truffle_node::catalog::{ItemHistory, SellerStanding, SellerState};
use truffle_node::{Node, TxStatus};
use truffle_wire::search::{SearchQuery, SearchResults};

use crate::error;
use truffle_wire::api::{
    AdApiServer, CatalogApiServer, CatalogReceipt, SellerApiServer, AD_STATS_METHOD,
};

/// Default and largest wait for a catalog transaction's block.
const DEFAULT_WAIT_MS: u64 = 10_000;
const MAX_WAIT_MS: u64 = 60_000;
/// Default page of `seller_list`.
const DEFAULT_SELLERS: u32 = 100;
/// Longest placement name accepted (the ledger's limit).
const MAX_PLACEMENT_CHARS: usize = 32;

/// How long a read waits for the read model to include the blocks applied before it.
const CATCH_UP: std::time::Duration = std::time::Duration::from_secs(2);

pub(crate) struct CatalogHandler {
    pub(crate) node: Node,
}

fn decode_transaction(transaction: &str) -> RpcResult<SignedTransaction> {
    let text = transaction.trim();
    let text = text.strip_prefix("0x").unwrap_or(text);
    let bytes = hex::decode(text)
        .map_err(|e| error::invalid_param("transaction", format!("not hex: {e}")))?;
    SignedTransaction::decode(&bytes).map_err(|r| error::rejection(&r))
}

impl CatalogHandler {
    /// Submits a transaction of the method's kind and waits for its block.
    async fn submit_kind(
        &self,
        method: &str,
        expected: &str,
        transaction: String,
        timeout_ms: Option<u64>,
    ) -> RpcResult<(SignedTransaction, truffle_ledger::Hash, TxStatus)> {
        let tx = decode_transaction(&transaction)?;
        let kind = tx.tx.payload.kind();
        if kind != expected {
            return Err(error::wrong_kind(method, expected, kind));
        }
        let hash = self
            .node
            .accept_transaction(tx.clone())
            .map_err(error::submit)?;
        let timeout = Duration::from_millis(timeout_ms.unwrap_or(DEFAULT_WAIT_MS).min(MAX_WAIT_MS));
        let status = self
            .node
            .wait_for_transaction(&hash, timeout)
            .await
            .map_err(error::node)?;
        if let TxStatus::Rejected { rejection, .. } = &status {
            return Err(error::rejection(rejection));
        }
        Ok((tx, hash, status))
    }
}

#[async_trait]
impl CatalogApiServer for CatalogHandler {
    async fn search(&self, query: SearchQuery) -> RpcResult<SearchResults> {
        // Read your writes: include the blocks applied before this call.
        self.node.catalog().catch_up(CATCH_UP).await;
        self.node.catalog().search(&query).map_err(error::catalog)
    }

    async fn popular(&self, limit: Option<u32>) -> RpcResult<SearchResults> {
        self.node.catalog().catch_up(CATCH_UP).await;
        self.node
            .catalog()
            .popular(limit.unwrap_or(6))
            .map_err(error::catalog)
    }

    fn history(&self, item: u64) -> RpcResult<ItemHistory> {
        self.node.catalog().history(item).map_err(error::catalog)
    }

    async fn register(
        &self,
        transaction: String,
        timeout_ms: Option<u64>,
    ) -> RpcResult<CatalogReceipt> {
        let (_, hash, status) = self
            .submit_kind(
                "product_register",
                "register_product",
                transaction,
                timeout_ms,
            )
            .await?;
        let (product, items) = match &status {
            TxStatus::Committed {
                effect:
                    Effect::ProductRegistered {
                        product,
                        first_item,
                        item_count,
                    },
                ..
            } => (
                Some(*product),
                (0..u64::from(*item_count))
                    .map(|k| first_item + k)
                    .collect(),
            ),
            _ => (None, Vec::new()),
        };
        Ok(CatalogReceipt {
            hash,
            status,
            product,
            items,
        })
    }

    async fn transfer(
        &self,
        transaction: String,
        timeout_ms: Option<u64>,
    ) -> RpcResult<CatalogReceipt> {
        let (tx, hash, status) = self
            .submit_kind("product_transfer", "transfer_item", transaction, timeout_ms)
            .await?;
        let Payload::TransferItem { item, .. } = tx.tx.payload else {
            unreachable!("the kind was checked");
        };
        let product = match self
            .node
            .store()
            .get(&keys::item(item))
            .map_err(error::node)?
        {
            Some(bytes) => Some(
                decode_record::<Item>("item", &bytes)
                    .map_err(error::node)?
                    .product,
            ),
            None => None,
        };
        Ok(CatalogReceipt {
            hash,
            status,
            product,
            items: vec![item],
        })
    }
}

#[async_trait]
impl SellerApiServer for CatalogHandler {
    fn get(&self, account: PublicKey) -> RpcResult<SellerStanding> {
        self.node
            .catalog()
            .seller(&account)
            .map_err(error::catalog)?
            .ok_or_else(|| error::not_found(format!("account {account}")))
    }

    async fn list(
        &self,
        status: Option<SellerState>,
        after: Option<PublicKey>,
        limit: Option<u32>,
    ) -> RpcResult<Vec<SellerStanding>> {
        self.node.catalog().catch_up(CATCH_UP).await;
        self.node
            .catalog()
            .sellers(status, after, limit.unwrap_or(DEFAULT_SELLERS) as usize)
            .map_err(error::catalog)
    }
}

#[async_trait]
impl AdApiServer for CatalogHandler {
    fn list(&self, placement: String, viewer: Option<AdViewer>) -> RpcResult<Vec<AdBanner>> {
        if placement.is_empty() || placement.chars().count() > MAX_PLACEMENT_CHARS {
            return Err(error::invalid_param(
                "placement",
                format!("1 to {MAX_PLACEMENT_CHARS} characters"),
            ));
        }
        if let Some(year) = viewer.and_then(|v| v.birth_year) {
            if !(1900..=2100).contains(&year) {
                return Err(error::invalid_param("viewer.birth_year", "1900 to 2100"));
            }
        }
        self.node
            .ads()
            .list(&placement, viewer.as_ref(), self.node.now_ms())
            .map_err(error::ad)
    }

    async fn stats(&self, query: AdminQuery) -> RpcResult<AdStats> {
        self.node
            .ads()
            .stats(&self.node, &query, AD_STATS_METHOD)
            .await
            .map_err(error::ad)
    }
}
