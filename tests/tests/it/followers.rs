//! Follower nodes (issue 22): a seller's own full node that syncs certified blocks from
//! four real validators, checks and executes them itself, serves reads, forwards
//! writes, refuses a lying validator's forged certificates, and is cut off when an
//! admin revokes its key.

use std::path::Path;
use std::time::{Duration, Instant};

use truffle_ledger::types::Role;
use truffle_ledger::{Keypair, Payload};
use truffle_testnet::{truffle_binary, NodeProcess, Testnet, TestnetOptions};
use truffle_tests::{client, wait_included, Wallet};
use truffle_wire::api::{AccountApiClient, ChainApiClient, SystemApiClient, TxApiClient};
use truffle_wire::chain::TxStatus;

fn register(member: &str) -> Payload {
    Payload::RegisterAccount {
        account: Keypair::from_name(member).public(),
        role: Role::Member,
        adult: true,
    }
}

fn options() -> TestnetOptions {
    TestnetOptions {
        nodes: 4,
        // Snapshots early, so that an empty follower catches up by one.
        snapshot_every_entries: Some(10),
        ..TestnetOptions::default()
    }
}

/// Waits until validator `index` holds a snapshot.
async fn wait_snapshot(net: &Testnet, index: usize) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let health = net.client(index).health().await?;
        if !health["snapshot_index"].is_null() {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "no snapshot: {health}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Starts a follower node with `key` in `dir`, syncing from the testnet's validators.
fn start_follower(net: &Testnet, dir: &Path, key: &Keypair) -> anyhow::Result<NodeProcess> {
    std::fs::create_dir_all(dir)?;
    let key_file = dir.join("key.json");
    if !key_file.exists() {
        truffle_wire::keyfile::write_key_file(&key_file, key)?;
    }
    let args: Vec<String> = [
        "node",
        "run",
        "--role",
        "follower",
        "--chain",
        &net.genesis_path().display().to_string(),
        "--key-file",
        &key_file.display().to_string(),
        "--data-dir",
        &dir.join("data").display().to_string(),
        "--rpc.listen",
        "127.0.0.1:0",
        "--follower.validator-rpc",
        &net.rpc_url(0),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    Ok(NodeProcess::start(
        &truffle_binary()?,
        &args,
        &dir.join("node.log"),
        Duration::from_secs(60),
    )?)
}

/// An admin transaction through validator `via`, waited for.
async fn admin_tx(net: &Testnet, via: usize, payload: Payload) -> anyhow::Result<TxStatus> {
    let rpc = net.client(via);
    let mut admin = Wallet::new(&rpc, net.admin.clone()).await?;
    let hash = rpc
        .submit(admin.sign(net.genesis.chain_id(), payload))
        .await?;
    let status = wait_included(&rpc, hash, Duration::from_secs(30)).await?;
    anyhow::ensure!(
        matches!(status, TxStatus::Committed { .. }),
        "admin transaction not applied: {status:?}"
    );
    Ok(status)
}

/// Registers `count` members named `<prefix>-<i>` through validator `via`, each waited
/// for before the next (one block each, so that the Raft logs grow by as many entries).
async fn register_in_blocks_of_one(
    net: &Testnet,
    via: usize,
    prefix: &str,
    count: usize,
) -> anyhow::Result<()> {
    let chain = net.genesis.chain_id();
    let mut operator = Wallet::new(&net.client(via), net.key(via).clone()).await?;
    for i in 0..count {
        let status = net
            .client(via)
            .submit_and_wait(
                operator.sign(chain, register(&format!("{prefix}-{i}"))),
                Some(30_000),
            )
            .await?;
        anyhow::ensure!(
            matches!(status, TxStatus::Committed { .. }),
            "{prefix}-{i}: {status:?}"
        );
    }
    Ok(())
}

/// A new follower key, allowed by the admin through validator `via`.
async fn allow_new_follower(net: &Testnet, via: usize) -> anyhow::Result<Keypair> {
    let key = Keypair::generate();
    admin_tx(
        net,
        via,
        Payload::SetFollower {
            key: key.public(),
            allowed: true,
        },
    )
    .await?;
    Ok(key)
}

/// Waits until the follower holds the validator's header at the validator's height
/// (same hash, so the same state root); returns that height.
async fn wait_same_head(
    validator: &jsonrpsee_http_client::HttpClient,
    follower: &jsonrpsee_http_client::HttpClient,
    timeout: Duration,
) -> anyhow::Result<u64> {
    let deadline = Instant::now() + timeout;
    loop {
        let theirs = validator.get_header(None).await?;
        if let Ok(ours) = follower.get_header(Some(theirs.header.height)).await {
            if ours == theirs {
                return Ok(theirs.header.height);
            }
            anyhow::bail!(
                "the follower holds another header at {}: {ours:?} vs {theirs:?}",
                theirs.header.height
            );
        }
        if Instant::now() > deadline {
            let ours = follower.get_header(None).await?;
            anyhow::bail!(
                "the follower is at {} after {timeout:?}; the validator at {}",
                ours.header.height,
                theirs.header.height
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// From empty, a follower catches up and holds the validators' state root at their
/// height; a registration sent to it is forwarded and reported with its block; it
/// keeps serving reads while the validators lose their leader, and after its own
/// restart it goes on from where it was; member operations name a validator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_catches_up_forwards_and_keeps_serving() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut net = Testnet::create(&dir.path().join("net"), &options())?;
    net.start_all()?;
    let all = [0, 1, 2, 3];
    let leader = net.wait_for_leader(&all, Duration::from_secs(30)).await?;
    let chain = net.genesis.chain_id();

    eprintln!("--- blocks before the follower exists; the admin allows its key");
    // One block each, so that the validators' logs reach a snapshot.
    register_in_blocks_of_one(&net, leader, "early", 20).await?;
    let follower_key = allow_new_follower(&net, leader).await?;

    for index in all {
        wait_snapshot(&net, index).await?;
    }

    eprintln!(
        "--- the follower starts empty, takes a checked snapshot and reaches the validators' head"
    );
    let follower_dir = dir.path().join("follower");
    let mut follower = start_follower(&net, &follower_dir, &follower_key)?;
    let rpc = client(&follower.rpc_url)?;
    let height = wait_same_head(&net.client(leader), &rpc, Duration::from_secs(60)).await?;
    assert!(height >= 2, "the chain has blocks: {height}");
    let log = std::fs::read_to_string(follower_dir.join("node.log"))?;
    assert!(log.contains("caught up by snapshot"), "it took a snapshot");
    let health = rpc.health().await?;
    assert_eq!(health["role"], "replica", "{health}");
    // Its own read models: an account registered before it existed.
    let early = AccountApiClient::get(&rpc, Keypair::from_name("early-19").public()).await?;
    assert_eq!(early.key, Keypair::from_name("early-19").public());

    eprintln!("--- a registration sent to the follower is forwarded and reported with its block");
    let mut operator = Wallet::new(&rpc, net.key(leader).clone()).await?;
    let status = rpc
        .submit_and_wait(operator.sign(chain, register("via-follower")), Some(30_000))
        .await?;
    let TxStatus::Committed { height, .. } = status else {
        anyhow::bail!("not committed through the follower: {status:?}");
    };
    let on_validator = net.client(leader).get_header(Some(height)).await?;
    assert_eq!(rpc.get_header(Some(height)).await?, on_validator);

    eprintln!("--- member operations name a validator");
    let refused = rpc.me("ab".repeat(32)).await.unwrap_err();
    assert!(
        refused.to_string().contains(&net.rpc_url(0)),
        "the refusal names a validator: {refused}"
    );

    eprintln!("--- the leader dies: the follower keeps serving reads, then follows the new leader");
    net.kill(leader)?;
    let others: Vec<usize> = all.iter().copied().filter(|i| *i != leader).collect();
    let reads_from = Instant::now();
    while reads_from.elapsed() < Duration::from_secs(2) {
        rpc.get_header(None).await?;
        AccountApiClient::get(&rpc, Keypair::from_name("via-follower").public()).await?;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let new_leader = net
        .wait_for_leader(&others, Duration::from_secs(30))
        .await?;
    let mut operator = Wallet::new(&rpc, net.key(new_leader).clone()).await?;
    let status = rpc
        .submit_and_wait(
            operator.sign(chain, register("after-failover")),
            Some(30_000),
        )
        .await?;
    assert!(matches!(status, TxStatus::Committed { .. }), "{status:?}");
    wait_same_head(&net.client(new_leader), &rpc, Duration::from_secs(30)).await?;

    eprintln!("--- the follower restarts and goes on from its own state");
    let before = rpc.get_header(None).await?.header.height;
    follower.terminate(Duration::from_secs(20));
    let mut operator = Wallet::new(&net.client(new_leader), net.key(new_leader).clone()).await?;
    for i in 0..5 {
        net.client(new_leader)
            .submit(operator.sign(chain, register(&format!("while-down-{i}"))))
            .await?;
    }
    let mut follower = start_follower(&net, &follower_dir, &follower_key)?;
    let rpc = client(&follower.rpc_url)?;
    let after = wait_same_head(&net.client(new_leader), &rpc, Duration::from_secs(60)).await?;
    assert!(after > before, "{after} > {before}");
    AccountApiClient::get(&rpc, Keypair::from_name("while-down-4").public()).await?;
    follower.terminate(Duration::from_secs(20));
    net.down()?;
    Ok(())
}

/// A validator that serves followers forged certificates (fault injection) is caught:
/// the follower refuses its blocks and syncs from the others; then the admin revokes
/// the follower's key and the validators stop serving it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_refuses_forged_certificates_and_is_cut_off_when_revoked() -> anyhow::Result<()>
{
    let dir = tempfile::tempdir()?;
    let mut net = Testnet::create(&dir.path().join("net"), &options())?;
    // The follower asks the validators in key order: the first one lies.
    let liar = (0..4)
        .min_by_key(|i| net.nodes[*i].key)
        .expect("four validators");
    net.add_args(liar, &["--fault.forge-follower-certificates"])?;
    net.start_all()?;
    let all = [0, 1, 2, 3];
    let leader = net.wait_for_leader(&all, Duration::from_secs(30)).await?;
    let chain = net.genesis.chain_id();
    let follower_key = allow_new_follower(&net, leader).await?;

    eprintln!("--- the follower refuses the liar's blocks and syncs from the others");
    let follower_dir = dir.path().join("follower");
    let mut follower = start_follower(&net, &follower_dir, &follower_key)?;
    let rpc = client(&follower.rpc_url)?;
    let honest = (liar + 1) % 4;
    // A trickle of registrations, so that the follower, asking the validators in turn,
    // asks the liar for blocks it lacks (bounded: 300 rounds, 60 s).
    let mut operator = Wallet::new(&net.client(leader), net.key(leader).clone()).await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    for round in 0.. {
        let log = std::fs::read_to_string(follower_dir.join("node.log")).unwrap_or_default();
        if log.contains("bad certificate") && log.contains("block refused") {
            break;
        }
        anyhow::ensure!(
            round < 300 && Instant::now() < deadline,
            "the follower never logged the forged certificate; its log:\n{log}"
        );
        net.client(leader)
            .submit(operator.sign(chain, register(&format!("during-sync-{round}"))))
            .await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    wait_same_head(&net.client(leader), &rpc, Duration::from_secs(60)).await?;
    // Every block it holds carries a certificate that checks against the genesis set.
    let validators: std::collections::BTreeSet<_> =
        net.genesis.validators.iter().map(|v| v.key).collect();
    let head = rpc.get_header(None).await?.header.height;
    for height in 1..=head {
        let header = rpc.get_header(Some(height)).await?;
        rpc.get_certificate(height)
            .await?
            .verify(&header.header, &validators)
            .map_err(|e| anyhow::anyhow!("height {height}: {e}"))?;
    }

    eprintln!("--- revoked: the validators stop serving it while the chain goes on");
    admin_tx(
        &net,
        honest,
        Payload::SetFollower {
            key: follower_key.public(),
            allowed: false,
        },
    )
    .await?;
    // The revocation's block may still reach it; nothing after.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let frozen = rpc.get_header(None).await?.header.height;
    let mut operator = Wallet::new(&net.client(honest), net.key(honest).clone()).await?;
    for i in 0..5 {
        let hash = net
            .client(honest)
            .submit(operator.sign(chain, register(&format!("after-revoke-{i}"))))
            .await?;
        wait_included(&net.client(honest), hash, Duration::from_secs(30)).await?;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let validator_head = net.client(honest).get_header(None).await?.header.height;
    let follower_head = rpc.get_header(None).await?.header.height;
    assert!(
        validator_head > frozen && follower_head == frozen,
        "the revoked follower stayed at {frozen} (now {follower_head}) while the chain reached {validator_head}"
    );
    follower.terminate(Duration::from_secs(20));
    net.down()?;
    Ok(())
}

/// Runs the `truffle` binary and returns its standard output, failing on a bad exit.
/// A validator that serves followers a forged snapshot (one state record changed, the
/// checksum made to match: fault injection) is caught: the empty follower refuses it
/// for its state root and, the honest validators having no snapshot yet, replays the
/// certified blocks from the genesis to the validators' header and state. Then an
/// import cut short by a crash: the follower starts over from empty by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_refuses_a_forged_snapshot_and_recovers_from_an_interrupted_import(
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    // Only the liar makes snapshots early, so the follower cannot pass it by for an
    // honest one that connected first.
    let mut net = Testnet::create(
        &dir.path().join("net"),
        &TestnetOptions {
            nodes: 4,
            ..TestnetOptions::default()
        },
    )?;
    let liar = 1;
    net.add_args(
        liar,
        &[
            "--fault.forge-follower-snapshot",
            "--snapshot.every-entries",
            "10",
        ],
    )?;
    net.start_all()?;
    let all = [0, 1, 2, 3];
    let leader = net.wait_for_leader(&all, Duration::from_secs(30)).await?;
    // One block each, so that the liar's log reaches a snapshot.
    register_in_blocks_of_one(&net, leader, "before", 20).await?;
    wait_snapshot(&net, liar).await?;
    let follower_key = allow_new_follower(&net, leader).await?;

    let follower_dir = dir.path().join("follower");
    let mut follower = start_follower(&net, &follower_dir, &follower_key)?;
    let rpc = client(&follower.rpc_url)?;
    wait_same_head(&net.client(leader), &rpc, Duration::from_secs(60)).await?;
    let log = std::fs::read_to_string(follower_dir.join("node.log"))?;
    let liar_key = net.nodes[liar].key.to_string();
    // Just after start the liar may be unreachable (logged the same way): look for
    // the refusal of what it served.
    assert!(
        log.lines().any(|l| l.contains("snapshot not taken")
            && l.contains(&liar_key)
            && l.contains("state root")),
        "the liar's snapshot was not refused for its state root; the log:\n{log}"
    );
    assert!(
        !log.contains("caught up by snapshot"),
        "only the liar had a snapshot:\n{log}"
    );
    // The state it serves is the validators': an account registered before the snapshot.
    let member = Keypair::from_name("before-7").public();
    assert_eq!(
        AccountApiClient::get(&rpc, member).await?,
        AccountApiClient::get(&net.client(leader), member).await?
    );

    eprintln!("--- a snapshot import cut short: the follower starts over from empty");
    follower.terminate(Duration::from_secs(20));
    {
        // What a crash right after the import's wipe leaves: the replicated data gone,
        // the mark set, the download lost.
        let store = truffle_store::Store::open(&follower_dir.join("data/db"))?;
        let snapshot = dir.path().join("follower-export.snap");
        store.export_snapshot_to(std::fs::File::create(&snapshot)?)?;
        let prepared = store.prepare_snapshot_import(&snapshot)?;
        assert!(store
            .apply_snapshot_import(prepared, &dir.path().join("gone.snap"))
            .is_err());
        assert!(store.snapshot_import_pending()?);
    }
    let mut follower = start_follower(&net, &follower_dir, &follower_key)?;
    let rpc = client(&follower.rpc_url)?;
    wait_same_head(&net.client(leader), &rpc, Duration::from_secs(60)).await?;
    let log = std::fs::read_to_string(follower_dir.join("node.log"))?;
    assert!(
        log.contains("interrupted snapshot import: starting over"),
        "{log}"
    );
    assert_eq!(
        AccountApiClient::get(&rpc, member).await?,
        AccountApiClient::get(&net.client(leader), member).await?
    );
    follower.terminate(Duration::from_secs(20));
    net.down()?;
    Ok(())
}

fn truffle(args: &[&str]) -> anyhow::Result<String> {
    let output = std::process::Command::new(truffle_binary()?)
        .args(args)
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "truffle {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `truffle testnet up --validators 4 --followers 2`: the followers sync; a seller
/// registers a product through a follower with `truffle product register`, and
/// `truffle verify item` checks it against the genesis from the follower's proofs;
/// `status`, `kill` and `restart` act on a follower like on a validator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn testnet_with_followers_registers_and_verifies_through_a_follower() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let net_dir = dir.path().join("net");
    let net_path = net_dir.display().to_string();
    let up = truffle(&[
        "testnet",
        "up",
        "--validators",
        "4",
        "--followers",
        "2",
        "--dir",
        &net_path,
    ]);
    let net = Testnet::load(&net_dir)?;
    // Whatever happens next, the processes `up` left running stop with the test.
    struct Down(std::path::PathBuf);
    impl Drop for Down {
        fn drop(&mut self) {
            if let Ok(mut net) = Testnet::load(&self.0) {
                let _ = net.down();
            }
        }
    }
    let _down = Down(net_dir.clone());
    up?;
    assert_eq!(net.followers(), vec![4, 5]);
    let follower = 4;
    let rpc = net.client(follower);
    wait_same_head(&net.client(0), &rpc, Duration::from_secs(60)).await?;
    let status = truffle(&["testnet", "status", "--dir", &net_path, "--output", "json"])?;
    let rows: Vec<serde_json::Value> = serde_json::from_str(&status)?;
    let replicas = rows.iter().filter(|r| r["role"] == "replica").count();
    assert_eq!(replicas, 2, "{status}");

    eprintln!("--- a seller, approved on the ledger, registers through the follower");
    let chain = net.genesis.chain_id();
    let seller = Keypair::generate();
    let mut operator = Wallet::new(&rpc, net.key(0).clone()).await?;
    let mut admin = Wallet::new(&rpc, net.admin.clone()).await?;
    let mut shop = Wallet {
        key: seller.clone(),
        nonce: 0,
    };
    for signed in [
        operator.sign(
            chain,
            Payload::RegisterAccount {
                account: seller.public(),
                role: Role::Member,
                adult: true,
            },
        ),
        shop.sign(
            chain,
            Payload::ApplySeller {
                shop_name: "Follower Shop".into(),
            },
        ),
        admin.sign(
            chain,
            Payload::ApproveSeller {
                account: seller.public(),
            },
        ),
    ] {
        let status = rpc.submit_and_wait(signed, Some(30_000)).await?;
        assert!(matches!(status, TxStatus::Committed { .. }), "{status:?}");
    }
    let files = dir.path();
    truffle_wire::keyfile::write_key_file(&files.join("seller.json"), &seller)?;
    std::fs::write(
        files.join("product.json"),
        serde_json::json!({
            "brand": "Follower Labs", "model": "FL-1", "name_ko": "팔로워 스니커즈",
            "name_en": "Follower Sneaker", "category": "sneakers", "release_date": "2026-12-01",
            "price": 99_000, "description": "", "images": [], "serials": ["FL-1-0001"],
            "list_for_sale": false
        })
        .to_string(),
    )?;
    let follower_url = net.rpc_url(follower);
    truffle(&[
        "product",
        "register",
        &files.join("product.json").display().to_string(),
        "--key",
        &files.join("seller.json").display().to_string(),
        "--rpc",
        &follower_url,
    ])?;

    eprintln!("--- `truffle verify item` against the follower");
    let genesis = net.genesis_path().display().to_string();
    let audit = files.join("audit").display().to_string();
    // Exit 0 only when every check passes from the genesis.
    truffle(&[
        "verify",
        "item",
        "1",
        "--genesis",
        &genesis,
        "--rpc",
        &follower_url,
        "--audit-dir",
        &audit,
    ])?;

    eprintln!("--- kill and restart a follower through the testnet commands");
    truffle(&["testnet", "kill", "--dir", &net_path, &follower.to_string()])?;
    truffle(&[
        "testnet",
        "restart",
        "--dir",
        &net_path,
        &follower.to_string(),
    ])?;
    wait_same_head(
        &net.client(0),
        &net.client(follower),
        Duration::from_secs(60),
    )
    .await?;
    truffle(&["testnet", "down", "--dir", &net_path])?;
    Ok(())
}

/// Votes lost: with three validators (quorum three), one that signs nothing (fault
/// injection) leaves the blocks it applies uncertified, and a follower stops below
/// them. Once it signs again it votes again on those heights: each gets its
/// certificate on every validator, the gap under later certified heights too, and the
/// follower catches up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heights_left_uncertified_by_lost_votes_are_certified_later() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut net = Testnet::create(&dir.path().join("net"), &TestnetOptions::default())?;
    net.start_all()?;
    let all = [0, 1, 2];
    let leader = net.wait_for_leader(&all, Duration::from_secs(30)).await?;
    let follower_key = allow_new_follower(&net, leader).await?;
    let follower_dir = dir.path().join("follower");
    let follower = start_follower(&net, &follower_dir, &follower_key)?;
    let rpc = client(&follower.rpc_url)?;
    wait_same_head(&net.client(leader), &rpc, Duration::from_secs(60)).await?;

    eprintln!("--- one validator signs nothing: the blocks stay uncertified");
    let quiet = (leader + 1) % 3;
    net.client(quiet).withhold_votes(true).await?;
    let before = net.client(leader).get_header(None).await?.header.height;
    register_in_blocks_of_one(&net, leader, "unvoted", 3).await?;
    let head = net.client(leader).get_header(None).await?.header.height;
    anyhow::ensure!(head >= before + 3, "three blocks: {before} -> {head}");
    for height in before + 1..=head {
        anyhow::ensure!(
            net.client(leader).get_certificate(height).await.is_err(),
            "height {height} certified without the quiet validator's vote"
        );
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let stuck = rpc.get_header(None).await?.header.height;
    anyhow::ensure!(
        stuck <= before,
        "the follower applied uncertified blocks: at {stuck}, the gap begins at {}",
        before + 1
    );

    eprintln!("--- it signs again: every height gets its certificate, the follower catches up");
    net.client(quiet).withhold_votes(false).await?;
    register_in_blocks_of_one(&net, leader, "voted", 1).await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    for validator in all {
        for height in 1..=head {
            while net.client(validator).get_certificate(height).await.is_err() {
                anyhow::ensure!(
                    Instant::now() < deadline,
                    "validator {validator} has no certificate of height {height} after 30 s"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    let caught_up = wait_same_head(&net.client(leader), &rpc, Duration::from_secs(60)).await?;
    anyhow::ensure!(
        caught_up > head,
        "the follower reached {caught_up}, not past {head}"
    );
    drop(follower);
    Ok(())
}
