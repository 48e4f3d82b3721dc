//! A 3-validator cluster of real processes: commits from any node, leader failover,
//! partitions, strangers, and catch-up by snapshot.

use std::collections::BTreeSet;
use std::time::Duration;

use truffle_ledger::types::Role;
use truffle_ledger::{Hash, Keypair, Payload, PublicKey};
use truffle_testnet::{truffle_binary, NodeProcess, TestnetOptions};
use truffle_tests::{wait_included, Cluster, Wallet};
use truffle_wire::api::{ChainApiClient, SystemApiClient, TxApiClient};
use truffle_wire::chain::TxStatus;

fn register(member: &str) -> Payload {
    Payload::RegisterAccount {
        account: Keypair::from_name(member).public(),
        role: Role::Member,
        adult: true,
    }
}

fn assert_committed(status: &TxStatus) {
    assert!(
        matches!(status, TxStatus::Committed { .. }),
        "not committed: {status:?}"
    );
}

/// Every validator takes transactions; followers forward them; all nodes end with the
/// same blocks, and every block gets a certificate that checks against the genesis keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_commit_from_any_node() -> anyhow::Result<()> {
    let cluster = Cluster::start(TestnetOptions::default()).await?;
    let chain = cluster.chain_id();

    tracing_phase("--- each validator's operator registers members through its own node");
    let mut wallets = Vec::new();
    for index in 0..3 {
        wallets.push(Wallet::new(&cluster.client(index), cluster.net.key(index).clone()).await?);
    }
    let mut submitted = Vec::new();
    for round in 0..10 {
        for (index, wallet) in wallets.iter_mut().enumerate() {
            let tx = wallet.sign(chain, register(&format!("any-node-{index}-{round}")));
            submitted.push((index, cluster.client(index).submit(tx).await?));
        }
    }
    for (index, hash) in &submitted {
        assert_committed(
            &wait_included(&cluster.client(*index), *hash, Duration::from_secs(30)).await?,
        );
    }

    tracing_phase("--- all nodes hold the same chain");
    let height = cluster
        .wait_converged(&[0, 1, 2], Duration::from_secs(30))
        .await?;
    assert!(height >= 1);
    cluster.assert_same_chain(&[0, 1, 2], height).await?;
    for (_, hash) in &submitted {
        for index in 0..3 {
            assert_committed(&cluster.client(index).status(*hash).await?);
        }
    }

    tracing_phase(
        "--- every block is certified by more than two thirds of the genesis validators, on every node",
    );
    let validators: BTreeSet<PublicKey> = cluster
        .net
        .genesis
        .validators
        .iter()
        .map(|v| v.key)
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    for index in 0..3 {
        for h in 1..=height {
            let header = cluster.client(index).get_header(Some(h)).await?;
            let certificate = loop {
                match cluster.client(index).get_certificate(h).await {
                    Ok(certificate) => break certificate,
                    Err(_) if std::time::Instant::now() < deadline => {
                        tokio::time::sleep(Duration::from_millis(100)).await
                    }
                    Err(error) => anyhow::bail!("node {index} has no certificate for {h}: {error}"),
                }
            };
            certificate
                .verify(&header.header, &validators)
                .map_err(|e| anyhow::anyhow!("node {index} height {h}: {e}"))?;
        }
    }
    Ok(())
}

fn tracing_phase(phase: &str) {
    eprintln!("{phase}");
}

