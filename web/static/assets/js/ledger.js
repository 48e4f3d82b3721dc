// The ledger's formats in the browser: domain-tagged blake3, transactions (borsh, in
// the variant order of ledger/src/tx.rs `Payload`), and the records proof bundles hold.
// Payloads are written as the ledger's serde JSON: `{ enter_raffle: { raffle: 3 } }`.

import { blake3 } from "./vendor.js";
import { Reader, Writer, concat, fromHex, toHex, utf8 } from "./borsh.js";

export const DOMAIN = {
  TRANSACTION: "truffle/v1/tx",
  HEADER: "truffle/v1/header",
  HEADER_VOTE: "truffle/v1/header-vote",
  MERKLE_LEAF: "truffle/v1/merkle-leaf",
  MERKLE_NODE: "truffle/v1/merkle-node",
  RAFFLE_DRAW: "truffle/v1/raffle-draw",
  RAFFLE_VRF: "truffle/v1/raffle-vrf",
  RAFFLE_COMMIT: "truffle/v1/raffle-commit",
  GENESIS: "truffle/v1/genesis",
  SERIAL: "truffle/v1/serial",
};

/** blake3(tag_len as u32 LE ‖ tag ‖ parts...): `Hash::tagged` of ledger/src/hash.rs. */
export function tagged(tag, ...parts) {
  const tagBytes = utf8(tag);
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, tagBytes.length, true);
  const hasher = blake3.create();
  hasher.update(length);
  hasher.update(tagBytes);
  for (const part of parts) hasher.update(part);
  return hasher.digest();
}

export function plainHash(bytes) {
  return blake3(bytes);
}

const ROLES = ["member", "admin", "operator"];
const GENDERS = ["female", "male", "other"];

function writeEnumName(w, names, value, name) {
  const index = names.indexOf(value);
  if (index < 0) throw new Error(`${name} must be one of ${names.join(", ")}`);
  w.u8(index);
}

function writeProductSpec(w, s) {
  w.string(s.brand).string(s.model).string(s.name_ko).string(s.name_en).string(s.category);
  w.u32(s.release_date, "release_date").u64(s.price, "price").string(s.description);
  w.vec(s.image_hashes || [], (h) => w.fixed(h, 32, "image hash"));
  w.vec(s.serials, (serial) => w.string(serial));
  w.bool(!!s.list_for_sale);
}

function writeWindow(w, window) {
  if (window.by === "heights") {
    w.u8(0).u64(window.opens, "opens").u64(window.closes, "closes");
  } else if (window.by === "times") {
    w.u8(1).u64(window.opens_ms, "opens_ms").u64(window.closes_ms, "closes_ms");
  } else {
    throw new Error("window.by must be heights or times");
  }
}

function writeRaffleSpec(w, s) {
  w.vec(s.items, (item) => w.u64(item, "item"));
  writeWindow(w, s.window);
  w.u64(s.price, "price").u32(s.runners_up, "runners_up");
  w.option(s.min_age, (age) => w.u8(age, "min_age"));
  w.fixed(s.seed_commitment, 32, "seed_commitment");
  w.u64(s.reveal_blocks, "reveal_blocks").u64(s.payment_window_ms, "payment_window_ms");
}

function writeAdSpec(w, s) {
  w.string(s.title).string(s.image_url).string(s.landing_url).string(s.placement);
  w.u64(s.starts_at_ms).u64(s.ends_at_ms);
  w.option(s.target_gender, (g) => writeEnumName(w, GENDERS, g, "target_gender"));
  w.option(s.target_min_age, (a) => w.u8(a));
  w.option(s.target_max_age, (a) => w.u8(a));
}

