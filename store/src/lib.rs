//! RocksDB storage of a Truffle node.
//!
//! One database per node holds everything that must survive a crash, in column
//! families named in [`cf`]: the state records (one family per record kind), the
//! Jellyfish Merkle tree, blocks with their headers, receipts and certificates, the
//! transaction index, and the Raft log. A block's state changes, tree nodes, body and
//! the Raft position it came from are written in one atomic batch, so a node that
//! crashes at any point restarts at a block boundary.

mod blocks;
#[cfg(test)]
mod chain_conformance;
mod error;
pub mod fuzzing;
mod raft_log;
mod snapshot;
mod state;

use std::path::Path;
use std::sync::Arc;

use rocksdb::{ColumnFamily, ColumnFamilyDescriptor, Options, WriteBatch, WriteOptions, DB};
use truffle_ledger::state::Table;

pub use blocks::TxLocation;
pub use error::{StoreError, StoreResult};
pub use raft_log::RaftLogRange;
pub use snapshot::{
    read_snapshot_history, rewrite_snapshot, ExportedSnapshot, HistoryRecord, MetaEntries,
    PreparedImport, SnapshotStats,
};

/// Column family names.
pub mod cf {
    /// Tree nodes: borsh(NodeKey) → borsh(Node).
    pub const TREE_NODES: &str = "tree_nodes";
    /// Tree values: key hash ‖ big-endian version → borsh(Option<value>).
    pub const TREE_VALUES: &str = "tree_values";
    /// Stale tree nodes: big-endian stale-since version ‖ borsh(NodeKey) → ().
    pub const TREE_STALE: &str = "tree_stale";
    /// Headers by big-endian height.
    pub const HEADERS: &str = "headers";
    /// Blocks (header, transactions, receipts) by big-endian height.
    pub const BLOCKS: &str = "blocks";
    /// Certificates by big-endian height.
    pub const CERTIFICATES: &str = "certificates";
    /// Transaction hash → (height, index).
    pub const TX_INDEX: &str = "tx_index";
    /// Node metadata: head, applied Raft position, membership.
    pub const META: &str = "meta";
    /// Raft log entries by big-endian index.
    pub const RAFT_LOG: &str = "raft_log";
    /// Raft vote, committed position, purged position.
    pub const RAFT_META: &str = "raft_meta";
    /// Local, non-replicated data of the node's services (throttles, caches...).
    pub const LOCAL: &str = "local";
    /// Replicated but erasable data of the node's services (members' encrypted personal
    /// data, sessions): written through Raft, never part of the ledger's history.
    pub const SERVICE: &str = "service";

    /// The family holding records of a state table.
    pub fn state(table: truffle_ledger::state::Table) -> String {
        format!("state_{}", table.name())
    }
}

/// A node's database.
#[derive(Clone)]
pub struct Store {
    db: Arc<DB>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.db.path())
            .finish()
    }
}

