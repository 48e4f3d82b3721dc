//! The node's metrics: the engine's, and the gauges of its features' read models.

use std::path::PathBuf;
use std::sync::Arc;

use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};
use truffle_engine::metrics::{dir_size, EngineMetrics};

/// The node's metrics. Cheap to share; counters are atomics.
#[derive(Debug)]
pub struct NodeMetrics {
    engine: Arc<EngineMetrics>,
    search_index_bytes: Gauge,
    search_index_dir: PathBuf,
}

impl NodeMetrics {
    /// The engine's metrics and the features' gauges beside them.
    pub(crate) fn new(engine: Arc<EngineMetrics>, search_index_dir: PathBuf) -> NodeMetrics {
        NodeMetrics {
            engine,
            search_index_bytes: Gauge::default(),
            search_index_dir,
        }
    }

    /// Adds every metric to `registry` (which the caller prefixes, e.g. `truffle`).
    pub fn register(&self, registry: &mut Registry) {
        self.engine.register(registry);
        registry.register_with_unit(
            "search_index",
            "Size of the product search index on disk",
            Unit::Bytes,
            self.search_index_bytes.clone(),
        );
    }

    /// Reads the state figures from the node, just before a scrape encodes them.
    pub async fn refresh(&self, node: &crate::Node) {
        self.engine.refresh(node.engine()).await;
        let bytes = dir_size(&self.search_index_dir);
        self.search_index_bytes
            .set(i64::try_from(bytes).unwrap_or(i64::MAX));
    }
}
