//! Raffles: escrowed prizes, entries, the seed's three parts and the draw.
//!
//! After entry closes, in this order (see `crate::draw` for why):
//!
//! 1. **Contributions.** Every validator of the set in force after the closing block
//!    sends `ContributeRaffleRandomness` with its VRF proof over `draw::vrf_input`
//!    (its node does this by itself). Each proof is verified here, one per validator,
//!    until the contribution deadline (`raffle_contribution_blocks` after the closing
//!    block and `raffle_contribution_ms` after its time: past both).
//! 2. **Reveal.** Only once every contribution is in may the seller reveal, until the
//!    reveal deadline: `reveal_blocks` after the last contribution's block and at least
//!    `min_raffle_reveal_ms` of block time after it (past both), so a burst of blocks
//!    under load or a censoring leader cannot end it in seconds.
//! 3. **Draw.** `DrawRaffle` (anyone may send it; the leader's housekeeping does) draws
//!    once the seller revealed. Without a contribution past its deadline, or without
//!    the secret past the reveal deadline, it voids the raffle instead: no orders
//!    (nothing is charged), the prizes are released to the seller, the status becomes
//!    `Void`. A seller's miss sets `seller_missed_reveal`, counts on its account and
//!    starts a cooling period (`missed_reveals × ChainParams::missed_reveal_cooldown_ms`
//!    of block time) in which `CreateRaffle` is refused; a validator's miss stays
//!    visible in the raffle's `randomness` (`Raffle::missing_contributors`).
//!
//! Windows shorter than the genesis minimums (`min_raffle_entry_blocks`/`_ms`,
//! `min_raffle_reveal_blocks`) are refused at creation.

use super::{orders, require_role, Exec, TxResult};
use crate::block::{BlockHeader, Effect};
use crate::draw::{draw_positions, draw_seed, vrf_input};
use crate::error::{LedgerError, LedgerResult, Rejection};
use crate::hash::Hash;
use crate::state::{decode_record, keys, StateView};
use crate::tx::{raffle_commitment, ADULT_AGE};
use crate::types::{
    Account, ClosingBlock, Deadline, DrawResult, EntryWindow, Item, ItemLock, OrderSource, Raffle,
    RaffleCancellation, RaffleContribution, RaffleEntry, RaffleRandomness, RaffleSpec,
    RaffleStatus, Role, TxRef, ValidatorSet, VrfProof,
};
use crate::vrf;

fn rule(raffle: &Raffle, reason: impl Into<String>) -> Rejection {
    Rejection::RaffleRule {
        raffle: raffle.id,
        status: raffle.status,
        reason: reason.into(),
    }
}

/// Before a block's transactions: every open raffle whose window the parent block
/// reached is closed, and the parent (the first block at or past the close) becomes
/// its closing block, whose hash goes into the validators' VRF input and the seed. The
/// validators that must contribute are the set in force after it. The raffle moves
/// from the pending-close index to the awaiting-draw one (`keys::raffle_awaiting`),
/// which it leaves when drawn or void: the nodes' chores read only that index.
pub(super) fn close_due_raffles<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    parent: &BlockHeader,
) -> LedgerResult<()> {
    let parent_hash = parent.hash();
    let mut validators: Option<Vec<crate::crypto::PublicKey>> = None;
    for (key, _) in exec.state.scan_prefix(&keys::pending_close_prefix())? {
        let id = keys::trailing_u64(&key).expect("pending-close keys end in a raffle id");
        let bytes = exec
            .state
            .get(&keys::raffle(id))?
            .expect("a pending raffle exists");
        let mut raffle: Raffle = decode_record("raffle", &bytes)?;
        if raffle
            .spec
            .window
            .is_closed_at(parent.height, parent.time_ms)
        {
            raffle.status = RaffleStatus::Closed;
            raffle.closing_block = Some(ClosingBlock {
                height: parent.height,
                hash: parent_hash,
            });
            if validators.is_none() {
                let set: ValidatorSet = exec
                    .read("validator set", &keys::validator_set())?
                    .ok_or_else(|| LedgerError::Corrupt {
                        what: "validator set",
                        reason: "the state has no validator set record".into(),
                    })?;
                validators = Some(set.keys);
            }
            raffle.randomness = Some(RaffleRandomness {
                validators: validators.clone().unwrap_or_default(),
                contributions: Vec::new(),
                contribution_deadline: Deadline {
                    height: parent
                        .height
                        .saturating_add(exec.params.raffle_contribution_blocks),
                    time_ms: parent
                        .time_ms
                        .saturating_add(exec.params.raffle_contribution_ms),
                },
                reveal_deadline: None,
            });
            exec.write(keys::raffle(id), &raffle);
            exec.state.delete(key);
            exec.write(keys::raffle_awaiting(id), &());
        }
    }
    Ok(())
}

