//! The genesis spec of a Truffle chain: who validates, who administers, the chain's
//! parameters and its start time. Its hash is the chain id, which every transaction
//! and every block header carries, so nodes and transactions of different chains can
//! never be mixed up.
//!
//! Specs are JSON (or TOML) files; `dev` and `local` are built-in presets whose keys
//! come from fixed, public seeds — for development only.

use std::collections::BTreeSet;
use std::path::Path;

use borsh::BorshSerialize;
use serde::{Deserialize, Serialize};
use truffle_ledger::hash::domain;
use truffle_ledger::limits::check_p2p_address;
use truffle_ledger::types::{ChainParams, Validator};
use truffle_ledger::{GenesisState, Hash, Keypair, PublicKey};

/// Why a genesis spec is unusable.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    /// The file could not be read.
    #[error("cannot read genesis file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a spec.
    #[error("genesis file {path} is not a valid spec: {reason}")]
    Parse {
        /// The file.
        path: String,
        /// Parser message.
        reason: String,
    },
    /// The spec breaks a rule.
    #[error("invalid genesis spec: {0}")]
    Invalid(String),
    /// No preset has that name.
    #[error("unknown chain preset {0:?} (expected dev, local, or a path to a genesis file)")]
    UnknownPreset(String),
}

/// Result alias of the genesis crate.
pub type Result<T> = std::result::Result<T, GenesisError>;

/// A validator in the spec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, BorshSerialize)]
pub struct ValidatorSpec {
    /// Human name.
    pub name: String,
    /// ed25519 public key (hex): libp2p identity, vote key and operator account.
    pub key: PublicKey,
    /// libp2p listen address, e.g. "/ip4/127.0.0.1/tcp/30333".
    pub p2p_address: String,
}

/// An administrator in the spec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, BorshSerialize)]
pub struct AdminSpec {
    /// Human name.
    pub name: String,
    /// ed25519 public key (hex).
    pub key: PublicKey,
}

/// A genesis spec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, BorshSerialize)]
pub struct GenesisSpec {
    /// Chain name, e.g. "truffle-mainnet".
    pub chain_name: String,
    /// Time of the genesis block, ms since the Unix epoch.
    pub genesis_time_ms: u64,
    /// Initial validators.
    pub validators: Vec<ValidatorSpec>,
    /// Initial administrators.
    pub admins: Vec<AdminSpec>,
    /// Chain parameters.
    #[serde(default)]
    pub params: ChainParams,
}

/// Largest bound a genesis may put on a block's time step: a day.
pub const MAX_BLOCK_TIME_STEP_MS: u64 = 24 * 3_600_000;

/// Fixed start time of the presets (2026-01-01T00:00:00Z), so their chain ids are stable.
pub const PRESET_GENESIS_TIME_MS: u64 = 1_767_225_600_000;

impl GenesisSpec {
    /// The chain id: blake3 over the spec's canonical (borsh) encoding.
    pub fn chain_id(&self) -> Hash {
        let bytes = borsh::to_vec(self).expect("encoding to a Vec cannot fail");
        Hash::tagged(domain::GENESIS, &[&bytes])
    }