/** Every payload kind, in the ledger's variant order (the index is the borsh tag). */
const PAYLOADS = [
  ["register_account", (w, p) => {
    w.fixed(p.account, 32, "account");
    writeEnumName(w, ROLES, p.role, "role");
    w.bool(!!p.adult);
  }],
  ["set_account_suspended", (w, p) => w.fixed(p.account, 32, "account").bool(p.suspended)],
  ["withdraw_account", (w, p) => w.fixed(p.account, 32, "account")],
  ["apply_seller", (w, p) => w.string(p.shop_name)],
  ["approve_seller", (w, p) => w.fixed(p.account, 32, "account")],
  ["revoke_seller", (w, p) => w.fixed(p.account, 32, "account")],
  ["register_product", (w, p) => writeProductSpec(w, p)],
  ["transfer_item", (w, p) => w.u64(p.item, "item").fixed(p.to, 32, "to")],
  ["list_item", (w, p) => w.u64(p.item, "item").option(p.price, (v) => w.u64(v, "price"))],
  ["create_raffle", (w, p) => writeRaffleSpec(w, p)],
  ["enter_raffle", (w, p) => w.u64(p.raffle, "raffle")],
  ["reveal_raffle_secret", (w, p) => w.u64(p.raffle, "raffle").fixed(p.secret, 32, "secret")],
  ["draw_raffle", (w, p) => w.u64(p.raffle, "raffle")],
  ["create_order", (w, p) => w.u64(p.item, "item")],
  ["settle_payment", (w, p) => {
    w.u64(p.order, "order").string(p.provider).string(p.payment_key).string(p.event_id);
    w.u64(p.amount, "amount");
  }],
  ["cancel_order", (w, p) => w.u64(p.order, "order").string(p.reason)],
  ["expire_order", (w, p) => w.u64(p.order, "order")],
  ["refund_order", (w, p) => w.u64(p.order, "order").string(p.reason)],
  ["create_ad", (w, p) => writeAdSpec(w, p)],
  ["set_ad_active", (w, p) => w.u64(p.ad, "ad").bool(p.active)],
  ["add_validator", (w, p) => w.fixed(p.key, 32, "key").string(p.name).string(p.p2p_address)],
  ["remove_validator", (w, p) => w.fixed(p.key, 32, "key")],
  ["contribute_raffle_randomness", (w, p) => w.u64(p.raffle, "raffle").fixed(p.proof, 80, "proof")],
  ["set_follower", (w, p) => w.fixed(p.key, 32, "key").bool(p.allowed)],
  ["cancel_raffle", (w, p) => w.u64(p.raffle, "raffle").string(p.reason)],
  ["request_refund", (w, p) => w.u64(p.order, "order").string(p.reason)],
  ["decide_refund", (w, p) => w.u64(p.order, "order").bool(!!p.approve).string(p.note || "")],
];

export const PAYLOAD_KINDS = PAYLOADS.map(([kind]) => kind);

/** The kind of a payload object (`{ kind: fields }`). */
export function payloadKind(payload) {
  const keys = Object.keys(payload);
  if (keys.length !== 1) throw new Error("a payload has exactly one kind");
  return keys[0];
}

export function writePayload(w, payload) {
  const kind = payloadKind(payload);
  const index = PAYLOAD_KINDS.indexOf(kind);
  if (index < 0) throw new Error(`unknown payload kind ${kind}`);
  w.u8(index);
  PAYLOADS[index][1](w, payload[kind]);
}

/** borsh(Transaction { chain_id, signer, nonce, payload }). */
export function encodeTransaction(tx) {
  const w = new Writer();
  w.fixed(tx.chain_id, 32, "chain_id").fixed(tx.signer, 32, "signer").u64(tx.nonce, "nonce");
  writePayload(w, tx.payload);
  return w.finish();
}

/** The signed message and transaction id: tagged("truffle/v1/tx", borsh(tx)). */
export function signingHash(unsignedBytes) {
  return tagged(DOMAIN.TRANSACTION, unsignedBytes);
}

/** borsh(SignedTransaction { tx, signature }). */
export function encodeSigned(unsignedBytes, signature) {
  if (signature.length !== 64) throw new Error("a signature is 64 bytes");
  return concat(unsignedBytes, signature);
}

/** What a wallet key signs to sign up with it (`truffle_wire::members::signup_message`):
 * tagged("truffle/v1/signup-key", chain_id ‖ public_key ‖ verification_token). */
export function signupMessage(chainIdHex, publicKeyHex, verificationToken) {
  return tagged("truffle/v1/signup-key", fromHex(chainIdHex, 32), fromHex(publicKeyHex, 32), utf8(verificationToken));
}

/**
 * What an admin signs to ask `method` at `timeMs` (ms) on a chain: the ledger's
 * `AdminQuery::message` (blake3 of the domain, chain id, method, 0, time big-endian).
 */
export function adminQueryMessage(chainIdHex, method, timeMs) {
  const time = new Uint8Array(8);
  new DataView(time.buffer).setBigUint64(0, BigInt(timeMs), false);
  return tagged("truffle/v1/admin-query", fromHex(chainIdHex, 32), utf8(method), new Uint8Array([0]), time);
}

/** The commitment a raffle stores for the seller's secret. */
export function raffleCommitment(secret) {
  return tagged(DOMAIN.RAFFLE_COMMIT, secret);
}

// ---- Decoding (proof bundles, transactions) -------------------------------------------

