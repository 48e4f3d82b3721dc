//! The argument groups every command that talks to a node shares.

use std::path::PathBuf;

use clap::Args;

use crate::output::OutputFormat;

/// Where the node's RPC is, and how to print.
#[derive(Debug, Args, Clone)]
pub(crate) struct RpcArgs {
    /// The node's JSON-RPC URL.
    #[arg(
        long,
        env = "TRUFFLE_RPC",
        default_value = "http://127.0.0.1:9944",
        global = true
    )]
    pub(crate) rpc: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text, global = true)]
    pub(crate) output: OutputFormat,
}

/// Where the session token is kept between commands.
#[derive(Debug, Args, Clone)]
pub(crate) struct SessionArgs {
    /// File holding the session token (mode 0600).
    #[arg(
        long = "session-file",
        env = "TRUFFLE_SESSION_FILE",
        default_value = ".truffle-session"
    )]
    pub(crate) session_file: PathBuf,
    /// Node and output.
    #[command(flatten)]
    pub(crate) rpc: RpcArgs,
}
