//! Subcommand implementations.

mod account;
mod bench;
pub(crate) mod catalog;
pub(crate) mod chat;
mod dev;
mod genesis;
mod keys;
pub(crate) mod market;
mod node;
mod query;
pub(crate) mod reco;
mod testnet;
mod tx;
mod validator;
mod verify;

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
        Command::Node(command) => node::run(command).await,
        Command::Dev(args) => dev::run(args).await,
        Command::Tx(args) => tx::run(args).await,
        Command::Query(command) => query::run(command).await,
        Command::Testnet(command) => testnet::run(command).await,
        Command::Validator(command) => validator::run(command).await,
        Command::Bench(command) => bench::run(command).await,
        Command::Product(command) => catalog::run_product(command).await,
        Command::Seller(command) => catalog::run_seller(command).await,
        Command::Ad(command) => catalog::run_ad(command).await,
        Command::Account(command) => account::run(command).await,
        Command::Verify(command) => verify::run(command).await,
        Command::Chat(command) => chat::run(command).await,
        Command::Raffle(command) => market::run_raffle(command).await,
        Command::Order(command) => market::run_order(command).await,
        Command::Reco(command) => reco::run(command).await,
    }
}

/// Waits for Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("can listen for SIGTERM");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
