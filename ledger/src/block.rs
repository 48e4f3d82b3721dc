//! Blocks: the leader's proposal that Raft replicates, and the header every node
//! derives from it by applying it.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::crypto::PublicKey;
use crate::error::Rejection;
use crate::hash::{domain, Hash};
use crate::merkle;
use crate::tx::SignedTransaction;

/// What the leader proposes: transactions in order, a time and its own key.
/// Heights, parent hashes and roots are derived when the proposal is applied, so
/// proposals can be replicated before their predecessors are applied.
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
pub struct BlockProposal {
    /// The leader that proposed it.
    pub proposer: PublicKey,
    /// The leader's clock, ms since the Unix epoch (never before the parent's time).
    pub time_ms: u64,
    /// Transactions, in the order they are applied.
    pub transactions: Vec<SignedTransaction>,
}

/// A block header: what validators certify and auditors check.
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
pub struct BlockHeader {
    /// The chain (genesis hash).
    pub chain_id: Hash,
    /// Height; the genesis block is 0.
    pub height: u64,
    /// Hash of the previous header.
    pub prev_hash: Hash,
    /// Block time, ms since the Unix epoch.
    pub time_ms: u64,
    /// The proposing validator.
    pub proposer: PublicKey,
    /// Number of transactions.
    pub transaction_count: u32,
    /// Merkle root of the transactions' hashes.
    pub transactions_root: Hash,
    /// Merkle root of the receipts.
    pub receipts_root: Hash,
    /// Root of the authenticated state map after the block.
    pub state_root: Hash,
}

impl BlockHeader {
    /// The block hash.
    pub fn hash(&self) -> Hash {
        let bytes = borsh::to_vec(self).expect("encoding to a Vec cannot fail");
        Hash::tagged(domain::HEADER, &[&bytes])
    }
}

/// What a transaction did.
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
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Effect {
    /// Applied; nothing was created.
    Done,
    /// A product and its items were registered.
    ProductRegistered {
        /// Product id.
        product: u64,
        /// Id of piece 1/N.
        first_item: u64,
        /// N.
        item_count: u32,
    },
    /// A raffle was created.
    RaffleCreated {
        /// Raffle id.
        raffle: u64,
    },
    /// A raffle was drawn; orders were opened for the winners.
    RaffleDrawn {
        /// Raffle id.
        raffle: u64,
        /// Orders created for the winners.
        orders: Vec<u64>,
    },
    /// An order was created.
    OrderCreated {
        /// Order id.
        order: u64,
    },
    /// An order closed (cancelled or expired) and, for a raffle prize, the next runner-up's order.
    OrderClosed {
        /// The closed order.
        order: u64,
        /// The order offered to the next runner-up, if any.
        next_order: Option<u64>,
    },
    /// An ad campaign was created.
    AdCreated {
        /// Campaign id.
        ad: u64,
    },
    /// A raffle was voided (the seller missed its reveal, or a validator its
    /// contribution): nothing was drawn or charged, the prizes went back to the seller.
    RaffleVoided {
        /// Raffle id.
        raffle: u64,
    },
}

/// The outcome of one transaction of a block.
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
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Outcome {
    /// Applied.
    Applied {
        /// What it did.
        effect: Effect,
    },
    /// Refused; the state is as if the transaction was not in the block.
    Rejected {
        /// Why.
        rejection: Rejection,
    },
}

/// A transaction's receipt.
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
pub struct Receipt {
    /// The transaction.
    pub tx_hash: Hash,
    /// What happened.
    pub outcome: Outcome,
}

impl Receipt {
    /// Whether the transaction was applied.
    pub fn is_applied(&self) -> bool {
        matches!(self.outcome, Outcome::Applied { .. })
    }
}

/// An applied block.
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
pub struct Block {
    /// The header.
    pub header: BlockHeader,
    /// The transactions.
    pub transactions: Vec<SignedTransaction>,
    /// One receipt per transaction.
    pub receipts: Vec<Receipt>,
}

/// Merkle root of transaction hashes.
pub fn transactions_root(hashes: &[Hash]) -> Hash {
    let leaves: Vec<Hash> = hashes
        .iter()
        .map(|h| merkle::leaf_hash(h.as_bytes()))
        .collect();
    merkle::root(&leaves)
}

/// Merkle root of receipts.
pub fn receipts_root(receipts: &[Receipt]) -> Hash {
    let leaves: Vec<Hash> = receipts
        .iter()
        .map(|r| merkle::leaf_hash(&borsh::to_vec(r).expect("encoding to a Vec cannot fail")))
        .collect();
    merkle::root(&leaves)
}

impl Block {
    /// Checks that the header's roots match the body.
    pub fn check_body(&self) -> bool {
        let hashes: Vec<Hash> = self.transactions.iter().map(|t| t.hash()).collect();
        self.header.transaction_count as usize == self.transactions.len()
            && self.receipts.len() == self.transactions.len()
            && self
                .receipts
                .iter()
                .zip(&hashes)
                .all(|(receipt, hash)| receipt.tx_hash == *hash)
            && transactions_root(&hashes) == self.header.transactions_root
            && receipts_root(&self.receipts) == self.header.receipts_root
    }

    /// Inclusion proof of transaction `index` against the header's transactions root.
    pub fn transaction_proof(&self, index: usize) -> Option<merkle::MerkleProof> {
        let leaves: Vec<Hash> = self
            .transactions
            .iter()
            .map(|t| merkle::leaf_hash(t.hash().as_bytes()))
            .collect();
        merkle::prove(&leaves, index)
    }

    /// Inclusion proof of receipt `index` against the header's receipts root.
    pub fn receipt_proof(&self, index: usize) -> Option<merkle::MerkleProof> {
        let leaves: Vec<Hash> = self
            .receipts
            .iter()
            .map(|r| merkle::leaf_hash(&borsh::to_vec(r).expect("encoding to a Vec cannot fail")))
            .collect();
        merkle::prove(&leaves, index)
    }
}
