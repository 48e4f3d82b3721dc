//! The simulated network: openraft's network traits and the certifier's header votes,
//! carried between the nodes of one process with the fates the world draws.

use std::future::Future;

use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::AnyError;
use truffle_consensus::{NodeId, Raft, TypeConfig, ValidatorNode};
use truffle_ledger::{BlockHeader, HeaderVote};

use crate::world::{Endpoint, Shared};

/// Makes a client per target node.
#[derive(Clone)]
pub(crate) struct SimNetwork {
    pub(crate) world: Shared,
    pub(crate) from: NodeId,
}

/// A client from one node to another.
pub(crate) struct SimClient {
    world: Shared,
    from: NodeId,
    to: NodeId,
}

impl RaftNetworkFactory<TypeConfig> for SimNetwork {
    type Network = SimClient;

    async fn new_client(&mut self, target: NodeId, _node: &ValidatorNode) -> SimClient {
        SimClient {
            world: self.world.clone(),
            from: self.from,
            to: target,
        }
    }
}

type RpcError<E = openraft::error::Infallible> =
    RPCError<NodeId, ValidatorNode, RaftError<NodeId, E>>;

/// Why a simulated call got no answer.
enum Silence {
    /// The message or its reply was lost.
    Lost,
    /// The target is down or on the other side of a partition.
    Unreachable,
}

impl Silence {
    fn into_rpc<E: std::error::Error>(self) -> RpcError<E> {
        match self {
            Silence::Lost => RPCError::Network(NetworkError::new(&AnyError::error("lost"))),
            Silence::Unreachable => {
                RPCError::Unreachable(Unreachable::new(&AnyError::error("unreachable")))
            }
        }
    }
}

/// Carries `request` from `from` to `to` and its answer back, with the fate the world
/// draws; a duplicate is delivered later and its answer dropped.
async fn carry<Req, Resp, Fut>(
    world: &Shared,
    from: NodeId,
    to: NodeId,
    request: Req,
    call: impl Fn(Raft, Req) -> Fut + Send + Sync + Copy + 'static,
) -> Result<Resp, Silence>
where
    Req: Clone + Send + 'static,
    Fut: Future<Output = Resp> + Send + 'static,
    Resp: Send + 'static,
{
    let fate = world.lock().fate(from, to);
    if let Some(after) = fate.duplicate_after {
        let (world, request) = (world.clone(), request.clone());
        tokio::spawn(async move {
            tokio::time::sleep(fate.delay + after).await;
            let raft = world.reach(from, to).map(|target| target.raft.clone());
            if let Some(raft) = raft {
                let _ = call(raft, request).await;
            }
        });
    }
    tokio::time::sleep(fate.delay).await;
    if fate.lost {
        world.lock().stats.lost += 1;
        return Err(Silence::Lost);
    }
    let Some(target) = world.reach(from, to) else {
        world.lock().stats.lost += 1;
        return Err(Silence::Unreachable);
    };
    // Only the Raft handle is held across the call: a node that crashes meanwhile must
    // be able to reopen its store.
    let raft = target.raft.clone();
    drop(target);
    let answer = call(raft, request).await;
    tokio::time::sleep(fate.reply_delay).await;
    if fate.reply_lost || world.cut_between(from, to) {
        world.lock().stats.lost += 1;
        return Err(Silence::Lost);
    }
    Ok(answer)
}

impl SimClient {
    fn remote<E: std::error::Error>(&self, error: RaftError<NodeId, E>) -> RpcError<E> {
        match error {
            // A node stopping (crashed) answers like one that is down.
            RaftError::Fatal(_) => Silence::Unreachable.into_rpc(),
            error => RPCError::RemoteError(RemoteError::new(self.to, error)),
        }
    }
}

impl RaftNetwork<TypeConfig> for SimClient {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, RpcError> {
        let answer = carry(
            &self.world,
            self.from,
            self.to,
            rpc,
            |raft, rpc| async move { raft.append_entries(rpc).await },
        )
        .await
        .map_err(Silence::into_rpc)?;
        answer.map_err(|e| self.remote(e))
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<InstallSnapshotResponse<NodeId>, RpcError<InstallSnapshotError>> {
        let answer = carry(
            &self.world,
            self.from,
            self.to,
            rpc,
            |raft, rpc| async move { raft.install_snapshot(rpc).await },
        )
        .await
        .map_err(Silence::into_rpc)?;
        answer.map_err(|e| self.remote(e))
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        _option: RPCOption,
    ) -> Result<VoteResponse<NodeId>, RpcError> {
        let answer = carry(
            &self.world,
            self.from,
            self.to,
            rpc,
            |raft, rpc| async move { raft.vote(rpc).await },
        )
        .await
        .map_err(Silence::into_rpc)?;
        answer.map_err(|e| self.remote(e))
    }
}

/// Carries a read request from `from` to `to` and its answer back, with the fate the
/// world draws: `read` runs on the target as the request arrives. `None` when the
/// request or the answer is lost, the target is down or cut off, or `read` has nothing.
pub(crate) async fn request<T>(
    world: &Shared,
    from: NodeId,
    to: NodeId,
    read: impl FnOnce(&Endpoint) -> Option<T>,
) -> Option<T> {
    let fate = world.lock().fate(from, to);
    tokio::time::sleep(fate.delay).await;
    let target = if fate.lost {
        None
    } else {
        world.reach(from, to)
    };
    let Some(target) = target else {
        world.lock().stats.lost += 1;
        return None;
    };
    // Only the answer is held across the wait: a node that crashes meanwhile must be
    // able to reopen its store.
    let answer = read(&target);
    drop(target);
    tokio::time::sleep(fate.reply_delay).await;
    if fate.reply_lost || world.cut_between(from, to) {
        world.lock().stats.lost += 1;
        return None;
    }
    answer
}

/// Sends `from`'s vote for `header` to `to`'s certifier (fire and forget, as a node
/// does), with the fate the world draws.
pub(crate) fn send_vote(
    world: &Shared,
    from: NodeId,
    to: NodeId,
    header: BlockHeader,
    vote: HeaderVote,
) {
    let fate = world.lock().fate(from, to);
    let copies = 1 + u32::from(fate.duplicate_after.is_some());
    for copy in 0..copies {
        let (world, header, vote) = (world.clone(), header.clone(), vote.clone());
        let delay = fate.delay
            + fate
                .duplicate_after
                .filter(|_| copy == 1)
                .unwrap_or_default();
        let lost = fate.lost && copy == 0;
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let target = if lost { None } else { world.reach(from, to) };
            let Some(target) = target else {
                world.lock().stats.lost += 1;
                return;
            };
            let validators = truffle_engine::certifying_set(&target.store, header.height);
            let height = header.height;
            let outcome = target.certifier.on_vote(header, vote, &validators);
            if let Ok(truffle_engine::VoteOutcome::Certified) = outcome {
                let name = world.lock().name(to);
                world.note(format!("{name} certified {height}"));
            }
        });
    }
}
