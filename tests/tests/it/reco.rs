//! Recommendations over real RPC (flow 7): on a seeded marketplace, women in their
//! twenties buy Chanel and men in their forties buy Rolex; a new member of each cohort
//! gets their cohort's brand first, with the cohort as the reason; a buyer gets what
//! others bought with their purchase, never what they own; `reco_similar` and the
//! admin-signed `reco_forUser`; bad pages and unknown products are JSON-RPC errors.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use truffle_clock::now_ms;
use truffle_genesis::dev_keys;
use truffle_ledger::types::{Gender, ProductSpec};
use truffle_ledger::{Effect, Keypair, Payload};
use truffle_wire::ads::AdminQuery;
use truffle_wire::api::{ChainApiClient, RecoApiClient, RECO_FOR_USER_METHOD};
use truffle_wire::reco::{ReasonKind, RecoPage};

use crate::payments::{code, start_node, Market, Member, Sms};

/// Registers a product of four listed pieces; returns (product id, item ids).
async fn product(
    market: &Market,
    seller: &Keypair,
    brand: &str,
    model: &str,
    name_ko: &str,
    category: &str,
    price: u64,
) -> anyhow::Result<(u64, Vec<u64>)> {
    let spec = ProductSpec {
        brand: brand.into(),
        model: model.into(),
        name_ko: name_ko.into(),
        name_en: format!("{brand} {model}"),
        category: category.into(),
        release_date: 20_250_101,
        price,
        description: "한정판".into(),
        image_hashes: vec![],
        serials: (1..=4).map(|k| format!("{model}-{k:04}")).collect(),
        list_for_sale: true,
    };
    match market.apply(seller, Payload::RegisterProduct(spec)).await? {
        Effect::ProductRegistered {
            product,
            first_item,
            item_count,
        } => Ok((
            product,
            (0..u64::from(item_count)).map(|k| first_item + k).collect(),
        )),
        other => bail!("unexpected effect {other:?}"),
    }
}

/// `buyer` orders `item` and the node's operator settles it (as the payment webhook would).
async fn buy(market: &Market, buyer: &Member, item: u64, price: u64) -> anyhow::Result<()> {
    let order = market.order(&buyer.key, item).await?;
    market
        .apply(
            &market.registrar,
            Payload::SettlePayment {
                order,
                provider: "sandbox".into(),
                payment_key: format!("pay-reco-{order}"),
                event_id: format!("evt-reco-{order}"),
                amount: price,
            },
        )
        .await?;
    Ok(())
}

fn ids(page: &RecoPage) -> Vec<u64> {
    page.items.iter().map(|i| i.product).collect()
}

