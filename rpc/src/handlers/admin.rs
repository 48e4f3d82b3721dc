use std::time::Instant;

use jsonrpsee::core::{async_trait, RpcResult};
use truffle_node::Node;

use crate::api::{AdminApiServer, CompactionReport};
use crate::error;

pub(crate) struct AdminHandler {
    pub(crate) node: Node,
}

#[async_trait]
impl AdminApiServer for AdminHandler {
    async fn compact(&self) -> RpcResult<CompactionReport> {
        let store = self.node.store().clone();
        let started = Instant::now();
        let before_bytes = store.disk_size();
        // Compaction blocks for seconds: off the async workers.
        tokio::task::spawn_blocking(move || store.compact_all().map(|()| store.disk_size()))
            .await
            .map_err(|e| error::error(error::UNAVAILABLE, format!("compaction stopped: {e}")))?
            .map(|after_bytes| {
                tracing::info!(target: "rpc", before_bytes, after_bytes, "compacted on the operator's request");
                CompactionReport {
                    before_bytes,
                    after_bytes,
                    took_ms: started.elapsed().as_millis() as u64,
                }
            })
            .map_err(|e| error::error(error::UNAVAILABLE, format!("compaction failed: {e}")))
    }
}
