// The "verified on the ledger" badge: the browser checks a proof bundle from
// `proof_history` itself, from the genesis alone, as `truffle_ledger::verify` does:
//
// 1. the genesis spec hashes to the chain id (and the page pins that chain id the first
//    time it sees it; see app.js),
// 2. every validator-set change since genesis is certified by the set before it, and its
//    new set is proven at its state root; the anchor header is certified by more than
//    two thirds of the set in force (`quorum`), with ed25519 signatures over
//    tagged("truffle/v1/header-vote", chain_id ‖ tagged("truffle/v1/header", borsh(header))),
// 3. the item, product, serial-index and ownership records are proven against the
//    anchor's state root by their Jellyfish Merkle proofs (blake3),
// 4. the product's registration is the transaction it names, signed by its seller, and
//    registers this serial at this edition number,
// 5. each ownership change is the transaction its record names, included (Merkle proof)
//    under its block's transactions root, its receipt included under the receipts root
//    and applied, its block certified by the validators of its height, and of the right
//    kind (registration by the seller, transfer signed by the previous owner, settlement
//    or refund of the recorded order).

import { blake3, ed25519 } from "./vendor.js";
import { Reader, concat, equalBytes, fromHex, toHex } from "./borsh.js";
import {
  DOMAIN, decodeAll, genesisChainId, plainHash, raffleCommitment, read, signingHash, stateKey, tagged,
} from "./ledger.js";
import { raffleDrawSeed, raffleVrfInput, vrfVerify } from "./vrf.js";

export class VerifyError extends Error {}

function fail(message) {
  throw new VerifyError(message);
}

const PLACEHOLDER = new TextEncoder().encode("SPARSE_MERKLE_PLACEHOLDER_HASH__");
const JMT_LEAF = new TextEncoder().encode("JMT::LeafNode");
const JMT_INTERNAL = new TextEncoder().encode("JMT::IntrnalNode");

function jmtLeafHash(keyHash, valueHash) {
  return plainHash(concat(JMT_LEAF, keyHash, valueHash));
}
function jmtInternalHash(left, right) {
  return plainHash(concat(JMT_INTERNAL, left, right));
}
function bit(bytes, index) {
  return (bytes[index >> 3] >> (7 - (index & 7))) & 1;
}
function commonPrefixBits(a, b) {
  let n = 0;
  while (n < 256 && bit(a, n) === bit(b, n)) n++;
  return n;
}

/**
 * `state_proof::StateProof::verify` (jmt 0.12's check over sibling hashes, blake3):
 * `value` (or null for absence) under `key`. Canonical as in the ledger: a present value
 * ends in the key's own leaf, an absent one in an empty subtree or another key's leaf
 * alone in the asked key's subtree, and an empty sibling is never written out.
 */
export function verifyStateProof(stateRootHex, key, value, proof) {
  const n = proof.siblings.length;
  if (n > 256) return false;
  const keyHash = plainHash(key);
  const leaf = proof.leaf;
  let hash;
  if (value !== null) {
    if (leaf.kind !== "key") return false;
    hash = jmtLeafHash(keyHash, plainHash(value));
  } else if (leaf.kind === "empty") {
    hash = PLACEHOLDER;
  } else if (leaf.kind === "other") {
    if (equalBytes(leaf.key_hash, keyHash)) return false;
    if (commonPrefixBits(keyHash, leaf.key_hash) < n) return false;
    hash = jmtLeafHash(leaf.key_hash, leaf.value_hash);
  } else {
    return false;
  }
  for (let i = 0; i < n; i++) {
    const sibling = proof.siblings[i];
    if (sibling && equalBytes(sibling, PLACEHOLDER)) return false;
    const siblingHash = sibling || PLACEHOLDER;
    hash = bit(keyHash, n - 1 - i) ? jmtInternalHash(siblingHash, hash) : jmtInternalHash(hash, siblingHash);
  }
  return toHex(hash) === stateRootHex;
}

