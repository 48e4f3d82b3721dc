//! Items: authenticity and owner, ownership history, and serials never registered.

use serde::{Deserialize, Serialize};

use super::anchor::{verify_anchor, CertifiedState, Freshness};
use super::bundle::{AbsenceProof, HistoryEntry, HistoryProof, ItemProof, ItemQuery};
use super::{TrustRoot, VerifyError};
use crate::block::BlockHeader;
use crate::crypto::PublicKey;
use crate::hash::Hash;
use crate::merkle::leaf_hash;
use crate::state::keys;
use crate::tx::{Payload, SignedTransaction};
use crate::types::{Acquisition, Item, OwnershipRecord, Product, TxRef};

/// The anchor a verdict was reached against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AnchorSummary {
    /// Height of the certified header.
    pub height: u64,
    /// Its hash.
    pub hash: Hash,
    /// Its time, ms since the Unix epoch.
    pub time_ms: u64,
    /// Validators whose quorum (more than two thirds) certified it.
    pub validators: Vec<PublicKey>,
    /// Validator-set changes traced from genesis.
    pub set_changes: usize,
}

impl AnchorSummary {
    pub(super) fn of(state: &CertifiedState) -> AnchorSummary {
        AnchorSummary {
            height: state.header.height,
            hash: state.hash,
            time_ms: state.header.time_ms,
            validators: state
                .sets
                .certifying(state.header.height)
                .iter()
                .copied()
                .collect(),
            set_changes: state.sets.changes().len() - 1,
        }
    }
}

/// An authentic item: registered by its seller's signed transaction, owned as stated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ItemVerdict {
    /// The certified state this holds at.
    pub anchor: AnchorSummary,
    /// The item.
    pub item: Item,
    /// Its edition.
    pub product: Product,
    /// The seller that registered it (and signed the registration).
    pub seller: PublicKey,
    /// The registering transaction.
    pub registered: TxRef,
    /// The current owner.
    pub owner: PublicKey,
    /// The transaction that made them the owner.
    pub owner_since: TxRef,
}

/// One verified step of an ownership history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OwnershipStep {
    /// Position in the history, from 0.
    pub sequence: u32,
    /// The owner from this step.
    pub owner: PublicKey,
    /// How they got it.
    pub acquisition: Acquisition,
    /// The transaction, included and applied in a certified block.
    pub tx: TxRef,
    /// Who signed it.
    pub signer: PublicKey,
    /// The block's time, ms since the Unix epoch.
    pub block_time_ms: u64,
}

/// An authentic item with its whole, verified ownership history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HistoryVerdict {
    /// The item verdict.
    pub item: ItemVerdict,
    /// Every owner, from the registration on.
    pub history: Vec<OwnershipStep>,
}

/// Whether a serial number is registered, as proven.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum SerialStatus {
    /// Never registered, as of the anchor.
    NotRegistered {
        /// The certified state.
        anchor: AnchorSummary,
    },
    /// Registered as this item.
    Registered {
        /// The certified state.
        anchor: AnchorSummary,
        /// The item id.
        item: u64,
    },
}

fn serial_record(brand: &str, model: &str, serial: &str) -> String {
    format!("the serial index entry of {brand}/{model}/{serial}")
}

/// Checks an item bundle: the anchor, the item, its product, the serial index and the
/// seller's signed registration.
pub fn verify_item(
    trust: &TrustRoot,
    query: &ItemQuery,
    proof: &ItemProof,
    freshness: Freshness,
) -> Result<ItemVerdict, VerifyError> {
    let state = verify_anchor(trust, &proof.anchor, freshness)?;
    check_item(trust, &state, query, proof)
}