    /// Checks every rule a spec must keep.
    pub fn validate(&self) -> Result<()> {
        let invalid = |reason: String| Err(GenesisError::Invalid(reason));
        let name_ok = !self.chain_name.is_empty()
            && self.chain_name.len() <= 64
            && self
                .chain_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !name_ok {
            return invalid(format!(
                "chain_name {:?} must be 1-64 characters of letters, digits, - and _",
                self.chain_name
            ));
        }
        if self.validators.is_empty() {
            return invalid("at least one validator is required".into());
        }
        if self.validators.len() > self.params.max_validators as usize {
            return invalid(format!(
                "{} validators exceed params.max_validators = {}",
                self.validators.len(),
                self.params.max_validators
            ));
        }
        if self.admins.is_empty() {
            return invalid("at least one admin is required".into());
        }
        let mut keys = BTreeSet::new();
        let mut addresses = BTreeSet::new();
        for validator in &self.validators {
            if validator.name.trim().is_empty() || validator.name.len() > 64 {
                return invalid(format!(
                    "validator name {:?} must be 1-64 bytes",
                    validator.name
                ));
            }
            validator.key.check_usable().map_err(|e| {
                GenesisError::Invalid(format!(
                    "validator {}: key {}: {e}",
                    validator.name, validator.key
                ))
            })?;
            check_p2p_address(&validator.p2p_address)
                .map_err(|e| GenesisError::Invalid(format!("validator {}: {e}", validator.name)))?;
            if !keys.insert(validator.key) {
                return invalid(format!("key {} is listed twice", validator.key));
            }
            if !addresses.insert(validator.p2p_address.clone()) {
                return invalid(format!(
                    "p2p address {} is listed twice",
                    validator.p2p_address
                ));
            }
        }
        for admin in &self.admins {
            admin.key.check_usable().map_err(|e| {
                GenesisError::Invalid(format!("admin {}: key {}: {e}", admin.name, admin.key))
            })?;
            if !keys.insert(admin.key) {
                return invalid(format!("key {} is listed twice", admin.key));
            }
        }
        let params = &self.params;
        if params.max_block_transactions == 0 || params.max_block_transactions > 100_000 {
            return invalid("params.max_block_transactions must be 1-100000".into());
        }
        if params.order_payment_window_ms < 60_000 {
            return invalid("params.order_payment_window_ms must be at least 60000".into());
        }
        if params.max_validators == 0 || params.max_validators > 31 {
            return invalid("params.max_validators must be 1-31".into());
        }
        // The raffle minimums: at least one block or ms of entry, a reveal window the
        // ledger's own limit allows, and a cooling period of at most a year.
        if params.min_raffle_entry_blocks == 0 || params.min_raffle_entry_blocks > 1_000_000 {
            return invalid("params.min_raffle_entry_blocks must be 1-1000000".into());
        }
        if params.min_raffle_entry_ms == 0 || params.min_raffle_entry_ms > 30 * 24 * 3_600_000 {
            return invalid(
                "params.min_raffle_entry_ms must be 1 ms to 30 days (2592000000)".into(),
            );
        }
        if params.min_raffle_reveal_blocks == 0
            || params.min_raffle_reveal_blocks > truffle_ledger::limits::MAX_REVEAL_BLOCKS
        {
            return invalid(format!(
                "params.min_raffle_reveal_blocks must be 1-{}",
                truffle_ledger::limits::MAX_REVEAL_BLOCKS
            ));
        }
        if params.missed_reveal_cooldown_ms > 365 * 24 * 3_600_000 {
            return invalid(
                "params.missed_reveal_cooldown_ms must be at most a year (31536000000)".into(),
            );
        }
        // A block must hold one transaction of the largest size; it must also fit, with
        // the Raft entry's framing, in one peer message.
        let min_bytes = truffle_ledger::limits::MAX_TRANSACTION_BYTES as u64 + 1024;
        let max_bytes = truffle_ledger::types::MAX_MAX_BLOCK_BYTES;
        if let Some(bytes) = params.max_block_bytes {
            if !(min_bytes..=max_bytes).contains(&bytes) {
                return invalid(format!(
                    "params.max_block_bytes must be {min_bytes}-{max_bytes} (the peer network carries 32 MiB)"
                ));
            }
        }
        if let Some(step) = params.max_block_time_step_ms {
            if !(1_000..=MAX_BLOCK_TIME_STEP_MS).contains(&step) {
                return invalid(format!(
                    "params.max_block_time_step_ms must be 1000-{MAX_BLOCK_TIME_STEP_MS}"
                ));
            }
        }
        Ok(())
    }

    /// The ledger's view of this genesis.
    pub fn to_state(&self) -> GenesisState {
        GenesisState {
            chain_id: self.chain_id(),
            time_ms: self.genesis_time_ms,
            params: self.params.clone(),
            admins: self.admins.iter().map(|a| a.key).collect(),
            validators: self
                .validators
                .iter()
                .map(|v| Validator {
                    key: v.key,
                    name: v.name.clone(),
                    p2p_address: v.p2p_address.clone(),
                    since_height: 0,
                })
                .collect(),
        }
    }

    /// Reads and validates a spec from a JSON or TOML file (by extension; JSON otherwise).
    pub fn from_file(path: &Path) -> Result<GenesisSpec> {
        let shown = path.display().to_string();
        let metadata = std::fs::metadata(path).map_err(|source| GenesisError::Read {
            path: shown.clone(),
            source,
        })?;
        if metadata.len() > 1024 * 1024 {
            return Err(GenesisError::Parse {
                path: shown,
                reason: "file is larger than 1 MiB".into(),
            });
        }
        let text = std::fs::read_to_string(path).map_err(|source| GenesisError::Read {
            path: shown.clone(),
            source,
        })?;
        let spec: GenesisSpec = if path.extension().is_some_and(|e| e == "toml") {
            toml::from_str(&text).map_err(|e| GenesisError::Parse {
                path: shown.clone(),
                reason: e.to_string(),
            })?
        } else {
            serde_json::from_str(&text).map_err(|e| GenesisError::Parse {
                path: shown.clone(),
                reason: e.to_string(),
            })?
        };
        spec.validate()?;
        Ok(spec)
    }

