//! The catalog read model against a real store: following blocks, replaying after a
//! restart, rebuilding a deleted index, raffles closing without a transaction.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use truffle_index::{Filters, SearchQuery};
use truffle_ledger::tx::raffle_commitment;
use truffle_ledger::types::{
    Acquisition, ChainParams, EntryWindow, ProductSpec, RaffleSpec, Role, Validator,
};
use truffle_ledger::{
    execute_block, genesis_block, Block, BlockHeader, BlockProposal, Effect, GenesisState, Hash,
    Keypair, Outcome, Payload, Transaction,
};
use truffle_store::Store;

use super::*;

struct Chain {
    store: Store,
    chain_id: Hash,
    head: BlockHeader,
    nonces: HashMap<PublicKey, u64>,
}

impl Chain {
    fn new(dir: &Path) -> Chain {
        let store = Store::open(&dir.join("db")).unwrap();
        let genesis = GenesisState {
            chain_id: Hash::of(b"catalog-test"),
            time_ms: 1_000,
            // Short raffle windows (the minimums are the ledger's to test).
            params: ChainParams {
                min_raffle_entry_blocks: 1,
                min_raffle_reveal_blocks: 1,
                ..ChainParams::default()
            },
            admins: vec![Keypair::from_name("admin").public()],
            validators: vec![Validator {
                key: Keypair::from_name("validator-0").public(),
                name: "v0".into(),
                p2p_address: "/ip4/127.0.0.1/tcp/1".into(),
                since_height: 0,
            }],
        };
        let executed = genesis_block(&store, &genesis).unwrap();
        store.commit_block(&executed, &[]).unwrap();
        Chain {
            store,
            chain_id: genesis.chain_id,
            head: executed.block.header,
            nonces: HashMap::new(),
        }
    }

    /// Applies one block of `txs`; every one must apply.
    fn block(&mut self, txs: Vec<(&Keypair, Payload)>) -> Arc<Block> {
        let transactions = txs
            .into_iter()
            .map(|(key, payload)| {
                let nonce = self.nonces.entry(key.public()).or_insert(0);
                let tx = Transaction {
                    chain_id: self.chain_id,
                    signer: key.public(),
                    nonce: *nonce,
                    payload,
                }
                .sign(key);
                *nonce += 1;
                tx
            })
            .collect();
        let proposal = BlockProposal {
            proposer: Keypair::from_name("validator-0").public(),
            time_ms: self.head.time_ms + 1_000,
            transactions,
        };
        let executed = execute_block(&self.store, &self.head, &proposal).unwrap();
        for receipt in &executed.block.receipts {
            assert!(receipt.is_applied(), "{receipt:?}");
        }
        self.store.commit_block(&executed, &[]).unwrap();
        self.head = executed.block.header.clone();
        Arc::new(executed.block)
    }
}

fn spec(brand: &str, model: &str, name_ko: &str, name_en: &str, serials: &[&str]) -> ProductSpec {
    ProductSpec {
        brand: brand.into(),
        model: model.into(),
        name_ko: name_ko.into(),
        name_en: name_en.into(),
        category: "sneakers".into(),
        release_date: 20_240_101,
        price: 150_000,
        description: "한정판".into(),
        image_hashes: vec![],
        serials: serials.iter().map(|s| (*s).to_owned()).collect(),
        list_for_sale: true,
    }
}

fn first_item(block: &Block) -> u64 {
    match &block.receipts[0].outcome {
        Outcome::Applied {
            effect: Effect::ProductRegistered { first_item, .. },
        } => *first_item,
        other => panic!("not a registration: {other:?}"),
    }
}

fn hit_ids(catalog: &Catalog, query: &SearchQuery) -> Vec<u64> {
    catalog
        .search(query)
        .unwrap()
        .hits
        .iter()
        .map(|h| h.product_id)
        .collect()
}

fn all_docs(catalog: &Catalog) -> Vec<ProductDoc> {
    let query = SearchQuery {
        page_size: 100,
        ..SearchQuery::default()
    };
    let mut docs: Vec<ProductDoc> = catalog
        .search(&query)
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.product)
        .collect();
    docs.sort_by_key(|d| d.product_id);
    docs
}