fn check_item(
    trust: &TrustRoot,
    state: &CertifiedState,
    query: &ItemQuery,
    proof: &ItemProof,
) -> Result<ItemVerdict, VerifyError> {
    let id = match query {
        ItemQuery::Id(id) => *id,
        ItemQuery::Serial {
            brand,
            model,
            serial,
        } => state.record::<u64>(
            || serial_record(brand, model, serial),
            &keys::serial(brand, model, serial),
            &proof.serial,
        )?,
    };
    let item: Item = state.record(|| format!("item {id}"), &keys::item(id), &proof.item)?;
    mismatch("id of the proven item record", id, item.id)?;
    let product: Product = state.record(
        || format!("product {}", item.product),
        &keys::product(item.product),
        &proof.product,
    )?;
    mismatch("id of the proven product record", item.product, product.id)?;
    mismatch(
        "edition size of the item",
        product.edition_size,
        item.edition_size,
    )?;
    if item.edition == 0
        || item.edition > product.edition_size
        || product.first_item + u64::from(item.edition) - 1 != item.id
    {
        return Err(VerifyError::Mismatch {
            what: format!("item {id}'s place in product {}", product.id),
            expected: format!(
                "edition k/{} with id {} + k - 1",
                product.edition_size, product.first_item
            ),
            found: format!("{}/{}", item.edition, item.edition_size),
        });
    }
    // The serial index maps the item's own serial to it: the serial is unique.
    let own_serial_key = keys::serial(&product.brand, &product.model, &item.serial);
    if let ItemQuery::Serial {
        brand,
        model,
        serial,
    } = query
    {
        if keys::serial(brand, model, serial) != own_serial_key {
            return Err(VerifyError::Mismatch {
                what: "the served item's brand/model/serial".into(),
                expected: format!("{brand}/{model}/{serial}"),
                found: format!("{}/{}/{}", product.brand, product.model, item.serial),
            });
        }
    } else {
        let indexed: u64 = state.record(
            || serial_record(&product.brand, &product.model, &item.serial),
            &own_serial_key,
            &proof.serial,
        )?;
        mismatch("item the serial index names", id, indexed)?;
    }
    check_registration(trust, &product, &item, &proof.registration)?;
    Ok(ItemVerdict {
        anchor: AnchorSummary::of(state),
        seller: product.seller,
        registered: product.registered,
        owner: item.owner,
        owner_since: item.owner_since,
        item,
        product,
    })
}

fn mismatch<T: PartialEq + std::fmt::Display>(
    what: &str,
    expected: T,
    found: T,
) -> Result<(), VerifyError> {
    if expected == found {
        Ok(())
    } else {
        Err(VerifyError::Mismatch {
            what: what.to_owned(),
            expected: expected.to_string(),
            found: found.to_string(),
        })
    }
}

fn tx_error(what: &str, tx: &SignedTransaction, reason: impl Into<String>) -> VerifyError {
    VerifyError::Transaction {
        what: what.to_owned(),
        tx: tx.hash(),
        reason: reason.into(),
    }
}

/// Chain id and signature of a transaction from a bundle.
fn check_signed(
    trust: &TrustRoot,
    what: &str,
    tx: &SignedTransaction,
) -> Result<Hash, VerifyError> {
    if tx.tx.chain_id != trust.chain_id {
        return Err(tx_error(what, tx, "signed for another chain"));
    }
    let hash = tx.hash();
    tx.tx
        .signer
        .verify(hash.as_bytes(), &tx.signature)
        .map_err(|e| tx_error(what, tx, format!("signature: {e}")))?;
    Ok(hash)
}

/// The registering transaction is the one the product names, signed by its seller,
/// and registers this item's serial at its edition number.
fn check_registration(
    trust: &TrustRoot,
    product: &Product,
    item: &Item,
    tx: &SignedTransaction,
) -> Result<(), VerifyError> {
    let what = "the registration";
    let hash = tx.hash();
    if hash != product.registered.tx_hash {
        return Err(tx_error(
            what,
            tx,
            format!(
                "the product record names registration {}",
                product.registered.tx_hash
            ),
        ));
    }
    check_signed(trust, what, tx)?;
    if tx.tx.signer != product.seller {
        return Err(tx_error(
            what,
            tx,
            format!(
                "signed by {}, not the seller {}",
                tx.tx.signer, product.seller
            ),
        ));
    }
    let Payload::RegisterProduct(spec) = &tx.tx.payload else {
        return Err(tx_error(
            what,
            tx,
            format!("is a {}, not a product registration", tx.tx.payload.kind()),
        ));
    };
    let serial = spec.serials.get(item.edition as usize - 1);
    if spec.brand.trim() != product.brand
        || spec.model.trim() != product.model
        || spec.serials.len() != product.edition_size as usize
        || serial.map(|s| s.trim()) != Some(item.serial.as_str())
    {
        return Err(tx_error(
            what,
            tx,
            format!(
                "does not register {}/{} serial {} as piece {}/{}",
                product.brand, product.model, item.serial, item.edition, product.edition_size
            ),
        ));
    }
    Ok(())
}

