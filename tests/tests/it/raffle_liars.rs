//! Liars against the raffle seed, with real processes (issue 19).
//!
//! Three validators on 127.0.0.1, all started with `--enable-fault-injection`. Every
//! node is told to lie as leader (`system_leaderFault`), so whichever leads lies:
//!
//! - **censoring** other validators' VRF contributions: the raffle is void past the
//!   contribution deadline, the missing validators named, nothing drawn or charged;
//! - **forging** another validator's contribution (its proof replaced by one the leader
//!   made): every node refuses the forged transaction (its signature no longer covers
//!   it), and the raffle is void, never drawn from the leader's proof;
//! - **stamping a time past the genesis step** to close a time window early: every
//!   node refuses the block; the raffle closes at its time and draws the winners
//!   `truffle verify raffle` recomputes from the certified inputs.
//!
//! On a second cluster one validator runs with
//! `market.fault_withhold_raffle_contributions`: its raffle is void, the validator
//! named, the seller not blamed.

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context};
use jsonrpsee_http_client::HttpClient;
use serde_json::Value;
use truffle_ledger::tx::raffle_commitment;
use truffle_ledger::types::{
    ChainParams, EntryWindow, ProductSpec, Raffle, RaffleSpec, RaffleStatus, Role,
};
use truffle_ledger::{Hash, Keypair, Outcome, Payload, PublicKey, Rejection};
use truffle_testnet::{truffle_binary, TestnetOptions};
use truffle_tests::{wait_included, Cluster, Wallet};
use truffle_wire::api::{ChainApiClient, RaffleApiClient, SystemApiClient, TxApiClient};
use truffle_wire::chain::TxStatus;
use truffle_wire::market::RafflePhase;

fn phase(name: &str) {
    eprintln!("--- {name}");
}

/// Submits signed transactions and waits until each is applied.
async fn apply(rpc: &HttpClient, txs: Vec<String>) -> anyhow::Result<()> {
    let mut hashes = Vec::with_capacity(txs.len());
    for tx in txs {
        hashes.push(rpc.submit(tx).await?);
    }
    for hash in hashes {
        let status = wait_included(rpc, hash, Duration::from_secs(30)).await?;
        ensure!(
            matches!(status, TxStatus::Committed { .. }),
            "not applied: {status:?}"
        );
    }
    Ok(())
}

/// Tells every node to lie (or not) this way whenever it leads.
async fn every_leader(cluster: &Cluster, fault: &str) -> anyhow::Result<()> {
    for index in 0..cluster.net.nodes.len() {
        cluster
            .client(index)
            .leader_fault(fault.to_owned())
            .await
            .with_context(|| format!("node {index}: {fault}"))?;
    }
    Ok(())
}

async fn raffle(rpc: &HttpClient, id: u64) -> anyhow::Result<(Raffle, RafflePhase)> {
    let view = RaffleApiClient::get(rpc, id).await?;
    Ok((view.raffle, view.phase))
}

async fn head(rpc: &HttpClient) -> anyhow::Result<u64> {
    Ok(rpc.get_header(None).await?.header.height)
}

