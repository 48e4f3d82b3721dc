//! Command-line arguments, one `Args` struct per concern.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub(crate) use crate::common_args::{RpcArgs, SessionArgs};
pub(crate) use crate::node_args::{
    ConfigCommand, DevArgs, NodeBackupArgs, NodeCommand, NodeRestoreArgs, NodeRunArgs,
};
pub(crate) use crate::output::OutputFormat;

/// Truffle: a permissioned ledger of limited editions, raffles and payments.
#[derive(Debug, Parser)]
#[command(name = "truffle", version, propagate_version = true)]
pub(crate) struct Cli {
    /// Logging.
    #[command(flatten)]
    pub(crate) logging: LoggingArgs,
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

impl Cli {
    /// Whether the command runs a node in this process (`node run`, `dev`).
    pub(crate) fn runs_a_node(&self) -> bool {
        matches!(
            self.command,
            Command::Node(NodeCommand::Run(_)) | Command::Dev(_)
        )
    }
}

/// Logging options.
#[derive(Debug, Args)]
#[command(next_help_heading = "Logging")]
pub(crate) struct LoggingArgs {
    /// Log filter (tracing env-filter syntax), e.g. "info,consensus=debug".
    #[arg(
        long = "log.filter",
        env = "TRUFFLE_LOG",
        default_value = "info",
        global = true
    )]
    pub(crate) filter: String,
    /// Log format.
    #[arg(long = "log.format", alias = "log-format", env = "TRUFFLE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub(crate) format: LogFormat,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create and inspect ed25519 key files.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Create and inspect genesis specs.
    #[command(subcommand)]
    Genesis(GenesisCommand),
    /// Print the documented default configuration, or check a configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Run a validator node.
    #[command(subcommand)]
    Node(NodeCommand),
    /// Run a single-node development chain with demo data.
    Dev(Box<DevArgs>),
    /// Build, sign and submit a transaction.
    Tx(TxArgs),
    /// Read blocks, transactions, accounts and products from a node.
    #[command(subcommand)]
    Query(QueryCommand),
    /// Start and control a cluster of local node processes (development and tests).
    #[command(subcommand)]
    Testnet(TestnetCommand),
    /// Add or remove validators (admin-signed transactions; Raft membership follows).
    #[command(subcommand)]
    Validator(ValidatorCommand),
    /// Measure throughput, latency, resources and failover on a real cluster.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Register, transfer, search limited editions; ownership histories.
    #[command(subcommand)]
    Product(crate::commands::catalog::ProductCommand),
    /// Resale: list a piece you own for sale at a price, or take it off sale.
    #[command(subcommand)]
    Item(crate::commands::item::ItemCommand),
    /// Apply to sell; approve and revoke sellers (admin); seller standing.
    #[command(subcommand)]
    Seller(crate::commands::catalog::SellerCommand),
    /// Banner campaigns: create (admin), list, stats (admin).
    #[command(subcommand)]
    Ad(crate::commands::ads::AdCommand),
    /// Member accounts: signup with a verified phone, login, profile, withdrawal.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Check, trusting no node, that an item is authentic, a raffle was drawn fairly, or
    /// that the whole chain replays from genesis.
    #[command(subcommand)]
    Verify(VerifyCommand),
    /// Chat with the other member about an item or an order: open, send, history, watch.
    #[command(subcommand)]
    Chat(crate::commands::chat::ChatCommand),
    /// Raffles: create with a committed secret, enter, reveal, draw, show the checkable draw.
    #[command(subcommand)]
    Raffle(crate::commands::market::RaffleCommand),
    /// Orders: create, pay through the payment provider, refund (admin), history.
    #[command(subcommand)]
    Order(crate::commands::order::OrderCommand),
    /// Recommendations: evaluate on MovieLens 100K, measure latency on a synthetic market.
    #[command(subcommand)]
    Reco(crate::commands::reco::RecoCommand),
    /// Simulate a validator cluster deterministically over many seeds: faults on a
    /// simulated network, disk and clock, then the invariants checked.
    Sim(crate::commands::sim::SimArgs),
}

