//! The recommendation read model: built from the store when the node starts (or
//! when first asked), rebuilt in the background after applied blocks or an installed
//! snapshot, at most every [`REBUILD_AFTER`]; pages of ranked products with a reason
//! each. Nothing of it is stored: it is derived from the ledger and the sealed profiles
//! (opened in memory only), so it is simply built again after a restart.

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use truffle_clock::SharedClock;
use truffle_ledger::state::StateView;
use truffle_ledger::types::Gender;
use truffle_ledger::PublicKey;
use truffle_store::Store;

use crate::ledger::{self, LedgerView};
use crate::model::{Dataset, HistoryEntry, Model, Params, Query};
use crate::page::{item, paginate, reason, RecoError, RecoPage, Viewer};

/// What the recommender reads: the ledger, the clock and the members' profiles.
pub trait RecoSource {
    /// The node's store.
    fn store(&self) -> &Store;
    /// The node's clock.
    fn clock(&self) -> &SharedClock;
    /// A member's gender and birth year from their sealed profile (none without one).
    fn profile(&self, account: &PublicKey) -> Option<(Gender, u16)>;
}

/// The calendar year (for ages) at `now_ms`, as the ledger counts years.
pub fn year_at(now_ms: u64) -> u16 {
    truffle_ledger::tx::age_in_years(0, now_ms) as u16
}

/// Whether a product is registered.
pub fn product_exists(store: &Store, product: u64) -> Result<bool, RecoError> {
    Ok(store
        .get(&truffle_ledger::state::keys::product(product))?
        .is_some())
}

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
    /// One build at a time; a request that finds no model waits for it. Holds when
    /// the last build finished (the node clock's monotonic ms).
    building: Mutex<Option<u64>>,
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
    /// An empty recommender (built by [`RecoFollower`] or on first use).
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
    pub fn rebuild(&self, node: &dyn RecoSource) -> Result<(), RecoError> {
        self.rebuild_if(node, |_| true).map(|_| ())
    }

    /// Builds a model unless, once the build lock is held, the current one is no longer
    /// `stale`: callers that waited for another build use its result instead of
    /// scanning the ledger again.
    fn rebuild_if(
        &self,
        node: &dyn RecoSource,
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
        let profile = |account: &PublicKey| node.profile(account);
        let (data, view) = ledger::build(
            store,
            height,
            year_at(node.clock().now_ms()),
            &block_secs,
            &profile,
        )?;
        let built = Arc::new(Built::new(&data, view, Params::default()));
        *self.built.write().expect("recommender lock poisoned") = Some(built.clone());
        *building = Some(node.clock().monotonic_ms());
        Ok(built)
    }

    fn ensure(&self, node: &dyn RecoSource) -> Result<Arc<Built>, RecoError> {
        match self.current() {
            Some(built) => Ok(built),
            None => self.rebuild_if(node, |_| false),
        }
    }

    /// A page of products for `viewer` (see [`Built::for_viewer`]).
    pub fn for_viewer(
        &self,
        node: &dyn RecoSource,
        viewer: &Viewer,
        page: u32,
        size: u32,
    ) -> Result<RecoPage, RecoError> {
        Ok(self.ensure(node)?.for_viewer(viewer, page, size))
    }

    /// A page of products like `product` (see [`Built::similar`]).
    pub fn similar(
        &self,
        node: &dyn RecoSource,
        product: u64,
        page: u32,
        size: u32,
    ) -> Result<RecoPage, RecoError> {
        let built = self.ensure(node)?;
        if built.view.item_of.contains_key(&product) || !product_exists(node.store(), product)? {
            return built.similar(product, page, size);
        }
        // Registered since the last build: build once more before answering.
        self.rebuild_if(node, |built| !built.view.item_of.contains_key(&product))?
            .similar(product, page, size)
    }

    /// How long ago the last build finished; a build under way counts as just now
    /// (the follower task must not block on it).
    pub fn since_last_build(&self, node: &dyn RecoSource) -> Option<Duration> {
        let finished = match self.building.try_lock() {
            Ok(at) => *at,
            Err(std::sync::TryLockError::WouldBlock) => return Some(Duration::ZERO),
            Err(std::sync::TryLockError::Poisoned(_)) => panic!("recommender lock poisoned"),
        };
        finished.map(|at| Duration::from_millis(node.clock().monotonic_ms().saturating_sub(at)))
    }
}

#[cfg(test)]
#[path = "reader_tests.rs"]
mod ledger_tests;