/// SIGKILL to the leader: the others elect a new one and go on committing; the killed
/// node restarts, rejoins and converges on the same chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_failover_and_rejoin() -> anyhow::Result<()> {
    let mut cluster = Cluster::start(TestnetOptions::default()).await?;
    let chain = cluster.chain_id();
    let all = [0, 1, 2];
    let leader = cluster
        .net
        .wait_for_leader(&all, Duration::from_secs(30))
        .await?;

    let mut wallet = Wallet::new(&cluster.client(leader), cluster.net.key(leader).clone()).await?;
    let hash = cluster
        .client(leader)
        .submit(wallet.sign(chain, register("failover-before")))
        .await?;
    assert_committed(&wait_included(&cluster.client(leader), hash, Duration::from_secs(20)).await?);

    tracing_phase("--- kill the leader");
    cluster.net.kill(leader)?;
    let survivors: Vec<usize> = all.iter().copied().filter(|i| *i != leader).collect();
    let new_leader = cluster
        .net
        .wait_for_leader(&survivors, Duration::from_secs(20))
        .await?;
    assert_ne!(new_leader, leader);

    tracing_phase("--- the survivors commit, whichever of them takes the transaction");
    let mut hashes = Vec::new();
    for (round, index) in survivors.iter().cycle().take(6).enumerate() {
        let mut wallet =
            Wallet::new(&cluster.client(*index), cluster.net.key(*index).clone()).await?;
        let tx = wallet.sign(chain, register(&format!("failover-after-{round}")));
        let hash = cluster.client(*index).submit(tx).await?;
        assert_committed(
            &wait_included(&cluster.client(*index), hash, Duration::from_secs(20)).await?,
        );
        hashes.push(hash);
    }

    tracing_phase("--- the old leader restarts, catches up and agrees");
    cluster.net.start(leader)?;
    let height = cluster
        .wait_converged(&all, Duration::from_secs(30))
        .await?;
    cluster.assert_same_chain(&all, height).await?;
    for hash in hashes {
        assert_committed(&cluster.client(leader).status(hash).await?);
    }
    Ok(())
}

/// A minority cannot commit; the majority goes on; after healing, everyone converges
/// on the majority's chain, and a transaction the minority took is committed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitioned_minority_cannot_commit() -> anyhow::Result<()> {
    let cluster = Cluster::start(TestnetOptions::default()).await?;
    let chain = cluster.chain_id();
    let all = [0, 1, 2];
    let old_leader = cluster
        .net
        .wait_for_leader(&all, Duration::from_secs(30))
        .await?;
    let majority: Vec<usize> = all.iter().copied().filter(|i| *i != old_leader).collect();

    tracing_phase("--- isolate the leader");
    cluster
        .net
        .partition(&[vec![old_leader], majority.clone()])
        .await?;
    let new_leader = cluster
        .net
        .wait_for_leader(&majority, Duration::from_secs(20))
        .await?;
    assert_ne!(new_leader, old_leader);

    let minority_client = cluster.client(old_leader);
    let mut minority_wallet =
        Wallet::new(&minority_client, cluster.net.key(old_leader).clone()).await?;
    let minority_tx = minority_client
        .submit(minority_wallet.sign(chain, register("from-the-minority")))
        .await?;
    let minority_height = minority_client.get_header(None).await?.header.height;

    tracing_phase("--- the majority commits");
    let mut majority_hashes = Vec::new();
    for (round, index) in majority.iter().cycle().take(4).enumerate() {
        let mut wallet =
            Wallet::new(&cluster.client(*index), cluster.net.key(*index).clone()).await?;
        let hash = cluster
            .client(*index)
            .submit(wallet.sign(chain, register(&format!("from-the-majority-{round}"))))
            .await?;
        assert_committed(
            &wait_included(&cluster.client(*index), hash, Duration::from_secs(20)).await?,
        );
        majority_hashes.push(hash);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let isolated = minority_client.get_header(None).await?.header.height;
    assert_eq!(
        isolated, minority_height,
        "the isolated node applied nothing"
    );
    assert!(matches!(
        minority_client.status(minority_tx).await?,
        TxStatus::Pending
    ));
    let majority_height = cluster
        .client(new_leader)
        .get_header(None)
        .await?
        .header
        .height;
    assert!(majority_height > isolated);

    tracing_phase("--- heal: everyone converges; the minority's transaction lands exactly once");
    cluster.net.heal().await?;
    let status = wait_included(
        &cluster.client(new_leader),
        minority_tx,
        Duration::from_secs(30),
    )
    .await?;
    assert_committed(&status);
    let height = cluster
        .wait_converged(&all, Duration::from_secs(30))
        .await?;
    cluster.assert_same_chain(&all, height).await?;
    let mut occurrences = 0;
    for h in 1..=height {
        let block = cluster.client(0).get_block(Some(h)).await?;
        occurrences += block
            .transactions
            .iter()
            .filter(|t| t.hash == minority_tx)
            .count();
    }
    assert_eq!(occurrences, 1, "included exactly once");
    for hash in majority_hashes {
        assert_committed(&cluster.client(old_leader).status(hash).await?);
    }
    Ok(())
}

