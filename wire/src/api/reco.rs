//! `reco_*`: recommended limited editions (flow 7 of the brief), ranked, paged, each
//! with a reason.

use crate::reco::RecoPage;
use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use truffle_ledger::admin_query::AdminQuery;
use truffle_ledger::types::Gender;
use truffle_ledger::PublicKey;

/// The method name an [`AdminQuery`] for `reco_forUser` is signed for.
pub const RECO_FOR_USER_METHOD: &str = "reco_forUser";

/// Recommendations. Pages count from 1; `page_size` is 1..=50 (default 12) and
/// `page × page_size` at most 200; out of bounds is error -32602.
#[rpc(server, client, namespace = "reco")]
pub trait RecoApi {
    /// For the logged-in member: their gender × age band, purchase and raffle history;
    /// never a product they own or bought, never a sold-out one.
    #[method(name = "forMe")]
    async fn for_me(
        &self,
        session_token: String,
        page: Option<u32>,
        page_size: Option<u32>,
    ) -> RpcResult<RecoPage>;

    /// For a visitor, by gender and birth year when given (nothing is stored).
    #[method(name = "forVisitor")]
    fn for_visitor(
        &self,
        gender: Option<Gender>,
        birth_year: Option<u16>,
        page: Option<u32>,
        page_size: Option<u32>,
    ) -> RpcResult<RecoPage>;

    /// Products like this one: bought together with it, or the same brand, model,
    /// category or price band.
    #[method(name = "similar")]
    fn similar(
        &self,
        product: u64,
        page: Option<u32>,
        page_size: Option<u32>,
    ) -> RpcResult<RecoPage>;

    /// What `account` would be shown (admins only: `query` signed for
    /// [`RECO_FOR_USER_METHOD`] by an active admin key).
    #[method(name = "forUser")]
    fn for_user(
        &self,
        query: AdminQuery,
        account: PublicKey,
        page: Option<u32>,
        page_size: Option<u32>,
    ) -> RpcResult<RecoPage>;
}
