// Who is logged in, and signing for them.
//
// The session token lives in sessionStorage (gone with the tab). The wallet key is
// unlocked with the password only when a transaction must be signed, and then kept in
// this page's memory only.

import { rpc, RpcError } from "./rpc.js";
import { t } from "./i18n.js";
import { encodeSigned, encodeTransaction, signingHash } from "./ledger.js";
import { toHex } from "./borsh.js";
import { openSeed, signWithSeed, storedRecord, WalletLocked } from "./wallet.js";
import { dialog, field, h, input, status } from "./ui.js";

const TOKEN_KEY = "truffle.session";
let unlocked = null; // { publicKey, seed }
let meCache = null;

export function session() {
  const text = sessionStorage.getItem(TOKEN_KEY);
  return text ? JSON.parse(text) : null;
}

export function setSession(loggedIn) {
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify({
    token: loggedIn.session_token, account: loggedIn.account, expires_at_ms: loggedIn.expires_at_ms,
  }));
  meCache = null;
}

export function clearSession() {
  sessionStorage.removeItem(TOKEN_KEY);
  unlocked = null;
  meCache = null;
}

export function token() {
  const s = session();
  return s ? s.token : null;
}

/** The member's profile (`account_me`), cached for the page's life. */
export async function me({ fresh = false } = {}) {
  if (!session()) return null;
  if (!meCache || fresh) {
    try {
      meCache = await rpc("account_me", [token()]);
    } catch (error) {
      if (error instanceof RpcError && (error.code === 3014 || error.code === 3018)) {
        clearSession();
        return null;
      }
      throw error;
    }
  }
  return meCache;
}

/** Keeps the key just unlocked with the password (at login or signup). */
export function keepUnlocked(publicKey, seed) {
  unlocked = { publicKey, seed };
}

async function unlockedSeed() {
  const account = session() && session().account;
  if (!account) throw new RpcError(3014, t("error.3014"));
  if (unlocked && unlocked.publicKey === account) return unlocked.seed;
  const record = storedRecord(account);
  if (!record) throw new Error(t("wallet.missing"));
  let note = t("wallet.unlockNote");
  for (;;) {
    const password = input({ type: "password", name: "password", autocomplete: "current-password" });
    const values = await dialog(t("wallet.unlock"), note, [field(t("login.password"), password, { required: true })], t("common.submit"));
    if (!values) throw new Error(t("common.cancel"));
    try {
      const seed = await openSeed(record, values.password);
      unlocked = { publicKey: account, seed };
      return seed;
    } catch (error) {
      if (!(error instanceof WalletLocked)) throw error;
      note = h("div", h("p", t("wallet.unlockNote")), status("error", t("wallet.wrongPassword")));
    }
  }
}

/** The member's wallet seed, asking for the password when it is locked. */
export function unlockWallet() {
  return unlockedSeed();
}

let chainIdCache = null;
export async function chainId() {
  if (!chainIdCache) chainIdCache = (await rpc("system_version")).chain_id;
  return chainIdCache;
}

/**
 * Signs `payload` with the member's key and submits it (`method`, default
 * `tx_submitAndWait`). Returns the node's answer; a refused transaction throws an
 * RpcError with the ledger's code.
 */
export async function signAndSubmit(payload, method = "tx_submitAndWait") {
  const seed = await unlockedSeed();
  return submitSigned(seed, session().account, payload, method);
}

/**
 * Signs `payload` with `seed` (whose public key is `account`: a member's wallet key or
 * the admin console's key) and submits it, like `signAndSubmit`.
 */
export async function submitSigned(seed, account, payload, method = "tx_submitAndWait") {
  const [nonce, chain] = await Promise.all([rpc("account_getNonce", [account]), chainId()]);
  const unsigned = encodeTransaction({ chain_id: chain, signer: account, nonce, payload });
  const signature = await signWithSeed(seed, signingHash(unsigned));
  const hex = toHex(encodeSigned(unsigned, signature));
  const result = await rpc(method, [hex, 20000]);
  if (result && result.status === "rejected") {
    const rejection = result.rejection || {};
    throw new RpcError(1000 + rejectionCode(rejection), t("tx.rejected", { reason: describeRejection(rejection) }), rejection);
  }
  if (result && result.status === "pending") throw new Error(t("tx.pending"));
  return result;
}

// `Rejection` as serde JSON: { "code": "raffle_rule", "raffle": 3, "reason": "…" }.
const REJECTION_CODES = [
  "malformed", "too_large", "wrong_chain", "bad_signature", "unknown_signer", "signer_not_active",
  "nonce_replayed", "nonce_skipped", "unauthorized", "invalid_field", "account_exists", "unknown_account",
  "account_not_active", "seller_not_approved", "seller_application", "unknown_record", "duplicate_serial",
  "not_owner", "item_locked", "not_listed", "raffle_rule", "not_eligible", "already_entered", "order_rule",
  "amount_mismatch", "payment_event_reused", "validator_rule", "block_full",
];
function rejectionCode(rejection) {
  return REJECTION_CODES.indexOf(rejection.code) + 1;
}
function describeRejection(rejection) {
  const code = 1000 + rejectionCode(rejection);
  const known = t(`error.${code}`);
  const detail = rejection.reason || "";
  return known.startsWith("error.") ? `${rejection.code} ${detail}` : `${known}${detail ? ` (${detail})` : ""}`;
}

// ---- Things this browser remembers (raffle secrets a seller must reveal) ------------------

export function remember(kind, id, value) {
  const key = `truffle.${kind}.${session() ? session().account : "anon"}`;
  const all = JSON.parse(localStorage.getItem(key) || "{}");
  all[id] = value;
  localStorage.setItem(key, JSON.stringify(all));
}

export function remembered(kind) {
  const key = `truffle.${kind}.${session() ? session().account : "anon"}`;
  return JSON.parse(localStorage.getItem(key) || "{}");
}

export { h };
