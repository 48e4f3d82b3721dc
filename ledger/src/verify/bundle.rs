//! Proof bundles: what a node serves for a question, borsh-encoded on the wire.
//!
//! A bundle holds only what the verifier checks; nothing in it is taken on trust.
//! Record values travel as the exact bytes filed in the state map (the state proofs
//! are over those bytes); the verifier decodes them after checking the proof. Keys
//! are never carried: the verifier derives each key from the question and from
//! records it has already proven.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::block::{BlockHeader, Receipt};
use crate::certificate::Certificate;
use crate::merkle::MerkleProof;
use crate::state::StateProof;
use crate::tx::SignedTransaction;

/// A state value (or its absence) with its proof against some state root.
#[derive(Clone, Debug, PartialEq, BorshSerialize, BorshDeserialize)]
pub struct ProvenValue {
    /// The bytes filed under the key, or `None` if the key is absent.
    pub value: Option<Vec<u8>>,
    /// Its compact Jellyfish Merkle proof (sibling hashes only, [`StateProof`]).
    pub proof: StateProof,
}

/// A header with its certificate.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct CertifiedHeader {
    /// The header.
    pub header: BlockHeader,
    /// Its certificate.
    pub certificate: Certificate,
}

/// A block that changed the validator set, with the new set proven at its root.
#[derive(Clone, Debug, PartialEq, BorshSerialize, BorshDeserialize)]
pub struct SetChange {
    /// The block's header and certificate (by the set in force before it).
    pub block: CertifiedHeader,
    /// The `ValidatorSet` record at the block's state root.
    pub set: ProvenValue,
}

/// The certified header a bundle is checked against, and how its validator set
/// follows from genesis.
#[derive(Clone, Debug, PartialEq, BorshSerialize, BorshDeserialize)]
pub struct Anchor {
    /// The anchor header (normally the latest certified one) and its certificate.
    pub block: CertifiedHeader,
    /// Every block up to the anchor that changed the validator set, in height order.
    pub set_changes: Vec<SetChange>,
    /// The `ValidatorSet` record at the anchor's state root.
    pub set: ProvenValue,
}

/// Which item a question is about.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(untagged)]
pub enum ItemQuery {
    /// By item id.
    Id(u64),
    /// By brand, model and serial number (normalized as at registration).
    Serial {
        /// Brand.
        brand: String,
        /// Model or style code.
        model: String,
        /// Serial number.
        serial: String,
    },
}

impl std::fmt::Display for ItemQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ItemQuery::Id(id) => write!(f, "item {id}"),
            ItemQuery::Serial {
                brand,
                model,
                serial,
            } => write!(f, "{brand}/{model}/{serial}"),
        }
    }
}

/// Is this item authentic, and who owns it.
#[derive(Clone, Debug, PartialEq, BorshSerialize, BorshDeserialize)]
pub struct ItemProof {
    /// The certified state.
    pub anchor: Anchor,
    /// The serial-number index entry of the item's (brand, model, serial): its id.
    pub serial: ProvenValue,
    /// The `Item` record.
    pub item: ProvenValue,
    /// The `Product` record of its edition.
    pub product: ProvenValue,
    /// The transaction that registered the product (its hash is in the product record).
    pub registration: SignedTransaction,
}

/// One ownership change: the record at the anchor, and the transaction that made it,
/// included in its certified block and applied.
#[derive(Clone, Debug, PartialEq, BorshSerialize, BorshDeserialize)]
pub struct HistoryEntry {
    /// The `OwnershipRecord` at the anchor's state root.
    pub record: ProvenValue,
    /// The block that holds the transaction.
    pub block: CertifiedHeader,
    /// The transaction.
    pub transaction: SignedTransaction,
    /// Its inclusion under the header's transactions root.
    pub transaction_proof: MerkleProof,
    /// Its receipt.
    pub receipt: Receipt,
    /// The receipt's inclusion under the header's receipts root.
    pub receipt_proof: MerkleProof,
}

/// An item with its whole ownership history.
#[derive(Clone, Debug, PartialEq, BorshSerialize, BorshDeserialize)]
pub struct HistoryProof {
    /// The item, as in [`ItemProof`].
    pub item: ItemProof,
    /// Every ownership record, from the registration on.
    pub entries: Vec<HistoryEntry>,
}

/// A raffle, its entries and the block that closed it.
#[derive(Clone, Debug, PartialEq, BorshSerialize, BorshDeserialize)]
pub struct RaffleProof {
    /// The certified state.
    pub anchor: Anchor,
    /// The `Raffle` record.
    pub raffle: ProvenValue,
    /// Every `RaffleEntry`, by position.
    pub entries: Vec<ProvenValue>,
    /// The closing block (its hash seeds the draw), once entry has closed.
    pub closing: Option<CertifiedHeader>,
}

/// Whether a serial number is registered.
#[derive(Clone, Debug, PartialEq, BorshSerialize, BorshDeserialize)]
pub struct AbsenceProof {
    /// The certified state.
    pub anchor: Anchor,
    /// The serial-number index entry (absent if never registered).
    pub serial: ProvenValue,
}
