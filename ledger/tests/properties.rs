//! Property tests of the ledger:
//!
//! - determinism: the same random blocks (valid and invalid transactions mixed, from a
//!   fixed set of keys) applied to two fresh chains give the same headers, receipts,
//!   state roots and records at every height;
//! - the transaction decoder never panics, on arbitrary bytes or on mutated valid
//!   encodings, and what it accepts is canonical;
//! - signed transactions survive borsh (and JSON) round trips with their signature.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

use truffle_ledger::exec::current_validators;
use truffle_ledger::limits::MAX_TRANSACTION_BYTES;
use truffle_ledger::state::{state_root_at, StateView};
use truffle_ledger::tx::raffle_commitment;
use truffle_ledger::types::{
    AdSpec, ChainParams, EntryWindow, Gender, ProductSpec, RaffleSpec, Role, Validator,
};
use truffle_ledger::{
    execute_block, BlockProposal, GenesisState, Hash, Keypair, MemoryChain, Payload, PublicKey,
    Rejection, SignedTransaction, Transaction,
};

const T0: u64 = 1_767_000_000_000;

/// The keys every random transaction is signed by or refers to.
const NAMES: [&str; 9] = [
    "admin",
    "validator-1",
    "seller",
    "member-1",
    "member-2",
    "member-3",
    "member-4",
    "validator-2",
    "outsider",
];

fn keys() -> Vec<Keypair> {
    NAMES.iter().map(|n| Keypair::from_name(n)).collect()
}

fn genesis(keys: &[Keypair]) -> GenesisState {
    GenesisState {
        chain_id: Hash::of(b"truffle property tests"),
        time_ms: T0,
        params: ChainParams {
            max_block_transactions: 12,
            order_payment_window_ms: 600_000,
            max_validators: 3,
            // Short raffle windows, so that random blocks reach closes and draws.
            min_raffle_entry_blocks: 1,
            min_raffle_entry_ms: 1,
            min_raffle_reveal_blocks: 1,
            // Random blocks jump time by up to hours; the step bound has tests of its own.
            max_block_time_step_ms: Some(365 * 24 * 3_600_000),
            ..ChainParams::default()
        },
        admins: vec![keys[0].public()],
        validators: vec![Validator {
            key: keys[1].public(),
            name: "validator-1".into(),
            p2p_address: "/ip4/127.0.0.1/tcp/30333".into(),
            since_height: 0,
        }],
    }
}

fn secret(n: u8) -> Hash {
    Hash::of(&[n % 3])
}

fn product(a: u64, b: u8) -> ProductSpec {
    ProductSpec {
        brand: if b % 2 == 0 { "Nike" } else { " nike " }.into(),
        model: "M-1".into(),
        name_ko: "한정판".into(),
        name_en: String::new(),
        category: "sneakers".into(),
        release_date: 20_260_101,
        price: 1_000 + u64::from(b % 4),
        description: String::new(),
        image_hashes: vec![],
        serials: vec![format!("S-{}", a % 5), format!("T{}", a % 7 + 10)],
        list_for_sale: b % 2 == 0,
    }
}

