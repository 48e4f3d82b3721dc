//! Transactions coming in: checked and pooled, followed to their block.

use std::time::Duration;

use tokio::sync::broadcast;
use truffle_ledger::{Hash, Outcome, Rejection, SignedTransaction};

use crate::engine::Engine;
use crate::error::{EngineError, Refusal, SubmitError};
use crate::protocol::MAX_FORWARD_BATCH;
pub use truffle_wire::chain::TxStatus;

impl Engine {
    /// Checks and pools a batch another node forwarded (a validator's or a follower's),
    /// one verdict per transaction; a batch over the limit is refused whole.
    pub(crate) async fn accept_forwarded(
        &self,
        txs: Vec<SignedTransaction>,
    ) -> Result<Vec<Result<Hash, Rejection>>, Refusal> {
        if txs.len() > MAX_FORWARD_BATCH {
            return Err(Refusal::new(format!(
                "at most {MAX_FORWARD_BATCH} transactions per batch"
            )));
        }
        let verdicts = self.pool_batch(txs.into_iter().map(Ok).collect()).await?;
        Ok(verdicts
            .into_iter()
            .map(|verdict| {
                verdict.map_err(|e| match e {
                    SubmitError::Rejected(rejection) => rejection,
                    other => Rejection::Malformed {
                        reason: other.to_string(),
                    },
                })
            })
            .collect())
    }

    /// Decodes, checks and pools a client's batch (`tx_submitBatch`): one result per
    /// transaction, in order.
    pub async fn submit_transactions(
        &self,
        batch: Vec<Vec<u8>>,
    ) -> Result<Vec<Result<Hash, SubmitError>>, Refusal> {
        let decoded = batch
            .iter()
            .map(|bytes| SignedTransaction::decode(bytes).map_err(SubmitError::from))
            .collect();
        self.pool_batch(decoded).await
    }

    /// Checks and pools each decoded transaction of a batch, off the async workers: a
    /// batch is up to thousands of signature checks, and those workers also carry
    /// Raft's messages.
    async fn pool_batch(
        &self,
        txs: Vec<Result<SignedTransaction, SubmitError>>,
    ) -> Result<Vec<Result<Hash, SubmitError>>, Refusal> {
        let engine = self.clone();
        tokio::task::spawn_blocking(move || {
            txs.into_iter()
                .map(|tx| tx.and_then(|tx| engine.accept_transaction(tx)))
                .collect()
        })
        .await
        .map_err(|e| Refusal::new(format!("checking the batch failed: {e}")))
    }

    /// Decodes, checks and pools a transaction from a client. Returns its hash.
    pub fn submit_transaction(&self, bytes: &[u8]) -> Result<Hash, SubmitError> {
        let tx = SignedTransaction::decode(bytes)?;
        self.accept_transaction(tx)
    }

    /// Checks and pools a transaction (from a client or a peer).
    pub fn accept_transaction(&self, tx: SignedTransaction) -> Result<Hash, SubmitError> {
        let result = self.pool_transaction(tx);
        self.inner.metrics.on_submitted(&result);
        match &result {
            Ok(hash) => tracing::debug!(target: "node::mempool", tx = %hash, "pooled"),
            Err(error) => tracing::debug!(target: "node::mempool", %error, "refused"),
        }
        result
    }

    fn pool_transaction(&self, tx: SignedTransaction) -> Result<Hash, SubmitError> {
        let hash = tx.check_stateless(&self.inner.chain_id)?;
        self.inner.verified.insert(hash, tx.signature);
        // Cheap stateful checks up front, so that clients hear at once about the
        // mistakes that would only make a block refuse the transaction.
        let account = self
            .account(&tx.tx.signer)
            .map_err(|e| SubmitError::Unavailable(e.to_string()))?
            .ok_or(Rejection::UnknownSigner {
                signer: tx.tx.signer,
            })?;
        if account.status != truffle_ledger::types::AccountStatus::Active {
            return Err(Rejection::SignerNotActive {
                status: account.status,
            }
            .into());
        }
        let applied_before = self
            .inner
            .store
            .tx_receipt(&hash)
            .map_err(|e| SubmitError::Unavailable(e.to_string()))?
            .is_some_and(|(_, receipt)| receipt.is_applied());
        if applied_before {
            // Resubmitting an applied transaction is harmless: answer with its hash.
            return Ok(hash);
        }
        // A transaction a block refused left its nonce unused: it may apply now (the
        // raffle opened, the seller was approved), so it is pooled again.
        if tx.tx.nonce < account.nonce {
            return Err(Rejection::NonceReplayed {
                expected: account.nonce,
                got: tx.tx.nonce,
            }
            .into());
        }
        let now = self.inner.clock.monotonic_ms();
        self.inner
            .mempool
            .lock()
            .expect("mempool lock poisoned")
            .insert(hash, tx, now)?;
        self.inner.producer_wake.notify_one();
        self.inner.forwarder_wake.notify_one();
        Ok(hash)
    }

