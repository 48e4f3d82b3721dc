//! What a product search asks for and what it returns (`product_search`), and the
//! document the search index keeps per product.

use serde::{Deserialize, Serialize};
use truffle_ledger::types::{Item, ItemLock, Product, Raffle, RaffleStatus};
use truffle_ledger::PublicKey;

/// Why a search query is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The query text is too long.
    #[error("query text is {chars} characters long; at most {max} are accepted")]
    TooLong {
        /// Characters in the text.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// The query is malformed (bad page, price range, filter).
    #[error("invalid query: {0}")]
    Invalid(String),
}

/// Longest query text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Longest brand or category filter accepted, in characters.
pub const MAX_FILTER_CHARS: usize = 100;
/// Largest page accepted.
pub const MAX_PAGE_SIZE: u32 = 100;
/// Page size when none is given.
pub const DEFAULT_PAGE_SIZE: u32 = 20;
/// Deepest result reachable by paging: `(page - 1) * page_size` must stay below this.
pub const MAX_RESULT_WINDOW: u64 = 10_000;

/// A product search.
///
/// Missing fields take their defaults when deserialized: empty text (browse), no
/// filters, [`SortOrder::Relevance`], page 1 of [`DEFAULT_PAGE_SIZE`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct SearchQuery {
    /// What the shopper typed, in Korean, English or both; empty to browse.
    /// At most [`MAX_QUERY_CHARS`] characters.
    pub text: String,
    /// Restrictions on the results.
    pub filters: Filters,
    /// Order of the results.
    pub sort: SortOrder,
    /// Page number, from 1.
    pub page: u32,
    /// Results per page, 1..=[`MAX_PAGE_SIZE`].
    pub page_size: u32,
}

impl Default for SearchQuery {
    fn default() -> Self {
        SearchQuery {
            text: String::new(),
            filters: Filters::default(),
            sort: SortOrder::Relevance,
            page: 1,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

impl SearchQuery {
    /// A query for `text` with default filters, sort and paging.
    pub fn text(text: impl Into<String>) -> SearchQuery {
        SearchQuery {
            text: text.into(),
            ..SearchQuery::default()
        }
    }

    /// Checks the bounds; `truffle_index::SearchIndex::search` calls it first.
    pub fn validate(&self) -> Result<(), QueryError> {
        let chars = self.text.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong {
                chars,
                max: MAX_QUERY_CHARS,
            });
        }
        for (name, value) in [
            ("brand", &self.filters.brand),
            ("category", &self.filters.category),
        ] {
            if let Some(v) = value {
                if v.chars().count() > MAX_FILTER_CHARS {
                    return Err(QueryError::Invalid(format!(
                        "{name} filter is longer than {MAX_FILTER_CHARS} characters"
                    )));
                }
            }
        }
        if let (Some(min), Some(max)) = (self.filters.min_price, self.filters.max_price) {
            if min > max {
                return Err(QueryError::Invalid(format!(
                    "min_price {min} is above max_price {max}"
                )));
            }
        }
        if self.page == 0 {
            return Err(QueryError::Invalid("page starts at 1".into()));
        }
        if self.page_size == 0 || self.page_size > MAX_PAGE_SIZE {
            return Err(QueryError::Invalid(format!(
                "page_size must be between 1 and {MAX_PAGE_SIZE}, got {}",
                self.page_size
            )));
        }
        if self.offset() >= MAX_RESULT_WINDOW {
            return Err(QueryError::Invalid(format!(
                "page {} of size {} is past the first {MAX_RESULT_WINDOW} results; refine the query",
                self.page, self.page_size
            )));
        }
        Ok(())
    }

    /// Number of results before this page.
    pub fn offset(&self) -> u64 {
        u64::from(self.page.saturating_sub(1)) * u64::from(self.page_size)
    }
}

/// Restrictions on the results; unset fields do not restrict.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
#[schemars(rename = "SearchFilters")]
pub struct Filters {
    /// Only this brand. Matched on normalized words, and Korean brand names the
    /// built-in table knows match their English spelling ("나이키" = "Nike").
    pub brand: Option<String>,
    /// Only this category, matched like `brand`.
    pub category: Option<String>,
    /// Price at least this, in won.
    pub min_price: Option<u64>,
    /// Price at most this, in won.
    pub max_price: Option<u64>,
    /// Only products with (`true`) or without (`false`) an open raffle.
    pub has_open_raffle: Option<bool>,
    /// Whether pieces are for sale.
    pub availability: Availability,
    /// Only products registered by this seller (the seller centre's own list).
    pub seller: Option<PublicKey>,
}

/// Filter on whether a product has pieces for sale.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// No restriction.
    #[default]
    Any,
    /// At least one piece is free and listed.
    Available,
    /// No piece is free and listed.
    SoldOut,
}

