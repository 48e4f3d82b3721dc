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

/// Every namespace, ready to serve.
pub fn rpc_module(node: Node) -> RpcModule<()> {
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
        .merge(proof::ProofHandler::new(node.clone()).into_rpc())
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
            raffle::RaffleHandler { node: node.clone() },
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
