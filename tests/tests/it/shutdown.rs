//! Graceful shutdown of real node processes: SIGTERM under load loses no acknowledged
//! transaction, and a second signal exits at once.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use truffle_ledger::types::Role;
use truffle_ledger::{Hash, Keypair, Payload, SignedTransaction};
use truffle_testnet::TestnetOptions;
use truffle_tests::{wait_included, Cluster, Wallet};
use truffle_wire::api::TxApiClient;
use truffle_wire::chain::TxStatus;

fn register(member: &str) -> Payload {
    Payload::RegisterAccount {
        account: Keypair::from_name(member).public(),
        role: Role::Member,
        adult: true,
    }
}

/// The hash of a transaction signed by [`Wallet::sign`].
fn hash_of(tx_hex: &str) -> anyhow::Result<Hash> {
    Ok(SignedTransaction::decode(&hex::decode(tx_hex)?)?.hash())
}

/// Most transactions one load client sends (the load also ends at the SIGTERM).
const MAX_PER_CLIENT: usize = 2_000;
/// How long the load runs at most before the SIGTERM.
const LOAD_BEFORE_SIGTERM: Duration = Duration::from_secs(20);
/// The node's own drain bound (10 s) plus the flush and a loaded machine's slack.
const EXIT_BOUND: Duration = Duration::from_secs(25);

/// Three clients submit through the leader and wait for each commit; the leader gets
/// SIGTERM mid-load, exits 0 within the drain bound, restarts and rejoins; every
/// transaction a client was told is committed is on every node, the restarted one too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_keeps_every_acknowledged_transaction() -> anyhow::Result<()> {
    let mut cluster = Cluster::start(TestnetOptions::default()).await?;
    let chain = cluster.chain_id();
    let all = [0usize, 1, 2];
    let target = cluster
        .net
        .wait_for_leader(&all, Duration::from_secs(30))
        .await?;
    eprintln!("--- load through the leader, node {target}");

    let acknowledged: Arc<Mutex<Vec<Hash>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for signer in all {
        let client = cluster.client(target);
        let mut wallet = Wallet::new(&client, cluster.net.key(signer).clone()).await?;
        let acknowledged = acknowledged.clone();
        let stop = stop.clone();
        clients.push(tokio::spawn(async move {
            for n in 0..MAX_PER_CLIENT {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let tx = wallet.sign(chain, register(&format!("sigterm-{signer}-{n}")));
                let hash = hash_of(&tx)?;
                match client.submit_and_wait(tx, Some(10_000)).await {
                    Ok(TxStatus::Committed { .. }) => acknowledged.lock().expect("lock").push(hash),
                    // Not acknowledged as committed; whether its nonce is spent is
                    // unknown, so this client stops rather than guess.
                    Ok(other) => {
                        eprintln!("client {signer}: not committed: {other:?}");
                        break;
                    }
                    // The node stopped answering (shutdown): not acknowledged.
                    Err(error) => {
                        eprintln!("client {signer}: {error}");
                        break;
                    }
                }
            }
            anyhow::Ok(())
        }));
    }

    // SIGTERM once the load is well under way.
    let deadline = Instant::now() + LOAD_BEFORE_SIGTERM;
    while acknowledged.lock().expect("lock").len() < 60 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before = acknowledged.lock().expect("lock").len();
    anyhow::ensure!(before > 0, "no transaction committed under load");
    eprintln!("--- SIGTERM to node {target} after {before} acknowledged transactions");
    let signalled = Instant::now();
    let status = cluster.net.terminate(target, EXIT_BOUND)?;
    let took = signalled.elapsed();
    let status = status.ok_or_else(|| {
        anyhow::anyhow!("node {target} did not exit within {EXIT_BOUND:?} of SIGTERM")
    })?;
    assert!(status.success(), "a clean shutdown exits 0: {status}");
    eprintln!("--- node {target} exited ({status}) {took:?} after SIGTERM");
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        tokio::time::timeout(Duration::from_secs(30), client)
            .await
            .map_err(|_| anyhow::anyhow!("a load client did not finish"))???;
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    eprintln!(
        "--- {} transactions acknowledged in all",
        acknowledged.len()
    );

    let log = std::fs::read_to_string(cluster.net.log_path(target))?;
    for step in [
        "shutting down gracefully",
        "shutdown: RPC no longer accepts connections",
        "shutdown: stopping raft",
        "shutdown: database flushed",
        "shutdown complete",
    ] {
        assert!(log.contains(step), "the shutdown log lacks {step:?}");
    }

    eprintln!("--- the survivors elect a leader and go on");
    let survivors: Vec<usize> = all.iter().copied().filter(|i| *i != target).collect();
    cluster
        .net
        .wait_for_leader(&survivors, Duration::from_secs(30))
        .await?;

    eprintln!("--- node {target} restarts and rejoins");
    cluster.net.start(target)?;
    let leader = cluster
        .net
        .wait_for_leader(&all, Duration::from_secs(30))
        .await?;
    let height = cluster
        .wait_converged(&all, Duration::from_secs(60))
        .await?;
    cluster.assert_same_chain(&all, height).await?;
    for hash in &acknowledged {
        for index in all {
            let status = cluster.client(index).status(*hash).await?;
            assert!(
                matches!(status, TxStatus::Committed { .. }),
                "acknowledged {hash} is {status:?} on node {index}"
            );
        }
        let view = cluster.client(target).get(*hash).await?;
        assert_eq!(view.hash, *hash);
    }

    eprintln!("--- the restarted node takes part: a new transaction through it commits everywhere");
    let before = cluster
        .net
        .health(target)
        .await?
        .committed_index
        .unwrap_or(0);
    let client = cluster.client(target);
    let mut wallet = Wallet::new(&client, cluster.net.key(target).clone()).await?;
    let hash = client
        .submit(wallet.sign(chain, register("after-the-restart")))
        .await?;
    for index in all {
        let status = wait_included(&cluster.client(index), hash, Duration::from_secs(30)).await?;
        assert!(matches!(status, TxStatus::Committed { .. }), "{status:?}");
    }
    let health = cluster.net.health(target).await?;
    assert!(
        health.committed_index.unwrap_or(0) > before,
        "the commit index advances on the restarted node: {health:?}"
    );
    assert_eq!(
        health.leader_id,
        cluster.net.health(leader).await?.leader_id,
        "same leader"
    );
    for index in all {
        let log = std::fs::read_to_string(cluster.net.log_path(index))?;
        assert!(!log.contains("panicked"), "node {index} panicked");
    }
    Ok(())
}