/// A payload of kind `kind` (one per `Payload` variant), its fields drawn from small
/// ranges so that random sequences often hit existing records.
fn payload(kind: u8, a: u64, b: u8, keys: &[Keypair], height: u64) -> Payload {
    let any_account = keys[(a % keys.len() as u64) as usize].public();
    // Mostly the seller and the members, sometimes anyone.
    let account = if b % 4 == 0 {
        any_account
    } else {
        keys[2 + (a % 5) as usize].public()
    };
    let other = keys[usize::from(b) % keys.len()].public();
    let item = 1 + a % 5;
    let raffle = 1 + a % 2;
    let order = 1 + a % 4;
    match kind % 22 {
        0 => Payload::RegisterAccount {
            account: any_account,
            role: [Role::Member, Role::Member, Role::Admin, Role::Operator][usize::from(b % 4)],
            adult: b % 5 != 0,
        },
        1 => Payload::SetAccountSuspended {
            account,
            suspended: b % 2 == 0,
        },
        2 => Payload::WithdrawAccount { account },
        3 => Payload::ApplySeller {
            shop_name: if b % 7 == 0 {
                String::new()
            } else {
                format!("shop {b}")
            },
        },
        4 => Payload::ApproveSeller { account },
        5 => Payload::RevokeSeller { account },
        6 => Payload::RegisterProduct(product(a, b)),
        7 => Payload::TransferItem { item, to: other },
        8 => Payload::ListItem {
            item,
            price: (b % 3 != 0).then_some(u64::from(b) * 100),
        },
        9 => Payload::CreateRaffle(RaffleSpec {
            items: if b % 3 == 0 {
                vec![item]
            } else {
                vec![item, 1 + (a + 1) % 5]
            },
            window: EntryWindow::Heights {
                opens: height + u64::from(b % 3),
                closes: height + 1 + u64::from(b % 6),
            },
            price: 2_000,
            runners_up: u32::from(b % 3),
            min_age: (b % 4 == 0).then_some(19),
            seed_commitment: raffle_commitment(&secret(b)),
            reveal_blocks: 1 + u64::from(b % 3),
            payment_window_ms: 60_000,
        }),
        10 => Payload::EnterRaffle { raffle },
        11 => Payload::RevealRaffleSecret {
            raffle,
            secret: secret(b),
        },
        12 => Payload::DrawRaffle { raffle },
        13 => Payload::CreateOrder { item },
        14 => Payload::SettlePayment {
            order,
            provider: "sandbox".into(),
            payment_key: format!("k{b}"),
            event_id: format!("e{}", b % 5),
            amount: [1_000, 1_001, 2_000, 0][usize::from(b % 4)],
        },
        15 => Payload::CancelOrder {
            order,
            reason: "r".into(),
        },
        16 => Payload::ExpireOrder { order },
        17 => Payload::RefundOrder {
            order,
            reason: "r".into(),
        },
        18 => Payload::CreateAd(AdSpec {
            title: "ad".into(),
            image_url: "https://cdn.example.com/a.png".into(),
            landing_url: if b % 5 == 0 {
                "javascript:alert(1)".into()
            } else {
                "https://shop.example.com/".into()
            },
            placement: "main".into(),
            starts_at_ms: T0,
            ends_at_ms: T0 + 1 + u64::from(b),
            target_gender: None,
            target_min_age: None,
            target_max_age: None,
        }),
        19 => Payload::SetAdActive {
            ad: 1 + a % 2,
            active: b % 2 == 0,
        },
        20 => Payload::AddValidator {
            key: if b % 4 == 0 {
                any_account
            } else {
                keys[7].public()
            },
            name: format!("v{b}"),
            p2p_address: format!("/ip4/127.0.0.1/tcp/{}", 30_000 + u16::from(b)),
        },
        _ => Payload::RemoveValidator {
            key: if b % 4 == 0 {
                any_account
            } else {
                keys[7].public()
            },
        },
    }
}

/// A signer whose role fits the kind (`pick` chooses among several).
fn fitting_signer(kind: u8, pick: u64) -> usize {
    let member = 3 + (pick % 4) as usize;
    match kind % 22 {
        0 | 2 | 12 | 14 | 16 => 1,
        1 | 4 | 5 | 18..=21 => 0,
        3 | 10 | 13 => member,
        6 | 9 | 11 => 2,
        7 | 8 => [2, 2, 3, 4][(pick % 4) as usize],
        15 => [1, 3, 4][(pick % 3) as usize],
        _ => [0, 1][(pick % 2) as usize],
    }
}

/// One random transaction: who signs, what, and how it may be spoiled.
#[derive(Clone, Debug)]
struct Op {
    /// Index into [`NAMES`]; `None`: a signer whose role fits the kind.
    signer: Option<usize>,
    kind: u8,
    a: u64,
    b: u8,
    nonce_delta: i64,
    corrupt_signature: bool,
    wrong_chain: bool,
}