#[test]
fn follows_blocks_replays_after_restart_and_rebuilds() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = Chain::new(dir.path());
    let registrar = Keypair::from_name("validator-0");
    let admin = Keypair::from_name("admin");
    let seller = Keypair::from_name("seller");
    let buyer = Keypair::from_name("buyer");
    chain.block(vec![
        (
            &registrar,
            Payload::RegisterAccount {
                account: seller.public(),
                role: Role::Member,
                adult: true,
            },
        ),
        (
            &registrar,
            Payload::RegisterAccount {
                account: buyer.public(),
                role: Role::Member,
                adult: true,
            },
        ),
    ]);
    chain.block(vec![(
        &seller,
        Payload::ApplySeller {
            shop_name: "스니커즈 라운지".into(),
        },
    )]);
    chain.block(vec![(
        &admin,
        Payload::ApproveSeller {
            account: seller.public(),
        },
    )]);
    let dunk = chain.block(vec![(
        &seller,
        Payload::RegisterProduct(spec(
            "Nike",
            "DD1391-100",
            "나이키 덩크 로우 범고래",
            "Nike Dunk Low Panda",
            &["P-1", "P-2"],
        )),
    )]);
    let dunk_item = first_item(&dunk);

    let index_dir = dir.path().join("index");
    let catalog = Catalog::new(
        chain.store.clone(),
        index_dir.clone(),
        truffle_clock::SystemClock::shared(),
    );
    assert!(matches!(
        catalog.search(&SearchQuery::text("덩크")),
        Err(CatalogError::NotReady { .. })
    ));
    catalog.prepare().unwrap();
    assert_eq!(catalog.status().rebuilds, 1, "a new index is built");
    assert_eq!(hit_ids(&catalog, &SearchQuery::text("덩크")), vec![1]);
    assert_eq!(hit_ids(&catalog, &SearchQuery::text("nike panda")), vec![1]);
    let doc = &all_docs(&catalog)[0];
    assert_eq!(doc.shop_name, "스니커즈 라운지");
    assert_eq!((doc.available, doc.sold), (2, 0));

    // A second product, a transfer and a raffle over a height window that closes at
    // a later height, followed block by block.
    let jordan = chain.block(vec![(
        &seller,
        Payload::RegisterProduct(spec(
            "Jordan",
            "DZ5485-612",
            "에어 조던 1 시카고",
            "Air Jordan 1 Chicago",
            &["J-1", "J-2", "J-3"],
        )),
    )]);
    let jordan_item = first_item(&jordan);
    let transfer = chain.block(vec![(
        &seller,
        Payload::TransferItem {
            item: dunk_item,
            to: buyer.public(),
        },
    )]);
    let closes = chain.head.height + 3;
    let raffle = chain.block(vec![(
        &seller,
        Payload::CreateRaffle(RaffleSpec {
            items: vec![jordan_item],
            window: EntryWindow::Heights { opens: 0, closes },
            price: 100_000,
            runners_up: 0,
            min_age: None,
            seed_commitment: raffle_commitment(&Hash::of(b"secret")),
            reveal_blocks: 5,
            payment_window_ms: 600_000,
        }),
    )]);
    catalog
        .apply_blocks(&[jordan.clone(), transfer.clone(), raffle.clone()])
        .unwrap();
    assert_eq!(hit_ids(&catalog, &SearchQuery::text("조던")), vec![2]);
    let docs = all_docs(&catalog);
    assert_eq!((docs[0].available, docs[0].sold), (1, 1), "{docs:?}");
    assert!(docs[1].has_open_raffle);
    assert_eq!(docs[1].available, 2, "the prize is escrowed");
    let open_raffles = SearchQuery {
        filters: Filters {
            has_open_raffle: Some(true),
            ..Filters::default()
        },
        ..SearchQuery::default()
    };
    assert_eq!(hit_ids(&catalog, &open_raffles), vec![2]);

    // The window closes at the start of a block, without a transaction.
    while chain.head.height <= closes {
        chain.block(vec![]);
    }
    catalog.apply_blocks(&[]).unwrap();
    assert!(!all_docs(&catalog)[1].has_open_raffle, "the raffle closed");
    assert!(hit_ids(&catalog, &open_raffles).is_empty());

    // History of the transferred piece.
    let history = catalog.history(dunk_item).unwrap();
    assert_eq!(history.owners.len(), 2);
    assert_eq!(history.owners[0].owner, seller.public());
    assert_eq!(history.owners[0].acquisition, Acquisition::Registered);
    assert_eq!(history.owners[0].tx.height, dunk.header.height);
    assert_eq!(history.owners[1].owner, buyer.public());
    assert_eq!(history.owners[1].tx.height, transfer.header.height);
    assert_eq!(
        history.owners[1].tx.tx_hash,
        transfer.transactions[0].hash()
    );
    assert!(matches!(
        catalog.history(999),
        Err(CatalogError::NotFound { kind: "item", .. })
    ));

    // Sellers.
    let approved = catalog
        .sellers(Some(SellerState::Approved), None, 10)
        .unwrap();
    assert_eq!(approved.len(), 1);
    assert!(approved[0].may_register);
    assert!(catalog
        .sellers(Some(SellerState::Applied), None, 10)
        .unwrap()
        .is_empty());
    catalog.flush().unwrap();
    let expected = all_docs(&catalog);
    drop(catalog);

    // Restart behind the head: the missing blocks (a transfer, and a revocation) are
    // replayed, not rebuilt.
    chain.block(vec![(
        &buyer,
        Payload::TransferItem {
            item: dunk_item,
            to: seller.public(),
        },
    )]);
    chain.block(vec![(
        &admin,
        Payload::RevokeSeller {
            account: seller.public(),
        },
    )]);
    let catalog = Catalog::new(
        chain.store.clone(),
        index_dir.clone(),
        truffle_clock::SystemClock::shared(),
    );
    catalog.prepare().unwrap();
    assert_eq!(catalog.status().rebuilds, 0, "replayed, not rebuilt");
    let replayed = all_docs(&catalog);
    assert_eq!(replayed[0].sold, 0, "the piece went back to the seller");
    assert_eq!(replayed[1], expected[1]);
    assert_eq!(
        catalog
            .sellers(Some(SellerState::Revoked), None, 10)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(catalog.history(dunk_item).unwrap().owners.len(), 3);
    drop(catalog);

    // A fresh build from the ledger gives the same documents.
    let fresh = Catalog::new(
        chain.store.clone(),
        dir.path().join("fresh"),
        truffle_clock::SystemClock::shared(),
    );
    fresh.prepare().unwrap();
    assert_eq!(all_docs(&fresh), replayed);
    drop(fresh);

    // The index folder deleted, or replaced by debris: rebuilt from the ledger.
    std::fs::remove_dir_all(&index_dir).unwrap();
    let catalog = Catalog::new(
        chain.store.clone(),
        index_dir.clone(),
        truffle_clock::SystemClock::shared(),
    );
    catalog.prepare().unwrap();
    assert_eq!(catalog.status().rebuilds, 1);
    assert_eq!(all_docs(&catalog), replayed);
    drop(catalog);
    std::fs::remove_dir_all(&index_dir).unwrap();
    std::fs::create_dir_all(&index_dir).unwrap();
    std::fs::write(index_dir.join("junk"), b"not an index").unwrap();
    let catalog = Catalog::new(
        chain.store.clone(),
        index_dir.clone(),
        truffle_clock::SystemClock::shared(),
    );
    catalog.prepare().unwrap();
    assert_eq!(all_docs(&catalog), replayed);
}