/// `truffle account ...`
#[derive(Debug, Subcommand)]
pub(crate) enum AccountCommand {
    /// Verify a phone by SMS, then create the member (the wallet key is created if missing).
    Signup {
        /// Email (login name).
        #[arg(long)]
        email: String,
        /// Real name.
        #[arg(long)]
        name: String,
        /// female, male or other.
        #[arg(long)]
        gender: String,
        /// Birth year.
        #[arg(long = "birth-year")]
        birth_year: u16,
        /// Phone, e.g. 010-1234-5678.
        #[arg(long)]
        phone: String,
        /// Postal address.
        #[arg(long)]
        address: Option<String>,
        /// Wallet key file (created when it does not exist).
        #[arg(long)]
        key: PathBuf,
        /// The SMS code (asked for on the terminal when omitted).
        #[arg(long)]
        code: Option<String>,
        /// File holding the password (else TRUFFLE_PASSWORD).
        #[arg(long = "password-file")]
        password_file: Option<PathBuf>,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// Log in; the session token goes to the session file.
    Login {
        /// Email.
        #[arg(long)]
        email: String,
        /// File holding the password (else TRUFFLE_PASSWORD).
        #[arg(long = "password-file")]
        password_file: Option<PathBuf>,
        /// Session file and node.
        #[command(flatten)]
        session: SessionArgs,
    },
    /// End the session on every node.
    Logout {
        /// Session file and node.
        #[command(flatten)]
        session: SessionArgs,
    },
    /// Show my profile.
    Me {
        /// Session file and node.
        #[command(flatten)]
        session: SessionArgs,
    },
    /// Change my profile or password.
    Update {
        /// New name.
        #[arg(long)]
        name: Option<String>,
        /// New gender.
        #[arg(long)]
        gender: Option<String>,
        /// New address ("" removes it).
        #[arg(long)]
        address: Option<String>,
        /// File holding a new password (the current one comes from --password-file or TRUFFLE_PASSWORD).
        #[arg(long = "new-password-file")]
        new_password_file: Option<PathBuf>,
        /// File holding the current password.
        #[arg(long = "password-file")]
        password_file: Option<PathBuf>,
        /// Session file and node.
        #[command(flatten)]
        session: SessionArgs,
    },
    /// Withdraw: erase my personal data; the ledger keeps only my pseudonymous history.
    Delete {
        /// File holding the password (else TRUFFLE_PASSWORD).
        #[arg(long = "password-file")]
        password_file: Option<PathBuf>,
        /// Session file and node.
        #[command(flatten)]
        session: SessionArgs,
    },
    /// Get a one-time code to link my KakaoTalk chat with the Truffle channel.
    KakaoCode {
        /// Session file and node.
        #[command(flatten)]
        session: SessionArgs,
    },
    /// Remove the link to my KakaoTalk chat.
    KakaoUnlink {
        /// Session file and node.
        #[command(flatten)]
        session: SessionArgs,
    },
}

/// `truffle bench ...`
#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// Drive a workload through JSON-RPC and report tx/s, latency, CPU and memory.
    Load {
        /// Validators to start (a fresh local cluster) when no --target is given.
        #[arg(long, visible_alias = "validators", default_value_t = 3)]
        nodes: usize,
        /// Follower nodes to start beside the validators (transactions still go to the
        /// validators).
        #[arg(long, default_value_t = 0)]
        followers: usize,
        /// Which nodes of the started cluster answer the reads.
        #[arg(long = "reads-on", value_enum, default_value_t = ReadNodesArg::All)]
        reads_on: ReadNodesArg,
        #[command(flatten)]
        raft: BenchRaftArgs,
        /// RPC URL of a running node (repeat for each node) instead of starting a cluster.
        #[arg(long = "target")]
        targets: Vec<String>,
        /// Admin key file of the target cluster.
        #[arg(long = "admin-key")]
        admin_key: Option<PathBuf>,
        /// A validator key file of the target cluster (registers the bench accounts; repeat).
        #[arg(long = "registrar-key")]
        registrar_keys: Vec<PathBuf>,
        /// The workload.
        #[arg(long, value_enum, default_value_t = WorkloadArg::RaffleEntries)]
        workload: WorkloadArg,
        /// Operations in the measured phase (transactions: one account each).
        #[arg(long, default_value_t = 20_000)]
        transactions: usize,
        /// Concurrent clients.
        #[arg(long, default_value_t = 256)]
        clients: usize,
        /// Transactions each client submits per call: 1 uses `tx_submit`, more
        /// `tx_submitBatch` (at most 1000).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1000))]
        batch: u16,
        /// Open-loop rate in operations/s (closed loop at full speed without it).
        #[arg(long)]
        rate: Option<f64>,
        /// Seconds before a transaction counts as timed out.
        #[arg(long = "timeout-secs", default_value_t = 30)]
        timeout_secs: u64,
        /// Folder for the started cluster (a temporary one by default).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        output: OutputFormat,
        /// During the measured phase, slow connections (a header byte a second) to the
        /// first node from 127.0.1.0/24, reconnecting when closed.
        #[arg(long = "attack-slow-connections", default_value_t = 0)]
        attack_slow_connections: usize,
        /// During the measured phase, concurrent `auth_login` floods (wrong passwords) to
        /// the first node from 127.0.1.0/24.
        #[arg(long = "attack-login-flood", default_value_t = 0)]
        attack_login_flood: usize,
        /// Afterwards, time an auditor (`truffle verify chain`) replaying the whole chain
        /// from the genesis against the first validator (not with --target).
        #[arg(long, conflicts_with = "targets")]
        audit: bool,
    },
    /// Build a chain of small blocks, start a follower from an empty folder and time
    /// it to the validators' head (blocks/s).
    CatchUp {
        /// Validators.
        #[arg(long, default_value_t = 4)]
        validators: usize,
        /// Registrations committed before the follower starts.
        #[arg(long, default_value_t = 20_000)]
        transactions: usize,
        /// Concurrent clients building the chain, each waiting for its block (about the
        /// transactions per block).
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// Raft entries between the validators' snapshots: below the chain's length to
        /// catch up by snapshot, above it (the default) to replay every block.
        #[arg(long = "snapshot-every-entries", default_value_t = 1_000_000)]
        snapshot_every_entries: u64,
        /// Folder for the cluster (a temporary one by default).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        output: OutputFormat,
    },
    /// Kill the leader repeatedly and measure kill → first block of a new leader.
    Failover {
        /// Validators.
        #[arg(long, default_value_t = 3)]
        nodes: usize,
        /// Trials.
        #[arg(long, default_value_t = 10)]
        trials: usize,
        #[command(flatten)]
        raft: BenchRaftArgs,
        /// Folder for the cluster (a temporary one by default).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        output: OutputFormat,
    },
}

