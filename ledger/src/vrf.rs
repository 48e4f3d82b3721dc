//! ECVRF-EDWARDS25519-SHA512-TAI (RFC 9381, suite `0x03`): a verifiable random
//! function under a validator's ed25519 key.
//!
//! A validator proves `beta = VRF(x, alpha)` with its secret scalar `x`; anyone holding
//! its public key `Y` checks the 80-byte proof and gets the same 64-byte `beta`. For a
//! usable key (canonical, prime order — the ledger's one key rule) `beta` is unique: no
//! key holder can produce two valid outputs for one `alpha` (RFC 9381 §3.2, full
//! uniqueness), and nobody without `x` can predict it (pseudorandomness). That is what
//! the raffle draw needs from each validator's contribution (`crate::draw`).
//!
//! Every group operation here is curve25519-dalek's (decompression, scalar and point
//! multiplication, cofactor clearing); this module only strings them together in the
//! order RFC 9381 §5 gives, and is held to the RFC's test vectors (Appendix B.3,
//! examples 16–18) and, through golden vectors, to the browser's copy
//! (`web/static/assets/js/vrf.js`, over noble-curves).
//!
//! The VRF key is the validator's ed25519 key: this suite derives `x` and `Y` from the
//! secret as RFC 8032 does (RFC 9381 §5.5).
//! Its nonce derivation is RFC 8032's (`SHA-512(prefix ‖ h_string)`), the same function
//! Ed25519 uses over `prefix ‖ message`; the two could share a nonce only if the key
//! ed25519-signed a 32-byte message equal to the encoding of a hash-to-curve point it
//! also proves over. Truffle keys sign only blake3 outputs under domain tags
//! (transactions, header votes) and the libp2p handshake (longer than 32 bytes), so
//! that would take a blake3 preimage.

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::Scalar;
use sha2::{Digest, Sha512};

use crate::crypto::{Keypair, PublicKey};

/// The suite string of ECVRF-EDWARDS25519-SHA512-TAI.
const SUITE: u8 = 0x03;
/// Length of a proof: Gamma (32) ‖ c (16) ‖ s (32).
pub const PROOF_LEN: usize = 80;
/// Length of the output `beta`.
pub const OUTPUT_LEN: usize = 64;

/// Why a proof was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VrfError {
    /// The public key is not a canonical point, or has small order.
    #[error("the VRF public key is not a usable point")]
    BadKey,
    /// Gamma is not a canonical point, or `s` is not reduced.
    #[error("the VRF proof does not decode")]
    Malformed,
    /// The proof's challenge does not match: wrong key, input or output.
    #[error("the VRF proof does not verify")]
    Invalid,
    /// No point found for this input in 256 tries (probability 2^-256).
    #[error("no curve point for this input")]
    NoPoint,
}

fn sha512(parts: &[&[u8]]) -> [u8; 64] {
    let mut hasher = Sha512::new();
    for part in parts {
        hasher.update(part);
    }
    let mut out = [0u8; 64];
    out.copy_from_slice(&hasher.finalize());
    out
}

/// RFC 8032 decoding: a point only from its canonical encoding (`y < p`, and not the
/// negative zero `x`), which is what re-encoding the decoded point checks.
fn string_to_point(bytes: &[u8; 32]) -> Option<EdwardsPoint> {
    let point = CompressedEdwardsY(*bytes).decompress()?;
    (point.compress().as_bytes() == bytes).then_some(point)
}

/// ECVRF_encode_to_curve_try_and_increment (RFC 9381 §5.4.1.1) with the public key as
/// the salt.
pub fn encode_to_curve(public: &[u8; 32], alpha: &[u8]) -> Result<EdwardsPoint, VrfError> {
    for ctr in 0..=255u8 {
        let hash = sha512(&[&[SUITE, 0x01], public, alpha, &[ctr, 0x00]]);
        let mut candidate = [0u8; 32];
        candidate.copy_from_slice(&hash[..32]);
        if let Some(point) = string_to_point(&candidate) {
            return Ok(point.mul_by_cofactor());
        }
    }
    Err(VrfError::NoPoint)
}

/// ECVRF_challenge_generation (RFC 9381 §5.4.3): the first 16 bytes of the hash of the
/// five points, as a little-endian integer.
fn challenge(points: [&EdwardsPoint; 5]) -> [u8; 16] {
    let mut hasher = Sha512::new();
    hasher.update([SUITE, 0x02]);
    for point in points {
        hasher.update(point.compress().as_bytes());
    }
    hasher.update([0x00]);
    let mut c = [0u8; 16];
    c.copy_from_slice(&hasher.finalize()[..16]);
    c
}

