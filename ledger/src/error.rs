//! Why the ledger refuses a transaction (a value, recorded in the block's receipts),
//! and the errors that stop the ledger itself (storage failures).

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::crypto::PublicKey;
use crate::hash::Hash;
use crate::types::{AccountStatus, ItemLock, OrderStatus, RaffleStatus};

/// Why a transaction was refused. The state is untouched by a refused transaction.
///
/// Variants are grouped by the check that raises them, in the order the checks run:
/// encoding, chain, signature, signer, nonce, authority, then the rules of each kind.
/// Each has a stable numeric [`code`](Rejection::code) that RPC errors carry.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    thiserror::Error,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case", tag = "code")]
pub enum Rejection {
    /// The bytes are not a transaction.
    #[error("malformed transaction: {reason}")]
    Malformed {
        /// Decoder message.
        reason: String,
    },
    /// The encoding is over the size limit.
    #[error("transaction is {size} bytes; the limit is {max}")]
    TooLarge {
        /// Size in bytes.
        size: u64,
        /// Limit in bytes.
        max: u64,
    },
    /// The transaction is for another chain.
    #[error("transaction is for chain {got}, this is chain {expected}")]
    WrongChain {
        /// This chain's id.
        expected: Hash,
        /// The transaction's chain id.
        got: Hash,
    },
    /// The signature does not verify under the signer's key.
    #[error("signature does not verify under the signer's key")]
    BadSignature,
    /// No account has the signer's key.
    #[error("signer {signer} has no account")]
    UnknownSigner {
        /// The signer.
        signer: PublicKey,
    },
    /// The signer's account is suspended or withdrawn.
    #[error("signer's account is {status:?}")]
    SignerNotActive {
        /// The account's status.
        status: AccountStatus,
    },
    /// The nonce was already used: a replay.
    #[error("nonce {got} was already used (next is {expected})")]
    NonceReplayed {
        /// The next nonce.
        expected: u64,
        /// The transaction's nonce.
        got: u64,
    },
    /// The nonce skips ahead of the next one.
    #[error("nonce {got} skips ahead (next is {expected})")]
    NonceSkipped {
        /// The next nonce.
        expected: u64,
        /// The transaction's nonce.
        got: u64,
    },
    /// The signer's role may not do this.
    #[error("{action} needs {required}")]
    Unauthorized {
        /// What was attempted.
        action: String,
        /// Who may do it.
        required: String,
    },
    /// A field is out of bounds or badly formed.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        /// Field name.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The key already has an account.
    #[error("account {account} already exists")]
    AccountExists {
        /// The key.
        account: PublicKey,
    },
    /// The key has no account.
    #[error("account {account} does not exist")]
    UnknownAccount {
        /// The key.
        account: PublicKey,
    },
    /// The account is not active.
    #[error("account {account} is {status:?}")]
    AccountNotActive {
        /// The key.
        account: PublicKey,
        /// Its status.
        status: AccountStatus,
    },
    /// The signer is not an approved seller.
    #[error("only approved sellers may do this")]
    SellerNotApproved,
    /// The seller application is in the wrong state for this.
    #[error("seller application: {reason}")]
    SellerApplication {
        /// What is wrong.
        reason: String,
    },
    /// No record of this kind has this id.
    #[error("no {kind} with id {id}")]
    UnknownRecord {
        /// Record kind ("product", "item", "raffle", "order", "ad").
        kind: String,
        /// The id.
        id: u64,
    },
    /// A serial number is already registered for the same brand and model.
    #[error("serial {serial:?} is already registered as item {item}")]
    DuplicateSerial {
        /// The serial.
        serial: String,
        /// The item that has it.
        item: u64,
    },
    /// The signer does not own the item.
    #[error("item {item} is owned by {owner}, not the signer")]
    NotOwner {
        /// The item.
        item: u64,
        /// Its owner.
        owner: PublicKey,
    },
    /// The item is escrowed.
    #[error("item {item} is locked ({lock:?})")]
    ItemLocked {
        /// The item.
        item: u64,
        /// Why.
        lock: ItemLock,
    },
    /// The item is not for sale.
    #[error("item {item} is not listed for sale")]
    NotListed {
        /// The item.
        item: u64,
    },
    /// The raffle is not accepting this now.
    #[error("raffle {raffle}: {reason}")]
    RaffleRule {
        /// The raffle.
        raffle: u64,
        /// Status when refused.
        status: RaffleStatus,
        /// What is wrong.
        reason: String,
    },
    /// The signer may not enter this raffle.
    #[error("not eligible for raffle {raffle}: {reason}")]
    NotEligible {
        /// The raffle.
        raffle: u64,
        /// Why.
        reason: String,
    },
    /// The signer already entered.
    #[error("already entered raffle {raffle}")]
    AlreadyEntered {
        /// The raffle.
        raffle: u64,
    },
    /// The order is not in a state that allows this.
    #[error("order {order} is {status:?}: {reason}")]
    OrderRule {
        /// The order.
        order: u64,
        /// Its status.
        status: OrderStatus,
        /// What is wrong.
        reason: String,
    },
    /// The confirmed amount is not the order's amount.
    #[error("amount {got} does not match the order's {expected}")]
    AmountMismatch {
        /// The order's amount.
        expected: u64,
        /// The confirmed amount.
        got: u64,
    },
    /// This provider event was already settled.
    #[error("payment event {event_id:?} was already settled (order {order})")]
    PaymentEventReused {
        /// The event id.
        event_id: String,
        /// The order it settled.
        order: u64,
    },
    /// The validator set does not allow this.
    #[error("validator set: {reason}")]
    ValidatorRule {
        /// What is wrong.
        reason: String,
    },
    /// The block already holds its maximum of transactions.
    #[error("block is full")]
    BlockFull,
    /// The seller is in a cooling period after a raffle voided by its missed reveal.
    #[error(
        "the seller missed {missed_reveals} raffle reveal(s) and may not create a raffle before block time {until_ms}"
    )]
    RaffleCooldown {
        /// Reveals the seller missed so far.
        missed_reveals: u32,
        /// First block time at which it may create a raffle again.
        until_ms: u64,
    },
}

