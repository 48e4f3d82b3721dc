//! Tests of the verifier over an [`ArchiveChain`] whose blocks are certified with
//! [`certificate::vote`] under the rule of the module docs: a block's certificate is
//! signed by the validator set in force after its parent.
//!
//! The fixture registers a three-piece edition, changes the validator set twice (a
//! fourth validator joins, then one leaves), hands piece 1 through ten owners and runs
//! a raffle on piece 2 with a cancelled entry. Each tamper test alters one thing in a
//! valid bundle and checks the verifier names that thing.

use std::collections::{BTreeSet, HashMap};

use super::build::{self, ArchiveChain};
use super::*;
use crate::block::{Block, BlockProposal};
use crate::certificate::{self, Certificate, CertificateError};
use crate::crypto::{Keypair, PublicKey};
use crate::hash::Hash;
use crate::state::{keys, MemoryStore};
use crate::tx::{raffle_commitment, Payload, SignedTransaction, Transaction};
use crate::types::{
    ChainParams, EntryWindow, ProductSpec, RaffleSpec, RaffleStatus, Role, Validator,
};

const T0: u64 = 1_767_000_000_000;
const P2P: &str = "/ip4/127.0.0.1/tcp/30333";

fn key(name: &str) -> Keypair {
    Keypair::from_name(name)
}

/// A chain whose every block is certified by all of the set in force after its parent
/// (the largest certificate a node serves); shared with `size_tests`.
pub(super) struct CertifiedChain {
    pub(super) chain: ArchiveChain,
    pub(super) genesis: GenesisState,
    signers: HashMap<PublicKey, Keypair>,
    nonces: HashMap<PublicKey, u64>,
    time_ms: u64,
}

/// The fixture chain and what the tests ask about.
struct Net {
    fixture: CertifiedChain,
    seller: Keypair,
    members: Vec<Keypair>,
    /// The raffle on piece 2.
    raffle: u64,
    /// Heights of the two validator-set changes.
    set_changes: [u64; 2],
}

impl CertifiedChain {
    /// A chain of `genesis_validators` (the first of `signers`); every key of `signers`
    /// can vote once it joins the set.
    pub(super) fn new(
        signers: &[Keypair],
        genesis_validators: usize,
        admin: &Keypair,
    ) -> CertifiedChain {
        let in_genesis: Vec<&Keypair> = signers[..genesis_validators].iter().collect();
        let genesis = CertifiedChain::genesis(&in_genesis, admin);
        CertifiedChain {
            chain: ArchiveChain::new(&genesis).unwrap(),
            genesis,
            signers: signers.iter().map(|k| (k.public(), k.clone())).collect(),
            nonces: HashMap::new(),
            time_ms: T0,
        }
    }

    fn genesis(validators: &[&Keypair], admin: &Keypair) -> GenesisState {
        GenesisState {
            chain_id: Hash::of(b"verify-tests"),
            time_ms: T0,
            // Short raffle windows (the minimums are tested in `exec`).
            params: ChainParams {
                min_raffle_entry_blocks: 1,
                min_raffle_entry_ms: 1,
                min_raffle_reveal_blocks: 1,
                min_raffle_reveal_ms: 1,
                raffle_contribution_ms: 1,
                ..ChainParams::default()
            },
            admins: vec![admin.public()],
            validators: validators
                .iter()
                .enumerate()
                .map(|(i, k)| Validator {
                    key: k.public(),
                    name: format!("v{i}"),
                    p2p_address: P2P.into(),
                    since_height: 0,
                })
                .collect(),
        }
    }

    /// Signs with the signer's next nonce.
    pub(super) fn sign(&mut self, signer: &Keypair, payload: Payload) -> SignedTransaction {
        let nonce = self.nonces.entry(signer.public()).or_insert(0);
        let tx = Transaction {
            chain_id: self.genesis.chain_id,
            signer: signer.public(),
            nonce: *nonce,
            payload,
        }
        .sign(signer);
        *nonce += 1;
        tx
    }

    /// Applies a block, requires every transaction to apply, and certifies it with
    /// every validator of the set in force after its parent.
    pub(super) fn block(&mut self, transactions: Vec<SignedTransaction>) -> Block {
        self.time_ms += 1_000;
        let proposal = BlockProposal {
            proposer: key("v0").public(),
            time_ms: self.time_ms,
            transactions,
        };
        let block = self.chain.apply(&proposal).unwrap();
        for receipt in &block.receipts {
            assert!(receipt.is_applied(), "{receipt:?}");
        }
        let set = self
            .chain
            .validator_set_after(block.header.height - 1)
            .unwrap()
            .unwrap();
        let votes = set
            .keys
            .iter()
            .map(|k| certificate::vote(&self.signers[k], &block.header));
        let keys: BTreeSet<PublicKey> = set.keys.iter().copied().collect();
        self.chain
            .add_certificate(Certificate::from_votes(&block.header, &keys, votes));
        block
    }
}

impl std::ops::Deref for Net {
    type Target = CertifiedChain;
    fn deref(&self) -> &CertifiedChain {
        &self.fixture
    }
}

impl std::ops::DerefMut for Net {
    fn deref_mut(&mut self) -> &mut CertifiedChain {
        &mut self.fixture
    }
}

impl Net {
    fn height(&self) -> u64 {
        self.chain.chain().head().height
    }

    fn raffle_record(&self, raffle: u64) -> crate::types::Raffle {
        use crate::state::StateView;
        let bytes = self
            .chain
            .chain()
            .store()
            .get(&keys::raffle(raffle))
            .unwrap()
            .unwrap();
        crate::state::decode_record("raffle", &bytes).unwrap()
    }

