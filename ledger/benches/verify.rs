//! What an auditor pays: proof bundle sizes and verification times, and the
//! throughput of replaying a chain from genesis.
//!
//! The chain has four validators (every certificate carries three votes: the quorum of
//! the set in force), a seller and a three-piece edition whose piece 1 passes through
//! nine transfers (ten owners), then blocks of registrations.
//!
//! - `item`: `verify_item` of piece 1 (anchor, item, product, serial index, signed
//!   registration).
//! - `history`: `verify_history` of piece 1, ten ownership changes each with its
//!   certified block, transaction and receipt inclusion proofs.
//! - `replay`: `verify::check_block` over 20 blocks of 500 registrations each (links,
//!   body roots, signatures, certificate, re-execution) into a fresh `MemoryStore`,
//!   reported per transaction.
//!
//! Bundle sizes are printed before the measurements.
//! Run with `cargo bench -p truffle-ledger --bench verify`.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput};

use truffle_ledger::certificate::vote;
use truffle_ledger::state::MemoryStore;
use truffle_ledger::types::{ChainParams, ProductSpec, Role, Validator};
use truffle_ledger::verify::build::{self, ArchiveChain, ProofSource};
use truffle_ledger::verify::{
    check_block, check_genesis, encode_bundle, verify_history, verify_item, Freshness, ItemQuery,
    TrustRoot,
};
use truffle_ledger::{
    BlockProposal, Certificate, GenesisState, Hash, Keypair, Payload, SignedTransaction,
    Transaction,
};

const T0: u64 = 1_767_000_000_000;
const REPLAY_BLOCKS: usize = 20;
const REPLAY_BLOCK_TRANSACTIONS: usize = 500;

