//! The leader's chores: expire unpaid orders, draw raffles that are ready.
//!
//! - An order still pending after its `expires_at_ms` is expired (`ExpireOrder`, which
//!   anyone may sign): a raffle prize passes to the next runner-up, a listing goes back
//!   on sale.
//! - Every validator (leader or not) contributes its VRF proof to each closed raffle
//!   whose contributor set names it (`ContributeRaffleRandomness`): the validators'
//!   part of the seed.
//! - A closed raffle is drawn (`DrawRaffle`) once the seller revealed the secret, or
//!   once a deadline passed (a contribution or the reveal missing), when the same
//!   transaction voids it (nothing is drawn or charged, the prizes go back to the
//!   seller, the miss is recorded).
//! - A refund request the seller or an admin approved (`DecideRefund`) is carried
//!   out: the payment is cancelled at the provider (idempotency key `refund-<order>`,
//!   the same as `order_refund`'s, so the provider refunds once whichever path runs
//!   and however often), then `RefundOrder` by this validator's operator key records
//!   it; the ledger refuses a second one. Read from the ledger's index of open requests.
//! - Windows close and deadlines pass only when blocks come: on an idle chain the
//!   leader proposes an empty block every few seconds for a raffle whose time window is
//!   over or which waits for a reveal, so that the closing block and the deadline come.
//! - A draw or expiry the ledger refused is not sent again until this validator's
//!   operator nonce has moved on.
//!
//! The raffle chores read the ledger's indexes of open raffles and of closed ones
//! awaiting their draw (`raffles_in_play`), never the whole raffle table.
//!
//! Only the leader does this, so validators do not race each other with the same
//! transactions; the ledger would refuse the duplicates anyway.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use truffle_ledger::draw::contribution_proof;
use truffle_ledger::exec::{open_refund_requests, raffles_in_play};
use truffle_ledger::state::{decode_record, keys, StateView};
use truffle_ledger::types::{
    Counters, EntryWindow, Order, OrderStatus, Raffle, RaffleStatus, RefundRequestStatus,
};
use truffle_ledger::Payload;

use super::settle::submit_operator;
use truffle_engine::TxStatus;

use super::Market;

/// Most orders expired in one round.
const MAX_EXPIRIES_PER_ROUND: usize = 50;
/// Least time between two attempts that only make a block come for a raffle.
const NUDGE_INTERVAL: Duration = Duration::from_secs(2);
/// Least time between two nudges while a raffle waits for its seller's reveal: on an
/// idle chain each reveal block then lasts this long.
const REVEAL_NUDGE_INTERVAL: Duration = Duration::from_secs(5);
/// Grace after `expires_at_ms` before expiring, so clocks a little apart agree.
const EXPIRY_GRACE_MS: u64 = 200;

/// Remembers where to start looking and when raffles were last nudged.
#[derive(Default)]
struct Chores {
    /// No order below this id is pending.
    first_open_order: u64,
    /// Last nudge per raffle.
    /// When each raffle was last nudged (the market clock's monotonic ms).
    nudged: HashMap<u64, u64>,
    /// Empty blocks proposed so far to move the chain's clock.
    nudges: u64,
    /// Encoded payloads the ledger refused, with the operator nonce they were signed at.
    refused: HashMap<Vec<u8>, u64>,
}

impl Chores {
    fn new() -> Chores {
        Chores::default()
    }
}

/// Submits a chore, unless the identical transaction was refused at the current nonce.
async fn chore_transaction(
    market: &Market,
    chores: &mut Chores,
    payload: Payload,
) -> Option<TxStatus> {
    let nonce = market
        .engine
        .next_nonce(&market.engine.key().public())
        .unwrap_or(0);
    let encoded = borsh::to_vec(&payload).expect("encoding to a Vec cannot fail");
    if chores.refused.get(&encoded) == Some(&nonce) {
        return None;
    }
    match submit_operator(market, payload).await {
        Ok(status) => {
            if matches!(status, TxStatus::Rejected { .. }) {
                chores.refused.insert(encoded, nonce);
            }
            Some(status)
        }
        Err(error) => {
            tracing::debug!(target: "market", %error, "chore not submitted");
            None
        }
    }
}

