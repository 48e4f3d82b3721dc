//! Member chat over real processes: rooms between a buyer and a seller, messages
//! replicated through Raft and streamed by every node to its WebSocket subscribers, only
//! the two members admitted, history across a full cluster restart, delivery latency,
//! and on one node the limits (size, rate, bad queries), retention and withdrawal.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonrpsee::core::client::Subscription;
use jsonrpsee::core::ClientError;
use jsonrpsee_http_client::HttpClient;
use jsonrpsee_ws_client::{WsClient, WsClientBuilder};
use truffle_genesis::dev_keys;
use truffle_ledger::{Hash, PublicKey};
use truffle_testnet::{truffle_binary, NodeProcess, TestnetOptions};
use truffle_tests::members::{
    gateway_args, list_product, order, pause, sign_up, FakeGateway, TestMember, PASSWORD,
};
use truffle_tests::{chain_id, client, Cluster, START_TIMEOUT};
use truffle_wire::api::{AccountApiClient, ChatApiClient};
use truffle_wire::chat::{ChatMessage, ChatSubject};

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

async fn ws(http_url: &str) -> anyhow::Result<WsClient> {
    let url = http_url.replacen("http://", "ws://", 1);
    Ok(WsClientBuilder::default()
        .request_timeout(Duration::from_secs(30))
        .build(&url)
        .await?)
}

async fn next_from(
    subscription: &mut Subscription<ChatMessage>,
    sender: &PublicKey,
) -> anyhow::Result<ChatMessage> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), subscription.next())
            .await
            .map_err(|_| anyhow::anyhow!("no message within 10 s"))?
            .ok_or_else(|| anyhow::anyhow!("the subscription ended"))??;
        if message.sender == *sender {
            return Ok(message);
        }
    }
}

