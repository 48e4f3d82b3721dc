//! The implementations of the API traits over a [`truffle_node::Node`].

mod account;
mod admin;
mod auth;
mod catalog;
mod chain;
mod chat;
mod kakao;
mod order;
mod product;
mod proof;
mod raffle;
mod reco;
mod system;
mod tx;

use jsonrpsee::RpcModule;
use truffle_node::Node;

use truffle_wire::api::{
    AccountApiServer, AuthApiServer, ChainApiServer, ProductApiServer, ProofApiServer,
    SystemApiServer, TxApiServer,
};

/// Heavy calls (proof bundles, recomputed draws) at once per node; more wait up to
/// [`HEAVY_WAIT`], then get BUSY.
const MAX_HEAVY: usize = 4;

/// How long a heavy call waits for a place.
const HEAVY_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Runs heavy synchronous work on blocking threads (off the async workers that carry
/// Raft and libp2p), a bounded number at once; a call that finds no place within
/// [`HEAVY_WAIT`] gets BUSY (2009).
#[derive(Clone)]
pub(crate) struct Heavy(std::sync::Arc<tokio::sync::Semaphore>);

impl Heavy {
    fn new(places: usize) -> Heavy {
        Heavy(std::sync::Arc::new(tokio::sync::Semaphore::new(places)))
    }

    /// Runs `work` on a blocking thread when a place is free.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> jsonrpsee::core::RpcResult<T> + Send + 'static,
    ) -> jsonrpsee::core::RpcResult<T> {
        let busy = || {
            crate::error::error_with(
                crate::error::BUSY,
                "the node is busy with heavy requests; retry shortly",
                &serde_json::json!({ "retry_after_secs": 1 }),
            )
        };
        let place = tokio::time::timeout(HEAVY_WAIT, self.0.clone().acquire_owned())
            .await
            .map_err(|_| busy())?
            .map_err(|_| busy())?;
        tokio::task::spawn_blocking(move || {
            let _place = place;
            work()
        })
        .await
        .map_err(|e| crate::error::error(crate::error::UNAVAILABLE, e.to_string()))?
    }
}

/// Every namespace, ready to serve.
pub fn rpc_module(node: Node) -> RpcModule<()> {
    let heavy = Heavy::new(MAX_HEAVY);
    let mut module = RpcModule::new(());
    module
        .merge(system::SystemHandler { node: node.clone() }.into_rpc())
        .expect("method names are unique");
    module
        .merge(chain::ChainHandler { node: node.clone() }.into_rpc())
        .expect("method names are unique");
    module
        .merge(tx::TxHandler { node: node.clone() }.into_rpc())
        .expect("method names are unique");
    module
        .merge(product::ProductHandler { node: node.clone() }.into_rpc())
        .expect("method names are unique");
    {
        use truffle_wire::api::{AdApiServer, CatalogApiServer, SellerApiServer};
        let handler = || catalog::CatalogHandler { node: node.clone() };
        module
            .merge(CatalogApiServer::into_rpc(handler()))
            .expect("method names are unique");
        module
            .merge(SellerApiServer::into_rpc(handler()))
            .expect("method names are unique");
        module
            .merge(AdApiServer::into_rpc(handler()))
            .expect("method names are unique");
    }
    module
        .merge(proof::ProofHandler::new(node.clone(), heavy.clone()).into_rpc())
        .expect("method names are unique");
    module
        .merge(truffle_wire::api::RecoApiServer::into_rpc(
            reco::RecoHandler { node: node.clone() },
        ))
        .expect("method names are unique");
    module
        .merge(auth::AuthHandler { node: node.clone() }.into_rpc())
        .expect("method names are unique");
    module
        .merge(truffle_wire::api::ChatApiServer::into_rpc(
            chat::ChatHandler { node: node.clone() },
        ))
        .expect("method names are unique");
    module
        .merge(truffle_wire::api::KakaoAccountApiServer::into_rpc(
            kakao::KakaoHandler { node: node.clone() },
        ))
        .expect("method names are unique");
    module
        .merge(truffle_wire::api::RaffleApiServer::into_rpc(
            raffle::RaffleHandler {
                node: node.clone(),
                heavy: heavy.clone(),
            },
        ))
        .expect("method names are unique");
    module
        .merge(truffle_wire::api::OrderApiServer::into_rpc(
            order::OrderHandler { node: node.clone() },
        ))
        .expect("method names are unique");
    module
        .merge(truffle_wire::api::PaymentApiServer::into_rpc(
            order::OrderHandler { node: node.clone() },
        ))
        .expect("method names are unique");
    module
        .merge(truffle_wire::api::AdminApiServer::into_rpc(
            admin::AdminHandler { node: node.clone() },
        ))
        .expect("method names are unique");
    module
        .merge(account::AccountHandler { node }.into_rpc())
        .expect("method names are unique");
    truffle_wire::openrpc::register(&mut module);
    module
}
