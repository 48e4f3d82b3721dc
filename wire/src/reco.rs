//! What recommendations answer (`reco_*`): a page of products, each with its reason.

use serde::{Deserialize, Serialize};
use truffle_ledger::types::Gender;

/// What a reason is, for programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
    /// blake3 of the product's first image (`/images/{hash}/thumb` is its thumbnail).
    #[serde(default)]
    pub image: Option<truffle_ledger::Hash>,
}

/// A page of recommendations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