fn counters(market: &Market) -> Option<Counters> {
    let bytes = market.engine.store().get(&keys::counters()).ok()??;
    decode_record("counters", &bytes).ok()
}

async fn expire_orders(market: &Market, chores: &mut Chores) {
    let Some(counters) = counters(market) else {
        return;
    };
    let now = market.now_ms();
    let mut first_open = None;
    let mut expired = 0;
    for id in chores.first_open_order..counters.next_order {
        let order: Option<Order> = market
            .engine
            .store()
            .get(&keys::order(id))
            .ok()
            .flatten()
            .and_then(|bytes| decode_record("order", &bytes).ok());
        let Some(order) = order else { continue };
        if order.status != OrderStatus::Pending {
            continue;
        }
        first_open.get_or_insert(id);
        if now <= order.expires_at_ms.saturating_add(EXPIRY_GRACE_MS)
            || expired >= MAX_EXPIRIES_PER_ROUND
        {
            continue;
        }
        expired += 1;
        match chore_transaction(market, chores, Payload::ExpireOrder { order: id }).await {
            Some(TxStatus::Committed { effect, .. }) => {
                tracing::info!(target: "market", order = id, ?effect, "unpaid order expired")
            }
            Some(other) => {
                tracing::debug!(target: "market", order = id, ?other, "order not expired")
            }
            None => {}
        }
    }
    chores.first_open_order = first_open.unwrap_or(counters.next_order);
}

/// The open raffles and the closed ones awaiting their draw, from the ledger's two
/// indexes (drawn and void raffles are in neither): each tick reads only these.
fn in_play(market: &Market) -> Option<Vec<Raffle>> {
    match raffles_in_play(market.engine.store()) {
        Ok(raffles) => Some(raffles),
        Err(error) => {
            tracing::warn!(target: "market", %error, "raffle indexes unreadable");
            None
        }
    }
}

/// What to do about a raffle now.
enum RaffleChore {
    /// Draw it.
    Draw,
    /// Make a block come (the window is over or the reveal deadline is ahead).
    Nudge,
    /// Nothing.
    Wait,
}

fn chore(raffle: &Raffle, height: u64, head_time_ms: u64, now: u64) -> RaffleChore {
    match raffle.status {
        RaffleStatus::Drawn | RaffleStatus::Void | RaffleStatus::Cancelled => RaffleChore::Wait,
        RaffleStatus::Open => {
            let over_by_time = matches!(raffle.spec.window, EntryWindow::Times { closes_ms, .. } if now >= closes_ms);
            if over_by_time || raffle.spec.window.is_closed_at(height, head_time_ms) {
                RaffleChore::Nudge
            } else {
                RaffleChore::Wait
            }
        }
        RaffleStatus::Closed => {
            // Deadlines are past both a height and a block time; the next block comes
            // at about `now`.
            let next = (height + 1, now.max(head_time_ms));
            let Some(randomness) = &raffle.randomness else {
                return RaffleChore::Wait;
            };
            let due = match randomness.reveal_deadline {
                None => randomness.contribution_deadline.passed_at(next.0, next.1),
                Some(deadline) => {
                    raffle.revealed_secret.is_some() || deadline.passed_at(next.0, next.1)
                }
            };
            if due {
                RaffleChore::Draw
            } else {
                RaffleChore::Nudge
            }
        }
    }
}

async fn draw_raffles(market: &Market, chores: &mut Chores) {
    let Ok(Some(head)) = market.engine.store().head() else {
        return;
    };
    let Some(raffles) = in_play(market) else {
        return;
    };
    let now = market.now_ms();
    for raffle in raffles {
        let nudge_due = chores.nudged.get(&raffle.id).is_none_or(|at| {
            let interval = if raffle.status == RaffleStatus::Closed {
                REVEAL_NUDGE_INTERVAL
            } else {
                NUDGE_INTERVAL
            };
            market.engine.clock().monotonic_ms().saturating_sub(*at) >= interval.as_millis() as u64
        });
        match chore(&raffle, head.height, head.time_ms, now) {
            RaffleChore::Wait => {
                chores.nudged.remove(&raffle.id);
                continue;
            }
            RaffleChore::Nudge if !nudge_due => continue,
            RaffleChore::Nudge => {
                chores
                    .nudged
                    .insert(raffle.id, market.engine.clock().monotonic_ms());
                chores.nudges += 1;
                // An empty block: only its height and time matter.
                if let Err(error) = market.engine.propose_empty_block().await {
                    tracing::debug!(target: "market", %error, "empty block not proposed");
                }
            }
            RaffleChore::Draw => {
                let draw = Payload::DrawRaffle { raffle: raffle.id };
                match chore_transaction(market, chores, draw).await {
                    Some(TxStatus::Committed { effect, .. }) => {
                        tracing::info!(target: "market", raffle = raffle.id, ?effect, "raffle drawn")
                    }
                    Some(other) => {
                        tracing::debug!(target: "market", raffle = raffle.id, ?other, "raffle not drawn")
                    }
                    None => {}
                }
            }
        }
    }
}