/// Raft timing of the cluster a bench starts; what is not given is the testnet's
/// (heartbeat 100 ms, elections after 400–800 ms).
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct BenchRaftArgs {
    /// Raft heartbeat of the started cluster, ms.
    #[arg(long = "raft.heartbeat-ms")]
    pub(crate) heartbeat_ms: Option<u64>,
    /// Shortest Raft election timeout of the started cluster, ms.
    #[arg(long = "raft.election-min-ms")]
    pub(crate) election_min_ms: Option<u64>,
    /// Longest Raft election timeout (and leader lease) of the started cluster, ms.
    #[arg(long = "raft.election-max-ms")]
    pub(crate) election_max_ms: Option<u64>,
}

/// Which nodes answer a bench's reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReadNodesArg {
    /// Validators and followers.
    All,
    /// The validators only.
    Validators,
    /// The followers only.
    Followers,
}

/// Bench workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum WorkloadArg {
    /// Each account enters one raffle.
    RaffleEntries,
    /// Registrars register new members.
    Registrations,
    /// Accounts hand items on.
    Transfers,
    /// Shoppers search a catalog the bench registers.
    Searches,
    /// Shoppers ask for recommendations (visitors by gender and age, similar products).
    Recommendations,
    /// A fifth of each.
    Mix,
}

