//! Helpers for the cross-crate integration tests in `tests/it`: start real `truffle`
//! processes, talk to them over JSON-RPC, sign transactions like a wallet does.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use jsonrpsee_http_client::{HttpClient, HttpClientBuilder};
use truffle_ledger::{Hash, Keypair, Payload, Transaction};
use truffle_node::TxStatus;
use truffle_rpc::api::{AccountApiClient, SystemApiClient, TxApiClient};
use truffle_testnet::{truffle_binary, NodeProcess};

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
