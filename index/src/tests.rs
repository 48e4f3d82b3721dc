//! Behaviour of the search index: matching, ranking, filters, paging, sorting,
//! persistence, and search quality on the fixture catalog.

use std::collections::HashSet;

use truffle_ledger::crypto::PublicKey;
use truffle_ledger::hash::Hash;
use truffle_ledger::types::{
    EntryWindow, Item, ItemLock, Product, Raffle, RaffleSpec, RaffleStatus, TxRef,
};

use crate::fixtures::{self, QUALITY_QUERIES};
use crate::{
    Availability, IndexError, ProductDoc, SearchIndex, SearchQuery, SearchResults, SortOrder,
    MAX_QUERY_CHARS, META_FILE,
};

fn doc(id: u64, brand: &str, name_ko: &str, name_en: &str) -> ProductDoc {
    ProductDoc {
        product_id: id,
        brand: brand.into(),
        model: format!("M-{id}"),
        name_ko: name_ko.into(),
        name_en: name_en.into(),
        category: "sneakers".into(),
        description: String::new(),
        price: 100_000 + id,
        release_date: 20240101,
        shop_name: "테스트샵".into(),
        registered_height: id,
        registered_tx: format!("{id:064x}"),
        edition_size: 10,
        available: 1,
        sold: 0,
        has_open_raffle: false,
        image: None,
        seller: None,
    }
}

fn index_of(docs: Vec<ProductDoc>) -> SearchIndex {
    let mut index = SearchIndex::in_memory().unwrap();
    index.upsert(docs).unwrap();
    index.commit(1).unwrap();
    index
}

fn fixture_index() -> (SearchIndex, Vec<ProductDoc>) {
    let docs = fixtures::products();
    (index_of(docs.clone()), docs)
}

fn ids(results: &SearchResults) -> Vec<u64> {
    results.hits.iter().map(|h| h.product_id).collect()
}

fn search(index: &SearchIndex, text: &str) -> SearchResults {
    index.search(&SearchQuery::text(text)).unwrap()
}

fn browse_all(index: &SearchIndex, mut query: SearchQuery) -> Vec<ProductDoc> {
    query.page_size = 100;
    query.page = 1;
    let mut out = Vec::new();
    loop {
        let r = index.search(&query).unwrap();
        let n = r.hits.len();
        out.extend(r.hits.into_iter().map(|h| h.product));
        if n < query.page_size as usize {
            return out;
        }
        query.page += 1;
    }
}

#[test]
fn partial_words_in_korean_and_english() {
    let index = index_of(vec![
        doc(1, "Nike", "나이키 덩크 로우 범고래", "Nike Dunk Low Panda"),
        doc(2, "Nike", "나이키 덩크로우 유니버시티 블루", ""),
        doc(3, "Adidas", "아디다스 삼바", "adidas Samba OG"),
        doc(4, "Jordan", "에어 조던 1 하이", "Air Jordan 1 High"),
        doc(5, "Jordan", "에어 조던 11 콩코드", "Air Jordan 11 Concord"),
    ]);
    assert_eq!(ids(&search(&index, "범고래")), [1]);
    assert_eq!(ids(&search(&index, "범고")), [1]);
    // "덩크" is part of "덩크로우"; the whole word "덩크" ranks first.
    assert_eq!(ids(&search(&index, "덩크")), [1, 2]);
    let mut both = ids(&search(&index, "덩크로우"));
    both.sort();
    assert_eq!(both, [1, 2]);
    assert_eq!(ids(&search(&index, "dun")), [1]);
    assert_eq!(ids(&search(&index, "SAMB")), [3]);
    // Letter/digit boundaries: "조던1" is "조던 1", and 11 is not 1.
    assert_eq!(ids(&search(&index, "조던1")), [4]);
    assert_eq!(ids(&search(&index, "jordan1")), [4]);
    assert_eq!(ids(&search(&index, "jordan11")), [5]);
    assert!(search(&index, "quux").hits.is_empty());
}