/// A node whose key is not in the genesis connects nowhere: it never hears of a leader,
/// never receives a block, and the validators do not count it as a peer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_cannot_join() -> anyhow::Result<()> {
    let cluster = Cluster::start(TestnetOptions::default()).await?;
    let chain = cluster.chain_id();
    let dir = cluster.dir.path().join("stranger");
    std::fs::create_dir_all(&dir)?;
    let stranger = Keypair::generate();
    truffle_wire::keyfile::write_key_file(&dir.join("key.json"), &stranger)?;
    let args: Vec<String> = [
        "node",
        "run",
        "--chain",
        cluster.net.genesis_path().to_str().expect("utf-8 path"),
        "--key-file",
        dir.join("key.json").to_str().expect("utf-8 path"),
        "--data-dir",
        dir.join("data").to_str().expect("utf-8 path"),
        "--rpc.listen",
        "127.0.0.1:0",
        "--p2p.listen",
        "/ip4/127.0.0.1/tcp/0",
        "--vault-key-file",
        cluster.net.vault_key_path().to_str().expect("utf-8 path"),
        "--sms.console",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let process = NodeProcess::start(
        &truffle_binary()?,
        &args,
        &dir.join("node.log"),
        truffle_tests::START_TIMEOUT,
    )?;
    let stranger_rpc = truffle_tests::client(&process.rpc_url)?;

    let mut wallet = Wallet::new(&cluster.client(0), cluster.net.key(0).clone()).await?;
    let hash = cluster
        .client(0)
        .submit(wallet.sign(chain, register("while-a-stranger-watches")))
        .await?;
    assert_committed(&wait_included(&cluster.client(0), hash, Duration::from_secs(20)).await?);
    tokio::time::sleep(Duration::from_secs(3)).await;

    let health: truffle_wire::chain::Health = serde_json::from_value(stranger_rpc.health().await?)?;
    assert_eq!(health.leader_id, None, "the stranger knows no leader");
    assert_eq!(health.height, 0, "the stranger received no block");
    assert!(matches!(
        stranger_rpc.status(hash).await?,
        TxStatus::Unknown
    ));
    for index in 0..3 {
        let peers = cluster.client(index).peers().await?;
        let listed = peers
            .as_array()
            .expect("a list")
            .iter()
            .any(|p| p["key"] == stranger.public().to_hex());
        assert!(!listed, "node {index} lists the stranger as a peer");
    }
    let log = std::fs::read_to_string(cluster.net.log_path(0))?;
    assert!(
        !log.contains(&stranger.public().to_hex()),
        "the stranger never became a member"
    );
    Ok(())
}

