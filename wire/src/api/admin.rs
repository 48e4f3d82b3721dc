//! `admin_*`: operating the node. Only the operator may call these: the server refuses
//! them without the node's admin token (and, when the node has an admin address, off it).

use crate::system::BackupManifest;
use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use serde::{Deserialize, Serialize};

/// What a forced compaction did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CompactionReport {
    /// Table files before, bytes.
    pub before_bytes: u64,
    /// Table files after, bytes.
    pub after_bytes: u64,
    /// How long it took, ms.
    pub took_ms: u64,
}

/// The operator's methods.
#[rpc(server, client, namespace = "admin")]
pub trait AdminApi {
    /// Flushes and compacts every column family now (deleted data leaves the files),
    /// while the node keeps running.
    #[method(name = "compact")]
    async fn compact(&self) -> RpcResult<CompactionReport>;

    /// Writes an online backup of this node to `to`: an absolute folder on the node's
    /// machine, outside its data folder, missing or empty. Returns the manifest once
    /// the backup is complete.
    #[method(name = "backup")]
    async fn backup(&self, to: String) -> RpcResult<BackupManifest>;
}
