//! Auditors verify authenticity from the CLI, trusting no node.
//!
//! A real `truffle dev` node gets a seller, an edition whose first piece passes
//! through ten owners, and a raffle with a cancelled entry, all as signed transactions.
//! `truffle verify` (the real binary) then checks items, serials, the raffle and the
//! whole chain against the `dev` genesis. A tampering JSON-RPC proxy in front of the
//! node alters one thing per phase (a record byte, a proof byte, a signature, a swapped
//! record, an old header, an outsider's or an empty certificate, a truncated history, a
//! fake absence proof, a dropped raffle entry, a forged block) and every one is refused
//! with a reason that names it.
//!
//! Run with `--nocapture` to see the figures (bundle size, verification time, chain
//! replay throughput).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{ensure, Context};
use jsonrpsee::core::client::ClientT;
use jsonrpsee_http_client::HttpClient;
use serde_json::Value;
use truffle_genesis::dev_keys;
use truffle_ledger::certificate;
use truffle_ledger::tx::raffle_commitment;
use truffle_ledger::types::{EntryWindow, ProductSpec, RaffleSpec, RaffleStatus, Role};
use truffle_ledger::verify::{
    decode_bundle, encode_bundle, AbsenceProof, HistoryProof, ItemProof, RaffleProof,
};
use truffle_ledger::{Hash, Keypair, Payload};
use truffle_testnet::{truffle_binary, NodeProcess};
use truffle_tests::{chain_id, client, start_dev, wait_included, Wallet};
use truffle_wire::api::{ChainApiClient, ProofApiClient, RaffleApiClient, TxApiClient};
use truffle_wire::chain::TxStatus;

const BRAND: &str = "Truffle";
const MODEL: &str = "TR-2026";

/// A dev node with the audit fixture loaded.
struct Fixture {
    _node: NodeProcess,
    rpc: HttpClient,
    url: String,
    dir: tempfile::TempDir,
    members: Vec<Keypair>,
    /// An item bundle served before piece 1 changed hands: valid, but old.
    early_item_bundle: Vec<u8>,
    early_height: u64,
}

fn phase(name: &str) {
    eprintln!("--- {name}");
}

/// Submits signed transactions and waits until each is applied.
async fn apply(rpc: &HttpClient, txs: Vec<String>) -> anyhow::Result<Vec<TxStatus>> {
    let mut hashes = Vec::with_capacity(txs.len());
    for tx in txs {
        hashes.push(rpc.submit(tx).await?);
    }
    let mut statuses = Vec::with_capacity(hashes.len());
    for hash in hashes {
        let status = wait_included(rpc, hash, Duration::from_secs(30)).await?;
        ensure!(
            matches!(status, TxStatus::Committed { .. }),
            "not applied: {status:?}"
        );
        statuses.push(status);
    }
    Ok(statuses)
}

async fn head_height(rpc: &HttpClient) -> anyhow::Result<u64> {
    Ok(rpc.get_header(None).await?.header.height)
}

