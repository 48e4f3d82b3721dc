//! The data the ranking core and its signals share: item and user indexes, cohorts,
//! interactions and histories.

use serde::{Deserialize, Serialize};
use truffle_ledger::types::Gender;

/// Dense index of an item in a [`crate::model::Dataset`].
pub type ItemIx = u32;
/// Dense index of a user in a [`crate::model::Dataset`].
pub type UserIx = u32;

/// A gender × age band (10 = teens, 20 = twenties, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cohort {
    /// Gender.
    pub gender: Gender,
    /// Decade of age.
    pub age_band: u16,
}

impl Cohort {
    /// The cohort of someone `age` years old.
    pub fn of_age(gender: Gender, age: u32) -> Cohort {
        Cohort {
            gender,
            age_band: (age.min(200) / 10 * 10) as u16,
        }
    }
}

/// One thing a user did with an item.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interaction {
    /// Who.
    pub user: UserIx,
    /// What.
    pub item: ItemIx,
    /// When, in seconds (MovieLens timestamps; block time on the ledger).
    pub time: u64,
    /// How much it says (a purchase more than a raffle entry).
    pub weight: f32,
}

/// A past interaction of the user being ranked for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HistoryEntry {
    /// The item.
    pub item: ItemIx,
    /// When.
    pub time: u64,
    /// How much it says.
    pub weight: f32,
}
