use serde_json::json;
use truffle_ledger::{Payload, PublicKey};
use truffle_wire::keyfile::read_key_file;

use crate::args::ValidatorCommand;
use crate::client::{connect, sign_and_submit};
use crate::output::describe;
use crate::output::print;

pub(crate) async fn run(command: ValidatorCommand) -> anyhow::Result<()> {
    let allow = matches!(command, ValidatorCommand::AllowFollower { .. });
    let (admin_key, payload, rpc) = match command {
        ValidatorCommand::Add {
            admin_key,
            key,
            name,
            p2p_address,
            rpc,
        } => (
            admin_key,
            Payload::AddValidator {
                key: PublicKey::from_hex(&key)
                    .map_err(|e| anyhow::anyhow!("invalid --key: {e}"))?,
                name,
                p2p_address,
            },
            rpc,
        ),
        ValidatorCommand::Remove {
            admin_key,
            key,
            rpc,
        } => (
            admin_key,
            Payload::RemoveValidator {
                key: PublicKey::from_hex(&key)
                    .map_err(|e| anyhow::anyhow!("invalid --key: {e}"))?,
            },
            rpc,
        ),
        ValidatorCommand::AllowFollower {
            admin_key,
            key,
            rpc,
        }
        | ValidatorCommand::RevokeFollower {
            admin_key,
            key,
            rpc,
        } => (
            admin_key,
            Payload::SetFollower {
                key: PublicKey::from_hex(&key)
                    .map_err(|e| anyhow::anyhow!("invalid --key: {e}"))?,
                allowed: allow,
            },
            rpc,
        ),
    };
    let admin = read_key_file(&admin_key)?;
    let client = connect(&rpc.rpc)?;
    let (hash, status) = sign_and_submit(&client, &rpc.rpc, &admin, payload, None, true).await?;
    let status = status.expect("waited for the block");
    print(
        rpc.output,
        &json!({ "hash": hash, "status": status }),
        || format!("{hash}: {}", describe(&status)),
    );
    if matches!(status, truffle_wire::chain::TxStatus::Rejected { .. }) {
        anyhow::bail!("the validator change was rejected");
    }
    Ok(())
}
