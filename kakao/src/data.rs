//! What the bot needs to know, behind [`BotData`], which the node implements (reading its
//! store, search index and service data) and tests fake.

use thiserror::Error;

use crate::request::KakaoUserKey;

/// A failure of the data source. The bot turns it into a "try again later" bubble; the
/// message is for logs, never shown to the user.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DataError {
    /// The node cannot answer now (storage or consensus trouble, search index rebuilding).
    #[error("data source unavailable: {0}")]
    Unavailable(String),
    /// The caller is asking too often (e.g. link codes tried too fast).
    #[error("rate limited")]
    RateLimited,
}

/// What a product search asks for: the words left to match, and the filters the bot
/// read from the utterance (see [`crate::filters`]). Unset filters do not restrict.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProductQuery {
    /// Words to match against names, brand, model and category; empty to browse the
    /// products the filters allow.
    pub text: String,
    /// Only this brand: a key from [`Vocabulary::brands`] (the catalog's spelling).
    pub brand: Option<String>,
    /// Only this category: a key from [`Vocabulary::categories`] ("sneakers").
    pub category: Option<String>,
    /// Only products with pieces for sale now.
    pub in_stock: bool,
    /// Price at least this, in won.
    pub min_price: Option<u64>,
    /// Price at most this, in won.
    pub max_price: Option<u64>,
}

impl ProductQuery {
    /// A query of words alone.
    pub fn text(text: impl Into<String>) -> ProductQuery {
        ProductQuery {
            text: text.into(),
            ..ProductQuery::default()
        }
    }

    /// Whether any filter is set.
    pub fn has_filters(&self) -> bool {
        self.brand.is_some()
            || self.category.is_some()
            || self.in_stock
            || self.min_price.is_some()
            || self.max_price.is_some()
    }

    /// Whether the query asks for nothing at all (no words, no filters).
    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty() && !self.has_filters()
    }
}

/// A brand or category the catalog holds, with the ways a user may write it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Term {
    /// What the search's filter takes ("nike", "sneakers").
    pub key: String,
    /// Other spellings ("나이키", "Nike"); the key itself need not be repeated.
    pub spellings: Vec<String>,
}

/// The brands and categories the catalog holds now: the words of an utterance that can
/// become filters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vocabulary {
    /// Brands.
    pub brands: Vec<Term>,
    /// Categories.
    pub categories: Vec<Term>,
}

/// A product found by search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductHit {
    /// Product id on the ledger.
    pub product_id: u64,
    /// Korean name.
    pub name_ko: String,
    /// English name, if the seller gave one.
    pub name_en: Option<String>,
    /// Brand.
    pub brand: String,
    /// Price in won.
    pub price_krw: u64,
    /// Product image (http(s)); a placeholder is used when absent.
    pub image_url: Option<String>,
    /// The product's page on the Truffle site.
    pub page_url: String,
    /// Numbered pieces still for sale.
    pub available: u32,
}

/// When a raffle stops taking entries, as the ledger defines its window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RaffleCloses {
    /// At this block time (ms since the Unix epoch).
    AtTime {
        /// Milliseconds since the Unix epoch.
        unix_ms: u64,
    },
    /// At this block height.
    AtHeight {
        /// First height that takes no entries.
        height: u64,
    },
}

/// An open raffle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RaffleSummary {
    /// Raffle id.
    pub raffle_id: u64,
    /// What is raffled.
    pub product_name: String,
    /// Brand of the product.
    pub brand: String,
    /// When entries close.
    pub closes: RaffleCloses,
    /// What a winner pays, in won.
    pub price_krw: u64,
    /// Entries so far.
    pub entry_count: u32,
    /// Number of prizes (winners to draw).
    pub prizes: u32,
    /// Product image (http(s)).
    pub image_url: Option<String>,
    /// The raffle's page, where members enter.
    pub page_url: String,
}

/// A member as the bot may name them back to themselves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkedMember {
    /// Display name (nickname) of the linked Truffle account.
    pub display_name: String,
}

