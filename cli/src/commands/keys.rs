use serde_json::json;
use truffle_ledger::Keypair;
use truffle_wire::keyfile::{read_key_file, write_key_file};

use crate::args::KeysCommand;
use crate::output::print;

pub(crate) fn run(command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::New { out } => {
            let key = Keypair::generate();
            write_key_file(&out, &key)?;
            println!("{}", key.public());
            eprintln!(
                "wrote {} (keep it secret: it holds the private key)",
                out.display()
            );
            Ok(())
        }
        KeysCommand::Show { file, output } => {
            let key = read_key_file(&file)?;
            print(output, &json!({ "public_key": key.public() }), || {
                key.public().to_string()
            });
            Ok(())
        }
    }
}
