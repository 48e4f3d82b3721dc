//! Tests of the state machine, driven through a [`MemoryChain`]: every payload kind
//! with its valid case and each of its rejections, the generic checks every
//! transaction goes through, and the raffle and payment lifecycles.
//!
//! Every rejection goes through [`Fixture::reject_tx`], which checks that the block
//! holding the refused transaction changed exactly what an empty block would have
//! (the same state root and the same records) and that the signer's nonce stayed put.

use std::collections::{BTreeMap, HashMap};

use borsh::BorshDeserialize;

use super::{current_validators, execute_block, GenesisState};
use crate::block::{Block, BlockHeader, BlockProposal, Effect, Outcome, Receipt};
use crate::crypto::{Keypair, PublicKey};
use crate::draw::draw_seed;
use crate::error::Rejection;
use crate::hash::Hash;
use crate::limits;
use crate::memory_chain::MemoryChain;
use crate::state::{decode_record, keys, StateView};
use crate::tx::{raffle_commitment, Payload, SignedTransaction, Transaction};
use crate::types::{
    Account, AccountStatus, Acquisition, AdCampaign, AdSpec, ChainParams, ClosingBlock, Counters,
    EntryWindow, Gender, Item, ItemLock, Order, OrderSource, OrderStatus, OwnershipRecord, Product,
    ProductSpec, Raffle, RaffleEntry, RaffleSpec, RaffleStatus, Role, SellerStatus, TxRef,
    Validator,
};

/// Genesis time: 2025-12-29 09:20 UTC (still 2025 for `age_in_years`).
const T0: u64 = 1_767_000_000_000;
/// 2026-01-01 00:00 UTC.
const T_2026: u64 = 1_767_225_600_000;
/// Block time step.
const BLOCK_MS: u64 = 1_000;

const P2P: &str = "/ip4/127.0.0.1/tcp/30333";

fn key(name: &str) -> Keypair {
    Keypair::from_name(name)
}

/// A small-order point: refused as an account or validator key.
fn weak_key() -> PublicKey {
    let mut identity = [0u8; 32];
    identity[0] = 1;
    PublicKey(identity)
}

fn secret(name: &str) -> Hash {
    Hash::of(name.as_bytes())
}

fn product_spec(brand: &str, model: &str, serials: &[&str]) -> ProductSpec {
    ProductSpec {
        brand: brand.to_owned(),
        model: model.to_owned(),
        name_ko: "나이키 덩크 로우".to_owned(),
        name_en: "Nike Dunk Low".to_owned(),
        category: "sneakers".to_owned(),
        release_date: 20_260_101,
        price: 150_000,
        description: "limited".to_owned(),
        image_hashes: vec![Hash::of(b"image")],
        serials: serials.iter().map(|s| (*s).to_owned()).collect(),
        list_for_sale: false,
    }
}

fn raffle_spec(items: Vec<u64>, window: EntryWindow, secret: &Hash) -> RaffleSpec {
    RaffleSpec {
        items,
        window,
        price: 200_000,
        runners_up: 2,
        min_age: None,
        seed_commitment: raffle_commitment(secret),
        reveal_blocks: 3,
        payment_window_ms: 600_000,
    }
}

fn ad_spec() -> AdSpec {
    AdSpec {
        title: "Spring drop".to_owned(),
        image_url: "https://cdn.example.com/banner.png".to_owned(),
        landing_url: "https://shop.example.com/drops/spring".to_owned(),
        placement: "main".to_owned(),
        starts_at_ms: T0,
        ends_at_ms: T0 + 86_400_000,
        target_gender: Some(Gender::Female),
        target_min_age: Some(20),
        target_max_age: Some(40),
    }
}

fn settle(order: u64, event_id: &str, amount: u64) -> Payload {
    Payload::SettlePayment {
        order,
        provider: "sandbox".to_owned(),
        payment_key: format!("pay-{event_id}"),
        event_id: event_id.to_owned(),
        amount,
    }
}

fn short_windows() -> ChainParams {
    ChainParams {
        min_raffle_entry_blocks: 1,
        min_raffle_entry_ms: 1,
        min_raffle_reveal_blocks: 1,
        min_raffle_reveal_ms: 1,
        raffle_contribution_ms: 1,
        ..ChainParams::default()
    }
}

fn heights(opens: u64, closes: u64) -> EntryWindow {
    EntryWindow::Heights { opens, closes }
}

/// A chain at height 3: genesis admin and validator (operator), members registered by
/// the operator in block 1, two sellers applied in block 2 and approved in block 3.
struct Fixture {
    chain: MemoryChain,
    headers: Vec<BlockHeader>,
    last: Option<Block>,
    time_ms: u64,
    admin: Keypair,
    operator: Keypair,
    seller: Keypair,
    seller2: Keypair,
    /// Born 1990.
    alice: Keypair,
    /// Born 1985.
    bob: Keypair,
    /// Born 2000.
    carol: Keypair,
    /// Born 1995.
    dave: Keypair,
    /// Born 1999.
    erin: Keypair,
    /// Born 2012.
    minor: Keypair,
    /// Born 2007: 18 in 2025, 19 in 2026.
    teen: Keypair,
    /// Registered without a birth year.
    ageless: Keypair,
    /// Has no account.
    outsider: Keypair,
}

const YEAR_MS: u64 = 365 * 24 * 3_600_000;

impl Fixture {
    /// The default parameters, except minimum raffle windows of one block / one ms, so
    /// that tests of the other rules can use short windows (the minimums have tests of
    /// their own, on the defaults); and, since the fixture jumps block time by hours to
    /// expire orders and close windows, a step bound of a year (the bound has tests of
    /// its own, `block_rules_*`).
    fn new() -> Fixture {
        Fixture::with_params(ChainParams {
            max_block_time_step_ms: Some(YEAR_MS),
            ..short_windows()
        })
    }

    fn with_params(params: ChainParams) -> Fixture {
        let admin = key("admin");
        let operator = key("validator-1");
        let genesis = GenesisState {
            chain_id: Hash::of(b"truffle exec tests"),
            time_ms: T0,
            params,
            admins: vec![admin.public()],
            validators: vec![Validator {
                key: operator.public(),
                name: "validator-1".to_owned(),
                p2p_address: P2P.to_owned(),
                since_height: 0,
            }],
        };
        let chain = MemoryChain::new(&genesis).unwrap();
        let mut fx = Fixture {
            headers: vec![chain.head().clone()],
            chain,
            last: None,
            time_ms: T0 + BLOCK_MS,
            admin,
            operator,
            seller: key("seller"),
            seller2: key("seller-2"),
            alice: key("alice"),
            bob: key("bob"),
            carol: key("carol"),
            dave: key("dave"),
            erin: key("erin"),
            minor: key("minor"),
            teen: key("teen"),
            ageless: key("ageless"),
            outsider: key("outsider"),
        };
        let members = [
            (&fx.seller, Some(1980)),
            (&fx.seller2, Some(1982)),
            (&fx.alice, Some(1990)),
            (&fx.bob, Some(1985)),
            (&fx.carol, Some(2000)),
            (&fx.dave, Some(1995)),
            (&fx.erin, Some(1999)),
            (&fx.minor, Some(2012)),
            (&fx.teen, Some(2007)),
            (&fx.ageless, None),
        ];
        let registrations: Vec<(Keypair, Payload)> = members
            .iter()
            .map(|(member, birth_year)| {
                (
                    fx.operator.clone(),
                    Payload::RegisterAccount {
                        account: member.public(),
                        role: Role::Member,
                        // What a registrar attests: 19 or older at the fixture's time.
                        adult: birth_year.is_some_and(|year| year <= 2006),
                    },
                )
            })
            .collect();
        fx.run_all(registrations);
        let applications = [&fx.seller, &fx.seller2]
            .iter()
            .map(|s| {
                (
                    (*s).clone(),
                    Payload::ApplySeller {
                        shop_name: format!("  shop of {:?} ", s.public()),
                    },
                )
            })
            .collect();
        fx.run_all(applications);
        let approvals = [&fx.seller, &fx.seller2]
            .iter()
            .map(|s| {
                (
                    fx.admin.clone(),
                    Payload::ApproveSeller {
                        account: s.public(),
                    },
                )
            })
            .collect();
        fx.run_all(approvals);
        fx
    }

    // ----- signing and applying -----

    fn sign(&self, key: &Keypair, payload: Payload) -> SignedTransaction {
        self.chain.sign(key, payload).unwrap()
    }

    /// Signs transactions in order, giving each signer consecutive nonces.
    fn sign_batch(&self, txs: &[(&Keypair, Payload)]) -> Vec<SignedTransaction> {
        let mut next: HashMap<PublicKey, u64> = HashMap::new();
        txs.iter()
            .map(|(key, payload)| {
                let nonce = next
                    .entry(key.public())
                    .or_insert_with(|| self.chain.next_nonce(key).unwrap());
                let tx = Transaction {
                    chain_id: self.chain.chain_id(),
                    signer: key.public(),
                    nonce: *nonce,
                    payload: payload.clone(),
                }
                .sign(key);
                *nonce += 1;
                tx
            })
            .collect()
    }

    /// Applies transactions in as many blocks as the block size needs; all must apply.
    fn run_all(&mut self, txs: Vec<(Keypair, Payload)>) {
        let max = self.params().max_block_transactions as usize;
        for chunk in txs.chunks(max) {
            let refs: Vec<(&Keypair, Payload)> =
                chunk.iter().map(|(k, p)| (k, p.clone())).collect();
            let signed = self.sign_batch(&refs);
            let block = self.block(signed);
            for (receipt, (_, payload)) in block.receipts.iter().zip(chunk) {
                assert!(
                    receipt.is_applied(),
                    "{} refused: {:?}",
                    payload.kind(),
                    receipt.outcome
                );
            }
        }
    }

    fn proposal(&self, transactions: Vec<SignedTransaction>) -> BlockProposal {
        BlockProposal {
            proposer: self.operator.public(),
            time_ms: self.time_ms,
            transactions,
        }
    }

    /// Applies one block at the fixture's clock, then moves the clock on.
    fn block(&mut self, transactions: Vec<SignedTransaction>) -> Block {
        let proposal = self.proposal(transactions);
        let block = self.chain.apply(&proposal).unwrap();
        assert!(block.check_body());
        assert_eq!(block.header.prev_hash, self.headers.last().unwrap().hash());
        assert_eq!(block.header.height, self.headers.len() as u64);
        self.headers.push(block.header.clone());
        self.last = Some(block.clone());
        self.time_ms += BLOCK_MS;
        block
    }

    /// Height of the last applied block.
    fn height(&self) -> u64 {
        self.chain.head().height
    }

    /// Height of the next block.
    fn next_height(&self) -> u64 {
        self.height() + 1
    }

    /// The reference of transaction `index` of the last block.
    fn last_ref(&self, index: u32) -> TxRef {
        let block = self.last.as_ref().expect("a block was applied");
        TxRef {
            height: block.header.height,
            index,
            tx_hash: block.transactions[index as usize].hash(),
        }
    }

    fn apply(&mut self, key: &Keypair, payload: Payload) -> Receipt {
        let tx = self.sign(key, payload);
        self.block(vec![tx]).receipts.remove(0)
    }

    /// Applies one transaction in a block of its own; it must apply.
    fn ok(&mut self, key: &Keypair, payload: Payload) -> Effect {
        let kind = payload.kind();
        match self.apply(key, payload).outcome {
            Outcome::Applied { effect } => effect,
            Outcome::Rejected { rejection } => panic!("{kind} refused: {rejection:?}"),
        }
    }

    /// Applies one transaction in a block of its own; it must be refused, leaving the
    /// state as an empty block would have.
    fn reject(&mut self, key: &Keypair, payload: Payload) -> Rejection {
        let tx = self.sign(key, payload);
        self.reject_tx(tx)
    }

    /// Like [`Fixture::reject`], and the rejection must be `expected`.
    fn expect(&mut self, key: &Keypair, payload: Payload, expected: Rejection) {
        let kind = payload.kind();
        let got = self.reject(key, payload);
        assert_eq!(got, expected, "{kind}");
    }

    fn reject_tx(&mut self, tx: SignedTransaction) -> Rejection {
        let signer = tx.tx.signer;
        let nonce_before = self.nonce_of(&signer);
        let before = self.snapshot();
        // What the block would do without the transaction (closing due raffles).
        let baseline = execute_block(
            self.chain.store(),
            self.chain.head(),
            &self.proposal(vec![]),
        )
        .unwrap();
        let block = self.block(vec![tx]);
        let rejection = match &block.receipts[0].outcome {
            Outcome::Rejected { rejection } => rejection.clone(),
            Outcome::Applied { effect } => panic!("expected a rejection, got {effect:?}"),
        };
        assert_eq!(
            block.header.state_root, baseline.block.header.state_root,
            "a refused transaction changed the state root ({rejection:?})"
        );
        let mut expected = before;
        for (key, value) in baseline.changes {
            match value {
                Some(value) => expected.insert(key, value),
                None => expected.remove(&key),
            };
        }
        assert_same_records(&expected, &self.snapshot(), &rejection);
        assert_eq!(self.nonce_of(&signer), nonce_before, "nonce advanced");
        rejection
    }

    // ----- reading state -----

    /// Every record of every table.
    fn snapshot(&self) -> BTreeMap<Vec<u8>, Vec<u8>> {
        self.chain
            .store()
            .scan_prefix(&[])
            .unwrap()
            .into_iter()
            .collect()
    }

    fn get<T: BorshDeserialize>(&self, key: &[u8]) -> Option<T> {
        self.chain
            .store()
            .get(key)
            .unwrap()
            .map(|bytes| decode_record("record", &bytes).unwrap())
    }

    fn params(&self) -> ChainParams {
        self.get(&keys::params()).unwrap()
    }

    fn counters(&self) -> Counters {
        self.get(&keys::counters()).unwrap()
    }

    fn nonce_of(&self, key: &PublicKey) -> u64 {
        self.get::<Account>(&keys::account(key))
            .map_or(0, |a| a.nonce)
    }

    fn account(&self, key: &Keypair) -> Account {
        self.get(&keys::account(&key.public())).expect("account")
    }

    fn product(&self, id: u64) -> Product {
        self.get(&keys::product(id)).expect("product")
    }

    fn item(&self, id: u64) -> Item {
        self.get(&keys::item(id)).expect("item")
    }

    fn ownership(&self, item: u64, sequence: u32) -> OwnershipRecord {
        self.get(&keys::ownership(item, sequence))
            .expect("ownership record")
    }

    fn raffle(&self, id: u64) -> Raffle {
        self.get(&keys::raffle(id)).expect("raffle")
    }

    fn entry(&self, raffle: u64, position: u32) -> RaffleEntry {
        self.get(&keys::raffle_entry(raffle, position))
            .expect("raffle entry")
    }

    fn order(&self, id: u64) -> Order {
        self.get(&keys::order(id)).expect("order")
    }

    fn ad(&self, id: u64) -> AdCampaign {
        self.get(&keys::ad(id)).expect("ad")
    }

    // ----- common set-ups -----

    /// Registers a product by `seller` with the given serials; returns its item ids.
    fn register_items(&mut self, seller: &Keypair, serials: &[&str], list: bool) -> Vec<u64> {
        let mut spec = product_spec("Nike", "DD1391-100", serials);
        spec.list_for_sale = list;
        match self.ok(&seller.clone(), Payload::RegisterProduct(spec)) {
            Effect::ProductRegistered {
                first_item,
                item_count,
                ..
            } => (first_item..first_item + u64::from(item_count)).collect(),
            other => panic!("unexpected effect {other:?}"),
        }
    }

    /// One listed item of `seller` at 150,000 won.
    fn listed_item(&mut self, seller: &Keypair, serial: &str) -> u64 {
        self.register_items(seller, &[serial], true)[0]
    }

    /// `buyer` orders `item`; returns the order id.
    fn order_item(&mut self, buyer: &Keypair, item: u64) -> u64 {
        match self.ok(&buyer.clone(), Payload::CreateOrder { item }) {
            Effect::OrderCreated { order } => order,
            other => panic!("unexpected effect {other:?}"),
        }
    }

    /// An item `buyer` bought from `seller`: (item, order).
    fn bought_item(&mut self, seller: &Keypair, buyer: &Keypair, serial: &str) -> (u64, u64) {
        let item = self.listed_item(seller, serial);
        let order = self.order_item(buyer, item);
        let operator = self.operator.clone();
        self.ok(&operator, settle(order, &format!("evt-{serial}"), 150_000));
        (item, order)
    }

    /// Creates a raffle of `seller`; returns its id.
    fn create_raffle(&mut self, seller: &Keypair, spec: RaffleSpec) -> u64 {
        match self.ok(&seller.clone(), Payload::CreateRaffle(spec)) {
            Effect::RaffleCreated { raffle } => raffle,
            other => panic!("unexpected effect {other:?}"),
        }
    }

    /// Enters `members` into `raffle`, all in the next block.
    fn enter_all(&mut self, raffle: u64, members: &[&Keypair]) {
        let txs: Vec<(&Keypair, Payload)> = members
            .iter()
            .map(|m| (*m, Payload::EnterRaffle { raffle }))
            .collect();
        let signed = self.sign_batch(&txs);
        let block = self.block(signed);
        for receipt in &block.receipts {
            assert!(receipt.is_applied(), "entry refused: {:?}", receipt.outcome);
        }
    }

    /// Applies empty blocks until the next block has height `height`.
    fn advance_to(&mut self, height: u64) {
        assert!(self.next_height() <= height, "already past height {height}");
        while self.next_height() < height {
            self.block(Vec::new());
        }
    }

    /// Applies empty blocks until a raffle with a height window is closed in state, then
    /// the validator contributes its part of the seed in the next block (the seller's
    /// reveal window starts there).
    fn close_raffle(&mut self, raffle: u64) -> ClosingBlock {
        let closing = self.close_only(raffle);
        let operator = self.operator.clone();
        let contribution = self.contribution(&operator, raffle);
        self.ok(&operator, contribution);
        closing
    }

    /// The contribution `validator` makes to a closed raffle.
    fn contribution(&self, validator: &Keypair, raffle: u64) -> Payload {
        let closing = self.raffle(raffle).closing_block.expect("closed");
        Payload::ContributeRaffleRandomness {
            raffle,
            proof: crate::draw::contribution_proof(
                validator,
                &self.chain.chain_id(),
                raffle,
                &closing.hash,
            ),
        }
    }

    /// The reveal deadline of a raffle whose contributions are complete.
    fn reveal_deadline(&self, raffle: u64) -> crate::types::Deadline {
        self.raffle(raffle)
            .randomness
            .and_then(|r| r.reveal_deadline)
            .expect("every contribution is in")
    }

    /// Applies empty blocks until the next block is past the raffle's reveal deadline.
    fn pass_reveal_deadline(&mut self, raffle: u64) {
        let deadline = self.reveal_deadline(raffle);
        self.advance_to(deadline.height + 1);
        self.time_ms = self.time_ms.max(deadline.time_ms + 1);
    }

    /// Applies empty blocks until a raffle with a height window is closed in state.
    fn close_only(&mut self, raffle: u64) -> ClosingBlock {
        let EntryWindow::Heights { closes, .. } = self.raffle(raffle).spec.window else {
            panic!("not a height window");
        };
        self.advance_to(closes + 2);
        let record = self.raffle(raffle);
        assert_eq!(record.status, RaffleStatus::Closed);
        record
            .closing_block
            .expect("a closed raffle has its closing block")
    }

    /// Closes, reveals and draws a raffle; returns the orders the draw opened.
    fn reveal_and_draw(&mut self, raffle: u64, secret: &Hash) -> Vec<u64> {
        self.close_raffle(raffle);
        let seller = self.seller_of(raffle);
        self.ok(
            &seller,
            Payload::RevealRaffleSecret {
                raffle,
                secret: *secret,
            },
        );
        self.draw(raffle)
    }

