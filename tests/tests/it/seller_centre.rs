//! The seller centre's reads against a real node (issue 24): products found by seller in
//! the search index, raffles listed by seller with their entrant counts, the popular
//! read model (`product_popular`), resale listing from the CLI (`truffle item
//! list-for-sale`), and a raffle cancelled before its close (`truffle raffle cancel`)
//! with the reason its entrant reads.

use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use truffle_ledger::types::{EntryWindow, RaffleSpec, RaffleStatus};
use truffle_ledger::{Effect, Hash, Keypair, Payload, PublicKey};
use truffle_testnet::truffle_binary;
use truffle_wire::api::{CatalogApiClient, ProductApiClient, RaffleApiClient};
use truffle_wire::market::{EntryOutcome, PageRequest, RafflePhase};
use truffle_wire::search::{Filters, SearchQuery, SortOrder};

use crate::payments::{start_node, Market, Sms};

fn page() -> Option<PageRequest> {
    Some(PageRequest {
        page: Some(1),
        page_size: Some(100),
    })
}

async fn products_of(market: &Market, seller: PublicKey) -> anyhow::Result<Vec<u64>> {
    let query = SearchQuery {
        filters: Filters {
            seller: Some(seller),
            ..Filters::default()
        },
        sort: SortOrder::Newest,
        page_size: 100,
        ..SearchQuery::default()
    };
    let results = CatalogApiClient::search(&market.rpc, query).await?;
    for hit in &results.hits {
        assert_eq!(hit.product.seller, Some(seller), "{hit:?}");
    }
    Ok(results.hits.iter().map(|h| h.product_id).collect())
}

async fn product_of(market: &Market, item: u64) -> anyhow::Result<u64> {
    Ok(ProductApiClient::get_item(&market.rpc, item)
        .await?
        .product
        .id)
}

