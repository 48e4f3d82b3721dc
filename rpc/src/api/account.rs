//! `account_*`: accounts on the ledger.

use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use truffle_ledger::types::Account;
use truffle_ledger::PublicKey;

/// Accounts on the ledger.
#[rpc(server, client, namespace = "account")]
pub trait AccountApi {
    /// The nonce the account's next transaction must carry (0 for unknown accounts).
    #[method(name = "getNonce")]
    fn get_nonce(&self, account: PublicKey) -> RpcResult<u64>;

    /// The account's ledger record: key, role, status, seller standing.
    #[method(name = "get")]
    fn get(&self, account: PublicKey) -> RpcResult<Account>;
}
