//! `system_*`: the node itself.

use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use serde_json::Value;

use crate::views::VersionView;

/// The node itself.
#[rpc(server, client, namespace = "system")]
pub trait SystemApi {
    /// Role, leader, term, committed and applied positions, head, peers.
    #[method(name = "health")]
    async fn health(&self) -> RpcResult<Value>;

    /// Software version and chain.
    #[method(name = "version")]
    fn version(&self) -> RpcResult<VersionView>;

    /// The validators this node's transport knows, and whether each is connected.
    #[method(name = "peers")]
    async fn peers(&self) -> RpcResult<Value>;

    /// Fault injection (testnet only): cut links to these validator keys.
    #[method(name = "partition")]
    async fn partition(&self, keys: Vec<String>) -> RpcResult<()>;

    /// Fault injection (testnet only): restore all links.
    #[method(name = "heal")]
    async fn heal(&self) -> RpcResult<()>;

    /// Fault injection (testnet only): when `on`, this validator signs a second,
    /// different header at every height and sends it to half of the other validators
    /// instead of its honest vote (a Byzantine validator, for tests).
    #[method(name = "equivocate")]
    async fn equivocate(&self, on: bool) -> RpcResult<()>;

    /// Fault injection (testnet only): when `on`, this validator signs no header, as if
    /// every vote it sent were lost; with `false` it votes again on the heights left
    /// uncertified.
    #[method(name = "withholdVotes")]
    async fn withhold_votes(&self, on: bool) -> RpcResult<()>;

    /// Fault injection (testnet only): how this node lies about raffles' randomness in
    /// the blocks it proposes as leader: `honest`, `censor_contributions`,
    /// `forge_contributions` or `time_beyond_step`.
    #[method(name = "leaderFault")]
    async fn leader_fault(&self, fault: String) -> RpcResult<()>;

    /// Fault injection (testnet only): signs votes for `count` heights beyond the vote
    /// window above this validator's head and sends each to every other validator;
    /// returns how many of those sends were refused.
    #[method(name = "sendFarFutureVotes")]
    async fn send_far_future_votes(&self, count: u32) -> RpcResult<u64>;

    /// Fault injection (testnet only, on the leader): proposes one block that breaks a
    /// genesis block rule, `"oversized"` (over `max_block_bytes`) or `"future_time"`
    /// (beyond the parent's time plus `max_block_time_step_ms`); returns the height of
    /// the block it made, or null when every node refused it.
    #[method(name = "proposeInvalidBlock")]
    async fn propose_invalid_block(&self, kind: String) -> RpcResult<Option<u64>>;
}
