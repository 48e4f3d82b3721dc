//! `verify raffle`: recomputes a raffle's draw from its proven entries and the certified
//! closing block, and shows that the recorded winners are the ones it gives.

use std::time::Instant;

use serde::Serialize;
use truffle_ledger::types::RaffleStatus;
use truffle_ledger::verify::{self, decode_bundle, RaffleProof, TrustRoot};
use truffle_wire::api::{ProofApiClient, RaffleProofPage, MAX_RAFFLE_PROOF_ENTRIES};

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

/// The whole raffle bundle, fetched in pages of the node's maximum anchored at the first
/// page's height and concatenated (a page alone fails the verifier's entry count).
async fn fetch_pages(
    client: &jsonrpsee_http_client::HttpClient,
    id: u64,
) -> Result<Vec<u8>, jsonrpsee::core::ClientError> {
    let bad = |e: anyhow::Error| jsonrpsee::core::ClientError::Custom(e.to_string());
    let mut page = RaffleProofPage {
        first: 0,
        limit: MAX_RAFFLE_PROOF_ENTRIES,
        at: None,
    };
    let first = client.raffle(id, Some(page)).await?;
    let mut proof: RaffleProof = decode_bundle(&bundle_bytes(&first).map_err(bad)?)
        .map_err(|e| bad(anyhow::anyhow!("{e}")))?;
    page.at = Some(first.height);
    let mut last = proof.entries.len();
    // Bounded: each round proves up to a full page more, or ends.
    while last == MAX_RAFFLE_PROOF_ENTRIES as usize {
        page.first = proof.entries.len() as u32;
        let next = client.raffle(id, Some(page)).await?;
        let more: RaffleProof = decode_bundle(&bundle_bytes(&next).map_err(bad)?)
            .map_err(|e| bad(anyhow::anyhow!("{e}")))?;
        last = more.entries.len();
        proof.entries.extend(more.entries);
    }
    Ok(verify::encode_bundle(&proof))
}

/// Checks a raffle's draw and prints the verdict; refuses with exit 1.
pub(super) async fn raffle_command(id: u64, args: &VerifyArgs) -> anyhow::Result<()> {
    let trust = TrustRoot::from(&load_genesis(args)?);
    let client = connect(args.url())?;
    let subject = format!("raffle {id}");
    let bytes = fetch_pages(&client, id)
        .await
        .map_err(|e| explain(e, args.url()))?;
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
