//! openraft's state machine: applies committed entries to the ledger in RocksDB.
//!
//! A block entry is executed by the ledger and written, with the Raft position it
//! came from, in one atomic batch; a crash between entries replays from the right
//! place. Snapshots are the store's export of everything replicated, kept on disk so a
//! restarted leader can still send one.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use openraft::storage::{RaftStateMachine, Snapshot, SnapshotMeta};
use openraft::{AnyError, EntryPayload, RaftSnapshotBuilder, StorageIOError};
use tokio::io::AsyncWriteExt;
use tokio::sync::broadcast;
use truffle_ledger::{
    execute_block_with, genesis_block, Block, GenesisState, LedgerError, Signatures,
};
use truffle_store::Store;

use crate::types::{
    node_id_of, AppCommand, ApplyResponse, Entry, LogId, NodeId, SnapshotData, StorageError,
    StoredMembership, TypeConfig, ValidatorNode,
};

const APPLIED_KEY: &[u8] = b"raft_applied";
const MEMBERSHIP_KEY: &[u8] = b"raft_membership";

/// The `meta` keys of the Raft position a snapshot carries: a follower node, which is no
/// Raft member, deletes them after importing a validator's snapshot.
pub const RAFT_POSITION_KEYS: [&[u8]; 2] = [APPLIED_KEY, MEMBERSHIP_KEY];

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
    fn apply(&self, store: &Store, command: &[u8]) -> Result<ServiceOutcome, ServiceError>;
}

/// Why a service command was refused: the same on every node, so nothing is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// The command did not decode.
    #[error("bad service command: {0}")]
    Malformed(String),
    /// No feature applies commands with this first byte.
    #[error("no feature applies service commands tagged {0}")]
    UnknownTag(u8),
    /// Stored service data did not decode.
    #[error("corrupt service data: {0}")]
    Corrupt(String),
    /// The store could not be read.
    #[error("service data unreadable: {0}")]
    Store(String),
}

impl From<truffle_store::StoreError> for ServiceError {
    fn from(error: truffle_store::StoreError) -> Self {
        ServiceError::Store(error.to_string())
    }
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
/// so it is written to a file as it is built or received, and read from its file when a
/// follower needs it.
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

    /// Where a snapshot is written while it is built.
    fn building_path(&self) -> PathBuf {
        self.dir.join("building.snap")
    }

    /// Where a snapshot is written while it is received from the leader.
    fn receiving_path(&self) -> PathBuf {
        self.dir.join("receiving.snap")
    }

    /// The current snapshot's data file.
    fn data_path(&self) -> PathBuf {
        self.dir.join(SNAPSHOT_FILES[0])
    }

    /// Makes the finished data file `data` the current snapshot, with `meta` (data
    /// first, then meta; each synced and renamed into place).
    fn replace(&self, meta: &Meta, data: &std::path::Path) -> std::io::Result<()> {
        std::fs::File::open(data)?.sync_all()?;
        let meta_tmp = self.dir.join(format!("{}.tmp", SNAPSHOT_FILES[1]));
        std::fs::write(
            &meta_tmp,
            serde_json::to_vec(meta).expect("snapshot meta serializes"),
        )?;
        std::fs::File::open(&meta_tmp)?.sync_all()?;
        // Under the lock, so that a reader never pairs one snapshot's meta with
        // another's data.
        let mut current = self.current.lock().expect("snapshot lock poisoned");
        std::fs::rename(data, self.data_path())?;
        std::fs::rename(&meta_tmp, self.dir.join(SNAPSHOT_FILES[1]))?;
        *current = Some(meta.clone());
        Ok(())
    }

