//! Messages validators send each other besides Raft's own: the engine's requests, and
//! an envelope for the requests features register ([`crate::PeerService`]).

use borsh::{BorshDeserialize, BorshSerialize};
use futures::future::BoxFuture;
use truffle_ledger::{
    BlockHeader, Certificate, Evidence, Hash, HeaderVote, PublicKey, Rejection, SignedTransaction,
};

use crate::error::Refusal;

/// Most transactions in one forwarded batch.
pub const MAX_FORWARD_BATCH: usize = 2_000;
/// Most certificates asked for at once.
pub const MAX_CERTIFICATES_PER_REQUEST: u64 = 256;
/// Longest name of a feature's peer service.
pub const MAX_SERVICE_NAME: usize = 64;

/// A request from one validator to another.
#[derive(Clone, Debug, BorshSerialize, BorshDeserialize)]
pub enum PeerRequest {
    /// A follower hands client transactions to the leader.
    ForwardTransactions(Vec<SignedTransaction>),
    /// A validator's signature over the header it applied. The header travels with
    /// the vote so that a vote for another header than the receiver's is evidence.
    HeaderVote {
        /// The header voted for (boxed: the largest variant otherwise).
        header: Box<BlockHeader>,
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
    /// A request for a feature's peer service, by the name it registered.
    Feature {
        /// The service's name.
        service: String,
        /// The request, encoded by the feature.
        body: Vec<u8>,
    },
    /// Equivocation evidence a validator found (or received and had not held):
    /// checked by the receiver ([`Evidence::check`]) before it is filed.
    Evidence(Box<Evidence>),
}

/// The answer to a [`PeerRequest`].
#[derive(Debug, BorshSerialize, BorshDeserialize)]
pub enum PeerResponse {
    /// One verdict per forwarded transaction.
    Forwarded(Vec<Result<Hash, Rejection>>),
    /// The vote was taken (or ignored).
    VoteTaken,
    /// The evidence was checked; `true` when it was new here.
    EvidenceTaken(bool),
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
    /// A feature service's answer, encoded by the feature.
    Feature(Vec<u8>),
}

/// A feature's handler of requests from other validators, registered with
/// [`crate::Engine::register_peer_service`].
pub trait PeerService: Send + Sync + 'static {
    /// Answers `body` from the validator `from` (its key is authenticated by the
    /// transport; it is one of the current validators).
    fn handle(
        &self,
        from: PublicKey,
        body: Vec<u8>,
    ) -> BoxFuture<'static, Result<Vec<u8>, Refusal>>;
}
