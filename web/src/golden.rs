//! Golden vectors shared with the JavaScript tests (`web/tests/js/`): the browser's
//! borsh encoder, signer and proof verifier must agree byte for byte with the ledger.
//!
//! - `tests/golden/transactions.json`: transactions of every payload kind, as serde JSON
//!   (what the pages build), with the signer's seed, the signing hash and the signed
//!   borsh hex the ledger produces.
//! - `tests/golden/proofs.json`: a genesis spec, and item and history proof bundles
//!   from a small certified chain (with two validator-set changes), with the verdicts.
//!
//! - `tests/golden/raffle_proof.json`: a genesis spec and a drawn raffle's proof bundle
//!   from a small certified chain, with the verdict (the draw's inputs and winners) and
//!   bundles the verifier refuses.
//!
//! - `tests/golden/signatures.json`: the ledger's crafted signatures
//!   (`truffle_ledger::crypto::vectors`: small-order, non-canonical and mixed-order points,
//!   an unreduced `s`) with their verdicts, and a valid one.
//!
//! The tests compare the ledger's output with the committed files; run them with
//! `TRUFFLE_UPDATE_GOLDEN=1` to rewrite the files after a deliberate format change.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::{json, Value};
use truffle_ledger::block::BlockProposal;
use truffle_ledger::certificate::{self, Certificate};
use truffle_ledger::tx::raffle_commitment;
use truffle_ledger::types::{
    AdSpec, EntryWindow, Gender, ProductSpec, Raffle, RaffleSpec, Role, ValidatorSet,
};
use truffle_ledger::verify::{self, build, ArchiveChain, ItemQuery, TrustRoot};
use truffle_ledger::{Hash, Keypair, Payload, PublicKey, SignedTransaction, Transaction};

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
        .join(name)
}

/// Compares `value` with the committed file, or rewrites it when asked to.
fn check_golden(name: &str, value: &Value) {
    let path = golden_path(name);
    let text = serde_json::to_string_pretty(value).expect("JSON") + "\n";
    if std::env::var_os("TRUFFLE_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).expect("write golden file");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; run with TRUFFLE_UPDATE_GOLDEN=1",
            path.display()
        )
    });
    let committed: Value = serde_json::from_str(&committed).expect("golden JSON");
    assert!(
        committed == *value,
        "{} differs from what the ledger produces now; if the change is deliberate, \
         rerun with TRUFFLE_UPDATE_GOLDEN=1 and update the JavaScript side",
        path.display()
    );
}

fn seed(byte: u8) -> [u8; 32] {
    [byte; 32]
}

fn key(byte: u8) -> PublicKey {
    Keypair::from_seed(&seed(byte)).public()
}

