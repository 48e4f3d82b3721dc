//! The `truffle` command: thin on purpose; each subcommand lives in `commands`.

mod args;
mod client;
mod commands;
mod common_args;
mod demo;
mod node_args;
mod output;

use clap::Parser;

fn main() {
    let cli = args::Cli::parse();
    // Before any thread starts: a node lives long, and glibc's default arenas grow.
    if cli.runs_a_node() {
        truffle_node::allocator::bound_malloc_arenas();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            std::process::exit(1);
        }
    };
    if let Err(error) = runtime.block_on(commands::run(cli)) {
        eprintln!("error: {error:#}");
        // A fork found by `truffle verify` has its own status (README, "Auditing").
        if error
            .downcast_ref::<commands::verify::audit::ForkDetected>()
            .is_some()
        {
            std::process::exit(commands::verify::audit::FORK_EXIT_CODE);
        }
        std::process::exit(1);
    }
}
