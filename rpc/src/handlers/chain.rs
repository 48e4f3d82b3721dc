use jsonrpsee::core::{async_trait, RpcResult, SubscriptionResult};
use jsonrpsee::{PendingSubscriptionSink, SubscriptionMessage};
use tokio::sync::broadcast::error::RecvError;
use truffle_ledger::{Certificate, Evidence};
use truffle_node::{LedgerEvent, Node};

use crate::error;
use truffle_wire::api::ChainApiServer;
use truffle_wire::views::{BlockView, HeaderView};

/// Most certified blocks `chain_getCertifiedBlocks` answers at once (the engine's cap).
const MAX_CERTIFIED_BLOCKS: u32 = 64;
/// Its answer stops growing past this many bytes of blocks (hex doubles them, under the
/// 32 MiB response limit).
const MAX_CERTIFIED_BLOCKS_BYTES: usize = 4 << 20;

pub(crate) struct ChainHandler {
    pub(crate) node: Node,
}

impl ChainHandler {
    fn height(&self, height: Option<u64>) -> RpcResult<u64> {
        match height {
            Some(height) => Ok(height),
            None => Ok(self.node.head().map_err(error::node)?.height),
        }
    }
}

#[async_trait]
impl ChainApiServer for ChainHandler {
    fn get_header(&self, height: Option<u64>) -> RpcResult<HeaderView> {
        let height = self.height(height)?;
        let header = self
            .node
            .store()
            .header(height)
            .map_err(error::node)?
            .ok_or_else(|| error::not_found(format!("block {height}")))?;
        Ok(HeaderView::from(&header))
    }

    fn get_block(&self, height: Option<u64>) -> RpcResult<BlockView> {
        let height = self.height(height)?;
        let block = self
            .node
            .store()
            .block(height)
            .map_err(error::node)?
            .ok_or_else(|| error::not_found(format!("block {height}")))?;
        Ok(BlockView::from(&block))
    }

    fn get_receipts(&self, height: u64) -> RpcResult<Vec<truffle_ledger::Receipt>> {
        let block = self
            .node
            .store()
            .block(height)
            .map_err(error::node)?
            .ok_or_else(|| error::not_found(format!("block {height}")))?;
        Ok(block.receipts)
    }

    fn get_certificate(&self, height: u64) -> RpcResult<Certificate> {
        self.node
            .store()
            .certificate(height)
            .map_err(error::node)?
            .ok_or_else(|| error::not_found(format!("certificate of block {height}")))
    }

    fn get_certified_blocks(&self, from: u64, max: Option<u32>) -> RpcResult<Vec<String>> {
        let blocks = self
            .node
            .engine()
            .certified_blocks(
                from,
                max.unwrap_or(MAX_CERTIFIED_BLOCKS),
                MAX_CERTIFIED_BLOCKS_BYTES,
            )
            .map_err(error::node)?;
        Ok(blocks
            .into_iter()
            .map(|certified| {
                let pair = (certified.block, certified.certificate);
                hex::encode(borsh::to_vec(&pair).expect("encoding to a Vec cannot fail"))
            })
            .collect())
    }

    fn get_headers(&self, from: u64, limit: u32) -> RpcResult<Vec<HeaderView>> {
        let limit = limit.min(1_000) as usize;
        let headers = self
            .node
            .store()
            .headers_from(from, limit)
            .map_err(error::node)?;
        Ok(headers.iter().map(HeaderView::from).collect())
    }

    fn get_evidence(&self, from: Option<u64>, limit: Option<u32>) -> RpcResult<Vec<Evidence>> {
        let limit = limit.unwrap_or(100).min(100) as usize;
        Ok(self.node.engine().evidence(from.unwrap_or(0), limit))
    }

    fn get_validators(&self) -> RpcResult<Vec<truffle_ledger::types::Validator>> {
        truffle_ledger::exec::current_validators(self.node.engine().store())
            .map_err(|e| error::error(error::UNAVAILABLE, e.to_string()))
    }

    fn submit_evidence(&self, evidence: Evidence) -> RpcResult<bool> {
        self.node
            .engine()
            .submit_evidence(evidence)
            .map_err(|e| error::invalid_param("evidence", e))
    }

    async fn subscribe_new_heads(&self, pending: PendingSubscriptionSink) -> SubscriptionResult {
        let mut events = self.node.subscribe();
        let sink = pending.accept().await?;
        loop {
            tokio::select! {
                _ = sink.closed() => return Ok(()),
                event = events.recv() => match event {
                    Ok(LedgerEvent::Block(block)) => {
                        let message = SubscriptionMessage::from(serde_json::value::to_raw_value(&HeaderView::from(&block.header))?);
                        if sink.send(message).await.is_err() {
                            return Ok(());
                        }
                    }
                    Ok(_) => {}
                    // A slow subscriber misses heads rather than slowing the node.
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return Ok(()),
                },
            }
        }
    }
}