/// The raffles that may still need a chore (a nudge, a contribution, a draw), read
/// from the two indexes the ledger keeps: open ones (`keys::pending_close`) then
/// closed ones awaiting their draw or void (`keys::raffle_awaiting`), in id order
/// within each. Drawn and void raffles are in neither, so a node's chores cost in
/// proportion to the raffles in play, not to every raffle ever held.
pub fn raffles_in_play<V: StateView + ?Sized>(state: &V) -> LedgerResult<Vec<Raffle>> {
    let mut raffles = Vec::new();
    for prefix in [
        keys::pending_close_prefix(),
        keys::raffles_awaiting_prefix(),
    ] {
        for (key, _) in state.scan_prefix(&prefix)? {
            let Some(id) = keys::trailing_u64(&key) else {
                continue;
            };
            let bytes = state
                .get(&keys::raffle(id))?
                .ok_or_else(|| LedgerError::Corrupt {
                    what: "raffle index",
                    reason: format!("raffle {id} is indexed but has no record"),
                })?;
            raffles.push(decode_record("raffle", &bytes)?);
        }
    }
    Ok(raffles)
}

/// The genesis minimums: entries stay open long enough from now, and the seller has
/// enough blocks to reveal.
fn check_minimum_windows<V: StateView + ?Sized>(
    exec: &Exec<'_, V>,
    spec: &RaffleSpec,
) -> Result<(), Rejection> {
    let params = &exec.params;
    let (left, minimum, unit) = match spec.window {
        EntryWindow::Heights { opens, closes } => (
            closes.saturating_sub(opens.max(exec.height)),
            params.min_raffle_entry_blocks,
            "blocks",
        ),
        EntryWindow::Times {
            opens_ms,
            closes_ms,
        } => (
            closes_ms.saturating_sub(opens_ms.max(exec.time_ms)),
            params.min_raffle_entry_ms,
            "ms",
        ),
    };
    if left < minimum {
        return Err(Rejection::invalid(
            "window",
            format!("entries must stay open at least {minimum} {unit} from now; this window leaves {left}"),
        ));
    }
    if spec.reveal_blocks < params.min_raffle_reveal_blocks {
        return Err(Rejection::invalid(
            "reveal_blocks",
            format!(
                "the seller must have at least {} blocks to reveal, got {}",
                params.min_raffle_reveal_blocks, spec.reveal_blocks
            ),
        ));
    }
    Ok(())
}