    /// Where a transaction stands.
    pub fn transaction_status(&self, hash: &Hash) -> Result<TxStatus, EngineError> {
        if let Some((location, receipt)) = self.inner.store.tx_receipt(hash)? {
            return Ok(match &receipt.outcome {
                Outcome::Applied { effect } => TxStatus::Committed {
                    height: location.height,
                    index: location.index,
                    effect: effect.clone(),
                    certified: self.inner.store.certificate(location.height)?.is_some(),
                },
                Outcome::Rejected { rejection } => TxStatus::Rejected {
                    height: location.height,
                    index: location.index,
                    rejection: rejection.clone(),
                },
            });
        }
        if self
            .inner
            .mempool
            .lock()
            .expect("mempool lock poisoned")
            .contains(hash)
        {
            return Ok(TxStatus::Pending);
        }
        Ok(TxStatus::Unknown)
    }

    /// Waits until a transaction is in a block (or `timeout` passes).
    pub async fn wait_for_transaction(
        &self,
        hash: &Hash,
        timeout: Duration,
    ) -> Result<TxStatus, EngineError> {
        let mut events = self.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let status = self.transaction_status(hash)?;
            if matches!(
                status,
                TxStatus::Committed { .. } | TxStatus::Rejected { .. }
            ) {
                return Ok(status);
            }
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Err(_) => return Ok(status),
                Ok(Err(broadcast::error::RecvError::Closed)) => return Ok(status),
                Ok(_) => {}
            }
        }
    }

    /// Signs `payload` with this validator's operator key (the registrar), submits it
    /// and waits for its block.
    pub async fn submit_as_registrar(
        &self,
        payload: truffle_ledger::Payload,
    ) -> Result<TxStatus, EngineError> {
        for _ in 0..3 {
            let tx = {
                let mut next = self.inner.registrar_nonce.lock().expect("lock poisoned");
                let state = self.next_nonce(&self.inner.key.public())?;
                let nonce = next.map(|n| n.max(state)).unwrap_or(state);
                *next = Some(nonce + 1);
                truffle_ledger::Transaction {
                    chain_id: self.inner.chain_id,
                    signer: self.inner.key.public(),
                    nonce,
                    payload: payload.clone(),
                }
                .sign(&self.inner.key)
            };
            let hash = match self.accept_transaction(tx) {
                Ok(hash) => hash,
                Err(SubmitError::Rejected(Rejection::NonceReplayed { .. })) => {
                    *self.inner.registrar_nonce.lock().expect("lock poisoned") = None;
                    continue;
                }
                Err(error) => return Err(EngineError::Submit(Box::new(error))),
            };
            let status = self
                .wait_for_transaction(&hash, Duration::from_secs(20))
                .await?;
            match &status {
                TxStatus::Rejected {
                    rejection: Rejection::NonceReplayed { .. } | Rejection::NonceSkipped { .. },
                    ..
                } => {
                    *self.inner.registrar_nonce.lock().expect("lock poisoned") = None;
                    continue;
                }
                TxStatus::Rejected { .. } => {
                    // A refused transaction did not use its nonce: the next one starts
                    // again from the ledger's.
                    *self.inner.registrar_nonce.lock().expect("lock poisoned") = None;
                    return Ok(status);
                }
                _ => return Ok(status),
            }
        }
        Err(EngineError::RegistrarOutOfOrder)
    }
}
