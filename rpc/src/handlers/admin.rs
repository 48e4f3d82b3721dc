use std::path::PathBuf;
use std::time::Instant;

use jsonrpsee::core::{async_trait, RpcResult};
use jsonrpsee::types::ErrorObjectOwned;
use truffle_node::backup::{BackupError, BackupManifest};
use truffle_node::Node;

use crate::error;
use truffle_wire::api::{AdminApiServer, CompactionReport};

pub(crate) struct AdminHandler {
    pub(crate) node: Node,
}

fn backup_error(failure: BackupError) -> ErrorObjectOwned {
    match failure {
        BackupError::InvalidTarget(reason) => error::error(error::BACKUP_TARGET_INVALID, reason),
        BackupError::Busy => error::error(error::BACKUP_BUSY, failure.to_string()),
        other => {
            tracing::warn!(target: "rpc", error = %other, "backup failed");
            error::error(error::BACKUP_FAILED, format!("backup failed: {other}"))
        }
    }
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

    async fn backup(&self, to: String) -> RpcResult<BackupManifest> {
        let node = self.node.clone();
        // The checkpoint flushes memtables and links files: blocking work.
        tokio::task::spawn_blocking(move || node.backup(&PathBuf::from(to)))
            .await
            .map_err(|e| error::error(error::BACKUP_FAILED, format!("backup failed: {e}")))?
            .map_err(backup_error)
    }
}
