//! A synthetic marketplace for latency measurements (`truffle reco bench`): members with
//! cohorts, products with brands, categories and price bands, and purchases skewed
//! towards popular products and each member's favourite brands. Seeded, so every run
//! builds the same market.

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use truffle_ledger::types::Gender;
use truffle_ledger::{Keypair, PublicKey};

use crate::ledger::{feature_names_of, LedgerView, ProductInfo, PURCHASE_WEIGHT};
use crate::model::{Cohort, Dataset, Interaction, ItemIx};

/// Brands in the synthetic catalogue.
pub const BRANDS: usize = 500;
/// Categories in the synthetic catalogue.
pub const CATEGORIES: usize = 20;

/// A seeded market of `members` members (each with about `mean_purchases` purchases)
/// and `items` products; member `i` is [`member_key`]`(i)`.
pub fn market(
    members: usize,
    items: usize,
    mean_purchases: usize,
    seed: u64,
) -> (Dataset, LedgerView) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut feature_ids: HashMap<String, u32> = HashMap::new();
    let mut data = Dataset::default();
    let mut view = LedgerView::default();
    let mut by_brand: Vec<Vec<ItemIx>> = vec![Vec::new(); BRANDS];
    for ix in 0..items {
        let brand = rng.gen_range(0..BRANDS);
        let category = rng.gen_range(0..CATEGORIES);
        let price = 50_000 * rng.gen_range(1..200u64);
        let info = ProductInfo {
            id: ix as u64 + 1,
            name_ko: format!("상품 {ix}"),
            name_en: format!("Product {ix}"),
            brand: format!("brand-{brand}"),
            category: format!("category-{category}"),
            price,
            // One product in ten is sold out.
            available: rng.gen_range(0..10) != 0,
            image: None,
        };
        let features = feature_names_of(&info.brand, &format!("m{ix}"), &info.category, price)
            .into_iter()
            .map(|name| {
                let next = feature_ids.len() as u32;
                *feature_ids.entry(name).or_insert(next)
            })
            .collect();
        data.features.push(features);
        data.added.push(Some(ix as u64 * 60));
        by_brand[brand].push(ix as ItemIx);
        view.item_of.insert(info.id, ix as ItemIx);
        view.products.push(info);
    }
    let now = items as u64 * 60;
    for user in 0..members {
        let gender = if rng.gen_bool(0.5) {
            Gender::Female
        } else {
            Gender::Male
        };
        data.cohorts
            .push(Some(Cohort::of_age(gender, rng.gen_range(15..70))));
        let account = member_key(user);
        view.user_of.insert(account, user as u32);
        let favourites: Vec<usize> = (0..3).map(|_| rng.gen_range(0..BRANDS)).collect();
        let purchases = rng.gen_range(0..=2 * mean_purchases);
        for _ in 0..purchases {
            let brand_items = &by_brand[favourites[rng.gen_range(0..favourites.len())]];
            let item = if rng.gen_bool(0.5) && !brand_items.is_empty() {
                brand_items[rng.gen_range(0..brand_items.len())]
            } else {
                // Skewed towards low indexes: a few products sell most.
                (items as f64 * rng.gen::<f64>().powi(3)) as ItemIx
            };
            data.interactions.push(Interaction {
                user: user as u32,
                item,
                time: rng.gen_range(0..now),
                weight: PURCHASE_WEIGHT,
            });
            view.owned.entry(account).or_default().insert(item);
        }
    }
    view.histories = data.histories();
    (data, view)
}

/// The account of synthetic member `i`.
pub fn member_key(i: usize) -> PublicKey {
    Keypair::from_name(&format!("synthetic-member-{i}")).public()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_market_is_seeded_and_shaped_as_asked() {
        let (data, view) = market(200, 300, 4, 7);
        let (again, _) = market(200, 300, 4, 7);
        assert_eq!(data.interactions, again.interactions);
        assert_eq!(view.products.len(), 300);
        assert_eq!(data.cohorts.len(), 200);
        assert_eq!(view.histories.len(), 200);
        assert!(data.interactions.len() > 200 * 2);
        assert_eq!(view.user_of[&member_key(3)], 3);
    }
}
