//! Decoded state-tree nodes kept in memory between blocks.
//!
//! Every block rewrites the nodes on the paths of the keys it changes, and the next
//! block reads most of them again: the upper levels of the tree are on nearly every
//! path. Without this cache each of those reads was a RocksDB lookup and a decode
//! (a fifth of a loaded node's CPU). Nodes are immutable under their key (the key
//! holds the version that wrote them), so an entry is never stale; the cache is only
//! emptied when a snapshot replaces the whole tree.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use jmt::storage::{Node, NodeKey};
use lru::LruCache;

/// Nodes kept: about 20 MiB at the few hundred bytes an internal node takes.
pub(crate) const CAPACITY: usize = 1 << 16;

/// A bounded, least-recently-used map of tree nodes.
pub(crate) struct NodeCache {
    nodes: Mutex<LruCache<NodeKey, Node>>,
}

impl NodeCache {
    /// An empty cache of at most `capacity` nodes (at least one).
    pub(crate) fn new(capacity: usize) -> NodeCache {
        let capacity = NonZeroUsize::new(capacity.max(1)).expect("at least one");
        NodeCache {
            nodes: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// The node under `key`, if cached.
    pub(crate) fn get(&self, key: &NodeKey) -> Option<Node> {
        self.lock().get(key).cloned()
    }

    /// Caches one node.
    pub(crate) fn insert(&self, key: NodeKey, node: Node) {
        self.lock().put(key, node);
    }

    /// Caches the nodes a committed block wrote.
    pub(crate) fn insert_all<'a>(&self, nodes: impl IntoIterator<Item = (&'a NodeKey, &'a Node)>) {
        let mut cache = self.lock();
        for (key, node) in nodes {
            cache.put(key.clone(), node.clone());
        }
    }

    /// Forgets every node (the tree was replaced).
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<NodeKey, Node>> {
        // A panic while holding the lock cannot leave the map half-updated in a way
        // that matters: entries are whole nodes. Keep serving.
        self.nodes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl std::fmt::Debug for NodeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeCache")
            .field("len", &self.lock().len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use jmt::storage::LeafNode;
    use jmt::{KeyHash, ValueHash};

    use super::*;

    fn leaf(n: u8) -> (NodeKey, Node) {
        // NibblePath has no public constructor: (nibble count, bytes) in borsh.
        let path: jmt::storage::NibblePath =
            borsh::from_slice(&borsh::to_vec(&(2u64, vec![n])).expect("encodes"))
                .expect("a two-nibble path");
        let key = NodeKey::new(u64::from(n), path);
        let node = Node::Leaf(LeafNode::new(KeyHash([n; 32]), ValueHash([n; 32])));
        (key, node)
    }

    #[test]
    fn keeps_the_most_recent_nodes_up_to_its_capacity() {
        let cache = NodeCache::new(2);
        let (k1, n1) = leaf(1);
        let (k2, n2) = leaf(2);
        let (k3, n3) = leaf(3);
        cache.insert(k1.clone(), n1.clone());
        cache.insert_all([(&k2, &n2)]);
        assert_eq!(cache.get(&k1), Some(n1), "a read makes 1 the most recent");
        cache.insert(k3.clone(), n3.clone());
        assert_eq!(cache.get(&k2), None, "2 was the least recently used");
        assert_eq!(cache.get(&k3), Some(n3));
        cache.clear();
        assert_eq!(cache.get(&k1), None);
        assert_eq!(cache.get(&k3), None);
    }
}
