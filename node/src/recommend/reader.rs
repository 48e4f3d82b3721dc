//! The node's recommendation read model: built from the store when the node starts (or
//! when first asked), rebuilt in the background after applied blocks or an installed
//! snapshot, at most every [`REBUILD_AFTER`]; pages of ranked products with a reason
//! each. Nothing of it is stored: it is derived from the ledger and the sealed profiles
//! (opened in memory only), so it is simply built again after a restart.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::broadcast;
use truffle_consensus::LedgerEvent;
use truffle_ledger::PublicKey;

use crate::recommend::ledger::{self, LedgerView};
use crate::recommend::model::{Dataset, HistoryEntry, Model, Params, Query};
use crate::recommend::page::{item, paginate, reason, RecoError, RecoPage, Viewer};
use crate::recommend::service::year_now;
use crate::Node;

/// A model is rebuilt at most this often while blocks keep coming.
pub const REBUILD_AFTER: Duration = Duration::from_secs(2);

/// A built model with the ledger view it came from: answers queries without the node.
pub struct Built {
    model: Model,
    view: LedgerView,
}

/// The recommender of a node.
#[derive(Default)]
pub struct Recommender {
    built: RwLock<Option<Arc<Built>>>,
    /// One build at a time; a request that finds no model waits for it.
    building: Mutex<Option<Instant>>,
}

impl Built {
    /// Builds the model over a ledger view.
    pub fn new(data: &Dataset, view: LedgerView, params: Params) -> Built {
        Built {
            model: Model::build(data, params),
            view,
        }
    }

    /// Ledger height it was built at.
    pub fn height(&self) -> u64 {
        self.view.height
    }

    /// A page of products for `viewer`: never one they own or bought, never a sold-out one.
    pub fn for_viewer(&self, viewer: &Viewer, page: u32, size: u32) -> RecoPage {
        let view = &self.view;
        let none: Vec<HistoryEntry> = Vec::new();
        let history = viewer
            .account
            .and_then(|a| view.user_of.get(&a))
            .map_or(&none, |u| &view.histories[*u as usize]);
        let owned = viewer.account.and_then(|a| view.owned.get(&a));
        let query = Query {
            cohort: viewer.cohort,
            history,
        };
        let ranked = self.model.rank(&query, |ix| {
            !owned.is_some_and(|o| o.contains(&ix))
                && view.products.get(ix as usize).is_some_and(|p| p.available)
        });
        paginate(ranked, page, size, view.height, |s| {
            item(
                &view.products[s.item as usize],
                s.score,
                reason(s.reason, viewer.cohort, view, false),
            )
        })
    }

    /// A page of products like `product` (bought together with it, same brand or
    /// category), available ones only.
    pub fn similar(&self, product: u64, page: u32, size: u32) -> Result<RecoPage, RecoError> {
        let view = &self.view;
        let ix = *view
            .item_of
            .get(&product)
            .ok_or(RecoError::UnknownProduct(product))?;
        let ranked = self.model.similar(ix, |other| {
            view.products
                .get(other as usize)
                .is_some_and(|p| p.available)
        });
        Ok(paginate(ranked, page, size, view.height, |s| {
            item(
                &view.products[s.item as usize],
                s.score,
                reason(s.reason, None, view, true),
            )
        }))
    }
}

impl Recommender {
    /// An empty recommender (built by [`follow`] or on first use).
    pub fn new() -> Recommender {
        Recommender::default()
    }

    fn current(&self) -> Option<Arc<Built>> {
        self.built
            .read()
            .expect("recommender lock poisoned")
            .clone()
    }

    /// Builds a model from the node's store now.
    pub fn rebuild(&self, node: &Node) -> Result<(), RecoError> {
        self.rebuild_if(node, |_| true).map(|_| ())
    }

