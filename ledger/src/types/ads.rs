//! Banner campaigns.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use super::{Gender, TxRef};

/// What an admin submits to run a banner.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct AdSpec {
    /// Title (alt text of the banner).
    pub title: String,
    /// Image URL of the banner.
    pub image_url: String,
    /// Where a click goes: an absolute http(s) URL fixed here, never taken from a request.
    pub landing_url: String,
    /// Page the banner shows on, e.g. "main" or "search".
    pub placement: String,
    /// First block time it shows.
    pub starts_at_ms: u64,
    /// First block time it no longer shows.
    pub ends_at_ms: u64,
    /// Show only to this gender, if set.
    pub target_gender: Option<Gender>,
    /// Show only to viewers at least this old, if set.
    pub target_min_age: Option<u8>,
    /// Show only to viewers at most this old, if set.
    pub target_max_age: Option<u8>,
}

/// A banner campaign.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct AdCampaign {
    /// Campaign id (sequential).
    pub id: u64,
    /// The campaign as created (or last updated).
    pub spec: AdSpec,
    /// Admin switch.
    pub active: bool,
    /// The creating transaction.
    pub created: TxRef,
}

impl AdCampaign {
    /// Whether the banner shows at block time `now_ms`.
    pub fn is_live_at(&self, now_ms: u64) -> bool {
        self.active && self.spec.starts_at_ms <= now_ms && now_ms < self.spec.ends_at_ms
    }
}