export const read = {
  hash: (r) => r.hex(32),
  key: (r) => r.hex(32),
  txRef: (r) => ({ height: r.u64(), index: r.u32(), tx_hash: r.hex(32) }),
  productSpec: (r) => ({
    brand: r.string(), model: r.string(), name_ko: r.string(), name_en: r.string(),
    category: r.string(), release_date: r.u32(), price: r.u64(), description: r.string(),
    image_hashes: r.vec(() => r.hex(32)), serials: r.vec(() => r.string()),
    list_for_sale: r.bool(),
  }),
  window: (r) => {
    const tag = r.u8();
    if (tag === 0) return { by: "heights", opens: r.u64(), closes: r.u64() };
    if (tag === 1) return { by: "times", opens_ms: r.u64(), closes_ms: r.u64() };
    throw new Error("invalid entry window");
  },
  raffleSpec: (r) => ({
    items: r.vec(() => r.u64()), window: read.window(r), price: r.u64(),
    runners_up: r.u32(), min_age: r.option(() => r.u8()), seed_commitment: r.hex(32),
    reveal_blocks: r.u64(), payment_window_ms: r.u64(),
  }),
  adSpec: (r) => ({
    title: r.string(), image_url: r.string(), landing_url: r.string(), placement: r.string(),
    starts_at_ms: r.u64(), ends_at_ms: r.u64(),
    target_gender: r.option(() => enumName(r, GENDERS)),
    target_min_age: r.option(() => r.u8()), target_max_age: r.option(() => r.u8()),
  }),
  payload: (r) => {
    const tag = r.u8();
    const kind = PAYLOAD_KINDS[tag];
    const fields = PAYLOAD_READERS[tag];
    if (!fields) throw new Error(`unknown payload tag ${tag}`);
    return { [kind]: fields(r) };
  },
  signedTransaction: (r) => {
    const start = r.offset;
    const tx = { chain_id: r.hex(32), signer: r.hex(32), nonce: r.u64(), payload: read.payload(r) };
    const unsigned = r.bytes.subarray(start, r.offset);
    const signature = r.fixed(64);
    return { tx, unsigned: unsigned.slice(), signature };
  },
  header: (r) => {
    const start = r.offset;
    const header = {
      chain_id: r.hex(32), height: r.u64(), prev_hash: r.hex(32), time_ms: r.u64(),
      proposer: r.hex(32), transaction_count: r.u32(), transactions_root: r.hex(32),
      receipts_root: r.hex(32), state_root: r.hex(32),
    };
    header.bytes = r.bytes.slice(start, r.offset);
    return header;
  },
  // Compact: a bitmap over the certifying set in ascending key order, then the
  // signers' signatures in that order (ledger/src/certificate.rs).
  certificate: (r) => ({
    height: r.u64(), header_hash: r.hex(32),
    signers: r.bytesVec(), signatures: r.vec(() => r.fixed(64)),
  }),
  certifiedHeader: (r) => ({ header: read.header(r), certificate: read.certificate(r) }),
  // Compact state proof (ledger/src/state_proof.rs): where the path ends, then each
  // level's sibling hash from the bottom up, null for an empty subtree.
  proofLeaf: (r) => {
    const tag = r.u8();
    if (tag === 0) return { kind: "empty" };
    if (tag === 1) return { kind: "key" };
    if (tag === 2) return { kind: "other", key_hash: r.fixed(32), value_hash: r.fixed(32) };
    throw new Error("invalid state proof leaf");
  },
  stateProof: (r) => ({
    leaf: read.proofLeaf(r),
    siblings: r.vec(() => r.option(() => r.fixed(32))),
  }),
  provenValue: (r) => ({ value: r.option(() => r.bytesVec()), proof: read.stateProof(r) }),
  merkleProof: (r) => ({ index: r.u32(), leaf_count: r.u32(), siblings: r.vec(() => r.fixed(32)) }),
  effect: (r) => {
    const tag = r.u8();
    switch (tag) {
      case 0: return { kind: "done" };
      case 1: return { kind: "product_registered", product: r.u64(), first_item: r.u64(), item_count: r.u32() };
      case 2: return { kind: "raffle_created", raffle: r.u64() };
      case 3: return { kind: "raffle_drawn", raffle: r.u64(), orders: r.vec(() => r.u64()) };
      case 4: return { kind: "order_created", order: r.u64() };
      case 5: return { kind: "order_closed", order: r.u64(), next_order: r.option(() => r.u64()) };
      case 6: return { kind: "ad_created", ad: r.u64() };
      case 7: return { kind: "raffle_voided", raffle: r.u64() };
      default: throw new Error(`effect ${tag} is not known to this page`);
    }
  },
  /** A receipt that shows its transaction applied (a refusal cannot prove ownership). */
  appliedReceipt: (r) => {
    const start = r.offset;
    const tx_hash = r.hex(32);
    const outcome = r.u8();
    if (outcome !== 0) throw new Error("the receipt shows the transaction refused");
    const effect = read.effect(r);
    return { tx_hash, effect, bytes: r.bytes.slice(start, r.offset) };
  },
  validatorSet: (r) => ({
    keys: r.vec(() => r.hex(32)), changed_at: r.u64(), previous_change: r.option(() => r.u64()),
  }),
  item: (r) => ({
    id: r.u64(), product: r.u64(), edition: r.u32(), edition_size: r.u32(), serial: r.string(),
    owner: r.hex(32), owner_since: read.txRef(r), history_len: r.u32(),
    lock: (() => {
      const tag = r.u8();
      if (tag === 0) return { kind: "free" };
      if (tag === 1) return { kind: "raffle", id: r.u64() };
      if (tag === 2) return { kind: "order", id: r.u64() };
      if (tag === 3) return { kind: "refund", id: r.u64() };
      throw new Error("invalid item lock");
    })(),
    listing_price: r.option(() => r.u64()),
  }),
  product: (r) => ({
    id: r.u64(), seller: r.hex(32), brand: r.string(), model: r.string(), name_ko: r.string(),
    name_en: r.string(), category: r.string(), release_date: r.u32(), price: r.u64(),
    description: r.string(), image_hashes: r.vec(() => r.hex(32)), edition_size: r.u32(),
    first_item: r.u64(), registered: read.txRef(r),
  }),
  ownership: (r) => ({
    item: r.u64(), sequence: r.u32(), owner: r.hex(32),
    acquisition: (() => {
      const tag = r.u8();
      if (tag === 0) return { kind: "registered" };
      if (tag === 1) return { kind: "transferred" };
      if (tag === 2) return { kind: "purchased", order: r.u64() };
      if (tag === 3) return { kind: "refunded", order: r.u64() };
      throw new Error("invalid acquisition");
    })(),
    tx: read.txRef(r),
  }),
  raffle: (r) => ({
    id: r.u64(), seller: r.hex(32), spec: read.raffleSpec(r), created: read.txRef(r),
    status: enumName(r, ["open", "closed", "drawn", "void", "cancelled"]), entry_count: r.u32(),
    closing_block: r.option(() => ({ height: r.u64(), hash: r.hex(32) })),
    revealed_secret: r.option(() => r.hex(32)), seller_missed_reveal: r.bool(),
    result: r.option(() => ({
      seed: r.hex(32), seller_revealed: r.bool(), winners: r.vec(() => r.hex(32)),
      runners_up: r.vec(() => r.hex(32)), drawn: read.txRef(r),
    })),
    runners_up_used: r.u32(),
    randomness: r.option(() => ({
      validators: r.vec(() => r.hex(32)),
      contributions: r.vec(() => ({ validator: r.hex(32), proof: r.hex(80) })),
      contribution_deadline: { height: r.u64(), time_ms: r.u64() },
      reveal_deadline: r.option(() => ({ height: r.u64(), time_ms: r.u64() })),
    })),
  }),
  raffleEntry: (r) => ({
    raffle: r.u64(), position: r.u32(), entrant: r.hex(32), tx: read.txRef(r), cancelled: r.bool(),
  }),
};

