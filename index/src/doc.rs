//! The indexed document: one per product, filled from ledger records.

use serde::{Deserialize, Serialize};
use truffle_ledger::types::{Item, ItemLock, Product, Raffle, RaffleStatus};

/// What the search index knows about one product: its registered fields, where it was
/// registered on the ledger, and the market state of its pieces.
///
/// The node builds it from ledger records (see [`ProductDoc::from_ledger`]) and upserts
/// it again whenever a block changes any of them (a sale, a listing, a raffle).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
        }
    }
}
