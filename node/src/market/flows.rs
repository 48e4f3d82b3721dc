//! What buyers, admins and the provider ask of the market: start and confirm a payment,
//! deliver a webhook, refund a paid order.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use truffle_ledger::state::{decode_record, keys, StateView};
use truffle_ledger::types::{
    AccountStatus, Item, ItemLock, Order, OrderStatus, RefundRequest, RefundRequestStatus, Role,
};
use truffle_ledger::{Payload, Rejection, SignedTransaction};
use truffle_payments::{
    parse_order_ref, CancelRequest, Checkout, CheckoutRequest, ConfirmRequest, HeaderMap, Payment,
    PaymentError, PaymentStatus, WebhookNotice,
};

use super::{customer_key, Market, MarketError, OrderView, WebhookError};
use super::{EventSource, OutboxEntry, RefundReceipt, SettlementState};
use truffle_engine::TxStatus;

/// How long `payment_confirm` waits for the settlement it triggered.
const CONFIRM_WAIT: Duration = Duration::from_secs(20);

/// What the webhook endpoint answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookReceipt {
    /// The event id.
    pub event_id: String,
    /// The event was already here: nothing changed.
    pub duplicate: bool,
    /// Where its settlement stands.
    pub state: SettlementState,
}

impl Market {
    /// A webhook from the provider: authenticates it (its signature, or the payment
    /// fetched from the provider's API), stores the payment event durably (a duplicate
    /// changes nothing) and wakes the settlement worker. The caller acknowledges with
    /// 2xx only when this returns `Ok`; an event of no concern is acknowledged unstored.
    pub async fn receive_webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<WebhookReceipt, WebhookError> {
        let provider = self.provider.as_ref().ok_or(WebhookError::Disabled)?;
        let notice = provider
            .webhook(headers, body, self.now_ms())
            .await
            .map_err(|error| match error {
                PaymentError::Signature(signature) => WebhookError::Signature(signature),
                error if error.is_retryable() => WebhookError::Provider(error.to_string()),
                PaymentError::InvalidResponse(_) => WebhookError::Provider(error.to_string()),
                other => WebhookError::Malformed(other.to_string()),
            })?;
        let (event_id, payment) = match notice {
            WebhookNotice::Payment { event_id, payment } => (event_id, payment),
            WebhookNotice::Ignored { event_id, reason } => {
                tracing::info!(target: "market", %event_id, %reason, "payment event ignored");
                return Ok(WebhookReceipt {
                    event_id,
                    duplicate: false,
                    state: SettlementState::Ignored { reason },
                });
            }
        };
        let payment = &payment;
        let now = self.now_ms();
        let entry = OutboxEntry {
            provider: provider.name().to_owned(),
            event_id,
            source: EventSource::Webhook,
            payment_key: payment.payment_key.clone(),
            order_ref: payment.order_id.clone(),
            order: parse_order_ref(&self.chain_prefix, &payment.order_id),
            status: payment.status.as_str().to_owned(),
            amount: payment.total_amount,
            received_ms: now,
            state: SettlementState::Pending,
            attempts: 0,
            last_error: None,
            updated_ms: now,
        };
        let (stored, new) = self
            .outbox
            .insert(entry)
            .map_err(|e| WebhookError::Storage(e.to_string()))?;
        if new {
            tracing::info!(target: "market", event_id = %stored.event_id, payment_key = %stored.payment_key, status = %stored.status, "payment event received");
            self.wake.notify_one();
        } else {
            tracing::info!(target: "market", event_id = %stored.event_id, "duplicate payment event ignored");
        }
        Ok(WebhookReceipt {
            event_id: stored.event_id,
            duplicate: !new,
            state: stored.state,
        })
    }

    /// Cancels (refunds) a payment at the provider, which must be the one it was made with.
    pub(crate) async fn cancel_payment(
        &self,
        provider_name: &str,
        payment_key: &str,
        reason: &str,
        idempotency_key: String,
    ) -> Result<Payment, MarketError> {
        let provider = self.provider()?;
        if provider.name() != provider_name {
            return Err(MarketError::Provider(PaymentError::Refused {
                code: "OTHER_PROVIDER".into(),
                message: format!(
                    "the payment was made through {provider_name}; this node uses {}",
                    provider.name()
                ),
                status: 0,
            }));
        }
        provider
            .cancel(&CancelRequest {
                payment_key: payment_key.to_owned(),
                reason: reason.to_owned(),
                amount: None,
                idempotency_key,
            })
            .await
            .map_err(MarketError::Provider)
    }
}

