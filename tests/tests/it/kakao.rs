//! The KakaoTalk skill webhook of a real node (flow 8): realistic Open Builder payloads
//! (typed utterances, button presses with `clientExtra`, block parameters, the admin
//! test console, fallbacks, callback mode) answered from the node's ledger, catalog and
//! service data; every answer checked by `truffle_kakao::validate_response`. Linking a
//! Kakao user to a member with a one-time code, "내 주문" answered with that member's
//! orders only, unlinking from either side, withdrawal, and HTTP refusals (404 wrong
//! secret, 403 bot not allowed, 413 too large, 400 unreadable).

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use jsonrpsee::core::ClientError;
use serde_json::json;
use truffle_genesis::dev_keys;
use truffle_ledger::Payload;
use truffle_testnet::{truffle_binary, NodeProcess};
use truffle_tests::kakao::{
    assert_valid, button, fixture, fixtures_dir, payload, test_console, text_of, FakeKakao, Skill,
    BOT_ID, SECRET,
};
use truffle_tests::members::{
    apply_tx, gateway_args, list_product, open_raffle, order, pause, sign_up, FakeGateway, PASSWORD,
};
use truffle_tests::{chain_id, client, START_TIMEOUT};
use truffle_wire::api::{AccountApiClient, KakaoAccountApiClient};

/// botUserKeys of the Kakao users in this test.
const USER_A: &str = "a7c31f0e9b5d2c4a6e8f0b1d3c5e7a9b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5";
const USER_B: &str = "b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5a7c31f0e9b5d2c4a6e8f0b1d3c5e7a9";
const USER_C: &str = "c9e1b3d5f7a9c2e4b6d8f0a1c3e5a7c31f0e9b5d2c4a6e8f0b1d3c5e7a9b2d4f6a8";
const USER_D: &str = "d0f2b4d6f8a0c2e4a6c8e0b2d4f6a8c0e2a4c6e8b0d2f4a6c8e0b2d4f6a8c0e2a4c";

const SITE: &str = "https://truffle.example";
const DUNK: &str = "나이키 덩크 로우 레트로 판다";
const JORDAN: &str = "에어 조던 1 하이 OG 시카고";