/** `merkle::MerkleProof::verify` over a block's transactions or receipts. */
export function verifyMerkle(proof, leaf, rootHex) {
  if (proof.index >= proof.leaf_count) return false;
  let hash = leaf;
  let position = proof.index;
  let width = proof.leaf_count;
  let next = 0;
  while (width > 1) {
    const sibling = position ^ 1;
    if (sibling < width) {
      const other = proof.siblings[next++];
      if (!other) return false;
      hash = position % 2 === 0
        ? tagged(DOMAIN.MERKLE_NODE, hash, other)
        : tagged(DOMAIN.MERKLE_NODE, other, hash);
    }
    position = Math.floor(position / 2);
    width = Math.ceil(width / 2);
  }
  return next === proof.siblings.length && toHex(hash) === rootHex;
}

/** A point of the prime-order subgroup (canonical encoding, not small order, no torsion). */
function primeOrder(bytes) {
  const point = ed25519.Point.fromBytes(bytes); // strict: throws unless y < p
  return !point.isSmallOrder() && point.isTorsionFree();
}

/**
 * The ledger's one signature rule (`truffle_ledger::crypto`): a canonical key of prime
 * order, and `verify_strict`. noble checks the cofactored equation; with A and R of
 * prime order it holds exactly when the ledger's cofactorless one does, so both are
 * required here (golden vectors: signatures.json).
 */
export function verifySignature(publicKeyHex, message, signature) {
  try {
    const key = fromHex(publicKeyHex, 32);
    if (!primeOrder(key) || !primeOrder(signature.subarray(0, 32))) return false;
    return ed25519.verify(signature, message, key, { zip215: false });
  } catch {
    return false;
  }
}

export function headerHash(header) {
  return toHex(tagged(DOMAIN.HEADER, header.bytes));
}

/**
 * Votes a certificate needs out of `validators`: more than two thirds, ⌊2n/3⌋ + 1.
 * The ledger's `certificate::quorum`, held equal to it by the golden vectors.
 */
export function quorum(validators) {
  return Math.floor((2 * validators) / 3) + 1;
}

function checkCertificate(what, certified, validators) {
  const { header, certificate } = certified;
  const hash = headerHash(header);
  if (certificate.header_hash !== hash || certificate.height !== header.height) {
    fail(`${what}: the certificate is for another header`);
  }
  // The signer bitmap is over the set in ascending key order (lowercase hex sorts as
  // the bytes do): exactly ⌈n/8⌉ bytes, no bit past the set, one signature a bit.
  const keys = [...validators].sort();
  const bits = certificate.signers;
  const signed = (i) => (bits[i >> 3] & (1 << (i & 7))) !== 0;
  let count = 0;
  let past = false;
  for (let i = 0; i < bits.length * 8; i++) {
    if (!signed(i)) continue;
    count++;
    if (i >= keys.length) past = true;
  }
  if (bits.length !== Math.ceil(keys.length / 8) || past || count !== certificate.signatures.length) {
    fail(`${what}: the signer bitmap does not fit the ${keys.length} validators`);
  }
  const message = tagged(DOMAIN.HEADER_VOTE, fromHex(header.chain_id), fromHex(hash));
  let next = 0;
  for (let i = 0; i < keys.length; i++) {
    if (!signed(i)) continue;
    if (!verifySignature(keys[i], message, certificate.signatures[next])) {
      fail(`${what}: the vote of ${keys[i].slice(0, 12)}… does not verify`);
    }
    next++;
  }
  const need = quorum(validators.size);
  if (count < need) fail(`${what}: ${count} of ${validators.size} validators signed; ${need} are needed`);
}

function proven(header, what, key, pv) {
  if (!verifyStateProof(header.state_root, key, pv.value, pv.proof)) {
    fail(`${what}: the state proof does not match block ${header.height}'s state root`);
  }
  return pv.value;
}

function provenRecord(header, what, key, pv, reader) {
  const bytes = proven(header, what, key, pv);
  if (bytes === null) fail(`${what} is missing at block ${header.height}`);
  try {
    return decodeAll(bytes, reader);
  } catch (error) {
    fail(`${what}: ${error.message}`);
  }
}