/// Checks a history bundle: the item (as [`verify_item`]) and every ownership change,
/// each included and applied in a block certified by the validators of its height.
pub fn verify_history(
    trust: &TrustRoot,
    query: &ItemQuery,
    proof: &HistoryProof,
    freshness: Freshness,
) -> Result<HistoryVerdict, VerifyError> {
    let state = verify_anchor(trust, &proof.item.anchor, freshness)?;
    let verdict = check_item(trust, &state, query, &proof.item)?;
    let item = &verdict.item;
    if proof.entries.len() != item.history_len as usize {
        return Err(VerifyError::HistoryLength {
            item: item.id,
            expected: item.history_len,
            found: proof.entries.len(),
        });
    }
    let mut history = Vec::with_capacity(proof.entries.len());
    let mut previous: Option<&OwnershipRecord> = None;
    let mut records = Vec::with_capacity(proof.entries.len());
    for (sequence, entry) in proof.entries.iter().enumerate() {
        let sequence = sequence as u32;
        let record: OwnershipRecord = state.record(
            || format!("ownership record {sequence} of item {}", item.id),
            &keys::ownership(item.id, sequence),
            &entry.record,
        )?;
        mismatch(
            &format!("item of ownership record {sequence}"),
            item.id,
            record.item,
        )?;
        mismatch(
            &format!("sequence of ownership record {sequence}"),
            sequence,
            record.sequence,
        )?;
        records.push(record);
    }
    for (entry, record) in proof.entries.iter().zip(&records) {
        let signer = check_entry(trust, &state, &verdict, previous, record, entry)?;
        history.push(OwnershipStep {
            sequence: record.sequence,
            owner: record.owner,
            acquisition: record.acquisition,
            tx: record.tx,
            signer,
            block_time_ms: entry.block.header.time_ms,
        });
        previous = Some(record);
    }
    let last = records.last().ok_or(VerifyError::HistoryLength {
        item: item.id,
        expected: item.history_len,
        found: 0,
    })?;
    mismatch("owner of the last ownership record", item.owner, last.owner)?;
    if last.tx != item.owner_since {
        return Err(VerifyError::Mismatch {
            what: "transaction of the last ownership record".into(),
            expected: format!("{:?}", item.owner_since),
            found: format!("{:?}", last.tx),
        });
    }
    Ok(HistoryVerdict {
        item: verdict,
        history,
    })
}

