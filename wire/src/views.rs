//! What the API returns: ledger types with the derived fields a client wants
//! (hashes, kinds), in JSON.

use serde::{Deserialize, Serialize};
use truffle_ledger::types::{Item, Product};
use truffle_ledger::{
    Block, BlockHeader, Hash, Payload, PublicKey, Receipt, Signature, SignedTransaction,
};

/// A header with its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HeaderView {
    /// The block hash.
    pub hash: Hash,
    /// The header.
    #[serde(flatten)]
    pub header: BlockHeader,
}

impl From<&BlockHeader> for HeaderView {
    fn from(header: &BlockHeader) -> Self {
        HeaderView {
            hash: header.hash(),
            header: header.clone(),
        }
    }
}

/// A transaction with its hash and kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TransactionView {
    /// The transaction id.
    pub hash: Hash,
    /// The payload kind, e.g. "transfer_item".
    pub kind: String,
    /// The signer.
    pub signer: PublicKey,
    /// Its nonce.
    pub nonce: u64,
    /// What it does.
    pub payload: Payload,
    /// The signature.
    pub signature: Signature,
    /// The exact bytes, hex (borsh), for independent verification.
    pub encoded: String,
}

impl From<&SignedTransaction> for TransactionView {
    fn from(tx: &SignedTransaction) -> Self {
        TransactionView {
            hash: tx.hash(),
            kind: tx.tx.payload.kind().to_owned(),
            signer: tx.tx.signer,
            nonce: tx.tx.nonce,
            payload: tx.tx.payload.clone(),
            signature: tx.signature,
            encoded: hex::encode(tx.encode()),
        }
    }
}

/// A block with its transactions and receipts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BlockView {
    /// The header.
    pub header: HeaderView,
    /// The transactions.
    pub transactions: Vec<TransactionView>,
    /// One receipt per transaction.
    pub receipts: Vec<Receipt>,
}

impl From<&Block> for BlockView {
    fn from(block: &Block) -> Self {
        BlockView {
            header: HeaderView::from(&block.header),
            transactions: block
                .transactions
                .iter()
                .map(TransactionView::from)
                .collect(),
            receipts: block.receipts.clone(),
        }
    }
}

/// Version information.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VersionView {
    /// The node software.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The chain id.
    pub chain_id: Hash,
    /// The chain name.
    pub chain_name: String,
    /// How the node was built: cargo profile, opt-level, debug info (benchmarks state it).
    #[serde(default)]
    pub build: String,
}

/// A product and its pieces.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProductView {
    /// The product record.
    #[serde(flatten)]
    pub product: Product,
    /// Its pieces, by edition number.
    pub items: Vec<Item>,
}

/// A piece with its product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ItemView {
    /// The item record.
    pub item: Item,
    /// Its product.
    pub product: Product,
}
