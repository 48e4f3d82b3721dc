use jsonrpsee::core::{async_trait, RpcResult};
use truffle_ledger::types::Gender;
use truffle_ledger::PublicKey;
use truffle_node::ads::AdminQuery;
use truffle_node::recommend::RecoPage;
use truffle_node::Node;

use crate::error;
use truffle_wire::api::{RecoApiServer, RECO_FOR_USER_METHOD};

pub(crate) struct RecoHandler {
    pub(crate) node: Node,
}

#[async_trait]
impl RecoApiServer for RecoHandler {
    async fn for_me(
        &self,
        session_token: String,
        page: Option<u32>,
        page_size: Option<u32>,
    ) -> RpcResult<RecoPage> {
        let member = self
            .node
            .members()
            .session(&self.node, &session_token)
            .await
            .map_err(error::member)?;
        self.node
            .recommend_for(&member.account, page, page_size)
            .map_err(error::reco)
    }

    fn for_visitor(
        &self,
        gender: Option<Gender>,
        birth_year: Option<u16>,
        page: Option<u32>,
        page_size: Option<u32>,
    ) -> RpcResult<RecoPage> {
        self.node
            .recommend_for_visitor(gender, birth_year, page, page_size)
            .map_err(error::reco)
    }

    fn similar(
        &self,
        product: u64,
        page: Option<u32>,
        page_size: Option<u32>,
    ) -> RpcResult<RecoPage> {
        self.node
            .recommend_similar(product, page, page_size)
            .map_err(error::reco)
    }

    fn for_user(
        &self,
        query: AdminQuery,
        account: PublicKey,
        page: Option<u32>,
        page_size: Option<u32>,
    ) -> RpcResult<RecoPage> {
        self.node
            .recommend_for_user(&query, RECO_FOR_USER_METHOD, &account, page, page_size)
            .map_err(error::reco)
    }
}
