//! The ranking core's input from the ledger: every product is an item with its content
//! features; paid orders, raffle entries, raffle wins and pieces received by transfer
//! are interactions of their accounts; an account's cohort comes from the member's
//! sealed profile (gender) and the attested birth year.

use std::collections::{HashMap, HashSet};

use truffle_ledger::state::{decode_record, keys, StateView, Table};
use truffle_ledger::types::{
    Acquisition, Gender, Item, ItemLock, Order, OrderStatus, OwnershipRecord, Product, Raffle,
    RaffleEntry, RaffleStatus,
};
use truffle_ledger::{LedgerResult, PublicKey};

use crate::model::{Cohort, Dataset, HistoryEntry, Interaction, ItemIx, UserIx};

/// What a paid order says about its buyer's taste.
pub const PURCHASE_WEIGHT: f32 = 3.0;
/// What winning a raffle says (the entrant wanted it; the draw chose them).
pub const WIN_WEIGHT: f32 = 2.0;
/// What a piece received by transfer says.
pub const TRANSFER_WEIGHT: f32 = 2.0;
/// What a raffle entry says.
pub const ENTRY_WEIGHT: f32 = 1.0;

/// How a member's gender and birth year are found (their sealed profile on this node).
pub type ProfileLookup<'a> = dyn Fn(&PublicKey) -> Option<(Gender, u16)> + 'a;

/// A product as the recommender shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductInfo {
    /// Product id.
    pub id: u64,
    /// Korean name.
    pub name_ko: String,
    /// English name.
    pub name_en: String,
    /// Brand.
    pub brand: String,
    /// Category.
    pub category: String,
    /// Price of a piece, in won.
    pub price: u64,
    /// A piece is listed for sale or in an open raffle (not sold out).
    pub available: bool,
    /// blake3 of the first image.
    pub image: Option<truffle_ledger::Hash>,
}

/// The ledger side of a build: products by item index, accounts by user index, what
/// each account owns.
#[derive(Clone, Debug, Default)]
pub struct LedgerView {
    /// Height the build read.
    pub height: u64,
    /// Products, by item index.
    pub products: Vec<ProductInfo>,
    /// Item index of each product id.
    pub item_of: HashMap<u64, ItemIx>,
    /// User index of each account with interactions.
    pub user_of: HashMap<PublicKey, UserIx>,
    /// Each user's history, oldest first.
    pub histories: Vec<Vec<HistoryEntry>>,
    /// Products (item indexes) each account holds a piece of, or bought.
    pub owned: HashMap<PublicKey, HashSet<ItemIx>>,
}

/// Price bands in won: a feature, so that a ₩150,000 sneaker is "like" a ₩180,000 one.
pub fn price_band(price: u64) -> u8 {
    match price {
        0..100_000 => 0,
        100_000..300_000 => 1,
        300_000..1_000_000 => 2,
        1_000_000..3_000_000 => 3,
        3_000_000..10_000_000 => 4,
        _ => 5,
    }
}

/// The content features of a product, as names.
pub fn feature_names(product: &Product) -> Vec<String> {
    feature_names_of(
        &product.brand,
        &product.model,
        &product.category,
        product.price,
    )
}

/// The content features of a brand, model, category and price, as names.
pub fn feature_names_of(brand: &str, model: &str, category: &str, price: u64) -> Vec<String> {
    let brand = brand.trim().to_lowercase();
    vec![
        format!("brand:{brand}"),
        format!("model:{brand}/{}", model.trim().to_lowercase()),
        format!("category:{}", category.trim().to_lowercase()),
        format!("price:{}", price_band(price)),
    ]
}

struct Builder<'a> {
    data: Dataset,
    view: LedgerView,
    feature_ids: HashMap<String, u32>,
    item_product: HashMap<u64, ItemIx>,
    block_secs: &'a dyn Fn(u64) -> Option<u64>,
    secs_cache: HashMap<u64, u64>,
}

impl Builder<'_> {
    fn secs(&mut self, height: u64) -> u64 {
        if let Some(secs) = self.secs_cache.get(&height) {
            return *secs;
        }
        let secs = (self.block_secs)(height).unwrap_or(0);
        self.secs_cache.insert(height, secs);
        secs
    }

    fn user(&mut self, account: PublicKey) -> UserIx {
        let next = self.view.user_of.len() as UserIx;
        *self.view.user_of.entry(account).or_insert(next)
    }

    fn interact(&mut self, account: PublicKey, item: ItemIx, height: u64, weight: f32) {
        let user = self.user(account);
        let time = self.secs(height);
        self.data.interactions.push(Interaction {
            user,
            item,
            time,
            weight,
        });
    }
}

