//! Members' personal data at rest: sealed per account, erasable by destroying a key.
//!
//! Every member's profile (name, email, phone, gender, birth year, address) is
//! encrypted (XChaCha20-Poly1305) with a random per-account data key; the data key is
//! itself encrypted with the cluster's vault key before it enters the Raft log. Emails
//! and phone numbers are looked up by keyed blake3 MACs, never stored in the clear.
//! Withdrawal deletes the sealed record: without the data key, any ciphertext left in
//! old log segments or snapshots is noise (crypto-shredding).

use borsh::{BorshDeserialize, BorshSerialize};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use truffle_ledger::types::Gender;
use truffle_ledger::{Hash, PublicKey};

/// The cluster's vault key (shared by the validators, like a KMS key).
#[derive(Clone)]
pub struct VaultKey {
    mac_key: [u8; 32],
    wrap_key: [u8; 32],
}

impl std::fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VaultKey(..)")
    }
}

/// A profile could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("sealed data does not open: wrong vault key, or tampered")]
pub struct SealError;

/// A member's personal data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Real name.
    pub name: String,
    /// Email, normalized.
    pub email: String,
    /// Phone, E.164.
    pub phone: String,
    /// Gender, for recommendations and ad targeting.
    pub gender: Gender,
    /// Birth year (also attested on the ledger, for age-limited raffles).
    pub birth_year: u16,
    /// Postal address, if given.
    pub address: Option<String>,
}

/// A profile sealed under its data key, and the data key sealed under the vault key.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SealedProfile {
    /// The data key, encrypted with the vault key (associated data: the account).
    pub wrapped_key: Vec<u8>,
    /// Its nonce.
    pub key_nonce: [u8; 24],
    /// The profile JSON, encrypted with the data key (associated data: the account).
    pub ciphertext: Vec<u8>,
    /// Its nonce.
    pub nonce: [u8; 24],
}

fn random<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut out);
    out
}

impl VaultKey {
    /// The vault key from its 32-byte secret.
    pub fn from_secret(secret: &[u8; 32]) -> VaultKey {
        VaultKey {
            mac_key: blake3::derive_key("truffle v1 vault mac", secret),
            wrap_key: blake3::derive_key("truffle v1 vault wrap", secret),
        }
    }

    /// Keyed MAC of a value in a domain ("email", "phone", "code"): how such values are
    /// looked up without being stored.
    pub fn mac(&self, domain: &str, value: &[u8]) -> Hash {
        let mut hasher = blake3::Hasher::new_keyed(&self.mac_key);
        hasher.update(&(domain.len() as u32).to_le_bytes());
        hasher.update(domain.as_bytes());
        hasher.update(value);
        Hash(*hasher.finalize().as_bytes())
    }

    /// Seals a profile under a fresh data key.
    pub fn seal(&self, account: &PublicKey, profile: &Profile) -> SealedProfile {
        let data_key: [u8; 32] = random();
        self.seal_with(account, profile, &data_key)
    }

    fn seal_with(
        &self,
        account: &PublicKey,
        profile: &Profile,
        data_key: &[u8; 32],
    ) -> SealedProfile {
        let key_nonce: [u8; 24] = random();
        let nonce: [u8; 24] = random();
        let wrapped_key = XChaCha20Poly1305::new((&self.wrap_key).into())
            .encrypt(
                XNonce::from_slice(&key_nonce),
                Payload {
                    msg: data_key,
                    aad: &account.0,
                },
            )
            .expect("encryption into a Vec cannot fail");
        let json = serde_json::to_vec(profile).expect("profiles serialize");
        let ciphertext = XChaCha20Poly1305::new(data_key.into())
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &json,
                    aad: &account.0,
                },
            )
            .expect("encryption into a Vec cannot fail");
        SealedProfile {
            wrapped_key,
            key_nonce,
            ciphertext,
            nonce,
        }
    }

    fn data_key(&self, account: &PublicKey, sealed: &SealedProfile) -> Result<[u8; 32], SealError> {
        let key = XChaCha20Poly1305::new((&self.wrap_key).into())
            .decrypt(
                XNonce::from_slice(&sealed.key_nonce),
                Payload {
                    msg: &sealed.wrapped_key,
                    aad: &account.0,
                },
            )
            .map_err(|_| SealError)?;
        key.try_into().map_err(|_| SealError)
    }

    /// Opens a sealed profile.
    pub fn open(&self, account: &PublicKey, sealed: &SealedProfile) -> Result<Profile, SealError> {
        let data_key = self.data_key(account, sealed)?;
        let json = XChaCha20Poly1305::new((&data_key).into())
            .decrypt(
                XNonce::from_slice(&sealed.nonce),
                Payload {
                    msg: &sealed.ciphertext,
                    aad: &account.0,
                },
            )
            .map_err(|_| SealError)?;
        serde_json::from_slice(&json).map_err(|_| SealError)
    }

    /// Re-seals an updated profile under the account's existing data key.
    pub fn reseal(
        &self,
        account: &PublicKey,
        sealed: &SealedProfile,
        profile: &Profile,
    ) -> Result<SealedProfile, SealError> {
        let data_key = self.data_key(account, sealed)?;
        Ok(self.seal_with(account, profile, &data_key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use truffle_ledger::Keypair;

    fn profile() -> Profile {
        Profile {
            name: "김민지".into(),
            email: "minji@example.com".into(),
            phone: "+821012345678".into(),
            gender: Gender::Female,
            birth_year: 1998,
            address: Some("서울특별시 강남구".into()),
        }
    }

    #[test]
    fn seal_open_and_refuse_tampering() {
        let vault = VaultKey::from_secret(&[7; 32]);
        let account = Keypair::from_name("member").public();
        let sealed = vault.seal(&account, &profile());
        assert_eq!(vault.open(&account, &sealed).unwrap(), profile());
        let bytes = borsh::to_vec(&sealed).unwrap();
        assert!(
            !bytes.windows(5).any(|w| w == b"minji"),
            "no plaintext in the sealed form"
        );

        let other_account = Keypair::from_name("other").public();
        assert!(
            vault.open(&other_account, &sealed).is_err(),
            "bound to its account"
        );
        assert!(
            VaultKey::from_secret(&[8; 32])
                .open(&account, &sealed)
                .is_err(),
            "needs the vault key"
        );
        let mut tampered = sealed.clone();
        tampered.ciphertext[0] ^= 1;
        assert!(vault.open(&account, &tampered).is_err());

        let mut changed = profile();
        changed.name = "김민지2".into();
        let resealed = vault.reseal(&account, &sealed, &changed).unwrap();
        assert_eq!(vault.open(&account, &resealed).unwrap(), changed);
    }

    #[test]
    fn macs_are_keyed_and_domain_separated() {
        let vault = VaultKey::from_secret(&[7; 32]);
        let a = vault.mac("email", b"a@example.com");
        assert_eq!(a, vault.mac("email", b"a@example.com"));
        assert_ne!(a, vault.mac("phone", b"a@example.com"));
        assert_ne!(
            a,
            VaultKey::from_secret(&[9; 32]).mac("email", b"a@example.com")
        );
    }
}
