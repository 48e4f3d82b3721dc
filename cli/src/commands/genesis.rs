use anyhow::{bail, Context};
use serde_json::json;
use truffle_genesis::{AdminSpec, GenesisSpec, ValidatorSpec, PRESET_GENESIS_TIME_MS};
use truffle_ledger::types::ChainParams;
use truffle_ledger::PublicKey;
use truffle_wire::keyfile::read_key_file;

use crate::args::GenesisCommand;
use crate::output::print;

/// A genesis names public keys only: `KEY` is a public key in hex (what `truffle keys
/// show` prints, so a ceremony never moves private keys) or a key file.
fn public_key(key: &str) -> anyhow::Result<PublicKey> {
    if key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit()) {
        let public = PublicKey::from_hex(key)?;
        public
            .verifying_key()
            .with_context(|| format!("{key} cannot be a validator or admin key"))?;
        return Ok(public);
    }
    let path = std::path::Path::new(key);
    if !path.exists() {
        bail!("{key:?} is neither a public key (64 hex characters) nor a key file");
    }
    Ok(read_key_file(path)?.public())
}

pub(crate) fn run(command: GenesisCommand) -> anyhow::Result<()> {
    match command {
        GenesisCommand::New {
            chain_name,
            validators,
            admins,
            out,
        } => {
            let validators = validators
                .iter()
                .map(|spec| {
                    let parts: Vec<&str> = spec.splitn(3, '=').collect();
                    let [name, key, address] = parts[..] else {
                        bail!("--validator {spec:?} must be NAME=KEY=P2P_ADDRESS");
                    };
                    Ok(ValidatorSpec {
                        name: name.to_owned(),
                        key: public_key(key)?,
                        p2p_address: address.to_owned(),
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let admins = admins
                .iter()
                .map(|spec| {
                    let Some((name, key)) = spec.split_once('=') else {
                        bail!("--admin {spec:?} must be NAME=KEY");
                    };
                    Ok(AdminSpec {
                        name: name.to_owned(),
                        key: public_key(key)?,
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let genesis_time_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(PRESET_GENESIS_TIME_MS);
            let spec = GenesisSpec {
                chain_name,
                genesis_time_ms,
                validators,
                admins,
                params: ChainParams::default(),
            };
            spec.validate()?;
            if out.exists() {
                bail!("{} exists; refusing to overwrite a genesis", out.display());
            }
            std::fs::write(&out, spec.to_json())
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!("{}", spec.chain_id());
            eprintln!("wrote {}", out.display());
            Ok(())
        }
        GenesisCommand::Inspect { chain, output } => {
            let spec = truffle_genesis::load(&chain)?;
            let value = json!({
                "chain_id": spec.chain_id(),
                "chain_name": spec.chain_name,
                "genesis_time_ms": spec.genesis_time_ms,
                "validators": spec.validators,
                "admins": spec.admins,
                "params": spec.params,
            });
            print(output, &value, || {
                let mut text = format!("chain {} ({})\n", spec.chain_id(), spec.chain_name);
                for v in &spec.validators {
                    text.push_str(&format!(
                        "  validator {:<14} {} {}\n",
                        v.name, v.key, v.p2p_address
                    ));
                }
                for a in &spec.admins {
                    text.push_str(&format!("  admin     {:<14} {}\n", a.name, a.key));
                }
                text.trim_end().to_owned()
            });
            Ok(())
        }
    }
}
