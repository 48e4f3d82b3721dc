//! ed25519 keys and signatures, with the checks that make validity identical on every node.
//!
//! Verification is `verify_strict` and weak (small-order) keys are refused: batch
//! verification and single verification can disagree on such keys, and two validators
//! must never disagree about whether a transaction is valid. A failed batch is
//! re-checked one signature at a time so the outcome is per-signature and deterministic.

use borsh::{BorshDeserialize, BorshSerialize};
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
    /// The key has small order; signatures under it prove nothing.
    #[error("public key is weak (small order)")]
    WeakKey,
    /// The signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
}

impl PublicKey {
    /// Decodes the key and refuses invalid and weak keys.
    pub fn verifying_key(&self) -> Result<VerifyingKey, CryptoError> {
        let key = VerifyingKey::from_bytes(&self.0).map_err(|_| CryptoError::InvalidKey)?;
        if key.is_weak() {
            return Err(CryptoError::WeakKey);
        }
        Ok(key)
    }

    /// Checks that the key is usable as an account or validator identity.
    pub fn check_usable(&self) -> Result<(), CryptoError> {
        self.verifying_key().map(|_| ())
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

/// Verifies many signatures, in one batch where possible.
///
/// Returns one verdict per input, in order. The batch's random coefficients are derived
/// from its inputs alone (ed25519-dalek's deterministic transcript), so the same list
/// gets the same verdicts on every node; that is why the ledger always batches exactly
/// the transactions of one block, in block order. A batch that fails, or that holds an
/// invalid or weak key, is re-checked one signature at a time with `verify_strict`.
pub fn verify_many(checks: &[SignatureCheck<'_>]) -> Vec<Result<(), CryptoError>> {
    const MIN_BATCH: usize = 4;
    if checks.len() >= MIN_BATCH {
        let keys: Result<Vec<VerifyingKey>, CryptoError> = checks
            .iter()
            .map(|c| c.public_key.verifying_key())
            .collect();
        if let Ok(keys) = keys {
            let messages: Vec<&[u8]> = checks.iter().map(|c| c.message).collect();
            let signatures: Vec<ed25519_dalek::Signature> = checks
                .iter()
                .map(|c| ed25519_dalek::Signature::from_bytes(&c.signature.0))
                .collect();
            if ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok() {
                return vec![Ok(()); checks.len()];
            }
        }
    }
    checks
        .iter()
        .map(|c| c.public_key.verify(c.message, c.signature))
        .collect()
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
