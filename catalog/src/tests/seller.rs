//! The catalog read model behind the seller centre and the main page: each product's
//! registering seller (the seller filter), popular products, and a raffle cancelled
//! before its close (the product no longer has an open raffle, the prize is for sale
//! again).

use super::*;

#[test]
fn seller_filter_popular_and_a_cancelled_raffle_follow_the_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = Chain::new(dir.path());
    let registrar = Keypair::from_name("validator-0");
    let admin = Keypair::from_name("admin");
    let (alpha, beta, buyer) = (
        Keypair::from_name("alpha"),
        Keypair::from_name("beta"),
        Keypair::from_name("buyer"),
    );
    let register = |key: &Keypair| Payload::RegisterAccount {
        account: key.public(),
        role: Role::Member,
        adult: true,
    };
    chain.block(vec![
        (&registrar, register(&alpha)),
        (&registrar, register(&beta)),
        (&registrar, register(&buyer)),
    ]);
    let apply = |name: &str| Payload::ApplySeller {
        shop_name: name.into(),
    };
    chain.block(vec![(&alpha, apply("알파")), (&beta, apply("베타"))]);
    chain.block(vec![
        (
            &admin,
            Payload::ApproveSeller {
                account: alpha.public(),
            },
        ),
        (
            &admin,
            Payload::ApproveSeller {
                account: beta.public(),
            },
        ),
    ]);
    chain.block(vec![(
        &alpha,
        Payload::RegisterProduct(spec(
            "Nike",
            "A-1",
            "알파 하나",
            "Alpha one",
            &["A1-1", "A1-2"],
        )),
    )]);
    let b1 = chain.block(vec![(
        &beta,
        Payload::RegisterProduct(spec("Nike", "B-1", "베타 하나", "Beta one", &["B1-1"])),
    )]);
    let a2 = chain.block(vec![(
        &alpha,
        Payload::RegisterProduct(spec(
            "Nike",
            "A-2",
            "알파 둘",
            "Alpha two",
            &["A2-1", "A2-2"],
        )),
    )]);
    let (b1_item, a2_item) = (first_item(&b1), first_item(&a2));

    let catalog = Catalog::new(
        chain.store.clone(),
        dir.path().join("index"),
        truffle_clock::SystemClock::shared(),
    );
    catalog.prepare().unwrap();
    let of = |catalog: &Catalog, key: &Keypair| {
        hit_ids(
            catalog,
            &SearchQuery {
                filters: Filters {
                    seller: Some(key.public()),
                    ..Filters::default()
                },
                page_size: 100,
                ..SearchQuery::default()
            },
        )
    };
    assert_eq!(
        of(&catalog, &alpha),
        vec![3, 1],
        "built from the ledger at start"
    );
    assert_eq!(of(&catalog, &beta), vec![2]);
    assert!(of(&catalog, &buyer).is_empty());

    // A piece of beta's sold; alpha raffles a piece of its second product.
    let transfer = chain.block(vec![(
        &beta,
        Payload::TransferItem {
            item: b1_item,
            to: buyer.public(),
        },
    )]);
    let closes = chain.head.height + 100;
    let raffle = chain.block(vec![(
        &alpha,
        Payload::CreateRaffle(RaffleSpec {
            items: vec![a2_item],
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
        .apply_blocks(&[transfer.clone(), raffle.clone()])
        .unwrap();
    let popular: Vec<u64> = catalog
        .popular(10)
        .unwrap()
        .hits
        .iter()
        .map(|h| h.product_id)
        .collect();
    assert_eq!(
        popular,
        vec![2, 3, 1],
        "sold, then an open raffle, then the newest"
    );
    let docs = all_docs(&catalog);
    assert!(docs[2].has_open_raffle);
    assert_eq!(docs[2].available, 1, "the prize is escrowed");
    assert!(catalog.popular(0).is_err(), "a limit of 0 is refused");

    // Alpha cancels: the product has no open raffle, its prize is for sale again.
    let cancel = chain.block(vec![(
        &alpha,
        Payload::CancelRaffle {
            raffle: 1,
            reason: "입고 지연".into(),
        },
    )]);
    catalog.apply_blocks(&[cancel]).unwrap();
    let docs = all_docs(&catalog);
    assert!(!docs[2].has_open_raffle, "{docs:?}");
    // The prize is free again, unlisted (creating the raffle took it off sale).
    assert_eq!(docs[2].available, 1);
    let item: truffle_ledger::types::Item = read(&chain.store, "item", &keys::item(a2_item))
        .unwrap()
        .unwrap();
    assert_eq!(item.lock, truffle_ledger::types::ItemLock::Free);
    let popular: Vec<u64> = catalog
        .popular(10)
        .unwrap()
        .hits
        .iter()
        .map(|h| h.product_id)
        .collect();
    assert_eq!(popular, vec![2, 3, 1]);
    assert_eq!(of(&catalog, &alpha), vec![3, 1]);
}
