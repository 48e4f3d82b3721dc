//! The catalog read model: product search, ownership histories and seller standing,
//! derived from applied blocks and always rebuildable from the ledger.
//!
//! ```text
//!   LedgerEvent::Block ──► products the block touched ──► ProductDoc from the store
//!                          (registrations, transfers,        ──► SearchIndex::upsert
//!                           listings, orders, raffles)        ──► commit(height)
//!   start / snapshot   ──► index missing, unreadable, ahead or far behind: rebuild
//!                          from Table::Product; a little behind: replay stored blocks
//! ```
//!
//! The index lives in `<data_dir>/index` and records the ledger height it reflects,
//! committed atomically with the documents. Documents are derived from the store as it
//! is when a block is processed (which may already be a later state): every later block
//! that touches a product derives it again, so the index converges on the ledger.
//!
//! A raffle's entry window closes at the start of a block, without a transaction of its
//! own; the follower notices it as the raffle leaving the ledger's pending-close table.

mod derive;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use truffle_clock::SharedClock;
use truffle_engine::read_model::{FollowPolicy, Progress, ReadModel, ReadModelError, Update};
use truffle_index::{IndexError, ProductDoc, SearchIndex, SearchQuery, SearchResults};
use truffle_ledger::state::{decode_record, keys, StateView};
use truffle_ledger::types::{
    Account, Item, ItemLock, Order, OwnershipRecord, Product, Raffle, SellerStatus,
};
use truffle_ledger::{Block, Effect, LedgerError, Outcome, Payload, PublicKey};
use truffle_store::{Store, StoreError};

use derive::{DeriveCaches, Touched};
pub use truffle_wire::catalog::{ItemHistory, SellerStanding, SellerState};

/// Name of the index folder inside the node's data folder.
pub const INDEX_DIR: &str = "index";
/// A restarted node replays at most this many stored blocks into its index; further
/// behind, it rebuilds the index from the ledger's products instead.
pub const MAX_REPLAY_BLOCKS: u64 = 10_000;
/// Blocks that change no product advance the index's height in memory; the height is
/// committed to disk after this many such blocks (or [`IDLE_COMMIT`]).
pub const HEIGHT_COMMIT_BLOCKS: u64 = 1_000;
/// How long an advanced height may stay uncommitted.
pub const IDLE_COMMIT: Duration = Duration::from_secs(5);
/// Most sellers one `sellers` call returns.
pub const MAX_SELLERS_PAGE: usize = 1_000;
/// Products derived and upserted per batch during a rebuild.
const REBUILD_BATCH: usize = 1_000;

/// Why the catalog could not answer.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The search query is out of bounds or malformed.
    #[error("{0}")]
    InvalidQuery(String),
    /// The index is being built (after a start, a snapshot, or a deleted index folder).
    #[error("the search index is being built from the ledger; retry shortly")]
    NotReady {
        /// Height the index reflects so far.
        indexed_height: Option<u64>,
    },
    /// No record of this kind has this id.
    #[error("{kind} {id} not found")]
    NotFound {
        /// Record kind.
        kind: &'static str,
        /// Its id.
        id: u64,
    },
    /// The search engine failed.
    #[error("search index: {0}")]
    Index(String),
    /// The ledger's records could not be read.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl From<StoreError> for CatalogError {
    fn from(error: StoreError) -> Self {
        CatalogError::Ledger(error.into())
    }
}

impl From<IndexError> for CatalogError {
    fn from(error: IndexError) -> Self {
        match error {
            IndexError::QueryTooLong { .. } | IndexError::InvalidQuery(_) => {
                CatalogError::InvalidQuery(error.to_string())
            }
            other => CatalogError::Index(other.to_string()),
        }
    }
}

/// Result of catalog queries.
pub type CatalogResult<T> = Result<T, CatalogError>;