/// All messages of a room through `rpc`, paging back from the newest.
async fn full_history(
    rpc: &HttpClient,
    session: &str,
    room: Hash,
) -> anyhow::Result<Vec<ChatMessage>> {
    let mut all = Vec::new();
    let mut before = None;
    loop {
        let page = rpc.history(session.into(), room, before, Some(100)).await?;
        let mut messages = page.messages;
        messages.extend(all);
        all = messages;
        match page.before {
            Some(b) => before = Some(b),
            None => return Ok(all),
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// Messages each way in the latency run (override with TRUFFLE_CHAT_LATENCY_MESSAGES).
fn latency_messages() -> usize {
    std::env::var("TRUFFLE_CHAT_LATENCY_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_between_members_on_different_nodes() -> anyhow::Result<()> {
    let gateway = FakeGateway::default();
    let gateway_address = gateway.clone().start().await?;
    let files = tempfile::tempdir()?;
    let config = files.path().join("chat.toml");
    // The latency run sends a few hundred messages quickly.
    std::fs::write(
        &config,
        "chat_rate_max_messages = 100000\nchat_rate_window_secs = 60\n",
    )?;
    let mut extra_args = gateway_args(files.path(), gateway_address)?;
    extra_args.extend(["--config".to_owned(), config.display().to_string()]);
    let mut cluster = Cluster::start(TestnetOptions {
        extra_args,
        ..TestnetOptions::default()
    })
    .await?;
    let (n0, n1, n2) = (cluster.client(0), cluster.client(1), cluster.client(2));
    let chain = chain_id(&n0).await?;

    eprintln!("--- members on three nodes; the seller lists, the buyer orders");
    let buyer = sign_up(&n0, &gateway, 11, "김구매").await?;
    let seller = sign_up(&n1, &gateway, 12, "이판매").await?;
    let third = sign_up(&n2, &gateway, 13, "최제삼").await?;
    let listed = list_product(
        &n1,
        chain,
        &cluster.net.admin,
        &seller.key,
        (
            "Nike",
            "FQ8080-133",
            "나이키 덩크 로우 SE",
            "Nike Dunk Low SE",
        ),
        159_000,
        3,
        true,
    )
    .await?;
    let order_id = order(&n0, chain, &buyer.key, listed.first_item).await?;

    eprintln!(
        "--- the buyer opens the room about the order on node 0, the seller finds it on node 1"
    );
    let room = n0
        .open_room(buyer.session.clone(), ChatSubject::Order(order_id), None)
        .await?;
    assert_eq!(room.counterpart, seller.key.public());
    let same = n1
        .open_room(
            seller.session.clone(),
            ChatSubject::Order(order_id),
            Some(buyer.key.public()),
        )
        .await?;
    assert_eq!(same.room, room.room, "one room per subject and pair");
    assert_eq!(same.counterpart, buyer.key.public());
    let item_room = n0
        .open_room(
            buyer.session.clone(),
            ChatSubject::Item(listed.first_item + 1),
            None,
        )
        .await?;
    assert_eq!(item_room.counterpart, seller.key.public(), "the owner");
    assert_ne!(item_room.room, room.room);
    assert_eq!(n1.rooms(seller.session.clone()).await?.len(), 2);

    eprintln!("--- a third member can neither join, read, watch nor write");
    for subject in [
        ChatSubject::Order(order_id),
        ChatSubject::Item(listed.first_item),
    ] {
        let (code, _) = rpc_code(
            n2.open_room(third.session.clone(), subject, Some(buyer.key.public()))
                .await
                .unwrap_err(),
        );
        assert_eq!(code, 6012, "{subject:?}");
    }
    let (code, _) = rpc_code(
        n2.history(third.session.clone(), room.room, None, None)
            .await
            .unwrap_err(),
    );
    assert_eq!(code, 6010);
    let (code, _) = rpc_code(
        n2.send(third.session.clone(), room.room, "끼어들기".into())
            .await
            .unwrap_err(),
    );
    assert_eq!(code, 6010);
    let third_ws = ws(&cluster.net.rpc_url(2)).await?;
    let (code, _) = rpc_code(
        third_ws
            .subscribe_room(third.session.clone(), room.room)
            .await
            .unwrap_err(),
    );
    assert_eq!(code, 6010);

    eprintln!("--- both ways through subscriptions on different nodes");
    let buyer_ws = ws(&cluster.net.rpc_url(0)).await?;
    let seller_ws = ws(&cluster.net.rpc_url(1)).await?;
    let mut buyer_sub = buyer_ws
        .subscribe_room(buyer.session.clone(), room.room)
        .await?;
    let mut seller_sub = seller_ws
        .subscribe_room(seller.session.clone(), room.room)
        .await?;
    let question = "안녕하세요, 주문한 덩크 언제 발송되나요?";
    let sent = n0
        .send(buyer.session.clone(), room.room, question.into())
        .await?;
    assert_eq!(sent.seq, 0);
    let got = next_from(&mut seller_sub, &buyer.key.public()).await?;
    assert_eq!((got.text.as_str(), got.seq), (question, 0));
    let answer = "내일 오전에 발송됩니다. 감사합니다!";
    n1.send(seller.session.clone(), room.room, answer.into())
        .await?;
    let got = next_from(&mut buyer_sub, &seller.key.public()).await?;
    assert_eq!((got.text.as_str(), got.seq), (answer, 1));

    eprintln!("--- unread counts, read marks, and the inbox of every room on a third node");
    let unread_of = |rooms: Vec<truffle_wire::chat::RoomView>, id: Hash| {
        rooms.into_iter().find(|r| r.room == id).map(|r| r.unread)
    };
    assert_eq!(
        unread_of(n1.rooms(seller.session.clone()).await?, room.room),
        Some(1),
        "the buyer's question"
    );
    assert_eq!(
        unread_of(n0.rooms(buyer.session.clone()).await?, room.room),
        Some(1),
        "the seller's answer"
    );
    let read = n2
        .mark_read(seller.session.clone(), room.room, None)
        .await?;
    assert_eq!((read.unread, read.next_seq), (0, 2));
    assert_eq!(
        unread_of(n1.rooms(seller.session.clone()).await?, room.room),
        Some(0),
        "read on node 2, seen on node 1"
    );
    let inbox_ws = ws(&cluster.net.rpc_url(2)).await?;
    let mut inbox = inbox_ws.subscribe_inbox(buyer.session.clone()).await?;
    let note = "상품 상태 사진 더 보내드릴게요";
    n1.send(seller.session.clone(), item_room.room, note.into())
        .await?;
    let got = next_from(&mut inbox, &seller.key.public()).await?;
    assert_eq!((got.room, got.text.as_str()), (item_room.room, note));
    let rooms = n2.rooms(buyer.session.clone()).await?;
    assert_eq!(rooms[0].room, item_room.room, "latest message first");
    assert_eq!(
        (rooms[0].unread, rooms[0].last_message_ms),
        (1, Some(got.sent_ms))
    );
    assert_eq!(
        n0.mark_read(buyer.session.clone(), item_room.room, None)
            .await?
            .unread,
        0
    );
    let (code, _) = rpc_code(
        n2.mark_read(third.session.clone(), item_room.room, None)
            .await
            .unwrap_err(),
    );
    assert_eq!(code, 6010, "only the room's members mark it read");
    drop(inbox);

    eprintln!("--- delivery latency: send (node 0 / node 1) → the other side's subscription");
    let per_side = latency_messages();
    let received: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let collect = |mut sub: Subscription<ChatMessage>, from: PublicKey, expected: usize| {
        let received = received.clone();
        tokio::spawn(async move {
            let mut count = 0;
            while count < expected {
                match tokio::time::timeout(Duration::from_secs(30), sub.next()).await {
                    Ok(Some(Ok(message))) if message.sender == from => {
                        received
                            .lock()
                            .unwrap()
                            .insert(message.text.clone(), Instant::now());
                        count += 1;
                    }
                    Ok(Some(Ok(_))) => {}
                    _ => break,
                }
            }
            sub
        })
    };
    let seller_collector = collect(seller_sub, buyer.key.public(), per_side);
    let buyer_collector = collect(buyer_sub, seller.key.public(), per_side);
    let room_id = room.room;
    let send_all = move |rpc: HttpClient, member: TestMember, tag: &'static str| {
        tokio::spawn(async move {
            let mut started = HashMap::new();
            for i in 0..per_side {
                let text = format!("{tag}-{i:04} 가격 문의드립니다");
                started.insert(text.clone(), Instant::now());
                rpc.send(member.session.clone(), room_id, text).await?;
            }
            anyhow::Ok(started)
        })
    };
    let run_started = Instant::now();
    let from_buyer = send_all(n0.clone(), buyer.clone(), "buyer");
    let from_seller = send_all(n1.clone(), seller.clone(), "seller");
    let mut started = from_buyer.await??;
    started.extend(from_seller.await??);
    let buyer_sub = buyer_collector.await?;
    let _seller_sub = seller_collector.await?;
    let run_secs = run_started.elapsed().as_secs_f64();
    let received = received.lock().unwrap().clone();
    let mut latencies: Vec<f64> = started
        .iter()
        .map(|(text, at)| {
            received
                .get(text)
                .map(|r| r.duration_since(*at).as_secs_f64() * 1000.0)
                .unwrap_or(f64::INFINITY)
        })
        .collect();
    latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let lost = latencies.iter().filter(|l| l.is_infinite()).count();
    assert_eq!(lost, 0, "every message reached the other side");
    eprintln!(
        "CHAT LATENCY: {} messages ({} each way, concurrent) in {run_secs:.1} s: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        per_side,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        latencies[latencies.len() - 1],
    );
    drop(buyer_sub);

    eprintln!("--- every node is stopped and started again: the history is still there");
    let total = 2 + 2 * per_side;
    for index in 0..3 {
        cluster.net.kill(index)?;
    }
    cluster.net.start_all()?;
    cluster
        .net
        .wait_for_leader(&[0, 1, 2], Duration::from_secs(30))
        .await?;
    let n1 = cluster.client(1);
    let history = full_history(&n1, &seller.session, room.room).await?;
    // A room keeps its newest ROOM_MAX_MESSAGES.
    let kept = total.min(truffle_wire::chat::ROOM_MAX_MESSAGES as usize);
    assert_eq!(history.len(), kept);
    assert_eq!(history[kept - 1].seq as usize, total - 1);
    if kept == total {
        assert_eq!(history[0].text, question);
        assert_eq!(history[1].text, answer);
    }
    assert!(history.windows(2).all(|w| w[0].seq + 1 == w[1].seq));
    let page = cluster
        .client(2)
        .history(
            buyer.session.clone(),
            room.room,
            Some(total as u64 - 1),
            Some(1),
        )
        .await?;
    assert_eq!(page.messages.len(), 1);
    assert_eq!(page.messages[0].seq as usize, total - 2);
    assert_eq!(page.before, Some(total as u64 - 2));

    eprintln!("--- and live delivery works after the restart");
    let buyer_ws = ws(&cluster.net.rpc_url(0)).await?;
    let mut buyer_sub = buyer_ws
        .subscribe_room(buyer.session.clone(), room.room)
        .await?;
    n1.send(
        seller.session.clone(),
        room.room,
        "재시작 후에도 잘 보이시나요?".into(),
    )
    .await?;
    let got = next_from(&mut buyer_sub, &seller.key.public()).await?;
    assert_eq!(got.seq as usize, total);
    Ok(())
}

fn start_node(dir: &Path, gateway: std::net::SocketAddr) -> anyhow::Result<NodeProcess> {
    let config = dir.join("node.toml");
    std::fs::write(
        &config,
        "chat_rate_max_messages = 5\nchat_rate_window_secs = 5\nchat_retention_secs = 6\nchat_prune_interval_secs = 1\n",
    )?;
    let mut args: Vec<String> = [
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
async fn chat_limits_retention_and_withdrawal() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let gateway = FakeGateway::default();
    let gateway_address = gateway.clone().start().await?;
    let mut node = start_node(dir.path(), gateway_address)?;
    truffle_tests::wait_for_leader_at(&node.rpc_url).await?;
    let rpc = client(&node.rpc_url)?;
    let chain = chain_id(&rpc).await?;
    let buyer = sign_up(&rpc, &gateway, 21, "정구매").await?;
    let seller = sign_up(&rpc, &gateway, 22, "한판매").await?;
    let listed = list_product(
        &rpc,
        chain,
        &dev_keys::admin(),
        &seller.key,
        (
            "New Balance",
            "M990GL6",
            "뉴발란스 990v6 그레이",
            "New Balance 990v6 Grey",
        ),
        259_000,
        2,
        true,
    )
    .await?;

    eprintln!("--- rooms: only about real subjects, only with their owner");
    let (code, _) = rpc_code(
        rpc.open_room(
            seller.session.clone(),
            ChatSubject::Item(listed.first_item),
            None,
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(
        code, 6012,
        "an owner does not open a room about their own item"
    );
    for subject in [ChatSubject::Item(9_999), ChatSubject::Order(9_999)] {
        let (code, _) = rpc_code(
            rpc.open_room(buyer.session.clone(), subject, None)
                .await
                .unwrap_err(),
        );
        assert_eq!(code, 6011, "{subject:?}");
    }
    let (code, _) = rpc_code(
        rpc.open_room(
            buyer.session.clone(),
            ChatSubject::Item(listed.first_item),
            Some(buyer.key.public()),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(code, 6012, "the counterpart must be the owner");
    let (code, _) = rpc_code(
        rpc.open_room(
            "no-session".into(),
            ChatSubject::Item(listed.first_item),
            None,
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(code, 3014);
    let room = rpc
        .open_room(
            buyer.session.clone(),
            ChatSubject::Item(listed.first_item),
            None,
        )
        .await?
        .room;
    let (code, _) = rpc_code(
        rpc.history(buyer.session.clone(), Hash::of(b"no such room"), None, None)
            .await
            .unwrap_err(),
    );
    assert_eq!(code, 6010);
    for limit in [0, 101] {
        let (code, _) = rpc_code(
            rpc.history(buyer.session.clone(), room, None, Some(limit))
                .await
                .unwrap_err(),
        );
        assert_eq!(code, truffle_wire::codes::INVALID_PARAMS, "limit {limit}");
    }

    eprintln!("--- message size and per-member rate");
    for text in [String::new(), "  \n ".into(), "가".repeat(1_001)] {
        let (code, data) = rpc_code(
            rpc.send(buyer.session.clone(), room, text)
                .await
                .unwrap_err(),
        );
        assert_eq!((code, data["max_chars"].as_u64()), (6013, Some(1_000)));
    }
    let long = "가".repeat(1_000);
    assert_eq!(
        rpc.send(buyer.session.clone(), room, long.clone())
            .await?
            .text,
        long
    );
    for i in 1..5 {
        rpc.send(buyer.session.clone(), room, format!("문의 {i}"))
            .await?;
    }
    let (code, data) = rpc_code(
        rpc.send(buyer.session.clone(), room, "여섯 번째".into())
            .await
            .unwrap_err(),
    );
    assert_eq!(code, 6014);
    let retry = data["retry_after_secs"].as_u64().unwrap();
    assert!((1..=5).contains(&retry), "{retry}");
    let page = rpc
        .history(seller.session.clone(), room, None, None)
        .await?;
    assert_eq!(page.messages.len(), 5);
    assert_eq!(page.messages[0].text, long);

    eprintln!("--- retention: messages go after 6 s, the open room stays");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page = rpc.history(buyer.session.clone(), room, None, None).await?;
        if page.messages.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "messages were not pruned");
        pause(Duration::from_millis(500)).await;
    }
    let rooms = rpc.rooms(buyer.session.clone()).await?;
    assert_eq!(rooms.len(), 1);
    assert_eq!(rooms[0].next_seq, 5);

    eprintln!("--- withdrawal erases the member's messages and closes the room");
    let secret = "판매자의 비밀 메시지 7f3a9c: 계좌는 따로 알려드릴게요";
    rpc.send(seller.session.clone(), room, secret.into())
        .await?;
    rpc.send(buyer.session.clone(), room, "네 알겠습니다".into())
        .await?;
    rpc.delete(seller.session.clone(), PASSWORD.into()).await?;
    let page = rpc.history(buyer.session.clone(), room, None, None).await?;
    assert_eq!(page.messages.len(), 1);
    assert_eq!(page.messages[0].text, "네 알겠습니다");
    let rooms = rpc.rooms(buyer.session.clone()).await?;
    assert!(rooms[0].closed);
    let (code, _) = rpc_code(
        rpc.send(buyer.session.clone(), room, "계세요?".into())
            .await
            .unwrap_err(),
    );
    assert_eq!(code, 6015);
    eprintln!("--- once its last message is past retention, the closed room is gone");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match rpc.history(buyer.session.clone(), room, None, None).await {
            Err(error) => {
                assert_eq!(rpc_code(error).0, 6010);
                break;
            }
            Ok(_) => {
                assert!(Instant::now() < deadline, "the closed room was not deleted");
                pause(Duration::from_millis(500)).await;
            }
        }
    }
    assert!(rpc.rooms(buyer.session.clone()).await?.is_empty());

    eprintln!("--- no file of the node holds the withdrawn member's message");
    node.kill();
    let status = std::process::Command::new(truffle_binary()?)
        .args(["node", "compact", "--data-dir"])
        .arg(dir.path().join("data"))
        .status()?;
    assert!(status.success());
    let needle = "비밀 메시지 7f3a9c".as_bytes();
    let log = std::fs::read(node.log_path())?;
    assert!(
        !log.windows(needle.len()).any(|w| w == needle),
        "in the log"
    );
    for path in walk(&dir.path().join("data"))? {
        let bytes = std::fs::read(&path)?;
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "{} holds the message",
            path.display()
        );
    }
    Ok(())
}