fn op() -> impl Strategy<Value = Op> {
    (
        prop::option::weighted(0.2, 0..NAMES.len()),
        0u8..22,
        0u64..64,
        any::<u8>(),
        prop_oneof![12 => Just(0i64), 1 => Just(-1i64), 1 => Just(1i64)],
        prop::bool::weighted(0.05),
        prop::bool::weighted(0.03),
    )
        .prop_map(
            |(signer, kind, a, b, nonce_delta, corrupt_signature, wrong_chain)| Op {
                signer,
                kind,
                a,
                b,
                nonce_delta,
                corrupt_signature,
                wrong_chain,
            },
        )
}

/// A random block: time step and transactions.
fn blocks() -> impl Strategy<Value = Vec<(u64, Vec<Op>)>> {
    prop::collection::vec(
        (
            prop_oneof![3 => 0u64..5_000, 1 => 600_000u64..700_000],
            prop::collection::vec(op(), 0..14),
        ),
        1..10,
    )
}

/// The transactions everyone starts from, so random blocks reach deep states: members,
/// an approved seller with a listed product, a raffle, an order.
fn setup(keys: &[Keypair]) -> Vec<Vec<(usize, Payload)>> {
    let register = |i: usize, year: Option<u16>| {
        (
            1,
            Payload::RegisterAccount {
                account: keys[i].public(),
                role: Role::Member,
                adult: year.is_some_and(|y| y <= 2006),
            },
        )
    };
    vec![
        vec![
            register(2, Some(1980)),
            register(3, Some(1990)),
            register(4, Some(2010)),
            register(5, None),
            register(6, Some(1970)),
        ],
        vec![(
            2,
            Payload::ApplySeller {
                shop_name: "shop".into(),
            },
        )],
        vec![(
            0,
            Payload::ApproveSeller {
                account: keys[2].public(),
            },
        )],
        vec![
            (2, Payload::RegisterProduct(product(0, 0))),
            (2, Payload::RegisterProduct(product(1, 2))),
            (3, Payload::CreateOrder { item: 1 }),
        ],
        vec![(
            2,
            Payload::CreateRaffle(RaffleSpec {
                items: vec![3],
                window: EntryWindow::Heights {
                    opens: 5,
                    closes: 8,
                },
                price: 2_000,
                runners_up: 2,
                min_age: None,
                seed_commitment: raffle_commitment(&secret(1)),
                reveal_blocks: 2,
                payment_window_ms: 60_000,
            }),
        )],
    ]
}

fn sign_with_nonce(
    chain: &MemoryChain,
    key: &Keypair,
    nonce: u64,
    payload: Payload,
) -> SignedTransaction {
    Transaction {
        chain_id: chain.chain_id(),
        signer: key.public(),
        nonce,
        payload,
    }
    .sign(key)
}

/// Builds the proposal of one block. Each transaction gets the nonce that follows the
/// signer's transactions applied so far in the block (found by executing the partial
/// proposal), then `nonce_delta` spoils some of them.
fn proposal(chain: &MemoryChain, keys: &[Keypair], time_ms: u64, ops: &[Op]) -> BlockProposal {
    let mut proposal = BlockProposal {
        // Random blocks add and remove validators: the block is proposed by one of the
        // set its parent left, as the ledger requires.
        proposer: current_validators(chain.store()).unwrap()[0].key,
        time_ms,
        transactions: Vec::with_capacity(ops.len()),
    };
    let mut applied = vec![0u64; keys.len()];
    for op in ops {
        let signer = op.signer.unwrap_or_else(|| fitting_signer(op.kind, op.a));
        let key = &keys[signer];
        let next = chain.next_nonce(key).unwrap() + applied[signer];
        let mut tx = Transaction {
            chain_id: if op.wrong_chain {
                Hash::of(b"elsewhere")
            } else {
                chain.chain_id()
            },
            signer: key.public(),
            nonce: next.saturating_add_signed(op.nonce_delta),
            payload: payload(op.kind, op.a, op.b, keys, chain.head().height + 1),
        }
        .sign(key);
        if op.corrupt_signature {
            tx.signature.0[usize::from(op.b) % 64] ^= 0x20;
        }
        proposal.transactions.push(tx);
        let trial = execute_block(chain.store(), chain.head(), &proposal).unwrap();
        if trial.block.receipts.last().is_some_and(|r| r.is_applied()) {
            applied[signer] += 1;
        }
    }
    proposal
}