#[test]
fn korean_and_english_spellings_meet() {
    let index = index_of(vec![
        doc(1, "Nike", "", "Nike Dunk Low Panda"),
        doc(2, "Nike", "나이키 덩크 로우 범고래", ""),
        doc(3, "New Balance", "", "New Balance 2002R Rain Cloud"),
        doc(4, "뉴발란스", "뉴발란스 990", ""),
        doc(5, "Nike", "", "Nike Air Force 1 Low"),
        doc(6, "Adidas", "아디다스 이지 부스트 350", ""),
    ]);
    let mut both = ids(&search(&index, "나이키 덩크"));
    both.sort();
    assert_eq!(both, [1, 2]);
    let mut both = ids(&search(&index, "dunk low panda"));
    both.sort();
    assert_eq!(both, [1, 2]);
    assert_eq!(ids(&search(&index, "dunk low 범고래")).len(), 2);
    let mut nb = ids(&search(&index, "new balance"));
    nb.sort();
    assert_eq!(nb, [3, 4]);
    let mut nb = ids(&search(&index, "뉴발란스"));
    nb.sort();
    assert_eq!(nb, [3, 4]);
    assert_eq!(ids(&search(&index, "에어포스 1")), [5]);
    assert_eq!(ids(&search(&index, "에어 포스")), [5]);
    assert_eq!(ids(&search(&index, "yeezy 350")), [6]);
    // Words run together.
    let mut run = ids(&search(&index, "나이키덩크범고래"));
    run.sort();
    assert_eq!(run, [1, 2]);
}

#[test]
fn whole_words_and_phrases_outrank_partial_matches() {
    let index = index_of(vec![
        doc(1, "Brand", "", "Dunkirk Low Edition"),
        doc(2, "Brand", "", "Dunk Low Edition"),
        doc(3, "Brand", "", "Low Dunk Edition"),
    ]);
    let r = search(&index, "dunk low");
    assert_eq!(ids(&r), [2, 3, 1]);
    assert!(r.hits[0].score > r.hits[1].score && r.hits[1].score > r.hits[2].score);
}

#[test]
fn highlights_are_escaped_and_marked() {
    let mut d = doc(
        1,
        "Nike",
        "나이키 덩크 로우 범고래",
        "Nike <Dunk> Low & 'Panda'",
    );
    d.description =
        "흑백 배색의 덩크 로우. 2021년 발매 이후 가장 인기 있는 <b>범고래</b> 컬러웨이.".into();
    let index = index_of(vec![d]);
    let hit = &search(&index, "범고래 dunk").hits[0];
    // "덩크" and "Panda" are the other spellings of "dunk" and "범고래".
    assert_eq!(
        hit.highlight.name_ko,
        "나이키 <mark>덩크</mark> 로우 <mark>범고래</mark>"
    );
    assert_eq!(
        hit.highlight.name_en,
        "Nike &lt;<mark>Dunk</mark>&gt; Low &amp; &#x27;<mark>Panda</mark>&#x27;"
    );
    assert!(
        hit.highlight
            .snippet
            .contains("&lt;b&gt;<mark>범고래</mark>&lt;/b&gt;"),
        "{}",
        hit.highlight.snippet
    );
    // A synonym is highlighted too.
    let hit = &search(&index, "panda").hits[0];
    assert!(hit.highlight.name_ko.contains("<mark>범고래</mark>"));
    // Browsing highlights nothing but still escapes.
    let r = index.search(&SearchQuery::default()).unwrap();
    assert_eq!(
        r.hits[0].highlight.name_en,
        "Nike &lt;Dunk&gt; Low &amp; &#x27;Panda&#x27;"
    );
    assert!(!r.hits[0].highlight.snippet.contains("<mark>"));
}

#[test]
fn hits_carry_the_ledger_reference() {
    let (index, docs) = fixture_index();
    let r = search(&index, "DD1391-100");
    let hit = &r.hits[0];
    let expected = docs.iter().find(|d| d.model == "DD1391-100").unwrap();
    assert_eq!(&hit.product, expected);
    assert_eq!(hit.ledger_ref.height, expected.registered_height);
    assert_eq!(hit.ledger_ref.tx_hash, expected.registered_tx);
    assert_eq!(r.indexed_height, Some(1));
    // The results serialize for JSON-RPC.
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(
        json["hits"][0]["ledger_ref"]["height"],
        expected.registered_height
    );
}