/// An approved seller escrows items it owns as prizes.
pub(super) fn create<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    spec: &RaffleSpec,
    tx_ref: TxRef,
) -> TxResult<Effect> {
    if signer.role != Role::Member || !signer.is_approved_seller() {
        return Err(Rejection::SellerNotApproved.into());
    }
    if signer.raffle_cooldown_until_ms > exec.time_ms {
        return Err(Rejection::RaffleCooldown {
            missed_reveals: signer.missed_reveals,
            until_ms: signer.raffle_cooldown_until_ms,
        }
        .into());
    }
    if spec.window.is_closed_at(exec.height, exec.time_ms) {
        return Err(Rejection::invalid("window", "the entry window has already closed").into());
    }
    check_minimum_windows(exec, spec)?;
    let mut counters = exec.counters()?;
    let raffle_id = counters.next_raffle;
    counters.next_raffle += 1;
    exec.put_counters(&counters);

    for item_id in &spec.items {
        let mut item: Item = exec.record("item", &keys::item(*item_id), *item_id)?;
        if item.owner != signer.key {
            return Err(Rejection::NotOwner {
                item: *item_id,
                owner: item.owner,
            }
            .into());
        }
        if item.lock != ItemLock::Free {
            return Err(Rejection::ItemLocked {
                item: *item_id,
                lock: item.lock,
            }
            .into());
        }
        item.lock = ItemLock::Raffle(raffle_id);
        item.listing_price = None;
        exec.write(keys::item(*item_id), &item);
    }
    let raffle = Raffle {
        id: raffle_id,
        seller: signer.key,
        spec: spec.clone(),
        created: tx_ref,
        status: RaffleStatus::Open,
        entry_count: 0,
        closing_block: None,
        revealed_secret: None,
        seller_missed_reveal: false,
        result: None,
        runners_up_used: 0,
        randomness: None,
    };
    exec.write(keys::raffle(raffle_id), &raffle);
    exec.write(keys::pending_close(raffle_id), &());
    Ok(Effect::RaffleCreated { raffle: raffle_id })
}

/// A verified member enters, once, inside the window.
pub(super) fn enter<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    raffle_id: u64,
    tx_ref: TxRef,
) -> TxResult<Effect> {
    require_role(signer, "entering a raffle", &[Role::Member])?;
    let mut raffle: Raffle = exec.record("raffle", &keys::raffle(raffle_id), raffle_id)?;
    if raffle.status != RaffleStatus::Open
        || !raffle.spec.window.is_open_at(exec.height, exec.time_ms)
    {
        let reason = if raffle.status == RaffleStatus::Cancelled {
            "cancelled by the seller"
        } else if raffle.status == RaffleStatus::Open
            && !raffle.spec.window.is_closed_at(exec.height, exec.time_ms)
        {
            "entry has not opened yet"
        } else {
            "entry is closed"
        };
        return Err(rule(&raffle, reason).into());
    }
    let not_eligible = |reason: &str| Rejection::NotEligible {
        raffle: raffle_id,
        reason: reason.to_owned(),
    };
    if raffle.seller == signer.key {
        return Err(not_eligible("a seller cannot enter its own raffle").into());
    }
    if !signer.phone_verified {
        return Err(not_eligible("only phone-verified members may enter").into());
    }
    // The ledger knows of an age only that a registrar attested an adult (19+); the
    // raffle's `min_age` is at most that (limits::check_raffle_spec).
    if let Some(min_age) = raffle.spec.min_age {
        if !signer.adult {
            return Err(not_eligible(&format!(
                "this raffle is for ages {min_age}+, open to attested adults ({ADULT_AGE}+) only"
            ))
            .into());
        }
    }
    let entrant_key = keys::raffle_entrant(raffle_id, &signer.key);
    if exec.state.get(&entrant_key)?.is_some() {
        return Err(Rejection::AlreadyEntered { raffle: raffle_id }.into());
    }
    let position = raffle.entry_count;
    exec.write(
        keys::raffle_entry(raffle_id, position),
        &RaffleEntry {
            raffle: raffle_id,
            position,
            entrant: signer.key,
            tx: tx_ref,
            cancelled: false,
        },
    );
    exec.write(entrant_key, &position);
    exec.write(keys::account_entry(&signer.key, raffle_id), &());
    raffle.entry_count += 1;
    exec.write(keys::raffle(raffle_id), &raffle);
    Ok(Effect::Done)
}

