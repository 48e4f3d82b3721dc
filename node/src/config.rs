//! A node's configuration. The CLI fills it from a TOML file, `TRUFFLE_*` environment
//! variables and flags, in increasing precedence.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// What a node is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeRole {
    /// A validator: a Raft member that votes, certifies and holds member data.
    #[default]
    Validator,
    /// A follower node: syncs certified blocks from the validators, executes them
    /// itself and serves reads; votes on nothing and holds no member data.
    Follower,
}

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
    /// How far (ms) a block's time may be ahead of this validator's clock for it to
    /// still sign the block's header: a leader with a fast (or lying) clock gets no
    /// votes from validators whose clocks are right.
    pub max_clock_skew_ms: u64,
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
    /// Most concurrent RPC connections; one over it is closed at once.
    pub rpc_max_connections: u32,
    /// Most concurrent RPC connections per client /24 (IPv4) or /64 (IPv6); 0: no limit.
    pub rpc_max_connections_per_client: u32,
    /// Longest wait for a request's headers, and for the next request on a new or
    /// keep-alive connection, ms (slow, silent or idle clients are closed after it).
    pub rpc_header_timeout_ms: u64,
    /// Requests per second per client /24 (IPv4) or /64 (IPv6); 0 turns the limit off.
    pub rpc_requests_per_sec: u32,
    /// Requests a client may burst above its rate.
    pub rpc_request_burst: u32,
    /// Whether this host (127.0.0.1, ::1) is rate limited and capped too.
    pub rpc_rate_limit_loopback: bool,
    /// A second, loopback-only address for the `admin_*` methods; when set, they are
    /// refused on `rpc_listen`.
    pub rpc_admin_listen: Option<SocketAddr>,
    /// File holding the operator's token for `admin_*` methods (sent as
    /// `Authorization: Bearer <token>`); default `<data_dir>/admin.token`, created with
    /// a random token at first start.
    pub admin_token_file: Option<PathBuf>,
    /// Allows `testnet` to cut and restore links (never on a real network).
    pub enable_fault_injection: bool,
    /// What this node is: a validator, or a follower node (a seller's own full node).
    pub role: NodeRole,
    /// Validators' public RPC addresses, named by a follower node in its answer to
    /// member operations (which only validators serve).
    pub follower_validator_rpc: Vec<String>,
    /// Fault injection (ignored unless `enable_fault_injection`): this validator serves
    /// followers blocks with forged certificates.
    pub fault_forge_follower_certificates: bool,
    /// Fault injection (ignored unless `enable_fault_injection`): this validator serves
    /// followers a snapshot with a forged state record (and a matching checksum).
    pub fault_forge_follower_snapshot: bool,
    /// File holding the cluster's vault provisioning secret (64 hex characters), read
    /// at a validator's first start into `<data_dir>/vault.keys`.
    pub vault_key_file: Option<PathBuf>,
    /// How long a vault epoch lasts, seconds: a withdrawn member's data is unreadable
    /// on every node within two epochs.
    pub vault_epoch_secs: u64,
    /// URL of the SMS gateway. Required, except on the dev presets or with `sms_console`.
    pub sms_gateway_url: Option<String>,
    /// File holding the SMS gateway's API key.
    pub sms_gateway_key_file: Option<PathBuf>,
    /// Writes codes to the log instead of sending them (development only, on purpose).
    pub sms_console: bool,
    /// How long a phone code is valid, seconds.
    pub phone_code_ttl_secs: u64,
    /// Least time between two codes to one phone, seconds.
    pub phone_resend_interval_secs: u64,
    /// How long a login session lasts, seconds.
    pub session_ttl_secs: u64,
    /// Threads that run argon2 (19 MiB each while hashing).
    pub password_workers: u32,
    /// Password checks that may wait for a thread; beyond, callers get "busy, retry".
    pub password_queue: u32,
    /// Failed logins per email per 15 minutes, cluster-wide.
    pub throttle_login_per_account: u32,
    /// Failed logins per client /24 (IPv4) or /64 (IPv6) per 15 minutes, cluster-wide.
    pub throttle_login_per_client: u32,
    /// Wrong current passwords (account update, withdrawal) per account per 15 minutes.
    pub throttle_password_per_account: u32,
    /// Signups per client prefix per hour, cluster-wide.
    pub throttle_signup_per_client: u32,
    /// Phone-code checks per client prefix per hour, cluster-wide.
    pub throttle_code_checks_per_client: u32,
    /// Phone-code requests per client prefix per hour, cluster-wide.
    pub throttle_code_requests_per_client: u32,
    /// File holding the secret path segment of the Kakao skill webhook
    /// (`POST /kakao/skill/{secret}`); the webhook answers 404 to everything without one.
    pub kakao_secret_file: Option<PathBuf>,
    /// Kakao i Open Builder bot ids allowed to call the webhook (others get 403).
    pub kakao_bot_ids: Vec<String>,
    /// The Truffle site the bot links to (`<site>/products/{id}`, `<site>/account/kakao`,
    /// ...: stable addresses the node redirects to its pages); defaults to the node's
    /// public URL (`[market] public_url`), else the address its RPC server is bound to.
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
            max_clock_skew_ms: 10_000,
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
            rpc_max_connections_per_client: 64,
            rpc_header_timeout_ms: 10_000,
            rpc_requests_per_sec: 100,
            rpc_request_burst: 200,
            rpc_rate_limit_loopback: false,
            rpc_admin_listen: None,
            admin_token_file: None,
            enable_fault_injection: false,
            role: NodeRole::Validator,
            follower_validator_rpc: Vec::new(),
            fault_forge_follower_certificates: false,
            fault_forge_follower_snapshot: false,
            vault_key_file: None,
            vault_epoch_secs: 3600,
            sms_gateway_url: None,
            sms_gateway_key_file: None,
            sms_console: false,
            phone_code_ttl_secs: 300,
            phone_resend_interval_secs: 60,
            session_ttl_secs: 12 * 3600,
            password_workers: 2,
            password_queue: 14,
            throttle_login_per_account: 5,
            throttle_login_per_client: 20,
            throttle_password_per_account: 5,
            throttle_signup_per_client: 10,
            throttle_code_checks_per_client: 30,
            throttle_code_requests_per_client: 10,
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