/// A height that changed no product is committed once [`IDLE_COMMIT`] has passed on the
/// catalog's clock, not before: checked on a clock the test moves itself.
#[test]
fn an_advanced_height_is_committed_after_the_idle_time_of_the_injected_clock() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = Chain::new(dir.path());
    let registrar = Keypair::from_name("validator-0");
    let member = |name: &str| Payload::RegisterAccount {
        account: Keypair::from_name(name).public(),
        role: Role::Member,
        adult: true,
    };
    chain.block(vec![(&registrar, member("first"))]);
    let clock = Arc::new(truffle_clock::ManualClock::new(1_700_000_000_000));
    let catalog = Catalog::new(chain.store.clone(), dir.path().join("index"), clock.clone());
    catalog.prepare().unwrap();
    let start = catalog
        .status()
        .committed_height
        .expect("the rebuild commits");

    let quiet = chain.block(vec![(&registrar, member("second"))]);
    catalog.apply_blocks(std::slice::from_ref(&quiet)).unwrap();
    let status = catalog.status();
    assert_eq!(status.synced_height, Some(quiet.header.height));
    assert_eq!(status.committed_height, Some(start), "too soon to commit");

    clock.advance(IDLE_COMMIT.as_millis() as u64 - 1);
    let still_quiet = chain.block(vec![(&registrar, member("third"))]);
    catalog.apply_blocks(&[still_quiet]).unwrap();
    assert_eq!(catalog.status().committed_height, Some(start), "1 ms short");

    clock.advance(1);
    let due = chain.block(vec![(&registrar, member("fourth"))]);
    catalog.apply_blocks(std::slice::from_ref(&due)).unwrap();
    assert_eq!(catalog.status().committed_height, Some(due.header.height));
}