    /// Every validator named by a closed raffle contributes, in one block; `except`
    /// withholds.
    fn contribute(&mut self, raffle: u64, except: Option<PublicKey>) {
        while self.raffle_record(raffle).closing_block.is_none() {
            self.block(Vec::new());
        }
        let record = self.raffle_record(raffle);
        let closing = record.closing_block.expect("closed");
        let txs = record
            .randomness
            .unwrap()
            .validators
            .iter()
            .filter(|k| Some(**k) != except)
            .map(|k| {
                let key = self.signers[k].clone();
                let proof = crate::draw::contribution_proof(
                    &key,
                    &self.genesis.chain_id,
                    raffle,
                    &closing.hash,
                );
                self.sign(&key, Payload::ContributeRaffleRandomness { raffle, proof })
            })
            .collect();
        self.block(txs);
    }

    fn new() -> Net {
        let validators: Vec<Keypair> = (0..4).map(|i| key(&format!("v{i}"))).collect();
        let admin = key("admin");
        let mut net = Net {
            fixture: CertifiedChain::new(&validators, 3, &admin),
            seller: key("seller"),
            members: (0..10).map(|i| key(&format!("member-{i}"))).collect(),
            raffle: 0,
            set_changes: [0, 0],
        };

        // Accounts, a seller, a three-piece edition.
        let mut accounts = vec![net.seller.clone()];
        accounts.extend(net.members.iter().cloned());
        let txs = accounts
            .iter()
            .map(|a| {
                net.sign(
                    &admin,
                    Payload::RegisterAccount {
                        account: a.public(),
                        role: Role::Member,
                        adult: true,
                    },
                )
            })
            .collect();
        net.block(txs);
        let seller = net.seller.clone();
        let tx = net.sign(
            &seller,
            Payload::ApplySeller {
                shop_name: "shop".into(),
            },
        );
        net.block(vec![tx]);
        let tx = net.sign(
            &admin,
            Payload::ApproveSeller {
                account: seller.public(),
            },
        );
        net.block(vec![tx]);
        let tx = net.sign(
            &seller,
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
        );
        net.block(vec![tx]);

        // The set changes twice: v3 joins, then v1 leaves.
        let tx = net.sign(
            &admin,
            Payload::AddValidator {
                key: validators[3].public(),
                name: "v3".into(),
                p2p_address: P2P.into(),
            },
        );
        net.set_changes[0] = net.block(vec![tx]).header.height;
        let tx = net.sign(
            &admin,
            Payload::RemoveValidator {
                key: validators[1].public(),
            },
        );
        net.set_changes[1] = net.block(vec![tx]).header.height;

        // Piece 1 goes through nine transfers: ten owners in all.
        let mut owner = seller.clone();
        for next in net.members.clone().iter().take(9) {
            let tx = net.sign(
                &owner,
                Payload::TransferItem {
                    item: 1,
                    to: next.public(),
                },
            );
            net.block(vec![tx]);
            owner = next.clone();
        }

        // A raffle on piece 2: eight entries, one cancelled by a withdrawal.
        let secret = Hash::of(b"seller secret");
        let opens = net.height() + 1;
        let tx = net.sign(
            &seller,
            Payload::CreateRaffle(RaffleSpec {
                price: 200_000,
                runners_up: 2,
                ..raffle_by_heights(2, opens, opens + 3, &secret, 3)
            }),
        );
        net.block(vec![tx]);
        net.raffle = 1;
        let entrants: Vec<Keypair> = net.members.iter().take(8).cloned().collect();
        let txs = entrants
            .iter()
            .map(|m| net.sign(m, Payload::EnterRaffle { raffle: 1 }))
            .collect();
        net.block(txs);
        let quitter = entrants[3].clone();
        let tx = net.sign(
            &quitter,
            Payload::WithdrawAccount {
                account: quitter.public(),
            },
        );
        net.block(vec![tx]);
        net.block(Vec::new());
        net.contribute(1, None);
        let tx = net.sign(&seller, Payload::RevealRaffleSecret { raffle: 1, secret });
        net.block(vec![tx]);
        let drawer = net.members[9].clone();
        let tx = net.sign(&drawer, Payload::DrawRaffle { raffle: 1 });
        net.block(vec![tx]);
        net.block(Vec::new());
        net
    }

    fn trust(&self) -> TrustRoot {
        TrustRoot::from(&self.genesis)
    }

    fn anchor_height(&self) -> u64 {
        build::latest_certified(&self.chain, self.height(), 16).unwrap()
    }

    fn item_proof(&self, query: &ItemQuery) -> ItemProof {
        build::item_proof(&self.chain, self.anchor_height(), query).unwrap()
    }

    fn history_proof(&self, item: u64) -> HistoryProof {
        build::history_proof(&self.chain, self.anchor_height(), &ItemQuery::Id(item)).unwrap()
    }

    fn raffle_proof(&self) -> RaffleProof {
        build::raffle_proof(&self.chain, self.anchor_height(), self.raffle).unwrap()
    }
}

/// A one-prize raffle on `item`, open for heights `opens..closes`.
fn raffle_by_heights(
    item: u64,
    opens: u64,
    closes: u64,
    secret: &Hash,
    reveal_blocks: u64,
) -> RaffleSpec {
    RaffleSpec {
        items: vec![item],
        window: EntryWindow::Heights { opens, closes },
        price: 1_000,
        runners_up: 0,
        min_age: None,
        seed_commitment: raffle_commitment(secret),
        reveal_blocks,
        payment_window_ms: 600_000,
    }
}

