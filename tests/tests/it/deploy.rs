//! The README's "Running a real cluster" walk-through, as the operators would type it:
//! each validator makes its key on its own host and hands over only the public key; the
//! coordinator writes the genesis from public keys; every validator runs the shipped
//! `deploy/validator.toml` (loopback addresses instead of the hosts'); an auditor replays
//! the chain against that genesis.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use anyhow::{bail, Context};
use truffle_ledger::types::Role;
use truffle_ledger::{Hash, Payload};
use truffle_testnet::{truffle_binary, NodeProcess, START_TIMEOUT};
use truffle_tests::{client, wait_for_leader_at, wait_included, Wallet};
use truffle_wire::api::TxApiClient;
use truffle_wire::chain::TxStatus;
use truffle_wire::keyfile::read_key_file;

const VALIDATORS: usize = 4;

fn truffle(args: &[&str]) -> anyhow::Result<Output> {
    std::process::Command::new(truffle_binary()?)
        .args(args)
        .output()
        .with_context(|| format!("truffle {args:?}"))
}

fn truffle_ok(args: &[&str]) -> anyhow::Result<String> {
    let output = truffle(args)?;
    if !output.status.success() {
        bail!(
            "truffle {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}

fn shipped_config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/validator.toml")
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// What each host holds after the ceremony, and where its node listens.
struct Host {
    dir: PathBuf,
    public_key: String,
    p2p_port: u16,
    rpc_port: u16,
    admin_port: u16,
}

impl Host {
    /// The flags that put the shipped configuration's host paths and addresses on this
    /// host's temporary folder and loopback ports.
    fn flags(&self, genesis: &Path, vault: &Path, sms: &Path) -> Vec<String> {
        let path = |p: &Path| p.display().to_string();
        vec![
            "--config".into(),
            path(&shipped_config()),
            "--data-dir".into(),
            path(&self.dir.join("data")),
            "--chain".into(),
            path(genesis),
            "--key-file".into(),
            path(&self.dir.join("validator.key")),
            "--vault-key-file".into(),
            path(vault),
            "--sms.gateway-key-file".into(),
            path(sms),
            "--rpc.listen".into(),
            format!("127.0.0.1:{}", self.rpc_port),
            "--rpc.admin-listen".into(),
            format!("127.0.0.1:{}", self.admin_port),
            "--p2p.listen".into(),
            format!("/ip4/127.0.0.1/tcp/{}", self.p2p_port),
        ]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_genesis_ceremony_and_the_shipped_configuration_make_a_working_chain(
) -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;

    // On each host: a key that never leaves it; the operator sends `keys show`'s output.
    let mut hosts = Vec::new();
    for index in 0..VALIDATORS {
        let dir = root.path().join(format!("host-{index}"));
        std::fs::create_dir_all(&dir)?;
        let key_file = dir.join("validator.key");
        truffle_ok(&["keys", "new", "--out", key_file.to_str().context("utf-8")?])?;
        let public_key = truffle_ok(&["keys", "show", key_file.to_str().context("utf-8")?])?;
        hosts.push(Host {
            dir,
            public_key,
            p2p_port: free_port()?,
            rpc_port: free_port()?,
            admin_port: free_port()?,
        });
    }
    let admin_key = root.path().join("admin.key");
    truffle_ok(&["keys", "new", "--out", admin_key.to_str().context("utf-8")?])?;
    let admin_public = truffle_ok(&["keys", "show", admin_key.to_str().context("utf-8")?])?;

    // The coordinator holds public keys only.
    let genesis = root.path().join("genesis.json");
    let mut args: Vec<String> = vec!["genesis".into(), "new".into(), "--chain-name".into()];
    args.push("ceremony".into());
    for (index, host) in hosts.iter().enumerate() {
        args.push("--validator".into());
        args.push(format!(
            "v{index}={}=/ip4/127.0.0.1/tcp/{}",
            host.public_key, host.p2p_port
        ));
    }
    args.push("--admin".into());
    args.push(format!("ops={admin_public}"));
    args.push("--out".into());
    args.push(genesis.display().to_string());
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let chain_id =
        Hash::from_hex(&truffle_ok(&arg_refs)?).context("genesis new prints the chain id")?;

    // A typo in a public key is caught at the ceremony, not when the chain fails to start.
    let mut bad = arg_refs.clone();
    let typo = format!("v0={}=/ip4/127.0.0.1/tcp/1", &hosts[0].public_key[..63]);
    bad[5] = &typo;
    let last = bad.len() - 1;
    let other_out = root.path().join("other.json").display().to_string();
    bad[last] = &other_out;
    let refused = truffle(&bad)?;
    assert!(!refused.status.success(), "a 63-digit key must be refused");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("neither a public key"),
        "names the mistake: {}",
        String::from_utf8_lossy(&refused.stderr)
    );

    // Every operator checks the chain id out of band before starting.
    let inspected = truffle_ok(&[
        "genesis",
        "inspect",
        genesis.to_str().context("utf-8")?,
        "--output",
        "json",
    ])?;
    let inspected: serde_json::Value = serde_json::from_str(&inspected)?;
    assert_eq!(inspected["chain_id"], chain_id.to_hex());
    assert_eq!(
        inspected["validators"].as_array().map(Vec::len),
        Some(VALIDATORS)
    );

    // Shared secrets of the cluster, distributed by the operators.
    let vault = root.path().join("vault.key");
    std::fs::write(
        &vault,
        Hash::tagged(b"truffle/test/ceremony-vault", &[]).to_hex(),
    )?;
    let sms = root.path().join("sms.key");
    std::fs::write(&sms, "sms-gateway-api-key")?;

    let mut nodes = Vec::new();
    for (index, host) in hosts.iter().enumerate() {
        let flags = host.flags(&genesis, &vault, &sms);
        let mut check: Vec<&str> = vec!["config", "check"];
        check.extend(flags.iter().map(String::as_str));
        let effective = truffle_ok(&check)?;
        assert!(
            effective.contains("sms_gateway_url = \"https://sms.example.com/send\""),
            "the shipped file's own settings are in force: {effective}"
        );
        let mut run = vec!["node".to_owned(), "run".to_owned()];
        run.extend(flags);
        nodes.push(NodeProcess::start(
            &truffle_binary()?,
            &run,
            &host.dir.join("node.log"),
            START_TIMEOUT,
        )?);
        assert_eq!(
            nodes[index].rpc_url,
            format!("http://127.0.0.1:{}", host.rpc_port)
        );
    }
    for node in &nodes {
        wait_for_leader_at(&node.rpc_url).await?;
    }

    // The ceremony's admin key acts on the chain through any validator.
    let admin = read_key_file(&admin_key)?;
    let node = client(&nodes[1].rpc_url)?;
    let mut wallet = Wallet::new(&node, admin).await?;
    let tx = wallet.sign(
        chain_id,
        Payload::RegisterAccount {
            account: truffle_ledger::Keypair::from_name("first-seller").public(),
            role: Role::Member,
            adult: false,
        },
    );
    let hash = node.submit(tx).await?;
    let status = wait_included(&node, hash, Duration::from_secs(30)).await?;
    assert!(
        matches!(status, TxStatus::Committed { .. }),
        "not committed: {status:?}"
    );

    // An auditor holding only the genesis replays the chain from two of the nodes.
    let output = truffle(&[
        "verify",
        "chain",
        "--genesis",
        genesis.to_str().context("utf-8")?,
        "--rpc",
        &nodes[0].rpc_url,
        "--rpc",
        &nodes[3].rpc_url,
    ])?;
    assert!(
        output.status.success(),
        "verify chain: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}
