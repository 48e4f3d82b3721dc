// The raffle form's checks against the ledger's limits and the genesis minimums
// (web/static/assets/js/raffle-rules.js), and the i18n texts every problem names.
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  cancellable, checkCancelReason, checkRaffleSettings, MAX_PAYMENT_WINDOW_MS, MAX_REVEAL_BLOCKS, minEntryMinutes, raffleDefaults,
} from "../../static/assets/js/raffle-rules.js";
import { GENESIS_PARAM_DEFAULTS } from "../../static/assets/js/ledger.js";
import { DICTIONARIES } from "../../static/assets/js/i18n.js";

const params = { ...GENESIS_PARAM_DEFAULTS };
const good = { items: "12, 13", minutes: "60", price: "159000", runners_up: "3", min_age: "", reveal_blocks: "1000", payment_hours: "24" };
const fields = (values, p = params) => checkRaffleSettings(values, p).problems.map((x) => x.field);

test("a form within every limit makes the spec the ledger takes", () => {
  const { spec, problems } = checkRaffleSettings(good, params);
  assert.deepEqual(problems, []);
  assert.deepEqual(spec, {
    items: [12, 13], price: 159000, runners_up: 3, min_age: null, reveal_blocks: 1000,
    payment_window_ms: 24 * 3_600_000, entry_ms: 3_600_000,
  });
});

test("the defaults pass, and follow a chain whose minimums are higher", () => {
  const strict = { ...params, min_raffle_entry_ms: 2 * 3_600_000, min_raffle_reveal_blocks: 5000 };
  const d = raffleDefaults(strict);
  assert.equal(d.minutes, 120);
  assert.equal(d.reveal_blocks, 5000);
  const values = { ...good, minutes: String(d.minutes), reveal_blocks: String(d.reveal_blocks), payment_hours: String(d.payment_hours) };
  assert.deepEqual(fields(values, strict), []);
  assert.equal(minEntryMinutes({ min_raffle_entry_ms: 30_000 }), 0.5);
});

test("each setting out of bounds names its field", () => {
  assert.deepEqual(fields({ ...good, items: "" }), ["items"]);
  assert.deepEqual(fields({ ...good, items: "12, 12" }), ["items"]);
  assert.deepEqual(fields({ ...good, items: "12, x" }), ["items"]);
  assert.deepEqual(fields({ ...good, minutes: "0.1" }), ["minutes"]);
  assert.deepEqual(fields({ ...good, price: "0" }), ["price"]);
  assert.deepEqual(fields({ ...good, price: "1.5" }), ["price"]);
  assert.deepEqual(fields({ ...good, price: "10000000001" }), ["price"]);
  assert.deepEqual(fields({ ...good, runners_up: "10001" }), ["runners_up"]);
  assert.deepEqual(fields({ ...good, runners_up: "" }), []);
  assert.deepEqual(fields({ ...good, min_age: "20" }), ["min_age"]);
  assert.deepEqual(fields({ ...good, min_age: "19" }), []);
  assert.deepEqual(fields({ ...good, reveal_blocks: "4" }), ["reveal_blocks"]);
  assert.deepEqual(fields({ ...good, reveal_blocks: String(MAX_REVEAL_BLOCKS + 1) }), ["reveal_blocks"]);
  assert.deepEqual(fields({ ...good, payment_hours: "0.01" }), ["payment_hours"]);
  assert.deepEqual(fields({ ...good, payment_hours: String(MAX_PAYMENT_WINDOW_MS / 3_600_000 + 1) }), ["payment_hours"]);
  // The chain's own minimum, not a constant of the page.
  assert.deepEqual(fields({ ...good, reveal_blocks: "10" }, { ...params, min_raffle_reveal_blocks: 20 }), ["reveal_blocks"]);
  assert.deepEqual(fields({ ...good, minutes: "1" }, { ...params, min_raffle_entry_ms: 120_000 }), ["minutes"]);
});

test("every problem and the cancellation texts exist in Korean and English", () => {
  const everything = { items: "", minutes: "", price: "", runners_up: "-1", min_age: "99", reveal_blocks: "", payment_hours: "" };
  const keys = checkRaffleSettings(everything, params).problems.map((p) => p.key);
  assert.equal(keys.length, 7);
  keys.push("rules.items.twice", "rules.items.ids", "rules.cancelReason", "raffle.cancelledNotice", "raffle.phase.cancelled",
    "me.outcome.raffle_cancelled", "resale.list", "main.popular.fromNode", "me.recommend");
  for (const key of keys) {
    assert.ok(DICTIONARIES.ko[key], `ko ${key}`);
    assert.ok(DICTIONARIES.en[key], `en ${key}`);
  }
  assert.deepEqual(Object.keys(DICTIONARIES.ko).filter((k) => !(k in DICTIONARIES.en)), [], "every Korean text has an English one");
});

test("a cancellation needs a reason of 1 to 200 characters and an open window", () => {
  assert.equal(checkCancelReason(""), "rules.cancelReason");
  assert.equal(checkCancelReason("   "), "rules.cancelReason");
  assert.equal(checkCancelReason("입고 지연"), null);
  assert.equal(checkCancelReason("가".repeat(200)), null);
  assert.equal(checkCancelReason("가".repeat(201)), "rules.cancelReason");
  assert.ok(cancellable({ status: "open", phase: "accepting_entries" }));
  assert.ok(cancellable({ status: "open", phase: "upcoming" }));
  assert.ok(!cancellable({ status: "open", phase: "closing" }));
  assert.ok(!cancellable({ status: "closed", phase: "awaiting_reveal" }));
  assert.ok(!cancellable({ status: "cancelled", phase: "cancelled" }));
});
