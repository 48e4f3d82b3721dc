//! What the catalog answers (`product_*`, `seller_*`, `catalog_*`): a piece's owners
//! and a seller's standing.

use serde::{Deserialize, Serialize};
use truffle_ledger::types::{Account, AccountStatus, OwnershipRecord, Role, SellerStatus};
use truffle_ledger::PublicKey;

/// Every owner a piece has had, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ItemHistory {
    /// Item id.
    pub item: u64,
    /// Its product.
    pub product: u64,
    /// Brand of the product.
    pub brand: String,
    /// Model of the product.
    pub model: String,
    /// Serial number of the piece.
    pub serial: String,
    /// Its number k in the edition k/N.
    pub edition: u32,
    /// Edition size N.
    pub edition_size: u32,
    /// The current owner.
    pub owner: PublicKey,
    /// Every entry of the ownership history (the first is the registration), each with
    /// the block height and hash of the transaction that made it.
    pub owners: Vec<OwnershipRecord>,
}

/// The seller states a listing can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SellerState {
    /// Applied, waiting for an admin.
    Applied,
    /// Approved: may register products.
    Approved,
    /// Revoked (or withdrawn while a seller).
    Revoked,
}

/// An account's standing as a seller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SellerStanding {
    /// The account.
    pub account: PublicKey,
    /// Its role.
    pub role: Role,
    /// Whether it may sign.
    pub status: AccountStatus,
    /// Seller standing, with the shop name and the height of the last decision.
    pub seller: SellerStatus,
    /// Whether it may register products now (an active, approved member).
    pub may_register: bool,
    /// Raffles voided because this seller withheld its committed secret.
    pub missed_reveals: u32,
    /// Block time before which it may not create a raffle (cooling period after a
    /// missed reveal; `None`: none was ever imposed).
    pub raffle_cooldown_until_ms: Option<u64>,
}

impl SellerState {
    /// The state of a standing (`None` for accounts that never applied).
    pub fn of(status: &SellerStatus) -> Option<SellerState> {
        match status {
            SellerStatus::None => None,
            SellerStatus::Applied { .. } => Some(SellerState::Applied),
            SellerStatus::Approved { .. } => Some(SellerState::Approved),
            SellerStatus::Revoked { .. } => Some(SellerState::Revoked),
        }
    }
}

impl SellerStanding {
    /// The standing of `account`.
    pub fn of(account: &Account) -> SellerStanding {
        SellerStanding {
            account: account.key,
            role: account.role,
            status: account.status,
            seller: account.seller.clone(),
            may_register: account.role == Role::Member
                && account.status == AccountStatus::Active
                && account.is_approved_seller(),
            missed_reveals: account.missed_reveals,
            raffle_cooldown_until_ms: (account.raffle_cooldown_until_ms > 0)
                .then_some(account.raffle_cooldown_until_ms),
        }
    }
}
