//! `admin_*`: node operations for the operator (backups). The whole namespace is
//! meant for the operator's bearer token (`Authorization: Bearer <token>`); the
//! server-side check is added separately.

use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use truffle_node::backup::BackupManifest;

/// Node operations for the operator.
#[rpc(server, client, namespace = "admin")]
pub trait AdminApi {
    /// Writes an online backup of this node to `to`: an absolute folder on the node's
    /// machine, outside its data folder, missing or empty. Returns the manifest once
    /// the backup is complete.
    #[method(name = "backup")]
    async fn backup(&self, to: String) -> RpcResult<BackupManifest>;
}
