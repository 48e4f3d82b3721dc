//! The ledger's state: keys of every record kind, the storage trait the executor reads
//! through, the authenticated map (a Jellyfish Merkle tree hashed with blake3), and an
//! in-memory store for tests, auditors and wallets.

use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;

use borsh::{BorshDeserialize, BorshSerialize};
use jmt::storage::{LeafNode, Node, NodeBatch, NodeKey, TreeReader, TreeUpdateBatch};
use jmt::{KeyHash, OwnedValue, Version};

use crate::crypto::PublicKey;
use crate::error::{LedgerError, LedgerResult};
use crate::hash::Hash;
use crate::limits::{normalize_name, normalize_serial};

/// blake3 as the Jellyfish Merkle tree's hash function.
#[derive(Clone, Default)]
pub struct TreeHasher(blake3::Hasher);

impl jmt::SimpleHasher for TreeHasher {
    fn new() -> Self {
        TreeHasher(blake3::Hasher::new())
    }
    fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }
    fn finalize(self) -> [u8; 32] {
        *self.0.finalize().as_bytes()
    }
}

/// The authenticated map over a store.
pub type StateTree<'a, R> = jmt::JellyfishMerkleTree<'a, R, TreeHasher>;
pub use crate::state_proof::{ProofLeaf, StateProof};

/// The key under which the authenticated map files a state key.
pub fn tree_key(key: &[u8]) -> KeyHash {
    KeyHash::with::<TreeHasher>(key)
}

/// Record kinds. Each is a column family in RocksDB and the first byte of its state keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Table {
    /// Chain parameters, id counters, the validator set, and the index of closed
    /// raffles awaiting their draw (`"raffle_awaiting" ‖ raffle id → ()`; kept in this
    /// table so that the column families and the snapshot format stay as they were).
    Meta = 1,
    /// Accounts by key.
    Account = 2,
    /// Products by id.
    Product = 3,
    /// Items by id.
    Item = 4,
    /// Ownership history: item id ‖ sequence.
    Ownership = 5,
    /// blake3(brand ‖ model ‖ serial) → item id.
    Serial = 6,
    /// Raffles by id.
    Raffle = 7,
    /// Raffle entries: raffle id ‖ position.
    RaffleEntry = 8,
    /// Raffle entrants: raffle id ‖ account → position.
    RaffleEntrant = 9,
    /// Orders by id.
    Order = 10,
    /// Settled payment events: blake3(provider ‖ event id) → order id.
    PaymentEvent = 11,
    /// Ad campaigns by id.
    Ad = 12,
    /// Validators by key.
    Validator = 13,
    /// Raffles whose closing block is not yet known: raffle id → ().
    PendingClose = 14,
    /// An account's orders: account ‖ order id → ().
    AccountOrder = 15,
    /// An account's raffle entries: account ‖ raffle id → ().
    AccountEntry = 16,
}

impl Table {
    /// Every table, in key order.
    pub const ALL: [Table; 16] = [
        Table::Meta,
        Table::Account,
        Table::Product,
        Table::Item,
        Table::Ownership,
        Table::Serial,
        Table::Raffle,
        Table::RaffleEntry,
        Table::RaffleEntrant,
        Table::Order,
        Table::PaymentEvent,
        Table::Ad,
        Table::Validator,
        Table::PendingClose,
        Table::AccountOrder,
        Table::AccountEntry,
    ];

    /// The table a state key belongs to.
    pub fn of_key(key: &[u8]) -> Option<Table> {
        let first = *key.first()?;
        Table::ALL.iter().copied().find(|t| *t as u8 == first)
    }

    /// Stable lower-case name (the RocksDB column family is `state_<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Table::Meta => "meta",
            Table::Account => "account",
            Table::Product => "product",
            Table::Item => "item",
            Table::Ownership => "ownership",
            Table::Serial => "serial",
            Table::Raffle => "raffle",
            Table::RaffleEntry => "raffle_entry",
            Table::RaffleEntrant => "raffle_entrant",
            Table::Order => "order",
            Table::PaymentEvent => "payment_event",
            Table::Ad => "ad",
            Table::Validator => "validator",
            Table::PendingClose => "pending_close",
            Table::AccountOrder => "account_order",
            Table::AccountEntry => "account_entry",
        }
    }
}

