//! Members' personal data at rest: sealed per account, erasable by destroying keys.
//!
//! Every member's profile (name, email, phone, gender, birth year, address) is
//! encrypted (XChaCha20-Poly1305) with a random per-account data key. The data key is
//! wrapped under the *epoch key* of the vault's current epoch before it enters the Raft
//! log. Epoch keys form a one-way ratchet (`k[e+1] = KDF(k[e])`): every validator can
//! step forward alone, nobody can step back. When the cluster moves to a new epoch the
//! leader re-wraps every live member's data key under the new epoch key (see
//! [`crate::epochs`]) and every node then overwrites its stored epoch key with the new
//! one ([`crate::keystore`]). A withdrawn member's record is not re-wrapped, so once the
//! epoch it was last wrapped in is destroyed, no key left anywhere opens any copy of its
//! data key — in old log segments, snapshots, RocksDB files or backups — and so none of
//! its profile or chat ciphertexts (crypto-shredding, argued in ARCHITECTURE.md).
//!
//! Emails and phone numbers are looked up by keyed blake3 MACs under a MAC key that does
//! not ratchet (lookups must keep working); it opens nothing.

use borsh::{BorshDeserialize, BorshSerialize};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use truffle_ledger::types::Gender;
use truffle_ledger::{Hash, PublicKey};

use crate::keystore::{KeyStore, KeyStoreError};

/// The cluster's vault: the MAC key and this node's key store of epoch keys.
pub struct VaultKey {
    mac_key: [u8; 32],
    keys: KeyStore,
}

impl std::fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VaultKey(..)")
    }
}

/// A profile could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// Wrong key, wrong account, or tampered bytes.
    #[error("sealed data does not open: wrong vault key, or tampered")]
    DoesNotOpen,
    /// The record was wrapped in an epoch whose key this node has destroyed.
    #[error("sealed under vault epoch {sealed}, destroyed here (this node is at epoch {current})")]
    EpochErased {
        /// The record's epoch.
        sealed: u64,
        /// This node's epoch.
        current: u64,
    },
    /// The key store could not be written.
    #[error(transparent)]
    KeyStore(#[from] KeyStoreError),
}

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
    /// Birth year (the ledger only learns the year the member came of age).
    pub birth_year: u16,
    /// Postal address, if given.
    pub address: Option<String>,
}

/// A profile sealed under its data key, and the data key wrapped under an epoch key.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SealedProfile {
    /// The vault epoch whose key wraps the data key.
    pub epoch: u64,
    /// The data key, encrypted with the epoch key (associated data: account, epoch).
    pub wrapped_key: Vec<u8>,
    /// Its nonce.
    pub key_nonce: [u8; 24],
    /// The profile JSON, encrypted with the data key (associated data: the account).
    pub ciphertext: Vec<u8>,
    /// Its nonce.
    pub nonce: [u8; 24],
}

/// A data key wrapped under one epoch's key.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct WrappedKey {
    /// The epoch.
    pub epoch: u64,
    /// The data key, encrypted (associated data: account, epoch).
    pub wrapped_key: Vec<u8>,
    /// Its nonce.
    pub key_nonce: [u8; 24],
}

fn random<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut out);
    out
}

fn wrap_aad(account: &PublicKey, epoch: u64) -> [u8; 40] {
    let mut aad = [0u8; 40];
    aad[..32].copy_from_slice(&account.0);
    aad[32..].copy_from_slice(&epoch.to_le_bytes());
    aad
}

/// Unwraps a data key with an epoch key (what an attacker holding `epoch_key` can do).
pub fn unwrap_with(
    epoch_key: &[u8; 32],
    account: &PublicKey,
    wrapped: &WrappedKey,
) -> Result<[u8; 32], SealError> {
    let key = XChaCha20Poly1305::new(epoch_key.into())
        .decrypt(
            XNonce::from_slice(&wrapped.key_nonce),
            Payload {
                msg: &wrapped.wrapped_key,
                aad: &wrap_aad(account, wrapped.epoch),
            },
        )
        .map_err(|_| SealError::DoesNotOpen)?;
    key.try_into().map_err(|_| SealError::DoesNotOpen)
}

/// Opens a profile ciphertext with its data key.
pub fn open_with_data_key(
    data_key: &[u8; 32],
    account: &PublicKey,
    sealed: &SealedProfile,
) -> Result<Profile, SealError> {
    let json = XChaCha20Poly1305::new(data_key.into())
        .decrypt(
            XNonce::from_slice(&sealed.nonce),
            Payload {
                msg: &sealed.ciphertext,
                aad: &account.0,
            },
        )
        .map_err(|_| SealError::DoesNotOpen)?;
    serde_json::from_slice(&json).map_err(|_| SealError::DoesNotOpen)
}

/// The key a member's chat messages are sealed with: derived from the member's data key
/// alone, so it survives re-seals and re-wraps and dies with the data key.
pub fn chat_key(data_key: &[u8; 32], account: &PublicKey) -> [u8; 32] {
    let mut input = data_key.to_vec();
    input.extend_from_slice(&account.0);
    blake3::derive_key("truffle v1 chat key", &input)
}

impl SealedProfile {
    /// The wrapped data key of this record.
    pub fn wrapped(&self) -> WrappedKey {
        WrappedKey {
            epoch: self.epoch,
            wrapped_key: self.wrapped_key.clone(),
            key_nonce: self.key_nonce,
        }
    }
}

