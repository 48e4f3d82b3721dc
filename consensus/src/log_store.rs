//! openraft's log storage over the node's RocksDB.
//!
//! Every append, truncation and purge is synced before openraft is told it happened
//! (the 0.9 RocksDB example reports appends flushed before syncing; that loses
//! acknowledged entries on power loss). Appends are group-committed: `append` writes
//! the entries (readable at once, as openraft requires) and returns; a syncer thread
//! syncs the write-ahead log once for all the appends queued meanwhile and only then
//! reports them flushed, so Raft keeps replicating while the disk syncs. Truncations,
//! purges and votes are synced before they return; the committed position is not (it
//! reaches the disk with the next sync). Entries are framed by hand: the log
//! id and membership as JSON (rare, small), the application payload as raw bytes.

use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};

use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{AnyError, EntryPayload, RaftLogReader, StorageIOError};
use truffle_store::Store;

use crate::types::{Command, Entry, LogId, StorageError, TypeConfig, Vote};

const VOTE_KEY: &[u8] = b"vote";
const COMMITTED_KEY: &[u8] = b"committed";
const PURGED_KEY: &[u8] = b"purged";

/// The index up to which the log in `store` is purged (behind a snapshot), if any.
pub fn purged_log_index(store: &Store) -> Result<Option<u64>, crate::ConsensusError> {
    match store.raft_meta_get(PURGED_KEY)? {
        Some(bytes) => {
            let log_id: LogId = serde_json::from_slice(&bytes).map_err(|e| {
                crate::ConsensusError::Raft(format!("unreadable purged log id: {e}"))
            })?;
            Ok(Some(log_id.index))
        }
        None => Ok(None),
    }
}

/// Copies the vote stored in `old` into `restored` when it is newer (a higher term, or
/// the same term decided): a member restored from a backup must not vote again in a
/// term it already voted in. Returns whether it copied.
pub fn keep_newer_vote(old: &Store, restored: &Store) -> Result<bool, crate::ConsensusError> {
    let read = |store: &Store| -> Result<Option<Vote>, crate::ConsensusError> {
        match store.raft_meta_get(VOTE_KEY)? {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| crate::ConsensusError::Raft(format!("unreadable vote: {e}"))),
            None => Ok(None),
        }
    };
    let Some(previous) = read(old)? else {
        return Ok(false);
    };
    let newer = match read(restored)? {
        None => true,
        Some(current) => previous > current,
    };
    if newer {
        let bytes = serde_json::to_vec(&previous).expect("votes serialize");
        restored.raft_meta_put(VOTE_KEY, bytes)?;
    }
    Ok(newer)
}

/// Encodes an entry for the log.
pub(crate) fn encode_entry(entry: &Entry) -> Vec<u8> {
    let log_id = serde_json::to_vec(&entry.log_id).expect("log ids serialize");
    let mut out = Vec::with_capacity(16 + log_id.len());
    out.extend_from_slice(&(log_id.len() as u32).to_le_bytes());
    out.extend_from_slice(&log_id);
    match &entry.payload {
        EntryPayload::Blank => out.push(0),
        EntryPayload::Normal(command) => {
            out.push(1);
            out.extend_from_slice(&command.0);
        }
        EntryPayload::Membership(membership) => {
            out.push(2);
            out.extend_from_slice(&serde_json::to_vec(membership).expect("memberships serialize"));
        }
    }
    out
}

/// Why a stored log entry does not decode (the log is corrupt).
#[derive(Debug, thiserror::Error)]
pub(crate) enum EntryError {
    /// Shorter than its header says.
    #[error("short entry")]
    Short,
    /// Its log id or membership is not the JSON written.
    #[error("entry does not decode: {0}")]
    Json(#[from] serde_json::Error),
    /// An entry kind this code never writes.
    #[error("unknown entry tag {0}")]
    UnknownTag(u8),
}

/// Decodes an entry written by [`encode_entry`].
pub(crate) fn decode_entry(bytes: &[u8]) -> Result<Entry, EntryError> {
    let len_bytes: [u8; 4] = bytes
        .get(..4)
        .ok_or(EntryError::Short)?
        .try_into()
        .expect("4 bytes");
    let len = u32::from_le_bytes(len_bytes) as usize;
    let log_id_bytes = bytes.get(4..4 + len).ok_or(EntryError::Short)?;
    let log_id: LogId = serde_json::from_slice(log_id_bytes)?;
    let tag = *bytes.get(4 + len).ok_or(EntryError::Short)?;
    let body = &bytes[5 + len..];
    let payload = match tag {
        0 => EntryPayload::Blank,
        1 => EntryPayload::Normal(Command(body.to_vec())),
        2 => EntryPayload::Membership(serde_json::from_slice(body)?),
        other => return Err(EntryError::UnknownTag(other)),
    };
    Ok(Entry { log_id, payload })
}

fn read_error(e: impl ToString) -> StorageError {
    StorageIOError::read_logs(AnyError::error(e.to_string())).into()
}

fn write_error(e: impl ToString) -> StorageError {
    StorageIOError::write_logs(AnyError::error(e.to_string())).into()
}

/// The Raft log.
#[derive(Clone, Debug)]
pub struct LogStore {
    store: Store,
    syncer: WalSyncer,
}

/// Reports appends flushed: after one write-ahead-log sync per group of them (a thread),
/// or when the owner of a [`ManualSync`] says the disk synced.
///
/// Each queued append carries its own handle on the database, so the thread holds the
/// database only while it syncs: once the log is dropped, the database can be reopened.
#[derive(Clone)]
enum WalSyncer {
    Thread(std::sync::mpsc::Sender<(Store, LogFlushed<TypeConfig>)>),
    Manual(ManualSync),
}

impl Debug for WalSyncer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WalSyncer")
    }
}

