//! Raffles: the proven entries, every input of the seed checked, and the draw
//! recomputed from them.
//!
//! The winners are a pure function of ledger data ([`crate::draw`]): the raffle id, the
//! hash of the certified block that closed entry, every validator's VRF output (each
//! proof verified here against the validator's key, and the contributors checked to be
//! exactly the set in force after the closing block, as traced from genesis), the
//! seller's revealed secret (checked against its commitment) and the entries that were
//! not cancelled, in entry order. A raffle is drawn only with all of them; one voided
//! for a missing input shows which, and a state at or before the deadline cannot show
//! the void. An entry of a drawn raffle never changes afterwards, so the entries proven
//! at any later state are the ones the draw saw.

use serde::{Deserialize, Serialize};

use super::anchor::{verify_anchor, Freshness};
use super::bundle::RaffleProof;
use super::item::AnchorSummary;
use super::{TrustRoot, VerifyError};
use crate::crypto::PublicKey;
use crate::draw::{draw_positions, draw_seed, vrf_input};
use crate::hash::Hash;
use crate::state::keys;
use crate::tx::raffle_commitment;
use crate::types::{
    ClosingBlock, Deadline, Raffle, RaffleEntry, RaffleRandomness, RaffleStatus, TxRef, VrfProof,
};
use crate::vrf;

/// One validator's contribution, its proof verified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CheckedContribution {
    /// The validator.
    pub validator: PublicKey,
    /// Its VRF proof.
    pub proof: VrfProof,
    /// The VRF output the proof gives (64 bytes, hex).
    pub output: String,
}

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
    /// The VRF input every validator proves over, once entry closed.
    pub vrf_input: Option<Hash>,
    /// The validators that must contribute: the set in force after the closing block.
    pub validators: Vec<PublicKey>,
    /// The contributions on the ledger, each proof verified.
    pub contributions: Vec<CheckedContribution>,
    /// The validators whose contribution is missing.
    pub missing_contributors: Vec<PublicKey>,
    /// Whether the seller revealed its committed secret (a drawn raffle always has).
    pub seller_revealed: bool,
    /// The revealed secret, checked against the commitment.
    pub secret: Option<Hash>,
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

    let mut input = None;
    let mut validators = Vec::new();
    let mut contributions = Vec::new();
    let mut missing = Vec::new();
    let mut outputs = Vec::new();
    match (&closing, &raffle.randomness) {
        (None, None) => {}
        (Some(closing), Some(randomness)) => {
            let set: Vec<PublicKey> = state.sets.after(closing.height).iter().copied().collect();
            let alpha = vrf_input(&trust.chain_id, raffle_id, &closing.hash);
            contributions = check_contributions(&alpha, randomness, &set)
                .map_err(|reason| draw_error(raffle_id, reason))?;
            outputs = contributions
                .iter()
                .map(|c| {
                    let mut output = [0u8; vrf::OUTPUT_LEN];
                    hex::decode_to_slice(&c.output, &mut output).expect("hex we wrote");
                    (c.validator, output)
                })
                .collect();
            missing = randomness.missing();
            input = Some(alpha);
            validators = set;
        }
        _ => {
            return Err(draw_error(
                raffle_id,
                "a closing block without the validators' randomness, or the reverse",
            ))
        }
    }
    if raffle.revealed_secret.is_some() && !missing.is_empty() {
        return Err(draw_error(
            raffle_id,
            "the secret was revealed before every validator contributed",
        ));
    }

    let mut verdict = RaffleVerdict {
        anchor: AnchorSummary::of(&state),
        raffle: raffle_id,
        seller: raffle.seller,
        status: raffle.status,
        items: raffle.spec.items.clone(),
        entries: raffle.entry_count,
        eligible,
        closing_block: closing,
        vrf_input: input,
        validators,
        contributions,
        missing_contributors: missing.clone(),
        seller_revealed: raffle.revealed_secret.is_some(),
        secret: raffle.revealed_secret,
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
            if !missing.is_empty() {
                return Err(draw_error(
                    raffle_id,
                    format!("drawn without the contributions of {}", list(&missing)),
                ));
            }
            let seed = draw_seed(raffle_id, &closing.hash, &secret, &outputs);
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
            let randomness = raffle.randomness.as_ref().filter(|_| closing.is_some());
            let deadline: Option<Deadline> = match randomness {
                Some(r) if raffle.seller_missed_reveal && raffle.revealed_secret.is_none() => {
                    r.reveal_deadline
                }
                Some(r) if !raffle.seller_missed_reveal && !missing.is_empty() => {
                    Some(r.contribution_deadline)
                }
                _ => None,
            };
            let Some(deadline) = deadline else {
                return Err(draw_error(
                    raffle_id,
                    "void, but the record shows neither a missed reveal nor a missing contribution",
                ));
            };
            if !deadline.passed_at(state.header.height, state.header.time_ms) {
                return Err(draw_error(
                    raffle_id,
                    format!(
                        "void at height {}, before its deadline (height {}, time {} ms) passed",
                        state.header.height, deadline.height, deadline.time_ms
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
        (RaffleStatus::Cancelled, None) if closing.is_some() => {
            return Err(draw_error(
                raffle_id,
                "cancelled after its entry closed, which the ledger refuses",
            ))
        }
        (RaffleStatus::Open | RaffleStatus::Closed | RaffleStatus::Cancelled, None) => {}
    }
    Ok(verdict)
}

/// The validators' part of a seed, checked: the record must name exactly `set` (the
/// validators in force after the closing block) as the contributors, hold at most one
/// contribution per validator of it, in key order, each a valid VRF proof over `alpha`
/// under the validator's key, and say the contributions are complete exactly when they
/// are. Returns each contribution with its output. The same rule as the ledger's
/// (`exec/raffles.rs`) and the browser's (`verify.js`).
pub fn check_contributions(
    alpha: &Hash,
    randomness: &RaffleRandomness,
    set: &[PublicKey],
) -> Result<Vec<CheckedContribution>, String> {
    if randomness.validators != set {
        return Err(format!(
            "the record names {} as the contributing validators; the set after the closing block is {}",
            list(&randomness.validators),
            list(set)
        ));
    }
    let mut checked = Vec::with_capacity(randomness.contributions.len());
    for (i, contribution) in randomness.contributions.iter().enumerate() {
        let short = &contribution.validator.to_hex()[..12];
        if !set.contains(&contribution.validator) {
            return Err(format!(
                "a contribution by {short}…, not a validator of the set"
            ));
        }
        if i > 0 && randomness.contributions[i - 1].validator >= contribution.validator {
            return Err("the contributions are not one per validator in key order".into());
        }
        let output = vrf::verify(
            &contribution.validator,
            alpha.as_bytes(),
            &contribution.proof.0,
        )
        .map_err(|e| format!("the contribution of {short}…: {e}"))?;
        checked.push(CheckedContribution {
            validator: contribution.validator,
            proof: contribution.proof,
            output: hex::encode(output),
        });
    }
    if randomness.is_complete() != randomness.reveal_deadline.is_some() {
        return Err(
            "the record disagrees with itself about the contributions being complete".into(),
        );
    }
    Ok(checked)
}

fn list(keys: &[PublicKey]) -> String {
    let names: Vec<String> = keys.iter().map(|k| k.to_hex()[..12].to_owned()).collect();
    format!("[{}]", names.join(", "))
}