function enumName(r, names) {
  const tag = r.u8();
  if (tag >= names.length) throw new Error("invalid enum tag");
  return names[tag];
}

const PAYLOAD_READERS = [
  (r) => ({ account: r.hex(32), role: enumName(r, ROLES), adult: r.bool() }),
  (r) => ({ account: r.hex(32), suspended: r.bool() }),
  (r) => ({ account: r.hex(32) }),
  (r) => ({ shop_name: r.string() }),
  (r) => ({ account: r.hex(32) }),
  (r) => ({ account: r.hex(32) }),
  (r) => read.productSpec(r),
  (r) => ({ item: r.u64(), to: r.hex(32) }),
  (r) => ({ item: r.u64(), price: r.option(() => r.u64()) }),
  (r) => read.raffleSpec(r),
  (r) => ({ raffle: r.u64() }),
  (r) => ({ raffle: r.u64(), secret: r.hex(32) }),
  (r) => ({ raffle: r.u64() }),
  (r) => ({ item: r.u64() }),
  (r) => ({ order: r.u64(), provider: r.string(), payment_key: r.string(), event_id: r.string(), amount: r.u64() }),
  (r) => ({ order: r.u64(), reason: r.string() }),
  (r) => ({ order: r.u64() }),
  (r) => ({ order: r.u64(), reason: r.string() }),
  (r) => read.adSpec(r),
  (r) => ({ ad: r.u64(), active: r.bool() }),
  (r) => ({ key: r.hex(32), name: r.string(), p2p_address: r.string() }),
  (r) => ({ key: r.hex(32) }),
  (r) => ({ raffle: r.u64(), proof: r.hex(80) }),
  (r) => ({ key: r.hex(32), allowed: r.bool() }),
  (r) => ({ raffle: r.u64(), reason: r.string() }),
  (r) => ({ order: r.u64(), reason: r.string() }),
  (r) => ({ order: r.u64(), approve: r.bool(), note: r.string() }),
];

