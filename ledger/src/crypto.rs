//! ed25519 keys and signatures, with the checks that make validity identical on every node.
//!
//! The one signature rule: a key is usable when its encoding is canonical and its point
//! has prime order (not small order, no torsion component); a signature is valid when
//! `verify_strict` accepts it under a usable key. Every path checks exactly that — one
//! at a time, in a batch ([`verify_many`]), in `truffle verify`, and in the browser
//! (`web/static/assets/js/verify.js`, held to it by golden vectors of [`vectors`]) —
//! because two validators, or a validator and an auditor, must never disagree about
//! whether a signature is valid.
//!
//! ed25519-dalek's batch equation is not `verify_strict`: it decompresses `R` without
//! asking for its canonical encoding, does not refuse a small-order `R`, and, being a
//! random linear combination, cancels a torsion component with probability 1/8 (its
//! coefficients come from the inputs, so a signer can grind for that). So a signature
//! enters a batch only when its `R` is canonical and of prime order and its `s` reduced;
//! for those, the batch accepts exactly when each equation holds exactly, which is when
//! `verify_strict` accepts. Anything else, and every signature of a failed batch, is
//! decided alone by `verify_strict`.

use std::collections::HashMap;
use std::sync::Mutex;

use borsh::{BorshDeserialize, BorshSerialize};
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::Scalar;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use rand::RngCore;

use crate::hash::hex_newtype;

/// An ed25519 public key: the identity of an account or a validator.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, BorshSerialize, BorshDeserialize)]
pub struct PublicKey(pub [u8; 32]);
hex_newtype!(
    PublicKey,
    32,
    "PublicKey",
    "An ed25519 public key (an account id), 32 bytes in hex."
);

/// An ed25519 signature.
#[derive(Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Signature(pub [u8; 64]);
hex_newtype!(
    Signature,
    64,
    "Signature",
    "An ed25519 signature, 64 bytes in hex."
);

/// Why a key or signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The bytes are not a point on the curve.
    #[error("public key is not a valid ed25519 point")]
    InvalidKey,
    /// The key has small order or a torsion component: signatures under it can verify
    /// for many messages or differently under different (valid) verification equations.
    #[error("public key is weak (small or mixed order)")]
    WeakKey,
    /// The signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
}

impl PublicKey {
    /// Decodes the key and refuses invalid keys (not a point, or not its canonical
    /// encoding) and weak ones (small order, or a torsion component).
    pub fn verifying_key(&self) -> Result<VerifyingKey, CryptoError> {
        // A memoized key passed every check below, and is kept decoded: the same keys
        // sign block after block, and decompressing one costs a square root, about a
        // tenth of a verification.
        if let Some(key) = USABLE_KEYS.get(self) {
            return Ok(key);
        }
        if !canonical_encoding(&self.0) {
            return Err(CryptoError::InvalidKey);
        }
        let key = VerifyingKey::from_bytes(&self.0).map_err(|_| CryptoError::InvalidKey)?;
        if !prime_order(&key.to_edwards()) {
            return Err(CryptoError::WeakKey);
        }
        USABLE_KEYS.insert(*self, key);
        Ok(key)
    }

    /// Checks that the key is usable as an account or validator identity.
    pub fn check_usable(&self) -> Result<(), CryptoError> {
        self.verifying_key().map(|_| ())
    }

    /// Whether the key is memoized as usable (tests of what fills the memo).
    #[cfg(test)]
    pub(crate) fn known_usable(&self) -> bool {
        USABLE_KEYS.get(self).is_some()
    }

    /// Drops the key from the memo (tests of what fills it).
    #[cfg(test)]
    pub(crate) fn forget_usable(&self) {
        USABLE_KEYS.remove(self)
    }

    /// Strict verification of `signature` over `message`.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), CryptoError> {
        let key = self.verifying_key()?;
        let signature = ed25519_dalek::Signature::from_bytes(&signature.0);
        key.verify_strict(message, &signature)
            .map_err(|_| CryptoError::BadSignature)
    }
}