function provenSet(header, what, pv) {
  const set = provenRecord(header, `the validator set at block ${header.height} (${what})`,
    stateKey.validatorSet(), pv, read.validatorSet);
  if (set.keys.length === 0 || set.keys.some((k, i) => i > 0 && set.keys[i - 1] >= k)) {
    fail(`the set proven at block ${header.height} is empty or not sorted`);
  }
  return set;
}

/** The trust root: chain id and genesis validators, from the genesis spec's JSON. */
export function trustRoot(genesisSpec) {
  return {
    chainId: genesisChainId(genesisSpec),
    validators: new Set(genesisSpec.validators.map((v) => v.key)),
  };
}

/** `verify_anchor`: the set changes from genesis, then the anchor's certificate. */
export function verifyAnchor(trust, anchor) {
  const header = anchor.block.header;
  if (header.chain_id !== trust.chainId) fail("the anchor header is for another chain");
  if (header.height === 0) fail("the anchor is the genesis block, which is not certified");
  const sets = [[0, trust.validators]];
  const after = (height) => sets.filter(([at]) => at <= height).pop()[1];
  let last = { keys: [...trust.validators].sort(), changed_at: 0, previous_change: null };
  for (const change of anchor.set_changes) {
    const h = change.block.header.height;
    if (change.block.header.chain_id !== trust.chainId) fail(`set change at block ${h} is for another chain`);
    if (h <= last.changed_at || h > header.height) fail(`set change at block ${h} is out of order`);
    checkCertificate(`validator-set change at block ${h}`, change.block, after(h - 1));
    const set = provenSet(change.block.header, "after its change", change.set);
    if (set.changed_at !== h || set.previous_change !== last.changed_at) {
      fail(`the set proven at block ${h} does not follow the change at ${last.changed_at} (a change was left out)`);
    }
    sets.push([h, new Set(set.keys)]);
    last = set;
  }
  checkCertificate("the anchor header", anchor.block, after(header.height - 1));
  const atAnchor = provenSet(header, "at the anchor", anchor.set);
  if (atAnchor.changed_at !== last.changed_at || atAnchor.keys.join() !== last.keys.join()
    || atAnchor.previous_change !== last.previous_change) {
    fail("the set proven at the anchor is not the last change of the bundle (a change was left out)");
  }
  return {
    header,
    hash: headerHash(header),
    certifying: (height) => after(Math.max(height - 1, 0)),
    setChanges: sets.length - 1,
  };
}

function checkSigned(trust, what, stx) {
  if (stx.tx.chain_id !== trust.chainId) fail(`${what}: signed for another chain`);
  const hash = signingHash(stx.unsigned);
  if (!verifySignature(stx.tx.signer, hash, stx.signature)) fail(`${what}: the signature does not verify`);
  return toHex(hash);
}

const readItemProof = (r) => ({
  anchor: readAnchor(r), serial: read.provenValue(r), item: read.provenValue(r),
  product: read.provenValue(r), registration: read.signedTransaction(r),
});
function readAnchor(r) {
  return {
    block: read.certifiedHeader(r),
    set_changes: r.vec(() => ({ block: read.certifiedHeader(r), set: read.provenValue(r) })),
    set: read.provenValue(r),
  };
}
const readHistoryProof = (r) => ({
  item: readItemProof(r),
  entries: r.vec(() => ({
    record: read.provenValue(r), block: read.certifiedHeader(r),
    transaction: read.signedTransaction(r), transaction_proof: read.merkleProof(r),
    receipt: read.appliedReceipt(r), receipt_proof: read.merkleProof(r),
  })),
});

