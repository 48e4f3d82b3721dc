//! A randomized fault run: kills, restarts and partitions of a 4-validator cluster
//! while a client keeps transferring items and running raffles; then three checkers.
//!
//! The run is driven by one seed, printed at the start; set `TRUFFLE_FAULT_SEED` to
//! replay it and `TRUFFLE_FAULT_SECS` to change its length (default 60 s).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonrpsee_http_client::HttpClient;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use truffle_ledger::state::{decode_record, keys, StateView};
use truffle_ledger::types::{
    Counters, EntryWindow, Item, ItemLock, OwnershipRecord, ProductSpec, Raffle, RaffleSpec,
    RaffleStatus, Role,
};
use truffle_ledger::{
    BlockProposal, Hash, Keypair, MemoryChain, Outcome, Payload, PublicKey, Transaction,
};
use truffle_testnet::TestnetOptions;
use truffle_tests::{wait_included, Cluster};
use truffle_wire::api::{AccountApiClient, ChainApiClient, ProductApiClient, TxApiClient};
use truffle_wire::chain::TxStatus;

/// Four validators: certificates need three (more than two thirds), so one node down
/// or cut off still leaves a quorum.
const NODES: usize = 4;
/// Owner marker of an item escrowed in a raffle (the workload leaves it alone).
const ESCROWED: usize = usize::MAX;

struct Shared {
    live: Mutex<[bool; NODES]>,
    urls: Vec<String>,
}

impl Shared {
    fn pick_live(&self, rng: &mut StdRng) -> Option<usize> {
        let live: Vec<usize> = (0..NODES)
            .filter(|i| self.live.lock().unwrap()[*i])
            .collect();
        (!live.is_empty()).then(|| live[rng.gen_range(0..live.len())])
    }
    fn client(&self, index: usize) -> HttpClient {
        truffle_tests::client(&self.urls[index]).expect("loopback URL")
    }
}

/// What the client learned: transactions it saw applied, and its view of owners.
#[derive(Default)]
struct Ledgerbook {
    applied: Vec<Hash>,
    rejected: Vec<Hash>,
    unknown: usize,
}

struct Actor {
    key: Keypair,
    nonce: u64,
}

/// Submits one transaction to a live node and follows it; `Some(true)` applied,
/// `Some(false)` rejected in a block, `None` fate unknown (node died, timeout).
async fn submit(
    shared: &Shared,
    rng: &mut StdRng,
    chain: Hash,
    actor: &mut Actor,
    payload: Payload,
    book: &mut Ledgerbook,
) -> Option<bool> {
    let node = shared.pick_live(rng)?;
    let client = shared.client(node);
    let signed = Transaction {
        chain_id: chain,
        signer: actor.key.public(),
        nonce: actor.nonce,
        payload,
    }
    .sign(&actor.key);
    let hash = match client.submit(hex::encode(signed.encode())).await {
        Ok(hash) => hash,
        Err(_) => {
            resync(shared, rng, actor).await;
            return None;
        }
    };
    match wait_included(&client, hash, Duration::from_secs(6)).await {
        Ok(TxStatus::Committed { .. }) => {
            actor.nonce += 1;
            book.applied.push(hash);
            Some(true)
        }
        Ok(_) => {
            book.rejected.push(hash);
            resync(shared, rng, actor).await;
            Some(false)
        }
        Err(_) => {
            book.unknown += 1;
            resync(shared, rng, actor).await;
            None
        }
    }
}

/// Raises the workload's stop flag when dropped.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

