//! Subcommand implementations.

mod bench;
mod dev;
mod genesis;
mod keys;
mod node;
mod query;
mod testnet;
mod tx;
mod validator;

use tracing_subscriber::EnvFilter;

use crate::args::{Cli, Command, LogFormat, LoggingArgs};

fn init_logging(args: &LoggingArgs) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(&args.filter)
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
