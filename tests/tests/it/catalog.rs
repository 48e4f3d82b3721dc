//! The catalog over real RPC: seller and registration rules, transfers and histories,
//! search (Korean, English, mixed; filters; paging), the index across restarts and
//! deletion, and the banner click route (no open redirect).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use jsonrpsee::core::ClientError;
use jsonrpsee_http_client::HttpClient;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use truffle_clock::now_ms;
use truffle_genesis::dev_keys;
use truffle_ledger::types::{Acquisition, AdSpec, Gender, ProductSpec, Role, SellerStatus};
use truffle_ledger::{Hash, Keypair, Payload, PublicKey};
use truffle_tests::{chain_id, client, start_dev, wait_included, Wallet};
use truffle_wire::ads::{AdViewer, AdminQuery};
use truffle_wire::api::{
    AdApiClient, CatalogApiClient, CatalogReceipt, SellerApiClient, TxApiClient, AD_STATS_METHOD,
};
use truffle_wire::catalog::SellerState;
use truffle_wire::chain::TxStatus;
use truffle_wire::search::{Filters, ProductDoc, SearchQuery, SearchResults, SortOrder};

const WAIT: Duration = Duration::from_secs(30);

/// The JSON-RPC error code of a failed call.
fn code(error: &ClientError) -> i32 {
    match error {
        ClientError::Call(object) => object.code(),
        other => panic!("expected a call error, got {other}"),
    }
}

/// The `data` of a failed call.
fn data(error: &ClientError) -> serde_json::Value {
    match error {
        ClientError::Call(object) => object
            .data()
            .map(|raw| serde_json::from_str(raw.get()).expect("data is JSON"))
            .unwrap_or(serde_json::Value::Null),
        other => panic!("expected a call error, got {other}"),
    }
}

/// Signs `payload` with `key` at the node's view of its next nonce.
async fn sign(
    rpc: &HttpClient,
    chain: Hash,
    key: &Keypair,
    payload: Payload,
) -> anyhow::Result<String> {
    let mut wallet = Wallet::new(rpc, key.clone()).await?;
    Ok(wallet.sign(chain, payload))
}

/// Submits a transaction and waits until it applied.
async fn apply(
    rpc: &HttpClient,
    chain: Hash,
    key: &Keypair,
    payload: Payload,
) -> anyhow::Result<u64> {
    let hash = rpc.submit(sign(rpc, chain, key, payload).await?).await?;
    match wait_included(rpc, hash, WAIT).await? {
        TxStatus::Committed { height, .. } => Ok(height),
        other => bail!("transaction {hash} did not apply: {other:?}"),
    }
}

async fn register_members(
    rpc: &HttpClient,
    chain: Hash,
    members: &[&Keypair],
) -> anyhow::Result<()> {
    let mut registrar = Wallet::new(rpc, dev_keys::validator(0)).await?;
    let mut hashes = Vec::new();
    for member in members {
        let tx = registrar.sign(
            chain,
            Payload::RegisterAccount {
                account: member.public(),
                role: Role::Member,
                adult: true,
            },
        );
        hashes.push(rpc.submit(tx).await?);
    }
    for hash in hashes {
        let status = wait_included(rpc, hash, WAIT).await?;
        anyhow::ensure!(matches!(status, TxStatus::Committed { .. }), "{status:?}");
    }
    Ok(())
}

