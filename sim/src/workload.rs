//! The client of the simulated cluster: a marketplace's life (accounts, a seller, a
//! limited edition for sale, orders and their payments, transfers, a raffle with its
//! contributions, reveal and draw), proposed as blocks to whichever node claims to lead.
//! It records every block whose proposal was acknowledged, for the checkers.
//!
//! Payments are settled twice on purpose (the same provider event again, and a second
//! event for one order), as a retrying payment gateway would.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use openraft::ServerState;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use truffle_clock::Clock;
use truffle_consensus::{AppCommand, Command};
use truffle_ledger::state::{decode_record, keys, StateView};
use truffle_ledger::tx::{raffle_commitment, Payload, Transaction};
use truffle_ledger::types::{
    Account, ChainParams, EntryWindow, Item, Order, ProductSpec, Raffle, RaffleSpec, Role,
    Validator,
};
use truffle_ledger::{BlockProposal, GenesisState, Hash, Keypair, PublicKey, SignedTransaction};
use truffle_store::Store;

use crate::world::{Endpoint, Shared};

/// Genesis time of the simulated chain.
pub(crate) const T0_MS: u64 = 1_767_000_000_000;

/// Pieces in the simulation's edition; the last two are the raffle's prizes.
const PIECES: u64 = 6;

/// The seller's raffle secret.
fn raffle_secret() -> Hash {
    Hash::of(b"truffle sim raffle secret")
}

/// Who acts in the simulation.
pub(crate) struct Actors {
    pub(crate) admin: Keypair,
    pub(crate) seller: Keypair,
    pub(crate) members: Vec<Keypair>,
    pub(crate) validators: Vec<Keypair>,
}

impl Actors {
    pub(crate) fn new(validators: usize) -> Actors {
        Actors {
            admin: Keypair::from_name("sim-admin"),
            seller: Keypair::from_name("sim-seller"),
            members: (0..4)
                .map(|i| Keypair::from_name(&format!("sim-member-{i}")))
                .collect(),
            validators: (0..validators)
                .map(|i| Keypair::from_name(&format!("sim-validator-{i}")))
                .collect(),
        }
    }

    /// The genesis of the simulated chain: short raffle windows so a run sees draws.
    pub(crate) fn genesis(&self) -> GenesisState {
        GenesisState {
            chain_id: Hash::of(b"truffle sim chain"),
            time_ms: T0_MS,
            params: ChainParams {
                max_block_transactions: 16,
                min_raffle_entry_blocks: 1,
                min_raffle_entry_ms: 1,
                min_raffle_reveal_blocks: 1,
                min_raffle_reveal_ms: 1,
                ..ChainParams::default()
            },
            admins: vec![self.admin.public()],
            validators: self
                .validators
                .iter()
                .enumerate()
                .map(|(i, key)| Validator {
                    key: key.public(),
                    name: format!("sim-{i}"),
                    p2p_address: format!("/ip4/127.0.0.1/tcp/{}", 31_000 + i),
                    since_height: 0,
                })
                .collect(),
        }
    }
}

/// A block whose proposal the cluster acknowledged: it must stay at its height, with
/// these transactions, on every node.
#[derive(Clone, Debug)]
pub(crate) struct Acknowledged {
    pub(crate) height: u64,
    pub(crate) transactions: Vec<Hash>,
}

fn record<T: borsh::BorshDeserialize>(store: &Store, key: &[u8]) -> Option<T> {
    let bytes = store.get(key).ok()??;
    decode_record("sim record", &bytes).ok()
}

/// The node that claims to lead (the first, if a stale leader still claims too).
pub(crate) fn leader(world: &Shared) -> Option<Endpoint> {
    let world = world.lock();
    world
        .live
        .values()
        .find(|node| node.raft.metrics().borrow().state == ServerState::Leader)
        .cloned()
}

/// Builds the payloads of one block from the leader's applied state.
struct Planner<'a> {
    actors: &'a Actors,
    chain_id: Hash,
    store: &'a Store,
    rng: &'a mut StdRng,
}

