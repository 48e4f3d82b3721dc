//! Orders and payments: escrow, provider-confirmed settlement, expiry and refunds.
//!
//! An order reserves its item (`ItemLock::Order`). Settlement moves ownership to the
//! buyer in the same transaction that records the payment, so a buyer is never charged
//! for an item that then goes to someone else. An unpaid raffle prize passes to the
//! next runner-up; an unpaid listing goes back on sale.

use super::{catalog, raffles, require_role, Exec, TxResult};
use crate::block::Effect;
use crate::crypto::PublicKey;
use crate::error::{LedgerError, LedgerResult, Rejection};
use crate::state::{keys, StateView};
use crate::types::{
    Account, AccountStatus, Acquisition, Item, ItemLock, Order, OrderSource, OrderStatus,
    PaymentRecord, Raffle, RefundRecord, RefundRequest, RefundRequestStatus, Role, TxRef,
};

/// What the payment provider confirmed.
pub(super) struct Confirmation<'a> {
    pub(super) provider: &'a str,
    pub(super) payment_key: &'a str,
    pub(super) event_id: &'a str,
    pub(super) amount: u64,
}

fn rule(order: &Order, reason: impl Into<String>) -> Rejection {
    Rejection::OrderRule {
        order: order.id,
        status: order.status,
        reason: reason.into(),
    }
}

/// Creates an order and reserves its item. The caller checked the rules.
fn open_order<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    item: &mut Item,
    buyer: PublicKey,
    amount: u64,
    source: OrderSource,
    payment_window_ms: u64,
    tx_ref: TxRef,
) -> LedgerResult<u64> {
    let mut counters = exec.counters()?;
    let order_id = counters.next_order;
    counters.next_order += 1;
    exec.put_counters(&counters);
    let order = Order {
        id: order_id,
        item: item.id,
        buyer,
        seller: item.owner,
        amount,
        source,
        status: OrderStatus::Pending,
        created: tx_ref,
        expires_at_ms: exec.time_ms.saturating_add(payment_window_ms),
        payment: None,
        refund: None,
        closed_reason: None,
    };
    exec.write(keys::order(order_id), &order);
    exec.write(keys::account_order(&buyer, order_id), &());
    exec.write(keys::account_order(&item.owner, order_id), &());
    item.lock = ItemLock::Order(order_id);
    item.listing_price = None;
    exec.write(keys::item(item.id), item);
    Ok(order_id)
}

/// A winner's (or runner-up's) order for a raffle prize.
pub(super) fn open_raffle_order<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    raffle: &Raffle,
    item_id: u64,
    buyer: PublicKey,
    tx_ref: TxRef,
) -> LedgerResult<u64> {
    let mut item: Item = exec
        .read("item", &keys::item(item_id))?
        .ok_or_else(|| corrupt("a raffle prize is missing"))?;
    open_order(
        exec,
        &mut item,
        buyer,
        raffle.spec.price,
        OrderSource::Raffle { raffle: raffle.id },
        raffle.spec.payment_window_ms,
        tx_ref,
    )
}

fn corrupt(reason: &str) -> LedgerError {
    LedgerError::Corrupt {
        what: "order",
        reason: reason.to_owned(),
    }
}

/// Frees an escrowed item; it stays with its owner.
pub(super) fn release_item<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    item_id: u64,
) -> LedgerResult<()> {
    let mut item: Item = exec
        .read("item", &keys::item(item_id))?
        .ok_or_else(|| corrupt("an escrowed item is missing"))?;
    item.lock = ItemLock::Free;
    exec.write(keys::item(item_id), &item);
    Ok(())
}

/// A buyer orders a listed item at its asking price.
pub(super) fn create_order<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    item_id: u64,
    tx_ref: TxRef,
) -> TxResult<Effect> {
    require_role(signer, "ordering", &[Role::Member])?;
    let mut item: Item = exec.record("item", &keys::item(item_id), item_id)?;
    if item.lock != ItemLock::Free {
        return Err(Rejection::ItemLocked {
            item: item_id,
            lock: item.lock,
        }
        .into());
    }
    let Some(price) = item.listing_price else {
        return Err(Rejection::NotListed { item: item_id }.into());
    };
    if item.owner == signer.key {
        return Err(Rejection::invalid("item", "the buyer already owns it").into());
    }
    let window = exec.params.order_payment_window_ms;
    let order = open_order(
        exec,
        &mut item,
        signer.key,
        price,
        OrderSource::Listing,
        window,
        tx_ref,
    )?;
    Ok(Effect::OrderCreated { order })
}

