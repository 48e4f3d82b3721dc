// Account recovery's pure parts: recovery codes, and a key sealed under one restoring
// only with that code.
import { test } from "node:test";
import assert from "node:assert/strict";

import { generateKey, openSeed, WalletLocked } from "../../static/assets/js/wallet.js";
import { newRecoveryCode, normalizeRecoveryCode, recoveryBackup } from "../../static/assets/js/pages/recovery.js";
import { parseAdminKey } from "../../static/assets/js/pages/admin.js";
import { toHex } from "../../static/assets/js/borsh.js";

test("recovery codes are 20 base32 characters in groups of four, and differ", () => {
  const codes = new Set();
  for (let i = 0; i < 200; i++) {
    const code = newRecoveryCode();
    assert.match(code, /^([0-9A-HJKMNP-TV-Z]{4}-){4}[0-9A-HJKMNP-TV-Z]{4}$/);
    codes.add(code);
  }
  assert.equal(codes.size, 200);
});

test("a typed code is read as sealed: case, spaces, dashes and look-alike letters", () => {
  assert.equal(normalizeRecoveryCode("7k3q-abcd efgh-0000-1111"), "7K3QABCDEFGH00001111");
  assert.equal(normalizeRecoveryCode("O0-Il"), "0011");
});

test("a recovery backup opens with its code (as typed) and nothing else", async () => {
  const key = generateKey();
  const code = newRecoveryCode();
  const backup = await recoveryBackup(key.seed, code);
  assert.equal(backup.protection, "recovery_code");
  assert.equal(backup.public_key, key.publicKey);
  assert.ok(!JSON.stringify(backup).includes(toHex(key.seed)));
  assert.deepEqual(await openSeed(backup, normalizeRecoveryCode(code.toLowerCase().replace(/-/g, " "))), key.seed);
  await assert.rejects(openSeed(backup, normalizeRecoveryCode(newRecoveryCode())), WalletLocked);
});

test("the admin console reads key files and bare seeds, and refuses a mismatched file", () => {
  const key = generateKey();
  const seedHex = toHex(key.seed);
  assert.deepEqual(parseAdminKey(seedHex), key.seed);
  assert.deepEqual(parseAdminKey(JSON.stringify({ public_key: key.publicKey, secret_seed: seedHex })), key.seed);
  assert.throws(() => parseAdminKey(JSON.stringify({ public_key: generateKey().publicKey, secret_seed: seedHex })));
  assert.throws(() => parseAdminKey("not a key"));
});
