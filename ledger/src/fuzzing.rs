//! Entry points of the ledger's fuzz targets (`fuzz/fuzz_targets/`), kept here so that
//! the saved corpora replay as ordinary tests on the stable toolchain. Each function takes
//! arbitrary bytes and panics only on a bug: a decoder that accepts a non-canonical
//! encoding, an execution that panics or differs between two runs.

use crate::block::{Block, BlockProposal};
use crate::crypto::Keypair;
use crate::exec::{current_validators, GenesisState};
use crate::hash::Hash;
use crate::memory_chain::MemoryChain;
use crate::tx::{Payload, SignedTransaction, Transaction};
use crate::types::{ChainParams, Validator};

/// The chain id the decoder target checks transactions against.
const FUZZ_CHAIN: &[u8] = b"truffle fuzz chain";

/// Decodes a transaction from untrusted bytes; what decodes must re-encode to the same
/// bytes and go through the stateless checks without panicking.
pub fn decode_transaction(data: &[u8]) {
    let Ok(tx) = SignedTransaction::decode(data) else {
        return;
    };
    assert_eq!(tx.encode(), data, "accepted a non-canonical encoding");
    let _ = tx.check_stateless(&Hash::of(FUZZ_CHAIN));
    let _ = tx.tx.payload.validate_static();
}

/// The accounts the execution target signs for: an admin, the validator, a seller-to-be
/// and members; fixed, so a corpus keeps its meaning between runs.
const SIGNERS: [&str; 6] = [
    "admin",
    "validator",
    "seller",
    "member-1",
    "member-2",
    "outsider",
];

/// Genesis time of the execution target's chain.
const FUZZ_T0: u64 = 1_767_000_000_000;

fn fuzz_genesis(keys: &[Keypair]) -> GenesisState {
    GenesisState {
        chain_id: Hash::of(FUZZ_CHAIN),
        time_ms: FUZZ_T0,
        params: ChainParams {
            max_block_transactions: 16,
            min_raffle_entry_blocks: 1,
            min_raffle_entry_ms: 1,
            min_raffle_reveal_blocks: 1,
            max_block_time_step_ms: Some(365 * 24 * 3_600_000),
            ..ChainParams::default()
        },
        admins: vec![keys[0].public()],
        validators: vec![Validator {
            key: keys[1].public(),
            name: "validator".into(),
            p2p_address: "/ip4/127.0.0.1/tcp/30333".into(),
            since_height: 0,
        }],
    }
}

/// Reads the execution target's input: blocks of signed payloads.
struct Cursor<'a> {
    data: &'a [u8],
}

impl Cursor<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (first, rest) = self.data.split_first()?;
        self.data = rest;
        Some(*first)
    }

    fn take(&mut self, len: usize) -> Option<&[u8]> {
        if self.data.len() < len {
            return None;
        }
        let (head, rest) = self.data.split_at(len);
        self.data = rest;
        Some(head)
    }
}

/// One block of the execution target's input: its time step and the transactions the
/// harness signs.
struct FuzzBlock {
    step_ms: u64,
    transactions: Vec<FuzzTransaction>,
}

/// A transaction of the input: who signs it, whether it replays the signer's last nonce.
struct FuzzTransaction {
    signer: usize,
    stale_nonce: bool,
    payload: Payload,
}

/// Input layout, repeated per block: `count`, `time step` (minutes), then `count` times
/// `signer`, `nonce byte` (0xff: a stale nonce), `length`, `borsh(Payload)`. Payloads that do not decode are
/// skipped, so mutations keep the blocks around them.
fn parse_blocks(data: &[u8]) -> Vec<FuzzBlock> {
    let mut cursor = Cursor { data };
    let mut blocks = Vec::new();
    while let (Some(count), Some(step)) = (cursor.byte(), cursor.byte()) {
        let mut transactions = Vec::new();
        for _ in 0..count % 17 {
            let (Some(signer), Some(nonce_byte), Some(len)) =
                (cursor.byte(), cursor.byte(), cursor.byte())
            else {
                break;
            };
            let Some(bytes) = cursor.take(usize::from(len)) else {
                break;
            };
            if let Ok(payload) = borsh::from_slice::<Payload>(bytes) {
                // Mostly the right nonce; a nonce byte of 0xff replays the last one.
                transactions.push(FuzzTransaction {
                    signer: usize::from(signer) % SIGNERS.len(),
                    stale_nonce: nonce_byte == 0xff,
                    payload,
                });
            }
        }
        blocks.push(FuzzBlock {
            step_ms: u64::from(step) * 60_000,
            transactions,
        });
        if blocks.len() >= 32 {
            break;
        }
    }
    blocks
}

