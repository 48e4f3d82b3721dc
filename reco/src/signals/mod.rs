//! The signals the ranking blends, one concern per module. Each is pure: built from the
//! model's inputs, asked about items, no ledger and no clock.

pub mod content;
pub mod freshness;
pub mod history;
pub mod neighbours;
pub mod popularity;
