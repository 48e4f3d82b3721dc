use jsonrpsee::core::{async_trait, RpcResult};
use truffle_ledger::types::Account;
use truffle_ledger::PublicKey;
use truffle_node::Node;

use crate::api::AccountApiServer;
use crate::error;

pub(crate) struct AccountHandler {
    pub(crate) node: Node,
}

#[async_trait]
impl AccountApiServer for AccountHandler {
    fn get_nonce(&self, account: PublicKey) -> RpcResult<u64> {
        self.node.next_nonce(&account).map_err(error::node)
    }

    fn get(&self, account: PublicKey) -> RpcResult<Account> {
        self.node
            .account(&account)
            .map_err(error::node)?
            .ok_or_else(|| error::not_found(format!("account {account}")))
    }
}
