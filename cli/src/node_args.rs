//! Arguments of the commands that run or look after a node: `truffle node ...`,
//! `truffle config ...` and `truffle dev`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand};

/// `truffle config ...`
#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Print the configuration file with every key, its meaning and its default.
    Default,
    /// Load a configuration as `node run` would (file, TRUFFLE_* variables, flags),
    /// validate it and print the result.
    Check(Box<NodeRunArgs>),
}

/// `truffle node ...`
#[derive(Debug, Subcommand)]
pub(crate) enum NodeCommand {
    /// Run a node until interrupted.
    Run(Box<NodeRunArgs>),
    /// Compact a stopped node's database, so that deleted data leaves its files.
    Compact {
        /// The node's data folder.
        #[arg(long = "data-dir")]
        data_dir: PathBuf,
    },
    /// Take an online backup of a running node (through its admin RPC): a consistent
    /// RocksDB checkpoint, the Raft snapshot files and a manifest, written by the node
    /// into a folder on its own machine. The search index is not included: a restored
    /// node rebuilds it from the ledger at start.
    Backup(NodeBackupArgs),
    /// Restore a stopped node's data folder from a backup; the node then starts as
    /// usual and catches up from the leader.
    ///
    /// SAFETY: a restore rolls this member's Raft log and vote back to the backup. That
    /// is safe while the other members hold a majority of up-to-date logs: restore one
    /// member at a time, and only with the rest of the cluster running.
    #[command(verbatim_doc_comment)]
    Restore(NodeRestoreArgs),
}

/// `truffle node backup`
#[derive(Debug, Args)]
pub(crate) struct NodeBackupArgs {
    /// Where the node writes the backup: an absolute folder on the node's machine,
    /// outside its data folder, that does not exist yet or is empty.
    #[arg(long)]
    pub(crate) to: PathBuf,
    /// The node's JSON-RPC URL.
    #[arg(long, env = "TRUFFLE_RPC", default_value = "http://127.0.0.1:9944")]
    pub(crate) rpc: String,
    /// The operator token file (sent as `Authorization: Bearer <token>`).
    #[arg(
        long = "admin-token-file",
        env = "TRUFFLE_ADMIN_TOKEN_FILE",
        conflicts_with = "data_dir"
    )]
    pub(crate) admin_token_file: Option<PathBuf>,
    /// The node's data folder, to read its `admin.token` (when no token file is given).
    #[arg(long = "data-dir")]
    pub(crate) data_dir: Option<PathBuf>,
}

/// `truffle node restore`
#[derive(Debug, Args)]
pub(crate) struct NodeRestoreArgs {
    /// The backup folder (as written by `truffle node backup`).
    #[arg(long)]
    pub(crate) from: PathBuf,
    /// The stopped node's data folder.
    #[arg(long = "data-dir")]
    pub(crate) data_dir: PathBuf,
    /// Replace a data folder that holds data: it is moved aside to
    /// `<data-dir>.pre-restore-<ms>`, never deleted.
    #[arg(long)]
    pub(crate) force: bool,
    /// The node's key file: refuse a backup taken from another node.
    #[arg(long = "key-file")]
    pub(crate) key_file: Option<PathBuf>,
    /// The chain (`dev`, `local` or a genesis file): refuse a backup of another chain.
    #[arg(long)]
    pub(crate) chain: Option<String>,
}