#[test]
fn filters_match_exactly() {
    let (index, docs) = fixture_index();
    let check = |name: &str, query: SearchQuery, keep: &dyn Fn(&ProductDoc) -> bool| {
        let expected: HashSet<u64> = docs
            .iter()
            .filter(|d| keep(d))
            .map(|d| d.product_id)
            .collect();
        assert!(!expected.is_empty(), "{name}: empty expectation");
        let r = index.search(&query).unwrap();
        assert_eq!(r.total, expected.len() as u64, "{name}: total");
        let got: HashSet<u64> = browse_all(&index, query)
            .iter()
            .map(|d| d.product_id)
            .collect();
        assert_eq!(got, expected, "{name}");
    };
    let with = |f: &dyn Fn(&mut SearchQuery)| {
        let mut q = SearchQuery::default();
        f(&mut q);
        q
    };
    check("all", SearchQuery::default(), &|_| true);
    check(
        "brand",
        with(&|q| q.filters.brand = Some("nike".into())),
        &|d| d.brand == "Nike",
    );
    check(
        "brand in Korean",
        with(&|q| q.filters.brand = Some("나이키".into())),
        &|d| d.brand == "Nike",
    );
    check(
        "brand of two words",
        with(&|q| q.filters.brand = Some("NEW  balance".into())),
        &|d| d.brand == "New Balance",
    );
    check(
        "category",
        with(&|q| q.filters.category = Some("Watches".into())),
        &|d| d.category == "watches",
    );
    check(
        "price range, inclusive",
        with(&|q| {
            q.filters.min_price = Some(139_000);
            q.filters.max_price = Some(209_000);
        }),
        &|d| (139_000..=209_000).contains(&d.price),
    );
    check(
        "min price",
        with(&|q| q.filters.min_price = Some(10_000_000)),
        &|d| d.price >= 10_000_000,
    );
    check(
        "open raffle",
        with(&|q| q.filters.has_open_raffle = Some(true)),
        &|d| d.has_open_raffle,
    );
    check(
        "no open raffle",
        with(&|q| q.filters.has_open_raffle = Some(false)),
        &|d| !d.has_open_raffle,
    );
    check(
        "available",
        with(&|q| q.filters.availability = Availability::Available),
        &|d| d.available > 0,
    );
    check(
        "sold out",
        with(&|q| q.filters.availability = Availability::SoldOut),
        &|d| d.available == 0,
    );
    check(
        "text and filters",
        with(&|q| {
            q.text = "덩크".into();
            q.filters.availability = Availability::Available;
            q.filters.max_price = Some(150_000);
        }),
        &|d| {
            (d.name_ko.contains("덩크") || d.name_en.contains("Dunk"))
                && d.available > 0
                && d.price <= 150_000
        },
    );
    let r = index
        .search(&with(&|q| q.filters.brand = Some("no such brand".into())))
        .unwrap();
    assert_eq!((r.total, r.hits.len()), (0, 0));
}

#[test]
fn pages_are_exact_and_disjoint() {
    let (index, docs) = fixture_index();
    for (text, sort) in [
        ("", SortOrder::Newest),
        ("나이키", SortOrder::Relevance),
        ("sneakers", SortOrder::PriceAsc),
        ("블랙", SortOrder::PriceDesc),
    ] {
        let mut q = SearchQuery::text(text);
        q.sort = sort;
        q.page_size = 7;
        let total = index.search(&q).unwrap().total;
        assert!(total > 14, "{text:?}: {total}");
        let mut seen = Vec::new();
        let pages = total.div_ceil(7);
        for page in 1..=pages + 1 {
            q.page = page as u32;
            let r = index.search(&q).unwrap();
            assert_eq!(r.total, total, "{text:?} page {page}");
            assert_eq!(r.page, page as u32);
            let expected_len = if page < pages {
                7
            } else if page == pages {
                total - 7 * (pages - 1)
            } else {
                0
            };
            assert_eq!(r.hits.len() as u64, expected_len, "{text:?} page {page}");
            seen.extend(ids(&r));
        }
        let unique: HashSet<u64> = seen.iter().copied().collect();
        assert_eq!(unique.len(), seen.len(), "{text:?}: a product on two pages");
        assert_eq!(seen.len() as u64, total);
        // One big page has the same order.
        q.page = 1;
        q.page_size = 100;
        if total <= 100 {
            assert_eq!(ids(&index.search(&q).unwrap()), seen, "{text:?}");
        }
    }
    assert_eq!(
        index.search(&SearchQuery::default()).unwrap().total,
        docs.len() as u64
    );
}

