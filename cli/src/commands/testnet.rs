use std::time::Duration;

use anyhow::Context;
use truffle_testnet::{Testnet, TestnetOptions};

use crate::args::TestnetCommand;
use crate::output::OutputFormat;

pub(crate) async fn run(command: TestnetCommand) -> anyhow::Result<()> {
    match command {
        TestnetCommand::Up {
            nodes,
            followers,
            dir,
            snapshot_every_entries,
        } => {
            let options = TestnetOptions {
                nodes,
                followers,
                snapshot_every_entries,
                ..TestnetOptions::default()
            };
            let mut testnet = Testnet::create(&dir, &options)?;
            if let Err(error) = testnet.start_all() {
                testnet.down()?;
                return Err(error).context("starting the testnet");
            }
            let all: Vec<usize> = (0..nodes).collect();
            let leader = testnet
                .wait_for_leader(&all, Duration::from_secs(30))
                .await?;
            // Followers started already; they sync once the ledger allows their keys.
            testnet.allow_followers().await?;
            println!(
                "testnet of {nodes} validators and {followers} followers in {} (chain {})",
                dir.display(),
                testnet.genesis.chain_id()
            );
            for node in &testnet.nodes {
                println!(
                    "  node {}  rpc {}  p2p /ip4/127.0.0.1/tcp/{}  key {}{}",
                    node.index,
                    testnet.rpc_url(node.index),
                    node.p2p_port,
                    node.key,
                    if node.follower {
                        "  (follower)"
                    } else if node.index == leader {
                        "  (leader)"
                    } else {
                        ""
                    }
                );
            }
            println!("  admin key file {}", dir.join("admin.json").display());
            testnet.detach();
            Ok(())
        }
        TestnetCommand::Status { dir, output } => {
            let testnet = Testnet::load(&dir)?;
            let mut rows = Vec::new();
            for node in &testnet.nodes {
                rows.push(match testnet.health(node.index).await {
                    Ok(health) => serde_json::to_value(health).expect("health serializes"),
                    Err(error) => {
                        serde_json::json!({ "index": node.index, "error": error.to_string() })
                    }
                });
            }
            match output {
                OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
                OutputFormat::Text => {
                    println!("node  role       term  height  certified  peers  rpc");
                    for (node, row) in testnet.nodes.iter().zip(&rows) {
                        if let Some(error) = row.get("error") {
                            println!(
                                "{:<5} down ({})",
                                node.index,
                                error.as_str().unwrap_or_default()
                            );
                            continue;
                        }
                        let field = |name: &str| match &row[name] {
                            serde_json::Value::Null => "-".to_owned(),
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        println!(
                            "{:<5} {:<10} {:<5} {:<7} {:<10} {:<6} {}",
                            node.index,
                            field("role"),
                            field("term"),
                            field("height"),
                            field("certified_height"),
                            field("peers"),
                            testnet.rpc_url(node.index)
                        );
                    }
                }
            }
            Ok(())
        }
        TestnetCommand::Kill { dir, node } => {
            Testnet::load(&dir)?.kill(node)?;
            println!("node {node} killed");
            Ok(())
        }
        TestnetCommand::Restart { dir, node } => {
            let mut testnet = Testnet::load(&dir)?;
            testnet.restart(node)?;
            println!("node {node} running, rpc {}", testnet.rpc_url(node));
            testnet.detach();
            Ok(())
        }
        TestnetCommand::Partition { dir, groups } => {
            let testnet = Testnet::load(&dir)?;
            let groups = groups
                .iter()
                .map(|g| {
                    g.split(',')
                        .map(|i| {
                            i.trim()
                                .parse::<usize>()
                                .with_context(|| format!("{i:?} is not a node index"))
                        })
                        .collect::<anyhow::Result<Vec<_>>>()
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            testnet.partition(&groups).await?;
            println!("partitioned {groups:?}");
            Ok(())
        }
        TestnetCommand::Heal { dir } => {
            Testnet::load(&dir)?.heal().await?;
            println!("healed");
            Ok(())
        }
        TestnetCommand::Down { dir } => {
            Testnet::load(&dir)?.down()?;
            println!("testnet stopped");
            Ok(())
        }
    }
}