struct Bench {
    chain: ArchiveChain,
    genesis: GenesisState,
    validators: Vec<Keypair>,
    time_ms: u64,
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

impl Bench {
    fn block(&mut self, transactions: Vec<SignedTransaction>) {
        self.time_ms += 1_000;
        let block = self
            .chain
            .apply(&BlockProposal {
                proposer: self.validators[0].public(),
                time_ms: self.time_ms,
                transactions,
            })
            .expect("applies");
        assert!(block.receipts.iter().all(|r| r.is_applied()));
        let votes = self.validators[..3].iter().map(|k| vote(k, &block.header));
        let set = self.validators.iter().map(|k| k.public()).collect();
        self.chain
            .add_certificate(Certificate::from_votes(&block.header, &set, votes));
    }
}

fn setup() -> Bench {
    let validators: Vec<Keypair> = (0..4)
        .map(|i| Keypair::from_name(&format!("v{i}")))
        .collect();
    let admin = Keypair::from_name("admin");
    let genesis = GenesisState {
        chain_id: Hash::of(b"verify-bench"),
        time_ms: T0,
        params: ChainParams::default(),
        admins: vec![admin.public()],
        validators: validators
            .iter()
            .enumerate()
            .map(|(i, k)| Validator {
                key: k.public(),
                name: format!("v{i}"),
                p2p_address: "/ip4/127.0.0.1/tcp/30333".into(),
                since_height: 0,
            })
            .collect(),
    };
    let chain_id = genesis.chain_id;
    let mut bench = Bench {
        chain: ArchiveChain::new(&genesis).expect("genesis"),
        genesis,
        validators,
        time_ms: T0,
    };
    let seller = Keypair::from_name("seller");
    let owners: Vec<Keypair> = (0..9)
        .map(|i| Keypair::from_name(&format!("owner-{i}")))
        .collect();
    let mut admin_nonce = 0;
    let mut register = |key: &Keypair| {
        admin_nonce += 1;
        sign(
            chain_id,
            &admin,
            admin_nonce - 1,
            Payload::RegisterAccount {
                account: key.public(),
                role: Role::Member,
                adult: false,
            },
        )
    };
    let txs = std::iter::once(&seller)
        .chain(&owners)
        .map(&mut register)
        .collect();
    bench.block(txs);
    bench.block(vec![sign(
        chain_id,
        &seller,
        0,
        Payload::ApplySeller {
            shop_name: "shop".into(),
        },
    )]);
    bench.block(vec![register_approval(
        chain_id,
        &admin,
        admin_nonce,
        &seller,
    )]);
    admin_nonce += 1;
    bench.block(vec![sign(
        chain_id,
        &seller,
        1,
        Payload::RegisterProduct(ProductSpec {
            brand: "Nike".into(),
            model: "DD1391-100".into(),
            name_ko: "덩크".into(),
            name_en: "Dunk".into(),
            category: "sneakers".into(),
            release_date: 20_260_101,
            price: 150_000,
            description: "limited".into(),
            image_hashes: vec![Hash::of(b"image")],
            serials: vec!["SN-001".into(), "SN-002".into(), "SN-003".into()],
            list_for_sale: false,
        }),
    )]);
    let mut from = (seller.clone(), 2u64);
    for owner in &owners {
        bench.block(vec![sign(
            chain_id,
            &from.0,
            from.1,
            Payload::TransferItem {
                item: 1,
                to: owner.public(),
            },
        )]);
        from = (owner.clone(), 0);
    }
    for block in 0..REPLAY_BLOCKS {
        let txs = (0..REPLAY_BLOCK_TRANSACTIONS)
            .map(|i| {
                let member = Keypair::from_name(&format!("member-{block}-{i}"));
                admin_nonce += 1;
                sign(
                    chain_id,
                    &admin,
                    admin_nonce - 1,
                    Payload::RegisterAccount {
                        account: member.public(),
                        role: Role::Member,
                        adult: false,
                    },
                )
            })
            .collect();
        bench.block(txs);
    }
    bench
}

fn register_approval(
    chain_id: Hash,
    admin: &Keypair,
    nonce: u64,
    seller: &Keypair,
) -> SignedTransaction {
    sign(
        chain_id,
        admin,
        nonce,
        Payload::ApproveSeller {
            account: seller.public(),
        },
    )
}

fn bench_verify(c: &mut Criterion) {
    let bench = setup();
    let trust = TrustRoot::from(&bench.genesis);
    let head = bench.chain.chain().head().height;
    let query = ItemQuery::Id(1);
    let item = build::item_proof(&bench.chain, head, &query).expect("builds");
    let history = build::history_proof(&bench.chain, head, &query).expect("builds");
    let verdict = verify_history(&trust, &query, &history, Freshness::default()).expect("valid");
    assert_eq!(verdict.history.len(), 10);
    eprintln!(
        "item bundle: {} bytes; history bundle (10 owners): {} bytes; 4 validators, 3 votes per certificate",
        encode_bundle(&item).len(),
        encode_bundle(&history).len()
    );

    let mut group = c.benchmark_group("verify");
    group.bench_function("item", |b| {
        b.iter(|| verify_item(&trust, &query, black_box(&item), Freshness::default()).unwrap())
    });
    group.bench_function("history", |b| {
        b.iter(|| {
            verify_history(&trust, &query, black_box(&history), Freshness::default()).unwrap()
        })
    });

    let blocks = bench.chain.blocks().to_vec();
    let certificates: Vec<Certificate> = (1..blocks.len() as u64)
        .map(|h| bench.chain.certificate(h).unwrap().expect("certified"))
        .collect();
    let transactions: usize = blocks.iter().map(|b| b.transactions.len()).sum();
    eprintln!(
        "replay: {} blocks, {transactions} transactions",
        blocks.len() - 1
    );
    group.throughput(Throughput::Elements(transactions as u64));
    group.sample_size(10);
    group.bench_function("replay", |b| {
        b.iter_batched(
            // As `truffle verify chain` keeps its state.
            MemoryStore::latest_only,
            |store| {
                let genesis = check_genesis(&store, &bench.genesis, &blocks[0].header).unwrap();
                store.commit(&genesis.changes, &genesis.tree_update);
                let mut parent = genesis.block.header;
                for (block, certificate) in blocks[1..].iter().zip(&certificates) {
                    let executed =
                        check_block(&trust, &store, &parent, block, certificate).unwrap();
                    store.commit(&executed.changes, &executed.tree_update);
                    parent = executed.block.header;
                }
                parent
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

// What `criterion_group!`/`criterion_main!` expand to, written out: the macro's
// `pub fn` cannot carry the doc comment the `missing_docs` lint asks for.
fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench_verify(&mut criterion);
    criterion.final_summary();
}