fn cli(market: &Market, args: &[&str]) -> anyhow::Result<Output> {
    Ok(Command::new(truffle_binary()?)
        .args(args)
        .args(["--rpc", &market.url])
        .output()?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seller_centre_reads_popular_resale_and_cancel_over_rpc_and_cli() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sms = Sms::default();
    let args = sms.start(dir.path()).await?;
    let node = start_node(dir.path(), &args, "node.log")?;
    truffle_tests::wait_for_leader_at(&node.rpc_url).await?;
    let mut market = Market::new(&node.rpc_url, sms, 8300).await?;
    let (alpha, beta) = (market.seller().await?, market.seller().await?);
    let buyer = Keypair::generate();
    market.register(&[&buyer], 1990).await?;

    eprintln!("--- products found by seller in the index");
    let alpha_three = market.product(&alpha, 3, 120_000, true).await?;
    let alpha_one = market.product(&alpha, 1, 90_000, false).await?;
    let beta_two = market.product(&beta, 2, 150_000, true).await?;
    let (p_three, p_one, p_two) = (
        product_of(&market, alpha_three[0]).await?,
        product_of(&market, alpha_one[0]).await?,
        product_of(&market, beta_two[0]).await?,
    );
    assert_eq!(
        products_of(&market, alpha.public()).await?,
        vec![p_one, p_three]
    );
    assert_eq!(products_of(&market, beta.public()).await?, vec![p_two]);
    assert!(products_of(&market, buyer.public()).await?.is_empty());

    eprintln!("--- popular: pieces sold first, from the node's read model");
    for item in &beta_two {
        market
            .apply(
                &beta,
                Payload::TransferItem {
                    item: *item,
                    to: buyer.public(),
                },
            )
            .await?;
    }
    market
        .apply(
            &alpha,
            Payload::TransferItem {
                item: alpha_three[0],
                to: buyer.public(),
            },
        )
        .await?;
    let popular = CatalogApiClient::popular(&market.rpc, Some(100)).await?;
    let order: Vec<u64> = popular.hits.iter().map(|h| h.product_id).collect();
    let rank = |p: u64| order.iter().position(|id| *id == p).expect("ranked");
    assert!(
        rank(p_two) < rank(p_three) && rank(p_three) < rank(p_one),
        "{order:?}"
    );
    assert_eq!(popular.hits[rank(p_two)].product.sold, 2);
    let limited = CatalogApiClient::popular(&market.rpc, Some(2)).await?;
    assert_eq!(limited.hits.len(), 2);
    let refused = CatalogApiClient::popular(&market.rpc, Some(1000)).await;
    assert!(refused.is_err(), "a limit past 100 is refused: {refused:?}");

    eprintln!("--- resale from the CLI: the buyer lists a piece it owns, then unlists it");
    let key_path = dir.path().join("buyer.json");
    truffle_wire::keyfile::write_key_file(&key_path, &buyer)?;
    let key = key_path.to_str().context("utf-8")?;
    let piece = beta_two[0].to_string();
    let listed = cli(
        &market,
        &[
            "item",
            "list-for-sale",
            &piece,
            "--price",
            "210000",
            "--key",
            key,
        ],
    )?;
    assert!(listed.status.success(), "{listed:?}");
    let view = ProductApiClient::get_item(&market.rpc, beta_two[0]).await?;
    assert_eq!(view.item.listing_price, Some(210_000));
    let too_dear = cli(
        &market,
        &[
            "item",
            "list-for-sale",
            &piece,
            "--price",
            "10000000001",
            "--key",
            key,
        ],
    )?;
    assert!(
        !too_dear.status.success() && String::from_utf8_lossy(&too_dear.stderr).contains("price"),
        "refused before signing: {too_dear:?}"
    );
    let not_mine = cli(
        &market,
        &[
            "item",
            "list-for-sale",
            &alpha_one[0].to_string(),
            "--price",
            "1000",
            "--key",
            key,
        ],
    )?;
    assert!(
        !not_mine.status.success(),
        "only the owner lists: {not_mine:?}"
    );
    let unlisted = cli(&market, &["item", "unlist", &piece, "--key", key])?;
    assert!(unlisted.status.success(), "{unlisted:?}");
    assert_eq!(
        ProductApiClient::get_item(&market.rpc, beta_two[0])
            .await?
            .item
            .listing_price,
        None
    );

    eprintln!("--- raffles listed by seller with their entrants; cancelled before the close");
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as u64;
    let spec = RaffleSpec {
        items: vec![alpha_three[1]],
        window: EntryWindow::Times {
            opens_ms: now - 60_000,
            closes_ms: now + 600_000,
        },
        price: 120_000,
        runners_up: 0,
        min_age: None,
        seed_commitment: truffle_ledger::tx::raffle_commitment(&Hash::of(b"alpha's secret")),
        reveal_blocks: 100,
        payment_window_ms: 3_600_000,
    };
    let raffle = match market.apply(&alpha, Payload::CreateRaffle(spec)).await? {
        Effect::RaffleCreated { raffle } => raffle,
        other => anyhow::bail!("unexpected {other:?}"),
    };
    let entrant = market.signup("entrant").await?;
    market
        .apply(&entrant.key, Payload::EnterRaffle { raffle })
        .await?;
    let mine = RaffleApiClient::list(&market.rpc, None, page(), Some(alpha.public())).await?;
    assert_eq!(mine.items.len(), 1);
    assert_eq!(
        (mine.items[0].raffle.id, mine.items[0].raffle.entry_count),
        (raffle, 1)
    );
    assert!(
        RaffleApiClient::list(&market.rpc, None, page(), Some(beta.public()))
            .await?
            .items
            .is_empty()
    );

    let rejection = market
        .refuse(
            &beta,
            Payload::CancelRaffle {
                raffle,
                reason: "not mine".into(),
            },
        )
        .await?;
    assert!(
        rejection.to_string().contains("the raffle's seller"),
        "{rejection}"
    );
    let alpha_path = dir.path().join("alpha.json");
    truffle_wire::keyfile::write_key_file(&alpha_path, &alpha)?;
    let alpha_key = alpha_path.to_str().context("utf-8")?;
    let id = raffle.to_string();
    let empty = cli(
        &market,
        &["raffle", "cancel", &id, "--reason", "", "--key", alpha_key],
    )?;
    assert!(
        !empty.status.success() && String::from_utf8_lossy(&empty.stderr).contains("reason"),
        "an empty reason is refused before signing: {empty:?}"
    );
    let reason = "입고 지연으로 취소합니다";
    let cancelled = cli(
        &market,
        &[
            "raffle", "cancel", &id, "--reason", reason, "--key", alpha_key,
        ],
    )?;
    assert!(cancelled.status.success(), "{cancelled:?}");
    let view = RaffleApiClient::get(&market.rpc, raffle).await?;
    assert_eq!(view.raffle.status, RaffleStatus::Cancelled);
    assert_eq!(view.phase, RafflePhase::Cancelled);
    assert_eq!(
        view.cancellation.as_ref().map(|c| c.reason.as_str()),
        Some(reason)
    );
    let entries = RaffleApiClient::my_entries(&market.rpc, entrant.session.clone(), page()).await?;
    assert_eq!(entries.items[0].outcome, EntryOutcome::RaffleCancelled);
    let cancelled_list = RaffleApiClient::list(
        &market.rpc,
        Some(RaffleStatus::Cancelled),
        page(),
        Some(alpha.public()),
    )
    .await?;
    assert_eq!(cancelled_list.items.len(), 1);
    let prize = ProductApiClient::get_item(&market.rpc, alpha_three[1]).await?;
    assert!(
        matches!(prize.item.lock, truffle_ledger::types::ItemLock::Free),
        "the prize is back: {:?}",
        prize.item.lock
    );
    let again = cli(
        &market,
        &[
            "raffle", "cancel", &id, "--reason", "again", "--key", alpha_key,
        ],
    )?;
    assert!(
        !again.status.success()
            && String::from_utf8_lossy(&again.stderr).contains("already cancelled"),
        "{again:?}"
    );
    Ok(())
}