/// The proposal of one block on `chain`: each transaction signed with the signer's next
/// nonce after the ones before it in the block (or a stale one).
fn fuzz_proposal(chain: &MemoryChain, keys: &[Keypair], block: &FuzzBlock) -> BlockProposal {
    let mut used = vec![0u64; keys.len()];
    let transactions = block
        .transactions
        .iter()
        .map(|tx| {
            let key = &keys[tx.signer];
            let next = chain.next_nonce(key).unwrap_or(0) + used[tx.signer];
            let nonce = if tx.stale_nonce {
                next.saturating_sub(1)
            } else {
                used[tx.signer] += 1;
                next
            };
            Transaction {
                chain_id: chain.chain_id(),
                signer: key.public(),
                nonce,
                payload: tx.payload.clone(),
            }
            .sign(key)
        })
        .collect();
    BlockProposal {
        proposer: current_validators(chain.store())
            .ok()
            .and_then(|set| set.first().map(|v| v.key))
            .unwrap_or(keys[1].public()),
        time_ms: chain.head().time_ms + block.step_ms,
        transactions,
    }
}

/// Executes the blocks the input describes on two fresh chains: execution never panics,
/// a refused proposal is refused by both, and both end with equal blocks and state roots.
pub fn execute_blocks(data: &[u8]) {
    let blocks = parse_blocks(data);
    if blocks.is_empty() {
        return;
    }
    let keys: Vec<Keypair> = SIGNERS.iter().map(|n| Keypair::from_name(n)).collect();
    let genesis = fuzz_genesis(&keys);
    let mut first = MemoryChain::new(&genesis).expect("the fuzz genesis is valid");
    let mut second = MemoryChain::new(&genesis).expect("the fuzz genesis is valid");
    for block in &blocks {
        let proposal = fuzz_proposal(&first, &keys, block);
        match (first.apply(&proposal), second.apply(&proposal)) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "two executions of one block differ"),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            (a, b) => panic!("one execution failed, the other did not: {a:?} / {b:?}"),
        }
    }
    assert_eq!(first.head(), second.head());
}

/// Each proposal an input describes, with what a chain made of it (the block, or the
/// error's message).
pub type ProposalOutcomes = Vec<(BlockProposal, Result<Block, String>)>;

/// The execution target's run on one memory chain: its genesis, and each proposal the
/// input describes with what the chain made of it.
/// Other chains (the RocksDB store's) are held to it by their own tests.
pub fn memory_run(data: &[u8]) -> (GenesisState, ProposalOutcomes) {
    let keys: Vec<Keypair> = SIGNERS.iter().map(|n| Keypair::from_name(n)).collect();
    let genesis = fuzz_genesis(&keys);
    let mut chain = MemoryChain::new(&genesis).expect("the fuzz genesis is valid");
    let steps = parse_blocks(data)
        .iter()
        .map(|block| {
            let proposal = fuzz_proposal(&chain, &keys, block);
            let outcome = chain.apply(&proposal).map_err(|e| e.to_string());
            (proposal, outcome)
        })
        .collect();
    (genesis, steps)
}

/// Verifies a history proof bundle for item `item` from untrusted bytes, as
/// `truffle verify history` does: never panics, and a bundle accepted is the one
/// encoding of its value. Returns the verdict (the fuzz target over the golden chain
/// and the comparison with the browser's verifier share it).
pub fn verify_history_bundle(
    trust: &crate::verify::TrustRoot,
    item: u64,
    data: &[u8],
) -> Result<crate::verify::HistoryVerdict, crate::verify::VerifyError> {
    use crate::verify::{verify_history, HistoryProof, ItemQuery};
    verify_canonical_bundle(data, |proof: &HistoryProof| {
        verify_history(trust, &ItemQuery::Id(item), proof, Default::default())
    })
}

