//! A cluster of node processes on 127.0.0.1: keys, genesis, ports, processes, faults.
//!
//! Everything about a testnet is kept in its folder, so the CLI can act on a cluster
//! that another command started:
//!
//! ```text
//! D/testnet.json        nodes: index, key, ports, pid
//! D/genesis.json        the chain
//! D/admin.json          the admin key
//! D/vault.key           the vault key sealing members' personal data
//! D/node-<i>/key.json   validator key (a follower node's own key past the validators)
//! D/node-<i>/data/      the node's data
//! D/node-<i>/node.log   its output
//! ```

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jsonrpsee_http_client::{HttpClient, HttpClientBuilder};
use serde::{Deserialize, Serialize};
use truffle_genesis::{AdminSpec, GenesisSpec, ValidatorSpec};
use truffle_ledger::types::ChainParams;
use truffle_ledger::{Keypair, PublicKey};
use truffle_wire::api::SystemApiClient;
use truffle_wire::chain::Health;
use truffle_wire::keyfile::{read_key_file, write_key_file};

use crate::process::{signal, truffle_binary, NodeProcess, ProcessError};

/// Why a testnet operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TestnetError {
    /// A process could not be started.
    #[error(transparent)]
    Process(#[from] ProcessError),
    /// A file could not be read or written.
    #[error("{0}")]
    Io(String),
    /// A node's RPC failed.
    #[error("node {index}: {reason}")]
    Rpc {
        /// Which node.
        index: usize,
        /// What failed.
        reason: String,
    },
    /// Waiting for a condition took too long.
    #[error("timed out after {0:?}: {1}")]
    Timeout(Duration, String),
    /// A request does not fit the cluster.
    #[error("{0}")]
    Invalid(String),
}

/// Result alias of the testnet crate.
pub type Result<T> = std::result::Result<T, TestnetError>;

fn io(context: &str, error: impl std::fmt::Display) -> TestnetError {
    TestnetError::Io(format!("{context}: {error}"))
}

/// How to build a testnet.
#[derive(Clone, Debug)]
pub struct TestnetOptions {
    /// Number of validators (3 to 7 makes sense).
    pub nodes: usize,
    /// Follower nodes beside them (indexes after the validators'); `up` allows their
    /// keys with an admin transaction.
    pub followers: usize,
    /// Raft heartbeat, ms.
    pub heartbeat_ms: u64,
    /// Raft election timeout, ms.
    pub election_timeout_ms: (u64, u64),
    /// Raft entries between snapshots (node default when `None`).
    pub snapshot_every_entries: Option<u64>,
    /// Extra arguments for every `truffle node run`.
    pub extra_args: Vec<String>,
    /// The genesis chain parameters.
    pub params: ChainParams,
}

impl Default for TestnetOptions {
    fn default() -> Self {
        TestnetOptions {
            nodes: 3,
            followers: 0,
            heartbeat_ms: 100,
            election_timeout_ms: (400, 800),
            snapshot_every_entries: None,
            extra_args: Vec::new(),
            params: ChainParams::default(),
        }
    }
}

/// One node of a testnet.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NodeEntry {
    /// Position in the cluster.
    pub index: usize,
    /// Validator key.
    pub key: PublicKey,
    /// libp2p port.
    pub p2p_port: u16,
    /// JSON-RPC port.
    pub rpc_port: u16,
    /// Process id while running (as last recorded).
    pub pid: Option<u32>,
    /// A follower node (syncs certified blocks; not in the genesis).
    #[serde(default)]
    pub follower: bool,
}

#[derive(Serialize, Deserialize)]
struct TestnetFile {
    nodes: Vec<NodeEntry>,
    args: Vec<Vec<String>>,
}

/// A cluster of node processes.
pub struct Testnet {
    dir: PathBuf,
    binary: PathBuf,
    /// The chain.
    pub genesis: GenesisSpec,
    /// The admin key.
    pub admin: Keypair,
    /// The nodes.
    pub nodes: Vec<NodeEntry>,
    keys: Vec<Keypair>,
    args: Vec<Vec<String>>,
    processes: Vec<Option<NodeProcess>>,
}

