//! Backups and restores through the real CLI: an online backup of a live follower,
//! a restore into its wiped data folder, and the node rejoining with every commit.

use std::path::Path;
use std::time::Duration;

use truffle_ledger::types::Role;
use truffle_ledger::{Hash, Keypair, Payload, SignedTransaction};
use truffle_testnet::TestnetOptions;
use truffle_tests::{wait_included, Cluster, Wallet};
use truffle_wire::api::TxApiClient;
use truffle_wire::chain::TxStatus;
use truffle_wire::system::BackupManifest;

fn register(member: &str) -> Payload {
    Payload::RegisterAccount {
        account: Keypair::from_name(member).public(),
        role: Role::Member,
        adult: true,
    }
}

fn hash_of(tx_hex: &str) -> anyhow::Result<Hash> {
    Ok(SignedTransaction::decode(&hex::decode(tx_hex)?)?.hash())
}

/// Runs `truffle args...` (bounded); returns (success, stdout, stderr).
async fn truffle(args: &[&str]) -> anyhow::Result<(bool, String, String)> {
    let binary = truffle_testnet::truffle_binary()?;
    let output = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new(binary)
            .args(args)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .map_err(|_| anyhow::anyhow!("truffle {args:?} did not finish in 120 s"))??;
    Ok((
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ))
}