/// Reads the recommender's input from `view` at `height`. `block_secs` gives a block's
/// time in seconds; `profile` a member's gender and birth year; ages are counted at
/// `year_now`.
pub fn build<V: StateView + ?Sized>(
    view: &V,
    height: u64,
    year_now: u16,
    block_secs: &dyn Fn(u64) -> Option<u64>,
    profile: &ProfileLookup<'_>,
) -> LedgerResult<(Dataset, LedgerView)> {
    let mut b = Builder {
        data: Dataset::default(),
        view: LedgerView {
            height,
            ..LedgerView::default()
        },
        feature_ids: HashMap::new(),
        item_product: HashMap::new(),
        block_secs,
        secs_cache: HashMap::new(),
    };
    let mut transfers: Vec<(PublicKey, ItemIx, u64)> = Vec::new();
    for (_, bytes) in view.scan_prefix(&[Table::Product as u8])? {
        let product: Product = decode_record("product", &bytes)?;
        let ix = b.view.products.len() as ItemIx;
        let mut available = false;
        for item_id in product.first_item..product.first_item + u64::from(product.edition_size) {
            b.item_product.insert(item_id, ix);
            let Some(bytes) = view.get(&keys::item(item_id))? else {
                continue;
            };
            let item: Item = decode_record("item", &bytes)?;
            available |= item.lock == ItemLock::Free && item.listing_price.is_some();
            if item.owner != product.seller {
                b.view.owned.entry(item.owner).or_default().insert(ix);
                let record: Option<OwnershipRecord> = view
                    .get(&keys::ownership(
                        item_id,
                        item.history_len.saturating_sub(1),
                    ))?
                    .map(|bytes| decode_record("ownership", &bytes))
                    .transpose()?;
                if record.is_some_and(|r| r.acquisition == Acquisition::Transferred) {
                    transfers.push((item.owner, ix, item.owner_since.height));
                }
            }
        }
        let features = feature_names(&product)
            .into_iter()
            .map(|name| {
                let next = b.feature_ids.len() as u32;
                *b.feature_ids.entry(name).or_insert(next)
            })
            .collect();
        b.data.features.push(features);
        let added = b.secs(product.registered.height);
        b.data.added.push(Some(added));
        b.view.item_of.insert(product.id, ix);
        b.view.products.push(ProductInfo {
            image: product.image_hashes.first().copied(),
            id: product.id,
            name_ko: product.name_ko,
            name_en: product.name_en,
            brand: product.brand,
            category: product.category,
            price: product.price,
            available,
        });
    }
    for (owner, ix, height) in transfers {
        b.interact(owner, ix, height, TRANSFER_WEIGHT);
    }
    for (_, bytes) in view.scan_prefix(&[Table::Raffle as u8])? {
        let raffle: Raffle = decode_record("raffle", &bytes)?;
        let mut products: Vec<ItemIx> = raffle
            .spec
            .items
            .iter()
            .filter_map(|item| b.item_product.get(item).copied())
            .collect();
        products.sort_unstable();
        products.dedup();
        if raffle.status == RaffleStatus::Open {
            for ix in &products {
                b.view.products[*ix as usize].available = true;
            }
        }
        for (_, bytes) in view.scan_prefix(&keys::raffle_entries_prefix(raffle.id))? {
            let entry: RaffleEntry = decode_record("raffle entry", &bytes)?;
            if entry.cancelled {
                continue;
            }
            for ix in &products {
                b.interact(entry.entrant, *ix, entry.tx.height, ENTRY_WEIGHT);
            }
        }
        if let Some(result) = &raffle.result {
            for (winner, item) in result.winners.iter().zip(&raffle.spec.items) {
                if let Some(ix) = b.item_product.get(item).copied() {
                    b.interact(*winner, ix, result.drawn.height, WIN_WEIGHT);
                }
            }
        }
    }
    for (_, bytes) in view.scan_prefix(&[Table::Order as u8])? {
        let order: Order = decode_record("order", &bytes)?;
        let (OrderStatus::Paid, Some(payment)) = (order.status, &order.payment) else {
            continue;
        };
        let Some(ix) = b.item_product.get(&order.item).copied() else {
            continue;
        };
        let settled = payment.settled.height;
        b.interact(order.buyer, ix, settled, PURCHASE_WEIGHT);
        b.view.owned.entry(order.buyer).or_default().insert(ix);
    }
    let mut accounts: Vec<(PublicKey, UserIx)> =
        b.view.user_of.iter().map(|(k, u)| (*k, *u)).collect();
    accounts.sort_by_key(|(_, u)| *u);
    b.data.cohorts = accounts
        .iter()
        .map(|(account, _)| cohort_of(view, account, year_now, profile))
        .collect::<LedgerResult<_>>()?;
    b.view.histories = b.data.histories();
    Ok((b.data, b.view))
}

/// An account's cohort: gender and birth year from the member's sealed profile (the
/// ledger holds no age); unknown without a profile.
pub fn cohort_of<V: StateView + ?Sized>(
    _view: &V,
    account: &PublicKey,
    year_now: u16,
    profile: &ProfileLookup<'_>,
) -> LedgerResult<Option<Cohort>> {
    let Some((gender, birth_year)) = profile(account) else {
        return Ok(None);
    };
    if birth_year == 0 {
        return Ok(None);
    }
    Ok(Some(Cohort::of_age(
        gender,
        u32::from(year_now.saturating_sub(birth_year)),
    )))
}