/// Verifies a raffle proof bundle for raffle `raffle` from untrusted bytes, as
/// `truffle verify raffle` does (the draw recomputed): never panics, and a bundle
/// accepted is the one encoding of its value. Returns the verdict (the fuzz target over
/// the golden raffle and the comparison with the browser's verifier share it).
pub fn verify_raffle_bundle(
    trust: &crate::verify::TrustRoot,
    raffle: u64,
    data: &[u8],
) -> Result<crate::verify::RaffleVerdict, crate::verify::VerifyError> {
    use crate::verify::{verify_raffle, RaffleProof};
    verify_canonical_bundle(data, |proof: &RaffleProof| {
        verify_raffle(trust, raffle, proof, Default::default())
    })
}

/// Decodes a bundle and verifies it with `verify`; an accepted bundle must re-encode to
/// `data`, since a second encoding of one proof would let two byte strings carry one
/// verdict (and the browser, which decodes on its own, might not accept both).
fn verify_canonical_bundle<P, V>(
    data: &[u8],
    verify: impl FnOnce(&P) -> Result<V, crate::verify::VerifyError>,
) -> Result<V, crate::verify::VerifyError>
where
    P: borsh::BorshSerialize + borsh::BorshDeserialize,
{
    use crate::verify::{decode_bundle, encode_bundle};
    let proof: P = decode_bundle(data)?;
    let verdict = verify(&proof)?;
    assert_eq!(
        encode_bundle(&proof),
        data,
        "accepted a non-canonical bundle"
    );
    Ok(verdict)
}

