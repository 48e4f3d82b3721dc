//! Messages validators send each other besides Raft's own.

use borsh::{BorshDeserialize, BorshSerialize};
use truffle_ledger::{Certificate, Hash, HeaderVote, Rejection, SignedTransaction};

/// Most transactions in one forwarded batch.
pub const MAX_FORWARD_BATCH: usize = 2_000;
/// Most certificates asked for at once.
pub const MAX_CERTIFICATES_PER_REQUEST: u64 = 256;

/// A request from one validator to another.
#[derive(Debug, BorshSerialize, BorshDeserialize)]
pub enum NodeRequest {
    /// A follower hands client transactions to the leader.
    ForwardTransactions(Vec<SignedTransaction>),
    /// A validator's signature over the header it applied at `height`.
    HeaderVote {
        /// Height.
        height: u64,
        /// Hash of the header voted for.
        header_hash: Hash,
        /// The vote.
        vote: HeaderVote,
    },
    /// Certificates of heights `from..=to` that the sender lacks.
    GetCertificates {
        /// First height.
        from: u64,
        /// Last height.
        to: u64,
    },
    /// A follower asks the leader to propose a service command for it.
    ProposeService(Vec<u8>),
    /// A follower asks the leader for a read index (the committed position a
    /// linearizable read must wait for).
    ReadIndex,
    /// The banner impressions and clicks this validator counted.
    AdCounts,
}

/// The answer to a [`NodeRequest`].
#[derive(Debug, BorshSerialize, BorshDeserialize)]
pub enum NodeResponse {
    /// One verdict per forwarded transaction.
    Forwarded(Vec<Result<Hash, Rejection>>),
    /// The vote was taken (or ignored).
    VoteTaken,
    /// The certificates held, in height order.
    Certificates(Vec<Certificate>),
    /// The service command was applied on the leader at this log index.
    ServiceApplied {
        /// The applier's answer.
        reply: Vec<u8>,
        /// Log index of the entry.
        log_index: u64,
    },
    /// The leader's read index.
    ReadIndex(u64),
    /// This validator's banner counts, by campaign.
    AdCounts(Vec<crate::ads::AdCount>),
}