    /// Draws a raffle (signed by the operator); returns the orders it opened.
    fn draw(&mut self, raffle: u64) -> Vec<u64> {
        let operator = self.operator.clone();
        match self.ok(&operator, Payload::DrawRaffle { raffle }) {
            Effect::RaffleDrawn { raffle: id, orders } => {
                assert_eq!(id, raffle);
                orders
            }
            other => panic!("unexpected effect {other:?}"),
        }
    }

    fn seller_of(&self, raffle: u64) -> Keypair {
        let seller = self.raffle(raffle).seller;
        [&self.seller, &self.seller2]
            .into_iter()
            .find(|k| k.public() == seller)
            .expect("a fixture seller")
            .clone()
    }

    /// The fixture key of an account.
    fn keypair(&self, account: &PublicKey) -> Keypair {
        [
            &self.seller,
            &self.seller2,
            &self.alice,
            &self.bob,
            &self.carol,
            &self.dave,
            &self.erin,
            &self.minor,
            &self.teen,
            &self.ageless,
        ]
        .into_iter()
        .find(|k| k.public() == *account)
        .expect("a fixture member")
        .clone()
    }
}

fn assert_same_records(
    expected: &BTreeMap<Vec<u8>, Vec<u8>>,
    actual: &BTreeMap<Vec<u8>, Vec<u8>>,
    rejection: &Rejection,
) {
    let differing: Vec<String> = expected
        .keys()
        .chain(actual.keys())
        .filter(|k| expected.get(*k) != actual.get(*k))
        .map(hex::encode)
        .collect();
    assert!(
        differing.is_empty(),
        "a refused transaction ({rejection:?}) changed records {differing:?}"
    );
}

fn unauthorized(rejection: &Rejection) -> bool {
    matches!(rejection, Rejection::Unauthorized { .. })
}

fn invalid_field(rejection: &Rejection, name: &str) -> bool {
    matches!(rejection, Rejection::InvalidField { field, .. } if field == name)
}

fn raffle_rule(rejection: &Rejection, id: u64, expected: RaffleStatus, text: &str) -> bool {
    matches!(rejection, Rejection::RaffleRule { raffle, status, reason }
        if *raffle == id && *status == expected && reason.contains(text))
}

fn order_rule(rejection: &Rejection, id: u64, expected: OrderStatus) -> bool {
    matches!(rejection, Rejection::OrderRule { order, status, .. }
        if *order == id && *status == expected)
}

fn unknown(kind: &str, id: u64) -> Rejection {
    Rejection::unknown(kind, id)
}

// =====================================================================================
// The fixture itself
// =====================================================================================

#[test]
fn fixture_sets_up_roles() {
    let fx = Fixture::new();
    assert_eq!(fx.height(), 3);
    assert_eq!(fx.account(&fx.admin).role, Role::Admin);
    let operator = fx.account(&fx.operator);
    assert_eq!(operator.role, Role::Operator);
    assert_eq!(operator.nonce, 10);
    assert_eq!(
        current_validators(fx.chain.store()).unwrap()[0].key,
        fx.operator.public()
    );
    let seller = fx.account(&fx.seller);
    assert!(seller.is_approved_seller());
    assert_eq!(
        seller.seller,
        SellerStatus::Approved {
            shop_name: format!("shop of {:?}", fx.seller.public()),
            since_height: 3
        }
    );
    let alice = fx.account(&fx.alice);
    assert!(alice.adult);
    assert!(alice.phone_verified);
    assert_eq!(alice.registered_height, 1);
    assert!(!fx.account(&fx.ageless).adult);
    assert!(fx
        .get::<Account>(&keys::account(&fx.outsider.public()))
        .is_none());
    assert_eq!(
        fx.counters(),
        Counters {
            next_product: 1,
            next_item: 1,
            next_raffle: 1,
            next_order: 1,
            next_ad: 1
        }
    );
}

// =====================================================================================
// Generic rejections
// =====================================================================================

#[test]
fn bad_signature_is_refused() {
    let mut fx = Fixture::new();
    let mut tx = fx.sign(
        &fx.alice,
        Payload::ApplySeller {
            shop_name: "a".into(),
        },
    );
    tx.signature.0[10] ^= 0x01;
    assert_eq!(fx.reject_tx(tx), Rejection::BadSignature);

    // Signed by another key than the signer's.
    let tx = Transaction {
        chain_id: fx.chain.chain_id(),
        signer: fx.alice.public(),
        nonce: 0,
        payload: Payload::ApplySeller {
            shop_name: "a".into(),
        },
    };
    let forged = SignedTransaction {
        signature: fx.bob.sign(tx.signing_hash().as_bytes()),
        tx,
    };
    assert_eq!(fx.reject_tx(forged), Rejection::BadSignature);

    // A signature over other content (the payload was changed after signing).
    let mut tx = fx.sign(
        &fx.alice,
        Payload::ApplySeller {
            shop_name: "a".into(),
        },
    );
    tx.tx.payload = Payload::ApplySeller {
        shop_name: "b".into(),
    };
    assert_eq!(fx.reject_tx(tx), Rejection::BadSignature);
    assert_eq!(fx.account(&fx.alice).seller, SellerStatus::None);
}

#[test]
fn bad_signature_in_a_batch_refuses_only_that_transaction() {
    let mut fx = Fixture::new();
    let members = [&fx.alice, &fx.bob, &fx.carol, &fx.dave, &fx.erin];
    let mut txs: Vec<SignedTransaction> = members
        .iter()
        .map(|m| {
            fx.sign(
                m,
                Payload::ApplySeller {
                    shop_name: "s".into(),
                },
            )
        })
        .collect();
    txs[2].signature.0[40] ^= 0x80;
    let block = fx.block(txs);
    for (i, receipt) in block.receipts.iter().enumerate() {
        if i == 2 {
            assert_eq!(
                receipt.outcome,
                Outcome::Rejected {
                    rejection: Rejection::BadSignature
                }
            );
        } else {
            assert!(receipt.is_applied(), "{i}: {:?}", receipt.outcome);
        }
    }
    assert_eq!(fx.account(&fx.carol).seller, SellerStatus::None);
    assert_eq!(fx.account(&fx.carol).nonce, 0);
    assert_eq!(fx.account(&fx.dave).nonce, 1);
}

#[test]
fn wrong_chain_is_refused() {
    let mut fx = Fixture::new();
    let other = Hash::of(b"another chain");
    let tx = Transaction {
        chain_id: other,
        signer: fx.alice.public(),
        nonce: 0,
        payload: Payload::ApplySeller {
            shop_name: "a".into(),
        },
    }
    .sign(&fx.alice);
    let expected = Rejection::WrongChain {
        expected: fx.chain.chain_id(),
        got: other,
    };
    assert_eq!(fx.reject_tx(tx), expected);
}

#[test]
fn nonces_are_used_once_and_in_order() {
    let mut fx = Fixture::new();
    let tx = fx.sign(
        &fx.alice,
        Payload::ApplySeller {
            shop_name: "a".into(),
        },
    );
    assert!(fx.block(vec![tx.clone()]).receipts[0].is_applied());
    assert_eq!(fx.account(&fx.alice).nonce, 1);
    // The same transaction again: a replay.
    assert_eq!(
        fx.reject_tx(tx),
        Rejection::NonceReplayed {
            expected: 1,
            got: 0
        }
    );
    // A fresh transaction with an old nonce is a replay too.
    let old = Transaction {
        chain_id: fx.chain.chain_id(),
        signer: fx.alice.public(),
        nonce: 0,
        payload: Payload::WithdrawAccount {
            account: fx.alice.public(),
        },
    }
    .sign(&fx.alice);
    assert_eq!(
        fx.reject_tx(old),
        Rejection::NonceReplayed {
            expected: 1,
            got: 0
        }
    );
    // Skipping ahead.
    let ahead = Transaction {
        chain_id: fx.chain.chain_id(),
        signer: fx.alice.public(),
        nonce: 3,
        payload: Payload::WithdrawAccount {
            account: fx.alice.public(),
        },
    }
    .sign(&fx.alice);
    assert_eq!(
        fx.reject_tx(ahead),
        Rejection::NonceSkipped {
            expected: 1,
            got: 3
        }
    );
    assert_eq!(fx.account(&fx.alice).status, AccountStatus::Active);
}

#[test]
fn a_replay_inside_one_block_is_refused() {
    let mut fx = Fixture::new();
    let tx = fx.sign(
        &fx.bob,
        Payload::ApplySeller {
            shop_name: "b".into(),
        },
    );
    let block = fx.block(vec![tx.clone(), tx]);
    assert!(block.receipts[0].is_applied());
    assert_eq!(
        block.receipts[1].outcome,
        Outcome::Rejected {
            rejection: Rejection::NonceReplayed {
                expected: 1,
                got: 0
            }
        }
    );
    assert_eq!(fx.account(&fx.bob).nonce, 1);
}

#[test]
fn a_refused_transaction_does_not_advance_the_nonce_for_the_next() {
    let mut fx = Fixture::new();
    // nonce 0 is refused (empty shop name), so nonce 1 skips ahead.
    let txs = fx.sign_batch(&[
        (
            &fx.alice,
            Payload::ApplySeller {
                shop_name: String::new(),
            },
        ),
        (
            &fx.alice,
            Payload::ApplySeller {
                shop_name: "ok".into(),
            },
        ),
    ]);
    let block = fx.block(txs);
    assert!(matches!(
        &block.receipts[0].outcome,
        Outcome::Rejected { rejection } if invalid_field(rejection, "shop_name")
    ));
    assert_eq!(
        block.receipts[1].outcome,
        Outcome::Rejected {
            rejection: Rejection::NonceSkipped {
                expected: 0,
                got: 1
            }
        }
    );
    assert_eq!(fx.account(&fx.alice).nonce, 0);
}

#[test]
fn unknown_signer_is_refused() {
    let mut fx = Fixture::new();
    let outsider = fx.outsider.clone();
    fx.expect(
        &outsider,
        Payload::ApplySeller {
            shop_name: "x".into(),
        },
        Rejection::UnknownSigner {
            signer: outsider.public(),
        },
    );
    // Even for kinds anyone may send.
    fx.expect(
        &outsider,
        Payload::ExpireOrder { order: 1 },
        Rejection::UnknownSigner {
            signer: outsider.public(),
        },
    );
}

#[test]
fn suspended_and_withdrawn_signers_are_refused() {
    let mut fx = Fixture::new();
    let (admin, alice, bob) = (fx.admin.clone(), fx.alice.clone(), fx.bob.clone());
    fx.ok(
        &admin,
        Payload::SetAccountSuspended {
            account: alice.public(),
            suspended: true,
        },
    );
    fx.expect(
        &alice,
        Payload::ApplySeller {
            shop_name: "a".into(),
        },
        Rejection::SignerNotActive {
            status: AccountStatus::Suspended,
        },
    );
    fx.ok(
        &bob,
        Payload::WithdrawAccount {
            account: bob.public(),
        },
    );
    fx.expect(
        &bob,
        Payload::ApplySeller {
            shop_name: "b".into(),
        },
        Rejection::SignerNotActive {
            status: AccountStatus::Withdrawn,
        },
    );
    // A suspended operator (a removed validator) cannot settle or register.
    let v2 = key("validator-2");
    fx.ok(
        &admin,
        Payload::AddValidator {
            key: v2.public(),
            name: "v2".into(),
            p2p_address: "/ip4/127.0.0.1/tcp/30334".into(),
        },
    );
    fx.ok(&admin, Payload::RemoveValidator { key: v2.public() });
    fx.expect(
        &v2,
        Payload::RegisterAccount {
            account: key("newbie").public(),
            role: Role::Member,
            adult: false,
        },
        Rejection::SignerNotActive {
            status: AccountStatus::Suspended,
        },
    );
}

#[test]
fn block_full_refuses_the_excess() {
    let mut fx = Fixture::with_params(ChainParams {
        max_block_time_step_ms: Some(YEAR_MS),
        max_block_transactions: 3,
        ..ChainParams::default()
    });
    let members = [&fx.alice, &fx.bob, &fx.carol, &fx.dave, &fx.erin];
    let txs: Vec<SignedTransaction> = members
        .iter()
        .map(|m| {
            fx.sign(
                m,
                Payload::ApplySeller {
                    shop_name: "s".into(),
                },
            )
        })
        .collect();
    let block = fx.block(txs);
    assert_eq!(block.header.transaction_count, 5);
    for (i, receipt) in block.receipts.iter().enumerate() {
        if i < 3 {
            assert!(receipt.is_applied(), "{i}: {:?}", receipt.outcome);
        } else {
            assert_eq!(
                receipt.outcome,
                Outcome::Rejected {
                    rejection: Rejection::BlockFull
                }
            );
        }
    }
    assert_eq!(fx.account(&fx.carol).nonce, 1);
    assert_eq!(fx.account(&fx.dave).nonce, 0);
    assert_eq!(fx.account(&fx.erin).seller, SellerStatus::None);
    // The refused ones can go in the next block.
    let txs: Vec<SignedTransaction> = [&fx.dave, &fx.erin]
        .iter()
        .map(|m| {
            fx.sign(
                m,
                Payload::ApplySeller {
                    shop_name: "s".into(),
                },
            )
        })
        .collect();
    assert!(fx.block(txs).receipts.iter().all(Receipt::is_applied));
}

#[test]
fn static_checks_run_before_the_signer_is_looked_up() {
    let mut fx = Fixture::new();
    let outsider = fx.outsider.clone();
    let rejection = fx.reject(
        &outsider,
        Payload::ApplySeller {
            shop_name: "\u{7}".into(),
        },
    );
    assert!(invalid_field(&rejection, "shop_name"), "{rejection:?}");
}

#[test]
fn rejected_transactions_leave_the_rest_of_the_block_applied() {
    let mut fx = Fixture::new();
    let item = fx.listed_item(&fx.seller.clone(), "SN-1");
    let txs = fx.sign_batch(&[
        (&fx.alice, Payload::CreateOrder { item }),
        (&fx.bob, Payload::CreateOrder { item }),
        (
            &fx.alice,
            Payload::ApplySeller {
                shop_name: "a".into(),
            },
        ),
    ]);
    let block = fx.block(txs);
    assert!(block.receipts[0].is_applied());
    assert_eq!(
        block.receipts[1].outcome,
        Outcome::Rejected {
            rejection: Rejection::ItemLocked {
                item,
                lock: ItemLock::Order(1)
            }
        }
    );
    assert!(block.receipts[2].is_applied());
    assert_eq!(fx.order(1).buyer, fx.alice.public());
    assert_eq!(fx.account(&fx.bob).nonce, 0);
    assert_eq!(fx.account(&fx.alice).nonce, 2);
    assert!(fx.get::<Order>(&keys::order(2)).is_none());
}

// =====================================================================================
// Accounts
// =====================================================================================

#[test]
fn register_account_by_operator_and_admin() {
    let mut fx = Fixture::new();
    let (operator, admin) = (fx.operator.clone(), fx.admin.clone());
    let newbie = key("newbie");
    assert_eq!(
        fx.ok(
            &operator,
            Payload::RegisterAccount {
                account: newbie.public(),
                role: Role::Member,
                adult: true,
            },
        ),
        Effect::Done
    );
    assert_eq!(
        fx.account(&newbie),
        Account {
            key: newbie.public(),
            role: Role::Member,
            status: AccountStatus::Active,
            nonce: 0,
            phone_verified: true,
            adult: true,
            seller: SellerStatus::None,
            registered_height: fx.height(),
            missed_reveals: 0,
            raffle_cooldown_until_ms: 0,
        }
    );
    // An admin may register members and admins.
    let admin2 = key("admin-2");
    fx.ok(
        &admin,
        Payload::RegisterAccount {
            account: admin2.public(),
            role: Role::Admin,
            adult: false,
        },
    );
    let record = fx.account(&admin2);
    assert_eq!(record.role, Role::Admin);
    assert!(!record.phone_verified);
    // The new admin can act as one.
    fx.ok(
        &admin2,
        Payload::SetAccountSuspended {
            account: newbie.public(),
            suspended: true,
        },
    );
    assert_eq!(fx.account(&newbie).status, AccountStatus::Suspended);
}

#[test]
fn register_account_rejections() {
    let mut fx = Fixture::new();
    let (operator, admin, alice) = (fx.operator.clone(), fx.admin.clone(), fx.alice.clone());
    let newbie = key("newbie");
    let member = |account: PublicKey| Payload::RegisterAccount {
        account,
        role: Role::Member,
        adult: false,
    };
    // A member is no registrar.
    let r = fx.reject(&alice, member(newbie.public()));
    assert!(unauthorized(&r), "{r:?}");
    // Only an admin registers admins.
    let r = fx.reject(
        &operator,
        Payload::RegisterAccount {
            account: newbie.public(),
            role: Role::Admin,
            adult: false,
        },
    );
    assert!(
        matches!(&r, Rejection::Unauthorized { action, required }
            if action == "registering an admin" && required == "an admin"),
        "{r:?}"
    );
    // Operators come with validators, even for an admin.
    for signer in [&operator, &admin] {
        let r = fx.reject(
            signer,
            Payload::RegisterAccount {
                account: newbie.public(),
                role: Role::Operator,
                adult: false,
            },
        );
        assert!(invalid_field(&r, "role"), "{r:?}");
    }
    // A weak key cannot be an account.
    let r = fx.reject(&operator, member(weak_key()));
    assert!(invalid_field(&r, "account"), "{r:?}");
    // Twice.
    fx.expect(
        &operator,
        member(alice.public()),
        Rejection::AccountExists {
            account: alice.public(),
        },
    );
    // An operator's key has its account already.
    fx.expect(
        &admin,
        member(operator.public()),
        Rejection::AccountExists {
            account: operator.public(),
        },
    );
}

#[test]
fn suspend_and_reactivate() {
    let mut fx = Fixture::new();
    let (admin, alice) = (fx.admin.clone(), fx.alice.clone());
    let suspend = |suspended| Payload::SetAccountSuspended {
        account: alice.public(),
        suspended,
    };
    fx.ok(&admin, suspend(true));
    let record = fx.account(&alice);
    assert_eq!(record.status, AccountStatus::Suspended);
    assert_eq!(record.nonce, 0);
    // Twice is refused.
    fx.expect(
        &admin,
        suspend(true),
        Rejection::AccountNotActive {
            account: alice.public(),
            status: AccountStatus::Suspended,
        },
    );
    // A suspended account cannot receive an item.
    let item = fx.register_items(&fx.seller.clone(), &["S-1"], false)[0];
    let seller = fx.seller.clone();
    fx.expect(
        &seller,
        Payload::TransferItem {
            item,
            to: alice.public(),
        },
        Rejection::AccountNotActive {
            account: alice.public(),
            status: AccountStatus::Suspended,
        },
    );
    fx.ok(&admin, suspend(false));
    assert_eq!(fx.account(&alice).status, AccountStatus::Active);
    // Reactivating an active account is refused.
    fx.expect(
        &admin,
        suspend(false),
        Rejection::AccountNotActive {
            account: alice.public(),
            status: AccountStatus::Active,
        },
    );
    // Alice signs again, with the nonce she had.
    fx.ok(
        &alice,
        Payload::ApplySeller {
            shop_name: "a".into(),
        },
    );
    assert_eq!(fx.account(&alice).nonce, 1);
}

