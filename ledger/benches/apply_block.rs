//! Block application throughput: blocks of 1,000 signed transactions applied to a
//! [`MemoryChain`], signature verification included, against a baseline of verifying
//! the same 1,000 signatures alone with `crypto::verify_many`.
//!
//! - `enter_raffle/apply`: 1,000 distinct pre-registered members enter one raffle;
//!   `MemoryChain::apply` on a fresh copy of the prepared chain (execution, state root,
//!   commit to the in-memory store).
//! - `transfer_item/apply`: 1,000 members each give their item to the next member.
//! - `enter_raffle/execute`: `execute_block` against the prepared chain, without the
//!   commit, so the chain needs no rebuilding between iterations.
//! - `verify_many`: the block's 1,000 signatures in one batch (what every block pays).
//!
//! Run with `cargo bench -p truffle-ledger --bench apply_block`.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput};

use truffle_ledger::crypto::{verify_many, SignatureCheck};
use truffle_ledger::types::{ChainParams, EntryWindow, ProductSpec, RaffleSpec, Role, Validator};
use truffle_ledger::{
    execute_block, BlockProposal, GenesisState, Hash, Keypair, MemoryChain, Payload,
    SignedTransaction, Transaction,
};

/// Transactions per measured block.
const N: usize = 1_000;
const T0: u64 = 1_767_000_000_000;

/// The prepared chain's genesis and blocks, and the two measured blocks.
struct Workload {
    genesis: GenesisState,
    setup: Vec<BlockProposal>,
    enter: BlockProposal,
    transfer: BlockProposal,
}

fn sign(chain_id: Hash, key: &Keypair, nonce: u64, payload: Payload) -> SignedTransaction {
    Transaction {
        chain_id,
        signer: key.public(),
        nonce,
        payload,
    }
    .sign(key)
}

fn product(serials: Vec<String>) -> ProductSpec {
    ProductSpec {
        brand: "Nike".into(),
        model: "DD1391-100".into(),
        name_ko: "나이키 덩크 로우".into(),
        name_en: "Nike Dunk Low".into(),
        category: "sneakers".into(),
        release_date: 20_260_101,
        price: 150_000,
        description: String::new(),
        image_hashes: vec![],
        serials,
        list_for_sale: false,
    }
}

fn proposal(
    proposer: &Keypair,
    height: u64,
    transactions: Vec<SignedTransaction>,
) -> BlockProposal {
    BlockProposal {
        proposer: proposer.public(),
        time_ms: T0 + height * 1_000,
        transactions,
    }
}

/// Genesis; 1,000 members and a seller registered; the seller approved, registers a
/// 1,000-piece edition and a raffle prize, opens a raffle and gives piece i to member i.
fn workload() -> Workload {
    let admin = Keypair::from_name("admin");
    let operator = Keypair::from_name("validator-1");
    let seller = Keypair::from_name("seller");
    let members: Vec<Keypair> = (0..N)
        .map(|i| Keypair::from_name(&format!("member-{i}")))
        .collect();
    let genesis = GenesisState {
        chain_id: Hash::of(b"truffle bench"),
        time_ms: T0,
        params: ChainParams::default(),
        admins: vec![admin.public()],
        validators: vec![Validator {
            key: operator.public(),
            name: "validator-1".into(),
            p2p_address: "/ip4/127.0.0.1/tcp/30333".into(),
            since_height: 0,
        }],
    };
    let chain_id = genesis.chain_id;

    let registrations = std::iter::once(&seller)
        .chain(&members)
        .enumerate()
        .map(|(nonce, member)| {
            sign(
                chain_id,
                &operator,
                nonce as u64,
                Payload::RegisterAccount {
                    account: member.public(),
                    role: Role::Member,
                    adult: true,
                },
            )
        })
        .collect();
    let apply = vec![sign(
        chain_id,
        &seller,
        0,
        Payload::ApplySeller {
            shop_name: "bench shop".into(),
        },
    )];
    let approve = vec![sign(
        chain_id,
        &admin,
        0,
        Payload::ApproveSeller {
            account: seller.public(),
        },
    )];
    // Items 1..=N are the edition, item N + 1 the raffle prize.
    let serials = (0..N).map(|i| format!("SN-{i:05}")).collect();
    let products = vec![
        sign(
            chain_id,
            &seller,
            1,
            Payload::RegisterProduct(product(serials)),
        ),
        sign(
            chain_id,
            &seller,
            2,
            Payload::RegisterProduct(product(vec!["PRIZE-1".into()])),
        ),
    ];
    let mut handouts = vec![sign(
        chain_id,
        &seller,
        3,
        Payload::CreateRaffle(RaffleSpec {
            items: vec![N as u64 + 1],
            window: EntryWindow::Heights {
                opens: 5,
                closes: 1_000_000,
            },
            price: 200_000,
            runners_up: 10,
            min_age: Some(19),
            seed_commitment: truffle_ledger::tx::raffle_commitment(&Hash::of(b"secret")),
            reveal_blocks: 100,
            payment_window_ms: 600_000,
        }),
    )];
    handouts.extend(members.iter().enumerate().map(|(i, member)| {
        sign(
            chain_id,
            &seller,
            4 + i as u64,
            Payload::TransferItem {
                item: i as u64 + 1,
                to: member.public(),
            },
        )
    }));
    let setup = vec![
        proposal(&operator, 1, registrations),
        proposal(&operator, 2, apply),
        proposal(&operator, 3, approve),
        proposal(&operator, 4, products),
        proposal(&operator, 5, handouts),
    ];

    let enter = members
        .iter()
        .map(|m| sign(chain_id, m, 0, Payload::EnterRaffle { raffle: 1 }))
        .collect();
    let transfer = members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            sign(
                chain_id,
                m,
                0,
                Payload::TransferItem {
                    item: i as u64 + 1,
                    to: members[(i + 1) % N].public(),
                },
            )
        })
        .collect();
    Workload {
        genesis,
        setup,
        enter: proposal(&operator, 6, enter),
        transfer: proposal(&operator, 6, transfer),
    }
}

