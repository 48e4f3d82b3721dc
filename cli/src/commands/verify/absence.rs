//! A serial the node says is unknown: its proof of absence, checked, so "not registered"
//! is as verified as "authentic".

use anyhow::bail;
use jsonrpsee_http_client::HttpClient;
use truffle_ledger::verify::{
    self, decode_bundle, AbsenceProof, ItemQuery, SerialStatus, TrustRoot,
};
use truffle_wire::api::ProofApiClient;

use super::{bundle_bytes, freshness, print_anchor, refuse};
use crate::args::VerifyArgs;
use crate::client::explain;
use crate::output::OutputFormat;

/// The node says the serial is unknown: ask for, and check, its proof of absence.
pub(super) async fn not_registered(
    client: &HttpClient,
    args: &VerifyArgs,
    trust: &TrustRoot,
    query: &ItemQuery,
    subject: &str,
) -> anyhow::Result<()> {
    let ItemQuery::Serial {
        brand,
        model,
        serial,
    } = query
    else {
        bail!(
            "the node says {subject} does not exist (only serial numbers have proofs of absence)"
        );
    };
    let view = client
        .absence(brand.clone(), model.clone(), serial.clone())
        .await
        .map_err(|e| explain(e, args.url()))?;
    let bytes = bundle_bytes(&view)?;
    let status = decode_bundle::<AbsenceProof>(&bytes)
        .and_then(|proof| {
            verify::verify_absence(trust, brand, model, serial, &proof, freshness(args))
        })
        .map_err(|e| refuse(args.output, subject, e))?;
    match (&status, args.output) {
        (_, OutputFormat::Json) => println!(
            "{}",
            serde_json::json!({ "verified": false, "subject": subject, "serial": status })
        ),
        (SerialStatus::NotRegistered { anchor }, OutputFormat::Text) => {
            println!("NOT REGISTERED  {subject}: no piece with this serial was ever registered");
            print_anchor(anchor, bytes.len(), 0.0);
        }
        (SerialStatus::Registered { item, .. }, OutputFormat::Text) => {
            println!(
                "INCONSISTENT  the node said {subject} is unknown, but proves it is item {item}"
            );
        }
    }
    bail!("{subject} is not a registered piece")
}