/// A node down while thousands of blocks' worth of transactions commit catches up by
/// installing a snapshot, not by replaying the purged log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lagging_node_catches_up_by_snapshot() -> anyhow::Result<()> {
    let options = TestnetOptions {
        snapshot_every_entries: Some(50),
        // Small blocks: the 20,000 transactions make hundreds of log entries, well past
        // what the leader keeps behind its snapshot.
        extra_args: vec![
            "--mempool.per-signer".into(),
            "5000".into(),
            "--block.max-transactions".into(),
            "100".into(),
        ],
        ..TestnetOptions::default()
    };
    let mut cluster = Cluster::start(options).await?;
    let chain = cluster.chain_id();
    let lagging = 2;
    let stopped_at = cluster
        .net
        .health(lagging)
        .await?
        .applied_index
        .unwrap_or(0);
    cluster.net.kill(lagging)?;
    let live = [0usize, 1];
    cluster
        .net
        .wait_for_leader(&live, Duration::from_secs(20))
        .await?;

    tracing_phase("--- 20,000 transactions while node 2 is down");
    const PER_SIGNER: usize = 10_000;
    let mut tasks = Vec::new();
    for index in live {
        let client = cluster.client(index);
        let mut wallet = Wallet::new(&client, cluster.net.key(index).clone()).await?;
        let txs: Vec<String> = (0..PER_SIGNER)
            .map(|n| wallet.sign(chain, register(&format!("snapshot-{index}-{n}"))))
            .collect();
        tasks.push(tokio::spawn(async move {
            let mut last = Hash::ZERO;
            for chunk in txs.chunks(200) {
                for tx in chunk {
                    last = client.submit(tx.clone()).await?;
                }
                // Keep the pool from overflowing: wait for the chunk before the next.
                wait_included(&client, last, Duration::from_secs(60)).await?;
            }
            anyhow::Ok(last)
        }));
    }
    for task in tasks {
        let last = task.await??;
        assert_committed(&wait_included(&cluster.client(0), last, Duration::from_secs(60)).await?);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let purged = loop {
        let health = cluster.net.health(0).await?;
        match health.purged_index {
            Some(purged) if purged > stopped_at => break purged,
            other => assert!(
                std::time::Instant::now() < deadline,
                "the log was not purged past {stopped_at}: {other:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        purged > stopped_at,
        "the entries node 2 lacks are gone from the log"
    );

    tracing_phase("--- node 2 restarts and installs a snapshot");
    cluster.net.start(lagging)?;
    let height = cluster
        .wait_converged(&[0, 1, 2], Duration::from_secs(90))
        .await?;
    let health = cluster.net.health(lagging).await?;
    assert!(
        health.snapshots_installed >= 1,
        "caught up by snapshot: {health:?}"
    );
    cluster.assert_same_chain(&[0, 1, 2], height).await?;
    let block = cluster.client(lagging).get_block(Some(height / 2)).await?;
    assert_eq!(
        block,
        cluster.client(0).get_block(Some(height / 2)).await?,
        "history came with the snapshot"
    );
    Ok(())
}

/// An admin adds a fourth validator with a signed transaction: the leader makes it a
/// learner, then a voter; it converges and votes on headers. Removing it takes it out
/// of the Raft voters again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validators_are_added_and_removed_by_admin_transactions() -> anyhow::Result<()> {
    let cluster = Cluster::start(TestnetOptions::default()).await?;
    let chain = cluster.chain_id();
    let dir = cluster.dir.path().join("fourth");
    std::fs::create_dir_all(&dir)?;
    let key = Keypair::generate();
    truffle_wire::keyfile::write_key_file(&dir.join("key.json"), &key)?;
    let p2p_port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let p2p_address = format!("/ip4/127.0.0.1/tcp/{p2p_port}");
    let args: Vec<String> = [
        "node",
        "run",
        "--chain",
        cluster.net.genesis_path().to_str().expect("utf-8 path"),
        "--key-file",
        dir.join("key.json").to_str().expect("utf-8 path"),
        "--data-dir",
        dir.join("data").to_str().expect("utf-8 path"),
        "--rpc.listen",
        "127.0.0.1:0",
        "--p2p.listen",
        &p2p_address,
        "--raft.heartbeat-ms",
        "100",
        "--raft.election-min-ms",
        "400",
        "--raft.election-max-ms",
        "800",
        "--vault-key-file",
        cluster.net.vault_key_path().to_str().expect("utf-8 path"),
        "--sms.console",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let process = NodeProcess::start(
        &truffle_binary()?,
        &args,
        &dir.join("node.log"),
        truffle_tests::START_TIMEOUT,
    )?;
    let fourth = truffle_tests::client(&process.rpc_url)?;
    let fourth_id = truffle_consensus::node_id_of(&key.public());

    tracing_phase("--- the admin adds the fourth validator");
    let mut admin = Wallet::new(&cluster.client(0), cluster.net.admin.clone()).await?;
    let add = admin.sign(
        chain,
        Payload::AddValidator {
            key: key.public(),
            name: "fourth".into(),
            p2p_address: p2p_address.clone(),
        },
    );
    let hash = cluster.client(0).submit(add).await?;
    assert_committed(&wait_included(&cluster.client(0), hash, Duration::from_secs(20)).await?);

    let deadline = std::time::Instant::now() + Duration::from_secs(40);
    loop {
        let health: truffle_wire::chain::Health = serde_json::from_value(fourth.health().await?)?;
        let leader: truffle_wire::chain::Health = cluster.net.health(0).await?;
        if health.role == "follower"
            && leader.voters.contains(&fourth_id)
            && health.height == leader.height
        {
            break;
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "the fourth node never joined: {health:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    tracing_phase("--- with four voters, blocks still commit and the fourth node has them");
    let mut registrar = Wallet::new(&cluster.client(1), cluster.net.key(1).clone()).await?;
    let hash = cluster
        .client(1)
        .submit(registrar.sign(chain, register("after-the-fourth")))
        .await?;
    assert_committed(&wait_included(&cluster.client(1), hash, Duration::from_secs(20)).await?);
    assert_committed(&wait_included(&fourth, hash, Duration::from_secs(20)).await?);

    tracing_phase("--- the admin removes it again");
    let remove = admin.sign(chain, Payload::RemoveValidator { key: key.public() });
    let hash = cluster.client(0).submit(remove).await?;
    assert_committed(&wait_included(&cluster.client(0), hash, Duration::from_secs(20)).await?);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let leader: truffle_wire::chain::Health = cluster.net.health(0).await?;
        if !leader.voters.contains(&fourth_id) && leader.voters.len() == 3 {
            break;
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "still a voter: {leader:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let hash = cluster
        .client(1)
        .submit(registrar.sign(chain, register("after-removal")))
        .await?;
    assert_committed(&wait_included(&cluster.client(1), hash, Duration::from_secs(20)).await?);
    drop(process);
    Ok(())
}

/// The leader fills blocks to the genesis byte budget: a burst of registrations several
/// times one block's budget commits in several blocks, each proposal within it (every
/// node would skip a larger one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_keep_to_the_genesis_byte_budget() -> anyhow::Result<()> {
    // The least budget a genesis may set: one transaction of the largest size.
    let budget = truffle_ledger::limits::MAX_TRANSACTION_BYTES as u64 + 1024;
    let cluster = Cluster::start(TestnetOptions {
        extra_args: vec!["--mempool.per-signer".into(), "100000".into()],
        params: truffle_ledger::types::ChainParams {
            max_block_bytes: Some(budget),
            ..Default::default()
        },
        ..TestnetOptions::default()
    })
    .await?;
    let chain = cluster.chain_id();
    let client = cluster.client(0);
    let mut registrar = Wallet::new(&client, cluster.net.key(0).clone()).await?;
    let mut submitted = Vec::new();
    let mut total = 0u64;
    for i in 0..2_000 {
        let tx = registrar.sign(chain, register(&format!("budget-{i}")));
        total += tx.len() as u64 / 2;
        submitted.push(client.submit(tx).await?);
    }
    assert!(
        total > 2 * budget,
        "{total} bytes take more than two blocks"
    );
    for hash in &submitted {
        assert_committed(&wait_included(&client, *hash, Duration::from_secs(60)).await?);
    }
    let head = client.get_header(None).await?.header.height;
    let mut carrying = 0;
    for h in 1..=head {
        let block = client.get_block(Some(h)).await?;
        let proposal = truffle_ledger::BlockProposal {
            proposer: block.header.header.proposer,
            time_ms: block.header.header.time_ms,
            transactions: block
                .transactions
                .iter()
                .map(|t| {
                    truffle_ledger::SignedTransaction::decode(&hex::decode(&t.encoded).unwrap())
                        .unwrap()
                })
                .collect(),
        };
        let bytes = borsh::object_length(&proposal)? as u64;
        anyhow::ensure!(bytes <= budget, "block {h}: {bytes} bytes over {budget}");
        carrying += usize::from(!proposal.transactions.is_empty());
    }
    anyhow::ensure!(carrying >= 3, "{carrying} blocks carried the burst");
    Ok(())
}
