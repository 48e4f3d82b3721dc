//! openraft's network traits over the libp2p transport.

use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::AnyError;
use truffle_ledger::PublicKey;

use super::{P2p, P2pError, RaftReply, RaftRequest, WireRequest, WireResponse};
use crate::types::{NodeId, TypeConfig, ValidatorNode};

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
