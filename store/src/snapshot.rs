//! State snapshots: a consistent copy of everything replicated, for Raft to send to a
//! node that is too far behind to catch up from the log.
//!
//! The tree is not copied: the receiver rebuilds it from the records and checks that
//! its root equals the state root of the snapshot's head, so a damaged or forged
//! snapshot is refused rather than installed.
//!
//! A snapshot carries the block history and grows with the chain, so it is streamed
//! both ways: written record by record to a file, and read back from one in passes
//! (checksum, then the state records for the root check, then the writes). Only the
//! state records are held in memory at once, because the root needs them all.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use rocksdb::{IteratorMode, WriteBatch};
use truffle_ledger::state::{compute_state_root, StateChanges, Table};

use crate::error::{decode, StoreError, StoreResult};
use crate::{cf, Store};

/// The first bytes of every snapshot file.
pub(crate) const MAGIC: &[u8; 8] = b"TRFSNAP1";
const END: u8 = 0xFF;
const CHECKSUM_LEN: u64 = 32;
/// Writes of an import are cut into batches of about this size, so that importing a
/// long history does not build one batch as large as the history.
const IMPORT_BATCH_BYTES: usize = 8 << 20;
/// Set (in the node-local family) from the wipe that starts an import until its last
/// batch: an import cut short by a crash is found at the next start and done again.
const IMPORT_PENDING: &[u8] = b"snapshot_import_pending";

/// The `meta` entries held in a snapshot: (key, value) pairs.
pub type MetaEntries = Vec<(Vec<u8>, Vec<u8>)>;

/// What an export wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportedSnapshot {
    /// The `meta` entries it holds (the consensus layer reads the Raft position of the
    /// copy from them).
    pub meta: MetaEntries,
    /// Length of the snapshot, trailer included.
    pub len: u64,
    /// blake3 of the whole snapshot, trailer included (names the file).
    pub digest: [u8; 32],
}

/// A snapshot file checked and ready to import: the tree its state records build.
pub struct PreparedImport {
    nodes: jmt::storage::NodeBatch,
    stats: SnapshotStats,
}

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

fn snapshot_io(e: std::io::Error) -> StoreError {
    StoreError::Snapshot(format!("i/o: {e}"))
}

/// A writer that hashes what passes through it: the body checksum covers everything
/// before the trailer, the file digest everything.
struct HashingWriter<W: Write> {
    inner: W,
    body: blake3::Hasher,
    file: blake3::Hasher,
    len: u64,
}

impl<W: Write> HashingWriter<BufWriter<W>> {
    fn new(out: W) -> Self {
        HashingWriter {
            inner: BufWriter::with_capacity(1 << 20, out),
            body: blake3::Hasher::new(),
            file: blake3::Hasher::new(),
            len: 0,
        }
    }
}

impl<W: Write> HashingWriter<W> {
    fn put(&mut self, bytes: &[u8]) -> StoreResult<()> {
        self.body.update(bytes);
        self.file.update(bytes);
        self.len += bytes.len() as u64;
        self.inner.write_all(bytes).map_err(snapshot_io)
    }

    fn put_bytes(&mut self, bytes: &[u8]) -> StoreResult<()> {
        let len = u32::try_from(bytes.len())
            .map_err(|_| StoreError::Snapshot("a record is larger than 4 GiB".into()))?;
        self.put(&len.to_le_bytes())?;
        self.put(bytes)
    }

    /// Appends the body checksum and returns the length and digest of the whole.
    fn finish(mut self) -> StoreResult<(u64, [u8; 32])> {
        let checksum = *self.body.finalize().as_bytes();
        self.file.update(&checksum);
        self.inner.write_all(&checksum).map_err(snapshot_io)?;
        self.inner.flush().map_err(snapshot_io)?;
        Ok((self.len + CHECKSUM_LEN, *self.file.finalize().as_bytes()))
    }
}

/// Reads the records of a snapshot body (after the magic), refusing lengths that run
/// past the body, so a forged length cannot make it allocate more than the file holds.
struct RecordReader<R: Read> {
    inner: R,
    remaining: u64,
    families: usize,
}

/// One record: family id, key, value.
type Record = (usize, Vec<u8>, Vec<u8>);

impl<R: Read> RecordReader<R> {
    fn take(&mut self, len: u64) -> StoreResult<Vec<u8>> {
        if len > self.remaining {
            return Err(StoreError::Snapshot("truncated".into()));
        }
        self.remaining -= len;
        let mut out = vec![0; len as usize];
        self.inner.read_exact(&mut out).map_err(snapshot_io)?;
        Ok(out)
    }

    fn bytes(&mut self) -> StoreResult<Vec<u8>> {
        let len = u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes"));
        self.take(u64::from(len))
    }