/// A signing key pair.
#[derive(Clone)]
pub struct Keypair {
    signing: SigningKey,
}

impl std::fmt::Debug for Keypair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        write!(f, "Keypair({:?})", self.public())
    }
}

impl Keypair {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Keypair {
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        Keypair::from_seed(&seed)
    }

    /// The key pair whose secret is `seed`.
    pub fn from_seed(seed: &[u8; 32]) -> Keypair {
        Keypair {
            signing: SigningKey::from_bytes(seed),
        }
    }

    /// A well-known key derived from a name, for presets and tests only.
    pub fn from_name(name: &str) -> Keypair {
        let seed = crate::hash::Hash::tagged(b"truffle/v1/dev-key", &[name.as_bytes()]);
        Keypair::from_seed(&seed.0)
    }

    /// The 32-byte secret seed.
    pub fn seed(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key().to_bytes())
    }

    /// Signs `message`.
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.signing.sign(message).to_bytes())
    }
}

/// Keys already found usable, decoded: the subgroup check costs a scalar multiplication
/// and the decoding a square root, and the same keys sign block after block. A memo
/// only (bounded; forgotten when full), so verdicts never depend on it.
static USABLE_KEYS: KeyMemo = KeyMemo::new();

struct KeyMemo(Mutex<Option<HashMap<PublicKey, VerifyingKey>>>);

impl KeyMemo {
    const CAPACITY: usize = 1 << 16;

    const fn new() -> KeyMemo {
        KeyMemo(Mutex::new(None))
    }

    fn get(&self, key: &PublicKey) -> Option<VerifyingKey> {
        let memo = self.0.lock().unwrap_or_else(|e| e.into_inner());
        memo.as_ref().and_then(|map| map.get(key).copied())
    }

    #[cfg(test)]
    fn remove(&self, key: &PublicKey) {
        let mut memo = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(map) = memo.as_mut() {
            map.remove(key);
        }
    }

    fn insert(&self, key: PublicKey, decoded: VerifyingKey) {
        let mut memo = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let map = memo.get_or_insert_with(HashMap::new);
        if map.len() >= Self::CAPACITY {
            map.clear();
        }
        map.insert(key, decoded);
    }
}

/// Whether `bytes` could be a canonical point encoding: `y < p = 2^255 - 19`. (The
/// other non-canonical form, `x = 0` with the sign bit set, encodes `y = ±1`: the
/// identity or the point of order 2, refused as small-order.)
fn canonical_encoding(bytes: &[u8; 32]) -> bool {
    let top = bytes[31] & 0x7f == 0x7f && bytes[1..31].iter().all(|b| *b == 0xff);
    !(top && bytes[0] >= 0xed)
}

/// The point `bytes` encode, if they are its canonical encoding.
fn canonical_point(bytes: &[u8; 32]) -> Option<EdwardsPoint> {
    if !canonical_encoding(bytes) {
        return None;
    }
    CompressedEdwardsY(*bytes).decompress()
}

/// Whether `point` lies in the prime-order subgroup and is not the identity: `8·P ≠ 0`
/// and `l·P = 0` (computed as `(l - 1)·P + P`, in variable time: points are public).
fn prime_order(point: &EdwardsPoint) -> bool {
    if point.is_small_order() {
        return false;
    }
    let l_minus_one = -Scalar::ONE;
    let times_l =
        EdwardsPoint::vartime_double_scalar_mul_basepoint(&l_minus_one, point, &Scalar::ZERO)
            + point;
    curve25519_dalek::traits::IsIdentity::is_identity(&times_l)
}

/// Whether the batch equation decides `signature` exactly as `verify_strict` does (the
/// key is checked by the caller): `R` canonical and of prime order, `s` reduced.
fn batchable(signature: &Signature) -> bool {
    let (r, s) = signature.0.split_at(32);
    let r: &[u8; 32] = r.try_into().expect("32 bytes");
    let s: [u8; 32] = s.try_into().expect("32 bytes");
    canonical_point(r).is_some_and(|r| prime_order(&r))
        && bool::from(Scalar::from_canonical_bytes(s).is_some())
}

