// The browser's encoder, signer and verifier against the ledger's own output
// (web/tests/golden/*.json, written and checked by web/src/golden.rs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { ed25519 } from "../../static/assets/js/vendor.js";
import { fromHex, toHex } from "../../static/assets/js/borsh.js";
import {
  PAYLOAD_KINDS, decodeAll, encodeSigned, encodeTransaction, genesisChainId, GENESIS_PARAM_DEFAULTS, read, signingHash,
} from "../../static/assets/js/ledger.js";
import {
  quorum, verifyHistoryBundle, verifyRaffleBundle, verifySignature, verifyStateProof, VerifyError,
} from "../../static/assets/js/verify.js";
import { signWithSeed } from "../../static/assets/js/wallet.js";

const golden = (name) => JSON.parse(readFileSync(new URL(`../golden/${name}`, import.meta.url), "utf8"));

test("every payload kind encodes and signs exactly as the ledger does", async () => {
  const { cases } = golden("transactions.json");
  const kinds = new Set(cases.map((c) => c.kind));
  assert.deepEqual([...kinds].sort(), [...PAYLOAD_KINDS].sort());
  for (const c of cases) {
    const tx = { chain_id: c.chain_id, signer: c.signer, nonce: c.nonce, payload: c.payload };
    const unsigned = encodeTransaction(tx);
    assert.equal(toHex(unsigned), c.unsigned, `${c.kind}: borsh`);
    const hash = signingHash(unsigned);
    assert.equal(toHex(hash), c.signing_hash, `${c.kind}: signing hash`);
    const seed = fromHex(c.signer_seed);
    assert.equal(toHex(ed25519.getPublicKey(seed)), c.signer);
    const signature = await signWithSeed(seed, hash);
    assert.equal(toHex(encodeSigned(unsigned, signature)), c.signed, `${c.kind}: signed`);
    // And back: the decoder reads what the ledger wrote.
    const decoded = decodeAll(fromHex(c.signed), read.signedTransaction);
    assert.deepEqual(JSON.parse(JSON.stringify(decoded.tx.payload)), c.payload, `${c.kind}: decode`);
  }
});

test("the genesis spec hashes to the chain id", () => {
  const g = golden("proofs.json");
  assert.equal(genesisChainId(g.genesis), g.chain_id);
  const other = structuredClone(g.genesis);
  other.params.max_validators += 1;
  assert.notEqual(genesisChainId(other), g.chain_id);
  const raised = structuredClone(g.genesis);
  raised.params.min_raffle_reveal_blocks += 1;
  assert.notEqual(genesisChainId(raised), g.chain_id);
  // A genesis file written before the raffle minimums: the defaults, as the ledger reads it.
  const older = structuredClone(g.genesis);
  for (const field of ["min_raffle_entry_blocks", "min_raffle_entry_ms", "min_raffle_reveal_blocks", "missed_reveal_cooldown_ms"]) {
    assert.equal(older.params[field], GENESIS_PARAM_DEFAULTS[field], field);
    delete older.params[field];
  }
  assert.equal(genesisChainId(older), g.chain_id);
  // The later block rules, set: the ledger's chain id of that spec.
  assert.equal(genesisChainId(g.genesis_with_block_rules), g.chain_id_with_block_rules);
  assert.notEqual(g.chain_id_with_block_rules, g.chain_id);
});

test("a history bundle verifies to the ledger's verdict", () => {
  const g = golden("proofs.json");
  const verdict = verifyHistoryBundle(g.genesis, g.item, g.history_proof);
  assert.equal(verdict.chainId, g.chain_id);
  assert.equal(verdict.owner, g.verdict.owner);
  assert.equal(verdict.seller, g.verdict.seller);
  assert.equal(verdict.item.serial, g.verdict.serial);
  assert.equal(verdict.anchor.height, g.anchor_height);
  assert.equal(verdict.anchor.set_changes, 2);
  assert.deepEqual(
    verdict.history.map((s) => [s.sequence, s.owner, s.signer, s.tx.height, s.tx.index, s.tx.tx_hash, s.acquisition.kind]),
    g.verdict.history.map((s) => [s.sequence, s.owner, s.signer, s.height, s.index, s.tx_hash, s.acquisition.kind]),
  );
});