async fn resync(shared: &Shared, rng: &mut StdRng, actor: &mut Actor) {
    if let Some(node) = shared.pick_live(rng) {
        if let Ok(nonce) = shared.client(node).get_nonce(actor.key.public()).await {
            actor.nonce = nonce;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn randomized_faults_keep_the_invariants() -> anyhow::Result<()> {
    let seed: u64 = std::env::var("TRUFFLE_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_126);
    let seconds: u64 = std::env::var("TRUFFLE_FAULT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    eprintln!(
        "randomized fault run: seed {seed} (TRUFFLE_FAULT_SEED={seed} replays it), {seconds} s"
    );

    let mut cluster = Cluster::start(TestnetOptions {
        nodes: NODES,
        ..TestnetOptions::default()
    })
    .await?;
    let chain = cluster.chain_id();
    let shared = Arc::new(Shared {
        live: Mutex::new([true; NODES]),
        urls: (0..NODES).map(|i| cluster.net.rpc_url(i)).collect(),
    });

    // --- setup: a seller with 40 pieces, six members holding some of them.
    let mut rng = StdRng::seed_from_u64(seed);
    let mut book = Ledgerbook::default();
    let mut registrar = Actor {
        key: cluster.net.key(0).clone(),
        nonce: 0,
    };
    let mut admin = Actor {
        key: cluster.net.admin.clone(),
        nonce: 0,
    };
    let mut seller = Actor {
        key: Keypair::from_name("fault-seller"),
        nonce: 0,
    };
    let mut members: Vec<Actor> = (0..6)
        .map(|i| Actor {
            key: Keypair::from_name(&format!("fault-member-{i}")),
            nonce: 0,
        })
        .collect();
    let setup_key = seller.key.public();
    for key in std::iter::once(setup_key).chain(members.iter().map(|m| m.key.public())) {
        let payload = Payload::RegisterAccount {
            account: key,
            role: Role::Member,
            adult: true,
        };
        anyhow::ensure!(
            submit(&shared, &mut rng, chain, &mut registrar, payload, &mut book).await
                == Some(true)
        );
    }
    let apply = Payload::ApplySeller {
        shop_name: "fault shop".into(),
    };
    anyhow::ensure!(
        submit(&shared, &mut rng, chain, &mut seller, apply, &mut book).await == Some(true)
    );
    let approve = Payload::ApproveSeller { account: setup_key };
    anyhow::ensure!(
        submit(&shared, &mut rng, chain, &mut admin, approve, &mut book).await == Some(true)
    );
    let product = Payload::RegisterProduct(ProductSpec {
        brand: "Fault".into(),
        model: "F-1".into(),
        name_ko: "장애 테스트 한정판".into(),
        name_en: "Fault test edition".into(),
        category: "test".into(),
        release_date: 20_260_101,
        price: 10_000,
        description: String::new(),
        image_hashes: vec![],
        serials: (0..40).map(|i| format!("F-{i:03}")).collect(),
        list_for_sale: false,
    });
    anyhow::ensure!(
        submit(&shared, &mut rng, chain, &mut seller, product, &mut book).await == Some(true)
    );
    let items: Vec<u64> = (1..=40).collect();
    let mut owners: HashMap<u64, usize> = HashMap::new(); // item -> actor index (0 = seller, 1.. = members)
    for item in &items {
        owners.insert(*item, 0);
    }
    for (n, item) in items.iter().take(18).enumerate() {
        let to = 1 + n % members.len();
        let payload = Payload::TransferItem {
            item: *item,
            to: members[to - 1].key.public(),
        };
        if submit(&shared, &mut rng, chain, &mut seller, payload, &mut book).await == Some(true) {
            owners.insert(*item, to);
        }
    }

    // --- the fault injector runs beside the workload.
    let stop = Arc::new(AtomicBool::new(false));
    let injector = {
        let shared = shared.clone();
        let stop = stop.clone();
        let mut fault_rng = StdRng::seed_from_u64(seed ^ 0xFA17);
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut net = std::mem::replace(
            &mut cluster.net,
            truffle_testnet::Testnet::load(&cluster.dir.path().join("net"))?,
        );
        tokio::spawn(async move {
            // The workload stops when this task ends, however it ends.
            let stop_guard = StopOnDrop(stop);
            let mut faults = Vec::new();
            let mut down: Option<usize> = None;
            let mut isolated: Option<usize> = None;
            while Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(fault_rng.gen_range(1_500..4_000))).await;
                let victim = fault_rng.gen_range(0..NODES);
                let action = match (down, isolated) {
                    (Some(node), _) => {
                        net.start(node)?;
                        shared.live.lock().unwrap()[node] = true;
                        down = None;
                        format!("restart {node}")
                    }
                    (None, Some(_)) => {
                        net.heal().await?;
                        isolated = None;
                        "heal".to_owned()
                    }
                    (None, None) if fault_rng.gen_bool(0.5) => {
                        shared.live.lock().unwrap()[victim] = false;
                        net.kill(victim)?;
                        down = Some(victim);
                        format!("kill {victim}")
                    }
                    (None, None) => {
                        let rest: Vec<usize> = (0..NODES).filter(|i| *i != victim).collect();
                        net.partition(&[vec![victim], rest]).await?;
                        isolated = Some(victim);
                        format!("isolate {victim}")
                    }
                };
                eprintln!("fault: {action}");
                faults.push(action);
            }
            drop(stop_guard);
            if let Some(node) = down {
                net.start(node)?;
                shared.live.lock().unwrap()[node] = true;
            }
            net.heal().await?;
            anyhow::Ok((net, faults))
        })
    };

    // --- the workload: transfers, raffles created, entered and drawn (twice at once).
    let mut raffles: Vec<(u64, u64)> = Vec::new(); // (raffle id, close height)
    let mut drawn_attempted = BTreeSet::new();
    // Bounded on its own too: the injector's deadline plus time to restart and heal.
    let workload_deadline = Instant::now() + Duration::from_secs(seconds + 120);
    while !stop.load(Ordering::SeqCst) {
        anyhow::ensure!(
            Instant::now() < workload_deadline,
            "the fault injector never finished"
        );
        let roll: f64 = rng.gen();
        let Some(node) = shared.pick_live(&mut rng) else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let height = match shared.client(node).get_header(None).await {
            Ok(head) => head.header.height,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if roll < 0.65 {
            let item = items[rng.gen_range(0..items.len())];
            let owner = owners[&item];
            let to = 1 + rng.gen_range(0..members.len());
            if to == owner || owner == ESCROWED {
                continue;
            }
            let payload = Payload::TransferItem {
                item,
                to: members[to - 1].key.public(),
            };
            let actor = if owner == 0 {
                &mut seller
            } else {
                &mut members[owner - 1]
            };
            match submit(&shared, &mut rng, chain, actor, payload, &mut book).await {
                Some(true) => {
                    owners.insert(item, to);
                }
                _ => {
                    // Ask the chain who owns it now (a lost answer may still have landed).
                    if let Ok(view) = shared.client(node).get_item(item).await {
                        if let Some(position) = members
                            .iter()
                            .position(|m| m.key.public() == view.item.owner)
                        {
                            owners.insert(item, position + 1);
                        } else if view.item.owner == seller.key.public() {
                            owners.insert(item, 0);
                        }
                    }
                }
            }
        } else if roll < 0.75 {
            let free: Vec<u64> = items
                .iter()
                .copied()
                .filter(|i| owners[i] == 0)
                .take(2)
                .collect();
            if free.len() < 2 {
                continue;
            }
            let payload = Payload::CreateRaffle(RaffleSpec {
                items: free.clone(),
                window: EntryWindow::Heights {
                    opens: height,
                    closes: height + 8,
                },
                price: 10_000,
                runners_up: 1,
                min_age: None,
                seed_commitment: truffle_ledger::tx::raffle_commitment(&Hash::of(
                    b"never revealed",
                )),
                reveal_blocks: 5,
                payment_window_ms: 60_000,
            });
            if submit(&shared, &mut rng, chain, &mut seller, payload, &mut book).await == Some(true)
            {
                // The raffle id is the next one; ask the chain for the effect.
                let hash = *book.applied.last().expect("just applied");
                if let Ok(TxStatus::Committed {
                    effect: truffle_ledger::Effect::RaffleCreated { raffle },
                    ..
                }) = shared.client(node).status(hash).await
                {
                    raffles.push((raffle, height + 8));
                    for item in free {
                        owners.insert(item, ESCROWED);
                    }
                }
            }
        } else if roll < 0.9 {
            let open: Vec<u64> = raffles
                .iter()
                .filter(|(_, close)| *close > height)
                .map(|(id, _)| *id)
                .collect();
            if open.is_empty() {
                continue;
            }
            let raffle = open[rng.gen_range(0..open.len())];
            let who = rng.gen_range(0..members.len());
            let _ = submit(
                &shared,
                &mut rng,
                chain,
                &mut members[who],
                Payload::EnterRaffle { raffle },
                &mut book,
            )
            .await;
        } else {
            let due: Vec<u64> = raffles
                .iter()
                .filter(|(id, close)| *close + 6 < height && !drawn_attempted.contains(id))
                .map(|(id, _)| *id)
                .collect();
            let Some(raffle) = due.first().copied() else {
                continue;
            };
            drawn_attempted.insert(raffle);
            // Two members draw the same raffle at once through different nodes.
            let (a, b) = (0, 1);
            let (first, rest) = members.split_at_mut(1);
            let mut rng_b = StdRng::seed_from_u64(rng.gen());
            let mut book_b = Ledgerbook::default();
            let (result_a, result_b) = tokio::join!(
                submit(
                    &shared,
                    &mut rng,
                    chain,
                    &mut first[a],
                    Payload::DrawRaffle { raffle },
                    &mut book
                ),
                submit(
                    &shared,
                    &mut rng_b,
                    chain,
                    &mut rest[b - 1],
                    Payload::DrawRaffle { raffle },
                    &mut book_b
                ),
            );
            book.applied.extend(book_b.applied);
            book.rejected.extend(book_b.rejected);
            book.unknown += book_b.unknown;
            anyhow::ensure!(
                !(result_a == Some(true) && result_b == Some(true)),
                "raffle {raffle} drawn twice"
            );
        }
    }
    let (net, faults) = injector.await??;
    cluster.net = net;
    eprintln!(
        "workload: {} applied, {} rejected, {} unknown; faults: {}",
        book.applied.len(),
        book.rejected.len(),
        book.unknown,
        faults.join(", ")
    );
    anyhow::ensure!(faults.len() >= 10, "too few faults injected: {faults:?}");
    anyhow::ensure!(
        book.applied.len() >= 50,
        "too little work got through: {}",
        book.applied.len()
    );

    // --- converge, then the checkers.
    let all: Vec<usize> = (0..NODES).collect();
    cluster
        .net
        .wait_for_leader(&all, Duration::from_secs(30))
        .await?;
    let height = cluster
        .wait_converged(&all, Duration::from_secs(60))
        .await?;
    cluster.assert_same_chain(&all, height).await?;

    // Checker 1: every acknowledged transaction is applied exactly once in the final chain.
    let client = cluster.client(0);
    let mut applied_count: HashMap<Hash, usize> = HashMap::new();
    let mut draws: BTreeMap<u64, usize> = BTreeMap::new();
    let mut replay = MemoryChain::new(&cluster.net.genesis.to_state())?;
    for h in 1..=height {
        let block = client.get_block(Some(h)).await?;
        let transactions: Vec<truffle_ledger::SignedTransaction> = block
            .transactions
            .iter()
            .map(|t| {
                truffle_ledger::SignedTransaction::decode(&hex::decode(&t.encoded).expect("hex"))
                    .expect("decodes")
            })
            .collect();
        for (tx, receipt) in transactions.iter().zip(&block.receipts) {
            if let Outcome::Applied { .. } = receipt.outcome {
                *applied_count.entry(receipt.tx_hash).or_default() += 1;
                if let Payload::DrawRaffle { raffle } = tx.tx.payload {
                    *draws.entry(raffle).or_default() += 1;
                }
            }
        }
        // Re-execute every block from genesis: same headers, or the chain is invalid.
        let proposal = BlockProposal {
            proposer: block.header.header.proposer,
            time_ms: block.header.header.time_ms,
            transactions,
        };
        let replayed = replay.apply(&proposal)?;
        anyhow::ensure!(
            replayed.header == block.header.header,
            "re-execution differs at height {h}"
        );
    }
    for hash in &book.applied {
        anyhow::ensure!(
            applied_count.get(hash) == Some(&1),
            "acknowledged {hash} applied {:?} times",
            applied_count.get(hash)
        );
    }

    // Checker 2: no two nodes certified different blocks at the same height.
    let validators: BTreeSet<PublicKey> = cluster
        .net
        .genesis
        .validators
        .iter()
        .map(|v| v.key)
        .collect();
    let mut certified = 0;
    for index in &all {
        let node = cluster.client(*index);
        for h in 1..=height {
            if let Ok(certificate) = node.get_certificate(h).await {
                let header = client.get_header(Some(h)).await?;
                anyhow::ensure!(
                    certificate.header_hash == header.hash,
                    "node {index} certified another block at {h}"
                );
                certificate
                    .verify(&header.header, &validators)
                    .map_err(|e| anyhow::anyhow!("node {index} height {h}: {e}"))?;
                certified += 1;
            }
        }
    }
    anyhow::ensure!(
        certified as u64 >= height,
        "too few certificates: {certified} for {height} heights"
    );

    // Checker 3: every item has exactly one owner with a consistent history; no raffle
    // was drawn twice.
    let state = replay.store();
    let counters: Counters = decode_record(
        "counters",
        &state.get(&keys::counters())?.expect("counters"),
    )?;
    for id in 1..counters.next_item {
        let item: Item = decode_record("item", &state.get(&keys::item(id))?.expect("item exists"))?;
        let mut previous: Option<PublicKey> = None;
        for sequence in 0..item.history_len {
            let record: OwnershipRecord = decode_record(
                "ownership",
                &state
                    .get(&keys::ownership(id, sequence))?
                    .expect("history is contiguous"),
            )?;
            anyhow::ensure!(
                record.sequence == sequence && Some(record.owner) != previous,
                "item {id} history broken"
            );
            previous = Some(record.owner);
        }
        anyhow::ensure!(
            previous == Some(item.owner),
            "item {id}: owner is not the last in its history"
        );
        anyhow::ensure!(
            state.get(&keys::ownership(id, item.history_len))?.is_none(),
            "item {id}: history too long"
        );
        if let ItemLock::Raffle(raffle) = item.lock {
            anyhow::ensure!(state.get(&keys::raffle(raffle))?.is_some());
        }
    }
    for id in 1..counters.next_raffle {
        let raffle: Raffle = decode_record(
            "raffle",
            &state.get(&keys::raffle(id))?.expect("raffle exists"),
        )?;
        let count = draws.get(&id).copied().unwrap_or(0);
        anyhow::ensure!(count <= 1, "raffle {id} drawn {count} times");
        // The secrets are never revealed: a draw past the deadline voids the raffle.
        anyhow::ensure!(
            matches!(raffle.status, RaffleStatus::Drawn | RaffleStatus::Void) == (count == 1),
            "raffle {id} status disagrees with its draws"
        );
    }
    eprintln!(
        "checked {height} blocks, {} applied transactions, {} raffles",
        applied_count.len(),
        counters.next_raffle - 1
    );
    Ok(())
}