fn not_payable(order: &Order, reason: impl Into<String>) -> MarketError {
    MarketError::NotPayable {
        order: order.id,
        status: order.status,
        reason: reason.into(),
    }
}

impl Market {
    /// The order `order` of the session's member, as of the latest committed state.
    async fn buyer_order(&self, session_token: &str, order: u64) -> Result<Order, MarketError> {
        let member = self.members.session(&self.engine, session_token).await?;
        let record = self.ledger_order(order)?.ok_or(MarketError::NotFound {
            kind: "order",
            id: order,
        })?;
        if record.buyer != member.account {
            return Err(MarketError::NotYourOrder { order });
        }
        Ok(record)
    }

    /// Opens the provider's checkout for an order the session's member must pay.
    pub async fn payment_start(
        &self,
        session_token: &str,
        order: u64,
    ) -> Result<Checkout, MarketError> {
        let market = self;
        let provider = market.provider()?;
        let record = self.buyer_order(session_token, order).await?;
        if record.status != OrderStatus::Pending {
            return Err(not_payable(
                &record,
                format!("the order is {:?}", record.status).to_lowercase(),
            ));
        }
        if self.now_ms() > record.expires_at_ms {
            return Err(not_payable(
                &record,
                format!("its payment window closed at {} ms", record.expires_at_ms),
            ));
        }
        let order_name = match market.item_summary(record.item)? {
            Some(item) => format!(
                "{} {} #{}/{}",
                item.brand, item.name, item.edition, item.edition_size
            ),
            None => format!("order {order}"),
        };
        provider
            .checkout(&CheckoutRequest {
                order_id: market.order_ref(order),
                order_name: order_name.chars().take(100).collect(),
                amount: record.amount,
                customer_key: customer_key(&record.buyer),
                success_url: market.config.checkout_success_url.clone(),
                fail_url: market.config.checkout_fail_url.clone(),
            })
            .await
            .map_err(MarketError::Provider)
    }