/// Applies the setup and the random blocks to two fresh chains, checking at every
/// height that they agree. Returns the kinds of the applied transactions and the
/// number of refused ones.
fn run_twice(blocks: &[(u64, Vec<Op>)]) -> Result<(Vec<&'static str>, usize), TestCaseError> {
    let keys = keys();
    let genesis = genesis(&keys);
    let mut first = MemoryChain::new(&genesis).unwrap();
    let mut second = MemoryChain::new(&genesis).unwrap();
    prop_assert_eq!(first.head(), second.head());
    let mut time_ms = T0;
    let mut applied_kinds = Vec::new();
    let mut rejected = 0;
    let mut all: Vec<BlockProposal> = Vec::new();
    for block in setup(&keys) {
        time_ms += 1_000;
        let mut used = vec![0u64; keys.len()];
        let transactions = block
            .into_iter()
            .map(|(signer, payload)| {
                let nonce = first.next_nonce(&keys[signer]).unwrap() + used[signer];
                used[signer] += 1;
                sign_with_nonce(&first, &keys[signer], nonce, payload)
            })
            .collect();
        let proposal = BlockProposal {
            proposer: keys[1].public(),
            time_ms,
            transactions,
        };
        let applied = first.apply(&proposal).unwrap();
        prop_assert!(
            applied.receipts.iter().all(|r| r.is_applied()),
            "setup refused: {:?}",
            applied.receipts
        );
        let again = second.apply(&proposal).unwrap();
        prop_assert_eq!(&applied, &again);
        all.push(proposal);
    }
    for (step, ops) in blocks {
        time_ms += step;
        let proposal = proposal(&first, &keys, time_ms, ops);
        let a = first.apply(&proposal).unwrap();
        let b = second.apply(&proposal).unwrap();
        prop_assert_eq!(a.header.hash(), b.header.hash());
        prop_assert_eq!(a.header.state_root, b.header.state_root);
        prop_assert_eq!(&a.receipts, &b.receipts);
        prop_assert!(a.check_body());
        prop_assert_eq!(
            state_root_at(first.store(), a.header.height).unwrap(),
            a.header.state_root
        );
        prop_assert_eq!(
            first.store().scan_prefix(&[]).unwrap(),
            second.store().scan_prefix(&[]).unwrap()
        );
        for (receipt, tx) in a.receipts.iter().zip(&a.transactions) {
            if receipt.is_applied() {
                applied_kinds.push(tx.tx.payload.kind());
            } else {
                rejected += 1;
            }
        }
        all.push(proposal);
    }
    // An auditor replaying every proposal from genesis reaches the same head.
    let mut replay = MemoryChain::new(&genesis).unwrap();
    for proposal in &all {
        replay.apply(proposal).unwrap();
    }
    prop_assert_eq!(replay.head(), first.head());
    Ok((applied_kinds, rejected))
}

proptest! {
    #![proptest_config(Config { cases: 64, ..Config::default() })]

    #[test]
    fn same_blocks_same_chain(blocks in blocks()) {
        run_twice(&blocks)?;
    }
}

/// Found by the random blocks on a loaded CI run: a validator is added, then the first
/// one removed; the next block must come from the set that remains, not from the
/// genesis validator.
#[test]
fn blocks_after_the_genesis_validator_is_removed_replay() {
    let op = |kind, a, b| Op {
        signer: None,
        kind,
        a,
        b,
        nonce_delta: 0,
        corrupt_signature: false,
        wrong_chain: false,
    };
    let blocks = vec![
        (0, vec![op(20, 0, 1)]),
        (0, vec![op(21, 28, 172)]),
        (0, vec![]),
    ];
    let (applied, refused) = run_twice(&blocks).unwrap();
    assert_eq!(applied, ["add_validator", "remove_validator"]);
    assert_eq!(refused, 0);
}

