//! The Raft log: opaque entries by index, and the Raft metadata (vote, committed and
//! purged positions). Appends and truncations are synced before they return: Raft may
//! only count an entry as stored once it is on disk.

use rocksdb::{Direction, IteratorMode, WriteBatch};

use crate::error::StoreResult;
use crate::{cf, Store};

/// An inclusive range of log indexes held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RaftLogRange {
    /// First index held.
    pub first: u64,
    /// Last index held.
    pub last: u64,
}

impl Store {
    /// Appends entries (index, bytes) and syncs.
    pub fn raft_append(
        &self,
        entries: impl IntoIterator<Item = (u64, Vec<u8>)>,
    ) -> StoreResult<()> {
        self.write(self.raft_append_batch(entries), true)
    }

    /// Appends entries (index, bytes), readable at once, durable after the next
    /// [`Store::sync`] (or any synced write).
    pub fn raft_append_unsynced(
        &self,
        entries: impl IntoIterator<Item = (u64, Vec<u8>)>,
    ) -> StoreResult<()> {
        self.write(self.raft_append_batch(entries), false)
    }

    fn raft_append_batch(&self, entries: impl IntoIterator<Item = (u64, Vec<u8>)>) -> WriteBatch {
        let family = self.family(cf::RAFT_LOG);
        let mut batch = WriteBatch::default();
        for (index, bytes) in entries {
            batch.put_cf(family, index.to_be_bytes(), bytes);
        }
        batch
    }

    /// Entries with `start <= index < end`, in order.
    pub fn raft_entries(&self, start: u64, end: u64) -> StoreResult<Vec<(u64, Vec<u8>)>> {
        let from = start.to_be_bytes();
        let mode = IteratorMode::From(&from, Direction::Forward);
        let mut out = Vec::new();
        for item in self.db.iterator_cf(self.family(cf::RAFT_LOG), mode) {
            let (key, value) = item?;
            let index = u64::from_be_bytes(key.as_ref().try_into().expect("log keys are u64"));
            if index >= end {
                break;
            }
            out.push((index, value.to_vec()));
        }
        Ok(out)
    }

    /// The last entry, if any.
    pub fn raft_last_entry(&self) -> StoreResult<Option<(u64, Vec<u8>)>> {
        let mut iter = self
            .db
            .iterator_cf(self.family(cf::RAFT_LOG), IteratorMode::End);
        match iter.next() {
            Some(item) => {
                let (key, value) = item?;
                let index = u64::from_be_bytes(key.as_ref().try_into().expect("log keys are u64"));
                Ok(Some((index, value.to_vec())))
            }
            None => Ok(None),
        }
    }

    /// The range of indexes held.
    pub fn raft_range(&self) -> StoreResult<Option<RaftLogRange>> {
        let mut first = self
            .db
            .iterator_cf(self.family(cf::RAFT_LOG), IteratorMode::Start);
        let Some(item) = first.next() else {
            return Ok(None);
        };
        let (key, _) = item?;
        let first = u64::from_be_bytes(key.as_ref().try_into().expect("log keys are u64"));
        let last = self.raft_last_entry()?.map(|(i, _)| i).unwrap_or(first);
        Ok(Some(RaftLogRange { first, last }))
    }

    /// Deletes entries from `index` on (conflicting entries), and syncs.
    pub fn raft_truncate_from(&self, index: u64) -> StoreResult<()> {
        let mut batch = WriteBatch::default();
        batch.delete_range_cf(
            self.family(cf::RAFT_LOG),
            index.to_be_bytes(),
            u64::MAX.to_be_bytes(),
        );
        batch.delete_cf(self.family(cf::RAFT_LOG), u64::MAX.to_be_bytes());
        self.write(batch, true)
    }

    /// Deletes entries up to and including `index` and records `meta` in the same batch.
    pub fn raft_purge_upto(&self, index: u64, meta: (&[u8], Vec<u8>)) -> StoreResult<()> {
        let mut batch = WriteBatch::default();
        batch.delete_range_cf(
            self.family(cf::RAFT_LOG),
            0u64.to_be_bytes(),
            (index + 1).to_be_bytes(),
        );
        batch.put_cf(self.family(cf::RAFT_META), meta.0, meta.1);
        self.write(batch, true)
    }

    /// Reads a Raft metadata entry.
    pub fn raft_meta_get(&self, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.db.get_cf(self.family(cf::RAFT_META), key)?)
    }

    /// Writes a Raft metadata entry, synced.
    pub fn raft_meta_put(&self, key: &[u8], value: Vec<u8>) -> StoreResult<()> {
        self.raft_meta_write(key, value, true)
    }

    /// Writes a Raft metadata entry, durable after the next [`Store::sync`] (or any synced
    /// write): for positions that may be lost with the log entries written before them.
    pub fn raft_meta_put_unsynced(&self, key: &[u8], value: Vec<u8>) -> StoreResult<()> {
        self.raft_meta_write(key, value, false)
    }

    fn raft_meta_write(&self, key: &[u8], value: Vec<u8>, sync: bool) -> StoreResult<()> {
        let mut batch = WriteBatch::default();
        batch.put_cf(self.family(cf::RAFT_META), key, value);
        self.write(batch, sync)
    }

    /// Deletes a Raft metadata entry, synced.
    pub fn raft_meta_delete(&self, key: &[u8]) -> StoreResult<()> {
        let mut batch = WriteBatch::default();
        batch.delete_cf(self.family(cf::RAFT_META), key);
        self.write(batch, true)
    }
}
