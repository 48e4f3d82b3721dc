//! This node's vault keys: the MAC key and the current epoch key of the one-way ratchet,
//! kept in one small file outside RocksDB, the Raft log, snapshots and backups.
//!
//! Epoch keys: `k[0] = KDF("wrap", secret)`, `k[e+1] = KDF("ratchet", k[e])`. A node
//! holds only the current `k[e]` (later keys it derives on demand); advancing overwrites
//! the file **in place** (same length, same inode, `fsync`) and zeroes the old key in
//! memory, so the old key exists nowhere on this node afterwards. RocksDB is avoided on
//! purpose: a deleted RocksDB value survives in SST files and the WAL until compaction,
//! and in every checkpoint (backup) that hard-links those files.
//!
//! What this cannot promise (ARCHITECTURE.md, "Erasure"): a copy-on-write file system
//! or an SSD's flash translation layer may keep the overwritten block; validators keep
//! their data folders on an encrypted volume, and the file is never backed up.

use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use zeroize::Zeroize;

/// The key store's file name inside a node's data folder.
pub const KEY_STORE_FILE: &str = "vault.keys";

const HEADER: &str = "truffle-vault-keys v1";

/// Why the key store could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    /// A file operation failed.
    #[error("vault key store {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The file is not a key store.
    #[error("vault key store {}: {reason}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The store would have to go back to an epoch whose key it destroyed.
    #[error("the vault key store is at epoch {current}; epoch {wanted} is destroyed")]
    Destroyed {
        /// The store's epoch.
        current: u64,
        /// The epoch asked for.
        wanted: u64,
    },
}

/// The key of the epoch after one whose key is `key`.
pub fn ratchet(key: &[u8; 32]) -> [u8; 32] {
    blake3::derive_key("truffle v1 vault epoch ratchet", key)
}

struct Current {
    epoch: u64,
    key: [u8; 32],
}

impl Drop for Current {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

/// A node's vault keys (see the module docs).
pub struct KeyStore {
    path: Option<PathBuf>,
    mac_key: [u8; 32],
    current: Mutex<Current>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyStoreError + '_ {
    move |source| KeyStoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The file's text: fixed width, so that an advance overwrites exactly the same bytes.
fn render(epoch: u64, mac_key: &[u8; 32], key: &[u8; 32]) -> String {
    format!(
        "{HEADER}\nepoch {epoch:020}\nmac {}\nkey {}\n",
        hex::encode(mac_key),
        hex::encode(key)
    )
}

/// Reads a key store file: `(epoch, mac key, epoch key)`. Public so that an audit (or an
/// attacker, in the tests) can take every key a node holds.
pub fn read_key_file(path: &Path) -> Result<(u64, [u8; 32], [u8; 32]), KeyStoreError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let malformed = |reason: &str| KeyStoreError::Malformed {
        path: path.to_path_buf(),
        reason: reason.into(),
    };
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return Err(malformed("not a vault key store"));
    }
    let mut field = |name: &str| {
        lines
            .next()
            .and_then(|l| l.strip_prefix(name))
            .and_then(|l| l.strip_prefix(' '))
            .ok_or_else(|| malformed(&format!("no {name} line")))
    };
    let epoch = field("epoch")?
        .parse::<u64>()
        .map_err(|_| malformed("bad epoch"))?;
    let hex32 = |s: &str| -> Result<[u8; 32], KeyStoreError> {
        let bytes = hex::decode(s).map_err(|_| malformed("bad hex"))?;
        bytes
            .try_into()
            .map_err(|_| malformed("a key has 32 bytes"))
    };
    let mac = hex32(field("mac")?)?;
    let key = hex32(field("key")?)?;
    Ok((epoch, mac, key))
}

fn sync_dir(path: &Path) -> Result<(), KeyStoreError> {
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(dir))?;
    }
    Ok(())
}

impl KeyStore {
    /// The MAC key a provisioning secret gives.
    pub fn mac_key_of(secret: &[u8; 32]) -> [u8; 32] {
        blake3::derive_key("truffle v1 vault mac", secret)
    }

    fn first_key(secret: &[u8; 32]) -> [u8; 32] {
        blake3::derive_key("truffle v1 vault wrap", secret)
    }

    /// A store in memory only, at epoch 0 (tests, the dev preset's tools).
    pub fn in_memory(secret: &[u8; 32]) -> KeyStore {
        KeyStore {
            path: None,
            mac_key: Self::mac_key_of(secret),
            current: Mutex::new(Current {
                epoch: 0,
                key: Self::first_key(secret),
            }),
        }
    }

