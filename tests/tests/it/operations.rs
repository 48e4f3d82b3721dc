//! Operating nodes: Prometheus metrics on a live cluster, the operator's gate on
//! `admin_*` methods, the admin address, and the configuration a node refuses.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use jsonrpsee::core::client::ClientT;
use jsonrpsee::core::params::BatchRequestBuilder;
use jsonrpsee::rpc_params;
use jsonrpsee_http_client::{HttpClient, HttpClientBuilder};
use truffle_ledger::types::Role;
use truffle_ledger::{Keypair, Payload};
use truffle_testnet::{truffle_binary, NodeProcess, TestnetOptions};
use truffle_tests::{start_dev, wait_for_leader_at, wait_included, Cluster, Wallet, START_TIMEOUT};
use truffle_wire::api::{AdminApiClient, TxApiClient};
use truffle_wire::codes::OPERATOR_REFUSED;

/// One scrape: each sample line `name{labels} value`, keyed by `name{labels}`.
struct Scrape {
    samples: BTreeMap<String, f64>,
}

impl Scrape {
    async fn fetch(http: &reqwest::Client, rpc_url: &str) -> anyhow::Result<Scrape> {
        let response = http
            .get(format!("{rpc_url}/metrics"))
            .send()
            .await
            .context("GET /metrics")?;
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if !response.status().is_success()
            || !content_type.starts_with("application/openmetrics-text")
        {
            bail!(
                "GET /metrics answered {} ({content_type})",
                response.status()
            );
        }
        let text = response.text().await?;
        if !text.ends_with("# EOF\n") {
            bail!("a scrape must end with # EOF: {text}");
        }
        let mut samples = BTreeMap::new();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (key, value) = line.rsplit_once(' ').context("a sample line")?;
            samples.insert(key.to_owned(), value.parse::<f64>()?);
        }
        Ok(Scrape { samples })
    }

    fn value(&self, key: &str) -> anyhow::Result<f64> {
        self.samples
            .get(key)
            .copied()
            .with_context(|| format!("no sample {key}"))
    }

    /// The leader this node follows, from `truffle_raft_leader{leader="id"} 1`.
    fn leader(&self) -> Option<String> {
        self.samples.iter().find_map(|(key, value)| {
            let id = key.strip_prefix("truffle_raft_leader{leader=\"")?;
            (*value == 1.0).then(|| id.trim_end_matches("\"}").to_owned())
        })
    }

    fn sum(&self, prefix: &str) -> f64 {
        self.samples
            .iter()
            .filter(|(key, _)| key.starts_with(prefix))
            .map(|(_, value)| value)
            .sum()
    }
}

fn register(name: &str) -> Payload {
    Payload::RegisterAccount {
        account: Keypair::from_name(name).public(),
        role: Role::Member,
        adult: true,
    }
}

