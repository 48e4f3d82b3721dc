//! Assembling proof bundles from a node's state and blocks.
//!
//! A node implements [`ProofSource`] over its store; [`ArchiveChain`] does it in
//! memory for tests and benches. The builders read every record through a state proof
//! at the anchor's version, so a bundle is consistent even while blocks keep coming.

use std::collections::BTreeMap;

use jmt::storage::TreeReader;

use super::bundle::{
    AbsenceProof, Anchor, CertifiedHeader, HistoryEntry, HistoryProof, ItemProof, ItemQuery,
    ProvenValue, RaffleProof, SetChange,
};
use crate::block::{Block, BlockHeader, BlockProposal};
use crate::certificate::Certificate;
use crate::error::LedgerResult;
use crate::exec::GenesisState;
use crate::memory_chain::MemoryChain;
use crate::state::{decode_record, keys, prove, MemoryStore};
use crate::types::{Item, OwnershipRecord, Product, Raffle, ValidatorSet};

/// Why a node cannot build a bundle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The thing asked about does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The node lacks what the bundle needs (a block, a certificate, an old state).
    #[error("cannot build the proof: {0}")]
    Unavailable(String),
}

/// What a node has to offer for building bundles: the state tree at every kept
/// version, and blocks, headers and certificates by height.
pub trait ProofSource {
    /// The state tree.
    type Tree: TreeReader;
    /// The state tree.
    fn tree(&self) -> &Self::Tree;
    /// The header at `height`.
    fn header(&self, height: u64) -> Result<Option<BlockHeader>, BuildError>;
    /// The block at `height`.
    fn block(&self, height: u64) -> Result<Option<Block>, BuildError>;
    /// The certificate of the block at `height`.
    fn certificate(&self, height: u64) -> Result<Option<Certificate>, BuildError>;
}

fn unavailable(error: impl std::fmt::Display) -> BuildError {
    BuildError::Unavailable(error.to_string())
}

/// The value of `key` at `version`, with its proof.
pub fn prove_value<S: ProofSource>(
    source: &S,
    key: &[u8],
    version: u64,
) -> Result<ProvenValue, BuildError> {
    let (value, proof) = prove(source.tree(), key, version).map_err(|e| {
        BuildError::Unavailable(format!(
            "the state of block {version} is not kept here: {e}"
        ))
    })?;
    Ok(ProvenValue { value, proof })
}

fn decoded<T: borsh::BorshDeserialize>(
    what: &'static str,
    proven: &ProvenValue,
) -> Result<Option<T>, BuildError> {
    proven
        .value
        .as_deref()
        .map(|bytes| decode_record(what, bytes).map_err(unavailable))
        .transpose()
}

fn certified<S: ProofSource>(source: &S, height: u64) -> Result<CertifiedHeader, BuildError> {
    let header = source
        .header(height)?
        .ok_or_else(|| BuildError::Unavailable(format!("block {height} is not kept here")))?;
    let certificate = source
        .certificate(height)?
        .ok_or_else(|| BuildError::Unavailable(format!("block {height} has no certificate yet")))?;
    Ok(CertifiedHeader {
        header,
        certificate,
    })
}

/// The highest height at or below `head` whose block has a certificate, looking back
/// at most `window` blocks.
pub fn latest_certified<S: ProofSource>(
    source: &S,
    head: u64,
    window: u64,
) -> Result<u64, BuildError> {
    let lowest = head.saturating_sub(window).max(1);
    for height in (lowest..=head).rev() {
        if source.certificate(height)?.is_some() {
            return Ok(height);
        }
    }
    Err(BuildError::Unavailable(format!(
        "no certified block among heights {lowest}..={head}"
    )))
}

/// The anchor at `height`: its header and certificate, and every validator-set change
/// up to it, found by following each set record's link to the change before it.
pub fn anchor<S: ProofSource>(source: &S, height: u64) -> Result<Anchor, BuildError> {
    let block = certified(source, height)?;
    let set = prove_value(source, &keys::validator_set(), height)?;
    let record: ValidatorSet = decoded("validator set", &set)?
        .ok_or_else(|| BuildError::Unavailable("the state has no validator-set record".into()))?;
    let mut set_changes = Vec::new();
    let mut at = record.changed_at;
    while at > 0 {
        let set = prove_value(source, &keys::validator_set(), at)?;
        let change: ValidatorSet = decoded("validator set", &set)?.ok_or_else(|| {
            BuildError::Unavailable(format!("no validator-set record at block {at}"))
        })?;
        let previous = change.previous_change.filter(|p| *p < at);
        let (true, Some(previous)) = (change.changed_at == at, previous) else {
            return Err(BuildError::Unavailable(format!(
                "the validator-set record at block {at} is inconsistent"
            )));
        };
        set_changes.push(SetChange {
            block: certified(source, at)?,
            set,
        });
        at = previous;
    }
    set_changes.reverse();
    Ok(Anchor {
        block,
        set_changes,
        set,
    })
}

