//! openraft's state machine: applies committed entries to the ledger in RocksDB.
//!
//! A block entry is executed by the ledger and written, with the Raft position it
//! came from, in one atomic batch; a crash between entries replays from the right
//! place. Snapshots are the store's export of everything replicated, kept on disk so a
//! restarted leader can still send one.

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use openraft::storage::{RaftStateMachine, Snapshot, SnapshotMeta};
use openraft::{AnyError, EntryPayload, RaftSnapshotBuilder, StorageIOError};
use tokio::sync::broadcast;
use truffle_ledger::{execute_block_with, genesis_block, Block, GenesisState, Signatures};
use truffle_store::Store;

use crate::types::{
    AppCommand, ApplyResponse, Entry, LogId, NodeId, StorageError, StoredMembership, TypeConfig,
    ValidatorNode,
};

const APPLIED_KEY: &[u8] = b"raft_applied";
const MEMBERSHIP_KEY: &[u8] = b"raft_membership";

/// The files of the current snapshot inside the snapshot folder: data, then meta.
pub const SNAPSHOT_FILES: [&str; 2] = ["current.snap", "current.meta"];

/// The last log index applied to the state in `store`, if any.
pub fn applied_log_index(store: &Store) -> Result<Option<u64>, crate::ConsensusError> {
    match store.get_meta(APPLIED_KEY)? {
        Some(bytes) => {
            let log_id: Option<LogId> = serde_json::from_slice(&bytes).map_err(|e| {
                crate::ConsensusError::Raft(format!("unreadable applied log id: {e}"))
            })?;
            Ok(log_id.map(|l| l.index))
        }
        None => Ok(None),
    }
}

/// Checks the snapshot files in `dir` belong together (the data hashes to what the
/// meta's id names: the files are replaced one after the other, so a copy taken
/// meanwhile could pair one snapshot's meta with another's data) and returns the log
/// index the snapshot covers. `None` when `dir` holds no snapshot.
pub fn check_snapshot_files(dir: &std::path::Path) -> Result<Option<u64>, crate::ConsensusError> {
    let [data_name, meta_name] = SNAPSHOT_FILES;
    let (data_path, meta_path) = (dir.join(data_name), dir.join(meta_name));
    if !data_path.exists() && !meta_path.exists() {
        return Ok(None);
    }
    let meta: Meta = serde_json::from_slice(&std::fs::read(&meta_path)?)
        .map_err(|e| crate::ConsensusError::Raft(format!("unreadable snapshot meta: {e}")))?;
    // Streamed: the snapshot carries the block history and grows with the chain.
    let digest = truffle_ledger::Hash::of_reader(std::fs::File::open(&data_path)?)?.to_hex();
    match meta.snapshot_id.split_once('-') {
        Some((_, prefix)) if digest.starts_with(prefix) && !prefix.is_empty() => {}
        _ => {
            return Err(crate::ConsensusError::Raft(format!(
                "snapshot data does not match its meta (id {})",
                meta.snapshot_id
            )))
        }
    }
    Ok(Some(meta.last_log_id.map(|l| l.index).unwrap_or(0)))
}

/// What the state machine tells the rest of the node.
#[derive(Clone, Debug)]
pub enum LedgerEvent {
    /// A block was applied.
    Block(Arc<Block>),
    /// A snapshot replaced the state; read models must rebuild from the store.
    SnapshotInstalled {
        /// Height of the snapshot's head.
        height: u64,
    },
    /// The replicated service data changed.
    ServiceApplied {
        /// Log index of the entry.
        log_index: u64,
    },
}

/// Applies service commands: replicated, erasable data that is not part of the
/// ledger's history (members' encrypted personal data, sessions). Must be
/// deterministic: every node applies the same commands in the same order.
pub trait ServiceApplier: Send + Sync + 'static {
    /// Computes the changes to the service family for `command`, and an answer for
    /// the proposer. An error refuses the command on every node alike.
    fn apply(&self, store: &Store, command: &[u8]) -> Result<ServiceOutcome, String>;
}

/// What a service command does.
#[derive(Clone, Debug, Default)]
pub struct ServiceOutcome {
    /// Key changes in the service family (`None` deletes).
    pub changes: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// Answer for the proposer.
    pub response: Vec<u8>,
}

fn sm_write_error(e: impl ToString) -> StorageError {
    StorageIOError::write_state_machine(AnyError::error(e.to_string())).into()
}

fn sm_read_error(e: impl ToString) -> StorageError {
    StorageIOError::read_state_machine(AnyError::error(e.to_string())).into()
}