impl WalSyncer {
    /// Starts the syncer thread; it ends when the last [`LogStore`] clone is dropped.
    fn start() -> WalSyncer {
        let (queue, pending) = std::sync::mpsc::channel::<(Store, LogFlushed<TypeConfig>)>();
        std::thread::Builder::new()
            .name("raft-log-sync".into())
            .spawn(move || {
                while let Ok((store, first)) = pending.recv() {
                    // Everything queued before this sync is covered by it: the log is
                    // one sequential file.
                    let rest = pending.try_iter().map(|(_, callback)| callback);
                    let group: Vec<_> = std::iter::once(first).chain(rest).collect();
                    let synced = store.sync();
                    drop(store);
                    for callback in group {
                        callback.log_io_completed(
                            synced
                                .as_ref()
                                .map(|_| ())
                                .map_err(|e| std::io::Error::other(e.to_string())),
                        );
                    }
                }
            })
            .expect("the log syncer thread starts");
        WalSyncer::Thread(queue)
    }
}

/// Appends that wait for a sync their owner performs, for a deterministic simulation:
/// it decides when the disk syncs (no thread races the simulated clock), and a crash
/// loses what was never synced, as a power cut loses unsynced writes.
#[derive(Clone)]
pub struct ManualSync {
    store: Store,
    /// Waiting appends, in order: first log index, whether a later synced write made
    /// it durable already (the log is one sequential file), and the callback.
    pending: std::sync::Arc<std::sync::Mutex<Vec<Waiting>>>,
}

/// An append waiting for [`ManualSync::sync`]: (first index, durable, callback).
type Waiting = (u64, bool, LogFlushed<TypeConfig>);

impl Debug for ManualSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManualSync")
            .field("pending", &self.waiting())
            .finish()
    }
}

impl ManualSync {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Waiting>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends waiting for a sync.
    pub fn waiting(&self) -> usize {
        self.lock().len()
    }

    /// Syncs the log and reports every waiting append flushed; returns how many.
    pub fn sync(&self) -> usize {
        let group = std::mem::take(&mut *self.lock());
        let synced = self.store.sync();
        let count = group.len();
        for (_, _, callback) in group {
            callback.log_io_completed(
                synced
                    .as_ref()
                    .map(|_| ())
                    .map_err(|e| std::io::Error::other(e.to_string())),
            );
        }
        count
    }

    /// The node crashes: the waiting appends are never reported, and the lowest log
    /// index among those no synced write covered is returned (the disk may lose it and
    /// every entry after it).
    pub fn crash(&self) -> Option<u64> {
        let group = std::mem::take(&mut *self.lock());
        group
            .iter()
            .filter(|(_, durable, _)| !durable)
            .map(|(index, _, _)| *index)
            .min()
    }

    /// A synced write went to the log's file: every append before it is durable.
    fn synced_write(&self) {
        for waiting in self.lock().iter_mut() {
            waiting.1 = true;
        }
    }
}

/// After a simulated power cut that lost the log from index `first_lost` on: the
/// committed position, written after those entries, is lost with them when it names one.
pub fn forget_committed_from(store: &Store, first_lost: u64) -> Result<(), StorageError> {
    let committed = read_meta_json::<Option<LogId>>(store, COMMITTED_KEY)?.flatten();
    if committed.is_some_and(|id| id.index >= first_lost) {
        store.raft_meta_delete(COMMITTED_KEY).map_err(write_error)?;
    }
    Ok(())
}