fn serial_query(serial: &str) -> ItemQuery {
    ItemQuery::Serial {
        brand: "nike".into(),
        model: "dd1391-100".into(),
        serial: serial.into(),
    }
}

fn fresh() -> Freshness {
    Freshness::default()
}

#[test]
fn valid_bundles_verify() {
    let net = Net::new();
    let trust = net.trust();

    let by_id = verify_item(
        &trust,
        &ItemQuery::Id(1),
        &net.item_proof(&ItemQuery::Id(1)),
        fresh(),
    )
    .unwrap();
    assert_eq!(by_id.seller, net.seller.public());
    assert_eq!(by_id.owner, net.members[8].public());
    assert_eq!(by_id.item.serial, "SN-001");
    assert_eq!(by_id.anchor.height, net.height());
    assert_eq!(by_id.anchor.set_changes, 2);
    // Normalized serial lookups find the same piece.
    let query = serial_query(" sn 001 ");
    let by_serial = verify_item(&trust, &query, &net.item_proof(&query), fresh()).unwrap();
    assert_eq!(by_serial, by_id);

    let history =
        verify_history(&trust, &ItemQuery::Id(1), &net.history_proof(1), fresh()).unwrap();
    assert_eq!(history.history.len(), 10, "ten owners");
    assert_eq!(history.history[0].owner, net.seller.public());
    assert_eq!(history.history[9].owner, net.members[8].public());
    // Changes after the validator-set changes are certified by the new set.
    assert!(history.history[1].tx.height > net.set_changes[1]);

    let raffle = verify_raffle(&trust, net.raffle, &net.raffle_proof(), fresh()).unwrap();
    assert_eq!(raffle.entries, 8);
    assert_eq!(
        raffle.eligible.len(),
        7,
        "the withdrawn member's entry is cancelled"
    );
    assert!(!raffle.eligible.contains(&net.members[3].public()));
    assert_eq!(raffle.winners.len(), 1);
    assert_eq!(raffle.runners_up.len(), 2);
    assert!(raffle.seller_revealed);

    let absent = build::absence_proof(
        &net.chain,
        net.anchor_height(),
        "Nike",
        "DD1391-100",
        "SN-999",
    )
    .unwrap();
    assert!(matches!(
        verify_absence(&trust, "Nike", "DD1391-100", "SN-999", &absent, fresh()).unwrap(),
        SerialStatus::NotRegistered { .. }
    ));
    let present = build::absence_proof(
        &net.chain,
        net.anchor_height(),
        "Nike",
        "DD1391-100",
        "SN-002",
    )
    .unwrap();
    assert!(matches!(
        verify_absence(&trust, "Nike", "DD1391-100", "SN-002", &present, fresh()).unwrap(),
        SerialStatus::Registered { item: 2, .. }
    ));
}

/// The chain replays from genesis with every check, and the replay's validator set is
/// the one the fixture's certificates were made with.
#[test]
fn chain_replays_from_genesis() {
    let net = Net::new();
    let trust = net.trust();
    let store = MemoryStore::new();
    let blocks = net.chain.blocks();
    let genesis = check_genesis(&store, &net.genesis, &blocks[0].header).unwrap();
    store.commit(&genesis.changes, &genesis.tree_update);
    let mut parent = genesis.block.header;
    for block in &blocks[1..] {
        let certificate = build::ProofSource::certificate(&net.chain, block.header.height)
            .unwrap()
            .unwrap();
        let executed = check_block(&trust, &store, &parent, block, &certificate).unwrap();
        store.commit(&executed.changes, &executed.tree_update);
        parent = executed.block.header;
    }
    assert_eq!(parent, *net.chain.chain().head());
}

#[test]
fn the_stateless_checks_memoize_the_keys_a_block_admits() {
    let net = Net::new();
    let trust = net.trust();
    let (block, admitted) = net
        .chain
        .blocks()
        .iter()
        .find_map(|block| {
            block
                .transactions
                .iter()
                .find_map(|tx| match tx.tx.payload {
                    Payload::RegisterAccount { account, .. } => Some((block, account)),
                    _ => None,
                })
        })
        .expect("the fixture registers members");
    // Other tests build the same fixture: the memo may hold the key again at once,
    // which can only make this pass, never fail, when the warm-up works.
    admitted.forget_usable();
    check_body_and_signatures(&trust, block).unwrap();
    assert!(
        admitted.known_usable(),
        "re-execution would pay the subgroup test on the replay's thread"
    );
}

