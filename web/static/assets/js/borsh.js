// Borsh, the ledger's encoding: little-endian integers, u32-length-prefixed strings and
// vectors, 0/1-prefixed options, a u8 tag before each enum variant, fixed arrays raw.
// Checked against the ledger's own bytes by web/tests/js/borsh.test.js (golden vectors
// written by web/src/golden.rs).

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Lower-case hex of bytes. */
export function toHex(bytes) {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** Bytes of hex text (an optional 0x prefix is accepted); throws on bad input. */
export function fromHex(text, expectedLength) {
  let hex = String(text).trim();
  if (hex.startsWith("0x")) hex = hex.slice(2);
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new Error("not hexadecimal");
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  if (expectedLength !== undefined && out.length !== expectedLength) {
    throw new Error(`expected ${expectedLength} bytes, got ${out.length}`);
  }
  return out;
}

export function utf8(text) {
  return encoder.encode(text);
}

export function concat(...parts) {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

const U64_MAX = (1n << 64n) - 1n;

/** A BigInt from a number, BigInt or decimal string, checked to fit `bits` unsigned bits. */
export function toUint(value, bits = 64, name = "value") {
  let big;
  if (typeof value === "bigint") big = value;
  else if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error(`${name} is not a whole number`);
    big = BigInt(value);
  } else if (typeof value === "string" && /^[0-9]+$/.test(value.trim())) big = BigInt(value.trim());
  else throw new Error(`${name} is not a whole number`);
  const max = bits === 64 ? U64_MAX : (1n << BigInt(bits)) - 1n;
  if (big < 0n || big > max) throw new Error(`${name} is out of range`);
  return big;
}

/** Appends borsh values to a growing buffer. */
export class Writer {
  constructor() {
    this.buffer = new Uint8Array(256);
    this.length = 0;
  }
  reserve(n) {
    if (this.length + n <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }
  raw(bytes) {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
    return this;
  }
  uint(value, bytes, name) {
    let big = toUint(value, bytes * 8, name);
    this.reserve(bytes);
    for (let i = 0; i < bytes; i++) {
      this.buffer[this.length++] = Number(big & 0xffn);
      big >>= 8n;
    }
    return this;
  }
  u8(v, name) { return this.uint(v, 1, name); }
  u16(v, name) { return this.uint(v, 2, name); }
  u32(v, name) { return this.uint(v, 4, name); }
  u64(v, name) { return this.uint(v, 8, name); }
  bool(v) { return this.u8(v ? 1 : 0); }
  string(text) {
    const bytes = utf8(String(text));
    this.u32(bytes.length);
    return this.raw(bytes);
  }
  bytes(bytes) {
    this.u32(bytes.length);
    return this.raw(bytes);
  }
  fixed(value, length, name = "value") {
    const bytes = typeof value === "string" ? fromHex(value, length) : value;
    if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
      throw new Error(`${name} must be ${length} bytes`);
    }
    return this.raw(bytes);
  }
  option(value, write) {
    if (value === null || value === undefined) return this.u8(0);
    this.u8(1);
    write(value);
    return this;
  }
  vec(items, write) {
    this.u32(items.length);
    for (const item of items) write(item);
    return this;
  }
  finish() {
    return this.buffer.slice(0, this.length);
  }
}

/** Reads borsh values from bytes, refusing to read past the end. */
export class Reader {
  constructor(bytes) {
    this.bytes = bytes;
    this.offset = 0;
  }
  take(n) {
    if (n < 0 || this.offset + n > this.bytes.length) throw new Error("unexpected end of data");
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  uintBig(n) {
    const bytes = this.take(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
    return v;
  }
  u8() { return this.take(1)[0]; }
  u16() { return Number(this.uintBig(2)); }
  u32() { return Number(this.uintBig(4)); }
  /** A u64 as a Number when it is safe, else as a decimal string. */
  u64() {
    const v = this.uintBig(8);
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  }
  bool() {
    const b = this.u8();
    if (b > 1) throw new Error("invalid bool");
    return b === 1;
  }
  string() {
    return decoder.decode(this.take(this.u32()));
  }
  bytesVec() {
    return this.take(this.u32()).slice();
  }
  fixed(n) {
    return this.take(n).slice();
  }
  hex(n) {
    return toHex(this.take(n));
  }
  option(read) {
    const tag = this.u8();
    if (tag === 0) return null;
    if (tag === 1) return read();
    throw new Error("invalid option tag");
  }
  vec(read) {
    const n = this.u32();
    if (n > this.bytes.length - this.offset) throw new Error("vector longer than the data");
    const out = [];
    for (let i = 0; i < n; i++) out.push(read(i));
    return out;
  }
  done() {
    if (this.offset !== this.bytes.length) throw new Error("trailing bytes");
  }
}