/// Builders of state keys: `table byte ‖ big-endian fields`, so keys of a table sort by id.
pub mod keys {
    use super::*;

    fn key(table: Table, parts: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + parts.iter().map(|p| p.len()).sum::<usize>());
        out.push(table as u8);
        for part in parts {
            out.extend_from_slice(part);
        }
        out
    }

    /// Chain parameters.
    pub fn params() -> Vec<u8> {
        key(Table::Meta, &[b"params"])
    }
    /// Id counters.
    pub fn counters() -> Vec<u8> {
        key(Table::Meta, &[b"counters"])
    }
    /// The validator set as one record ([`crate::types::ValidatorSet`]).
    pub fn validator_set() -> Vec<u8> {
        key(Table::Meta, &[b"validator_set"])
    }
    /// A follower node allowed to sync ([`crate::types::FollowerGrant`]); under the
    /// meta table so that the column families and the snapshot format stay as they were.
    pub fn follower(follower: &PublicKey) -> Vec<u8> {
        key(Table::Meta, &[b"follower/".as_slice(), &follower.0])
    }
    /// Prefix of every allowed follower.
    pub fn followers_prefix() -> Vec<u8> {
        key(Table::Meta, &[b"follower/"])
    }
    /// An account.
    pub fn account(account: &PublicKey) -> Vec<u8> {
        key(Table::Account, &[&account.0])
    }
    /// A product.
    pub fn product(id: u64) -> Vec<u8> {
        key(Table::Product, &[&id.to_be_bytes()])
    }
    /// An item.
    pub fn item(id: u64) -> Vec<u8> {
        key(Table::Item, &[&id.to_be_bytes()])
    }
    /// Entry `sequence` of an item's ownership history.
    pub fn ownership(item: u64, sequence: u32) -> Vec<u8> {
        key(
            Table::Ownership,
            &[&item.to_be_bytes(), &sequence.to_be_bytes()],
        )
    }
    /// The serial-number index entry of (brand, model, serial), normalized.
    pub fn serial(brand: &str, model: &str, serial: &str) -> Vec<u8> {
        let digest = Hash::tagged(
            b"truffle/v1/serial",
            &[
                normalize_name(brand).as_bytes(),
                &[0],
                normalize_name(model).as_bytes(),
                &[0],
                normalize_serial(serial).as_bytes(),
            ],
        );
        key(Table::Serial, &[&digest.0])
    }
    /// A raffle.
    pub fn raffle(id: u64) -> Vec<u8> {
        key(Table::Raffle, &[&id.to_be_bytes()])
    }
    /// Entry at `position` of a raffle.
    pub fn raffle_entry(raffle: u64, position: u32) -> Vec<u8> {
        key(
            Table::RaffleEntry,
            &[&raffle.to_be_bytes(), &position.to_be_bytes()],
        )
    }
    /// Prefix of all entries of a raffle.
    pub fn raffle_entries_prefix(raffle: u64) -> Vec<u8> {
        key(Table::RaffleEntry, &[&raffle.to_be_bytes()])
    }
    /// Whether (and where) an account entered a raffle.
    pub fn raffle_entrant(raffle: u64, account: &PublicKey) -> Vec<u8> {
        key(Table::RaffleEntrant, &[&raffle.to_be_bytes(), &account.0])
    }
    /// An order.
    pub fn order(id: u64) -> Vec<u8> {
        key(Table::Order, &[&id.to_be_bytes()])
    }
    /// A settled payment event.
    pub fn payment_event(provider: &str, event_id: &str) -> Vec<u8> {
        let digest = Hash::tagged(
            b"truffle/v1/payment-event",
            &[provider.as_bytes(), &[0], event_id.as_bytes()],
        );
        key(Table::PaymentEvent, &[&digest.0])
    }
    /// An ad campaign.
    pub fn ad(id: u64) -> Vec<u8> {
        key(Table::Ad, &[&id.to_be_bytes()])
    }
    /// Prefix of all products.
    pub fn products_prefix() -> Vec<u8> {
        key(Table::Product, &[])
    }
    /// Prefix of all ad campaigns.
    pub fn ads_prefix() -> Vec<u8> {
        key(Table::Ad, &[])
    }
    /// Prefix of all accounts.
    pub fn accounts_prefix() -> Vec<u8> {
        key(Table::Account, &[])
    }
    /// A validator.
    pub fn validator(validator: &PublicKey) -> Vec<u8> {
        key(Table::Validator, &[&validator.0])
    }
    /// Prefix of all validators.
    pub fn validators_prefix() -> Vec<u8> {
        key(Table::Validator, &[])
    }
    /// A raffle waiting for its closing block.
    pub fn pending_close(raffle: u64) -> Vec<u8> {
        key(Table::PendingClose, &[&raffle.to_be_bytes()])
    }
    /// Prefix of all raffles waiting for their closing block.
    pub fn pending_close_prefix() -> Vec<u8> {
        key(Table::PendingClose, &[])
    }
    /// A closed raffle awaiting its draw or void (contributions, reveal, `DrawRaffle`).
    pub fn raffle_awaiting(raffle: u64) -> Vec<u8> {
        key(Table::Meta, &[RAFFLE_AWAITING, &raffle.to_be_bytes()])
    }
    /// Prefix of all closed raffles awaiting their draw or void.
    pub fn raffles_awaiting_prefix() -> Vec<u8> {
        key(Table::Meta, &[RAFFLE_AWAITING])
    }
    /// A buyer's refund request on an order (`"refund_request" ‖ order id`).
    pub fn refund_request(order: u64) -> Vec<u8> {
        key(Table::Meta, &[REFUND_REQUEST, &order.to_be_bytes()])
    }
    /// An open refund request (requested or approved, not yet refused or refunded):
    /// `"refund_open" ‖ order id → ()`, what the operator and the admins' console read.
    pub fn refund_open(order: u64) -> Vec<u8> {
        key(Table::Meta, &[REFUND_OPEN, &order.to_be_bytes()])
    }
    /// Prefix of all open refund requests.
    pub fn refunds_open_prefix() -> Vec<u8> {
        key(Table::Meta, &[REFUND_OPEN])
    }
    const REFUND_REQUEST: &[u8] = b"refund_request";
    const REFUND_OPEN: &[u8] = b"refund_open";
    /// The name under `Table::Meta` of the awaiting-draw index (no other meta key
    /// starts with it).
    const RAFFLE_AWAITING: &[u8] = b"raffle_awaiting";
    /// Why and when a seller cancelled a raffle (`RaffleCancellation`).
    pub fn raffle_cancellation(raffle: u64) -> Vec<u8> {
        key(Table::Meta, &[RAFFLE_CANCELLED, &raffle.to_be_bytes()])
    }
    /// The name under `Table::Meta` of the cancellation notes (no other meta key starts
    /// with it).
    const RAFFLE_CANCELLED: &[u8] = b"raffle_cancelled";
    /// An order of an account.
    pub fn account_order(account: &PublicKey, order: u64) -> Vec<u8> {
        key(Table::AccountOrder, &[&account.0, &order.to_be_bytes()])
    }
    /// Prefix of an account's orders.
    pub fn account_orders_prefix(account: &PublicKey) -> Vec<u8> {
        key(Table::AccountOrder, &[&account.0])
    }
    /// A raffle entry of an account.
    pub fn account_entry(account: &PublicKey, raffle: u64) -> Vec<u8> {
        key(Table::AccountEntry, &[&account.0, &raffle.to_be_bytes()])
    }
    /// Prefix of an account's raffle entries.
    pub fn account_entries_prefix(account: &PublicKey) -> Vec<u8> {
        key(Table::AccountEntry, &[&account.0])
    }

    /// The trailing big-endian u64 of a key (the id in index keys).
    pub fn trailing_u64(key: &[u8]) -> Option<u64> {
        let start = key.len().checked_sub(8)?;
        Some(u64::from_be_bytes(key[start..].try_into().ok()?))
    }
}

