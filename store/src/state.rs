//! The state records and the Jellyfish Merkle tree, as the ledger reads them.

use jmt::storage::{LeafNode, Node, NodeBatch, NodeKey, TreeReader, TreeUpdateBatch};
use jmt::{KeyHash, OwnedValue, Version};
use rocksdb::{Direction, IteratorMode, WriteBatch};
use truffle_ledger::state::{StateChanges, StateView, Table};
use truffle_ledger::{LedgerError, LedgerResult};

use crate::error::{decode, encode, StoreResult};
use crate::{cf, Store};

/// Splits a state key into its table and the key within the table's family.
fn split_key(key: &[u8]) -> LedgerResult<(Table, &[u8])> {
    let table = Table::of_key(key).ok_or_else(|| {
        LedgerError::Storage(format!("state key with unknown table {:?}", key.first()))
    })?;
    Ok((table, &key[1..]))
}

fn value_key(key_hash: &KeyHash, version: Version) -> [u8; 40] {
    let mut out = [0u8; 40];
    out[..32].copy_from_slice(&key_hash.0);
    out[32..].copy_from_slice(&version.to_be_bytes());
    out
}

impl StateView for Store {
    fn get(&self, key: &[u8]) -> LedgerResult<Option<Vec<u8>>> {
        let (table, inner) = split_key(key)?;
        self.db
            .get_cf(self.state_family(table), inner)
            .map_err(|e| LedgerError::Storage(e.to_string()))
    }

    fn scan_prefix(&self, prefix: &[u8]) -> LedgerResult<Vec<(Vec<u8>, Vec<u8>)>> {
        let (table, inner) = split_key(prefix)?;
        let family = self.state_family(table);
        let mut out = Vec::new();
        for item in self
            .db
            .iterator_cf(family, IteratorMode::From(inner, Direction::Forward))
        {
            let (key, value) = item.map_err(|e| LedgerError::Storage(e.to_string()))?;
            if !key.starts_with(inner) {
                break;
            }
            let mut full = Vec::with_capacity(key.len() + 1);
            full.push(table as u8);
            full.extend_from_slice(&key);
            out.push((full, value.to_vec()));
        }
        Ok(out)
    }
}

impl TreeReader for Store {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        match self
            .db
            .get_cf(self.family(cf::TREE_NODES), encode(node_key))?
        {
            Some(bytes) => Ok(Some(decode("tree node", &bytes)?)),
            None => Ok(None),
        }
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        let mut iter = self.db.raw_iterator_cf(self.family(cf::TREE_VALUES));
        iter.seek_for_prev(value_key(&key_hash, max_version));
        if !iter.valid() {
            iter.status()?;
            return Ok(None);
        }
        let key = iter.key().expect("a valid iterator has a key");
        if key.len() != 40 || key[..32] != key_hash.0 {
            return Ok(None);
        }
        let value: Option<OwnedValue> = decode(
            "tree value",
            iter.value().expect("a valid iterator has a value"),
        )?;
        Ok(value)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        anyhow::bail!("tree restore is not used: snapshots rebuild the tree from records")
    }
}

impl Store {
    /// Adds state changes and tree nodes to a batch.
    pub(crate) fn stage_state(
        &self,
        batch: &mut WriteBatch,
        changes: &StateChanges,
        tree: &TreeUpdateBatch,
    ) -> LedgerResult<()> {
        for (key, value) in changes {
            let (table, inner) = split_key(key)?;
            let family = self.state_family(table);
            match value {
                Some(value) => batch.put_cf(family, inner, value),
                None => batch.delete_cf(family, inner),
            }
        }
        self.stage_nodes(batch, &tree.node_batch);
        let stale = self.family(cf::TREE_STALE);
        for index in &tree.stale_node_index_batch {
            let mut key = index.stale_since_version.to_be_bytes().to_vec();
            key.extend_from_slice(&encode(&index.node_key));
            batch.put_cf(stale, key, []);
        }
        Ok(())
    }

    pub(crate) fn stage_nodes(&self, batch: &mut WriteBatch, nodes: &NodeBatch) {
        let node_family = self.family(cf::TREE_NODES);
        for (key, node) in nodes.nodes() {
            batch.put_cf(node_family, encode(key), encode(node));
        }
        let value_family = self.family(cf::TREE_VALUES);
        for ((version, key_hash), value) in nodes.values() {
            batch.put_cf(value_family, value_key(key_hash, *version), encode(value));
        }
    }

    /// Deletes tree nodes that no version at or after `keep_from` needs. Proofs can
    /// then be served only against state roots from `keep_from` on.
    pub fn prune_tree(&self, keep_from: Version) -> StoreResult<usize> {
        let stale = self.family(cf::TREE_STALE);
        let nodes = self.family(cf::TREE_NODES);
        let mut batch = WriteBatch::default();
        let mut pruned = 0;
        for item in self.db.iterator_cf(stale, IteratorMode::Start) {
            let (key, _) = item?;
            let since = u64::from_be_bytes(
                key[..8]
                    .try_into()
                    .expect("stale keys start with a version"),
            );
            if since > keep_from {
                break;
            }
            batch.delete_cf(nodes, &key[8..]);
            batch.delete_cf(stale, &key);
            pruned += 1;
        }
        self.write(batch, false)?;
        Ok(pruned)
    }
}