/// One signature to check: who, over what, and the signature.
#[derive(Debug, Clone, Copy)]
pub struct SignatureCheck<'a> {
    /// The claimed signer.
    pub public_key: &'a PublicKey,
    /// The signed message.
    pub message: &'a [u8],
    /// The signature.
    pub signature: &'a Signature,
}

/// Verifies many signatures, in one batch where possible; the verdicts are exactly
/// those of [`PublicKey::verify`] one at a time (see the module docs).
///
/// Returns one verdict per input, in order. Only signatures under usable keys whose `R`
/// and `s` pass [`batchable`] enter the batch; the others are decided alone. The batch's
/// random coefficients are derived from its inputs alone (ed25519-dalek's deterministic
/// transcript), so the same list gets the same verdicts on every node; that is why the
/// ledger always batches exactly the transactions of one block, in block order. A batch
/// that fails is re-checked one signature at a time with `verify_strict`.
pub fn verify_many(checks: &[SignatureCheck<'_>]) -> Vec<Result<(), CryptoError>> {
    const MIN_BATCH: usize = 4;
    let mut verdicts: Vec<Option<Result<(), CryptoError>>> = vec![None; checks.len()];
    let batch: Vec<(usize, VerifyingKey)> = checks
        .iter()
        .enumerate()
        .filter(|(_, c)| batchable(c.signature))
        .filter_map(|(i, c)| c.public_key.verifying_key().ok().map(|key| (i, key)))
        .collect();
    if batch.len() >= MIN_BATCH {
        let messages: Vec<&[u8]> = batch.iter().map(|(i, _)| checks[*i].message).collect();
        let signatures: Vec<ed25519_dalek::Signature> = batch
            .iter()
            .map(|(i, _)| ed25519_dalek::Signature::from_bytes(&checks[*i].signature.0))
            .collect();
        let keys: Vec<VerifyingKey> = batch.iter().map(|(_, key)| *key).collect();
        if ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok() {
            for (i, _) in &batch {
                verdicts[*i] = Some(Ok(()));
            }
        }
    }
    verdicts
        .into_iter()
        .zip(checks)
        .map(|(verdict, c)| verdict.unwrap_or_else(|| c.public_key.verify(c.message, c.signature)))
        .collect()
}

/// Signatures that a laxer ed25519 verifier accepts and the ledger refuses, made from
/// public seeds: the unit tests hold every path to them, and `truffle-web` writes them
/// into the browser's golden vectors. Not for use on a chain.
#[doc(hidden)]
pub mod vectors {
    use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
    use curve25519_dalek::traits::{Identity, IsIdentity};
    use curve25519_dalek::Scalar;
    use sha2::{Digest, Sha512};

    use super::{PublicKey, Signature};

    /// A crafted signature.
    #[derive(Clone, Debug)]
    pub struct Vector {
        /// What is wrong with it.
        pub name: &'static str,
        /// The key.
        pub public_key: PublicKey,
        /// The message.
        pub message: Vec<u8>,
        /// The signature.
        pub signature: Signature,
    }

    /// A point of order 8.
    pub fn order_eight() -> EdwardsPoint {
        let bytes: [u8; 32] =
            hex::decode("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")
                .expect("hex")
                .try_into()
                .expect("32 bytes");
        CompressedEdwardsY(bytes).decompress().expect("a point")
    }

    fn scalar(name: &str) -> Scalar {
        let mut wide = [0u8; 64];
        wide.copy_from_slice(&Sha512::digest(name.as_bytes()));
        Scalar::from_bytes_mod_order_wide(&wide)
    }

    fn challenge(r: &[u8; 32], a: &[u8; 32], message: &[u8]) -> Scalar {
        let mut wide = [0u8; 64];
        wide.copy_from_slice(
            &Sha512::new()
                .chain_update(r)
                .chain_update(a)
                .chain_update(message)
                .finalize(),
        );
        Scalar::from_bytes_mod_order_wide(&wide)
    }

    fn signature(r: [u8; 32], s: Scalar) -> Signature {
        let mut bytes = [0u8; 64];
        bytes[..32].copy_from_slice(&r);
        bytes[32..].copy_from_slice(s.as_bytes());
        Signature(bytes)
    }

    /// `message` with a counter appended until `accept` holds (at most 256 tries).
    fn grind(base: &[u8], accept: impl Fn(&[u8]) -> bool) -> Vec<u8> {
        (0u8..=255)
            .map(|n| [base, &[n]].concat())
            .find(|m| accept(m))
            .expect("one in eight messages fits")
    }

    /// A signature by secret `a` (public `key`) with nonce point `r` (encoded) and nonce
    /// scalar `k`: `s = k + h·a`, `h = H(r ‖ key ‖ message)`.
    fn craft(
        name: &'static str,
        a: Scalar,
        key: [u8; 32],
        r: [u8; 32],
        k: Scalar,
        message: &[u8],
    ) -> Vector {
        let h = challenge(&r, &key, message);
        Vector {
            name,
            public_key: PublicKey(key),
            message: message.to_vec(),
            signature: signature(r, k + h * a),
        }
    }

    /// The vectors, each with a key of prime order unless the key is the point.
    pub fn all() -> Vec<Vector> {
        let a = scalar("truffle/v1/vectors/key");
        let key = EdwardsPoint::mul_base(&a).compress().to_bytes();
        let k = scalar("truffle/v1/vectors/nonce");
        let nonce = EdwardsPoint::mul_base(&k).compress().to_bytes();
        let torsion = order_eight();
        let identity = EdwardsPoint::identity().compress().to_bytes();
        // The identity again, encoded as y = p + 1: decompression reduces it.
        let mut non_canonical = [0xffu8; 32];
        non_canonical[0] = 0xee;
        non_canonical[31] = 0x7f;
        let mixed = (EdwardsPoint::mul_base(&k) + torsion).compress().to_bytes();
        let mixed_key = (EdwardsPoint::mul_base(&a) + torsion).compress().to_bytes();
        // For the mixed-order key, h must be a multiple of 8: then even `verify_strict`
        // accepts the signature.
        let ground = grind(b"mixed-order key", |m| {
            (challenge(&nonce, &mixed_key, m) * torsion).is_identity()
        });
        let mut unreduced = craft("s not reduced (s + l)", a, key, nonce, k, b"unreduced s");
        add_group_order(&mut unreduced.signature.0[32..]);
        vec![
            // R is the identity: s·B = R + h·A holds for s = h·a, so the cofactorless
            // equation (ed25519-dalek's `verify`, its batch) and the cofactored one accept.
            craft(
                "small-order R (the identity)",
                a,
                key,
                identity,
                Scalar::ZERO,
                b"small-order R",
            ),
            craft(
                "non-canonical R (the identity as y = p + 1)",
                a,
                key,
                non_canonical,
                Scalar::ZERO,
                b"non-canonical R",
            ),
            // R with a torsion component: only the cofactored equation accepts it, and a
            // batch whenever its coefficient for it is a multiple of 8.
            craft("mixed-order R", a, key, mixed, k, b"mixed-order R"),
            craft("mixed-order key", a, mixed_key, nonce, k, &ground),
            unreduced,
        ]
    }

    /// Adds the group order l to a little-endian scalar below l (it stays below 2^256).
    fn add_group_order(s: &mut [u8]) {
        const L: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut carry = 0u16;
        for (byte, l) in s.iter_mut().zip(L) {
            let sum = *byte as u16 + l as u16 + carry;
            *byte = sum as u8;
            carry = sum >> 8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify() {
        let kp = Keypair::from_name("alice");
        let sig = kp.sign(b"hello");
        assert_eq!(kp.public().verify(b"hello", &sig), Ok(()));
        assert_eq!(
            kp.public().verify(b"hellp", &sig),
            Err(CryptoError::BadSignature)
        );
    }

    /// Four valid signatures (messages tagged with `salt`) to batch a vector with.
    fn companions(salt: u8) -> Vec<(PublicKey, Vec<u8>, Signature)> {
        (0..4)
            .map(|i| {
                let key = Keypair::from_name(&format!("companion-{i}"));
                let message = vec![i, salt];
                let signature = key.sign(&message);
                (key.public(), message, signature)
            })
            .collect()
    }

    /// `verify_many` over the companions with `vector` third.
    fn in_a_batch(
        vector: &vectors::Vector,
        salt: u8,
    ) -> (
        Vec<Result<(), CryptoError>>,
        Result<(), ed25519_dalek::SignatureError>,
    ) {
        let mut list = companions(salt);
        list.insert(
            2,
            (vector.public_key, vector.message.clone(), vector.signature),
        );
        let checks: Vec<SignatureCheck> = list
            .iter()
            .map(|(public_key, message, signature)| SignatureCheck {
                public_key,
                message,
                signature,
            })
            .collect();
        // What ed25519-dalek's batch alone says of the same list.
        let raw = list
            .iter()
            .map(|(k, _, _)| VerifyingKey::from_bytes(&k.0))
            .collect::<Result<Vec<_>, _>>()
            .and_then(|keys| {
                let messages: Vec<&[u8]> = list.iter().map(|(_, m, _)| m.as_slice()).collect();
                let signatures: Vec<ed25519_dalek::Signature> = list
                    .iter()
                    .map(|(_, _, s)| ed25519_dalek::Signature::from_bytes(&s.0))
                    .collect();
                ed25519_dalek::verify_batch(&messages, &signatures, &keys)
            });
        (verify_many(&checks), raw)
    }

    fn vector(name: &str) -> vectors::Vector {
        vectors::all()
            .into_iter()
            .find(|v| v.name.starts_with(name))
            .expect("a vector of that name")
    }

    /// The test vector: a small-order R that ed25519-dalek's `verify` and its
    /// batch accept, and `verify_strict` refuses, is refused in a batch too.
    #[test]
    fn a_small_order_r_is_refused_in_a_batch_as_alone() {
        let v = vector("small-order R");
        let key = VerifyingKey::from_bytes(&v.public_key.0).unwrap();
        let signature = ed25519_dalek::Signature::from_bytes(&v.signature.0);
        use ed25519_dalek::Verifier;
        assert!(
            key.verify(&v.message, &signature).is_ok(),
            "lax verify accepts"
        );
        assert!(key.verify_strict(&v.message, &signature).is_err());
        let (verdicts, raw) = in_a_batch(&v, 0);
        assert!(raw.is_ok(), "ed25519-dalek's batch alone accepts it");
        assert_eq!(verdicts[2], Err(CryptoError::BadSignature));
        for i in [0, 1, 3, 4] {
            assert_eq!(verdicts[i], Ok(()), "companion {i}");
        }
    }

    #[test]
    fn a_non_canonical_r_is_refused_in_a_batch_as_alone() {
        let v = vector("non-canonical R");
        let (verdicts, raw) = in_a_batch(&v, 0);
        assert!(raw.is_ok(), "ed25519-dalek's batch alone accepts it");
        assert_eq!(verdicts[2], Err(CryptoError::BadSignature));
    }

    /// A torsion component in R cancels in a batch whenever the batch's coefficient for
    /// it is a multiple of 8; a signer can grind the other inputs for that.
    #[test]
    fn a_mixed_order_r_is_refused_in_every_batch() {
        let v = vector("mixed-order R");
        assert!(v.public_key.verify(&v.message, &v.signature).is_err());
        let mut raw_accepted = 0;
        for salt in 0..64 {
            let (verdicts, raw) = in_a_batch(&v, salt);
            raw_accepted += usize::from(raw.is_ok());
            assert_eq!(verdicts[2], Err(CryptoError::BadSignature), "salt {salt}");
            assert!(verdicts.iter().filter(|v| v.is_ok()).count() == 4);
        }
        assert!(
            raw_accepted > 0,
            "the raw batch accepted it in some of 64 batches"
        );
    }

    /// `verify_strict` accepts this signature under a key with a torsion component; the
    /// ledger refuses such keys everywhere (registration, single and batch checks).
    #[test]
    fn a_mixed_order_key_is_refused() {
        let v = vector("mixed-order key");
        let key = VerifyingKey::from_bytes(&v.public_key.0).unwrap();
        let signature = ed25519_dalek::Signature::from_bytes(&v.signature.0);
        assert!(!key.is_weak(), "not small order");
        assert!(key.verify_strict(&v.message, &signature).is_ok());
        assert_eq!(v.public_key.check_usable(), Err(CryptoError::WeakKey));
        let (verdicts, _) = in_a_batch(&v, 0);
        assert_eq!(verdicts[2], Err(CryptoError::WeakKey));
    }

    #[test]
    fn every_vector_is_refused_alone_and_in_a_batch() {
        let all = vectors::all();
        assert_eq!(all.len(), 5);
        for v in &all {
            assert!(
                v.public_key.verify(&v.message, &v.signature).is_err(),
                "{}",
                v.name
            );
            let (verdicts, _) = in_a_batch(v, 1);
            assert!(verdicts[2].is_err(), "{}", v.name);
            assert_eq!(
                verdicts.iter().filter(|r| r.is_ok()).count(),
                4,
                "{}",
                v.name
            );
        }
        // A non-canonical encoding is refused before its point is looked at.
        let non_canonical = vector("non-canonical R").signature.0[..32]
            .try_into()
            .unwrap();
        assert_eq!(
            PublicKey(non_canonical).check_usable(),
            Err(CryptoError::InvalidKey)
        );
    }

    #[test]
    fn weak_keys_are_refused() {
        // The identity point (y = 1) has small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            PublicKey(identity).check_usable(),
            Err(CryptoError::WeakKey)
        );
    }

    /// The memo hands back the very key decoding gives, and never holds a refused one:
    /// a weak key is refused however often it is asked for.
    #[test]
    fn the_memo_holds_usable_keys_decoded() {
        let key = Keypair::from_name("memo").public();
        key.forget_usable();
        let decoded = key.verifying_key().unwrap();
        assert!(key.known_usable());
        assert_eq!(key.verifying_key().unwrap(), decoded);
        assert_eq!(
            key.verifying_key().unwrap().to_edwards(),
            VerifyingKey::from_bytes(&key.0).unwrap().to_edwards()
        );
        let message = b"signed under a memoized key";
        let signature = Keypair::from_name("memo").sign(message);
        assert_eq!(key.verify(message, &signature), Ok(()));
        assert_eq!(
            key.verify(b"another message", &signature),
            Err(CryptoError::BadSignature)
        );

        let weak = vector("mixed-order key").public_key;
        for _ in 0..2 {
            assert_eq!(weak.check_usable(), Err(CryptoError::WeakKey));
            assert!(!weak.known_usable());
        }
    }

    #[test]
    fn batch_verdicts_match_single_verdicts() {
        let keys: Vec<Keypair> = (0..8)
            .map(|i| Keypair::from_name(&format!("k{i}")))
            .collect();
        let messages: Vec<Vec<u8>> = (0..8).map(|i| vec![i as u8; 10]).collect();
        let publics: Vec<PublicKey> = keys.iter().map(|k| k.public()).collect();
        let mut signatures: Vec<Signature> =
            keys.iter().zip(&messages).map(|(k, m)| k.sign(m)).collect();
        let checks = |sigs: &[Signature]| -> Vec<Result<(), CryptoError>> {
            let list: Vec<SignatureCheck> = (0..8)
                .map(|i| SignatureCheck {
                    public_key: &publics[i],
                    message: &messages[i],
                    signature: &sigs[i],
                })
                .collect();
            verify_many(&list)
        };
        assert!(checks(&signatures).iter().all(|r| r.is_ok()));
        signatures[3].0[0] ^= 1;
        let verdicts = checks(&signatures);
        for (i, verdict) in verdicts.iter().enumerate() {
            assert_eq!(verdict.is_ok(), i != 3, "signature {i}");
        }
    }
}
