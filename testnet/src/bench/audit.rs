//! An auditor timed replaying a bench's chain: `truffle verify chain` from the genesis,
//! in a process of its own, against one of the validators.

use std::time::{Duration, Instant};

use jsonrpsee_http_client::HttpClient;
use serde::Serialize;
use truffle_ledger::BlockHeader;
use truffle_wire::api::ChainApiClient;

use crate::cluster::{Testnet, TestnetError};

/// `truffle verify chain` from the genesis against a validator, as its own report
/// gives it.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct AuditReplay {
    /// Every block checked and re-executed to the same headers.
    pub verified: bool,
    /// Blocks replayed.
    pub blocks: u64,
    /// Transactions in them.
    pub transactions: u64,
    /// Replay time, s (the command's own count, from its first block fetched).
    pub seconds: f64,
    /// Blocks per second.
    pub blocks_per_second: f64,
    /// Transactions per second.
    pub transactions_per_second: f64,
}

/// Runs `truffle verify chain` against validator `index` up to `height` in a process of
/// its own (the followers are stopped first, so that they do not share the cores with
/// it) and reads its JSON report.
pub(super) async fn audit_replay(
    net: &mut Testnet,
    index: usize,
    height: u64,
) -> Result<AuditReplay, TestnetError> {
    for follower in net.followers() {
        net.kill(follower)?;
    }
    let binary = crate::process::truffle_binary()?;
    let audit_dir = net.dir().join("audit");
    let output = tokio::process::Command::new(binary)
        .args(["verify", "chain", "--genesis"])
        .arg(net.genesis_path())
        .args([
            "--rpc",
            &net.rpc_url(index),
            "--output",
            "json",
            "--to-height",
        ])
        .arg(height.to_string())
        .arg("--audit-dir")
        .arg(&audit_dir)
        .output()
        .await
        .map_err(|e| TestnetError::Invalid(format!("truffle verify chain: {e}")))?;
    if !output.status.success() {
        return Err(TestnetError::Invalid(format!(
            "truffle verify chain failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| {
        TestnetError::Invalid(format!(
            "truffle verify chain's report does not parse ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        ))
    })
}

/// The highest head among `validators`, once every one of them has applied it: a
/// replay timed while some still apply the load's last blocks would share the cores
/// with them.
pub(super) async fn settled_head(validators: &[HttpClient]) -> Result<u64, TestnetError> {
    let mut highest = 0;
    for (index, rpc) in validators.iter().enumerate() {
        let view = rpc
            .get_header(None)
            .await
            .map_err(|e| super::setup::rpc_error(index, e))?;
        highest = highest.max(view.header.height);
    }
    for (index, rpc) in validators.iter().enumerate() {
        let who = format!("validator {index}");
        wait_for_height(rpc, highest, Duration::from_secs(120), &who).await?;
    }
    Ok(highest)
}

/// Polls `rpc` every 20 ms until its head is at `height` or above (a node still
/// starting or refusing counts as below) and returns that head, or times out.
pub(super) async fn wait_for_height(
    rpc: &HttpClient,
    height: u64,
    timeout: Duration,
    who: &str,
) -> Result<BlockHeader, TestnetError> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(view) = rpc.get_header(None).await {
            if view.header.height >= height {
                return Ok(view.header);
            }
        }
        if Instant::now() > deadline {
            return Err(TestnetError::Timeout(
                timeout,
                format!("{who} to reach height {height}"),
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
