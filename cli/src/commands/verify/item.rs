//! `verify item`: an item (by id or `BRAND/MODEL/SERIAL`) and, unless `--no-history`,
//! its ownership history, checked from a proof bundle; an unknown serial is handed to
//! the proof of absence.

use std::time::Instant;

use anyhow::bail;
use serde::Serialize;
use truffle_ledger::verify::{self, decode_bundle, HistoryProof, ItemProof, ItemQuery, TrustRoot};
use truffle_wire::api::ProofApiClient;

use super::absence::not_registered;
use super::{bundle_bytes, freshness, load_genesis, print_anchor, refuse, remember, short, when};
use crate::args::VerifyArgs;
use crate::client::{connect, explain};
use crate::output::OutputFormat;

/// Parses `5` or `BRAND/MODEL/SERIAL`.
fn parse_item(text: &str) -> anyhow::Result<ItemQuery> {
    if let Ok(id) = text.trim().parse::<u64>() {
        return Ok(ItemQuery::Id(id));
    }
    let parts: Vec<&str> = text.splitn(3, '/').collect();
    match parts.as_slice() {
        [brand, model, serial] if !brand.is_empty() && !model.is_empty() && !serial.is_empty() => {
            Ok(ItemQuery::Serial {
                brand: (*brand).to_owned(),
                model: (*model).to_owned(),
                serial: (*serial).to_owned(),
            })
        }
        _ => bail!("expected an item id or BRAND/MODEL/SERIAL, got {text:?}"),
    }
}

#[derive(Serialize)]
struct ItemReport<'a> {
    verified: bool,
    subject: &'a str,
    bundle_bytes: usize,
    verification_ms: f64,
    #[serde(flatten)]
    verdict: &'a verify::ItemVerdict,
    /// Empty with `--no-history`.
    history: &'a [verify::OwnershipStep],
}

/// Checks an item (and its history) and prints the verdict; refuses with exit 1.
pub(super) async fn item_command(
    text: &str,
    no_history: bool,
    args: &VerifyArgs,
) -> anyhow::Result<()> {
    let query = parse_item(text)?;
    let trust = TrustRoot::from(&load_genesis(args)?);
    let client = connect(args.url())?;
    let subject = query.to_string();
    let served = if no_history {
        client.item(query.clone()).await
    } else {
        client.history(query.clone()).await
    };
    let view = match served {
        Ok(view) => view,
        Err(jsonrpsee::core::ClientError::Call(object))
            if object.code() == truffle_wire::codes::NOT_FOUND =>
        {
            return not_registered(&client, args, &trust, &query, &subject).await;
        }
        Err(error) => return Err(explain(error, args.url())),
    };
    let bytes = bundle_bytes(&view)?;
    let started = Instant::now();
    let verdict = if no_history {
        decode_bundle::<ItemProof>(&bytes).and_then(|proof| {
            verify::verify_item(&trust, &query, &proof, freshness(args)).map(|item| {
                let verdict = verify::HistoryVerdict {
                    item,
                    history: Vec::new(),
                };
                (verdict, proof.anchor.block)
            })
        })
    } else {
        decode_bundle::<HistoryProof>(&bytes).and_then(|proof| {
            verify::verify_history(&trust, &query, &proof, freshness(args))
                .map(|verdict| (verdict, proof.item.anchor.block))
        })
    };
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (verdict, anchor) = verdict.map_err(|e| refuse(args.output, &subject, e))?;
    match args.output {
        OutputFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&ItemReport {
                verified: true,
                subject: &subject,
                bundle_bytes: bytes.len(),
                verification_ms: elapsed_ms,
                verdict: &verdict.item,
                history: &verdict.history,
            })?
        ),
        OutputFormat::Text => {
            let v = &verdict.item;
            let p = &v.product;
            let name = if p.name_en.is_empty() {
                &p.name_ko
            } else {
                &p.name_en
            };
            println!(
                "AUTHENTIC  item {} — {} {} \"{}\" piece {}/{}, serial {}",
                v.item.id, p.brand, p.model, name, v.item.edition, p.edition_size, v.item.serial
            );
            println!(
                "  registered by seller {} in block {} (tx {}); the seller's signature checks",
                v.seller, v.registered.height, v.registered.tx_hash
            );
            println!(
                "  owner {} since block {} (tx {})",
                v.owner, v.owner_since.height, v.owner_since.tx_hash
            );
            if !verdict.history.is_empty() {
                println!(
                    "  history: {} owner(s), each change included and applied in a certified block",
                    verdict.history.len()
                );
                for step in &verdict.history {
                    println!(
                        "    {:>3}  {}  {:<28}  block {:>6}  {}",
                        step.sequence,
                        short(&step.owner),
                        format!("{:?}", step.acquisition).to_lowercase(),
                        step.tx.height,
                        when(step.block_time_ms)
                    );
                }
            }
            print_anchor(&v.anchor, bytes.len(), elapsed_ms);
        }
    }
    remember(args, &trust, anchor, &verdict.item.anchor).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_arguments_parse() {
        assert_eq!(parse_item("42").unwrap(), ItemQuery::Id(42));
        assert_eq!(
            parse_item("Nike/DD1391-100/SN 1/2").unwrap(),
            ItemQuery::Serial {
                brand: "Nike".into(),
                model: "DD1391-100".into(),
                serial: "SN 1/2".into()
            }
        );
        assert!(parse_item("Nike/DD1391-100").is_err());
        assert!(parse_item("//x").is_err());
    }
}
