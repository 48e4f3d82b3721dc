//! The node's recommendation read model: built from the store when the node starts (or
//! when first asked), rebuilt in the background after applied blocks or an installed
//! snapshot, at most every [`REBUILD_AFTER`]; pages of ranked products with a reason
//! each. Nothing of it is stored: it is derived from the ledger and the sealed profiles
//! (opened in memory only), so it is simply built again after a restart.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use truffle_consensus::LedgerEvent;
use truffle_ledger::state::StateView;
use truffle_ledger::types::Gender;
use truffle_ledger::{LedgerError, PublicKey};

use crate::ads::{now_ms, AdError, AdminQuery};
use crate::recommend::ledger::{self, LedgerView, ProductInfo};
use crate::recommend::model::{Cohort, HistoryEntry, ItemIx, Model, Params, Query, Scored, Signal};
use crate::Node;

/// A model is rebuilt at most this often while blocks keep coming.
pub const REBUILD_AFTER: Duration = Duration::from_secs(2);
/// Items per page unless asked otherwise.
pub const DEFAULT_PAGE_SIZE: u32 = 12;
/// Most items a page may hold.
pub const MAX_PAGE_SIZE: u32 = 50;
/// How deep pages may go (page × page size): past this, a ranking says little.
pub const MAX_RESULTS: u32 = 200;

/// Why a recommendation request failed.
#[derive(Debug, thiserror::Error)]
pub enum RecoError {
    /// The page or page size is out of bounds.
    #[error("invalid page: {0}")]
    InvalidPage(String),
    /// No product has this id.
    #[error("product {0} not found")]
    UnknownProduct(u64),
    /// The admin query was refused.
    #[error(transparent)]
    Admin(#[from] AdError),
    /// The ledger could not be read.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The block store could not be read.
    #[error(transparent)]
    Store(#[from] truffle_store::StoreError),
}

/// What a reason is, for programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    /// Popular in the member's gender × age band.
    Cohort,
    /// Members who bought (or entered for) `product` also bought this.
    BoughtTogether,
    /// Same brand, model, category or price band as `product`.
    Similar,
    /// Popular with everyone lately.
    Popular,
    /// Newly registered.
    New,
}

/// Why an item is recommended: a kind, a Korean sentence, and the details.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// What kind of reason.
    pub kind: ReasonKind,
    /// The reason in Korean, for display.
    pub text: String,
    /// The product it relates to (bought together with, similar to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<u64>,
    /// The cohort's gender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    /// The cohort's age band (20 = twenties).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_band: Option<u16>,
}

/// One recommended product.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecoItem {
    /// Product id.
    pub product: u64,
    /// Korean name.
    pub name_ko: String,
    /// English name.
    pub name_en: String,
    /// Brand.
    pub brand: String,
    /// Category.
    pub category: String,
    /// Price of a piece, in won.
    pub price: u64,
    /// Score (higher first; comparable within one page only).
    pub score: f64,
    /// Why.
    pub reason: Reason,
}

/// A page of recommendations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecoPage {
    /// The items, best first.
    pub items: Vec<RecoItem>,
    /// This page, from 1.
    pub page: u32,
    /// Items per page.
    pub page_size: u32,
    /// Whether a next page has items.
    pub has_more: bool,
    /// Ledger height the model was built at.
    pub height: u64,
}

/// Who recommendations are for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Viewer {
    /// A member's account (history, owned products), or none for a visitor.
    pub account: Option<PublicKey>,
    /// Gender × age band, if known.
    pub cohort: Option<Cohort>,
}

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

fn gender_ko(gender: Gender) -> &'static str {
    match gender {
        Gender::Female => "여성",
        Gender::Male => "남성",
        Gender::Other => "회원",
    }
}

