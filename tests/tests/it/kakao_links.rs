//! The KakaoTalk bot on a `truffle dev` chain configured like a real node (issue 23):
//!
//! - `truffle dev` takes the node's configuration file and flags: the Kakao webhook is
//!   switched on by the file, the SMS gateway by flags, and the demo data loads as usual.
//! - Every link and image the bot sends opens: a crawl through typed utterances and the
//!   bot's own buttons and quick replies collects every URL of every answer; each page
//!   link must point to this node (its bound address: no site URL was configured), be
//!   answered with a redirect to a route the pages' router has, for the subject it names
//!   (the product, raffle, item or order exists), and that page must be served; each
//!   image must be served with an image type.
//! - Category, stock, brand and price words are the search's filters: asked for limited
//!   sneakers still in stock, the bot shows only sneakers with pieces for sale.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::{json, Value};
use truffle_genesis::dev_keys;
use truffle_ledger::Payload;
use truffle_testnet::{truffle_binary, NodeProcess};
use truffle_tests::kakao::{button, payload, Skill, BOT_ID, SECRET};
use truffle_tests::members::{
    apply_tx, gateway_args, list_product, open_raffle, order, sign_up, FakeGateway,
};
use truffle_tests::{chain_id, client, wait_for_leader_at, START_TIMEOUT};
use truffle_wire::api::KakaoAccountApiClient;

const USER: &str = "e1a3c5e7a9b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5a7c31f0e9b5d2c4a6e8f0b";
const STRANGER: &str = "f2b4d6f8a0c2e4a6c8e0b2d4f6a8c0e2a4c6e8b0d2f4a6c8e0b2d4f6a8c0e2a4c1d";

