//! The settlement worker: turns verified payment events into ledger transactions.
//!
//! For each pending outbox entry (oldest first; again after a restart):
//!
//! | the order on the ledger            | what the worker does                                   |
//! | ---------------------------------- | ------------------------------------------------------ |
//! | pending, amount matches            | `SettlePayment` (operator): paid, item moves, one block |
//! | pending, amount differs            | provider cancel, then `CancelOrder`: the order fails    |
//! | paid by this payment               | nothing: settled (a replay, or a crash after submitting) |
//! | paid by another payment            | provider cancel: the buyer is refunded                  |
//! | expired, cancelled, refunded, none | provider cancel: the buyer is refunded                  |
//!
//! A ledger refusal of a reused event id means an earlier attempt settled it. Anything
//! that may succeed later (no leader, a timeout, the provider unreachable) leaves the
//! entry pending for the next round.

use std::sync::Arc;
use std::time::Duration;

use truffle_ledger::types::{Order, OrderStatus};
use truffle_ledger::{Payload, Rejection};

use super::MarketError;
use super::{OutboxEntry, SettlementState};
use truffle_engine::TxStatus;

use super::Market;

/// Pause between rounds when nothing wakes the worker.
const ROUND: Duration = Duration::from_secs(1);
/// Least pause before retrying an entry whose attempt failed, ms (doubles, up to a minute).
const RETRY_BASE_MS: u64 = 500;

/// Why an attempt to settle an entry did not finish.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SettleFailure {
    /// Not now (the node, the ledger or the provider was not ready): tried again later.
    #[error("{0}")]
    Retry(String),
    /// The provider refused for good: the entry fails.
    #[error("permanent: {0}")]
    Permanent(String),
}

fn retry(error: impl std::fmt::Display) -> SettleFailure {
    SettleFailure::Retry(error.to_string())
}

/// Signs and submits `payload` with this validator's operator key, one at a time among
/// the market's tasks; a refused transaction did not use its nonce, so the next one
/// starts again from the ledger's.
pub(crate) async fn submit_operator(
    market: &Market,
    payload: Payload,
) -> Result<TxStatus, crate::NodeError> {
    let _turn = market.operator.lock().await;
    Ok(market.engine.submit_as_registrar(payload).await?)
}

/// Cancels the payment at the provider, then cancels the pending order on the ledger.
pub(crate) async fn fail_order(
    market: &Market,
    order: &Order,
    provider: &str,
    payment_key: &str,
    reason: &str,
) -> Result<(), SettleFailure> {
    market
        .cancel_payment(provider, payment_key, reason, format!("fail-{payment_key}"))
        .await
        .map_err(retry)?;
    let status = submit_operator(
        market,
        Payload::CancelOrder {
            order: order.id,
            reason: format!("payment failed: {reason}"),
        },
    )
    .await
    .map_err(retry)?;
    match status {
        TxStatus::Committed { .. } => Ok(()),
        // Someone closed it meanwhile: the payment is cancelled, which is what matters.
        TxStatus::Rejected {
            rejection: Rejection::OrderRule { .. },
            ..
        } => Ok(()),
        other => Err(retry(format!(
            "the order's cancellation did not apply: {other:?}"
        ))),
    }
}

async fn refund(
    market: &Market,
    entry: &OutboxEntry,
    reason: String,
) -> Result<SettlementState, SettleFailure> {
    market
        .cancel_payment(
            &entry.provider,
            &entry.payment_key,
            &reason,
            format!("unsettled-{}", entry.payment_key),
        )
        .await
        .map_err(|e| match e {
            MarketError::Provider(error) if !error.is_retryable() => {
                SettleFailure::Permanent(error.to_string())
            }
            other => retry(other),
        })?;
    tracing::info!(target: "market", payment_key = %entry.payment_key, %reason, "payment refunded at the provider");
    Ok(SettlementState::Refunded { reason })
}