/// An operator records the provider's confirmation: the order is paid and the item
/// moves to the buyer, in this one transaction.
pub(super) fn settle_payment<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    order_id: u64,
    confirmation: Confirmation<'_>,
    tx_ref: TxRef,
) -> TxResult<Effect> {
    require_role(signer, "settling a payment", &[Role::Operator])?;
    let event_key = keys::payment_event(confirmation.provider, confirmation.event_id);
    if let Some(order) = exec.read::<u64>("payment event", &event_key)? {
        return Err(Rejection::PaymentEventReused {
            event_id: confirmation.event_id.to_owned(),
            order,
        }
        .into());
    }
    let mut order: Order = exec.record("order", &keys::order(order_id), order_id)?;
    if order.status != OrderStatus::Pending {
        return Err(rule(&order, "only a pending order can be paid").into());
    }
    if confirmation.amount != order.amount {
        return Err(Rejection::AmountMismatch {
            expected: order.amount,
            got: confirmation.amount,
        }
        .into());
    }
    let mut item: Item = exec
        .read("item", &keys::item(order.item))?
        .ok_or_else(|| corrupt("an ordered item is missing"))?;
    if item.lock != ItemLock::Order(order_id) {
        return Err(corrupt("a pending order's item is not reserved for it").into());
    }
    item.lock = ItemLock::Free;
    catalog::move_item(
        exec,
        &mut item,
        order.buyer,
        Acquisition::Purchased(order_id),
        tx_ref,
    );
    order.status = OrderStatus::Paid;
    order.payment = Some(PaymentRecord {
        provider: confirmation.provider.to_owned(),
        payment_key: confirmation.payment_key.to_owned(),
        event_id: confirmation.event_id.to_owned(),
        amount: confirmation.amount,
        settled: tx_ref,
    });
    exec.write(keys::order(order_id), &order);
    exec.write(event_key, &order_id);
    Ok(Effect::Done)
}

/// Closes a pending order and hands its item on: to the next runner-up of its raffle,
/// or back to its owner (and, for a listing, back on sale at the same price).
fn close_order<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    mut order: Order,
    status: OrderStatus,
    reason: &str,
    tx_ref: TxRef,
) -> LedgerResult<Option<u64>> {
    debug_assert_eq!(order.status, OrderStatus::Pending);
    order.status = status;
    order.closed_reason = Some(reason.to_owned());
    exec.write(keys::order(order.id), &order);

    if let Some(raffle_id) = raffles::source_raffle(order.source) {
        let mut raffle: Raffle = exec
            .read("raffle", &keys::raffle(raffle_id))?
            .ok_or_else(|| corrupt("an order's raffle is missing"))?;
        let runners_up = raffle
            .result
            .as_ref()
            .map(|r| r.runners_up.clone())
            .unwrap_or_default();
        while (raffle.runners_up_used as usize) < runners_up.len() {
            let next = runners_up[raffle.runners_up_used as usize];
            raffle.runners_up_used += 1;
            let active = exec
                .account(&next)?
                .is_some_and(|a| a.status == AccountStatus::Active);
            if active {
                let next_order = open_raffle_order(exec, &raffle, order.item, next, tx_ref)?;
                exec.write(keys::raffle(raffle_id), &raffle);
                return Ok(Some(next_order));
            }
        }
        exec.write(keys::raffle(raffle_id), &raffle);
        release_item(exec, order.item)?;
        return Ok(None);
    }
    let mut item: Item = exec
        .read("item", &keys::item(order.item))?
        .ok_or_else(|| corrupt("an ordered item is missing"))?;
    item.lock = ItemLock::Free;
    item.listing_price = Some(order.amount);
    exec.write(keys::item(item.id), &item);
    Ok(None)
}

fn pending_order<V: StateView + ?Sized>(exec: &Exec<'_, V>, order_id: u64) -> TxResult<Order> {
    let order: Order = exec.record("order", &keys::order(order_id), order_id)?;
    if order.status != OrderStatus::Pending {
        return Err(rule(&order, "the order is no longer pending").into());
    }
    Ok(order)
}