/// Resolves an item query at `height`: the item id.
fn item_id<S: ProofSource>(source: &S, query: &ItemQuery, height: u64) -> Result<u64, BuildError> {
    match query {
        ItemQuery::Id(id) => Ok(*id),
        ItemQuery::Serial {
            brand,
            model,
            serial,
        } => {
            let proven = prove_value(source, &keys::serial(brand, model, serial), height)?;
            decoded::<u64>("serial index", &proven)?
                .ok_or_else(|| BuildError::NotFound(format!("serial {brand}/{model}/{serial}")))
        }
    }
}

/// An item bundle against the anchor at `height`.
pub fn item_proof<S: ProofSource>(
    source: &S,
    height: u64,
    query: &ItemQuery,
) -> Result<ItemProof, BuildError> {
    let id = item_id(source, query, height)?;
    let item_value = prove_value(source, &keys::item(id), height)?;
    let item: Item =
        decoded("item", &item_value)?.ok_or_else(|| BuildError::NotFound(format!("item {id}")))?;
    let product_value = prove_value(source, &keys::product(item.product), height)?;
    let product: Product = decoded("product", &product_value)?
        .ok_or_else(|| BuildError::Unavailable(format!("product {} is missing", item.product)))?;
    let serial = prove_value(
        source,
        &keys::serial(&product.brand, &product.model, &item.serial),
        height,
    )?;
    let registration = transaction(source, product.registered.height, product.registered.index)?
        .transactions
        .swap_remove(product.registered.index as usize);
    Ok(ItemProof {
        anchor: anchor(source, height)?,
        serial,
        item: item_value,
        product: product_value,
        registration,
    })
}

fn transaction<S: ProofSource>(source: &S, height: u64, index: u32) -> Result<Block, BuildError> {
    let block = source
        .block(height)?
        .ok_or_else(|| BuildError::Unavailable(format!("block {height} is not kept here")))?;
    if index as usize >= block.transactions.len() {
        return Err(BuildError::Unavailable(format!(
            "block {height} has no transaction {index}"
        )));
    }
    Ok(block)
}

/// A history bundle against the anchor at `height`.
pub fn history_proof<S: ProofSource>(
    source: &S,
    height: u64,
    query: &ItemQuery,
) -> Result<HistoryProof, BuildError> {
    let item_bundle = item_proof(source, height, query)?;
    let item: Item = decoded("item", &item_bundle.item)?
        .ok_or_else(|| BuildError::Unavailable("item vanished".into()))?;
    let mut entries = Vec::with_capacity(item.history_len as usize);
    let mut blocks: BTreeMap<u64, (Block, CertifiedHeader)> = BTreeMap::new();
    for sequence in 0..item.history_len {
        let record_value = prove_value(source, &keys::ownership(item.id, sequence), height)?;
        let record: OwnershipRecord =
            decoded("ownership record", &record_value)?.ok_or_else(|| {
                BuildError::Unavailable(format!("ownership record {sequence} is missing"))
            })?;
        let at = record.tx.height;
        if let std::collections::btree_map::Entry::Vacant(slot) = blocks.entry(at) {
            let block = transaction(source, at, record.tx.index)?;
            slot.insert((block, certified(source, at)?));
        }
        let (block, header) = &blocks[&at];
        let index = record.tx.index as usize;
        let transaction = block.transactions.get(index).cloned().ok_or_else(|| {
            BuildError::Unavailable(format!("block {at} has no transaction {index}"))
        })?;
        let missing = || BuildError::Unavailable(format!("block {at} has no receipt {index}"));
        entries.push(HistoryEntry {
            record: record_value,
            block: header.clone(),
            transaction,
            transaction_proof: block.transaction_proof(index).ok_or_else(missing)?,
            receipt: block.receipts.get(index).cloned().ok_or_else(missing)?,
            receipt_proof: block.receipt_proof(index).ok_or_else(missing)?,
        });
    }
    Ok(HistoryProof {
        item: item_bundle,
        entries,
    })
}

