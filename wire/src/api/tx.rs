//! `tx_*`: submitting transactions and following them.

use crate::chain::{SubmitOutcome, TxStatus};
use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use truffle_ledger::Hash;

use crate::views::TransactionView;

/// Submitting transactions and following them.
#[rpc(server, client, namespace = "tx")]
pub trait TxApi {
    /// Submits a signed transaction (hex of its borsh encoding); returns its hash.
    /// Decoding, chain, signature, signer and nonce are checked at once.
    #[method(name = "submit")]
    fn submit(&self, transaction: String) -> RpcResult<Hash>;

    /// Submits up to 1000 signed transactions (hex) in one call: one outcome each, in
    /// order, each checked as `submit` checks one; a refused one does not stop the others.
    #[method(name = "submitBatch")]
    async fn submit_batch(&self, transactions: Vec<String>) -> RpcResult<Vec<SubmitOutcome>>;

    /// Submits and waits until the transaction is in a block (or `timeout_ms`, at most
    /// 60000, passes).
    #[method(name = "submitAndWait")]
    async fn submit_and_wait(
        &self,
        transaction: String,
        timeout_ms: Option<u64>,
    ) -> RpcResult<TxStatus>;

    /// Where a transaction stands: pending, committed, rejected or unknown.
    #[method(name = "status")]
    fn status(&self, hash: Hash) -> RpcResult<TxStatus>;

    /// A committed or rejected transaction.
    #[method(name = "get")]
    fn get(&self, hash: Hash) -> RpcResult<TransactionView>;
}