test("any altered byte of the bundle is refused", () => {
  const g = golden("proofs.json");
  const bytes = fromHex(g.history_proof);
  // A spread of positions over the whole bundle: certificates, proofs, records, transactions.
  const step = Math.max(1, Math.floor(bytes.length / 97));
  let refused = 0;
  for (let i = 0; i < bytes.length; i += step) {
    const tampered = bytes.slice();
    tampered[i] ^= 0x01;
    assert.throws(() => verifyHistoryBundle(g.genesis, g.item, toHex(tampered)), VerifyError, `byte ${i}`);
    refused++;
  }
  assert.ok(refused > 90);
});

test("compact state proofs of presence and of both kinds of absence check as in the ledger", () => {
  const g = golden("proofs.json");
  assert.deepEqual(g.state_proofs.map((c) => c.kind).sort(), ["empty", "key", "other"]);
  for (const c of g.state_proofs) {
    const bytes = fromHex(c.proof);
    const proof = decodeAll(bytes, read.stateProof);
    assert.equal(proof.leaf.kind, c.kind);
    const value = c.value === null ? null : fromHex(c.value);
    const key = fromHex(c.key);
    assert.ok(verifyStateProof(c.state_root, key, value, proof), `${c.kind}: verifies`);
    // The other answer, or another key, is refused.
    assert.ok(!verifyStateProof(c.state_root, key, value === null ? new Uint8Array([1]) : null, proof), `${c.kind}: other answer`);
    const otherKey = key.slice();
    otherKey[otherKey.length - 1] ^= 0x40;
    assert.ok(!verifyStateProof(c.state_root, otherKey, value, proof), `${c.kind}: other key`);
    // Every flipped bit either fails to decode or fails to verify.
    for (let i = 0; i < bytes.length; i++) {
      const tampered = bytes.slice();
      tampered[i] ^= 0x01;
      let forged;
      try {
        forged = decodeAll(tampered, read.stateProof);
      } catch {
        continue;
      }
      assert.ok(!verifyStateProof(c.state_root, key, value, forged), `${c.kind}: byte ${i}`);
    }
  }
});

test("another genesis, another item or a truncated bundle is refused", () => {
  const g = golden("proofs.json");
  const other = structuredClone(g.genesis);
  other.chain_name = "another-chain";
  assert.throws(() => verifyHistoryBundle(other, g.item, g.history_proof), /another chain/);
  const stranger = structuredClone(g.genesis);
  stranger.validators[0].key = g.verdict.owner;
  assert.throws(() => verifyHistoryBundle(stranger, g.item, g.history_proof), VerifyError);
  assert.throws(() => verifyHistoryBundle(g.genesis, g.item + 1, g.history_proof), VerifyError);
  assert.throws(() => verifyHistoryBundle(g.genesis, g.item, g.history_proof.slice(0, -2)), /does not decode/);
});

test("certificates need the ledger's quorum: more than two thirds", () => {
  const g = golden("proofs.json");
  assert.ok(g.quorums.length >= 31);
  for (const [validators, need] of g.quorums) assert.equal(quorum(validators), need, `${validators} validators`);
  // The anchor's three validators, two of them signed: a majority, but not enough.
  assert.throws(
    () => verifyHistoryBundle(g.genesis, g.item, g.history_proof_short_of_quorum),
    /2 of 3 validators signed; 3 are needed/,
  );
});

test("a drawn raffle's bundle verifies to the ledger's verdict: the same inputs, seed and winners", () => {
  const g = golden("raffle_proof.json");
  const verdict = verifyRaffleBundle(g.genesis, g.raffle, g.raffle_proof);
  const v = g.verdict;
  assert.equal(verdict.raffle.status, v.status);
  assert.equal(verdict.raffle.seller, v.seller);
  assert.deepEqual(verdict.raffle.spec.items.map(Number), v.items);
  assert.equal(verdict.entries.length, v.entries);
  assert.deepEqual(verdict.eligible, v.eligible);
  assert.equal(verdict.anchor.height, g.anchor_height);
  assert.equal(verdict.raffle.closing_block.hash, v.closing_block.hash);
  assert.equal(verdict.vrfInput, v.vrf_input);
  assert.deepEqual(verdict.validators, v.validators);
  assert.deepEqual(verdict.contributions, v.contributions);
  assert.deepEqual(verdict.missing, []);
  assert.equal(verdict.raffle.revealed_secret, v.secret);
  assert.equal(verdict.seed, v.seed);
  assert.deepEqual(verdict.winners, v.winners);
  assert.deepEqual(verdict.runnersUp, v.runners_up);
});