#[test]
fn set_account_suspended_rejections() {
    let mut fx = Fixture::new();
    let (admin, operator, alice, bob) = (
        fx.admin.clone(),
        fx.operator.clone(),
        fx.alice.clone(),
        fx.bob.clone(),
    );
    for signer in [&operator, &bob] {
        let r = fx.reject(
            signer,
            Payload::SetAccountSuspended {
                account: alice.public(),
                suspended: true,
            },
        );
        assert!(unauthorized(&r), "{r:?}");
    }
    let r = fx.reject(
        &admin,
        Payload::SetAccountSuspended {
            account: admin.public(),
            suspended: true,
        },
    );
    assert!(invalid_field(&r, "account"), "{r:?}");
    fx.expect(
        &admin,
        Payload::SetAccountSuspended {
            account: fx.outsider.public(),
            suspended: true,
        },
        Rejection::UnknownAccount {
            account: fx.outsider.public(),
        },
    );
    // A withdrawal is final: neither suspended nor reactivated.
    fx.ok(
        &bob,
        Payload::WithdrawAccount {
            account: bob.public(),
        },
    );
    for suspended in [true, false] {
        fx.expect(
            &admin,
            Payload::SetAccountSuspended {
                account: bob.public(),
                suspended,
            },
            Rejection::AccountNotActive {
                account: bob.public(),
                status: AccountStatus::Withdrawn,
            },
        );
    }
}

#[test]
fn withdraw_self_and_on_behalf() {
    let mut fx = Fixture::new();
    let (operator, admin, alice, bob, seller2) = (
        fx.operator.clone(),
        fx.admin.clone(),
        fx.alice.clone(),
        fx.bob.clone(),
        fx.seller2.clone(),
    );
    fx.ok(
        &alice,
        Payload::WithdrawAccount {
            account: alice.public(),
        },
    );
    let record = fx.account(&alice);
    assert_eq!(record.status, AccountStatus::Withdrawn);
    assert!(!record.adult, "the adult attestation is erased");
    assert_eq!(record.nonce, 1, "the withdrawal used nonce 0");
    // On behalf, by an operator and by an admin.
    fx.ok(
        &operator,
        Payload::WithdrawAccount {
            account: bob.public(),
        },
    );
    assert_eq!(fx.account(&bob).status, AccountStatus::Withdrawn);
    assert_eq!(fx.account(&bob).nonce, 0);
    // A seller's standing is revoked; an application too.
    fx.ok(
        &admin,
        Payload::WithdrawAccount {
            account: seller2.public(),
        },
    );
    let record = fx.account(&seller2);
    assert!(matches!(
        record.seller,
        SellerStatus::Revoked { at_height, .. } if at_height == fx.height()
    ));
    let carol = fx.carol.clone();
    fx.ok(
        &carol,
        Payload::ApplySeller {
            shop_name: "c".into(),
        },
    );
    fx.ok(
        &carol,
        Payload::WithdrawAccount {
            account: carol.public(),
        },
    );
    assert_eq!(
        fx.account(&carol).seller,
        SellerStatus::Revoked {
            shop_name: "c".into(),
            at_height: fx.height()
        }
    );
}

#[test]
fn withdraw_account_rejections() {
    let mut fx = Fixture::new();
    let (operator, admin, alice, bob) = (
        fx.operator.clone(),
        fx.admin.clone(),
        fx.alice.clone(),
        fx.bob.clone(),
    );
    // A member cannot withdraw another.
    let r = fx.reject(
        &alice,
        Payload::WithdrawAccount {
            account: bob.public(),
        },
    );
    assert!(unauthorized(&r), "{r:?}");
    fx.expect(
        &operator,
        Payload::WithdrawAccount {
            account: fx.outsider.public(),
        },
        Rejection::UnknownAccount {
            account: fx.outsider.public(),
        },
    );
    fx.ok(
        &operator,
        Payload::WithdrawAccount {
            account: bob.public(),
        },
    );
    fx.expect(
        &operator,
        Payload::WithdrawAccount {
            account: bob.public(),
        },
        Rejection::AccountNotActive {
            account: bob.public(),
            status: AccountStatus::Withdrawn,
        },
    );
    // A suspended member must be reactivated first.
    fx.ok(
        &admin,
        Payload::SetAccountSuspended {
            account: alice.public(),
            suspended: true,
        },
    );
    fx.expect(
        &operator,
        Payload::WithdrawAccount {
            account: alice.public(),
        },
        Rejection::AccountNotActive {
            account: alice.public(),
            status: AccountStatus::Suspended,
        },
    );
    // Only members withdraw.
    let r = fx.reject(
        &admin,
        Payload::WithdrawAccount {
            account: admin.public(),
        },
    );
    assert!(invalid_field(&r, "account"), "{r:?}");
    let r = fx.reject(
        &admin,
        Payload::WithdrawAccount {
            account: operator.public(),
        },
    );
    assert!(invalid_field(&r, "account"), "{r:?}");
}

#[test]
fn apply_seller_and_its_rejections() {
    let mut fx = Fixture::new();
    let (admin, operator, alice, seller) = (
        fx.admin.clone(),
        fx.operator.clone(),
        fx.alice.clone(),
        fx.seller.clone(),
    );
    fx.ok(
        &alice,
        Payload::ApplySeller {
            shop_name: "  Alice's kicks ".into(),
        },
    );
    assert_eq!(
        fx.account(&alice).seller,
        SellerStatus::Applied {
            shop_name: "Alice's kicks".into()
        }
    );
    let r = fx.reject(
        &alice,
        Payload::ApplySeller {
            shop_name: "again".into(),
        },
    );
    assert!(
        matches!(&r, Rejection::SellerApplication { reason } if reason.contains("pending")),
        "{r:?}"
    );
    let r = fx.reject(
        &seller,
        Payload::ApplySeller {
            shop_name: "again".into(),
        },
    );
    assert!(
        matches!(&r, Rejection::SellerApplication { reason } if reason.contains("approved")),
        "{r:?}"
    );
    for signer in [&admin, &operator] {
        let r = fx.reject(
            signer,
            Payload::ApplySeller {
                shop_name: "x".into(),
            },
        );
        assert!(unauthorized(&r), "{r:?}");
    }
    let bob = fx.bob.clone();
    let r = fx.reject(
        &bob,
        Payload::ApplySeller {
            shop_name: String::new(),
        },
    );
    assert!(invalid_field(&r, "shop_name"), "{r:?}");
    let r = fx.reject(
        &bob,
        Payload::ApplySeller {
            shop_name: "x".repeat(81),
        },
    );
    assert!(invalid_field(&r, "shop_name"), "{r:?}");
    // A revoked seller may apply again.
    fx.ok(
        &admin,
        Payload::RevokeSeller {
            account: seller.public(),
        },
    );
    fx.ok(
        &seller,
        Payload::ApplySeller {
            shop_name: "reborn".into(),
        },
    );
    assert_eq!(
        fx.account(&seller).seller,
        SellerStatus::Applied {
            shop_name: "reborn".into()
        }
    );
}

#[test]
fn approve_seller_and_its_rejections() {
    let mut fx = Fixture::new();
    let (admin, operator, alice, bob) = (
        fx.admin.clone(),
        fx.operator.clone(),
        fx.alice.clone(),
        fx.bob.clone(),
    );
    fx.ok(
        &alice,
        Payload::ApplySeller {
            shop_name: "A".into(),
        },
    );
    for signer in [&operator, &bob] {
        let r = fx.reject(
            signer,
            Payload::ApproveSeller {
                account: alice.public(),
            },
        );
        assert!(unauthorized(&r), "{r:?}");
    }
    // No application.
    let r = fx.reject(
        &admin,
        Payload::ApproveSeller {
            account: bob.public(),
        },
    );
    assert!(matches!(r, Rejection::SellerApplication { .. }), "{r:?}");
    fx.expect(
        &admin,
        Payload::ApproveSeller {
            account: fx.outsider.public(),
        },
        Rejection::UnknownAccount {
            account: fx.outsider.public(),
        },
    );
    fx.ok(
        &admin,
        Payload::ApproveSeller {
            account: alice.public(),
        },
    );
    assert_eq!(
        fx.account(&alice).seller,
        SellerStatus::Approved {
            shop_name: "A".into(),
            since_height: fx.height()
        }
    );
    // Approved already: no pending application.
    let r = fx.reject(
        &admin,
        Payload::ApproveSeller {
            account: alice.public(),
        },
    );
    assert!(matches!(r, Rejection::SellerApplication { .. }), "{r:?}");
    // A suspended applicant is not approved.
    fx.ok(
        &bob,
        Payload::ApplySeller {
            shop_name: "B".into(),
        },
    );
    fx.ok(
        &admin,
        Payload::SetAccountSuspended {
            account: bob.public(),
            suspended: true,
        },
    );
    fx.expect(
        &admin,
        Payload::ApproveSeller {
            account: bob.public(),
        },
        Rejection::AccountNotActive {
            account: bob.public(),
            status: AccountStatus::Suspended,
        },
    );
}

#[test]
fn revoke_seller_and_its_rejections() {
    let mut fx = Fixture::new();
    let (admin, operator, seller, alice) = (
        fx.admin.clone(),
        fx.operator.clone(),
        fx.seller.clone(),
        fx.alice.clone(),
    );
    for signer in [&operator, &alice] {
        let r = fx.reject(
            signer,
            Payload::RevokeSeller {
                account: seller.public(),
            },
        );
        assert!(unauthorized(&r), "{r:?}");
    }
    let r = fx.reject(
        &admin,
        Payload::RevokeSeller {
            account: alice.public(),
        },
    );
    assert!(matches!(r, Rejection::SellerApplication { .. }), "{r:?}");
    fx.expect(
        &admin,
        Payload::RevokeSeller {
            account: fx.outsider.public(),
        },
        Rejection::UnknownAccount {
            account: fx.outsider.public(),
        },
    );
    fx.ok(
        &admin,
        Payload::RevokeSeller {
            account: seller.public(),
        },
    );
    assert!(matches!(
        fx.account(&seller).seller,
        SellerStatus::Revoked { at_height, .. } if at_height == fx.height()
    ));
    // Twice.
    let r = fx.reject(
        &admin,
        Payload::RevokeSeller {
            account: seller.public(),
        },
    );
    assert!(matches!(r, Rejection::SellerApplication { .. }), "{r:?}");
    // A revoked seller registers nothing.
    fx.expect(
        &seller,
        Payload::RegisterProduct(product_spec("Nike", "M", &["X-1"])),
        Rejection::SellerNotApproved,
    );
}

// =====================================================================================
// Catalog
// =====================================================================================

#[test]
fn register_product_creates_product_items_history_and_serial_index() {
    let mut fx = Fixture::new();
    let seller = fx.seller.clone();
    let mut spec = product_spec(" Nike ", " DD1391-100 ", &["ab-001", " AB-002 ", "AB-003"]);
    spec.list_for_sale = true;
    let effect = fx.ok(&seller, Payload::RegisterProduct(spec.clone()));
    assert_eq!(
        effect,
        Effect::ProductRegistered {
            product: 1,
            first_item: 1,
            item_count: 3
        }
    );
    let tx_ref = fx.last_ref(0);
    assert_eq!(
        fx.product(1),
        Product {
            id: 1,
            seller: seller.public(),
            brand: "Nike".into(),
            model: "DD1391-100".into(),
            name_ko: spec.name_ko.clone(),
            name_en: spec.name_en.clone(),
            category: "sneakers".into(),
            release_date: 20_260_101,
            price: 150_000,
            description: "limited".into(),
            image_hashes: spec.image_hashes.clone(),
            edition_size: 3,
            first_item: 1,
            registered: tx_ref,
        }
    );
    for (k, serial) in ["ab-001", "AB-002", "AB-003"].iter().enumerate() {
        let id = k as u64 + 1;
        assert_eq!(
            fx.item(id),
            Item {
                id,
                product: 1,
                edition: k as u32 + 1,
                edition_size: 3,
                serial: (*serial).to_owned(),
                owner: seller.public(),
                owner_since: tx_ref,
                history_len: 1,
                lock: ItemLock::Free,
                listing_price: Some(150_000),
            }
        );
        assert_eq!(
            fx.ownership(id, 0),
            OwnershipRecord {
                item: id,
                sequence: 0,
                owner: seller.public(),
                acquisition: Acquisition::Registered,
                tx: tx_ref,
            }
        );
        assert_eq!(
            fx.get::<u64>(&keys::serial("nike", "dd1391-100", serial)),
            Some(id)
        );
    }
    let counters = fx.counters();
    assert_eq!((counters.next_product, counters.next_item), (2, 4));
    // Unlisted registration; ids continue.
    let items = fx.register_items(&fx.seller2.clone(), &["Z-1"], false);
    assert_eq!(items, vec![4]);
    assert_eq!(fx.item(4).listing_price, None);
    assert_eq!(fx.product(2).first_item, 4);
}

#[test]
fn register_product_role_rejections() {
    let mut fx = Fixture::new();
    let spec = product_spec("Nike", "M1", &["S-1"]);
    let (alice, admin, operator) = (fx.alice.clone(), fx.admin.clone(), fx.operator.clone());
    for signer in [&alice, &admin, &operator] {
        fx.expect(
            signer,
            Payload::RegisterProduct(spec.clone()),
            Rejection::SellerNotApproved,
        );
    }
    // An applicant is not yet approved.
    fx.ok(
        &alice,
        Payload::ApplySeller {
            shop_name: "a".into(),
        },
    );
    fx.expect(
        &alice,
        Payload::RegisterProduct(spec),
        Rejection::SellerNotApproved,
    );
}

#[test]
fn duplicate_serials_are_refused_under_normalization() {
    let mut fx = Fixture::new();
    let (seller, seller2) = (fx.seller.clone(), fx.seller2.clone());
    fx.register_items(&seller, &["AB-123-X"], false);
    let dup = |brand: &str, model: &str, serial: &str| {
        Payload::RegisterProduct(product_spec(brand, model, &["NEW-1", serial]))
    };
    // The same serial, by the same seller or another one.
    for (signer, brand, model, serial) in [
        (&seller, "Nike", "DD1391-100", "AB-123-X"),
        (&seller2, "Nike", "DD1391-100", "AB-123-X"),
        // Case, dashes and spaces do not make a serial different.
        (&seller, "Nike", "DD1391-100", "ab123x"),
        (&seller, "Nike", "DD1391-100", " a b-1 2 3-x "),
        // Nor do whitespace and case in the brand or model.
        (&seller2, "  NIKE ", "dd1391-100", "AB-123-X"),
        (&seller, "nike", "  DD1391-100\n", "AB123X"),
    ] {
        fx.expect(
            signer,
            dup(brand, model, serial),
            Rejection::DuplicateSerial {
                serial: serial.to_owned(),
                item: 1,
            },
        );
    }
    // Inner whitespace of a brand collapses.
    fx.register_items(&seller, &["Q-1"], false);
    fx.ok(
        &seller,
        Payload::RegisterProduct(product_spec("Air  Jordan", "AJ 1", &["J-1"])),
    );
    fx.expect(
        &seller2,
        Payload::RegisterProduct(product_spec("air jordan", "aj   1", &["j1"])),
        Rejection::DuplicateSerial {
            serial: "j1".into(),
            item: 3,
        },
    );
    // The same serial under another model or brand is another piece.
    fx.ok(&seller, dup("Nike", "DD1391-101", "AB-123-X"));
    fx.ok(&seller, dup("Adidas", "DD1391-100", "AB-123-X"));
    assert_eq!(fx.counters().next_product, 6);
}

#[test]
fn register_product_static_rejections() {
    let mut fx = Fixture::new();
    let seller = fx.seller.clone();
    let cases: Vec<(&str, ProductSpec)> = vec![
        ("serials", product_spec("Nike", "M", &[])),
        ("serials", product_spec("Nike", "M", &["A-1", "a1"])),
        ("serials", product_spec("Nike", "M", &[&"9".repeat(65)])),
        ("brand", product_spec("", "M", &["A"])),
        ("model", product_spec("Nike", "", &["A"])),
        ("name_ko", {
            let mut s = product_spec("Nike", "M", &["A"]);
            s.name_ko = " ".into();
            s.name_en = String::new();
            s
        }),
        ("release_date", {
            let mut s = product_spec("Nike", "M", &["A"]);
            s.release_date = 20_261_301;
            s
        }),
        ("price", {
            let mut s = product_spec("Nike", "M", &["A"]);
            s.price = 0;
            s
        }),
        ("image_hashes", {
            let mut s = product_spec("Nike", "M", &["A"]);
            s.image_hashes = vec![Hash::ZERO; limits::MAX_IMAGES + 1];
            s
        }),
    ];
    for (field, spec) in cases {
        let r = fx.reject(&seller, Payload::RegisterProduct(spec));
        assert!(invalid_field(&r, field), "{field}: {r:?}");
    }
    let serials: Vec<String> = (0..=limits::MAX_EDITION_SIZE)
        .map(|i| format!("S{i}"))
        .collect();
    let mut spec = product_spec("Nike", "M", &[]);
    spec.serials = serials;
    let r = fx.reject(&seller, Payload::RegisterProduct(spec));
    assert!(invalid_field(&r, "serials"), "{r:?}");
    assert_eq!(fx.counters().next_product, 1);
}

#[test]
fn transfer_item_moves_ownership_and_appends_history() {
    let mut fx = Fixture::new();
    let (seller, alice, bob) = (fx.seller.clone(), fx.alice.clone(), fx.bob.clone());
    let item = fx.listed_item(&seller, "T-1");
    fx.ok(
        &seller,
        Payload::TransferItem {
            item,
            to: alice.public(),
        },
    );
    let first = fx.last_ref(0);
    let record = fx.item(item);
    assert_eq!(record.owner, alice.public());
    assert_eq!(record.owner_since, first);
    assert_eq!(record.history_len, 2);
    assert_eq!(record.listing_price, None, "a transfer unlists");
    assert_eq!(
        fx.ownership(item, 1),
        OwnershipRecord {
            item,
            sequence: 1,
            owner: alice.public(),
            acquisition: Acquisition::Transferred,
            tx: first,
        }
    );
    // The new owner passes it on; the history keeps every step.
    fx.ok(
        &alice,
        Payload::TransferItem {
            item,
            to: bob.public(),
        },
    );
    assert_eq!(fx.item(item).owner, bob.public());
    assert_eq!(fx.item(item).history_len, 3);
    assert_eq!(fx.ownership(item, 2).owner, bob.public());
    assert_eq!(fx.ownership(item, 0).owner, seller.public());
    // To an admin (any active account).
    let admin = fx.admin.clone();
    fx.ok(
        &bob,
        Payload::TransferItem {
            item,
            to: admin.public(),
        },
    );
    assert_eq!(fx.item(item).owner, admin.public());
}

#[test]
fn transfer_item_rejections() {
    let mut fx = Fixture::new();
    let (seller, alice, bob, admin) = (
        fx.seller.clone(),
        fx.alice.clone(),
        fx.bob.clone(),
        fx.admin.clone(),
    );
    let items = fx.register_items(&seller, &["T-1", "T-2", "T-3"], true);
    let transfer = |item, to: &Keypair| Payload::TransferItem {
        item,
        to: to.public(),
    };
    fx.expect(
        &alice,
        transfer(items[0], &bob),
        Rejection::NotOwner {
            item: items[0],
            owner: seller.public(),
        },
    );
    fx.expect(&seller, transfer(99, &bob), unknown("item", 99));
    let r = fx.reject(&seller, transfer(items[0], &seller));
    assert!(invalid_field(&r, "to"), "{r:?}");
    fx.expect(
        &seller,
        transfer(items[0], &fx.outsider.clone()),
        Rejection::UnknownAccount {
            account: fx.outsider.public(),
        },
    );
    fx.ok(
        &bob,
        Payload::WithdrawAccount {
            account: bob.public(),
        },
    );
    fx.expect(
        &seller,
        transfer(items[0], &bob),
        Rejection::AccountNotActive {
            account: bob.public(),
            status: AccountStatus::Withdrawn,
        },
    );
    // Escrowed by an order.
    let order = fx.order_item(&alice, items[1]);
    fx.expect(
        &seller,
        transfer(items[1], &admin),
        Rejection::ItemLocked {
            item: items[1],
            lock: ItemLock::Order(order),
        },
    );
    // Escrowed by a raffle.
    let h = fx.next_height();
    let raffle = fx.create_raffle(
        &seller,
        raffle_spec(vec![items[2]], heights(h, h + 10), &secret("s")),
    );
    fx.expect(
        &seller,
        transfer(items[2], &admin),
        Rejection::ItemLocked {
            item: items[2],
            lock: ItemLock::Raffle(raffle),
        },
    );
    assert_eq!(fx.item(items[0]).owner, seller.public());
}