/// One payload of every kind, with the edge values of each field type.
fn payloads() -> Vec<Payload> {
    vec![
        Payload::RegisterAccount {
            account: key(2),
            role: Role::Member,
            adult: true,
        },
        Payload::SetAccountSuspended {
            account: key(2),
            suspended: true,
        },
        Payload::WithdrawAccount { account: key(1) },
        Payload::ApplySeller {
            shop_name: "스니커즈 라운지 shop".into(),
        },
        Payload::ApproveSeller { account: key(2) },
        Payload::RevokeSeller { account: key(2) },
        Payload::RegisterProduct(ProductSpec {
            brand: "Nike".into(),
            model: "DD1391-100".into(),
            name_ko: "나이키 덩크 로우 레트로 범고래".into(),
            name_en: "Nike Dunk Low Retro Panda".into(),
            category: "sneakers".into(),
            release_date: 20_240_301,
            price: 129_000,
            description: "정품 — limited".into(),
            image_hashes: vec![Hash::of(b"front"), Hash::of(b"back")],
            serials: vec!["DD1391-0001".into(), "DD1391-0002".into()],
            list_for_sale: true,
        }),
        Payload::TransferItem {
            item: 7,
            to: key(2),
        },
        Payload::ListItem {
            item: 7,
            price: Some(9_007_199_254_740_991),
        },
        Payload::ListItem {
            item: 7,
            price: None,
        },
        Payload::CreateRaffle(RaffleSpec {
            items: vec![1, 2, 300],
            window: EntryWindow::Times {
                opens_ms: 1_767_225_600_000,
                closes_ms: 1_767_830_400_000,
            },
            price: 219_000,
            runners_up: 3,
            min_age: Some(19),
            seed_commitment: raffle_commitment(&Hash::of(b"secret")),
            reveal_blocks: 1_000,
            payment_window_ms: 86_400_000,
        }),
        Payload::CreateRaffle(RaffleSpec {
            items: vec![9],
            window: EntryWindow::Heights {
                opens: 10,
                closes: 20,
            },
            price: 1,
            runners_up: 0,
            min_age: None,
            seed_commitment: Hash::ZERO,
            reveal_blocks: 5,
            payment_window_ms: 60_000,
        }),
        Payload::EnterRaffle { raffle: 3 },
        Payload::RevealRaffleSecret {
            raffle: 3,
            secret: Hash::of(b"secret"),
        },
        Payload::DrawRaffle { raffle: 3 },
        Payload::ContributeRaffleRandomness {
            raffle: 3,
            proof: truffle_ledger::draw::contribution_proof(
                &Keypair::from_seed(&seed(7)),
                &Hash::of(b"chain"),
                3,
                &Hash::of(b"closing block"),
            ),
        },
        Payload::CreateOrder { item: 12 },
        Payload::SettlePayment {
            order: 4,
            provider: "sandbox".into(),
            payment_key: "pay_123".into(),
            event_id: "evt_1".into(),
            amount: 219_000,
        },
        Payload::CancelOrder {
            order: 4,
            reason: "변심".into(),
        },
        Payload::ExpireOrder { order: 4 },
        Payload::RefundOrder {
            order: 4,
            reason: "defect".into(),
        },
        Payload::CreateAd(AdSpec {
            title: "한정판 스니커즈 위크".into(),
            image_url: "https://truffle.example/a.png".into(),
            landing_url: "https://truffle.example/events/1".into(),
            placement: "main".into(),
            starts_at_ms: 1,
            ends_at_ms: 2,
            target_gender: Some(Gender::Female),
            target_min_age: Some(20),
            target_max_age: None,
        }),
        Payload::SetAdActive {
            ad: 1,
            active: false,
        },
        Payload::AddValidator {
            key: key(3),
            name: "validator-3".into(),
            p2p_address: "/ip4/127.0.0.1/tcp/30336".into(),
        },
        Payload::RemoveValidator { key: key(3) },
        Payload::SetFollower {
            key: key(4),
            allowed: true,
        },
        Payload::CancelRaffle {
            raffle: 7,
            reason: "입고 지연으로 취소합니다 (stock delayed)".into(),
        },
        Payload::RequestRefund {
            order: 4,
            reason: "흠집이 있어요".into(),
        },
        Payload::DecideRefund {
            order: 4,
            approve: true,
            note: String::new(),
        },
        Payload::DecideRefund {
            order: 5,
            approve: false,
            note: "no".into(),
        },
    ]
}

#[test]
fn transactions_match_the_golden_file() {
    let chain_id = truffle_genesis::dev().chain_id();
    let signer = Keypair::from_seed(&seed(1));
    let cases: Vec<Value> = payloads()
        .into_iter()
        .enumerate()
        .map(|(i, payload)| {
            let tx = Transaction {
                chain_id,
                signer: signer.public(),
                nonce: if i == 0 { u64::MAX } else { i as u64 },
                payload,
            };
            let signing_hash = tx.signing_hash();
            let signed = tx.clone().sign(&signer);
            // The ledger decodes its own output: the vectors are valid transactions.
            assert_eq!(SignedTransaction::decode(&signed.encode()).unwrap(), signed);
            json!({
                "kind": tx.payload.kind(),
                "chain_id": chain_id,
                "signer_seed": hex::encode(seed(1)),
                "signer": signer.public(),
                "nonce": tx.nonce.to_string(),
                "payload": serde_json::to_value(&tx.payload).unwrap(),
                "unsigned": hex::encode(borsh::to_vec(&tx).unwrap()),
                "signing_hash": signing_hash,
                "signed": hex::encode(signed.encode()),
            })
        })
        .collect();
    let kinds: std::collections::BTreeSet<&str> =
        cases.iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 27, "every payload kind has a vector");
    check_golden("transactions.json", &json!({ "cases": cases }));
}

