//! Raffles: the proven entries and the draw recomputed from them.
//!
//! The winners are a pure function of ledger data ([`crate::draw`]): the raffle id, the
//! hash of the block that closed entry, the seller's revealed secret and the entries
//! that were not cancelled, in entry order. A raffle is drawn only with the secret; one
//! whose seller missed the deadline is void (no result, the miss recorded), which a
//! state at or before the deadline cannot show. An entry of a drawn
//! raffle never changes afterwards, so the entries proven at any later state are the
//! ones the draw saw.

use serde::{Deserialize, Serialize};

use super::anchor::{verify_anchor, Freshness};
use super::bundle::RaffleProof;
use super::item::AnchorSummary;
use super::{TrustRoot, VerifyError};
use crate::crypto::PublicKey;
use crate::draw::{draw_positions, draw_seed};
use crate::hash::Hash;
use crate::state::keys;
use crate::tx::raffle_commitment;
use crate::types::{ClosingBlock, Raffle, RaffleEntry, RaffleStatus, TxRef};

/// A raffle as proven, with the draw recomputed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RaffleVerdict {
    /// The certified state this holds at.
    pub anchor: AnchorSummary,
    /// Raffle id.
    pub raffle: u64,
    /// The seller running it.
    pub seller: PublicKey,
    /// Where it stands.
    pub status: RaffleStatus,
    /// The prizes (item ids).
    pub items: Vec<u64>,
    /// Entries, all proven.
    pub entries: u32,
    /// Entrants that take part in the draw (entries not cancelled), in entry order.
    pub eligible: Vec<PublicKey>,
    /// The certified block whose hash seeds the draw, once entry closed.
    pub closing_block: Option<ClosingBlock>,
    /// Whether the seller revealed its committed secret (a drawn raffle always has).
    pub seller_revealed: bool,
    /// The recomputed seed, once drawn.
    pub seed: Option<Hash>,
    /// The recomputed winners (equal to the recorded ones), in prize order.
    pub winners: Vec<PublicKey>,
    /// The recomputed runners-up (equal to the recorded ones).
    pub runners_up: Vec<PublicKey>,
    /// The draw transaction, once drawn.
    pub drawn: Option<TxRef>,
}

fn draw_error(raffle: u64, reason: impl Into<String>) -> VerifyError {
    VerifyError::Draw {
        raffle,
        reason: reason.into(),
    }
}