/// Why a configuration cannot be used: the key and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {key}: {reason}")]
pub struct ConfigError {
    /// The key (`market.` prefix for the `[market]` table), or the file.
    pub key: String,
    /// What is wrong with it.
    pub reason: String,
}

impl ConfigError {
    fn new(key: &str, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            key: key.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Prefix of the environment variables that set configuration keys: `TRUFFLE_<KEY>`,
/// and `TRUFFLE_MARKET__<KEY>` for the `[market]` table.
pub const ENV_PREFIX: &str = "TRUFFLE_";

/// The documented configuration file with every key at its default value
/// (`truffle config default` prints it).
pub const DEFAULT_TOML: &str = include_str!("../config.default.toml");

impl NodeConfig {
    /// The chain engine's part of this configuration.
    pub fn engine_config(&self) -> truffle_engine::EngineConfig {
        truffle_engine::EngineConfig {
            data_dir: self.data_dir.clone(),
            p2p_listen: self.p2p_listen.clone(),
            max_block_transactions: self.max_block_transactions,
            max_proposals_in_flight: self.max_proposals_in_flight,
            block_batch_wait_ms: self.block_batch_wait_ms,
            max_clock_skew_ms: self.max_clock_skew_ms,
            mempool_capacity: self.mempool_capacity,
            mempool_per_signer: self.mempool_per_signer,
            mempool_max_age_secs: self.mempool_max_age_secs,
            raft_heartbeat_ms: self.raft_heartbeat_ms,
            raft_election_min_ms: self.raft_election_min_ms,
            raft_election_max_ms: self.raft_election_max_ms,
            snapshot_every_entries: self.snapshot_every_entries,
            enable_fault_injection: self.enable_fault_injection,
            follower: self.role == NodeRole::Follower,
            validator_rpc: self.follower_validator_rpc.clone(),
            fault_forge_follower_certificates: self.enable_fault_injection
                && self.fault_forge_follower_certificates,
            fault_forge_follower_snapshot: self.enable_fault_injection
                && self.fault_forge_follower_snapshot,
        }
    }

    /// Defaults, overridden by the file (if any), overridden by `TRUFFLE_*` variables
    /// among `env` that name a key. Not yet validated: flags may still change it.
    pub fn load(
        file: Option<&std::path::Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<NodeConfig, ConfigError> {
        Self::load_over(&NodeConfig::default(), file, env)
    }

    /// Like [`NodeConfig::load`] with `base` in place of the defaults: `base`, then the
    /// file, then the variables (`truffle dev` starts from its development settings).
    pub fn load_over(
        base: &NodeConfig,
        file: Option<&std::path::Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<NodeConfig, ConfigError> {
        let mut table = match toml::Value::try_from(base) {
            Ok(toml::Value::Table(table)) => table,
            Ok(_) => return Err(ConfigError::new("config", "not a table")),
            Err(e) => return Err(ConfigError::new("config", e.to_string())),
        };
        let file_table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    ConfigError::new(&path.display().to_string(), format!("cannot read: {e}"))
                })?;
                // The file alone first, so that its mistakes are reported at its lines.
                parse(&text).map_err(|e| ConfigError {
                    reason: format!("{} (in {})", e.reason, path.display()),
                    ..e
                })?;
                text.parse::<toml::Table>().map_err(|e| {
                    ConfigError::new(&path.display().to_string(), format!("not TOML: {e}"))
                })?
            }
            None => toml::Table::new(),
        };
        overlay(&mut table, file_table);
        apply_env(&mut table, env)?;
        let text =
            toml::to_string(&table).map_err(|e| ConfigError::new("config", e.to_string()))?;
        parse(&text)
    }

