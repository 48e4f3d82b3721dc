//! Printing results as text or JSON.

use clap::ValueEnum;
use serde::Serialize;
use truffle_wire::chain::TxStatus;

/// How query results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// Human-readable.
    Text,
    /// JSON, for machines.
    Json,
}

/// Prints `value` as pretty JSON, or as `text` for people.
pub(crate) fn print<T: Serialize>(format: OutputFormat, value: &T, text: impl FnOnce() -> String) {
    match format {
        OutputFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(value).expect("values serialize")
        ),
        OutputFormat::Text => println!("{}", text()),
    }
}

/// One line about a transaction's status.
pub(crate) fn describe(status: &TxStatus) -> String {
    match status {
        TxStatus::Pending => "pending (not in a block yet)".into(),
        TxStatus::Unknown => "unknown to this node".into(),
        TxStatus::Committed {
            height,
            index,
            effect,
            certified,
        } => format!(
            "committed in block {height} (#{index}){}; {}",
            if *certified { ", certified" } else { "" },
            serde_json::to_string(effect).expect("effects serialize")
        ),
        TxStatus::Rejected {
            height, rejection, ..
        } => format!("rejected in block {height}: {rejection}"),
    }
}