/// How long a node may take to start.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

fn free_ports(count: usize) -> Result<Vec<u16>> {
    let listeners: Vec<std::net::TcpListener> = (0..count)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<_>>()
        .map_err(|e| io("cannot find free ports", e))?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<std::io::Result<_>>()
        .map_err(|e| io("cannot find free ports", e))
}

impl Testnet {
    /// Creates keys, a genesis and the folder layout for a new cluster (starts nothing).
    pub fn create(dir: &Path, options: &TestnetOptions) -> Result<Testnet> {
        if options.nodes == 0 || options.nodes > 7 {
            return Err(TestnetError::Invalid("a testnet has 1 to 7 nodes".into()));
        }
        if options.followers > 8 {
            return Err(TestnetError::Invalid(
                "a testnet has at most 8 followers".into(),
            ));
        }
        if dir.join("testnet.json").exists() {
            return Err(TestnetError::Invalid(format!(
                "{} already holds a testnet (use `down` and delete it first)",
                dir.display()
            )));
        }
        std::fs::create_dir_all(dir).map_err(|e| io("cannot create the testnet folder", e))?;
        let total = options.nodes + options.followers;
        let ports = free_ports(total * 2)?;
        let admin = Keypair::generate();
        write_key_file(&dir.join("admin.json"), &admin).map_err(|e| io("admin key", e))?;
        // The vault key seals members' personal data; every validator shares it.
        std::fs::write(
            dir.join("vault.key"),
            Keypair::generate()
                .seed()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
        )
        .map_err(|e| io("vault key", e))?;
        let mut keys = Vec::new();
        let mut nodes = Vec::new();
        for index in 0..total {
            let node_dir = dir.join(format!("node-{index}"));
            std::fs::create_dir_all(&node_dir).map_err(|e| io("cannot create a node folder", e))?;
            let key = Keypair::generate();
            write_key_file(&node_dir.join("key.json"), &key).map_err(|e| io("validator key", e))?;
            nodes.push(NodeEntry {
                index,
                key: key.public(),
                p2p_port: ports[index * 2],
                rpc_port: ports[index * 2 + 1],
                pid: None,
                follower: index >= options.nodes,
            });
            keys.push(key);
        }
        let genesis = GenesisSpec {
            chain_name: format!("testnet-{}", std::process::id()),
            genesis_time_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0),
            validators: nodes
                .iter()
                .filter(|n| !n.follower)
                .map(|n| ValidatorSpec {
                    name: format!("node-{}", n.index),
                    key: n.key,
                    p2p_address: format!("/ip4/127.0.0.1/tcp/{}", n.p2p_port),
                })
                .collect(),
            admins: vec![AdminSpec {
                name: "admin".into(),
                key: admin.public(),
            }],
            params: options.params.clone(),
        };
        genesis
            .validate()
            .map_err(|e| TestnetError::Invalid(e.to_string()))?;
        std::fs::write(dir.join("genesis.json"), genesis.to_json())
            .map_err(|e| io("cannot write the genesis", e))?;
        let first_rpc = format!("http://127.0.0.1:{}", nodes[0].rpc_port);
        let args = nodes
            .iter()
            .map(|n| {
                let mut args = node_args(dir, n, options);
                if n.follower {
                    args.extend([
                        "--role".to_owned(),
                        "follower".to_owned(),
                        "--follower.validator-rpc".to_owned(),
                        first_rpc.clone(),
                    ]);
                }
                args
            })
            .collect();
        let testnet = Testnet {
            dir: dir.to_path_buf(),
            binary: truffle_binary()?,
            genesis,
            admin,
            processes: nodes.iter().map(|_| None).collect(),
            nodes,
            keys,
            args,
        };
        testnet.save()?;
        Ok(testnet)
    }

    /// Opens a testnet another command created.
    pub fn load(dir: &Path) -> Result<Testnet> {
        let text = std::fs::read_to_string(dir.join("testnet.json"))
            .map_err(|e| io(&format!("no testnet in {}", dir.display()), e))?;
        let file: TestnetFile = serde_json::from_str(&text).map_err(|e| io("testnet.json", e))?;
        let genesis = truffle_genesis::GenesisSpec::from_file(&dir.join("genesis.json"))
            .map_err(|e| io("genesis.json", e))?;
        let admin = read_key_file(&dir.join("admin.json")).map_err(|e| io("admin key", e))?;
        let keys = file
            .nodes
            .iter()
            .map(|n| {
                read_key_file(&dir.join(format!("node-{}/key.json", n.index)))
                    .map_err(|e| io("validator key", e))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Testnet {
            dir: dir.to_path_buf(),
            binary: truffle_binary()?,
            genesis,
            admin,
            processes: file.nodes.iter().map(|_| None).collect(),
            nodes: file.nodes,
            keys,
            args: file.args,
        })
    }

    fn save(&self) -> Result<()> {
        let file = TestnetFile {
            nodes: self.nodes.clone(),
            args: self.args.clone(),
        };
        let text = serde_json::to_string_pretty(&file).expect("testnet files serialize");
        std::fs::write(self.dir.join("testnet.json"), text)
            .map_err(|e| io("cannot write testnet.json", e))
    }

    /// The testnet folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Indexes of the validators.
    pub fn validators(&self) -> Vec<usize> {
        self.nodes
            .iter()
            .filter(|n| !n.follower)
            .map(|n| n.index)
            .collect()
    }

    /// Indexes of the follower nodes.
    pub fn followers(&self) -> Vec<usize> {
        self.nodes
            .iter()
            .filter(|n| n.follower)
            .map(|n| n.index)
            .collect()
    }

    /// Allows every follower node's key with one admin transaction each, through the
    /// first validator (waits for their blocks).
    pub async fn allow_followers(&self) -> Result<()> {
        use truffle_wire::api::{AccountApiClient, TxApiClient};
        let via = self.validators()[0];
        let rpc = self.client(via);
        let failed = |reason: String| TestnetError::Rpc { index: via, reason };
        let mut nonce = rpc
            .get_nonce(self.admin.public())
            .await
            .map_err(|e| failed(e.to_string()))?;
        for index in self.followers() {
            let tx = truffle_ledger::Transaction {
                chain_id: self.genesis.chain_id(),
                signer: self.admin.public(),
                nonce,
                payload: truffle_ledger::Payload::SetFollower {
                    key: self.nodes[index].key,
                    allowed: true,
                },
            }
            .sign(&self.admin);
            nonce += 1;
            let status = rpc
                .submit_and_wait(hex::encode(tx.encode()), Some(30_000))
                .await
                .map_err(|e| failed(e.to_string()))?;
            if !matches!(status, truffle_wire::chain::TxStatus::Committed { .. }) {
                return Err(failed(format!("allowing follower {index}: {status:?}")));
            }
        }
        Ok(())
    }

    /// The validator key of node `index`.
    pub fn key(&self, index: usize) -> &Keypair {
        &self.keys[index]
    }

    /// The vault key file shared by the nodes.
    pub fn vault_key_path(&self) -> PathBuf {
        self.dir.join("vault.key")
    }

    /// The genesis file.
    pub fn genesis_path(&self) -> PathBuf {
        self.dir.join("genesis.json")
    }

    /// Node `index`'s log file.
    pub fn log_path(&self, index: usize) -> PathBuf {
        self.dir.join(format!("node-{index}/node.log"))
    }

    /// Node `index`'s data folder.
    pub fn data_dir(&self, index: usize) -> PathBuf {
        self.dir.join(format!("node-{index}/data"))
    }

    /// Node `index`'s JSON-RPC URL.
    pub fn rpc_url(&self, index: usize) -> String {
        format!("http://127.0.0.1:{}", self.nodes[index].rpc_port)
    }

    /// A JSON-RPC client to node `index`.
    pub fn client(&self, index: usize) -> HttpClient {
        HttpClientBuilder::default()
            .request_timeout(Duration::from_secs(15))
            .build(self.rpc_url(index))
            .expect("a loopback URL is valid")
    }

    fn check_index(&self, index: usize) -> Result<()> {
        if index >= self.nodes.len() {
            return Err(TestnetError::Invalid(format!(
                "no node {index}; the testnet has nodes 0..{}",
                self.nodes.len()
            )));
        }
        Ok(())
    }

    /// Starts node `index` and waits until it serves RPC.
    pub fn start(&mut self, index: usize) -> Result<()> {
        self.check_index(index)?;
        if self.processes[index]
            .as_mut()
            .is_some_and(|p| p.is_running())
        {
            return Ok(());
        }
        let process = NodeProcess::start(
            &self.binary,
            &self.args[index],
            &self.log_path(index),
            START_TIMEOUT,
        )?;
        self.nodes[index].pid = process.pid();
        self.processes[index] = Some(process);
        self.save()
    }

    /// Starts every node.
    pub fn start_all(&mut self) -> Result<()> {
        for index in 0..self.nodes.len() {
            self.start(index)?;
        }
        Ok(())
    }

    /// SIGKILL to node `index`.
    pub fn kill(&mut self, index: usize) -> Result<()> {
        self.check_index(index)?;
        match self.processes[index].as_mut() {
            Some(process) => process.kill(),
            None => {
                if let Some(pid) = self.nodes[index].pid {
                    signal(pid, libc::SIGCONT);
                    signal(pid, libc::SIGKILL);
                }
            }
        }
        self.processes[index] = None;
        self.nodes[index].pid = None;
        self.save()
    }

    /// SIGTERM to node `index` (a graceful shutdown), waiting up to `grace` for it to
    /// exit; returns its exit status, or `None` if it had to be SIGKILLed.
    pub fn terminate(
        &mut self,
        index: usize,
        grace: Duration,
    ) -> Result<Option<std::process::ExitStatus>> {
        self.check_index(index)?;
        let status = match self.processes[index].as_mut() {
            Some(process) => process.terminate_with_status(grace),
            None => {
                return Err(TestnetError::Invalid(format!(
                    "node {index} was not started by this handle"
                )))
            }
        };
        self.processes[index] = None;
        self.nodes[index].pid = None;
        self.save()?;
        Ok(status)
    }

    /// The `truffle` binary this testnet runs.
    pub fn binary(&self) -> &Path {
        &self.binary
    }

    /// Adds arguments to node `index`'s `truffle node run` from its next start on (a
    /// fault-injection setting for one node, say).
    pub fn add_args(&mut self, index: usize, args: &[&str]) -> Result<()> {
        self.check_index(index)?;
        self.args[index].extend(args.iter().map(|a| (*a).to_owned()));
        self.save()
    }

    /// SIGKILL, then start again with the same data.
    pub fn restart(&mut self, index: usize) -> Result<()> {
        self.kill(index)?;
        self.start(index)
    }

    /// SIGSTOP (a hung node) or SIGCONT.
    pub fn set_paused(&self, index: usize, paused: bool) -> Result<()> {
        self.check_index(index)?;
        let pid = self.nodes[index]
            .pid
            .ok_or_else(|| TestnetError::Invalid(format!("node {index} is not running")))?;
        signal(pid, if paused { libc::SIGSTOP } else { libc::SIGCONT });
        Ok(())
    }

    /// Leaves the processes running after this handle is dropped (`truffle testnet up`).
    pub fn detach(mut self) {
        for process in self.processes.iter_mut() {
            if let Some(process) = process.take() {
                process.detach();
            }
        }
    }

    /// Stops every node: SIGTERM, then SIGKILL.
    pub fn down(&mut self) -> Result<()> {
        for index in 0..self.nodes.len() {
            match self.processes[index].as_mut() {
                Some(process) => process.terminate(Duration::from_secs(5)),
                None => {
                    if let Some(pid) = self.nodes[index].pid {
                        signal(pid, libc::SIGCONT);
                        signal(pid, libc::SIGTERM);
                        let deadline = Instant::now() + Duration::from_secs(5);
                        while Instant::now() < deadline && signal(pid, 0) {
                            std::thread::sleep(Duration::from_millis(50));
                        }
                        signal(pid, libc::SIGKILL);
                    }
                }
            }
            self.processes[index] = None;
            self.nodes[index].pid = None;
        }
        self.save()
    }

    /// Node `index`'s health, if it answers.
    pub async fn health(&self, index: usize) -> Result<Health> {
        let value = self
            .client(index)
            .health()
            .await
            .map_err(|e| TestnetError::Rpc {
                index,
                reason: e.to_string(),
            })?;
        serde_json::from_value(value).map_err(|e| TestnetError::Rpc {
            index,
            reason: e.to_string(),
        })
    }

    /// Waits until the nodes in `among` agree on one leader among them; returns its index.
    pub async fn wait_for_leader(&self, among: &[usize], timeout: Duration) -> Result<usize> {
        let deadline = Instant::now() + timeout;
        loop {
            let mut leaders = Vec::new();
            for index in among {
                if let Ok(health) = self.health(*index).await {
                    leaders.push(health.leader_key);
                }
            }
            if leaders.len() == among.len() {
                if let Some(Some(key)) = leaders.first() {
                    if leaders.iter().all(|l| l.as_ref() == Some(key)) {
                        if let Some(node) = self.nodes.iter().find(|n| n.key.to_hex() == *key) {
                            if among.contains(&node.index) {
                                return Ok(node.index);
                            }
                        }
                    }
                }
            }
            if Instant::now() > deadline {
                return Err(TestnetError::Timeout(
                    timeout,
                    format!("no agreed leader among {among:?}: {leaders:?}"),
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Cuts every link between the groups (each node keeps its links within its group).
    pub async fn partition(&self, groups: &[Vec<usize>]) -> Result<()> {
        for group in groups {
            for index in group {
                self.check_index(*index)?;
            }
        }
        for group in groups {
            let outside: Vec<String> = self
                .nodes
                .iter()
                .filter(|n| !group.contains(&n.index))
                .map(|n| n.key.to_hex())
                .collect();
            for index in group {
                self.client(*index)
                    .partition(outside.clone())
                    .await
                    .map_err(|e| TestnetError::Rpc {
                        index: *index,
                        reason: e.to_string(),
                    })?;
            }
        }
        Ok(())
    }

    /// Restores every link.
    pub async fn heal(&self) -> Result<()> {
        for node in &self.nodes {
            // A node that is down has no links to restore.
            let _ = self.client(node.index).heal().await;
        }
        Ok(())
    }
}

impl Drop for Testnet {
    fn drop(&mut self) {
        // Handles still held here belong to a test or a failed `up`: their processes die
        // with them (NodeProcess kills on drop); `detach` empties this first.
        self.processes.clear();
    }
}

fn node_args(dir: &Path, node: &NodeEntry, options: &TestnetOptions) -> Vec<String> {
    let node_dir = dir.join(format!("node-{}", node.index));
    let mut args = vec![
        "node".to_owned(),
        "run".to_owned(),
        "--chain".to_owned(),
        dir.join("genesis.json").display().to_string(),
        "--key-file".to_owned(),
        node_dir.join("key.json").display().to_string(),
        "--data-dir".to_owned(),
        node_dir.join("data").display().to_string(),
        "--rpc.listen".to_owned(),
        format!("127.0.0.1:{}", node.rpc_port),
        "--p2p.listen".to_owned(),
        format!("/ip4/127.0.0.1/tcp/{}", node.p2p_port),
        "--raft.heartbeat-ms".to_owned(),
        options.heartbeat_ms.to_string(),
        "--raft.election-min-ms".to_owned(),
        options.election_timeout_ms.0.to_string(),
        "--raft.election-max-ms".to_owned(),
        options.election_timeout_ms.1.to_string(),
        "--enable-fault-injection".to_owned(),
        "--vault-key-file".to_owned(),
        dir.join("vault.key").display().to_string(),
        // A testnet is for development: without a gateway given, codes go to the log.
        "--sms.console".to_owned(),
    ];
    if let Some(every) = options.snapshot_every_entries {
        args.push("--snapshot.every-entries".to_owned());
        args.push(every.to_string());
    }
    args.extend(options.extra_args.iter().cloned());
    args
}