#[test]
fn served_blocks_that_differ_are_refused() {
    let net = Net::new();
    let trust = net.trust();
    let store = MemoryStore::new();
    let blocks = net.chain.blocks();
    let genesis = check_genesis(&store, &net.genesis, &blocks[0].header).unwrap();
    store.commit(&genesis.changes, &genesis.tree_update);
    let parent = genesis.block.header;
    let block = &blocks[1];
    let certificate = build::ProofSource::certificate(&net.chain, 1)
        .unwrap()
        .unwrap();

    let mut wrong_root = block.clone();
    wrong_root.header.state_root = Hash::of(b"forged");
    // The certificate no longer matches the header either; the replay catches the root
    // first only when the certificate is re-made, so check both ways.
    assert!(matches!(
        check_block(&trust, &store, &parent, &wrong_root, &certificate),
        Err(VerifyError::Certificate { .. })
    ));
    let recertified = Certificate::from_votes(
        &wrong_root.header,
        &trust.validators,
        ["v0", "v1", "v2"]
            .iter()
            .map(|n| certificate::vote(&key(n), &wrong_root.header)),
    );
    assert!(matches!(
        check_block(&trust, &store, &parent, &wrong_root, &recertified),
        Err(VerifyError::Replay { field, .. }) if field == "state root"
    ));

    let mut dropped_tx = block.clone();
    dropped_tx.transactions.pop();
    assert_eq!(
        check_block(&trust, &store, &parent, &dropped_tx, &certificate).unwrap_err(),
        VerifyError::Body { height: 1 }
    );

    let mut bad_link = block.clone();
    bad_link.header.prev_hash = Hash::ZERO;
    assert!(matches!(
        check_block(&trust, &store, &parent, &bad_link, &certificate),
        Err(VerifyError::ChainLink { height: 1, .. })
    ));

    let mut forged_signature = block.clone();
    forged_signature.transactions[0].signature.0[5] ^= 1;
    // The body roots are over transaction hashes, which do not cover the signature.
    assert!(matches!(
        check_block(&trust, &store, &parent, &forged_signature, &certificate),
        Err(VerifyError::TxSignature {
            height: 1,
            index: 0
        })
    ));

    // Checked ahead of the replay, the verdict is the same, and it is reported after
    // the link checks as `check_block` orders them.
    let ahead = check_body_and_signatures(&trust, &forged_signature);
    assert!(matches!(ahead, Err(VerifyError::TxSignature { .. })));
    let ahead = Prechecked {
        body: ahead,
        certified_under: None,
    };
    assert!(matches!(
        check_block_prechecked(&trust, &store, &parent, &bad_link, &certificate, ahead),
        Err(VerifyError::ChainLink { height: 1, .. })
    ));
    // A certificate checked ahead under another set than the one in force is checked
    // again: one that verified under a set of its own lone signer is refused under the
    // true one.
    let stranger = key("stranger");
    let wrong_set: std::collections::BTreeSet<PublicKey> = [stranger.public()].into();
    let lone = Certificate::from_votes(
        &block.header,
        &wrong_set,
        [certificate::vote(&stranger, &block.header)],
    );
    let ahead = precheck(&trust, block, &lone, &wrong_set);
    assert_eq!(ahead.certified_under.as_ref(), Some(&wrong_set));
    assert!(matches!(
        check_block_prechecked(&trust, &store, &parent, block, &lone, ahead),
        Err(VerifyError::Certificate { height: 1, .. })
    ));
    // A receipt naming another transaction's hash: the body check refuses it before
    // any signature is checked against the receipt's claim.
    let mut misnamed = block.clone();
    misnamed.receipts[0].tx_hash = Hash::of(b"another transaction");
    assert_eq!(
        check_body_and_signatures(&trust, &misnamed),
        Err(VerifyError::Body { height: 1 })
    );
}

// ---------------------------------------------------------------------------------
// Tampering.

fn flip_last(bytes: &mut [u8]) {
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
}

#[test]
fn a_flipped_byte_in_a_record_is_refused() {
    let net = Net::new();
    let mut proof = net.item_proof(&ItemQuery::Id(1));
    // The owner key sits inside the item record; flip a byte of it.
    flip_last(proof.item.value.as_mut().unwrap());
    let error = verify_item(&net.trust(), &ItemQuery::Id(1), &proof, fresh()).unwrap_err();
    assert_eq!(
        error,
        VerifyError::StateProof {
            record: "item 1".into(),
            height: net.anchor_height()
        }
    );
}

#[test]
fn a_flipped_byte_in_a_state_proof_is_refused() {
    let net = Net::new();
    let proof = net.item_proof(&ItemQuery::Id(1));
    let mut bytes = borsh::to_vec(&proof.product.proof).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    let mut tampered = proof.clone();
    match borsh::from_slice(&bytes) {
        Ok(forged) => tampered.product.proof = forged,
        Err(_) => return,
    }
    assert!(matches!(
        verify_item(&net.trust(), &ItemQuery::Id(1), &tampered, fresh()),
        Err(VerifyError::StateProof { record, .. }) if record == "product 1"
    ));
}

#[test]
fn a_flipped_signature_is_refused() {
    let net = Net::new();
    let mut proof = net.item_proof(&ItemQuery::Id(1));
    proof.anchor.block.certificate.signatures[0].0[10] ^= 1;
    assert!(matches!(
        verify_item(&net.trust(), &ItemQuery::Id(1), &proof, fresh()),
        Err(VerifyError::Certificate {
            source: CertificateError::BadSignature(_),
            ..
        })
    ));

    let mut proof = net.item_proof(&ItemQuery::Id(1));
    proof.registration.signature.0[3] ^= 1;
    assert!(matches!(
        verify_item(&net.trust(), &ItemQuery::Id(1), &proof, fresh()),
        Err(VerifyError::Transaction { reason, .. }) if reason.starts_with("signature")
    ));
}

#[test]
fn another_items_record_is_refused() {
    let net = Net::new();
    let mut proof = net.item_proof(&ItemQuery::Id(1));
    let other = net.item_proof(&ItemQuery::Id(3));
    // Item 3's record with its own valid proof, served for item 1.
    proof.item = other.item.clone();
    assert_eq!(
        verify_item(&net.trust(), &ItemQuery::Id(1), &proof, fresh()).unwrap_err(),
        VerifyError::StateProof {
            record: "item 1".into(),
            height: net.anchor_height()
        }
    );
    // Item 3's whole bundle, served for item 1: the id inside does not match.
    assert!(matches!(
        verify_item(&net.trust(), &ItemQuery::Id(1), &other, fresh()),
        Err(VerifyError::StateProof { .. })
    ));
    // Item 3's bundle for a serial lookup of SN-001.
    let query = serial_query("SN-001");
    assert!(matches!(
        verify_item(&net.trust(), &query, &other, fresh()),
        Err(VerifyError::StateProof { record, .. }) if record.contains("serial index")
    ));
}

