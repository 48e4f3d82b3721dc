//! Setting a benchmark up: RPC clients, signing with locally tracked nonces, and the
//! accounts, items and raffle the workload acts on, in transactions that must all apply
//! before anything is measured.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonrpsee_http_client::HttpClient;
use truffle_ledger::tx::raffle_commitment;
use truffle_ledger::types::{EntryWindow, ProductSpec, RaffleSpec, Role};
use truffle_ledger::{Effect, Hash, Keypair, Payload, PublicKey, Transaction};
use truffle_wire::api::{AccountApiClient, TxApiClient};
use truffle_wire::chain::{SubmitOutcome, MAX_SUBMIT_BATCH};

use super::{LoadOptions, Workload};
use crate::cluster::TestnetError;

/// The error for a failed call to node `index`.
pub(super) fn rpc_error(index: usize, error: impl std::fmt::Display) -> TestnetError {
    TestnetError::Rpc {
        index,
        reason: error.to_string(),
    }
}

/// A client for a node's RPC, sized for many concurrent requests.
pub(super) fn client(url: &str) -> HttpClient {
    jsonrpsee_http_client::HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(30))
        .max_concurrent_requests(1_024)
        .build(url)
        .expect("a valid URL")
}

/// Signs with locally tracked nonces.
pub(super) struct Signer {
    pub(super) chain_id: Hash,
    pub(super) nonces: HashMap<PublicKey, u64>,
}

impl Signer {
    /// A signer for `keys` starting from the nonces node 0 (`rpc`) reports.
    pub(super) async fn at_chain_nonces(
        chain_id: Hash,
        rpc: &HttpClient,
        keys: &[Keypair],
    ) -> Result<Signer, TestnetError> {
        let mut nonces = HashMap::new();
        for key in keys {
            let nonce = rpc
                .get_nonce(key.public())
                .await
                .map_err(|e| rpc_error(0, e))?;
            nonces.insert(key.public(), nonce);
        }
        Ok(Signer { chain_id, nonces })
    }

    /// Signs `payload` by `key` with its next nonce.
    pub(super) fn sign(
        &mut self,
        key: &Keypair,
        payload: Payload,
    ) -> truffle_ledger::SignedTransaction {
        let nonce = self.nonces.entry(key.public()).or_insert(0);
        let tx = Transaction {
            chain_id: self.chain_id,
            signer: key.public(),
            nonce: *nonce,
            payload,
        }
        .sign(key);
        *nonce += 1;
        tx
    }
}