function checkItem(trust, state, itemId, proof) {
  const header = state.header;
  const item = provenRecord(header, `item ${itemId}`, stateKey.item(itemId), proof.item, read.item);
  if (String(item.id) !== String(itemId)) fail("the proven item record has another id");
  const product = provenRecord(header, `product ${item.product}`, stateKey.product(item.product),
    proof.product, read.product);
  if (String(product.id) !== String(item.product)) fail("the proven product record has another id");
  if (product.edition_size !== item.edition_size) fail("the item's edition size differs from its product's");
  if (item.edition === 0 || item.edition > product.edition_size
    || BigInt(product.first_item) + BigInt(item.edition) - 1n !== BigInt(item.id)) {
    fail(`item ${itemId}'s place in product ${product.id} is wrong`);
  }
  const indexed = provenRecord(header, "the serial index entry",
    stateKey.serial(product.brand, product.model, item.serial), proof.serial, (r) => r.u64());
  if (String(indexed) !== String(itemId)) fail("the serial index names another item");
  // The registration: the transaction the product names, by its seller, for this serial.
  const reg = proof.registration;
  const hash = checkSigned(trust, "the registration", reg);
  if (hash !== product.registered.tx_hash) fail("the registration is not the transaction the product names");
  if (reg.tx.signer !== product.seller) fail("the registration is not signed by the seller");
  const spec = reg.tx.payload.register_product;
  if (!spec) fail("the registration is not a product registration");
  const serial = spec.serials[item.edition - 1];
  if (spec.brand.trim() !== product.brand || spec.model.trim() !== product.model
    || spec.serials.length !== product.edition_size || serial === undefined
    || serial.trim() !== item.serial) {
    fail("the registration does not register this serial at this edition");
  }
  return { item, product };
}

function samePosition(a, b) {
  return String(a.height) === String(b.height) && a.index === b.index && a.tx_hash === b.tx_hash;
}

/**
 * Verifies a `proof_history` bundle (hex) for item `itemId` against the genesis spec.
 * Returns the verdict, or throws a VerifyError that says what failed.
 */
export function verifyHistoryBundle(genesisSpec, itemId, bundleHex) {
  const trust = trustRoot(genesisSpec);
  let proof;
  try {
    proof = decodeAll(fromHex(bundleHex), readHistoryProof);
  } catch (error) {
    fail(`the bundle does not decode: ${error.message}`);
  }
  const state = verifyAnchor(trust, proof.item.anchor);
  const { item, product } = checkItem(trust, state, itemId, proof.item);
  if (proof.entries.length !== item.history_len) {
    fail(`the history has ${proof.entries.length} entries; the item says ${item.history_len}`);
  }
  const history = [];
  let previous = null;
  proof.entries.forEach((entry, sequence) => {
    const what = `ownership change ${sequence}`;
    const record = provenRecord(state.header, `ownership record ${sequence}`,
      stateKey.ownership(item.id, sequence), entry.record, read.ownership);
    if (String(record.item) !== String(item.id) || record.sequence !== sequence) {
      fail(`${what}: the record is for another item or position`);
    }
    const header = entry.block.header;
    if (String(record.tx.height) !== String(header.height)) fail(`${what}: the block is at another height`);
    if (header.chain_id !== trust.chainId) fail(`${what}: the block is for another chain`);
    if (BigInt(header.height) > BigInt(state.header.height)) fail(`${what}: the block is above the anchor`);
    if (header.height === 0) fail(`${what}: the genesis block is not certified`);
    checkCertificate(`the block of ${what}`, entry.block, state.certifying(header.height));
    if (previous && (BigInt(record.tx.height) < BigInt(previous.tx.height)
      || (String(record.tx.height) === String(previous.tx.height) && record.tx.index <= previous.tx.index))) {
      fail(`${what}: out of order`);
    }
    const hash = toHex(signingHash(entry.transaction.unsigned));
    if (hash !== record.tx.tx_hash) fail(`${what}: the transaction is not the one the record names`);
    const count = header.transaction_count;
    const included = (p, leaf, root) => p.index === record.tx.index && p.leaf_count === count && verifyMerkle(p, leaf, root);
    if (!included(entry.transaction_proof, tagged(DOMAIN.MERKLE_LEAF, fromHex(hash)), header.transactions_root)) {
      fail(`${what}: the transaction is not included in its block`);
    }
    if (!included(entry.receipt_proof, tagged(DOMAIN.MERKLE_LEAF, entry.receipt.bytes), header.receipts_root)) {
      fail(`${what}: the receipt is not included in its block`);
    }
    if (entry.receipt.tx_hash !== hash) fail(`${what}: the receipt is for another transaction`);
    checkSigned(trust, what, entry.transaction);
    const signer = entry.transaction.tx.signer;
    const payload = entry.transaction.tx.payload;
    const acquisition = record.acquisition.kind;
    let ok = false;
    if (acquisition === "registered" && payload.register_product && !previous) {
      ok = samePosition(record.tx, product.registered) && record.owner === product.seller;
    } else if (acquisition === "transferred" && payload.transfer_item && previous) {
      const t = payload.transfer_item;
      ok = String(t.item) === String(record.item) && t.to === record.owner && signer === previous.owner;
    } else if (acquisition === "purchased" && payload.settle_payment && previous) {
      ok = String(payload.settle_payment.order) === String(record.acquisition.order);
    } else if (acquisition === "refunded" && payload.refund_order && previous) {
      ok = String(payload.refund_order.order) === String(record.acquisition.order);
    }
    if (!ok) fail(`${what}: a ${acquisition} step cannot be made by this transaction`);
    history.push({
      sequence, owner: record.owner, acquisition: record.acquisition, tx: record.tx, signer,
      block_time_ms: header.time_ms,
    });
    previous = record;
  });
  const last = history[history.length - 1];
  if (!last || last.owner !== item.owner || !samePosition(last.tx, item.owner_since)) {
    fail("the last ownership record is not the item's current owner");
  }
  return {
    chainId: trust.chainId,
    anchor: {
      height: state.header.height, hash: state.hash, time_ms: state.header.time_ms, set_changes: state.setChanges,
      validators: state.certifying(state.header.height).size,
    },
    item,
    product,
    owner: item.owner,
    seller: product.seller,
    history,
  };
}

