//! The validators' network: libp2p (TCP + Noise + Yamux) with one request-response
//! protocol that carries openraft's RPCs and the node's own messages.
//!
//! - A node's libp2p identity is its validator key, so a peer id names a validator.
//! - Only validators of the current set may connect (an allowlist, enforced right
//!   after the Noise handshake, with connection limits to bound strangers before it).
//! - The protocol name contains the chain id: a node of another chain cannot speak it.
//! - Messages are size-limited in both directions.
//! - A fault switch (partition/heal), used only by `truffle testnet`, drops traffic to
//!   and from chosen peers.

mod raft_client;
mod swarm;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
pub use truffle_wire::chain::PeerInfo;

use futures::future::BoxFuture;
use libp2p::{Multiaddr, PeerId};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};
use truffle_ledger::{Hash, Keypair, PublicKey};

use crate::types::{NodeId, TypeConfig};
use crate::Raft;

pub use raft_client::NetworkFactory;

/// Largest message either way (a Raft append of 64 blocks, or a 3 MiB snapshot chunk).
pub const MAX_MESSAGE_BYTES: u64 = 32 * 1024 * 1024;

/// Why a request to a peer failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum P2pError {
    /// The peer is not connected or did not answer.
    #[error("peer {0} is unreachable: {1}")]
    Unreachable(String, String),
    /// The transport task has stopped.
    #[error("the p2p transport has stopped")]
    Stopped,
    /// The peer answered with an error.
    #[error("peer refused: {0}")]
    Refused(String),
}

/// A Raft RPC on the wire.
#[derive(Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub(crate) enum RaftRequest {
    AppendEntries(openraft::raft::AppendEntriesRequest<TypeConfig>),
    Vote(openraft::raft::VoteRequest<NodeId>),
    InstallSnapshot(openraft::raft::InstallSnapshotRequest<TypeConfig>),
}

/// A Raft RPC's answer on the wire.
#[derive(Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub(crate) enum RaftReply {
    AppendEntries(
        Result<openraft::raft::AppendEntriesResponse<NodeId>, openraft::error::RaftError<NodeId>>,
    ),
    Vote(Result<openraft::raft::VoteResponse<NodeId>, openraft::error::RaftError<NodeId>>),
    InstallSnapshot(
        Result<
            openraft::raft::InstallSnapshotResponse<NodeId>,
            openraft::error::RaftError<NodeId, openraft::error::InstallSnapshotError>,
        >,
    ),
}

/// A request on the wire.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum WireRequest {
    Raft(RaftRequest),
    App(#[serde(with = "serde_bytes")] Vec<u8>),
    /// From an allowed follower node: the only kind of request it may send.
    Follower(#[serde(with = "serde_bytes")] Vec<u8>),
}

/// A response on the wire.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum WireResponse {
    Raft(RaftReply),
    App(Result<serde_bytes::ByteBuf, Refusal>),
    /// The receiver is not ready (its Raft has not started) or refuses the sender.
    Refused(String),
}

/// Why a validator refused another's request; the reason travels back to the sender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

impl Refusal {
    /// A refusal with this reason.
    pub fn new(reason: impl Into<String>) -> Refusal {
        Refusal(reason.into())
    }
}

/// Handles the node's own messages (forwarded transactions, header votes...).
pub trait AppHandler: Send + Sync + 'static {
    /// Answers a request from the validator `from`.
    fn handle(
        &self,
        from: PublicKey,
        request: Vec<u8>,
    ) -> BoxFuture<'static, Result<Vec<u8>, Refusal>>;

    /// Answers a request from the allowed follower node `from` (it is never a
    /// validator: nothing it sends reaches Raft or the validators' own messages).
    fn handle_follower(
        &self,
        from: PublicKey,
        request: Vec<u8>,
    ) -> BoxFuture<'static, Result<Vec<u8>, Refusal>> {
        let _ = (from, request);
        Box::pin(async { Err(Refusal::new("this node serves no followers")) })
    }
}

/// Transport settings.
#[derive(Clone, Debug)]
pub struct P2pConfig {
    /// The validator key (the libp2p identity).
    pub keypair: Keypair,
    /// Where to listen, e.g. "/ip4/127.0.0.1/tcp/30333".
    pub listen: Multiaddr,
    /// The chain (part of the protocol name).
    pub chain_id: Hash,
    /// Validators allowed to connect, with their addresses.
    pub validators: Vec<(PublicKey, Multiaddr)>,
    /// How long a request may take.
    pub request_timeout: Duration,
    /// Follower nodes allowed to connect (they may only send follower requests).
    pub followers: Vec<PublicKey>,
    /// This node is a follower: it dials the validators and answers no one.
    pub follower_mode: bool,
}