/// One ownership change: its block is certified, its transaction is the one recorded,
/// included at the recorded position, validly signed, applied, and of the right kind.
fn check_entry(
    trust: &TrustRoot,
    state: &CertifiedState,
    verdict: &ItemVerdict,
    previous: Option<&OwnershipRecord>,
    record: &OwnershipRecord,
    entry: &HistoryEntry,
) -> Result<PublicKey, VerifyError> {
    let sequence = record.sequence;
    let what = format!("ownership change {sequence} of item {}", record.item);
    let header: &BlockHeader = &entry.block.header;
    mismatch(
        &format!("height of the block of {what}"),
        record.tx.height,
        header.height,
    )?;
    state.check_certified(|| format!("block of {what}"), trust, &entry.block)?;
    if let Some(previous) = previous {
        let order = (previous.tx.height, previous.tx.index);
        if (record.tx.height, record.tx.index) <= order {
            return Err(VerifyError::Mismatch {
                what: format!("position of {what}"),
                expected: format!("after block {} transaction {}", order.0, order.1),
                found: format!("block {} transaction {}", record.tx.height, record.tx.index),
            });
        }
    }
    let tx = &entry.transaction;
    let hash = tx.hash();
    if hash != record.tx.tx_hash {
        return Err(tx_error(
            &what,
            tx,
            format!("the ownership record names {}", record.tx.tx_hash),
        ));
    }
    let count = header.transaction_count;
    let included = |proof: &crate::merkle::MerkleProof, leaf: Hash, root: &Hash| {
        proof.index == record.tx.index && proof.leaf_count == count && proof.verify(&leaf, root)
    };
    if !included(
        &entry.transaction_proof,
        leaf_hash(hash.as_bytes()),
        &header.transactions_root,
    ) {
        return Err(VerifyError::Inclusion {
            what: format!("the transaction of {what}"),
            height: header.height,
        });
    }
    let receipt_bytes = borsh::to_vec(&entry.receipt).expect("encoding to a Vec cannot fail");
    if !included(
        &entry.receipt_proof,
        leaf_hash(&receipt_bytes),
        &header.receipts_root,
    ) {
        return Err(VerifyError::Inclusion {
            what: format!("the receipt of {what}"),
            height: header.height,
        });
    }
    if entry.receipt.tx_hash != hash || !entry.receipt.is_applied() {
        return Err(tx_error(&what, tx, "its receipt does not show it applied"));
    }
    check_signed(trust, &what, tx)?;
    let signer = tx.tx.signer;
    let kind_error = |expected: &str| {
        tx_error(
            &what,
            tx,
            format!(
                "is a {} signed by {signer}; a {:?} step needs {expected}",
                tx.tx.payload.kind(),
                record.acquisition
            ),
        )
    };
    match (record.acquisition, &tx.tx.payload, previous) {
        (Acquisition::Registered, Payload::RegisterProduct(_), None) => {
            if record.tx != verdict.registered || record.owner != verdict.seller {
                return Err(kind_error("the product's own registration by its seller"));
            }
        }
        (Acquisition::Transferred, Payload::TransferItem { item, to }, Some(previous)) => {
            if *item != record.item || *to != record.owner || signer != previous.owner {
                return Err(kind_error(
                    "a transfer of this item to the new owner signed by the previous owner",
                ));
            }
        }
        (Acquisition::Purchased(order), Payload::SettlePayment { order: paid, .. }, Some(_))
            if order == *paid => {}
        (
            Acquisition::Refunded(order),
            Payload::RefundOrder {
                order: refunded, ..
            },
            Some(_),
        ) if order == *refunded => {}
        (Acquisition::Registered, _, _) => {
            return Err(kind_error("the registration, first in the history"))
        }
        (Acquisition::Transferred, _, _) => return Err(kind_error("a transfer")),
        (Acquisition::Purchased(_), _, _) => {
            return Err(kind_error("the settlement of the same order"))
        }
        (Acquisition::Refunded(_), _, _) => return Err(kind_error("the refund of the same order")),
    }
    Ok(signer)
}

/// Checks whether a serial number is registered, from an absence (or presence) proof.
pub fn verify_absence(
    trust: &TrustRoot,
    brand: &str,
    model: &str,
    serial: &str,
    proof: &AbsenceProof,
    freshness: Freshness,
) -> Result<SerialStatus, VerifyError> {
    let state = verify_anchor(trust, &proof.anchor, freshness)?;
    let record = || serial_record(brand, model, serial);
    let key = keys::serial(brand, model, serial);
    let anchor = AnchorSummary::of(&state);
    match state.proven(record, &key, &proof.serial)? {
        None => Ok(SerialStatus::NotRegistered { anchor }),
        Some(bytes) => {
            let item = super::anchor::decode(record, state.header.height, bytes)?;
            Ok(SerialStatus::Registered { anchor, item })
        }
    }
}