/// A raffle bundle against the anchor at `height`.
pub fn raffle_proof<S: ProofSource>(
    source: &S,
    height: u64,
    raffle_id: u64,
) -> Result<RaffleProof, BuildError> {
    raffle_proof_page(source, height, raffle_id, 0, u32::MAX)
}

/// The raffle's entry count at `height` (for a server to bound a bundle before it builds).
pub fn raffle_entry_count<S: ProofSource>(
    source: &S,
    height: u64,
    raffle_id: u64,
) -> Result<u32, BuildError> {
    let raffle_value = prove_value(source, &keys::raffle(raffle_id), height)?;
    let raffle: Raffle = decoded("raffle", &raffle_value)?
        .ok_or_else(|| BuildError::NotFound(format!("raffle {raffle_id}")))?;
    Ok(raffle.entry_count)
}

/// A page of a raffle bundle: entries `first..first + limit` only. Pages anchored at one
/// height concatenate (entries in order) into the whole [`RaffleProof`], which is what
/// the verifier checks; one page alone fails its entry count.
pub fn raffle_proof_page<S: ProofSource>(
    source: &S,
    height: u64,
    raffle_id: u64,
    first: u32,
    limit: u32,
) -> Result<RaffleProof, BuildError> {
    let raffle_value = prove_value(source, &keys::raffle(raffle_id), height)?;
    let raffle: Raffle = decoded("raffle", &raffle_value)?
        .ok_or_else(|| BuildError::NotFound(format!("raffle {raffle_id}")))?;
    let end = first.saturating_add(limit).min(raffle.entry_count);
    let entries = (first.min(end)..end)
        .map(|position| prove_value(source, &keys::raffle_entry(raffle_id, position), height))
        .collect::<Result<Vec<_>, _>>()?;
    let closing = raffle
        .closing_block
        .map(|closing| certified(source, closing.height))
        .transpose()?;
    Ok(RaffleProof {
        anchor: anchor(source, height)?,
        raffle: raffle_value,
        entries,
        closing,
    })
}

/// An absence (or presence) bundle of a serial number against the anchor at `height`.
pub fn absence_proof<S: ProofSource>(
    source: &S,
    height: u64,
    brand: &str,
    model: &str,
    serial: &str,
) -> Result<AbsenceProof, BuildError> {
    Ok(AbsenceProof {
        anchor: anchor(source, height)?,
        serial: prove_value(source, &keys::serial(brand, model, serial), height)?,
    })
}

/// A chain in memory that keeps every block and certificate: a [`ProofSource`] for
/// tests, benches and tools that build bundles without a node.
pub struct ArchiveChain {
    chain: MemoryChain,
    blocks: Vec<Block>,
    certificates: BTreeMap<u64, Certificate>,
}

impl ArchiveChain {
    /// A chain holding only its genesis block.
    pub fn new(genesis: &GenesisState) -> LedgerResult<ArchiveChain> {
        let chain = MemoryChain::new(genesis)?;
        let genesis_block = Block {
            header: chain.head().clone(),
            transactions: Vec::new(),
            receipts: Vec::new(),
        };
        Ok(ArchiveChain {
            chain,
            blocks: vec![genesis_block],
            certificates: BTreeMap::new(),
        })
    }

    /// Applies a proposal and keeps the block.
    pub fn apply(&mut self, proposal: &BlockProposal) -> LedgerResult<Block> {
        let block = self.chain.apply(proposal)?;
        self.blocks.push(block.clone());
        Ok(block)
    }

    /// Keeps a certificate.
    pub fn add_certificate(&mut self, certificate: Certificate) {
        self.certificates.insert(certificate.height, certificate);
    }

    /// The chain (state, head, signing helpers).
    pub fn chain(&self) -> &MemoryChain {
        &self.chain
    }

    /// Every block, genesis first.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// The validator set after the block at `height`.
    pub fn validator_set_after(&self, height: u64) -> LedgerResult<Option<ValidatorSet>> {
        crate::exec::validator_set_at(self.chain.store(), height)
    }
}

impl ProofSource for ArchiveChain {
    type Tree = MemoryStore;

    fn tree(&self) -> &MemoryStore {
        self.chain.store()
    }

    fn header(&self, height: u64) -> Result<Option<BlockHeader>, BuildError> {
        Ok(self.blocks.get(height as usize).map(|b| b.header.clone()))
    }

    fn block(&self, height: u64) -> Result<Option<Block>, BuildError> {
        Ok(self.blocks.get(height as usize).cloned())
    }

    fn certificate(&self, height: u64) -> Result<Option<Certificate>, BuildError> {
        Ok(self.certificates.get(&height).cloned())
    }
}
