//! Recommendations (flow 7 of the brief): what to show a member, from their gender and
//! age band, their purchases, what members who bought the same things bought, and
//! products like the ones they bought or entered raffles for.
//!
//! The model is a read model like search: derived from the ledger (paid orders, raffle
//! entries, products, items) plus the members' sealed profiles on this node (gender
//! and birth year, opened in memory only), rebuilt when the chain has moved on and the
//! last build is a few seconds old. Nothing of it is stored.
//!
//! score(p) = 1.0·cohort(p) + 0.5·popular(p) + 1.5·bought-together(p) + 0.7·similar(p),
//! each term normalised to 0..1; products the member already bought are left out, and
//! only products with a piece for sale or an open raffle are offered.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use truffle_ledger::state::{decode_record, keys, StateView, Table};
use truffle_ledger::types::{
    Gender, Item, ItemLock, Order, OrderStatus, Product, Raffle, RaffleEntry, RaffleStatus,
};
use truffle_ledger::{LedgerResult, PublicKey};

/// A build is reused for this long even if blocks were applied meanwhile.
pub const REBUILD_AFTER: Duration = Duration::from_secs(5);
/// Most recommendations one call returns.
pub const MAX_RECOMMENDATIONS: usize = 50;

/// An age band: 10 for teens, 20 for twenties, ...
pub type AgeBand = u16;

/// The age band of a birth year at `year_now`.
pub fn age_band(birth_year: u16, year_now: u16) -> AgeBand {
    (year_now.saturating_sub(birth_year) / 10) * 10
}

/// Who a recommendation is for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Viewer {
    /// The member's account, if logged in.
    pub account: Option<PublicKey>,
    /// Gender, from the member's profile.
    pub gender: Option<Gender>,
    /// Age band, from the member's birth year.
    pub age_band: Option<AgeBand>,
}

/// Why a product is recommended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Reason {
    /// Popular with members of the viewer's gender and age band.
    Cohort {
        /// Gender of the cohort.
        gender: Gender,
        /// Age band of the cohort.
        age_band: AgeBand,
    },
    /// Popular with everyone.
    Popular,
    /// Members who bought this product also bought that one.
    BoughtTogether {
        /// The product the viewer bought.
        with_product: u64,
    },
    /// Like a product the viewer bought or entered a raffle for.
    Similar {
        /// That product.
        to_product: u64,
    },
}

/// One recommendation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// Product id.
    pub product: u64,
    /// Korean name.
    pub name_ko: String,
    /// English name.
    pub name_en: String,
    /// Brand.
    pub brand: String,
    /// Price in won.
    pub price: u64,
    /// Score (higher first).
    pub score: f64,
    /// Why, strongest first.
    pub reasons: Vec<Reason>,
}

#[derive(Clone, Debug)]
struct ProductInfo {
    product: Product,
    available: bool,
}

/// The model: counts derived from the ledger.
#[derive(Default)]
struct Model {
    height: u64,
    products: HashMap<u64, ProductInfo>,
    purchases: HashMap<PublicKey, Vec<u64>>,
    interests: HashMap<PublicKey, Vec<u64>>,
    popularity: HashMap<u64, f64>,
    cohorts: HashMap<(Gender, AgeBand), HashMap<u64, f64>>,
    together: HashMap<u64, HashMap<u64, f64>>,
}

/// How a member's cohort is found: gender and birth year from the sealed profile.
pub type ProfileLookup<'a> = dyn Fn(&PublicKey) -> Option<(Gender, u16)> + 'a;

fn product_of(items: &HashMap<u64, u64>, item: u64) -> Option<u64> {
    items.get(&item).copied()
}

