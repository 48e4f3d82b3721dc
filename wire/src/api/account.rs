//! `account_*`: accounts on the ledger.

use crate::members::{MemberView, SignedUp, SignupRequest, UpdateRequest};
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

    /// Creates a member with a verified phone (consumes the verification token).
    #[method(name = "signup", with_extensions)]
    async fn signup(&self, request: SignupRequest) -> RpcResult<SignedUp>;

    /// The logged-in member's data (My Page).
    #[method(name = "me")]
    async fn me(&self, session_token: String) -> RpcResult<MemberView>;

    /// Changes profile data; a new password needs the current one, a new phone a new
    /// verification token.
    #[method(name = "update")]
    async fn update(&self, session_token: String, changes: UpdateRequest) -> RpcResult<MemberView>;

    /// Withdraws the member (needs the password): sessions end, personal data is erased,
    /// the ledger keeps only the pseudonymous history. Returns the block height.
    #[method(name = "delete")]
    async fn delete(&self, session_token: String, password: String) -> RpcResult<u64>;
}
