//! Block and vote rules a lying validator cannot bend, with real processes (issue 18):
//! a validator floods the others with votes for far-future heights, and a leader
//! proposes a block over the genesis byte budget and one dated beyond the allowed step.
//! Both go through fault injection (`system_sendFarFutureVotes`,
//! `system_proposeInvalidBlock`), from the lying node's own process.

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use truffle_ledger::types::{ChainParams, Role};
use truffle_ledger::{Keypair, Payload};
use truffle_testnet::TestnetOptions;
use truffle_tests::{wait_included, Cluster, Wallet};
use truffle_wire::api::{ChainApiClient, SystemApiClient, TxApiClient};

/// Far-future votes sent by the liar: more than the vote table's 4,096 early heights, so
/// without the window they would fill it and stop certification.
const FUTURE_VOTES: u32 = 4_200;
/// The smallest byte budget a genesis may set (one largest transaction and framing).
const BLOCK_BYTES: u64 = 128 * 1024 + 1024;
/// The step the test chain allows between a block's time and its parent's.
const STEP_MS: u64 = 60_000;

fn register(member: &str) -> Payload {
    Payload::RegisterAccount {
        account: Keypair::from_name(member).public(),
        role: Role::Member,
        adult: true,
    }
}

/// Commits `count` registrations through node `via` and returns the highest height.
async fn commit_some(
    cluster: &Cluster,
    via: usize,
    tag: &str,
    count: usize,
) -> anyhow::Result<u64> {
    let client = cluster.client(via);
    let mut wallet = Wallet::new(&client, cluster.net.key(0).clone()).await?;
    let mut hashes = Vec::new();
    for i in 0..count {
        let tx = wallet.sign(cluster.chain_id(), register(&format!("{tag}-{i}")));
        hashes.push(client.submit(tx).await?);
    }
    let mut height = 0;
    for hash in hashes {
        if let truffle_wire::chain::TxStatus::Committed { height: h, .. } =
            wait_included(&client, hash, Duration::from_secs(30)).await?
        {
            height = height.max(h);
        } else {
            bail!("registration {tag} rejected");
        }
    }
    Ok(height)
}

