use std::path::PathBuf;

use jsonrpsee::core::{async_trait, RpcResult};
use jsonrpsee::types::ErrorObjectOwned;
use truffle_node::backup::{BackupError, BackupManifest};
use truffle_node::Node;

use crate::api::AdminApiServer;
use crate::error;

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
    async fn backup(&self, to: String) -> RpcResult<BackupManifest> {
        let node = self.node.clone();
        // The checkpoint flushes memtables and links files: blocking work.
        tokio::task::spawn_blocking(move || node.backup(&PathBuf::from(to)))
            .await
            .map_err(|e| error::error(error::BACKUP_FAILED, format!("backup failed: {e}")))?
            .map_err(backup_error)
    }
}
