//! What banner ads answer (`ad_*`): banners to show and their statistics.

use serde::{Deserialize, Serialize};
use truffle_ledger::types::Gender;
use truffle_ledger::PublicKey;

pub use truffle_ledger::admin_query::AdminQuery;

/// Who is looking at a page, for targeting (both optional; nothing is stored).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(default)]
pub struct AdViewer {
    /// The viewer's gender, if known.
    pub gender: Option<Gender>,
    /// The viewer's birth year, if known.
    pub birth_year: Option<u16>,
}

/// A banner to show. It carries no landing URL: a click goes through `click_url`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AdBanner {
    /// Campaign id.
    pub id: u64,
    /// Title (alt text).
    pub title: String,
    /// Image URL of the banner.
    pub image_url: String,
    /// Page it shows on.
    pub placement: String,
    /// Path on this node that counts the click and redirects: `/ads/{id}/click`.
    pub click_url: String,
    /// First block time it no longer shows.
    pub ends_at_ms: u64,
}

/// A campaign with its counts summed over the validators that answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CampaignStats {
    /// Campaign id.
    pub ad: u64,
    /// Title.
    pub title: String,
    /// Page it shows on.
    pub placement: String,
    /// The landing URL fixed on the ledger.
    pub landing_url: String,
    /// Admin switch.
    pub active: bool,
    /// Whether it shows now.
    pub live: bool,
    /// First block time it shows.
    pub starts_at_ms: u64,
    /// First block time it no longer shows.
    pub ends_at_ms: u64,
    /// Impressions, summed.
    pub impressions: u64,
    /// Clicks, summed.
    pub clicks: u64,
}

/// One validator's part in the sums.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NodeShare {
    /// The validator.
    pub node: PublicKey,
    /// Whether it answered (its counts are in the sums).
    pub answered: bool,
    /// Why not, if it did not.
    pub error: Option<String>,
}

/// Every campaign's impressions and clicks over the cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AdStats {
    /// Campaigns by id.
    pub campaigns: Vec<CampaignStats>,
    /// The validators asked.
    pub nodes: Vec<NodeShare>,
    /// The node's clock when it answered.
    pub time_ms: u64,
}