fn text(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// `count` transactions through node `via`, each waited for; returns their hashes.
async fn commit_some(
    cluster: &Cluster,
    via: usize,
    signer: usize,
    prefix: &str,
    count: usize,
) -> anyhow::Result<Vec<Hash>> {
    let client = cluster.client(via);
    let mut wallet = Wallet::new(&client, cluster.net.key(signer).clone()).await?;
    let chain = cluster.chain_id();
    let mut hashes = Vec::new();
    for n in 0..count {
        let tx = wallet.sign(chain, register(&format!("{prefix}-{n}")));
        let hash = hash_of(&tx)?;
        let status = client.submit_and_wait(tx, Some(20_000)).await?;
        anyhow::ensure!(
            matches!(status, TxStatus::Committed { .. }),
            "{prefix}-{n}: {status:?}"
        );
        hashes.push(hash);
    }
    Ok(hashes)
}

/// A follower is backed up online while the cluster commits, loses its data, is
/// restored from the backup and started: it rejoins, holds every transaction committed
/// before and after the backup, and the cluster goes on committing through it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_round_trip_on_a_live_cluster() -> anyhow::Result<()> {
    // Frequent snapshots, so the backup has one to carry.
    let options = TestnetOptions {
        snapshot_every_entries: Some(40),
        ..TestnetOptions::default()
    };
    let mut cluster = Cluster::start(options).await?;
    let all = [0usize, 1, 2];
    let leader = cluster
        .net
        .wait_for_leader(&all, Duration::from_secs(30))
        .await?;
    let follower = (leader + 1) % 3;
    let other = (leader + 2) % 3;

    eprintln!("--- commit before the backup (past a snapshot)");
    let mut before = commit_some(&cluster, leader, leader, "before-backup", 50).await?;

    eprintln!("--- back up node {follower} online while another client commits");
    let background = {
        let client = cluster.client(other);
        let mut wallet = Wallet::new(&client, cluster.net.key(other).clone()).await?;
        let chain = cluster.chain_id();
        tokio::spawn(async move {
            let mut hashes = Vec::new();
            for n in 0..20 {
                let tx = wallet.sign(chain, register(&format!("during-backup-{n}")));
                let hash = hash_of(&tx)?;
                let status = client.submit_and_wait(tx, Some(20_000)).await?;
                anyhow::ensure!(matches!(status, TxStatus::Committed { .. }), "{status:?}");
                hashes.push(hash);
            }
            anyhow::Ok(hashes)
        })
    };
    let backup_dir = cluster.dir.path().join("backups/follower");
    let data_dir = cluster.net.data_dir(follower);
    let (ok, stdout, stderr) = truffle(&[
        "node",
        "backup",
        "--to",
        text(&backup_dir),
        "--rpc",
        &cluster.net.rpc_url(follower),
        "--data-dir",
        text(&data_dir),
    ])
    .await?;
    anyhow::ensure!(ok, "backup failed: {stdout}{stderr}");
    eprintln!("{}", stdout.trim());
    let manifest: BackupManifest =
        serde_json::from_slice(&std::fs::read(backup_dir.join("manifest.json"))?)?;
    assert_eq!(manifest.node_key, cluster.net.key(follower).public());
    assert_eq!(manifest.chain_id, cluster.chain_id());
    assert_eq!(manifest.search_index, "rebuild");
    assert!(manifest.height > 0);
    assert!(
        !backup_dir.join("index").exists(),
        "the search index is not backed up"
    );
    if let Some(index) = manifest.snapshot_index {
        assert!(backup_dir.join("snapshots/current.snap").is_file());
        assert!(Some(index) <= manifest.applied_index);
    }
    eprintln!(
        "--- backup at height {} (snapshot {:?})",
        manifest.height, manifest.snapshot_index
    );
    before.extend(
        tokio::time::timeout(Duration::from_secs(120), background)
            .await
            .map_err(|_| anyhow::anyhow!("the background client did not finish"))???,
    );

    eprintln!("--- commit after the backup");
    let after = commit_some(&cluster, leader, leader, "after-backup", 30).await?;

    eprintln!("--- node {follower} dies and loses its data; restore it from the backup");
    cluster.net.kill(follower)?;
    std::fs::remove_dir_all(&data_dir)?;
    let key_file = cluster.net.dir().join(format!("node-{follower}/key.json"));
    let (ok, stdout, stderr) = truffle(&[
        "node",
        "restore",
        "--from",
        text(&backup_dir),
        "--data-dir",
        text(&data_dir),
        "--key-file",
        text(&key_file),
        "--chain",
        text(&cluster.net.genesis_path()),
    ])
    .await?;
    anyhow::ensure!(ok, "restore failed: {stdout}{stderr}");
    eprintln!("{}", stdout.trim());
    assert!(data_dir.join("db/CURRENT").is_file());

    eprintln!("--- node {follower} starts, rejoins and catches up");
    cluster.net.start(follower)?;
    cluster
        .net
        .wait_for_leader(&all, Duration::from_secs(30))
        .await?;
    let height = cluster
        .wait_converged(&all, Duration::from_secs(90))
        .await?;
    assert!(height > manifest.height, "caught up past the backup");
    cluster.assert_same_chain(&all, height).await?;
    let restored = cluster.client(follower);
    for hash in before.iter().chain(&after) {
        let status = restored.status(*hash).await?;
        assert!(
            matches!(status, TxStatus::Committed { .. }),
            "{hash} on the restored node: {status:?}"
        );
    }

    eprintln!("--- the cluster keeps committing, through the restored node too");
    let through = commit_some(&cluster, follower, follower, "after-restore", 3).await?;
    for hash in through {
        for index in all {
            let status =
                wait_included(&cluster.client(index), hash, Duration::from_secs(30)).await?;
            assert!(matches!(status, TxStatus::Committed { .. }), "{status:?}");
        }
    }
    let log = std::fs::read_to_string(cluster.net.log_path(follower))?;
    assert!(
        log.contains("search index is empty; building it from the ledger"),
        "the restored node rebuilt its search index"
    );
    // The restored member's log is shorter than the leader remembered: the leader must
    // search for the new matching point, not trip on it.
    for index in all {
        let log = std::fs::read_to_string(cluster.net.log_path(index))?;
        assert!(!log.contains("panicked"), "node {index} panicked");
    }
    Ok(())
}