/// Submits transactions (pipelined, 2,000 at a time, in `tx_submitBatch` calls) and
/// waits for all of them; every one must apply. Used to set a benchmark up.
pub(super) async fn apply_all(
    clients: &[HttpClient],
    txs: Vec<truffle_ledger::SignedTransaction>,
) -> Result<Vec<Effect>, TestnetError> {
    let mut effects = Vec::with_capacity(txs.len());
    for chunk in txs.chunks(2_000) {
        let mut hashes = Vec::with_capacity(chunk.len());
        for (n, batch) in chunk.chunks(MAX_SUBMIT_BATCH).enumerate() {
            let index = n % clients.len();
            let outcomes = clients[index]
                .submit_batch(batch.iter().map(|tx| hex::encode(tx.encode())).collect())
                .await
                .map_err(|e| rpc_error(index, e))?;
            for outcome in outcomes {
                match outcome {
                    SubmitOutcome::Accepted { hash } => hashes.push(hash),
                    SubmitOutcome::Refused { message, .. } => {
                        return Err(rpc_error(index, format!("setup transaction: {message}")))
                    }
                }
            }
        }
        for hash in hashes {
            let deadline = Instant::now() + Duration::from_secs(120);
            loop {
                match clients[0].status(hash).await.map_err(|e| rpc_error(0, e))? {
                    truffle_wire::chain::TxStatus::Committed { effect, .. } => {
                        effects.push(effect);
                        break;
                    }
                    truffle_wire::chain::TxStatus::Rejected { rejection, .. } => {
                        return Err(TestnetError::Invalid(format!(
                            "setup transaction refused: {rejection}"
                        )))
                    }
                    _ if Instant::now() > deadline => {
                        return Err(TestnetError::Timeout(
                            Duration::from_secs(120),
                            format!("setup transaction {hash}"),
                        ))
                    }
                    _ => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
        }
    }
    Ok(effects)
}

/// What the measured workload acts on: a seller with a raffle and items, and members
/// (each holding one item for the transfer workloads).
pub(super) struct Fixtures {
    /// The approved seller who registered the items and created the raffle.
    pub(super) seller: Keypair,
    /// Registered members, as many as the workload needs.
    pub(super) members: Vec<Keypair>,
    /// Every item the seller registered.
    pub(super) items: Vec<u64>,
    /// The item escrowed as the raffle's prize.
    pub(super) raffle_item: u64,
    /// The open raffle members enter.
    pub(super) raffle: u64,
}

/// Registers the seller and the members and the items and the raffle the workload
/// needs, in transactions that must all apply.
pub(super) async fn fixtures(
    clients: &[HttpClient],
    signer: &mut Signer,
    registrars: &[Keypair],
    admin: &Keypair,
    options: &LoadOptions,
    run_tag: &str,
) -> Result<Fixtures, TestnetError> {
    let members_needed = match options.workload {
        Workload::Registrations | Workload::Searches | Workload::Recommendations => 0,
        Workload::RaffleEntries | Workload::Transfers | Workload::Mix => {
            options.transactions.max(2)
        }
    };
    let seller = Keypair::from_name(&format!("bench-seller-{run_tag}"));
    let members: Vec<Keypair> = (0..members_needed)
        .map(|i| Keypair::from_name(&format!("bench-member-{run_tag}-{i}")))
        .collect();
    let mut setup = Vec::new();
    for (n, key) in std::iter::once(&seller).chain(members.iter()).enumerate() {
        let registrar = &registrars[n % registrars.len()];
        setup.push(signer.sign(
            registrar,
            Payload::RegisterAccount {
                account: key.public(),
                role: Role::Member,
                adult: true,
            },
        ));
    }
    apply_all(clients, setup).await?;
    apply_all(
        clients,
        vec![signer.sign(
            &seller,
            Payload::ApplySeller {
                shop_name: "bench".into(),
            },
        )],
    )
    .await?;
    apply_all(
        clients,
        vec![signer.sign(
            admin,
            Payload::ApproveSeller {
                account: seller.public(),
            },
        )],
    )
    .await?;
    let items_needed = if matches!(options.workload, Workload::Transfers | Workload::Mix) {
        members.len()
    } else {
        1
    };
    let mut first_items = Vec::new();
    let mut registered = 0;
    while registered < items_needed {
        let count = (items_needed - registered).min(1_000);
        let spec = ProductSpec {
            brand: "Bench".into(),
            model: format!("B-{run_tag}-{registered}"),
            name_ko: "벤치마크 한정판".into(),
            name_en: "Benchmark edition".into(),
            category: "bench".into(),
            release_date: 20_260_101,
            price: 10_000,
            description: String::new(),
            image_hashes: vec![],
            serials: (0..count).map(|i| format!("S{i:05}")).collect(),
            list_for_sale: false,
        };
        let effects = apply_all(
            clients,
            vec![signer.sign(&seller, Payload::RegisterProduct(spec))],
        )
        .await?;
        if let Some(Effect::ProductRegistered {
            first_item,
            item_count,
            ..
        }) = effects.first()
        {
            first_items.push((*first_item, *item_count as u64));
        }
        registered += count;
    }
    let items: Vec<u64> = first_items
        .iter()
        .flat_map(|(first, count)| *first..first + count)
        .collect();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let raffle_item = items[items.len() - 1];
    let effects = apply_all(
        clients,
        vec![signer.sign(
            &seller,
            Payload::CreateRaffle(RaffleSpec {
                items: vec![raffle_item],
                window: EntryWindow::Times {
                    opens_ms: now_ms.saturating_sub(1_000),
                    closes_ms: now_ms + 24 * 3_600_000,
                },
                price: 10_000,
                runners_up: 0,
                min_age: None,
                seed_commitment: raffle_commitment(&Hash::of(run_tag.as_bytes())),
                reveal_blocks: 10,
                payment_window_ms: 3_600_000,
            }),
        )],
    )
    .await?;
    let Some(Effect::RaffleCreated { raffle }) = effects.first().cloned() else {
        return Err(TestnetError::Invalid(
            "the bench raffle was not created".into(),
        ));
    };
    if matches!(options.workload, Workload::Transfers | Workload::Mix) {
        // Hand each member one item (the raffle prize stays escrowed).
        let gifts: Vec<_> = members
            .iter()
            .zip(items.iter().filter(|i| **i != raffle_item))
            .map(|(member, item)| {
                signer.sign(
                    &seller,
                    Payload::TransferItem {
                        item: *item,
                        to: member.public(),
                    },
                )
            })
            .collect();
        apply_all(clients, gifts).await?;
    }
    Ok(Fixtures {
        seller,
        members,
        items,
        raffle_item,
        raffle,
    })
}