fn challenge_scalar(c: &[u8; 16]) -> Scalar {
    let mut wide = [0u8; 32];
    wide[..16].copy_from_slice(c);
    Scalar::from_bytes_mod_order(wide)
}

/// ECVRF_proof_to_hash (RFC 9381 §5.2) of a decoded Gamma.
fn gamma_to_hash(gamma: &EdwardsPoint) -> [u8; OUTPUT_LEN] {
    sha512(&[
        &[SUITE, 0x03],
        gamma.mul_by_cofactor().compress().as_bytes(),
        &[0x00],
    ])
}

/// ECVRF_prove (RFC 9381 §5.1) with the ed25519 key pair: the 80-byte proof over
/// `alpha`.
pub fn prove(key: &Keypair, alpha: &[u8]) -> Result<[u8; PROOF_LEN], VrfError> {
    let expanded = sha512(&[&key.seed()]);
    let mut x_bytes = [0u8; 32];
    x_bytes.copy_from_slice(&expanded[..32]);
    x_bytes[0] &= 248;
    x_bytes[31] &= 127;
    x_bytes[31] |= 64;
    let x = Scalar::from_bytes_mod_order(x_bytes);
    let public = key.public().0;
    let y = EdwardsPoint::mul_base(&x);
    debug_assert_eq!(y.compress().0, public, "the key pair's public half");
    let h = encode_to_curve(&public, alpha)?;
    let h_string = h.compress();
    let gamma = h * x;
    let k = Scalar::from_bytes_mod_order_wide(&sha512(&[&expanded[32..], h_string.as_bytes()]));
    let c = challenge([&y, &h, &gamma, &EdwardsPoint::mul_base(&k), &(h * k)]);
    let s = k + challenge_scalar(&c) * x;
    let mut proof = [0u8; PROOF_LEN];
    proof[..32].copy_from_slice(gamma.compress().as_bytes());
    proof[32..48].copy_from_slice(&c);
    proof[48..].copy_from_slice(s.as_bytes());
    Ok(proof)
}

/// ECVRF_verify (RFC 9381 §5.3) with key validation: `beta` when `proof` is `public`'s
/// proof over `alpha`.
pub fn verify(
    public: &PublicKey,
    alpha: &[u8],
    proof: &[u8; PROOF_LEN],
) -> Result<[u8; OUTPUT_LEN], VrfError> {
    let y = string_to_point(&public.0).ok_or(VrfError::BadKey)?;
    if y.is_small_order() {
        return Err(VrfError::BadKey);
    }
    let mut gamma_bytes = [0u8; 32];
    gamma_bytes.copy_from_slice(&proof[..32]);
    let gamma = string_to_point(&gamma_bytes).ok_or(VrfError::Malformed)?;
    let mut c = [0u8; 16];
    c.copy_from_slice(&proof[32..48]);
    let mut s_bytes = [0u8; 32];
    s_bytes.copy_from_slice(&proof[48..]);
    let s =
        Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes)).ok_or(VrfError::Malformed)?;
    let h = encode_to_curve(&public.0, alpha)?;
    let c_scalar = challenge_scalar(&c);
    // U = s·B − c·Y, V = s·H − c·Gamma.
    let u = EdwardsPoint::vartime_double_scalar_mul_basepoint(&-c_scalar, &y, &s);
    let v = h * s - gamma * c_scalar;
    if challenge([&y, &h, &gamma, &u, &v]) != c {
        return Err(VrfError::Invalid);
    }
    Ok(gamma_to_hash(&gamma))
}

