//! `truffle item ...`: an owner's resale listing of a piece (the ledger's `list_item`).

use std::path::PathBuf;

use clap::Subcommand;
use truffle_ledger::Payload;

use super::market::submit;
use crate::common_args::RpcArgs;

/// `truffle item ...`
#[derive(Debug, Subcommand)]
pub(crate) enum ItemCommand {
    /// Put a piece you own up for sale at a price (signed by its owner). Any member may
    /// then order it (`truffle order create`) and pay through the payment provider;
    /// ownership moves when the payment settles. A piece escrowed in a raffle or in an
    /// open order cannot be listed.
    ListForSale {
        /// Item id.
        item: u64,
        /// Asking price in won (1 to 10 billion).
        #[arg(long)]
        price: u64,
        /// Key file of the owner.
        #[arg(long)]
        key: PathBuf,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
    /// Take a piece off sale (signed by its owner).
    Unlist {
        /// Item id.
        item: u64,
        /// Key file of the owner.
        #[arg(long)]
        key: PathBuf,
        /// Node and output.
        #[command(flatten)]
        rpc: RpcArgs,
    },
}

/// Runs `truffle item ...`.
pub(crate) async fn run_item(command: ItemCommand) -> anyhow::Result<()> {
    let (rpc, key, payload) = match command {
        ItemCommand::ListForSale {
            item,
            price,
            key,
            rpc,
        } => (
            rpc,
            key,
            Payload::ListItem {
                item,
                price: Some(price),
            },
        ),
        ItemCommand::Unlist { item, key, rpc } => {
            (rpc, key, Payload::ListItem { item, price: None })
        }
    };
    // Refuse a price the ledger would refuse, before reading the key or signing.
    payload
        .validate_static()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    submit(&rpc, &key, payload).await?;
    Ok(())
}