#[test]
fn an_index_ahead_of_the_store_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = Chain::new(dir.path());
    let registrar = Keypair::from_name("validator-0");
    chain.block(vec![(
        &registrar,
        Payload::RegisterAccount {
            account: Keypair::from_name("m").public(),
            role: Role::Member,
            adult: false,
        },
    )]);
    let index_dir = dir.path().join("index");
    {
        let mut index = SearchIndex::open(&index_dir).unwrap();
        index
            .upsert([ProductDoc {
                product_id: 77,
                name_en: "ghost".into(),
                ..ProductDoc::default()
            }])
            .unwrap();
        index.commit(chain.head.height + 5).unwrap();
    }
    let catalog = Catalog::new(
        chain.store.clone(),
        index_dir,
        truffle_clock::SystemClock::shared(),
    );
    catalog.prepare().unwrap();
    assert_eq!(catalog.status().rebuilds, 1);
    assert!(hit_ids(&catalog, &SearchQuery::text("ghost")).is_empty());
    assert_eq!(catalog.status().synced_height, Some(chain.head.height));
}

/// Rebuild, follow, replay and search costs on a larger catalog. Not part of the suite:
/// `cargo test -p truffle-node --lib catalog::tests::measure -- --ignored --nocapture`
/// (`TRUFFLE_MEASURE_PRODUCTS` sets the number of products, 5000 by default).
#[test]
#[ignore]
fn measure() {
    let products: usize = std::env::var("TRUFFLE_MEASURE_PRODUCTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    const PER_BLOCK: usize = 100;
    const BRANDS: [(&str, &str); 6] = [
        ("Nike", "나이키"),
        ("Jordan", "조던"),
        ("Adidas", "아디다스"),
        ("New Balance", "뉴발란스"),
        ("Supreme", "슈프림"),
        ("Rolex", "롤렉스"),
    ];
    const WORDS: [(&str, &str); 8] = [
        ("덩크 로우", "Dunk Low"),
        ("범고래", "Panda"),
        ("시카고", "Chicago"),
        ("삼바", "Samba"),
        ("그레이", "Grey"),
        ("박스로고", "Box Logo"),
        ("서브마리너", "Submariner"),
        ("에어포스", "Air Force"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut chain = Chain::new(dir.path());
    let registrar = Keypair::from_name("validator-0");
    let admin = Keypair::from_name("admin");
    let seller = Keypair::from_name("seller");
    let buyer = Keypair::from_name("buyer");
    chain.block(vec![
        (
            &registrar,
            Payload::RegisterAccount {
                account: seller.public(),
                role: Role::Member,
                adult: false,
            },
        ),
        (
            &registrar,
            Payload::RegisterAccount {
                account: buyer.public(),
                role: Role::Member,
                adult: false,
            },
        ),
    ]);
    chain.block(vec![(
        &seller,
        Payload::ApplySeller {
            shop_name: "측정".into(),
        },
    )]);
    chain.block(vec![(
        &admin,
        Payload::ApproveSeller {
            account: seller.public(),
        },
    )]);
    let started = Instant::now();
    let mut blocks = Vec::new();
    for chunk in 0..products.div_ceil(PER_BLOCK) {
        let txs = (0..PER_BLOCK)
            .map(|k| chunk * PER_BLOCK + k)
            .take_while(|n| *n < products)
            .map(|n| {
                let (brand_en, brand_ko) = BRANDS[n % BRANDS.len()];
                let (word_ko, word_en) = WORDS[(n / BRANDS.len()) % WORDS.len()];
                let serials: Vec<String> = (0..3).map(|s| format!("M{n}-{s}")).collect();
                let serials: Vec<&str> = serials.iter().map(String::as_str).collect();
                let mut spec = spec(
                    brand_en,
                    &format!("MODEL-{n}"),
                    &format!("{brand_ko} {word_ko} {n}"),
                    &format!("{brand_en} {word_en} {n}"),
                    &serials,
                );
                spec.price = 50_000 + (n as u64 % 500) * 1_000;
                (&seller, Payload::RegisterProduct(spec))
            })
            .collect();
        blocks.push(chain.block(txs));
    }
    println!(
        "chain: {products} products (3 pieces each) in {} blocks, built in {:?}",
        blocks.len(),
        started.elapsed()
    );

    let index_dir = dir.path().join("index");
    let catalog = Catalog::new(
        chain.store.clone(),
        index_dir.clone(),
        truffle_clock::SystemClock::shared(),
    );
    let started = Instant::now();
    catalog.prepare().unwrap();
    println!(
        "full rebuild: {:?} ({} documents)",
        started.elapsed(),
        catalog.status().documents
    );

    // Following: a block of 100 transfers (100 products re-derived, one commit).
    let first = first_item(&blocks[0]);
    let transfers = chain.block(
        (0..PER_BLOCK as u64)
            .map(|k| {
                (
                    &seller,
                    Payload::TransferItem {
                        item: first + 3 * k,
                        to: buyer.public(),
                    },
                )
            })
            .collect(),
    );
    let started = Instant::now();
    catalog.apply_blocks(&[transfers]).unwrap();
    println!(
        "follow one block of {PER_BLOCK} transfers: {:?}",
        started.elapsed()
    );
    let empty = chain.block(vec![]);
    let started = Instant::now();
    catalog.apply_blocks(&[empty]).unwrap();
    println!(
        "follow one block that touches no product: {:?}",
        started.elapsed()
    );
    catalog.flush().unwrap();
    drop(catalog);

    // Restart 20 blocks behind (20 x 100 transfers back).
    for round in 0..20u64 {
        let owner = if round % 2 == 0 { &buyer } else { &seller };
        let to = if round % 2 == 0 { &seller } else { &buyer };
        chain.block(
            (0..PER_BLOCK as u64)
                .map(|k| {
                    (
                        owner,
                        Payload::TransferItem {
                            item: first + 3 * k,
                            to: to.public(),
                        },
                    )
                })
                .collect(),
        );
    }
    let catalog = Catalog::new(
        chain.store.clone(),
        index_dir,
        truffle_clock::SystemClock::shared(),
    );
    let started = Instant::now();
    catalog.prepare().unwrap();
    println!(
        "restart 20 blocks behind (replay, {} rebuilds): {:?}",
        catalog.status().rebuilds,
        started.elapsed()
    );

    let queries = [
        "나이키 덩크",
        "dunk low",
        "조던 chicago",
        "슈프림 박스로고",
        "grey",
        "롤렉스 서브마리너 17",
    ];
    let rounds = 50;
    let started = Instant::now();
    let mut total = 0;
    for _ in 0..rounds {
        for text in queries {
            total += catalog.search(&SearchQuery::text(text)).unwrap().total;
        }
    }
    let per_query = started.elapsed() / (rounds * queries.len()) as u32;
    let mut filtered = SearchQuery::text("나이키");
    filtered.filters.max_price = Some(100_000);
    filtered.sort = truffle_index::SortOrder::PriceAsc;
    let started = Instant::now();
    for _ in 0..rounds {
        catalog.search(&filtered).unwrap();
    }
    println!(
        "search: {per_query:?} per text query ({total} hits counted), {:?} with a price filter and sort",
        started.elapsed() / rounds as u32
    );
}

mod seller;
