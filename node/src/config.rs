//! A node's configuration. The CLI fills it from a TOML file, `TRUFFLE_*` environment
//! variables and flags, in increasing precedence.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// How a node runs.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeConfig {
    /// Folder of the node's database, snapshots and indexes.
    pub data_dir: PathBuf,
    /// `dev`, `local`, or the path of a genesis file.
    pub chain: String,
    /// The validator key file. Without one, a `dev`/`local` node uses the preset key of
    /// `validator_index`.
    pub key_file: Option<PathBuf>,
    /// Which preset validator this node is when no key file is given.
    pub validator_index: usize,
    /// JSON-RPC, WebSocket and pages.
    pub rpc_listen: SocketAddr,
    /// libp2p listen address; defaults to this validator's address in the genesis.
    pub p2p_listen: Option<String>,
    /// Most transactions per block (capped by the chain's parameter).
    pub max_block_transactions: usize,
    /// Proposals the leader keeps in flight at once.
    pub max_proposals_in_flight: usize,
    /// While another proposal is in flight, how long (ms) the leader may wait for the
    /// pool to fill a block: fewer, larger blocks under load; no wait when idle.
    pub block_batch_wait_ms: u64,
    /// Capacity of the transaction pool.
    pub mempool_capacity: usize,
    /// Most pooled transactions per signer.
    pub mempool_per_signer: usize,
    /// Seconds a transaction may wait in the pool.
    pub mempool_max_age_secs: u64,
    /// Raft heartbeat, ms.
    pub raft_heartbeat_ms: u64,
    /// Raft election timeout, minimum ms.
    pub raft_election_min_ms: u64,
    /// Raft election timeout, maximum ms.
    pub raft_election_max_ms: u64,
    /// Raft entries between snapshots.
    pub snapshot_every_entries: u64,
    /// Largest JSON-RPC request body, bytes.
    pub rpc_max_request_bytes: u32,
    /// Most calls in one JSON-RPC batch.
    pub rpc_max_batch: u32,
    /// Most concurrent RPC connections.
    pub rpc_max_connections: u32,
    /// Allows `testnet` to cut and restore links (never on a real network).
    pub enable_fault_injection: bool,
    /// File holding the cluster's vault key (64 hex characters), shared by the validators.
    pub vault_key_file: Option<PathBuf>,
    /// URL of the SMS gateway; codes go to the log (development) without one.
    pub sms_gateway_url: Option<String>,
    /// File holding the SMS gateway's API key.
    pub sms_gateway_key_file: Option<PathBuf>,
    /// How long a phone code is valid, seconds.
    pub phone_code_ttl_secs: u64,
    /// Least time between two codes to one phone, seconds.
    pub phone_resend_interval_secs: u64,
    /// How long a login session lasts, seconds.
    pub session_ttl_secs: u64,
    /// File holding the secret path segment of the Kakao skill webhook
    /// (`POST /kakao/skill/{secret}`); the webhook answers 404 to everything without one.
    pub kakao_secret_file: Option<PathBuf>,
    /// Kakao i Open Builder bot ids allowed to call the webhook (others get 403).
    pub kakao_bot_ids: Vec<String>,
    /// The Truffle site the bot links to (`<site>/items/{id}`, ...); defaults to this
    /// node's RPC address.
    pub kakao_site_url: Option<String>,
    /// Hosts (`host` or `host:port`) the webhook may POST callback answers to.
    pub kakao_callback_hosts: Vec<String>,
    /// How long the webhook waits for an answer before switching to callback mode
    /// (when the block allows it), ms; 0 answers in callback mode whenever allowed.
    pub kakao_answer_budget_ms: u64,
    /// How long a Kakao link code is valid, seconds.
    pub kakao_link_code_ttl_secs: u64,
    /// How long chat messages are kept, seconds.
    pub chat_retention_secs: u64,
    /// Most chat messages a member may send per window.
    pub chat_rate_max_messages: u32,
    /// The window of the chat rate limit, seconds.
    pub chat_rate_window_secs: u64,
    /// How often the leader prunes expired chat messages and link codes, seconds.
    pub chat_prune_interval_secs: u64,
    /// Payments (provider, webhook), order expiry and raffle draws (`[market]`).
    pub market: crate::market::MarketConfig,
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            data_dir: PathBuf::from("./truffle-data"),
            chain: "dev".into(),
            key_file: None,
            validator_index: 0,
            rpc_listen: "127.0.0.1:9944".parse().expect("a valid address"),
            p2p_listen: None,
            max_block_transactions: 5_000,
            max_proposals_in_flight: 2,
            block_batch_wait_ms: 20,
            mempool_capacity: 200_000,
            mempool_per_signer: 64,
            mempool_max_age_secs: 120,
            raft_heartbeat_ms: 150,
            raft_election_min_ms: 600,
            raft_election_max_ms: 1_200,
            snapshot_every_entries: 10_000,
            rpc_max_request_bytes: 1024 * 1024,
            rpc_max_batch: 100,
            rpc_max_connections: 1_000,
            enable_fault_injection: false,
            vault_key_file: None,
            sms_gateway_url: None,
            sms_gateway_key_file: None,
            phone_code_ttl_secs: 300,
            phone_resend_interval_secs: 60,
            session_ttl_secs: 12 * 3600,
            kakao_secret_file: None,
            kakao_bot_ids: Vec::new(),
            kakao_site_url: None,
            kakao_callback_hosts: vec!["bot-api.kakao.com".into()],
            kakao_answer_budget_ms: 3_000,
            kakao_link_code_ttl_secs: 300,
            chat_retention_secs: 90 * 24 * 3600,
            chat_rate_max_messages: 30,
            chat_rate_window_secs: 60,
            chat_prune_interval_secs: 600,
            market: crate::market::MarketConfig::default(),
        }
    }
}

impl NodeConfig {
    /// Reads a TOML config file (unknown keys are errors: a typo must not pass silently).
    pub fn from_toml_file(path: &std::path::Path) -> Result<NodeConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        toml::from_str(&text)
            .map_err(|e| format!("{} is not a valid node config: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_overrides_defaults_and_rejects_typos() {
        let config: NodeConfig =
            toml::from_str("chain = \"local\"\nrpc_listen = \"127.0.0.1:9000\"").unwrap();
        assert_eq!(config.chain, "local");
        assert_eq!(config.rpc_listen.port(), 9000);
        assert_eq!(
            config.mempool_capacity,
            NodeConfig::default().mempool_capacity
        );
        let error = toml::from_str::<NodeConfig>("chian = \"dev\"")
            .unwrap_err()
            .to_string();
        assert!(error.contains("chian"), "{error}");
    }
}