    /// The next record, or `None` at the end marker (which must end the body).
    fn next_record(&mut self) -> StoreResult<Option<Record>> {
        let id = self.take(1)?[0];
        if id == END {
            if self.remaining != 0 {
                return Err(StoreError::Snapshot("trailing bytes".into()));
            }
            return Ok(None);
        }
        if id as usize >= self.families {
            return Err(StoreError::Snapshot(format!("unknown family {id}")));
        }
        let key = self.bytes()?;
        let value = self.bytes()?;
        Ok(Some((id as usize, key, value)))
    }
}

/// Opens the snapshot file at `path` and returns it with its length, refusing one too
/// short to hold the magic, the end marker and the checksum.
fn open_snapshot(path: &Path) -> StoreResult<(std::fs::File, u64)> {
    let file = std::fs::File::open(path).map_err(snapshot_io)?;
    let len = file.metadata().map_err(snapshot_io)?.len();
    if len < MAGIC.len() as u64 + 1 + CHECKSUM_LEN {
        return Err(StoreError::Snapshot("not a Truffle snapshot".into()));
    }
    Ok((file, len))
}

/// Opens the snapshot at `path` for a pass over its records.
fn open_records(path: &Path, families: usize) -> StoreResult<RecordReader<impl Read>> {
    let (file, len) = open_snapshot(path)?;
    let mut inner = BufReader::with_capacity(1 << 20, file);
    let mut magic = [0u8; MAGIC.len()];
    inner.read_exact(&mut magic).map_err(snapshot_io)?;
    if &magic != MAGIC {
        return Err(StoreError::Snapshot("not a Truffle snapshot".into()));
    }
    Ok(RecordReader {
        inner,
        remaining: len - MAGIC.len() as u64 - CHECKSUM_LEN,
        families,
    })
}

/// The trailer of a snapshot file whose bytes before the trailer are `body`.
pub(crate) fn snapshot_body_checksum(body: &[u8]) -> [u8; 32] {
    *blake3::hash(body).as_bytes()
}

/// Checks the trailer of the snapshot at `path` against its body, streamed.
fn check_checksum(path: &Path) -> StoreResult<()> {
    let (mut file, len) = open_snapshot(path)?;
    let mut body = blake3::Hasher::new();
    body.update_reader((&mut file).take(len - CHECKSUM_LEN))
        .map_err(snapshot_io)?;
    let mut checksum = [0u8; CHECKSUM_LEN as usize];
    file.read_exact(&mut checksum).map_err(snapshot_io)?;
    if body.finalize().as_bytes() != &checksum {
        return Err(StoreError::Snapshot("checksum mismatch".into()));
    }
    Ok(())
}

/// A record of a snapshot's block history, as [`read_snapshot_history`] hands it over:
/// every header, then every block, then every certificate, each in height order.
#[derive(Debug)]
pub enum HistoryRecord {
    /// A header.
    Header(truffle_ledger::BlockHeader),
    /// A block (header, transactions, receipts).
    Block(truffle_ledger::Block),
    /// A certificate.
    Certificate(truffle_ledger::Certificate),
    /// The snapshot's head (the header its state records must reproduce).
    Head(truffle_ledger::BlockHeader),
}

/// Reads the block history of the snapshot file at `path` (after checking its
/// checksum) without touching any store: a follower checks it against the genesis
/// before it imports the snapshot.
pub fn read_snapshot_history(
    path: &Path,
    mut visit: impl FnMut(HistoryRecord) -> StoreResult<()>,
) -> StoreResult<()> {
    check_checksum(path)?;
    let families = replicated_families();
    let id_of = |name: &str| families.iter().position(|f| f == name).expect("replicated");
    let (headers, blocks, certificates, meta) = (
        id_of(cf::HEADERS),
        id_of(cf::BLOCKS),
        id_of(cf::CERTIFICATES),
        id_of(cf::META),
    );
    let mut records = open_records(path, families.len())?;
    while let Some((id, key, value)) = records.next_record()? {
        if id == meta && key == b"head" {
            visit(HistoryRecord::Head(decode("snapshot head", &value)?))?;
            continue;
        }
        if id == headers {
            visit(HistoryRecord::Header(decode("snapshot header", &value)?))?;
        } else if id == blocks {
            visit(HistoryRecord::Block(decode("snapshot block", &value)?))?;
        } else if id == certificates {
            visit(HistoryRecord::Certificate(decode(
                "snapshot certificate",
                &value,
            )?))?;
        }
    }
    Ok(())
}

/// Copies the snapshot at `src` to `dst`, passing each record's value through `edit`
/// (with its family's name and key), and seals the copy with a fresh checksum. Fault
/// injection uses it to play a validator that serves a forged snapshot whose only tell
/// is the content: the checksum matches, so the state-root and history checks must
/// catch it.
pub fn rewrite_snapshot(
    src: &Path,
    dst: &Path,
    mut edit: impl FnMut(&str, &[u8], &mut Vec<u8>),
) -> StoreResult<()> {
    check_checksum(src)?;
    let families = replicated_families();
    let mut records = open_records(src, families.len())?;
    let mut out = HashingWriter::new(std::fs::File::create(dst).map_err(snapshot_io)?);
    out.put(MAGIC)?;
    while let Some((id, key, mut value)) = records.next_record()? {
        edit(&families[id], &key, &mut value);
        out.put(&[id as u8])?;
        out.put_bytes(&key)?;
        out.put_bytes(&value)?;
    }
    out.put(&[END])?;
    out.finish()?;
    Ok(())
}