/// Checks a raffle bundle and recomputes the draw from the proven entries.
pub fn verify_raffle(
    trust: &TrustRoot,
    raffle_id: u64,
    proof: &RaffleProof,
    freshness: Freshness,
) -> Result<RaffleVerdict, VerifyError> {
    let state = verify_anchor(trust, &proof.anchor, freshness)?;
    let raffle: Raffle = state.record(
        || format!("raffle {raffle_id}"),
        &keys::raffle(raffle_id),
        &proof.raffle,
    )?;
    if raffle.id != raffle_id {
        return Err(VerifyError::Mismatch {
            what: "id of the proven raffle record".into(),
            expected: raffle_id.to_string(),
            found: raffle.id.to_string(),
        });
    }
    if proof.entries.len() != raffle.entry_count as usize {
        return Err(VerifyError::EntryCount {
            raffle: raffle_id,
            expected: raffle.entry_count,
            found: proof.entries.len(),
        });
    }
    let mut eligible = Vec::with_capacity(proof.entries.len());
    for (position, proven) in proof.entries.iter().enumerate() {
        let position = position as u32;
        let entry: RaffleEntry = state.record(
            || format!("entry {position} of raffle {raffle_id}"),
            &keys::raffle_entry(raffle_id, position),
            proven,
        )?;
        if entry.raffle != raffle_id || entry.position != position {
            return Err(VerifyError::Mismatch {
                what: format!("entry {position} of raffle {raffle_id}"),
                expected: format!("raffle {raffle_id} position {position}"),
                found: format!("raffle {} position {}", entry.raffle, entry.position),
            });
        }
        if !entry.cancelled {
            eligible.push(entry.entrant);
        }
    }

    let closing = match (raffle.closing_block, &proof.closing) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(VerifyError::Missing {
                record: format!("the closing block of raffle {raffle_id}"),
                height: state.header.height,
            })
        }
        (Some(closing), Some(block)) => {
            if block.header.height != closing.height || block.header.hash() != closing.hash {
                return Err(VerifyError::Mismatch {
                    what: format!("closing block of raffle {raffle_id}"),
                    expected: format!("{} at height {}", closing.hash, closing.height),
                    found: format!("{} at height {}", block.header.hash(), block.header.height),
                });
            }
            state.check_certified(
                || format!("closing block of raffle {raffle_id}"),
                trust,
                block,
            )?;
            Some(closing)
        }
    };

    let mut verdict = RaffleVerdict {
        anchor: AnchorSummary::of(&state),
        raffle: raffle_id,
        seller: raffle.seller,
        status: raffle.status,
        items: raffle.spec.items.clone(),
        entries: raffle.entry_count,
        eligible,
        closing_block: closing,
        seller_revealed: raffle.revealed_secret.is_some(),
        seed: None,
        winners: Vec::new(),
        runners_up: Vec::new(),
        drawn: None,
    };
    if let Some(secret) = &raffle.revealed_secret {
        if raffle_commitment(secret) != raffle.spec.seed_commitment {
            return Err(draw_error(
                raffle_id,
                "the revealed secret does not match the seller's commitment",
            ));
        }
    }
    match (raffle.status, &raffle.result) {
        (RaffleStatus::Drawn, Some(result)) => {
            let closing =
                closing.ok_or_else(|| draw_error(raffle_id, "drawn without a closing block"))?;
            let secret = raffle
                .revealed_secret
                .ok_or_else(|| draw_error(raffle_id, "drawn without the seller's secret"))?;
            let seed = draw_seed(raffle_id, &closing.hash, &secret);
            if seed != result.seed {
                return Err(draw_error(
                    raffle_id,
                    format!(
                        "the seed recomputes to {seed}, the record says {}",
                        result.seed
                    ),
                ));
            }
            if !result.seller_revealed || raffle.seller_missed_reveal {
                return Err(draw_error(
                    raffle_id,
                    "the record disagrees with itself about the seller's reveal",
                ));
            }
            let prizes = raffle.spec.items.len();
            let picked: Vec<PublicKey> = draw_positions(
                &seed,
                verdict.eligible.len(),
                prizes + raffle.spec.runners_up as usize,
            )
            .into_iter()
            .map(|position| verdict.eligible[position])
            .collect();
            let winners: Vec<PublicKey> = picked.iter().take(prizes).copied().collect();
            let runners_up: Vec<PublicKey> = picked.iter().skip(prizes).copied().collect();
            if winners != result.winners {
                return Err(draw_error(
                    raffle_id,
                    format!(
                        "recomputed winners {} differ from the recorded {}",
                        list(&winners),
                        list(&result.winners)
                    ),
                ));
            }
            if runners_up != result.runners_up {
                return Err(draw_error(
                    raffle_id,
                    format!(
                        "recomputed runners-up {} differ from the recorded {}",
                        list(&runners_up),
                        list(&result.runners_up)
                    ),
                ));
            }
            verdict.seed = Some(seed);
            verdict.winners = winners;
            verdict.runners_up = runners_up;
            verdict.drawn = Some(result.drawn);
        }
        (RaffleStatus::Void, None) => {
            if closing.is_none() || raffle.revealed_secret.is_some() || !raffle.seller_missed_reveal
            {
                return Err(draw_error(
                    raffle_id,
                    "void, but the record does not show a closed raffle whose seller missed the reveal",
                ));
            }
            let deadline = closing
                .map(|c| c.height.saturating_add(raffle.spec.reveal_blocks))
                .unwrap_or(u64::MAX);
            if state.header.height <= deadline {
                return Err(draw_error(
                    raffle_id,
                    format!(
                        "void at height {}, before the reveal deadline {deadline} passed",
                        state.header.height
                    ),
                ));
            }
        }
        (RaffleStatus::Drawn, None) | (_, Some(_)) => {
            return Err(draw_error(
                raffle_id,
                "the record's status and result disagree",
            ))
        }
        (RaffleStatus::Open | RaffleStatus::Closed, None) => {}
    }
    Ok(verdict)
}

fn list(keys: &[PublicKey]) -> String {
    let names: Vec<String> = keys.iter().map(|k| k.to_hex()[..12].to_owned()).collect();
    format!("[{}]", names.join(", "))
}
