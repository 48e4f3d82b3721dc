//! Why a bundle or a served block is refused. Each variant says what failed and where
//! (which part of the bundle, which block), so an auditor can tell a forged record from
//! a bad certificate or a missing piece.

use crate::certificate::CertificateError;
use crate::hash::Hash;

/// A verification failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The bundle's bytes do not decode.
    #[error("the proof bundle does not decode: {0}")]
    Malformed(String),
    /// A header is for another chain.
    #[error("{what} is for chain {got}, not the genesis chain {expected}")]
    WrongChain {
        /// Which header.
        what: String,
        /// The genesis chain id.
        expected: Hash,
        /// The header's chain id.
        got: Hash,
    },
    /// A certificate does not certify its header under the validator set in force.
    #[error("certificate of block {height} ({what}): {source}")]
    Certificate {
        /// Which part of the bundle.
        what: String,
        /// Height of the block.
        height: u64,
        /// The certificate check that failed.
        #[source]
        source: CertificateError,
    },
    /// The certified header is older than the auditor requires.
    #[error("the certified header is at height {height}; at least {min_height} is required (an old header was served)")]
    Stale {
        /// Height served.
        height: u64,
        /// Height required.
        min_height: u64,
    },
    /// The genesis block cannot anchor a bundle: it carries no certificate.
    #[error("the served anchor is the genesis block, which has no certificate")]
    UncertifiedGenesis,
    /// The chain of validator-set changes from genesis to the anchor is broken.
    #[error("validator-set history: {0}")]
    ValidatorSetHistory(String),
    /// A state proof does not verify against the state root it must match.
    #[error("state proof of {record} does not verify against the state root of block {height}")]
    StateProof {
        /// The record (and its key).
        record: String,
        /// The block whose state root was used.
        height: u64,
    },
    /// A proven record is absent where it must exist.
    #[error("{record} is absent from the state of block {height}")]
    Missing {
        /// The record.
        record: String,
        /// The block whose state was proven.
        height: u64,
    },
    /// A proven record's bytes do not decode.
    #[error("{record} at block {height} does not decode: {reason}")]
    Record {
        /// The record.
        record: String,
        /// The block whose state was proven.
        height: u64,
        /// Decoder message.
        reason: String,
    },
    /// Two things that must agree do not.
    #[error("{what}: expected {expected}, found {found}")]
    Mismatch {
        /// What was compared.
        what: String,
        /// The value it must have.
        expected: String,
        /// The value served.
        found: String,
    },
    /// A transaction in the bundle is not the one the ledger recorded, or is not validly signed.
    #[error("transaction {tx} ({what}): {reason}")]
    Transaction {
        /// Which transaction.
        what: String,
        /// Its hash as served.
        tx: Hash,
        /// What is wrong.
        reason: String,
    },
    /// A transaction or receipt inclusion proof does not verify against its header.
    #[error("inclusion proof of {what} in block {height} does not verify")]
    Inclusion {
        /// What was proven included.
        what: String,
        /// The block.
        height: u64,
    },
    /// An ownership history has a different number of entries than the item records.
    #[error("history of item {item} has {found} entries; the proven item record says {expected} (truncated or padded history)")]
    HistoryLength {
        /// The item.
        item: u64,
        /// `history_len` of the proven item.
        expected: u32,
        /// Entries in the bundle.
        found: usize,
    },
    /// A raffle's entries do not match its proven entry count.
    #[error(
        "raffle {raffle} has {found} proven entries; the proven raffle record says {expected}"
    )]
    EntryCount {
        /// The raffle.
        raffle: u64,
        /// `entry_count` of the proven raffle.
        expected: u32,
        /// Entries in the bundle.
        found: usize,
    },
    /// A raffle's recorded draw does not follow from its proven data.
    #[error("the draw of raffle {raffle} does not recompute: {reason}")]
    Draw {
        /// The raffle.
        raffle: u64,
        /// What differs.
        reason: String,
    },
    /// A served block does not follow the verified chain.
    #[error("block {height} does not follow the verified chain: {reason}")]
    ChainLink {
        /// The block.
        height: u64,
        /// What is wrong.
        reason: String,
    },
    /// A served block's body does not match its header's roots.
    #[error("block {height}: its transactions or receipts do not match the header's roots")]
    Body {
        /// The block.
        height: u64,
    },
    /// An applied transaction's signature does not verify.
    #[error(
        "block {height}: transaction {index} is marked applied but its signature does not verify"
    )]
    TxSignature {
        /// The block.
        height: u64,
        /// Index of the transaction.
        index: usize,
    },
    /// Re-executing a served block gives something else than what was served.
    #[error("block {height}: re-execution gives {field} {replayed}, the node served {served}")]
    Replay {
        /// The block.
        height: u64,
        /// The field that differs.
        field: String,
        /// What the node served.
        served: String,
        /// What the local re-execution produced.
        replayed: String,
    },
    /// The local state used for re-execution failed.
    #[error("local state: {0}")]
    LocalState(String),
}