    /// The cluster-wide throttles' limits (`throttle_*`).
    pub fn throttle_limits(&self) -> truffle_members::throttle::ThrottleLimits {
        truffle_members::throttle::ThrottleLimits {
            login_per_account: self.throttle_login_per_account,
            login_per_client: self.throttle_login_per_client,
            password_per_account: self.throttle_password_per_account,
            signup_per_client: self.throttle_signup_per_client,
            code_checks_per_client: self.throttle_code_checks_per_client,
            code_requests_per_client: self.throttle_code_requests_per_client,
        }
    }

    /// Checks the values that parse but cannot work together.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive = [
            ("max_block_transactions", self.max_block_transactions as u64),
            (
                "max_proposals_in_flight",
                self.max_proposals_in_flight as u64,
            ),
            ("mempool_capacity", self.mempool_capacity as u64),
            ("mempool_per_signer", self.mempool_per_signer as u64),
            ("mempool_max_age_secs", self.mempool_max_age_secs),
            ("raft_heartbeat_ms", self.raft_heartbeat_ms),
            ("snapshot_every_entries", self.snapshot_every_entries),
            (
                "rpc_max_request_bytes",
                u64::from(self.rpc_max_request_bytes),
            ),
            ("rpc_max_batch", u64::from(self.rpc_max_batch)),
            ("rpc_max_connections", u64::from(self.rpc_max_connections)),
            ("rpc_header_timeout_ms", self.rpc_header_timeout_ms),
            ("rpc_request_burst", u64::from(self.rpc_request_burst)),
            ("phone_code_ttl_secs", self.phone_code_ttl_secs),
            ("session_ttl_secs", self.session_ttl_secs),
            ("password_workers", u64::from(self.password_workers)),
            ("vault_epoch_secs", self.vault_epoch_secs),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(ConfigError::new(key, "must be greater than 0"));
            }
        }
        if let Err(reason) = self.throttle_limits().check() {
            return Err(ConfigError::new("throttle", reason));
        }
        if self.raft_election_min_ms >= self.raft_election_max_ms {
            return Err(ConfigError::new(
                "raft_election_min_ms",
                format!(
                    "must be below raft_election_max_ms ({} >= {})",
                    self.raft_election_min_ms, self.raft_election_max_ms
                ),
            ));
        }
        if self.raft_heartbeat_ms * 2 > self.raft_election_min_ms {
            return Err(ConfigError::new(
                "raft_heartbeat_ms",
                format!(
                    "must be at most half of raft_election_min_ms ({}), or followers start \
                     elections while the leader is healthy",
                    self.raft_election_min_ms
                ),
            ));
        }
        if let Some(admin) = self.rpc_admin_listen {
            if !admin.ip().is_loopback() {
                return Err(ConfigError::new(
                    "rpc_admin_listen",
                    format!("{admin} is not a loopback address; admin methods stay on this host"),
                ));
            }
            if admin == self.rpc_listen && admin.port() != 0 {
                return Err(ConfigError::new(
                    "rpc_admin_listen",
                    "must differ from rpc_listen",
                ));
            }
        }
        if self.chain.trim().is_empty() {
            return Err(ConfigError::new(
                "chain",
                "must name dev, local or a genesis file",
            ));
        }
        Ok(())
    }
}

/// Deserialises a configuration, naming the key of the first mistake.
fn parse(text: &str) -> Result<NodeConfig, ConfigError> {
    toml::from_str(text).map_err(|error| {
        let reason = error.message().trim().to_owned();
        let key = error
            .span()
            .and_then(|span| key_at(text, span.start))
            .unwrap_or_else(|| "config".to_owned());
        ConfigError { key, reason }
    })
}

