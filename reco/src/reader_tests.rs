//! The recommender over a real (in-memory) ledger: cohorts, bought-together, the owned
//! and sold-out filters, cold starts of members and items, reasons.

use std::collections::HashMap;

use truffle_ledger::tx::raffle_commitment;
use truffle_ledger::types::{ChainParams, EntryWindow, ProductSpec, RaffleSpec, Role, Validator};
use truffle_ledger::{
    BlockProposal, Effect, GenesisState, Hash, Keypair, MemoryChain, Outcome, Payload,
};

use super::*;
use crate::ledger;
use crate::model::Cohort;
use crate::page::ReasonKind;
use truffle_ledger::types::Gender;

struct World {
    chain: MemoryChain,
    operator: Keypair,
    time_ms: u64,
    block_secs: HashMap<u64, u64>,
    events: u64,
}

impl World {
    fn new(admin: &Keypair) -> World {
        let operator = Keypair::from_name("operator");
        let chain = MemoryChain::new(&GenesisState {
            chain_id: Hash::of(b"reco"),
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
        World {
            chain,
            operator,
            time_ms: 1_767_225_600_000,
            block_secs: HashMap::new(),
            events: 0,
        }
    }

    /// Applies one transaction in a block of its own, a minute after the previous one.
    fn apply(&mut self, key: &Keypair, payload: Payload) -> Effect {
        let tx = self.chain.sign(key, payload).unwrap();
        self.time_ms += 60_000;
        let block = self
            .chain
            .apply(&BlockProposal {
                proposer: self.operator.public(),
                time_ms: self.time_ms,
                transactions: vec![tx],
            })
            .unwrap();
        self.block_secs
            .insert(block.header.height, self.time_ms / 1000);
        match &block.receipts[0].outcome {
            Outcome::Applied { effect } => effect.clone(),
            Outcome::Rejected { rejection } => panic!("refused: {rejection}"),
        }
    }

    fn register(&mut self, key: &Keypair, birth_year: u16) {
        let operator = self.operator.clone();
        self.apply(
            &operator,
            Payload::RegisterAccount {
                account: key.public(),
                role: Role::Member,
                adult: birth_year <= 2006,
            },
        );
    }

    /// Registers a product; returns (product id, first item).
    fn product(&mut self, seller: &Keypair, spec: ProductSpec) -> (u64, u64) {
        match self.apply(seller, Payload::RegisterProduct(spec)) {
            Effect::ProductRegistered {
                product,
                first_item,
                ..
            } => (product, first_item),
            other => panic!("{other:?}"),
        }
    }

    fn buy(&mut self, buyer: &Keypair, item: u64, price: u64) {
        let Effect::OrderCreated { order } = self.apply(buyer, Payload::CreateOrder { item })
        else {
            panic!()
        };
        self.events += 1;
        let operator = self.operator.clone();
        self.apply(
            &operator,
            Payload::SettlePayment {
                order,
                provider: "sandbox".into(),
                payment_key: format!("pay-{}", self.events),
                event_id: format!("event-{}", self.events),
                amount: price,
            },
        );
    }
}

fn spec(brand: &str, model: &str, category: &str, price: u64, pieces: usize) -> ProductSpec {
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
        serials: (0..pieces).map(|i| format!("{model}-{i}")).collect(),
        list_for_sale: true,
    }
}

struct Market {
    built: Built,
    ids: HashMap<&'static str, u64>,
    women: Vec<Keypair>,
    newcomer: Keypair,
}

const YEAR: u16 = 2026;

/// Products A, B (Nike sneakers), C (Rolex watch), F (Rolex, one piece, sold), D (LEGO,
/// raffle only), E (Nike sneakers registered last, nobody bought it yet). Women in
/// their twenties buy A and B together; men in their forties buy C (and one the only F);
/// a newcomer without a profile enters D's raffle.
fn market() -> Market {
    let admin = Keypair::from_name("admin");
    let mut world = World::new(&admin);
    let seller = Keypair::from_name("seller");
    let women: Vec<Keypair> = (0..3)
        .map(|i| Keypair::from_name(&format!("w{i}")))
        .collect();
    let men: Vec<Keypair> = (0..2)
        .map(|i| Keypair::from_name(&format!("m{i}")))
        .collect();
    let newcomer = Keypair::from_name("newcomer");
    world.register(&seller, 1980);
    for w in &women {
        world.register(w, 2002);
    }
    for m in &men {
        world.register(m, 1982);
    }
    world.register(&newcomer, 1990);
    world.apply(
        &seller,
        Payload::ApplySeller {
            shop_name: "s".into(),
        },
    );
    world.apply(
        &admin,
        Payload::ApproveSeller {
            account: seller.public(),
        },
    );
    let mut ids = HashMap::new();
    let mut first = HashMap::new();
    for (name, spec) in [
        ("A", spec("Nike", "A", "sneakers", 150_000, 6)),
        ("B", spec("Nike", "B", "sneakers", 160_000, 6)),
        ("C", spec("Rolex", "C", "watches", 15_000_000, 6)),
        ("F", spec("Rolex", "F", "watches", 15_000_000, 1)),
        ("D", spec("LEGO", "D", "toys", 200_000, 1)),
    ] {
        let (product, item) = world.product(&seller, spec);
        ids.insert(name, product);
        first.insert(name, item);
    }
    let mut next: HashMap<&str, u64> = HashMap::new();
    let mut buy = |world: &mut World, buyer: &Keypair, name: &'static str, price: u64| {
        let piece = next.entry(name).or_insert(0);
        world.buy(buyer, first[name] + *piece, price);
        *piece += 1;
    };
    buy(&mut world, &women[0], "A", 150_000);
    for w in &women[1..] {
        buy(&mut world, w, "A", 150_000);
        buy(&mut world, w, "B", 160_000);
    }
    for m in &men {
        buy(&mut world, m, "C", 15_000_000);
    }
    buy(&mut world, &men[0], "F", 15_000_000);
    world.apply(
        &seller,
        Payload::ListItem {
            item: first["D"],
            price: None,
        },
    );
    let Effect::RaffleCreated { raffle } = world.apply(
        &seller,
        Payload::CreateRaffle(RaffleSpec {
            items: vec![first["D"]],
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
    ) else {
        panic!()
    };
    world.apply(&newcomer, Payload::EnterRaffle { raffle });
    let (e, _) = world.product(&seller, spec("Nike", "E", "sneakers", 170_000, 6));
    ids.insert("E", e);

    let profiles: HashMap<PublicKey, (Gender, u16)> = women
        .iter()
        .map(|w| (w.public(), (Gender::Female, 2002)))
        .chain(men.iter().map(|m| (m.public(), (Gender::Male, 1982))))
        .collect();
    let lookup = |key: &PublicKey| profiles.get(key).copied();
    let secs = |height: u64| world.block_secs.get(&height).copied();
    let (data, view) = ledger::build(
        world.chain.store(),
        world.chain.head().height,
        YEAR,
        &secs,
        &lookup,
    )
    .unwrap();
    Market {
        built: Built::new(&data, view, Params::default()),
        ids,
        women,
        newcomer,
    }
}

fn products(page: &RecoPage) -> Vec<u64> {
    page.items.iter().map(|i| i.product).collect()
}

const WOMEN_20: Cohort = Cohort {
    gender: Gender::Female,
    age_band: 20,
};
const MEN_40: Cohort = Cohort {
    gender: Gender::Male,
    age_band: 40,
};

#[test]
fn cohorts_get_their_own_favourites_with_a_cohort_reason() {
    let m = market();
    let young_woman = Viewer {
        account: None,
        cohort: Some(WOMEN_20),
    };
    let page = m.built.for_viewer(&young_woman, 1, 10);
    let top = products(&page);
    assert!(
        top[..2].contains(&m.ids["A"]) && top[..2].contains(&m.ids["B"]),
        "{page:?}"
    );
    assert_eq!(page.items[0].reason.kind, ReasonKind::Cohort);
    assert_eq!(page.items[0].reason.age_band, Some(20));
    assert!(
        page.items[0]
            .reason
            .text
            .starts_with("같은 연령대에서 인기"),
        "{page:?}"
    );

    let man = Viewer {
        account: None,
        cohort: Some(MEN_40),
    };
    let page = m.built.for_viewer(&man, 1, 10);
    assert_eq!(page.items[0].product, m.ids["C"], "{page:?}");
    assert_eq!(page.items[0].reason.gender, Some(Gender::Male));
    assert_ne!(products(&page), top, "two cohorts, two rankings");
}

#[test]
fn sold_out_and_owned_products_are_never_offered() {
    let m = market();
    for cohort in [Some(WOMEN_20), Some(MEN_40), None] {
        let page = m.built.for_viewer(
            &Viewer {
                account: None,
                cohort,
            },
            1,
            50,
        );
        assert!(
            !products(&page).contains(&m.ids["F"]),
            "F is sold out: {page:?}"
        );
        assert!(
            products(&page).contains(&m.ids["D"]),
            "D's raffle is open: {page:?}"
        );
    }
    let buyer = Viewer {
        account: Some(m.women[1].public()),
        cohort: Some(WOMEN_20),
    };
    let page = m.built.for_viewer(&buyer, 1, 50);
    assert!(
        !products(&page).contains(&m.ids["A"]) && !products(&page).contains(&m.ids["B"]),
        "bought ones are left out: {page:?}"
    );
}

#[test]
fn history_brings_bought_together_items_first() {
    let m = market();
    // w0 bought A only; the other women bought A with B.
    let viewer = Viewer {
        account: Some(m.women[0].public()),
        cohort: Some(WOMEN_20),
    };
    let page = m.built.for_viewer(&viewer, 1, 10);
    assert_eq!(page.items[0].product, m.ids["B"], "{page:?}");
    assert_eq!(page.items[0].reason.kind, ReasonKind::BoughtTogether);
    assert_eq!(page.items[0].reason.product, Some(m.ids["A"]));
    assert_eq!(
        page.items[0].reason.text,
        "이 상품을 산 회원이 함께 산 상품"
    );
}

#[test]
fn cold_starts_get_sensible_results() {
    let m = market();
    // A member without a profile whose only act is a raffle entry.
    let newcomer = Viewer {
        account: Some(m.newcomer.public()),
        cohort: None,
    };
    let page = m.built.for_viewer(&newcomer, 1, 10);
    assert!(page.items.len() >= 4, "{page:?}");
    assert!(
        [m.ids["A"], m.ids["C"], m.ids["E"]].contains(&page.items[0].product),
        "popular or new first: {page:?}"
    );
    // The new Nike nobody bought reaches the page of a product like it.
    let similar = m.built.similar(m.ids["A"], 1, 10).unwrap();
    assert_eq!(similar.items[0].product, m.ids["B"], "{similar:?}");
    assert_eq!(similar.items[0].reason.kind, ReasonKind::BoughtTogether);
    let new = similar
        .items
        .iter()
        .find(|i| i.product == m.ids["E"])
        .expect("the new Nike is similar");
    assert_eq!(new.reason.kind, ReasonKind::Similar);
    assert!(!products(&similar).contains(&m.ids["A"]));
    assert!(matches!(
        m.built.similar(9_999, 1, 10),
        Err(RecoError::UnknownProduct(9_999))
    ));
}

#[test]
fn pages_follow_each_other() {
    let m = market();
    let viewer = Viewer {
        account: None,
        cohort: Some(WOMEN_20),
    };
    let all = products(&m.built.for_viewer(&viewer, 1, 50));
    let first = m.built.for_viewer(&viewer, 1, 2);
    let second = m.built.for_viewer(&viewer, 2, 2);
    assert!(first.has_more);
    assert_eq!([products(&first), products(&second)].concat(), all[..4]);
    assert_eq!(first.height, m.built.height());
}