/// This validator's contributions to closed raffles that name it and lack its part.
/// Each is sent until the ledger has it (a refused one is not re-sent at the same
/// operator nonce); the proof is deterministic, so a re-send is the same transaction.
async fn contribute_to_raffles(market: &Market, chores: &mut Chores) {
    let me = market.engine.key().public();
    let Ok(Some(head)) = market.engine.store().head() else {
        return;
    };
    let Some(raffles) = in_play(market) else {
        return;
    };
    let chain_id = market.engine.chain_id();
    for raffle in raffles {
        let (Some(closing), Some(randomness)) = (raffle.closing_block, &raffle.randomness) else {
            continue;
        };
        if raffle.status != RaffleStatus::Closed
            || !randomness.validators.contains(&me)
            || randomness.has_contributed(&me)
            || randomness
                .contribution_deadline
                .passed_at(head.height + 1, head.time_ms)
        {
            continue;
        }
        if market.withholds_contributions() {
            tracing::warn!(target: "market", raffle = raffle.id, "fault injection: withholding this validator's raffle contribution");
            continue;
        }
        let proof = contribution_proof(market.engine.key(), &chain_id, raffle.id, &closing.hash);
        let payload = Payload::ContributeRaffleRandomness {
            raffle: raffle.id,
            proof,
        };
        match chore_transaction(market, chores, payload).await {
            Some(TxStatus::Committed { .. }) => {
                tracing::info!(target: "market", raffle = raffle.id, "contributed to the raffle's seed")
            }
            Some(other) => {
                tracing::debug!(target: "market", raffle = raffle.id, ?other, "contribution not applied")
            }
            None => {}
        }
    }
}

/// Runs the chores every `housekeeping_interval_ms`: contributions on every validator,
/// the rest on the leader.
pub(crate) async fn housekeeping_loop(market: Arc<Market>) {
    let config = market.config().clone();
    let interval = Duration::from_millis(config.housekeeping_interval_ms.max(100));
    let mut chores = Chores::new();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = market.engine.stopping() => return,
        }
        if market
            .engine
            .validator_keys()
            .contains(&market.engine.key().public())
        {
            contribute_to_raffles(&market, &mut chores).await;
        }
        if !market.engine.is_leader() {
            continue;
        }
        if config.auto_expire_orders {
            expire_orders(&market, &mut chores).await;
        }
        if config.auto_draw_raffles {
            draw_raffles(&market, &mut chores).await;
        }
        refund_approved(&market, &mut chores).await;
    }
}

/// Most approved refunds carried out in one round.
const MAX_REFUNDS_PER_ROUND: usize = 20;