impl Planner<'_> {
    fn account(&self, key: &PublicKey) -> Option<Account> {
        record(self.store, &keys::account(key))
    }

    fn member(&mut self) -> &Keypair {
        self.actors.members.choose(self.rng).expect("members")
    }

    fn validator(&mut self) -> &Keypair {
        self.actors.validators.choose(self.rng).expect("validators")
    }

    /// The next step of the setup, if the chain has not done it yet.
    fn setup(&mut self, head: u64) -> Option<Vec<(Keypair, Payload)>> {
        let a = self.actors;
        if self.account(&a.seller.public()).is_none() {
            let register = |key: &Keypair| {
                (
                    a.admin.clone(),
                    Payload::RegisterAccount {
                        account: key.public(),
                        role: Role::Member,
                        adult: true,
                    },
                )
            };
            return Some(
                std::iter::once(&a.seller)
                    .chain(&a.members)
                    .map(register)
                    .collect(),
            );
        }
        if !self
            .account(&a.seller.public())
            .is_some_and(|s| s.is_approved_seller())
        {
            return Some(vec![
                (
                    a.seller.clone(),
                    Payload::ApplySeller {
                        shop_name: "sim shop".into(),
                    },
                ),
                (
                    a.admin.clone(),
                    Payload::ApproveSeller {
                        account: a.seller.public(),
                    },
                ),
            ]);
        }
        if record::<Item>(self.store, &keys::item(1)).is_none() {
            let product = ProductSpec {
                brand: "Sim".into(),
                model: "S-1".into(),
                name_ko: "시뮬레이션".into(),
                name_en: "Simulation".into(),
                category: "sneakers".into(),
                release_date: 20_260_101,
                price: 150_000,
                description: "simulated".into(),
                image_hashes: vec![],
                serials: (1..=PIECES).map(|i| format!("SIM-{i}")).collect(),
                list_for_sale: true,
            };
            return Some(vec![(a.seller.clone(), Payload::RegisterProduct(product))]);
        }
        if record::<Raffle>(self.store, &keys::raffle(1)).is_none() {
            let spec = RaffleSpec {
                items: vec![PIECES - 1, PIECES],
                window: EntryWindow::Heights {
                    opens: head + 2,
                    closes: head + 8,
                },
                price: 200_000,
                runners_up: 1,
                min_age: None,
                seed_commitment: raffle_commitment(&raffle_secret()),
                reveal_blocks: 6,
                payment_window_ms: 600_000,
            };
            return Some(vec![(a.seller.clone(), Payload::CreateRaffle(spec))]);
        }
        None
    }

    /// One operation of the marketplace's life, drawn.
    fn operation(&mut self) -> Option<(Keypair, Payload)> {
        let a = self.actors;
        let chain_id = self.chain_id;
        Some(match self.rng.gen_range(0..9) {
            0 | 1 => (
                self.member().clone(),
                Payload::CreateOrder {
                    item: self.rng.gen_range(1..=PIECES - 2),
                },
            ),
            2 | 3 => {
                let order_id = self.rng.gen_range(1..=8);
                let order: Order = record(self.store, &keys::order(order_id))?;
                let event = self.rng.gen_range(0..2);
                (
                    self.validator().clone(),
                    Payload::SettlePayment {
                        order: order_id,
                        provider: "sandbox".into(),
                        payment_key: format!("pay-{order_id}"),
                        event_id: format!("event-{order_id}-{event}"),
                        amount: order.amount,
                    },
                )
            }
            4 => {
                let item: Item = record(self.store, &keys::item(self.rng.gen_range(1..=PIECES)))?;
                let owner = std::iter::once(&a.seller)
                    .chain(&a.members)
                    .find(|k| k.public() == item.owner)?
                    .clone();
                let to = self.member().public();
                (owner, Payload::TransferItem { item: item.id, to })
            }
            5 => {
                let item: Item = record(self.store, &keys::item(self.rng.gen_range(1..=PIECES)))?;
                let owner = std::iter::once(&a.seller)
                    .chain(&a.members)
                    .find(|k| k.public() == item.owner)?
                    .clone();
                let price = Some(self.rng.gen_range(100..300) * 1_000);
                (
                    owner,
                    Payload::ListItem {
                        item: item.id,
                        price,
                    },
                )
            }
            6 => (self.member().clone(), Payload::EnterRaffle { raffle: 1 }),
            7 => {
                let raffle: Raffle = record(self.store, &keys::raffle(1))?;
                let closing = raffle.closing_block?;
                if self.rng.gen_bool(0.5) {
                    let validator = self.validator().clone();
                    let proof = truffle_ledger::draw::contribution_proof(
                        &validator,
                        &chain_id,
                        1,
                        &closing.hash,
                    );
                    (
                        validator,
                        Payload::ContributeRaffleRandomness { raffle: 1, proof },
                    )
                } else {
                    (
                        a.seller.clone(),
                        Payload::RevealRaffleSecret {
                            raffle: 1,
                            secret: raffle_secret(),
                        },
                    )
                }
            }
            _ => (self.member().clone(), Payload::DrawRaffle { raffle: 1 }),
        })
    }
}

/// The client's view of nonces: the leader's applied state, plus what it has proposed
/// since (reset to the state when nothing is in flight).
#[derive(Default)]
struct Nonces(BTreeMap<PublicKey, u64>);

impl Nonces {
    fn next(&mut self, store: &Store, key: &PublicKey) -> u64 {
        let applied = record::<Account>(store, &keys::account(key)).map_or(0, |a| a.nonce);
        let next = self.0.get(key).copied().unwrap_or(0).max(applied);
        self.0.insert(*key, next + 1);
        next
    }
}