#[test]
fn list_item_and_its_rejections() {
    let mut fx = Fixture::new();
    let (seller, alice) = (fx.seller.clone(), fx.alice.clone());
    let items = fx.register_items(&seller, &["L-1", "L-2"], false);
    fx.ok(
        &seller,
        Payload::ListItem {
            item: items[0],
            price: Some(99_000),
        },
    );
    assert_eq!(fx.item(items[0]).listing_price, Some(99_000));
    fx.ok(
        &seller,
        Payload::ListItem {
            item: items[0],
            price: None,
        },
    );
    assert_eq!(fx.item(items[0]).listing_price, None);
    // Unlisted: cannot be ordered.
    fx.expect(
        &alice,
        Payload::CreateOrder { item: items[0] },
        Rejection::NotListed { item: items[0] },
    );
    fx.expect(
        &alice,
        Payload::ListItem {
            item: items[0],
            price: Some(1),
        },
        Rejection::NotOwner {
            item: items[0],
            owner: seller.public(),
        },
    );
    fx.expect(
        &seller,
        Payload::ListItem {
            item: 42,
            price: Some(1),
        },
        unknown("item", 42),
    );
    for price in [0, limits::MAX_PRICE_WON + 1] {
        let r = fx.reject(
            &seller,
            Payload::ListItem {
                item: items[0],
                price: Some(price),
            },
        );
        assert!(invalid_field(&r, "price"), "{r:?}");
    }
    // Listed and ordered: locked.
    fx.ok(
        &seller,
        Payload::ListItem {
            item: items[1],
            price: Some(10),
        },
    );
    let order = fx.order_item(&alice, items[1]);
    fx.expect(
        &seller,
        Payload::ListItem {
            item: items[1],
            price: None,
        },
        Rejection::ItemLocked {
            item: items[1],
            lock: ItemLock::Order(order),
        },
    );
    assert_eq!(fx.order(order).amount, 10);
}

// =====================================================================================
// Raffles
// =====================================================================================

#[test]
fn create_raffle_escrows_the_prizes() {
    let mut fx = Fixture::new();
    let seller = fx.seller.clone();
    let items = fx.register_items(&seller, &["R-1", "R-2"], true);
    let c = fx.next_height();
    let spec = raffle_spec(items.clone(), heights(c + 1, c + 5), &secret("s"));
    let effect = fx.ok(&seller, Payload::CreateRaffle(spec.clone()));
    assert_eq!(effect, Effect::RaffleCreated { raffle: 1 });
    assert_eq!(
        fx.raffle(1),
        Raffle {
            id: 1,
            seller: seller.public(),
            spec,
            created: fx.last_ref(0),
            status: RaffleStatus::Open,
            entry_count: 0,
            closing_block: None,
            revealed_secret: None,
            seller_missed_reveal: false,
            result: None,
            runners_up_used: 0,
            randomness: None,
        }
    );
    for item in items {
        let record = fx.item(item);
        assert_eq!(record.lock, ItemLock::Raffle(1));
        assert_eq!(record.listing_price, None, "a prize is no longer for sale");
        assert_eq!(record.owner, seller.public());
    }
    assert_eq!(fx.get::<()>(&keys::pending_close(1)), Some(()));
    assert_eq!(fx.counters().next_raffle, 2);
}

#[test]
fn create_raffle_rejections() {
    let mut fx = Fixture::new();
    let (seller, seller2, alice, admin) = (
        fx.seller.clone(),
        fx.seller2.clone(),
        fx.alice.clone(),
        fx.admin.clone(),
    );
    let items = fx.register_items(&seller, &["R-1", "R-2", "R-3"], true);
    let other = fx.register_items(&seller2, &["O-1"], false)[0];
    let c = fx.next_height();
    let spec = |items: Vec<u64>| raffle_spec(items, heights(c, c + 100), &secret("s"));
    for signer in [&alice, &admin] {
        fx.expect(
            signer,
            Payload::CreateRaffle(spec(vec![items[0]])),
            Rejection::SellerNotApproved,
        );
    }
    // The window has closed already (by height, by time).
    let r = fx.reject(
        &seller,
        Payload::CreateRaffle(raffle_spec(vec![items[0]], heights(1, 2), &secret("s"))),
    );
    assert!(invalid_field(&r, "window"), "{r:?}");
    let r = fx.reject(
        &seller,
        Payload::CreateRaffle(raffle_spec(
            vec![items[0]],
            EntryWindow::Times {
                opens_ms: 0,
                closes_ms: T0,
            },
            &secret("s"),
        )),
    );
    assert!(invalid_field(&r, "window"), "{r:?}");
    fx.expect(
        &seller,
        Payload::CreateRaffle(spec(vec![items[0], other])),
        Rejection::NotOwner {
            item: other,
            owner: seller2.public(),
        },
    );
    fx.expect(
        &seller,
        Payload::CreateRaffle(spec(vec![items[0], 999])),
        unknown("item", 999),
    );
    // Ordered items and prizes of another raffle are locked.
    let order = fx.order_item(&alice, items[1]);
    fx.expect(
        &seller,
        Payload::CreateRaffle(spec(vec![items[0], items[1]])),
        Rejection::ItemLocked {
            item: items[1],
            lock: ItemLock::Order(order),
        },
    );
    let raffle = fx.create_raffle(&seller, spec(vec![items[2]]));
    fx.expect(
        &seller,
        Payload::CreateRaffle(spec(vec![items[0], items[2]])),
        Rejection::ItemLocked {
            item: items[2],
            lock: ItemLock::Raffle(raffle),
        },
    );
    // Static checks.
    let base = spec(vec![items[0]]);
    let cases: Vec<(&str, RaffleSpec)> = vec![
        (
            "items",
            RaffleSpec {
                items: vec![],
                ..base.clone()
            },
        ),
        (
            "items",
            RaffleSpec {
                items: vec![items[0], items[0]],
                ..base.clone()
            },
        ),
        (
            "window",
            RaffleSpec {
                window: heights(c + 5, c + 5),
                ..base.clone()
            },
        ),
        (
            "price",
            RaffleSpec {
                price: 0,
                ..base.clone()
            },
        ),
        (
            "runners_up",
            RaffleSpec {
                runners_up: limits::MAX_RUNNERS_UP + 1,
                ..base.clone()
            },
        ),
        (
            "min_age",
            RaffleSpec {
                min_age: Some(0),
                ..base.clone()
            },
        ),
        (
            "reveal_blocks",
            RaffleSpec {
                reveal_blocks: 0,
                ..base.clone()
            },
        ),
        (
            "payment_window_ms",
            RaffleSpec {
                payment_window_ms: 59_999,
                ..base.clone()
            },
        ),
    ];
    for (field, spec) in cases {
        let r = fx.reject(&seller, Payload::CreateRaffle(spec));
        assert!(invalid_field(&r, field), "{field}: {r:?}");
    }
    assert_eq!(fx.item(items[0]).lock, ItemLock::Free);
    assert_eq!(fx.counters().next_raffle, 2);
}

#[test]
fn enter_raffle_inside_its_height_window() {
    let mut fx = Fixture::new();
    let (seller, alice, bob, admin, operator) = (
        fx.seller.clone(),
        fx.alice.clone(),
        fx.bob.clone(),
        fx.admin.clone(),
        fx.operator.clone(),
    );
    let items = fx.register_items(&seller, &["E-1"], false);
    let c = fx.next_height();
    let (opens, closes) = (c + 2, c + 20);
    let raffle = fx.create_raffle(
        &seller,
        raffle_spec(items, heights(opens, closes), &secret("s")),
    );
    // Before it opens.
    assert_eq!(fx.next_height(), opens - 1);
    let r = fx.reject(&alice, Payload::EnterRaffle { raffle });
    assert!(
        raffle_rule(&r, raffle, RaffleStatus::Open, "not opened"),
        "{r:?}"
    );
    // The first height that accepts entries.
    assert_eq!(fx.next_height(), opens);
    fx.ok(&alice, Payload::EnterRaffle { raffle });
    let tx = fx.last_ref(0);
    assert_eq!(
        fx.entry(raffle, 0),
        RaffleEntry {
            raffle,
            position: 0,
            entrant: alice.public(),
            tx,
            cancelled: false,
        }
    );
    assert_eq!(
        fx.get::<u32>(&keys::raffle_entrant(raffle, &alice.public())),
        Some(0)
    );
    assert_eq!(
        fx.get::<()>(&keys::account_entry(&alice.public(), raffle)),
        Some(())
    );
    assert_eq!(fx.raffle(raffle).entry_count, 1);
    // Once.
    fx.expect(
        &alice,
        Payload::EnterRaffle { raffle },
        Rejection::AlreadyEntered { raffle },
    );
    // Not the seller, not an admin or operator.
    let r = fx.reject(&seller, Payload::EnterRaffle { raffle });
    assert!(
        matches!(&r, Rejection::NotEligible { raffle: id, reason }
            if *id == raffle && reason.contains("own raffle")),
        "{r:?}"
    );
    for signer in [&admin, &operator] {
        let r = fx.reject(signer, Payload::EnterRaffle { raffle });
        assert!(unauthorized(&r), "{r:?}");
    }
    fx.expect(
        &alice,
        Payload::EnterRaffle { raffle: 77 },
        unknown("raffle", 77),
    );
    fx.ok(&bob, Payload::EnterRaffle { raffle });
    assert_eq!(fx.entry(raffle, 1).entrant, bob.public());
    assert_eq!(fx.raffle(raffle).entry_count, 2);
    // The last height that accepts entries, then the closing height: the raffle is
    // still open in state but the window refuses.
    fx.advance_to(closes - 1);
    let carol = fx.carol.clone();
    fx.ok(&carol, Payload::EnterRaffle { raffle });
    assert_eq!(fx.next_height(), closes);
    let dave = fx.dave.clone();
    let r = fx.reject(&dave, Payload::EnterRaffle { raffle });
    assert!(
        raffle_rule(&r, raffle, RaffleStatus::Open, "closed"),
        "{r:?}"
    );
    assert_eq!(fx.raffle(raffle).status, RaffleStatus::Open);
    // The next block records the closing block and closes the raffle.
    let r = fx.reject(&dave, Payload::EnterRaffle { raffle });
    assert!(
        raffle_rule(&r, raffle, RaffleStatus::Closed, "closed"),
        "{r:?}"
    );
    let record = fx.raffle(raffle);
    assert_eq!(record.status, RaffleStatus::Closed);
    assert_eq!(
        record.closing_block,
        Some(ClosingBlock {
            height: closes,
            hash: fx.headers[closes as usize].hash()
        })
    );
    assert_eq!(record.entry_count, 3);
    assert!(fx.get::<()>(&keys::pending_close(raffle)).is_none());
}

#[test]
fn enter_raffle_inside_its_time_window() {
    let mut fx = Fixture::new();
    let (seller, alice, bob) = (fx.seller.clone(), fx.alice.clone(), fx.bob.clone());
    let items = fx.register_items(&seller, &["E-1"], false);
    let now = fx.time_ms;
    let (opens_ms, closes_ms) = (now + 60_000, now + 120_000);
    let raffle = fx.create_raffle(
        &seller,
        raffle_spec(
            items,
            EntryWindow::Times {
                opens_ms,
                closes_ms,
            },
            &secret("s"),
        ),
    );
    let r = fx.reject(&alice, Payload::EnterRaffle { raffle });
    assert!(
        raffle_rule(&r, raffle, RaffleStatus::Open, "not opened"),
        "{r:?}"
    );
    fx.time_ms = opens_ms;
    fx.ok(&alice, Payload::EnterRaffle { raffle });
    fx.time_ms = closes_ms - 1;
    fx.ok(&bob, Payload::EnterRaffle { raffle });
    fx.time_ms = closes_ms;
    let closing_height = fx.next_height();
    let carol = fx.carol.clone();
    let r = fx.reject(&carol, Payload::EnterRaffle { raffle });
    assert!(
        raffle_rule(&r, raffle, RaffleStatus::Open, "closed"),
        "{r:?}"
    );
    fx.block(vec![]);
    let record = fx.raffle(raffle);
    assert_eq!(record.status, RaffleStatus::Closed);
    assert_eq!(record.closing_block.map(|c| c.height), Some(closing_height));
    assert_eq!(record.entry_count, 2);
}

#[test]
fn age_limited_raffles_admit_attested_adults_only() {
    let mut fx = Fixture::new();
    let (seller, alice, teen, minor, ageless) = (
        fx.seller.clone(),
        fx.alice.clone(),
        fx.teen.clone(),
        fx.minor.clone(),
        fx.ageless.clone(),
    );
    let items = fx.register_items(&seller, &["A-1", "A-2", "A-3"], false);
    let window = EntryWindow::Times {
        opens_ms: T0,
        closes_ms: T_2026 + 86_400_000,
    };
    let mut spec = raffle_spec(vec![items[0]], window, &secret("s"));
    spec.min_age = Some(19);
    let limited = fx.create_raffle(&seller, spec);
    let unlimited = fx.create_raffle(&seller, raffle_spec(vec![items[1]], window, &secret("t")));
    // The ledger attests adulthood only: no other age can be asked for.
    let mut older = raffle_spec(vec![items[2]], window, &secret("u"));
    older.min_age = Some(20);
    let r = fx.reject(&seller, Payload::CreateRaffle(older));
    assert!(invalid_field(&r, "min_age"), "{r:?}");
    let not_eligible = |r: &Rejection, text: &str| {
        matches!(r, Rejection::NotEligible { raffle, reason }
            if *raffle == limited && reason.contains(text))
    };
    for under in [&teen, &minor, &ageless] {
        let r = fx.reject(under, Payload::EnterRaffle { raffle: limited });
        assert!(not_eligible(&r, "attested adults (19+) only"), "{r:?}");
    }
    fx.ok(&alice, Payload::EnterRaffle { raffle: limited });
    // Without an age limit, age and its absence do not matter.
    fx.ok(&minor, Payload::EnterRaffle { raffle: unlimited });
    fx.ok(&ageless, Payload::EnterRaffle { raffle: unlimited });
    assert_eq!(fx.raffle(unlimited).entry_count, 2);
    assert_eq!(fx.raffle(limited).entry_count, 1);
}

#[test]
fn reveal_raffle_secret_and_its_rejections() {
    let mut fx = Fixture::new();
    let (seller, alice, bob) = (fx.seller.clone(), fx.alice.clone(), fx.bob.clone());
    let operator = fx.operator.clone();
    let s = secret("the seller's secret");
    let items = fx.register_items(&seller, &["V-1", "V-2"], false);
    let c = fx.next_height();
    let first = fx.create_raffle(
        &seller,
        raffle_spec(vec![items[0]], heights(c + 2, c + 4), &s),
    );
    let second = fx.create_raffle(
        &seller,
        raffle_spec(vec![items[1]], heights(c + 2, c + 4), &s),
    );
    fx.enter_all(first, &[&alice, &bob]);
    let reveal = |raffle, secret| Payload::RevealRaffleSecret { raffle, secret };
    // Before close, and at the closing height (before the close is recorded).
    assert_eq!(fx.next_height(), c + 3);
    let r = fx.reject(&seller, reveal(first, s));
    assert!(
        raffle_rule(&r, first, RaffleStatus::Open, "not closed"),
        "{r:?}"
    );
    assert_eq!(fx.next_height(), c + 4);
    let r = fx.reject(&seller, reveal(first, s));
    assert!(
        raffle_rule(&r, first, RaffleStatus::Open, "not closed"),
        "{r:?}"
    );
    // Closed at c + 4 (the closing block is c + 4), but the validators have not
    // contributed yet: the secret comes after them.
    assert_eq!(fx.raffle(first).status, RaffleStatus::Open);
    let r = fx.reject(&seller, reveal(first, s));
    assert_eq!(fx.raffle(first).status, RaffleStatus::Closed);
    assert!(
        raffle_rule(&r, first, RaffleStatus::Closed, "contributions"),
        "{r:?}"
    );
    // The validator contributes to both in block c + 6: the reveal deadline is c + 9
    // (`reveal_blocks` 3).
    let contributions = [
        fx.contribution(&operator, first),
        fx.contribution(&operator, second),
    ];
    let signed = fx.sign_batch(&[
        (&operator, contributions[0].clone()),
        (&operator, contributions[1].clone()),
    ]);
    let block = fx.block(signed);
    assert!(block.receipts.iter().all(|r| r.is_applied()));
    let deadline = fx.reveal_deadline(first);
    assert_eq!(deadline.height, c + 9);
    let r = fx.reject(&alice, reveal(first, s));
    assert!(
        matches!(&r, Rejection::Unauthorized { required, .. } if required == "the raffle's seller"),
        "{r:?}"
    );
    let r = fx.reject(&seller, reveal(first, secret("a guess")));
    assert!(invalid_field(&r, "secret"), "{r:?}");
    // At the deadline exactly: accepted.
    assert_eq!(fx.next_height(), c + 9);
    fx.ok(&seller, reveal(first, s));
    assert_eq!(fx.raffle(first).revealed_secret, Some(s));
    assert!(!fx.raffle(first).seller_missed_reveal);
    let r = fx.reject(&seller, reveal(first, s));
    assert!(
        raffle_rule(&r, first, RaffleStatus::Closed, "already revealed"),
        "{r:?}"
    );
    // Past the deadline's height and time: refused.
    assert_eq!(fx.next_height(), c + 11);
    let r = fx.reject(&seller, reveal(second, s));
    assert!(
        raffle_rule(&r, second, RaffleStatus::Closed, "deadline"),
        "{r:?}"
    );
    fx.expect(&seller, reveal(9, s), unknown("raffle", 9));
    // After the draw.
    fx.draw(first);
    let r = fx.reject(&seller, reveal(first, s));
    assert!(
        raffle_rule(&r, first, RaffleStatus::Drawn, "already drawn"),
        "{r:?}"
    );
}

