//! State snapshots: a consistent copy of everything replicated, for Raft to send to a
//! node that is too far behind to catch up from the log.
//!
//! The tree is not copied: the receiver rebuilds it from the records and checks that
//! its root equals the state root of the snapshot's head, so a damaged or forged
//! snapshot is refused rather than installed.

use rocksdb::{IteratorMode, WriteBatch};
use truffle_ledger::state::{compute_state_root, StateChanges, Table};

use crate::error::{decode, StoreError, StoreResult};
use crate::{cf, Store};

const MAGIC: &[u8; 8] = b"TRFSNAP1";

/// The `meta` entries held in a snapshot: (key, value) pairs.
pub type MetaEntries = Vec<(Vec<u8>, Vec<u8>)>;
const END: u8 = 0xFF;

/// What an import wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapshotStats {
    /// Records written.
    pub records: u64,
    /// Height of the snapshot's head.
    pub height: u64,
}

fn replicated_families() -> Vec<String> {
    let mut names: Vec<String> = Table::ALL.iter().map(|t| cf::state(*t)).collect();
    names.extend(
        [
            cf::HEADERS,
            cf::BLOCKS,
            cf::CERTIFICATES,
            cf::TX_INDEX,
            cf::META,
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    names
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> StoreResult<&'a [u8]> {
        let end = self
            .at
            .checked_add(len)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| StoreError::Snapshot("truncated".into()))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }
    fn bytes(&mut self) -> StoreResult<&'a [u8]> {
        let len = u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes"));
        self.take(len as usize)
    }
}

impl Store {
    /// A consistent copy of the replicated data, and the `meta` entries it holds (the
    /// consensus layer reads the Raft position of the copy from them).
    pub fn export_snapshot(&self) -> StoreResult<(Vec<u8>, MetaEntries)> {
        let snapshot = self.db.snapshot();
        let mut out = MAGIC.to_vec();
        let mut meta = Vec::new();
        for (id, name) in replicated_families().iter().enumerate() {
            for item in snapshot.iterator_cf(self.family(name), IteratorMode::Start) {
                let (key, value) = item?;
                if name == cf::META {
                    meta.push((key.to_vec(), value.to_vec()));
                }
                out.push(id as u8);
                put_bytes(&mut out, &key);
                put_bytes(&mut out, &value);
            }
        }
        out.push(END);
        let checksum = blake3::hash(&out);
        out.extend_from_slice(checksum.as_bytes());
        Ok((out, meta))
    }

    /// Replaces the replicated data and the tree with the snapshot's, after checking it.
    pub fn import_snapshot(&self, bytes: &[u8]) -> StoreResult<SnapshotStats> {
        if bytes.len() < MAGIC.len() + 33 || &bytes[..MAGIC.len()] != MAGIC {
            return Err(StoreError::Snapshot("not a Truffle snapshot".into()));
        }
        let (body, checksum) = bytes.split_at(bytes.len() - 32);
        if blake3::hash(body).as_bytes() != checksum {
            return Err(StoreError::Snapshot("checksum mismatch".into()));
        }
        let families = replicated_families();
        let mut reader = Reader {
            bytes: body,
            at: MAGIC.len(),
        };
        let mut entries: Vec<(usize, &[u8], &[u8])> = Vec::new();
        loop {
            let id = reader.take(1)?[0];
            if id == END {
                break;
            }
            if id as usize >= families.len() {
                return Err(StoreError::Snapshot(format!("unknown family {id}")));
            }
            let key = reader.bytes()?;
            let value = reader.bytes()?;
            entries.push((id as usize, key, value));
        }
        if reader.at != body.len() {
            return Err(StoreError::Snapshot("trailing bytes".into()));
        }

        // Rebuild the tree from the state records before touching the database, and
        // refuse the snapshot unless it reproduces the head's state root.
        let meta_id = families
            .iter()
            .position(|f| f == cf::META)
            .expect("meta is replicated");
        let head_bytes = entries
            .iter()
            .find(|(id, key, _)| *id == meta_id && *key == b"head")
            .map(|(_, _, value)| *value)
            .ok_or_else(|| StoreError::Snapshot("no head".into()))?;
        let head: truffle_ledger::BlockHeader = decode("snapshot head", head_bytes)?;
        let mut changes = StateChanges::new();
        for (id, key, value) in &entries {
            if let Some(table) = Table::ALL.get(*id) {
                let mut full = Vec::with_capacity(key.len() + 1);
                full.push(*table as u8);
                full.extend_from_slice(key);
                changes.insert(full, Some(value.to_vec()));
            }
        }
        let empty = truffle_ledger::state::MemoryStore::new();
        let (root, tree) = compute_state_root(&empty, &changes, head.height)?;
        if root != head.state_root {
            return Err(StoreError::Snapshot(format!(
                "records give state root {root}, the head says {}",
                head.state_root
            )));
        }

        let mut batch = WriteBatch::default();
        let wipe_from: &[u8] = &[];
        let wipe_to: &[u8] = &[0xFFu8; 128];
        for name in families.iter().map(String::as_str).chain([
            cf::TREE_NODES,
            cf::TREE_VALUES,
            cf::TREE_STALE,
        ]) {
            batch.delete_range_cf(self.family(name), wipe_from, wipe_to);
        }
        self.write(batch, false)?;
        let mut batch = WriteBatch::default();
        for (id, key, value) in &entries {
            batch.put_cf(self.family(&families[*id]), key, value);
        }
        self.stage_nodes(&mut batch, &tree.node_batch);
        self.write(batch, true)?;
        Ok(SnapshotStats {
            records: entries.len() as u64,
            height: head.height,
        })
    }
}