impl LogStore {
    /// The log in `store`.
    pub fn new(store: Store) -> LogStore {
        let syncer = WalSyncer::start();
        LogStore { store, syncer }
    }

    /// The log in `store`, whose appends are reported flushed only when the returned
    /// [`ManualSync`] syncs (deterministic simulation).
    pub fn with_manual_sync(store: Store) -> (LogStore, ManualSync) {
        let manual = ManualSync {
            store: store.clone(),
            pending: Default::default(),
        };
        let log = LogStore {
            store,
            syncer: WalSyncer::Manual(manual.clone()),
        };
        (log, manual)
    }

    /// A synced write went to the log's file (see [`ManualSync`]).
    fn synced_write(&self) {
        if let WalSyncer::Manual(manual) = &self.syncer {
            manual.synced_write();
        }
    }

    fn read_json<T: serde::de::DeserializeOwned>(
        &self,
        key: &[u8],
    ) -> Result<Option<T>, StorageError> {
        read_meta_json(&self.store, key)
    }
}

/// A Raft metadata entry of `store`, decoded from its JSON.
fn read_meta_json<T: serde::de::DeserializeOwned>(
    store: &Store,
    key: &[u8],
) -> Result<Option<T>, StorageError> {
    match store.raft_meta_get(key).map_err(read_error)? {
        Some(bytes) => Ok(Some(serde_json::from_slice(&bytes).map_err(read_error)?)),
        None => Ok(None),
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + Send>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, StorageError> {
        let start = match range.start_bound() {
            Bound::Included(x) => *x,
            Bound::Excluded(x) => x + 1,
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(x) => x.saturating_add(1),
            Bound::Excluded(x) => *x,
            Bound::Unbounded => u64::MAX,
        };
        // A read failure of the log is fatal for the node (openraft #1795 is not in 0.9):
        // the error goes to openraft, which stops the node rather than serving a gap.
        let rows = self.store.raft_entries(start, end).map_err(read_error)?;
        rows.iter()
            .map(|(_, bytes)| decode_entry(bytes).map_err(read_error))
            .collect()
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError> {
        let last_purged_log_id: Option<LogId> = self.read_json(PURGED_KEY)?;
        let last = self.store.raft_last_entry().map_err(read_error)?;
        let last_log_id = match last {
            Some((_, bytes)) => Some(decode_entry(&bytes).map_err(read_error)?.log_id),
            None => last_purged_log_id,
        };
        Ok(LogState {
            last_purged_log_id,
            last_log_id,
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote) -> Result<(), StorageError> {
        let bytes = serde_json::to_vec(vote).expect("votes serialize");
        self.store
            .raft_meta_put(VOTE_KEY, bytes)
            .map_err(|e| StorageIOError::write_vote(AnyError::error(e.to_string())))?;
        self.synced_write();
        Ok(())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote>, StorageError> {
        self.read_json(VOTE_KEY)
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        // Not synced: openraft calls this in its core task at every commit, and a synced
        // write there held the core for as long as the disk took (hundreds of ms on a
        // loaded machine, long enough for a follower to call an election). The position
        // is only a hint for re-applying after a restart; it reaches the disk with the
        // next synced append, and if a crash loses it, it is lost together with the
        // entries appended before it, which the state machine had not applied.
        let bytes = serde_json::to_vec(&committed).expect("log ids serialize");
        self.store
            .raft_meta_put_unsynced(COMMITTED_KEY, bytes)
            .map_err(write_error)?;
        Ok(())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, StorageError> {
        Ok(self.read_json::<Option<LogId>>(COMMITTED_KEY)?.flatten())
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = Entry> + Send,
        I::IntoIter: Send,
    {
        let rows: Vec<(u64, Vec<u8>)> = entries
            .into_iter()
            .map(|entry| (entry.log_id.index, encode_entry(&entry)))
            .collect();
        let first = rows.first().map_or(u64::MAX, |(index, _)| *index);
        // One batch, written but not yet synced; the syncer reports the flush.
        match self.store.raft_append_unsynced(rows) {
            Ok(()) => match &self.syncer {
                // The syncer lives as long as any clone of this log, so the queue is open.
                WalSyncer::Thread(queue) => queue
                    .send((self.store.clone(), callback))
                    .map_err(|_| write_error("the log syncer stopped")),
                WalSyncer::Manual(manual) => {
                    manual.lock().push((first, false, callback));
                    Ok(())
                }
            },
            Err(e) => {
                callback.log_io_completed(Err(std::io::Error::other(e.to_string())));
                Err(write_error(e))
            }
        }
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        self.store
            .raft_truncate_from(log_id.index)
            .map_err(write_error)?;
        self.synced_write();
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let bytes = serde_json::to_vec(&log_id).expect("log ids serialize");
        self.store
            .raft_purge_upto(log_id.index, (PURGED_KEY, bytes))
            .map_err(write_error)?;
        self.synced_write();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use openraft::storage::RaftLogStorageExt;
    use openraft::{CommittedLeaderId, LogId};

    use super::*;

    fn entry(index: u64) -> Entry {
        Entry {
            log_id: LogId::new(CommittedLeaderId::new(1, 0), index),
            payload: EntryPayload::Normal(Command(index.to_le_bytes().to_vec())),
        }
    }

    /// Waits (boundedly) for an append to be reported flushed.
    async fn flushed(append: impl std::future::Future<Output = Result<(), StorageError>>) {
        tokio::time::timeout(std::time::Duration::from_secs(10), append)
            .await
            .expect("the append is reported flushed")
            .unwrap();
    }

    /// A restored database takes the newer vote of the one it replaces, never an older one.
    #[tokio::test]
    async fn restores_keep_the_newer_vote() {
        use openraft::storage::RaftLogStorage;
        let dir = tempfile::tempdir().unwrap();
        let old = Store::open(&dir.path().join("old")).unwrap();
        let restored = Store::open(&dir.path().join("restored")).unwrap();
        assert!(
            !keep_newer_vote(&old, &restored).unwrap(),
            "nothing to keep"
        );
        let mut restored_log = LogStore::new(restored.clone());
        restored_log.save_vote(&Vote::new(3, 1)).await.unwrap();
        let mut old_log = LogStore::new(old.clone());
        old_log.save_vote(&Vote::new(2, 1)).await.unwrap();
        assert!(
            !keep_newer_vote(&old, &restored).unwrap(),
            "older: kept out"
        );
        old_log.save_vote(&Vote::new(5, 2)).await.unwrap();
        assert!(keep_newer_vote(&old, &restored).unwrap());
        assert_eq!(
            restored_log.read_vote().await.unwrap(),
            Some(Vote::new(5, 2))
        );
    }

    /// Appends are readable when `append` returns, reported flushed by the syncer, and
    /// still there when the database is reopened after the log is dropped.
    #[tokio::test]
    async fn group_committed_appends_are_readable_flushed_and_durable() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut log = LogStore::new(Store::open(dir.path()).unwrap());
            let mut reader = log.get_log_reader().await;
            for index in 1..=50 {
                flushed(log.blocking_append([entry(index)])).await;
                let read = reader.try_get_log_entries(index..=index).await.unwrap();
                assert_eq!(read, [entry(index)]);
            }
            // Several appends queued at once are flushed by one sync, in order.
            let many: Vec<_> = (51..=80).map(entry).collect();
            flushed(log.blocking_append(many)).await;
        }
        let mut log = LogStore::new(Store::open(dir.path()).expect("the database reopens"));
        let all = log.try_get_log_entries(1..=80).await.unwrap();
        assert_eq!(all, (1..=80).map(entry).collect::<Vec<_>>());
        let state = log.get_log_state().await.unwrap();
        assert_eq!(state.last_log_id.map(|id| id.index), Some(80));
    }

    /// The committed position is no synced write: appends waiting for a manual sync stay
    /// undurable after it, and a power cut that loses the log from an index on loses a
    /// committed position at or past it, keeping one before it.
    #[tokio::test]
    async fn the_committed_position_is_lost_with_the_entries_before_it() {
        use openraft::storage::RaftLogStorage;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (mut log, manual) = LogStore::with_manual_sync(store.clone());
        // The append is reported flushed only at a manual sync, which never comes.
        let mut appending = log.clone();
        let append = tokio::spawn(async move { appending.blocking_append([entry(1)]).await });
        for _ in 0..1_000 {
            if manual.waiting() == 1 {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(manual.waiting(), 1, "the append waits for a sync");
        log.save_committed(Some(entry(1).log_id)).await.unwrap();
        assert_eq!(
            manual.crash(),
            Some(1),
            "saving the committed position did not make the append durable"
        );
        append.abort();
        assert_eq!(log.read_committed().await.unwrap(), Some(entry(1).log_id));

        forget_committed_from(&store, 2).unwrap();
        assert_eq!(
            log.read_committed().await.unwrap(),
            Some(entry(1).log_id),
            "a position before the lost entries is kept"
        );
        forget_committed_from(&store, 1).unwrap();
        assert_eq!(log.read_committed().await.unwrap(), None);
    }
}