#[test]
fn an_old_header_is_refused() {
    let net = Net::new();
    let proof = net.item_proof(&ItemQuery::Id(1));
    // The proofs are against the latest root; an older certified header is served.
    // Three of the nine transfers of piece 1 had happened by then.
    let old = net.set_changes[1] + 3;
    let mut tampered = proof.clone();
    tampered.anchor = build::anchor(&net.chain, old).unwrap();
    assert!(matches!(
        verify_item(&net.trust(), &ItemQuery::Id(1), &tampered, fresh()),
        Err(VerifyError::StateProof { height, .. }) if height == old
    ));
    // A whole bundle built at an old height is valid but stale for an auditor that saw
    // a later header.
    let stale = build::item_proof(&net.chain, old, &ItemQuery::Id(1)).unwrap();
    let min_height = Freshness {
        min_height: Some(net.anchor_height()),
    };
    assert_eq!(
        verify_item(&net.trust(), &ItemQuery::Id(1), &stale, min_height).unwrap_err(),
        VerifyError::Stale {
            height: old,
            min_height: net.anchor_height()
        }
    );
    // ... and it shows an older owner, which is why the verdict names its anchor.
    let verdict = verify_item(&net.trust(), &ItemQuery::Id(1), &stale, fresh()).unwrap();
    assert_eq!(verdict.owner, net.members[2].public());
    assert_eq!(verdict.anchor.height, old);
}

#[test]
fn certificates_by_outsiders_or_too_few_are_refused() {
    let net = Net::new();
    let proof = net.item_proof(&ItemQuery::Id(1));
    let header = proof.anchor.block.header.clone();

    // The set in force at the anchor: v0, v2, v3 (v1 left).
    let in_force: BTreeSet<PublicKey> =
        ["v0", "v2", "v3"].iter().map(|n| key(n).public()).collect();
    let outsiders: BTreeSet<PublicKey> =
        ["x0", "x1", "x2"].iter().map(|n| key(n).public()).collect();
    let mut tampered = proof.clone();
    tampered.anchor.block.certificate = Certificate::from_votes(
        &header,
        &outsiders,
        ["x0", "x1", "x2"]
            .iter()
            .map(|n| certificate::vote(&key(n), &header)),
    );
    assert!(matches!(
        verify_item(&net.trust(), &ItemQuery::Id(1), &tampered, fresh()),
        Err(VerifyError::Certificate {
            source: CertificateError::BadSignature(_),
            ..
        })
    ));

    // v1 left the set before the anchor: a certificate read against the old set does
    // not check against the set in force.
    let old_set: BTreeSet<PublicKey> = ["v0", "v1", "v2", "v3"]
        .iter()
        .map(|n| key(n).public())
        .collect();
    let mut tampered = proof.clone();
    tampered.anchor.block.certificate = Certificate::from_votes(
        &header,
        &old_set,
        ["v0", "v1", "v2"]
            .iter()
            .map(|n| certificate::vote(&key(n), &header)),
    );
    // (Which failure depends on where v1's key sorts: a signature at another key's
    // position, or a position past the set.)
    assert!(matches!(
        verify_item(&net.trust(), &ItemQuery::Id(1), &tampered, fresh()),
        Err(VerifyError::Certificate {
            source: CertificateError::BadSignature(_) | CertificateError::BadSigners { .. },
            ..
        })
    ));

    // Two of the three validators in force: a strict majority, not more than two thirds.
    let mut tampered = proof.clone();
    tampered.anchor.block.certificate = Certificate::from_votes(
        &header,
        &in_force,
        ["v0", "v2"]
            .iter()
            .map(|n| certificate::vote(&key(n), &header)),
    );
    assert!(matches!(
        verify_item(&net.trust(), &ItemQuery::Id(1), &tampered, fresh()),
        Err(VerifyError::Certificate {
            source: CertificateError::NoQuorum {
                have: 2,
                need: 3,
                validators: 3
            },
            ..
        })
    ));
}

#[test]
fn a_certificate_by_the_new_set_for_a_change_block_is_refused() {
    // The change block that added v3 must be certified by the set before it
    // ({v0, v1, v2}); v3's vote is not counted there.
    let net = Net::new();
    let mut proof = net.item_proof(&ItemQuery::Id(1));
    let change = &mut proof.anchor.set_changes[0];
    assert_eq!(change.block.header.height, net.set_changes[0]);
    let header = change.block.header.clone();
    let new_set: BTreeSet<PublicKey> = ["v0", "v1", "v2", "v3"]
        .iter()
        .map(|n| key(n).public())
        .collect();
    change.block.certificate = Certificate::from_votes(
        &header,
        &new_set,
        ["v0", "v2", "v3"]
            .iter()
            .map(|n| certificate::vote(&key(n), &header)),
    );
    assert!(matches!(
        verify_item(&net.trust(), &ItemQuery::Id(1), &proof, fresh()),
        Err(VerifyError::Certificate {
            source: CertificateError::BadSigners { .. },
            height,
            ..
        }) if height == net.set_changes[0]
    ));
}

