//! The RocksDB chain against the memory chain (`truffle_ledger::memory_chain`): the same
//! proposals give the same blocks, receipts and state roots on both, and the store's
//! tree serves each root. Driven by the execution fuzz target's input format, from
//! structured blocks (a property test) and from that target's saved corpus.

use proptest::prelude::*;
use truffle_ledger::fuzzing::{encode_blocks, memory_run};
use truffle_ledger::state::state_root_at;
use truffle_ledger::types::{EntryWindow, ProductSpec, RaffleSpec, Role};
use truffle_ledger::{execute_block, genesis_block, Hash, Keypair, Payload};

use crate::Store;

/// Runs the input on a memory chain, then the same proposals on a fresh RocksDB store;
/// returns how many blocks both applied.
fn memory_and_rocksdb_agree(data: &[u8]) -> usize {
    let (genesis, steps) = memory_run(data);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    let executed = genesis_block(&store, &genesis).unwrap();
    store.commit_block(&executed, &[]).unwrap();
    let mut head = executed.block.header;
    let mut applied = 0;
    for (n, (proposal, on_memory)) in steps.into_iter().enumerate() {
        match (execute_block(&store, &head, &proposal), on_memory) {
            (Ok(executed), Ok(block)) => {
                assert_eq!(executed.block, block, "block {n} differs");
                store.commit_block(&executed, &[]).unwrap();
                head = executed.block.header;
                assert_eq!(state_root_at(&store, head.height).unwrap(), head.state_root);
                applied += 1;
            }
            (Err(on_rocksdb), Err(on_memory)) => assert_eq!(on_rocksdb.to_string(), on_memory),
            (on_rocksdb, on_memory) => panic!(
                "block {n}: RocksDB {:?}, memory {:?}",
                on_rocksdb.map(|e| e.block.header),
                on_memory.map(|b| b.header)
            ),
        }
    }
    assert_eq!(store.head().unwrap().unwrap(), head);
    applied
}

/// Accounts of the execution target's chain, by signer index ("admin", "validator",
/// "seller", "member-1", "member-2", "outsider").
fn account(index: u8) -> truffle_ledger::PublicKey {
    let names = [
        "admin",
        "validator",
        "seller",
        "member-1",
        "member-2",
        "outsider",
    ];
    Keypair::from_name(names[usize::from(index) % names.len()]).public()
}

/// Payloads over a small world (six accounts, a few items, orders and raffles), so
/// that many apply and later ones act on what earlier ones made.
fn payload() -> impl Strategy<Value = Payload> {
    let id = 1u64..6;
    // Two groups: `prop_oneof!` takes at most ten differently typed strategies.
    let early = prop_oneof![
        (0u8..6, any::<bool>()).prop_map(|(a, adult)| Payload::RegisterAccount {
            account: account(a),
            role: Role::Member,
            adult,
        }),
        Just(Payload::ApplySeller {
            shop_name: "shop".into()
        }),
        (0u8..6).prop_map(|a| Payload::ApproveSeller {
            account: account(a)
        }),
        (1usize..4, any::<bool>()).prop_map(|(pieces, list)| Payload::RegisterProduct(
            ProductSpec {
                brand: "Nike".into(),
                model: "DD1391".into(),
                name_ko: "덩크".into(),
                name_en: "Dunk".into(),
                category: "sneakers".into(),
                release_date: 20_260_101,
                price: 150_000,
                description: String::new(),
                image_hashes: vec![],
                serials: (0..pieces).map(|i| format!("S-{i}")).collect(),
                list_for_sale: list,
            }
        )),
        (id.clone(), 0u8..6).prop_map(|(item, a)| Payload::TransferItem {
            item,
            to: account(a)
        }),
        (id.clone(), proptest::option::of(1u64..300_000))
            .prop_map(|(item, price)| Payload::ListItem { item, price }),
        id.clone().prop_map(|item| Payload::CreateOrder { item }),
    ];
    let later = prop_oneof![
        id.clone().prop_map(|order| Payload::CancelOrder {
            order,
            reason: "changed my mind".into()
        }),
        id.clone().prop_map(|order| Payload::ExpireOrder { order }),
        (1u64..4).prop_map(|item| Payload::CreateRaffle(RaffleSpec {
            items: vec![item],
            window: EntryWindow::Heights {
                opens: 2,
                closes: 4,
            },
            price: 100_000,
            runners_up: 0,
            min_age: None,
            seed_commitment: truffle_ledger::tx::raffle_commitment(&Hash::of(b"secret")),
            reveal_blocks: 3,
            payment_window_ms: 600_000,
        })),
        (1u64..3).prop_map(|raffle| Payload::EnterRaffle { raffle }),
        (1u64..3).prop_map(|raffle| Payload::RevealRaffleSecret {
            raffle,
            secret: Hash::of(b"secret"),
        }),
        (1u64..3).prop_map(|raffle| Payload::DrawRaffle { raffle }),
        (0u8..6).prop_map(|a| Payload::WithdrawAccount {
            account: account(a)
        }),
    ];
    prop_oneof![early, later]
}

/// Blocks of `(time step in minutes, [(signer, payload)])`, starting with the
/// registrations and the seller's approval most runs need.
fn blocks() -> impl Strategy<Value = Vec<(u8, Vec<(u8, Payload)>)>> {
    let opening = [
        (
            1u8,
            (2u8..5)
                .map(|a| {
                    (
                        0u8,
                        Payload::RegisterAccount {
                            account: account(a),
                            role: Role::Member,
                            adult: true,
                        },
                    )
                })
                .collect::<Vec<_>>(),
        ),
        (
            1,
            vec![(
                2,
                Payload::ApplySeller {
                    shop_name: "shop".into(),
                },
            )],
        ),
        (
            1,
            vec![(
                0,
                Payload::ApproveSeller {
                    account: account(2),
                },
            )],
        ),
    ];
    proptest::collection::vec(
        (
            0u8..30,
            proptest::collection::vec((0u8..6, payload()), 0..6),
        ),
        1..10,
    )
    .prop_map(move |rest| opening.iter().cloned().chain(rest).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_memory_chain_and_the_rocksdb_chain_agree(blocks in blocks()) {
        let applied = memory_and_rocksdb_agree(&encode_blocks(&blocks));
        prop_assert!(applied >= 3, "the opening blocks apply");
    }
}

/// The execution target's saved inputs (seeds and the corpus fuzzing grew) give the
/// same chain on both stores.
#[test]
fn the_execution_corpus_agrees_on_both_stores() {
    let fuzz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut files = 0;
    let mut blocks = 0;
    for kind in ["seeds", "corpus"] {
        for entry in std::fs::read_dir(fuzz.join(kind).join("execute_blocks")).unwrap() {
            blocks += memory_and_rocksdb_agree(&std::fs::read(entry.unwrap().path()).unwrap());
            files += 1;
        }
    }
    assert!(files >= 100, "the corpus is saved: {files} files");
    assert!(blocks >= 500, "the corpus applies blocks: {blocks}");
}