impl Store {
    /// Deletes `meta` entries (a follower node drops the Raft position a validator's
    /// snapshot carries: it is no Raft member).
    pub fn delete_meta(&self, keys: &[&[u8]]) -> StoreResult<()> {
        let mut batch = WriteBatch::default();
        for key in keys {
            batch.delete_cf(self.family(cf::META), key);
        }
        self.write(batch, true)
    }

    /// Whether a snapshot import was cut short (the replicated data is then partly
    /// wiped, and the import must be done again before the store is used).
    pub fn snapshot_import_pending(&self) -> StoreResult<bool> {
        Ok(self.local_get(IMPORT_PENDING)?.is_some())
    }

    /// Writes a consistent copy of the replicated data to `out`, record by record.
    pub fn export_snapshot_to(&self, out: impl Write) -> StoreResult<ExportedSnapshot> {
        let snapshot = self.db.snapshot();
        let mut out = HashingWriter::new(out);
        out.put(MAGIC)?;
        let mut meta = Vec::new();
        for (id, name) in replicated_families().iter().enumerate() {
            for item in snapshot.iterator_cf(self.family(name), IteratorMode::Start) {
                let (key, value) = item?;
                if name == cf::META {
                    meta.push((key.to_vec(), value.to_vec()));
                }
                out.put(&[id as u8])?;
                out.put_bytes(&key)?;
                out.put_bytes(&value)?;
            }
        }
        out.put(&[END])?;
        let (len, digest) = out.finish()?;
        Ok(ExportedSnapshot { meta, len, digest })
    }

    /// Checks the snapshot file at `path` without touching the store: its checksum, and
    /// that its state records reproduce the state root of its head. The tree it builds
    /// is kept for [`Store::apply_snapshot_import`].
    pub fn prepare_snapshot_import(&self, path: &Path) -> StoreResult<PreparedImport> {
        check_checksum(path)?;
        let families = replicated_families();
        let meta_id = families
            .iter()
            .position(|f| f == cf::META)
            .expect("meta is replicated");
        let mut records = open_records(path, families.len())?;
        let mut changes = StateChanges::new();
        let mut head = None;
        let mut count = 0u64;
        while let Some((id, key, value)) = records.next_record()? {
            count += 1;
            if let Some(table) = Table::ALL.get(id) {
                let mut full = Vec::with_capacity(key.len() + 1);
                full.push(*table as u8);
                full.extend_from_slice(&key);
                changes.insert(full, Some(value));
            } else if id == meta_id && key == b"head" {
                head = Some(decode::<truffle_ledger::BlockHeader>(
                    "snapshot head",
                    &value,
                )?);
            }
        }
        let head = head.ok_or_else(|| StoreError::Snapshot("no head".into()))?;
        let empty = truffle_ledger::state::MemoryStore::new();
        let (root, tree) = compute_state_root(&empty, &changes, head.height)?;
        if root != head.state_root {
            return Err(StoreError::Snapshot(format!(
                "records give state root {root}, the head says {}",
                head.state_root
            )));
        }
        Ok(PreparedImport {
            nodes: tree.node_batch,
            stats: SnapshotStats {
                records: count,
                height: head.height,
            },
        })
    }

    /// Replaces the replicated data and the tree with those of the snapshot file at
    /// `path`, checked by [`Store::prepare_snapshot_import`] (from the same file).
    /// Written in batches; [`Store::snapshot_import_pending`] tells whether a crash cut
    /// it short.
    pub fn apply_snapshot_import(
        &self,
        prepared: PreparedImport,
        path: &Path,
    ) -> StoreResult<SnapshotStats> {
        let families = replicated_families();
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
        batch.put_cf(self.family(cf::LOCAL), IMPORT_PENDING, []);
        self.write(batch, true)?;
        let mut records = open_records(path, families.len())?;
        let mut batch = WriteBatch::default();
        let mut count = 0u64;
        while let Some((id, key, value)) = records.next_record()? {
            count += 1;
            batch.put_cf(self.family(&families[id]), key, value);
            if batch.size_in_bytes() >= IMPORT_BATCH_BYTES {
                self.write(std::mem::take(&mut batch), false)?;
            }
        }
        if count != prepared.stats.records {
            // The file changed between the passes; the marker stays set, so the import
            // is done again (from a file that is checked again) at the next start.
            return Err(StoreError::Snapshot(
                "the snapshot file changed while it was imported".into(),
            ));
        }
        self.stage_nodes(&mut batch, &prepared.nodes);
        batch.delete_cf(self.family(cf::LOCAL), IMPORT_PENDING);
        self.write(batch, true)?;
        Ok(prepared.stats)
    }
}