/// Answer to a question about the member behind a Kakao user key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberLookup<T> {
    /// No Truffle account is linked to this key.
    NotLinked,
    /// The linked account's data.
    Linked {
        /// Who the account is.
        member: LinkedMember,
        /// Their data, newest first.
        data: T,
    },
}

/// Where a member's raffle entry stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryState {
    /// The raffle is still open, or closed and not yet drawn.
    AwaitingDraw {
        /// When entries close.
        closes: RaffleCloses,
    },
    /// Won: an order awaits payment (or was paid).
    Won {
        /// The order created by the draw.
        order_id: u64,
        /// Payment deadline (block time, ms), if still unpaid.
        pay_by_unix_ms: Option<u64>,
    },
    /// Drawn as a runner-up at this rank (1 = first in line).
    RunnerUp {
        /// Position in line.
        rank: u32,
    },
    /// Not drawn.
    NotSelected,
    /// Withdrawn before the draw.
    Cancelled,
    /// The raffle is void: the seller did not reveal its secret in time; nothing drawn,
    /// nothing charged.
    Void,
}

/// One of a member's raffle entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntrySummary {
    /// Raffle id.
    pub raffle_id: u64,
    /// What is raffled.
    pub product_name: String,
    /// Where the entry stands.
    pub state: EntryState,
    /// The raffle's page.
    pub page_url: Option<String>,
}

/// Where an order stands (the ledger's order states).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderState {
    /// Waiting for payment.
    Pending,
    /// Paid and settled: the buyer owns the item.
    Paid,
    /// Not paid in time.
    Expired,
    /// Cancelled before payment.
    Cancelled,
    /// Paid, then refunded.
    Refunded,
}

/// One of a member's orders with its payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderSummary {
    /// Order id.
    pub order_id: u64,
    /// Product name.
    pub product_name: String,
    /// Edition of the piece (n of N), if known.
    pub edition: Option<(u32, u32)>,
    /// Amount in won.
    pub amount_krw: u64,
    /// Where it stands.
    pub state: OrderState,
    /// Payment provider, once paid ("toss", "sandbox").
    pub paid_via: Option<String>,
    /// Payment deadline (block time, ms), while pending.
    pub pay_by_unix_ms: Option<u64>,
    /// The order's page.
    pub page_url: Option<String>,
}

/// Where a serial number stands on the ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthenticityVerdict {
    /// Registered by its seller: a genuine numbered piece.
    Registered {
        /// Item id.
        item_id: u64,
        /// Product name.
        product_name: String,
        /// Brand.
        brand: String,
        /// Edition number n of N.
        edition: u32,
        /// Edition size N.
        edition_size: u32,
        /// Height of the block that registered it.
        registered_height: u64,
        /// Hash (hex) of the registering transaction.
        tx_hash: String,
        /// Product image.
        image_url: Option<String>,
        /// The item's page, with the proof.
        page_url: Option<String>,
    },
    /// The ledger holds no such serial (absence is provable: the serial index is part of
    /// the authenticated state).
    NeverRegistered {
        /// Height at which the ledger was checked.
        checked_height: u64,
    },
}

/// Result of linking a Kakao user to a Truffle account with a one-time code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkOutcome {
    /// Linked now.
    Linked(LinkedMember),
    /// This Kakao user was already linked (to this account).
    AlreadyLinked(LinkedMember),
    /// No such code.
    InvalidCode,
    /// The code expired; issue a new one on the site.
    ExpiredCode,
}

/// Result of unlinking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnlinkOutcome {
    /// The link is gone.
    Unlinked,
    /// There was none.
    NotLinked,
}

/// The bot's view of Truffle. Every member-specific method takes the requesting user's
/// own key, and the bot never passes any other: what a user can see is decided by the
/// key Kakao vouches for, not by anything in the message.
///
/// Methods may block (storage reads, index queries); the HTTP layer runs the bot off the
/// async executor (e.g. `spawn_blocking`) and uses callback mode when it may be slow.
pub trait BotData {
    /// Products matching the words and filters of `query` (Korean or English), best
    /// first, at most `limit`.
    fn search_products(
        &self,
        query: &ProductQuery,
        limit: usize,
    ) -> Result<Vec<ProductHit>, DataError>;

