//! `recommend_*`: what to show a member (flow 7 of the brief).

use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use truffle_ledger::types::Gender;
use truffle_node::recommend::Recommendation;

/// Recommendations.
#[rpc(server, client, namespace = "recommend")]
pub trait RecommendApi {
    /// For the logged-in member: their cohort (gender, age band), what members who
    /// bought the same things bought, products like theirs; never what they own.
    #[method(name = "forMember")]
    async fn for_member(
        &self,
        session_token: String,
        limit: Option<u32>,
    ) -> RpcResult<Vec<Recommendation>>;

    /// For a visitor, optionally by gender and birth year (nothing is stored).
    #[method(name = "forVisitor")]
    fn for_visitor(
        &self,
        gender: Option<Gender>,
        birth_year: Option<u16>,
        limit: Option<u32>,
    ) -> RpcResult<Vec<Recommendation>>;

    /// Products like this one (brand, category, price).
    #[method(name = "similar")]
    fn similar(&self, product: u64, limit: Option<u32>) -> RpcResult<Vec<Recommendation>>;
}