/// The reveal deadline has a time floor: a burst of blocks does not end it, and the
/// raffle is void only past both its height and its time.
#[test]
fn the_reveal_deadline_is_past_both_its_blocks_and_its_time() {
    let mut fx = Fixture::with_params(ChainParams {
        min_raffle_reveal_ms: 60_000,
        max_block_time_step_ms: Some(YEAR_MS),
        ..short_windows()
    });
    let (seller, bob) = (fx.seller.clone(), fx.bob.clone());
    let s = secret("slow seller");
    let items = fx.register_items(&seller, &["W-1"], false);
    let c = fx.next_height();
    let raffle = fx.create_raffle(&seller, raffle_spec(items, heights(c + 1, c + 3), &s));
    fx.enter_all(raffle, &[&bob]);
    fx.close_raffle(raffle);
    let deadline = fx.reveal_deadline(raffle);
    let contributed_at = fx.time_ms - BLOCK_MS;
    assert_eq!(deadline.time_ms, contributed_at + 60_000);
    // Many more blocks than `reveal_blocks`, a second apart: still in time.
    fx.advance_to(deadline.height + 10);
    let r = fx.reject(&bob, Payload::DrawRaffle { raffle });
    assert!(
        raffle_rule(&r, raffle, RaffleStatus::Closed, "waiting"),
        "{r:?}"
    );
    // A minute of block time later, but still in time by height? Not possible here;
    // past both: the reveal is refused and the draw voids.
    fx.time_ms = deadline.time_ms + 1;
    let r = fx.reject(&seller, Payload::RevealRaffleSecret { raffle, secret: s });
    assert!(
        raffle_rule(&r, raffle, RaffleStatus::Closed, "deadline"),
        "{r:?}"
    );
    assert_eq!(
        fx.ok(&bob, Payload::DrawRaffle { raffle }),
        Effect::RaffleVoided { raffle }
    );
    // And the other way round: the time has passed but not the blocks.
    let items = fx.register_items(&seller, &["W-2"], false);
    fx.time_ms = fx.account(&seller).raffle_cooldown_until_ms;
    let c = fx.next_height();
    let raffle = fx.create_raffle(
        &seller,
        RaffleSpec {
            reveal_blocks: 50,
            ..raffle_spec(items, heights(c + 1, c + 3), &s)
        },
    );
    fx.enter_all(raffle, &[&bob]);
    fx.close_raffle(raffle);
    fx.time_ms += 3_600_000;
    let r = fx.reject(&bob, Payload::DrawRaffle { raffle });
    assert!(
        raffle_rule(&r, raffle, RaffleStatus::Closed, "waiting"),
        "{r:?}"
    );
    fx.ok(&seller, Payload::RevealRaffleSecret { raffle, secret: s });
    assert!(matches!(
        fx.ok(&bob, Payload::DrawRaffle { raffle }),
        Effect::RaffleDrawn { .. }
    ));
}

/// Every validator of the set after the closing block contributes a VRF proof, once,
/// in time, over the raffle's input; anything else is refused, and a raffle with a
/// contribution missing past its deadline is void without blaming the seller.
#[test]
fn validator_contributions_and_their_rejections() {
    let mut fx = Fixture::new();
    let (admin, operator, seller, bob) = (
        fx.admin.clone(),
        fx.operator.clone(),
        fx.seller.clone(),
        fx.bob.clone(),
    );
    let v2 = key("validator-2");
    fx.ok(
        &admin,
        Payload::AddValidator {
            key: v2.public(),
            name: "validator-2".into(),
            p2p_address: P2P.into(),
        },
    );
    let s = secret("s");
    let items = fx.register_items(&seller, &["X-1", "X-2"], false);
    let c = fx.next_height();
    let raffle = fx.create_raffle(
        &seller,
        raffle_spec(vec![items[0]], heights(c + 1, c + 3), &s),
    );
    let contribute = |proof| Payload::ContributeRaffleRandomness { raffle, proof };
    let some_proof = crate::draw::contribution_proof(&operator, &Hash::ZERO, raffle, &Hash::ZERO);
    // Before the close.
    let r = fx.reject(&operator, contribute(some_proof));
    assert!(
        raffle_rule(&r, raffle, RaffleStatus::Open, "not closed"),
        "{r:?}"
    );
    fx.enter_all(raffle, &[&bob]);
    let closing = fx.close_only(raffle);
    let randomness = fx.raffle(raffle).randomness.unwrap();
    let mut set = vec![operator.public(), v2.public()];
    set.sort();
    assert_eq!(
        randomness.validators, set,
        "the set after the closing block"
    );
    assert!(randomness.contributions.is_empty());
    assert_eq!(
        randomness.contribution_deadline.height,
        closing.height + fx.params().raffle_contribution_blocks
    );
    // A member is not a validator; a validator proving over another input, or another
    // validator's proof, does not verify.
    let r = fx.reject(&bob, fx.contribution(&bob, raffle));
    assert!(unauthorized(&r), "{r:?}");
    let wrong_input = crate::draw::contribution_proof(
        &operator,
        &fx.chain.chain_id(),
        raffle,
        &Hash::of(b"a ground block"),
    );
    let r = fx.reject(&operator, contribute(wrong_input));
    assert!(invalid_field(&r, "proof"), "{r:?}");
    let Payload::ContributeRaffleRandomness {
        proof: v2_proof, ..
    } = fx.contribution(&v2, raffle)
    else {
        unreachable!()
    };
    let r = fx.reject(&operator, contribute(v2_proof));
    assert!(invalid_field(&r, "proof"), "{r:?}");
    let Payload::ContributeRaffleRandomness {
        proof: mut changed, ..
    } = fx.contribution(&operator, raffle)
    else {
        unreachable!()
    };
    changed.0[40] ^= 1;
    let r = fx.reject(&operator, contribute(changed));
    assert!(invalid_field(&r, "proof"), "{r:?}");
    // The right one, once.
    let payload = fx.contribution(&operator, raffle);
    fx.ok(&operator, payload.clone());
    let r = fx.reject(&operator, payload);
    assert!(
        raffle_rule(&r, raffle, RaffleStatus::Closed, "already contributed"),
        "{r:?}"
    );
    // One of two: the seller may not reveal yet, and nobody may draw.
    let r = fx.reject(&seller, Payload::RevealRaffleSecret { raffle, secret: s });
    assert!(
        raffle_rule(&r, raffle, RaffleStatus::Closed, "contributions (1 of 2)"),
        "{r:?}"
    );
    let r = fx.reject(&bob, Payload::DrawRaffle { raffle });
    assert!(
        raffle_rule(
            &r,
            raffle,
            RaffleStatus::Closed,
            "waiting for the validators"
        ),
        "{r:?}"
    );
    // Past the contribution deadline (blocks and time), validator-2's comes too late,
    // and the draw voids the raffle; the seller is not blamed.
    let deadline = fx.raffle(raffle).randomness.unwrap().contribution_deadline;
    fx.advance_to(deadline.height + 1);
    let r = fx.reject(&v2, fx.contribution(&v2, raffle));
    assert!(
        raffle_rule(&r, raffle, RaffleStatus::Closed, "deadline"),
        "{r:?}"
    );
    let orders_before = fx.counters().next_order;
    assert_eq!(
        fx.ok(&bob, Payload::DrawRaffle { raffle }),
        Effect::RaffleVoided { raffle }
    );
    let record = fx.raffle(raffle);
    assert_eq!(record.status, RaffleStatus::Void);
    assert!(!record.seller_missed_reveal);
    assert_eq!(record.missing_contributors(), vec![v2.public()]);
    assert_eq!(record.result, None);
    assert_eq!(fx.counters().next_order, orders_before, "nothing charged");
    assert_eq!(fx.item(items[0]).lock, ItemLock::Free);
    let account = fx.account(&seller);
    assert_eq!(account.missed_reveals, 0);
    assert_eq!(account.raffle_cooldown_until_ms, 0);
    let r = fx.reject(&v2, fx.contribution(&v2, raffle));
    assert!(
        raffle_rule(&r, raffle, RaffleStatus::Void, "validator's contribution"),
        "{r:?}"
    );
    // With both in time, the seller reveals and the draw uses both outputs, in key
    // order.
    let c = fx.next_height();
    let again = fx.create_raffle(
        &seller,
        raffle_spec(vec![items[1]], heights(c + 1, c + 3), &s),
    );
    fx.enter_all(again, &[&bob]);
    let closing = fx.close_only(again);
    let both = [
        (&v2, fx.contribution(&v2, again)),
        (&operator, fx.contribution(&operator, again)),
    ];
    let signed = fx.sign_batch(&[
        (both[0].0, both[0].1.clone()),
        (both[1].0, both[1].1.clone()),
    ]);
    let block = fx.block(signed);
    assert!(
        block.receipts.iter().all(|r| r.is_applied()),
        "{:?}",
        block.receipts
    );
    let randomness = fx.raffle(again).randomness.unwrap();
    assert!(randomness.is_complete());
    let keys: Vec<PublicKey> = randomness
        .contributions
        .iter()
        .map(|c| c.validator)
        .collect();
    assert_eq!(keys, set);
    fx.ok(
        &seller,
        Payload::RevealRaffleSecret {
            raffle: again,
            secret: s,
        },
    );
    fx.draw(again);
    let outputs = super::raffles::contribution_outputs(&randomness).unwrap();
    assert_eq!(outputs.len(), 2);
    assert_eq!(
        fx.raffle(again).result.unwrap().seed,
        draw_seed(again, &closing.hash, &s, &outputs)
    );
}

/// The entrants of a raffle in entry order, from its entry records.
fn entrants(fx: &Fixture, raffle: u64) -> Vec<PublicKey> {
    (0..fx.raffle(raffle).entry_count)
        .map(|p| fx.entry(raffle, p))
        .filter(|e| !e.cancelled)
        .map(|e| e.entrant)
        .collect()
}

/// The winners and runners-up recomputed from the ledger's data alone.
fn expected_draw(fx: &Fixture, raffle: u64) -> (Vec<PublicKey>, Vec<PublicKey>) {
    let record = fx.raffle(raffle);
    let closing = record.closing_block.unwrap();
    let outputs =
        super::raffles::contribution_outputs(record.randomness.as_ref().unwrap()).unwrap();
    let seed = draw_seed(
        raffle,
        &closing.hash,
        &record.revealed_secret.expect("drawn raffles were revealed"),
        &outputs,
    );
    let pool = entrants(fx, raffle);
    let prizes = record.spec.items.len();
    let picked: Vec<PublicKey> =
        crate::draw::draw_positions(&seed, pool.len(), prizes + record.spec.runners_up as usize)
            .into_iter()
            .map(|p| pool[p])
            .collect();
    let winners = picked.iter().take(prizes).copied().collect();
    let runners_up = picked.iter().skip(prizes).copied().collect();
    (winners, runners_up)
}

#[test]
fn draw_with_reveal_opens_orders_for_the_winners() {
    let mut fx = Fixture::new();
    let seller = fx.seller.clone();
    let s = secret("s");
    let items = fx.register_items(&seller, &["D-1", "D-2"], false);
    let c = fx.next_height();
    let raffle = fx.create_raffle(
        &seller,
        raffle_spec(items.clone(), heights(c + 1, c + 3), &s),
    );
    let members = [
        &fx.alice.clone(),
        &fx.bob.clone(),
        &fx.carol.clone(),
        &fx.dave.clone(),
        &fx.erin.clone(),
    ];
    fx.enter_all(raffle, &members);
    let closing = fx.close_raffle(raffle);
    fx.ok(&seller, Payload::RevealRaffleSecret { raffle, secret: s });
    // With the secret revealed, the draw need not wait for the deadline.
    assert!(fx.next_height() <= fx.reveal_deadline(raffle).height);
    let draw_time = fx.time_ms;
    let orders = fx.draw(raffle);
    let tx = fx.last_ref(0);
    assert_eq!(orders, vec![1, 2]);
    let record = fx.raffle(raffle);
    assert_eq!(record.status, RaffleStatus::Drawn);
    assert!(!record.seller_missed_reveal);
    let result = record.result.clone().unwrap();
    assert!(result.seller_revealed);
    let outputs =
        super::raffles::contribution_outputs(record.randomness.as_ref().unwrap()).unwrap();
    assert_eq!(outputs.len(), 1, "one validator, one contribution");
    assert_eq!(result.seed, draw_seed(raffle, &closing.hash, &s, &outputs));
    assert_eq!(result.drawn, tx);
    let (winners, runners_up) = expected_draw(&fx, raffle);
    assert_eq!(result.winners, winners);
    assert_eq!(result.runners_up, runners_up);
    assert_eq!(winners.len(), 2);
    assert_eq!(runners_up.len(), 2);
    let mut everyone: Vec<PublicKey> = winners.iter().chain(&runners_up).copied().collect();
    everyone.sort();
    everyone.dedup();
    assert_eq!(everyone.len(), 4, "winners and runners-up are distinct");
    for (index, item) in items.iter().enumerate() {
        let order_id = orders[index];
        assert_eq!(
            fx.order(order_id),
            Order {
                id: order_id,
                item: *item,
                buyer: winners[index],
                seller: seller.public(),
                amount: 200_000,
                source: OrderSource::Raffle { raffle },
                status: OrderStatus::Pending,
                created: tx,
                expires_at_ms: draw_time + 600_000,
                payment: None,
                refund: None,
                closed_reason: None,
            }
        );
        assert_eq!(fx.item(*item).lock, ItemLock::Order(order_id));
        assert_eq!(fx.item(*item).owner, seller.public());
        assert_eq!(
            fx.get::<()>(&keys::account_order(&winners[index], order_id)),
            Some(())
        );
        assert_eq!(
            fx.get::<()>(&keys::account_order(&seller.public(), order_id)),
            Some(())
        );
    }
    // A winner pays: the prize is theirs.
    let operator = fx.operator.clone();
    fx.ok(&operator, settle(orders[0], "raffle-evt", 200_000));
    assert_eq!(fx.item(items[0]).owner, winners[0]);
    assert_eq!(
        fx.ownership(items[0], 1).acquisition,
        Acquisition::Purchased(orders[0])
    );
}

#[test]
fn a_withheld_reveal_voids_the_raffle_after_the_deadline() {
    let mut fx = Fixture::new();
    let seller = fx.seller.clone();
    let items = fx.register_items(&seller, &["F-1", "F-2"], false);
    let c = fx.next_height();
    let raffle = fx.create_raffle(
        &seller,
        raffle_spec(items.clone(), heights(c + 1, c + 3), &secret("s")),
    );
    let members = [&fx.alice.clone(), &fx.bob.clone(), &fx.carol.clone()];
    fx.enter_all(raffle, &members);
    let bob = fx.bob.clone();
    // Before close.
    let r = fx.reject(&bob, Payload::DrawRaffle { raffle });
    assert!(
        raffle_rule(&r, raffle, RaffleStatus::Open, "not closed"),
        "{r:?}"
    );
    fx.close_raffle(raffle);
    let deadline = fx.reveal_deadline(raffle).height;
    // Waiting for the reveal, up to and including the deadline.
    while fx.next_height() <= deadline {
        let r = fx.reject(&bob, Payload::DrawRaffle { raffle });
        assert!(
            raffle_rule(&r, raffle, RaffleStatus::Closed, "waiting"),
            "{r:?}"
        );
    }
    fx.expect(
        &bob,
        Payload::DrawRaffle { raffle: 99 },
        unknown("raffle", 99),
    );
    let orders_before = fx.counters().next_order;
    // Past it, anyone's draw voids the raffle: nothing drawn, nothing charged.
    let void_time = fx.time_ms;
    let effect = fx.ok(&bob, Payload::DrawRaffle { raffle });
    assert_eq!(effect, Effect::RaffleVoided { raffle });
    let record = fx.raffle(raffle);
    assert_eq!(record.status, RaffleStatus::Void);
    assert!(record.seller_missed_reveal, "recorded against the seller");
    assert_eq!(record.result, None, "no winners");
    assert_eq!(record.revealed_secret, None);
    assert_eq!(fx.counters().next_order, orders_before, "no order opened");
    for item in &items {
        let item = fx.item(*item);
        assert_eq!(
            item.lock,
            ItemLock::Free,
            "the prize is back with the seller"
        );
        assert_eq!(item.owner, seller.public());
    }
    for member in members {
        assert!(fx
            .get::<()>(&keys::account_order(&member.public(), orders_before))
            .is_none());
    }
    // On the seller's account: one miss and a cooling period.
    let account = fx.account(&seller);
    assert_eq!(account.missed_reveals, 1);
    let cooling = fx.params().missed_reveal_cooldown_ms;
    assert_eq!(account.raffle_cooldown_until_ms, void_time + cooling);
    // Once; the seller's reveal comes too late.
    let r = fx.reject(&bob, Payload::DrawRaffle { raffle });
    assert!(raffle_rule(&r, raffle, RaffleStatus::Void, "void"), "{r:?}");
    let seller_reveal = fx.reject(
        &seller,
        Payload::RevealRaffleSecret {
            raffle,
            secret: secret("s"),
        },
    );
    assert!(
        raffle_rule(&seller_reveal, raffle, RaffleStatus::Void, "did not reveal"),
        "{seller_reveal:?}"
    );
    // The prizes are free again (the seller may sell or transfer them), but not raffle
    // them during the cooling period.
    let c = fx.next_height();
    let cooling_refusal = fx.reject(
        &seller,
        Payload::CreateRaffle(raffle_spec(items.clone(), heights(c, c + 5), &secret("t"))),
    );
    assert_eq!(
        cooling_refusal,
        Rejection::RaffleCooldown {
            missed_reveals: 1,
            until_ms: void_time + cooling,
        }
    );
    assert_eq!(cooling_refusal.code(), 29);
    // Another seller is not affected.
    let seller2 = fx.seller2.clone();
    let other = fx.register_items(&seller2, &["G-1"], false);
    let c = fx.next_height();
    fx.create_raffle(
        &seller2,
        raffle_spec(other, heights(c, c + 5), &secret("u")),
    );
    // After the cooling period, the seller may raffle again.
    fx.time_ms = void_time + cooling;
    let c = fx.next_height();
    let again = fx.create_raffle(
        &seller,
        raffle_spec(vec![items[0]], heights(c, c + 3), &secret("v")),
    );
    // A second miss doubles the cooling period.
    fx.enter_all(again, &[&fx.alice.clone()]);
    fx.close_raffle(again);
    fx.pass_reveal_deadline(again);
    let second_void = fx.time_ms;
    assert_eq!(
        fx.ok(&bob, Payload::DrawRaffle { raffle: again }),
        Effect::RaffleVoided { raffle: again }
    );
    let account = fx.account(&seller);
    assert_eq!(account.missed_reveals, 2);
    assert_eq!(account.raffle_cooldown_until_ms, second_void + 2 * cooling);
}

/// Winners and runners-up of a draw.
type Picked = (Vec<PublicKey>, Vec<PublicKey>);

/// One raffle run from its inputs: `entrants` of the fixture's adult members enter,
/// the seller reveals or not, and the draw is sent `delay` blocks after the deadline
/// (or right after the reveal) by member `drawer`. Returns the status and the result.
fn run_raffle(
    entrants: usize,
    prizes: usize,
    runners_up: u32,
    secret_byte: u8,
    reveal: bool,
    delay: u64,
    drawer: usize,
) -> (RaffleStatus, Option<Picked>, Account) {
    let mut fx = Fixture::new();
    let seller = fx.seller.clone();
    let serials: Vec<String> = (0..prizes).map(|i| format!("Q-{i}")).collect();
    let serials: Vec<&str> = serials.iter().map(String::as_str).collect();
    let items = fx.register_items(&seller, &serials, false);
    let s = Hash::tagged(b"property secret", &[&[secret_byte]]);
    let c = fx.next_height();
    let raffle = fx.create_raffle(
        &seller,
        RaffleSpec {
            runners_up,
            ..raffle_spec(items, heights(c + 1, c + 3), &s)
        },
    );
    let members = [
        fx.alice.clone(),
        fx.bob.clone(),
        fx.carol.clone(),
        fx.dave.clone(),
        fx.erin.clone(),
    ];
    let entering: Vec<&Keypair> = members.iter().take(entrants).collect();
    fx.enter_all(raffle, &entering);
    fx.close_raffle(raffle);
    if reveal {
        fx.ok(&seller, Payload::RevealRaffleSecret { raffle, secret: s });
    } else {
        fx.pass_reveal_deadline(raffle);
    }
    for _ in 0..delay {
        fx.block(Vec::new());
    }
    let effect = fx.ok(
        &members[drawer % members.len()],
        Payload::DrawRaffle { raffle },
    );
    let record = fx.raffle(raffle);
    match effect {
        Effect::RaffleDrawn { .. } => {
            let result = record.result.clone().expect("drawn");
            assert_eq!(
                (result.winners.clone(), result.runners_up.clone()),
                expected_draw(&fx, raffle),
                "recomputable from the ledger's data"
            );
            (
                record.status,
                Some((result.winners, result.runners_up)),
                fx.account(&seller),
            )
        }
        Effect::RaffleVoided { .. } => {
            assert_eq!(record.result, None);
            for item in &record.spec.items {
                assert_eq!(fx.item(*item).lock, ItemLock::Free);
            }
            (record.status, None, fx.account(&seller))
        }
        other => panic!("unexpected {other:?}"),
    }
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(24))]

    /// A fixed set of inputs (entries, closing block, contributions, secret) gives one outcome: the
    /// block the draw comes in and who sends it change nothing. Without the secret
    /// there is no outcome at all: the raffle is void and the miss recorded.
    #[test]
    fn one_outcome_per_inputs_and_void_without_the_secret(
        entrants in 1usize..=5,
        prizes in 1usize..=2,
        runners_up in 0u32..=2,
        secret_byte in proptest::prelude::any::<u8>(),
        reveal in proptest::prelude::any::<bool>(),
        delays in (0u64..4, 0u64..4),
        drawers in (0usize..5, 0usize..5),
    ) {
        let first = run_raffle(entrants, prizes, runners_up, secret_byte, reveal, delays.0, drawers.0);
        let second = run_raffle(entrants, prizes, runners_up, secret_byte, reveal, delays.1, drawers.1);
        proptest::prop_assert_eq!(&first.1, &second.1);
        if reveal {
            proptest::prop_assert_eq!(first.0, RaffleStatus::Drawn);
            proptest::prop_assert_eq!(first.2.missed_reveals, 0);
        } else {
            proptest::prop_assert_eq!(first.0, RaffleStatus::Void);
            proptest::prop_assert_eq!(second.0, RaffleStatus::Void);
            proptest::prop_assert_eq!(first.2.missed_reveals, 1);
            proptest::prop_assert!(first.2.raffle_cooldown_until_ms > T0);
        }
    }
}