/// The dotted key whose line holds byte `offset` of `text` (`market.x` under `[market]`).
fn key_at(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next()?;
    let key = line.split('=').next()?.trim().trim_matches('"');
    if key.is_empty() || key.starts_with('[') {
        return None;
    }
    let table = before[..line_start]
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix('[').and_then(|l| l.strip_suffix(']')));
    Some(match table {
        Some(table) => format!("{table}.{key}"),
        None => key.to_owned(),
    })
}

/// Sets the keys named by `TRUFFLE_*` variables. A value is read as a TOML value
/// (`300`, `true`, `["a", "b"]`), else taken as a string (`127.0.0.1:9944`).
/// Puts the keys of `top` over `base`; tables (`[market]`) key by key.
fn overlay(base: &mut toml::Table, top: toml::Table) {
    for (key, value) in top {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(inner)), toml::Value::Table(top_inner)) => {
                overlay(inner, top_inner)
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

fn apply_env(
    table: &mut toml::Table,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    let top = crate::config::struct_fields::<NodeConfig>();
    let market = crate::config::struct_fields::<crate::market::MarketConfig>();
    let mut vars: Vec<(String, String)> = env
        .into_iter()
        .filter(|(name, _)| name.starts_with(ENV_PREFIX))
        .collect();
    vars.sort();
    for (name, raw) in vars {
        let key = name[ENV_PREFIX.len()..].to_ascii_lowercase();
        let (target, field) = match key.strip_prefix("market__") {
            Some(field) if market.contains(&field) => {
                let entry = table
                    .entry("market")
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                let toml::Value::Table(market) = entry else {
                    return Err(ConfigError::new("market", "must be a table"));
                };
                (market, field.to_owned())
            }
            // Variables that are not keys (TRUFFLE_LOG, flag variables, secrets) are
            // for other readers.
            _ if top.contains(&key.as_str()) && key != "market" => (&mut *table, key),
            _ => continue,
        };
        let value = format!("v = {raw}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or(toml::Value::String(raw));
        target.insert(field, value);
    }
    Ok(())
}

/// The field names of a struct that derives `Deserialize`, as serde sees them.
pub fn struct_fields<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldNames(&mut fields));
    fields
}