/// Registers `seller` (already a member) as an approved seller.
async fn approve_seller(
    rpc: &HttpClient,
    chain: Hash,
    seller: &Keypair,
    shop: &str,
) -> anyhow::Result<()> {
    apply(
        rpc,
        chain,
        seller,
        Payload::ApplySeller {
            shop_name: shop.into(),
        },
    )
    .await?;
    apply(
        rpc,
        chain,
        &dev_keys::admin(),
        Payload::ApproveSeller {
            account: seller.public(),
        },
    )
    .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn product(
    brand: &str,
    model: &str,
    name_ko: &str,
    name_en: &str,
    category: &str,
    price: u64,
    serials: &[&str],
) -> ProductSpec {
    ProductSpec {
        brand: brand.into(),
        model: model.into(),
        name_ko: name_ko.into(),
        name_en: name_en.into(),
        category: category.into(),
        release_date: 20_240_301,
        price,
        description: format!("{name_ko} 한정판 정품. {name_en}, limited edition."),
        image_hashes: vec![Hash::of(model.as_bytes())],
        serials: serials.iter().map(|s| (*s).to_owned()).collect(),
        list_for_sale: true,
    }
}

async fn register(
    rpc: &HttpClient,
    chain: Hash,
    seller: &Keypair,
    spec: ProductSpec,
) -> Result<CatalogReceipt, ClientError> {
    let tx = sign(rpc, chain, seller, Payload::RegisterProduct(spec))
        .await
        .expect("the node answers");
    rpc.register(tx, None).await
}

async fn transfer(
    rpc: &HttpClient,
    chain: Hash,
    owner: &Keypair,
    item: u64,
    to: PublicKey,
) -> Result<CatalogReceipt, ClientError> {
    let tx = sign(rpc, chain, owner, Payload::TransferItem { item, to })
        .await
        .expect("the node answers");
    rpc.transfer(tx, None).await
}

fn committed_height(receipt: &CatalogReceipt) -> u64 {
    match receipt.status {
        TxStatus::Committed { height, .. } => height,
        ref other => panic!("not committed: {other:?}"),
    }
}

/// Searches until the index reflects at least `height` (it follows blocks a moment
/// after they apply, and answers 4003 while it is being rebuilt).
async fn search_at(
    rpc: &HttpClient,
    query: &SearchQuery,
    height: u64,
) -> anyhow::Result<SearchResults> {
    let deadline = Instant::now() + WAIT;
    loop {
        match rpc.search(query.clone()).await {
            Ok(results) if results.indexed_height >= Some(height) => return Ok(results),
            Ok(_) => {}
            Err(error) if code(&error) == 4003 => {}
            Err(error) => return Err(error).context("product_search"),
        }
        if Instant::now() > deadline {
            bail!("the index did not reach height {height} within {WAIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn ids(results: &SearchResults) -> Vec<u64> {
    results.hits.iter().map(|h| h.product_id).collect()
}

fn id_set(results: &SearchResults) -> BTreeSet<u64> {
    results.hits.iter().map(|h| h.product_id).collect()
}

/// Seller standing and registration rules, transfers and complete histories, all over
/// JSON-RPC against `truffle dev`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_and_transfer_rules_over_rpc() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut node = start_dev(&dir.path().join("dev"))?;
    let rpc = client(&node.rpc_url)?;
    let chain = chain_id(&rpc).await?;
    let seller = Keypair::from_name("catalog-seller");
    let revoked = Keypair::from_name("catalog-revoked");
    let stranger = Keypair::from_name("catalog-stranger");
    let buyer = Keypair::from_name("catalog-buyer");
    let collector = Keypair::from_name("catalog-collector");
    register_members(
        &rpc,
        chain,
        &[&seller, &revoked, &stranger, &buyer, &collector],
    )
    .await?;
    let dunk = || {
        product(
            "Nike",
            "DD1391-100",
            "나이키 덩크 로우 범고래",
            "Nike Dunk Low Panda",
            "sneakers",
            129_000,
            &["PANDA-001", "PANDA-002", "PANDA-003"],
        )
    };

    // A member that never applied, and one whose application is pending, are refused.
    let error = register(&rpc, chain, &stranger, dunk()).await.unwrap_err();
    assert_eq!(code(&error), 1014, "not an approved seller: {error}");
    assert_eq!(data(&error)["code"], "seller_not_approved");
    apply(
        &rpc,
        chain,
        &seller,
        Payload::ApplySeller {
            shop_name: "스니커즈 라운지".into(),
        },
    )
    .await?;
    let standing = SellerApiClient::get(&rpc, seller.public()).await?;
    assert_eq!(
        standing.seller,
        SellerStatus::Applied {
            shop_name: "스니커즈 라운지".into()
        }
    );
    assert!(!standing.may_register);
    // (Another transaction than the later, approved one: a refused transaction keeps
    // its hash, and resubmitting the same bytes answers with its old receipt.)
    let mut early = dunk();
    early.description = "before approval".into();
    let error = register(&rpc, chain, &seller, early).await.unwrap_err();
    assert_eq!(code(&error), 1014, "application pending: {error}");
    let applied = SellerApiClient::list(&rpc, Some(SellerState::Applied), None, None).await?;
    assert_eq!(applied.len(), 1);
    assert_eq!(applied[0].account, seller.public());

    // Approved: the registration returns the product and its pieces.
    apply(
        &rpc,
        chain,
        &dev_keys::admin(),
        Payload::ApproveSeller {
            account: seller.public(),
        },
    )
    .await?;
    assert!(
        SellerApiClient::get(&rpc, seller.public())
            .await?
            .may_register
    );
    let registered = register(&rpc, chain, &seller, dunk()).await?;
    let product_id = registered.product.expect("a product id");
    assert_eq!(registered.items.len(), 3);
    let registered_at = committed_height(&registered);

    // A registration transaction sent to the transfer method (and the reverse) is
    // refused before it reaches the pool.
    let tx = sign(&rpc, chain, &seller, Payload::RegisterProduct(dunk())).await?;
    let error = rpc.transfer(tx, None).await.unwrap_err();
    assert_eq!(code(&error), 4001);
    assert_eq!(data(&error)["got"], "register_product");
    let tx = sign(
        &rpc,
        chain,
        &seller,
        Payload::TransferItem {
            item: registered.items[0],
            to: buyer.public(),
        },
    )
    .await?;
    assert_eq!(code(&rpc.register(tx, None).await.unwrap_err()), 4001);

    // The same serial again (spelled differently: normalization), with the same brand
    // and model, is refused with the clashing item's id.
    let mut clash = dunk();
    clash.serials = vec!["NEW-1".into(), "panda 002".into()];
    let error = register(&rpc, chain, &seller, clash).await.unwrap_err();
    assert_eq!(code(&error), 1017, "duplicate serial: {error}");
    assert_eq!(data(&error)["item"], registered.items[1]);
    assert_eq!(data(&error)["serial"], "panda 002");

    // A revoked seller is refused.
    approve_seller(&rpc, chain, &revoked, "폐업한 가게").await?;
    register(
        &rpc,
        chain,
        &revoked,
        product(
            "Adidas",
            "B75806",
            "아디다스 삼바",
            "adidas Samba",
            "sneakers",
            139_000,
            &["S-1"],
        ),
    )
    .await?;
    apply(
        &rpc,
        chain,
        &dev_keys::admin(),
        Payload::RevokeSeller {
            account: revoked.public(),
        },
    )
    .await?;
    let error = register(
        &rpc,
        chain,
        &revoked,
        product(
            "Adidas",
            "B75807",
            "아디다스 삼바 2",
            "adidas Samba 2",
            "sneakers",
            139_000,
            &["S-2"],
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(code(&error), 1014, "revoked seller: {error}");
    let standing = SellerApiClient::get(&rpc, revoked.public()).await?;
    assert!(matches!(standing.seller, SellerStatus::Revoked { .. }));
    assert!(!standing.may_register);
    let revoked_list = SellerApiClient::list(&rpc, Some(SellerState::Revoked), None, None).await?;
    assert_eq!(
        revoked_list.iter().map(|s| s.account).collect::<Vec<_>>(),
        vec![revoked.public()]
    );
    assert_eq!(
        SellerApiClient::list(&rpc, None, None, None).await?.len(),
        2
    );

    // Transfers: only the owner may move a piece.
    let item = registered.items[0];
    let error = transfer(&rpc, chain, &buyer, item, stranger.public())
        .await
        .unwrap_err();
    assert_eq!(code(&error), 1018, "not the owner: {error}");
    assert_eq!(data(&error)["owner"], seller.public().to_hex());
    let mut moves = Vec::new();
    for (from, to) in [
        (&seller, &buyer),
        (&buyer, &collector),
        (&collector, &seller),
        (&seller, &buyer),
    ] {
        let receipt = transfer(&rpc, chain, from, item, to.public()).await?;
        assert_eq!(receipt.items, vec![item]);
        assert_eq!(receipt.product, Some(product_id));
        moves.push((to.public(), committed_height(&receipt), receipt.hash));
    }
    // The previous owner cannot move it any more.
    let error = transfer(&rpc, chain, &collector, item, seller.public())
        .await
        .unwrap_err();
    assert_eq!(code(&error), 1018);

    // The history names every owner, with the block and transaction of each change.
    let history = rpc.history(item).await?;
    assert_eq!(history.product, product_id);
    assert_eq!(history.serial, "PANDA-001");
    assert_eq!(history.owner, buyer.public());
    assert_eq!(history.owners.len(), 1 + moves.len());
    assert_eq!(history.owners[0].owner, seller.public());
    assert_eq!(history.owners[0].acquisition, Acquisition::Registered);
    assert_eq!(history.owners[0].tx.height, registered_at);
    assert_eq!(history.owners[0].tx.tx_hash, registered.hash);
    for (entry, (owner, height, hash)) in history.owners[1..].iter().zip(&moves) {
        assert_eq!(entry.owner, *owner);
        assert_eq!(entry.acquisition, Acquisition::Transferred);
        assert_eq!(entry.tx.height, *height);
        assert_eq!(entry.tx.tx_hash, *hash);
    }
    for (sequence, entry) in history.owners.iter().enumerate() {
        assert_eq!(entry.sequence as usize, sequence);
        let tx = TxApiClient::get(&rpc, entry.tx.tx_hash).await?;
        assert_eq!(
            tx.hash, entry.tx.tx_hash,
            "the hash names a transaction on the ledger"
        );
    }
    // The untouched pieces have the registration only.
    assert_eq!(rpc.history(registered.items[2]).await?.owners.len(), 1);
    assert_eq!(code(&rpc.history(9_999).await.unwrap_err()), 2002);
    assert_eq!(
        code(
            &SellerApiClient::get(&rpc, Keypair::from_name("nobody").public())
                .await
                .unwrap_err()
        ),
        2002
    );
    node.terminate(Duration::from_secs(10));
    Ok(())
}

/// The search catalog of the search tests: (spec, seller index).
fn catalogue() -> Vec<ProductSpec> {
    vec![
        product(
            "Nike",
            "DD1391-100",
            "나이키 덩크 로우 레트로 범고래",
            "Nike Dunk Low Retro Panda",
            "sneakers",
            129_000,
            &["A1", "A2"],
        ),
        product(
            "Nike",
            "CU1726-101",
            "나이키 덩크 로우 SP 켄터키",
            "Nike Dunk Low SP Kentucky",
            "sneakers",
            139_000,
            &["B1"],
        ),
        product(
            "Jordan",
            "DZ5485-612",
            "에어 조던 1 레트로 하이 OG 시카고",
            "Air Jordan 1 Retro High OG Chicago",
            "sneakers",
            209_000,
            &["C1", "C2", "C3"],
        ),
        product(
            "Adidas",
            "B75806",
            "아디다스 삼바 OG 화이트 블랙",
            "adidas Samba OG Cloud White",
            "sneakers",
            149_000,
            &["D1"],
        ),
        product(
            "New Balance",
            "M990GL6",
            "뉴발란스 990v6 그레이",
            "New Balance 990v6 Grey",
            "sneakers",
            279_000,
            &["E1"],
        ),
        product(
            "Supreme",
            "SUP-FW23-BOGO",
            "슈프림 박스로고 후드 헤더 그레이",
            "Supreme Box Logo Hooded Sweatshirt Heather Grey",
            "streetwear",
            329_000,
            &["F1"],
        ),
        product(
            "Nike",
            "CU9225-001",
            "나이키 x 슈프림 에어포스 1 로우 블랙",
            "Nike x Supreme Air Force 1 Low Black",
            "sneakers",
            169_000,
            &["G1"],
        ),
        product(
            "Rolex",
            "126610LN",
            "롤렉스 서브마리너 데이트 블랙",
            "Rolex Submariner Date Black",
            "watches",
            14_000_000,
            &["H1"],
        ),
    ]
}

/// Registers the catalogue; returns the product ids (in catalogue order), the
/// registration receipts and the last height.
async fn load_catalogue(
    rpc: &HttpClient,
    chain: Hash,
) -> anyhow::Result<(Vec<u64>, Vec<CatalogReceipt>, u64)> {
    let seller = Keypair::from_name("search-seller");
    register_members(rpc, chain, &[&seller]).await?;
    approve_seller(rpc, chain, &seller, "한정판 마켓").await?;
    let mut ids = Vec::new();
    let mut receipts = Vec::new();
    let mut height = 0;
    for spec in catalogue() {
        let receipt = register(rpc, chain, &seller, spec).await?;
        ids.push(receipt.product.expect("a product"));
        height = committed_height(&receipt);
        receipts.push(receipt);
    }
    Ok((ids, receipts, height))
}

fn filtered(filters: Filters) -> SearchQuery {
    SearchQuery {
        filters,
        page_size: 50,
        ..SearchQuery::default()
    }
}

/// The queries compared across restarts: text, filters, sort orders.
fn probe_queries() -> Vec<SearchQuery> {
    let mut queries: Vec<SearchQuery> = [
        "나이키 덩크",
        "dunk low",
        "조던 chicago",
        "슈프림",
        "grey",
        "롤렉스",
        "",
    ]
    .into_iter()
    .map(SearchQuery::text)
    .collect();
    queries.push(filtered(Filters {
        brand: Some("Nike".into()),
        max_price: Some(150_000),
        ..Filters::default()
    }));
    queries.push(SearchQuery {
        sort: SortOrder::PriceAsc,
        page_size: 50,
        ..SearchQuery::default()
    });
    queries
}

/// Korean, English and mixed queries, filters, sort and paging over `product_search`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_over_rpc() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut node = start_dev(&dir.path().join("dev"))?;
    let rpc = client(&node.rpc_url)?;
    let chain = chain_id(&rpc).await?;
    let (id, receipts, height) = load_catalogue(&rpc, chain).await?;
    let [panda, kentucky, chicago, samba, nb990, hoodie, af1, rolex] = id[..] else {
        unreachable!()
    };

    // Korean.
    let results = search_at(&rpc, &SearchQuery::text("나이키 덩크"), height).await?;
    assert_eq!(results.total, 2, "{:?}", ids(&results));
    assert_eq!(id_set(&results), BTreeSet::from([panda, kentucky]));
    assert!(!results.relaxed);
    let hit = &results.hits[0];
    assert!(
        hit.highlight.name_ko.contains("<mark>"),
        "{:?}",
        hit.highlight
    );
    let receipt = &receipts[id.iter().position(|p| *p == hit.product_id).unwrap()];
    assert_eq!(hit.ledger_ref.height, committed_height(receipt));
    assert_eq!(hit.ledger_ref.tx_hash, receipt.hash.to_hex());
    assert_eq!(hit.product.shop_name, "한정판 마켓");
    assert_eq!(
        hit.product.available, hit.product.edition_size,
        "listed for sale"
    );
    // Partial Korean words.
    assert_eq!(
        ids(&search_at(&rpc, &SearchQuery::text("서브마리"), height).await?),
        vec![rolex]
    );

    // English, and a Korean brand name matching its English spelling.
    let results = search_at(&rpc, &SearchQuery::text("dunk low"), height).await?;
    assert_eq!(id_set(&results), BTreeSet::from([panda, kentucky]));
    let results = search_at(&rpc, &SearchQuery::text("panda"), height).await?;
    assert_eq!(ids(&results), vec![panda]);
    assert!(results.hits[0].highlight.name_en.contains("<mark>"));

    // Mixed.
    let results = search_at(&rpc, &SearchQuery::text("조던 chicago"), height).await?;
    assert_eq!(ids(&results)[0], chicago);
    assert_eq!(results.total, 1);
    let results = search_at(&rpc, &SearchQuery::text("nike 슈프림"), height).await?;
    assert_eq!(ids(&results), vec![af1]);
    let results = search_at(&rpc, &SearchQuery::text("슈프림"), height).await?;
    assert_eq!(id_set(&results), BTreeSet::from([hoodie, af1]));

    // Filters.
    let only = |filters| filtered(filters);
    let nike = search_at(
        &rpc,
        &only(Filters {
            brand: Some("Nike".into()),
            ..Filters::default()
        }),
        height,
    )
    .await?;
    assert_eq!(id_set(&nike), BTreeSet::from([panda, kentucky, af1]));
    let nike_ko = search_at(
        &rpc,
        &only(Filters {
            brand: Some("나이키".into()),
            ..Filters::default()
        }),
        height,
    )
    .await?;
    assert_eq!(id_set(&nike_ko), id_set(&nike), "a Korean brand filter");
    let cheap_nike = search_at(
        &rpc,
        &only(Filters {
            brand: Some("Nike".into()),
            max_price: Some(150_000),
            ..Filters::default()
        }),
        height,
    )
    .await?;
    assert_eq!(id_set(&cheap_nike), BTreeSet::from([panda, kentucky]));
    let streetwear = search_at(
        &rpc,
        &only(Filters {
            category: Some("streetwear".into()),
            ..Filters::default()
        }),
        height,
    )
    .await?;
    assert_eq!(ids(&streetwear), vec![hoodie]);
    let expensive = search_at(
        &rpc,
        &only(Filters {
            min_price: Some(1_000_000),
            ..Filters::default()
        }),
        height,
    )
    .await?;
    assert_eq!(ids(&expensive), vec![rolex]);
    let mut query = SearchQuery::text("로우");
    query.filters.min_price = Some(135_000);
    let results = search_at(&rpc, &query, height).await?;
    assert_eq!(
        id_set(&results),
        BTreeSet::from([kentucky, af1]),
        "text and price together"
    );

    // Sort and paging: three pages of three cover everything once, cheapest first.
    let mut seen = Vec::new();
    for page in 1..=3 {
        let query = SearchQuery {
            sort: SortOrder::PriceAsc,
            page,
            page_size: 3,
            ..SearchQuery::default()
        };
        let results = search_at(&rpc, &query, height).await?;
        assert_eq!(results.total, 8);
        assert_eq!(results.page, page);
        assert_eq!(results.hits.len(), if page == 3 { 2 } else { 3 });
        seen.extend(results.hits.iter().map(|h| (h.product.price, h.product_id)));
    }
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "cheapest first across pages");
    assert_eq!(
        seen.iter()
            .map(|(_, id)| *id)
            .collect::<BTreeSet<_>>()
            .len(),
        8
    );
    assert_eq!(seen[0].1, panda);
    assert_eq!(seen[7].1, rolex);
    let newest = search_at(
        &rpc,
        &SearchQuery {
            sort: SortOrder::Newest,
            page_size: 2,
            ..SearchQuery::default()
        },
        height,
    )
    .await?;
    assert_eq!(ids(&newest), vec![rolex, af1]);
    let _ = (samba, nb990);

    // Out-of-bounds queries.
    let error = rpc
        .search(SearchQuery {
            page: 0,
            ..SearchQuery::default()
        })
        .await
        .unwrap_err();
    assert_eq!(code(&error), 4002);
    let error = rpc
        .search(SearchQuery::text("가".repeat(201)))
        .await
        .unwrap_err();
    assert_eq!(code(&error), 4002);

    // A sale moves the availability counters in the index.
    let results = search_at(&rpc, &SearchQuery::text("켄터키"), height).await?;
    assert_eq!(results.hits[0].product.available, 1);
    let buyer = Keypair::from_name("search-buyer");
    register_members(&rpc, chain, &[&buyer]).await?;
    let item = receipts[1].items[0];
    let moved = transfer(
        &rpc,
        chain,
        &Keypair::from_name("search-seller"),
        item,
        buyer.public(),
    )
    .await?;
    let results = search_at(&rpc, &SearchQuery::text("켄터키"), committed_height(&moved)).await?;
    assert_eq!(
        (
            results.hits[0].product.available,
            results.hits[0].product.sold
        ),
        (0, 1)
    );
    node.terminate(Duration::from_secs(10));
    Ok(())
}

/// What a probe query returns, for comparison across restarts: the total and the hits'
/// documents (in order for sorted queries; as a set for relevance, whose scores depend
/// on the index's segment statistics).
fn fingerprint(query: &SearchQuery, results: &SearchResults) -> (u64, Vec<ProductDoc>) {
    let mut docs: Vec<ProductDoc> = results.hits.iter().map(|h| h.product.clone()).collect();
    if query.sort == SortOrder::Relevance && !query.text.is_empty() {
        docs.sort_by_key(|d| d.product_id);
    }
    (results.total, docs)
}

/// The index survives a SIGKILL and restart, and is rebuilt from the ledger when its
/// folder is deleted: the same queries give the same results each time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_index_survives_restart_and_is_rebuilt_after_deletion() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("dev");
    let mut node = start_dev(&data)?;
    let rpc = client(&node.rpc_url)?;
    let chain = chain_id(&rpc).await?;
    let (_, receipts, height) = load_catalogue(&rpc, chain).await?;
    // Something after the registrations too: a transfer changes a document.
    let buyer = Keypair::from_name("restart-buyer");
    register_members(&rpc, chain, &[&buyer]).await?;
    let moved = transfer(
        &rpc,
        chain,
        &Keypair::from_name("search-seller"),
        receipts[2].items[1],
        buyer.public(),
    )
    .await?;
    let height = height.max(committed_height(&moved));
    let mut expected = Vec::new();
    for query in probe_queries() {
        let results = search_at(&rpc, &query, height).await?;
        expected.push(fingerprint(&query, &results));
    }
    assert_eq!(expected[6].0, 8, "browsing shows every product");

    // SIGKILL and restart: the index on disk is used (or caught up), not lost.
    node.kill();
    node.restart(truffle_tests::START_TIMEOUT)?;
    let rpc = client(&node.rpc_url)?;
    for (query, before) in probe_queries().iter().zip(&expected) {
        let results = search_at(&rpc, query, height).await?;
        assert_eq!(
            &fingerprint(query, &results),
            before,
            "after restart: {query:?}"
        );
    }

    // Delete the index folder while the node is down: it is rebuilt from the ledger.
    node.kill();
    let index_dir = data.join("index");
    assert!(index_dir.is_dir(), "the index lives in <data>/index");
    std::fs::remove_dir_all(&index_dir)?;
    node.restart(truffle_tests::START_TIMEOUT)?;
    let rpc = client(&node.rpc_url)?;
    for (query, before) in probe_queries().iter().zip(&expected) {
        let results = search_at(&rpc, query, height).await?;
        assert_eq!(
            &fingerprint(query, &results),
            before,
            "after rebuild: {query:?}"
        );
    }
    assert!(index_dir.is_dir(), "rebuilt in place");
    let log = std::fs::read_to_string(node.log_path())?;
    assert!(
        log.contains("search index rebuilt from the ledger"),
        "the log tells of the rebuild"
    );

    // And it goes on following blocks after the rebuild.
    let moved = transfer(
        &rpc,
        chain,
        &buyer,
        receipts[2].items[1],
        Keypair::from_name("search-seller").public(),
    )
    .await?;
    let results = search_at(&rpc, &SearchQuery::text("시카고"), committed_height(&moved)).await?;
    assert_eq!(results.hits[0].product.sold, 0);
    node.terminate(Duration::from_secs(10));
    Ok(())
}

/// A raw HTTP/1.1 GET (no redirect following, the request target sent verbatim).
/// Returns the status and headers (lower-case names).
async fn http_get(
    address: &str,
    target: &str,
    headers: &[(&str, &str)],
) -> anyhow::Result<(u16, Vec<(String, String)>)> {
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    let mut request = format!("GET {target} HTTP/1.1\r\nConnection: close\r\n");
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        request.push_str(&format!("Host: {address}\r\n"));
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response)).await??;
    let text = String::from_utf8_lossy(&response);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut lines = head.lines();
    let status_line = lines.next().context("empty response")?;
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .context("no status")?
        .parse()?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Ok((status, headers))
}

