//! What the recommendation RPC returns: pages of products, each with a reason (a kind
//! for programs, a Korean sentence for people), and the page bounds.

use truffle_ledger::types::Gender;
use truffle_ledger::{LedgerError, PublicKey};

use crate::ledger::{LedgerView, ProductInfo};
use crate::model::{Cohort, ItemIx, Scored, Signal};
pub use truffle_wire::reco::{Reason, ReasonKind, RecoItem, RecoPage};

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
    Admin(#[from] truffle_ledger::admin_query::AdminQueryError),
    /// The ledger could not be read.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The block store could not be read.
    #[error(transparent)]
    Store(#[from] truffle_store::StoreError),
}

impl From<truffle_ledger::admin_query::AdminCheckError> for RecoError {
    fn from(error: truffle_ledger::admin_query::AdminCheckError) -> Self {
        match error {
            truffle_ledger::admin_query::AdminCheckError::Refused(refusal) => {
                RecoError::Admin(refusal)
            }
            truffle_ledger::admin_query::AdminCheckError::Ledger(error) => RecoError::Ledger(error),
        }
    }
}

/// Who recommendations are for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Viewer {
    /// A member's account (history, owned products), or none for a visitor.
    pub account: Option<PublicKey>,
    /// Gender × age band, if known.
    pub cohort: Option<Cohort>,
}

fn gender_ko(gender: Gender) -> &'static str {
    match gender {
        Gender::Female => "여성",
        Gender::Male => "남성",
        Gender::Other => "회원",
    }
}

pub(crate) fn reason(
    signal: Signal,
    cohort: Option<Cohort>,
    view: &LedgerView,
    similar: bool,
) -> Reason {
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

pub(crate) fn item(info: &ProductInfo, score: f32, reason: Reason) -> RecoItem {
    RecoItem {
        product: info.id,
        name_ko: info.name_ko.clone(),
        name_en: info.name_en.clone(),
        brand: info.brand.clone(),
        category: info.category.clone(),
        price: info.price,
        score: f64::from(score),
        reason,
        image: info.image,
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

pub(crate) fn paginate(
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
