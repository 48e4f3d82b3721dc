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
            build: env!("TRUFFLE_BUILD_PROFILE").into(),
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

    async fn withhold_votes(&self, on: bool) -> RpcResult<()> {
        self.node
            .engine()
            .set_withhold_votes(on)
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

    async fn send_far_future_votes(&self, count: u32) -> RpcResult<u64> {
        if count > truffle_node::MAX_FAULT_VOTES {
            return Err(error::invalid_param(
                "count",
                format!("at most {}", truffle_node::MAX_FAULT_VOTES),
            ));
        }
        self.node
            .engine()
            .send_far_future_votes(count)
            .await
            .map_err(fault_error)
    }

    async fn propose_invalid_block(&self, kind: String) -> RpcResult<Option<u64>> {
        let kind: truffle_node::InvalidBlock = kind
            .parse()
            .map_err(|e: String| error::invalid_param("kind", e))?;
        self.node
            .engine()
            .propose_invalid_block(kind)
            .await
            .map_err(fault_error)
    }
}

/// A fault-injection call's failure: disabled here, or the engine's own error.
fn fault_error(e: truffle_node::EngineError) -> jsonrpsee::types::ErrorObjectOwned {
    match e {
        truffle_node::EngineError::FaultInjectionDisabled => {
            error::error(error::DISABLED, e.to_string())
        }
        other => error::engine(&other),
    }
}