    /// The buyer came back from the provider's page with a payment key: the node
    /// confirms the payment for exactly the order's amount, then settles it. An amount
    /// that differs fails the order (payment cancelled, order cancelled).
    pub async fn payment_confirm(
        &self,
        session_token: &str,
        order: u64,
        payment_key: &str,
    ) -> Result<OrderView, MarketError> {
        let market = self;
        let provider = market.provider()?;
        let record = self.buyer_order(session_token, order).await?;
        match (&record.status, &record.payment) {
            (OrderStatus::Paid, Some(payment)) if payment.payment_key == payment_key => {
                return market.order(order)
            }
            (OrderStatus::Pending, _) => {}
            _ => {
                return Err(not_payable(
                    &record,
                    format!("the order is {:?}", record.status).to_lowercase(),
                ))
            }
        }
        let confirmed = provider
            .confirm(&ConfirmRequest {
                payment_key: payment_key.to_owned(),
                order_id: market.order_ref(order),
                amount: record.amount,
                idempotency_key: format!("confirm-{payment_key}"),
            })
            .await;
        let payment = match confirmed {
            Ok(payment) => payment,
            Err(PaymentError::AmountMismatch { authorized, .. }) => {
                let reason = format!(
                    "{authorized} won were authorized for an order of {} won",
                    record.amount
                );
                crate::market::settle::fail_order(
                    self,
                    &record,
                    provider.name(),
                    payment_key,
                    &reason,
                )
                .await
                .map_err(|e| MarketError::Unavailable(e.to_string()))?;
                return Err(MarketError::AmountMismatch {
                    order,
                    expected: record.amount,
                    got: authorized,
                });
            }
            Err(error) => return Err(MarketError::Provider(error)),
        };
        if payment.status != PaymentStatus::Done {
            return Err(MarketError::Provider(PaymentError::NotPaid {
                payment_key: payment_key.to_owned(),
                status: payment.status.as_str().to_owned(),
            }));
        }
        let now = self.now_ms();
        let (entry, _) = market.outbox.insert(OutboxEntry {
            provider: provider.name().to_owned(),
            event_id: format!("confirm:{payment_key}"),
            source: EventSource::Confirmation,
            payment_key: payment_key.to_owned(),
            order_ref: payment.order_id.clone(),
            order: Some(order),
            status: payment.status.as_str().to_owned(),
            amount: payment.total_amount,
            received_ms: now,
            state: SettlementState::Pending,
            attempts: 0,
            last_error: None,
            updated_ms: now,
        })?;
        market.wake.notify_one();
        let deadline = tokio::time::Instant::now() + CONFIRM_WAIT;
        while tokio::time::Instant::now() < deadline {
            let settled = market
                .settlements(order)?
                .iter()
                .any(|e| e.event_id == entry.event_id && e.state.is_final());
            if settled {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        market.order(order)
    }

    /// Refunds a paid order with an admin's (or operator's) signed `RefundOrder`: checks
    /// everything the ledger will, cancels the payment at the provider (idempotent per
    /// order), then submits the transaction and waits for its block. Ownership goes back
    /// to the seller when the buyer still holds the item as the sale left it.
    pub async fn order_refund(
        &self,
        tx: SignedTransaction,
        timeout: Duration,
    ) -> Result<RefundReceipt, MarketError> {
        let market = self;
        let kind = tx.tx.payload.kind();
        let Payload::RefundOrder { order, reason } = tx.tx.payload.clone() else {
            return Err(MarketError::WrongKind {
                method: "order_refund",
                expected: "refund_order",
                got: kind,
            });
        };
        tx.check_stateless(&self.engine.chain_id())
            .map_err(MarketError::Rejected)?;
        let signer = self
            .engine
            .account(&tx.tx.signer)?
            .ok_or(MarketError::Rejected(Rejection::UnknownSigner {
                signer: tx.tx.signer,
            }))?;
        if signer.status != AccountStatus::Active {
            return Err(MarketError::Rejected(Rejection::SignerNotActive {
                status: signer.status,
            }));
        }
        if !matches!(signer.role, Role::Admin | Role::Operator) {
            return Err(MarketError::Rejected(Rejection::unauthorized(
                "refunding an order",
                "an operator or an admin",
            )));
        }
        if tx.tx.nonce < signer.nonce {
            return Err(MarketError::Rejected(Rejection::NonceReplayed {
                expected: signer.nonce,
                got: tx.tx.nonce,
            }));
        }
        self.engine.sync_with_leader().await?;
        let record = market.ledger_order(order)?.ok_or(MarketError::NotFound {
            kind: "order",
            id: order,
        })?;
        let payment = match (&record.status, &record.payment) {
            (OrderStatus::Paid, Some(payment)) => payment.clone(),
            _ => {
                return Err(MarketError::RefundRefused {
                    order,
                    reason: format!(
                        "only a paid order can be refunded; it is {:?}",
                        record.status
                    )
                    .to_lowercase(),
                })
            }
        };
        let item: Option<Item> = match self.engine.store().get(&keys::item(record.item))? {
            Some(bytes) => Some(decode_record("item", &bytes)?),
            None => None,
        };
        let unmoved = item.is_some_and(|item| {
            item.owner == record.buyer
                && item.owner_since == payment.settled
                && (item.lock == ItemLock::Free || item.lock == ItemLock::Refund(order))
        });
        let approved = match self.engine.store().get(&keys::refund_request(order))? {
            Some(bytes) => {
                let request: RefundRequest = decode_record("refund request", &bytes)?;
                request.status == RefundRequestStatus::Approved
            }
            None => false,
        };
        if !unmoved && !approved && signer.role != Role::Admin {
            return Err(MarketError::RefundRefused {
                order,
                reason: "the item has moved since the sale; only an admin may refund it".into(),
            });
        }
        let provider_payment = market
            .cancel_payment(
                &payment.provider,
                &payment.payment_key,
                &reason,
                format!("refund-{}", market.order_ref(order)),
            )
            .await
            .map_err(|error| match error {
                MarketError::Provider(PaymentError::Refused { code, message, .. })
                    if code == "OTHER_PROVIDER" =>
                {
                    MarketError::RefundRefused {
                        order,
                        reason: message,
                    }
                }
                other => other,
            })?;
        tracing::info!(target: "market", order, payment_key = %payment.payment_key, "payment cancelled at the provider for a refund");
        let hash = self.engine.accept_transaction(tx).map_err(|error| {
            tracing::error!(target: "market", order, %error, "payment refunded at the provider, refund transaction refused");
            MarketError::RefundIncomplete {
                order,
                reason: error.to_string(),
            }
        })?;
        let status = self.engine.wait_for_transaction(&hash, timeout).await?;
        if let TxStatus::Rejected { rejection, .. } = &status {
            tracing::error!(target: "market", order, %rejection, "payment refunded at the provider, refund refused by the ledger");
            return Err(MarketError::RefundIncomplete {
                order,
                reason: rejection.to_string(),
            });
        }
        Ok(RefundReceipt {
            hash,
            status,
            provider_payment,
            order: market.order(order)?,
        })
    }
}
