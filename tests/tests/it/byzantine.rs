//! Lying validators, with real processes (issue 18): a validator that signs two headers
//! at every height (fault injection, `system_equivocate`) is caught by every honest
//! node, and certificates never conflict; an auditor that remembers certified headers
//! reports a conflicting one as a fork, with evidence anyone can check offline.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use truffle_ledger::certificate::vote;
use truffle_ledger::types::Role;
use truffle_ledger::{Certificate, Evidence, Hash, Keypair, Payload, PublicKey};
use truffle_testnet::{truffle_binary, TestnetOptions};
use truffle_tests::{wait_included, Cluster, Wallet};
use truffle_wire::api::{ChainApiClient, SystemApiClient, TxApiClient};

fn register(member: &str) -> Payload {
    Payload::RegisterAccount {
        account: Keypair::from_name(member).public(),
        role: Role::Member,
        adult: true,
    }
}

/// Runs `truffle ARGS`; returns (exit code, stdout, stderr).
async fn truffle(args: &[&str]) -> anyhow::Result<(i32, String, String)> {
    let output = tokio::process::Command::new(truffle_binary()?)
        .args(args)
        .output()
        .await
        .context("running truffle")?;
    Ok((
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ))
}

/// Commits `count` registrations through node 0 (so blocks happen).
async fn commit_some(cluster: &Cluster, tag: &str, count: usize) -> anyhow::Result<()> {
    let chain = cluster.chain_id();
    let client = cluster.client(0);
    let mut wallet = Wallet::new(&client, cluster.net.key(0).clone()).await?;
    let mut hashes = Vec::new();
    for i in 0..count {
        let tx = wallet.sign(chain, register(&format!("{tag}-{i}")));
        hashes.push(client.submit(tx).await?);
        // One block each, or nearly: more heights to equivocate at.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for hash in hashes {
        wait_included(&client, hash, Duration::from_secs(30)).await?;
    }
    Ok(())
}