/// What became of one entry: `Ok` final (or still pending by design), `Err` retry.
async fn settle_one(
    market: &Market,
    entry: &OutboxEntry,
) -> Result<SettlementState, SettleFailure> {
    if entry.status != "DONE" {
        return Ok(SettlementState::Ignored {
            reason: format!("a {} event needs no settlement", entry.status),
        });
    }
    let Some(order_id) = entry.order else {
        return Ok(SettlementState::Ignored {
            reason: format!("{} is not an order of this chain", entry.order_ref),
        });
    };
    // Decide on the latest committed state, not on a lagging local copy.
    market.engine.sync_with_leader().await.map_err(retry)?;
    for _ in 0..2 {
        let Some(order) = market.ledger_order(order_id).map_err(retry)? else {
            return refund(market, entry, format!("order {order_id} does not exist")).await;
        };
        match order.status {
            OrderStatus::Paid => {
                let payment = order.payment.as_ref().expect("a paid order has a payment");
                if payment.payment_key == entry.payment_key {
                    return Ok(SettlementState::Settled {
                        height: payment.settled.height,
                    });
                }
                return refund(
                    market,
                    entry,
                    format!("order {order_id} was already paid by another payment"),
                )
                .await;
            }
            OrderStatus::Expired | OrderStatus::Cancelled | OrderStatus::Refunded => {
                return refund(
                    market,
                    entry,
                    format!(
                        "order {order_id} was {} when the payment arrived",
                        format!("{:?}", order.status).to_lowercase()
                    ),
                )
                .await;
            }
            OrderStatus::Pending => {}
        }
        if entry.amount != order.amount {
            let reason = format!(
                "{} won were paid for an order of {} won",
                entry.amount, order.amount
            );
            fail_order(market, &order, &entry.provider, &entry.payment_key, &reason).await?;
            return Ok(SettlementState::Failed { reason });
        }
        let status = submit_operator(
            market,
            Payload::SettlePayment {
                order: order_id,
                provider: entry.provider.clone(),
                payment_key: entry.payment_key.clone(),
                event_id: entry.event_id.clone(),
                amount: entry.amount,
            },
        )
        .await
        .map_err(retry)?;
        match status {
            TxStatus::Committed { height, .. } => {
                tracing::info!(target: "market", order = order_id, payment_key = %entry.payment_key, height, "payment settled");
                return Ok(SettlementState::Settled { height });
            }
            TxStatus::Rejected {
                rejection: Rejection::PaymentEventReused { order, .. },
                ..
            } if order == order_id => {
                // An earlier attempt settled it (a crash or a timeout after submitting).
                continue;
            }
            TxStatus::Rejected {
                rejection: Rejection::OrderRule { .. },
                ..
            } => {
                // The order changed meanwhile (expired, paid): decide again.
                continue;
            }
            TxStatus::Rejected {
                rejection:
                    rejection @ (Rejection::NonceReplayed { .. }
                    | Rejection::NonceSkipped { .. }
                    | Rejection::BlockFull),
                ..
            } => return Err(retry(format!("not settled yet: {rejection}"))),
            TxStatus::Rejected { rejection, .. } => {
                let reason = format!("the ledger refused the settlement: {rejection}");
                fail_order(market, &order, &entry.provider, &entry.payment_key, &reason).await?;
                return Ok(SettlementState::Failed { reason });
            }
            other => {
                return Err(retry(format!(
                    "the settlement is not in a block yet: {other:?}"
                )))
            }
        }
    }
    Err(retry("the order kept changing; retrying"))
}

/// Settles the pending entries that are due.
async fn settle_pending(market: &Market) {
    let pending = match market.outbox.pending() {
        Ok(pending) => pending,
        Err(error) => {
            tracing::warn!(target: "market", %error, "cannot read the payment outbox");
            return;
        }
    };
    for mut entry in pending {
        let now = market.now_ms();
        if now
            < entry
                .received_ms
                .saturating_add(market.config.settle_delay_ms)
        {
            continue;
        }
        let backoff = RETRY_BASE_MS
            .saturating_mul(1 << entry.attempts.min(7))
            .min(60_000);
        if entry.attempts > 0 && now < entry.updated_ms.saturating_add(backoff) {
            continue;
        }
        let outcome = settle_one(market, &entry).await;
        entry.attempts += 1;
        entry.updated_ms = market.now_ms();
        match outcome {
            Ok(state) => {
                entry.state = state;
                entry.last_error = None;
            }
            Err(error) => {
                tracing::info!(target: "market", event_id = %entry.event_id, attempts = entry.attempts, %error, "payment not settled yet; will retry");
                if let SettleFailure::Permanent(reason) = &error {
                    entry.state = SettlementState::Failed {
                        reason: reason.clone(),
                    };
                }
                entry.last_error = Some(error.to_string());
            }
        }
        if let Err(error) = market.outbox.update(&entry) {
            tracing::warn!(target: "market", %error, "cannot update the payment outbox");
        }
    }
}

/// Settles pending payment events at start (a crash may have left some), whenever a new
/// one arrives, and every second.
pub(crate) async fn settle_loop(market: Arc<Market>) {
    if market.provider_name().is_none() {
        return;
    }
    loop {
        settle_pending(&market).await;
        tokio::select! {
            _ = market.wake.notified() => {}
            _ = tokio::time::sleep(ROUND) => {}
            _ = market.engine.stopping() => return,
        }
    }
}