/// The closing block and randomness of a closed raffle; refuses the others.
fn closed(raffle: &Raffle) -> Result<(ClosingBlock, RaffleRandomness), Rejection> {
    match (raffle.status, raffle.closing_block, &raffle.randomness) {
        (RaffleStatus::Open, ..) => Err(rule(raffle, "entry has not closed yet")),
        (RaffleStatus::Drawn, ..) => Err(rule(raffle, "already drawn")),
        (RaffleStatus::Void, ..) if raffle.seller_missed_reveal => Err(rule(
            raffle,
            "void: the seller did not reveal its secret by the deadline",
        )),
        (RaffleStatus::Void, ..) => Err(rule(
            raffle,
            "void: a validator's contribution did not come by the deadline",
        )),
        (RaffleStatus::Cancelled, ..) => Err(rule(raffle, "cancelled by the seller")),
        (RaffleStatus::Closed, Some(closing), Some(randomness)) => {
            Ok((closing, randomness.clone()))
        }
        (RaffleStatus::Closed, ..) => {
            unreachable!("a closed raffle has a closing block and randomness")
        }
    }
}

fn deadline_text(deadline: &Deadline) -> String {
    format!(
        "height {} and block time {} ms",
        deadline.height, deadline.time_ms
    )
}

/// A validator of the set that closed the raffle contributes its VRF proof.
pub(super) fn contribute<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    raffle_id: u64,
    proof: &VrfProof,
) -> TxResult<Effect> {
    let mut raffle: Raffle = exec.record("raffle", &keys::raffle(raffle_id), raffle_id)?;
    let (closing, mut randomness) = closed(&raffle)?;
    if !randomness.validators.contains(&signer.key) {
        return Err(Rejection::unauthorized(
            "contributing to a raffle's seed",
            "a validator of the set that closed it",
        )
        .into());
    }
    if randomness.has_contributed(&signer.key) {
        return Err(rule(&raffle, "this validator has already contributed").into());
    }
    let deadline = randomness.contribution_deadline;
    if deadline.passed_at(exec.height, exec.time_ms) {
        return Err(rule(
            &raffle,
            format!(
                "the contribution deadline ({}) has passed",
                deadline_text(&deadline)
            ),
        )
        .into());
    }
    let input = vrf_input(&exec.chain_id, raffle_id, &closing.hash);
    vrf::verify(&signer.key, input.as_bytes(), &proof.0)
        .map_err(|e| Rejection::invalid("proof", e.to_string()))?;
    let at = randomness
        .contributions
        .partition_point(|c| c.validator < signer.key);
    randomness.contributions.insert(
        at,
        RaffleContribution {
            validator: signer.key,
            proof: *proof,
        },
    );
    if randomness.is_complete() {
        randomness.reveal_deadline = Some(Deadline {
            height: exec.height.saturating_add(raffle.spec.reveal_blocks),
            time_ms: exec
                .time_ms
                .saturating_add(exec.params.min_raffle_reveal_ms),
        });
    }
    raffle.randomness = Some(randomness);
    exec.write(keys::raffle(raffle_id), &raffle);
    Ok(Effect::Done)
}

/// The seller reveals its committed secret after entry closed.
pub(super) fn reveal<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    raffle_id: u64,
    secret: &Hash,
) -> TxResult<Effect> {
    let mut raffle: Raffle = exec.record("raffle", &keys::raffle(raffle_id), raffle_id)?;
    if raffle.seller != signer.key {
        return Err(
            Rejection::unauthorized("revealing a raffle secret", "the raffle's seller").into(),
        );
    }
    let (_, randomness) = closed(&raffle)?;
    if raffle.revealed_secret.is_some() {
        return Err(rule(&raffle, "the secret was already revealed").into());
    }
    let Some(deadline) = randomness.reveal_deadline else {
        return Err(rule(
            &raffle,
            format!(
                "waiting for the validators' contributions ({} of {}): the secret is revealed after them",
                randomness.contributions.len(),
                randomness.validators.len()
            ),
        )
        .into());
    };
    if deadline.passed_at(exec.height, exec.time_ms) {
        return Err(rule(
            &raffle,
            format!(
                "the reveal deadline ({}) has passed",
                deadline_text(&deadline)
            ),
        )
        .into());
    }
    if raffle_commitment(secret) != raffle.spec.seed_commitment {
        return Err(Rejection::invalid("secret", "does not match the raffle's commitment").into());
    }
    raffle.revealed_secret = Some(*secret);
    exec.write(keys::raffle(raffle_id), &raffle);
    Ok(Effect::Done)
}