/// One validator of four signs two headers at every height and sends each to different
/// peers: the honest three still certify (3 of 4), no two certificates of one height
/// differ on any node, and every honest node ends up holding the evidence — served over
/// JSON-RPC, counted in `/metrics`, and checked offline by `truffle verify evidence`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_equivocating_validator_is_caught_by_every_honest_node() -> anyhow::Result<()> {
    let cluster = Cluster::start(TestnetOptions {
        nodes: 4,
        ..TestnetOptions::default()
    })
    .await?;
    let liar = 3;
    let liar_key = cluster.net.key(liar).public();
    let honest = [0, 1, 2];
    let validators: BTreeSet<PublicKey> = cluster
        .net
        .genesis
        .validators
        .iter()
        .map(|v| v.key)
        .collect();

    eprintln!("--- node {liar} starts equivocating");
    cluster.client(liar).equivocate(true).await?;
    commit_some(&cluster, "equivocation", 10).await?;

    eprintln!("--- every honest node holds evidence against node {liar}, and only it");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut held: BTreeMap<usize, Vec<Evidence>> = BTreeMap::new();
    for index in honest {
        loop {
            let records = cluster.client(index).get_evidence(None, None).await?;
            if !records.is_empty() {
                for record in &records {
                    ensure!(
                        record.validator == liar_key,
                        "node {index} accuses {} (an honest validator)",
                        record.validator
                    );
                    record
                        .check(&cluster.chain_id(), &validators)
                        .map_err(|e| {
                            anyhow::anyhow!("node {index}'s record does not check: {e}")
                        })?;
                }
                held.insert(index, records);
                break;
            }
            if Instant::now() > deadline {
                bail!("node {index} holds no evidence after 60 s");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    eprintln!("--- /metrics counts it");
    let http = reqwest::Client::new();
    let metrics = http
        .get(format!("{}/metrics", cluster.net.rpc_url(0)))
        .send()
        .await?
        .text()
        .await?;
    let records = metrics
        .lines()
        .find_map(|line| line.strip_prefix("truffle_evidence_records "))
        .context("no truffle_evidence_records in /metrics")?;
    ensure!(
        records.trim().parse::<f64>()? >= 1.0,
        "evidence_records = {records}"
    );

    eprintln!("--- no two certificates of one height differ, on any node");
    cluster.client(liar).equivocate(false).await?;
    let height = cluster
        .wait_converged(&[0, 1, 2, 3], Duration::from_secs(30))
        .await?;
    let mut certified: BTreeMap<u64, Hash> = BTreeMap::new();
    for index in 0..4 {
        for h in 1..=height {
            let Ok(certificate) = cluster.client(index).get_certificate(h).await else {
                continue;
            };
            let header = cluster.client(index).get_header(Some(h)).await?.header;
            certificate
                .verify(&header, &validators)
                .map_err(|e| anyhow::anyhow!("node {index} block {h}: {e}"))?;
            let hash = *certified.entry(h).or_insert(certificate.header_hash);
            ensure!(
                hash == certificate.header_hash,
                "two certificates at height {h}: {hash} and {}",
                certificate.header_hash
            );
        }
    }
    ensure!(
        certified.len() as u64 >= height / 2,
        "the honest three kept certifying: {} of {height} heights certified",
        certified.len()
    );

    eprintln!("--- truffle verify evidence checks the served records offline");
    let file = cluster.dir.path().join("evidence.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&held[&0])?)?;
    let genesis = cluster.net.genesis_path();
    let (code, stdout, stderr) = truffle(&[
        "verify",
        "evidence",
        file.to_str().unwrap(),
        "--genesis",
        genesis.to_str().unwrap(),
    ])
    .await?;
    ensure!(code == 0, "verify evidence exited {code}: {stdout}{stderr}");
    ensure!(stdout.contains("EQUIVOCATION"), "{stdout}");
    ensure!(stdout.contains(&liar_key.to_string()), "{stdout}");

    // A record turned against an honest validator is refused.
    let mut framed = held[&0][0].clone();
    framed.validator = cluster.net.key(0).public();
    std::fs::write(&file, serde_json::to_vec_pretty(&framed)?)?;
    let (code, stdout, _) = truffle(&[
        "verify",
        "evidence",
        file.to_str().unwrap(),
        "--genesis",
        genesis.to_str().unwrap(),
    ])
    .await?;
    ensure!(code == 1, "a framed record must be refused: {stdout}");
    ensure!(stdout.contains("NOT EVIDENCE"), "{stdout}");
    Ok(())
}

/// The auditor remembers: `truffle verify chain` keeps the certified header it checked;
/// asked again, two honest nodes agree with it; when the remembered header and the
/// nodes' differ, both certified (here the forged one is signed with the three
/// validators' keys: with three validators the quorum is all three, so two colluders
/// alone cannot certify a fork), it is a fork: exit 3 and the evidence in a file that
/// `truffle verify evidence` accepts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_reports_a_conflicting_certified_header_as_a_fork() -> anyhow::Result<()> {
    let cluster = Cluster::start(TestnetOptions::default()).await?;
    commit_some(&cluster, "audit", 3).await?;
    // A height every node holds with its certificate.
    let target = loop {
        let head = cluster.client(0).get_header(None).await?.header.height;
        let mut all = true;
        for index in 0..3 {
            all &= cluster.client(index).get_certificate(head).await.is_ok();
        }
        if all {
            break head;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let audit = cluster.dir.path().join("audit");
    let genesis = cluster.net.genesis_path();
    let (url0, url1) = (cluster.net.rpc_url(0), cluster.net.rpc_url(1));
    let target_text = target.to_string();
    let verify = |extra: Vec<String>| {
        let mut args = vec![
            "verify".to_owned(),
            "chain".into(),
            "--genesis".into(),
            genesis.display().to_string(),
            "--rpc".into(),
            url0.clone(),
            "--rpc".into(),
            url1.clone(),
            "--audit-dir".into(),
            audit.display().to_string(),
            "--to-height".into(),
            target_text.clone(),
        ];
        args.extend(extra);
        args
    };

    eprintln!("--- two honest nodes agree; the header is remembered");
    let args = verify(vec![]);
    let (code, stdout, stderr) =
        truffle(&args.iter().map(String::as_str).collect::<Vec<_>>()).await?;
    ensure!(code == 0, "exit {code}: {stdout}{stderr}");
    ensure!(stdout.contains("2 node(s) compared"), "{stdout}");
    let remembered = audit
        .join(cluster.chain_id().to_string())
        .join("headers")
        .join(format!("{target:012}.json"));
    ensure!(remembered.exists(), "{} not written", remembered.display());

    eprintln!("--- a conflicting certified header was seen before: a fork");
    let mut stored: serde_json::Value = serde_json::from_slice(&std::fs::read(&remembered)?)?;
    let mut forged: truffle_ledger::BlockHeader = serde_json::from_value(stored["header"].clone())?;
    forged.state_root = Hash::of(b"another state");
    let set: BTreeSet<PublicKey> = (0..3).map(|i| cluster.net.key(i).public()).collect();
    let certificate = Certificate::from_votes(
        &forged,
        &set,
        (0..3).map(|i| vote(cluster.net.key(i), &forged)),
    );
    stored["header"] = serde_json::to_value(&forged)?;
    stored["certificate"] = serde_json::to_value(&certificate)?;
    stored["source"] = serde_json::json!("a lying node");
    std::fs::write(&remembered, serde_json::to_vec_pretty(&stored)?)?;
    let evidence_file = cluster.dir.path().join("fork.json");
    let args = verify(vec![
        "--fork-evidence".into(),
        evidence_file.display().to_string(),
    ]);
    let (code, stdout, stderr) =
        truffle(&args.iter().map(String::as_str).collect::<Vec<_>>()).await?;
    ensure!(code == 3, "a fork exits 3, got {code}: {stdout}{stderr}");
    ensure!(stdout.contains("FORK"), "{stdout}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&evidence_file)?)?;
    let records: Vec<Evidence> = serde_json::from_value(report["evidence"].clone())?;
    ensure!(records.len() == 3, "all three signed both: {records:?}");
    for record in &records {
        record
            .check(&cluster.chain_id(), &set)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let (code, stdout, stderr) = truffle(&[
        "verify",
        "evidence",
        evidence_file.to_str().unwrap(),
        "--genesis",
        genesis.to_str().unwrap(),
    ])
    .await?;
    ensure!(code == 0, "exit {code}: {stdout}{stderr}");
    ensure!(stdout.matches("EQUIVOCATION").count() == 3, "{stdout}");
    Ok(())
}
