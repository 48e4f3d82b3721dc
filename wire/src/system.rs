//! What a node's operator calls answer (`admin_backup`): a backup's manifest.

use serde::{Deserialize, Serialize};
use truffle_ledger::{Hash, PublicKey};

/// One file of a backup: its path relative to the backup folder and its size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BackupFile {
    /// Relative path, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// What a backup holds; `manifest.json` in the backup folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BackupManifest {
    /// Layout version (`truffle_node::backup::FORMAT_VERSION`).
    pub format_version: u32,
    /// The chain.
    pub chain_id: Hash,
    /// The key of the node the backup was taken from.
    pub node_key: PublicKey,
    /// Height of the head block in the checkpoint.
    pub height: u64,
    /// Hash of that head.
    pub head_hash: Hash,
    /// Last Raft log index applied in the checkpoint.
    pub applied_index: Option<u64>,
    /// Log index the included snapshot covers (`None`: no snapshot included; the node
    /// builds one at start if its log is purged).
    pub snapshot_index: Option<u64>,
    /// When the backup was taken, ms since the Unix epoch.
    pub created_at_ms: u64,
    /// How the search index comes back: always `"rebuild"` (left out, rebuilt at start).
    pub search_index: String,
    /// Every file of the backup but the manifest.
    pub files: Vec<BackupFile>,
}