fn snapshot_error(e: impl ToString) -> StorageError {
    StorageIOError::write_snapshot(None, AnyError::error(e.to_string())).into()
}

/// What openraft knows of a snapshot.
type Meta = SnapshotMeta<NodeId, ValidatorNode>;

/// Snapshots kept on disk: `current.snap` and `current.meta` in one folder. Only the
/// meta stays in memory: the data grows with the chain (it carries the block history),
/// and is read from the file when a follower needs it.
#[derive(Clone, Debug)]
struct SnapshotFiles {
    dir: PathBuf,
    current: Arc<Mutex<Option<Meta>>>,
}

impl SnapshotFiles {
    fn open(dir: PathBuf) -> std::io::Result<SnapshotFiles> {
        std::fs::create_dir_all(&dir)?;
        let meta_path = dir.join(SNAPSHOT_FILES[1]);
        let current = if meta_path.exists() && dir.join(SNAPSHOT_FILES[0]).exists() {
            Some(
                serde_json::from_slice(&std::fs::read(&meta_path)?)
                    .map_err(std::io::Error::other)?,
            )
        } else {
            None
        };
        Ok(SnapshotFiles {
            dir,
            current: Arc::new(Mutex::new(current)),
        })
    }

    /// Replaces the current snapshot (data first, then meta; each synced and renamed).
    fn save(
        &self,
        meta: &SnapshotMeta<NodeId, ValidatorNode>,
        bytes: &[u8],
    ) -> std::io::Result<()> {
        let write = |name: &str, bytes: &[u8]| -> std::io::Result<()> {
            let tmp = self.dir.join(format!("{name}.tmp"));
            std::fs::write(&tmp, bytes)?;
            std::fs::File::open(&tmp)?.sync_all()?;
            std::fs::rename(&tmp, self.dir.join(name))
        };
        // Under the lock, so that a reader never pairs one snapshot's meta with
        // another's data.
        let mut current = self.current.lock().expect("snapshot lock poisoned");
        let [data_name, meta_name] = SNAPSHOT_FILES;
        write(data_name, bytes)?;
        write(
            meta_name,
            &serde_json::to_vec(meta).expect("snapshot meta serializes"),
        )?;
        *current = Some(meta.clone());
        Ok(())
    }

    /// The current snapshot's meta and data, read from disk.
    fn current(&self) -> std::io::Result<Option<(Meta, Vec<u8>)>> {
        let current = self.current.lock().expect("snapshot lock poisoned");
        match current.as_ref() {
            Some(meta) => Ok(Some((
                meta.clone(),
                std::fs::read(self.dir.join(SNAPSHOT_FILES[0]))?,
            ))),
            None => Ok(None),
        }
    }
}

/// The ledger as openraft's state machine.
pub struct StateMachine {
    store: Store,
    verified: crate::VerifiedSignatures,
    events: broadcast::Sender<LedgerEvent>,
    service: Arc<dyn ServiceApplier>,
    snapshots: SnapshotFiles,
}

impl StateMachine {
    /// Opens the state machine over `store`, writing the genesis block if the store is
    /// new, and keeping snapshots in `snapshot_dir`.
    pub fn open(
        store: Store,
        genesis: &GenesisState,
        snapshot_dir: PathBuf,
        service: Arc<dyn ServiceApplier>,
        events: broadcast::Sender<LedgerEvent>,
        verified: crate::VerifiedSignatures,
    ) -> Result<StateMachine, crate::ConsensusError> {
        match store.head()? {
            Some(head) if head.chain_id != genesis.chain_id => {
                return Err(crate::ConsensusError::WrongChain {
                    stored: head.chain_id,
                    genesis: genesis.chain_id,
                })
            }
            Some(_) => {}
            None => {
                let executed = genesis_block(&store, genesis)?;
                store.commit_block(&executed, &[])?;
            }
        }
        let snapshots = SnapshotFiles::open(snapshot_dir)?;
        Ok(StateMachine {
            store,
            verified,
            events,
            service,
            snapshots,
        })
    }

    fn applied_meta(log_id: &LogId) -> (&'static [u8], Vec<u8>) {
        (
            APPLIED_KEY,
            serde_json::to_vec(&Some(*log_id)).expect("log ids serialize"),
        )
    }