/// The buyer, or an operator (for example after a failed payment), cancels a pending order.
pub(super) fn cancel_order<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    order_id: u64,
    reason: &str,
    tx_ref: TxRef,
) -> TxResult<Effect> {
    let order = pending_order(exec, order_id)?;
    if order.buyer != signer.key {
        require_role(
            signer,
            "cancelling another member's order",
            &[Role::Operator, Role::Admin],
        )?;
    }
    let next_order = close_order(exec, order, OrderStatus::Cancelled, reason, tx_ref)?;
    Ok(Effect::OrderClosed {
        order: order_id,
        next_order,
    })
}

/// Anyone expires a pending order whose payment window has passed.
pub(super) fn expire_order<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    order_id: u64,
    tx_ref: TxRef,
) -> TxResult<Effect> {
    let order = pending_order(exec, order_id)?;
    if exec.time_ms <= order.expires_at_ms {
        return Err(rule(
            &order,
            format!("payment is open until {} ms", order.expires_at_ms),
        )
        .into());
    }
    let next_order = close_order(
        exec,
        order,
        OrderStatus::Expired,
        "not paid in time",
        tx_ref,
    )?;
    Ok(Effect::OrderClosed {
        order: order_id,
        next_order,
    })
}

/// Closes `order_id` if it is a pending order of `buyer` (used on withdrawal).
pub(super) fn close_if_pending_for_buyer<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    order_id: u64,
    buyer: &PublicKey,
    reason: &str,
    tx_ref: TxRef,
) -> LedgerResult<()> {
    let order: Order = exec
        .read("order", &keys::order(order_id))?
        .ok_or_else(|| corrupt("an indexed order is missing"))?;
    if order.status == OrderStatus::Pending && order.buyer == *buyer {
        close_order(exec, order, OrderStatus::Cancelled, reason, tx_ref)?;
    }
    Ok(())
}

/// An operator or admin refunds a paid order. Ownership goes back to the seller when
/// the buyer still holds the item exactly as the settlement left it; otherwise only an
/// admin may refund, and ownership stays where it is.
pub(super) fn refund_order<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    order_id: u64,
    reason: &str,
    tx_ref: TxRef,
) -> TxResult<Effect> {
    require_role(signer, "refunding an order", &[Role::Operator, Role::Admin])?;
    let mut order: Order = exec.record("order", &keys::order(order_id), order_id)?;
    let mut request: Option<RefundRequest> =
        exec.read("refund request", &keys::refund_request(order_id))?;
    let Some(payment) = order
        .payment
        .clone()
        .filter(|_| order.status == OrderStatus::Paid)
    else {
        return Err(rule(&order, "only a paid order can be refunded").into());
    };
    let mut item: Item = exec
        .read("item", &keys::item(order.item))?
        .ok_or_else(|| corrupt("an ordered item is missing"))?;
    let unmoved = item.owner == order.buyer
        && item.owner_since == payment.settled
        && (item.lock == ItemLock::Free || item.lock == ItemLock::Refund(order_id));
    // An approved request was checked when it was decided: a moved piece only by an
    // admin, so the operator may carry it out.
    let approved = request
        .as_ref()
        .is_some_and(|r| r.status == RefundRequestStatus::Approved);
    if unmoved {
        item.lock = ItemLock::Free;
        catalog::move_item(
            exec,
            &mut item,
            order.seller,
            Acquisition::Refunded(order_id),
            tx_ref,
        );
    } else if signer.role != Role::Admin && !approved {
        return Err(rule(
            &order,
            "the item has moved since the sale; only an admin may refund it",
        )
        .into());
    }
    order.status = OrderStatus::Refunded;
    order.refund = Some(RefundRecord {
        amount: payment.amount,
        reason: reason.to_owned(),
        ownership_reversed: unmoved,
        refunded: tx_ref,
    });
    exec.write(keys::order(order_id), &order);
    if let Some(request) = request.as_mut() {
        if matches!(
            request.status,
            RefundRequestStatus::Requested | RefundRequestStatus::Approved
        ) {
            if request.decided.is_none() {
                // Refunded straight away by an admin or operator: that is the decision.
                request.decided_by = Some(signer.key);
                request.decided = Some(tx_ref);
            }
            request.status = RefundRequestStatus::Refunded;
            exec.write(keys::refund_request(order_id), &*request);
            exec.state.delete(keys::refund_open(order_id));
        }
    }
    Ok(Effect::Done)
}