/** `draw::draw_positions`: `count` distinct positions of `0..entrants`, in draw order. */
export function drawPositions(seed, entrants, count) {
  count = Math.min(count, entrants);
  const positions = [...Array(entrants).keys()];
  let stream = blake3(seed, { dkLen: 8 * (count + 8) });
  let offset = 0;
  const next = () => {
    if (offset + 8 > stream.length) stream = blake3(seed, { dkLen: stream.length * 2 });
    const value = new DataView(stream.buffer, stream.byteOffset + offset, 8).getBigUint64(0, true);
    offset += 8;
    return value;
  };
  const max = (1n << 64n) - 1n;
  for (let i = 0; i < count; i++) {
    const bound = BigInt(entrants - i);
    const zone = max - (max % bound);
    let value;
    do value = next(); while (value >= zone);
    const j = i + Number(value % bound);
    [positions[i], positions[j]] = [positions[j], positions[i]];
  }
  return positions.slice(0, count);
}

function decodeRaffleBundle(bundleHex) {
  try {
    return decodeAll(fromHex(bundleHex), (r) => ({
      anchor: readAnchor(r), raffle: read.provenValue(r), entries: r.vec(() => read.provenValue(r)),
      closing: r.option(() => read.certifiedHeader(r)),
    }));
  } catch (error) {
    fail(`the bundle does not decode: ${error.message}`);
  }
}

/** How many entries one `proof_raffle` answer (a page) holds. */
export function raffleBundleEntryCount(bundleHex) {
  return decodeRaffleBundle(bundleHex).entries.length;
}

/**
 * Verifies a `proof_raffle` bundle (or its pages, in order) against the genesis spec, as `truffle verify raffle`
 * does (`verify::raffle`): the anchor and the raffle's and entries' state proofs; the
 * certified closing block; that the contributors are exactly the validators in force
 * after it; every contribution's ECVRF proof under its validator's key (vrf.js); the
 * secret against its commitment; and, once drawn, the seed and the winners recomputed.
 * Returns every input with the verdict, or throws a VerifyError.
 */