#[test]
fn raffle_windows_below_the_genesis_minimums_are_refused() {
    let params = ChainParams::default();
    let mut fx = Fixture::with_params(params.clone());
    let seller = fx.seller.clone();
    let items = fx.register_items(&seller, &["W-1"], false);
    let spec = |window: EntryWindow, reveal_blocks: u64| RaffleSpec {
        reveal_blocks,
        ..raffle_spec(items.clone(), window, &secret("w"))
    };
    let enough_reveal = params.min_raffle_reveal_blocks;
    let blocks = params.min_raffle_entry_blocks;
    // By height: counted from the creating block, or from the opening if later.
    let c = fx.next_height();
    let r = fx.reject(
        &seller,
        Payload::CreateRaffle(spec(heights(c, c + blocks - 1), enough_reveal)),
    );
    assert!(invalid_field(&r, "window"), "{r:?}");
    assert!(r.to_string().contains("at least"), "{r}");
    let c = fx.next_height();
    let r = fx.reject(
        &seller,
        Payload::CreateRaffle(spec(heights(c - 3, c + blocks - 1), enough_reveal)),
    );
    assert!(
        invalid_field(&r, "window"),
        "an early opening does not count: {r:?}"
    );
    // By time, likewise.
    let (now, ms) = (fx.time_ms, params.min_raffle_entry_ms);
    let times = |opens_ms: u64, closes_ms: u64| EntryWindow::Times {
        opens_ms,
        closes_ms,
    };
    let r = fx.reject(
        &seller,
        Payload::CreateRaffle(spec(times(now - 60_000, now + ms - 1), enough_reveal)),
    );
    assert!(invalid_field(&r, "window"), "{r:?}");
    // The reveal window.
    let c = fx.next_height();
    let r = fx.reject(
        &seller,
        Payload::CreateRaffle(spec(heights(c, c + blocks), enough_reveal - 1)),
    );
    assert!(invalid_field(&r, "reveal_blocks"), "{r:?}");
    // At the minimums exactly: accepted.
    let c = fx.next_height();
    let raffle = fx.create_raffle(&seller, spec(heights(c, c + blocks), enough_reveal));
    assert_eq!(fx.raffle(raffle).spec.reveal_blocks, enough_reveal);
    let seller2 = fx.seller2.clone();
    let other = fx.register_items(&seller2, &["W-2"], false);
    let now = fx.time_ms;
    fx.create_raffle(
        &seller2,
        RaffleSpec {
            reveal_blocks: enough_reveal,
            ..raffle_spec(other, times(now - 1_000, now + ms), &secret("x"))
        },
    );
}

#[test]
fn prizes_without_winners_return_to_the_seller() {
    let mut fx = Fixture::new();
    let seller = fx.seller.clone();
    let alice = fx.alice.clone();
    let s = secret("s");
    let items = fx.register_items(&seller, &["P-1", "P-2", "P-3", "P-4"], false);
    let c = fx.next_height();
    let raffle = fx.create_raffle(
        &seller,
        raffle_spec(items[..3].to_vec(), heights(c + 1, c + 3), &s),
    );
    let empty = fx.create_raffle(
        &seller,
        RaffleSpec {
            reveal_blocks: 100,
            ..raffle_spec(vec![items[3]], heights(c + 2, c + 3), &s)
        },
    );
    fx.enter_all(raffle, &[&alice]);
    let orders = fx.reveal_and_draw(raffle, &s);
    assert_eq!(orders, vec![1]);
    let result = fx.raffle(raffle).result.unwrap();
    assert_eq!(result.winners, vec![alice.public()]);
    assert!(result.runners_up.is_empty());
    assert_eq!(fx.item(items[0]).lock, ItemLock::Order(1));
    for item in &items[1..3] {
        assert_eq!(fx.item(*item).lock, ItemLock::Free);
        assert_eq!(fx.item(*item).owner, seller.public());
    }
    // Nobody entered: every prize goes back.
    let operator = fx.operator.clone();
    let contribution = fx.contribution(&operator, empty);
    fx.ok(&operator, contribution);
    fx.ok(
        &seller,
        Payload::RevealRaffleSecret {
            raffle: empty,
            secret: s,
        },
    );
    assert_eq!(fx.draw(empty), Vec::<u64>::new());
    assert_eq!(fx.item(items[3]).lock, ItemLock::Free);
    assert!(fx.raffle(empty).result.unwrap().winners.is_empty());
    // A returned prize can be sold again.
    fx.ok(
        &seller,
        Payload::ListItem {
            item: items[3],
            price: Some(5),
        },
    );
}

#[test]
fn unpaid_prizes_pass_to_runners_up_then_back_to_the_seller() {
    let mut fx = Fixture::new();
    let seller = fx.seller.clone();
    let operator = fx.operator.clone();
    let s = secret("s");
    let item = fx.register_items(&seller, &["U-1"], false)[0];
    let c = fx.next_height();
    let raffle = fx.create_raffle(&seller, raffle_spec(vec![item], heights(c + 1, c + 3), &s));
    let members = [
        &fx.alice.clone(),
        &fx.bob.clone(),
        &fx.carol.clone(),
        &fx.dave.clone(),
    ];
    fx.enter_all(raffle, &members);
    let orders = fx.reveal_and_draw(raffle, &s);
    let result = fx.raffle(raffle).result.unwrap();
    let (winner, r1, r2) = (
        result.winners[0],
        result.runners_up[0],
        result.runners_up[1],
    );
    // Not yet expired.
    let r = fx.reject(&operator, Payload::ExpireOrder { order: orders[0] });
    assert!(order_rule(&r, orders[0], OrderStatus::Pending), "{r:?}");
    // The winner does not pay in time: the first runner-up gets an order.
    fx.time_ms = fx.order(orders[0]).expires_at_ms + 1;
    let expiry_time = fx.time_ms;
    let effect = fx.ok(&operator, Payload::ExpireOrder { order: orders[0] });
    assert_eq!(
        effect,
        Effect::OrderClosed {
            order: orders[0],
            next_order: Some(2)
        }
    );
    let expired = fx.order(orders[0]);
    assert_eq!(expired.status, OrderStatus::Expired);
    assert_eq!(expired.buyer, winner);
    assert_eq!(expired.closed_reason.as_deref(), Some("not paid in time"));
    let second = fx.order(2);
    assert_eq!(second.buyer, r1);
    assert_eq!(second.item, item);
    assert_eq!(second.status, OrderStatus::Pending);
    assert_eq!(second.source, OrderSource::Raffle { raffle });
    assert_eq!(second.expires_at_ms, expiry_time + 600_000);
    assert_eq!(fx.item(item).lock, ItemLock::Order(2));
    assert_eq!(fx.raffle(raffle).runners_up_used, 1);
    // The first runner-up cancels: the second runner-up is next.
    let r1_key = fx.keypair(&r1);
    let effect = fx.ok(
        &r1_key,
        Payload::CancelOrder {
            order: 2,
            reason: "changed my mind".into(),
        },
    );
    assert_eq!(
        effect,
        Effect::OrderClosed {
            order: 2,
            next_order: Some(3)
        }
    );
    assert_eq!(fx.order(2).status, OrderStatus::Cancelled);
    assert_eq!(fx.order(3).buyer, r2);
    assert_eq!(fx.raffle(raffle).runners_up_used, 2);
    // No runner-up left: the prize goes back to the seller, free and unlisted.
    fx.time_ms = fx.order(3).expires_at_ms + 1;
    let effect = fx.ok(&operator, Payload::ExpireOrder { order: 3 });
    assert_eq!(
        effect,
        Effect::OrderClosed {
            order: 3,
            next_order: None
        }
    );
    let record = fx.item(item);
    assert_eq!(record.lock, ItemLock::Free);
    assert_eq!(record.owner, seller.public());
    assert_eq!(record.listing_price, None);
    assert_eq!(record.history_len, 1);
    assert_eq!(fx.raffle(raffle).runners_up_used, 2);
    assert_eq!(fx.counters().next_order, 4);
}

#[test]
fn inactive_runners_up_are_skipped() {
    let mut fx = Fixture::new();
    let (seller, admin) = (fx.seller.clone(), fx.admin.clone());
    let s = secret("s");
    let item = fx.register_items(&seller, &["K-1"], false)[0];
    let c = fx.next_height();
    let raffle = fx.create_raffle(&seller, raffle_spec(vec![item], heights(c + 1, c + 3), &s));
    let members = [&fx.alice.clone(), &fx.bob.clone(), &fx.carol.clone()];
    fx.enter_all(raffle, &members);
    let orders = fx.reveal_and_draw(raffle, &s);
    let result = fx.raffle(raffle).result.unwrap();
    let winner = fx.keypair(&result.winners[0]);
    fx.ok(
        &admin,
        Payload::SetAccountSuspended {
            account: result.runners_up[0],
            suspended: true,
        },
    );
    let effect = fx.ok(
        &winner,
        Payload::CancelOrder {
            order: orders[0],
            reason: "no".into(),
        },
    );
    assert_eq!(
        effect,
        Effect::OrderClosed {
            order: orders[0],
            next_order: Some(2)
        }
    );
    assert_eq!(fx.order(2).buyer, result.runners_up[1]);
    assert_eq!(fx.raffle(raffle).runners_up_used, 2);
}

#[test]
fn withdrawal_cancels_entries_of_undrawn_raffles_and_pending_orders() {
    let mut fx = Fixture::new();
    let (seller, seller2) = (fx.seller.clone(), fx.seller2.clone());
    let s = secret("s");
    let items = fx.register_items(&seller, &["W-1", "W-2"], false);
    let listed = fx.listed_item(&seller2, "W-L");
    let c = fx.next_height();
    let undrawn = fx.create_raffle(
        &seller,
        raffle_spec(vec![items[0]], heights(c + 2, c + 30), &s),
    );
    let drawn = fx.create_raffle(
        &seller,
        raffle_spec(vec![items[1]], heights(c + 2, c + 4), &s),
    );
    let members = [&fx.alice.clone(), &fx.bob.clone(), &fx.carol.clone()];
    fx.enter_all(undrawn, &members);
    fx.enter_all(drawn, &members);
    let orders = fx.reveal_and_draw(drawn, &s);
    let result = fx.raffle(drawn).result.unwrap();
    let winner = fx.keypair(&result.winners[0]);
    // The winner also has a pending listing order.
    let listing_order = fx.order_item(&winner, listed);
    let operator = fx.operator.clone();
    fx.ok(
        &operator,
        Payload::WithdrawAccount {
            account: winner.public(),
        },
    );
    let withdrawal = fx.last_ref(0);
    // Its entry in the undrawn raffle is cancelled, the others are not.
    let position: u32 = fx
        .get(&keys::raffle_entrant(undrawn, &winner.public()))
        .unwrap();
    for p in 0..3 {
        assert_eq!(fx.entry(undrawn, p).cancelled, p == position, "entry {p}");
    }
    // Its entry in the drawn raffle stays as it was.
    let position: u32 = fx
        .get(&keys::raffle_entrant(drawn, &winner.public()))
        .unwrap();
    assert!(!fx.entry(drawn, position).cancelled);
    // The prize order is closed and passes to the first runner-up.
    let prize_order = fx.order(orders[0]);
    assert_eq!(prize_order.status, OrderStatus::Cancelled);
    assert_eq!(
        prize_order.closed_reason.as_deref(),
        Some("the buyer withdrew")
    );
    let next = fx.order(listing_order + 1);
    assert_eq!(next.buyer, result.runners_up[0]);
    assert_eq!(next.created, withdrawal);
    assert_eq!(fx.item(items[1]).lock, ItemLock::Order(next.id));
    // The listing order is closed and the item is back on sale.
    let order = fx.order(listing_order);
    assert_eq!(order.status, OrderStatus::Cancelled);
    assert_eq!(order.closed_reason.as_deref(), Some("the buyer withdrew"));
    assert_eq!(fx.item(listed).lock, ItemLock::Free);
    assert_eq!(fx.item(listed).listing_price, Some(150_000));
    // The undrawn raffle is drawn without the withdrawn member.
    fx.reveal_and_draw(undrawn, &s);
    let result = fx.raffle(undrawn).result.unwrap();
    let picked: Vec<PublicKey> = result
        .winners
        .iter()
        .chain(&result.runners_up)
        .copied()
        .collect();
    assert_eq!(picked.len(), 2);
    assert!(!picked.contains(&winner.public()));
    assert_eq!(entrants(&fx, undrawn).len(), 2);
    assert_eq!(
        expected_draw(&fx, undrawn),
        (result.winners.clone(), result.runners_up.clone())
    );
}

// =====================================================================================
// Orders and payments
// =====================================================================================

#[test]
fn create_order_reserves_the_item() {
    let mut fx = Fixture::new();
    let (seller, alice) = (fx.seller.clone(), fx.alice.clone());
    let item = fx.listed_item(&seller, "O-1");
    let time = fx.time_ms;
    let effect = fx.ok(&alice, Payload::CreateOrder { item });
    assert_eq!(effect, Effect::OrderCreated { order: 1 });
    assert_eq!(
        fx.order(1),
        Order {
            id: 1,
            item,
            buyer: alice.public(),
            seller: seller.public(),
            amount: 150_000,
            source: OrderSource::Listing,
            status: OrderStatus::Pending,
            created: fx.last_ref(0),
            expires_at_ms: time + fx.params().order_payment_window_ms,
            payment: None,
            refund: None,
            closed_reason: None,
        }
    );
    let record = fx.item(item);
    assert_eq!(record.lock, ItemLock::Order(1));
    assert_eq!(record.listing_price, None);
    assert_eq!(
        record.owner,
        seller.public(),
        "ownership moves on payment only"
    );
    assert_eq!(
        fx.get::<()>(&keys::account_order(&alice.public(), 1)),
        Some(())
    );
    assert_eq!(
        fx.get::<()>(&keys::account_order(&seller.public(), 1)),
        Some(())
    );
    assert_eq!(fx.counters().next_order, 2);
}

#[test]
fn create_order_rejections() {
    let mut fx = Fixture::new();
    let (seller, alice, bob, admin, operator) = (
        fx.seller.clone(),
        fx.alice.clone(),
        fx.bob.clone(),
        fx.admin.clone(),
        fx.operator.clone(),
    );
    let items = fx.register_items(&seller, &["O-1", "O-2", "O-3"], true);
    for signer in [&admin, &operator] {
        let r = fx.reject(signer, Payload::CreateOrder { item: items[0] });
        assert!(unauthorized(&r), "{r:?}");
    }
    fx.expect(
        &alice,
        Payload::CreateOrder { item: 50 },
        unknown("item", 50),
    );
    fx.ok(
        &seller,
        Payload::ListItem {
            item: items[0],
            price: None,
        },
    );
    fx.expect(
        &alice,
        Payload::CreateOrder { item: items[0] },
        Rejection::NotListed { item: items[0] },
    );
    // Buying one's own item.
    let r = fx.reject(&seller, Payload::CreateOrder { item: items[1] });
    assert!(invalid_field(&r, "item"), "{r:?}");
    // Reserved by another order.
    let order = fx.order_item(&alice, items[1]);
    fx.expect(
        &bob,
        Payload::CreateOrder { item: items[1] },
        Rejection::ItemLocked {
            item: items[1],
            lock: ItemLock::Order(order),
        },
    );
    // A raffle prize (the listing was cleared, the lock is checked first).
    let c = fx.next_height();
    let raffle = fx.create_raffle(
        &seller,
        raffle_spec(vec![items[2]], heights(c, c + 9), &secret("s")),
    );
    fx.expect(
        &bob,
        Payload::CreateOrder { item: items[2] },
        Rejection::ItemLocked {
            item: items[2],
            lock: ItemLock::Raffle(raffle),
        },
    );
}

#[test]
fn settle_payment_moves_ownership_in_the_same_transaction() {
    let mut fx = Fixture::new();
    let (seller, alice, operator) = (fx.seller.clone(), fx.alice.clone(), fx.operator.clone());
    let item = fx.listed_item(&seller, "P-1");
    let order = fx.order_item(&alice, item);
    fx.ok(&operator, settle(order, "evt-1", 150_000));
    let tx = fx.last_ref(0);
    let record = fx.item(item);
    assert_eq!(record.owner, alice.public());
    assert_eq!(record.owner_since, tx);
    assert_eq!(record.history_len, 2);
    assert_eq!(record.lock, ItemLock::Free);
    assert_eq!(record.listing_price, None);
    assert_eq!(
        fx.ownership(item, 1),
        OwnershipRecord {
            item,
            sequence: 1,
            owner: alice.public(),
            acquisition: Acquisition::Purchased(order),
            tx,
        }
    );
    let paid = fx.order(order);
    assert_eq!(paid.status, OrderStatus::Paid);
    assert_eq!(
        paid.payment,
        Some(crate::types::PaymentRecord {
            provider: "sandbox".into(),
            payment_key: "pay-evt-1".into(),
            event_id: "evt-1".into(),
            amount: 150_000,
            settled: tx,
        })
    );
    assert_eq!(
        fx.get::<u64>(&keys::payment_event("sandbox", "evt-1")),
        Some(order)
    );
}

#[test]
fn order_settle_and_resale_fit_in_one_block() {
    let mut fx = Fixture::new();
    let (seller, alice, bob, operator) = (
        fx.seller.clone(),
        fx.alice.clone(),
        fx.bob.clone(),
        fx.operator.clone(),
    );
    let item = fx.listed_item(&seller, "B-1");
    let txs = fx.sign_batch(&[
        (&alice, Payload::CreateOrder { item }),
        (&operator, settle(1, "evt-b", 150_000)),
        (
            &alice,
            Payload::TransferItem {
                item,
                to: bob.public(),
            },
        ),
    ]);
    let block = fx.block(txs);
    assert!(
        block.receipts.iter().all(Receipt::is_applied),
        "{:?}",
        block.receipts
    );
    let record = fx.item(item);
    assert_eq!(record.owner, bob.public());
    assert_eq!(record.history_len, 3);
    assert_eq!(fx.ownership(item, 1).owner, alice.public());
    assert_eq!(fx.ownership(item, 1).tx.index, 1);
    assert_eq!(fx.ownership(item, 2).tx.index, 2);
}