    fn apply_command(
        &mut self,
        log_id: &LogId,
        command: AppCommand,
    ) -> Result<ApplyResponse, StorageError> {
        match command {
            AppCommand::Block(proposal) => {
                let head = self
                    .store
                    .head()
                    .map_err(sm_read_error)?
                    .ok_or_else(|| sm_read_error("no genesis block"))?;
                // The leader verified (at ingress) every transaction it proposes: it need
                // not do it again. Followers verified those submitted to them, and
                // verify the rest in one batch.
                let known = self.verified.known(&proposal.transactions);
                let signatures = if known.iter().all(|&k| k) {
                    Signatures::AllVerifiedStrictly
                } else if known.iter().any(|&k| k) {
                    Signatures::PartlyVerifiedStrictly(known)
                } else {
                    Signatures::Verify
                };
                let span = tracing::debug_span!(
                    target: "consensus::sm",
                    "apply",
                    index = log_id.index,
                    height = head.height + 1
                );
                let _entered = span.enter();
                let executed = execute_block_with(&self.store, &head, &proposal, signatures)
                    .map_err(sm_write_error)?;
                if tracing::enabled!(target: "consensus::sm", tracing::Level::TRACE) {
                    for receipt in &executed.block.receipts {
                        tracing::trace!(target: "consensus::sm", tx = %receipt.tx_hash, applied = receipt.is_applied(), "executed");
                    }
                }
                tracing::debug!(
                    target: "consensus::sm",
                    txs = executed.block.receipts.len(),
                    rejected = executed.block.receipts.iter().filter(|r| !r.is_applied()).count(),
                    "block applied"
                );
                self.store
                    .commit_block(&executed, &[Self::applied_meta(log_id)])
                    .map_err(sm_write_error)?;
                let height = executed.block.header.height;
                let _ = self
                    .events
                    .send(LedgerEvent::Block(Arc::new(executed.block)));
                Ok(ApplyResponse {
                    height: Some(height),
                    service: Vec::new(),
                })
            }
            AppCommand::Service(bytes) => {
                let outcome = match self.service.apply(&self.store, &bytes) {
                    Ok(outcome) => outcome,
                    Err(reason) => {
                        tracing::debug!(target: "consensus::sm", %reason, "service command refused");
                        ServiceOutcome {
                            changes: Vec::new(),
                            response: Vec::new(),
                        }
                    }
                };
                self.store
                    .service_write(&outcome.changes, &[Self::applied_meta(log_id)])
                    .map_err(sm_write_error)?;
                let _ = self.events.send(LedgerEvent::ServiceApplied {
                    log_index: log_id.index,
                });
                Ok(ApplyResponse {
                    height: None,
                    service: outcome.response,
                })
            }
        }
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = SnapshotBuilder;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, StoredMembership), StorageError> {
        let applied: Option<LogId> =
            match self.store.get_meta(APPLIED_KEY).map_err(sm_read_error)? {
                Some(bytes) => serde_json::from_slice(&bytes).map_err(sm_read_error)?,
                None => None,
            };
        let membership: StoredMembership =
            match self.store.get_meta(MEMBERSHIP_KEY).map_err(sm_read_error)? {
                Some(bytes) => serde_json::from_slice(&bytes).map_err(sm_read_error)?,
                None => StoredMembership::default(),
            };
        Ok((applied, membership))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<ApplyResponse>, StorageError>
    where
        I: IntoIterator<Item = Entry> + Send,
        I::IntoIter: Send,
    {
        let mut responses = Vec::new();
        for entry in entries {
            let log_id = entry.log_id;
            let response = match entry.payload {
                EntryPayload::Blank => {
                    self.store
                        .put_meta(&[Self::applied_meta(&log_id)])
                        .map_err(sm_write_error)?;
                    ApplyResponse::default()
                }
                EntryPayload::Membership(membership) => {
                    let stored = StoredMembership::new(Some(log_id), membership);
                    let bytes = serde_json::to_vec(&stored).expect("memberships serialize");
                    self.store
                        .put_meta(&[Self::applied_meta(&log_id), (MEMBERSHIP_KEY, bytes)])
                        .map_err(sm_write_error)?;
                    ApplyResponse::default()
                }
                EntryPayload::Normal(command) => match command.decode() {
                    Ok(command) => self.apply_command(&log_id, command)?,
                    Err(error) => {
                        // Every node decodes the same bytes the same way, so skipping
                        // is deterministic; the entry leaves no trace but its position.
                        tracing::warn!(target: "consensus::sm", index = log_id.index, %error, "undecodable entry skipped");
                        self.store
                            .put_meta(&[Self::applied_meta(&log_id)])
                            .map_err(sm_write_error)?;
                        ApplyResponse::default()
                    }
                },
            };
            responses.push(response);
        }
        Ok(responses)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        SnapshotBuilder {
            store: self.store.clone(),
            snapshots: self.snapshots.clone(),
        }
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageError> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<NodeId, ValidatorNode>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError> {
        let bytes = snapshot.into_inner();
        let stats = self.store.import_snapshot(&bytes).map_err(snapshot_error)?;
        // The snapshot's own meta entries say where it was taken; openraft's meta is
        // authoritative for the Raft position, so record that.
        let applied = serde_json::to_vec(&meta.last_log_id).expect("log ids serialize");
        let membership = serde_json::to_vec(&meta.last_membership).expect("memberships serialize");
        self.store
            .put_meta(&[(APPLIED_KEY, applied), (MEMBERSHIP_KEY, membership)])
            .map_err(snapshot_error)?;
        self.snapshots.save(meta, &bytes).map_err(snapshot_error)?;
        drop(bytes);
        tracing::info!(target: "consensus::sm", height = stats.height, records = stats.records, "snapshot installed");
        let _ = self.events.send(LedgerEvent::SnapshotInstalled {
            height: stats.height,
        });
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<TypeConfig>>, StorageError> {
        Ok(self
            .snapshots
            .current()
            .map_err(snapshot_error)?
            .map(|(meta, bytes)| Snapshot {
                meta,
                snapshot: Box::new(Cursor::new(bytes)),
            }))
    }
}

/// Builds snapshots from a consistent view of the store.
pub struct SnapshotBuilder {
    store: Store,
    snapshots: SnapshotFiles,
}

impl RaftSnapshotBuilder<TypeConfig> for SnapshotBuilder {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError> {
        let (bytes, meta_entries) = self.store.export_snapshot().map_err(snapshot_error)?;
        let find = |key: &[u8]| {
            meta_entries
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        let last_log_id: Option<LogId> = match find(APPLIED_KEY) {
            Some(bytes) => serde_json::from_slice(&bytes).map_err(snapshot_error)?,
            None => None,
        };
        let last_membership: StoredMembership = match find(MEMBERSHIP_KEY) {
            Some(bytes) => serde_json::from_slice(&bytes).map_err(snapshot_error)?,
            None => StoredMembership::default(),
        };
        // The log up to this point is about to be purged: make the state durable first.
        self.store.sync().map_err(snapshot_error)?;
        let snapshot_id = format!(
            "{}-{}",
            last_log_id.map(|l| l.index).unwrap_or(0),
            truffle_ledger::Hash::of(&bytes).to_hex()[..16].to_owned()
        );
        let meta = SnapshotMeta {
            last_log_id,
            last_membership,
            snapshot_id,
        };
        self.snapshots.save(&meta, &bytes).map_err(snapshot_error)?;
        if let Some(log_id) = last_log_id {
            tracing::info!(target: "consensus::sm", index = log_id.index, bytes = bytes.len(), "snapshot built");
        }
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(bytes)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(id: &str) -> Meta {
        SnapshotMeta {
            last_log_id: None,
            last_membership: StoredMembership::default(),
            snapshot_id: id.into(),
        }
    }

    /// A backup keeps a snapshot pair only when the data is the one the meta names.
    #[test]
    fn snapshot_files_are_checked_as_a_pair() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(check_snapshot_files(dir.path()).unwrap(), None);
        let files = SnapshotFiles::open(dir.path().to_path_buf()).unwrap();
        let id = |bytes: &[u8]| format!("7-{}", &truffle_ledger::Hash::of(bytes).to_hex()[..16]);
        files.save(&meta(&id(b"first")), b"first").unwrap();
        assert_eq!(check_snapshot_files(dir.path()).unwrap(), Some(0));
        // Data of one snapshot with the meta of another: refused.
        std::fs::write(dir.path().join(SNAPSHOT_FILES[0]), b"second").unwrap();
        assert!(check_snapshot_files(dir.path()).is_err());
        std::fs::remove_file(dir.path().join(SNAPSHOT_FILES[0])).unwrap();
        assert!(
            check_snapshot_files(dir.path()).is_err(),
            "meta without data"
        );
    }

    /// The data lives in the file (read on demand), the meta in memory, and both
    /// survive reopening.
    #[test]
    fn snapshot_files_keep_the_data_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let files = SnapshotFiles::open(dir.path().to_path_buf()).unwrap();
        assert!(files.current().unwrap().is_none());
        files.save(&meta("a"), b"first").unwrap();
        assert_eq!(
            files.current().unwrap(),
            Some((meta("a"), b"first".to_vec()))
        );
        files.save(&meta("b"), b"second").unwrap();
        let reopened = SnapshotFiles::open(dir.path().to_path_buf()).unwrap();
        assert_eq!(
            reopened.current().unwrap(),
            Some((meta("b"), b"second".to_vec()))
        );
        assert_eq!(
            std::fs::read(dir.path().join("current.snap")).unwrap(),
            b"second"
        );
    }
}