test("a raffle bundle short of a quorum, without its closing block, with a forged draw or altered is refused", () => {
  const g = golden("raffle_proof.json");
  // Four validators: three must sign the anchor and the closing block alike.
  for (const bundle of [g.refused.anchor_short_of_quorum, g.refused.closing_short_of_quorum]) {
    assert.throws(() => verifyRaffleBundle(g.genesis, g.raffle, bundle), /2 of 4 validators signed; 3 are needed/);
  }
  assert.throws(() => verifyRaffleBundle(g.genesis, g.raffle, g.refused.without_closing_block), /lacks the closing block/);
  // Forged draws: an entry left out, another certified block as the closing one.
  assert.throws(() => verifyRaffleBundle(g.genesis, g.raffle, g.refused.entry_left_out), /does not hold every entry/);
  assert.throws(() => verifyRaffleBundle(g.genesis, g.raffle, g.refused.other_closing_block), /not the one the raffle names/);
  assert.throws(() => verifyRaffleBundle(g.genesis, g.raffle + 1, g.raffle_proof), VerifyError);
  const bytes = fromHex(g.raffle_proof);
  const step = Math.max(1, Math.floor(bytes.length / 97));
  for (let i = 0; i < bytes.length; i += step) {
    const tampered = bytes.slice();
    tampered[i] ^= 0x01;
    assert.throws(() => verifyRaffleBundle(g.genesis, g.raffle, toHex(tampered)), VerifyError, `byte ${i}`);
  }
});

test("signatures: the browser's verdict is the ledger's, crafted points included", () => {
  const { cases } = golden("signatures.json");
  assert.ok(cases.length >= 6);
  let laxAccepted = 0;
  for (const c of cases) {
    const message = fromHex(c.message);
    const signature = fromHex(c.signature, 64);
    assert.equal(verifySignature(c.public_key, message, signature), c.valid, c.name);
    // noble's own (cofactored) check accepts some of what the ledger refuses.
    let lax = false;
    try {
      lax = ed25519.verify(signature, message, fromHex(c.public_key, 32), { zip215: false });
    } catch {}
    if (lax && !c.valid) laxAccepted++;
  }
  assert.ok(laxAccepted >= 2, `noble alone accepted ${laxAccepted} refused vectors`);
});

test("raffle randomness: ECVRF proofs and the seed as the ledger computes them", async () => {
  const { vrfVerify, raffleVrfInput, raffleDrawSeed } = await import("../../static/assets/js/vrf.js");
  const g = golden("vrf.json");
  for (const c of g.cases) {
    const beta = vrfVerify(fromHex(c.public_key), fromHex(c.alpha), fromHex(c.proof));
    assert.equal(beta === null ? null : toHex(beta), c.output);
  }
  const r = g.raffle;
  const input = raffleVrfInput(fromHex(r.chain_id), r.raffle, fromHex(r.closing_hash));
  assert.equal(toHex(input), r.vrf_input);
  const outputs = r.contributions.map((c) => {
    const beta = vrfVerify(fromHex(c.validator), input, fromHex(c.proof));
    assert.equal(toHex(beta), c.output);
    // Another validator's key, or another raffle's input, does not verify.
    assert.equal(vrfVerify(fromHex(r.contributions.find((o) => o !== c).validator), input, fromHex(c.proof)), null);
    assert.equal(vrfVerify(fromHex(c.validator), raffleVrfInput(fromHex(r.chain_id), r.raffle + 1, fromHex(r.closing_hash)), fromHex(c.proof)), null);
    return [fromHex(c.validator), beta];
  });
  const seed = raffleDrawSeed(r.raffle, fromHex(r.closing_hash), fromHex(r.secret), outputs);
  assert.equal(toHex(seed), r.seed);
  const { drawPositions } = await import("../../static/assets/js/verify.js");
  assert.deepEqual(drawPositions(seed, 10, 4), r.positions_of_10_pick_4);
  assert.deepEqual(drawPositions(seed, 3, 5), r.positions_of_3_pick_5);
});