/// A small certified chain: three validators, two set changes, one edition, an item
/// handed on twice.
struct Fixture {
    chain: ArchiveChain,
    signers: HashMap<PublicKey, Keypair>,
    nonces: HashMap<PublicKey, u64>,
    chain_id: Hash,
    time_ms: u64,
}

impl Fixture {
    /// The chain of `spec`, whose validators are dev validators 0 to 3.
    fn new(spec: &truffle_genesis::GenesisSpec) -> Fixture {
        let genesis = spec.to_state();
        let validators = (0..4).map(truffle_genesis::dev_keys::validator);
        Fixture {
            chain: ArchiveChain::new(&genesis).unwrap(),
            signers: validators.map(|k| (k.public(), k)).collect(),
            nonces: HashMap::new(),
            chain_id: genesis.chain_id,
            time_ms: spec.genesis_time_ms,
        }
    }

    /// The admin registers `seller` and `members`, approves the seller's shop, and the
    /// seller registers an edition of `serials` (items 1 on); returns that block's height.
    fn open_shop(
        &mut self,
        seller: &Keypair,
        members: &[&Keypair],
        shop_name: &str,
        description: &str,
        serials: &[&str],
    ) -> u64 {
        let admin = truffle_genesis::dev_keys::admin();
        let txs = std::iter::once(seller)
            .chain(members.iter().copied())
            .map(|account| {
                self.sign(
                    &admin,
                    Payload::RegisterAccount {
                        account: account.public(),
                        role: Role::Member,
                        adult: true,
                    },
                )
            })
            .collect();
        self.block(txs);
        let tx = self.sign(
            seller,
            Payload::ApplySeller {
                shop_name: shop_name.into(),
            },
        );
        self.block(vec![tx]);
        let tx = self.sign(
            &admin,
            Payload::ApproveSeller {
                account: seller.public(),
            },
        );
        self.block(vec![tx]);
        let tx = self.sign(
            seller,
            Payload::RegisterProduct(ProductSpec {
                brand: "Nike".into(),
                model: "DD1391-100".into(),
                name_ko: "나이키 덩크 로우".into(),
                name_en: "Nike Dunk Low".into(),
                category: "sneakers".into(),
                release_date: 20_260_101,
                price: 129_000,
                description: description.into(),
                image_hashes: vec![Hash::of(b"image")],
                serials: serials.iter().map(|s| s.to_string()).collect(),
                list_for_sale: false,
            }),
        );
        self.block(vec![tx])
    }