/// Order of the results. Ties are broken by relevance, then by product id.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    /// Best match first. With empty text (browsing) this is [`SortOrder::Newest`].
    #[default]
    Relevance,
    /// Most recently registered on the ledger first (block height, then product id).
    Newest,
    /// Cheapest first.
    PriceAsc,
    /// Most expensive first.
    PriceDesc,
    /// Most pieces sold first, then products with an open raffle, then the newest
    /// product (`product_popular` reads the index this way).
    Popular,
}

/// One page of results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SearchResults {
    /// Number of products matching the query and filters, over all pages.
    pub total: u64,
    /// The page returned, from 1.
    pub page: u32,
    /// The page size asked for.
    pub page_size: u32,
    /// The products of this page, in order.
    pub hits: Vec<SearchHit>,
    /// No product matched every word of the text, so products matching some of them
    /// are shown instead.
    pub relaxed: bool,
    /// Ledger height the index reflects, if it has ever been committed.
    pub indexed_height: Option<u64>,
}

/// One product in the results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SearchHit {
    /// Product id on the ledger.
    pub product_id: u64,
    /// Relevance score (BM25 over the boosted fields; 0 when there is no text).
    pub score: f32,
    /// The indexed fields of the product.
    pub product: ProductDoc,
    /// The matched words highlighted.
    pub highlight: Highlight,
    /// Where the product was registered on the ledger.
    pub ledger_ref: LedgerRef,
}

/// Highlighted text of a hit: HTML-escaped, matches wrapped in `<mark>…</mark>`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Highlight {
    /// The Korean name.
    pub name_ko: String,
    /// The English name.
    pub name_en: String,
    /// A fragment of the description around the best matches (its beginning if nothing
    /// in it matched).
    pub snippet: String,
}

/// Where a product was registered on the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LedgerRef {
    /// Height of the block with the registering transaction.
    pub height: u64,
    /// Hash of the registering transaction, in hex.
    pub tx_hash: String,
}

/// What the search index knows about one product: its registered fields, where it was
/// registered on the ledger, and the market state of its pieces.
///
/// The node builds it from ledger records (see [`ProductDoc::from_ledger`]) and upserts
/// it again whenever a block changes any of them (a sale, a listing, a raffle).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProductDoc {
    /// Product id on the ledger.
    pub product_id: u64,
    /// Brand, e.g. "Nike".
    pub brand: String,
    /// Model or style code, e.g. "DD1391-100".
    pub model: String,
    /// Korean name, e.g. "나이키 덩크 로우 레트로 범고래".
    pub name_ko: String,
    /// English name, e.g. "Nike Dunk Low Retro 'Panda'".
    pub name_en: String,
    /// Category, e.g. "sneakers".
    pub category: String,
    /// Free-text description.
    pub description: String,
    /// Price of one piece, in won.
    pub price: u64,
    /// Release date as YYYYMMDD.
    pub release_date: u32,
    /// Shop name of the seller that registered the product.
    pub shop_name: String,
    /// Height of the block with the registering transaction.
    pub registered_height: u64,
    /// Hash of the registering transaction, in hex.
    pub registered_tx: String,
    /// Edition size N.
    pub edition_size: u32,
    /// Pieces free to move and listed for sale.
    pub available: u32,
    /// Pieces no longer owned by the registering seller.
    pub sold: u32,
    /// Some piece is a prize of a raffle that is open.
    pub has_open_raffle: bool,
    /// blake3 of the product's first image (`/images/{hash}/thumb` is its thumbnail).
    #[serde(default)]
    pub image: Option<truffle_ledger::Hash>,
    /// The registering seller's key.
    #[serde(default)]
    pub seller: Option<PublicKey>,
}

