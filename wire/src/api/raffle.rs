//! `raffle_*`: raffles, their entries and draws you can check.
//!
//! Creating, entering, revealing, drawing and cancelling are signed transactions
//! (`create_raffle`, `enter_raffle`, `reveal_raffle_secret`, `draw_raffle`, and the
//! seller's `cancel_raffle` before entry closes) submitted with `tx_submitAndWait`; a
//! refusal comes back in the status with its rule (1021 raffle rule: not open yet /
//! closed / already drawn / cancelled / waiting for the reveal, 1022 not eligible, 1023
//! already entered).

use crate::market::{MyEntry, Page, PageRequest, RaffleOutcome, RaffleView};
use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use truffle_ledger::types::{RaffleEntry, RaffleStatus};
use truffle_ledger::PublicKey;

/// Raffles.
#[rpc(server, client, namespace = "raffle")]
pub trait RaffleApi {
    /// A raffle: its rules, entry count, closing block, revealed secret, draw result,
    /// and its phase (`upcoming`, `accepting_entries`, `closing`, `awaiting_reveal`,
    /// `ready_to_draw`, `drawn`, `void`, `cancelled`) with the reveal deadline, and the
    /// seller's reason when it cancelled the raffle.
    #[method(name = "get")]
    fn get(&self, raffle: u64) -> RpcResult<RaffleView>;

    /// Raffles, newest first, optionally only `open`, `closed`, `drawn`, `void` or
    /// `cancelled` ones and only those of one `seller` (the seller centre's list, with
    /// each raffle's entry count); `page` from 1, `page_size` up to 100 (default 20).
    #[method(name = "list")]
    fn list(
        &self,
        status: Option<RaffleStatus>,
        page: Option<PageRequest>,
        seller: Option<PublicKey>,
    ) -> RpcResult<Page<RaffleView>>;

    /// A raffle's entries in entry order (the order the draw picks from), paged.
    #[method(name = "entries")]
    fn entries(&self, raffle: u64, page: Option<PageRequest>) -> RpcResult<Page<RaffleEntry>>;

    /// The draw's inputs and result: seed commitment, closing block, revealed secret
    /// (and whether it matches the commitment), the recorded winners and runners-up, the
    /// same recomputed by this node from the entries, and whether they match.
    #[method(name = "result")]
    async fn result(&self, raffle: u64) -> RpcResult<RaffleOutcome>;

    /// The logged-in member's entries, newest raffle first, each with its outcome
    /// (waiting, won, runner-up, not selected).
    #[method(name = "myEntries")]
    async fn my_entries(
        &self,
        session_token: String,
        page: Option<PageRequest>,
    ) -> RpcResult<Page<MyEntry>>;
}