fn start_node(dir: &Path, gateway: SocketAddr, kakao: SocketAddr) -> anyhow::Result<NodeProcess> {
    let secret_file = dir.join("kakao.secret");
    std::fs::write(&secret_file, format!("{SECRET}\n"))?;
    let config = dir.join("node.toml");
    // Answers needing data go to callback mode at once when the block allows it (the
    // budget is 0), link codes live 3 s.
    std::fs::write(
        &config,
        format!(
            "kakao_callback_hosts = [\"{kakao}\"]\nkakao_answer_budget_ms = 0\nkakao_link_code_ttl_secs = 3\n"
        ),
    )?;
    let mut args: Vec<String> = [
        "--log.filter",
        "trace",
        "node",
        "run",
        "--config",
        config.to_str().expect("utf-8"),
        "--chain",
        "dev",
        "--data-dir",
        dir.join("data").to_str().expect("utf-8"),
        "--rpc.listen",
        "127.0.0.1:0",
        "--p2p.listen",
        "/ip4/127.0.0.1/tcp/0",
        "--raft.heartbeat-ms",
        "50",
        "--raft.election-min-ms",
        "150",
        "--raft.election-max-ms",
        "300",
        "--kakao.secret-file",
        secret_file.to_str().expect("utf-8"),
        "--kakao.bot-id",
        BOT_ID,
        "--kakao.bot-id",
        "5a548e36aea1a43fa851ecd9",
        "--kakao.site-url",
        SITE,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(gateway_args(dir, gateway)?);
    Ok(NodeProcess::start(
        &truffle_binary()?,
        &args,
        &dir.join("node.log"),
        START_TIMEOUT,
    )?)
}

fn rpc_code(error: ClientError) -> (i32, serde_json::Value) {
    match error {
        ClientError::Call(object) => (
            object.code(),
            object
                .data()
                .map(|d| serde_json::from_str(d.get()).unwrap())
                .unwrap_or_default(),
        ),
        other => panic!("expected a JSON-RPC error, got {other}"),
    }
}

fn walk(dir: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(walk(&path)?);
        } else {
            out.push(path);
        }
    }
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kakao_skill_webhook_answers_members_within_kakaos_limits() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let gateway = FakeGateway::default();
    let gateway_address = gateway.clone().start().await?;
    let kakao = FakeKakao::default();
    let kakao_address = kakao.clone().start().await?;
    let mut node = start_node(dir.path(), gateway_address, kakao_address)?;
    truffle_tests::wait_for_leader_at(&node.rpc_url).await?;
    let rpc = client(&node.rpc_url)?;
    let chain = chain_id(&rpc).await?;
    let skill = Skill::new(&node.rpc_url);
    let mut secrets: Vec<String> = vec![SECRET.into()];

    eprintln!("--- a small market: a seller, two buyers with orders, an open raffle");
    let seller = sign_up(&rpc, &gateway, 1, "이판매").await?;
    let buyer = sign_up(&rpc, &gateway, 2, "김트러플").await?;
    let other = sign_up(&rpc, &gateway, 3, "박다른").await?;
    let admin = dev_keys::admin();
    let dunk = list_product(
        &rpc,
        chain,
        &admin,
        &seller.key,
        ("Nike", "DD1391-100", DUNK, "Nike Dunk Low Retro Panda"),
        139_000,
        5,
        true,
    )
    .await?;
    let jordan = list_product(
        &rpc,
        chain,
        &admin,
        &seller.key,
        (
            "Jordan",
            "DZ5485-612",
            JORDAN,
            "Air Jordan 1 High OG Chicago",
        ),
        289_000,
        3,
        false,
    )
    .await?;
    let buyer_order = order(&rpc, chain, &buyer.key, dunk.first_item).await?;
    let other_order = order(&rpc, chain, &other.key, jordan.first_item).await?;
    let raffle = open_raffle(&rpc, chain, &seller.key, dunk.first_item + 1, 129_000).await?;
    apply_tx(&rpc, chain, &buyer.key, Payload::EnterRaffle { raffle }).await?;

    eprintln!(
        "--- HTTP refusals: wrong secret 404, bot not allowed 403, too large 413, unreadable 400"
    );
    let help = fixture("help_quick_reply.json")?;
    for wrong in ["wrong-secret-0000000000", "", &SECRET[..SECRET.len() - 1]] {
        let (status, _) = skill.post_raw(wrong, help.clone()).await?;
        assert_eq!(status, 404, "secret {wrong:?}");
    }
    // Repeated, because a server that answers before reading the body and then closes
    // the socket loses its answer to a TCP reset only some of the time.
    let big = vec![b' '; 70 * 1024];
    for _ in 0..10 {
        assert_eq!(
            skill
                .post_raw("wrong-secret-0000000000", big.clone())
                .await?
                .0,
            404,
            "the secret is checked before the size"
        );
        assert_eq!(skill.post_raw(SECRET, big.clone()).await?.0, 413);
    }
    let mut padded = serde_json::to_vec(&payload("도움말", USER_A))?;
    padded.extend(std::iter::repeat_n(b' ', truffle_kakao::MAX_BODY_BYTES));
    assert_eq!(skill.post_raw(SECRET, padded).await?.0, 413);
    let mut stranger = payload("도움말", USER_A);
    stranger["bot"]["id"] = json!("5e0000000000000000000bad");
    assert_eq!(
        skill
            .post_raw(SECRET, serde_json::to_vec(&stranger)?)
            .await?
            .0,
        403
    );
    // A payload without a bot id is not from an allowed bot either.
    assert_eq!(
        skill
            .post_raw(SECRET, fixture("test_console_minimal_my_orders.json")?)
            .await?
            .0,
        403
    );
    let truncated = fixture("search_nike_dunk.json")?;
    for (what, body) in [
        ("form-encoded", fixture("bad_form_encoded.txt")?),
        ("truncated", fixture("bad_truncated.json")?),
        ("trailing brace", fixture("bad_trailing_brace.json")?),
        ("not an object", fixture("bad_not_object.json")?),
        ("cut mid-body", truncated[..truncated.len() / 2].to_vec()),
        ("empty", Vec::new()),
        ("not UTF-8", b"\xff\xfe{\"userRequest\":1}".to_vec()),
    ] {
        let (status, body) = skill.post_raw(SECRET, body).await?;
        assert_eq!(status, 400, "{what}");
        let bubble: serde_json::Value = serde_json::from_slice(&body)?;
        assert_valid(what, &bubble);
    }

    eprintln!("--- every fixture of the kakao crate gets a valid answer from the node");
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())?
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json") && !n.starts_with("bad_") && !n.contains("minimal"))
        .collect();
    names.sort();
    assert!(names.len() >= 20);
    for name in &names {
        let answer = skill.ask_bytes(name, fixture(name)?).await?;
        assert!(
            answer.get("useCallback").is_none(),
            "{name}: no callback (URL not on the allowlist, or the test console)"
        );
    }

    eprintln!("--- search through the catalog (Korean, English), with item page links");
    let mut found = None;
    for _ in 0..100 {
        let answer = skill
            .ask("search", &payload("나이키 덩크 찾아줘", USER_B))
            .await?;
        if text_of(&answer).contains(DUNK) {
            found = Some(answer);
            break;
        }
        pause(Duration::from_millis(200)).await;
    }
    let answer = found.expect("the search index shows the product");
    let card = &answer["template"]["outputs"][1]["carousel"]["items"][0];
    assert_eq!(card["title"], DUNK);
    assert_eq!(card["price"], 139_000);
    assert_eq!(
        card["buttons"][0]["webLinkUrl"],
        format!("{SITE}/products/{}", dunk.product)
    );
    let answer = skill
        .ask("search en", &payload("Jordan Chicago search", USER_B))
        .await?;
    assert!(text_of(&answer).contains(JORDAN), "{answer}");
    let answer = skill
        .ask(
            "search quick reply",
            &button(
                "‘시카고’ 검색",
                USER_B,
                json!({"action": "search", "query": "시카고"}),
            ),
        )
        .await?;
    assert!(text_of(&answer).contains(JORDAN), "{answer}");

    eprintln!("--- raffles from the ledger, and a list item press with clientExtra");
    let answer = skill
        .ask("raffles", &payload("이번 주 응모 뭐 있어?", USER_B))
        .await?;
    let text = text_of(&answer);
    assert!(text.contains(DUNK), "{text}");
    assert!(
        text.contains(&format!("\"raffle\":{raffle}")),
        "a press opens the raffle: {text}"
    );
    let answer = skill
        .ask(
            "raffle detail",
            &button(
                "자세히 보기",
                USER_B,
                json!({"action": "raffle_detail", "raffle": raffle}),
            ),
        )
        .await?;
    let card = &answer["template"]["outputs"][0]["basicCard"];
    assert_eq!(card["title"], DUNK);
    assert!(card["description"].as_str().unwrap().contains("129,000원"));

    eprintln!("--- authenticity: a plain serial, brand/model/serial, a button, a fake");
    let item = dunk.first_item + 2;
    for (what, p) in [
        (
            "plain",
            payload(&format!("정품 확인 {}", dunk.serials[2]), USER_B),
        ),
        (
            "qualified",
            payload(
                &format!(
                    "정품 확인 Nike/DD1391-100/{}",
                    dunk.serials[2].to_lowercase()
                ),
                USER_B,
            ),
        ),
        (
            "button",
            button(
                "정품 확인",
                USER_B,
                json!({"action": "verify", "serial": dunk.serials[2]}),
            ),
        ),
    ] {
        let answer = skill.ask(what, &p).await?;
        let card = &answer["template"]["outputs"][0]["basicCard"];
        assert_eq!(card["title"], "정품 등록이 확인됐어요", "{what}: {answer}");
        assert!(card["description"].as_str().unwrap().contains("에디션 3/5"));
        assert_eq!(
            card["buttons"][0]["webLinkUrl"],
            format!("{SITE}/items/{item}"),
            "{what}"
        );
    }
    for fake in [
        "정품 확인 DD1391-100-9999",
        "정품 확인 Nike/DD1391-100/DD1391-100-9999",
    ] {
        let answer = skill.ask(fake, &payload(fake, USER_B)).await?;
        assert_eq!(
            answer["template"]["outputs"][0]["basicCard"]["title"], "등록 기록이 없는 시리얼이에요",
            "{fake}"
        );
    }

    eprintln!("--- a fallback, and a bare product name");
    let answer = skill
        .ask("fallback", &payload("오늘 날씨 어때", USER_B))
        .await?;
    assert!(text_of(&answer).contains("무슨 말씀인지"));
    let answer = skill.ask("bare name", &payload("시카고", USER_B)).await?;
    assert!(text_of(&answer).contains(JORDAN), "{answer}");

    eprintln!("--- callback mode: acknowledged at once, the answer POSTed to Kakao");
    let mut p = payload("덩크 검색", USER_B);
    p["userRequest"]["callbackUrl"] = json!(format!("http://{kakao_address}/v1/callback/tok-1"));
    secrets.push("tok-1".into());
    let ack = skill.ask("callback ack", &p).await?;
    assert_eq!(ack["useCallback"], true, "{ack}");
    let delivered = kakao.wait_for("tok-1", Duration::from_secs(10)).await?;
    assert_valid("callback body", &delivered);
    assert!(delivered.get("useCallback").is_none());
    assert!(text_of(&delivered).contains(DUNK));
    // The admin console cannot take callbacks: answered directly.
    let mut p = test_console("진행중인 래플", USER_B);
    p["userRequest"]["callbackUrl"] = json!(format!("http://{kakao_address}/v1/callback/tok-2"));
    let answer = skill.ask("console", &p).await?;
    assert!(answer.get("useCallback").is_none());
    assert!(text_of(&answer).contains(DUNK));
    // Help needs no data: answered directly even with a callback URL.
    let mut p = payload("도움말", USER_B);
    p["userRequest"]["callbackUrl"] = json!(format!("http://{kakao_address}/v1/callback/tok-3"));
    assert!(skill.ask("help", &p).await?.get("useCallback").is_none());
    pause(Duration::from_millis(300)).await;
    assert_eq!(
        kakao.count(),
        1,
        "only the search went through the callback"
    );

    eprintln!("--- unlinked users get a prompt to link, never a member's data");
    let private = [DUNK, JORDAN, "김**플", "박*른", "결제 대기"];
    let assert_prompt = |what: &str, answer: &serde_json::Value| {
        let text = text_of(answer);
        assert!(
            text.contains("카카오톡 계정 연동이 필요해요"),
            "{what}: {text}"
        );
        for marker in private {
            assert!(!text.contains(marker), "{what}: leaked {marker:?}: {text}");
        }
    };
    assert_prompt(
        "unlinked orders",
        &skill.ask("a", &payload("내 주문", USER_A)).await?,
    );
    assert_prompt(
        "unlinked entries",
        &skill.ask("a", &payload("내 응모 결과", USER_A)).await?,
    );

    eprintln!("--- linking: a code issued on the site, sent from Kakao, the account bound");
    let issued = rpc.kakao_link_code(buyer.session.clone()).await?;
    assert_eq!(issued.code.len(), 6);
    assert!(issued.code.chars().all(|c| c.is_ascii_digit()));
    secrets.push(issued.code.clone());
    assert!(!rpc.kakao_status(buyer.session.clone()).await?.linked);
    let answer = skill
        .ask("link", &payload(&format!("연동 {}", issued.code), USER_A))
        .await?;
    let text = text_of(&answer);
    assert!(text.contains("연동이 완료"), "{text}");
    assert!(text.contains("김**플"), "the name is masked: {text}");
    assert!(rpc.kakao_status(buyer.session.clone()).await?.linked);
    let answer = skill.ask("my orders", &payload("내 주문", USER_A)).await?;
    let card = &answer["template"]["outputs"][0]["listCard"];
    assert_eq!(card["header"]["title"], "김**플님의 주문·결제 내역");
    assert_eq!(card["items"][0]["title"], format!("{DUNK} #1/5"));
    assert!(card["items"][0]["description"]
        .as_str()
        .unwrap()
        .contains("139,000원 · 결제 대기"));
    assert_eq!(
        card["items"][0]["link"]["web"],
        format!("{SITE}/orders/{buyer_order}")
    );
    let text = text_of(&answer);
    assert!(!text.contains(JORDAN), "another member's order: {text}");
    assert!(!text.contains(&format!("/orders/{other_order}")));
    let answer = skill
        .ask("my entries", &payload("당첨됐어?", USER_A))
        .await?;
    let text = text_of(&answer);
    assert!(
        text.contains("김**플님의 응모 결과") && text.contains("추첨 대기"),
        "{text}"
    );
    // The admin console with the same user key sees the same member.
    let answer = skill
        .ask("console orders", &test_console("내 주문", USER_A))
        .await?;
    assert!(text_of(&answer).contains(DUNK));

    eprintln!(
        "--- other users: still a prompt, even with a forged clientExtra; the code is used up"
    );
    assert_prompt(
        "other user",
        &skill.ask("b", &payload("내 주문", USER_B)).await?,
    );
    let forged = button(
        "내 주문",
        USER_B,
        json!({"action": "my_orders", "user": USER_A, "account": buyer.key.public().to_hex()}),
    );
    assert_prompt("forged extra", &skill.ask("forged", &forged).await?);
    let answer = skill
        .ask("reused code", &payload(&issued.code, USER_B))
        .await?;
    assert!(text_of(&answer).contains("코드가 맞지 않아요"));
    assert_prompt(
        "still other",
        &skill.ask("b", &payload("내 주문", USER_B)).await?,
    );

    eprintln!("--- unlink from the chat, relink, unlink from the site");
    let answer = skill.ask("unlink", &payload("연동 해제", USER_A)).await?;
    assert!(text_of(&answer).contains("연동을 해제했어요"));
    assert_prompt(
        "unlinked",
        &skill.ask("a", &payload("내 주문", USER_A)).await?,
    );
    assert!(!rpc.kakao_status(buyer.session.clone()).await?.linked);
    let again = rpc.kakao_link_code(buyer.session.clone()).await?;
    secrets.push(again.code.clone());
    let answer = skill.ask("relink", &payload(&again.code, USER_A)).await?;
    assert!(text_of(&answer).contains("연동이 완료"));
    assert!(rpc.kakao_unlink(buyer.session.clone()).await?);
    assert!(!rpc.kakao_unlink(buyer.session.clone()).await?);
    assert_prompt(
        "site unlink",
        &skill.ask("a", &payload("내 주문", USER_A)).await?,
    );

    eprintln!("--- an expired code; too many wrong codes");
    let expiring = rpc.kakao_link_code(buyer.session.clone()).await?;
    secrets.push(expiring.code.clone());
    pause(Duration::from_millis(3_300)).await;
    let answer = skill
        .ask(
            "expired",
            &payload(&format!("연동 {}", expiring.code), USER_A),
        )
        .await?;
    assert!(text_of(&answer).contains("만료"), "{answer}");
    for n in 0..5 {
        let wrong = format!("{:06}", 100_000 + n);
        let answer = skill.ask("wrong", &payload(&wrong, USER_C)).await?;
        assert!(text_of(&answer).contains("코드가 맞지 않아요"), "{answer}");
    }
    let answer = skill
        .ask("throttled", &payload("연동 123456", USER_C))
        .await?;
    assert!(
        text_of(&answer).contains("연동 시도가 너무 많아요"),
        "{answer}"
    );

    eprintln!("--- too many codes for one account: 6001");
    let mut throttled = None;
    for _ in 0..5 {
        match rpc.kakao_link_code(buyer.session.clone()).await {
            Ok(issued) => secrets.push(issued.code),
            Err(error) => {
                throttled = Some(rpc_code(error));
                break;
            }
        }
    }
    let (code, data) = throttled.expect("codes are throttled");
    assert_eq!(code, 6001);
    assert!(data["retry_after_secs"].as_u64().unwrap() > 0);
    let (code, _) = rpc_code(
        rpc.kakao_link_code("not-a-session".into())
            .await
            .unwrap_err(),
    );
    assert_eq!(code, 3014);

    eprintln!("--- withdrawal drops the member's link");
    let issued = rpc.kakao_link_code(other.session.clone()).await?;
    secrets.push(issued.code.clone());
    let answer = skill
        .ask("link other", &payload(&issued.code, USER_D))
        .await?;
    assert!(text_of(&answer).contains("박*른"), "{answer}");
    assert!(text_of(&skill.ask("d", &payload("내 주문", USER_D)).await?).contains(JORDAN));
    rpc.delete(other.session.clone(), PASSWORD.into()).await?;
    assert_prompt(
        "withdrawn",
        &skill.ask("d", &payload("내 주문", USER_D)).await?,
    );

    eprintln!("--- no secret in the trace-level log; no Kakao user key or code in the data files");
    node.terminate(Duration::from_secs(10));
    let log = std::fs::read_to_string(node.log_path())?;
    assert!(log.contains("kakao"), "the node logged the webhook");
    // Six digits occur by chance in a long trace log (times, sizes): codes are looked
    // for as they would be logged, as JSON strings or in an utterance.
    let patterns: Vec<String> = secrets
        .iter()
        .flat_map(|s| {
            if s.len() == 6 && s.chars().all(|c| c.is_ascii_digit()) {
                vec![format!("\"{s}\""), format!("연동 {s}"), format!("code={s}")]
            } else {
                vec![s.clone()]
            }
        })
        .chain([USER_A, USER_B, USER_C, USER_D].map(String::from))
        .collect();
    for pattern in &patterns {
        let line = log.lines().find(|line| line.contains(pattern.as_str()));
        assert!(line.is_none(), "the log holds {pattern:?} in: {line:?}");
    }
    let needles: Vec<&str> = vec![USER_A, USER_B, USER_C, USER_D];
    let mut files = 0;
    for path in walk(&dir.path().join("data"))? {
        let bytes = std::fs::read(&path)?;
        files += 1;
        for needle in &needles {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{} holds the Kakao user key {needle}",
                path.display()
            );
        }
    }
    assert!(files > 5, "searched the data folder ({files} files)");
    Ok(())
}
