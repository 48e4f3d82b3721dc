// The audited libraries the pages use, bundled into one browser module
// (`npm run build` -> dist/vendor.js, embedded in the node binary by build.rs).
// WebCrypto is used where the browser offers it; these are the fallbacks (and the
// only implementation of blake3, which WebCrypto lacks).
export { ed25519 } from "@noble/curves/ed25519.js";
export { blake3 } from "@noble/hashes/blake3.js";
export { pbkdf2Async } from "@noble/hashes/pbkdf2.js";
export { sha256, sha512 } from "@noble/hashes/sha2.js";
export { gcm } from "@noble/ciphers/aes.js";