/// The generator is worth its salt: over a fixed set of random runs, many transactions
/// of many kinds apply and many are refused.
#[test]
fn random_blocks_mix_valid_and_invalid_transactions() {
    let mut runner = TestRunner::deterministic();
    let strategy = blocks();
    let (mut applied, mut rejected) = (Vec::new(), 0);
    for _ in 0..24 {
        let blocks = strategy.new_tree(&mut runner).unwrap().current();
        let (kinds, refused) = run_twice(&blocks).unwrap();
        applied.extend(kinds);
        rejected += refused;
    }
    let mut kinds = applied.clone();
    kinds.sort_unstable();
    kinds.dedup();
    assert!(
        applied.len() >= 100,
        "only {} transactions applied",
        applied.len()
    );
    assert!(rejected >= 100, "only {rejected} transactions refused");
    assert!(kinds.len() >= 18, "only {kinds:?} applied");
}

// ----- decoding untrusted bytes -----

/// Valid encodings of a few signed transactions of every kind.
fn valid_encodings() -> Vec<Vec<u8>> {
    let keys = keys();
    let chain_id = Hash::of(b"truffle property tests");
    (0u8..22)
        .map(|kind| {
            Transaction {
                chain_id,
                signer: keys[usize::from(kind) % keys.len()].public(),
                nonce: u64::from(kind) * 1_000,
                payload: payload(kind, u64::from(kind) * 7, kind.wrapping_mul(37), &keys, 9),
            }
            .sign(&keys[usize::from(kind) % keys.len()])
            .encode()
        })
        .collect()
}

#[derive(Clone, Debug)]
enum Mutation {
    Flip {
        at: usize,
        mask: u8,
    },
    Set {
        at: usize,
        value: u8,
    },
    Insert {
        at: usize,
        value: u8,
    },
    Remove {
        at: usize,
    },
    Truncate {
        len: usize,
    },
    /// Overwrites four bytes with a large little-endian length.
    BigLength {
        at: usize,
        len: u32,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, value)| Mutation::Set { at, value }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, value)| Mutation::Insert { at, value }),
        any::<usize>().prop_map(|at| Mutation::Remove { at }),
        any::<usize>().prop_map(|len| Mutation::Truncate { len }),
        (
            any::<usize>(),
            prop_oneof![Just(u32::MAX), Just(1u32 << 24), any::<u32>()]
        )
            .prop_map(|(at, len)| Mutation::BigLength { at, len }),
    ]
}

fn mutate(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let n = bytes.len();
    match *mutation {
        Mutation::Flip { at, mask } if n > 0 => bytes[at % n] ^= mask,
        Mutation::Set { at, value } if n > 0 => bytes[at % n] = value,
        Mutation::Insert { at, value } => bytes.insert(at % (n + 1), value),
        Mutation::Remove { at } if n > 0 => {
            bytes.remove(at % n);
        }
        Mutation::Truncate { len } => bytes.truncate(len % (n + 1)),
        Mutation::BigLength { at, len } if n >= 4 => {
            let at = at % (n - 3);
            bytes[at..at + 4].copy_from_slice(&len.to_le_bytes());
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(Config { cases: 512, ..Config::default() })]

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(tx) = SignedTransaction::decode(&bytes) {
            // Whatever decodes is canonical: it encodes back to the same bytes.
            prop_assert_eq!(tx.encode(), bytes);
        }
    }

    #[test]
    fn decoding_mutated_transactions_never_panics(
        index in 0usize..22,
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let original = valid_encodings().swap_remove(index);
        let decoded = SignedTransaction::decode(&original).unwrap();
        let chain_id = Hash::of(b"truffle property tests");
        let verdict = decoded.check_stateless(&chain_id).map(|_| ());
        prop_assert_eq!(verdict, decoded.tx.payload.validate_static());
        let mut bytes = original.clone();
        for m in &mutations {
            mutate(&mut bytes, m);
        }
        match SignedTransaction::decode(&bytes) {
            Ok(tx) => {
                prop_assert_eq!(&tx.encode(), &bytes);
                if bytes != original {
                    // A changed transaction no longer carries a valid signature.
                    prop_assert!(tx != decoded);
                    let signed = tx.tx.signer.verify(tx.hash().as_bytes(), &tx.signature);
                    prop_assert!(signed.is_err(), "mutated transaction verifies: {:?}", tx);
                    prop_assert!(tx.check_stateless(&chain_id).is_err());
                }
            }
            Err(rejection) => {
                prop_assert!(matches!(rejection, Rejection::Malformed { .. }), "{:?}", rejection);
            }
        }
    }
}

