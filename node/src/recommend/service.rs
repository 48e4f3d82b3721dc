//! The node's recommendation methods (what the `reco_*` RPC calls): a member's cohort
//! from their sealed profile, pages for members, visitors and admins, similar products.

use truffle_ledger::state::StateView;
use truffle_ledger::types::Gender;
use truffle_ledger::PublicKey;

use crate::ads::{now_ms, AdminQuery};
use crate::recommend::ledger;
use crate::recommend::model::Cohort;
use crate::recommend::page::{resolve_page, RecoError, RecoPage, Viewer};
use crate::recommend::reader::Recommender;
use crate::Node;

/// The current calendar year (for ages), as the ledger counts years.
pub fn year_now() -> u16 {
    truffle_ledger::tx::age_in_years(0, now_ms()) as u16
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
    pub fn cohort_of(&self, account: &PublicKey) -> Result<Option<Cohort>, RecoError> {
        Ok(ledger::cohort_of(
            self.store(),
            account,
            year_now(),
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
            Cohort::of_age(gender, truffle_ledger::tx::age_in_years(year, now_ms()))
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

    pub(crate) fn product_exists(&self, product: u64) -> Result<bool, RecoError> {
        Ok(self
            .store()
            .get(&truffle_ledger::state::keys::product(product))?
            .is_some())
    }
}
