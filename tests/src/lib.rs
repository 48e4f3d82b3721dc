//! Helpers for the cross-crate integration tests in `tests/it`: start real `truffle`
//! processes, talk to them over JSON-RPC, sign transactions like a wallet does.

pub mod kakao;
pub mod members;

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use jsonrpsee_http_client::{HttpClient, HttpClientBuilder};
use truffle_ledger::{Hash, Keypair, Payload, Transaction};
use truffle_testnet::{truffle_binary, NodeProcess};
use truffle_wire::api::{AccountApiClient, SystemApiClient, TxApiClient};
use truffle_wire::chain::TxStatus;

/// How long a node may take to start.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Starts `truffle dev` on an OS-chosen port in `data_dir`, without demo data.
pub fn start_dev(data_dir: &Path) -> anyhow::Result<NodeProcess> {
    let binary = truffle_binary()?;
    let args = vec![
        "dev".to_owned(),
        "--data-dir".to_owned(),
        data_dir.display().to_string(),
        "--rpc.listen".to_owned(),
        "127.0.0.1:0".to_owned(),
        "--no-demo".to_owned(),
    ];
    let log = data_dir.with_extension("log");
    Ok(NodeProcess::start(&binary, &args, &log, START_TIMEOUT)?)
}

/// Waits (up to 30 s) until the node at `rpc_url` knows a leader: a single validator
/// prints its address before it has elected itself, and a busy machine can stretch that.
pub async fn wait_for_leader_at(rpc_url: &str) -> anyhow::Result<()> {
    let rpc = client(rpc_url)?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let health = rpc.health().await.ok();
        let leader = health
            .as_ref()
            .and_then(|h| h.get("leader_id"))
            .is_some_and(|id| !id.is_null());
        if leader {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("no leader at {rpc_url} after 30 s (last health: {health:?})");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A JSON-RPC client to `url`.
pub fn client(url: &str) -> anyhow::Result<HttpClient> {
    Ok(HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(30))
        .build(url)?)
}

/// A wallet: a key and a locally tracked nonce.
pub struct Wallet {
    /// The key.
    pub key: Keypair,
    /// The next nonce to use.
    pub nonce: u64,
}

impl Wallet {
    /// A wallet for `key`, starting from the node's view of its nonce.
    pub async fn new(client: &HttpClient, key: Keypair) -> anyhow::Result<Wallet> {
        let nonce = client.get_nonce(key.public()).await?;
        Ok(Wallet { key, nonce })
    }

    /// Signs the next transaction.
    pub fn sign(&mut self, chain_id: Hash, payload: Payload) -> String {
        let signed = Transaction {
            chain_id,
            signer: self.key.public(),
            nonce: self.nonce,
            payload,
        }
        .sign(&self.key);
        self.nonce += 1;
        hex::encode(signed.encode())
    }
}

/// The chain id a node serves.
pub async fn chain_id(client: &HttpClient) -> anyhow::Result<Hash> {
    Ok(client.version().await?.chain_id)
}

/// Polls until the transaction is in a block (bounded by `timeout`).
pub async fn wait_included(
    client: &HttpClient,
    hash: Hash,
    timeout: Duration,
) -> anyhow::Result<TxStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        let status = client.status(hash).await.context("tx_status")?;
        if matches!(
            status,
            TxStatus::Committed { .. } | TxStatus::Rejected { .. }
        ) {
            return Ok(status);
        }
        if Instant::now() > deadline {
            bail!("transaction {hash} not in a block after {timeout:?} (last status {status:?})");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A started testnet in a temporary folder (the processes die with it).
pub struct Cluster {
    /// The nodes.
    pub net: truffle_testnet::Testnet,
    /// Keeps the folder alive.
    pub dir: tempfile::TempDir,
}

impl Cluster {
    /// Creates and starts `options.nodes` validators and waits for a leader.
    pub async fn start(options: truffle_testnet::TestnetOptions) -> anyhow::Result<Cluster> {
        let dir = tempfile::tempdir()?;
        let mut net = truffle_testnet::Testnet::create(&dir.path().join("net"), &options)?;
        net.start_all()?;
        let all: Vec<usize> = (0..options.nodes).collect();
        net.wait_for_leader(&all, Duration::from_secs(30)).await?;
        Ok(Cluster { net, dir })
    }

    /// The chain id.
    pub fn chain_id(&self) -> Hash {
        self.net.genesis.chain_id()
    }

    /// A client to node `index`.
    pub fn client(&self, index: usize) -> HttpClient {
        self.net.client(index)
    }

    /// Waits until the nodes in `among` have the same head (bounded by `timeout`);
    /// returns its height.
    pub async fn wait_converged(&self, among: &[usize], timeout: Duration) -> anyhow::Result<u64> {
        use truffle_wire::api::ChainApiClient;
        let deadline = Instant::now() + timeout;
        loop {
            let mut heads = Vec::new();
            for index in among {
                match self.client(*index).get_header(None).await {
                    Ok(head) => heads.push((head.header.height, head.hash)),
                    Err(_) => heads.push((0, Hash::ZERO)),
                }
            }
            if heads.windows(2).all(|w| w[0] == w[1]) && heads[0].1 != Hash::ZERO {
                return Ok(heads[0].0);
            }
            if Instant::now() > deadline {
                bail!("nodes {among:?} did not converge within {timeout:?}: {heads:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Checks that the nodes in `among` hold identical headers at every height up to `height`.
    pub async fn assert_same_chain(&self, among: &[usize], height: u64) -> anyhow::Result<()> {
        use truffle_wire::api::ChainApiClient;
        let mut reference = Vec::new();
        let mut from = 0;
        while from <= height {
            let headers = self.client(among[0]).get_headers(from, 1_000).await?;
            if headers.is_empty() {
                break;
            }
            from += headers.len() as u64;
            reference.extend(headers);
        }
        reference.truncate(height as usize + 1);
        for index in &among[1..] {
            let mut from = 0;
            let mut position = 0;
            while from <= height {
                let headers = self.client(*index).get_headers(from, 1_000).await?;
                if headers.is_empty() {
                    break;
                }
                for header in &headers {
                    if position < reference.len() {
                        if *header != reference[position] {
                            bail!(
                                "node {index} differs from node {} at height {}",
                                among[0],
                                header.header.height
                            );
                        }
                        position += 1;
                    }
                }
                from += headers.len() as u64;
            }
            if position != reference.len() {
                bail!(
                    "node {index} has {position} headers, node {} has {}",
                    among[0],
                    reference.len()
                );
            }
        }
        Ok(())
    }
}