#[test]
fn a_left_out_validator_change_is_refused() {
    let net = Net::new();
    for left_out in 0..2 {
        let mut proof = net.item_proof(&ItemQuery::Id(1));
        proof.anchor.set_changes.remove(left_out);
        let error = verify_item(&net.trust(), &ItemQuery::Id(1), &proof, fresh()).unwrap_err();
        assert!(
            matches!(
                error,
                VerifyError::ValidatorSetHistory(_) | VerifyError::Certificate { .. }
            ),
            "{error}"
        );
    }
    let mut proof = net.item_proof(&ItemQuery::Id(1));
    proof.anchor.set_changes.clear();
    assert!(matches!(
        verify_item(&net.trust(), &ItemQuery::Id(1), &proof, fresh()),
        Err(VerifyError::Certificate { .. } | VerifyError::ValidatorSetHistory(_))
    ));
}

#[test]
fn a_truncated_history_is_refused() {
    let net = Net::new();
    let mut proof = net.history_proof(1);
    proof.entries.pop();
    assert_eq!(
        verify_history(&net.trust(), &ItemQuery::Id(1), &proof, fresh()).unwrap_err(),
        VerifyError::HistoryLength {
            item: 1,
            expected: 10,
            found: 9
        }
    );
    // Dropping a middle entry shifts the rest: the record at sequence 4 is item 1's
    // fifth record, which the served entry is not.
    let mut proof = net.history_proof(1);
    proof.entries.remove(4);
    assert!(verify_history(&net.trust(), &ItemQuery::Id(1), &proof, fresh()).is_err());
}

#[test]
fn a_history_with_a_foreign_transaction_is_refused() {
    let net = Net::new();
    let mut proof = net.history_proof(1);
    let other = proof.entries[3].clone();
    proof.entries[2].transaction = other.transaction;
    assert!(matches!(
        verify_history(&net.trust(), &ItemQuery::Id(1), &proof, fresh()),
        Err(VerifyError::Transaction { what, reason, .. })
            if what.contains("change 2") && reason.contains("names")
    ));
    let mut proof = net.history_proof(1);
    proof.entries[5]
        .transaction_proof
        .siblings
        .push(Hash::of(b"x"));
    assert!(matches!(
        verify_history(&net.trust(), &ItemQuery::Id(1), &proof, fresh()),
        Err(VerifyError::Inclusion { what, .. }) if what.contains("transaction of ownership change 5")
    ));
}

#[test]
fn a_fake_absence_proof_is_refused() {
    let net = Net::new();
    let height = net.anchor_height();
    // The node claims SN-002 is not registered, with the absence proof of another serial.
    let other = build::absence_proof(&net.chain, height, "Nike", "DD1391-100", "SN-999").unwrap();
    let error = verify_absence(
        &net.trust(),
        "Nike",
        "DD1391-100",
        "SN-002",
        &other,
        fresh(),
    )
    .unwrap_err();
    assert!(
        matches!(error, VerifyError::StateProof { ref record, .. } if record.contains("SN-002"))
    );
    // Or drops the value from the real proof.
    let mut real =
        build::absence_proof(&net.chain, height, "Nike", "DD1391-100", "SN-002").unwrap();
    real.serial.value = None;
    assert!(matches!(
        verify_absence(&net.trust(), "Nike", "DD1391-100", "SN-002", &real, fresh()),
        Err(VerifyError::StateProof { .. })
    ));
}

#[test]
fn a_forged_draw_is_refused() {
    let net = Net::new();
    let mut proof = net.raffle_proof();
    // Leaving an entry out.
    proof.entries.pop();
    assert!(matches!(
        verify_raffle(&net.trust(), net.raffle, &proof, fresh()),
        Err(VerifyError::EntryCount {
            expected: 8,
            found: 7,
            ..
        })
    ));
    // Another block as the closing block.
    let mut proof = net.raffle_proof();
    let other = build::anchor(&net.chain, 5).unwrap().block;
    proof.closing = Some(other);
    assert!(matches!(
        verify_raffle(&net.trust(), net.raffle, &proof, fresh()),
        Err(VerifyError::Mismatch { what, .. }) if what.contains("closing block")
    ));
}

/// Every single-byte change of a valid, borsh-encoded item bundle is refused: either
/// the bytes no longer decode, or verification fails.
#[test]
fn every_byte_of_an_item_bundle_matters() {
    let net = Net::new();
    let trust = net.trust();
    let query = ItemQuery::Id(1);
    let bytes = encode_bundle(&net.item_proof(&query));
    assert!(verify_item(&trust, &query, &decode_bundle(&bytes).unwrap(), fresh()).is_ok());
    let mut accepted = Vec::new();
    for position in 0..bytes.len() {
        for mask in [0x01u8, 0x80] {
            let mut mutated = bytes.clone();
            mutated[position] ^= mask;
            let verdict = decode_bundle::<ItemProof>(&mutated)
                .and_then(|proof| verify_item(&trust, &query, &proof, fresh()));
            if verdict.is_ok() {
                accepted.push((position, mask));
            }
        }
    }
    assert!(
        accepted.is_empty(),
        "mutations accepted at {accepted:?} of {}",
        bytes.len()
    );
}