/// What the catalog's index holds, for operators.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogStatus {
    /// Whether searches are answered.
    pub ready: bool,
    /// Height committed to the index on disk.
    pub committed_height: Option<u64>,
    /// Height the searchable documents reflect.
    pub synced_height: Option<u64>,
    /// Products searchable.
    pub documents: u64,
    /// Full rebuilds since start.
    pub rebuilds: u64,
    /// Duration of the last full rebuild, ms.
    pub last_rebuild_ms: Option<u64>,
}

/// The catalog read model of a node. Cheap to clone.
#[derive(Clone)]
pub struct Catalog {
    inner: Arc<CatalogInner>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}

struct CatalogInner {
    store: Store,
    dir: PathBuf,
    clock: SharedClock,
    index: RwLock<Option<SearchIndex>>,
    /// Follower bookkeeping; holding it serializes updates.
    follower: Mutex<Follower>,
    ready: AtomicBool,
    /// Height the searchable documents reflect; `u64::MAX` for none.
    synced_height: AtomicU64,
    /// Woken whenever `synced_height` moves (callers waiting to read their writes).
    synced_moved: tokio::sync::Notify,
    sellers: RwLock<BTreeMap<PublicKey, SellerStanding>>,
    rebuilds: AtomicU64,
    last_rebuild_ms: AtomicU64,
}

#[derive(Default)]
struct Follower {
    /// Raffles waiting for their closing block, with the products of their prizes.
    pending_raffles: BTreeMap<u64, Vec<u64>>,
    /// Height last committed to disk.
    committed: Option<u64>,
    /// When it was last committed (the clock's monotonic ms).
    last_commit: Option<u64>,
}

const NO_HEIGHT: u64 = u64::MAX;

fn read<T: borsh::BorshDeserialize>(
    store: &Store,
    what: &'static str,
    key: &[u8],
) -> CatalogResult<Option<T>> {
    match store.get(key)? {
        Some(bytes) => Ok(Some(decode_record(what, &bytes)?)),
        None => Ok(None),
    }
}

fn shop_name(status: &SellerStatus) -> &str {
    match status {
        SellerStatus::None => "",
        SellerStatus::Applied { shop_name }
        | SellerStatus::Approved { shop_name, .. }
        | SellerStatus::Revoked { shop_name, .. } => shop_name,
    }
}

impl Catalog {
    /// A catalog over `store` whose index lives in `dir`. Nothing is opened until the
    /// follower starts ([`Catalog::prepare`]); until then searches answer
    /// [`CatalogError::NotReady`].
    pub fn new(store: Store, dir: PathBuf, clock: SharedClock) -> Catalog {
        Catalog {
            inner: Arc::new(CatalogInner {
                store,
                dir,
                clock,
                index: RwLock::new(None),
                follower: Mutex::new(Follower::default()),
                ready: AtomicBool::new(false),
                synced_height: AtomicU64::new(NO_HEIGHT),
                synced_moved: tokio::sync::Notify::new(),
                sellers: RwLock::new(BTreeMap::new()),
                rebuilds: AtomicU64::new(0),
                last_rebuild_ms: AtomicU64::new(NO_HEIGHT),
            }),
        }
    }