/// A request in flight holds the shutdown up (bounded); a second SIGTERM meanwhile
/// ends the process at once with exit code 130.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_exits_at_once() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut node = truffle_tests::start_dev(&dir.path().join("data"))?;
    truffle_tests::wait_for_leader_at(&node.rpc_url).await?;
    let pid = node.pid().expect("running");
    let address = node.rpc_url.trim_start_matches("http://").to_owned();
    // Half a request: the server waits for the rest of the body, so the drain cannot
    // finish before its 10 s bound.
    let mut socket = std::net::TcpStream::connect(&address)?;
    socket.write_all(
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"jsonrpc\":",
    )?;
    socket.flush()?;
    tokio::time::sleep(Duration::from_millis(300)).await;

    truffle_testnet::signal(pid, libc::SIGTERM);
    assert!(
        node.wait_for_exit(Duration::from_secs(1)).is_none(),
        "the first signal waits for the request in flight"
    );
    let log = std::fs::read_to_string(node.log_path())?;
    assert!(log.contains("shutting down gracefully"), "{log}");

    let signalled = Instant::now();
    truffle_testnet::signal(pid, libc::SIGTERM);
    let status = node
        .wait_for_exit(Duration::from_secs(5))
        .ok_or_else(|| anyhow::anyhow!("a second SIGTERM did not end the node"))?;
    assert_eq!(status.code(), Some(130), "{status}");
    assert!(signalled.elapsed() < Duration::from_secs(5));
    drop(socket);
    Ok(())
}