export function verifyRaffleBundle(genesisSpec, raffleId, bundleHex) {
  const trust = trustRoot(genesisSpec);
  // Pages (`proof_raffle` with `page`, anchored at one height) concatenate: the first
  // page's anchor, raffle and closing block, every page's entries in order.
  const pages = (Array.isArray(bundleHex) ? bundleHex : [bundleHex]).map(decodeRaffleBundle);
  const proof = { ...pages[0], entries: pages.flatMap((page) => page.entries) };
  const state = verifyAnchor(trust, proof.anchor);
  const raffle = provenRecord(state.header, `raffle ${raffleId}`, stateKey.raffle(raffleId), proof.raffle, read.raffle);
  if (String(raffle.id) !== String(raffleId)) fail("the proven raffle has another id");
  if (proof.entries.length !== raffle.entry_count) fail("the bundle does not hold every entry");
  const entries = proof.entries.map((pv, position) =>
    provenRecord(state.header, `entry ${position}`, stateKey.raffleEntry(raffleId, position), pv, read.raffleEntry));
  entries.forEach((e, position) => {
    if (String(e.raffle) !== String(raffleId) || e.position !== position) fail(`entry ${position} is for another raffle or position`);
  });
  const eligible = entries.filter((e) => !e.cancelled).map((e) => e.entrant);
  const verdict = {
    raffle, entries, eligible, anchor: { height: state.header.height, time_ms: state.header.time_ms },
    vrfInput: null, validators: [], contributions: [], missing: [], seed: null, winners: [], runnersUp: [],
  };
  const closing = raffle.closing_block;
  const randomness = raffle.randomness;
  if (!closing !== !randomness) fail("a closing block without the validators' randomness, or the reverse");
  let outputs = [];
  if (closing) {
    if (!proof.closing) fail("the bundle lacks the closing block");
    const header = proof.closing.header;
    if (String(header.height) !== String(closing.height) || headerHash(header) !== closing.hash) {
      fail("the closing block is not the one the raffle names");
    }
    if (header.chain_id !== trust.chainId) fail("the closing block is for another chain");
    checkCertificate("the closing block", proof.closing, state.certifying(header.height));
    const set = [...state.certifying(Number(header.height) + 1)].sort();
    if (randomness.validators.join() !== set.join()) {
      fail("the contributing validators are not the set in force after the closing block");
    }
    const input = raffleVrfInput(fromHex(trust.chainId), raffle.id, fromHex(closing.hash));
    randomness.contributions.forEach((c, i) => {
      if (!set.includes(c.validator)) fail(`a contribution by ${c.validator.slice(0, 12)}…, not a validator`);
      if (i > 0 && randomness.contributions[i - 1].validator >= c.validator) fail("the contributions are not one per validator in key order");
      const output = vrfVerify(fromHex(c.validator), input, fromHex(c.proof));
      if (!output) fail(`the contribution of ${c.validator.slice(0, 12)}… does not verify`);
      outputs.push([fromHex(c.validator), output]);
      verdict.contributions.push({ validator: c.validator, output: toHex(output) });
    });
    const complete = randomness.contributions.length === set.length;
    if (complete !== (randomness.reveal_deadline !== null)) fail("the record disagrees with itself about the contributions");
    verdict.vrfInput = toHex(input);
    verdict.validators = set;
    verdict.missing = set.filter((k) => !randomness.contributions.some((c) => c.validator === k));
  }
  if (raffle.revealed_secret && toHex(raffleCommitment(fromHex(raffle.revealed_secret))) !== raffle.spec.seed_commitment) {
    fail("the revealed secret does not match the seller's commitment");
  }
  if (raffle.status === "drawn") {
    if (!raffle.result || !closing || !raffle.revealed_secret || verdict.missing.length) fail("drawn without every input of the seed");
    const seed = raffleDrawSeed(raffle.id, fromHex(closing.hash), fromHex(raffle.revealed_secret), outputs);
    if (toHex(seed) !== raffle.result.seed) fail("the seed does not recompute");
    const prizes = raffle.spec.items.length;
    const picked = drawPositions(seed, eligible.length, prizes + raffle.spec.runners_up).map((p) => eligible[p]);
    const winners = picked.slice(0, prizes);
    const runnersUp = picked.slice(prizes);
    if (winners.join() !== raffle.result.winners.join() || runnersUp.join() !== raffle.result.runners_up.join()) {
      fail("the recorded winners are not the ones the seed gives");
    }
    Object.assign(verdict, { seed: toHex(seed), winners, runnersUp });
  } else if (raffle.result) {
    fail("the record's status and result disagree");
  }
  return verdict;
}

export { Reader };
