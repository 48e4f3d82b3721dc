//! `CancelRaffle`: the seller calls a raffle off before entry closes.

use super::*;
use crate::types::RaffleCancellation;

#[test]
fn the_seller_cancels_an_open_raffle_and_the_prizes_come_back() {
    let mut fx = Fixture::new();
    let (seller, alice, bob) = (fx.seller.clone(), fx.alice.clone(), fx.bob.clone());
    let items = fx.register_items(&seller, &["C-1", "C-2"], true);
    let c = fx.next_height();
    let raffle = fx.create_raffle(
        &seller,
        raffle_spec(items.clone(), heights(c + 1, c + 50), &secret("s")),
    );
    fx.enter_all(raffle, &[&alice, &bob]);
    let reason = "입고 지연 (stock delayed)".to_owned();
    assert_eq!(
        fx.ok(
            &seller,
            Payload::CancelRaffle {
                raffle,
                reason: reason.clone(),
            },
        ),
        Effect::Done
    );
    let record = fx.raffle(raffle);
    assert_eq!(record.status, RaffleStatus::Cancelled);
    assert_eq!(record.entry_count, 2, "the entries stay, for the entrants");
    assert_eq!(
        fx.get::<RaffleCancellation>(&keys::raffle_cancellation(raffle)),
        Some(RaffleCancellation {
            reason,
            cancelled: fx.last_ref(0),
        })
    );
    assert_eq!(fx.get::<()>(&keys::pending_close(raffle)), None);
    assert_eq!(fx.get::<()>(&keys::raffle_awaiting(raffle)), None);
    for item in &items {
        let record = fx.item(*item);
        assert_eq!(record.lock, ItemLock::Free, "the prize is released");
        assert_eq!(record.owner, seller.public());
    }
    // Nothing closes it later, nothing can draw or enter it, and the pieces can be
    // raffled again.
    fx.advance_to(c + 60);
    assert_eq!(fx.raffle(raffle).status, RaffleStatus::Cancelled);
    let operator = fx.operator.clone();
    let r = fx.reject(&operator, Payload::DrawRaffle { raffle });
    assert!(
        raffle_rule(&r, raffle, RaffleStatus::Cancelled, "cancelled"),
        "{r:?}"
    );
    let carol = fx.carol.clone();
    let r = fx.reject(&carol, Payload::EnterRaffle { raffle });
    assert!(
        raffle_rule(&r, raffle, RaffleStatus::Cancelled, "cancelled"),
        "{r:?}"
    );
    let c = fx.next_height();
    fx.create_raffle(
        &seller,
        raffle_spec(items, heights(c + 1, c + 5), &secret("t")),
    );
    // A cancellation is not a missed reveal: the seller's standing is untouched.
    let account = fx.account(&seller);
    assert_eq!(account.missed_reveals, 0);
}

#[test]
fn cancel_raffle_rejections() {
    let mut fx = Fixture::new();
    let (seller, seller2, alice, admin) = (
        fx.seller.clone(),
        fx.seller2.clone(),
        fx.alice.clone(),
        fx.admin.clone(),
    );
    let items = fx.register_items(&seller, &["X-1", "X-2"], false);
    let c = fx.next_height();
    let raffle = fx.create_raffle(
        &seller,
        // Long enough for the refusals below, each in a block of its own.
        raffle_spec(vec![items[0]], heights(c + 1, c + 20), &secret("s")),
    );
    let cancel = |reason: &str| Payload::CancelRaffle {
        raffle,
        reason: reason.to_owned(),
    };
    // Only the raffle's seller: not another seller, an entrant or an admin.
    for signer in [&seller2, &alice, &admin] {
        let r = fx.reject(signer, cancel("not mine"));
        assert!(unauthorized(&r), "{r:?}");
    }
    // A reason the entrants can read: 1 to 200 characters, checked before state.
    for reason in ["".to_owned(), "가".repeat(201)] {
        let r = fx.reject(&seller, cancel(&reason));
        assert!(invalid_field(&r, "reason"), "{r:?}");
    }
    fx.expect(
        &seller,
        Payload::CancelRaffle {
            raffle: 99,
            reason: "no such raffle".into(),
        },
        unknown("raffle", 99),
    );
    // Once entry closed, the seed's inputs are in play: too late.
    fx.close_only(raffle);
    let r = fx.reject(&seller, cancel("too late"));
    assert!(
        raffle_rule(&r, raffle, RaffleStatus::Closed, "only before its close"),
        "{r:?}"
    );
    // A cancelled raffle cannot be cancelled again.
    let c = fx.next_height();
    let second = fx.create_raffle(
        &seller,
        raffle_spec(vec![items[1]], heights(c + 1, c + 40), &secret("s")),
    );
    let again = Payload::CancelRaffle {
        raffle: second,
        reason: "first".into(),
    };
    fx.ok(&seller, again.clone());
    let r = fx.reject(&seller, again);
    assert!(
        raffle_rule(&r, second, RaffleStatus::Cancelled, "already cancelled"),
        "{r:?}"
    );
}

#[test]
fn a_window_over_by_height_is_too_late_even_before_the_closing_block() {
    let mut fx = Fixture::new();
    let seller = fx.seller.clone();
    let item = fx.register_items(&seller, &["W-1"], false)[0];
    let c = fx.next_height();
    let raffle = fx.create_raffle(
        &seller,
        raffle_spec(vec![item], heights(c + 1, c + 3), &secret("s")),
    );
    // The next block is at the close height: entries are over in it, though the raffle
    // is closed only by the block after (its parent reaches the window).
    fx.advance_to(c + 3);
    assert_eq!(fx.raffle(raffle).status, RaffleStatus::Open);
    let r = fx.reject(
        &seller,
        Payload::CancelRaffle {
            raffle,
            reason: "late".into(),
        },
    );
    assert!(
        raffle_rule(&r, raffle, RaffleStatus::Open, "only before its close"),
        "{r:?}"
    );
}
