//! Subcommand implementations.

mod account;
pub(crate) mod ads;
mod bench;
pub(crate) mod catalog;
pub(crate) mod chat;
mod dev;
mod genesis;
pub(crate) mod item;
mod keys;
pub(crate) mod market;
mod node;
pub(crate) mod order;
mod query;
pub(crate) mod reco;
pub(crate) mod sim;
mod testnet;
mod tx;
mod validator;
pub(crate) mod verify;

use tracing_subscriber::EnvFilter;

use crate::args::{Cli, Command, LogFormat, LoggingArgs};

/// jsonrpsee logs raw request and response bodies (passwords, SMS codes, session and
/// verification tokens) at debug and trace level; whatever the filter asks, its logs
/// stop at info, so no secret reaches a log.
/// (Targets match by prefix: this covers jsonrpsee, jsonrpsee-http, jsonrpsee-server...)
const SECRET_SAFE_DIRECTIVES: &str = "jsonrpsee=info,jsonrpsee_server=info,jsonrpsee_core=info";

fn init_logging(args: &LoggingArgs) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(format!("{},{SECRET_SAFE_DIRECTIVES}", args.filter))
        .map_err(|e| anyhow::anyhow!("invalid --log.filter {:?}: {e}", args.filter))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match args.format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    Ok(())
}

/// Runs the parsed command.
pub(crate) async fn run(cli: Cli) -> anyhow::Result<()> {
    init_logging(&cli.logging)?;
    match cli.command {
        Command::Keys(command) => keys::run(command),
        Command::Genesis(command) => genesis::run(command),
        Command::Config(command) => node::run_config(command),
        Command::Node(command) => node::run(command).await,
        Command::Dev(args) => dev::run(*args).await,
        Command::Tx(args) => tx::run(args).await,
        Command::Query(command) => query::run(command).await,
        Command::Testnet(command) => testnet::run(command).await,
        Command::Validator(command) => validator::run(command).await,
        Command::Bench(command) => bench::run(command).await,
        Command::Product(command) => catalog::run_product(command).await,
        Command::Seller(command) => catalog::run_seller(command).await,
        Command::Ad(command) => ads::run_ad(command).await,
        Command::Account(command) => account::run(command).await,
        Command::Verify(command) => verify::run(command).await,
        Command::Chat(command) => chat::run(command).await,
        Command::Raffle(command) => market::run_raffle(command).await,
        Command::Item(command) => item::run_item(command).await,
        Command::Order(command) => order::run_order(command).await,
        Command::Reco(command) => reco::run(command).await,
        Command::Sim(args) => sim::run(args),
    }
}

/// Exit code after a second signal cut a shutdown short (128 + SIGINT, as shells do).
pub(crate) const EXIT_INTERRUPTED: i32 = 130;

/// How long a stopping node lets the RPC requests in flight finish.
pub(crate) const RPC_DRAIN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// SIGINT and SIGTERM, listened to from the start, so that no signal is missed
/// between the first one and the watch for a second one.
pub(crate) struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    /// Starts listening (replacing the default action, which would kill the process).
    pub(crate) fn listen() -> anyhow::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                interrupt: signal(SignalKind::interrupt())
                    .map_err(|e| anyhow::anyhow!("cannot listen for SIGINT: {e}"))?,
                terminate: signal(SignalKind::terminate())
                    .map_err(|e| anyhow::anyhow!("cannot listen for SIGTERM: {e}"))?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Signals {})
        }
    }

    /// The next signal's name.
    pub(crate) async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => "SIGINT",
                _ = self.terminate.recv() => "SIGTERM",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

/// Waits for the first SIGINT or SIGTERM, then stops gracefully: no new RPC
/// connections, requests in flight answered (up to [`RPC_DRAIN_GRACE`]), the node's
/// tasks and Raft stopped, the database flushed. A second signal meanwhile exits at
/// once with [`EXIT_INTERRUPTED`].
pub(crate) async fn run_until_signalled(
    mut signals: Signals,
    node: truffle_node::Node,
    server: truffle_rpc::RpcServer,
) -> anyhow::Result<()> {
    let first = signals.next().await;
    tracing::info!(target: "truffle", signal = first, "shutting down gracefully (send it again to exit at once)");
    tokio::spawn(async move {
        let second = signals.next().await;
        // Not through tracing alone: the operator asked twice and must see why it ended.
        eprintln!("{second} again: exiting at once without finishing the shutdown");
        tracing::warn!(target: "truffle", signal = second, "second signal: exiting at once");
        std::process::exit(EXIT_INTERRUPTED);
    });
    tracing::info!(target: "truffle", open_connections = server.open_connections(), "shutdown: RPC no longer accepts connections; answering requests in flight");
    let started = std::time::Instant::now();
    let left = server.shutdown(RPC_DRAIN_GRACE).await;
    if left == 0 {
        tracing::info!(target: "truffle", elapsed_ms = started.elapsed().as_millis() as u64, "shutdown: every request in flight was answered");
    } else {
        tracing::warn!(target: "truffle", connections = left, grace_secs = RPC_DRAIN_GRACE.as_secs(), "shutdown: connections still busy after the grace period are closed");
    }
    node.shutdown()
        .await
        .map_err(|e| anyhow::anyhow!("the node did not shut down cleanly: {e}"))?;
    tracing::info!(target: "truffle", elapsed_ms = started.elapsed().as_millis() as u64, "shutdown complete");
    Ok(())
}
