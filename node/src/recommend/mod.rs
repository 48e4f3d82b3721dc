//! Recommendations (flow 7 of the brief): limited editions for a member from their
//! gender and age band, their purchases, raffle entries and wins, and what members like
//! them did.
//!
//! - [`model`] and [`signals`]: the ranking core, pure (interactions in, scores out);
//! - [`ledger`]: the core's input derived from the ledger and the members' profiles;
//! - [`reader`]: the node's read model (built at start, follows applied blocks);
//! - [`page`]: the pages the RPC serves, with a reason per item; `service`: the node's
//!   methods behind `reco_*`;
//! - [`movielens`] and [`eval`]: the same core measured on MovieLens 100K;
//! - [`synthetic`]: a seeded market for latency measurements.

pub mod eval;
pub mod ledger;
pub mod model;
pub mod movielens;
pub mod page;
pub mod reader;
mod service;
pub mod signals;
pub mod synthetic;

pub use page::{
    Reason, ReasonKind, RecoError, RecoItem, RecoPage, Viewer, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE,
    MAX_RESULTS,
};
pub use reader::{Built, Recommender};
pub use service::year_now;