/// `truffle testnet ...`
#[derive(Debug, Subcommand)]
pub(crate) enum TestnetCommand {
    /// Create keys and a genesis, start the nodes, wait for a leader, print addresses.
    Up {
        /// Number of validators (4 tolerates one lying or failed validator; 3 runs,
        /// but every certificate then needs all three).
        #[arg(long, visible_alias = "validators", default_value_t = 4)]
        nodes: usize,
        /// Follower nodes beside the validators (their keys allowed by the admin); they
        /// get the node indexes after the validators' (for status, kill, restart).
        #[arg(long, default_value_t = 0)]
        followers: usize,
        /// The testnet folder (must not hold a testnet yet).
        #[arg(long)]
        dir: PathBuf,
        /// Raft entries between snapshots.
        #[arg(long = "snapshot.every-entries")]
        snapshot_every_entries: Option<u64>,
    },
    /// Each node's role, leader, term, height and peers.
    Status {
        /// The testnet folder.
        #[arg(long)]
        dir: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        output: OutputFormat,
    },
    /// SIGKILL a node.
    Kill {
        /// The testnet folder.
        #[arg(long)]
        dir: PathBuf,
        /// Node index.
        node: usize,
    },
    /// Start a node again (after kill) with its data.
    Restart {
        /// The testnet folder.
        #[arg(long)]
        dir: PathBuf,
        /// Node index.
        node: usize,
    },
    /// Cut the links between groups of nodes, e.g. `0,1 2` isolates node 2.
    Partition {
        /// The testnet folder.
        #[arg(long)]
        dir: PathBuf,
        /// Groups: comma-separated node indexes, one argument per group.
        #[arg(required = true, num_args = 2..)]
        groups: Vec<String>,
    },
    /// Restore every link.
    Heal {
        /// The testnet folder.
        #[arg(long)]
        dir: PathBuf,
    },
    /// Stop every node.
    Down {
        /// The testnet folder.
        #[arg(long)]
        dir: PathBuf,
    },
}