#[test]
fn oversized_input_is_refused_before_decoding() {
    let bytes = vec![0u8; MAX_TRANSACTION_BYTES + 1];
    assert_eq!(
        SignedTransaction::decode(&bytes),
        Err(Rejection::TooLarge {
            size: MAX_TRANSACTION_BYTES as u64 + 1,
            max: MAX_TRANSACTION_BYTES as u64,
        })
    );
    // Trailing bytes after a valid transaction are refused.
    let mut bytes = valid_encodings().swap_remove(0);
    bytes.push(0);
    assert!(matches!(
        SignedTransaction::decode(&bytes),
        Err(Rejection::Malformed { .. })
    ));
}

// ----- round trips -----

fn hash() -> impl Strategy<Value = Hash> {
    any::<[u8; 32]>().prop_map(Hash)
}

fn public_key() -> impl Strategy<Value = PublicKey> {
    any::<[u8; 32]>().prop_map(PublicKey)
}

fn text() -> impl Strategy<Value = String> {
    ".{0,12}"
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Member), Just(Role::Admin), Just(Role::Operator)]
}

fn gender() -> impl Strategy<Value = Option<Gender>> {
    prop::option::of(prop_oneof![
        Just(Gender::Female),
        Just(Gender::Male),
        Just(Gender::Other)
    ])
}

fn window() -> impl Strategy<Value = EntryWindow> {
    prop_oneof![
        (any::<u64>(), any::<u64>())
            .prop_map(|(opens, closes)| EntryWindow::Heights { opens, closes }),
        (any::<u64>(), any::<u64>()).prop_map(|(opens_ms, closes_ms)| EntryWindow::Times {
            opens_ms,
            closes_ms
        }),
    ]
}

fn product_spec() -> impl Strategy<Value = ProductSpec> {
    (
        (text(), text(), text(), text(), text()),
        (any::<u32>(), any::<u64>(), text()),
        prop::collection::vec(hash(), 0..3),
        prop::collection::vec(text(), 0..4),
        any::<bool>(),
    )
        .prop_map(
            |(
                (brand, model, name_ko, name_en, category),
                (release_date, price, description),
                image_hashes,
                serials,
                list_for_sale,
            )| {
                ProductSpec {
                    brand,
                    model,
                    name_ko,
                    name_en,
                    category,
                    release_date,
                    price,
                    description,
                    image_hashes,
                    serials,
                    list_for_sale,
                }
            },
        )
}

fn raffle_spec() -> impl Strategy<Value = RaffleSpec> {
    (
        prop::collection::vec(any::<u64>(), 0..4),
        window(),
        (any::<u64>(), any::<u32>(), any::<Option<u8>>()),
        hash(),
        (any::<u64>(), any::<u64>()),
    )
        .prop_map(
            |(
                items,
                window,
                (price, runners_up, min_age),
                seed_commitment,
                (reveal_blocks, payment_window_ms),
            )| {
                RaffleSpec {
                    items,
                    window,
                    price,
                    runners_up,
                    min_age,
                    seed_commitment,
                    reveal_blocks,
                    payment_window_ms,
                }
            },
        )
}

fn ad_spec() -> impl Strategy<Value = AdSpec> {
    (
        (text(), text(), text(), text()),
        (any::<u64>(), any::<u64>()),
        gender(),
        (any::<Option<u8>>(), any::<Option<u8>>()),
    )
        .prop_map(
            |(
                (title, image_url, landing_url, placement),
                (starts_at_ms, ends_at_ms),
                target_gender,
                (target_min_age, target_max_age),
            )| {
                AdSpec {
                    title,
                    image_url,
                    landing_url,
                    placement,
                    starts_at_ms,
                    ends_at_ms,
                    target_gender,
                    target_min_age,
                    target_max_age,
                }
            },
        )
}