    /// Pretty JSON, as written by `truffle genesis new`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a spec always serializes")
    }

    /// The key of the validator named `name`, if any.
    pub fn validator(&self, key: &PublicKey) -> Option<&ValidatorSpec> {
        self.validators.iter().find(|v| v.key == *key)
    }
}

/// Well-known development keys of the presets (their seeds are public: never use them
/// on a real chain).
pub mod dev_keys {
    use super::*;

    /// The key of preset validator `index` ("validator-0", ...).
    pub fn validator(index: usize) -> Keypair {
        Keypair::from_name(&format!("validator-{index}"))
    }

    /// The preset admin's key.
    pub fn admin() -> Keypair {
        Keypair::from_name("admin")
    }
}

/// First libp2p port of the presets; validator i listens on `PRESET_P2P_PORT + i`.
pub const PRESET_P2P_PORT: u16 = 30_333;

/// A local chain of `validators` validators with the well-known dev keys, listening on
/// 127.0.0.1 from `first_p2p_port`.
pub fn local_spec(chain_name: &str, validators: usize, first_p2p_port: u16) -> GenesisSpec {
    GenesisSpec {
        chain_name: chain_name.to_owned(),
        genesis_time_ms: PRESET_GENESIS_TIME_MS,
        validators: (0..validators)
            .map(|i| ValidatorSpec {
                name: format!("validator-{i}"),
                key: dev_keys::validator(i).public(),
                p2p_address: format!("/ip4/127.0.0.1/tcp/{}", first_p2p_port + i as u16),
            })
            .collect(),
        admins: vec![AdminSpec {
            name: "admin".into(),
            key: dev_keys::admin().public(),
        }],
        // Short raffle time floors, so that a withheld reveal or contribution voids in
        // seconds on a development chain (the defaults are minutes).
        params: ChainParams {
            min_raffle_reveal_ms: 10_000,
            raffle_contribution_ms: 10_000,
            ..ChainParams::default()
        },
    }
}

/// The `dev` preset: one validator.
pub fn dev() -> GenesisSpec {
    local_spec("truffle-dev", 1, PRESET_P2P_PORT)
}

/// The `local` preset: four validators on consecutive loopback ports.
pub fn local() -> GenesisSpec {
    local_spec("truffle-local", 4, PRESET_P2P_PORT)
}