/// The same over a history bundle (ten owners), one bit per byte.
#[test]
fn every_byte_of_a_history_bundle_matters() {
    let net = Net::new();
    let trust = net.trust();
    let query = ItemQuery::Id(1);
    let bytes = encode_bundle(&net.history_proof(1));
    assert!(verify_history(&trust, &query, &decode_bundle(&bytes).unwrap(), fresh()).is_ok());
    let mut accepted = Vec::new();
    for position in 0..bytes.len() {
        let mut mutated = bytes.clone();
        mutated[position] ^= 0x01;
        let verdict = decode_bundle::<HistoryProof>(&mutated)
            .and_then(|proof| verify_history(&trust, &query, &proof, fresh()));
        if verdict.is_ok() {
            accepted.push(position);
        }
    }
    assert!(
        accepted.is_empty(),
        "mutations accepted at {accepted:?} of {}",
        bytes.len()
    );
}

/// The same over a raffle bundle, through the fuzz target's entry point (which also
/// holds an accepted bundle to its one encoding): the bundle is accepted whole and
/// refused with a byte more, or with any one bit changed.
#[test]
fn every_byte_of_a_raffle_bundle_matters() {
    use crate::fuzzing::verify_raffle_bundle;
    let net = Net::new();
    let trust = net.trust();
    let bytes = encode_bundle(&net.raffle_proof());
    let verdict = verify_raffle_bundle(&trust, net.raffle, &bytes).unwrap();
    assert_eq!(verdict.status, RaffleStatus::Drawn);
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(verify_raffle_bundle(&trust, net.raffle, &longer).is_err());
    let mut accepted = Vec::new();
    for position in 0..bytes.len() {
        let mut mutated = bytes.clone();
        mutated[position] ^= 0x01;
        if verify_raffle_bundle(&trust, net.raffle, &mutated).is_ok() {
            accepted.push(position);
        }
    }
    assert!(
        accepted.is_empty(),
        "mutations accepted at {accepted:?} of {}",
        bytes.len()
    );
}

/// Pages of a raffle bundle anchored at one height concatenate into the whole bundle;
/// one page short of the rest is refused by its entry count.
#[test]
fn raffle_pages_concatenate_into_the_whole_bundle() {
    let net = Net::new();
    let trust = net.trust();
    let height = net.anchor_height();
    let whole = net.raffle_proof();
    let count = build::raffle_entry_count(&net.chain, height, net.raffle).unwrap();
    assert_eq!(count as usize, whole.entries.len());
    assert!(count >= 2, "the fixture has entries to page");
    let mut paged = build::raffle_proof_page(&net.chain, height, net.raffle, 0, 1).unwrap();
    assert_eq!(paged.entries.len(), 1);
    assert!(matches!(
        verify_raffle(&trust, net.raffle, &paged, fresh()),
        Err(VerifyError::EntryCount { .. })
    ));
    let mut first = 1;
    loop {
        let page = build::raffle_proof_page(&net.chain, height, net.raffle, first, 1).unwrap();
        if page.entries.is_empty() {
            break;
        }
        first += 1;
        paged.entries.extend(page.entries);
    }
    assert_eq!(encode_bundle(&paged), encode_bundle(&whole));
    assert!(verify_raffle(&trust, net.raffle, &paged, fresh()).is_ok());
}

#[test]
fn set_records_link_every_change() {
    let net = Net::new();
    let [first, second] = net.set_changes;
    let genesis = net.chain.validator_set_after(0).unwrap().unwrap();
    assert_eq!((genesis.changed_at, genesis.previous_change), (0, None));
    assert_eq!(genesis.keys.len(), 3);
    let after_first = net.chain.validator_set_after(first).unwrap().unwrap();
    assert_eq!(
        (after_first.changed_at, after_first.previous_change),
        (first, Some(0))
    );
    assert_eq!(after_first.keys.len(), 4);
    let after_second = net.chain.validator_set_after(second).unwrap().unwrap();
    assert_eq!(
        (after_second.changed_at, after_second.previous_change),
        (second, Some(first))
    );
    let expected: BTreeSet<PublicKey> =
        ["v0", "v2", "v3"].iter().map(|n| key(n).public()).collect();
    assert_eq!(
        after_second.keys.iter().copied().collect::<BTreeSet<_>>(),
        expected
    );
    assert_eq!(
        net.chain
            .validator_set_after(net.height())
            .unwrap()
            .unwrap(),
        after_second
    );
    let _ = keys::validator_set();
}

/// A raffle whose seller never reveals: before the deadline the proven record is
/// closed and waiting; after the void it verifies as void, with no seed and no winners.
#[test]
fn a_void_raffle_verifies_as_void() {
    let mut net = Net::new();
    let seller = net.seller.clone();
    let opens = net.height() + 1;
    let tx = net.sign(
        &seller,
        Payload::CreateRaffle(raffle_by_heights(
            3,
            opens,
            opens + 2,
            &Hash::of(b"withheld"),
            2,
        )),
    );
    net.block(vec![tx]);
    let raffle = 2;
    let entrant = net.members[9].clone();
    let tx = net.sign(&entrant, Payload::EnterRaffle { raffle });
    net.block(vec![tx]);
    // The close and the contributions, then the reveal blocks pass without the secret.
    for _ in 0..3 {
        net.block(Vec::new());
    }
    net.contribute(raffle, None);
    let waiting = build::raffle_proof(&net.chain, net.anchor_height(), raffle).unwrap();
    let verdict = verify_raffle(&net.trust(), raffle, &waiting, fresh()).unwrap();
    assert_eq!(verdict.status, RaffleStatus::Closed);
    assert!(verdict.missing_contributors.is_empty());
    assert_eq!(verdict.contributions.len(), verdict.validators.len());
    for _ in 0..3 {
        net.block(Vec::new());
    }
    let tx = net.sign(&entrant, Payload::DrawRaffle { raffle });
    let block = net.block(vec![tx]);
    assert!(matches!(
        &block.receipts[0].outcome,
        crate::block::Outcome::Applied {
            effect: crate::block::Effect::RaffleVoided { raffle: 2 }
        }
    ));
    net.block(Vec::new());
    let proof = build::raffle_proof(&net.chain, net.anchor_height(), raffle).unwrap();
    let verdict = verify_raffle(&net.trust(), raffle, &proof, fresh()).unwrap();
    assert_eq!(verdict.status, RaffleStatus::Void);
    assert!(!verdict.seller_revealed);
    assert_eq!((verdict.seed, verdict.drawn), (None, None));
    assert!(verdict.winners.is_empty());
    assert_eq!(verdict.eligible, vec![entrant.public()]);
}

