//! Read models of the Truffle ledger: product search and recommendations.
//!
//! # Product search (`product_search`)
//!
//! [`SearchIndex`] is a tantivy index of [`ProductDoc`]s, one per registered product,
//! derived from applied blocks. It stores the ledger height it reflects, committed
//! atomically with the documents, so the node can tell when it is missing or stale and
//! rebuild it from the ledger:
//!
//! ```no_run
//! # fn main() -> truffle_index::Result<()> {
//! use truffle_index::{SearchIndex, SearchQuery};
//! # let ledger_height = 10;
//! # let all_products_from_ledger = Vec::new;
//! let mut index = SearchIndex::open(std::path::Path::new("data/search"))?;
//! if index.indexed_height() != Some(ledger_height) {
//!     index.clear()?;
//!     index.upsert(all_products_from_ledger())?;
//!     index.commit(ledger_height)?;
//! }
//! let results = index.search(&SearchQuery::text("dunk low 범고래"))?;
//! for hit in results.hits {
//!     println!("{} {} @{}", hit.product_id, hit.highlight.name_ko, hit.ledger_ref.height);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Queries may be Korean, English or mixed, and match partial words: Hangul is indexed
//! as character bigrams, Latin words and numbers as prefixes, letter/digit boundaries
//! split ("조던1" = "조던 1"), and a built-in table maps common brand and model words
//! between Korean and English ("나이키" ↔ "nike"). See [`analysis`].

pub mod analysis;
mod error;
mod search;
mod synonyms;

#[cfg(any(test, feature = "test-utils"))]
pub mod fixtures;
#[cfg(test)]
mod tests;

pub use error::{IndexError, Result};
pub use search::{Facet, Facets, SearchIndex, MAX_FACETS, META_FILE, SCHEMA_VERSION};
pub use truffle_wire::search::{
    Availability, Filters, Highlight, LedgerRef, ProductDoc, QueryError, SearchHit, SearchQuery,
    SearchResults, SortOrder, DEFAULT_PAGE_SIZE, MAX_FILTER_CHARS, MAX_PAGE_SIZE, MAX_QUERY_CHARS,
    MAX_RESULT_WINDOW,
};