/// Signs `payloads` into a proposal from `leader`, timed by its clock.
fn proposal(
    leader: &Endpoint,
    chain_id: Hash,
    step_ms: u64,
    nonces: &mut Nonces,
    payloads: Vec<(Keypair, Payload)>,
) -> Option<BlockProposal> {
    let head = leader.store.head().ok()??;
    // The first block is free of the step (as the engine's producer does).
    let step = if head.height == 0 { u64::MAX } else { step_ms };
    let transactions: Vec<SignedTransaction> = payloads
        .into_iter()
        .map(|(key, payload)| {
            Transaction {
                chain_id,
                signer: key.public(),
                nonce: nonces.next(&leader.store, &key.public()),
                payload,
            }
            .sign(&key)
        })
        .collect();
    Some(BlockProposal {
        proposer: leader.key,
        time_ms: truffle_engine::block_time(leader.clock.now_ms(), head.time_ms, step),
        transactions,
    })
}

/// Proposes `proposal` through `leader` and records the outcome.
async fn propose(world: Shared, leader: Endpoint, proposal: BlockProposal) -> Option<u64> {
    let hashes: Vec<Hash> = proposal.transactions.iter().map(|t| t.hash()).collect();
    let command = Command::new(&AppCommand::Block(proposal));
    let outcome =
        tokio::time::timeout(Duration::from_secs(3), leader.raft.client_write(command)).await;
    let mut w = world.lock();
    let name = w.name(leader.id);
    match outcome {
        Ok(Ok(response)) => match response.data.height {
            Some(height) => {
                w.note(&format!(
                    "{name} acknowledged block {height} ({} txs)",
                    hashes.len()
                ));
                w.stats.acknowledged_blocks += 1;
                w.stats.acknowledged_transactions += hashes.len() as u64;
                w.acknowledged.push(Acknowledged {
                    height,
                    transactions: hashes,
                });
                Some(height)
            }
            None => {
                w.note(&format!("{name} proposal refused"));
                None
            }
        },
        Ok(Err(error)) => {
            let kind = if error
                .forward_to_leader::<truffle_consensus::ValidatorNode>()
                .is_some()
            {
                "not the leader"
            } else {
                "failed"
            };
            w.note(&format!("{name} proposal {kind}"));
            w.stats.unknown_outcomes += 1;
            None
        }
        Err(_) => {
            w.note(&format!("{name} proposal timed out"));
            w.stats.unknown_outcomes += 1;
            None
        }
    }
}

/// The client: proposes blocks of one to four operations to the node that leads, at
/// most three in flight, until `stop`.
pub(crate) async fn client(world: Shared, actors: Arc<Actors>, seed: u64, stop: Arc<AtomicBool>) {
    let mut rng = StdRng::seed_from_u64(seed ^ 0xc11e);
    let mut nonces = Nonces::default();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let genesis = actors.genesis();
    let (chain_id, step_ms) = (genesis.chain_id, genesis.params.block_time_step_ms());
    while !stop.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(rng.gen_range(5..120))).await;
        if in_flight.load(Ordering::SeqCst) >= 3 {
            continue;
        }
        let Some(leader) = leader(&world) else {
            continue;
        };
        if in_flight.load(Ordering::SeqCst) == 0 {
            nonces = Nonces::default();
        }
        let head = leader.store.head().ok().flatten().map_or(0, |h| h.height);
        let mut planner = Planner {
            actors: &actors,
            chain_id,
            store: &leader.store,
            rng: &mut rng,
        };
        let payloads = match planner.setup(head) {
            Some(setup) => setup,
            None => {
                let count = planner.rng.gen_range(1..=4);
                (0..count).filter_map(|_| planner.operation()).collect()
            }
        };
        if payloads.is_empty() {
            continue;
        }
        let Some(proposal) = proposal(&leader, chain_id, step_ms, &mut nonces, payloads) else {
            continue;
        };
        in_flight.fetch_add(1, Ordering::SeqCst);
        let (world, in_flight) = (world.clone(), in_flight.clone());
        tokio::spawn(async move {
            propose(world, leader, proposal).await;
            in_flight.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

/// After the faults: proposes one block (an account registration) until the cluster
/// acknowledges it, for at most `patience`. Returns its height.
pub(crate) async fn probe(world: &Shared, actors: &Actors, patience: Duration) -> Option<u64> {
    let deadline = tokio::time::Instant::now() + patience;
    let genesis = actors.genesis();
    let (chain_id, step_ms) = (genesis.chain_id, genesis.params.block_time_step_ms());
    let mut attempt = 0u32;
    while tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let Some(leader) = leader(world) else {
            continue;
        };
        attempt += 1;
        let newcomer = Keypair::from_name(&format!("sim-probe-{attempt}"));
        let payload = Payload::RegisterAccount {
            account: newcomer.public(),
            role: Role::Member,
            adult: false,
        };
        let Some(proposal) = proposal(
            &leader,
            chain_id,
            step_ms,
            &mut Nonces::default(),
            vec![(actors.admin.clone(), payload)],
        ) else {
            continue;
        };
        if let Some(height) = propose(world.clone(), leader, proposal).await {
            return Some(height);
        }
    }
    None
}