/// Read access to the current state, as the executor sees it.
pub trait StateView {
    /// The value of a state key.
    fn get(&self, key: &[u8]) -> LedgerResult<Option<Vec<u8>>>;
    /// Every (key, value) whose key starts with `prefix`, in key order.
    fn scan_prefix(&self, prefix: &[u8]) -> LedgerResult<Vec<(Vec<u8>, Vec<u8>)>>;
}

/// Decodes a stored record, treating failure as corruption.
pub fn decode_record<T: BorshDeserialize>(what: &'static str, bytes: &[u8]) -> LedgerResult<T> {
    borsh::from_slice(bytes).map_err(|e| LedgerError::Corrupt {
        what,
        reason: e.to_string(),
    })
}

/// Encodes a record.
pub fn encode_record<T: BorshSerialize>(value: &T) -> Vec<u8> {
    borsh::to_vec(value).expect("encoding to a Vec cannot fail")
}

/// A set of state changes: key → new value, or `None` for a deletion.
pub type StateChanges = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// A store the executor can compute state roots against: the records and the tree.
pub trait StateStore: StateView + TreeReader {}
impl<T: StateView + TreeReader> StateStore for T {}

/// Computes the state root after `changes` at `version`, and the tree nodes to persist.
///
/// Blocks without deletions take jmt's batch insertion, which builds every touched
/// node once from the sorted keys; the one-key-at-a-time path rehashes the nodes on a
/// key's path for every key (about three times the hashing for a block of raffle
/// entries). Both give the same tree; jmt's batch path cannot delete, so blocks that
/// delete (or that start a tree from scratch) use the other.
pub fn compute_state_root<R: TreeReader>(
    store: &R,
    changes: &StateChanges,
    version: Version,
) -> LedgerResult<(Hash, TreeUpdateBatch)> {
    let tree = StateTree::new(store);
    let deletes = changes.values().any(Option::is_none);
    // The batch path needs the previous root; a tree rebuilt from scratch (snapshot
    // install) starts without one.
    let has_parent = version == 0
        || tree
            .get_root_hash_option(version - 1)
            .map_err(|e| LedgerError::Tree(e.to_string()))?
            .is_some();
    let (root, batch) = if changes.is_empty() || deletes || !has_parent {
        let value_set = changes
            .iter()
            .map(|(key, value)| (tree_key(key), value.clone()));
        tree.put_value_set(value_set, version)
    } else {
        let value_set: Vec<(KeyHash, OwnedValue)> = changes
            .iter()
            .filter_map(|(key, value)| value.clone().map(|v| (tree_key(key), v)))
            .collect();
        tree.batch_put_value_sets(vec![value_set], None, version)
            .map(|(mut roots, batch)| (roots.pop().expect("one root per value set"), batch))
    }
    .map_err(|e| LedgerError::Tree(e.to_string()))?;
    Ok((Hash(root.0), batch))
}