    /// Opens the store at `path`; when there is none yet, creates it at epoch 0 from the
    /// provisioning `secret` (every validator is provisioned with the same one, then the
    /// operator destroys the provisioning copies: the store never holds the secret).
    pub fn open(path: &Path, secret: Option<&[u8; 32]>) -> Result<KeyStore, KeyStoreError> {
        if path.exists() {
            let (epoch, mac_key, key) = read_key_file(path)?;
            return Ok(KeyStore {
                path: Some(path.to_path_buf()),
                mac_key,
                current: Mutex::new(Current { epoch, key }),
            });
        }
        let secret = secret.ok_or_else(|| KeyStoreError::Malformed {
            path: path.to_path_buf(),
            reason: "no key store yet, and no vault key to create it from (--vault-key-file)"
                .into(),
        })?;
        let mac_key = Self::mac_key_of(secret);
        let key = Self::first_key(secret);
        let temporary = path.with_extension("keys.new");
        {
            let mut file = std::fs::File::create(&temporary).map_err(io(&temporary))?;
            file.write_all(render(0, &mac_key, &key).as_bytes())
                .and_then(|_| file.sync_all())
                .map_err(io(&temporary))?;
        }
        std::fs::rename(&temporary, path).map_err(io(path))?;
        sync_dir(path)?;
        Ok(KeyStore {
            path: Some(path.to_path_buf()),
            mac_key,
            current: Mutex::new(Current { epoch: 0, key }),
        })
    }

    /// The MAC key (does not ratchet).
    pub fn mac_key(&self) -> [u8; 32] {
        self.mac_key
    }

    /// The epoch whose key this node holds.
    pub fn epoch(&self) -> u64 {
        self.current.lock().expect("key store lock poisoned").epoch
    }

    /// The key of `epoch`: the held one, or one derived forward from it; `None` for an
    /// epoch before the held one (destroyed).
    pub fn key_for(&self, epoch: u64) -> Option<[u8; 32]> {
        let current = self.current.lock().expect("key store lock poisoned");
        if epoch < current.epoch {
            return None;
        }
        let mut key = current.key;
        for _ in current.epoch..epoch {
            key = ratchet(&key);
        }
        Some(key)
    }

    /// Moves the store to `epoch` (no-op if it is there or past): writes the new key over
    /// the old one in the file, syncs, then forgets the old key in memory. Returns whether
    /// the store moved.
    pub fn advance_to(&self, epoch: u64) -> Result<bool, KeyStoreError> {
        let mut current = self.current.lock().expect("key store lock poisoned");
        if epoch <= current.epoch {
            return Ok(false);
        }
        let mut key = current.key;
        for _ in current.epoch..epoch {
            key = ratchet(&key);
        }
        if let Some(path) = &self.path {
            let bytes = render(epoch, &self.mac_key, &key);
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(io(path))?;
            file.write_all_at(bytes.as_bytes(), 0)
                .and_then(|_| file.set_len(bytes.len() as u64))
                .and_then(|_| file.sync_all())
                .map_err(io(path))?;
        }
        current.key.zeroize();
        current.key = key;
        current.epoch = epoch;
        key.zeroize();
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_holds_only_the_current_key_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_STORE_FILE);
        let secret = [3u8; 32];
        let store = KeyStore::open(&path, Some(&secret)).unwrap();
        let k0 = store.key_for(0).unwrap();
        let k2 = store.key_for(2).unwrap();
        assert_eq!(k2, ratchet(&ratchet(&k0)), "forward derivation");
        let length = std::fs::metadata(&path).unwrap().len();
        assert!(store.advance_to(2).unwrap());
        assert!(!store.advance_to(1).unwrap(), "never backwards");
        assert_eq!(store.key_for(1), None);
        assert_eq!(store.key_for(2), Some(k2));

        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains(&hex::encode(k0)),
            "the old key is overwritten"
        );
        assert!(!text.contains(&hex::encode(secret)));
        assert_eq!(std::fs::metadata(&path).unwrap().len(), length);

        let reopened = KeyStore::open(&path, None).unwrap();
        assert_eq!(reopened.epoch(), 2);
        assert_eq!(reopened.key_for(2), Some(k2));
        assert_eq!(reopened.mac_key(), KeyStore::mac_key_of(&secret));
        assert!(KeyStore::open(&dir.path().join("none"), None).is_err());
    }
}
