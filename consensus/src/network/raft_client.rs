//! openraft's network traits over the libp2p transport.

use openraft::error::{
    InstallSnapshotError, NetworkError, PayloadTooLarge, RPCError, RaftError, RemoteError,
    Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::{AnyError, EntryPayload};
use truffle_ledger::PublicKey;

use super::{P2p, P2pError, RaftReply, RaftRequest, WireRequest, WireResponse, MAX_MESSAGE_BYTES};
use crate::types::{NodeId, TypeConfig, ValidatorNode};

/// Bytes of entries one append may carry: the message limit less 4 MiB for the
/// encoding's framing. A block is at most 24 MiB (the genesis ceiling), so one entry
/// always fits; several are sent in as many appends as they need.
const APPEND_BUDGET: u64 = MAX_MESSAGE_BYTES - 4 * 1024 * 1024;

/// When entries of `sizes` (in order) exceed `budget` together, how many of the first
/// fit (at least one: openraft then sends that many); `None` when all fit.
fn entries_hint(sizes: impl IntoIterator<Item = u64>, budget: u64) -> Option<u64> {
    let mut total = 0u64;
    for (count, size) in sizes.into_iter().enumerate() {
        total = total.saturating_add(size);
        if total > budget {
            return Some((count as u64).max(1));
        }
    }
    None
}

/// Makes a client per target validator.
#[derive(Clone)]
pub struct NetworkFactory {
    p2p: P2p,
}

impl NetworkFactory {
    /// A factory over the transport.
    pub fn new(p2p: P2p) -> NetworkFactory {
        NetworkFactory { p2p }
    }
}

/// A client to one validator.
pub struct NetworkClient {
    p2p: P2p,
    target: NodeId,
    key: Option<PublicKey>,
}

impl RaftNetworkFactory<TypeConfig> for NetworkFactory {
    type Network = NetworkClient;

    async fn new_client(&mut self, target: NodeId, node: &ValidatorNode) -> NetworkClient {
        NetworkClient {
            p2p: self.p2p.clone(),
            target,
            key: PublicKey::from_hex(&node.key).ok(),
        }
    }
}

type RpcError<E = openraft::error::Infallible> =
    RPCError<NodeId, ValidatorNode, RaftError<NodeId, E>>;

impl NetworkClient {
    async fn call<E: std::error::Error>(
        &self,
        request: RaftRequest,
    ) -> Result<RaftReply, RpcError<E>> {
        let Some(key) = self.key else {
            return Err(RPCError::Unreachable(Unreachable::from(AnyError::error(
                "membership holds a malformed key",
            ))));
        };
        match self.p2p.request(&key, WireRequest::Raft(request)).await {
            Ok(WireResponse::Raft(reply)) => Ok(reply),
            Ok(WireResponse::Refused(reason)) => Err(RPCError::Unreachable(Unreachable::from(
                AnyError::error(reason),
            ))),
            Ok(WireResponse::App(_)) => Err(RPCError::Network(NetworkError::from(
                AnyError::error("unexpected reply"),
            ))),
            Err(error @ (P2pError::Unreachable(..) | P2pError::Stopped)) => Err(
                RPCError::Unreachable(Unreachable::from(AnyError::error(error.to_string()))),
            ),
            Err(error) => Err(RPCError::Network(NetworkError::from(AnyError::error(
                error.to_string(),
            )))),
        }
    }

    fn unexpected<E: std::error::Error>() -> RpcError<E> {
        RPCError::Network(NetworkError::from(AnyError::error(
            "reply of the wrong kind",
        )))
    }
}

impl RaftNetwork<TypeConfig> for NetworkClient {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, RpcError> {
        // Peers drop messages over the limit: ask openraft for fewer entries instead.
        let sizes = rpc.entries.iter().map(|entry| match &entry.payload {
            EntryPayload::Normal(command) => command.0.len() as u64 + 64,
            _ => 1024,
        });
        if rpc.entries.len() > 1 {
            if let Some(hint) = entries_hint(sizes, APPEND_BUDGET) {
                return Err(PayloadTooLarge::new_entries_hint(hint).into());
            }
        }
        match self.call(RaftRequest::AppendEntries(rpc)).await? {
            RaftReply::AppendEntries(result) => {
                result.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
            }
            _ => Err(Self::unexpected()),
        }
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<InstallSnapshotResponse<NodeId>, RpcError<InstallSnapshotError>> {
        match self.call(RaftRequest::InstallSnapshot(rpc)).await? {
            RaftReply::InstallSnapshot(result) => {
                result.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
            }
            _ => Err(Self::unexpected()),
        }
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        _option: RPCOption,
    ) -> Result<VoteResponse<NodeId>, RpcError> {
        match self.call(RaftRequest::Vote(rpc)).await? {
            RaftReply::Vote(result) => {
                result.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
            }
            _ => Err(Self::unexpected()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::entries_hint;

    #[test]
    fn appends_over_the_budget_are_split() {
        assert_eq!(entries_hint([10, 10, 10], 30), None);
        assert_eq!(entries_hint([10, 10, 11], 30), Some(2));
        assert_eq!(
            entries_hint([40, 10], 30),
            Some(1),
            "one entry always goes alone"
        );
        // Two blocks at the 24 MiB genesis ceiling go in two appends.
        let block = truffle_ledger::types::MAX_MAX_BLOCK_BYTES;
        assert_eq!(entries_hint([block, block], super::APPEND_BUDGET), Some(1));
        assert!(block + 64 <= super::APPEND_BUDGET);
    }
}