    /// The index folder.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    fn store(&self) -> &Store {
        &self.inner.store
    }

    fn synced_height(&self) -> Option<u64> {
        match self.inner.synced_height.load(Ordering::Acquire) {
            NO_HEIGHT => None,
            height => Some(height),
        }
    }

    /// Waits (at most `timeout`) until the read model reflects every block applied
    /// when the call began, so that a client sees its own committed writes. Returns
    /// whether it caught up; callers answer with what they have either way.
    pub async fn catch_up(&self, timeout: Duration) -> bool {
        let Ok(target) = self.head_height() else {
            return false;
        };
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Registered before the check, so that a move between the check and the
            // wait still wakes this caller.
            let moved = self.inner.synced_moved.notified();
            tokio::pin!(moved);
            moved.as_mut().enable();
            if self.synced_height().is_some_and(|h| h >= target) {
                return true;
            }
            if tokio::time::timeout_at(deadline, moved).await.is_err() {
                return false;
            }
        }
    }

    fn set_synced_height(&self, height: u64) {
        self.inner.synced_height.store(height, Ordering::Release);
        self.inner.synced_moved.notify_waiters();
    }

    fn head_height(&self) -> CatalogResult<u64> {
        Ok(self.store().head()?.map(|h| h.height).unwrap_or(0))
    }

    // ----- queries -------------------------------------------------------------------

    /// Runs a product search (Korean, English or mixed text, filters, sort, paging).
    pub fn search(&self, query: &SearchQuery) -> CatalogResult<SearchResults> {
        query.validate().map_err(IndexError::from)?;
        if !self.inner.ready.load(Ordering::Acquire) {
            return Err(CatalogError::NotReady {
                indexed_height: self.synced_height(),
            });
        }
        let guard = self.inner.index.read().expect("index lock poisoned");
        let index = guard.as_ref().ok_or(CatalogError::NotReady {
            indexed_height: None,
        })?;
        let mut results = index.search(query)?;
        results.indexed_height = self.synced_height().or(results.indexed_height);
        Ok(results)
    }

    /// The most popular products, `limit` of them (1 to `MAX_PAGE_SIZE`): most pieces
    /// sold first, then those with an open raffle, then the newest. Read from the index
    /// this model keeps up to date with every block, not from a page of search hits.
    pub fn popular(&self, limit: u32) -> CatalogResult<SearchResults> {
        self.search(&SearchQuery {
            sort: truffle_wire::search::SortOrder::Popular,
            page_size: limit,
            ..SearchQuery::default()
        })
    }

    /// The brands and categories of the indexed products (see
    /// [`SearchIndex::facets`](truffle_index::SearchIndex::facets)).
    pub fn facets(&self) -> CatalogResult<truffle_index::Facets> {
        if !self.inner.ready.load(Ordering::Acquire) {
            return Err(CatalogError::NotReady {
                indexed_height: self.synced_height(),
            });
        }
        let guard = self.inner.index.read().expect("index lock poisoned");
        let index = guard.as_ref().ok_or(CatalogError::NotReady {
            indexed_height: None,
        })?;
        Ok(index.facets()?)
    }

    /// The search document of a product, derived from the ledger as it is now (with
    /// the market state of its pieces).
    pub fn product(&self, product: u64) -> CatalogResult<ProductDoc> {
        let mut caches = DeriveCaches::default();
        self.derive(product, &mut caches)?
            .ok_or(CatalogError::NotFound {
                kind: "product",
                id: product,
            })
    }

    /// Every owner of a piece, with the block height and transaction of each change.
    pub fn history(&self, item: u64) -> CatalogResult<ItemHistory> {
        let store = self.store();
        let record: Item =
            read(store, "item", &keys::item(item))?.ok_or(CatalogError::NotFound {
                kind: "item",
                id: item,
            })?;
        let product: Product = read(store, "product", &keys::product(record.product))?.ok_or(
            CatalogError::NotFound {
                kind: "product",
                id: record.product,
            },
        )?;
        let mut owners = Vec::with_capacity(record.history_len as usize);
        for sequence in 0..record.history_len {
            let entry: OwnershipRecord =
                read(store, "ownership", &keys::ownership(item, sequence))?.ok_or_else(|| {
                    LedgerError::Corrupt {
                        what: "ownership",
                        reason: format!("item {item} lacks history entry {sequence}"),
                    }
                })?;
            owners.push(entry);
        }
        Ok(ItemHistory {
            item,
            product: record.product,
            brand: product.brand,
            model: product.model,
            serial: record.serial,
            edition: record.edition,
            edition_size: record.edition_size,
            owner: record.owner,
            owners,
        })
    }

    /// An account's seller standing, read from the ledger (`None`: no such account).
    pub fn seller(&self, account: &PublicKey) -> CatalogResult<Option<SellerStanding>> {
        let record: Option<Account> = read(self.store(), "account", &keys::account(account))?;
        Ok(record.as_ref().map(SellerStanding::of))
    }

    /// Accounts that applied to sell, by key, optionally only those in `state`,
    /// starting after `after`, at most `limit` (capped at [`MAX_SELLERS_PAGE`]).
    pub fn sellers(
        &self,
        state: Option<SellerState>,
        after: Option<PublicKey>,
        limit: usize,
    ) -> CatalogResult<Vec<SellerStanding>> {
        if !self.inner.ready.load(Ordering::Acquire) {
            return Err(CatalogError::NotReady {
                indexed_height: self.synced_height(),
            });
        }
        let sellers = self.inner.sellers.read().expect("sellers lock poisoned");
        let range = match after {
            Some(after) => {
                sellers.range((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded))
            }
            None => sellers.range(..),
        };
        Ok(range
            .map(|(_, standing)| standing)
            .filter(|s| state.is_none() || SellerState::of(&s.seller) == state)
            .take(limit.clamp(1, MAX_SELLERS_PAGE))
            .cloned()
            .collect())
    }

    /// What the index holds.
    pub fn status(&self) -> CatalogStatus {
        let documents = self
            .inner
            .index
            .read()
            .expect("index lock poisoned")
            .as_ref()
            .map(|i| i.num_docs())
            .unwrap_or(0);
        let committed_height = self
            .inner
            .follower
            .try_lock()
            .ok()
            .and_then(|f| f.committed);
        CatalogStatus {
            ready: self.inner.ready.load(Ordering::Acquire),
            committed_height,
            synced_height: self.synced_height(),
            documents,
            rebuilds: self.inner.rebuilds.load(Ordering::Relaxed),
            last_rebuild_ms: match self.inner.last_rebuild_ms.load(Ordering::Relaxed) {
                NO_HEIGHT => None,
                ms => Some(ms),
            },
        }
    }

    // ----- maintenance ---------------------------------------------------------------

    /// Opens the index and brings it to the store's head: nothing to do when it is
    /// current, a replay of the stored blocks when it is a little behind, a rebuild from
    /// the ledger's products when it is missing, unreadable, ahead or far behind.
    pub fn prepare(&self) -> CatalogResult<()> {
        let mut follower = self.inner.follower.lock().expect("follower lock poisoned");
        self.open_index()?;
        self.load_sellers()?;
        let head = self.head_height()?;
        let indexed = self
            .inner
            .index
            .read()
            .expect("index lock poisoned")
            .as_ref()
            .and_then(|i| i.indexed_height());
        follower.committed = indexed;
        match indexed {
            Some(height) if height == head => {
                follower.pending_raffles = self.pending_raffles(&BTreeMap::new())?;
                self.set_synced_height(height);
                self.inner.ready.store(true, Ordering::Release);
                tracing::info!(target: "catalog", height, "search index is current");
                Ok(())
            }
            Some(height) if height < head && head - height <= MAX_REPLAY_BLOCKS => {
                match self.replay(&mut follower, height, head) {
                    Ok(true) => Ok(()),
                    Ok(false) => self.rebuild_locked(&mut follower, true),
                    Err(error) => {
                        tracing::warn!(target: "catalog", %error, "replay failed; rebuilding the search index");
                        self.rebuild_locked(&mut follower, true)
                    }
                }
            }
            Some(height) => {
                tracing::info!(target: "catalog", indexed = height, head, "search index is stale; rebuilding");
                self.rebuild_locked(&mut follower, true)
            }
            None => {
                tracing::info!(target: "catalog", head, "search index is empty; building it from the ledger");
                self.rebuild_locked(&mut follower, true)
            }
        }
    }

    fn open_index(&self) -> CatalogResult<()> {
        let mut slot = self.inner.index.write().expect("index lock poisoned");
        if slot.is_some() {
            return Ok(());
        }
        let dir = &self.inner.dir;
        let index = match SearchIndex::open(dir) {
            Ok(index) => index,
            Err(IndexError::ForeignDirectory(_)) => {
                // The folder is the node's own (`<data_dir>/index`): what is left in it
                // without the index's marker file is debris of a broken index.
                tracing::warn!(target: "catalog", dir = %dir.display(), "index folder holds no usable index; replacing it");
                std::fs::remove_dir_all(dir).map_err(|e| {
                    CatalogError::Index(format!("cannot empty {}: {e}", dir.display()))
                })?;
                SearchIndex::open(dir)?
            }
            Err(error) => return Err(error.into()),
        };
        if index.was_reset() {
            tracing::warn!(target: "catalog", dir = %dir.display(), "search index was unreadable or of another version; rebuilding");
        }
        *slot = Some(index);
        Ok(())
    }

    /// Rebuilds the index from the ledger's products. With `clear`, the index is emptied
    /// first (searches answer "not ready" meanwhile); without, documents are replaced
    /// in place (after a snapshot, whose state only ever adds products).
    pub fn rebuild(&self, clear: bool) -> CatalogResult<()> {
        let mut follower = self.inner.follower.lock().expect("follower lock poisoned");
        self.open_index()?;
        self.load_sellers()?;
        self.rebuild_locked(&mut follower, clear)
    }

    fn rebuild_locked(&self, follower: &mut Follower, clear: bool) -> CatalogResult<()> {
        let started = self.inner.clock.monotonic_ms();
        let head = self.head_height()?;
        if clear {
            self.inner.ready.store(false, Ordering::Release);
            self.set_synced_height(NO_HEIGHT);
            self.with_index(|index| index.clear())?;
            follower.committed = None;
        }
        let products = self.store().scan_prefix(&keys::products_prefix())?;
        let count = products.len();
        let mut caches = DeriveCaches::default();
        for chunk in products.chunks(REBUILD_BATCH) {
            let mut docs = Vec::with_capacity(chunk.len());
            for (_, bytes) in chunk {
                let product: Product = decode_record("product", bytes)?;
                docs.push(self.derive_from(&product, &mut caches)?);
            }
            self.with_index(|index| index.upsert(docs))?;
            caches.raffles.clear();
        }
        follower.pending_raffles = self.pending_raffles(&BTreeMap::new())?;
        self.commit(follower, head)?;
        self.inner.ready.store(true, Ordering::Release);
        let elapsed_ms = self.inner.clock.monotonic_ms().saturating_sub(started);
        self.inner.rebuilds.fetch_add(1, Ordering::Relaxed);
        self.inner
            .last_rebuild_ms
            .store(elapsed_ms, Ordering::Relaxed);
        tracing::info!(target: "catalog", products = count, height = head, ms = elapsed_ms, "search index rebuilt from the ledger");
        Ok(())
    }

    /// Replays stored blocks `from + 1 ..= head` into the index. `false` when a block is
    /// missing from the store (a node restored from a snapshot): rebuild instead.
    fn replay(&self, follower: &mut Follower, from: u64, head: u64) -> CatalogResult<bool> {
        let mut touched = Touched::default();
        for height in from + 1..=head {
            let Some(block) = self.store().block(height)? else {
                return Ok(false);
            };
            self.touched_by(&block, &mut touched)?;
        }
        // Raffles that closed meanwhile (no transaction marks a close): their closing
        // block is the parent of the block that closed them.
        for (_, bytes) in self
            .store()
            .scan_prefix(&[truffle_ledger::state::Table::Raffle as u8])?
        {
            let raffle: Raffle = decode_record("raffle", &bytes)?;
            if raffle
                .closing_block
                .is_some_and(|closing| closing.height >= from)
            {
                touched.items.extend(raffle.spec.items.iter().copied());
            }
        }
        follower.pending_raffles = self.pending_raffles(&BTreeMap::new())?;
        let count = self.apply_touched(touched)?;
        self.commit(follower, head)?;
        self.inner.ready.store(true, Ordering::Release);
        tracing::info!(target: "catalog", from = from + 1, to = head, products = count, "search index caught up by replaying blocks");
        Ok(true)
    }

    /// Brings the index up to the store's head after `blocks` were applied (blocks not
    /// given are read from the store). Falls back to a rebuild when a block is missing.
    pub fn apply_blocks(&self, blocks: &[Arc<Block>]) -> CatalogResult<()> {
        let mut follower = self.inner.follower.lock().expect("follower lock poisoned");
        let Some(synced) = self.synced_height() else {
            // A rebuild that emptied the index failed midway: build it again.
            return self.rebuild_locked(&mut follower, true);
        };
        let head = self.head_height()?;
        if head <= synced {
            return Ok(());
        }
        let given: HashMap<u64, &Arc<Block>> =
            blocks.iter().map(|b| (b.header.height, b)).collect();
        let mut touched = Touched::default();
        for height in synced + 1..=head {
            let stored;
            let block: &Block = match given.get(&height) {
                Some(block) => block,
                None => match self.store().block(height)? {
                    Some(block) => {
                        stored = block;
                        &stored
                    }
                    None => {
                        tracing::warn!(target: "catalog", height, "block missing from the store; rebuilding the search index");
                        return self.rebuild_locked(&mut follower, false);
                    }
                },
            };
            self.touched_by(block, &mut touched)?;
        }
        let now_pending = self.pending_raffles(&follower.pending_raffles)?;
        for (raffle, products) in &follower.pending_raffles {
            if !now_pending.contains_key(raffle) {
                touched.products.extend(products.iter().copied());
            }
        }
        let changed = self.apply_touched(touched)?;
        follower.pending_raffles = now_pending;
        let due = follower
            .committed
            .is_none_or(|c| head - c >= HEIGHT_COMMIT_BLOCKS)
            || follower.last_commit.is_none_or(|at| {
                self.inner.clock.monotonic_ms().saturating_sub(at) >= IDLE_COMMIT.as_millis() as u64
            });
        if changed > 0 || due {
            self.commit(&mut follower, head)?;
        } else {
            self.set_synced_height(head);
        }
        Ok(())
    }

    /// Commits an advanced height that was kept in memory only.
    pub fn flush(&self) -> CatalogResult<()> {
        let mut follower = self.inner.follower.lock().expect("follower lock poisoned");
        if let Some(synced) = self.synced_height() {
            if follower.committed != Some(synced) {
                self.commit(&mut follower, synced)?;
            }
        }
        Ok(())
    }

    fn commit(&self, follower: &mut Follower, height: u64) -> CatalogResult<()> {
        self.with_index(|index| index.commit(height))?;
        follower.committed = Some(height);
        follower.last_commit = Some(self.inner.clock.monotonic_ms());
        self.set_synced_height(height);
        Ok(())
    }

    fn with_index<T>(
        &self,
        f: impl FnOnce(&mut SearchIndex) -> truffle_index::Result<T>,
    ) -> CatalogResult<T> {
        let mut guard = self.inner.index.write().expect("index lock poisoned");
        let index = guard
            .as_mut()
            .ok_or_else(|| CatalogError::Index("the index is not open".into()))?;
        Ok(f(index)?)
    }
}

impl ReadModel for Catalog {
    fn name(&self) -> &'static str {
        "catalog"
    }

    fn prepare(&self) -> Result<(), ReadModelError> {
        Ok(Catalog::prepare(self)?)
    }

    fn update(&self, update: &Update) -> Result<Progress, ReadModelError> {
        match update {
            Update::Blocks(blocks) => self.apply_blocks(blocks)?,
            Update::Rebuild => self.rebuild(false)?,
        }
        Ok(Progress::Done)
    }

    /// Commits a height advanced in memory only.
    fn idle(&self) -> Result<(), ReadModelError> {
        Ok(self.flush()?)
    }

    fn stop(&self) {
        if let Err(error) = self.flush() {
            tracing::warn!(target: "catalog", %error, "cannot commit the search index at shutdown");
        }
    }
}

/// How the node's catalog follows applied blocks: it reads blocks a lagging
/// subscription missed back from the store, so a lag needs no rebuild.
pub const FOLLOW_POLICY: FollowPolicy = FollowPolicy {
    idle_after: IDLE_COMMIT,
    retry_after: Duration::from_secs(1),
    rebuild_when_behind: false,
};

#[cfg(test)]
mod tests;