/// While transactions flow through a 3-node testnet, every node's `/metrics` shows the
/// commit index rising and names the same leader; counters and resource gauges are there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_follow_a_live_cluster() -> anyhow::Result<()> {
    let cluster = Cluster::start(TestnetOptions::default()).await?;
    let chain = cluster.chain_id();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let urls: Vec<String> = (0..3).map(|i| cluster.net.rpc_url(i)).collect();

    let mut before = Vec::new();
    for url in &urls {
        before.push(Scrape::fetch(&http, url).await?);
    }

    // Transactions flow: node 0's operator registers members in rounds, through node 1.
    let mut wallet = Wallet::new(&cluster.client(1), cluster.net.key(0).clone()).await?;
    let mut last = None;
    for round in 0..4 {
        for i in 0..10 {
            let tx = wallet.sign(chain, register(&format!("metrics-{round}-{i}")));
            last = Some(cluster.client(1).submit(tx).await?);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    wait_included(
        &cluster.client(1),
        last.expect("submitted"),
        Duration::from_secs(30),
    )
    .await?;

    // Followers apply a moment after the leader: bounded retries until they all agree.
    let deadline = Instant::now() + Duration::from_secs(20);
    let after = loop {
        let mut after = Vec::new();
        for url in &urls {
            after.push(Scrape::fetch(&http, url).await?);
        }
        let leaders: Vec<Option<String>> = after.iter().map(Scrape::leader).collect();
        let committed: Vec<f64> = after
            .iter()
            .map(|s| s.value("truffle_tx_committed_total").unwrap_or(0.0))
            .collect();
        if leaders[0].is_some()
            && leaders.windows(2).all(|w| w[0] == w[1])
            && committed.iter().all(|c| *c >= 40.0)
        {
            break after;
        }
        if Instant::now() > deadline {
            bail!(
                "nodes disagree on the leader or lag: leaders {leaders:?}, committed {committed:?}"
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    let leader_id = after[0].leader().expect("a leader");
    let mut leaders_seen = 0;
    for (index, (old, new)) in before.iter().zip(&after).enumerate() {
        let (old_commit, new_commit) = (
            old.value("truffle_raft_commit_index")?,
            new.value("truffle_raft_commit_index")?,
        );
        assert!(
            new_commit > old_commit,
            "node {index}: commit index {old_commit} -> {new_commit}"
        );
        assert!(
            new.value("truffle_raft_applied_index")? > old.value("truffle_raft_applied_index")?
        );
        assert!(new.value("truffle_block_height")? > old.value("truffle_block_height")?);
        assert!(new.value("truffle_raft_term")? >= 1.0);
        assert!(new.value("truffle_process_resident_memory_bytes")? > 1_000_000.0);
        assert!(new.value("truffle_process_cpu_seconds")? > 0.0);
        assert!(new.value("truffle_db_sst_bytes")? + new.value("truffle_db_memtable_bytes")? > 0.0);
        assert!(new.value("truffle_blocks_applied_total")? > 0.0);
        assert!(new.value("truffle_block_interval_seconds_count")? > 0.0);
        assert!(
            new.value("truffle_p2p_peers")? >= 2.0,
            "node {index} knows both peers"
        );
        let is_leader = new.value("truffle_raft_role{role=\"leader\"}")? == 1.0;
        let is_follower = new.value("truffle_raft_role{role=\"follower\"}")? == 1.0;
        assert!(
            is_leader != is_follower,
            "node {index} has exactly one role"
        );
        if is_leader {
            leaders_seen += 1;
            // The leader reports how far each of the two followers is behind.
            let lags = new
                .samples
                .keys()
                .filter(|k| k.starts_with("truffle_raft_replication_lag_entries{"))
                .count();
            assert_eq!(lags, 2, "node {index} (leader {leader_id})");
        }
        if index == 1 {
            // RPC calls are counted by method on the node the client talked to.
            assert!(new.sum("truffle_rpc_requests_total{method=\"tx_status\"") > 0.0);
        }
        assert!(new.value("truffle_raft_leader_changes_total")? >= 1.0);
    }
    assert_eq!(leaders_seen, 1, "exactly one node reports itself leader");
    let submitted =
        after[1].value("truffle_tx_submitted_total{outcome=\"accepted\",reason=\"\"}")?;
    assert!(
        submitted >= 40.0,
        "node 1 accepted the 40 submissions: {submitted}"
    );
    assert!(
        after[1].value("truffle_rpc_request_duration_seconds_count{method=\"tx_submit\"}")? >= 40.0
    );

    // A refused submission is counted with its reason (1007: the nonce was used).
    let stale = {
        let mut replay = Wallet {
            key: wallet.key.clone(),
            nonce: 0,
        };
        replay.sign(chain, register("metrics-replay"))
    };
    assert!(cluster.client(1).submit(stale).await.is_err());
    let refused = Scrape::fetch(&http, &urls[1]).await?;
    assert_eq!(
        refused.value("truffle_tx_submitted_total{outcome=\"refused\",reason=\"7\"}")?,
        1.0
    );
    Ok(())
}

fn client_with_token(url: &str, token: Option<&str>) -> anyhow::Result<HttpClient> {
    let mut headers = jsonrpsee_http_client::HeaderMap::new();
    if let Some(token) = token {
        headers.insert(
            "authorization",
            format!("Bearer {token}")
                .parse()
                .context("a header value")?,
        );
    }
    Ok(HttpClientBuilder::default()
        .set_headers(headers)
        .request_timeout(Duration::from_secs(60))
        .build(url)?)
}

fn operator_refused(error: &jsonrpsee::core::ClientError) -> bool {
    matches!(error, jsonrpsee::core::ClientError::Call(e) if e.code() == OPERATOR_REFUSED)
}

/// `admin_*` answers only to the operator's token (from the node's `admin.token`), also
/// inside batches; other methods need none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_methods_answer_only_the_operator() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("node");
    let node = start_dev(&data)?;
    let url = node.rpc_url.clone();
    wait_for_leader_at(&url).await?;
    let token = std::fs::read_to_string(data.join("admin.token"))?;
    let token = token.trim();
    assert_eq!(token.len(), 64, "a 256-bit token, hex");

    let anonymous = client_with_token(&url, None)?;
    let error = anonymous.compact().await.unwrap_err();
    assert!(operator_refused(&error), "{error:?}");
    assert!(
        error.to_string().contains("Authorization: Bearer"),
        "{error}"
    );
    let wrong = client_with_token(&url, Some(&"0".repeat(64)))?;
    assert!(operator_refused(&wrong.compact().await.unwrap_err()));

    // A batch cannot smuggle an admin call past the gate; its other calls still answer.
    let mut batch = BatchRequestBuilder::new();
    batch.insert("system_version", rpc_params![])?;
    batch.insert("admin_compact", rpc_params![])?;
    let answers = anonymous.batch_request::<serde_json::Value>(batch).await?;
    let answers: Vec<_> = answers.into_iter().collect();
    assert!(answers[0].is_ok(), "{:?}", answers[0]);
    let refused = answers[1].as_ref().unwrap_err();
    assert_eq!(refused.code(), OPERATOR_REFUSED);

    let operator = client_with_token(&url, Some(token))?;
    let report = operator.compact().await?;
    assert!(report.took_ms < 60_000);
    // Ordinary methods need no token.
    assert!(anonymous.status(truffle_ledger::Hash::ZERO).await.is_ok());
    Ok(())
}

/// With an admin address, `admin_*` methods are served there (loopback) and refused on
/// the public address even with the token; a node refuses an admin address that is not
/// loopback, naming the key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_address_keeps_admin_methods_off_the_public_port() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("node");
    let binary = truffle_binary()?;
    let run = |admin: &str| -> Vec<String> {
        [
            "node",
            "run",
            "--chain",
            "dev",
            "--data-dir",
            &data.display().to_string(),
            "--rpc.listen",
            "127.0.0.1:0",
            "--p2p.listen",
            "/ip4/127.0.0.1/tcp/0",
            "--rpc.admin-listen",
            admin,
            "--log-format",
            "json",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };

    let refused = std::process::Command::new(&binary)
        .args(run("0.0.0.0:0"))
        .output()?;
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("rpc_admin_listen") && stderr.contains("loopback"),
        "{stderr}"
    );

    let node = NodeProcess::start(
        &binary,
        &run("127.0.0.1:0"),
        &dir.path().join("node.log"),
        START_TIMEOUT,
    )?;
    let url = node.rpc_url.clone();
    wait_for_leader_at(&url).await?;
    let log = std::fs::read_to_string(dir.path().join("node.log"))?;
    let admin_url = log
        .split_whitespace()
        .find_map(|word| word.strip_prefix("admin="))
        .context("the ready line names the admin address")?
        .to_owned();
    assert!(admin_url.starts_with("http://127.0.0.1:"), "{admin_url}");
    // `--log-format json`: one JSON object per log line, for log shippers.
    let json_lines: Vec<serde_json::Value> = log
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    assert!(
        json_lines.iter().any(|line| line["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("operator's token"))
            && line["level"] == "INFO"),
        "{log}"
    );
    assert!(
        !log.lines().any(|l| l.contains(" INFO ")),
        "no text-format lines: {log}"
    );
    assert_ne!(admin_url, url);
    let token = std::fs::read_to_string(data.join("admin.token"))?;

    let public = client_with_token(&url, Some(token.trim()))?;
    let error = public.compact().await.unwrap_err();
    assert!(operator_refused(&error), "{error:?}");
    assert!(error.to_string().contains("admin address"), "{error}");
    let admin_anonymous = client_with_token(&admin_url, None)?;
    assert!(operator_refused(
        &admin_anonymous.compact().await.unwrap_err()
    ));
    let admin = client_with_token(&admin_url, Some(token.trim()))?;
    admin.compact().await?;
    Ok(())
}

/// `truffle config default` prints a file a node accepts as is; `truffle config check`
/// applies `TRUFFLE_*` variables over the file and flags over both, and names the key
/// of a bad value.
#[test]
fn config_commands_print_the_defaults_and_name_bad_keys() -> anyhow::Result<()> {
    let binary = truffle_binary()?;
    let dir = tempfile::tempdir()?;
    let printed = std::process::Command::new(&binary)
        .args(["config", "default"])
        .output()?;
    assert!(printed.status.success());
    let file = dir.path().join("node.toml");
    std::fs::write(&file, &printed.stdout)?;

    let check = |envs: &[(&str, &str)], flags: &[&str]| -> anyhow::Result<std::process::Output> {
        let mut command = std::process::Command::new(&binary);
        command
            .args(["config", "check", "--config"])
            .arg(&file)
            .args(flags)
            .env_clear()
            .envs(envs.iter().copied());
        Ok(command.output()?)
    };
    let effective = check(
        &[
            ("TRUFFLE_MEMPOOL_CAPACITY", "77"),
            ("TRUFFLE_RAFT_HEARTBEAT_MS", "90"),
        ],
        &["--raft.heartbeat-ms", "120"],
    )?;
    assert!(effective.status.success(), "{effective:?}");
    let effective: toml::Table = String::from_utf8(effective.stdout)?.parse()?;
    assert_eq!(
        effective["mempool_capacity"].as_integer(),
        Some(77),
        "the variable"
    );
    assert_eq!(
        effective["raft_heartbeat_ms"].as_integer(),
        Some(120),
        "the flag wins"
    );
    assert_eq!(effective["chain"].as_str(), Some("dev"), "the file");

    let bad = check(&[("TRUFFLE_SESSION_TTL_SECS", "soon")], &[])?;
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("session_ttl_secs"), "{stderr}");
    Ok(())
}