/// The admin (no node signs with its key) registers throwaway accounts so that blocks
/// come, until `done` holds for the raffle (bounded by `timeout`).
async fn pump_until(
    rpc: &HttpClient,
    admin: &mut Wallet,
    chain: Hash,
    id: u64,
    timeout: Duration,
    done: impl Fn(&Raffle) -> bool,
) -> anyhow::Result<Raffle> {
    let deadline = Instant::now() + timeout;
    let mut filler = 0u32;
    loop {
        let (record, _) = raffle(rpc, id).await?;
        if done(&record) {
            return Ok(record);
        }
        if Instant::now() > deadline {
            bail!(
                "raffle {id} not there after {timeout:?} (head {}, admin nonce {}): {record:?}",
                head(rpc).await?,
                admin.nonce
            );
        }
        filler += 1;
        let account = Keypair::from_name(&format!("liars-filler-{id}-{filler}")).public();
        let filler = admin.sign(
            chain,
            Payload::RegisterAccount {
                account,
                role: Role::Member,
                adult: false,
            },
        );
        if let Err(error) = rpc.submit(filler).await {
            // A full pool (blocks paused by an election) refuses it: the nonce is
            // not used, so the wallet gives it to the next filler.
            eprintln!("filler not taken: {error}");
            admin.nonce -= 1;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Runs `truffle verify raffle ID --output json` against `url` and the testnet genesis.
async fn verify_raffle(url: &str, genesis: &str, id: u64) -> anyhow::Result<(bool, Value)> {
    let audit = tempfile::tempdir()?;
    let output = tokio::process::Command::new(truffle_binary()?)
        .env("TRUFFLE_AUDIT_DIR", audit.path())
        .args([
            "verify",
            "raffle",
            &id.to_string(),
            "--rpc",
            url,
            "--genesis",
            genesis,
            "--output",
            "json",
        ])
        .output()
        .await
        .context("running truffle verify")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let value = serde_json::from_str(&stdout).with_context(|| {
        format!(
            "not JSON: {stdout}\nstderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    Ok((output.status.success(), value))
}

fn keys_of(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The raffle is void for want of contributions, and nothing else: no winners, the
/// prize free, the seller not blamed, and `truffle verify raffle` proves the same.
async fn assert_void_without(
    rpc: &HttpClient,
    url: &str,
    genesis: &str,
    record: &Raffle,
    leaders: &[PublicKey],
) -> anyhow::Result<Vec<PublicKey>> {
    ensure!(record.status == RaffleStatus::Void, "{record:?}");
    ensure!(record.result.is_none() && !record.seller_missed_reveal);
    let missing = record.missing_contributors();
    ensure!(!missing.is_empty(), "void without a missing contributor");
    for leader in leaders {
        ensure!(
            !missing.contains(leader),
            "the lying leader's own contribution is missing"
        );
    }
    let (_, phase) = raffle(rpc, record.id).await?;
    ensure!(phase == RafflePhase::Void, "{phase:?}");
    let (ok, verdict) = verify_raffle(url, genesis, record.id).await?;
    ensure!(ok, "{verdict}");
    ensure!(verdict["status"] == "void", "{verdict}");
    ensure!(
        verdict["winners"].as_array().is_none_or(Vec::is_empty),
        "{verdict}"
    );
    let proven: Vec<String> = keys_of(&verdict["missing_contributors"]);
    let recorded: Vec<String> = missing.iter().map(PublicKey::to_hex).collect();
    ensure!(proven == recorded, "{proven:?} vs {recorded:?}");
    Ok(missing)
}

/// Contributions in blocks `from..=to` refused for a bad signature (forged ones).
async fn forged_refusals(rpc: &HttpClient, from: u64, to: u64) -> anyhow::Result<usize> {
    let mut refused = 0;
    for height in from..=to {
        let block = rpc.get_block(Some(height)).await?;
        for (tx, receipt) in block.transactions.iter().zip(&block.receipts) {
            if matches!(tx.payload, Payload::ContributeRaffleRandomness { .. })
                && matches!(
                    receipt.outcome,
                    Outcome::Rejected {
                        rejection: Rejection::BadSignature
                    }
                )
            {
                refused += 1;
            }
        }
    }
    Ok(refused)
}

/// Genesis parameters with short raffle windows and deadlines.
fn short_params() -> ChainParams {
    ChainParams {
        min_raffle_entry_blocks: 2,
        min_raffle_entry_ms: 1_000,
        min_raffle_reveal_blocks: 2,
        min_raffle_reveal_ms: 2_000,
        raffle_contribution_blocks: 6,
        raffle_contribution_ms: 3_000,
        ..ChainParams::default()
    }
}

/// A seller with four pieces and six members, on a cluster.
struct Fixture {
    rpc: HttpClient,
    url: String,
    genesis: String,
    chain: Hash,
    validators: Vec<PublicKey>,
    admin: Wallet,
    seller_key: Keypair,
    seller: Wallet,
    wallets: Vec<Wallet>,
    secret: Hash,
    last_raffle: u64,
}

impl Fixture {
    async fn new(cluster: &Cluster) -> anyhow::Result<Fixture> {
        let chain = cluster.chain_id();
        let rpc = cluster.client(0);
        let mut admin = Wallet::new(&rpc, cluster.net.admin.clone()).await?;
        phase("a seller, six members, four pieces");
        let seller_key = Keypair::from_name("liars-seller");
        let members: Vec<Keypair> = (0..6)
            .map(|i| Keypair::from_name(&format!("liars-member-{i}")))
            .collect();
        let registrations = std::iter::once(&seller_key)
            .chain(&members)
            .map(|account| {
                admin.sign(
                    chain,
                    Payload::RegisterAccount {
                        account: account.public(),
                        role: Role::Member,
                        adult: true,
                    },
                )
            })
            .collect();
        apply(&rpc, registrations).await?;
        let mut seller = Wallet::new(&rpc, seller_key.clone()).await?;
        let apply_seller = seller.sign(
            chain,
            Payload::ApplySeller {
                shop_name: "liars shop".into(),
            },
        );
        apply(&rpc, vec![apply_seller]).await?;
        let approve = admin.sign(
            chain,
            Payload::ApproveSeller {
                account: seller_key.public(),
            },
        );
        apply(&rpc, vec![approve]).await?;
        let product = seller.sign(
            chain,
            Payload::RegisterProduct(ProductSpec {
                brand: "Truffle".into(),
                model: "LIARS-1".into(),
                name_ko: String::new(),
                name_en: "Liars edition".into(),
                category: "collectibles".into(),
                release_date: 20_260_101,
                price: 100_000,
                description: String::new(),
                image_hashes: vec![],
                serials: (1..=4).map(|i| format!("L-{i}")).collect(),
                list_for_sale: false,
            }),
        );
        apply(&rpc, vec![product]).await?;
        let mut wallets = Vec::new();
        for member in &members {
            wallets.push(Wallet::new(&rpc, member.clone()).await?);
        }
        Ok(Fixture {
            url: cluster.net.rpc_url(0),
            genesis: cluster.net.genesis_path().display().to_string(),
            validators: (0..cluster.net.nodes.len())
                .map(|i| cluster.net.key(i).public())
                .collect(),
            rpc,
            chain,
            admin,
            seller_key,
            seller,
            wallets,
            secret: Hash::of(b"liars secret"),
            last_raffle: 0,
        })
    }

    fn spec(&self, item: u64, window: EntryWindow) -> RaffleSpec {
        RaffleSpec {
            items: vec![item],
            window,
            price: 100_000,
            runners_up: 1,
            min_age: None,
            seed_commitment: raffle_commitment(&self.secret),
            reveal_blocks: 4,
            payment_window_ms: 600_000,
        }
    }

    /// Creates a raffle on `item`.
    async fn create(&mut self, item: u64, window: EntryWindow) -> anyhow::Result<u64> {
        let tx = self
            .seller
            .sign(self.chain, Payload::CreateRaffle(self.spec(item, window)));
        apply(&self.rpc, vec![tx]).await?;
        self.last_raffle += 1;
        Ok(self.last_raffle)
    }

    /// Every member's entry into `raffle`, signed.
    fn entries(&mut self, raffle: u64) -> Vec<String> {
        let chain = self.chain;
        self.wallets
            .iter_mut()
            .map(|w| w.sign(chain, Payload::EnterRaffle { raffle }))
            .collect()
    }

    /// A raffle on `item` closing by height 6 blocks on, every member entered; returns
    /// its id and closing height.
    async fn height_raffle(&mut self, item: u64) -> anyhow::Result<(u64, u64)> {
        let closes = head(&self.rpc).await? + 6;
        let id = self
            .create(item, EntryWindow::Heights { opens: 0, closes })
            .await?;
        let entries = self.entries(id);
        apply(&self.rpc, entries).await?;
        Ok((id, closes))
    }

    /// Makes blocks come until the raffle is drawn or void.
    async fn settled(&mut self, id: u64) -> anyhow::Result<Raffle> {
        pump_until(
            &self.rpc,
            &mut self.admin,
            self.chain,
            id,
            Duration::from_secs(120),
            |r| matches!(r.status, RaffleStatus::Void | RaffleStatus::Drawn),
        )
        .await
    }
}

/// The validators whose contributions are on the record.
fn contributors(record: &Raffle) -> Vec<PublicKey> {
    record
        .randomness
        .as_ref()
        .map(|r| r.contributions.iter().map(|c| c.validator).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lying_leader_cannot_choose_a_raffles_winners() -> anyhow::Result<()> {
    let cluster = Cluster::start(TestnetOptions {
        nodes: 3,
        params: short_params(),
        ..TestnetOptions::default()
    })
    .await?;
    let mut fx = Fixture::new(&cluster).await?;
    let (rpc, url, genesis, chain) = (fx.rpc.clone(), fx.url.clone(), fx.genesis.clone(), fx.chain);

    phase("(a) every leader censors the other validators' contributions");
    every_leader(&cluster, "censor_contributions").await?;
    let (censored, closes) = fx.height_raffle(1).await?;
    let record = fx.settled(censored).await?;
    ensure!(
        record.closing_block.map(|c| c.height) == Some(closes),
        "the closing block is fixed by height: {:?}",
        record.closing_block
    );
    let missing =
        assert_void_without(&rpc, &url, &genesis, &record, &contributors(&record)).await?;
    eprintln!(
        "censored raffle {censored}: void, {} of 3 contributions missing",
        missing.len()
    );

    phase("(b) every leader replaces the other validators' contributions with its own proof");
    every_leader(&cluster, "forge_contributions").await?;
    let from = head(&rpc).await?;
    let (forged, _) = fx.height_raffle(2).await?;
    let record = fx.settled(forged).await?;
    assert_void_without(&rpc, &url, &genesis, &record, &contributors(&record)).await?;
    let refused = forged_refusals(&rpc, from, head(&rpc).await?).await?;
    ensure!(
        refused > 0,
        "no forged contribution reached a block to be refused"
    );
    eprintln!("forged raffle {forged}: void; {refused} forged contribution(s) refused in blocks");

    phase("(c) every leader stamps a time past the step: no block at all, entry stays open");
    every_leader(&cluster, "honest").await?;
    let closes_ms = truffle_clock::now_ms() + 25_000;
    let timed = fx
        .create(
            3,
            EntryWindow::Times {
                opens_ms: 0,
                closes_ms,
            },
        )
        .await?;
    let before = head(&rpc).await?;
    every_leader(&cluster, "time_beyond_step").await?;
    let mut hashes = Vec::new();
    for entry in fx.entries(timed) {
        hashes.push(rpc.submit(entry).await?);
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    ensure!(
        head(&rpc).await? == before,
        "a block stamped past the step was applied"
    );
    let (record, phase_now) = raffle(&rpc, timed).await?;
    ensure!(
        record.status == RaffleStatus::Open && phase_now == RafflePhase::AcceptingEntries,
        "{phase_now:?}"
    );
    every_leader(&cluster, "honest").await?;
    for hash in hashes {
        let status = wait_included(&rpc, hash, Duration::from_secs(30)).await?;
        ensure!(matches!(status, TxStatus::Committed { .. }), "{status:?}");
    }
    let record = pump_until(
        &rpc,
        &mut fx.admin,
        chain,
        timed,
        Duration::from_secs(90),
        |r| r.randomness.as_ref().is_some_and(|r| r.is_complete()),
    )
    .await?;
    let closing = record.closing_block.context("closed")?;
    let closing_header = rpc.get_header(Some(closing.height)).await?.header;
    ensure!(
        closing_header.time_ms >= closes_ms,
        "entry closed early: block time {} < {closes_ms}",
        closing_header.time_ms
    );
    let reveal = fx.seller.sign(
        chain,
        Payload::RevealRaffleSecret {
            raffle: timed,
            secret: fx.secret,
        },
    );
    apply(&rpc, vec![reveal]).await?;
    let record = fx.settled(timed).await?;
    ensure!(record.status == RaffleStatus::Drawn, "{record:?}");
    let result = record.result.clone().context("drawn")?;
    // The certified head must cover the draw before a proof of it exists.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (ok, verdict) = verify_raffle(&url, &genesis, timed).await?;
    ensure!(ok, "{verdict}");
    let recorded: Vec<String> = result.winners.iter().map(PublicKey::to_hex).collect();
    ensure!(
        keys_of(&verdict["winners"]) == recorded,
        "{verdict} vs {recorded:?}"
    );
    ensure!(verdict["contributions"].as_array().map(Vec::len) == Some(3));
    eprintln!("timed raffle {timed}: drawn, winners recomputed by truffle verify");
    eprintln!(
        "FIGURE truffle verify raffle (3 validators, 6 entries, debug build): bundle {} bytes, verified in {:.2} ms",
        verdict["bundle_bytes"],
        verdict["verification_ms"].as_f64().unwrap_or(0.0)
    );
    let (drawn_at, record_bytes) = (result.drawn.height, {
        let bytes = borsh::to_vec(&record)?;
        bytes.len()
    });
    eprintln!("FIGURE raffle record with 3 contributions: {record_bytes} bytes (drawn at height {drawn_at})");
    Ok(())
}

/// One validator of three started with `market.fault_withhold_raffle_contributions`:
/// the raffle is void, that validator named (over RPC and by `truffle verify`),
/// nothing drawn, and the seller not blamed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withholding_validator_voids_the_raffle_and_is_named() -> anyhow::Result<()> {
    let withholder = 2;
    let dir = tempfile::tempdir()?;
    let options = TestnetOptions {
        nodes: 3,
        params: short_params(),
        ..TestnetOptions::default()
    };
    let mut net = truffle_testnet::Testnet::create(&dir.path().join("net"), &options)?;
    let config = dir.path().join("withhold.toml");
    std::fs::write(
        &config,
        "[market]\nfault_withhold_raffle_contributions = true\n",
    )?;
    let config = config.display().to_string();
    net.add_args(withholder, &["--config", &config])?;
    net.start_all()?;
    net.wait_for_leader(&[0, 1, 2], Duration::from_secs(30))
        .await?;
    let cluster = Cluster { net, dir };
    let mut fx = Fixture::new(&cluster).await?;

    let (withheld, _) = fx.height_raffle(4).await?;
    let record = fx.settled(withheld).await?;
    let honest = [fx.validators[0], fx.validators[1]];
    let missing = assert_void_without(&fx.rpc, &fx.url, &fx.genesis, &record, &honest).await?;
    ensure!(missing == vec![fx.validators[withholder]], "{missing:?}");
    ensure!(
        record
            .randomness
            .as_ref()
            .is_some_and(|r| r.contributions.len() == 2),
        "the two honest contributions are on the record"
    );
    let standing = truffle_wire::api::SellerApiClient::get(&fx.rpc, fx.seller_key.public()).await?;
    ensure!(
        standing.missed_reveals == 0 && standing.raffle_cooldown_until_ms.is_none(),
        "a validator's miss is not the seller's: {standing:?}"
    );
    eprintln!("withheld raffle {withheld}: void, validator {withholder} named");
    Ok(())
}
