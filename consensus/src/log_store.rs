//! openraft's log storage over the node's RocksDB.
//!
//! Every append, truncation and purge is synced before openraft is told it happened
//! (the 0.9 RocksDB example reports appends flushed before syncing; that loses
//! acknowledged entries on power loss). Entries are framed by hand: the log id and
//! membership as JSON (rare, small), the application payload as raw bytes.

use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};

use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{AnyError, EntryPayload, RaftLogReader, StorageIOError};
use truffle_store::Store;

use crate::types::{Command, Entry, LogId, StorageError, TypeConfig, Vote};

const VOTE_KEY: &[u8] = b"vote";
const COMMITTED_KEY: &[u8] = b"committed";
const PURGED_KEY: &[u8] = b"purged";

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

/// Decodes an entry written by [`encode_entry`].
pub(crate) fn decode_entry(bytes: &[u8]) -> Result<Entry, String> {
    let len_bytes: [u8; 4] = bytes
        .get(..4)
        .ok_or("short entry")?
        .try_into()
        .expect("4 bytes");
    let len = u32::from_le_bytes(len_bytes) as usize;
    let log_id_bytes = bytes.get(4..4 + len).ok_or("short entry")?;
    let log_id: LogId = serde_json::from_slice(log_id_bytes).map_err(|e| e.to_string())?;
    let tag = *bytes.get(4 + len).ok_or("short entry")?;
    let body = &bytes[5 + len..];
    let payload = match tag {
        0 => EntryPayload::Blank,
        1 => EntryPayload::Normal(Command(body.to_vec())),
        2 => EntryPayload::Membership(serde_json::from_slice(body).map_err(|e| e.to_string())?),
        other => return Err(format!("unknown entry tag {other}")),
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
}

impl LogStore {
    /// The log in `store`.
    pub fn new(store: Store) -> LogStore {
        LogStore { store }
    }

    fn read_json<T: serde::de::DeserializeOwned>(
        &self,
        key: &[u8],
    ) -> Result<Option<T>, StorageError> {
        match self.store.raft_meta_get(key).map_err(read_error)? {
            Some(bytes) => Ok(Some(serde_json::from_slice(&bytes).map_err(read_error)?)),
            None => Ok(None),
        }
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
            .map_err(|e| StorageIOError::write_vote(AnyError::error(e.to_string())).into())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote>, StorageError> {
        self.read_json(VOTE_KEY)
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        let bytes = serde_json::to_vec(&committed).expect("log ids serialize");
        self.store
            .raft_meta_put(COMMITTED_KEY, bytes)
            .map_err(write_error)
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
        // raft_append writes one batch and syncs it; only then is the flush reported.
        let result = self.store.raft_append(rows);
        match result {
            Ok(()) => {
                callback.log_io_completed(Ok(()));
                Ok(())
            }
            Err(e) => {
                callback.log_io_completed(Err(std::io::Error::other(e.to_string())));
                Err(write_error(e))
            }
        }
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        self.store
            .raft_truncate_from(log_id.index)
            .map_err(write_error)
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        let bytes = serde_json::to_vec(&log_id).expect("log ids serialize");
        self.store
            .raft_purge_upto(log_id.index, (PURGED_KEY, bytes))
            .map_err(write_error)
    }
}