impl Workload {
    /// A fresh chain at the end of the setup blocks.
    fn prepared_chain(&self) -> MemoryChain {
        let mut chain = MemoryChain::new(&self.genesis).expect("genesis");
        for proposal in &self.setup {
            let block = chain.apply(proposal).expect("setup block");
            assert!(
                block.receipts.iter().all(|r| r.is_applied()),
                "setup transaction refused"
            );
        }
        chain
    }
}

fn bench_apply_block(c: &mut Criterion) {
    let workload = workload();
    let chain = workload.prepared_chain();
    for (name, proposal) in [
        ("enter_raffle", &workload.enter),
        ("transfer_item", &workload.transfer),
    ] {
        let executed = execute_block(chain.store(), chain.head(), proposal).expect("execute");
        let applied = executed
            .block
            .receipts
            .iter()
            .filter(|r| r.is_applied())
            .count();
        assert_eq!(applied, N, "{name}: every transaction must apply");
    }

    let mut group = c.benchmark_group("apply_block");
    group.throughput(Throughput::Elements(N as u64));
    group.sample_size(10);

    for (name, proposal) in [
        ("enter_raffle/apply", &workload.enter),
        ("transfer_item/apply", &workload.transfer),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || workload.prepared_chain(),
                |mut chain| {
                    let block = chain.apply(black_box(proposal)).expect("apply");
                    // Dropped outside the measurement.
                    (chain, block)
                },
                BatchSize::PerIteration,
            )
        });
    }

    group.bench_function("enter_raffle/execute", |b| {
        b.iter(|| {
            execute_block(chain.store(), chain.head(), black_box(&workload.enter)).expect("execute")
        })
    });
    // The leader applying its own proposal: every signature was verified at ingress.
    // A follower: it verified at ingress the third of the block submitted to it, and
    // verifies the other two thirds in one batch.
    let third_known: Vec<bool> = (0..workload.enter.transactions.len())
        .map(|i| i % 3 == 0)
        .collect();
    for (name, signatures) in [
        (
            "enter_raffle/execute_preverified",
            truffle_ledger::Signatures::AllVerifiedStrictly,
        ),
        (
            "enter_raffle/execute_third_preverified",
            truffle_ledger::Signatures::PartlyVerifiedStrictly(third_known),
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                truffle_ledger::execute_block_with(
                    chain.store(),
                    chain.head(),
                    black_box(&workload.enter),
                    signatures.clone(),
                )
                .expect("execute")
            })
        });
    }

    let hashes: Vec<Hash> = workload
        .enter
        .transactions
        .iter()
        .map(|t| t.hash())
        .collect();
    let checks: Vec<SignatureCheck<'_>> = workload
        .enter
        .transactions
        .iter()
        .zip(&hashes)
        .map(|(tx, hash)| SignatureCheck {
            public_key: &tx.tx.signer,
            message: hash.as_bytes(),
            signature: &tx.signature,
        })
        .collect();
    assert!(verify_many(&checks).iter().all(|r| r.is_ok()));
    group.bench_function("verify_many", |b| {
        b.iter(|| verify_many(black_box(&checks)))
    });
    group.finish();

    // The state root of one block of raffle entries, computed the two ways jmt allows,
    // in the same run: key by key (the path before this change, and still the path of
    // blocks that delete) and batched.
    let executed = execute_block(chain.store(), chain.head(), &workload.enter).expect("execute");
    let version = chain.head().height + 1;
    let mut group = c.benchmark_group("state_root");
    group.throughput(Throughput::Elements(executed.changes.len() as u64));
    group.sample_size(20);
    group.bench_function("key_by_key", |b| {
        b.iter(|| {
            let tree = truffle_ledger::state::StateTree::new(chain.store());
            tree.put_value_set(
                executed
                    .changes
                    .iter()
                    .map(|(k, v)| (truffle_ledger::state::tree_key(k), v.clone())),
                version,
            )
            .expect("root")
        })
    });
    group.bench_function("batched", |b| {
        b.iter(|| {
            truffle_ledger::state::compute_state_root(
                chain.store(),
                black_box(&executed.changes),
                version,
            )
            .expect("root")
        })
    });
    group.finish();
}

// What `criterion_group!`/`criterion_main!` expand to, written out: the macro's
// `pub fn` cannot carry the doc comment the `missing_docs` lint asks for.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench_apply_block(&mut criterion);
    criterion.final_summary();
}
