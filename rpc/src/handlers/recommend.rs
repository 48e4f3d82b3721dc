use jsonrpsee::core::{async_trait, RpcResult};
use truffle_ledger::types::Gender;
use truffle_node::recommend::{age_band, Recommendation, Viewer};
use truffle_node::Node;

use crate::api::RecommendApiServer;
use crate::error;

pub(crate) struct RecommendHandler {
    pub(crate) node: Node,
}

const DEFAULT_LIMIT: u32 = 12;

fn year_now() -> u16 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    truffle_ledger::tx::age_in_years(0, now) as u16
}

#[async_trait]
impl RecommendApiServer for RecommendHandler {
    async fn for_member(
        &self,
        session_token: String,
        limit: Option<u32>,
    ) -> RpcResult<Vec<Recommendation>> {
        let member = self
            .node
            .members()
            .session(&self.node, &session_token)
            .await
            .map_err(error::member)?;
        let profile = self
            .node
            .members()
            .profile(&self.node, &member.account)
            .map_err(error::member)?;
        let viewer = Viewer {
            account: Some(member.account),
            gender: profile.as_ref().map(|p| p.gender),
            age_band: profile.map(|p| age_band(p.birth_year, year_now())),
        };
        self.node
            .recommendations(&viewer, limit.unwrap_or(DEFAULT_LIMIT) as usize)
            .map_err(error::node)
    }

    fn for_visitor(
        &self,
        gender: Option<Gender>,
        birth_year: Option<u16>,
        limit: Option<u32>,
    ) -> RpcResult<Vec<Recommendation>> {
        let viewer = Viewer {
            account: None,
            gender,
            age_band: birth_year.map(|year| age_band(year, year_now())),
        };
        self.node
            .recommendations(&viewer, limit.unwrap_or(DEFAULT_LIMIT) as usize)
            .map_err(error::node)
    }

    fn similar(&self, product: u64, limit: Option<u32>) -> RpcResult<Vec<Recommendation>> {
        self.node
            .similar_products(product, limit.unwrap_or(DEFAULT_LIMIT) as usize)
            .map_err(error::node)
    }
}
