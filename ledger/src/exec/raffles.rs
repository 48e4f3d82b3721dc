//! Raffles: escrowed prizes, entries, the commit–reveal seed and the draw.
//!
//! A withheld reveal never draws. `DrawRaffle` (anyone may send it; the leader's
//! housekeeping does) draws a closed raffle once the seller revealed; past the reveal
//! deadline without the secret it voids the raffle instead: no orders (nothing is
//! charged), the prizes are released to the seller, the raffle's status becomes `Void`
//! with `seller_missed_reveal`, and the seller's account counts the miss and enters a
//! cooling period (`missed_reveals × ChainParams::missed_reveal_cooldown_ms` of block
//! time) in which `CreateRaffle` is refused. Windows shorter than the genesis minimums
//! (`min_raffle_entry_blocks`/`_ms`, `min_raffle_reveal_blocks`) are refused at creation.

use super::{orders, require_role, Exec, TxResult};
use crate::block::{BlockHeader, Effect};
use crate::draw::{draw_positions, draw_seed};
use crate::error::{LedgerError, LedgerResult, Rejection};
use crate::hash::Hash;
use crate::state::{decode_record, keys, StateView};
use crate::tx::{age_in_years, raffle_commitment};
use crate::types::{
    Account, ClosingBlock, DrawResult, EntryWindow, Item, ItemLock, OrderSource, Raffle,
    RaffleEntry, RaffleSpec, RaffleStatus, Role, TxRef,
};

fn rule(raffle: &Raffle, reason: impl Into<String>) -> Rejection {
    Rejection::RaffleRule {
        raffle: raffle.id,
        status: raffle.status,
        reason: reason.into(),
    }
}

/// Before a block's transactions: every open raffle whose window the parent block
/// reached is closed, and the parent (the first block at or past the close) becomes
/// its closing block, whose hash goes into the draw's seed.
pub(super) fn close_due_raffles<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    parent: &BlockHeader,
) -> LedgerResult<()> {
    let parent_hash = parent.hash();
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
            exec.write(keys::raffle(id), &raffle);
            exec.state.delete(key);
        }
    }
    Ok(())
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
        let reason = if raffle.status == RaffleStatus::Open
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
    if let Some(min_age) = raffle.spec.min_age {
        let Some(birth_year) = signer.birth_year else {
            return Err(not_eligible(
                "this raffle is age-limited and the member's age is not attested",
            )
            .into());
        };
        if age_in_years(birth_year, exec.time_ms) < u32::from(min_age) {
            return Err(not_eligible(&format!("entrants must be at least {min_age}")).into());
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

/// The closing block of a closed raffle; refuses the others.
fn closed(raffle: &Raffle) -> Result<ClosingBlock, Rejection> {
    match (raffle.status, raffle.closing_block) {
        (RaffleStatus::Open, _) => Err(rule(raffle, "entry has not closed yet")),
        (RaffleStatus::Drawn, _) => Err(rule(raffle, "already drawn")),
        (RaffleStatus::Void, _) => Err(rule(
            raffle,
            "void: the seller did not reveal its secret by the deadline",
        )),
        (RaffleStatus::Closed, Some(closing)) => Ok(closing),
        (RaffleStatus::Closed, None) => unreachable!("a closed raffle has a closing block"),
    }
}

/// The height up to which the seller may reveal.
fn reveal_deadline(raffle: &Raffle, closing: &ClosingBlock) -> u64 {
    closing.height.saturating_add(raffle.spec.reveal_blocks)
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
    let closing = closed(&raffle)?;
    if raffle.revealed_secret.is_some() {
        return Err(rule(&raffle, "the secret was already revealed").into());
    }
    let deadline = reveal_deadline(&raffle, &closing);
    if exec.height > deadline {
        return Err(rule(
            &raffle,
            format!("the reveal deadline (height {deadline}) has passed"),
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

/// Draws a closed raffle, once: winners get orders for the prizes, runners-up wait.
/// Past the reveal deadline without the secret, voids it instead ([`void`]).
pub(super) fn draw<V: StateView + ?Sized>(
    exec: &mut Exec<'_, V>,
    raffle_id: u64,
    tx_ref: TxRef,
) -> TxResult<Effect> {
    let mut raffle: Raffle = exec.record("raffle", &keys::raffle(raffle_id), raffle_id)?;
    let closing = closed(&raffle)?;
    let deadline = reveal_deadline(&raffle, &closing);
    let Some(secret) = raffle.revealed_secret else {
        if exec.height <= deadline {
            return Err(rule(
                &raffle,
                format!("waiting for the seller's reveal until height {deadline}"),
            )
            .into());
        }
        return void(exec, raffle);
    };
    let entrants = eligible_entrants(exec, &raffle)?;
    let seed = draw_seed(raffle_id, &closing.hash, &secret);
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

/// Voids a raffle whose seller let the reveal deadline pass: nothing is drawn and no
/// order opened, the prizes are released to the seller, and the seller's account
/// records the miss and a cooling period that grows with each miss.
fn void<V: StateView + ?Sized>(exec: &mut Exec<'_, V>, mut raffle: Raffle) -> TxResult<Effect> {
    for item_id in &raffle.spec.items {
        orders::release_item(exec, *item_id)?;
    }
    raffle.status = RaffleStatus::Void;
    raffle.seller_missed_reveal = true;
    exec.write(keys::raffle(raffle.id), &raffle);

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
