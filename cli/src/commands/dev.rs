use anyhow::{bail, Context};
use truffle_node::NodeConfig;

use crate::args::DevArgs;
use crate::commands::{node, run_until_signalled, Signals};

/// Where `truffle dev` starts before the file, the variables and the flags.
pub(crate) fn dev_defaults() -> NodeConfig {
    NodeConfig {
        data_dir: "./truffle-dev-data".into(),
        chain: "dev".into(),
        // A single validator has no peers; an OS-chosen port keeps several dev chains
        // (and tests) from colliding.
        p2p_listen: Some("/ip4/127.0.0.1/tcp/0".into()),
        raft_heartbeat_ms: 50,
        raft_election_min_ms: 150,
        raft_election_max_ms: 300,
        ..NodeConfig::default()
    }
}

/// The dev node's configuration: [`dev_defaults`], then the config file, `TRUFFLE_*`
/// variables and flags as `truffle node run` reads them.
pub(crate) fn dev_config(args: &DevArgs) -> anyhow::Result<NodeConfig> {
    let config = node::build_config_over(&args.node, &dev_defaults())?;
    if config.chain != "dev" {
        bail!(
            "truffle dev runs the dev chain only (the configuration says chain = {:?}); use `truffle node run` for other chains",
            config.chain
        );
    }
    Ok(config)
}

pub(crate) async fn run(args: DevArgs) -> anyhow::Result<()> {
    let config = dev_config(&args)?;
    if args.reset && config.data_dir.exists() {
        std::fs::remove_dir_all(&config.data_dir)
            .with_context(|| format!("cannot delete {}", config.data_dir.display()))?;
    }
    let data_dir = config.data_dir.clone();
    let kakao = config.kakao_secret_file.is_some();
    let signals = Signals::listen()?;
    let (node, server) = node::start(config).await?;
    // A single voter elects itself within one election timeout.
    let mut waited = 0;
    while !node.is_leader() && waited < 100 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
    }
    let head = node.head()?;
    if head.height == 0 && !args.no_demo {
        let summary = crate::demo::load(&node).await?;
        eprintln!("{summary}");
        // The recommender rebuilds at most every few seconds after blocks; the demo's
        // blocks came in a burst, so build it once now that they are in: the first
        // visitor sees the demo's products recommended.
        let reco = node.clone();
        tokio::task::spawn_blocking(move || reco.recommender().rebuild(&reco))
            .await?
            .context("cannot build the recommendations")?;
    }
    let head = node.head()?;
    println!("truffle dev chain {} is running", node.chain_id());
    println!("  data:     {}", data_dir.display());
    println!("  height:   {}", head.height);
    println!(
        "  JSON-RPC: http://{}  (WebSocket: ws://{})",
        server.local_addr, server.local_addr
    );
    println!("  pages:    http://{}/", server.local_addr);
    println!("  health:   http://{}/health", server.local_addr);
    if kakao {
        println!(
            "  kakao:    POST http://{}/kakao/skill/<secret>  (links to {})",
            server.local_addr,
            node.kakao().site_url()
        );
    }
    if let Some(provider) = node.market().provider_name() {
        println!("  payments: {provider}");
    }
    println!(
        "  admin key (dev only): {}",
        truffle_genesis::dev_keys::admin().public()
    );
    println!("Press Ctrl-C to stop.");
    run_until_signalled(signals, node, server).await
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::args::{Cli, Command};

    fn dev_args(args: &[&str]) -> DevArgs {
        let cli = Cli::try_parse_from(["truffle", "dev"].iter().chain(args)).unwrap();
        match cli.command {
            Command::Dev(args) => *args,
            _ => panic!("not dev"),
        }
    }

    #[test]
    fn the_file_and_flags_go_over_the_dev_settings() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("kakao.secret");
        let file = dir.path().join("node.toml");
        std::fs::write(
            &file,
            format!(
                "kakao_secret_file = {:?}\nkakao_bot_ids = [\"bot-1\"]\nraft_heartbeat_ms = 60\n[market]\nauto_draw_raffles = false\n",
                secret.display().to_string()
            ),
        )
        .unwrap();
        let config = dev_config(&dev_args(&[
            "--config",
            file.to_str().unwrap(),
            "--kakao.site-url",
            "https://truffle.example",
            "--data-dir",
            "/tmp/elsewhere",
        ]))
        .unwrap();
        assert_eq!(config.chain, "dev");
        assert_eq!(config.kakao_secret_file.as_deref(), Some(secret.as_path()));
        assert_eq!(config.kakao_bot_ids, vec!["bot-1".to_string()]);
        assert_eq!(
            config.kakao_site_url.as_deref(),
            Some("https://truffle.example")
        );
        assert_eq!(
            config.raft_heartbeat_ms, 60,
            "the file over the dev settings"
        );
        assert_eq!(config.raft_election_min_ms, 150, "the dev settings");
        assert!(!config.market.auto_draw_raffles);
        assert_eq!(config.data_dir, std::path::Path::new("/tmp/elsewhere"));
        // Without anything: the dev settings as before.
        let config = dev_config(&dev_args(&[])).unwrap();
        let defaults = dev_defaults();
        assert_eq!(config.data_dir, std::path::Path::new("./truffle-dev-data"));
        assert_eq!(config.rpc_listen, defaults.rpc_listen);
        assert_eq!(config.p2p_listen, defaults.p2p_listen);
    }

    #[test]
    fn another_chain_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("node.toml");
        std::fs::write(&file, "chain = \"local\"\n").unwrap();
        let error = dev_config(&dev_args(&["--config", file.to_str().unwrap()])).unwrap_err();
        assert!(error.to_string().contains("dev chain only"), "{error}");
        assert!(dev_config(&dev_args(&["--chain", "local"])).is_err());
    }
}
