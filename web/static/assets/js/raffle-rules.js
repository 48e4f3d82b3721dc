// The raffle form's settings checked against the ledger's limits (ledger/src/limits.rs)
// and the chain's genesis minimums (`params.min_raffle_*`), before anything is signed:
// each problem names its field and a message key, so the form says what to change
// instead of the ledger refusing the signed transaction. Pure (no DOM), tested by Node.

/** Most prizes in one raffle (`limits::MAX_RAFFLE_ITEMS`). */
export const MAX_RAFFLE_ITEMS = 1_000;
/** Most runners-up (`limits::MAX_RUNNERS_UP`). */
export const MAX_RUNNERS_UP = 10_000;
/** Highest price in won (`limits::MAX_PRICE_WON`). */
export const MAX_PRICE_WON = 10_000_000_000;
/** Most blocks a seller may take to reveal (`limits::MAX_REVEAL_BLOCKS`). */
export const MAX_REVEAL_BLOCKS = 100_000;
/** Shortest and longest payment window for winners (`limits::{MIN,MAX}_PAYMENT_WINDOW_MS`). */
export const MIN_PAYMENT_WINDOW_MS = 60_000;
export const MAX_PAYMENT_WINDOW_MS = 30 * 24 * 3_600_000;
/** The ledger attests adulthood only, so a raffle's minimum age is 1 to this (`tx::ADULT_AGE`). */
export const ADULT_AGE = 19;
/** Longest cancellation reason, in characters (`limits::MAX_CANCEL_REASON_CHARS`). */
export const MAX_CANCEL_REASON_CHARS = 200;

const isWhole = (n) => Number.isFinite(n) && Number.isInteger(n);

/** The entry window's shortest length in minutes the chain allows (rounded up to half minutes). */
export function minEntryMinutes(params) {
  return Math.max(0.5, Math.ceil((params.min_raffle_entry_ms / 60_000) * 2) / 2);
}

/** The form's starting values: the chain's minimums where they are above the usual choice. */
export function raffleDefaults(params) {
  return {
    minutes: Math.max(60, minEntryMinutes(params)),
    runners_up: 3,
    reveal_blocks: Math.min(MAX_REVEAL_BLOCKS, Math.max(1000, params.min_raffle_reveal_blocks)),
    payment_hours: 24,
  };
}

/**
 * Checks the raffle form's values (strings as typed) against the limits; returns
 * `{ spec, problems }`: the spec fields the values make (items, price, runners_up,
 * min_age, reveal_blocks, payment_window_ms, entry_ms) and a list of
 * `{ field, key, vars }` problems (empty when the ledger would accept them).
 */
export function checkRaffleSettings(values, params) {
  const problems = [];
  const problem = (field, key, vars = {}) => problems.push({ field, key, vars });
  const number = (text) => (String(text ?? "").trim() === "" ? NaN : Number(text));

  const itemTexts = String(values.items ?? "").split(/[\s,]+/).filter(Boolean);
  const items = itemTexts.map(Number);
  if (items.length === 0 || items.length > MAX_RAFFLE_ITEMS) {
    problem("items", "rules.items.count", { max: MAX_RAFFLE_ITEMS });
  } else if (!items.every((n) => isWhole(n) && n >= 0)) {
    problem("items", "rules.items.ids");
  } else if (new Set(items).size !== items.length) {
    problem("items", "rules.items.twice");
  }

  const minutes = number(values.minutes);
  const entryMs = Math.round(minutes * 60_000);
  if (!Number.isFinite(minutes) || entryMs < params.min_raffle_entry_ms) {
    problem("minutes", "rules.minutes", { min: minEntryMinutes(params), s: Math.round(params.min_raffle_entry_ms / 1000) });
  }

  const price = number(values.price);
  if (!isWhole(price) || price < 1 || price > MAX_PRICE_WON) problem("price", "rules.price", { max: MAX_PRICE_WON });

  const runnersUp = String(values.runners_up ?? "").trim() === "" ? 0 : number(values.runners_up);
  if (!isWhole(runnersUp) || runnersUp < 0 || runnersUp > MAX_RUNNERS_UP) {
    problem("runners_up", "rules.runnersUp", { max: MAX_RUNNERS_UP });
  }

  let minAge = null;
  if (String(values.min_age ?? "").trim() !== "") {
    minAge = number(values.min_age);
    if (!isWhole(minAge) || minAge < 1 || minAge > ADULT_AGE) problem("min_age", "rules.minAge", { adult: ADULT_AGE });
  }

  const revealBlocks = number(values.reveal_blocks);
  const minReveal = Math.max(1, params.min_raffle_reveal_blocks);
  if (!isWhole(revealBlocks) || revealBlocks < minReveal || revealBlocks > MAX_REVEAL_BLOCKS) {
    problem("reveal_blocks", "rules.revealBlocks", { min: minReveal, max: MAX_REVEAL_BLOCKS });
  }

  const hours = number(values.payment_hours);
  const paymentMs = Math.round(hours * 3_600_000);
  if (!Number.isFinite(hours) || paymentMs < MIN_PAYMENT_WINDOW_MS || paymentMs > MAX_PAYMENT_WINDOW_MS) {
    problem("payment_hours", "rules.paymentWindow", { max: MAX_PAYMENT_WINDOW_MS / 3_600_000 });
  }

  return {
    spec: {
      items, price, runners_up: runnersUp, min_age: minAge, reveal_blocks: revealBlocks,
      payment_window_ms: paymentMs, entry_ms: entryMs,
    },
    problems,
  };
}

/** A cancellation reason's problem key, or null when the ledger would take it. */
export function checkCancelReason(reason) {
  const chars = [...String(reason ?? "").trim()].length;
  if (chars < 1 || chars > MAX_CANCEL_REASON_CHARS) return "rules.cancelReason";
  return null;
}

/** Whether a raffle (a `raffle_get` view) may still be cancelled by its seller. */
export function cancellable(raffle) {
  return raffle.status === "open" && (raffle.phase === "upcoming" || raffle.phase === "accepting_entries");
}
