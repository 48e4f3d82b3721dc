//! Online backups and offline restores of a node's data.
//!
//! A backup folder holds:
//!
//! ```text
//! DIR/manifest.json        what the backup is (written last: no manifest, no backup)
//! DIR/db/                  a RocksDB checkpoint: every column family at one instant
//! DIR/snapshots/current.*  the Raft snapshot files, when one is consistent with db/
//! ```
//!
//! The vault key store (`<data>/vault.keys`) is left out on purpose: a backup must not
//! carry a key that could open what a later withdrawal erased (ARCHITECTURE.md,
//! "Erasure"); a restore keeps the node's current key store. The search index is left
//! out too: it is a read model, and a node whose `<data>/index`
//! is missing rebuilds it from `Table::Product` at start (`catalog::Catalog::prepare`).
//!
//! A restore puts `db/` and `snapshots/` back into a stopped node's data folder. The node
//! then starts as usual: openraft reads the log and state from the checkpoint, and the
//! leader sends the entries committed since (or a snapshot, once they are purged).
//! Restoring rolls the member's Raft state back to the backup: safe while the other
//! members hold a majority of up-to-date logs, so restore one member at a time.

use std::path::{Path, PathBuf};

use truffle_ledger::{Hash, PublicKey};
use truffle_store::Store;

use crate::node::Node;
pub use truffle_wire::system::{BackupFile, BackupManifest};