/// The seller calls off its raffle while entry is still open (or has not opened): the
/// prizes are released to it, the raffle leaves the pending-close index, its status
/// becomes `Cancelled`, and the reason is kept under `keys::raffle_cancellation` for
/// the entrants. Once entry has closed the validators' randomness and the seller's
/// commitment are in play, so a cancel then is refused: a seller must not be able to
/// abandon a raffle after seeing who entered and how the seed is shaping up.
pub(super) fn cancel<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    signer: &Account,
    raffle_id: u64,
    reason: &str,
    tx_ref: TxRef,
) -> TxResult<Effect> {
    let mut raffle: Raffle = exec.record("raffle", &keys::raffle(raffle_id), raffle_id)?;
    if raffle.seller != signer.key {
        return Err(Rejection::Unauthorized {
            action: format!("cancelling raffle {raffle_id}"),
            required: "the raffle's seller".into(),
        }
        .into());
    }
    if raffle.status != RaffleStatus::Open
        || raffle.spec.window.is_closed_at(exec.height, exec.time_ms)
    {
        let why = match raffle.status {
            RaffleStatus::Cancelled => "already cancelled",
            RaffleStatus::Drawn => "already drawn",
            RaffleStatus::Void => "already void",
            RaffleStatus::Open | RaffleStatus::Closed => {
                "entry has closed: a raffle can be cancelled only before its close"
            }
        };
        return Err(rule(&raffle, why).into());
    }
    for item_id in &raffle.spec.items {
        orders::release_item(exec, *item_id)?;
    }
    raffle.status = RaffleStatus::Cancelled;
    exec.state.delete(keys::pending_close(raffle_id));
    exec.write(keys::raffle(raffle_id), &raffle);
    exec.write(
        keys::raffle_cancellation(raffle_id),
        &RaffleCancellation {
            reason: reason.to_owned(),
            cancelled: tx_ref,
        },
    );
    Ok(Effect::Done)
}

/// Draws a closed raffle, once: winners get orders for the prizes, runners-up wait.
/// Past the reveal deadline without the secret, voids it instead ([`void`]).
pub(super) fn draw<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    raffle_id: u64,
    tx_ref: TxRef,
) -> TxResult<Effect> {
    let mut raffle: Raffle = exec.record("raffle", &keys::raffle(raffle_id), raffle_id)?;
    let (closing, randomness) = closed(&raffle)?;
    let Some(reveal_deadline) = randomness.reveal_deadline else {
        let deadline = randomness.contribution_deadline;
        if !deadline.passed_at(exec.height, exec.time_ms) {
            return Err(rule(
                &raffle,
                format!(
                    "waiting for the validators' contributions ({} of {}) until {}",
                    randomness.contributions.len(),
                    randomness.validators.len(),
                    deadline_text(&deadline)
                ),
            )
            .into());
        }
        return void(exec, raffle, false);
    };
    let Some(secret) = raffle.revealed_secret else {
        if !reveal_deadline.passed_at(exec.height, exec.time_ms) {
            return Err(rule(
                &raffle,
                format!(
                    "waiting for the seller's reveal until {}",
                    deadline_text(&reveal_deadline)
                ),
            )
            .into());
        }
        return void(exec, raffle, true);
    };
    let entrants = eligible_entrants(exec, &raffle)?;
    let outputs = contribution_outputs(&randomness)?;
    let seed = draw_seed(raffle_id, &closing.hash, &secret, &outputs);
    let prizes = raffle.spec.items.len();
    let drawn = draw_positions(
        &seed,
        entrants.len(),
        prizes + raffle.spec.runners_up as usize,
    );
    let picked: Vec<_> = drawn.iter().map(|p| entrants[*p]).collect();
    let winners: Vec<_> = picked.iter().take(prizes).copied().collect();
    let runners_up: Vec<_> = picked.iter().skip(prizes).copied().collect();

    let mut orders_created = Vec::with_capacity(winners.len());
    for (index, item_id) in raffle.spec.items.clone().iter().enumerate() {
        match winners.get(index) {
            Some(winner) => {
                let order = orders::open_raffle_order(exec, &raffle, *item_id, *winner, tx_ref)?;
                orders_created.push(order);
            }
            None => orders::release_item(exec, *item_id)?,
        }
    }
    raffle.status = RaffleStatus::Drawn;
    exec.state.delete(keys::raffle_awaiting(raffle_id));
    raffle.result = Some(DrawResult {
        seed,
        seller_revealed: true,
        winners,
        runners_up,
        drawn: tx_ref,
    });
    exec.write(keys::raffle(raffle_id), &raffle);
    Ok(Effect::RaffleDrawn {
        raffle: raffle_id,
        orders: orders_created,
    })
}

