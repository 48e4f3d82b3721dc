use jsonrpsee::core::{async_trait, RpcResult};
use truffle_ledger::types::{RaffleEntry, RaffleStatus};
use truffle_ledger::PublicKey;
use truffle_node::market::{MyEntry, Page, PageRequest, RaffleOutcome, RaffleView};
use truffle_node::Node;

use crate::market_errors as error_market;
use truffle_wire::api::RaffleApiServer;

pub(crate) struct RaffleHandler {
    pub(crate) node: Node,
    /// Bounds the draws recomputed at once (shared with the proof builders).
    pub(crate) heavy: super::Heavy,
}

#[async_trait]
impl RaffleApiServer for RaffleHandler {
    fn get(&self, raffle: u64) -> RpcResult<RaffleView> {
        self.node
            .market()
            .raffle(raffle)
            .map_err(error_market::market)
    }

    fn list(
        &self,
        status: Option<RaffleStatus>,
        page: Option<PageRequest>,
        seller: Option<PublicKey>,
    ) -> RpcResult<Page<RaffleView>> {
        self.node
            .market()
            .raffles(status, seller, page.unwrap_or_default())
            .map_err(error_market::market)
    }

    fn entries(&self, raffle: u64, page: Option<PageRequest>) -> RpcResult<Page<RaffleEntry>> {
        self.node
            .market()
            .raffle_entries(raffle, page.unwrap_or_default())
            .map_err(error_market::market)
    }

    async fn result(&self, raffle: u64) -> RpcResult<RaffleOutcome> {
        // Recomputing a draw reads every entry: off the async workers, bounded.
        let node = self.node.clone();
        self.heavy
            .run(move || {
                node.market()
                    .raffle_outcome(raffle)
                    .map_err(error_market::market)
            })
            .await
    }

    async fn my_entries(
        &self,
        session_token: String,
        page: Option<PageRequest>,
    ) -> RpcResult<Page<MyEntry>> {
        self.node
            .market()
            .my_raffle_entries(&session_token, page.unwrap_or_default())
            .await
            .map_err(error_market::market)
    }
}