    /// The current snapshot's meta, and its data file opened for reading.
    fn current(&self) -> std::io::Result<Option<(Meta, std::fs::File)>> {
        let current = self.current.lock().expect("snapshot lock poisoned");
        match current.as_ref() {
            Some(meta) => Ok(Some((meta.clone(), std::fs::File::open(self.data_path())?))),
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
        let snapshots = SnapshotFiles::open(snapshot_dir)?;
        if store.snapshot_import_pending()? {
            // A crash cut an import short: the replicated data is partly wiped. The
            // snapshot was made current before the import began, so do it again.
            let Some((meta, _)) = snapshots.current()? else {
                return Err(crate::ConsensusError::Raft(
                    "an interrupted snapshot import has no snapshot to finish from".into(),
                ));
            };
            let data = snapshots.data_path();
            let prepared = store.prepare_snapshot_import(&data)?;
            let stats = import_snapshot(&store, prepared, &data, &meta)?;
            tracing::warn!(target: "consensus::sm", height = stats.height, "interrupted snapshot import finished");
        }
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

    /// Records an entry as applied without effect.
    fn skip(&self, log_id: &LogId) -> Result<ApplyResponse, StorageError> {
        self.store
            .put_meta(&[Self::applied_meta(log_id)])
            .map_err(sm_write_error)?;
        Ok(ApplyResponse::default())
    }

    /// Applies committed entries in order: blocks are executed, the rest recorded.
    fn apply_entries(
        &mut self,
        entries: impl IntoIterator<Item = Entry>,
    ) -> Result<Vec<ApplyResponse>, StorageError> {
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
                        self.skip(&log_id)?
                    }
                },
            };
            responses.push(response);
        }
        Ok(responses)
    }

    fn apply_command(
        &mut self,
        log_id: &LogId,
        command: AppCommand,
    ) -> Result<ApplyResponse, StorageError> {
        match command {
            AppCommand::Block(proposal) => {
                // The proposer must be the validator that leads the entry's term: a
                // leader cannot pass its block off as another validator's.
                if node_id_of(&proposal.proposer) != log_id.leader_id.node_id {
                    tracing::warn!(target: "consensus::sm", index = log_id.index, proposer = %proposal.proposer, leader = log_id.leader_id.node_id, "block proposal refused: the proposer does not lead the term");
                    return self.skip(log_id);
                }
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
                let executed = match execute_block_with(&self.store, &head, &proposal, signatures) {
                    Ok(executed) => executed,
                    // A block rule broken (size, time, proposer): every node refuses
                    // the same entry, which leaves no block, only its position.
                    Err(LedgerError::InvalidProposal(error)) => {
                        tracing::warn!(target: "consensus::sm", index = log_id.index, %error, "block proposal refused");
                        return self.skip(log_id);
                    }
                    Err(error) => return Err(sm_write_error(error)),
                };
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
        // Executing blocks is the heaviest work on the consensus runtime: off its worker.
        crate::runtime::run_blocking(|| self.apply_entries(entries))
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        SnapshotBuilder {
            store: self.store.clone(),
            snapshots: self.snapshots.clone(),
        }
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<SnapshotData>, StorageError> {
        let file = tokio::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(self.snapshots.receiving_path())
            .await
            .map_err(snapshot_error)?;
        Ok(Box::new(file))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<NodeId, ValidatorNode>,
        mut snapshot: Box<SnapshotData>,
    ) -> Result<(), StorageError> {
        // tokio's file finishes a write in the background: wait for the last one.
        snapshot.flush().await.map_err(snapshot_error)?;
        drop(snapshot);
        let receiving = self.snapshots.receiving_path();
        let prepared = self
            .store
            .prepare_snapshot_import(&receiving)
            .map_err(snapshot_error)?;
        // Current before the import starts, so that a crash during the import can
        // finish it from this file at the next start.
        self.snapshots
            .replace(meta, &receiving)
            .map_err(snapshot_error)?;
        let data = self.snapshots.data_path();
        let stats =
            crate::runtime::run_blocking(|| import_snapshot(&self.store, prepared, &data, meta))
                .map_err(snapshot_error)?;
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
            .map(|(meta, file)| Snapshot {
                meta,
                snapshot: Box::new(tokio::fs::File::from_std(file)),
            }))
    }
}

/// Imports the checked snapshot file `data` into `store` and records the Raft position
/// `meta` names. The snapshot's own meta entries say where it was taken; openraft's meta
/// is authoritative for the Raft position, so that is what is recorded.
fn import_snapshot(
    store: &Store,
    prepared: truffle_store::PreparedImport,
    data: &std::path::Path,
    meta: &Meta,
) -> Result<truffle_store::SnapshotStats, crate::ConsensusError> {
    let stats = store.apply_snapshot_import(prepared, data)?;
    let applied = serde_json::to_vec(&meta.last_log_id).expect("log ids serialize");
    let membership = serde_json::to_vec(&meta.last_membership).expect("memberships serialize");
    store.put_meta(&[(APPLIED_KEY, applied), (MEMBERSHIP_KEY, membership)])?;
    Ok(stats)
}

/// Builds snapshots from a consistent view of the store.
#[derive(Clone)]
pub struct SnapshotBuilder {
    store: Store,
    snapshots: SnapshotFiles,
}

impl SnapshotBuilder {
    /// Writes the snapshot to its file and makes it current (blocking: it reads the
    /// whole store).
    fn build_blocking(&self) -> Result<Meta, crate::ConsensusError> {
        let building = self.snapshots.building_path();
        let exported = self
            .store
            .export_snapshot_to(std::fs::File::create(&building)?)?;
        let find = |key: &[u8]| {
            exported
                .meta
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        let unreadable = |e: serde_json::Error| {
            crate::ConsensusError::Raft(format!("unreadable Raft position in the store: {e}"))
        };
        let last_log_id: Option<LogId> = match find(APPLIED_KEY) {
            Some(bytes) => serde_json::from_slice(&bytes).map_err(unreadable)?,
            None => None,
        };
        let last_membership: StoredMembership = match find(MEMBERSHIP_KEY) {
            Some(bytes) => serde_json::from_slice(&bytes).map_err(unreadable)?,
            None => StoredMembership::default(),
        };
        // The log up to this point is about to be purged: make the state durable first.
        self.store.sync()?;
        let snapshot_id = format!(
            "{}-{}",
            last_log_id.map(|l| l.index).unwrap_or(0),
            &truffle_ledger::Hash(exported.digest).to_hex()[..16]
        );
        let meta = SnapshotMeta {
            last_log_id,
            last_membership,
            snapshot_id,
        };
        self.snapshots.replace(&meta, &building)?;
        if let Some(log_id) = last_log_id {
            tracing::info!(target: "consensus::sm", index = log_id.index, bytes = exported.len, "snapshot built");
        }
        Ok(meta)
    }
}

impl RaftSnapshotBuilder<TypeConfig> for SnapshotBuilder {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError> {
        let builder = self.clone();
        // A thread of its own, at low CPU priority: every node builds at the same log
        // index, and the build reads the whole store; on shared cores it must not
        // delay the blocks being committed meanwhile.
        let (done, built) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("snapshot-build".into())
            .spawn(move || {
                if let Err(error) = crate::runtime::lower_thread_priority() {
                    tracing::debug!(target: "consensus::sm", %error, "snapshot thread keeps its priority");
                }
                let _ = done.send(builder.build_blocking());
            })
            .map_err(snapshot_error)?;
        let meta = built
            .await
            .map_err(|_| snapshot_error("the snapshot thread stopped"))?
            .map_err(snapshot_error)?;
        let file = tokio::fs::File::open(self.snapshots.data_path())
            .await
            .map_err(snapshot_error)?;
        Ok(Snapshot {
            meta,
            snapshot: Box::new(file),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn meta(id: &str) -> Meta {
        SnapshotMeta {
            last_log_id: None,
            last_membership: StoredMembership::default(),
            snapshot_id: id.into(),
        }
    }

    /// Writes `bytes` as a finished data file and makes it current.
    fn save(files: &SnapshotFiles, meta: &Meta, bytes: &[u8]) {
        std::fs::write(files.building_path(), bytes).unwrap();
        files.replace(meta, &files.building_path()).unwrap();
    }

    fn current_bytes(files: &SnapshotFiles) -> Option<(Meta, Vec<u8>)> {
        files.current().unwrap().map(|(meta, mut file)| {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut file, &mut bytes).unwrap();
            (meta, bytes)
        })
    }

    /// A backup keeps a snapshot pair only when the data is the one the meta names.
    #[test]
    fn snapshot_files_are_checked_as_a_pair() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(check_snapshot_files(dir.path()).unwrap(), None);
        let files = SnapshotFiles::open(dir.path().to_path_buf()).unwrap();
        let id = |bytes: &[u8]| format!("7-{}", &truffle_ledger::Hash::of(bytes).to_hex()[..16]);
        save(&files, &meta(&id(b"first")), b"first");
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
        save(&files, &meta("a"), b"first");
        assert_eq!(current_bytes(&files), Some((meta("a"), b"first".to_vec())));
        // A reader holding the old file keeps reading the old data after a replace.
        let (_, mut old) = files.current().unwrap().unwrap();
        save(&files, &meta("b"), b"second");
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut old, &mut bytes).unwrap();
        assert_eq!(bytes, b"first");
        let reopened = SnapshotFiles::open(dir.path().to_path_buf()).unwrap();
        assert_eq!(
            current_bytes(&reopened),
            Some((meta("b"), b"second".to_vec()))
        );
        assert!(!files.building_path().exists());
    }

    struct NoService;
    impl ServiceApplier for NoService {
        fn apply(&self, _: &Store, _: &[u8]) -> Result<ServiceOutcome, ServiceError> {
            Err(ServiceError::UnknownTag(0))
        }
    }

    fn genesis() -> GenesisState {
        use truffle_ledger::types::{ChainParams, Validator};
        GenesisState {
            chain_id: truffle_ledger::Hash::of(b"sm-test"),
            time_ms: 1_000,
            params: ChainParams::default(),
            admins: vec![truffle_ledger::Keypair::from_name("admin").public()],
            validators: vec![Validator {
                key: truffle_ledger::Keypair::from_name("validator-0").public(),
                name: "v0".into(),
                p2p_address: "/ip4/127.0.0.1/tcp/1".into(),
                since_height: 0,
            }],
        }
    }

    /// A state machine over a fresh store in `dir` (store, snapshots).
    pub(crate) fn open_machine(dir: &std::path::Path) -> (Store, StateMachine) {
        let store = Store::open(&dir.join("db")).unwrap();
        let (events, _) = broadcast::channel(16);
        let machine = StateMachine::open(
            store.clone(),
            &genesis(),
            dir.join("snapshots"),
            Arc::new(NoService),
            events,
            crate::VerifiedSignatures::new(1_000),
        )
        .unwrap();
        (store, machine)
    }

    /// Block entries registering `count` members, from log index `first`.
    pub(crate) fn block_entries(first: u64, count: u64) -> Vec<Entry> {
        let registrar = truffle_ledger::Keypair::from_name("validator-0");
        (0..count)
            .map(|n| {
                let nonce = first + n - 1;
                let tx = truffle_ledger::Transaction {
                    chain_id: genesis().chain_id,
                    signer: registrar.public(),
                    nonce,
                    payload: truffle_ledger::Payload::RegisterAccount {
                        account: truffle_ledger::Keypair::from_name(&format!("m-{nonce}")).public(),
                        role: truffle_ledger::types::Role::Member,
                        adult: false,
                    },
                }
                .sign(&registrar);
                let proposal = truffle_ledger::BlockProposal {
                    proposer: registrar.public(),
                    time_ms: 2_000 + nonce,
                    transactions: vec![tx],
                };
                block_entry(first + n, proposal)
            })
            .collect()
    }

    /// An entry at `index` of a term led by the proposal's proposer.
    fn block_entry(index: u64, proposal: truffle_ledger::BlockProposal) -> Entry {
        let leader = crate::types::node_id_of(&proposal.proposer);
        Entry {
            log_id: LogId::new(openraft::CommittedLeaderId::new(1, leader), index),
            payload: EntryPayload::Normal(crate::types::Command::new(&AppCommand::Block(proposal))),
        }
    }

    /// Entries that break a block rule are refused alike on every node: no block, the
    /// position applied, and the next valid entry applies on top of the same head.
    #[tokio::test]
    async fn proposals_breaking_block_rules_leave_no_block() {
        let dir = tempfile::tempdir().unwrap();
        let (store, mut machine) = open_machine(dir.path());
        let leader = truffle_ledger::Keypair::from_name("validator-0");
        let empty = |time_ms| truffle_ledger::BlockProposal {
            proposer: leader.public(),
            time_ms,
            transactions: vec![],
        };
        // Block 1 (free of the time step), then the refused ones on top of it.
        let first = block_entry(1, empty(2_000));
        // Proposed in the name of a validator that does not lead the term.
        let mut impostor = block_entry(2, empty(2_000));
        impostor.log_id.leader_id.node_id ^= 1;
        // A time beyond the genesis step after the parent's.
        let step = truffle_ledger::types::DEFAULT_MAX_BLOCK_TIME_STEP_MS;
        let far_future = block_entry(3, empty(2_000 + step + 1));
        // A proposer outside the validator set, leading the term.
        let mut stranger = empty(2_000);
        stranger.proposer = truffle_ledger::Keypair::from_name("stranger").public();
        let stranger = block_entry(4, stranger);
        let valid = block_entry(5, empty(2_000 + step));
        let responses = machine
            .apply(vec![first, impostor, far_future, stranger, valid])
            .await
            .unwrap();
        let heights: Vec<Option<u64>> = responses.iter().map(|r| r.height).collect();
        assert_eq!(heights, [Some(1), None, None, None, Some(2)]);
        let head = store.head().unwrap().unwrap();
        assert_eq!((head.height, head.time_ms), (2, 2_000 + step));
        let (applied, _) = machine.applied_state().await.unwrap();
        assert_eq!(applied.map(|l| l.index), Some(5));
    }

    /// A snapshot built to a file on one node is received in chunks by another, which
    /// installs it and ends with the same head; an import cut short by a crash is
    /// finished when the state machine is opened again.
    #[tokio::test]
    async fn snapshots_stream_through_files_and_interrupted_imports_finish() {
        use tokio::io::{AsyncReadExt, AsyncSeekExt};
        let source_dir = tempfile::tempdir().unwrap();
        let (source_store, mut source) = open_machine(source_dir.path());
        source.apply(block_entries(1, 30)).await.unwrap();
        let head = source_store.head().unwrap().unwrap();
        assert_eq!(head.height, 30);
        let built = source
            .get_snapshot_builder()
            .await
            .build_snapshot()
            .await
            .unwrap();
        assert_eq!(built.meta.last_log_id.map(|l| l.index), Some(30));
        assert_eq!(
            check_snapshot_files(&source_dir.path().join("snapshots")).unwrap(),
            Some(30)
        );

        // Sent in 1 KiB chunks, as openraft does: seek, write.
        let mut sent = source.get_current_snapshot().await.unwrap().unwrap();
        let mut data = Vec::new();
        sent.snapshot.read_to_end(&mut data).await.unwrap();
        assert!(data.len() > 4 * 1024, "several chunks: {}", data.len());
        let target_dir = tempfile::tempdir().unwrap();
        let (target_store, mut target) = open_machine(target_dir.path());
        let mut receiving = target.begin_receiving_snapshot().await.unwrap();
        for (n, chunk) in data.chunks(1024).enumerate() {
            receiving
                .seek(std::io::SeekFrom::Start(n as u64 * 1024))
                .await
                .unwrap();
            receiving.write_all(chunk).await.unwrap();
        }
        target
            .install_snapshot(&sent.meta, receiving)
            .await
            .unwrap();
        assert_eq!(target_store.head().unwrap().unwrap(), head);
        let (applied, _) = target.applied_state().await.unwrap();
        assert_eq!(applied.map(|l| l.index), Some(30));
        assert_eq!(applied_log_index(&target_store).unwrap(), Some(30));
        // The received snapshot is the target's current one, byte for byte.
        let mut kept = target.get_current_snapshot().await.unwrap().unwrap();
        let mut kept_bytes = Vec::new();
        kept.snapshot.read_to_end(&mut kept_bytes).await.unwrap();
        assert_eq!(kept_bytes, data);

        // A crash part-way through an import: the writes stop (here: checked against
        // the current snapshot, written from a shorter one) with the data wiped.
        let short_dir = tempfile::tempdir().unwrap();
        let (short_store, mut short) = open_machine(short_dir.path());
        short.apply(block_entries(1, 3)).await.unwrap();
        let short_file = short_dir.path().join("short.snap");
        short_store
            .export_snapshot_to(std::fs::File::create(&short_file).unwrap())
            .unwrap();
        let current = target_dir.path().join("snapshots").join(SNAPSHOT_FILES[0]);
        let prepared = target_store.prepare_snapshot_import(&current).unwrap();
        assert!(target_store
            .apply_snapshot_import(prepared, &short_file)
            .is_err());
        assert!(target_store.snapshot_import_pending().unwrap());
        drop((target, target_store));
        let (reopened_store, mut reopened) = open_machine(target_dir.path());
        assert!(!reopened_store.snapshot_import_pending().unwrap());
        assert_eq!(reopened_store.head().unwrap().unwrap(), head);
        let (applied, _) = reopened.applied_state().await.unwrap();
        assert_eq!(applied.map(|l| l.index), Some(30));
    }
}
