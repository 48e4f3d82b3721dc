use anyhow::Context;
use truffle_node::NodeConfig;
use truffle_rpc::RpcLimits;

use crate::args::{ConfigCommand, NodeBackupArgs, NodeCommand, NodeRestoreArgs, NodeRunArgs};
use crate::commands::{run_until_signalled, Signals};

/// The config file (or defaults), overridden by each flag or env var given.
pub(crate) fn build_config(args: &NodeRunArgs) -> anyhow::Result<NodeConfig> {
    build_config_over(args, &NodeConfig::default())
}

/// Like [`build_config`] over `base` instead of the defaults (`truffle dev`'s settings):
/// `base` < the file < `TRUFFLE_*` variables < flags.
pub(crate) fn build_config_over(
    args: &NodeRunArgs,
    base: &NodeConfig,
) -> anyhow::Result<NodeConfig> {
    let mut config = NodeConfig::load_over(base, args.config.as_deref(), std::env::vars())?;
    macro_rules! set {
        ($field:ident) => {
            if let Some(value) = &args.$field {
                config.$field = value.clone();
            }
        };
    }
    set!(data_dir);
    set!(chain);
    set!(validator_index);
    set!(rpc_listen);
    set!(max_block_transactions);
    set!(max_proposals_in_flight);
    set!(block_batch_wait_ms);
    set!(mempool_per_signer);
    set!(raft_heartbeat_ms);
    set!(raft_election_min_ms);
    set!(raft_election_max_ms);
    set!(snapshot_every_entries);
    set!(phone_code_ttl_secs);
    set!(phone_resend_interval_secs);
    set!(session_ttl_secs);
    set!(vault_epoch_secs);
    if args.key_file.is_some() {
        config.key_file = args.key_file.clone();
    }
    if args.p2p_listen.is_some() {
        config.p2p_listen = args.p2p_listen.clone();
    }
    if args.vault_key_file.is_some() {
        config.vault_key_file = args.vault_key_file.clone();
    }
    if args.sms_gateway_url.is_some() {
        config.sms_gateway_url = args.sms_gateway_url.clone();
    }
    if args.sms_gateway_key_file.is_some() {
        config.sms_gateway_key_file = args.sms_gateway_key_file.clone();
    }
    if args.sms_console {
        config.sms_console = true;
    }
    if args.enable_fault_injection {
        config.enable_fault_injection = true;
    }
    match args.role.as_deref() {
        Some("follower") => config.role = truffle_node::config::NodeRole::Follower,
        Some("validator") => config.role = truffle_node::config::NodeRole::Validator,
        _ => {}
    }
    if !args.follower_validator_rpc.is_empty() {
        config.follower_validator_rpc = args.follower_validator_rpc.clone();
    }
    if args.fault_forge_follower_certificates {
        config.fault_forge_follower_certificates = true;
    }
    if args.fault_forge_follower_snapshot {
        config.fault_forge_follower_snapshot = true;
    }
    if args.kakao_secret_file.is_some() {
        config.kakao_secret_file = args.kakao_secret_file.clone();
    }
    if !args.kakao_bot_ids.is_empty() {
        config.kakao_bot_ids = args.kakao_bot_ids.clone();
    }
    if args.kakao_site_url.is_some() {
        config.kakao_site_url = args.kakao_site_url.clone();
    }
    if args.rpc_admin_listen.is_some() {
        config.rpc_admin_listen = args.rpc_admin_listen;
    }
    if args.admin_token_file.is_some() {
        config.admin_token_file = args.admin_token_file.clone();
    }
    args.market.apply(&mut config.market);
    config.validate()?;
    Ok(config)
}

/// Starts a node and its RPC server; returns both.
pub(crate) async fn start(
    config: NodeConfig,
) -> anyhow::Result<(truffle_node::Node, truffle_rpc::RpcServer)> {
    let limits = RpcLimits {
        max_request_bytes: config.rpc_max_request_bytes,
        max_batch: config.rpc_max_batch,
        max_connections: config.rpc_max_connections,
        max_connections_per_client: config.rpc_max_connections_per_client,
        header_timeout_ms: config.rpc_header_timeout_ms,
        requests_per_sec: config.rpc_requests_per_sec,
        request_burst: config.rpc_request_burst,
        rate_limit_loopback: config.rpc_rate_limit_loopback,
        ..RpcLimits::default()
    };
    let rpc_listen = config.rpc_listen;
    let node = truffle_node::launch(config)
        .await
        .context("cannot start the node")?;
    let server = truffle_rpc::serve(node.clone(), rpc_listen, limits)
        .await
        .with_context(|| format!("cannot listen for RPC on {rpc_listen}"))?;
    Ok((node, server))
}

pub(crate) fn run_config(command: ConfigCommand) -> anyhow::Result<()> {
    match command {
        ConfigCommand::Default => print!("{}", truffle_node::config::DEFAULT_TOML),
        ConfigCommand::Check(args) => {
            let config = build_config(&args)?;
            print!("{}", toml::to_string(&config)?);
        }
    }
    Ok(())
}