fn reason(signal: Signal, cohort: Option<Cohort>, view: &LedgerView, similar: bool) -> Reason {
    let product_at = |ix: ItemIx| view.products.get(ix as usize).map(|p| p.id);
    let plain = |kind, text: &str| Reason {
        kind,
        text: text.to_owned(),
        product: None,
        gender: None,
        age_band: None,
    };
    match signal {
        Signal::Cohort => match cohort {
            Some(c) => Reason {
                kind: ReasonKind::Cohort,
                text: format!(
                    "같은 연령대에서 인기 ({}대 {})",
                    c.age_band,
                    gender_ko(c.gender)
                ),
                product: None,
                gender: Some(c.gender),
                age_band: Some(c.age_band),
            },
            None => plain(ReasonKind::Popular, "요즘 인기 있는 상품"),
        },
        Signal::Popular => plain(ReasonKind::Popular, "요즘 인기 있는 상품"),
        Signal::Fresh => plain(ReasonKind::New, "새로 등록된 한정판"),
        Signal::Together { anchor } => Reason {
            product: product_at(anchor),
            ..plain(
                ReasonKind::BoughtTogether,
                "이 상품을 산 회원이 함께 산 상품",
            )
        },
        Signal::Content { anchor } => Reason {
            product: product_at(anchor),
            ..plain(
                ReasonKind::Similar,
                if similar {
                    "같은 브랜드·카테고리의 상품"
                } else {
                    "관심 상품과 브랜드·카테고리가 비슷한 상품"
                },
            )
        },
    }
}

fn item(info: &ProductInfo, score: f32, reason: Reason) -> RecoItem {
    RecoItem {
        product: info.id,
        name_ko: info.name_ko.clone(),
        name_en: info.name_en.clone(),
        brand: info.brand.clone(),
        category: info.category.clone(),
        price: info.price,
        score: f64::from(score),
        reason,
    }
}

/// Checks a page request; returns (page, page size).
pub fn resolve_page(page: Option<u32>, page_size: Option<u32>) -> Result<(u32, u32), RecoError> {
    let page = page.unwrap_or(1);
    let size = page_size.unwrap_or(DEFAULT_PAGE_SIZE);
    if page == 0 {
        return Err(RecoError::InvalidPage("pages count from 1".into()));
    }
    if size == 0 || size > MAX_PAGE_SIZE {
        return Err(RecoError::InvalidPage(format!(
            "the page size must be 1..={MAX_PAGE_SIZE}"
        )));
    }
    if u64::from(page) * u64::from(size) > u64::from(MAX_RESULTS) {
        return Err(RecoError::InvalidPage(format!(
            "at most {MAX_RESULTS} results are ranked (page × page size)"
        )));
    }
    Ok((page, size))
}

fn paginate(
    ranked: Vec<Scored>,
    page: u32,
    size: u32,
    height: u64,
    to_item: impl Fn(&Scored) -> RecoItem,
) -> RecoPage {
    let start = ((page - 1) * size) as usize;
    let end = start + size as usize;
    RecoPage {
        items: ranked
            .iter()
            .skip(start)
            .take(size as usize)
            .map(to_item)
            .collect(),
        page,
        page_size: size,
        has_more: ranked.len() > end && end < MAX_RESULTS as usize,
        height,
    }
}

