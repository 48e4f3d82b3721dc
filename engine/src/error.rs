//! What can go wrong in the engine, typed so that the edges (RPC, CLI, bench) can tell
//! a caller whether to retry.

use truffle_ledger::Rejection;

use crate::mempool::PoolError;

/// Why the engine could not start or act.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The configuration or the genesis is unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// No leader is known right now (an election is under way, or this node is cut off).
    #[error("no leader is known right now; retry")]
    NoLeader,
    /// The operation must run on the leader and this node is not (any more).
    #[error("this node is not the leader")]
    NotLeader,
    /// This node did not catch up with the cluster in time.
    #[error("this node is behind: {0}")]
    Behind(String),
    /// Raft dropped the proposal (a leader change or a shutdown in between).
    #[error("the proposal was dropped; retry")]
    Dropped,
    /// Raft refused the write (for example, it is shutting down).
    #[error("raft: {0}")]
    Raft(String),
    /// A peer could not be reached or refused the request.
    #[error("peer: {0}")]
    Peer(#[from] PeerError),
    /// The registrar's transactions could not be put in nonce order.
    #[error("could not get the registrar's transaction in order; retry")]
    RegistrarOutOfOrder,
    /// A transaction the engine signed itself was not accepted.
    #[error(transparent)]
    Submit(#[from] Box<SubmitError>),
    /// Fault injection was asked for on a node that does not allow it.
    #[error("fault injection is not enabled on this node")]
    FaultInjectionDisabled,
    /// A fault-injection request out of its bounds.
    #[error("fault injection: {0}")]
    FaultRequest(String),
    /// This node is a follower: it holds no member data and proposes nothing through
    /// Raft, so member operations must go to a validator (named in the message).
    #[error("this node is a follower and holds no member data: {0}")]
    FollowerNode(String),
    /// The store has no genesis block.
    #[error("the store has no genesis block")]
    NoGenesis,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] truffle_store::StoreError),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] truffle_ledger::LedgerError),
    /// Consensus could not start.
    #[error(transparent)]
    Consensus(#[from] truffle_consensus::ConsensusError),
    /// A file could not be read or written.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl EngineError {
    /// Whether the same call may succeed if made again a little later (on this node or
    /// another): leadership moved, the node is catching up, a peer was unreachable.
    pub fn retryable(&self) -> bool {
        match self {
            EngineError::NoLeader
            | EngineError::NotLeader
            | EngineError::Behind(_)
            | EngineError::Dropped
            | EngineError::Raft(_)
            | EngineError::RegistrarOutOfOrder
            | EngineError::Peer(PeerError::Unreachable(_)) => true,
            EngineError::Submit(error) => error.retryable(),
            EngineError::Peer(_)
            | EngineError::Config(_)
            | EngineError::FaultInjectionDisabled
            | EngineError::FaultRequest(_)
            | EngineError::FollowerNode(_)
            | EngineError::NoGenesis
            | EngineError::Store(_)
            | EngineError::Ledger(_)
            | EngineError::Consensus(_)
            | EngineError::Io(_) => false,
        }
    }
}

/// Why a request to another validator failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerError {
    /// The transport could not deliver it or got no answer.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The peer answered with a refusal.
    #[error("refused: {0}")]
    Refused(String),
    /// The answer did not decode or was not the kind asked for.
    #[error("unexpected answer: {0}")]
    BadAnswer(String),
}

pub use truffle_consensus::network::Refusal;

/// Why a submitted transaction was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The ledger refuses it (decoding, chain, signature, signer, nonce).
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The pool cannot take it now.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// The node cannot take transactions now.
    #[error("node unavailable: {0}")]
    Unavailable(String),
}

impl SubmitError {
    /// Whether sending the same transaction again later may succeed.
    pub fn retryable(&self) -> bool {
        !matches!(self, SubmitError::Rejected(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leadership_and_lag_are_retryable_configuration_is_not() {
        assert!(EngineError::NoLeader.retryable());
        assert!(EngineError::Behind("timeout".into()).retryable());
        assert!(EngineError::Dropped.retryable());
        assert!(EngineError::Peer(PeerError::Unreachable("closed".into())).retryable());
        assert!(!EngineError::Peer(PeerError::Refused("no".into())).retryable());
        assert!(!EngineError::Config("bad".into()).retryable());
        assert!(!EngineError::FaultInjectionDisabled.retryable());
        let rejected = SubmitError::Rejected(Rejection::Malformed { reason: "x".into() });
        assert!(!rejected.retryable());
        assert!(SubmitError::Pool(PoolError::Full(1)).retryable());
    }
}