/// `beta` of a proof, without checking it (RFC 9381 §5.2); for a proof already verified.
pub fn proof_to_hash(proof: &[u8; PROOF_LEN]) -> Result<[u8; OUTPUT_LEN], VrfError> {
    let mut gamma_bytes = [0u8; 32];
    gamma_bytes.copy_from_slice(&proof[..32]);
    let gamma = string_to_point(&gamma_bytes).ok_or(VrfError::Malformed)?;
    Ok(gamma_to_hash(&gamma))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes<const N: usize>(text: &str) -> [u8; N] {
        hex::decode(text).unwrap().try_into().unwrap()
    }

    /// RFC 9381 Appendix B.3, examples 16–18: (SK, PK, alpha, H, pi, beta).
    const RFC_VECTORS: [(&str, &str, &str, &str, &str, &str); 3] = [
        (
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "91bbed02a99461df1ad4c6564a5f5d829d0b90cfc7903e7a5797bd658abf3318",
            "8657106690b5526245a92b003bb079ccd1a92130477671f6fc01ad16f26f723f26f8a57ccaed74ee1b190bed1f479d9727d2d0f9b005a6e456a35d4fb0daab1268a1b0db10836d9826a528ca76567805",
            "90cf1df3b703cce59e2a35b925d411164068269d7b2d29f3301c03dd757876ff66b71dda49d2de59d03450451af026798e8f81cd2e333de5cdf4f3e140fdd8ae",
        ),
        (
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "5b659fc3d4e9263fd9a4ed1d022d75eaacc20df5e09f9ea937502396598dc551",
            "f3141cd382dc42909d19ec5110469e4feae18300e94f304590abdced48aed5933bf0864a62558b3ed7f2fea45c92a465301b3bbf5e3e54ddf2d935be3b67926da3ef39226bbc355bdc9850112c8f4b02",
            "eb4440665d3891d668e7e0fcaf587f1b4bd7fbfe99d0eb2211ccec90496310eb5e33821bc613efb94db5e5b54c70a848a0bef4553a41befc57663b56373a5031",
        ),
        (
            "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            "af82",
            "bf4339376f5542811de615e3313d2b36f6f53c0acfebb482159711201192576a",
            "9bc0f79119cc5604bf02d23b4caede71393cedfbb191434dd016d30177ccbf8096bb474e53895c362d8628ee9f9ea3c0e52c7a5c691b6c18c9979866568add7a2d41b00b05081ed0f58ee5e31b3a970e",
            "645427e5d00c62a23fb703732fa5d892940935942101e456ecca7bb217c61c452118fec1219202a0edcf038bb6373241578be7217ba85a2687f7a0310b2df19f",
        ),
    ];

    #[test]
    fn rfc9381_test_vectors() {
        for (sk, pk, alpha, h, pi, beta) in RFC_VECTORS {
            let key = Keypair::from_seed(&bytes(sk));
            let public = PublicKey(bytes(pk));
            assert_eq!(key.public(), public);
            let alpha = hex::decode(alpha).unwrap();
            assert_eq!(
                encode_to_curve(&public.0, &alpha).unwrap().compress().0,
                bytes::<32>(h)
            );
            let proof = prove(&key, &alpha).unwrap();
            assert_eq!(hex::encode(proof), pi);
            assert_eq!(hex::encode(verify(&public, &alpha, &proof).unwrap()), beta);
            assert_eq!(hex::encode(proof_to_hash(&proof).unwrap()), beta);
        }
    }

    /// The cost figures of BENCHMARKS.md ("Raffle randomness"): run with
    /// `--ignored --nocapture` in a release build.
    #[test]
    #[ignore]
    fn timing() {
        let key = Keypair::from_name("validator");
        let runs = 2_000u32;
        let start = std::time::Instant::now();
        let mut proof = [0u8; PROOF_LEN];
        for i in 0..runs {
            proof = prove(&key, &i.to_be_bytes()).unwrap();
        }
        let proving = start.elapsed() / runs;
        let start = std::time::Instant::now();
        for _ in 0..runs {
            verify(&key.public(), &(runs - 1).to_be_bytes(), &proof).unwrap();
        }
        let verifying = start.elapsed() / runs;
        println!("ECVRF prove {proving:?}, verify {verifying:?} (mean of {runs})");
    }

    #[test]
    fn changed_inputs_are_refused() {
        let key = Keypair::from_name("validator");
        let other = Keypair::from_name("other");
        let proof = prove(&key, b"raffle 1").unwrap();
        assert!(verify(&key.public(), b"raffle 1", &proof).is_ok());
        assert_eq!(
            verify(&key.public(), b"raffle 2", &proof),
            Err(VrfError::Invalid)
        );
        assert_eq!(
            verify(&other.public(), b"raffle 1", &proof),
            Err(VrfError::Invalid)
        );
        for byte in [0, 31, 32, 47, 48, 79] {
            let mut changed = proof;
            changed[byte] ^= 1;
            assert!(
                verify(&key.public(), b"raffle 1", &changed).is_err(),
                "byte {byte}"
            );
        }
        // s not reduced.
        let mut unreduced = proof;
        unreduced[48..].copy_from_slice(&[0xff; 32]);
        assert_eq!(
            verify(&key.public(), b"raffle 1", &unreduced),
            Err(VrfError::Malformed)
        );
        // A small-order key is refused even with a proof that would check.
        let identity = PublicKey(EdwardsPoint::default().compress().0);
        assert_eq!(
            verify(&identity, b"raffle 1", &proof),
            Err(VrfError::BadKey)
        );
        // Two keys give different outputs, and one key's output is the same each time.
        let again = prove(&key, b"raffle 1").unwrap();
        assert_eq!(proof_to_hash(&again), proof_to_hash(&proof));
        assert_ne!(
            proof_to_hash(&prove(&other, b"raffle 1").unwrap()),
            proof_to_hash(&proof)
        );
    }
}