/** Decodes a whole value with `reader`, refusing trailing bytes. */
export function decodeAll(bytes, reader) {
  const r = new Reader(bytes);
  const value = reader(r);
  r.done();
  return value;
}

// ---- Genesis ------------------------------------------------------------------------

/**
 * `ChainParams::default()`: a genesis file may leave out any parameter (`#[serde(default)]`
 * on the ledger side), and the chain id covers the defaults.
 */
export const GENESIS_PARAM_DEFAULTS = Object.freeze({
  max_block_transactions: 10_000,
  order_payment_window_ms: 30 * 60 * 1000,
  max_validators: 7,
  min_raffle_entry_blocks: 5,
  min_raffle_entry_ms: 30_000,
  min_raffle_reveal_blocks: 5,
  missed_reveal_cooldown_ms: 7 * 24 * 3_600_000,
  min_raffle_reveal_ms: 10 * 60 * 1000,
  raffle_contribution_blocks: 20,
  raffle_contribution_ms: 2 * 60 * 1000,
});

/** The chain id of a genesis spec (its serde JSON): tagged("truffle/v1/genesis", borsh(spec)). */
export function genesisChainId(spec) {
  const w = new Writer();
  w.string(spec.chain_name).u64(spec.genesis_time_ms);
  w.vec(spec.validators, (v) => w.string(v.name).fixed(v.key, 32, "validator key").string(v.p2p_address));
  w.vec(spec.admins, (a) => w.string(a.name).fixed(a.key, 32, "admin key"));
  const params = { ...GENESIS_PARAM_DEFAULTS, ...spec.params };
  w.u32(params.max_block_transactions).u64(params.order_payment_window_ms).u32(params.max_validators);
  w.u64(params.min_raffle_entry_blocks).u64(params.min_raffle_entry_ms);
  w.u64(params.min_raffle_reveal_blocks).u64(params.missed_reveal_cooldown_ms);
  // The block rules are optional (`Option<u64>` in `ChainParams`): absent, a 0 byte.
  w.option(params.max_block_bytes ?? null, (v) => w.u64(v));
  w.option(params.max_block_time_step_ms ?? null, (v) => w.u64(v));
  w.u64(params.min_raffle_reveal_ms).u64(params.raffle_contribution_blocks).u64(params.raffle_contribution_ms);
  return toHex(tagged(DOMAIN.GENESIS, w.finish()));
}

// ---- State keys (ledger/src/state.rs `keys`) ------------------------------------------

function u64be(value) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}
function u32be(value) {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

/** `limits::normalize_name`: words joined by one space, lower case. */
export function normalizeName(name) {
  return name.split(/\s+/u).filter((w) => w.length > 0).join(" ").toLowerCase();
}
/** `limits::normalize_serial`: no whitespace or dashes, upper case. */
export function normalizeSerial(serial) {
  return Array.from(serial).filter((c) => !/\s/u.test(c) && c !== "-").join("").toUpperCase();
}

export const stateKey = {
  validatorSet: () => concat(Uint8Array.of(1), utf8("validator_set")),
  product: (id) => concat(Uint8Array.of(3), u64be(id)),
  item: (id) => concat(Uint8Array.of(4), u64be(id)),
  ownership: (item, sequence) => concat(Uint8Array.of(5), u64be(item), u32be(sequence)),
  serial: (brand, model, serial) => concat(
    Uint8Array.of(6),
    tagged(DOMAIN.SERIAL, utf8(normalizeName(brand)), Uint8Array.of(0), utf8(normalizeName(model)),
      Uint8Array.of(0), utf8(normalizeSerial(serial))),
  ),
  raffle: (id) => concat(Uint8Array.of(7), u64be(id)),
  raffleEntry: (raffle, position) => concat(Uint8Array.of(8), u64be(raffle), u32be(position)),
};

export { fromHex, toHex };
