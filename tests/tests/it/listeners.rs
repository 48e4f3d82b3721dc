//! Issue #20, item 8: limits on the RPC listener, against a real node: a slowloris
//! connection is closed after the header timeout, a connection over the cap is closed
//! at once, and a client over its request rate gets 429 (with a JSON-RPC error on the
//! RPC path) while the node keeps serving.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use truffle_testnet::{truffle_binary, NodeProcess};
use truffle_tests::START_TIMEOUT;

/// Reads until the peer closes (`Some(elapsed)`) or `limit` passes (`None`).
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buffer = [0u8; 1024];
    loop {
        match tokio::time::timeout_at((started + limit).into(), stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => continue,
            Err(_) => return None,
        }
    }
}

/// A connection from the loopback address `from` (any 127.x.y.z on Linux) that has
/// started a request, so it sits in header reading.
async fn connect_from(from: &str, address: &str) -> anyhow::Result<TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(format!("{from}:0").parse()?)?;
    let mut stream = socket.connect(address.parse()?).await?;
    stream.write_all(b"GET /health HTTP/1.1\r\n").await?;
    Ok(stream)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_excess_and_flooding_clients_are_cut_off() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("node.toml");
    std::fs::write(
        &config,
        "rpc_max_connections = 6\nrpc_max_connections_per_client = 4\n\
         rpc_header_timeout_ms = 700\nrpc_requests_per_sec = 2\n\
         rpc_request_burst = 4\n\
         rpc_rate_limit_loopback = true\n",
    )?;
    let args: Vec<String> = [
        "dev",
        "--config",
        config.to_str().expect("utf-8"),
        "--data-dir",
        dir.path().join("data").to_str().expect("utf-8"),
        "--rpc.listen",
        "127.0.0.1:0",
        "--no-demo",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let node = NodeProcess::start(
        &truffle_binary()?,
        &args,
        &dir.path().join("node.log"),
        START_TIMEOUT,
    )?;
    let address = node
        .rpc_url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();

    eprintln!("--- slowloris: half a header, then silence");
    let mut slow = TcpStream::connect(&address).await?;
    slow.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: appl")
        .await?;
    let elapsed = closed_within(&mut slow, Duration::from_secs(10))
        .await
        .expect("the slow connection is closed");
    assert!(
        elapsed >= Duration::from_millis(500) && elapsed < Duration::from_secs(5),
        "closed after {elapsed:?}"
    );
    eprintln!("--- a silent connection is closed after the same timeout");
    let mut silent = TcpStream::connect(&address).await?;
    assert!(closed_within(&mut silent, Duration::from_secs(10))
        .await
        .is_some());

    eprintln!(
        "--- after a request, an idle keep-alive connection is closed after the same timeout"
    );
    let mut served = TcpStream::connect(&address).await?;
    served
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await?;
    let mut answer = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(5), served.read(&mut answer)).await??;
    assert!(answer[..read].starts_with(b"HTTP/1.1 "), "an answer");
    let elapsed = closed_within(&mut served, Duration::from_secs(10))
        .await
        .expect("the idle connection is closed");
    assert!(
        elapsed >= Duration::from_millis(500) && elapsed < Duration::from_secs(5),
        "closed {elapsed:?} after its answer"
    );

    eprintln!("--- over the caps: per client network, then in all");
    let mut held = Vec::new();
    for from in [
        "127.0.0.1",
        "127.0.0.2",
        "127.0.0.3",
        "127.0.0.4",
        "127.0.1.1",
        "127.0.1.2",
    ] {
        held.push(connect_from(from, &address).await?);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    for (from, cap) in [
        ("127.0.0.9", "the network's 4"),
        ("127.0.2.1", "the server's 6"),
    ] {
        let mut over = connect_from(from, &address).await?;
        let elapsed = closed_within(&mut over, Duration::from_millis(400))
            .await
            .unwrap_or_else(|| panic!("a connection over {cap} is closed at once"));
        assert!(elapsed < Duration::from_millis(400));
    }
    for stream in &mut held {
        let mut byte = [0u8; 1];
        let still_open =
            tokio::time::timeout(Duration::from_millis(50), stream.read(&mut byte)).await;
        assert!(
            still_open.is_err(),
            "the held connections stay open within the caps"
        );
    }
    drop(held);
    // The held ones time out; places come back.
    tokio::time::sleep(Duration::from_millis(1_200)).await;

    eprintln!("--- a flood from one address gets 429 and a JSON-RPC error");
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    let mut rpc_error = None;
    for _ in 0..12 {
        let response = http
            .post(&node.rpc_url)
            .json(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "system_health", "params": []}))
            .send()
            .await?;
        let status = response.status().as_u16();
        if status == 429 {
            assert!(response.headers().contains_key("retry-after"));
            rpc_error = Some(response.json::<serde_json::Value>().await?);
        }
        statuses.push(status);
    }
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert!(limited >= 6, "{statuses:?}");
    let error = rpc_error.expect("a JSON-RPC error body");
    assert_eq!(error["error"]["code"], 2010, "{error}");
    assert!(error["error"]["data"]["retry_after_secs"].as_u64().unwrap() >= 1);
    let page = http.get(format!("{}/health", node.rpc_url)).send().await?;
    assert_eq!(page.status().as_u16(), 429, "plain HTTP routes too");
    // The rate refills: the same client is served again.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let again = http.get(format!("{}/health", node.rpc_url)).send().await?;
    assert_ne!(again.status().as_u16(), 429);
    drop(node);
    Ok(())
}