#[test]
fn sort_orders() {
    let (index, _) = fixture_index();
    let run = |text: &str, sort: SortOrder| {
        let mut q = SearchQuery::text(text);
        q.sort = sort;
        browse_all(&index, q)
    };
    for text in ["", "나이키", "jordan"] {
        let asc = run(text, SortOrder::PriceAsc);
        assert!(asc.windows(2).all(|w| w[0].price <= w[1].price), "{text:?}");
        let desc = run(text, SortOrder::PriceDesc);
        assert!(
            desc.windows(2).all(|w| w[0].price >= w[1].price),
            "{text:?}"
        );
        let newest = run(text, SortOrder::Newest);
        assert!(
            newest
                .windows(2)
                .all(|w| (w[0].registered_height, w[0].product_id)
                    > (w[1].registered_height, w[1].product_id)),
            "{text:?}"
        );
        assert_eq!(asc.len(), newest.len());
    }
    // Browsing by relevance is newest first.
    let browse = run("", SortOrder::Relevance);
    assert_eq!(browse, run("", SortOrder::Newest));
    // Relevance: scores never increase.
    let r = index
        .search(&SearchQuery {
            page_size: 100,
            ..SearchQuery::text("에어 조던 1 레트로")
        })
        .unwrap();
    assert!(r.hits.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(r.hits[0].score > 0.0);
}

#[test]
fn upsert_replaces_and_commit_publishes() {
    let mut index = SearchIndex::in_memory().unwrap();
    assert_eq!(index.indexed_height(), None);
    index.upsert([doc(1, "Nike", "나이키 덩크", "")]).unwrap();
    // Not visible before the commit.
    assert_eq!(search(&index, "덩크").total, 0);
    index.commit(5).unwrap();
    assert_eq!(search(&index, "덩크").total, 1);
    assert_eq!(index.indexed_height(), Some(5));
    let mut sold_out = doc(1, "Nike", "나이키 덩크 범고래", "");
    sold_out.available = 0;
    index.upsert([sold_out.clone()]).unwrap();
    index.commit(6).unwrap();
    let r = search(&index, "덩크");
    assert_eq!(r.total, 1);
    assert_eq!(r.hits[0].product, sold_out);
    assert_eq!(index.num_docs(), 1);
    // The same id twice in one batch: the last one wins.
    index
        .upsert([doc(2, "A", "첫번째", ""), doc(2, "A", "두번째", "")])
        .unwrap();
    index.commit(7).unwrap();
    assert_eq!(search(&index, "첫번째").total, 0);
    assert_eq!(search(&index, "두번째").total, 1);
    index.remove(2);
    index.commit(8).unwrap();
    assert_eq!(index.num_docs(), 1);
    index.clear().unwrap();
    assert_eq!(index.num_docs(), 0);
    assert_eq!(index.indexed_height(), None);
}

#[test]
fn persists_docs_and_height_atomically() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("search");
    {
        let mut index = SearchIndex::open(&dir).unwrap();
        assert_eq!(index.indexed_height(), None);
        assert!(!index.was_reset());
        index.upsert(fixtures::products()).unwrap();
        index.commit(42).unwrap();
        // Upserted but never committed: lost with the process, height stays 42.
        index.upsert([doc(9_999, "X", "커밋안된상품", "")]).unwrap();
    }
    {
        let index = SearchIndex::open(&dir).unwrap();
        assert_eq!(index.indexed_height(), Some(42));
        assert_eq!(index.num_docs(), fixtures::products().len() as u64);
        assert_eq!(search(&index, "범고래").hits[0].product.model, "DD1391-100");
        assert_eq!(search(&index, "커밋안된상품").total, 0);
        assert!(dir.join(META_FILE).exists());
    }
    // Deleting the directory gives an empty index that must be rebuilt.
    std::fs::remove_dir_all(&dir).unwrap();
    {
        let mut index = SearchIndex::open(&dir).unwrap();
        assert_eq!(index.indexed_height(), None);
        assert_eq!(index.num_docs(), 0);
        index.upsert([doc(1, "Nike", "나이키", "")]).unwrap();
        index.commit(3).unwrap();
    }
    // Another schema version: emptied and reported.
    std::fs::write(dir.join(META_FILE), "schema_version=0\n").unwrap();
    {
        let index = SearchIndex::open(&dir).unwrap();
        assert!(index.was_reset());
        assert_eq!(index.indexed_height(), None);
        assert_eq!(index.num_docs(), 0);
    }
    // clear() persists too.
    {
        let mut index = SearchIndex::open(&dir).unwrap();
        assert!(!index.was_reset());
        index.upsert([doc(1, "Nike", "나이키", "")]).unwrap();
        index.commit(4).unwrap();
        index.clear().unwrap();
    }
    let index = SearchIndex::open(&dir).unwrap();
    assert_eq!((index.indexed_height(), index.num_docs()), (None, 0));
}