pub(crate) enum SwarmCommand {
    Request {
        peer: PeerId,
        request: Box<WireRequest>,
        reply: oneshot::Sender<Result<WireResponse, P2pError>>,
    },
    SetValidators(Vec<(PublicKey, Multiaddr)>),
    SetFollowers(Vec<PublicKey>),
    Partition(Vec<PublicKey>),
    Heal,
    Peers(oneshot::Sender<Vec<PeerInfo>>),
}

/// The libp2p peer id of a validator key.
pub fn peer_id_of(key: &PublicKey) -> PeerId {
    let public = libp2p::identity::ed25519::PublicKey::try_from_bytes(&key.0)
        .expect("validator keys are valid points");
    libp2p::identity::PublicKey::from(public).to_peer_id()
}

/// A handle on the running transport.
#[derive(Clone)]
pub struct P2p {
    commands: mpsc::Sender<SwarmCommand>,
    raft: Arc<OnceLock<Raft>>,
    local_key: PublicKey,
    partitioned: Arc<Mutex<HashSet<PublicKey>>>,
}

impl P2p {
    /// Starts the transport: listens, dials the validators, and serves requests.
    pub fn start(
        config: P2pConfig,
        app: Arc<dyn AppHandler>,
    ) -> Result<P2p, crate::ConsensusError> {
        let raft = Arc::new(OnceLock::new());
        let (commands, receiver) = mpsc::channel(1_024);
        let local_key = config.keypair.public();
        swarm::spawn(config, app, raft.clone(), receiver)?;
        Ok(P2p {
            commands,
            raft,
            local_key,
            partitioned: Arc::new(Mutex::new(HashSet::new())),
        })
    }

    /// Hands the Raft handle to the transport, which then serves Raft RPCs.
    pub fn set_raft(&self, raft: Raft) {
        let _ = self.raft.set(raft);
    }

    /// This node's key.
    pub fn local_key(&self) -> PublicKey {
        self.local_key
    }

    pub(crate) async fn request(
        &self,
        to: &PublicKey,
        request: WireRequest,
    ) -> Result<WireResponse, P2pError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(SwarmCommand::Request {
                peer: peer_id_of(to),
                request: Box::new(request),
                reply,
            })
            .await
            .map_err(|_| P2pError::Stopped)?;
        answer.await.map_err(|_| P2pError::Stopped)?
    }

    /// Sends a node message to a validator and waits for its answer.
    pub async fn request_app(&self, to: &PublicKey, request: Vec<u8>) -> Result<Vec<u8>, P2pError> {
        match self.request(to, WireRequest::App(request)).await? {
            WireResponse::App(Ok(bytes)) => Ok(bytes.into_vec()),
            WireResponse::App(Err(Refusal(reason))) | WireResponse::Refused(reason) => {
                Err(P2pError::Refused(reason))
            }
            WireResponse::Raft(_) => Err(P2pError::Refused("unexpected raft reply".into())),
        }
    }

    /// Sends a follower's request to a validator and waits for its answer.
    pub async fn request_follower(
        &self,
        to: &PublicKey,
        request: Vec<u8>,
    ) -> Result<Vec<u8>, P2pError> {
        match self.request(to, WireRequest::Follower(request)).await? {
            WireResponse::App(Ok(bytes)) => Ok(bytes.into_vec()),
            WireResponse::App(Err(Refusal(reason))) | WireResponse::Refused(reason) => {
                Err(P2pError::Refused(reason))
            }
            WireResponse::Raft(_) => Err(P2pError::Refused("unexpected raft reply".into())),
        }
    }

    /// Replaces the follower nodes allowed to connect; a follower no longer listed is
    /// disconnected at once.
    pub async fn set_followers(&self, followers: Vec<PublicKey>) {
        let _ = self
            .commands
            .send(SwarmCommand::SetFollowers(followers))
            .await;
    }

    /// Replaces the set of validators allowed to connect (after a validator-set change).
    pub async fn set_validators(&self, validators: Vec<(PublicKey, Multiaddr)>) {
        let _ = self
            .commands
            .send(SwarmCommand::SetValidators(validators))
            .await;
    }

    /// Fault injection: cuts all traffic with these validators until [`P2p::heal`].
    pub async fn partition(&self, keys: Vec<PublicKey>) {
        self.partitioned
            .lock()
            .expect("partition lock poisoned")
            .extend(keys.iter().copied());
        let _ = self.commands.send(SwarmCommand::Partition(keys)).await;
    }

    /// Fault injection: restores traffic with every validator.
    pub async fn heal(&self) {
        self.partitioned
            .lock()
            .expect("partition lock poisoned")
            .clear();
        let _ = self.commands.send(SwarmCommand::Heal).await;
    }

    /// The validators the transport knows, and their state.
    pub async fn peers(&self) -> Vec<PeerInfo> {
        let (reply, answer) = oneshot::channel();
        if self
            .commands
            .send(SwarmCommand::Peers(reply))
            .await
            .is_err()
        {
            return Vec::new();
        }
        answer.await.unwrap_or_default()
    }
}