/// A deserializer that only records the field list serde hands to `deserialize_struct`.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> serde::Deserializer<'de> for FieldNames<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("only structs have field names"))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(serde::de::Error::custom("field names recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
        identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_valid(
        file: Option<&std::path::Path>,
        vars: Vec<(String, String)>,
    ) -> Result<NodeConfig, ConfigError> {
        let config = NodeConfig::load(file, vars)?;
        config.validate()?;
        Ok(config)
    }

    fn env(vars: &[(&str, &str)]) -> Vec<(String, String)> {
        vars.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn comparable(config: &NodeConfig) -> toml::Value {
        toml::Value::try_from(config).unwrap()
    }

    #[test]
    fn a_base_goes_under_the_file_and_the_variables() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("node.toml");
        std::fs::write(
            &file,
            "raft_heartbeat_ms = 70\nkakao_bot_ids = [\"bot-1\"]\n[market]\nauto_draw_raffles = false\n",
        )
        .unwrap();
        let base = NodeConfig {
            chain: "dev".into(),
            raft_heartbeat_ms: 50,
            raft_election_min_ms: 150,
            raft_election_max_ms: 300,
            ..NodeConfig::default()
        };
        let config = NodeConfig::load_over(
            &base,
            Some(&file),
            env(&[("TRUFFLE_RAFT_ELECTION_MAX_MS", "400")]),
        )
        .unwrap();
        assert_eq!(config.chain, "dev", "the base");
        assert_eq!(config.raft_election_min_ms, 150, "the base");
        assert_eq!(config.raft_heartbeat_ms, 70, "the file over the base");
        assert_eq!(config.kakao_bot_ids, vec!["bot-1".to_string()]);
        assert!(!config.market.auto_draw_raffles, "a table key by key");
        assert_eq!(
            config.market.auto_expire_orders,
            base.market.auto_expire_orders
        );
        assert_eq!(config.raft_election_max_ms, 400, "the variables last");
        assert_eq!(
            comparable(&NodeConfig::load_over(&NodeConfig::default(), None, env(&[])).unwrap()),
            comparable(&NodeConfig::load(None, env(&[])).unwrap())
        );
    }

    #[test]
    fn the_documented_default_file_is_the_default_and_names_every_key() {
        let parsed: NodeConfig = toml::from_str(DEFAULT_TOML).unwrap();
        assert_eq!(comparable(&parsed), comparable(&NodeConfig::default()));
        let documented = |key: &str| {
            DEFAULT_TOML.lines().any(|line| {
                let line = line.trim_start_matches('#').trim_start();
                line.starts_with(&format!("{key} ="))
            })
        };
        let top = struct_fields::<NodeConfig>();
        assert!(top.len() > 30, "{top:?}");
        for key in top.iter().filter(|k| **k != "market") {
            assert!(documented(key), "{key} is missing from config.default.toml");
        }
        for key in struct_fields::<crate::market::MarketConfig>() {
            assert!(
                documented(key),
                "market.{key} is missing from config.default.toml"
            );
        }
        assert!(DEFAULT_TOML.contains("[market]"));
    }

    /// The shipped follower configuration parses, names the follower role and passes
    /// the checks a node runs at start.
    #[test]
    fn the_shipped_follower_file_is_a_valid_follower_config() {
        let text = include_str!("../../deploy/follower.toml");
        let parsed: NodeConfig = toml::from_str(text).unwrap();
        assert_eq!(parsed.role, NodeRole::Follower);
        assert!(!parsed.follower_validator_rpc.is_empty());
        parsed.validate().unwrap();
        assert!(parsed.engine_config().follower);
    }

    #[test]
    fn environment_overrides_the_file_and_ignores_other_variables() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("node.toml");
        std::fs::write(
            &file,
            "chain = \"local\"\nraft_heartbeat_ms = 200\nmempool_capacity = 7\n[market]\nsettle_delay_ms = 5\n",
        )
        .unwrap();
        let config = load_valid(
            Some(&file),
            env(&[
                ("TRUFFLE_RAFT_HEARTBEAT_MS", "100"),
                ("TRUFFLE_RPC_LISTEN", "127.0.0.1:9100"),
                ("TRUFFLE_KAKAO_BOT_IDS", "[\"a\", \"b\"]"),
                ("TRUFFLE_MARKET__AUTO_DRAW_RAFFLES", "false"),
                ("TRUFFLE_LOG", "debug"),
                ("TRUFFLE_PAYMENTS_SECRET_KEY", "not-a-key"),
                ("HOME", "/root"),
            ]),
        )
        .unwrap();
        assert_eq!(config.chain, "local", "from the file");
        assert_eq!(config.mempool_capacity, 7, "from the file");
        assert_eq!(
            config.raft_heartbeat_ms, 100,
            "the variable wins over the file"
        );
        assert_eq!(config.rpc_listen.port(), 9100, "a string value");
        assert_eq!(config.kakao_bot_ids, vec!["a", "b"]);
        assert!(!config.market.auto_draw_raffles);
        assert_eq!(config.market.settle_delay_ms, 5, "the file's table is kept");
    }

    #[test]
    fn invalid_values_name_the_key_and_the_reason() {
        let error = load_valid(None, env(&[("TRUFFLE_RAFT_HEARTBEAT_MS", "often")])).unwrap_err();
        assert_eq!(error.key, "raft_heartbeat_ms", "{error}");
        let error = load_valid(None, env(&[("TRUFFLE_RAFT_ELECTION_MIN_MS", "5000")])).unwrap_err();
        assert_eq!(error.key, "raft_election_min_ms");
        assert!(
            error.reason.contains("below raft_election_max_ms"),
            "{error}"
        );
        let error = load_valid(None, env(&[("TRUFFLE_MEMPOOL_CAPACITY", "0")])).unwrap_err();
        assert_eq!(error.key, "mempool_capacity");
        let error =
            load_valid(None, env(&[("TRUFFLE_RPC_ADMIN_LISTEN", "0.0.0.0:9945")])).unwrap_err();
        assert_eq!(error.key, "rpc_admin_listen");
        assert!(error.to_string().contains("loopback"), "{error}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("node.toml");
        std::fs::write(&file, "mempool_capacity = \"lots\"\n").unwrap();
        let error = load_valid(Some(&file), env(&[])).unwrap_err();
        assert_eq!(error.key, "mempool_capacity", "{error}");
        std::fs::write(&file, "chain = \"dev\"\n[market]\nauto_draw_raffles = 3\n").unwrap();
        let error = load_valid(Some(&file), env(&[])).unwrap_err();
        assert_eq!(error.key, "market.auto_draw_raffles", "{error}");
        assert!(error.to_string().contains("node.toml"), "{error}");
        let error =
            load_valid(None, env(&[("TRUFFLE_MARKET__SETTLE_DELAY_MS", "-1")])).unwrap_err();
        assert_eq!(error.key, "market.settle_delay_ms", "{error}");
        let error = load_valid(None, env(&[("TRUFFLE_CHIAN", "dev")]));
        assert!(
            error.is_ok(),
            "a variable that names no key is someone else's"
        );
    }

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
