// ECVRF-EDWARDS25519-SHA512-TAI (RFC 9381, suite 3) verification: the browser's copy of
// `ledger/src/vrf.rs`, over noble-curves' ed25519 group operations (no curve arithmetic
// here), held to the RFC's test vectors and the ledger's contributions by the golden
// vectors (web/tests/golden/vrf.json). A raffle's validators prove over
// tagged("truffle/v1/raffle-vrf", chain id ‖ raffle id ‖ closing block hash).

import { ed25519, sha512 } from "./vendor.js";
import { concat, equalBytes } from "./borsh.js";
import { tagged } from "./ledger.js";

const Point = ed25519.Point;
const ORDER = Point.Fn.ORDER;
const SUITE = 0x03;

function littleEndian(bytes) {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  return value;
}

/** RFC 8032 decoding: a point only from its canonical encoding. */
function stringToPoint(bytes) {
  try {
    const point = Point.fromBytes(bytes);
    return equalBytes(point.toBytes(), bytes) ? point : null;
  } catch {
    return null;
  }
}

/** ECVRF_encode_to_curve_try_and_increment with the public key as salt. */
export function encodeToCurve(publicKey, alpha) {
  for (let ctr = 0; ctr < 256; ctr++) {
    const hash = sha512(concat(Uint8Array.of(SUITE, 0x01), publicKey, alpha, Uint8Array.of(ctr, 0x00)));
    const point = stringToPoint(hash.subarray(0, 32));
    if (point) return point.clearCofactor();
  }
  throw new Error("no curve point for this input");
}

function challenge(points) {
  const parts = [Uint8Array.of(SUITE, 0x02), ...points.map((p) => p.toBytes()), Uint8Array.of(0x00)];
  return sha512(concat(...parts)).subarray(0, 16);
}

/**
 * ECVRF_verify with key validation: the 64-byte output `beta` when `proof` (80 bytes) is
 * `publicKey`'s proof over `alpha`, else null.
 */
export function vrfVerify(publicKey, alpha, proof) {
  if (proof.length !== 80 || publicKey.length !== 32) return null;
  const y = stringToPoint(publicKey);
  if (!y || y.isSmallOrder()) return null;
  const gamma = stringToPoint(proof.subarray(0, 32));
  if (!gamma) return null;
  const c = proof.subarray(32, 48);
  const cInt = littleEndian(c);
  const s = littleEndian(proof.subarray(48, 80));
  if (s >= ORDER) return null;
  const h = encodeToCurve(publicKey, alpha);
  const u = Point.BASE.multiplyUnsafe(s).subtract(y.multiplyUnsafe(cInt));
  const v = h.multiplyUnsafe(s).subtract(gamma.multiplyUnsafe(cInt));
  if (!equalBytes(challenge([y, h, gamma, u, v]), c)) return null;
  return sha512(concat(Uint8Array.of(SUITE, 0x03), gamma.clearCofactor().toBytes(), Uint8Array.of(0x00)));
}

function u64be(value) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

/** `draw::vrf_input`: what every validator proves over for a raffle. */
export function raffleVrfInput(chainId, raffle, closingHash) {
  return tagged("truffle/v1/raffle-vrf", chainId, u64be(raffle), closingHash);
}

/**
 * `draw::draw_seed`: the seed from the raffle id, the closing block's hash, the seller's
 * secret and every validator's VRF output (`[key, output]`, sorted by key).
 */
export function raffleDrawSeed(raffle, closingHash, secret, outputs) {
  const count = new Uint8Array(4);
  new DataView(count.buffer).setUint32(0, outputs.length);
  return tagged("truffle/v1/raffle-draw", u64be(raffle), closingHash, secret, count,
    ...outputs.flatMap(([key, output]) => [key, output]));
}
