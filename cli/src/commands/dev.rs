use anyhow::Context;
use truffle_node::NodeConfig;

use crate::args::DevArgs;
use crate::commands::{node, run_until_signalled, Signals};

pub(crate) async fn run(args: DevArgs) -> anyhow::Result<()> {
    if args.reset && args.data_dir.exists() {
        std::fs::remove_dir_all(&args.data_dir)
            .with_context(|| format!("cannot delete {}", args.data_dir.display()))?;
    }
    let config = NodeConfig {
        data_dir: args.data_dir.clone(),
        chain: "dev".into(),
        rpc_listen: args.rpc_listen,
        // A single validator has no peers; an OS-chosen port keeps several dev chains
        // (and tests) from colliding.
        p2p_listen: Some("/ip4/127.0.0.1/tcp/0".into()),
        raft_heartbeat_ms: 50,
        raft_election_min_ms: 150,
        raft_election_max_ms: 300,
        ..NodeConfig::default()
    };
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
    println!("  data:     {}", args.data_dir.display());
    println!("  height:   {}", head.height);
    println!(
        "  JSON-RPC: http://{}  (WebSocket: ws://{})",
        server.local_addr, server.local_addr
    );
    println!("  pages:    http://{}/", server.local_addr);
    println!("  health:   http://{}/health", server.local_addr);
    println!(
        "  admin key (dev only): {}",
        truffle_genesis::dev_keys::admin().public()
    );
    println!("Press Ctrl-C to stop.");
    run_until_signalled(signals, node, server).await
}
