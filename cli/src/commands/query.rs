use truffle_ledger::{Hash, PublicKey};
use truffle_wire::api::{
    AccountApiClient, ChainApiClient, ProductApiClient, SystemApiClient, TxApiClient,
};

use crate::args::QueryCommand;
use crate::client::{connect, explain};
use crate::output::print;

pub(crate) async fn run(command: QueryCommand) -> anyhow::Result<()> {
    match command {
        QueryCommand::Evidence { from, rpc } => {
            let client = connect(&rpc.rpc)?;
            let records = client
                .get_evidence(Some(from), None)
                .await
                .map_err(|e| explain(e, &rpc.rpc))?;
            // Always JSON: the records are what `truffle verify evidence` reads.
            println!("{}", serde_json::to_string_pretty(&records)?);
        }
        QueryCommand::Block { height, rpc } => {
            let client = connect(&rpc.rpc)?;
            let block = client
                .get_block(height)
                .await
                .map_err(|e| explain(e, &rpc.rpc))?;
            print(rpc.output, &block, || {
                let h = &block.header;
                let mut text = format!(
                    "block {} {}\n  time {} ms, proposer {}\n  state root {}\n  {} transactions",
                    h.header.height,
                    h.hash,
                    h.header.time_ms,
                    h.header.proposer,
                    h.header.state_root,
                    block.transactions.len()
                );
                for (tx, receipt) in block.transactions.iter().zip(&block.receipts) {
                    let outcome = if receipt.is_applied() {
                        "applied"
                    } else {
                        "rejected"
                    };
                    text.push_str(&format!("\n  {} {:<20} {}", tx.hash, tx.kind, outcome));
                }
                text
            });
        }
        QueryCommand::Tx { hash, rpc } => {
            let hash = Hash::from_hex(&hash).map_err(|e| anyhow::anyhow!("invalid hash: {e}"))?;
            let client = connect(&rpc.rpc)?;
            let status = client
                .status(hash)
                .await
                .map_err(|e| explain(e, &rpc.rpc))?;
            let transaction = TxApiClient::get(&client, hash).await.ok();
            let value = serde_json::json!({ "status": status, "transaction": transaction });
            print(rpc.output, &value, || {
                let mut text = format!("{hash}: {}", crate::output::describe(&status));
                if let Some(tx) = &transaction {
                    text.push_str(&format!(
                        "\n  {} by {} (nonce {})\n  {}",
                        tx.kind,
                        tx.signer,
                        tx.nonce,
                        serde_json::to_string(&tx.payload).expect("payloads serialize")
                    ));
                }
                text
            });
        }
        QueryCommand::Account { key, rpc } => {
            let key = PublicKey::from_hex(&key).map_err(|e| anyhow::anyhow!("invalid key: {e}"))?;
            let client = connect(&rpc.rpc)?;
            let account = AccountApiClient::get(&client, key)
                .await
                .map_err(|e| explain(e, &rpc.rpc))?;
            print(rpc.output, &account, || {
                format!(
                    "account {}\n  role {:?}, {:?}, nonce {}\n  seller {:?}",
                    account.key, account.role, account.status, account.nonce, account.seller
                )
            });
        }
        QueryCommand::Product { id, rpc } => {
            let client = connect(&rpc.rpc)?;
            let product = ProductApiClient::get(&client, id)
                .await
                .map_err(|e| explain(e, &rpc.rpc))?;
            print(rpc.output, &product, || {
                let p = &product.product;
                let mut text = format!(
                    "product {} — {} {} {} / {}\n  {} won, edition of {}, seller {}\n  registered in block {} by tx {}",
                    p.id,
                    p.brand,
                    p.model,
                    p.name_ko,
                    p.name_en,
                    p.price,
                    p.edition_size,
                    p.seller,
                    p.registered.height,
                    p.registered.tx_hash
                );
                for item in &product.items {
                    text.push_str(&format!(
                        "\n  item {} ({}/{}) serial {} owner {} {:?}",
                        item.id,
                        item.edition,
                        item.edition_size,
                        item.serial,
                        item.owner,
                        item.lock
                    ));
                }
                text
            });
        }
        QueryCommand::Item { id, rpc } => {
            let client = connect(&rpc.rpc)?;
            let item = client
                .get_item(id)
                .await
                .map_err(|e| explain(e, &rpc.rpc))?;
            print(rpc.output, &item, || {
                format!(
                    "item {} — {} {} ({}/{}), serial {}\n  owner {} since block {}, {} owners so far, {:?}",
                    item.item.id,
                    item.product.brand,
                    item.product.name_ko,
                    item.item.edition,
                    item.item.edition_size,
                    item.item.serial,
                    item.item.owner,
                    item.item.owner_since.height,
                    item.item.history_len,
                    item.item.lock
                )
            });
        }
        QueryCommand::Health { rpc } => {
            let client = connect(&rpc.rpc)?;
            let health = client.health().await.map_err(|e| explain(e, &rpc.rpc))?;
            print(rpc.output, &health, || {
                serde_json::to_string_pretty(&health).expect("health serializes")
            });
        }
    }
    Ok(())
}