/// Asks `reco_forMe` until the model has caught up with `height` (it is rebuilt in the
/// background after blocks), for at most 30 s.
async fn for_me(market: &Market, member: &Member, height: u64) -> anyhow::Result<RecoPage> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page = market
            .rpc
            .for_me(member.session.clone(), None, Some(10))
            .await?;
        if page.height >= height {
            return Ok(page);
        }
        if Instant::now() > deadline {
            bail!(
                "the recommender is still at height {} < {height}",
                page.height
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_cohorts_get_different_explained_recommendations() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sms = Sms::default();
    let args = sms.start(dir.path()).await?;
    let node = start_node(dir.path(), &args, "node.log")?;
    truffle_tests::wait_for_leader_at(&node.rpc_url).await?;
    let mut market = Market::new(&node.rpc_url, sms, 8300).await?;

    eprintln!("--- a seller with two Chanel bags and two Rolex watches");
    let seller = market.seller().await?;
    let (flap, flap_items) = product(
        &market,
        &seller,
        "Chanel",
        "CF-1",
        "샤넬 클래식 플랩 백",
        "bags",
        9_000_000,
    )
    .await?;
    let (boy, boy_items) = product(
        &market,
        &seller,
        "Chanel",
        "BOY-2",
        "샤넬 보이 백",
        "bags",
        8_000_000,
    )
    .await?;
    let (sub, sub_items) = product(
        &market,
        &seller,
        "Rolex",
        "SUB-1",
        "롤렉스 서브마리너",
        "watches",
        15_000_000,
    )
    .await?;
    let (gmt, gmt_items) = product(
        &market,
        &seller,
        "Rolex",
        "GMT-2",
        "롤렉스 GMT 마스터",
        "watches",
        16_000_000,
    )
    .await?;

    eprintln!("--- women in their twenties buy Chanel, men in their forties Rolex");
    let mut women = Vec::new();
    let mut men = Vec::new();
    for n in 0..3 {
        women.push(
            market
                .signup_as(&format!("w{n}"), Gender::Female, 2003)
                .await?,
        );
        men.push(
            market
                .signup_as(&format!("m{n}"), Gender::Male, 1983)
                .await?,
        );
    }
    buy(&market, &women[0], flap_items[0], 9_000_000).await?;
    buy(&market, &women[1], flap_items[1], 9_000_000).await?;
    buy(&market, &women[1], boy_items[0], 8_000_000).await?;
    buy(&market, &men[0], sub_items[0], 15_000_000).await?;
    buy(&market, &men[1], sub_items[1], 15_000_000).await?;
    buy(&market, &men[1], gmt_items[0], 16_000_000).await?;
    let height = market.rpc.get_header(None).await?.header.height;

    eprintln!(
        "--- a new member of each cohort: the cohort's brand first, with the cohort as the reason"
    );
    let woman = for_me(&market, &women[2], height).await?;
    let man = for_me(&market, &men[2], height).await?;
    eprintln!("woman: {:?}\nman: {:?}", ids(&woman), ids(&man));
    let mut top_woman = ids(&woman)[..2].to_vec();
    top_woman.sort();
    assert_eq!(top_woman, [flap, boy], "{woman:?}");
    let mut top_man = ids(&man)[..2].to_vec();
    top_man.sort();
    assert_eq!(top_man, [sub, gmt], "{man:?}");
    for (page, gender) in [(&woman, Gender::Female), (&man, Gender::Male)] {
        let reason = &page.items[0].reason;
        assert_eq!(reason.kind, ReasonKind::Cohort, "{page:?}");
        assert_eq!(reason.gender, Some(gender));
        assert!(
            reason.text.starts_with("같은 연령대에서 인기"),
            "{reason:?}"
        );
    }
    assert_eq!(woman.items[0].reason.age_band, Some(20));
    assert_eq!(man.items[0].reason.age_band, Some(40));

    eprintln!("--- a buyer: bought together with her bag first, never what she owns");
    let buyer = for_me(&market, &women[0], height).await?;
    assert!(!ids(&buyer).contains(&flap), "{buyer:?}");
    assert_eq!(buyer.items[0].product, boy, "{buyer:?}");
    assert_eq!(buyer.items[0].reason.kind, ReasonKind::BoughtTogether);
    assert_eq!(buyer.items[0].reason.product, Some(flap));
    assert_eq!(
        buyer.items[0].reason.text,
        "이 상품을 산 회원이 함께 산 상품"
    );

    eprintln!("--- similar products, pages, errors");
    let similar = market.rpc.similar(sub, None, Some(3)).await?;
    assert_eq!(similar.items[0].product, gmt, "{similar:?}");
    let first = market
        .rpc
        .for_me(women[2].session.clone(), Some(1), Some(2))
        .await?;
    let second = market
        .rpc
        .for_me(women[2].session.clone(), Some(2), Some(2))
        .await?;
    assert_eq!(
        [ids(&first), ids(&second)].concat(),
        ids(&woman)[..ids(&first).len() + ids(&second).len()]
    );
    let error = market
        .rpc
        .for_me(women[2].session.clone(), None, Some(51))
        .await
        .unwrap_err();
    assert_eq!(code(&error), -32602, "{error}");
    let error = market.rpc.similar(999_999, None, None).await.unwrap_err();
    assert_eq!(code(&error), 2002, "{error}");

    eprintln!("--- reco_forUser: an admin sees what a member sees; a member may not ask");
    let chain = market.chain;
    let admin = dev_keys::admin();
    let query = AdminQuery::sign(&admin, &chain, RECO_FOR_USER_METHOD, now_ms());
    let seen = market
        .rpc
        .for_user(query, men[2].key.public(), None, Some(10))
        .await
        .context("reco_forUser")?;
    assert_eq!(ids(&seen), ids(&man));
    let forged = AdminQuery::sign(&men[2].key, &chain, RECO_FOR_USER_METHOD, now_ms());
    let error = market
        .rpc
        .for_user(forged, men[2].key.public(), None, None)
        .await
        .unwrap_err();
    assert_eq!(code(&error), 4004, "{error}");
    drop(node);
    Ok(())
}