/// The buyer of a paid order asks for its refund (once per order). A piece the buyer
/// still holds as the sale left it is taken off sale and locked until the decision, so
/// that approving gives it back to the seller.
pub(super) fn request_refund<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    order_id: u64,
    reason: &str,
    tx_ref: TxRef,
) -> TxResult<Effect> {
    let order: Order = exec.record("order", &keys::order(order_id), order_id)?;
    if order.buyer != signer.key {
        return Err(Rejection::unauthorized("requesting a refund", "the order's buyer").into());
    }
    let Some(payment) = order
        .payment
        .clone()
        .filter(|_| order.status == OrderStatus::Paid)
    else {
        return Err(rule(&order, "only a paid order can be refunded").into());
    };
    if exec
        .read::<RefundRequest>("refund request", &keys::refund_request(order_id))?
        .is_some()
    {
        return Err(rule(&order, "a refund was already requested for this order").into());
    }
    let mut item: Item = exec
        .read("item", &keys::item(order.item))?
        .ok_or_else(|| corrupt("an ordered item is missing"))?;
    let item_locked = item.owner == order.buyer
        && item.owner_since == payment.settled
        && item.lock == ItemLock::Free;
    if item_locked {
        item.lock = ItemLock::Refund(order_id);
        item.listing_price = None;
        exec.write(keys::item(item.id), &item);
    }
    let request = RefundRequest {
        order: order_id,
        reason: reason.to_owned(),
        requested: tx_ref,
        status: RefundRequestStatus::Requested,
        item_locked,
        decided_by: None,
        note: None,
        decided: None,
    };
    exec.write(keys::refund_request(order_id), &request);
    exec.write(keys::refund_open(order_id), &());
    Ok(Effect::Done)
}

/// The order's seller or an admin decides a refund request. A refusal frees the piece;
/// an approval is carried out by the operator (`RefundOrder` after the provider
/// refunded the payment). Only an admin may approve when the piece has moved since the
/// sale, since it then stays where it is and the seller gets nothing back.
pub(super) fn decide_refund<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    order_id: u64,
    approve: bool,
    note: &str,
    tx_ref: TxRef,
) -> TxResult<Effect> {
    let order: Order = exec.record("order", &keys::order(order_id), order_id)?;
    if order.seller != signer.key {
        require_role(signer, "deciding another seller's refund", &[Role::Admin])?;
    }
    let Some(mut request) = exec
        .read::<RefundRequest>("refund request", &keys::refund_request(order_id))?
        .filter(|r| r.status == RefundRequestStatus::Requested)
    else {
        return Err(rule(&order, "no refund request of this order awaits a decision").into());
    };
    if order.status != OrderStatus::Paid {
        return Err(corrupt("an open refund request's order is not paid").into());
    }
    if approve && !request.item_locked && signer.role != Role::Admin {
        return Err(rule(
            &order,
            "the item has moved since the sale; only an admin may approve its refund",
        )
        .into());
    }
    request.decided_by = Some(signer.key);
    request.note = Some(note.to_owned()).filter(|n| !n.is_empty());
    request.decided = Some(tx_ref);
    if approve {
        request.status = RefundRequestStatus::Approved;
    } else {
        request.status = RefundRequestStatus::Refused;
        exec.state.delete(keys::refund_open(order_id));
        if request.item_locked {
            let mut item: Item = exec
                .read("item", &keys::item(order.item))?
                .ok_or_else(|| corrupt("an ordered item is missing"))?;
            if item.lock == ItemLock::Refund(order_id) {
                item.lock = ItemLock::Free;
                exec.write(keys::item(item.id), &item);
            }
        }
    }
    exec.write(keys::refund_request(order_id), &request);
    Ok(Effect::Done)
}

/// The open refund requests (requested or approved), in order id order, with their
/// orders: what the operator carries out and the admins' console lists. Read from the
/// `keys::refund_open` index, so the cost is the requests open, not every order.
pub fn open_refund_requests<V: StateView + ?Sized>(
    state: &V,
) -> LedgerResult<Vec<(Order, RefundRequest)>> {
    let mut out = Vec::new();
    for (key, _) in state.scan_prefix(&keys::refunds_open_prefix())? {
        let Some(id) = keys::trailing_u64(&key) else {
            continue;
        };
        let read = |key: Vec<u8>, what: &'static str| -> LedgerResult<Vec<u8>> {
            state.get(&key)?.ok_or_else(|| LedgerError::Corrupt {
                what,
                reason: format!("refund of order {id} is indexed but has no record"),
            })
        };
        let order = crate::state::decode_record("order", &read(keys::order(id), "order")?)?;
        let request = crate::state::decode_record(
            "refund request",
            &read(keys::refund_request(id), "refund request")?,
        )?;
        out.push((order, request));
    }
    Ok(out)
}