/// Builds an input for [`execute_blocks`] from blocks of `(signer, payload)`: the seeds of
/// its corpus are written with this, from the ledger's own test scenarios.
pub fn encode_blocks(blocks: &[(u8, Vec<(u8, Payload)>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (step_minutes, transactions) in blocks {
        out.push(transactions.len() as u8);
        out.push(*step_minutes);
        for (signer, payload) in transactions {
            let bytes = borsh::to_vec(payload).expect("payloads encode");
            out.push(*signer);
            out.push(0);
            out.push(u8::try_from(bytes.len()).expect("seed payloads are short"));
            out.extend_from_slice(&bytes);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Role;

    /// The saved inputs of `target`: its seeds (`fuzz/seeds/<target>/`) and the corpus
    /// fuzzing grew from them (`fuzz/corpus/<target>/`).
    fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
        let fuzz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
        let mut files: Vec<_> = ["seeds", "corpus"]
            .iter()
            .flat_map(|kind| {
                let dir = fuzz.join(kind).join(target);
                std::fs::read_dir(&dir)
                    .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                    .map(|entry| entry.expect("a corpus entry").path())
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|path| {
                let bytes = std::fs::read(&path).expect("a corpus file");
                (path.display().to_string(), bytes)
            })
            .collect()
    }

    #[test]
    fn the_decoder_corpus_replays() {
        let files = corpus("decode_transaction");
        assert!(files.len() >= 100, "the corpus is saved: {}", files.len());
        for (_, bytes) in files {
            decode_transaction(&bytes);
        }
    }

    #[test]
    fn the_execution_corpus_replays() {
        let files = corpus("execute_blocks");
        assert!(files.len() >= 100, "the corpus is saved: {}", files.len());
        for (_, bytes) in files {
            execute_blocks(&bytes);
        }
    }

    #[test]
    fn a_seed_input_executes_its_transactions() {
        let member = Keypair::from_name("member-1").public();
        let input = encode_blocks(&[(
            1,
            vec![(
                0,
                Payload::RegisterAccount {
                    account: member,
                    role: Role::Member,
                    adult: true,
                },
            )],
        )]);
        let blocks = parse_blocks(&input);
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].transactions.len(), 1);
        let keys: Vec<Keypair> = SIGNERS.iter().map(|n| Keypair::from_name(n)).collect();
        let mut chain = MemoryChain::new(&fuzz_genesis(&keys)).unwrap();
        let block = chain
            .apply(&fuzz_proposal(&chain, &keys, &blocks[0]))
            .unwrap();
        assert!(block.receipts[0].is_applied(), "{:?}", block.receipts);
    }

    /// The scenario the seeds are made from: accounts, a seller approved, a product
    /// registered for sale, an order, a raffle entered; by signer index into `SIGNERS`.
    fn seed_blocks() -> Vec<(u8, Vec<(u8, Payload)>)> {
        use crate::tx::raffle_commitment;
        use crate::types::{EntryWindow, ProductSpec, RaffleSpec};
        let name = |n: &str| Keypair::from_name(n).public();
        let register = |n: &str| Payload::RegisterAccount {
            account: name(n),
            role: Role::Member,
            adult: true,
        };
        let product = ProductSpec {
            brand: "Nike".into(),
            model: "DD1391".into(),
            name_ko: "덩크 로우".into(),
            name_en: "Dunk Low".into(),
            category: "sneakers".into(),
            release_date: 20_260_101,
            price: 150_000,
            description: "limited".into(),
            image_hashes: vec![],
            serials: vec!["A-1".into(), "A-2".into(), "A-3".into()],
            list_for_sale: true,
        };
        let raffle = RaffleSpec {
            items: vec![2, 3],
            window: EntryWindow::Heights {
                opens: 5,
                closes: 7,
            },
            price: 200_000,
            runners_up: 1,
            min_age: None,
            seed_commitment: raffle_commitment(&Hash::of(b"seed secret")),
            reveal_blocks: 3,
            payment_window_ms: 600_000,
        };
        vec![
            (
                1,
                vec![
                    (0, register("seller")),
                    (0, register("member-1")),
                    (0, register("member-2")),
                ],
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
                        account: name("seller"),
                    },
                )],
            ),
            (1, vec![(2, Payload::RegisterProduct(product))]),
            (
                1,
                vec![
                    (3, Payload::CreateOrder { item: 1 }),
                    (2, Payload::CreateRaffle(raffle)),
                ],
            ),
            (
                1,
                vec![
                    (3, Payload::EnterRaffle { raffle: 1 }),
                    (4, Payload::EnterRaffle { raffle: 1 }),
                ],
            ),
            (
                2,
                vec![(
                    2,
                    Payload::RevealRaffleSecret {
                        raffle: 1,
                        secret: Hash::of(b"seed secret"),
                    },
                )],
            ),
            (
                60,
                vec![(
                    4,
                    Payload::WithdrawAccount {
                        account: name("member-2"),
                    },
                )],
            ),
        ]
    }

    /// Writes the seeds of both corpora (`TRUFFLE_UPDATE_FUZZ_SEEDS=1`); otherwise checks
    /// that the saved seeds are what the scenario gives today.
    #[test]
    fn seeds_are_current() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
        let blocks = seed_blocks();
        let keys: Vec<Keypair> = SIGNERS.iter().map(|n| Keypair::from_name(n)).collect();
        let mut seeds = vec![(
            "execute_blocks/seed-scenario".to_owned(),
            encode_blocks(&blocks),
        )];
        for (index, (_, transactions)) in blocks.iter().enumerate() {
            seeds.push((
                format!("execute_blocks/seed-block-{index}"),
                encode_blocks(&blocks[index..=index]),
            ));
            for (n, (signer, payload)) in transactions.iter().enumerate() {
                let tx = Transaction {
                    chain_id: Hash::of(FUZZ_CHAIN),
                    signer: keys[usize::from(*signer)].public(),
                    nonce: n as u64,
                    payload: payload.clone(),
                }
                .sign(&keys[usize::from(*signer)]);
                seeds.push((format!("decode_transaction/seed-{index}-{n}"), tx.encode()));
            }
        }
        let update = std::env::var_os("TRUFFLE_UPDATE_FUZZ_SEEDS").is_some();
        for (path, bytes) in seeds {
            let path = root.join(path);
            if update {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &bytes).unwrap();
            } else {
                let saved = std::fs::read(&path).unwrap_or_default();
                assert!(
                    saved == bytes,
                    "{} is stale: run with TRUFFLE_UPDATE_FUZZ_SEEDS=1",
                    path.display()
                );
            }
        }
    }

    #[test]
    fn the_seed_scenario_applies_its_transactions() {
        let input = encode_blocks(&seed_blocks());
        let keys: Vec<Keypair> = SIGNERS.iter().map(|n| Keypair::from_name(n)).collect();
        let mut chain = MemoryChain::new(&fuzz_genesis(&keys)).unwrap();
        let mut applied = 0;
        for block in parse_blocks(&input) {
            let proposal = fuzz_proposal(&chain, &keys, &block);
            let block = chain.apply(&proposal).unwrap();
            applied += block.receipts.iter().filter(|r| r.is_applied()).count();
        }
        // Most of the scenario must apply, or the corpus starts from refusals only.
        assert!(applied >= 10, "only {applied} transactions applied");
    }
}