impl Model {
    fn build<V: StateView + ?Sized>(
        view: &V,
        height: u64,
        year_now: u16,
        profile: &ProfileLookup<'_>,
    ) -> LedgerResult<Model> {
        let mut model = Model {
            height,
            ..Model::default()
        };
        let mut item_product: HashMap<u64, u64> = HashMap::new();
        for (_, bytes) in view.scan_prefix(&[Table::Product as u8])? {
            let product: Product = decode_record("product", &bytes)?;
            let mut available = false;
            for item_id in product.first_item..product.first_item + u64::from(product.edition_size)
            {
                item_product.insert(item_id, product.id);
                if let Some(bytes) = view.get(&keys::item(item_id))? {
                    let item: Item = decode_record("item", &bytes)?;
                    available |= item.lock == ItemLock::Free && item.listing_price.is_some();
                }
            }
            model
                .products
                .insert(product.id, ProductInfo { product, available });
        }
        for (_, bytes) in view.scan_prefix(&[Table::Raffle as u8])? {
            let raffle: Raffle = decode_record("raffle", &bytes)?;
            let products: HashSet<u64> = raffle
                .spec
                .items
                .iter()
                .filter_map(|item| product_of(&item_product, *item))
                .collect();
            if raffle.status == RaffleStatus::Open {
                for product in &products {
                    if let Some(info) = model.products.get_mut(product) {
                        info.available = true;
                    }
                }
            }
            for (_, bytes) in view.scan_prefix(&keys::raffle_entries_prefix(raffle.id))? {
                let entry: RaffleEntry = decode_record("raffle entry", &bytes)?;
                for product in &products {
                    model
                        .interests
                        .entry(entry.entrant)
                        .or_default()
                        .push(*product);
                    *model.popularity.entry(*product).or_default() += 1.0;
                }
            }
        }
        for (_, bytes) in view.scan_prefix(&[Table::Order as u8])? {
            let order: Order = decode_record("order", &bytes)?;
            if order.status != OrderStatus::Paid {
                continue;
            }
            let Some(product) = product_of(&item_product, order.item) else {
                continue;
            };
            model
                .purchases
                .entry(order.buyer)
                .or_default()
                .push(product);
            // A purchase says more than a raffle entry.
            *model.popularity.entry(product).or_default() += 3.0;
            if let Some((gender, birth_year)) = profile(&order.buyer) {
                *model
                    .cohorts
                    .entry((gender, age_band(birth_year, year_now)))
                    .or_default()
                    .entry(product)
                    .or_default() += 1.0;
            }
        }
        for bought in model.purchases.values() {
            let distinct: HashSet<u64> = bought.iter().copied().collect();
            for a in &distinct {
                for b in &distinct {
                    if a != b {
                        *model.together.entry(*a).or_default().entry(*b).or_default() += 1.0;
                    }
                }
            }
        }
        Ok(model)
    }

    fn similarity(a: &Product, b: &Product) -> f64 {
        let mut score = 0.0;
        if a.brand.eq_ignore_ascii_case(&b.brand) {
            score += 0.6;
        }
        if a.category.eq_ignore_ascii_case(&b.category) {
            score += 0.3;
        }
        let (low, high) = (a.price.min(b.price) as f64, a.price.max(b.price) as f64);
        if high > 0.0 {
            score += 0.1 * (low / high);
        }
        score
    }

    fn recommend(&self, viewer: &Viewer, limit: usize) -> Vec<Recommendation> {
        let bought: HashSet<u64> = viewer
            .account
            .and_then(|a| self.purchases.get(&a))
            .map(|v| v.iter().copied().collect())
            .unwrap_or_default();
        let liked: Vec<u64> = viewer
            .account
            .map(|a| {
                let mut liked: Vec<u64> = bought.iter().copied().collect();
                liked.extend(self.interests.get(&a).into_iter().flatten().copied());
                liked.sort_unstable();
                liked.dedup();
                liked
            })
            .unwrap_or_default();
        let max_of = |map: Option<&HashMap<u64, f64>>| {
            map.map(|m| m.values().copied().fold(0.0, f64::max))
                .unwrap_or(0.0)
        };
        let cohort = viewer
            .gender
            .zip(viewer.age_band)
            .and_then(|key| self.cohorts.get(&key));
        let cohort_max = max_of(cohort);
        let popular_max = max_of(Some(&self.popularity));
        let mut together: HashMap<u64, (f64, u64)> = HashMap::new();
        for product in &bought {
            for (other, count) in self.together.get(product).into_iter().flatten() {
                let entry = together.entry(*other).or_insert((0.0, *product));
                if *count > entry.0 {
                    *entry = (*count, *product);
                }
            }
        }
        let together_max = together.values().map(|(c, _)| *c).fold(0.0, f64::max);

        let mut out: Vec<Recommendation> = self
            .products
            .values()
            .filter(|info| info.available && !bought.contains(&info.product.id))
            .map(|info| {
                let id = info.product.id;
                let mut parts: Vec<(f64, Reason)> = Vec::new();
                if let (Some(cohort), Some((gender, age_band))) =
                    (cohort, viewer.gender.zip(viewer.age_band))
                {
                    let value = cohort.get(&id).copied().unwrap_or(0.0);
                    if value > 0.0 && cohort_max > 0.0 {
                        parts.push((value / cohort_max, Reason::Cohort { gender, age_band }));
                    }
                }
                let popular = self.popularity.get(&id).copied().unwrap_or(0.0);
                if popular > 0.0 && popular_max > 0.0 {
                    parts.push((0.5 * popular / popular_max, Reason::Popular));
                }
                if let Some((count, with_product)) = together.get(&id) {
                    parts.push((
                        1.5 * count / together_max,
                        Reason::BoughtTogether {
                            with_product: *with_product,
                        },
                    ));
                }
                let best_similar = liked
                    .iter()
                    .filter(|other| **other != id)
                    .filter_map(|other| {
                        self.products
                            .get(other)
                            .map(|o| (Self::similarity(&info.product, &o.product), *other))
                    })
                    .max_by(|a, b| a.0.total_cmp(&b.0));
                if let Some((similarity, to_product)) = best_similar.filter(|(s, _)| *s > 0.3) {
                    parts.push((0.7 * similarity, Reason::Similar { to_product }));
                }
                parts.sort_by(|a, b| b.0.total_cmp(&a.0));
                Recommendation {
                    product: id,
                    name_ko: info.product.name_ko.clone(),
                    name_en: info.product.name_en.clone(),
                    brand: info.product.brand.clone(),
                    price: info.product.price,
                    score: parts.iter().map(|(s, _)| s).sum(),
                    reasons: parts.into_iter().map(|(_, r)| r).collect(),
                }
            })
            .collect();
        // Newest first among equals, so that a cold start shows fresh drops.
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.product.cmp(&a.product)));
        out.truncate(limit.min(MAX_RECOMMENDATIONS));
        out
    }
}

