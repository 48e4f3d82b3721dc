use anyhow::{bail, Context};
use serde_json::json;
use truffle_ledger::Payload;
use truffle_wire::keyfile::read_key_file;

use crate::args::TxArgs;
use crate::client::{connect, sign_and_submit};
use crate::output::{describe, print};
use truffle_wire::chain::TxStatus;

pub(crate) async fn run(args: TxArgs) -> anyhow::Result<()> {
    let key = read_key_file(&args.key)?;
    let text = match args.payload.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read payload file {path}"))?,
        None => args.payload.clone(),
    };
    let payload: Payload = serde_json::from_str(&text).context(
        "the payload is not a transaction payload (expected JSON such as {\"transfer_item\":{\"item\":3,\"to\":\"<hex key>\"}})",
    )?;
    let client = connect(&args.rpc.rpc)?;
    let (hash, status) = sign_and_submit(
        &client,
        &args.rpc.rpc,
        &key,
        payload,
        args.nonce,
        !args.no_wait,
    )
    .await?;
    let value = json!({ "hash": hash, "status": status });
    print(args.rpc.output, &value, || match &status {
        None => format!("submitted {hash}"),
        Some(status) => format!("{hash}: {}", describe(status)),
    });
    if let Some(TxStatus::Rejected { .. }) = status {
        bail!("the transaction was rejected");
    }
    Ok(())
}