impl ProductDoc {
    /// Builds the document of `product` from ledger records.
    ///
    /// `items` may contain any items; only those of `product` count. A piece is
    /// *available* when it is free ([`ItemLock::Free`]) and listed at a price, and *sold*
    /// when its owner is no longer the registering seller. `raffles` may contain any
    /// raffles; the product has an open raffle if one in [`RaffleStatus::Open`] has one
    /// of its pieces as a prize.
    pub fn from_ledger<'a>(
        product: &Product,
        shop_name: &str,
        items: impl IntoIterator<Item = &'a Item>,
        raffles: impl IntoIterator<Item = &'a Raffle>,
    ) -> ProductDoc {
        let mut available = 0u32;
        let mut sold = 0u32;
        for item in items.into_iter().filter(|i| i.product == product.id) {
            if item.lock == ItemLock::Free && item.listing_price.is_some() {
                available += 1;
            }
            if item.owner != product.seller {
                sold += 1;
            }
        }
        let pieces = product.first_item..product.first_item + u64::from(product.edition_size);
        let has_open_raffle = raffles.into_iter().any(|r| {
            r.status == RaffleStatus::Open && r.spec.items.iter().any(|i| pieces.contains(i))
        });
        ProductDoc {
            product_id: product.id,
            brand: product.brand.clone(),
            model: product.model.clone(),
            name_ko: product.name_ko.clone(),
            name_en: product.name_en.clone(),
            category: product.category.clone(),
            description: product.description.clone(),
            price: product.price,
            release_date: product.release_date,
            shop_name: shop_name.to_string(),
            registered_height: product.registered.height,
            registered_tx: product.registered.tx_hash.to_hex(),
            edition_size: product.edition_size,
            available,
            sold,
            has_open_raffle,
            image: product.image_hashes.first().copied(),
            seller: Some(product.seller),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_json() {
        let q: SearchQuery = serde_json::from_str(r#"{"text":"덩크"}"#).unwrap();
        assert_eq!(q.page, 1);
        assert_eq!(q.page_size, DEFAULT_PAGE_SIZE);
        assert_eq!(q.sort, SortOrder::Relevance);
        assert_eq!(q.filters, Filters::default());
        let q: SearchQuery = serde_json::from_str(
            r#"{"sort":"price_asc","filters":{"availability":"sold_out","brand":"Nike"}}"#,
        )
        .unwrap();
        assert_eq!(q.sort, SortOrder::PriceAsc);
        assert_eq!(q.filters.availability, Availability::SoldOut);
        assert_eq!(q.filters.brand.as_deref(), Some("Nike"));
        let back: SearchQuery = serde_json::from_str(&serde_json::to_string(&q).unwrap()).unwrap();
        assert_eq!(back, q);
    }

    #[test]
    fn bounds() {
        assert!(SearchQuery::text("a".repeat(MAX_QUERY_CHARS))
            .validate()
            .is_ok());
        // Characters, not bytes.
        assert!(SearchQuery::text("가".repeat(MAX_QUERY_CHARS))
            .validate()
            .is_ok());
        assert!(matches!(
            SearchQuery::text("a".repeat(MAX_QUERY_CHARS + 1)).validate(),
            Err(QueryError::TooLong {
                chars: 201,
                max: 200
            })
        ));
        let mut q = SearchQuery {
            page: 0,
            ..SearchQuery::default()
        };
        assert!(q.validate().is_err());
        q.page = 1;
        q.page_size = MAX_PAGE_SIZE + 1;
        assert!(q.validate().is_err());
        q.page_size = 0;
        assert!(q.validate().is_err());
        q.page_size = 100;
        q.page = 100;
        assert!(q.validate().is_ok());
        q.page = 101;
        assert!(q.validate().is_err());
        let mut q = SearchQuery {
            filters: Filters {
                min_price: Some(10),
                max_price: Some(9),
                ..Filters::default()
            },
            ..SearchQuery::default()
        };
        assert!(q.validate().is_err());
        q.filters.max_price = Some(10);
        assert!(q.validate().is_ok());
        q.filters.brand = Some("b".repeat(MAX_FILTER_CHARS + 1));
        assert!(q.validate().is_err());
    }
}