fn all_families() -> Vec<String> {
    let mut names: Vec<String> = Table::ALL.iter().map(|t| cf::state(*t)).collect();
    names.extend(
        [
            cf::TREE_NODES,
            cf::TREE_VALUES,
            cf::TREE_STALE,
            cf::HEADERS,
            cf::BLOCKS,
            cf::CERTIFICATES,
            cf::TX_INDEX,
            cf::META,
            cf::RAFT_LOG,
            cf::RAFT_META,
            cf::LOCAL,
            cf::SERVICE,
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    names
}

/// The block cache shared by every column family.
const BLOCK_CACHE_BYTES: usize = 32 << 20;

/// Level-0 files of the state tree's nodes at which RocksDB starts slowing every write
/// of the database (its default is 20; the stop is at twice this).
const TREE_L0_SLOWDOWN_FILES: i32 = 64;

/// The database options and the column families, shared by every way of opening.
fn db_options() -> (Options, Vec<ColumnFamilyDescriptor>) {
    // Memory is bounded for the whole database, not per column family: with some 30
    // families, RocksDB's per-family defaults (64 MiB memtables each) would let a
    // node grow past a gigabyte under load.
    let cache = rocksdb::Cache::new_lru_cache(BLOCK_CACHE_BYTES);
    let mut table_options = rocksdb::BlockBasedOptions::default();
    table_options.set_block_cache(&cache);
    table_options.set_bloom_filter(10.0, false);
    table_options.set_cache_index_and_filter_blocks(true);
    // Partitioned indexes and filters: the state tree's keys are random, so a
    // table's single index block is large (hundreds of KiB) and, evicted from the
    // bounded cache, was read and decompressed again for nearly every tree-node
    // read (45% of a loaded node's CPU). Partitions are cached like data blocks;
    // only the small top level stays pinned.
    table_options.set_index_type(rocksdb::BlockBasedIndexType::TwoLevelIndexSearch);
    table_options.set_partition_filters(true);
    table_options.set_pin_top_level_index_and_filter(true);
    table_options.set_pin_l0_filter_and_index_blocks_in_cache(true);
    let mut options = Options::default();
    options.create_if_missing(true);
    options.create_missing_column_families(true);
    options.set_compression_type(rocksdb::DBCompressionType::Lz4);
    options.increase_parallelism(2);
    // Compactions run at background CPU priority: on shared cores (several nodes on
    // one machine, or a node beside its RPC load) they otherwise take turns with the
    // threads committing blocks and show up as latency spikes. Flushes (the
    // high-priority pool) keep normal priority, so that writes never wait on them.
    match rocksdb::Env::new() {
        Ok(mut env) => {
            env.lower_thread_pool_cpu_priority();
            options.set_env(&env);
        }
        Err(error) => tracing::warn!(target: "store", %error, "compactions keep normal priority"),
    }
    options.set_max_open_files(512);
    options.set_db_write_buffer_size(64 << 20);
    options.set_max_total_wal_size(128 << 20);
    let families = all_families()
        .into_iter()
        .map(|name| {
            let mut cf_options = Options::default();
            // Tree nodes are mostly hashes: compressing them saves nothing.
            let compression = if name == cf::TREE_NODES {
                rocksdb::DBCompressionType::None
            } else {
                rocksdb::DBCompressionType::Lz4
            };
            cf_options.set_compression_type(compression);
            cf_options.set_write_buffer_size(8 << 20);
            cf_options.set_max_write_buffer_number(2);
            cf_options.set_block_based_table_factory(&table_options);
            if name == cf::TREE_NODES {
                // The tree's random keys make every level-0 compaction rewrite much of
                // level 1, and compactions run at background priority: under a minute
                // of full load level 0 reached 30 files, and at RocksDB's default of 20
                // the whole database slows its writes — the Raft log's appends too,
                // which held a follower's Raft task for 400 ms and called elections.
                // Level 0 absorbs such bursts now; compactions catch up afterwards.
                cf_options.set_level_zero_slowdown_writes_trigger(TREE_L0_SLOWDOWN_FILES);
                cf_options.set_level_zero_stop_writes_trigger(TREE_L0_SLOWDOWN_FILES * 2);
            }
            ColumnFamilyDescriptor::new(name, cf_options)
        })
        .collect();
    (options, families)
}

impl Store {
    /// Opens (or creates) the database in `path`.
    pub fn open(path: &Path) -> StoreResult<Store> {
        let (options, families) = db_options();
        let db = DB::open_cf_descriptors(&options, path, families)?;
        Ok(Store { db: Arc::new(db) })
    }

    /// Opens the database in `path` without writing to it and without taking its lock
    /// (for reading a backup's checkpoint; the files must not change meanwhile).
    pub fn open_read_only(path: &Path) -> StoreResult<Store> {
        let (options, families) = db_options();
        let db = DB::open_cf_descriptors_read_only(&options, path, families, false)?;
        Ok(Store { db: Arc::new(db) })
    }

    /// Fails with [`StoreError::InUse`] when a process holds the database in `path`.
    /// A missing database is not in use. The check opens the database briefly, so it
    /// is meant for folders about to be replaced (restore), not for live ones.
    pub fn ensure_not_in_use(path: &Path) -> StoreResult<()> {
        if !path.join("CURRENT").exists() {
            return Ok(());
        }
        match Store::open(path) {
            Ok(_) => Ok(()),
            // RocksDB reports its LOCK file held as an IO error mentioning the lock.
            Err(StoreError::Rocks(error)) if error.to_string().to_lowercase().contains("lock") => {
                Err(StoreError::InUse(path.to_path_buf()))
            }
            Err(error) => Err(error),
        }
    }

    /// Writes a consistent point-in-time copy of the whole database to `dir` (hard
    /// links to the table files where the file system allows, after flushing the
    /// memtables). `dir` must not exist or be empty; it is created.
    pub fn checkpoint(&self, dir: &Path) -> StoreResult<()> {
        match std::fs::read_dir(dir) {
            Ok(mut entries) => {
                if entries.next().is_some() {
                    return Err(StoreError::TargetNotEmpty(dir.to_path_buf()));
                }
                // RocksDB creates the folder itself and refuses one that exists.
                std::fs::remove_dir(dir).map_err(|e| StoreError::Io {
                    path: dir.to_path_buf(),
                    source: e,
                })?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(StoreError::Io {
                    path: dir.to_path_buf(),
                    source: e,
                })
            }
        }
        let checkpoint = rocksdb::checkpoint::Checkpoint::new(&self.db)?;
        checkpoint.create_checkpoint(dir)?;
        Ok(())
    }

    /// Makes everything written so far durable and empties the memtables into table
    /// files, so the next start has no write-ahead log to replay (clean shutdown).
    pub fn flush_all(&self) -> StoreResult<()> {
        self.db.flush_wal(true)?;
        let families: Vec<&ColumnFamily> = all_families()
            .iter()
            .map(|name| self.family(name))
            .collect();
        self.db
            .flush_cfs_opt(&families, &rocksdb::FlushOptions::default())?;
        Ok(())
    }

    pub(crate) fn family(&self, name: &str) -> &ColumnFamily {
        self.db
            .cf_handle(name)
            .unwrap_or_else(|| panic!("column family {name} is created at open"))
    }

    pub(crate) fn state_family(&self, table: Table) -> &ColumnFamily {
        self.family(&cf::state(table))
    }

    pub(crate) fn write(&self, batch: WriteBatch, sync: bool) -> StoreResult<()> {
        let mut options = WriteOptions::default();
        options.set_sync(sync);
        self.db.write_opt(batch, &options)?;
        Ok(())
    }

    /// Reads a key of the node-local family.
    pub fn local_get(&self, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.db.get_cf(self.family(cf::LOCAL), key)?)
    }

    /// Writes (or, with `None`, deletes) keys of the node-local family atomically.
    pub fn local_write(&self, changes: &[(Vec<u8>, Option<Vec<u8>>)]) -> StoreResult<()> {
        let family = self.family(cf::LOCAL);
        let mut batch = WriteBatch::default();
        for (key, value) in changes {
            match value {
                Some(value) => batch.put_cf(family, key, value),
                None => batch.delete_cf(family, key),
            }
        }
        self.write(batch, false)
    }

    /// Every (key, value) of the node-local family under `prefix`.
    pub fn local_scan(&self, prefix: &[u8]) -> StoreResult<Vec<(Vec<u8>, Vec<u8>)>> {
        self.scan(cf::LOCAL, prefix)
    }

    /// Reads a key of the replicated service family.
    pub fn service_get(&self, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.db.get_cf(self.family(cf::SERVICE), key)?)
    }

    /// Every (key, value) of the replicated service family under `prefix`.
    pub fn service_scan(&self, prefix: &[u8]) -> StoreResult<Vec<(Vec<u8>, Vec<u8>)>> {
        self.scan(cf::SERVICE, prefix)
    }

    /// Applies changes to the replicated service family and `meta` entries atomically.
    /// Only the consensus state machine calls this, in log order.
    pub fn service_write(
        &self,
        changes: &[(Vec<u8>, Option<Vec<u8>>)],
        meta: &[(&[u8], Vec<u8>)],
    ) -> StoreResult<()> {
        let family = self.family(cf::SERVICE);
        let mut batch = WriteBatch::default();
        for (key, value) in changes {
            match value {
                Some(value) => batch.put_cf(family, key, value),
                None => batch.delete_cf(family, key),
            }
        }
        let meta_family = self.family(cf::META);
        for (key, value) in meta {
            batch.put_cf(meta_family, key, value);
        }
        self.write(batch, false)
    }

    pub(crate) fn scan(&self, family: &str, prefix: &[u8]) -> StoreResult<Vec<(Vec<u8>, Vec<u8>)>> {
        let mode = rocksdb::IteratorMode::From(prefix, rocksdb::Direction::Forward);
        let mut out = Vec::new();
        for item in self.db.iterator_cf(self.family(family), mode) {
            let (key, value) = item?;
            if !key.starts_with(prefix) {
                break;
            }
            out.push((key.to_vec(), value.to_vec()));
        }
        Ok(out)
    }

    /// Forces a full compaction of every column family, so that deleted data is
    /// physically gone from the files (used after a member's withdrawal).
    pub fn compact_all(&self) -> StoreResult<()> {
        self.db.flush()?;
        for name in all_families() {
            let family = self.family(&name);
            self.db.flush_cf(family)?;
            self.db
                .compact_range_cf(family, None::<&[u8]>, None::<&[u8]>);
        }
        Ok(())
    }

    /// Makes every write so far durable.
    pub fn sync(&self) -> StoreResult<()> {
        self.db.flush_wal(true)?;
        Ok(())
    }

    /// Approximate size of the live data on disk (table files of every family), bytes.
    pub fn disk_size(&self) -> u64 {
        self.sum_property(rocksdb::properties::TOTAL_SST_FILES_SIZE)
    }

    /// A RocksDB integer property summed over the column families.
    fn sum_property(&self, property: &rocksdb::properties::PropName) -> u64 {
        all_families()
            .iter()
            .filter_map(|name| self.db.cf_handle(name))
            .filter_map(|family| self.db.property_int_value_cf(family, property).ok())
            .flatten()
            .sum()
    }

    /// Sizes and compaction figures, summed over the column families.
    pub fn rocksdb_stats(&self) -> RocksDbStats {
        RocksDbStats {
            sst_bytes: self.disk_size(),
            memtable_bytes: self.sum_property(rocksdb::properties::CUR_SIZE_ALL_MEM_TABLES),
            pending_compaction_bytes: self
                .sum_property(rocksdb::properties::ESTIMATE_PENDING_COMPACTION_BYTES),
            running_compactions: self
                .db
                .property_int_value(rocksdb::properties::NUM_RUNNING_COMPACTIONS)
                .ok()
                .flatten()
                .unwrap_or(0),
        }
    }
}

/// RocksDB figures an operator watches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RocksDbStats {
    /// Table files, bytes.
    pub sst_bytes: u64,
    /// Memtables, bytes.
    pub memtable_bytes: u64,
    /// What compaction estimates it still has to rewrite, bytes.
    pub pending_compaction_bytes: u64,
    /// Compactions running now (database-wide).
    pub running_compactions: u64,
}

#[cfg(test)]
mod tests;