    /// The brands and categories the catalog holds, so that the bot can read them in an
    /// utterance as filters. The default knows none: brand words then stay search words,
    /// and category words go by the bot's own table.
    fn vocabulary(&self) -> Result<Vocabulary, DataError> {
        Ok(Vocabulary::default())
    }

    /// Raffles taking entries now, closing soonest first, at most `limit`.
    fn open_raffles(&self, limit: usize) -> Result<Vec<RaffleSummary>, DataError>;

    /// One raffle, open or not; `None` if there is no such raffle.
    fn raffle(&self, raffle_id: u64) -> Result<Option<RaffleSummary>, DataError>;

    /// The raffle entries of the account linked to `user`, newest first, at most `limit`.
    fn member_entries(
        &self,
        user: &KakaoUserKey,
        limit: usize,
    ) -> Result<MemberLookup<Vec<EntrySummary>>, DataError>;

    /// The orders and payments of the account linked to `user`, newest first, at most
    /// `limit`.
    fn member_orders(
        &self,
        user: &KakaoUserKey,
        limit: usize,
    ) -> Result<MemberLookup<Vec<OrderSummary>>, DataError>;

    /// Looks a serial number up on the ledger.
    fn verify_serial(&self, serial: &str) -> Result<AuthenticityVerdict, DataError>;

    /// Links `user` to the account that issued the one-time `code` (6 digits, issued on
    /// the site). Implementations rate-limit attempts per user.
    fn link_account(&self, user: &KakaoUserKey, code: &str) -> Result<LinkOutcome, DataError>;

    /// Removes the link of `user`, if any.
    fn unlink_account(&self, user: &KakaoUserKey) -> Result<UnlinkOutcome, DataError>;
}

/// Forwards [`BotData`] through a pointer, so the bot can hold `&D`, `Arc<D>` or `Box<D>`.
macro_rules! forward_bot_data {
    ($ty:ty) => {
        impl<T: BotData + ?Sized> BotData for $ty {
            fn search_products(
                &self,
                query: &ProductQuery,
                limit: usize,
            ) -> Result<Vec<ProductHit>, DataError> {
                (**self).search_products(query, limit)
            }
            fn vocabulary(&self) -> Result<Vocabulary, DataError> {
                (**self).vocabulary()
            }
            fn open_raffles(&self, limit: usize) -> Result<Vec<RaffleSummary>, DataError> {
                (**self).open_raffles(limit)
            }
            fn raffle(&self, raffle_id: u64) -> Result<Option<RaffleSummary>, DataError> {
                (**self).raffle(raffle_id)
            }
            fn member_entries(
                &self,
                user: &KakaoUserKey,
                limit: usize,
            ) -> Result<MemberLookup<Vec<EntrySummary>>, DataError> {
                (**self).member_entries(user, limit)
            }
            fn member_orders(
                &self,
                user: &KakaoUserKey,
                limit: usize,
            ) -> Result<MemberLookup<Vec<OrderSummary>>, DataError> {
                (**self).member_orders(user, limit)
            }
            fn verify_serial(&self, serial: &str) -> Result<AuthenticityVerdict, DataError> {
                (**self).verify_serial(serial)
            }
            fn link_account(
                &self,
                user: &KakaoUserKey,
                code: &str,
            ) -> Result<LinkOutcome, DataError> {
                (**self).link_account(user, code)
            }
            fn unlink_account(&self, user: &KakaoUserKey) -> Result<UnlinkOutcome, DataError> {
                (**self).unlink_account(user)
            }
        }
    };
}

forward_bot_data!(&T);
forward_bot_data!(std::sync::Arc<T>);
forward_bot_data!(Box<T>);
