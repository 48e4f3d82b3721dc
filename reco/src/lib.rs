//! Recommendations (flow 7 of the brief): limited editions for a member from their
//! gender and age band, their purchases, raffle entries and wins, and what members like
//! them did.
//!
//! - [`model`] and [`signals`]: the ranking core, pure (interactions in, scores out);
//! - [`ledger`]: the core's input derived from the ledger and the members' profiles;
//! - [`reader`]: the read model (built at start, rebuilt as blocks apply) over a
//!   [`RecoSource`] (the node: its store, clock and members' profiles);
//! - [`page`]: the pages the RPC serves, with a reason per item;
//! - [`movielens`] and [`eval`]: the same core measured on MovieLens 100K;
//! - [`synthetic`]: a seeded market for latency measurements.

pub mod data;
pub mod eval;
pub mod ledger;
pub mod model;
pub mod movielens;
pub mod page;
pub mod reader;
pub mod signals;
pub mod synthetic;

pub use page::{
    Reason, ReasonKind, RecoError, RecoItem, RecoPage, Viewer, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE,
    MAX_RESULTS,
};
pub use reader::{product_exists, year_at, Built, RecoSource, Recommender, REBUILD_AFTER};