/// Waits until every node in `among` holds a certificate for `height`.
async fn wait_certified(cluster: &Cluster, among: &[usize], height: u64) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    for index in among {
        while cluster
            .client(*index)
            .get_certificate(height)
            .await
            .is_err()
        {
            if Instant::now() > deadline {
                bail!("node {index} has no certificate for block {height} after 30 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Ok(())
}

/// A metric's value on node `index` (the sum over its label sets).
async fn metric(cluster: &Cluster, index: usize, name: &str) -> anyhow::Result<f64> {
    let text = reqwest::Client::new()
        .get(format!("{}/metrics", cluster.net.rpc_url(index)))
        .send()
        .await?
        .text()
        .await?;
    let mut sum = 0.0;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((key, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let key = key.split('{').next().unwrap_or(key);
        if key == name {
            sum += value.trim().parse::<f64>().context("metric value")?;
        }
    }
    Ok(sum)
}

/// One validator of four sends signed votes for 4,200 heights beyond the vote window:
/// every honest node refuses each one (and counts it), its vote table stays small, and
/// the chain keeps certifying new blocks on every node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn far_future_votes_are_refused_and_certification_goes_on() -> anyhow::Result<()> {
    let cluster = Cluster::start(TestnetOptions {
        nodes: 4,
        ..TestnetOptions::default()
    })
    .await?;
    let liar = 3;
    let honest = [0, 1, 2];
    commit_some(&cluster, 0, "before", 3).await?;

    eprintln!("--- node {liar} sends {FUTURE_VOTES} far-future votes to each validator");
    let refused = cluster
        .client(liar)
        .send_far_future_votes(FUTURE_VOTES)
        .await?;
    ensure!(
        refused == u64::from(FUTURE_VOTES) * 3,
        "{refused} of {} far-future votes refused",
        FUTURE_VOTES * 3
    );
    for index in honest {
        let counted = metric(&cluster, index, "truffle_votes_refused_total").await?;
        ensure!(
            counted >= f64::from(FUTURE_VOTES),
            "node {index} counted {counted} refused votes"
        );
        let tracked = metric(&cluster, index, "truffle_vote_heights_tracked").await?;
        ensure!(
            tracked < 1_000.0,
            "node {index}'s vote table tracks {tracked} heights"
        );
    }

    eprintln!("--- the chain keeps certifying");
    let height = commit_some(&cluster, 0, "after", 3).await?;
    wait_certified(&cluster, &[0, 1, 2, 3], height).await?;
    Ok(())
}

/// The leader proposes a block over the genesis byte budget, then one dated a day past
/// the allowed step: every node refuses each entry (no block, no vote), chain time does
/// not move, and the chain goes on certifying the blocks that follow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_breaking_the_block_rules_are_refused_by_every_node() -> anyhow::Result<()> {
    let cluster = Cluster::start(TestnetOptions {
        nodes: 4,
        params: ChainParams {
            max_block_bytes: Some(BLOCK_BYTES),
            max_block_time_step_ms: Some(STEP_MS),
            ..ChainParams::default()
        },
        ..TestnetOptions::default()
    })
    .await?;
    let all = [0, 1, 2, 3];
    commit_some(&cluster, 0, "before", 3).await?;

    for kind in ["oversized", "future_time"] {
        let leader = cluster
            .net
            .wait_for_leader(&all, Duration::from_secs(30))
            .await?;
        let before = cluster
            .wait_converged(&all, Duration::from_secs(30))
            .await?;
        let head_time = cluster
            .client(leader)
            .get_header(Some(before))
            .await?
            .header
            .time_ms;
        eprintln!("--- leader {leader} proposes a block that breaks the rules: {kind}");
        let made = cluster
            .client(leader)
            .propose_invalid_block(kind.into())
            .await?;
        ensure!(
            made.is_none(),
            "the {kind} block was made, at height {made:?}"
        );
        let after = cluster
            .wait_converged(&all, Duration::from_secs(30))
            .await?;
        // Nothing was committed in its place; whatever came after keeps to the step.
        for h in before + 1..=after {
            let header = cluster.client(0).get_header(Some(h)).await?.header;
            ensure!(
                header.time_ms <= head_time + STEP_MS * (h - before),
                "block {h} has time {} after a parent at {head_time}",
                header.time_ms
            );
        }

        eprintln!("--- the chain keeps certifying after the {kind} block");
        let height = commit_some(&cluster, 0, kind, 2).await?;
        wait_certified(&cluster, &all, height).await?;
        cluster.assert_same_chain(&all, height).await?;
    }
    Ok(())
}

/// Two headers of one height signed by `liar`: an equivocation record.
fn forged_evidence(cluster: &Cluster, liar: usize, height: u64) -> truffle_ledger::Evidence {
    use truffle_ledger::certificate::vote;
    use truffle_ledger::evidence::{Conflict, SignedHeader};
    let key = cluster.net.key(liar).clone();
    let header = |salt: &[u8]| truffle_ledger::BlockHeader {
        chain_id: cluster.chain_id(),
        height,
        prev_hash: truffle_ledger::Hash::of(salt),
        time_ms: 0,
        proposer: key.public(),
        transaction_count: 0,
        transactions_root: truffle_ledger::Hash::ZERO,
        receipts_root: truffle_ledger::Hash::ZERO,
        state_root: truffle_ledger::Hash::ZERO,
    };
    let (a, b) = (header(b"one"), header(b"two"));
    truffle_ledger::Evidence {
        chain_id: cluster.chain_id(),
        validator: key.public(),
        vote: SignedHeader::new(a.clone(), &vote(&key, &a)),
        conflict: Conflict::Vote(SignedHeader::new(b.clone(), &vote(&key, &b))),
    }
}

/// Whether node `index` holds `record`.
async fn holds(
    cluster: &Cluster,
    index: usize,
    record: &truffle_ledger::Evidence,
) -> anyhow::Result<bool> {
    let held = cluster.client(index).get_evidence(None, None).await?;
    Ok(held.iter().any(|r| r == record))
}

/// Evidence filed while a validator is down reaches it once it is back: node 0 files a
/// record (handed in over `chain_submitEvidence`) while node 2 is killed; the nodes
/// that are up hold it at once, and node 2, restarted, ends up holding it too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_reaches_a_validator_that_was_down() -> anyhow::Result<()> {
    let mut cluster = Cluster::start(TestnetOptions {
        nodes: 4,
        ..TestnetOptions::default()
    })
    .await?;
    let (down, liar) = (2, 3);
    let height = commit_some(&cluster, 0, "before", 2).await?;

    eprintln!("--- node {down} is down when node 0 files evidence against node {liar}");
    cluster.net.kill(down)?;
    let record = forged_evidence(&cluster, liar, height);
    ensure!(
        cluster.client(0).submit_evidence(record.clone()).await?,
        "the record was not new on node 0"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    for index in [0, 1, 3] {
        while !holds(&cluster, index, &record).await? {
            if Instant::now() > deadline {
                bail!("node {index} does not hold the evidence after 30 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // Long enough for the first sends to node {down} to have failed.
    tokio::time::sleep(Duration::from_secs(2)).await;

    eprintln!("--- node {down} restarts and receives it");
    cluster.net.start(down)?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(true) = holds(&cluster, down, &record).await {
            break;
        }
        if Instant::now() > deadline {
            bail!("node {down} does not hold the evidence 60 s after its restart");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Ok(())
}