/// The state root at a version.
pub fn state_root_at<R: TreeReader>(store: &R, version: Version) -> LedgerResult<Hash> {
    let tree = StateTree::new(store);
    tree.get_root_hash(version)
        .map(|root| Hash(root.0))
        .map_err(|e| LedgerError::Tree(e.to_string()))
}

/// A state key's value with a compact proof against the root at `version`.
pub fn prove<R: TreeReader>(
    store: &R,
    key: &[u8],
    version: Version,
) -> LedgerResult<(Option<Vec<u8>>, StateProof)> {
    let (value, proof) = prove_jmt(store, key, version)?;
    let proof = StateProof::from_jmt(key, &proof).map_err(|e| LedgerError::Tree(e.to_string()))?;
    Ok((value, proof))
}

/// A state key's value with the Jellyfish tree's own proof (what [`prove`] compacts).
pub(crate) fn prove_jmt<R: TreeReader>(
    store: &R,
    key: &[u8],
    version: Version,
) -> LedgerResult<(Option<Vec<u8>>, jmt::proof::SparseMerkleProof<TreeHasher>)> {
    StateTree::new(store)
        .get_with_proof(tree_key(key), version)
        .map_err(|e| LedgerError::Tree(e.to_string()))
}

/// Checks that `proof` shows `key` holding `value` (or nothing, for `None`) under `root`.
pub fn verify_proof(root: &Hash, key: &[u8], value: Option<&[u8]>, proof: &StateProof) -> bool {
    proof.verify(root, key, value)
}

/// An in-memory store: the ledger's reference implementation of storage, used by tests,
/// by `truffle verify chain` to re-execute blocks, and by wallets.
#[derive(Default)]
pub struct MemoryStore {
    inner: RwLock<MemoryInner>,
}

/// Tree nodes by key. foldhash, not SipHash: replaying a chain looks up and inserts
/// thousands of nodes a block, and SipHash over their nibble paths was a tenth of the
/// replay; foldhash is still seeded per map, so crafted keys cannot aim at one bucket.
type NodeMap = HashMap<NodeKey, Node, foldhash::fast::RandomState>;

