//! Accounts: roles, standing, seller standing, the account record.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::crypto::PublicKey;

/// What an account may do.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A verified marketplace member (buyer; seller once approved).
    Member,
    /// Marketplace administrator: approves sellers, runs ads, changes validators.
    Admin,
    /// A validator's service account: registers verified members, settles payments.
    Operator,
}

/// Whether an account may sign.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Normal.
    Active,
    /// Frozen by an admin; may be reactivated.
    Suspended,
    /// The member left; final.
    Withdrawn,
}

/// A member's standing as a seller.
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
#[serde(rename_all = "snake_case", tag = "state")]
pub enum SellerStatus {
    /// Not a seller.
    None,
    /// Applied, waiting for an admin.
    Applied {
        /// Shop name given in the application.
        shop_name: String,
    },
    /// May register products.
    Approved {
        /// Shop name.
        shop_name: String,
        /// Height of the approval.
        since_height: u64,
    },
    /// Was a seller; may no longer register products.
    Revoked {
        /// Shop name.
        shop_name: String,
        /// Height of the revocation.
        at_height: u64,
    },
}

/// Gender, for ad targeting and recommendation cohorts.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    /// Female.
    Female,
    /// Male.
    Male,
    /// Other or not stated.
    Other,
}

/// An account on the ledger.
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
pub struct Account {
    /// The account's public key (its id).
    pub key: PublicKey,
    /// What the account may do.
    pub role: Role,
    /// Whether it may sign.
    pub status: AccountStatus,
    /// The nonce the account's next transaction must carry.
    pub nonce: u64,
    /// A registrar checked the member's phone before registering it.
    pub phone_verified: bool,
    /// A registrar attested at registration that the member is an adult (19+), for
    /// age-limited raffles; the ledger holds nothing else about a member's age.
    pub adult: bool,
    /// Seller standing.
    pub seller: SellerStatus,
    /// Height at which the account was created.
    pub registered_height: u64,
    /// Raffles of this seller voided because it withheld its committed secret.
    pub missed_reveals: u32,
    /// Block time before which this seller may not create a raffle (0: no cooling
    /// period): set when a raffle is voided for a missed reveal, to the void's block
    /// time plus `missed_reveals × ChainParams::missed_reveal_cooldown_ms`.
    pub raffle_cooldown_until_ms: u64,
}

impl Account {
    /// Whether the account may register products.
    pub fn is_approved_seller(&self) -> bool {
        matches!(self.seller, SellerStatus::Approved { .. })
    }
}