/// The recommender of a node.
#[derive(Default)]
pub struct Recommender {
    model: RwLock<Option<Arc<Model>>>,
    built_at: Mutex<Option<Instant>>,
}

impl Recommender {
    /// An empty recommender (the model is built on first use).
    pub fn new() -> Recommender {
        Recommender::default()
    }

    /// Recommendations for `viewer`, from a model at most [`REBUILD_AFTER`] old (or at
    /// the chain's current `height`).
    pub fn recommend<V: StateView + ?Sized>(
        &self,
        view: &V,
        height: u64,
        year_now: u16,
        profile: &ProfileLookup<'_>,
        viewer: &Viewer,
        limit: usize,
    ) -> LedgerResult<Vec<Recommendation>> {
        let current = self
            .model
            .read()
            .expect("recommender lock poisoned")
            .clone();
        let fresh = current.as_ref().is_some_and(|m| {
            m.height == height
                || self
                    .built_at
                    .lock()
                    .expect("recommender lock poisoned")
                    .is_some_and(|at| at.elapsed() < REBUILD_AFTER)
        });
        let model = match current {
            Some(model) if fresh => model,
            _ => {
                let model = Arc::new(Model::build(view, height, year_now, profile)?);
                *self.model.write().expect("recommender lock poisoned") = Some(model.clone());
                *self.built_at.lock().expect("recommender lock poisoned") = Some(Instant::now());
                model
            }
        };
        Ok(model.recommend(viewer, limit))
    }

