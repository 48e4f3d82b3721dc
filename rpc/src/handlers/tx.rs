use std::time::Duration;

use jsonrpsee::core::{async_trait, RpcResult};
use jsonrpsee::types::ErrorObjectOwned;
use truffle_ledger::Hash;
use truffle_node::{Node, TxStatus};

use crate::error;
use truffle_wire::api::TxApiServer;
use truffle_wire::chain::{SubmitOutcome, MAX_SUBMIT_BATCH};
use truffle_wire::views::TransactionView;

pub(crate) struct TxHandler {
    pub(crate) node: Node,
}

fn decode_hex(transaction: &str) -> RpcResult<Vec<u8>> {
    let text = transaction.trim();
    let text = text.strip_prefix("0x").unwrap_or(text);
    hex::decode(text).map_err(|e| error::invalid_param("transaction", format!("not hex: {e}")))
}

#[async_trait]
impl TxApiServer for TxHandler {
    fn submit(&self, transaction: String) -> RpcResult<Hash> {
        let bytes = decode_hex(&transaction)?;
        self.node.submit_transaction(&bytes).map_err(error::submit)
    }

    async fn submit_batch(&self, transactions: Vec<String>) -> RpcResult<Vec<SubmitOutcome>> {
        if transactions.len() > MAX_SUBMIT_BATCH {
            return Err(error::invalid_param(
                "transactions",
                format!("at most {MAX_SUBMIT_BATCH} per call"),
            ));
        }
        let refused = |error: ErrorObjectOwned| SubmitOutcome::Refused {
            code: error.code(),
            message: error.message().to_owned(),
            retryable: truffle_wire::codes::retryable(&error),
        };
        // Hex that does not parse is that transaction's outcome, not the call's.
        let mut outcomes: Vec<Option<SubmitOutcome>> = Vec::with_capacity(transactions.len());
        let mut bytes = Vec::with_capacity(transactions.len());
        for transaction in &transactions {
            match decode_hex(transaction) {
                Ok(decoded) => {
                    bytes.push(decoded);
                    outcomes.push(None);
                }
                Err(error) => outcomes.push(Some(refused(error))),
            }
        }
        let mut results = self
            .node
            .submit_transactions(bytes)
            .await
            .map_err(|e| error::error(error::UNAVAILABLE, e.to_string()))?
            .into_iter();
        Ok(outcomes
            .into_iter()
            .map(|outcome| {
                outcome.unwrap_or_else(|| match results.next() {
                    Some(Ok(hash)) => SubmitOutcome::Accepted { hash },
                    Some(Err(e)) => refused(error::submit(e)),
                    // The engine answers once per transaction it was given.
                    None => refused(error::error(error::UNAVAILABLE, "no outcome")),
                })
            })
            .collect())
    }

    async fn submit_and_wait(
        &self,
        transaction: String,
        timeout_ms: Option<u64>,
    ) -> RpcResult<TxStatus> {
        let bytes = decode_hex(&transaction)?;
        let hash = self
            .node
            .submit_transaction(&bytes)
            .map_err(error::submit)?;
        let timeout = Duration::from_millis(timeout_ms.unwrap_or(10_000).min(60_000));
        self.node
            .wait_for_transaction(&hash, timeout)
            .await
            .map_err(error::node)
    }

    fn status(&self, hash: Hash) -> RpcResult<TxStatus> {
        self.node.transaction_status(&hash).map_err(error::node)
    }

    fn get(&self, hash: Hash) -> RpcResult<TransactionView> {
        let store = self.node.store();
        let location = store
            .tx_location(&hash)
            .map_err(error::node)?
            .ok_or_else(|| error::not_found(format!("transaction {hash}")))?;
        let block = store
            .block(location.height)
            .map_err(error::node)?
            .ok_or_else(|| error::not_found(format!("block {}", location.height)))?;
        Ok(TransactionView::from(
            &block.transactions[location.index as usize],
        ))
    }
}