/// The manifest's file name inside a backup folder.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The checkpoint's folder inside a backup folder (and the database's inside a data folder).
pub const DB_DIR: &str = "db";
/// The snapshot folder inside a backup folder and a data folder.
pub const SNAPSHOT_DIR: &str = "snapshots";
/// The version of the backup layout this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Why a backup or a restore failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The target folder is not acceptable (relative, inside the data folder, not empty).
    #[error("invalid backup target: {0}")]
    InvalidTarget(String),
    /// Another backup of this node is running.
    #[error("a backup of this node is already running")]
    Busy,
    /// The backup folder is incomplete, damaged or of another format.
    #[error("invalid backup {}: {reason}", dir.display())]
    InvalidBackup {
        /// The backup folder.
        dir: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The backup belongs to another chain or node than the one expected.
    #[error("the backup does not fit: {0}")]
    Mismatch(String),
    /// The data folder holds data and `--force` was not given.
    #[error("{} is not empty: restoring would replace its data; stop the node and pass --force to move it aside", .0.display())]
    TargetNotEmpty(PathBuf),
    /// The database failed (includes "in use by a running node").
    #[error(transparent)]
    Store(#[from] truffle_store::StoreError),
    /// Consensus data is unreadable.
    #[error(transparent)]
    Consensus(#[from] truffle_consensus::ConsensusError),
    /// A file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What a restore did.
#[derive(Clone, Debug)]
pub struct RestoreReport {
    /// The manifest of the restored backup.
    pub manifest: BackupManifest,
    /// Where the data folder's previous contents went (with `--force`).
    pub moved_aside: Option<PathBuf>,
    /// Files hard-linked from the backup (immutable table and snapshot files).
    pub linked: usize,
    /// Files copied.
    pub copied: usize,
}

/// Restore settings.
#[derive(Clone, Debug, Default)]
pub struct RestoreOptions {
    /// Move a non-empty data folder aside instead of refusing.
    pub force: bool,
    /// Refuse a backup of another node than this key.
    pub expect_node_key: Option<PublicKey>,
    /// Refuse a backup of another chain.
    pub expect_chain_id: Option<Hash>,
}

/// `path` with `.` and `..` resolved against its nearest existing ancestor (so a
/// target that does not exist yet can still be compared with the data folder).
fn resolve(path: &Path) -> PathBuf {
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    loop {
        if let Ok(canonical) = existing.canonicalize() {
            return rest.iter().rev().fold(canonical, |p, c| p.join(c));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => return path.to_path_buf(),
        }
    }
}

fn is_empty_dir(path: &Path) -> Result<bool, BackupError> {
    match std::fs::read_dir(path) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(io_error(path)(e)),
    }
}

/// Checks a backup target: absolute, outside the data folder (a backup inside it would
/// be restored into itself, and copied by the next backup), and missing or empty.
pub fn validate_target(to: &Path, data_dir: &Path) -> Result<(), BackupError> {
    if !to.is_absolute() {
        return Err(BackupError::InvalidTarget(format!(
            "{} is not an absolute path",
            to.display()
        )));
    }
    if to
        .components()
        .any(|c| c == std::path::Component::ParentDir)
    {
        return Err(BackupError::InvalidTarget(format!(
            "{} must not contain '..'",
            to.display()
        )));
    }
    let (target, data) = (resolve(to), resolve(data_dir));
    if target.starts_with(&data) || data.starts_with(&target) {
        return Err(BackupError::InvalidTarget(format!(
            "{} overlaps the node's data folder {}",
            to.display(),
            data.display()
        )));
    }
    if to.exists() && !to.is_dir() {
        return Err(BackupError::InvalidTarget(format!(
            "{} exists and is not a folder",
            to.display()
        )));
    }
    if !is_empty_dir(to)? {
        return Err(BackupError::InvalidTarget(format!(
            "{} exists and is not empty",
            to.display()
        )));
    }
    Ok(())
}

/// Every file under `root`, relative and `/`-separated, with sizes, sorted.
fn list_files(root: &Path) -> Result<Vec<BackupFile>, BackupError> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<BackupFile>) -> Result<(), BackupError> {
        for entry in std::fs::read_dir(dir).map_err(io_error(dir))? {
            let entry = entry.map_err(io_error(dir))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(io_error(&path))?;
            if kind.is_dir() {
                walk(root, &path, out)?;
            } else if path.file_name().is_some_and(|n| n != MANIFEST_FILE) || dir != root {
                let relative = path
                    .strip_prefix(root)
                    .expect("walked from the root")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                let bytes = entry.metadata().map_err(io_error(&path))?.len();
                out.push(BackupFile {
                    path: relative,
                    bytes,
                });
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(root, root, &mut out)?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Table files and snapshot files are never changed in place (RocksDB writes new
/// table files; snapshots are replaced by rename), so a hard link shares them safely;
/// everything else (MANIFEST, OPTIONS, logs) is copied.
fn immutable(name: &str) -> bool {
    name.ends_with(".sst") || name.ends_with(".blob") || name.starts_with("current.")
}

/// Hard-links (immutable files, same file system) or copies `from` to `to`; returns
/// whether it linked.
fn link_or_copy(from: &Path, to: &Path) -> Result<bool, BackupError> {
    let name = from
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if immutable(&name) && std::fs::hard_link(from, to).is_ok() {
        return Ok(true);
    }
    std::fs::copy(from, to).map_err(io_error(from))?;
    std::fs::File::open(to)
        .and_then(|f| f.sync_all())
        .map_err(io_error(to))?;
    Ok(false)
}

/// Copies the folder `from` into `to` (created), file by file; returns (linked, copied).
fn copy_tree(from: &Path, to: &Path) -> Result<(usize, usize), BackupError> {
    std::fs::create_dir_all(to).map_err(io_error(to))?;
    let (mut linked, mut copied) = (0, 0);
    for entry in std::fs::read_dir(from).map_err(io_error(from))? {
        let entry = entry.map_err(io_error(from))?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        if entry.file_type().map_err(io_error(&path))?.is_dir() {
            let (l, c) = copy_tree(&path, &target)?;
            linked += l;
            copied += c;
        } else if link_or_copy(&path, &target)? {
            linked += 1;
        } else {
            copied += 1;
        }
    }
    Ok((linked, copied))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), BackupError> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(io_error(&tmp))?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io_error(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io_error(path))
}

/// Takes the snapshot files into `to/snapshots` if they are consistent with the
/// checkpoint's log (`purged <= snapshot <= applied`); returns the snapshot's index.
/// An inconsistent or racing snapshot is left out rather than retried: openraft builds
/// a new one from the restored state when the log is purged and no snapshot is there.
fn take_snapshot_files(
    data_dir: &Path,
    to: &Path,
    applied: Option<u64>,
    purged: Option<u64>,
) -> Result<Option<u64>, BackupError> {
    let source = data_dir.join(SNAPSHOT_DIR);
    let [data_name, meta_name] = truffle_consensus::SNAPSHOT_FILES;
    if !source.join(data_name).exists() || !source.join(meta_name).exists() {
        return Ok(None);
    }
    let target = to.join(SNAPSHOT_DIR);
    std::fs::create_dir_all(&target).map_err(io_error(&target))?;
    // Data before meta, the order they are written in; the check below catches a pair
    // split by a snapshot replaced in between.
    for name in [data_name, meta_name] {
        match link_or_copy(&source.join(name), &target.join(name)) {
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(target: "backup", %error, "snapshot files changed while copied; left out");
                let _ = std::fs::remove_dir_all(&target);
                return Ok(None);
            }
        }
    }
    let index = match truffle_consensus::check_snapshot_files(&target) {
        Ok(index) => index,
        Err(error) => {
            tracing::warn!(target: "backup", %error, "snapshot files changed while copied; left out");
            None
        }
    };
    let consistent =
        index.is_some_and(|s| applied.is_some_and(|a| s <= a) && purged.is_none_or(|p| p <= s));
    if !consistent {
        tracing::info!(target: "backup", ?index, ?applied, ?purged, "snapshot left out; the restored node builds one at start");
        std::fs::remove_dir_all(&target).map_err(io_error(&target))?;
        return Ok(None);
    }
    Ok(index)
}

impl Node {
    /// Writes an online backup of this node's data to `to` (see the module docs) and
    /// returns its manifest. Blocks while RocksDB writes the checkpoint: call it from a
    /// blocking thread.
    pub fn backup(&self, to: &Path) -> Result<BackupManifest, BackupError> {
        let data_dir = self.config().data_dir.clone();
        validate_target(to, &data_dir)?;
        let _running = BackupGuard::take(&self.inner.backup_running)?;
        let created = !to.exists();
        let result = self.write_backup(&data_dir, to);
        if result.is_err() {
            // Leave nothing that could pass for a backup.
            if created {
                let _ = std::fs::remove_dir_all(to);
            } else {
                let _ = std::fs::remove_dir_all(to.join(DB_DIR));
                let _ = std::fs::remove_dir_all(to.join(SNAPSHOT_DIR));
            }
        }
        result
    }

    fn write_backup(&self, data_dir: &Path, to: &Path) -> Result<BackupManifest, BackupError> {
        let started = self.clock().monotonic_ms();
        std::fs::create_dir_all(to).map_err(io_error(to))?;
        let checkpoint = to.join(DB_DIR);
        self.store().checkpoint(&checkpoint)?;
        let (head, applied, purged) = {
            let copy = Store::open_read_only(&checkpoint)?;
            let head = copy.head()?.ok_or_else(|| BackupError::InvalidBackup {
                dir: to.to_path_buf(),
                reason: "the checkpoint has no head block".into(),
            })?;
            (
                head,
                truffle_consensus::applied_log_index(&copy)?,
                truffle_consensus::purged_log_index(&copy)?,
            )
        };
        let snapshot_index = take_snapshot_files(data_dir, to, applied, purged)?;
        let manifest = BackupManifest {
            format_version: FORMAT_VERSION,
            chain_id: self.chain_id(),
            node_key: self.key().public(),
            height: head.height,
            head_hash: head.hash(),
            applied_index: applied,
            snapshot_index,
            created_at_ms: self.now_ms(),
            search_index: "rebuild".into(),
            files: list_files(to)?,
        };
        let bytes = serde_json::to_vec_pretty(&manifest).expect("manifests serialize");
        write_synced(&to.join(MANIFEST_FILE), &bytes)?;
        tracing::info!(
            target: "backup",
            to = %to.display(),
            height = manifest.height,
            applied_index = ?manifest.applied_index,
            snapshot_index = ?manifest.snapshot_index,
            files = manifest.files.len(),
            elapsed_ms = self.clock().monotonic_ms().saturating_sub(started),
            "backup written"
        );
        Ok(manifest)
    }
}

/// Marks a backup running for as long as it lives.
struct BackupGuard<'a>(&'a std::sync::atomic::AtomicBool);

impl<'a> BackupGuard<'a> {
    fn take(flag: &'a std::sync::atomic::AtomicBool) -> Result<BackupGuard<'a>, BackupError> {
        use std::sync::atomic::Ordering;
        flag.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .map_err(|_| BackupError::Busy)?;
        Ok(BackupGuard(flag))
    }
}

impl Drop for BackupGuard<'_> {
    fn drop(&mut self) {
        self.0.store(false, std::sync::atomic::Ordering::Release);
    }
}

/// Reads and checks a backup folder: the manifest's format, every listed file present
/// with its size, the snapshot pair consistent, the checkpoint's head the manifest's.
pub fn verify_backup(from: &Path) -> Result<BackupManifest, BackupError> {
    let invalid = |reason: String| BackupError::InvalidBackup {
        dir: from.to_path_buf(),
        reason,
    };
    let manifest_path = from.join(MANIFEST_FILE);
    let bytes = std::fs::read(&manifest_path)
        .map_err(|e| invalid(format!("cannot read {MANIFEST_FILE}: {e}")))?;
    let manifest: BackupManifest = serde_json::from_slice(&bytes)
        .map_err(|e| invalid(format!("unreadable {MANIFEST_FILE}: {e}")))?;
    if manifest.format_version != FORMAT_VERSION {
        return Err(invalid(format!(
            "format version {} (this build reads {FORMAT_VERSION})",
            manifest.format_version
        )));
    }
    for file in &manifest.files {
        let path = from.join(&file.path);
        let size = std::fs::metadata(&path)
            .map_err(|e| invalid(format!("{} is missing: {e}", file.path)))?
            .len();
        if size != file.bytes {
            return Err(invalid(format!(
                "{} has {size} bytes, the manifest says {}",
                file.path, file.bytes
            )));
        }
    }
    let snapshot = truffle_consensus::check_snapshot_files(&from.join(SNAPSHOT_DIR))
        .map_err(|e| invalid(e.to_string()))?;
    if snapshot != manifest.snapshot_index {
        return Err(invalid(format!(
            "snapshot files cover {snapshot:?}, the manifest says {:?}",
            manifest.snapshot_index
        )));
    }
    let copy = Store::open_read_only(&from.join(DB_DIR))
        .map_err(|e| invalid(format!("the checkpoint does not open: {e}")))?;
    let head = copy
        .head()?
        .ok_or_else(|| invalid("the checkpoint has no head block".into()))?;
    if head.chain_id != manifest.chain_id
        || head.height != manifest.height
        || head.hash() != manifest.head_hash
    {
        return Err(invalid(format!(
            "the checkpoint's head (chain {}, height {}) is not the manifest's (chain {}, height {})",
            head.chain_id, head.height, manifest.chain_id, manifest.height
        )));
    }
    Ok(manifest)
}

/// Restores a backup into a stopped node's data folder (see the module docs for what
/// it does to the member's Raft state). Refuses a data folder that holds anything
/// unless `options.force`, which moves it aside to `<data>.pre-restore-<ms>` (nothing
/// is deleted), and refuses while a process holds the folder's database.
pub fn restore(
    from: &Path,
    data_dir: &Path,
    options: &RestoreOptions,
) -> Result<RestoreReport, BackupError> {
    let manifest = verify_backup(from)?;
    if let Some(key) = options.expect_node_key {
        if key != manifest.node_key {
            return Err(BackupError::Mismatch(format!(
                "it was taken from node {}, not from this node {key}",
                manifest.node_key
            )));
        }
    }
    if let Some(chain) = options.expect_chain_id {
        if chain != manifest.chain_id {
            return Err(BackupError::Mismatch(format!(
                "it holds chain {}, not chain {chain}",
                manifest.chain_id
            )));
        }
    }
    let (backup, data) = (resolve(from), resolve(data_dir));
    if backup.starts_with(&data) || data.starts_with(&backup) {
        return Err(BackupError::InvalidTarget(format!(
            "the backup {} and the data folder {} overlap",
            from.display(),
            data_dir.display()
        )));
    }

    let mut moved_aside = None;
    let mut previous_db = None;
    if !is_empty_dir(data_dir)? {
        if !options.force {
            return Err(BackupError::TargetNotEmpty(data_dir.to_path_buf()));
        }
        let db = data_dir.join(DB_DIR);
        Store::ensure_not_in_use(&db)?;
        if db.join("CURRENT").exists() {
            // A data folder of another chain is a mistaken target, --force or not.
            if let Ok(Some(head)) = Store::open_read_only(&db).and_then(|s| s.head()) {
                if head.chain_id != manifest.chain_id {
                    return Err(BackupError::Mismatch(format!(
                        "{} holds chain {}, the backup chain {}",
                        data_dir.display(),
                        head.chain_id,
                        manifest.chain_id
                    )));
                }
            }
        }
        let aside = PathBuf::from(format!(
            "{}.pre-restore-{}",
            data_dir.display(),
            truffle_clock::now_ms()
        ));
        std::fs::rename(data_dir, &aside).map_err(io_error(data_dir))?;
        if aside.join(DB_DIR).join("CURRENT").exists() {
            previous_db = Some(aside.join(DB_DIR));
        }
        tracing::info!(target: "backup", from = %data_dir.display(), to = %aside.display(), "previous data moved aside");
        moved_aside = Some(aside);
    }

    std::fs::create_dir_all(data_dir).map_err(io_error(data_dir))?;
    let (mut linked, mut copied) = copy_tree(&from.join(DB_DIR), &data_dir.join(DB_DIR))?;
    if manifest.snapshot_index.is_some() {
        let (l, c) = copy_tree(&from.join(SNAPSHOT_DIR), &data_dir.join(SNAPSHOT_DIR))?;
        linked += l;
        copied += c;
    }
    // The operator's token is not data to roll back: keep the one in use.
    if let Some(aside) = &moved_aside {
        let token = aside.join(crate::operator::TOKEN_FILE);
        if token.exists() {
            let target = data_dir.join(crate::operator::TOKEN_FILE);
            std::fs::copy(&token, &target).map_err(io_error(&token))?;
            copied += 1;
        }
        // The vault key store is this node's current key, not data to roll back. It is
        // moved, never copied: a copy left in the aside folder would keep an epoch key
        // that the node later destroys.
        let keys = aside.join(crate::services::keystore::KEY_STORE_FILE);
        if keys.exists() {
            let target = data_dir.join(crate::services::keystore::KEY_STORE_FILE);
            std::fs::rename(&keys, &target).map_err(io_error(&keys))?;
        }
    }
    // The restored database must open; a failure here is better found now than at start.
    let restored = Store::open(&data_dir.join(DB_DIR))?;
    // The log rolls back, the vote need not: with the replaced database at hand, its
    // newer vote stays, so this member cannot vote twice in one term.
    if let Some(previous) = &previous_db {
        match Store::open_read_only(previous)
            .map_err(BackupError::from)
            .and_then(|old| Ok(truffle_consensus::keep_newer_vote(&old, &restored)?))
        {
            Ok(true) => {
                tracing::info!(target: "backup", "kept the newer Raft vote of the replaced data")
            }
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(target: "backup", %error, "could not read the replaced data's vote; the backup's stands")
            }
        }
    }
    drop(restored);
    tracing::info!(target: "backup", data = %data_dir.display(), height = manifest.height, linked, copied, "backup restored");
    Ok(RestoreReport {
        manifest,
        moved_aside,
        linked,
        copied,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_must_be_absolute_outside_the_data_and_empty() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        assert!(validate_target(Path::new("relative/backup"), &data).is_err());
        assert!(validate_target(&data.join("backup"), &data).is_err());
        assert!(validate_target(&data, &data).is_err());
        assert!(
            validate_target(dir.path(), &data).is_err(),
            "holds the data"
        );
        assert!(validate_target(&dir.path().join("a/../data/x"), &data).is_err());
        let occupied = dir.path().join("occupied");
        std::fs::create_dir_all(&occupied).unwrap();
        std::fs::write(occupied.join("f"), b"x").unwrap();
        assert!(validate_target(&occupied, &data).is_err());
        let empty = dir.path().join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        validate_target(&empty, &data).unwrap();
        validate_target(&dir.path().join("new/backup"), &data).unwrap();
    }

    #[test]
    fn restore_refuses_a_missing_or_damaged_backup() {
        let dir = tempfile::tempdir().unwrap();
        let backup = dir.path().join("backup");
        std::fs::create_dir_all(&backup).unwrap();
        let data = dir.path().join("data");
        let error = restore(&backup, &data, &RestoreOptions::default()).unwrap_err();
        assert!(
            matches!(error, BackupError::InvalidBackup { .. }),
            "{error}"
        );
        std::fs::write(backup.join(MANIFEST_FILE), b"{not json").unwrap();
        let error = restore(&backup, &data, &RestoreOptions::default()).unwrap_err();
        assert!(error.to_string().contains("unreadable"), "{error}");
        assert!(!data.exists(), "nothing was created");
    }
}