/// Any payload of any kind, fields unconstrained.
fn any_payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        (public_key(), role(), any::<bool>())
            .prop_map(|(account, role, adult)| {
                Payload::RegisterAccount {
                    account,
                    role,
                    adult,
                }
            })
            .boxed(),
        (public_key(), any::<bool>())
            .prop_map(|(account, suspended)| Payload::SetAccountSuspended { account, suspended })
            .boxed(),
        public_key()
            .prop_map(|account| Payload::WithdrawAccount { account })
            .boxed(),
        text()
            .prop_map(|shop_name| Payload::ApplySeller { shop_name })
            .boxed(),
        public_key()
            .prop_map(|account| Payload::ApproveSeller { account })
            .boxed(),
        public_key()
            .prop_map(|account| Payload::RevokeSeller { account })
            .boxed(),
        product_spec().prop_map(Payload::RegisterProduct).boxed(),
        (any::<u64>(), public_key())
            .prop_map(|(item, to)| Payload::TransferItem { item, to })
            .boxed(),
        (any::<u64>(), any::<Option<u64>>())
            .prop_map(|(item, price)| Payload::ListItem { item, price })
            .boxed(),
        raffle_spec().prop_map(Payload::CreateRaffle).boxed(),
        any::<u64>()
            .prop_map(|raffle| Payload::EnterRaffle { raffle })
            .boxed(),
        (any::<u64>(), hash())
            .prop_map(|(raffle, secret)| Payload::RevealRaffleSecret { raffle, secret })
            .boxed(),
        any::<u64>()
            .prop_map(|raffle| Payload::DrawRaffle { raffle })
            .boxed(),
        any::<u64>()
            .prop_map(|item| Payload::CreateOrder { item })
            .boxed(),
        (any::<u64>(), text(), text(), text(), any::<u64>())
            .prop_map(
                |(order, provider, payment_key, event_id, amount)| Payload::SettlePayment {
                    order,
                    provider,
                    payment_key,
                    event_id,
                    amount,
                },
            )
            .boxed(),
        (any::<u64>(), text())
            .prop_map(|(order, reason)| Payload::CancelOrder { order, reason })
            .boxed(),
        any::<u64>()
            .prop_map(|order| Payload::ExpireOrder { order })
            .boxed(),
        (any::<u64>(), text())
            .prop_map(|(order, reason)| Payload::RefundOrder { order, reason })
            .boxed(),
        ad_spec().prop_map(Payload::CreateAd).boxed(),
        (any::<u64>(), any::<bool>())
            .prop_map(|(ad, active)| Payload::SetAdActive { ad, active })
            .boxed(),
        (public_key(), text(), text())
            .prop_map(|(key, name, p2p_address)| Payload::AddValidator {
                key,
                name,
                p2p_address,
            })
            .boxed(),
        public_key()
            .prop_map(|key| Payload::RemoveValidator { key })
            .boxed(),
        (any::<u64>(), text())
            .prop_map(|(order, reason)| Payload::RequestRefund { order, reason })
            .boxed(),
        (any::<u64>(), any::<bool>(), text())
            .prop_map(|(order, approve, note)| Payload::DecideRefund {
                order,
                approve,
                note,
            })
            .boxed(),
    ]
}

proptest! {
    #![proptest_config(Config { cases: 256, ..Config::default() })]

    #[test]
    fn signed_transactions_round_trip(
        payload in any_payload(),
        chain_id in hash(),
        nonce in any::<u64>(),
        signer in 0..NAMES.len(),
    ) {
        let key = Keypair::from_name(NAMES[signer]);
        let tx = Transaction { chain_id, signer: key.public(), nonce, payload }.sign(&key);
        let bytes = tx.encode();
        prop_assert_eq!(bytes.clone(), borsh::to_vec(&tx).unwrap());
        let decoded = SignedTransaction::decode(&bytes).unwrap();
        prop_assert_eq!(&decoded, &tx);
        prop_assert_eq!(decoded.hash(), tx.hash());
        prop_assert_eq!(decoded.encode(), bytes);
        let hash = decoded.hash();
        prop_assert!(decoded.tx.signer.verify(hash.as_bytes(), &decoded.signature).is_ok());
        // The JSON form (RPC, CLI) round-trips too and keeps the transaction id.
        let json = serde_json::to_string(&tx).unwrap();
        let from_json: SignedTransaction = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(from_json.hash(), tx.hash());
        prop_assert_eq!(from_json, tx);
    }
}
