//! Recommendations on the node (flow 7): the `truffle-reco` core fed from the node's
//! store, clock and members' sealed profiles; the methods behind `reco_*` (a member's
//! cohort, pages for members, visitors and admins, similar products); the follower that
//! rebuilds the model as blocks apply.

use truffle_ledger::types::Gender;
use truffle_ledger::PublicKey;

use std::time::Duration;

use truffle_clock::SharedClock;
use truffle_engine::read_model::{FollowPolicy, Progress, ReadModel, ReadModelError, Update};
use truffle_ledger::admin_query::AdminQuery;
use truffle_store::Store;

pub use truffle_reco::*;

use crate::Node;

impl RecoSource for Node {
    fn store(&self) -> &Store {
        self.engine().store()
    }

    fn clock(&self) -> &SharedClock {
        self.engine().clock()
    }

    fn profile(&self, account: &PublicKey) -> Option<(Gender, u16)> {
        self.gender_and_birth_year(account)
    }
}

impl Node {
    /// A member's gender and birth year from their sealed profile (none without one).
    pub(crate) fn gender_and_birth_year(&self, account: &PublicKey) -> Option<(Gender, u16)> {
        self.members()
            .profile(self, account)
            .ok()
            .flatten()
            .map(|p| (p.gender, p.birth_year))
    }

    /// The recommendation read model.
    pub fn recommender(&self) -> &Recommender {
        &self.inner.recommender
    }

    /// The cohort of a member, from their sealed profile (none without one).
    pub fn cohort_of(&self, account: &PublicKey) -> Result<Option<model::Cohort>, RecoError> {
        Ok(truffle_reco::ledger::cohort_of(
            self.store(),
            account,
            year_at(self.now_ms()),
            &|account| self.gender_and_birth_year(account),
        )?)
    }

    /// Recommendations for a member's account (used by `reco_forMe`).
    pub fn recommend_for(
        &self,
        account: &PublicKey,
        page: Option<u32>,
        page_size: Option<u32>,
    ) -> Result<RecoPage, RecoError> {
        let (page, size) = page::resolve_page(page, page_size)?;
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
        truffle_ledger::admin_query::check(
            self.store(),
            &self.chain_id(),
            query,
            method,
            self.now_ms(),
        )?;
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
        let (page, size) = page::resolve_page(page, page_size)?;
        let cohort = gender.zip(birth_year).map(|(gender, year)| {
            model::Cohort::of_age(
                gender,
                truffle_ledger::tx::age_in_years(year, self.now_ms()),
            )
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
        let (page, size) = page::resolve_page(page, page_size)?;
        self.recommender().similar(self, product, page, size)
    }
}

/// Keeps the node's recommender current through the engine's read-model driver: built
/// at start, then again after applied blocks or an installed snapshot, at most every
/// [`REBUILD_AFTER`]. It needs the node (sealed profiles give the cohorts).
pub(crate) struct RecoFollower(pub(crate) Node);

/// The recommender rebuilds from the store whatever happened, so blocks are only a
/// signal; the driver offers the first update at once.
pub(crate) const FOLLOW_POLICY: FollowPolicy = FollowPolicy {
    idle_after: Duration::from_secs(3600),
    retry_after: REBUILD_AFTER,
    rebuild_when_behind: true,
};

impl ReadModel for RecoFollower {
    fn name(&self) -> &'static str {
        "reco"
    }

    fn prepare(&self) -> Result<(), ReadModelError> {
        Ok(self.0.recommender().rebuild(&self.0)?)
    }

    fn update(&self, _update: &Update) -> Result<Progress, ReadModelError> {
        let node = &self.0;
        if let Some(since) = node.recommender().since_last_build(node) {
            if since < REBUILD_AFTER {
                return Ok(Progress::Later(REBUILD_AFTER - since));
            }
        }
        node.recommender().rebuild(node)?;
        Ok(Progress::Done)
    }
}