impl Rejection {
    /// Shorthand for [`Rejection::InvalidField`].
    pub fn invalid(field: &str, reason: impl Into<String>) -> Rejection {
        Rejection::InvalidField {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Rejection::UnknownRecord`].
    pub fn unknown(kind: &str, id: u64) -> Rejection {
        Rejection::UnknownRecord {
            kind: kind.to_owned(),
            id,
        }
    }

    /// Shorthand for [`Rejection::Unauthorized`].
    pub fn unauthorized(action: &str, required: &str) -> Rejection {
        Rejection::Unauthorized {
            action: action.to_owned(),
            required: required.to_owned(),
        }
    }

    /// Stable numeric code (JSON-RPC errors carry `-32000 - code`... see the rpc crate).
    pub fn code(&self) -> u16 {
        match self {
            Rejection::Malformed { .. } => 1,
            Rejection::TooLarge { .. } => 2,
            Rejection::WrongChain { .. } => 3,
            Rejection::BadSignature => 4,
            Rejection::UnknownSigner { .. } => 5,
            Rejection::SignerNotActive { .. } => 6,
            Rejection::NonceReplayed { .. } => 7,
            Rejection::NonceSkipped { .. } => 8,
            Rejection::Unauthorized { .. } => 9,
            Rejection::InvalidField { .. } => 10,
            Rejection::AccountExists { .. } => 11,
            Rejection::UnknownAccount { .. } => 12,
            Rejection::AccountNotActive { .. } => 13,
            Rejection::SellerNotApproved => 14,
            Rejection::SellerApplication { .. } => 15,
            Rejection::UnknownRecord { .. } => 16,
            Rejection::DuplicateSerial { .. } => 17,
            Rejection::NotOwner { .. } => 18,
            Rejection::ItemLocked { .. } => 19,
            Rejection::NotListed { .. } => 20,
            Rejection::RaffleRule { .. } => 21,
            Rejection::NotEligible { .. } => 22,
            Rejection::AlreadyEntered { .. } => 23,
            Rejection::OrderRule { .. } => 24,
            Rejection::AmountMismatch { .. } => 25,
            Rejection::PaymentEventReused { .. } => 26,
            Rejection::ValidatorRule { .. } => 27,
            Rejection::BlockFull => 28,
            Rejection::RaffleCooldown { .. } => 29,
        }
    }
}

/// A failure of the storage under the ledger: not a property of any transaction.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The storage backend failed.
    #[error("storage: {0}")]
    Storage(String),
    /// Stored bytes did not decode: the database is corrupt.
    #[error("corrupt {what} in state: {reason}")]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// Decoder message.
        reason: String,
    },
    /// The authenticated map failed.
    #[error("state tree: {0}")]
    Tree(String),
    /// A block does not follow its parent.
    #[error("block does not follow its parent: {0}")]
    NotNext(String),
    /// The proposal breaks a block rule: it is no block at all (every node refuses it
    /// alike, so the chain skips it).
    #[error("invalid block proposal: {0}")]
    InvalidProposal(#[from] ProposalError),
}

/// A block rule a proposal breaks (rules a lying leader could otherwise bend).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProposalError {
    /// The proposer is not in the validator set in force.
    #[error("proposer {0} is not a validator")]
    NotAValidator(crate::crypto::PublicKey),
    /// The proposal's encoding is over the block byte budget.
    #[error("the proposal is {bytes} bytes; blocks hold at most {max}")]
    TooManyBytes {
        /// Encoded size.
        bytes: u64,
        /// The genesis budget.
        max: u64,
    },
    /// The block's time runs further ahead of its parent's than the genesis allows.
    #[error("block time {time_ms} is more than {max_step_ms} ms after its parent's {parent_ms}")]
    TimeTooFarAhead {
        /// Proposed time.
        time_ms: u64,
        /// The parent's time.
        parent_ms: u64,
        /// The genesis bound.
        max_step_ms: u64,
    },
}

/// Result alias of the ledger crate.
pub type LedgerResult<T> = Result<T, LedgerError>;
