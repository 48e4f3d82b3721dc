use jsonrpsee::core::{async_trait, RpcResult};
use jsonrpsee::Extensions;
use truffle_ledger::types::Account;
use truffle_ledger::PublicKey;
use truffle_node::services::members::{MemberView, SignedUp, SignupRequest, UpdateRequest};
use truffle_node::Node;

use crate::error;
use truffle_wire::api::AccountApiServer;

pub(crate) struct AccountHandler {
    pub(crate) node: Node,
}

#[async_trait]
impl AccountApiServer for AccountHandler {
    fn get_nonce(&self, account: PublicKey) -> RpcResult<u64> {
        self.node.next_nonce(&account).map_err(error::node)
    }

    async fn signup(&self, ext: &Extensions, request: SignupRequest) -> RpcResult<SignedUp> {
        self.node
            .members()
            .signup(&self.node, request, super::auth::client(ext))
            .await
            .map_err(error::member)
    }

    async fn me(&self, session_token: String) -> RpcResult<MemberView> {
        self.node
            .members()
            .me(&self.node, &session_token)
            .await
            .map_err(error::member)
    }

    async fn update(&self, session_token: String, changes: UpdateRequest) -> RpcResult<MemberView> {
        self.node
            .members()
            .update(&self.node, &session_token, changes)
            .await
            .map_err(error::member)
    }

    async fn delete(&self, session_token: String, password: String) -> RpcResult<u64> {
        self.node
            .members()
            .delete(&self.node, &session_token, &password)
            .await
            .map_err(error::member)
    }

    fn get(&self, account: PublicKey) -> RpcResult<Account> {
        self.node
            .account(&account)
            .map_err(error::node)?
            .ok_or_else(|| error::not_found(format!("account {account}")))
    }
}