/// Carries out approved refund requests: the provider first, then the ledger.
async fn refund_approved(market: &Market, chores: &mut Chores) {
    if market.provider.is_none() {
        return;
    }
    let open = match open_refund_requests(market.engine.store()) {
        Ok(open) => open,
        Err(error) => {
            tracing::warn!(target: "market", %error, "open refunds unreadable");
            return;
        }
    };
    for (order, request) in open
        .into_iter()
        .filter(|(order, request)| {
            request.status == RefundRequestStatus::Approved && order.status == OrderStatus::Paid
        })
        .take(MAX_REFUNDS_PER_ROUND)
    {
        let Some(payment) = &order.payment else {
            continue;
        };
        let reason: String = format!("refund approved: {}", request.reason)
            .chars()
            .take(500)
            .collect();
        if let Err(error) = market
            .cancel_payment(
                &payment.provider,
                &payment.payment_key,
                &reason,
                format!("refund-{}", market.order_ref(order.id)),
            )
            .await
        {
            tracing::warn!(target: "market", order = order.id, %error, "approved refund not made at the provider; retrying");
            continue;
        }
        tracing::info!(target: "market", order = order.id, payment_key = %payment.payment_key, "payment refunded at the provider for an approved request");
        let status = chore_transaction(
            market,
            chores,
            Payload::RefundOrder {
                order: order.id,
                reason,
            },
        )
        .await;
        if let Some(TxStatus::Rejected { rejection, .. }) = status {
            tracing::error!(target: "market", order = order.id, %rejection, "payment refunded at the provider, refund refused by the ledger");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use truffle_ledger::types::{ClosingBlock, Deadline, RaffleRandomness, RaffleSpec, TxRef};
    use truffle_ledger::{Hash, Keypair};

    fn raffle(window: EntryWindow) -> Raffle {
        Raffle {
            id: 1,
            seller: Keypair::from_name("s").public(),
            spec: RaffleSpec {
                items: vec![1],
                window,
                price: 1000,
                runners_up: 0,
                min_age: None,
                seed_commitment: Hash::ZERO,
                reveal_blocks: 3,
                payment_window_ms: 60_000,
            },
            created: TxRef {
                height: 1,
                index: 0,
                tx_hash: Hash::ZERO,
            },
            status: RaffleStatus::Open,
            entry_count: 0,
            closing_block: None,
            revealed_secret: None,
            seller_missed_reveal: false,
            result: None,
            runners_up_used: 0,
            randomness: None,
        }
    }

    #[test]
    fn raffles_are_drawn_when_revealed_or_past_the_deadline() {
        let by_height = raffle(EntryWindow::Heights {
            opens: 1,
            closes: 10,
        });
        assert!(matches!(chore(&by_height, 5, 0, 0), RaffleChore::Wait));
        assert!(matches!(chore(&by_height, 10, 0, 0), RaffleChore::Nudge));
        let by_time = raffle(EntryWindow::Times {
            opens_ms: 0,
            closes_ms: 5_000,
        });
        assert!(matches!(
            chore(&by_time, 5, 1_000, 4_999),
            RaffleChore::Wait
        ));
        assert!(
            matches!(chore(&by_time, 5, 1_000, 5_000), RaffleChore::Nudge),
            "idle chain"
        );
        let mut closed = by_height.clone();
        closed.status = RaffleStatus::Closed;
        closed.closing_block = Some(ClosingBlock {
            height: 10,
            hash: Hash::ZERO,
        });
        closed.randomness = Some(RaffleRandomness {
            validators: vec![Keypair::from_name("v").public()],
            contributions: Vec::new(),
            contribution_deadline: Deadline {
                height: 12,
                time_ms: 500,
            },
            reveal_deadline: None,
        });
        assert!(
            matches!(chore(&closed, 11, 0, 0), RaffleChore::Nudge),
            "waiting for the contributions"
        );
        assert!(
            matches!(chore(&closed, 12, 0, 400), RaffleChore::Nudge),
            "past the height, not the time"
        );
        assert!(
            matches!(chore(&closed, 12, 0, 501), RaffleChore::Draw),
            "past both: the draw voids it"
        );
        closed.randomness.as_mut().unwrap().reveal_deadline = Some(Deadline {
            height: 13,
            time_ms: 1_000,
        });
        assert!(
            matches!(chore(&closed, 12, 0, 2_000), RaffleChore::Nudge),
            "waiting for the reveal"
        );
        assert!(
            matches!(chore(&closed, 14, 0, 900), RaffleChore::Nudge),
            "past the height, not the time"
        );
        assert!(
            matches!(chore(&closed, 14, 0, 1_001), RaffleChore::Draw),
            "deadline passed"
        );
        closed.revealed_secret = Some(Hash::ZERO);
        assert!(matches!(chore(&closed, 11, 0, 0), RaffleChore::Draw));
        closed.status = RaffleStatus::Drawn;
        assert!(matches!(chore(&closed, 20, 0, 0), RaffleChore::Wait));
    }
}