#[derive(Default)]
struct MemoryInner {
    records: BTreeMap<Vec<u8>, Vec<u8>>,
    nodes: NodeMap,
    values: Values,
}

/// The values behind the tree's leaves.
enum Values {
    /// Every version of every value: proofs at any version.
    History(BTreeMap<(KeyHash, Version), Option<OwnedValue>>),
    /// The newest version of each value, with the version that wrote it.
    Latest(HashMap<KeyHash, (Version, Option<OwnedValue>), foldhash::fast::RandomState>),
}

impl Default for Values {
    fn default() -> Self {
        Values::History(BTreeMap::new())
    }
}

impl MemoryStore {
    /// An empty store that keeps every version of the tree.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// An empty store that keeps only the newest version of the tree: a commit drops
    /// the nodes and values the new version superseded, so memory follows the size of
    /// the state, not of its history. Roots and proofs of older versions are gone
    /// (asking for them is an error); an auditor replaying a chain needs only the
    /// newest.
    pub fn latest_only() -> MemoryStore {
        MemoryStore {
            inner: RwLock::new(MemoryInner {
                values: Values::Latest(HashMap::default()),
                ..MemoryInner::default()
            }),
        }
    }

    /// Writes a block's state changes and tree nodes.
    pub fn commit(&self, changes: &StateChanges, tree_update: &TreeUpdateBatch) {
        let mut inner = self.inner.write().expect("memory store lock poisoned");
        for (key, value) in changes {
            match value {
                Some(value) => inner.records.insert(key.clone(), value.clone()),
                None => inner.records.remove(key),
            };
        }
        if matches!(inner.values, Values::Latest(_)) {
            for stale in &tree_update.stale_node_index_batch {
                inner.nodes.remove(&stale.node_key);
            }
        }
        write_node_batch(&mut inner, &tree_update.node_batch);
    }

    /// Number of live records (for tests).
    pub fn record_count(&self) -> usize {
        self.inner
            .read()
            .expect("memory store lock poisoned")
            .records
            .len()
    }

    /// Number of tree nodes held (tests of what a commit drops).
    #[cfg(test)]
    pub(crate) fn node_count(&self) -> usize {
        self.inner
            .read()
            .expect("memory store lock poisoned")
            .nodes
            .len()
    }
}

fn write_node_batch(inner: &mut MemoryInner, batch: &NodeBatch) {
    for (key, node) in batch.nodes() {
        inner.nodes.insert(key.clone(), node.clone());
    }
    for ((version, key_hash), value) in batch.values() {
        match &mut inner.values {
            Values::History(values) => {
                values.insert((*key_hash, *version), value.clone());
            }
            Values::Latest(values) => {
                // Versions are committed in order: this one is the newest.
                values.insert(*key_hash, (*version, value.clone()));
            }
        }
    }
}

impl StateView for MemoryStore {
    fn get(&self, key: &[u8]) -> LedgerResult<Option<Vec<u8>>> {
        Ok(self
            .inner
            .read()
            .expect("memory store lock poisoned")
            .records
            .get(key)
            .cloned())
    }

    fn scan_prefix(&self, prefix: &[u8]) -> LedgerResult<Vec<(Vec<u8>, Vec<u8>)>> {
        let inner = self.inner.read().expect("memory store lock poisoned");
        Ok(inner
            .records
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}

impl TreeReader for MemoryStore {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        Ok(self
            .inner
            .read()
            .expect("memory store lock poisoned")
            .nodes
            .get(node_key)
            .cloned())
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        let inner = self.inner.read().expect("memory store lock poisoned");
        match &inner.values {
            Values::History(values) => Ok(values
                .range((key_hash, 0)..=(key_hash, max_version))
                .next_back()
                .and_then(|(_, value)| value.clone())),
            Values::Latest(values) => match values.get(&key_hash) {
                None => Ok(None),
                Some((version, value)) if *version <= max_version => Ok(value.clone()),
                Some((version, _)) => anyhow::bail!(
                    "this store keeps only the newest version of each value: version {max_version} was superseded at {version}"
                ),
            },
        }
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        anyhow::bail!("tree restore is not supported by the memory store")
    }
}

/// The executor's view of state during a block: reads fall through a transaction layer
/// and a block layer to the store; a refused transaction drops its layer.
pub struct Overlay<'a, V: StateView + ?Sized> {
    base: &'a V,
    block: StateChanges,
    tx: StateChanges,
}

