use anyhow::{bail, Context};
use serde_json::json;
use truffle_genesis::{AdminSpec, GenesisSpec, ValidatorSpec, PRESET_GENESIS_TIME_MS};
use truffle_ledger::types::ChainParams;
use truffle_wire::keyfile::read_key_file;

use crate::args::GenesisCommand;
use crate::output::print;

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
                    let [name, key_file, address] = parts[..] else {
                        bail!("--validator {spec:?} must be NAME=KEYFILE=P2P_ADDRESS");
                    };
                    let key = read_key_file(key_file.as_ref())?;
                    Ok(ValidatorSpec {
                        name: name.to_owned(),
                        key: key.public(),
                        p2p_address: address.to_owned(),
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let admins = admins
                .iter()
                .map(|spec| {
                    let Some((name, key_file)) = spec.split_once('=') else {
                        bail!("--admin {spec:?} must be NAME=KEYFILE");
                    };
                    Ok(AdminSpec {
                        name: name.to_owned(),
                        key: read_key_file(key_file.as_ref())?.public(),
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