    /// Builds a model unless, once the build lock is held, the current one is no longer
    /// `stale`: callers that waited for another build use its result instead of
    /// scanning the ledger again.
    fn rebuild_if(
        &self,
        node: &Node,
        stale: impl Fn(&Built) -> bool,
    ) -> Result<Arc<Built>, RecoError> {
        let mut building = self.building.lock().expect("recommender lock poisoned");
        if let Some(built) = self.current().filter(|built| !stale(built)) {
            return Ok(built);
        }
        let store = node.store();
        let height = store.head()?.map_or(0, |h| h.height);
        let block_secs = |height: u64| {
            store
                .header(height)
                .ok()
                .flatten()
                .map(|h| h.time_ms / 1000)
        };
        let profile = |account: &PublicKey| node.gender_and_birth_year(account);
        let (data, view) = ledger::build(store, height, year_now(), &block_secs, &profile)?;
        let built = Arc::new(Built::new(&data, view, Params::default()));
        *self.built.write().expect("recommender lock poisoned") = Some(built.clone());
        *building = Some(Instant::now());
        Ok(built)
    }

    fn ensure(&self, node: &Node) -> Result<Arc<Built>, RecoError> {
        match self.current() {
            Some(built) => Ok(built),
            None => self.rebuild_if(node, |_| false),
        }
    }

    /// A page of products for `viewer` (see [`Built::for_viewer`]).
    pub fn for_viewer(
        &self,
        node: &Node,
        viewer: &Viewer,
        page: u32,
        size: u32,
    ) -> Result<RecoPage, RecoError> {
        Ok(self.ensure(node)?.for_viewer(viewer, page, size))
    }

    /// A page of products like `product` (see [`Built::similar`]).
    pub fn similar(
        &self,
        node: &Node,
        product: u64,
        page: u32,
        size: u32,
    ) -> Result<RecoPage, RecoError> {
        let built = self.ensure(node)?;
        if built.view.item_of.contains_key(&product) || !node.product_exists(product)? {
            return built.similar(product, page, size);
        }
        // Registered since the last build: build once more before answering.
        self.rebuild_if(node, |built| !built.view.item_of.contains_key(&product))?
            .similar(product, page, size)
    }

    /// When the last build finished; a build under way counts as now (the follower
    /// task must not block on it).
    fn last_build(&self) -> Option<Instant> {
        match self.building.try_lock() {
            Ok(at) => *at,
            Err(std::sync::TryLockError::WouldBlock) => Some(Instant::now()),
            Err(std::sync::TryLockError::Poisoned(_)) => panic!("recommender lock poisoned"),
        }
    }
}

/// Keeps the node's recommender current: builds it at start, then again after applied
/// blocks or an installed snapshot (at most every [`REBUILD_AFTER`]).
pub(crate) async fn follow(node: Node) {
    let mut events = node.subscribe();
    let mut dirty = true;
    loop {
        if dirty {
            let since = node.recommender().last_build().map(|at| at.elapsed());
            if since.is_none_or(|s| s >= REBUILD_AFTER) {
                let n = node.clone();
                match tokio::task::spawn_blocking(move || n.recommender().rebuild(&n)).await {
                    Ok(Ok(())) => dirty = false,
                    Ok(Err(error)) => {
                        tracing::warn!(target: "reco", %error, "cannot build recommendations; will retry")
                    }
                    Err(error) => {
                        tracing::error!(target: "reco", %error, "recommendation build panicked; will retry")
                    }
                }
            }
        }
        let wait = if dirty {
            REBUILD_AFTER
        } else {
            Duration::from_secs(3600)
        };
        tokio::select! {
            event = events.recv() => match event {
                Ok(LedgerEvent::Block(_)) | Ok(LedgerEvent::SnapshotInstalled { .. })
                | Err(broadcast::error::RecvError::Lagged(_)) => dirty = true,
                Ok(_) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = tokio::time::sleep(wait) => {}
            _ = node.inner.shutdown.notified() => return,
        }
    }
}

#[cfg(test)]
#[path = "reader_tests.rs"]
mod ledger_tests;