#[test]
fn settle_payment_rejections() {
    let mut fx = Fixture::new();
    let (seller, alice, bob, admin, operator) = (
        fx.seller.clone(),
        fx.alice.clone(),
        fx.bob.clone(),
        fx.admin.clone(),
        fx.operator.clone(),
    );
    let items = fx.register_items(&seller, &["S-1", "S-2", "S-3"], true);
    let first = fx.order_item(&alice, items[0]);
    for signer in [&alice, &admin, &seller] {
        let r = fx.reject(signer, settle(first, "evt-1", 150_000));
        assert!(unauthorized(&r), "{r:?}");
    }
    fx.expect(
        &operator,
        settle(first, "evt-1", 149_999),
        Rejection::AmountMismatch {
            expected: 150_000,
            got: 149_999,
        },
    );
    fx.expect(&operator, settle(404, "evt-x", 1), unknown("order", 404));
    for (field, payload) in [
        ("amount", settle(first, "evt-1", 0)),
        (
            "provider",
            Payload::SettlePayment {
                order: first,
                provider: String::new(),
                payment_key: "k".into(),
                event_id: "e".into(),
                amount: 150_000,
            },
        ),
        (
            "event_id",
            Payload::SettlePayment {
                order: first,
                provider: "sandbox".into(),
                payment_key: "k".into(),
                event_id: "x".repeat(201),
                amount: 150_000,
            },
        ),
    ] {
        let r = fx.reject(&operator, payload);
        assert!(invalid_field(&r, field), "{field}: {r:?}");
    }
    fx.ok(&operator, settle(first, "evt-1", 150_000));
    // The same event again, for the same order or another one.
    fx.expect(
        &operator,
        settle(first, "evt-1", 150_000),
        Rejection::PaymentEventReused {
            event_id: "evt-1".into(),
            order: first,
        },
    );
    let second = fx.order_item(&bob, items[1]);
    fx.expect(
        &operator,
        settle(second, "evt-1", 150_000),
        Rejection::PaymentEventReused {
            event_id: "evt-1".into(),
            order: first,
        },
    );
    // A paid order is not paid twice under a new event.
    let r = fx.reject(&operator, settle(first, "evt-2", 150_000));
    assert!(order_rule(&r, first, OrderStatus::Paid), "{r:?}");
    // A cancelled order cannot be paid.
    fx.ok(
        &bob,
        Payload::CancelOrder {
            order: second,
            reason: "no".into(),
        },
    );
    let r = fx.reject(&operator, settle(second, "evt-3", 150_000));
    assert!(order_rule(&r, second, OrderStatus::Cancelled), "{r:?}");
    // The event id is scoped by provider.
    let third = fx.order_item(&bob, items[2]);
    fx.ok(
        &operator,
        Payload::SettlePayment {
            order: third,
            provider: "toss".into(),
            payment_key: "t".into(),
            event_id: "evt-1".into(),
            amount: 150_000,
        },
    );
    assert_eq!(fx.order(third).status, OrderStatus::Paid);
}

#[test]
fn cancel_order_by_buyer_operator_or_admin() {
    let mut fx = Fixture::new();
    let (seller, alice, operator, admin) = (
        fx.seller.clone(),
        fx.alice.clone(),
        fx.operator.clone(),
        fx.admin.clone(),
    );
    let item = fx.listed_item(&seller, "C-1");
    for canceller in [&alice, &operator, &admin] {
        let order = fx.order_item(&alice, item);
        let effect = fx.ok(
            canceller,
            Payload::CancelOrder {
                order,
                reason: "payment failed".into(),
            },
        );
        assert_eq!(
            effect,
            Effect::OrderClosed {
                order,
                next_order: None
            }
        );
        let record = fx.order(order);
        assert_eq!(record.status, OrderStatus::Cancelled);
        assert_eq!(record.closed_reason.as_deref(), Some("payment failed"));
        let item_record = fx.item(item);
        assert_eq!(item_record.lock, ItemLock::Free);
        assert_eq!(item_record.listing_price, Some(150_000), "back on sale");
        assert_eq!(item_record.owner, seller.public());
    }
}

#[test]
fn cancel_order_rejections() {
    let mut fx = Fixture::new();
    let (seller, alice, bob) = (fx.seller.clone(), fx.alice.clone(), fx.bob.clone());
    let item = fx.listed_item(&seller, "C-1");
    let order = fx.order_item(&alice, item);
    let cancel = |order| Payload::CancelOrder {
        order,
        reason: "r".into(),
    };
    for signer in [&bob, &seller] {
        let r = fx.reject(signer, cancel(order));
        assert!(unauthorized(&r), "{r:?}");
    }
    fx.expect(&alice, cancel(31), unknown("order", 31));
    let r = fx.reject(
        &alice,
        Payload::CancelOrder {
            order,
            reason: String::new(),
        },
    );
    assert!(invalid_field(&r, "reason"), "{r:?}");
    fx.ok(&alice, cancel(order));
    let r = fx.reject(&alice, cancel(order));
    assert!(order_rule(&r, order, OrderStatus::Cancelled), "{r:?}");
}

#[test]
fn expire_order_after_the_payment_window() {
    let mut fx = Fixture::new();
    let (seller, alice, carol, operator) = (
        fx.seller.clone(),
        fx.alice.clone(),
        fx.carol.clone(),
        fx.operator.clone(),
    );
    let items = fx.register_items(&seller, &["X-1", "X-2"], true);
    let order = fx.order_item(&alice, items[0]);
    let expires = fx.order(order).expires_at_ms;
    let r = fx.reject(&carol, Payload::ExpireOrder { order });
    assert!(order_rule(&r, order, OrderStatus::Pending), "{r:?}");
    // At the expiry time exactly, payment is still open.
    fx.time_ms = expires;
    let r = fx.reject(&carol, Payload::ExpireOrder { order });
    assert!(order_rule(&r, order, OrderStatus::Pending), "{r:?}");
    fx.expect(
        &carol,
        Payload::ExpireOrder { order: 8 },
        unknown("order", 8),
    );
    // Anyone with an account may expire it afterwards.
    let effect = fx.ok(&carol, Payload::ExpireOrder { order });
    assert_eq!(
        effect,
        Effect::OrderClosed {
            order,
            next_order: None
        }
    );
    let record = fx.order(order);
    assert_eq!(record.status, OrderStatus::Expired);
    assert_eq!(record.closed_reason.as_deref(), Some("not paid in time"));
    assert_eq!(fx.item(items[0]).lock, ItemLock::Free);
    assert_eq!(fx.item(items[0]).listing_price, Some(150_000));
    let r = fx.reject(&carol, Payload::ExpireOrder { order });
    assert!(order_rule(&r, order, OrderStatus::Expired), "{r:?}");
    // A paid order does not expire, even late.
    let paid = fx.order_item(&alice, items[1]);
    fx.ok(&operator, settle(paid, "evt-p", 150_000));
    fx.time_ms += 10 * fx.params().order_payment_window_ms;
    let r = fx.reject(&carol, Payload::ExpireOrder { order: paid });
    assert!(order_rule(&r, paid, OrderStatus::Paid), "{r:?}");
}

#[test]
fn refund_reverses_ownership_when_the_item_has_not_moved() {
    let mut fx = Fixture::new();
    let (seller, alice, operator) = (fx.seller.clone(), fx.alice.clone(), fx.operator.clone());
    let (item, order) = fx.bought_item(&seller, &alice, "F-1");
    // Listing it does not count as moving it.
    fx.ok(
        &alice,
        Payload::ListItem {
            item,
            price: Some(170_000),
        },
    );
    fx.ok(
        &operator,
        Payload::RefundOrder {
            order,
            reason: "defective".into(),
        },
    );
    let tx = fx.last_ref(0);
    let record = fx.order(order);
    assert_eq!(record.status, OrderStatus::Refunded);
    assert_eq!(
        record.refund,
        Some(crate::types::RefundRecord {
            amount: 150_000,
            reason: "defective".into(),
            ownership_reversed: true,
            refunded: tx,
        })
    );
    let item_record = fx.item(item);
    assert_eq!(item_record.owner, seller.public());
    assert_eq!(item_record.owner_since, tx);
    assert_eq!(item_record.history_len, 3);
    assert_eq!(item_record.listing_price, None);
    assert_eq!(item_record.lock, ItemLock::Free);
    assert_eq!(
        fx.ownership(item, 2),
        OwnershipRecord {
            item,
            sequence: 2,
            owner: seller.public(),
            acquisition: Acquisition::Refunded(order),
            tx,
        }
    );
    // Refunded once.
    let r = fx.reject(
        &operator,
        Payload::RefundOrder {
            order,
            reason: "again".into(),
        },
    );
    assert!(order_rule(&r, order, OrderStatus::Refunded), "{r:?}");
    // The seller may sell it again.
    fx.ok(
        &seller,
        Payload::ListItem {
            item,
            price: Some(140_000),
        },
    );
    let bob = fx.bob.clone();
    let again = fx.order_item(&bob, item);
    assert_eq!(fx.order(again).amount, 140_000);
}

#[test]
fn refund_after_the_item_moved_needs_an_admin_and_keeps_ownership() {
    let mut fx = Fixture::new();
    let (seller, alice, bob, operator, admin) = (
        fx.seller.clone(),
        fx.alice.clone(),
        fx.bob.clone(),
        fx.operator.clone(),
        fx.admin.clone(),
    );
    let (item, order) = fx.bought_item(&seller, &alice, "M-1");
    fx.ok(
        &alice,
        Payload::TransferItem {
            item,
            to: bob.public(),
        },
    );
    let r = fx.reject(
        &operator,
        Payload::RefundOrder {
            order,
            reason: "r".into(),
        },
    );
    assert!(
        matches!(&r, Rejection::OrderRule { order: o, status: OrderStatus::Paid, reason }
            if *o == order && reason.contains("only an admin")),
        "{r:?}"
    );
    fx.ok(
        &admin,
        Payload::RefundOrder {
            order,
            reason: "goodwill".into(),
        },
    );
    let record = fx.order(order);
    assert_eq!(record.status, OrderStatus::Refunded);
    assert!(!record.refund.unwrap().ownership_reversed);
    let item_record = fx.item(item);
    assert_eq!(item_record.owner, bob.public());
    assert_eq!(item_record.history_len, 3);
    // An item that moved away and came back has still moved since the sale.
    let (item, order) = fx.bought_item(&seller, &alice, "M-2");
    fx.ok(
        &alice,
        Payload::TransferItem {
            item,
            to: bob.public(),
        },
    );
    fx.ok(
        &bob,
        Payload::TransferItem {
            item,
            to: alice.public(),
        },
    );
    assert_eq!(fx.item(item).owner, alice.public());
    let r = fx.reject(
        &operator,
        Payload::RefundOrder {
            order,
            reason: "r".into(),
        },
    );
    assert!(order_rule(&r, order, OrderStatus::Paid), "{r:?}");
    fx.ok(
        &admin,
        Payload::RefundOrder {
            order,
            reason: "r".into(),
        },
    );
    assert_eq!(fx.item(item).owner, alice.public());
    // An item the buyer has put up for sale and that is now reserved by an order has
    // moved on too: refunding it must not pull it from under the new order.
    let (item, order) = fx.bought_item(&seller, &alice, "M-3");
    fx.ok(
        &alice,
        Payload::ListItem {
            item,
            price: Some(1_000),
        },
    );
    let resale = fx.order_item(&bob, item);
    let r = fx.reject(
        &operator,
        Payload::RefundOrder {
            order,
            reason: "r".into(),
        },
    );
    assert!(order_rule(&r, order, OrderStatus::Paid), "{r:?}");
    fx.ok(
        &admin,
        Payload::RefundOrder {
            order,
            reason: "r".into(),
        },
    );
    assert_eq!(fx.item(item).lock, ItemLock::Order(resale));
    assert_eq!(fx.item(item).owner, alice.public());
}

#[test]
fn refund_order_rejections() {
    let mut fx = Fixture::new();
    let (seller, alice, operator) = (fx.seller.clone(), fx.alice.clone(), fx.operator.clone());
    let (_, paid) = fx.bought_item(&seller, &alice, "Q-1");
    let refund = |order| Payload::RefundOrder {
        order,
        reason: "r".into(),
    };
    for signer in [&alice, &seller] {
        let r = fx.reject(signer, refund(paid));
        assert!(unauthorized(&r), "{r:?}");
    }
    fx.expect(&operator, refund(77), unknown("order", 77));
    let r = fx.reject(
        &operator,
        Payload::RefundOrder {
            order: paid,
            reason: String::new(),
        },
    );
    assert!(invalid_field(&r, "reason"), "{r:?}");
    let item = fx.listed_item(&seller, "Q-2");
    let pending = fx.order_item(&alice, item);
    let r = fx.reject(&operator, refund(pending));
    assert!(order_rule(&r, pending, OrderStatus::Pending), "{r:?}");
    fx.ok(
        &alice,
        Payload::CancelOrder {
            order: pending,
            reason: "r".into(),
        },
    );
    let r = fx.reject(&operator, refund(pending));
    assert!(order_rule(&r, pending, OrderStatus::Cancelled), "{r:?}");
}

// =====================================================================================
// Ads
// =====================================================================================

#[test]
fn create_ad_and_switch_it() {
    let mut fx = Fixture::new();
    let admin = fx.admin.clone();
    let effect = fx.ok(&admin, Payload::CreateAd(ad_spec()));
    assert_eq!(effect, Effect::AdCreated { ad: 1 });
    let campaign = fx.ad(1);
    assert_eq!(
        campaign,
        AdCampaign {
            id: 1,
            spec: ad_spec(),
            active: true,
            created: fx.last_ref(0)
        }
    );
    assert!(campaign.is_live_at(T0 + 1));
    assert_eq!(fx.counters().next_ad, 2);
    fx.ok(
        &admin,
        Payload::SetAdActive {
            ad: 1,
            active: false,
        },
    );
    let campaign = fx.ad(1);
    assert!(!campaign.active);
    assert!(!campaign.is_live_at(T0 + 1));
    assert_eq!(campaign.spec, ad_spec());
    fx.ok(
        &admin,
        Payload::SetAdActive {
            ad: 1,
            active: true,
        },
    );
    assert!(fx.ad(1).active);
    assert_eq!(
        fx.ok(&admin, Payload::CreateAd(ad_spec())),
        Effect::AdCreated { ad: 2 }
    );
}

#[test]
fn ad_rejections() {
    let mut fx = Fixture::new();
    let (admin, operator, alice) = (fx.admin.clone(), fx.operator.clone(), fx.alice.clone());
    for signer in [&operator, &alice] {
        let r = fx.reject(signer, Payload::CreateAd(ad_spec()));
        assert!(unauthorized(&r), "{r:?}");
    }
    let cases: Vec<(&str, AdSpec)> = vec![
        (
            "landing_url",
            AdSpec {
                landing_url: "javascript:alert(1)".into(),
                ..ad_spec()
            },
        ),
        (
            "landing_url",
            AdSpec {
                landing_url: "https://user@evil.example/".into(),
                ..ad_spec()
            },
        ),
        (
            "image_url",
            AdSpec {
                image_url: "ftp://cdn.example.com/x.png".into(),
                ..ad_spec()
            },
        ),
        (
            "title",
            AdSpec {
                title: String::new(),
                ..ad_spec()
            },
        ),
        (
            "ends_at_ms",
            AdSpec {
                ends_at_ms: T0,
                ..ad_spec()
            },
        ),
        (
            "target_max_age",
            AdSpec {
                target_min_age: Some(50),
                ..ad_spec()
            },
        ),
    ];
    for (field, spec) in cases {
        let r = fx.reject(&admin, Payload::CreateAd(spec));
        assert!(invalid_field(&r, field), "{field}: {r:?}");
    }
    fx.expect(
        &admin,
        Payload::SetAdActive {
            ad: 1,
            active: false,
        },
        unknown("ad", 1),
    );
    fx.ok(&admin, Payload::CreateAd(ad_spec()));
    for signer in [&operator, &alice] {
        let r = fx.reject(
            signer,
            Payload::SetAdActive {
                ad: 1,
                active: false,
            },
        );
        assert!(unauthorized(&r), "{r:?}");
    }
    assert!(fx.ad(1).active);
}

// =====================================================================================
// Validators
// =====================================================================================

#[test]
fn add_validator_creates_an_operator_account() {
    let mut fx = Fixture::new();
    let admin = fx.admin.clone();
    let v2 = key("validator-2");
    fx.ok(
        &admin,
        Payload::AddValidator {
            key: v2.public(),
            name: "validator-2".into(),
            p2p_address: "/dns/v2.example/tcp/30333".into(),
        },
    );
    let height = fx.height();
    assert_eq!(
        fx.get::<Validator>(&keys::validator(&v2.public())),
        Some(Validator {
            key: v2.public(),
            name: "validator-2".into(),
            p2p_address: "/dns/v2.example/tcp/30333".into(),
            since_height: height,
        })
    );
    let account = fx.account(&v2);
    assert_eq!(account.role, Role::Operator);
    assert_eq!(account.status, AccountStatus::Active);
    assert_eq!(account.registered_height, height);
    assert_eq!(current_validators(fx.chain.store()).unwrap().len(), 2);
    // The new operator does an operator's work.
    let newbie = key("newbie");
    fx.ok(
        &v2,
        Payload::RegisterAccount {
            account: newbie.public(),
            role: Role::Member,
            adult: false,
        },
    );
    assert_eq!(fx.account(&newbie).role, Role::Member);
}

#[test]
fn add_validator_rejections() {
    let mut fx = Fixture::with_params(ChainParams {
        max_block_time_step_ms: Some(YEAR_MS),
        max_validators: 2,
        ..ChainParams::default()
    });
    let (admin, operator, alice) = (fx.admin.clone(), fx.operator.clone(), fx.alice.clone());
    let add = |key: PublicKey, port: u16| Payload::AddValidator {
        key,
        name: format!("v-{port}"),
        p2p_address: format!("/ip4/127.0.0.1/tcp/{port}"),
    };
    let v2 = key("validator-2");
    for signer in [&operator, &alice] {
        let r = fx.reject(signer, add(v2.public(), 30334));
        assert!(unauthorized(&r), "{r:?}");
    }
    let r = fx.reject(&admin, add(weak_key(), 30334));
    assert!(invalid_field(&r, "key"), "{r:?}");
    let r = fx.reject(
        &admin,
        Payload::AddValidator {
            key: v2.public(),
            name: "v".into(),
            p2p_address: "/ip4/1.2.3.4/udp/1".into(),
        },
    );
    assert!(invalid_field(&r, "p2p_address"), "{r:?}");
    let r = fx.reject(
        &admin,
        Payload::AddValidator {
            key: v2.public(),
            name: String::new(),
            p2p_address: P2P.into(),
        },
    );
    assert!(invalid_field(&r, "name"), "{r:?}");
    let r = fx.reject(&admin, add(operator.public(), 30334));
    assert!(
        matches!(&r, Rejection::ValidatorRule { reason } if reason.contains("already a validator")),
        "{r:?}"
    );
    // A member's or an admin's key cannot become a validator.
    for taken in [&alice, &admin] {
        let r = fx.reject(&admin, add(taken.public(), 30334));
        assert!(
            matches!(&r, Rejection::ValidatorRule { reason } if reason.contains("non-operator")),
            "{r:?}"
        );
    }
    fx.ok(&admin, add(v2.public(), 30334));
    // The set is full.
    let r = fx.reject(&admin, add(key("validator-3").public(), 30335));
    assert!(
        matches!(&r, Rejection::ValidatorRule { reason } if reason.contains("full")),
        "{r:?}"
    );
    assert!(fx
        .get::<Account>(&keys::account(&key("validator-3").public()))
        .is_none());
}