#[test]
fn refuses_a_foreign_directory() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
    assert!(matches!(
        SearchIndex::open(tmp.path()),
        Err(IndexError::ForeignDirectory(_))
    ));
    assert!(tmp.path().join("notes.txt").exists());
}

#[test]
fn rejects_bad_queries() {
    let index = SearchIndex::in_memory().unwrap();
    let err = index
        .search(&SearchQuery::text("가".repeat(MAX_QUERY_CHARS + 1)))
        .unwrap_err();
    assert!(matches!(err, IndexError::QueryTooLong { .. }));
    assert!(err.to_string().contains("at most 200"), "{err}");
    let q = SearchQuery {
        page: 0,
        ..SearchQuery::default()
    };
    assert!(matches!(index.search(&q), Err(IndexError::InvalidQuery(_))));
    // Punctuation only reads as browsing; an empty index has nothing.
    let r = search(&index, " ?! ");
    assert_eq!((r.total, r.relaxed, r.indexed_height), (0, false, None));
}

#[test]
fn relaxes_when_nothing_matches_every_word() {
    let (index, _) = fixture_index();
    let r = search(&index, "나이키 덩크 없는단어");
    assert!(r.relaxed);
    assert!(r.total > 0);
    assert!(!search(&index, "나이키 덩크").relaxed);
    // Nothing to relax to: not reported as relaxed.
    let r = search(&index, "없는단어 또없는단어");
    assert_eq!((r.total, r.relaxed), (0, false));
}

#[test]
fn from_ledger_records() {
    let seller = PublicKey([1; 32]);
    let buyer = PublicKey([2; 32]);
    let tx = TxRef {
        height: 12,
        index: 3,
        tx_hash: Hash([0xab; 32]),
    };
    let product = Product {
        id: 7,
        seller,
        brand: "Nike".into(),
        model: "DD1391-100".into(),
        name_ko: "나이키 덩크 로우 범고래".into(),
        name_en: "Nike Dunk Low Panda".into(),
        category: "sneakers".into(),
        release_date: 20210310,
        price: 129_000,
        description: "설명".into(),
        image_hashes: vec![],
        edition_size: 4,
        first_item: 100,
        registered: tx,
    };
    let item = |id: u64, owner: PublicKey, lock: ItemLock, listing: Option<u64>| Item {
        id,
        product: if id < 104 { 7 } else { 8 },
        edition: (id - 99) as u32,
        edition_size: 4,
        serial: format!("S{id}"),
        owner,
        owner_since: tx,
        history_len: 1,
        lock,
        listing_price: listing,
    };
    let items = [
        item(100, seller, ItemLock::Free, Some(129_000)),
        item(101, seller, ItemLock::Raffle(1), None),
        item(102, buyer, ItemLock::Free, Some(150_000)),
        item(103, buyer, ItemLock::Order(4), Some(150_000)),
        item(104, seller, ItemLock::Free, Some(1)), // another product
    ];
    let raffle = |status: RaffleStatus, prize: u64| Raffle {
        id: 1,
        seller,
        spec: RaffleSpec {
            items: vec![prize],
            window: EntryWindow::Heights {
                opens: 1,
                closes: 100,
            },
            price: 129_000,
            runners_up: 0,
            min_age: None,
            seed_commitment: Hash::ZERO,
            reveal_blocks: 10,
            payment_window_ms: 1_000,
        },
        created: tx,
        status,
        entry_count: 0,
        closing_block: None,
        revealed_secret: None,
        seller_missed_reveal: false,
        result: None,
        runners_up_used: 0,
        randomness: None,
    };
    let d = ProductDoc::from_ledger(
        &product,
        "스니커랩",
        &items,
        &[
            raffle(RaffleStatus::Open, 101),
            raffle(RaffleStatus::Drawn, 100),
        ],
    );
    assert_eq!(d.product_id, 7);
    assert_eq!(d.available, 2);
    assert_eq!(d.sold, 2);
    assert!(d.has_open_raffle);
    assert_eq!(d.registered_height, 12);
    assert_eq!(d.registered_tx, "ab".repeat(32));
    assert_eq!(d.shop_name, "스니커랩");
    let d = ProductDoc::from_ledger(&product, "", &items, &[raffle(RaffleStatus::Open, 104)]);
    assert!(!d.has_open_raffle);
}