impl VaultKey {
    /// A vault held in memory only, at epoch 0, from its 32-byte secret (tests, tools).
    pub fn from_secret(secret: &[u8; 32]) -> VaultKey {
        VaultKey {
            mac_key: KeyStore::mac_key_of(secret),
            keys: KeyStore::in_memory(secret),
        }
    }

    /// The vault backed by this node's key store (see [`KeyStore::open`]).
    pub fn with_store(keys: KeyStore) -> VaultKey {
        VaultKey {
            mac_key: keys.mac_key(),
            keys,
        }
    }

    /// This node's key store.
    pub fn keys(&self) -> &KeyStore {
        &self.keys
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

    fn epoch_key(&self, epoch: u64) -> Result<[u8; 32], SealError> {
        self.keys.key_for(epoch).ok_or(SealError::EpochErased {
            sealed: epoch,
            current: self.keys.epoch(),
        })
    }

    /// Wraps `data_key` for `account` under the key of `epoch`.
    pub fn wrap(
        &self,
        account: &PublicKey,
        data_key: &[u8; 32],
        epoch: u64,
    ) -> Result<WrappedKey, SealError> {
        let epoch_key = self.epoch_key(epoch)?;
        let key_nonce: [u8; 24] = random();
        let wrapped_key = XChaCha20Poly1305::new((&epoch_key).into())
            .encrypt(
                XNonce::from_slice(&key_nonce),
                Payload {
                    msg: data_key,
                    aad: &wrap_aad(account, epoch),
                },
            )
            .expect("encryption into a Vec cannot fail");
        Ok(WrappedKey {
            epoch,
            wrapped_key,
            key_nonce,
        })
    }

    /// Seals a profile under a fresh data key, wrapped in `epoch`.
    pub fn seal(
        &self,
        account: &PublicKey,
        profile: &Profile,
        epoch: u64,
    ) -> Result<SealedProfile, SealError> {
        let data_key: [u8; 32] = random();
        self.seal_with(account, profile, &data_key, epoch)
    }

    fn seal_with(
        &self,
        account: &PublicKey,
        profile: &Profile,
        data_key: &[u8; 32],
        epoch: u64,
    ) -> Result<SealedProfile, SealError> {
        let wrapped = self.wrap(account, data_key, epoch)?;
        let nonce: [u8; 24] = random();
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
        Ok(SealedProfile {
            epoch,
            wrapped_key: wrapped.wrapped_key,
            key_nonce: wrapped.key_nonce,
            ciphertext,
            nonce,
        })
    }

    /// The data key of a sealed record.
    pub fn data_key(
        &self,
        account: &PublicKey,
        sealed: &SealedProfile,
    ) -> Result<[u8; 32], SealError> {
        unwrap_with(&self.epoch_key(sealed.epoch)?, account, &sealed.wrapped())
    }

    /// Opens a sealed profile.
    pub fn open(&self, account: &PublicKey, sealed: &SealedProfile) -> Result<Profile, SealError> {
        open_with_data_key(&self.data_key(account, sealed)?, account, sealed)
    }

    /// Re-seals an updated profile under the account's existing data key (so its chat
    /// key, derived from the data key, does not change), wrapped in `epoch`.
    pub fn reseal(
        &self,
        account: &PublicKey,
        sealed: &SealedProfile,
        profile: &Profile,
        epoch: u64,
    ) -> Result<SealedProfile, SealError> {
        let data_key = self.data_key(account, sealed)?;
        self.seal_with(account, profile, &data_key, epoch)
    }

    /// The member's chat key (see [`chat_key`]).
    pub fn chat_key(
        &self,
        account: &PublicKey,
        sealed: &SealedProfile,
    ) -> Result<[u8; 32], SealError> {
        Ok(chat_key(&self.data_key(account, sealed)?, account))
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
        let sealed = vault.seal(&account, &profile(), 0).unwrap();
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
        let mut relabelled = sealed.clone();
        relabelled.epoch = 1;
        assert!(
            vault.open(&account, &relabelled).is_err(),
            "the epoch is bound into the wrapping"
        );

        let mut changed = profile();
        changed.name = "김민지2".into();
        let resealed = vault.reseal(&account, &sealed, &changed, 0).unwrap();
        assert_eq!(vault.open(&account, &resealed).unwrap(), changed);
        assert_eq!(
            vault.chat_key(&account, &sealed).unwrap(),
            vault.chat_key(&account, &resealed).unwrap(),
            "the chat key survives a re-seal"
        );
    }

    #[test]
    fn a_ratcheted_vault_no_longer_opens_older_epochs() {
        let vault = VaultKey::from_secret(&[7; 32]);
        let account = Keypair::from_name("member").public();
        let sealed = vault.seal(&account, &profile(), 0).unwrap();
        let data_key = vault.data_key(&account, &sealed).unwrap();
        let rewrapped = vault.wrap(&account, &data_key, 1).unwrap();
        vault.keys().advance_to(1).unwrap();
        assert!(matches!(
            vault.open(&account, &sealed),
            Err(SealError::EpochErased {
                sealed: 0,
                current: 1
            })
        ));
        let live = SealedProfile {
            epoch: rewrapped.epoch,
            wrapped_key: rewrapped.wrapped_key,
            key_nonce: rewrapped.key_nonce,
            ..sealed
        };
        assert_eq!(vault.open(&account, &live).unwrap(), profile());
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
