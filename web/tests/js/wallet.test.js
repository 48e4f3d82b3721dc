// The wallet's key storage and the pages' texts.
import { test } from "node:test";
import assert from "node:assert/strict";

import { gcm, pbkdf2Async, sha256, ed25519 } from "../../static/assets/js/vendor.js";
import { fromHex, toHex, utf8 } from "../../static/assets/js/borsh.js";
import { generateKey, openSeed, sealSeed, signWithSeed, WalletLocked } from "../../static/assets/js/wallet.js";
import { DICTIONARIES, errorMessage } from "../../static/assets/js/i18n.js";
import { RpcError } from "../../static/assets/js/rpc.js";

const FAST = 1000; // PBKDF2 rounds for tests only; the pages use 600,000.

test("a sealed key opens with its password only", async () => {
  const key = generateKey();
  const record = await sealSeed(key.seed, "correct horse battery", FAST);
  assert.equal(record.public_key, key.publicKey);
  assert.ok(!JSON.stringify(record).includes(toHex(key.seed)), "the seed is not stored in clear");
  assert.deepEqual(await openSeed(record, "correct horse battery"), key.seed);
  await assert.rejects(openSeed(record, "wrong"), WalletLocked);
  // The public key is the associated data: a record cannot be moved to another account.
  const moved = { ...record, public_key: generateKey().publicKey };
  await assert.rejects(openSeed(moved, "correct horse battery"), WalletLocked);
  const flipped = { ...record, ciphertext: record.ciphertext.replace(/^./, (c) => (c === "0" ? "1" : "0")) };
  await assert.rejects(openSeed(flipped, "correct horse battery"), WalletLocked);
});

test("the WebCrypto record opens with the @noble fallback (same format)", async () => {
  const key = generateKey();
  const record = await sealSeed(key.seed, "pw-1234567890", FAST);
  const derived = await pbkdf2Async(sha256, utf8("pw-1234567890"), fromHex(record.salt), { c: record.iterations, dkLen: 32 });
  const seed = gcm(derived, fromHex(record.iv), fromHex(record.public_key)).decrypt(fromHex(record.ciphertext));
  assert.deepEqual(seed, key.seed);
});

test("WebCrypto and @noble signatures are the same bytes", async () => {
  const key = generateKey();
  const message = utf8("truffle");
  assert.deepEqual(await signWithSeed(key.seed, message), ed25519.sign(message, key.seed));
});

test("every text exists in Korean and English", () => {
  const ko = Object.keys(DICTIONARIES.ko).sort();
  const en = Object.keys(DICTIONARIES.en).sort();
  assert.deepEqual(ko.filter((k) => !en.includes(k)), [], "missing in English");
  assert.deepEqual(en.filter((k) => !ko.includes(k)), [], "missing in Korean");
});

test("an unavailable node's answer says whether retrying may help", () => {
  const retry = errorMessage(new RpcError(2003, "no leader", { retryable: true }));
  const final = errorMessage(new RpcError(2003, "corrupt", { retryable: false }));
  assert.equal(retry, DICTIONARIES.ko["error.2003"]);
  assert.equal(final, DICTIONARIES.ko["error.2003.final"]);
  assert.notEqual(retry, final);
  assert.equal(errorMessage(new RpcError(2003, "old node", null)), DICTIONARIES.ko["error.2003"]);
});

test("no leader, behind and dropped each have their own message", () => {
  const texts = [2006, 2007, 2008].map((code) => errorMessage(new RpcError(code, "engine", { retryable: true })));
  texts.forEach((text, i) => assert.equal(text, DICTIONARIES.ko[`error.${2006 + i}`]));
  assert.equal(new Set([...texts, DICTIONARIES.ko["error.2003"]]).size, 4);
});