impl Built {
    /// Builds the model over a ledger view.
    pub fn new(data: &crate::recommend::model::Dataset, view: LedgerView, params: Params) -> Built {
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
        let owned: HashSet<ItemIx> = viewer
            .account
            .and_then(|a| view.owned.get(&a))
            .cloned()
            .unwrap_or_default();
        let query = Query {
            cohort: viewer.cohort,
            history,
        };
        let ranked = self.model.rank(&query, |ix| {
            !owned.contains(&ix) && view.products.get(ix as usize).is_some_and(|p| p.available)
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

    /// Height of the current model, if built.
    pub fn height(&self) -> Option<u64> {
        self.current().map(|b| b.view.height)
    }

    fn current(&self) -> Option<Arc<Built>> {
        self.built
            .read()
            .expect("recommender lock poisoned")
            .clone()
    }

    /// Builds a model from the node's store now.
    pub fn rebuild(&self, node: &Node) -> Result<(), RecoError> {
        let mut building = self.building.lock().expect("recommender lock poisoned");
        let store = node.store();
        let height = store.head()?.map_or(0, |h| h.height);
        let block_secs = |height: u64| {
            store
                .header(height)
                .ok()
                .flatten()
                .map(|h| h.time_ms / 1000)
        };
        let profile = |account: &PublicKey| {
            node.members()
                .profile(node, account)
                .ok()
                .flatten()
                .map(|p| (p.gender, p.birth_year))
        };
        let (data, view) = ledger::build(store, height, year_now(), &block_secs, &profile)?;
        let built = Built::new(&data, view, Params::default());
        *self.built.write().expect("recommender lock poisoned") = Some(Arc::new(built));
        *building = Some(Instant::now());
        Ok(())
    }

    fn ensure(&self, node: &Node) -> Result<Arc<Built>, RecoError> {
        if let Some(built) = self.current() {
            return Ok(built);
        }
        self.rebuild(node)?;
        Ok(self.current().expect("just built"))
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
        self.rebuild(node)?;
        self.ensure(node)?.similar(product, page, size)
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

/// The current calendar year (for ages).
pub fn year_now() -> u16 {
    (1970 + now_ms() / 1000 / 31_556_952) as u16
}

impl Node {
    /// The recommendation read model.
    pub fn recommender(&self) -> &Recommender {
        &self.inner.recommender
    }

    /// The cohort of a member, from their sealed profile (none without one).
    pub fn cohort_of(&self, account: &PublicKey) -> Result<Option<Cohort>, RecoError> {
        let profile = |account: &PublicKey| {
            self.members()
                .profile(self, account)
                .ok()
                .flatten()
                .map(|p| (p.gender, p.birth_year))
        };
        Ok(ledger::cohort_of(
            self.store(),
            account,
            year_now(),
            &profile,
        )?)
    }

    /// Recommendations for a member's account (used by `reco_forMe`).
    pub fn recommend_for(
        &self,
        account: &PublicKey,
        page: Option<u32>,
        page_size: Option<u32>,
    ) -> Result<RecoPage, RecoError> {
        let (page, size) = resolve_page(page, page_size)?;
        let viewer = Viewer {
            account: Some(*account),
            cohort: self.cohort_of(account)?,
        };
        self.recommender().for_viewer(self, &viewer, page, size)
    }

    /// Recommendations for any account, for an admin (`query` signed for `method`).
    pub fn recommend_for_user(
        &self,
        query: &AdminQuery,
        method: &str,
        account: &PublicKey,
        page: Option<u32>,
        page_size: Option<u32>,
    ) -> Result<RecoPage, RecoError> {
        self.check_admin_query(query, method)?;
        self.recommend_for(account, page, page_size)
    }

    /// Recommendations for a visitor, by gender and birth year when given.
    pub fn recommend_for_visitor(
        &self,
        gender: Option<Gender>,
        birth_year: Option<u16>,
        page: Option<u32>,
        page_size: Option<u32>,
    ) -> Result<RecoPage, RecoError> {
        let (page, size) = resolve_page(page, page_size)?;
        let cohort = gender.zip(birth_year).map(|(gender, year)| {
            Cohort::of_age(gender, u32::from(year_now().saturating_sub(year)))
        });
        let viewer = Viewer {
            account: None,
            cohort,
        };
        self.recommender().for_viewer(self, &viewer, page, size)
    }

    /// Products like `product`.
    pub fn recommend_similar(
        &self,
        product: u64,
        page: Option<u32>,
        page_size: Option<u32>,
    ) -> Result<RecoPage, RecoError> {
        let (page, size) = resolve_page(page, page_size)?;
        self.recommender().similar(self, product, page, size)
    }

    fn product_exists(&self, product: u64) -> Result<bool, RecoError> {
        Ok(self
            .store()
            .get(&truffle_ledger::state::keys::product(product))?
            .is_some())
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
mod tests {
    use super::*;

    #[test]
    fn pages_are_bounded() {
        assert_eq!(resolve_page(None, None).unwrap(), (1, DEFAULT_PAGE_SIZE));
        assert!(matches!(
            resolve_page(Some(0), None),
            Err(RecoError::InvalidPage(_))
        ));
        assert!(matches!(
            resolve_page(None, Some(0)),
            Err(RecoError::InvalidPage(_))
        ));
        assert!(matches!(
            resolve_page(None, Some(MAX_PAGE_SIZE + 1)),
            Err(RecoError::InvalidPage(_))
        ));
        assert!(matches!(
            resolve_page(Some(5), Some(50)),
            Err(RecoError::InvalidPage(_))
        ));
        assert_eq!(resolve_page(Some(4), Some(50)).unwrap(), (4, 50));
    }
}

#[cfg(test)]
#[path = "reader_tests.rs"]
mod ledger_tests;
