//! `verify raffle`: recomputes a raffle's draw from its proven entries and the certified
//! closing block, and shows that the recorded winners are the ones it gives.

use std::time::Instant;

use serde::Serialize;
use truffle_ledger::types::RaffleStatus;
use truffle_ledger::verify::{self, decode_bundle, RaffleProof, TrustRoot};
use truffle_wire::api::ProofApiClient;

use super::{bundle_bytes, freshness, load_genesis, print_anchor, refuse, remember, short};
use crate::args::VerifyArgs;
use crate::client::{connect, explain};
use crate::output::OutputFormat;

#[derive(Serialize)]
struct Verified<'a, T: Serialize> {
    verified: bool,
    subject: &'a str,
    bundle_bytes: usize,
    verification_ms: f64,
    #[serde(flatten)]
    verdict: &'a T,
}

/// Checks a raffle's draw and prints the verdict; refuses with exit 1.
pub(super) async fn raffle_command(id: u64, args: &VerifyArgs) -> anyhow::Result<()> {
    let trust = TrustRoot::from(&load_genesis(args)?);
    let client = connect(args.url())?;
    let subject = format!("raffle {id}");
    let view = client
        .raffle(id)
        .await
        .map_err(|e| explain(e, args.url()))?;
    let bytes = bundle_bytes(&view)?;
    let started = Instant::now();
    let (verdict, anchor) = decode_bundle::<RaffleProof>(&bytes)
        .and_then(|proof| {
            verify::verify_raffle(&trust, id, &proof, freshness(args))
                .map(|verdict| (verdict, proof.anchor.block))
        })
        .map_err(|e| refuse(args.output, &subject, e))?;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    match args.output {
        OutputFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&Verified {
                verified: true,
                subject: &subject,
                bundle_bytes: bytes.len(),
                verification_ms: elapsed_ms,
                verdict: &verdict,
            })?
        ),
        OutputFormat::Text => {
            let cancelled = verdict.entries as usize - verdict.eligible.len();
            match (&verdict.drawn, &verdict.seed, &verdict.closing_block) {
                (Some(drawn), Some(seed), Some(closing)) => {
                    println!(
                        "FAIR  raffle {id}: the recorded winners recompute from the proven entries"
                    );
                    println!(
                        "  {} entries proven, {} take part ({cancelled} cancelled)",
                        verdict.entries,
                        verdict.eligible.len()
                    );
                    println!(
                        "  seed {seed} = draw_seed(raffle {id}, certified closing block {} {}, \
                         the seller's revealed secret, {} validators' VRF outputs)",
                        closing.height,
                        closing.hash,
                        verdict.contributions.len(),
                    );
                    print_inputs(&verdict);
                    for (item, winner) in verdict.items.iter().zip(&verdict.winners) {
                        println!("  item {item} → {winner}");
                    }
                    if !verdict.runners_up.is_empty() {
                        let names: Vec<String> = verdict.runners_up.iter().map(short).collect();
                        println!("  runners-up, in order: {}", names.join(", "));
                    }
                    println!("  drawn in block {} (tx {})", drawn.height, drawn.tx_hash);
                }
                _ if verdict.status == RaffleStatus::Void
                    && !verdict.missing_contributors.is_empty() =>
                {
                    let names: Vec<String> =
                        verdict.missing_contributors.iter().map(short).collect();
                    println!(
                        "VOID  raffle {id}: validator(s) {} did not contribute their randomness by \
                         the deadline; nothing was drawn or charged ({} entries proven)",
                        names.join(", "),
                        verdict.entries
                    );
                    print_inputs(&verdict);
                }
                _ if verdict.status == RaffleStatus::Void => {
                    println!(
                        "VOID  raffle {id}: the seller did not reveal its secret by the deadline; \
                         nothing was drawn or charged ({} entries proven)",
                        verdict.entries
                    );
                    print_inputs(&verdict);
                }
                _ => {
                    println!(
                        "NOT DRAWN YET  raffle {id} is {:?}: {} entries proven, {} take part",
                        verdict.status,
                        verdict.entries,
                        verdict.eligible.len()
                    );
                }
            }
            print_anchor(&verdict.anchor, bytes.len(), elapsed_ms);
        }
    }
    remember(args, &trust, anchor, &verdict.anchor).await
}

/// Every input of the seed, each checked: the VRF input, each validator's verified
/// output, the missing ones, the secret against its commitment.
fn print_inputs(verdict: &verify::RaffleVerdict) {
    if let Some(input) = &verdict.vrf_input {
        println!(
            "  VRF input {input} (chain id, raffle id, closing block); {} of {} validators contributed",
            verdict.contributions.len(),
            verdict.validators.len()
        );
    }
    for contribution in &verdict.contributions {
        println!(
            "    {} proof verified, output {}…",
            short(&contribution.validator),
            &contribution.output[..32]
        );
    }
    for missing in &verdict.missing_contributors {
        println!("    {} missing", short(missing));
    }
    if let Some(secret) = &verdict.secret {
        println!("  seller's secret {secret} (matches its commitment)");
    }
}