/// The validators' VRF outputs, in key order (verified when they were contributed).
pub(crate) fn contribution_outputs(
    randomness: &RaffleRandomness,
) -> LedgerResult<Vec<(crate::crypto::PublicKey, [u8; vrf::OUTPUT_LEN])>> {
    crate::draw::contribution_outputs(randomness).map_err(|e| LedgerError::Corrupt {
        what: "raffle contribution",
        reason: e.to_string(),
    })
}

/// Voids a raffle past a deadline: nothing is drawn and no order opened, the prizes are
/// released to the seller. When the seller let the reveal deadline pass
/// (`seller_missed`), its account records the miss and a cooling period that grows
/// with each miss; a missing validator contribution is not the seller's doing.
fn void<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    mut raffle: Raffle,
    seller_missed: bool,
) -> TxResult<Effect> {
    for item_id in &raffle.spec.items {
        orders::release_item(exec, *item_id)?;
    }
    raffle.status = RaffleStatus::Void;
    exec.state.delete(keys::raffle_awaiting(raffle.id));
    raffle.seller_missed_reveal = seller_missed;
    exec.write(keys::raffle(raffle.id), &raffle);
    if !seller_missed {
        return Ok(Effect::RaffleVoided { raffle: raffle.id });
    }

    let Some(mut seller) = exec.account(&raffle.seller)? else {
        return Err(LedgerError::Corrupt {
            what: "account",
            reason: format!("the seller of raffle {} has no account", raffle.id),
        }
        .into());
    };
    seller.missed_reveals = seller.missed_reveals.saturating_add(1);
    let cooling = exec
        .params
        .missed_reveal_cooldown_ms
        .saturating_mul(u64::from(seller.missed_reveals));
    seller.raffle_cooldown_until_ms = seller
        .raffle_cooldown_until_ms
        .max(exec.time_ms.saturating_add(cooling));
    exec.put_account(&seller);
    Ok(Effect::RaffleVoided { raffle: raffle.id })
}

/// Entrants that take part in the draw, in entry order: every entry not cancelled by
/// its entrant's withdrawal. Recomputable from the raffle's entries alone.
pub(super) fn eligible_entrants<V: StateView + ?Sized>(
    exec: &Exec<'_, V>,
    raffle: &Raffle,
) -> LedgerResult<Vec<crate::crypto::PublicKey>> {
    let mut entrants = Vec::with_capacity(raffle.entry_count as usize);
    for (_, bytes) in exec
        .state
        .scan_prefix(&keys::raffle_entries_prefix(raffle.id))?
    {
        let entry: RaffleEntry = decode_record("raffle entry", &bytes)?;
        if !entry.cancelled {
            entrants.push(entry.entrant);
        }
    }
    Ok(entrants)
}

/// The raffle a raffle order came from, if any.
pub(super) fn source_raffle(source: OrderSource) -> Option<u64> {
    match source {
        OrderSource::Raffle { raffle } => Some(raffle),
        OrderSource::Listing => None,
    }
}
