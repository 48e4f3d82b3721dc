//! Buyers' refund requests and their decisions (issue 24): who may ask and decide, the
//! piece locked while a request is open, and the operator carrying out an approval once.

use super::*;
use crate::exec::open_refund_requests;
use crate::types::{RefundRequest, RefundRequestStatus};

fn request(order: u64, reason: &str) -> Payload {
    Payload::RequestRefund {
        order,
        reason: reason.into(),
    }
}

fn decide(order: u64, approve: bool, note: &str) -> Payload {
    Payload::DecideRefund {
        order,
        approve,
        note: note.into(),
    }
}

fn refund(order: u64) -> Payload {
    Payload::RefundOrder {
        order,
        reason: "refund approved".into(),
    }
}

impl Fixture {
    fn refund_request(&self, order: u64) -> RefundRequest {
        self.get(&keys::refund_request(order))
            .expect("a refund request")
    }

    fn open_refunds(&self) -> Vec<u64> {
        open_refund_requests(self.chain.store())
            .unwrap()
            .into_iter()
            .map(|(order, _)| order.id)
            .collect()
    }
}

#[test]
fn a_buyer_requests_the_seller_approves_and_the_operator_refunds_once() {
    let mut fx = Fixture::new();
    let (seller, alice, bob, operator) = (
        fx.seller.clone(),
        fx.alice.clone(),
        fx.bob.clone(),
        fx.operator.clone(),
    );
    let (item, order) = fx.bought_item(&seller, &alice, "R-1");
    // Listed for resale: the request takes it off sale.
    fx.ok(
        &alice,
        Payload::ListItem {
            item,
            price: Some(200_000),
        },
    );
    // Only the buyer may ask.
    let r = fx.reject(&bob, request(order, "not mine"));
    assert!(matches!(r, Rejection::Unauthorized { .. }), "{r:?}");
    fx.expect(&alice, request(99, "x"), unknown("order", 99));
    // Nothing to decide before a request.
    let r = fx.reject(&seller, decide(order, true, ""));
    assert!(order_rule(&r, order, OrderStatus::Paid), "{r:?}");

    fx.ok(&alice, request(order, "arrived scratched"));
    let requested = fx.last_ref(0);
    let record = fx.refund_request(order);
    assert_eq!(record.status, RefundRequestStatus::Requested);
    assert_eq!(record.reason, "arrived scratched");
    assert_eq!(record.requested, requested);
    assert!(record.item_locked);
    assert_eq!(fx.item(item).lock, ItemLock::Refund(order));
    assert_eq!(fx.item(item).listing_price, None);
    assert_eq!(fx.open_refunds(), vec![order]);
    // Once per order; the locked piece cannot be moved or listed.
    let r = fx.reject(&alice, request(order, "again"));
    assert!(order_rule(&r, order, OrderStatus::Paid), "{r:?}");
    let r = fx.reject(
        &alice,
        Payload::TransferItem {
            item,
            to: bob.public(),
        },
    );
    assert!(matches!(r, Rejection::ItemLocked { .. }), "{r:?}");
    // Neither another member nor the buyer decides.
    let r = fx.reject(&bob, decide(order, true, ""));
    assert!(matches!(r, Rejection::Unauthorized { .. }), "{r:?}");
    let r = fx.reject(&alice, decide(order, true, ""));
    assert!(matches!(r, Rejection::Unauthorized { .. }), "{r:?}");

    fx.ok(&seller, decide(order, true, "sorry"));
    let decided = fx.last_ref(0);
    let record = fx.refund_request(order);
    assert_eq!(record.status, RefundRequestStatus::Approved);
    assert_eq!(record.decided_by, Some(seller.public()));
    assert_eq!(record.note.as_deref(), Some("sorry"));
    assert_eq!(record.decided, Some(decided));
    // Approval moves nothing yet: the money has not gone back.
    assert_eq!(fx.order(order).status, OrderStatus::Paid);
    assert_eq!(fx.item(item).owner, alice.public());
    assert_eq!(fx.open_refunds(), vec![order]);
    let r = fx.reject(&seller, decide(order, false, "changed my mind"));
    assert!(order_rule(&r, order, OrderStatus::Paid), "{r:?}");

    // The operator records the refund after the provider made it.
    fx.ok(&operator, refund(order));
    let refunded = fx.last_ref(0);
    assert_eq!(fx.order(order).status, OrderStatus::Refunded);
    let item_record = fx.item(item);
    assert_eq!(item_record.owner, seller.public());
    assert_eq!(item_record.lock, ItemLock::Free);
    let record = fx.refund_request(order);
    assert_eq!(record.status, RefundRequestStatus::Refunded);
    assert_eq!(record.decided, Some(decided));
    assert!(fx.open_refunds().is_empty());
    assert_eq!(fx.order(order).refund.map(|r| r.refunded), Some(refunded));
    // Once.
    let r = fx.reject(&operator, refund(order));
    assert!(order_rule(&r, order, OrderStatus::Refunded), "{r:?}");
    let r = fx.reject(&alice, request(order, "more"));
    assert!(order_rule(&r, order, OrderStatus::Refunded), "{r:?}");
}