    fn sign(&mut self, key: &Keypair, payload: Payload) -> SignedTransaction {
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

    fn block(&mut self, transactions: Vec<SignedTransaction>) -> u64 {
        self.time_ms += 1_000;
        let proposal = BlockProposal {
            proposer: truffle_genesis::dev_keys::validator(0).public(),
            time_ms: self.time_ms,
            transactions,
        };
        let block = self.chain.apply(&proposal).unwrap();
        assert!(block.receipts.iter().all(|r| r.is_applied()), "{block:?}");
        let set: ValidatorSet = self
            .chain
            .validator_set_after(block.header.height - 1)
            .unwrap()
            .unwrap();
        let votes = set
            .keys
            .iter()
            .map(|k| certificate::vote(&self.signers[k], &block.header));
        let keys: std::collections::BTreeSet<_> = set.keys.iter().copied().collect();
        self.chain
            .add_certificate(Certificate::from_votes(&block.header, &keys, votes));
        block.header.height
    }
}

/// Compact state proofs at `height` of every kind: presence (the key's own leaf), and
/// absence ending in an empty subtree or in another key's leaf; each with the state root,
/// the key and the value (null when absent).
fn state_proof_cases(chain: &ArchiveChain, height: u64) -> Vec<Value> {
    use build::ProofSource;
    use truffle_ledger::state::{keys, ProofLeaf};
    let root = chain.header(height).unwrap().unwrap().state_root;
    let mut kinds = [false; 3];
    let mut cases = Vec::new();
    for id in 1..=64u64 {
        let key = keys::item(id);
        let proven = build::prove_value(chain, &key, height).unwrap();
        let kind = match proven.proof.leaf {
            ProofLeaf::Key => 0,
            ProofLeaf::Empty => 1,
            ProofLeaf::Other { .. } => 2,
        };
        if std::mem::replace(&mut kinds[kind], true) {
            continue;
        }
        assert!(proven.proof.verify(&root, &key, proven.value.as_deref()));
        let name = ["key", "empty", "other"][kind];
        cases.push(json!({
            "kind": name,
            "state_root": root,
            "key": hex::encode(&key),
            "value": proven.value.as_ref().map(hex::encode),
            "proof": hex::encode(borsh::to_vec(&proven.proof).unwrap()),
        }));
    }
    assert_eq!(
        kinds, [true; 3],
        "every kind of state proof among items 1..=64"
    );
    cases
}

#[test]
fn proofs_match_the_golden_file() {
    let spec = truffle_genesis::local_spec("truffle-golden", 3, 30_333);
    let genesis = spec.to_state();
    let admin = truffle_genesis::dev_keys::admin();
    let validators: Vec<Keypair> = (0..4).map(truffle_genesis::dev_keys::validator).collect();
    let mut fx = Fixture::new(&spec);
    let seller = Keypair::from_seed(&seed(10));
    let buyers = [Keypair::from_seed(&seed(11)), Keypair::from_seed(&seed(12))];
    fx.open_shop(
        &seller,
        &[&buyers[0], &buyers[1]],
        "골든 샵",
        "한정판",
        &["DD-0001", "DD-0002", "DD-0003"],
    );
    // Validator 3 joins, then validator 1 leaves: the verifier must follow both.
    let tx = fx.sign(
        &admin,
        Payload::AddValidator {
            key: validators[3].public(),
            name: "validator-3".into(),
            p2p_address: "/ip4/127.0.0.1/tcp/30336".into(),
        },
    );
    fx.block(vec![tx]);
    let tx = fx.sign(
        &admin,
        Payload::RemoveValidator {
            key: validators[1].public(),
        },
    );
    fx.block(vec![tx]);
    // Piece 2 goes seller -> buyer 0 -> buyer 1, in a block with another transaction.
    let item = 2u64;
    let other = fx.sign(
        &seller,
        Payload::TransferItem {
            item: 3,
            to: buyers[1].public(),
        },
    );
    let tx = fx.sign(
        &seller,
        Payload::TransferItem {
            item,
            to: buyers[0].public(),
        },
    );
    fx.block(vec![other, tx]);
    let tx = fx.sign(
        &buyers[0],
        Payload::TransferItem {
            item,
            to: buyers[1].public(),
        },
    );
    let anchor_height = fx.block(vec![tx]);

    let trust = TrustRoot::from(&genesis);
    let query = ItemQuery::Id(item);
    let state_proofs = state_proof_cases(&fx.chain, anchor_height);
    let item_proof = build::item_proof(&fx.chain, anchor_height, &query).unwrap();
    let history_proof = build::history_proof(&fx.chain, anchor_height, &query).unwrap();
    let verdict = verify::verify_history(&trust, &query, &history_proof, Default::default())
        .expect("the fixture verifies");
    verify::verify_item(&trust, &query, &item_proof, Default::default()).unwrap();
    assert_eq!(verdict.history.len(), 3);

    // The anchor's set is validators 0, 2 and 3: all three must sign. A bundle whose
    // anchor carries two of them (a strict majority, the old rule) is refused.
    let mut short = history_proof.clone();
    assert_eq!(short.item.anchor.block.certificate.signatures.len(), 3);
    short_of_quorum(&mut short.item.anchor.block.certificate);
    let refused = verify::verify_history(&trust, &query, &short, Default::default())
        .expect_err("two of three validators do not certify");
    assert!(refused.to_string().contains("3 are needed"), "{refused}");

    let mut with_rules = spec.clone();
    with_rules.params.max_block_bytes = Some(8 << 20);
    with_rules.params.max_block_time_step_ms = Some(120_000);
    check_golden(
        "proofs.json",
        &json!({
            "state_proofs": state_proofs,
            "quorums": (1..=31).map(|n| [n, certificate::quorum(n)]).collect::<Vec<_>>(),
            "history_proof_short_of_quorum": hex::encode(verify::encode_bundle(&short)),
            "genesis_with_block_rules": with_rules,
            "chain_id_with_block_rules": with_rules.chain_id(),
            "genesis": spec,
            "chain_id": genesis.chain_id,
            "item": item,
            "anchor_height": anchor_height,
            "item_proof": hex::encode(verify::encode_bundle(&item_proof)),
            "history_proof": hex::encode(verify::encode_bundle(&history_proof)),
            "verdict": {
                "owner": verdict.item.owner,
                "seller": verdict.item.seller,
                "serial": verdict.item.item.serial,
                "edition": verdict.item.item.edition,
                "edition_size": verdict.item.item.edition_size,
                "product_id": verdict.item.product.id,
                "brand": verdict.item.product.brand,
                "model": verdict.item.product.model,
                "history": verdict.history.iter().map(|s| json!({
                    "sequence": s.sequence,
                    "owner": s.owner,
                    "signer": s.signer,
                    "acquisition": s.acquisition,
                    "height": s.tx.height,
                    "index": s.tx.index,
                    "tx_hash": s.tx.tx_hash,
                })).collect::<Vec<_>>(),
            },
        }),
    );
}

/// Drops the last signers of a certificate signed by a whole set until one is missing
/// for a quorum of it.
fn short_of_quorum(certificate: &mut Certificate) {
    let set = certificate.signatures.len();
    while certificate.signatures.len() >= certificate::quorum(set) {
        certificate.signatures.pop();
        let last = (0..certificate.signers.len() * 8)
            .rev()
            .find(|i| certificate.signers[i / 8] & (1 << (i % 8)) != 0)
            .expect("a signer");
        certificate.signers[last / 8] &= !(1 << (last % 8));
    }
}

/// The record of raffle `id` at the chain's head.
fn raffle_record(chain: &ArchiveChain, id: u64) -> Raffle {
    use truffle_ledger::state::{decode_record, keys, StateView};
    let bytes = chain.chain().store().get(&keys::raffle(id)).unwrap();
    decode_record("raffle", &bytes.expect("the raffle exists")).unwrap()
}

/// A drawn raffle on a certified chain of four validators, for the browser's raffle
/// verifier (`verifyRaffleBundle`) and the `verify_raffle_bundle` fuzz target: two
/// prizes and a runner-up among six entries, one cancelled by its entrant's withdrawal;
/// every validator's VRF contribution, the seller's reveal, the draw. With the verdict
/// `truffle verify raffle` gives, and bundles it refuses: the anchor or the closing
/// block certified by one validator too few, the closing block left out, and forged
/// draws (an entry left out, another block as the closing one).
#[test]
fn raffle_proof_matches_the_golden_file() {
    let mut spec = truffle_genesis::local_spec("truffle-golden-raffle", 4, 30_333);
    // Short raffle windows, so that the chain stays a few blocks long.
    spec.params.min_raffle_entry_blocks = 1;
    spec.params.min_raffle_entry_ms = 1;
    spec.params.min_raffle_reveal_blocks = 1;
    spec.params.min_raffle_reveal_ms = 1;
    spec.params.raffle_contribution_ms = 1;
    let genesis = spec.to_state();
    let mut fx = Fixture::new(&spec);
    let seller = Keypair::from_seed(&seed(20));
    let members: Vec<Keypair> = (21..28).map(|b| Keypair::from_seed(&seed(b))).collect();
    let registered = fx.open_shop(
        &seller,
        &members.iter().collect::<Vec<_>>(),
        "래플 샵",
        "래플 한정",
        &["RF-0001", "RF-0002", "RF-0003"],
    );
    let secret = Hash::of(b"golden raffle secret");
    let tx = fx.sign(
        &seller,
        Payload::CreateRaffle(RaffleSpec {
            items: vec![1, 2],
            window: EntryWindow::Heights {
                opens: registered + 2,
                closes: registered + 4,
            },
            price: 219_000,
            runners_up: 1,
            min_age: None,
            seed_commitment: raffle_commitment(&secret),
            reveal_blocks: 3,
            payment_window_ms: 600_000,
        }),
    );
    fx.block(vec![tx]);
    let raffle = 1u64;
    let txs = members[..6]
        .iter()
        .map(|m| fx.sign(m, Payload::EnterRaffle { raffle }))
        .collect();
    fx.block(txs);
    // The third entrant leaves: its entry stays, cancelled, and is not drawn.
    let quitter = members[2].clone();
    let tx = fx.sign(
        &quitter,
        Payload::WithdrawAccount {
            account: quitter.public(),
        },
    );
    fx.block(vec![tx]);
    while raffle_record(&fx.chain, raffle).closing_block.is_none() {
        fx.block(Vec::new());
    }
    let record = raffle_record(&fx.chain, raffle);
    let closing = record.closing_block.unwrap();
    let contributors = record.randomness.unwrap().validators;
    let txs = contributors
        .iter()
        .map(|k| {
            let key = fx.signers[k].clone();
            let proof = truffle_ledger::draw::contribution_proof(
                &key,
                &genesis.chain_id,
                raffle,
                &closing.hash,
            );
            fx.sign(&key, Payload::ContributeRaffleRandomness { raffle, proof })
        })
        .collect();
    fx.block(txs);
    let tx = fx.sign(&seller, Payload::RevealRaffleSecret { raffle, secret });
    fx.block(vec![tx]);
    let tx = fx.sign(&members[6], Payload::DrawRaffle { raffle });
    let anchor_height = fx.block(vec![tx]);

    let trust = TrustRoot::from(&genesis);
    let proof = build::raffle_proof(&fx.chain, anchor_height, raffle).unwrap();
    let verdict = verify::verify_raffle(&trust, raffle, &proof, Default::default())
        .expect("the fixture verifies");
    assert_eq!(verdict.status, truffle_ledger::types::RaffleStatus::Drawn);
    assert_eq!((verdict.entries, verdict.eligible.len()), (6, 5));
    assert_eq!((verdict.winners.len(), verdict.runners_up.len()), (2, 1));
    assert_eq!(verdict.contributions.len(), 4);

    // Four validators certify every block and three are a quorum: a bundle whose anchor
    // or closing block carries two signatures is refused, and one without its closing
    // block.
    let mut short_anchor = proof.clone();
    short_of_quorum(&mut short_anchor.anchor.block.certificate);
    let mut short_closing = proof.clone();
    short_of_quorum(&mut short_closing.closing.as_mut().unwrap().certificate);
    let mut unclosed = proof.clone();
    unclosed.closing = None;
    // Forged draws: an entry left out, another certified block as the closing one.
    let mut entry_left_out = proof.clone();
    entry_left_out.entries.pop();
    let mut other_closing = proof.clone();
    let closing_height = other_closing.closing.as_ref().unwrap().header.height;
    other_closing.closing = Some(build::anchor(&fx.chain, closing_height - 1).unwrap().block);
    for (name, refused, reason) in [
        ("anchor", &short_anchor, "3 are needed"),
        ("closing", &short_closing, "3 are needed"),
        ("unclosed", &unclosed, "closing block"),
        ("entry left out", &entry_left_out, "entries"),
        ("other closing block", &other_closing, "closing block"),
    ] {
        let error =
            verify::verify_raffle(&trust, raffle, refused, Default::default()).expect_err(name);
        assert!(error.to_string().contains(reason), "{name}: {error}");
    }
    check_golden(
        "raffle_proof.json",
        &json!({
            "genesis": spec,
            "chain_id": genesis.chain_id,
            "raffle": raffle,
            "anchor_height": anchor_height,
            "raffle_proof": hex::encode(verify::encode_bundle(&proof)),
            "refused": {
                "anchor_short_of_quorum": hex::encode(verify::encode_bundle(&short_anchor)),
                "closing_short_of_quorum": hex::encode(verify::encode_bundle(&short_closing)),
                "without_closing_block": hex::encode(verify::encode_bundle(&unclosed)),
                "entry_left_out": hex::encode(verify::encode_bundle(&entry_left_out)),
                "other_closing_block": hex::encode(verify::encode_bundle(&other_closing)),
            },
            "verdict": {
                "status": verdict.status,
                "seller": verdict.seller,
                "items": verdict.items,
                "entries": verdict.entries,
                "eligible": verdict.eligible,
                "closing_block": verdict.closing_block,
                "vrf_input": verdict.vrf_input,
                "validators": verdict.validators,
                "contributions": verdict.contributions.iter().map(|c| json!({
                    "validator": c.validator,
                    "output": c.output,
                })).collect::<Vec<_>>(),
                "secret": verdict.secret,
                "seed": verdict.seed,
                "winners": verdict.winners,
                "runners_up": verdict.runners_up,
            },
        }),
    );
}

#[test]
fn signatures_match_the_golden_file() {
    use truffle_ledger::crypto::vectors;
    let valid_key = Keypair::from_seed(&seed(7));
    let mut cases = vec![json!({
        "name": "valid",
        "public_key": valid_key.public(),
        "message": hex::encode(b"valid"),
        "signature": valid_key.sign(b"valid"),
        "valid": true,
    })];
    for v in vectors::all() {
        let valid = v.public_key.verify(&v.message, &v.signature).is_ok();
        assert!(!valid, "{}", v.name);
        cases.push(json!({
            "name": v.name,
            "public_key": v.public_key,
            "message": hex::encode(&v.message),
            "signature": v.signature,
            "valid": valid,
        }));
    }
    check_golden("signatures.json", &json!({ "cases": cases }));
}

/// The raffle randomness rule, shared with the browser (`vrf.js`): RFC 9381's ECVRF
/// test vectors, contributions made by the ledger's prover over a raffle's input, the
/// seed they give with a secret, and altered proofs that must be refused.
#[test]
fn vrf_matches_the_golden_file() {
    use truffle_ledger::draw::{contribution_proof, draw_seed, vrf_input};
    use truffle_ledger::vrf;
    let rfc = [
        (
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "",
        ),
        (
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "72",
        ),
        (
            "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "af82",
        ),
    ];
    let mut cases = Vec::new();
    for (sk, alpha) in rfc {
        let key = Keypair::from_seed(&hex::decode(sk).unwrap().try_into().unwrap());
        let alpha = hex::decode(alpha).unwrap();
        let proof = vrf::prove(&key, &alpha).unwrap();
        let beta = vrf::verify(&key.public(), &alpha, &proof).unwrap();
        cases.push(json!({
            "public_key": key.public(), "alpha": hex::encode(&alpha),
            "proof": hex::encode(proof), "output": hex::encode(beta),
        }));
        let mut altered = proof;
        altered[40] ^= 1;
        assert!(vrf::verify(&key.public(), &alpha, &altered).is_err());
        cases.push(json!({
            "public_key": key.public(), "alpha": hex::encode(&alpha),
            "proof": hex::encode(altered), "output": null,
        }));
    }
    let chain_id = Hash::of(b"golden chain");
    let closing = Hash::of(b"golden closing block");
    let raffle = 7u64;
    let mut validators: Vec<Keypair> = (0..4).map(truffle_genesis::dev_keys::validator).collect();
    validators.sort_by_key(|k| k.public());
    let input = vrf_input(&chain_id, raffle, &closing);
    let contributions: Vec<_> = validators
        .iter()
        .map(|k| {
            let proof = contribution_proof(k, &chain_id, raffle, &closing);
            let output = vrf::verify(&k.public(), input.as_bytes(), &proof.0).unwrap();
            (k.public(), proof, output)
        })
        .collect();
    let secret = Hash::of(b"golden secret");
    let outputs: Vec<_> = contributions.iter().map(|(k, _, o)| (*k, *o)).collect();
    let seed = draw_seed(raffle, &closing, &secret, &outputs);
    check_golden(
        "vrf.json",
        &json!({
            "cases": cases,
            "raffle": {
                "chain_id": chain_id, "raffle": raffle, "closing_hash": closing,
                "vrf_input": input, "secret": secret, "seed": seed,
                "positions_of_10_pick_4": truffle_ledger::draw::draw_positions(&seed, 10, 4),
                "positions_of_3_pick_5": truffle_ledger::draw::draw_positions(&seed, 3, 5),
                "contributions": contributions.iter().map(|(k, p, o)| json!({
                    "validator": k, "proof": p, "output": hex::encode(o),
                })).collect::<Vec<_>>(),
            },
        }),
    );
}