#[test]
fn search_quality_top5() {
    let (index, docs) = fixture_index();
    assert!(docs.len() >= 300, "{} fixture products", docs.len());
    let models: HashSet<&str> = docs.iter().map(|d| d.model.as_str()).collect();
    assert_eq!(models.len(), docs.len(), "model codes are unique");
    assert!(QUALITY_QUERIES.len() >= 40);
    for required in ["나이키 덩크", "dunk low 범고래", "조던1"] {
        assert!(QUALITY_QUERIES.iter().any(|c| c.query == required));
    }
    let mut hits = 0;
    let mut report = Vec::new();
    for case in QUALITY_QUERIES {
        assert!(
            models.contains(case.expected),
            "unknown model {}",
            case.expected
        );
        let r = index
            .search(&SearchQuery {
                page_size: 5,
                ..SearchQuery::text(case.query)
            })
            .unwrap();
        let top: Vec<&str> = r.hits.iter().map(|h| h.product.model.as_str()).collect();
        match top.iter().position(|m| *m == case.expected) {
            Some(rank) => {
                hits += 1;
                report.push(format!("  ok   #{} {:?}", rank + 1, case.query));
            }
            None => {
                let names: Vec<String> = r
                    .hits
                    .iter()
                    .map(|h| format!("{} ({})", h.product.name_ko, h.product.model))
                    .collect();
                report.push(format!(
                    "  MISS {:?}: expected {}, got {} of {}: {:?}",
                    case.query,
                    case.expected,
                    top.len(),
                    r.total,
                    names
                ));
            }
        }
    }
    let total = QUALITY_QUERIES.len();
    println!("search quality: {hits}/{total} queries have the expected product in the top 5");
    for line in &report {
        println!("{line}");
    }
    assert!(
        hits * 10 >= total * 9,
        "only {hits}/{total} in the top 5:\n{}",
        report.join("\n")
    );
}

#[test]
fn index_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<SearchIndex>();
    shareable::<SearchResults>();
}

#[test]
fn facets_are_the_brands_and_categories_of_live_products() {
    let mut whisky = doc(3, "Macallan", "맥캘란 18년", "Macallan 18");
    whisky.category = "Whisky".into();
    let mut index = index_of(vec![
        doc(1, "Nike", "나이키 덩크", "Nike Dunk"),
        doc(2, "New Balance", "뉴발란스 990", "New Balance 990"),
        whisky,
    ]);
    let facets = index.facets().unwrap();
    let brands: Vec<(&str, u64)> = facets
        .brands
        .iter()
        .map(|f| (f.key.as_str(), f.products))
        .collect();
    assert_eq!(
        brands,
        vec![("macallan", 1), ("new balance", 1), ("nike", 1)]
    );
    let nike = facets.brands.iter().find(|f| f.key == "nike").unwrap();
    assert!(nike.spellings.contains(&"나이키".to_string()), "{nike:?}");
    let nb = facets
        .brands
        .iter()
        .find(|f| f.key == "new balance")
        .unwrap();
    assert!(nb.spellings.contains(&"뉴발란스".to_string()), "{nb:?}");
    let categories: Vec<&str> = facets.categories.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(categories, vec!["sneakers", "whisky"]);
    let sneakers = &facets.categories[0];
    assert_eq!(sneakers.products, 2);
    assert!(sneakers.spellings.contains(&"스니커즈".to_string()));
    // A product registered again under another brand leaves no trace of the old one.
    index
        .upsert(vec![doc(1, "Adidas", "아디다스 삼바", "adidas Samba")])
        .unwrap();
    index.commit(2).unwrap();
    let brands: Vec<String> = index
        .facets()
        .unwrap()
        .brands
        .into_iter()
        .map(|f| f.key)
        .collect();
    assert_eq!(brands, vec!["adidas", "macallan", "new balance"]);
}

mod seller;