impl<'a, V: StateView + ?Sized> Overlay<'a, V> {
    /// An empty overlay over `base`.
    pub fn new(base: &'a V) -> Self {
        Overlay {
            base,
            block: StateChanges::new(),
            tx: StateChanges::new(),
        }
    }

    /// The value of a key, as changed so far.
    pub fn get(&self, key: &[u8]) -> LedgerResult<Option<Vec<u8>>> {
        if let Some(value) = self.tx.get(key) {
            return Ok(value.clone());
        }
        if let Some(value) = self.block.get(key) {
            return Ok(value.clone());
        }
        self.base.get(key)
    }

    /// Every (key, value) under `prefix`, as changed so far, in key order.
    pub fn scan_prefix(&self, prefix: &[u8]) -> LedgerResult<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut merged: BTreeMap<Vec<u8>, Option<Vec<u8>>> = self
            .base
            .scan_prefix(prefix)?
            .into_iter()
            .map(|(k, v)| (k, Some(v)))
            .collect();
        for layer in [&self.block, &self.tx] {
            for (key, value) in layer.range(prefix.to_vec()..) {
                if !key.starts_with(prefix) {
                    break;
                }
                merged.insert(key.clone(), value.clone());
            }
        }
        Ok(merged
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect())
    }

    /// Sets a key in the current transaction's layer.
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.tx.insert(key, Some(value));
    }

    /// Deletes a key in the current transaction's layer.
    pub fn delete(&mut self, key: Vec<u8>) {
        self.tx.insert(key, None);
    }

    /// Keeps the current transaction's changes.
    pub fn commit_tx(&mut self) {
        let tx = std::mem::take(&mut self.tx);
        self.block.extend(tx);
    }

    /// Drops the current transaction's changes.
    pub fn discard_tx(&mut self) {
        self.tx.clear();
    }

    /// The block's changes (the current transaction must be committed or discarded).
    pub fn into_changes(self) -> StateChanges {
        debug_assert!(self.tx.is_empty(), "uncommitted transaction layer");
        self.block
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proofs_of_presence_and_absence() {
        let store = MemoryStore::new();
        let mut changes = StateChanges::new();
        changes.insert(keys::product(1), Some(b"one".to_vec()));
        changes.insert(keys::product(2), Some(b"two".to_vec()));
        let (root, batch) = compute_state_root(&store, &changes, 0).unwrap();
        store.commit(&changes, &batch);
        assert_eq!(state_root_at(&store, 0).unwrap(), root);

        let (value, proof) = prove(&store, &keys::product(1), 0).unwrap();
        assert_eq!(value.as_deref(), Some(&b"one"[..]));
        assert!(verify_proof(&root, &keys::product(1), Some(b"one"), &proof));
        assert!(!verify_proof(
            &root,
            &keys::product(1),
            Some(b"two"),
            &proof
        ));

        let (value, proof) = prove(&store, &keys::product(3), 0).unwrap();
        assert!(value.is_none());
        assert!(verify_proof(&root, &keys::product(3), None, &proof));
        assert!(!verify_proof(&root, &keys::product(3), Some(b"x"), &proof));
    }

    #[test]
    fn empty_change_sets_keep_the_root() {
        let store = MemoryStore::new();
        let mut changes = StateChanges::new();
        changes.insert(keys::ad(1), Some(vec![1]));
        let (root0, batch) = compute_state_root(&store, &changes, 0).unwrap();
        store.commit(&changes, &batch);
        let (root1, batch) = compute_state_root(&store, &StateChanges::new(), 1).unwrap();
        store.commit(&StateChanges::new(), &batch);
        assert_eq!(root0, root1);
        assert_eq!(state_root_at(&store, 1).unwrap(), root0);
    }

    /// A deterministic stream of pseudo-random numbers from `seed`.
    fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        }
    }

    /// The batch path (no deletions) and the key-by-key path build the same tree: a
    /// sequence of versions mixing both gives the roots of the key-by-key path alone.
    #[test]
    fn batch_and_single_insertion_agree() {
        let by_batch = MemoryStore::new();
        let one_by_one = MemoryStore::new();
        let mut next = xorshift(7u64);
        for version in 0..40u64 {
            let mut changes = StateChanges::new();
            let count = next() % 300;
            for _ in 0..count {
                let id = next() % 500;
                let value = if version % 7 == 3 && next() % 5 == 0 {
                    None
                } else {
                    Some(next().to_be_bytes().to_vec())
                };
                changes.insert(keys::item(id), value);
            }
            let (root, batch) = compute_state_root(&by_batch, &changes, version).unwrap();
            by_batch.commit(&changes, &batch);
            let tree = StateTree::new(&one_by_one);
            let (single_root, single_batch) = tree
                .put_value_set(
                    changes.iter().map(|(k, v)| (tree_key(k), v.clone())),
                    version,
                )
                .unwrap();
            one_by_one.commit(&changes, &single_batch);
            assert_eq!(root, Hash(single_root.0), "version {version}");
        }
        // Proofs from the batch-built tree verify.
        let (value, proof) = prove(&by_batch, &keys::item(3), 39).unwrap();
        let root = state_root_at(&by_batch, 39).unwrap();
        assert!(verify_proof(
            &root,
            &keys::item(3),
            value.as_deref(),
            &proof
        ));
    }

    /// A store that keeps only the newest version computes the roots a full store
    /// computes, through inserts, updates and deletions, while holding only the live
    /// tree; its newest state still proves, and its older versions are refused.
    #[test]
    fn a_latest_only_store_keeps_the_roots_and_drops_the_history() {
        let full = MemoryStore::new();
        let latest = MemoryStore::latest_only();
        let mut next = xorshift(11u64);
        let mut live = BTreeMap::new();
        let mut last_changes = StateChanges::new();
        for version in 0..30u64 {
            let mut changes = StateChanges::new();
            for _ in 0..next() % 200 {
                let id = next() % 400;
                let value =
                    (next() % 6 != 0 || version == 0).then(|| next().to_be_bytes().to_vec());
                changes.insert(keys::item(id), value);
            }
            let (root, batch) = compute_state_root(&full, &changes, version).unwrap();
            full.commit(&changes, &batch);
            let (latest_root, latest_batch) =
                compute_state_root(&latest, &changes, version).unwrap();
            latest.commit(&changes, &latest_batch);
            assert_eq!(latest_root, root, "version {version}");
            for (key, value) in &changes {
                match value {
                    Some(value) => live.insert(key.clone(), value.clone()),
                    None => live.remove(key),
                };
            }
            last_changes = changes;
        }
        assert!(
            latest.node_count() * 3 < full.node_count(),
            "{} nodes kept of the full store's {}",
            latest.node_count(),
            full.node_count()
        );
        // Every live leaf is held, and the newest version still proves.
        let root = state_root_at(&latest, 29).unwrap();
        assert_eq!(root, state_root_at(&full, 29).unwrap());
        for id in [0u64, 3, 17, 250, 399] {
            let key = keys::item(id);
            let (value, proof) = prove(&latest, &key, 29).unwrap();
            assert_eq!(value.as_ref(), live.get(&key), "item {id}");
            assert!(
                verify_proof(&root, &key, value.as_deref(), &proof),
                "item {id}"
            );
        }
        assert!(state_root_at(&latest, 0).is_err());
        // A key the newest version wrote: its value at version 0 is gone.
        let rewritten = last_changes.keys().next().expect("the last version wrote");
        assert!(latest.get_value_option(0, tree_key(rewritten)).is_err());
    }

    #[test]
    fn overlay_layers() {
        let store = MemoryStore::new();
        let mut overlay = Overlay::new(&store);
        overlay.put(keys::item(1), vec![1]);
        overlay.commit_tx();
        overlay.put(keys::item(2), vec![2]);
        overlay.delete(keys::item(1));
        assert_eq!(overlay.get(&keys::item(1)).unwrap(), None);
        assert_eq!(overlay.scan_prefix(&[Table::Item as u8]).unwrap().len(), 1);
        overlay.discard_tx();
        assert_eq!(overlay.get(&keys::item(1)).unwrap(), Some(vec![1]));
        assert_eq!(overlay.get(&keys::item(2)).unwrap(), None);
        assert_eq!(overlay.into_changes().len(), 1);
    }
}
