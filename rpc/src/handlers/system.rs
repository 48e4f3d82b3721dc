use jsonrpsee::core::{async_trait, RpcResult};
use serde_json::Value;
use truffle_ledger::PublicKey;
use truffle_node::Node;

use crate::error;
use truffle_wire::api::SystemApiServer;
use truffle_wire::views::VersionView;

pub(crate) struct SystemHandler {
    pub(crate) node: Node,
}

#[async_trait]
impl SystemApiServer for SystemHandler {
    async fn health(&self) -> RpcResult<Value> {
        let health = self.node.health().await.map_err(error::node)?;
        Ok(serde_json::to_value(health).expect("health serializes"))
    }

    fn version(&self) -> RpcResult<VersionView> {
        Ok(VersionView {
            name: "truffle".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            chain_id: self.node.chain_id(),
            chain_name: self.node.genesis().chain_name.clone(),
        })
    }

    async fn peers(&self) -> RpcResult<Value> {
        Ok(serde_json::to_value(self.node.peers().await).expect("peers serialize"))
    }

    async fn partition(&self, keys: Vec<String>) -> RpcResult<()> {
        let keys = keys
            .iter()
            .map(|k| PublicKey::from_hex(k).map_err(|e| error::invalid_param("keys", e)))
            .collect::<Result<Vec<_>, _>>()?;
        self.node
            .partition(keys)
            .await
            .map_err(|e| error::error(error::DISABLED, e.to_string()))
    }

    async fn heal(&self) -> RpcResult<()> {
        self.node
            .heal()
            .await
            .map_err(|e| error::error(error::DISABLED, e.to_string()))
    }

    async fn equivocate(&self, on: bool) -> RpcResult<()> {
        self.node
            .engine()
            .set_equivocate(on)
            .map_err(|e| error::error(error::DISABLED, e.to_string()))
    }

    async fn leader_fault(&self, fault: String) -> RpcResult<()> {
        let fault: truffle_node::LeaderFault = fault
            .parse()
            .map_err(|e| error::invalid_param("fault", e))?;
        self.node
            .engine()
            .set_leader_fault(fault)
            .map_err(|e| error::error(error::DISABLED, e.to_string()))
    }
}