pub(crate) async fn run(command: NodeCommand) -> anyhow::Result<()> {
    match command {
        NodeCommand::Run(args) => {
            let config = build_config(&args)?;
            // Before the node starts: a signal during startup is then a shutdown
            // request too, not a kill that skips the flush.
            let signals = Signals::listen()?;
            let (node, server) = start(config).await?;
            let admin = server
                .admin_addr
                .map(|addr| format!(" admin=http://{addr}"))
                .unwrap_or_default();
            println!(
                "truffle node ready: rpc=http://{} key={} chain={}{admin}",
                server.local_addr,
                node.key().public(),
                node.chain_id()
            );
            tracing::info!(token_file = %node.operator_token().path().display(), "admin_* methods need the operator's token");
            run_until_signalled(signals, node, server).await
        }
        NodeCommand::Backup(args) => backup(args).await,
        NodeCommand::Restore(args) => restore(args),
        NodeCommand::Compact { data_dir } => {
            let store = truffle_store::Store::open(&data_dir.join("db")).with_context(|| {
                format!("cannot open {} (is the node stopped?)", data_dir.display())
            })?;
            let before = store.disk_size();
            store.compact_all()?;
            println!(
                "compacted {}: {} → {} bytes of table files",
                data_dir.display(),
                before,
                store.disk_size()
            );
            Ok(())
        }
    }
}

/// The operator token to send: from `--admin-token-file`, else `<data-dir>/admin.token`;
/// none when no such file exists (nodes without admin gating accept that).
fn admin_token(args: &NodeBackupArgs) -> anyhow::Result<Option<String>> {
    let (path, named) = match (&args.admin_token_file, &args.data_dir) {
        (Some(file), _) => (file.clone(), true),
        (None, Some(dir)) => (dir.join(truffle_node::operator::TOKEN_FILE), false),
        (None, None) => return Ok(None),
    };
    // A file named explicitly must exist; the data folder's is optional.
    if !named && !path.exists() {
        return Ok(None);
    }
    Ok(Some(truffle_node::operator::read_token_text(&path)?))
}

async fn backup(args: NodeBackupArgs) -> anyhow::Result<()> {
    use truffle_wire::api::AdminApiClient;
    anyhow::ensure!(
        args.to.is_absolute(),
        "--to must be an absolute path (the node writes it on its own machine): {}",
        args.to.display()
    );
    let token = admin_token(&args)?;
    // A checkpoint of a large database takes a while; the node answers once complete.
    let client = crate::client::connect_with_token(
        &args.rpc,
        token.as_deref(),
        std::time::Duration::from_secs(600),
    )?;
    let to = args
        .to
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("--to must be valid UTF-8"))?
        .to_owned();
    let manifest = client
        .backup(to)
        .await
        .map_err(|e| crate::client::explain(e, &args.rpc))?;
    println!(
        "backup written to {}: chain {} node {} height {} applied index {} snapshot {} ({} files; the search index is rebuilt at start)",
        args.to.display(),
        manifest.chain_id,
        manifest.node_key,
        manifest.height,
        manifest.applied_index.map(|i| i.to_string()).unwrap_or_else(|| "none".into()),
        manifest.snapshot_index.map(|i| format!("at index {i}")).unwrap_or_else(|| "not included".into()),
        manifest.files.len()
    );
    Ok(())
}

fn restore(args: NodeRestoreArgs) -> anyhow::Result<()> {
    let expect_node_key = match &args.key_file {
        Some(path) => Some(
            truffle_wire::keyfile::read_key_file(path)
                .with_context(|| format!("cannot read the key file {}", path.display()))?
                .public(),
        ),
        None => None,
    };
    let expect_chain_id = match &args.chain {
        Some(chain) => Some(
            truffle_genesis::load(chain)
                .map_err(|e| anyhow::anyhow!("cannot load the chain {chain}: {e}"))?
                .chain_id(),
        ),
        None => None,
    };
    let options = truffle_node::backup::RestoreOptions {
        force: args.force,
        expect_node_key,
        expect_chain_id,
    };
    let report =
        truffle_node::backup::restore(&args.from, &args.data_dir, &options).with_context(|| {
            format!(
                "cannot restore {} from {}",
                args.data_dir.display(),
                args.from.display()
            )
        })?;
    if let Some(aside) = &report.moved_aside {
        println!("previous data moved aside to {}", aside.display());
    }
    println!(
        "restored {} from {}: chain {} node {} height {} ({} files linked, {} copied). Start the node: it catches up from the leader and rebuilds its search index.",
        args.data_dir.display(),
        args.from.display(),
        report.manifest.chain_id,
        report.manifest.node_key,
        report.manifest.height,
        report.linked,
        report.copied
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_config_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("node.toml");
        std::fs::write(
            &file,
            "chain = \"local\"\nraft_heartbeat_ms = 300\nmempool_capacity = 7\n",
        )
        .unwrap();
        let args = NodeRunArgs {
            config: Some(file),
            raft_heartbeat_ms: Some(100),
            ..Default::default()
        };
        let config = build_config(&args).unwrap();
        assert_eq!(config.chain, "local", "from the file");
        assert_eq!(config.mempool_capacity, 7, "from the file");
        assert_eq!(config.raft_heartbeat_ms, 100, "the flag wins");
    }
}