    /// Products like `product` (same brand, category, price), most similar first.
    pub fn similar<V: StateView + ?Sized>(
        &self,
        view: &V,
        product: u64,
        limit: usize,
    ) -> LedgerResult<Vec<Recommendation>> {
        let Some(bytes) = view.get(&keys::product(product))? else {
            return Ok(Vec::new());
        };
        let target: Product = decode_record("product", &bytes)?;
        let mut out: Vec<Recommendation> = Vec::new();
        for (_, bytes) in view.scan_prefix(&[Table::Product as u8])? {
            let other: Product = decode_record("product", &bytes)?;
            if other.id == product {
                continue;
            }
            let score = Model::similarity(&target, &other);
            if score > 0.3 {
                out.push(Recommendation {
                    product: other.id,
                    name_ko: other.name_ko,
                    name_en: other.name_en,
                    brand: other.brand,
                    price: other.price,
                    score,
                    reasons: vec![Reason::Similar {
                        to_product: product,
                    }],
                });
            }
        }
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.product.cmp(&b.product)));
        out.truncate(limit.min(MAX_RECOMMENDATIONS));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use truffle_ledger::tx::raffle_commitment;
    use truffle_ledger::types::{
        ChainParams, EntryWindow, ProductSpec, RaffleSpec, Role, Validator,
    };
    use truffle_ledger::{
        BlockProposal, Effect, GenesisState, Hash, Keypair, MemoryChain, Outcome, Payload,
    };

    struct World {
        chain: MemoryChain,
        operator: Keypair,
        time_ms: u64,
    }

    impl World {
        /// Applies each transaction in a block of its own (signed with the next nonce).
        fn apply(&mut self, signed: Vec<(Keypair, Payload)>) -> Vec<Effect> {
            let mut effects = Vec::new();
            for (key, payload) in signed {
                let tx = self.chain.sign(&key, payload).unwrap();
                self.time_ms += 1_000;
                let block = self
                    .chain
                    .apply(&BlockProposal {
                        proposer: self.operator.public(),
                        time_ms: self.time_ms,
                        transactions: vec![tx],
                    })
                    .unwrap();
                match &block.receipts[0].outcome {
                    Outcome::Applied { effect } => effects.push(effect.clone()),
                    Outcome::Rejected { rejection } => panic!("refused: {rejection}"),
                }
            }
            effects
        }
    }

    fn spec(brand: &str, model: &str, category: &str, price: u64) -> ProductSpec {
        ProductSpec {
            brand: brand.into(),
            model: model.into(),
            name_ko: format!("{brand} {model}"),
            name_en: format!("{brand} {model}"),
            category: category.into(),
            release_date: 20_260_101,
            price,
            description: String::new(),
            image_hashes: vec![],
            serials: (0..6).map(|i| format!("{model}-{i}")).collect(),
            list_for_sale: true,
        }
    }

    /// Products A (Nike sneakers), B (Nike sneakers), C (Rolex watch), D (LEGO toy).
    /// Women in their twenties buy A and B together; men in their forties buy C.
    #[test]
    fn cohorts_co_purchases_and_similarity_rank_as_designed() {
        let admin = Keypair::from_name("admin");
        let operator = Keypair::from_name("operator");
        let chain = MemoryChain::new(&GenesisState {
            chain_id: Hash::of(b"recommend"),
            time_ms: 1_767_225_600_000,
            params: ChainParams::default(),
            admins: vec![admin.public()],
            validators: vec![Validator {
                key: operator.public(),
                name: "v".into(),
                p2p_address: "/ip4/127.0.0.1/tcp/1".into(),
                since_height: 0,
            }],
        })
        .unwrap();
        let mut world = World {
            chain,
            operator: operator.clone(),
            time_ms: 1_767_225_600_000,
        };
        let seller = Keypair::from_name("seller");
        let women: Vec<Keypair> = (0..3)
            .map(|i| Keypair::from_name(&format!("w{i}")))
            .collect();
        let men: Vec<Keypair> = (0..2)
            .map(|i| Keypair::from_name(&format!("m{i}")))
            .collect();
        let newcomer = Keypair::from_name("newcomer");
        let mut setup = vec![];
        for key in std::iter::once(&seller)
            .chain(&women)
            .chain(&men)
            .chain([&newcomer])
        {
            setup.push((
                operator.clone(),
                Payload::RegisterAccount {
                    account: key.public(),
                    role: Role::Member,
                    birth_year: Some(1990),
                },
            ));
        }
        world.apply(setup);
        world.apply(vec![(
            seller.clone(),
            Payload::ApplySeller {
                shop_name: "s".into(),
            },
        )]);
        world.apply(vec![(
            admin.clone(),
            Payload::ApproveSeller {
                account: seller.public(),
            },
        )]);
        let mut first_items = HashMap::new();
        for (name, product) in [
            ("A", spec("Nike", "A", "sneakers", 150_000)),
            ("B", spec("Nike", "B", "sneakers", 160_000)),
            ("C", spec("Rolex", "C", "watches", 15_000_000)),
            ("D", spec("LEGO", "D", "toys", 200_000)),
        ] {
            let effects = world.apply(vec![(seller.clone(), Payload::RegisterProduct(product))]);
            let Effect::ProductRegistered {
                first_item,
                product,
                ..
            } = effects[0]
            else {
                panic!()
            };
            first_items.insert(name, (product, first_item));
        }
        let mut next_piece: HashMap<&str, u64> = HashMap::new();
        let mut event = 0;
        let mut buy = |world: &mut World, buyer: &Keypair, name: &'static str| {
            let (_, first) = first_items[name];
            let piece = next_piece.entry(name).or_insert(0);
            let item = first + *piece;
            *piece += 1;
            let effects = world.apply(vec![(buyer.clone(), Payload::CreateOrder { item })]);
            let Effect::OrderCreated { order } = effects[0] else {
                panic!()
            };
            event += 1;
            world.apply(vec![(
                operator.clone(),
                Payload::SettlePayment {
                    order,
                    provider: "sandbox".into(),
                    payment_key: format!("pay-{event}"),
                    event_id: format!("event-{event}"),
                    amount: world_price(name),
                },
            )]);
        };
        buy(&mut world, &women[0], "A");
        for woman in &women[1..] {
            buy(&mut world, woman, "A");
            buy(&mut world, woman, "B");
        }
        for man in &men {
            buy(&mut world, man, "C");
        }
        // D only has raffle interest from the newcomer.
        let (_, d_first) = first_items["D"];
        world.apply(vec![(
            seller.clone(),
            Payload::ListItem {
                item: d_first,
                price: None,
            },
        )]);
        let effects = world.apply(vec![(
            seller.clone(),
            Payload::CreateRaffle(RaffleSpec {
                items: vec![d_first],
                window: EntryWindow::Heights {
                    opens: 0,
                    closes: 10_000,
                },
                price: 200_000,
                runners_up: 0,
                min_age: None,
                seed_commitment: raffle_commitment(&Hash::of(b"s")),
                reveal_blocks: 10,
                payment_window_ms: 3_600_000,
            }),
        )]);
        let Effect::RaffleCreated { raffle } = effects[0] else {
            panic!()
        };
        world.apply(vec![(newcomer.clone(), Payload::EnterRaffle { raffle })]);

        let profiles: HashMap<PublicKey, (Gender, u16)> = women
            .iter()
            .map(|w| (w.public(), (Gender::Female, 2002)))
            .chain(men.iter().map(|m| (m.public(), (Gender::Male, 1982))))
            .collect();
        let lookup = |key: &PublicKey| profiles.get(key).copied();
        let recommender = Recommender::new();
        let height = world.chain.head().height;
        let store = world.chain.store();
        let ids: HashMap<&str, u64> = first_items.iter().map(|(n, (p, _))| (*n, *p)).collect();

        // A young woman new to the shop: her cohort's favourites first.
        let young_woman = Viewer {
            account: None,
            gender: Some(Gender::Female),
            age_band: Some(age_band(2002, 2026)),
        };
        let picks = recommender
            .recommend(store, height, 2026, &lookup, &young_woman, 4)
            .unwrap();
        let order: Vec<u64> = picks.iter().map(|r| r.product).collect();
        assert!(
            order[..2].contains(&ids["A"]) && order[..2].contains(&ids["B"]),
            "{picks:?}"
        );
        assert!(matches!(
            picks[0].reasons[0],
            Reason::Cohort {
                gender: Gender::Female,
                age_band: 20
            }
        ));

        // A man in his forties: the watch.
        let man = Viewer {
            account: None,
            gender: Some(Gender::Male),
            age_band: Some(age_band(1982, 2026)),
        };
        let picks = recommender
            .recommend(store, height, 2026, &lookup, &man, 4)
            .unwrap();
        assert_eq!(picks[0].product, ids["C"], "{picks:?}");

        // A woman who bought A: B (bought together with A, same brand) first, never A.
        let buyer = Viewer {
            account: Some(women[0].public()),
            gender: Some(Gender::Female),
            age_band: Some(20),
        };
        let picks = recommender
            .recommend(store, height, 2026, &lookup, &buyer, 4)
            .unwrap();
        assert!(
            picks.iter().all(|r| r.product != ids["A"]),
            "bought ones are left out: {picks:?}"
        );
        assert_eq!(picks[0].product, ids["B"]);
        assert!(
            picks[0].reasons.contains(&Reason::BoughtTogether {
                with_product: ids["A"]
            }),
            "{picks:?}"
        );
        let newcomer_view = Viewer {
            account: Some(newcomer.public()),
            gender: None,
            age_band: None,
        };
        let picks = recommender
            .recommend(store, height, 2026, &lookup, &newcomer_view, 4)
            .unwrap();
        assert!(
            [ids["A"], ids["B"]].contains(&picks[0].product),
            "cold start: the most popular: {picks:?}"
        );
        assert!(
            picks.iter().any(|r| r.product == ids["D"]),
            "the raffle item stays on offer"
        );

        // Similar products: the other Nike first.
        let similar = recommender.similar(store, ids["A"], 3).unwrap();
        assert_eq!(similar[0].product, ids["B"]);
    }

    fn world_price(name: &str) -> u64 {
        match name {
            "A" => 150_000,
            "B" => 160_000,
            "C" => 15_000_000,
            _ => 200_000,
        }
    }
}