/// Waits until the node's head block is certified (a proof is anchored in it).
async fn wait_certified(rpc: &HttpClient) -> anyhow::Result<u64> {
    let head = head_height(rpc).await?;
    for _ in 0..100 {
        if rpc.get_certificate(head).await.is_ok() {
            return Ok(head);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("block {head} was never certified")
}

/// Waits (up to 30 s) until every validator has contributed to raffle `raffle`'s seed
/// (their nodes do it by themselves once it closes): then the seller may reveal.
async fn wait_contributed(rpc: &HttpClient, raffle: u64) -> anyhow::Result<()> {
    for _ in 0..300 {
        let record = RaffleApiClient::get(rpc, raffle).await?.raffle;
        if record.randomness.is_some_and(|r| r.is_complete()) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("raffle {raffle} never had every validator's contribution")
}

/// Waits (up to 30 s) until raffle `raffle` is drawn.
async fn wait_drawn(rpc: &HttpClient, raffle: u64) -> anyhow::Result<()> {
    for _ in 0..300 {
        if RaffleApiClient::get(rpc, raffle).await?.raffle.status == RaffleStatus::Drawn {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("raffle {raffle} was never drawn")
}

impl Fixture {
    async fn start() -> anyhow::Result<Fixture> {
        let dir = tempfile::tempdir()?;
        let node = start_dev(&dir.path().join("dev"))?;
        let url = node.rpc_url.clone();
        let rpc = client(&url)?;
        let chain = chain_id(&rpc).await?;
        let mut registrar = Wallet::new(&rpc, dev_keys::validator(0)).await?;
        let mut admin = Wallet::new(&rpc, dev_keys::admin()).await?;
        let seller_key = Keypair::from_name("audit-seller");
        let members: Vec<Keypair> = (0..10)
            .map(|i| Keypair::from_name(&format!("audit-member-{i}")))
            .collect();

        phase("accounts, an approved seller and a three-piece edition");
        let mut txs = Vec::new();
        for account in std::iter::once(&seller_key).chain(&members) {
            txs.push(registrar.sign(
                chain,
                Payload::RegisterAccount {
                    account: account.public(),
                    role: Role::Member,
                    adult: true,
                },
            ));
        }
        apply(&rpc, txs).await?;
        let mut seller = Wallet::new(&rpc, seller_key.clone()).await?;
        apply(
            &rpc,
            vec![seller.sign(
                chain,
                Payload::ApplySeller {
                    shop_name: "audit shop".into(),
                },
            )],
        )
        .await?;
        apply(
            &rpc,
            vec![admin.sign(
                chain,
                Payload::ApproveSeller {
                    account: seller_key.public(),
                },
            )],
        )
        .await?;
        apply(
            &rpc,
            vec![seller.sign(
                chain,
                Payload::RegisterProduct(ProductSpec {
                    brand: BRAND.into(),
                    model: MODEL.into(),
                    name_ko: "트러플 한정판".into(),
                    name_en: "Truffle limited".into(),
                    category: "collectibles".into(),
                    release_date: 20_260_101,
                    price: 100_000,
                    description: "audit fixture".into(),
                    image_hashes: vec![Hash::of(b"image")],
                    serials: vec!["TR-0001".into(), "TR-0002".into(), "TR-0003".into()],
                    list_for_sale: false,
                }),
            )],
        )
        .await?;
        let early_height = wait_certified(&rpc).await?;
        let early = rpc.item(truffle_ledger::verify::ItemQuery::Id(1)).await?;
        let early_item_bundle = hex::decode(&early.bundle)?;

        phase("piece 1 passes through nine transfers: ten owners");
        let mut owner = seller;
        for member in members.iter().take(9) {
            apply(
                &rpc,
                vec![owner.sign(
                    chain,
                    Payload::TransferItem {
                        item: 1,
                        to: member.public(),
                    },
                )],
            )
            .await?;
            owner = Wallet::new(&rpc, member.clone()).await?;
        }
        let mut seller = Wallet::new(&rpc, seller_key.clone()).await?;

        phase("a raffle on piece 2: eight entries, one cancelled by a withdrawal, revealed, drawn");
        let secret = Hash::of(b"audit raffle secret");
        let closes = head_height(&rpc).await? + 20;
        apply(
            &rpc,
            vec![seller.sign(
                chain,
                Payload::CreateRaffle(RaffleSpec {
                    items: vec![2],
                    window: EntryWindow::Heights { opens: 0, closes },
                    price: 100_000,
                    runners_up: 2,
                    min_age: None,
                    seed_commitment: raffle_commitment(&secret),
                    reveal_blocks: 50,
                    payment_window_ms: 600_000,
                }),
            )],
        )
        .await?;
        let mut entries = Vec::new();
        for member in members.iter().take(8) {
            let mut wallet = Wallet::new(&rpc, member.clone()).await?;
            entries.push(wallet.sign(chain, Payload::EnterRaffle { raffle: 1 }));
        }
        apply(&rpc, entries).await?;
        let mut quitter = Wallet::new(&rpc, members[3].clone()).await?;
        apply(
            &rpc,
            vec![quitter.sign(
                chain,
                Payload::WithdrawAccount {
                    account: members[3].public(),
                },
            )],
        )
        .await?;
        // Blocks only come with transactions: register throwaway accounts until the
        // block after the window's close exists.
        let mut filler = 0;
        while head_height(&rpc).await? <= closes {
            filler += 1;
            apply(
                &rpc,
                vec![registrar.sign(
                    chain,
                    Payload::RegisterAccount {
                        account: Keypair::from_name(&format!("audit-filler-{filler}")).public(),
                        role: Role::Member,
                        adult: false,
                    },
                )],
            )
            .await?;
        }
        wait_contributed(&rpc, 1).await?;
        apply(
            &rpc,
            vec![seller.sign(chain, Payload::RevealRaffleSecret { raffle: 1, secret })],
        )
        .await?;
        // The leader draws a revealed raffle itself (a draw by anyone else would race it
        // and could find the raffle already drawn): wait for its draw.
        wait_drawn(&rpc, 1).await?;
        wait_certified(&rpc).await?;
        Ok(Fixture {
            _node: node,
            rpc,
            url,
            dir,
            members,
            early_item_bundle,
            early_height,
        })
    }
}

/// Runs `truffle ARGS`; returns (success, stdout, stderr).
async fn truffle(args: &[&str]) -> anyhow::Result<(bool, String, String)> {
    // A fresh auditor's memory for each call: every test's dev chain has the same chain
    // id and another history, which a remembering auditor would rightly call a fork.
    let audit = tempfile::tempdir()?;
    let output = tokio::process::Command::new(truffle_binary()?)
        .env("TRUFFLE_AUDIT_DIR", audit.path())
        .args(args)
        .output()
        .await
        .context("running truffle")?;
    Ok((
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ))
}

async fn verify_json(args: &[&str]) -> anyhow::Result<(bool, Value)> {
    let (ok, stdout, stderr) = truffle(args).await?;
    let value = serde_json::from_str(&stdout)
        .with_context(|| format!("not JSON: {stdout}\nstderr: {stderr}"))?;
    Ok((ok, value))
}

/// Everything verifies against an honest node; the figures are printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auditor_verifies_items_raffles_and_the_chain() -> anyhow::Result<()> {
    let fixture = Fixture::start().await?;
    let url = fixture.url.as_str();
    let base = ["--rpc", url, "--genesis", "dev", "--output", "json"];

    phase("an item by id, with its ten owners");
    let (ok, verdict) = verify_json(&[&["verify", "item", "1"][..], &base].concat()).await?;
    ensure!(ok, "item 1 does not verify: {verdict}");
    ensure!(verdict["verified"] == true);
    ensure!(verdict["owner"] == fixture.members[8].public().to_hex());
    ensure!(verdict["history"].as_array().map(Vec::len) == Some(10));
    eprintln!(
        "FIGURE item with 10 owners: history bundle {} bytes, verified in {:.2} ms (CLI, debug build)",
        verdict["bundle_bytes"], verdict["verification_ms"].as_f64().unwrap_or(0.0)
    );
    let (ok, current) =
        verify_json(&[&["verify", "item", "1", "--no-history"][..], &base].concat()).await?;
    ensure!(ok && current["owner"] == verdict["owner"]);
    eprintln!(
        "FIGURE item bundle (current owner only) {} bytes, verified in {:.2} ms",
        current["bundle_bytes"],
        current["verification_ms"].as_f64().unwrap_or(0.0)
    );

    phase("an item by brand/model/serial, with a normalized serial");
    let serial = format!("{BRAND}/{MODEL}/tr 0002");
    let (ok, verdict) = verify_json(&[&["verify", "item", &serial][..], &base].concat()).await?;
    ensure!(ok, "{verdict}");
    ensure!(verdict["item"]["id"] == 2);

    phase("a serial never registered: a checked proof of absence, and exit 1");
    let missing = format!("{BRAND}/{MODEL}/TR-9999");
    let (ok, verdict) = verify_json(&[&["verify", "item", &missing][..], &base].concat()).await?;
    ensure!(!ok, "a missing serial must fail the command");
    ensure!(verdict["serial"]["status"] == "not_registered", "{verdict}");

    phase("the raffle: the draw recomputes from the proven entries");
    let (ok, verdict) = verify_json(&[&["verify", "raffle", "1"][..], &base].concat()).await?;
    ensure!(ok, "{verdict}");
    ensure!(verdict["entries"] == 8);
    ensure!(verdict["eligible"].as_array().map(Vec::len) == Some(7));
    ensure!(verdict["winners"].as_array().map(Vec::len) == Some(1));
    ensure!(verdict["runners_up"].as_array().map(Vec::len) == Some(2));
    let (ok, text, _) =
        truffle(&["verify", "raffle", "1", "--rpc", url, "--genesis", "dev"]).await?;
    ensure!(ok && text.starts_with("FAIR"), "{text}");

    phase("the whole chain, into a state folder; then more blocks, resumed");
    let state = fixture.dir.path().join("audit-state");
    let state_arg = state.to_str().expect("utf-8 path");
    let chain_args = [&["verify", "chain", "--from-state", state_arg][..], &base].concat();
    let (ok, report) = verify_json(&chain_args).await?;
    ensure!(ok, "{report}");
    ensure!(report["from_height"] == 1 && report["resumed"] == false);
    let first_to = report["to_height"].as_u64().unwrap_or(0);
    ensure!(state.join("checkpoint.json").is_file());

    let chain = chain_id(&fixture.rpc).await?;
    let mut registrar = Wallet::new(&fixture.rpc, dev_keys::validator(0)).await?;
    let mut waves = 0;
    for wave in 0..20 {
        let txs = (0..60)
            .map(|i| {
                registrar.sign(
                    chain,
                    Payload::RegisterAccount {
                        account: Keypair::from_name(&format!("audit-load-{wave}-{i}")).public(),
                        role: Role::Member,
                        adult: false,
                    },
                )
            })
            .collect();
        apply(&fixture.rpc, txs).await?;
        waves += 1;
    }
    wait_certified(&fixture.rpc).await?;
    let (ok, report) = verify_json(&chain_args).await?;
    ensure!(ok, "{report}");
    ensure!(report["resumed"] == true && report["from_height"] == first_to + 1);
    eprintln!(
        "FIGURE verify chain (resumed, RocksDB state, over JSON-RPC): {} blocks, {} tx in {:.2} s = {:.0} blocks/s, {:.0} tx/s ({waves} waves of 60 registrations)",
        report["blocks"],
        report["transactions"],
        report["seconds"].as_f64().unwrap_or(0.0),
        report["blocks_per_second"].as_f64().unwrap_or(0.0),
        report["transactions_per_second"].as_f64().unwrap_or(0.0)
    );
    let (ok, report) = verify_json(&[&["verify", "chain"][..], &base].concat()).await?;
    ensure!(ok && report["from_height"] == 1, "{report}");
    eprintln!(
        "FIGURE verify chain (from genesis, in memory): {} blocks, {} tx in {:.2} s = {:.0} blocks/s, {:.0} tx/s",
        report["blocks"],
        report["transactions"],
        report["seconds"].as_f64().unwrap_or(0.0),
        report["blocks_per_second"].as_f64().unwrap_or(0.0),
        report["transactions_per_second"].as_f64().unwrap_or(0.0)
    );
    Ok(())
}

// ---------------------------------------------------------------------------------
// The tampering proxy.

/// What the proxy alters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tamper {
    Nothing,
    FlipRecordByte,
    FlipProofByte,
    FlipSignature,
    SwapRecord,
    OldHeader,
    StaleBundle,
    OutsiderCertificate,
    EmptyCertificate,
    TruncateHistory,
    FakeAbsence,
    DropRaffleEntry,
    ForgeBlock,
}

struct Proxy {
    upstream: HttpClient,
    tamper: Mutex<Tamper>,
    /// A bundle of item 2 (for swapping records) and an early bundle of item 1.
    item_two: Vec<u8>,
    early_item_one: Vec<u8>,
}

impl Proxy {
    /// Alters a proof bundle (hex) as the current phase says.
    fn alter_bundle(&self, method: &str, bytes: Vec<u8>) -> Vec<u8> {
        let tamper = *self.tamper.lock().expect("lock");
        let item_two: ItemProof = decode_bundle(&self.item_two).expect("valid");
        let early: ItemProof = decode_bundle(&self.early_item_one).expect("valid");
        let alter_item = |item: &mut ItemProof| match tamper {
            Tamper::FlipRecordByte => {
                let value = item.item.value.as_mut().expect("item present");
                let last = value.len() - 1;
                value[last] ^= 1;
            }
            Tamper::FlipProofByte => {
                // The first byte from the middle on whose change still decodes.
                let proof = borsh::to_vec(&item.product.proof).expect("encodes");
                for position in proof.len() / 2..proof.len() {
                    let mut forged = proof.clone();
                    forged[position] ^= 0x10;
                    if let Ok(forged) = borsh::from_slice(&forged) {
                        item.product.proof = forged;
                        break;
                    }
                }
            }
            Tamper::FlipSignature => {
                item.anchor.block.certificate.signatures[0].0[7] ^= 1;
            }
            Tamper::SwapRecord => {
                item.item = item_two.item.clone();
            }
            Tamper::OldHeader => item.anchor = early.anchor.clone(),
            Tamper::StaleBundle => *item = early.clone(),
            Tamper::OutsiderCertificate => {
                let header = item.anchor.block.header.clone();
                let outsiders: std::collections::BTreeSet<_> = ["outsider-1", "outsider-2"]
                    .iter()
                    .map(|n| Keypair::from_name(n).public())
                    .collect();
                item.anchor.block.certificate = truffle_ledger::Certificate::from_votes(
                    &header,
                    &outsiders,
                    ["outsider-1", "outsider-2"]
                        .iter()
                        .map(|n| certificate::vote(&Keypair::from_name(n), &header)),
                );
            }
            Tamper::EmptyCertificate => {
                let certificate = &mut item.anchor.block.certificate;
                certificate.signatures.clear();
                certificate.signers.iter_mut().for_each(|b| *b = 0);
            }
            _ => {}
        };
        match method {
            "proof_item" => {
                let mut proof: ItemProof = decode_bundle(&bytes).expect("valid");
                alter_item(&mut proof);
                encode_bundle(&proof)
            }
            "proof_history" => {
                let mut proof: HistoryProof = decode_bundle(&bytes).expect("valid");
                alter_item(&mut proof.item);
                if tamper == Tamper::TruncateHistory {
                    proof.entries.pop();
                }
                encode_bundle(&proof)
            }
            "proof_raffle" => {
                let mut proof: RaffleProof = decode_bundle(&bytes).expect("valid");
                if tamper == Tamper::DropRaffleEntry {
                    proof.entries.pop();
                }
                encode_bundle(&proof)
            }
            "proof_absence" => {
                let mut proof: AbsenceProof = decode_bundle(&bytes).expect("valid");
                if tamper == Tamper::FakeAbsence {
                    // Claims the serial is absent, keeping the (presence) proof.
                    proof.serial.value = None;
                }
                encode_bundle(&proof)
            }
            _ => bytes,
        }
    }

    async fn handle(&self, request: Value) -> Value {
        let id = request["id"].clone();
        let method = request["method"].as_str().unwrap_or_default().to_owned();
        let params: Vec<Value> = request["params"].as_array().cloned().unwrap_or_default();
        let tamper = *self.tamper.lock().expect("lock");
        // A fake absence: the node pretends a registered serial is unknown.
        if tamper == Tamper::FakeAbsence && method == "proof_history" {
            return serde_json::json!({
                "jsonrpc": "2.0", "id": id,
                "error": { "code": truffle_wire::codes::NOT_FOUND, "message": "serial not found" }
            });
        }
        let answer: Result<Value, _> = self.upstream.request(&method, params).await;
        match answer {
            Ok(mut result) => {
                if let Some(hex_bundle) = result["bundle"].as_str() {
                    let bytes = hex::decode(hex_bundle).expect("hex");
                    let altered = self.alter_bundle(&method, bytes);
                    result["size"] = altered.len().into();
                    result["bundle"] = hex::encode(altered).into();
                }
                if tamper == Tamper::ForgeBlock && method == "chain_getCertifiedBlocks" {
                    // A receipt of block 3 that says something else than what happened.
                    for encoded in result.as_array_mut().into_iter().flatten() {
                        let bytes = hex::decode(encoded.as_str().expect("hex")).expect("hex");
                        let (mut block, certificate): (
                            truffle_ledger::Block,
                            truffle_ledger::Certificate,
                        ) = borsh::from_slice(&bytes).expect("a certified block");
                        if block.header.height == 3 {
                            block.receipts[0].outcome = truffle_ledger::block::Outcome::Rejected {
                                rejection: truffle_ledger::Rejection::BlockFull,
                            };
                            *encoded =
                                hex::encode(borsh::to_vec(&(block, certificate)).expect("encode"))
                                    .into();
                        }
                    }
                }
                serde_json::json!({ "jsonrpc": "2.0", "id": id, "result": result })
            }
            Err(jsonrpsee::core::ClientError::Call(object)) => serde_json::json!({
                "jsonrpc": "2.0", "id": id,
                "error": { "code": object.code(), "message": object.message(), "data": object.data() }
            }),
            Err(other) => serde_json::json!({
                "jsonrpc": "2.0", "id": id,
                "error": { "code": -32603, "message": other.to_string() }
            }),
        }
    }
}

async fn start_proxy(proxy: Arc<Proxy>) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let app = axum::Router::new().route(
        "/",
        axum::routing::post(move |axum::Json(request): axum::Json<Value>| {
            let proxy = proxy.clone();
            async move { axum::Json(proxy.handle(request).await) }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(address)
}

/// Each alteration by a node in the middle is refused, with a reason that names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampering_node_is_caught() -> anyhow::Result<()> {
    let fixture = Fixture::start().await?;
    let item_two = hex::decode(
        fixture
            .rpc
            .item(truffle_ledger::verify::ItemQuery::Id(2))
            .await?
            .bundle,
    )?;
    let proxy = Arc::new(Proxy {
        upstream: client(&fixture.url)?,
        tamper: Mutex::new(Tamper::Nothing),
        item_two,
        early_item_one: fixture.early_item_bundle.clone(),
    });
    let address = start_proxy(proxy.clone()).await?;
    let url = format!("http://{address}");
    let head = wait_certified(&fixture.rpc).await?;
    let min_height = head.to_string();
    let serial_two = format!("{BRAND}/{MODEL}/TR-0002");
    let old_root = format!("against the state root of block {}", fixture.early_height);

    phase("through an honest proxy, everything verifies");
    let base = ["--rpc", url.as_str(), "--genesis", "dev"];
    let (ok, text, _) = truffle(&[&["verify", "item", "1"][..], &base].concat()).await?;
    ensure!(ok && text.starts_with("AUTHENTIC"), "{text}");

    let cases: Vec<(Tamper, Vec<&str>, &str)> = vec![
        (
            Tamper::FlipRecordByte,
            vec!["item", "1"],
            "state proof of item 1 does not verify",
        ),
        (
            Tamper::FlipProofByte,
            vec!["item", "1", "--no-history"],
            "state proof of product 1 does not verify",
        ),
        (
            Tamper::FlipSignature,
            vec!["item", "1"],
            "has a bad signature",
        ),
        (
            Tamper::SwapRecord,
            vec!["item", "1", "--no-history"],
            "state proof of item 1 does not verify",
        ),
        (Tamper::OldHeader, vec!["item", "1"], &old_root),
        (
            Tamper::StaleBundle,
            vec!["item", "1", "--no-history", "--min-height", &min_height],
            "an old header was served",
        ),
        (
            Tamper::OutsiderCertificate,
            vec!["item", "1"],
            "the signer bitmap does not fit",
        ),
        (
            Tamper::EmptyCertificate,
            vec!["item", "1"],
            "0 of 1 validators signed; 1 are needed",
        ),
        (
            Tamper::TruncateHistory,
            vec!["item", "1"],
            "history of item 1 has 9 entries",
        ),
        (
            Tamper::FakeAbsence,
            vec!["item", &serial_two],
            "state proof of the serial index entry",
        ),
        (
            Tamper::DropRaffleEntry,
            vec!["raffle", "1"],
            "raffle 1 has 7 proven entries",
        ),
        (Tamper::ForgeBlock, vec!["chain"], "block 3"),
    ];
    for (tamper, args, reason) in cases {
        phase(&format!("{tamper:?}"));
        *proxy.tamper.lock().expect("lock") = tamper;
        let args = [&["verify"][..], &args, &base].concat();
        let (ok, stdout, stderr) = truffle(&args).await?;
        ensure!(!ok, "{tamper:?} was not caught: {stdout}");
        ensure!(
            stdout.starts_with("NOT VERIFIED") && stdout.contains(reason),
            "{tamper:?}: expected {reason:?} in\n{stdout}\n{stderr}"
        );
        eprintln!(
            "    refused: {}",
            stdout.lines().nth(1).unwrap_or_default().trim()
        );
    }
    Ok(())
}

/// On a three-validator cluster, the admin removes a validator; the items registered
/// afterwards verify against the genesis file alone, the anchor tracing the change
/// (its block certified by the old set, later blocks by the remaining two), and the
/// whole chain replays from any node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_follows_a_validator_removal() -> anyhow::Result<()> {
    let cluster = truffle_tests::Cluster::start(truffle_testnet::TestnetOptions::default()).await?;
    let chain = cluster.chain_id();
    let rpc = cluster.client(0);

    phase("the admin removes validator 2");
    let mut admin = Wallet::new(&rpc, cluster.net.admin.clone()).await?;
    apply(
        &rpc,
        vec![admin.sign(
            chain,
            Payload::RemoveValidator {
                key: cluster.net.key(2).public(),
            },
        )],
    )
    .await?;

    phase("a seller registers an edition with the remaining two validators");
    let seller_key = Keypair::from_name("cluster-audit-seller");
    let mut registrar = Wallet::new(&rpc, cluster.net.key(0).clone()).await?;
    apply(
        &rpc,
        vec![registrar.sign(
            chain,
            Payload::RegisterAccount {
                account: seller_key.public(),
                role: Role::Member,
                adult: false,
            },
        )],
    )
    .await?;
    let mut seller = Wallet::new(&rpc, seller_key.clone()).await?;
    apply(
        &rpc,
        vec![seller.sign(
            chain,
            Payload::ApplySeller {
                shop_name: "cluster shop".into(),
            },
        )],
    )
    .await?;
    apply(
        &rpc,
        vec![admin.sign(
            chain,
            Payload::ApproveSeller {
                account: seller_key.public(),
            },
        )],
    )
    .await?;
    apply(
        &rpc,
        vec![seller.sign(
            chain,
            Payload::RegisterProduct(ProductSpec {
                brand: BRAND.into(),
                model: "CLUSTER-1".into(),
                name_ko: String::new(),
                name_en: "Cluster edition".into(),
                category: "collectibles".into(),
                release_date: 20_260_101,
                price: 100_000,
                description: String::new(),
                image_hashes: vec![],
                serials: vec!["C-1".into()],
                list_for_sale: false,
            }),
        )],
    )
    .await?;
    wait_certified(&rpc).await?;

    phase("the item verifies against the genesis file, through the validator change");
    let genesis = cluster.net.genesis_path();
    let genesis = genesis.to_str().expect("utf-8 path");
    let url = cluster.net.rpc_url(1);
    let base = [
        "--rpc",
        url.as_str(),
        "--genesis",
        genesis,
        "--output",
        "json",
    ];
    let (ok, verdict) = verify_json(&[&["verify", "item", "1"][..], &base].concat()).await?;
    ensure!(ok, "{verdict}");
    ensure!(verdict["anchor"]["set_changes"] == 1, "{verdict}");
    ensure!(
        verdict["anchor"]["validators"].as_array().map(Vec::len) == Some(2),
        "{verdict}"
    );

    phase("the chain replays from genesis, each certificate under its own set");
    let (ok, report) = verify_json(&[&["verify", "chain"][..], &base].concat()).await?;
    ensure!(ok, "{report}");
    Ok(())
}