#[test]
fn a_refusal_frees_the_piece_and_closes_the_request() {
    let mut fx = Fixture::new();
    let (seller, alice, bob, operator) = (
        fx.seller.clone(),
        fx.alice.clone(),
        fx.bob.clone(),
        fx.operator.clone(),
    );
    let (item, order) = fx.bought_item(&seller, &alice, "R-2");
    fx.ok(&alice, request(order, "changed my mind"));
    fx.ok(
        &seller,
        decide(order, false, "no returns on limited pieces"),
    );
    let record = fx.refund_request(order);
    assert_eq!(record.status, RefundRequestStatus::Refused);
    assert_eq!(record.note.as_deref(), Some("no returns on limited pieces"));
    assert_eq!(fx.item(item).lock, ItemLock::Free);
    assert!(fx.open_refunds().is_empty());
    assert_eq!(fx.order(order).status, OrderStatus::Paid);
    // Decided once; the buyer may trade the piece again.
    let r = fx.reject(&seller, decide(order, true, ""));
    assert!(order_rule(&r, order, OrderStatus::Paid), "{r:?}");
    fx.ok(
        &alice,
        Payload::TransferItem {
            item,
            to: bob.public(),
        },
    );
    // An operator may not carry out a refused request; an admin may still refund.
    let r = fx.reject(&operator, refund(order));
    assert!(order_rule(&r, order, OrderStatus::Paid), "{r:?}");
    let admin = fx.admin.clone();
    fx.ok(&admin, refund(order));
    // The refused request stays refused.
    assert_eq!(
        fx.refund_request(order).status,
        RefundRequestStatus::Refused
    );
}

#[test]
fn a_moved_piece_needs_an_admin_to_approve_and_stays_where_it_is() {
    let mut fx = Fixture::new();
    let (seller, alice, bob, operator, admin) = (
        fx.seller.clone(),
        fx.alice.clone(),
        fx.bob.clone(),
        fx.operator.clone(),
        fx.admin.clone(),
    );
    let (item, order) = fx.bought_item(&seller, &alice, "R-3");
    fx.ok(
        &alice,
        Payload::TransferItem {
            item,
            to: bob.public(),
        },
    );
    fx.ok(&alice, request(order, "never arrived"));
    assert!(!fx.refund_request(order).item_locked);
    assert_eq!(fx.item(item).lock, ItemLock::Free);
    let r = fx.reject(&seller, decide(order, true, ""));
    assert!(
        matches!(&r, Rejection::OrderRule { reason, .. } if reason.contains("only an admin")),
        "{r:?}"
    );
    fx.ok(&admin, decide(order, true, "goodwill"));
    // The operator carries out an admin's approval although the piece moved.
    fx.ok(&operator, refund(order));
    let record = fx.order(order);
    assert_eq!(record.status, OrderStatus::Refunded);
    assert!(!record.refund.unwrap().ownership_reversed);
    assert_eq!(fx.item(item).owner, bob.public());
    assert_eq!(
        fx.refund_request(order).status,
        RefundRequestStatus::Refunded
    );
}

#[test]
fn an_unpaid_order_cannot_be_refunded_and_an_admin_refund_closes_a_request() {
    let mut fx = Fixture::new();
    let (seller, alice, admin) = (fx.seller.clone(), fx.alice.clone(), fx.admin.clone());
    let item = fx.listed_item(&seller, "R-4");
    let pending = fx.order_item(&alice, item);
    let r = fx.reject(&alice, request(pending, "x"));
    assert!(order_rule(&r, pending, OrderStatus::Pending), "{r:?}");
    // Reasons are bounded; notes may be empty but not long.
    let (_, order) = fx.bought_item(&seller, &alice, "R-5");
    let r = fx.reject(&alice, request(order, ""));
    assert!(matches!(r, Rejection::InvalidField { .. }), "{r:?}");
    fx.ok(&alice, request(order, "late"));
    let r = fx.reject(&seller, decide(order, false, &"n".repeat(501)));
    assert!(matches!(r, Rejection::InvalidField { .. }), "{r:?}");
    // An admin refunding directly decides the request.
    fx.ok(&admin, refund(order));
    let record = fx.refund_request(order);
    assert_eq!(record.status, RefundRequestStatus::Refunded);
    assert_eq!(record.decided_by, Some(admin.public()));
    assert!(fx.open_refunds().is_empty());
}