/// A preset by name, or the spec in the file at that path.
pub fn load(chain: &str) -> Result<GenesisSpec> {
    match chain {
        "dev" => Ok(dev()),
        "local" => Ok(local()),
        path if path.contains('/') || path.contains('.') => GenesisSpec::from_file(Path::new(path)),
        other => Err(GenesisError::UnknownPreset(other.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid() {
        dev().validate().unwrap();
        local().validate().unwrap();
        assert_eq!(local().validators.len(), 4);
    }

    /// The presets' chain ids are part of every dev transaction: pin them so an
    /// accidental change to the spec encoding is caught.
    #[test]
    fn preset_chain_ids_are_pinned() {
        assert_eq!(
            dev().chain_id().to_hex(),
            include_str!("../res/dev.chain-id").trim(),
            "the dev chain id changed; if intended, update genesis/res/dev.chain-id"
        );
        assert_ne!(dev().chain_id(), local().chain_id());
    }

    #[test]
    fn chain_id_covers_every_field() {
        let base = dev();
        let mut other = base.clone();
        other.genesis_time_ms += 1;
        assert_ne!(base.chain_id(), other.chain_id());
        let mut other = base.clone();
        other.params.max_block_transactions += 1;
        assert_ne!(base.chain_id(), other.chain_id());
        let mut other = base.clone();
        other.params.min_raffle_reveal_blocks += 1;
        assert_ne!(base.chain_id(), other.chain_id());
        let mut other = base.clone();
        other.params.missed_reveal_cooldown_ms += 1;
        assert_ne!(base.chain_id(), other.chain_id());
        let mut other = base.clone();
        other.validators[0].p2p_address = "/ip4/127.0.0.1/tcp/1".into();
        assert_ne!(base.chain_id(), other.chain_id());
        let mut other = base.clone();
        other.params.max_block_bytes = Some(8 << 20);
        assert_ne!(base.chain_id(), other.chain_id());
        let mut bounded = base.clone();
        bounded.params.max_block_time_step_ms = Some(60_000);
        assert_ne!(other.chain_id(), bounded.chain_id());
    }

    /// A genesis file written before the block rules loads, with their defaults, and
    /// keeps its chain id (the pinned dev id above is such a spec); out-of-range values
    /// are refused by name.
    #[test]
    fn block_rule_params_default_and_are_checked() {
        let json = dev().to_json();
        assert!(
            !json.contains("max_block_bytes"),
            "unset rules are not written"
        );
        let loaded: GenesisSpec = serde_json::from_str(&json).unwrap();
        loaded.validate().unwrap();
        assert_eq!(loaded.chain_id(), dev().chain_id());
        assert_eq!(
            loaded.params.block_bytes(),
            truffle_ledger::types::DEFAULT_MAX_BLOCK_BYTES
        );

        let mut spec = dev();
        spec.params.max_block_bytes = Some(64 << 20);
        assert!(spec
            .validate()
            .unwrap_err()
            .to_string()
            .contains("max_block_bytes"));
        spec.params.max_block_bytes = Some(1 << 20);
        spec.params.max_block_time_step_ms = Some(10);
        assert!(spec
            .validate()
            .unwrap_err()
            .to_string()
            .contains("max_block_time_step_ms"));
        spec.params.max_block_time_step_ms = Some(60_000);
        spec.validate().unwrap();
    }

    #[test]
    fn validation_errors_are_specific() {
        let mut spec = local();
        spec.validators[1].key = spec.validators[0].key;
        assert!(spec
            .validate()
            .unwrap_err()
            .to_string()
            .contains("listed twice"));

        let mut spec = dev();
        spec.validators.clear();
        assert!(spec
            .validate()
            .unwrap_err()
            .to_string()
            .contains("at least one validator"));

        let mut spec = dev();
        spec.admins.clear();
        assert!(spec.validate().unwrap_err().to_string().contains("admin"));

        let mut spec = dev();
        let mut weak = [0u8; 32];
        weak[0] = 1;
        spec.admins[0].key = PublicKey(weak);
        assert!(spec.validate().unwrap_err().to_string().contains("weak"));

        let mut spec = dev();
        spec.validators[0].p2p_address = "127.0.0.1:30333".into();
        assert!(spec
            .validate()
            .unwrap_err()
            .to_string()
            .contains("p2p_address"));

        let mut spec = dev();
        spec.params.min_raffle_reveal_blocks = 0;
        assert!(spec
            .validate()
            .unwrap_err()
            .to_string()
            .contains("params.min_raffle_reveal_blocks"));

        let mut spec = dev();
        spec.chain_name = "bad name!".into();
        assert!(spec
            .validate()
            .unwrap_err()
            .to_string()
            .contains("chain_name"));
    }

    #[test]
    fn files_round_trip_and_bad_files_are_explained() {
        let dir = std::env::temp_dir().join(format!("truffle-genesis-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("genesis.json");
        std::fs::write(&path, local().to_json()).unwrap();
        let loaded = load(path.to_str().unwrap()).unwrap();
        assert_eq!(loaded.chain_id(), local().chain_id());

        let toml_path = dir.join("genesis.toml");
        std::fs::write(&toml_path, toml::to_string(&local()).unwrap()).unwrap();
        assert_eq!(GenesisSpec::from_file(&toml_path).unwrap(), local());

        // A file written before the raffle minimums and the validators' randomness
        // existed loads with their defaults.
        let mut old: serde_json::Value = serde_json::from_str(&local().to_json()).unwrap();
        for field in [
            "min_raffle_entry_blocks",
            "min_raffle_entry_ms",
            "min_raffle_reveal_blocks",
            "missed_reveal_cooldown_ms",
            "min_raffle_reveal_ms",
            "raffle_contribution_blocks",
            "raffle_contribution_ms",
        ] {
            old["params"]
                .as_object_mut()
                .unwrap()
                .remove(field)
                .unwrap();
        }
        std::fs::write(&path, old.to_string()).unwrap();
        let loaded = load(path.to_str().unwrap()).unwrap();
        assert_eq!(loaded.params, ChainParams::default());

        std::fs::write(&path, "{ not json").unwrap();
        assert!(matches!(
            load(path.to_str().unwrap()),
            Err(GenesisError::Parse { .. })
        ));
        assert!(matches!(
            load("/no/such/file.json"),
            Err(GenesisError::Read { .. })
        ));
        assert!(matches!(
            load("mainnet"),
            Err(GenesisError::UnknownPreset(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
