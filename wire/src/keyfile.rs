//! Key files: a validator's or a member's ed25519 key as JSON, readable by its owner only.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use truffle_ledger::{Keypair, PublicKey};

/// Why a key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Reading or writing failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a key file.
    #[error("key file {path} is not valid: {reason}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

#[derive(Serialize, Deserialize, schemars::JsonSchema)]
struct KeyFileJson {
    public_key: PublicKey,
    secret_seed: String,
}

/// Writes `key` to `path` (mode 0600), refusing to overwrite an existing file.
pub fn write_key_file(path: &Path, key: &Keypair) -> Result<(), KeyFileError> {
    let shown = path.display().to_string();
    let io = |source| KeyFileError::Io {
        path: shown.clone(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let json = serde_json::to_string_pretty(&KeyFileJson {
        public_key: key.public(),
        secret_seed: hex::encode(key.seed()),
    })
    .expect("key files serialize");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io)?;
    file.write_all(json.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)
}

/// Reads a key file and checks that its public key matches its secret.
pub fn read_key_file(path: &Path) -> Result<Keypair, KeyFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| KeyFileError::Io {
        path: shown.clone(),
        source,
    })?;
    let invalid = |reason: String| KeyFileError::Invalid {
        path: shown.clone(),
        reason,
    };
    let json: KeyFileJson = serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    let seed: [u8; 32] = truffle_ledger::hash::parse_hex_array(&json.secret_seed)
        .map_err(|e| invalid(e.to_string()))?;
    let key = Keypair::from_seed(&seed);
    if key.public() != json.public_key {
        return Err(invalid("public_key does not match secret_seed".into()));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_checks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/validator.json");
        let key = Keypair::generate();
        write_key_file(&path, &key).unwrap();
        assert_eq!(read_key_file(&path).unwrap().public(), key.public());
        assert!(write_key_file(&path, &key).is_err(), "must not overwrite");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let other = Keypair::generate();
        let tampered = std::fs::read_to_string(&path)
            .unwrap()
            .replace(&key.public().to_hex(), &other.public().to_hex());
        std::fs::write(&path, tampered).unwrap();
        assert!(matches!(
            read_key_file(&path),
            Err(KeyFileError::Invalid { .. })
        ));
    }
}