fn location(headers: &[(String, String)]) -> Option<&str> {
    headers
        .iter()
        .find(|(name, _)| name == "location")
        .map(|(_, value)| value.as_str())
}

fn ad(title: &str, landing_url: &str, starts_at_ms: u64, ends_at_ms: u64) -> AdSpec {
    AdSpec {
        title: title.into(),
        image_url: "https://cdn.example/banner.png".into(),
        landing_url: landing_url.into(),
        placement: "main".into(),
        starts_at_ms,
        ends_at_ms,
        target_gender: None,
        target_min_age: None,
        target_max_age: None,
    }
}

/// `GET /ads/{id}/click` redirects to the ledger's landing URL and nowhere else;
/// unknown, inactive, expired and future campaigns are 404; clicks are counted once
/// per viewer and window; `ad_list` never shows landing URLs; `ad_stats` is admin-only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ad_clicks_redirect_only_to_the_ledger_url() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut node = start_dev(&dir.path().join("dev"))?;
    let rpc = client(&node.rpc_url)?;
    let chain = chain_id(&rpc).await?;
    let address = node
        .rpc_url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let admin = dev_keys::admin();
    let now = now_ms();
    let hour = 3_600_000;
    let landing = "https://shop.example/spring-drop?utm_source=truffle&id=7";
    let mut created = Vec::new();
    let campaigns = vec![
        ad("봄 한정판", landing, now - hour, now + hour),
        ad(
            "switched off",
            "https://off.example/",
            now - hour,
            now + hour,
        ),
        ad(
            "ended",
            "https://ended.example/",
            now - 2 * hour,
            now - hour,
        ),
        ad(
            "not yet",
            "https://later.example/",
            now + hour,
            now + 2 * hour,
        ),
        AdSpec {
            target_gender: Some(Gender::Female),
            target_min_age: Some(20),
            ..ad(
                "for women",
                "https://women.example/",
                now - hour,
                now + hour,
            )
        },
    ];
    for spec in campaigns {
        let hash = rpc
            .submit(sign(&rpc, chain, &admin, Payload::CreateAd(spec)).await?)
            .await?;
        match wait_included(&rpc, hash, WAIT).await? {
            TxStatus::Committed {
                effect: truffle_ledger::Effect::AdCreated { ad },
                ..
            } => created.push(ad),
            other => bail!("ad not created: {other:?}"),
        }
    }
    let [live, off, ended, later, women] = created[..] else {
        unreachable!()
    };
    apply(
        &rpc,
        chain,
        &admin,
        Payload::SetAdActive {
            ad: off,
            active: false,
        },
    )
    .await?;

    // Listing: live and targeted campaigns only, click paths only.
    let banners = AdApiClient::list(&rpc, "main".into(), None).await?;
    assert_eq!(banners.iter().map(|b| b.id).collect::<Vec<_>>(), vec![live]);
    assert_eq!(banners[0].click_url, format!("/ads/{live}/click"));
    let json = serde_json::to_string(&banners)?;
    assert!(
        !json.contains("shop.example"),
        "no landing URL in listings: {json}"
    );
    let viewer = AdViewer {
        gender: Some(Gender::Female),
        birth_year: Some(1995),
    };
    let banners = AdApiClient::list(&rpc, "main".into(), Some(viewer)).await?;
    assert_eq!(
        banners.iter().map(|b| b.id).collect::<BTreeSet<_>>(),
        BTreeSet::from([live, women])
    );
    let teen = AdViewer {
        gender: Some(Gender::Female),
        birth_year: Some(2015),
    };
    assert_eq!(
        AdApiClient::list(&rpc, "main".into(), Some(teen))
            .await?
            .len(),
        1,
        "too young for the targeted one"
    );
    assert!(
        AdApiClient::list(&rpc, "search".into(), None)
            .await?
            .is_empty(),
        "another page"
    );

    // The redirect: exactly the ledger's URL, whatever the request says.
    let ua = [("User-Agent", "viewer-one")];
    let (status, headers) = http_get(&address, &format!("/ads/{live}/click"), &ua).await?;
    assert_eq!(status, 302);
    assert_eq!(location(&headers), Some(landing));
    for target in [
        format!("/ads/{live}/click?url=https://evil.example"),
        format!("/ads/{live}/click?redirect=//evil.example&next=%2F%2Fevil.example"),
        format!("http://evil.example/ads/{live}/click"),
    ] {
        let (status, headers) = http_get(
            &address,
            &target,
            &[
                ("User-Agent", "viewer-one"),
                ("Referer", "https://evil.example/"),
                ("X-Forwarded-Host", "evil.example"),
            ],
        )
        .await?;
        assert_eq!(status, 302, "{target}");
        assert_eq!(location(&headers), Some(landing), "{target}");
    }
    let (status, headers) = http_get(
        &address,
        &format!("/ads/{live}/click"),
        &[("Host", "evil.example"), ("User-Agent", "viewer-one")],
    )
    .await?;
    assert_eq!(
        (status, location(&headers)),
        (302, Some(landing)),
        "Host header ignored"
    );
    for target in [
        "//evil.example".to_owned(),
        "//evil.example/".to_owned(),
        format!("//evil.example/ads/{live}/click"),
        format!("/ads/{live}/click//evil.example"),
        format!("/ads/{live}/click/https://evil.example"),
        format!("/ads/{live}%2F%2Fevil.example/click"),
        format!("/ads/+{live}/click"),
        "/ads/9999/click".to_owned(),
        "/ads/abc/click".to_owned(),
        format!("/ads/{off}/click"),
        format!("/ads/{ended}/click"),
        format!("/ads/{later}/click"),
    ] {
        let (status, headers) = http_get(&address, &target, &ua).await?;
        assert!(
            status == 404 || status == 400,
            "{target} answered {status} {headers:?}"
        );
        assert_eq!(location(&headers), None, "{target} redirects nowhere");
    }

    // Counting: one viewer's repeated clicks count once in the window; another user
    // agent is another viewer.
    for _ in 0..3 {
        http_get(
            &address,
            &format!("/ads/{live}/click"),
            &[("User-Agent", "viewer-two")],
        )
        .await?;
    }
    let query = AdminQuery::sign(&admin, &chain, AD_STATS_METHOD, now_ms());
    let stats = rpc.stats(query).await?;
    let counts = |ad: u64| {
        let c = stats.campaigns.iter().find(|c| c.ad == ad).expect("listed");
        (c.impressions, c.clicks)
    };
    // Impressions: the live one was listed three times (anonymous, woman, teen; not
    // on "search"), the targeted one once.
    assert_eq!(counts(live), (3, 2), "{stats:?}");
    assert_eq!(counts(women), (1, 0));
    assert_eq!(counts(off), (0, 0));
    assert_eq!(stats.campaigns.len(), 5);
    assert!(stats.nodes.iter().all(|n| n.answered));
    let entry = stats.campaigns.iter().find(|c| c.ad == live).unwrap();
    assert!(entry.live && entry.landing_url == landing);

    // Only an admin, with a fresh signature, for this method and chain.
    let member = Keypair::from_name("ads-member");
    register_members(&rpc, chain, &[&member]).await?;
    let error = rpc
        .stats(AdminQuery::sign(&member, &chain, AD_STATS_METHOD, now_ms()))
        .await
        .unwrap_err();
    assert_eq!(code(&error), 4004, "a member: {error}");
    let error = rpc
        .stats(AdminQuery::sign(
            &admin,
            &chain,
            AD_STATS_METHOD,
            now_ms() - 120_000,
        ))
        .await
        .unwrap_err();
    assert_eq!(code(&error), 4005, "stale: {error}");
    let error = rpc
        .stats(AdminQuery::sign(&admin, &chain, "ad_list", now_ms()))
        .await
        .unwrap_err();
    assert_eq!(code(&error), 4004, "signed for another method: {error}");
    let mut forged = AdminQuery::sign(&member, &chain, AD_STATS_METHOD, now_ms());
    forged.admin = admin.public();
    assert_eq!(
        code(&rpc.stats(forged).await.unwrap_err()),
        4004,
        "another key's signature"
    );

    // Counters survive a restart (node-local column family).
    node.kill();
    node.restart(truffle_tests::START_TIMEOUT)?;
    let rpc = client(&node.rpc_url)?;
    let stats = rpc
        .stats(AdminQuery::sign(&admin, &chain, AD_STATS_METHOD, now_ms()))
        .await?;
    let c = stats.campaigns.iter().find(|c| c.ad == live).unwrap();
    assert_eq!((c.impressions, c.clicks), (3, 2));
    node.terminate(Duration::from_secs(10));
    Ok(())
}