/// Settings of a node; each overrides the config file, and env vars fill in for flags.
#[derive(Debug, Args, Default)]
pub(crate) struct NodeRunArgs {
    /// TOML config file.
    #[arg(long, env = "TRUFFLE_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Folder of the node's data.
    #[arg(long = "data-dir", env = "TRUFFLE_DATA_DIR", help_heading = "Storage")]
    pub(crate) data_dir: Option<PathBuf>,
    /// `dev`, `local` or a genesis file.
    #[arg(long, env = "TRUFFLE_CHAIN", help_heading = "Chain")]
    pub(crate) chain: Option<String>,
    /// The validator key file.
    #[arg(long = "key-file", env = "TRUFFLE_KEY_FILE", help_heading = "Chain")]
    pub(crate) key_file: Option<PathBuf>,
    /// Which preset validator to be (dev/local chains without a key file).
    #[arg(
        long = "validator-index",
        env = "TRUFFLE_VALIDATOR_INDEX",
        help_heading = "Chain"
    )]
    pub(crate) validator_index: Option<usize>,
    /// JSON-RPC, WebSocket and pages address.
    #[arg(long = "rpc.listen", env = "TRUFFLE_RPC_LISTEN", help_heading = "RPC")]
    pub(crate) rpc_listen: Option<SocketAddr>,
    /// Loopback address for the `admin_*` methods (then refused on --rpc.listen).
    #[arg(
        long = "rpc.admin-listen",
        env = "TRUFFLE_RPC_ADMIN_LISTEN",
        help_heading = "RPC"
    )]
    pub(crate) rpc_admin_listen: Option<SocketAddr>,
    /// File with the operator's token for `admin_*` methods (default <data-dir>/admin.token).
    #[arg(
        long = "admin-token-file",
        env = "TRUFFLE_ADMIN_TOKEN_FILE",
        help_heading = "RPC"
    )]
    pub(crate) admin_token_file: Option<PathBuf>,
    /// libp2p listen address, e.g. /ip4/127.0.0.1/tcp/30333.
    #[arg(
        long = "p2p.listen",
        env = "TRUFFLE_P2P_LISTEN",
        help_heading = "Network"
    )]
    pub(crate) p2p_listen: Option<String>,
    /// Most transactions per block.
    #[arg(
        long = "block.max-transactions",
        env = "TRUFFLE_BLOCK_MAX_TRANSACTIONS",
        help_heading = "Consensus"
    )]
    pub(crate) max_block_transactions: Option<usize>,
    /// Block proposals the leader keeps in flight at once.
    #[arg(
        long = "block.max-in-flight",
        env = "TRUFFLE_BLOCK_MAX_IN_FLIGHT",
        help_heading = "Consensus"
    )]
    pub(crate) max_proposals_in_flight: Option<usize>,
    /// Longest wait, ms, for a fuller block while another proposal is in flight.
    #[arg(
        long = "block.batch-wait-ms",
        env = "TRUFFLE_BLOCK_BATCH_WAIT_MS",
        help_heading = "Consensus"
    )]
    pub(crate) block_batch_wait_ms: Option<u64>,
    /// Most pooled transactions per signer.
    #[arg(
        long = "mempool.per-signer",
        env = "TRUFFLE_MEMPOOL_PER_SIGNER",
        help_heading = "Consensus"
    )]
    pub(crate) mempool_per_signer: Option<usize>,
    /// Raft heartbeat, ms.
    #[arg(
        long = "raft.heartbeat-ms",
        env = "TRUFFLE_RAFT_HEARTBEAT_MS",
        help_heading = "Consensus"
    )]
    pub(crate) raft_heartbeat_ms: Option<u64>,
    /// Raft election timeout minimum, ms.
    #[arg(
        long = "raft.election-min-ms",
        env = "TRUFFLE_RAFT_ELECTION_MIN_MS",
        help_heading = "Consensus"
    )]
    pub(crate) raft_election_min_ms: Option<u64>,
    /// Raft election timeout maximum, ms.
    #[arg(
        long = "raft.election-max-ms",
        env = "TRUFFLE_RAFT_ELECTION_MAX_MS",
        help_heading = "Consensus"
    )]
    pub(crate) raft_election_max_ms: Option<u64>,
    /// Raft entries between snapshots.
    #[arg(
        long = "snapshot.every-entries",
        env = "TRUFFLE_SNAPSHOT_EVERY_ENTRIES",
        help_heading = "Consensus"
    )]
    pub(crate) snapshot_every_entries: Option<u64>,
    /// File with the cluster's vault key (64 hex characters) that seals personal data.
    #[arg(
        long = "vault-key-file",
        env = "TRUFFLE_VAULT_KEY_FILE",
        help_heading = "Members"
    )]
    pub(crate) vault_key_file: Option<PathBuf>,
    /// How long a vault epoch lasts, seconds (a withdrawal is erased from every copy
    /// within two epochs).
    #[arg(
        long = "vault.epoch-secs",
        env = "TRUFFLE_VAULT_EPOCH_SECS",
        help_heading = "Members"
    )]
    pub(crate) vault_epoch_secs: Option<u64>,
    /// URL of the SMS gateway (required, except on dev presets or with --sms.console).
    #[arg(
        long = "sms.gateway-url",
        env = "TRUFFLE_SMS_GATEWAY_URL",
        help_heading = "Members"
    )]
    pub(crate) sms_gateway_url: Option<String>,
    /// File holding the SMS gateway's API key (or TRUFFLE_SMS_GATEWAY_KEY).
    #[arg(
        long = "sms.gateway-key-file",
        env = "TRUFFLE_SMS_GATEWAY_KEY_FILE",
        help_heading = "Members"
    )]
    pub(crate) sms_gateway_key_file: Option<PathBuf>,
    /// Write verification codes to the log instead of sending them (development only).
    #[arg(
        long = "sms.console",
        env = "TRUFFLE_SMS_CONSOLE",
        help_heading = "Members"
    )]
    pub(crate) sms_console: bool,
    /// How long a phone code is valid, seconds.
    #[arg(
        long = "members.code-ttl-secs",
        env = "TRUFFLE_MEMBERS_CODE_TTL_SECS",
        help_heading = "Members"
    )]
    pub(crate) phone_code_ttl_secs: Option<u64>,
    /// Least time between two codes to one phone, seconds.
    #[arg(
        long = "members.resend-interval-secs",
        env = "TRUFFLE_MEMBERS_RESEND_INTERVAL_SECS",
        help_heading = "Members"
    )]
    pub(crate) phone_resend_interval_secs: Option<u64>,
    /// How long a login session lasts, seconds.
    #[arg(
        long = "members.session-ttl-secs",
        env = "TRUFFLE_MEMBERS_SESSION_TTL_SECS",
        help_heading = "Members"
    )]
    pub(crate) session_ttl_secs: Option<u64>,
    /// Let `truffle testnet` cut and restore links (never on a real network).
    #[arg(
        long = "enable-fault-injection",
        env = "TRUFFLE_ENABLE_FAULT_INJECTION",
        help_heading = "Testing"
    )]
    pub(crate) enable_fault_injection: bool,
    /// What this node is: `validator`, or `follower` (a seller's own full node: syncs
    /// certified blocks from the validators, votes on nothing; needs --key-file with a
    /// key an admin allowed with `truffle validator allow-follower`).
    #[arg(long = "role", env = "TRUFFLE_ROLE", value_parser = ["validator", "follower"])]
    pub(crate) role: Option<String>,
    /// A validator's public RPC address, named by a follower node when it refuses a
    /// member operation (repeat for several).
    #[arg(
        long = "follower.validator-rpc",
        env = "TRUFFLE_FOLLOWER_VALIDATOR_RPC",
        value_delimiter = ','
    )]
    pub(crate) follower_validator_rpc: Vec<String>,
    /// Fault injection (needs --enable-fault-injection): serve followers blocks with
    /// forged certificates.
    #[arg(
        long = "fault.forge-follower-certificates",
        env = "TRUFFLE_FAULT_FORGE_FOLLOWER_CERTIFICATES",
        help_heading = "Testing"
    )]
    pub(crate) fault_forge_follower_certificates: bool,
    /// Fault injection (needs --enable-fault-injection): serve followers a snapshot with
    /// a forged state record and a matching checksum.
    #[arg(
        long = "fault.forge-follower-snapshot",
        env = "TRUFFLE_FAULT_FORGE_FOLLOWER_SNAPSHOT",
        help_heading = "Testing"
    )]
    pub(crate) fault_forge_follower_snapshot: bool,
    /// File holding the secret path segment of the Kakao skill webhook
    /// (POST /kakao/skill/{secret}); without one the webhook answers 404.
    #[arg(
        long = "kakao.secret-file",
        env = "TRUFFLE_KAKAO_SECRET_FILE",
        help_heading = "Kakao"
    )]
    pub(crate) kakao_secret_file: Option<PathBuf>,
    /// A Kakao i Open Builder bot id allowed to call the webhook (repeat for several).
    #[arg(
        long = "kakao.bot-id",
        env = "TRUFFLE_KAKAO_BOT_IDS",
        value_delimiter = ',',
        help_heading = "Kakao"
    )]
    pub(crate) kakao_bot_ids: Vec<String>,
    /// The Truffle site the bot links to (items, raffles, orders, the link page).
    #[arg(
        long = "kakao.site-url",
        env = "TRUFFLE_KAKAO_SITE_URL",
        help_heading = "Kakao"
    )]
    pub(crate) kakao_site_url: Option<String>,
    /// Payments, order expiry and raffle draws.
    #[command(flatten)]
    pub(crate) market: crate::commands::market::MarketArgs,
}

/// `truffle dev`: the node's settings as `node run` takes them (a config file,
/// `TRUFFLE_*` variables, flags: Kakao, payments, SMS, ...) over the development
/// defaults; the chain is always the `dev` preset.
#[derive(Debug, Args)]
pub(crate) struct DevArgs {
    /// Start from an empty chain (deletes the data folder first).
    #[arg(long)]
    pub(crate) reset: bool,
    /// Do not load demo data.
    #[arg(long = "no-demo")]
    pub(crate) no_demo: bool,
    /// The node's settings (default data folder ./truffle-dev-data, RPC on
    /// 127.0.0.1:9944).
    #[command(flatten)]
    pub(crate) node: NodeRunArgs,
}
