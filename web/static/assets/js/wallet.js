// The member's wallet key, generated and kept in this browser only.
//
// - A 32-byte ed25519 seed from the browser's CSPRNG; the public key is the member's
//   ledger account. The node never sees the seed.
// - Stored in localStorage encrypted with the member's password: PBKDF2-HMAC-SHA256
//   (600,000 iterations, random 16-byte salt) derives an AES-256-GCM key; the public key
//   is the associated data, so a record cannot be moved to another account. WebCrypto
//   does the work where the page is a secure context; @noble/hashes and @noble/ciphers
//   (same algorithms, same format) elsewhere, e.g. a phone on a LAN address over http.
// - Signing uses WebCrypto Ed25519 where the browser has it, else @noble/curves.
//   ed25519 signatures are deterministic, so both give the same bytes.

import { ed25519, gcm, pbkdf2Async, sha256 } from "./vendor.js";
import { concat, fromHex, toHex, utf8 } from "./borsh.js";

const STORE_PREFIX = "truffle.wallet.";
export const PBKDF2_ITERATIONS = 600_000;
const subtle = globalThis.crypto && globalThis.crypto.subtle;

export function randomBytes(n) {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return out;
}

export function publicKeyOf(seed) {
  return toHex(ed25519.getPublicKey(seed));
}

/** A new wallet key: { seed, publicKey (hex) }. */
export function generateKey() {
  const seed = randomBytes(32);
  return { seed, publicKey: publicKeyOf(seed) };
}

// PKCS#8 wrapping of a raw ed25519 seed (RFC 8410), for WebCrypto's importKey.
const PKCS8_PREFIX = fromHex("302e020100300506032b657004220420");
let webcryptoEd25519 = subtle ? undefined : false;

async function signWebCrypto(seed, message) {
  const key = await subtle.importKey("pkcs8", concat(PKCS8_PREFIX, seed), { name: "Ed25519" }, false, ["sign"]);
  return new Uint8Array(await subtle.sign({ name: "Ed25519" }, key, message));
}

/** ed25519 signature of `message` by the key with this seed. */
export async function signWithSeed(seed, message) {
  if (webcryptoEd25519 !== false) {
    try {
      const signature = await signWebCrypto(seed, message);
      webcryptoEd25519 = true;
      return signature;
    } catch {
      webcryptoEd25519 = false; // No Ed25519 in this browser's WebCrypto.
    }
  }
  return ed25519.sign(message, seed);
}

/** Which implementation signed last: "webcrypto", "noble" or "unknown". */
export function signerImplementation() {
  if (webcryptoEd25519 === true) return "webcrypto";
  if (webcryptoEd25519 === false) return "noble";
  return "unknown";
}

async function deriveKey(password, salt, iterations) {
  if (subtle) {
    const base = await subtle.importKey("raw", utf8(password), "PBKDF2", false, ["deriveBits"]);
    const bits = await subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, base, 256);
    return new Uint8Array(bits);
  }
  return pbkdf2Async(sha256, utf8(password), salt, { c: iterations, dkLen: 32 });
}

async function aesGcm(encrypt, keyBytes, iv, aad, data) {
  if (subtle) {
    const key = await subtle.importKey("raw", keyBytes, "AES-GCM", false, [encrypt ? "encrypt" : "decrypt"]);
    const params = { name: "AES-GCM", iv, additionalData: aad, tagLength: 128 };
    const out = encrypt ? await subtle.encrypt(params, key, data) : await subtle.decrypt(params, key, data);
    return new Uint8Array(out);
  }
  const cipher = gcm(keyBytes, iv, aad);
  return encrypt ? cipher.encrypt(data) : cipher.decrypt(data);
}

/** The encrypted record of a seed (JSON-ready). */
export async function sealSeed(seed, password, iterations = PBKDF2_ITERATIONS) {
  const publicKey = publicKeyOf(seed);
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = await deriveKey(password, salt, iterations);
  const ciphertext = await aesGcm(true, key, iv, fromHex(publicKey), seed);
  return {
    version: 1, public_key: publicKey, kdf: "PBKDF2-HMAC-SHA256", iterations,
    salt: toHex(salt), cipher: "AES-256-GCM", iv: toHex(iv), ciphertext: toHex(ciphertext),
  };
}

/** The seed in a record, or an error if the password is wrong or the record altered. */
export async function openSeed(record, password) {
  if (record.version !== 1) throw new Error("unknown wallet format");
  const key = await deriveKey(password, fromHex(record.salt), record.iterations);
  let seed;
  try {
    seed = await aesGcm(false, key, fromHex(record.iv), fromHex(record.public_key), fromHex(record.ciphertext));
  } catch {
    throw new WalletLocked("wrong password");
  }
  if (seed.length !== 32 || publicKeyOf(seed) !== record.public_key) throw new Error("wallet record is damaged");
  return seed;
}

export class WalletLocked extends Error {}

function storage() {
  return globalThis.localStorage;
}

export function storedRecord(publicKey) {
  const text = storage().getItem(STORE_PREFIX + publicKey);
  return text ? JSON.parse(text) : null;
}

export function storeRecord(record) {
  storage().setItem(STORE_PREFIX + record.public_key, JSON.stringify(record));
}

export function forgetRecord(publicKey) {
  storage().removeItem(STORE_PREFIX + publicKey);
}

/** Re-encrypts the stored key under a new password (after a password change). */
export async function rewrap(publicKey, oldPassword, newPassword) {
  const record = storedRecord(publicKey);
  if (!record) return false;
  const seed = await openSeed(record, oldPassword);
  storeRecord(await sealSeed(seed, newPassword));
  return true;
}