/// A raffle whose contributions are not all in by the deadline verifies as void, with
/// the missing validator named and the seller not blamed.
#[test]
fn a_raffle_void_for_a_missing_contribution_names_the_validator() {
    let mut net = Net::new();
    let seller = net.seller.clone();
    let opens = net.height() + 1;
    let tx = net.sign(
        &seller,
        Payload::CreateRaffle(raffle_by_heights(3, opens, opens + 2, &Hash::of(b"s"), 2)),
    );
    net.block(vec![tx]);
    let raffle = 2;
    let entrant = net.members[9].clone();
    let tx = net.sign(&entrant, Payload::EnterRaffle { raffle });
    net.block(vec![tx]);
    for _ in 0..3 {
        net.block(Vec::new());
    }
    let set = net.raffle_record(raffle).randomness.unwrap().validators;
    let withholder = set[1];
    net.contribute(raffle, Some(withholder));
    let deadline = net
        .raffle_record(raffle)
        .randomness
        .unwrap()
        .contribution_deadline;
    while net.height() <= deadline.height {
        net.block(Vec::new());
    }
    let tx = net.sign(&entrant, Payload::DrawRaffle { raffle });
    net.block(vec![tx]);
    net.block(Vec::new());
    let proof = build::raffle_proof(&net.chain, net.anchor_height(), raffle).unwrap();
    let verdict = verify_raffle(&net.trust(), raffle, &proof, fresh()).unwrap();
    assert_eq!(verdict.status, RaffleStatus::Void);
    assert_eq!(verdict.missing_contributors, vec![withholder]);
    assert_eq!(verdict.contributions.len(), set.len() - 1);
    assert!(!verdict.seller_revealed);
    assert!(verdict.winners.is_empty());
}

/// Every input of the seed is checked: the drawn raffle's verdict shows each
/// contribution with its output; a changed proof, a contribution left out or added, a
/// contributor set other than the validators after the closing block, or contributions
/// out of order are refused by the one rule (`check_contributions`).
#[test]
fn changed_contributions_are_refused() {
    use super::raffle::check_contributions;
    let net = Net::new();
    let verdict = verify_raffle(&net.trust(), net.raffle, &net.raffle_proof(), fresh()).unwrap();
    assert_eq!(verdict.contributions.len(), verdict.validators.len());
    assert!(verdict.validators.len() >= 3);
    assert!(verdict.missing_contributors.is_empty());
    assert!(verdict.secret.is_some() && verdict.seed.is_some());
    let record = net.raffle_record(net.raffle);
    let randomness = record.randomness.clone().unwrap();
    let closing = record.closing_block.unwrap();
    let alpha = crate::draw::vrf_input(&net.genesis.chain_id, net.raffle, &closing.hash);
    let set = randomness.validators.clone();
    let checked = check_contributions(&alpha, &randomness, &set).unwrap();
    assert_eq!(
        checked.iter().map(|c| c.output.clone()).collect::<Vec<_>>(),
        verdict
            .contributions
            .iter()
            .map(|c| c.output.clone())
            .collect::<Vec<_>>()
    );
    // A flipped bit anywhere in a proof.
    for byte in [0usize, 31, 32, 47, 48, 79] {
        let mut changed = randomness.clone();
        changed.contributions[1].proof.0[byte] ^= 0x01;
        let error = check_contributions(&alpha, &changed, &set).unwrap_err();
        assert!(error.contains("contribution of"), "{error}");
    }
    // Another validator's proof under this one's name.
    let mut swapped = randomness.clone();
    swapped.contributions[0].proof = randomness.contributions[1].proof;
    assert!(check_contributions(&alpha, &swapped, &set).is_err());
    // Over another input (another closing block).
    let other = crate::draw::vrf_input(&net.genesis.chain_id, net.raffle, &Hash::of(b"ground"));
    assert!(check_contributions(&other, &randomness, &set).is_err());
    // One left out while the record says complete.
    let mut fewer = randomness.clone();
    fewer.contributions.remove(0);
    assert!(check_contributions(&alpha, &fewer, &set)
        .unwrap_err()
        .contains("complete"));
    // Twice the same, or out of order.
    let mut twice = randomness.clone();
    twice.contributions[1] = twice.contributions[0];
    assert!(check_contributions(&alpha, &twice, &set).is_err());
    let mut reordered = randomness.clone();
    reordered.contributions.swap(0, 1);
    assert!(check_contributions(&alpha, &reordered, &set)
        .unwrap_err()
        .contains("order"));
    // A contributor set that is not the validators after the closing block.
    let smaller: Vec<PublicKey> = set[1..].to_vec();
    assert!(check_contributions(&alpha, &randomness, &smaller)
        .unwrap_err()
        .contains("contributing validators"));
}