/// The CLI refuses what would lose data: restoring into a data folder that holds data
/// without --force (nothing changes), or over a running node's database even with
/// --force; with the node stopped, --force moves the old data aside.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_to_overwrite_without_force() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let mut node = truffle_tests::start_dev(&data)?;
    truffle_tests::wait_for_leader_at(&node.rpc_url).await?;
    let backup = dir.path().join("backup");
    let (ok, stdout, stderr) = truffle(&[
        "node",
        "backup",
        "--to",
        text(&backup),
        "--rpc",
        &node.rpc_url,
        "--data-dir",
        text(&data),
    ])
    .await?;
    anyhow::ensure!(ok, "backup failed: {stdout}{stderr}");

    eprintln!("--- without the operator's token, no backup");
    let elsewhere = dir.path().join("elsewhere");
    let (ok, _, stderr) = truffle(&[
        "node",
        "backup",
        "--to",
        text(&elsewhere),
        "--rpc",
        &node.rpc_url,
    ])
    .await?;
    assert!(!ok);
    assert!(stderr.contains("operator's credentials"), "{stderr}");
    assert!(!elsewhere.exists());

    eprintln!("--- a backup into the data folder, or a relative one, is refused");
    let (ok, _, stderr) = truffle(&[
        "node",
        "backup",
        "--to",
        text(&data.join("inside")),
        "--rpc",
        &node.rpc_url,
        "--data-dir",
        text(&data),
    ])
    .await?;
    assert!(!ok);
    assert!(
        stderr.contains("overlaps the node's data folder"),
        "{stderr}"
    );
    assert!(!data.join("inside").exists());
    let (ok, _, stderr) = truffle(&[
        "node",
        "backup",
        "--to",
        "relative",
        "--rpc",
        &node.rpc_url,
        "--data-dir",
        text(&data),
    ])
    .await?;
    assert!(!ok);
    assert!(stderr.contains("absolute"), "{stderr}");

    eprintln!("--- a non-empty folder without --force: refused, untouched");
    let occupied = dir.path().join("occupied");
    std::fs::create_dir_all(&occupied)?;
    std::fs::write(occupied.join("keep.txt"), b"operator notes")?;
    let (ok, _, stderr) = truffle(&[
        "node",
        "restore",
        "--from",
        text(&backup),
        "--data-dir",
        text(&occupied),
    ])
    .await?;
    assert!(!ok, "restore into a non-empty folder must fail");
    assert!(
        stderr.contains("is not empty") && stderr.contains("--force"),
        "a clear message: {stderr}"
    );
    let entries: Vec<_> = std::fs::read_dir(&occupied)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<Result<_, _>>()?;
    assert_eq!(entries, vec![std::ffi::OsString::from("keep.txt")]);
    assert_eq!(std::fs::read(occupied.join("keep.txt"))?, b"operator notes");

    eprintln!("--- over a running node's database, even with --force: refused");
    let (ok, _, stderr) = truffle(&[
        "node",
        "restore",
        "--from",
        text(&backup),
        "--data-dir",
        text(&data),
        "--force",
    ])
    .await?;
    assert!(!ok);
    assert!(stderr.contains("in use"), "{stderr}");

    eprintln!("--- a backup of another node is refused");
    let stranger = dir.path().join("stranger.json");
    truffle_wire::keyfile::write_key_file(&stranger, &Keypair::generate())?;
    let (ok, _, stderr) = truffle(&[
        "node",
        "restore",
        "--from",
        text(&backup),
        "--data-dir",
        text(&dir.path().join("fresh")),
        "--key-file",
        text(&stranger),
    ])
    .await?;
    assert!(!ok);
    assert!(stderr.contains("taken from node"), "{stderr}");
    assert!(!dir.path().join("fresh").exists());

    eprintln!("--- stopped: --force moves the old data aside and restores");
    let status = node
        .terminate_with_status(Duration::from_secs(25))
        .ok_or_else(|| anyhow::anyhow!("the dev node did not stop"))?;
    assert!(status.success(), "{status}");
    let (ok, stdout, stderr) = truffle(&[
        "node",
        "restore",
        "--from",
        text(&backup),
        "--data-dir",
        text(&data),
        "--force",
    ])
    .await?;
    anyhow::ensure!(ok, "restore --force failed: {stdout}{stderr}");
    assert!(stdout.contains("moved aside"), "{stdout}");
    let aside: Vec<_> = std::fs::read_dir(dir.path())?
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("data.pre-restore-")
        })
        .collect();
    assert_eq!(aside.len(), 1, "the old data is kept");
    assert!(aside[0].path().join("db/CURRENT").is_file());
    assert!(data.join("db/CURRENT").is_file());
    Ok(())
}