/// Three validators: every node's index follows the blocks; a node that was down while
/// the log moved on catches up by snapshot and its rebuilt index finds what was
/// registered meanwhile; `ad_stats` sums the counts of every validator that answers
/// and names the ones that do not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_search_and_ad_stats() -> anyhow::Result<()> {
    use truffle_testnet::TestnetOptions;
    let options = TestnetOptions {
        snapshot_every_entries: Some(50),
        ..TestnetOptions::default()
    };
    let mut cluster = truffle_tests::Cluster::start(options).await?;
    let chain = cluster.chain_id();
    let admin = cluster.net.admin.clone();
    let rpc0 = cluster.client(0);
    let rpc1 = cluster.client(1);
    let addresses: Vec<String> = (0..3)
        .map(|index| {
            cluster
                .net
                .rpc_url(index)
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .to_owned()
        })
        .collect();

    // A seller and a live campaign, before node 2 goes down.
    let seller = Keypair::from_name("cluster-seller");
    let mut registrar = Wallet::new(&rpc0, cluster.net.key(0).clone()).await?;
    let hash = rpc0
        .submit(registrar.sign(
            chain,
            Payload::RegisterAccount {
                account: seller.public(),
                role: Role::Member,
                adult: false,
            },
        ))
        .await?;
    wait_included(&rpc0, hash, WAIT).await?;
    apply(
        &rpc0,
        chain,
        &seller,
        Payload::ApplySeller {
            shop_name: "클러스터 샵".into(),
        },
    )
    .await?;
    apply(
        &rpc0,
        chain,
        &admin,
        Payload::ApproveSeller {
            account: seller.public(),
        },
    )
    .await?;
    let now = now_ms();
    apply(
        &rpc0,
        chain,
        &admin,
        Payload::CreateAd(ad(
            "cluster",
            "https://shop.example/cluster",
            now - 60_000,
            now + 3_600_000,
        )),
    )
    .await?;
    cluster.wait_converged(&[0, 1, 2], WAIT).await?;
    cluster.net.kill(2)?;
    cluster
        .net
        .wait_for_leader(&[0, 1], Duration::from_secs(20))
        .await?;

    // Products registered through a follower (or the leader); searchable on both.
    let mut height = 0;
    for spec in catalogue().into_iter().take(4) {
        let receipt = register(&rpc1, chain, &seller, spec).await?;
        height = committed_height(&receipt);
    }
    for rpc in [&rpc0, &rpc1] {
        let results = search_at(rpc, &SearchQuery::text("나이키 덩크"), height).await?;
        assert_eq!(results.total, 2);
    }

    // Enough blocks for the live nodes to snapshot and purge their logs.
    let mut last = Hash::ZERO;
    for n in 0..400 {
        let tx = registrar.sign(
            chain,
            Payload::RegisterAccount {
                account: Keypair::from_name(&format!("cluster-filler-{n}")).public(),
                role: Role::Member,
                adult: false,
            },
        );
        last = rpc0.submit(tx).await?;
        if n % 2 == 1 {
            wait_included(&rpc0, last, WAIT).await?;
        }
    }
    wait_included(&rpc0, last, WAIT).await?;
    let deadline = Instant::now() + WAIT;
    while cluster.net.health(0).await?.purged_index.is_none() {
        anyhow::ensure!(Instant::now() < deadline, "node 0 never purged its log");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Banners shown and clicked on the two live nodes.
    for index in [0, 1] {
        let rpc = cluster.client(index);
        let banners = AdApiClient::list(&rpc, "main".into(), None).await?;
        assert_eq!(banners.len(), 1);
        let (status, headers) = http_get(
            &addresses[index],
            &banners[0].click_url,
            &[("User-Agent", "cluster-viewer")],
        )
        .await?;
        assert_eq!(
            (status, location(&headers)),
            (302, Some("https://shop.example/cluster"))
        );
    }
    let stats = rpc0
        .stats(AdminQuery::sign(&admin, &chain, AD_STATS_METHOD, now_ms()))
        .await?;
    assert_eq!(
        (stats.campaigns[0].impressions, stats.campaigns[0].clicks),
        (2, 2),
        "{stats:?}"
    );
    let down = cluster.net.key(2).public();
    let share = stats
        .nodes
        .iter()
        .find(|n| n.node == down)
        .expect("node 2 was asked");
    assert!(!share.answered, "node 2 is down: {stats:?}");
    assert_eq!(stats.nodes.iter().filter(|n| n.answered).count(), 2);

    // Node 2 comes back by snapshot; its index is rebuilt and finds the products.
    cluster.net.start(2)?;
    let head = cluster
        .wait_converged(&[0, 1, 2], Duration::from_secs(90))
        .await?;
    let health = cluster.net.health(2).await?;
    assert!(
        health.snapshots_installed >= 1,
        "caught up by snapshot: {health:?}"
    );
    let rpc2 = cluster.client(2);
    let results = search_at(&rpc2, &SearchQuery::text("나이키 덩크"), head).await?;
    assert_eq!(results.total, 2);
    assert_eq!(results.hits[0].product.shop_name, "클러스터 샵");
    let everything = search_at(&rpc2, &SearchQuery::default(), head).await?;
    assert_eq!(everything.total, 4);

    // Its counts join the sums once it answers.
    AdApiClient::list(&rpc2, "main".into(), None).await?;
    let stats = rpc1
        .stats(AdminQuery::sign(&admin, &chain, AD_STATS_METHOD, now_ms()))
        .await?;
    assert_eq!(stats.campaigns[0].impressions, 3, "{stats:?}");
    assert!(stats.nodes.iter().all(|n| n.answered), "{stats:?}");
    Ok(())
}