/// Starts `truffle dev` with demo data, the Kakao webhook on from `node.toml` and the SMS
/// gateway from flags.
fn start_dev_with_config(dir: &Path, gateway: std::net::SocketAddr) -> anyhow::Result<NodeProcess> {
    let secret_file = dir.join("kakao.secret");
    std::fs::write(&secret_file, format!("{SECRET}\n"))?;
    let config = dir.join("node.toml");
    std::fs::write(
        &config,
        format!(
            "# A node's configuration file, as `truffle node run --config` takes it.\n\
             kakao_secret_file = {:?}\n\
             kakao_bot_ids = [\"{BOT_ID}\"]\n\
             kakao_answer_budget_ms = 3000\n\
             [market]\n\
             auto_draw_raffles = true\n",
            secret_file.display().to_string()
        ),
    )?;
    let mut args: Vec<String> = [
        "dev",
        "--config",
        config.to_str().expect("utf-8"),
        "--data-dir",
        dir.join("data").to_str().expect("utf-8"),
        "--rpc.listen",
        "127.0.0.1:0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(gateway_args(dir, gateway)?);
    Ok(NodeProcess::start(
        &truffle_binary()?,
        &args,
        &dir.join("dev.log"),
        START_TIMEOUT,
    )?)
}

/// Every http(s) string in `value`, with the key it was under.
fn urls(value: &Value, key: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::String(s) if s.starts_with("http://") || s.starts_with("https://") => {
            out.push((key.to_owned(), s.clone()))
        }
        Value::Array(items) => items.iter().for_each(|v| urls(v, key, out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| urls(v, k, out)),
        _ => {}
    }
}

/// The bot's own presses in `answer`: quick replies and buttons that send a message,
/// with their label, text and `extra`.
fn presses(value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| presses(v, out)),
        Value::Object(map) => {
            let action = map.get("action").and_then(Value::as_str);
            if matches!(action, Some("message" | "block")) {
                let text = map
                    .get("messageText")
                    .or_else(|| map.get("label"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let extra = map.get("extra").cloned().unwrap_or(json!({}));
                out.push((text, extra));
            }
            map.values().for_each(|v| presses(v, out));
        }
        _ => {}
    }
}

/// The pages' router table: the patterns of `ROUTES` in the app the node serves.
fn router(app_js: &str) -> Vec<regex_lite::Regex> {
    app_js
        .lines()
        .filter_map(|line| {
            let start = line.find("[/^")? + 2;
            let end = line[start..].find("$/")? + start + 1;
            regex_lite::Regex::new(&line[start..end].replace("\\/", "/")).ok()
        })
        .collect()
}

/// What the product search knows of every product: id → (category, available, price, brand).
async fn catalog(http: &reqwest::Client, url: &str) -> anyhow::Result<BTreeMap<u64, Value>> {
    let mut out = BTreeMap::new();
    for page in 1..=10 {
        let result = rpc(
            http,
            url,
            "product_search",
            json!([{"text": "", "sort": "newest", "page": page, "page_size": 100}]),
        )
        .await?;
        let hits = result["hits"].as_array().cloned().unwrap_or_default();
        for hit in &hits {
            out.insert(hit["product_id"].as_u64().unwrap(), hit["product"].clone());
        }
        if hits.len() < 100 {
            break;
        }
    }
    Ok(out)
}

async fn rpc(
    http: &reqwest::Client,
    url: &str,
    method: &str,
    params: Value,
) -> anyhow::Result<Value> {
    let response: Value = http
        .post(url)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .send()
        .await?
        .json()
        .await?;
    match response.get("result") {
        Some(result) => Ok(result.clone()),
        None => bail!("{method}: {response}"),
    }
}

/// The product ids of a search answer's cards (from their links).
fn card_products(answer: &Value) -> Vec<u64> {
    answer["template"]["outputs"][1]["carousel"]["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|card| card["buttons"][0]["webLinkUrl"].as_str())
                .filter_map(|u| u.rsplit_once("/products/")?.1.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_with_a_config_file_runs_a_bot_whose_links_all_open() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let gateway = FakeGateway::default();
    let gateway_address = gateway.clone().start().await?;

    eprintln!("--- truffle dev with the node's config file (Kakao) and flags (SMS gateway)");
    let mut node = start_dev_with_config(dir.path(), gateway_address)?;
    let base = node.rpc_url.trim_end_matches('/').to_owned();
    wait_for_leader_at(&base).await?;
    // truffle dev says where the webhook is (printed right after the address).
    let mut startup = String::new();
    for _ in 0..50 {
        startup = std::fs::read_to_string(node.log_path())?;
        if startup.contains("kakao:    POST") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        startup.contains(&format!(
            "kakao:    POST {base}/kakao/skill/<secret>  (links to {base})"
        )),
        "{startup}"
    );
    let rpc_client = client(&base)?;
    let chain = chain_id(&rpc_client).await?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()?;
    let skill = Skill::new(&base);
    // The webhook is on (404 without the file's secret), and the file's bot id is allowed.
    assert_eq!(
        skill
            .post_raw(
                "wrong-secret-0000000000",
                serde_json::to_vec(&payload("도움말", USER))?
            )
            .await?
            .0,
        404
    );
    skill.ask("help", &payload("도움말", USER)).await?;

    eprintln!("--- a member with an order and a raffle entry, linked to the Kakao user");
    let seller = sign_up(&rpc_client, &gateway, 11, "링크판매").await?;
    let buyer = sign_up(&rpc_client, &gateway, 12, "링크구매").await?;
    let listed = list_product(
        &rpc_client,
        chain,
        &dev_keys::admin(),
        &seller.key,
        (
            "Nike",
            "KLT-0001",
            "나이키 링크 테스트 덩크",
            "Nike Link Test Dunk",
        ),
        149_000,
        3,
        true,
    )
    .await?;
    let bought = order(&rpc_client, chain, &buyer.key, listed.first_item).await?;
    let raffle = open_raffle(
        &rpc_client,
        chain,
        &seller.key,
        listed.first_item + 1,
        149_000,
    )
    .await?;
    apply_tx(
        &rpc_client,
        chain,
        &buyer.key,
        Payload::EnterRaffle { raffle },
    )
    .await?;
    let code = rpc_client
        .kakao_link_code(buyer.session.clone())
        .await?
        .code;
    let linked = skill
        .ask("link", &payload(&format!("연동 {code}"), USER))
        .await?;
    assert!(linked.to_string().contains("연동이 완료"), "{linked}");

    eprintln!("--- the crawl: utterances, then every press the bot offers");
    let serial = format!("Nike/KLT-0001/{}", listed.serials[2]);
    let mut queue: VecDeque<(String, Value, &str)> = [
        "도움말",
        "상품 검색",
        "나이키 덩크 찾아줘",
        "한정판 스니커즈 아직 재고 있어?",
        "20만원 이하 스니커즈 보여줘",
        "진행중인 래플",
        "내 주문",
        "내 응모 결과",
        "정품 확인",
        "정품 확인 NOPE-0000-9999",
        "계정 연동",
        "오늘 날씨 어때",
        "시카고",
    ]
    .iter()
    .map(|u| (u.to_string(), json!({}), USER))
    .chain([
        (format!("정품 확인 {serial}"), json!({}), USER),
        // An unlinked user's answers link to the link page.
        ("내 주문".to_owned(), json!({}), STRANGER),
        ("내 응모 결과".to_owned(), json!({}), STRANGER),
    ])
    .collect();
    let mut pressed = BTreeSet::new();
    let mut found: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut asked = 0;
    while let Some((text, extra, user)) = queue.pop_front() {
        asked += 1;
        assert!(asked <= 150, "the crawl stays bounded");
        let request = if extra == json!({}) {
            payload(&text, user)
        } else {
            button(&text, user, extra.clone())
        };
        let answer = skill.ask(&text, &request).await?;
        let mut links = Vec::new();
        urls(&answer, "", &mut links);
        for (key, url) in links {
            found.entry(url).or_insert((key, text.clone()));
        }
        let mut next = Vec::new();
        presses(&answer, &mut next);
        for (text, extra) in next {
            // Linking and unlinking change who the user is: not pressed in the crawl.
            let action = extra["action"].as_str().unwrap_or_default().to_owned();
            if matches!(action.as_str(), "link" | "unlink") || text.contains("연동") {
                continue;
            }
            if pressed.insert((text.clone(), extra.to_string())) {
                queue.push_back((text, extra, USER));
            }
        }
    }
    eprintln!("{asked} requests, {} distinct URLs", found.len());

    eprintln!("--- every URL opens: pages through their stable address, images as images");
    let app_js = http
        .get(format!("{base}/assets/js/app.js"))
        .send()
        .await?
        .text()
        .await?;
    let routes = router(&app_js);
    assert!(routes.len() >= 10, "the router table: {routes:?}");
    let products = catalog(&http, &base).await?;
    let mut kinds = BTreeSet::new();
    for (url, (key, asked_by)) in &found {
        let what = format!("{url} (under {key:?}, answering {asked_by:?})");
        assert!(
            url.starts_with(&format!("{base}/")),
            "{what}: links point to this node"
        );
        let response = http.get(url).send().await.with_context(|| what.clone())?;
        let status = response.status().as_u16();
        let is_image = key == "imageUrl" || url.ends_with(".png") || url.ends_with(".jpg");
        if is_image {
            assert_eq!(status, 200, "{what}");
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            assert!(content_type.starts_with("image/"), "{what}: {content_type}");
            let bytes = response.bytes().await?;
            if content_type == "image/png" {
                assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{what}");
            }
            if content_type == "image/jpeg" {
                assert_eq!(&bytes[..3], b"\xff\xd8\xff", "{what}");
            }
            kinds.insert(if url.contains("/images/") {
                "product picture".to_owned()
            } else {
                "image".to_owned()
            });
            continue;
        }
        assert_eq!(
            status, 302,
            "{what}: a stable address redirects to its page"
        );
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .with_context(|| format!("{what}: no Location"))?
            .to_owned();
        let route = location
            .strip_prefix("/#")
            .with_context(|| format!("{what}: {location} is not a page route"))?
            .to_owned();
        let route_path = route.split('?').next().unwrap_or_default();
        assert!(
            routes.iter().any(|r| r.is_match(route_path)),
            "{what}: {route} is not in the pages' router"
        );
        // The page itself: the app, which then renders the route.
        let page = reqwest::get(format!("{base}{location}")).await?;
        assert_eq!(page.status().as_u16(), 200, "{what}");
        assert!(page
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html")));
        assert!(page.text().await?.contains("/assets/js/app.js"), "{what}");
        // The subject of the route exists.
        let path = &url[base.len()..];
        let id = |prefix: &str| {
            path.strip_prefix(prefix)
                .and_then(|s| s.parse::<u64>().ok())
        };
        let kind = if let Some(id) = id("/products/") {
            assert_eq!(route, format!("/product/{id}"), "{what}");
            assert!(products.contains_key(&id), "{what}: product {id} exists");
            "product"
        } else if let Some(id) = id("/raffles/") {
            assert_eq!(route, format!("/raffle/{id}"), "{what}");
            rpc(&http, &base, "raffle_get", json!([id]))
                .await
                .context(what.clone())?;
            "raffle"
        } else if let Some(id) = id("/items/") {
            assert_eq!(route, format!("/item/{id}"), "{what}");
            rpc(&http, &base, "product_getItem", json!([id]))
                .await
                .context(what.clone())?;
            "item"
        } else if let Some(id) = id("/orders/") {
            assert_eq!(route, format!("/order/{id}"), "{what}");
            assert_eq!(id, bought, "{what}: the member's own order");
            rpc(&http, &base, "order_get", json!([id]))
                .await
                .context(what.clone())?;
            "order"
        } else if path == "/raffles" {
            assert_eq!(route, "/search?raffle=1", "{what}");
            "raffles"
        } else if path == "/account/kakao" {
            assert_eq!(route, "/me/kakao", "{what}");
            "link page"
        } else if path == "/account/orders" {
            assert_eq!(route, "/me?show=payments", "{what}");
            "orders"
        } else if path == "/account/raffles" {
            assert_eq!(route, "/me?show=entries", "{what}");
            "entries"
        } else if let Some(query) = path.strip_prefix("/search?") {
            assert_eq!(route, format!("/search?{query}"), "{what}");
            "search"
        } else {
            bail!("{what}: a link of an unexpected kind");
        };
        kinds.insert(kind.to_owned());
    }
    for kind in [
        "product picture",
        "product",
        "raffle",
        "item",
        "order",
        "raffles",
        "link page",
        "orders",
        "entries",
        "search",
    ] {
        assert!(
            kinds.contains(kind),
            "the crawl met a {kind} link: {kinds:?}"
        );
    }
    // An address that is not a page stays 404.
    assert_eq!(
        http.get(format!("{base}/products/abc"))
            .send()
            .await?
            .status()
            .as_u16(),
        404
    );

    eprintln!("--- filters: limited sneakers still in stock are sneakers with pieces for sale");
    let sneakers: Vec<&Value> = products
        .values()
        .filter(|p| p["category"] == "sneakers")
        .collect();
    assert!(
        sneakers.iter().any(|p| p["available"] == 0),
        "the demo has a sneaker with nothing for sale, so the filter matters"
    );
    assert!(
        products
            .values()
            .any(|p| p["category"] != "sneakers" && p["available"].as_u64() > Some(0)),
        "and other categories in stock"
    );
    let answer = skill
        .ask(
            "in stock",
            &payload("한정판 스니커즈 아직 재고 있어?", USER),
        )
        .await?;
    let shown = card_products(&answer);
    assert!(!shown.is_empty(), "{answer}");
    for id in &shown {
        let p = &products[id];
        assert_eq!(p["category"], "sneakers", "product {id}: {p}");
        assert!(
            p["available"].as_u64() > Some(0),
            "product {id} in stock: {p}"
        );
    }
    assert!(
        answer.to_string().contains("스니커즈 · 재고 있음"),
        "the answer says what it understood: {answer}"
    );
    // Brand and price words too.
    let answer = skill
        .ask("brand", &payload("나이키 스니커즈 20만원 이하 있어?", USER))
        .await?;
    let shown = card_products(&answer);
    assert!(!shown.is_empty(), "{answer}");
    for id in &shown {
        let p = &products[id];
        assert_eq!(p["brand"], "Nike", "product {id}: {p}");
        assert_eq!(p["category"], "sneakers", "product {id}: {p}");
        assert!(p["price"].as_u64() <= Some(200_000), "product {id}: {p}");
    }
    let answer = skill
        .ask("games", &payload("닌텐도 게임기 보여줘", USER))
        .await?;
    let shown = card_products(&answer);
    assert!(!shown.is_empty(), "{answer}");
    for id in &shown {
        let p = &products[id];
        assert_eq!(
            (p["brand"].as_str(), p["category"].as_str()),
            (Some("Nintendo"), Some("games")),
            "{p}"
        );
    }

    node.terminate(Duration::from_secs(10));
    Ok(())
}
