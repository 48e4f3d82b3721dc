//! `truffle verify`: the auditor's commands. Each trusts only the genesis spec given
//! with `--genesis`; the node at `--rpc` is a source of bytes, checked by
//! `truffle_ledger::verify` before anything it says is printed as verified.

use anyhow::Context;
use truffle_ledger::exec::GenesisState;
use truffle_ledger::verify::{self, Freshness, VerifyError};
use truffle_ledger::PublicKey;
use truffle_wire::api::ProofBundleView;

use crate::args::{VerifyArgs, VerifyCommand};
use crate::output::OutputFormat;

mod absence;
pub(crate) mod audit;
mod chain;
mod checkers;
mod item;
mod raffle;

use chain::chain_command;
use item::item_command;
use raffle::raffle_command;

pub(crate) async fn run(command: VerifyCommand) -> anyhow::Result<()> {
    match command {
        VerifyCommand::Item {
            item,
            no_history,
            verify,
        } => item_command(&item, no_history, &verify).await,
        VerifyCommand::Raffle { id, verify } => raffle_command(id, &verify).await,
        VerifyCommand::Chain {
            verify,
            from_state,
            to_height,
        } => chain_command(&verify, from_state.as_deref(), to_height).await,
        VerifyCommand::Evidence {
            file,
            genesis,
            output,
        } => audit::evidence_command(&file, &genesis, output),
    }
}

/// The genesis, as the auditor's trust root.
fn load_genesis(args: &VerifyArgs) -> anyhow::Result<GenesisState> {
    let spec = truffle_genesis::load(&args.genesis)
        .with_context(|| format!("cannot load the genesis {:?}", args.genesis))?;
    Ok(spec.to_state())
}

fn freshness(args: &VerifyArgs) -> Freshness {
    Freshness {
        min_height: args.min_height,
    }
}

fn bundle_bytes(view: &ProofBundleView) -> anyhow::Result<Vec<u8>> {
    hex::decode(&view.bundle).context("the node's bundle is not hex")
}

fn short(key: &PublicKey) -> String {
    key.to_hex()[..16].to_owned()
}

fn when(time_ms: u64) -> String {
    let seconds = time_ms / 1000;
    let days = seconds / 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let rest = seconds % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// Prints a failed verification and turns it into the command's error (exit 1).
fn refuse(output: OutputFormat, subject: &str, error: VerifyError) -> anyhow::Error {
    match output {
        OutputFormat::Json => println!(
            "{}",
            serde_json::json!({ "verified": false, "subject": subject, "error": error.to_string() })
        ),
        OutputFormat::Text => println!("NOT VERIFIED  {subject}\n  {error}"),
    }
    anyhow::anyhow!("verification failed: {error}")
}

/// Hands a verified anchor to the auditor's memory and comparison ([`audit`]).
async fn remember(
    args: &VerifyArgs,
    trust: &verify::TrustRoot,
    anchor: verify::CertifiedHeader,
    summary: &verify::AnchorSummary,
) -> anyhow::Result<()> {
    audit::remember_and_compare(
        args,
        trust,
        audit::Anchored {
            header: anchor.header,
            certificate: anchor.certificate,
            validators: summary.validators.iter().copied().collect(),
        },
    )
    .await
}

fn print_anchor(anchor: &verify::AnchorSummary, bytes: usize, elapsed_ms: f64) {
    println!(
        "  against block {} {} ({}), certified by more than two thirds of its {} validator(s); {} validator-set change(s) traced from genesis",
        anchor.height,
        anchor.hash,
        when(anchor.time_ms),
        anchor.validators.len(),
        anchor.set_changes
    );
    println!("  bundle {bytes} bytes, checked in {elapsed_ms:.1} ms");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_print_in_utc() {
        assert_eq!(when(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(when(1_767_225_600_000), "2026-01-01 00:00:00 UTC");
    }
}
