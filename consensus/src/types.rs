//! The types openraft is instantiated with.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use truffle_ledger::{BlockProposal, Hash, PublicKey};

/// Raft node ids are derived from validator keys, so every node agrees on them
/// without a registry: the first 8 bytes of blake3(key), big-endian.
pub type NodeId = u64;

/// The Raft node id of a validator key.
pub fn node_id_of(key: &PublicKey) -> NodeId {
    let digest = Hash::tagged(b"truffle/v1/node-id", &[&key.0]);
    u64::from_be_bytes(digest.0[..8].try_into().expect("8 bytes"))
}

/// What Raft knows of a member node: its key and where to reach it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorNode {
    /// ed25519 key, hex.
    pub key: String,
    /// libp2p address, e.g. "/ip4/127.0.0.1/tcp/30333".
    pub p2p_address: String,
}

impl std::fmt::Display for ValidatorNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}@{}",
            &self.key[..self.key.len().min(12)],
            self.p2p_address
        )
    }
}

/// What a Raft entry carries, borsh-encoded inside [`Command`].
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum AppCommand {
    /// A block of ledger transactions.
    Block(BlockProposal),
    /// An operation on the replicated service data (see [`crate::ServiceApplier`]).
    Service(Vec<u8>),
}

/// A Raft entry's application payload: an [`AppCommand`], kept as bytes so that the
/// transport carries it without re-encoding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command(#[serde(with = "serde_bytes")] pub Vec<u8>);

impl Command {
    /// Encodes a command.
    pub fn new(command: &AppCommand) -> Command {
        Command(borsh::to_vec(command).expect("encoding to a Vec cannot fail"))
    }

    /// Decodes the command.
    pub fn decode(&self) -> Result<AppCommand, std::io::Error> {
        borsh::from_slice(&self.0)
    }
}

/// What applying an entry produced.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyResponse {
    /// Height of the block the entry became, for block entries.
    pub height: Option<u64>,
    /// The service applier's answer, for service entries.
    #[serde(with = "serde_bytes")]
    pub service: Vec<u8>,
}

openraft::declare_raft_types!(
    /// openraft instantiated for Truffle.
    pub TypeConfig:
        D = Command,
        R = ApplyResponse,
        NodeId = NodeId,
        Node = ValidatorNode,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = SnapshotData,
        // tokio, with a random source the simulation can seed (`runtime.rs`).
        AsyncRuntime = crate::runtime::SeededTokio,
);

/// A snapshot's data as openraft reads and writes it: a file, because it carries the
/// block history and grows with the chain.
pub type SnapshotData = tokio::fs::File;

/// The Raft handle.
pub type Raft = openraft::Raft<TypeConfig>;
/// A log id.
pub type LogId = openraft::LogId<NodeId>;
/// A vote.
pub type Vote = openraft::Vote<NodeId>;
/// A membership.
pub type Membership = openraft::Membership<NodeId, ValidatorNode>;
/// A membership with the log id that set it.
pub type StoredMembership = openraft::StoredMembership<NodeId, ValidatorNode>;
/// A storage error.
pub type StorageError = openraft::StorageError<NodeId>;
/// A log entry.
pub type Entry = openraft::Entry<TypeConfig>;