/// `truffle validator ...`
#[derive(Debug, Subcommand)]
pub(crate) enum ValidatorCommand {
    /// Add a validator (signed by an admin key).
    Add {
        /// Admin key file.
        #[arg(long = "admin-key")]
        admin_key: PathBuf,
        /// The new validator's public key (hex).
        #[arg(long)]
        key: String,
        /// Its name.
        #[arg(long)]
        name: String,
        /// Its libp2p address, e.g. /ip4/127.0.0.1/tcp/30340.
        #[arg(long = "p2p-address")]
        p2p_address: String,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// Remove a validator (signed by an admin key).
    Remove {
        /// Admin key file.
        #[arg(long = "admin-key")]
        admin_key: PathBuf,
        /// The validator's public key (hex).
        #[arg(long)]
        key: String,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// Allow a follower node's key to sync from the validators (signed by an admin key).
    AllowFollower {
        /// Admin key file.
        #[arg(long = "admin-key")]
        admin_key: PathBuf,
        /// The follower node's public key (hex).
        #[arg(long)]
        key: String,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// Revoke a follower node's key: the validators cut it off (signed by an admin key).
    RevokeFollower {
        /// Admin key file.
        #[arg(long = "admin-key")]
        admin_key: PathBuf,
        /// The follower node's public key (hex).
        #[arg(long)]
        key: String,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
}

/// `truffle keys ...`
#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Generate a new key file (mode 0600; never overwrites).
    New {
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the public key of a key file.
    Show {
        /// The key file.
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        output: OutputFormat,
    },
}

/// `truffle genesis ...`
#[derive(Debug, Subcommand)]
pub(crate) enum GenesisCommand {
    /// Write a genesis spec: validators and admins by public key (or key file).
    New {
        /// Chain name.
        #[arg(long, default_value = "truffle")]
        chain_name: String,
        /// A validator as NAME=KEY=P2P_ADDRESS, KEY a public key in hex or a key file
        /// (repeat for each).
        #[arg(long = "validator", required = true)]
        validators: Vec<String>,
        /// An admin as NAME=KEY, KEY a public key in hex or a key file (repeat for each).
        #[arg(long = "admin", required = true)]
        admins: Vec<String>,
        /// Where to write it (JSON).
        #[arg(long)]
        out: PathBuf,
    },
    /// Validate a spec (a file, or the `dev`/`local` preset) and print its chain id.
    Inspect {
        /// Preset name or file path.
        chain: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        output: OutputFormat,
    },
}

/// `truffle tx`
#[derive(Debug, Args)]
pub(crate) struct TxArgs {
    /// Key file of the signer.
    #[arg(long)]
    pub(crate) key: PathBuf,
    /// The payload as JSON, e.g. '{"transfer_item":{"item":3,"to":"<key>"}}'; `@FILE` reads a file.
    #[arg(long)]
    pub(crate) payload: String,
    /// Use this nonce instead of asking the node.
    #[arg(long)]
    pub(crate) nonce: Option<u64>,
    /// Return at once with the hash instead of waiting for the block.
    #[arg(long = "no-wait")]
    pub(crate) no_wait: bool,
    /// Node and output.
    #[command(flatten)]
    pub(crate) rpc: RpcArgs,
}

/// `truffle query ...`
#[derive(Debug, Subcommand)]
pub(crate) enum QueryCommand {
    /// Equivocation evidence the node holds (JSON: save it and check it with
    /// `truffle verify evidence FILE`).
    Evidence {
        /// From this height.
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// A block (the latest without a height).
    Block {
        /// Height.
        height: Option<u64>,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// A transaction and its status.
    Tx {
        /// Transaction hash.
        hash: String,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// An account.
    Account {
        /// Public key (hex).
        key: String,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// A product and its pieces.
    Product {
        /// Product id.
        id: u64,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// One piece of a product.
    Item {
        /// Item id.
        id: u64,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// The node's health.
    Health {
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
}

/// What an auditor trusts (the genesis) and which node it asks.
#[derive(Debug, Args, Clone)]
pub(crate) struct VerifyArgs {
    /// The genesis spec: a JSON/TOML file, or the `dev`/`local` preset.
    #[arg(long)]
    pub(crate) genesis: String,
    /// Refuse answers anchored below this height (a certified height seen before).
    #[arg(long = "min-height")]
    pub(crate) min_height: Option<u64>,
    /// A node's JSON-RPC URL. Repeat it to ask several nodes: the first serves the
    /// proofs, and every node's certified header at the same height is compared.
    #[arg(
        long,
        env = "TRUFFLE_RPC",
        default_value = "http://127.0.0.1:9944",
        value_delimiter = ','
    )]
    pub(crate) rpc: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub(crate) output: OutputFormat,
    /// The auditor's memory: certified headers seen, one folder per chain
    /// (default `~/.truffle/audit`). A conflicting certified header is a fork (exit 3).
    #[arg(long = "audit-dir", env = "TRUFFLE_AUDIT_DIR")]
    pub(crate) audit_dir: Option<PathBuf>,
    /// Keep no memory: compare only the nodes given with `--rpc`.
    #[arg(long = "no-audit-store")]
    pub(crate) no_audit_store: bool,
    /// Where to write a fork's evidence (default: `fork-<height>.json` in the chain's
    /// audit folder, or the working folder with `--no-audit-store`).
    #[arg(long = "fork-evidence")]
    pub(crate) fork_evidence: Option<PathBuf>,
}

impl VerifyArgs {
    /// The node that serves the proofs: the first `--rpc`.
    pub(crate) fn url(&self) -> &str {
        self.rpc
            .first()
            .map_or("http://127.0.0.1:9944", String::as_str)
    }
}

/// `truffle verify ...`
#[derive(Debug, Subcommand)]
pub(crate) enum VerifyCommand {
    /// An item's authenticity, owner and ownership history (exit 1 unless all checks pass).
    Item {
        /// Item id, or BRAND/MODEL/SERIAL.
        item: String,
        /// Check the current owner only, not every ownership change.
        #[arg(long = "no-history")]
        no_history: bool,
        /// Genesis, node and output.
        #[command(flatten)]
        verify: VerifyArgs,
    },
    /// Recompute a raffle's draw from its proven entries and compare the winners.
    Raffle {
        /// Raffle id.
        id: u64,
        /// Genesis, node and output.
        #[command(flatten)]
        verify: VerifyArgs,
    },
    /// Check equivocation evidence offline (a record or a list of them, as served by
    /// `chain_getEvidence` or written by a fork check): exit 0 when every record proves
    /// that a genesis validator signed two headers of one height.
    Evidence {
        /// The JSON file.
        file: PathBuf,
        /// The genesis spec: a JSON/TOML file, or the `dev`/`local` preset.
        #[arg(long)]
        genesis: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        output: OutputFormat,
    },
    /// Replay every block from genesis: hashes, links, bodies, certificates, signatures
    /// and re-execution.
    Chain {
        /// Genesis, node and output.
        #[command(flatten)]
        verify: VerifyArgs,
        /// Keep the replayed state and a checkpoint in this folder, and resume from them.
        #[arg(long = "from-state")]
        from_state: Option<PathBuf>,
        /// Stop at this height (default: the node's latest certified block).
        #[arg(long = "to-height")]
        to_height: Option<u64>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn dev_takes_the_node_flags() {
        let cli = Cli::try_parse_from([
            "truffle",
            "dev",
            "--reset",
            "--config",
            "node.toml",
            "--rpc.listen",
            "127.0.0.1:0",
            "--kakao.secret-file",
            "kakao.secret",
            "--kakao.bot-id",
            "bot-1",
            "--payments.provider",
            "sandbox",
        ])
        .unwrap();
        let Command::Dev(args) = cli.command else {
            panic!("not dev")
        };
        assert!(args.reset && !args.no_demo);
        assert_eq!(
            args.node.config.as_deref(),
            Some(std::path::Path::new("node.toml"))
        );
        assert_eq!(args.node.rpc_listen.unwrap().port(), 0);
        assert_eq!(args.node.kakao_bot_ids, vec!["bot-1".to_string()]);
        assert!(args.node.kakao_secret_file.is_some());
    }

    #[test]
    fn node_flags_parse() {
        let cli = Cli::try_parse_from([
            "truffle",
            "node",
            "run",
            "--chain",
            "local",
            "--rpc.listen",
            "127.0.0.1:9000",
            "--raft.heartbeat-ms",
            "100",
            "--enable-fault-injection",
        ])
        .unwrap();
        let Command::Node(NodeCommand::Run(args)) = cli.command else {
            panic!("not node run")
        };
        assert_eq!(args.chain.as_deref(), Some("local"));
        assert_eq!(args.rpc_listen.unwrap().port(), 9000);
        assert_eq!(args.raft_heartbeat_ms, Some(100));
        assert!(args.enable_fault_injection);
        assert!(
            Cli::try_parse_from(["truffle", "node", "run", "--rpc.listen", "not-an-address"])
                .is_err()
        );
    }
}