#[test]
fn remove_validator_suspends_its_operator_and_it_may_come_back() {
    let mut fx = Fixture::new();
    let admin = fx.admin.clone();
    let v2 = key("validator-2");
    fx.ok(
        &admin,
        Payload::AddValidator {
            key: v2.public(),
            name: "v2".into(),
            p2p_address: P2P.into(),
        },
    );
    let newbie = key("newbie");
    fx.ok(
        &v2,
        Payload::RegisterAccount {
            account: newbie.public(),
            role: Role::Member,
            adult: false,
        },
    );
    fx.ok(&admin, Payload::RemoveValidator { key: v2.public() });
    assert!(fx
        .get::<Validator>(&keys::validator(&v2.public()))
        .is_none());
    assert_eq!(fx.account(&v2).status, AccountStatus::Suspended);
    assert_eq!(current_validators(fx.chain.store()).unwrap().len(), 1);
    // Back again: the same account, reactivated, nonce kept.
    fx.ok(
        &admin,
        Payload::AddValidator {
            key: v2.public(),
            name: "v2".into(),
            p2p_address: P2P.into(),
        },
    );
    let account = fx.account(&v2);
    assert_eq!(account.status, AccountStatus::Active);
    assert_eq!(account.nonce, 1);
    assert_eq!(
        fx.get::<Validator>(&keys::validator(&v2.public()))
            .unwrap()
            .since_height,
        fx.height()
    );
}

#[test]
fn remove_validator_rejections() {
    let mut fx = Fixture::new();
    let (admin, operator, alice) = (fx.admin.clone(), fx.operator.clone(), fx.alice.clone());
    for signer in [&operator, &alice] {
        let r = fx.reject(
            signer,
            Payload::RemoveValidator {
                key: operator.public(),
            },
        );
        assert!(unauthorized(&r), "{r:?}");
    }
    let r = fx.reject(
        &admin,
        Payload::RemoveValidator {
            key: alice.public(),
        },
    );
    assert!(
        matches!(&r, Rejection::ValidatorRule { reason } if reason.contains("not a validator")),
        "{r:?}"
    );
    let r = fx.reject(
        &admin,
        Payload::RemoveValidator {
            key: operator.public(),
        },
    );
    assert!(
        matches!(&r, Rejection::ValidatorRule { reason } if reason.contains("last validator")),
        "{r:?}"
    );
    assert_eq!(fx.account(&operator).status, AccountStatus::Active);
}

// =====================================================================================
// Size limit inside blocks
// =====================================================================================

/// A product registration within every field limit (1,000 serials of 64 characters)
/// whose encoding is over the transaction size limit, because the limits count
/// characters and Hangul takes three bytes.
fn oversized_registration() -> Payload {
    let serials: Vec<String> = (0..limits::MAX_EDITION_SIZE)
        .map(|i| format!("{i:04}{}", "한".repeat(limits::MAX_SERIAL_LEN - 4)))
        .collect();
    let mut spec = product_spec("Nike", "Big", &[]);
    spec.serials = serials;
    Payload::RegisterProduct(spec)
}

#[test]
fn oversized_transactions_are_refused_inside_blocks_too() {
    let mut fx = Fixture::new();
    let seller = fx.seller.clone();
    let payload = oversized_registration();
    assert_eq!(payload.validate_static(), Ok(()));
    let tx = fx.sign(&seller, payload);
    let size = tx.encode().len();
    assert!(size > limits::MAX_TRANSACTION_BYTES, "{size}");
    let expected = Rejection::TooLarge {
        size: size as u64,
        max: limits::MAX_TRANSACTION_BYTES as u64,
    };
    // Refused at ingress...
    assert_eq!(
        SignedTransaction::decode(&tx.encode()),
        Err(expected.clone())
    );
    // ...and by the state machine, when a leader puts it in a block anyway.
    assert_eq!(fx.reject_tx(tx), expected);
    assert_eq!(fx.counters().next_product, 1);
    // A transaction just under the limit still applies.
    let serials: Vec<String> = (0..600)
        .map(|i| format!("{i:04}{}", "한".repeat(60)))
        .collect();
    let mut spec = product_spec("Nike", "Big", &[]);
    spec.serials = serials;
    let tx = fx.sign(&seller, Payload::RegisterProduct(spec));
    assert!(tx.encode().len() <= limits::MAX_TRANSACTION_BYTES);
    assert!(fx.block(vec![tx]).receipts[0].is_applied());
    assert_eq!(fx.counters().next_item, 601);
}

/// Each of the five members applies to sell: five independent, valid transactions.
fn seller_applications(fx: &Fixture) -> Vec<SignedTransaction> {
    [&fx.alice, &fx.bob, &fx.carol, &fx.dave, &fx.erin]
        .iter()
        .map(|member| {
            fx.chain
                .sign(
                    member,
                    Payload::ApplySeller {
                        shop_name: "shop".into(),
                    },
                )
                .unwrap()
        })
        .collect()
}

/// A node that verified every signature at ingress and skips them reaches the same
/// block as a node that verifies them in a batch.
#[test]
fn skipping_strictly_verified_signatures_gives_the_same_block() {
    let fx = Fixture::new();
    let txs = seller_applications(&fx);
    for tx in &txs {
        tx.tx
            .signer
            .verify(tx.hash().as_bytes(), &tx.signature)
            .unwrap();
    }
    let proposal = BlockProposal {
        proposer: fx.operator.public(),
        time_ms: fx.time_ms,
        transactions: txs,
    };
    let verified = super::execute_block(fx.chain.store(), fx.chain.head(), &proposal).unwrap();
    let skipped = super::execute_block_with(
        fx.chain.store(),
        fx.chain.head(),
        &proposal,
        super::Signatures::AllVerifiedStrictly,
    )
    .unwrap();
    assert_eq!(verified.block, skipped.block);
    assert!(verified.block.receipts.iter().all(|r| r.is_applied()));
}

/// A node that verified some signatures at ingress verifies only the others, and still
/// refuses a bad signature among them; its block equals a fully verifying node's.
#[test]
fn partly_verified_blocks_verify_the_rest() {
    let fx = Fixture::new();
    let mut txs = seller_applications(&fx);
    txs[3].signature.0[10] ^= 0x40;
    let proposal = BlockProposal {
        proposer: fx.operator.public(),
        time_ms: fx.time_ms,
        transactions: txs,
    };
    let verified = super::execute_block(fx.chain.store(), fx.chain.head(), &proposal).unwrap();
    let refused: Vec<bool> = verified
        .block
        .receipts
        .iter()
        .map(|r| !r.is_applied())
        .collect();
    assert_eq!(refused, [false, false, false, true, false]);
    for known in [
        vec![true, false, true, false, false],
        vec![false; 5],
        vec![true], // the wrong length: everything is verified
    ] {
        let partly = super::execute_block_with(
            fx.chain.store(),
            fx.chain.head(),
            &proposal,
            super::Signatures::PartlyVerifiedStrictly(known.clone()),
        )
        .unwrap();
        assert_eq!(verified.block, partly.block, "{known:?}");
    }
    // The flags are trusted: a signature marked as verified is not checked again.
    let trusted = super::execute_block_with(
        fx.chain.store(),
        fx.chain.head(),
        &proposal,
        super::Signatures::PartlyVerifiedStrictly(vec![false, false, false, true, false]),
    )
    .unwrap();
    assert!(trusted.block.receipts.iter().all(|r| r.is_applied()));
}

/// A proposal the genesis rules forbid is no block: every node refuses it alike.
fn refused(fx: &Fixture, proposal: &BlockProposal) -> crate::ProposalError {
    match super::execute_block(fx.chain.store(), fx.chain.head(), proposal) {
        Err(crate::LedgerError::InvalidProposal(error)) => error,
        other => panic!("expected an invalid proposal, got {other:?}"),
    }
}

#[test]
fn block_rules_the_proposer_is_a_validator() {
    let fx = Fixture::new();
    let mut proposal = fx.proposal(vec![]);
    proposal.proposer = key("not-a-validator").public();
    assert_eq!(
        refused(&fx, &proposal),
        crate::ProposalError::NotAValidator(key("not-a-validator").public())
    );
    proposal.proposer = fx.operator.public();
    assert!(super::execute_block(fx.chain.store(), fx.chain.head(), &proposal).is_ok());
}

#[test]
fn block_rules_time_is_bounded_by_the_parent_and_the_genesis_step() {
    let step = 60_000;
    let mut fx = Fixture::with_params(ChainParams {
        max_block_time_step_ms: Some(step),
        ..ChainParams::default()
    });
    // The fixture's setup blocks are past the first, which is free of the step.
    assert!(fx.chain.head().height > 0);
    let parent = fx.chain.head().time_ms;
    // Exactly the step is allowed; one millisecond more is not.
    let mut proposal = fx.proposal(vec![]);
    proposal.time_ms = parent + step + 1;
    assert_eq!(
        refused(&fx, &proposal),
        crate::ProposalError::TimeTooFarAhead {
            time_ms: parent + step + 1,
            parent_ms: parent,
            max_step_ms: step
        }
    );
    proposal.time_ms = parent + step;
    let block = fx.chain.apply(&proposal).unwrap();
    assert_eq!(block.header.time_ms, parent + step);
    // A time before the parent's is raised to it: block time never goes back.
    proposal.time_ms = parent;
    let block = fx.chain.apply(&proposal).unwrap();
    assert_eq!(block.header.time_ms, parent + step);
    fx.time_ms = parent + step;
}

/// The first block may start at any time after the genesis (a preset's genesis is fixed
/// in the past); the step holds from the second on.
#[test]
fn block_rules_the_first_block_is_free_of_the_step() {
    let genesis = GenesisState {
        chain_id: Hash::of(b"first block"),
        time_ms: T0,
        params: ChainParams {
            max_block_time_step_ms: Some(60_000),
            ..ChainParams::default()
        },
        admins: vec![key("admin").public()],
        validators: vec![Validator {
            key: key("validator-1").public(),
            name: "validator-1".to_owned(),
            p2p_address: P2P.to_owned(),
            since_height: 0,
        }],
    };
    let mut chain = crate::MemoryChain::new(&genesis).unwrap();
    let year_later = T0 + YEAR_MS;
    let proposal = |time_ms| BlockProposal {
        proposer: key("validator-1").public(),
        time_ms,
        transactions: vec![],
    };
    assert_eq!(
        chain.apply(&proposal(year_later)).unwrap().header.time_ms,
        year_later
    );
    assert!(matches!(
        chain.apply(&proposal(year_later + 60_001)),
        Err(crate::LedgerError::InvalidProposal(
            crate::ProposalError::TimeTooFarAhead { .. }
        ))
    ));
}

#[test]
fn block_rules_a_byte_budget_per_block() {
    let fx = Fixture::new();
    let params = ChainParams {
        max_block_bytes: Some(300),
        ..ChainParams::default()
    };
    let check = |proposal: &BlockProposal| {
        super::check_proposal(fx.chain.store(), &params, fx.chain.head(), proposal)
    };
    let mut proposal = fx.proposal(seller_applications(&fx));
    proposal.transactions.truncate(2);
    let bytes = borsh::object_length(&proposal).unwrap() as u64;
    assert!(bytes > 300, "two applications exceed 300 bytes");
    assert!(matches!(
        check(&proposal),
        Err(crate::LedgerError::InvalidProposal(crate::ProposalError::TooManyBytes { bytes: b, max: 300 })) if b == bytes
    ));
    proposal.transactions.pop();
    assert!(check(&proposal).is_ok());
    // The default budget is the one applied on chains that do not set it.
    let mut big = fx.proposal(vec![]);
    let filler = seller_applications(&fx).remove(0);
    let each = borsh::object_length(&filler).unwrap() as u64;
    let count = crate::types::DEFAULT_MAX_BLOCK_BYTES / each + 1;
    big.transactions = vec![filler; count as usize];
    assert!(matches!(
        refused(&fx, &big),
        crate::ProposalError::TooManyBytes { max, .. } if max == crate::types::DEFAULT_MAX_BLOCK_BYTES
    ));
}

/// The two block rules are optional: unset, they take their defaults (and a genesis
/// file may leave them out); set, they round-trip through borsh and JSON.
#[test]
fn chain_params_block_rules_default_when_unset() {
    let legacy = ChainParams::default();
    let bytes = borsh::to_vec(&legacy).unwrap();
    assert_eq!(borsh::from_slice::<ChainParams>(&bytes).unwrap(), legacy);
    let set = ChainParams {
        max_block_bytes: Some(1 << 20),
        max_block_time_step_ms: None,
        ..ChainParams::default()
    };
    let bytes = borsh::to_vec(&set).unwrap();
    assert_eq!(borsh::from_slice::<ChainParams>(&bytes).unwrap(), set);
    assert_eq!(set.block_bytes(), 1 << 20);
    assert_eq!(
        set.block_time_step_ms(),
        crate::types::DEFAULT_MAX_BLOCK_TIME_STEP_MS
    );
    let json: ChainParams = serde_json::from_str(
        r#"{"max_block_transactions":10000,"order_payment_window_ms":1800000,"max_validators":7}"#,
    )
    .unwrap();
    assert_eq!(json, legacy);
    assert!(!serde_json::to_string(&legacy)
        .unwrap()
        .contains("max_block_bytes"));
}

/// A state that records the keys and prefixes read through it.
struct Recording<'a, V: StateView> {
    inner: &'a V,
    read: std::cell::RefCell<Vec<Vec<u8>>>,
}

impl<V: StateView> StateView for Recording<'_, V> {
    fn get(&self, key: &[u8]) -> crate::LedgerResult<Option<Vec<u8>>> {
        self.read.borrow_mut().push(key.to_vec());
        self.inner.get(key)
    }
    fn scan_prefix(&self, prefix: &[u8]) -> crate::LedgerResult<Vec<(Vec<u8>, Vec<u8>)>> {
        self.read.borrow_mut().push(prefix.to_vec());
        self.inner.scan_prefix(prefix)
    }
}

/// The ledger indexes a raffle while it is open (pending close) and while it is closed
/// awaiting its draw; a drawn or void raffle is in neither, and the nodes' chores
/// (`raffles_in_play`) read only the indexed raffles' records, never the others'.
#[test]
fn drawn_and_void_raffles_leave_the_awaiting_index() {
    let mut fx = Fixture::new();
    let seller = fx.seller.clone();
    let items = fx.register_items(&seller, &["I-1", "I-2", "I-3"], false);
    let alice = fx.alice.clone();
    let s = secret("s");
    let c = fx.next_height();
    let drawn = fx.create_raffle(
        &seller,
        raffle_spec(vec![items[0]], heights(c + 3, c + 9), &s),
    );
    let voided = fx.create_raffle(
        &seller,
        raffle_spec(vec![items[1]], heights(c + 3, c + 9), &s),
    );
    let waiting = fx.create_raffle(
        &seller,
        raffle_spec(vec![items[2]], heights(c + 3, c + 9), &s),
    );
    for raffle in [drawn, voided, waiting] {
        fx.enter_all(raffle, &[&alice]);
        let awaiting = fx.get::<()>(&keys::raffle_awaiting(raffle));
        assert_eq!(awaiting, None, "open: pending close only");
        assert_eq!(fx.get::<()>(&keys::pending_close(raffle)), Some(()));
    }
    fx.close_only(drawn);
    for raffle in [drawn, voided, waiting] {
        assert_eq!(fx.raffle(raffle).status, RaffleStatus::Closed);
        assert_eq!(fx.get::<()>(&keys::pending_close(raffle)), None);
        assert_eq!(
            fx.get::<()>(&keys::raffle_awaiting(raffle)),
            Some(()),
            "closed: awaiting"
        );
        let operator = fx.operator.clone();
        let contribution = fx.contribution(&operator, raffle);
        fx.ok(&operator, contribution);
    }
    fx.ok(
        &seller,
        Payload::RevealRaffleSecret {
            raffle: drawn,
            secret: s,
        },
    );
    fx.draw(drawn);
    fx.pass_reveal_deadline(voided);
    let bob = fx.bob.clone();
    assert_eq!(
        fx.ok(&bob, Payload::DrawRaffle { raffle: voided }),
        Effect::RaffleVoided { raffle: voided }
    );
    assert_eq!(fx.raffle(drawn).status, RaffleStatus::Drawn);
    assert_eq!(fx.get::<()>(&keys::raffle_awaiting(drawn)), None, "drawn");
    assert_eq!(fx.raffle(voided).status, RaffleStatus::Void);
    assert_eq!(fx.get::<()>(&keys::raffle_awaiting(voided)), None, "void");
    assert_eq!(fx.get::<()>(&keys::raffle_awaiting(waiting)), Some(()));
    // Another seller's raffle, still open (this seller is cooling off after its miss).
    let seller2 = fx.seller2.clone();
    let other = fx.register_items(&seller2, &["I-4"], false);
    let c = fx.next_height();
    let open = fx.create_raffle(&seller2, raffle_spec(other, heights(c + 10, c + 20), &s));

    let state = Recording {
        inner: fx.chain.store(),
        read: Default::default(),
    };
    let in_play: Vec<u64> = super::raffles_in_play(&state)
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(
        in_play,
        vec![open, waiting],
        "open ones, then those awaiting a draw"
    );
    let read = state.read.into_inner();
    for raffle in [drawn, voided] {
        assert!(
            !read.contains(&keys::raffle(raffle)),
            "raffle {raffle} was read"
        );
    }
    assert!(
        !read.contains(&vec![crate::state::Table::Raffle as u8]),
        "no scan of the raffle table"
    );
    assert_eq!(
        read.len(),
        4,
        "two index scans and the two indexed records: {read:?}"
    );
}

/// An admin allows a follower's key and revokes it; nobody else may, a validator's key
/// is not a follower, and allowing twice or revoking an unknown key is refused.
#[test]
fn followers_are_allowed_and_revoked_by_an_admin() {
    let mut fx = Fixture::new();
    let (admin, operator, alice) = (fx.admin.clone(), fx.operator.clone(), fx.alice.clone());
    let follower = key("follower-0").public();
    let allow = |allowed| Payload::SetFollower {
        key: follower,
        allowed,
    };
    for signer in [&operator, &alice] {
        let r = fx.reject(signer, allow(true));
        assert!(unauthorized(&r), "{r:?}");
    }
    let r = fx.reject(
        &admin,
        Payload::SetFollower {
            key: weak_key(),
            allowed: true,
        },
    );
    assert!(invalid_field(&r, "key"), "{r:?}");
    let r = fx.reject(
        &admin,
        Payload::SetFollower {
            key: operator.public(),
            allowed: true,
        },
    );
    assert!(
        matches!(&r, Rejection::ValidatorRule { reason } if reason.contains("is a validator")),
        "{r:?}"
    );
    let r = fx.reject(&admin, allow(false));
    assert!(
        matches!(&r, Rejection::ValidatorRule { reason } if reason.contains("not an allowed follower")),
        "{r:?}"
    );
    fx.ok(&admin, allow(true));
    let grants = crate::exec::allowed_followers(fx.chain.store()).unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].key, follower);
    let r = fx.reject(&admin, allow(true));
    assert!(
        matches!(&r, Rejection::ValidatorRule { reason } if reason.contains("already")),
        "{r:?}"
    );
    fx.ok(&admin, allow(false));
    assert!(crate::exec::allowed_followers(fx.chain.store())
        .unwrap()
        .is_empty());
}

mod cancel;

mod refunds;
