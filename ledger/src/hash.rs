//! 32-byte blake3 digests and the domain tags that keep each use of them apart.

use std::fmt;
use std::str::FromStr;

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Domain tags: every hash and signature in Truffle is over `tag ‖ bytes`, so a value
/// signed or hashed for one purpose can never be replayed as another.
pub mod domain {
    /// Signing hash of a transaction.
    pub const TRANSACTION: &[u8] = b"truffle/v1/tx";
    /// Hash of a block header.
    pub const HEADER: &[u8] = b"truffle/v1/header";
    /// A validator's signature over a block header (the block certificate).
    pub const HEADER_VOTE: &[u8] = b"truffle/v1/header-vote";
    /// Leaves of the transaction and receipt Merkle trees.
    pub const MERKLE_LEAF: &[u8] = b"truffle/v1/merkle-leaf";
    /// Inner nodes of the transaction and receipt Merkle trees.
    pub const MERKLE_NODE: &[u8] = b"truffle/v1/merkle-node";
    /// The seed of a raffle draw.
    pub const RAFFLE_DRAW: &[u8] = b"truffle/v1/raffle-draw";
    /// The input of the validators' VRF for a raffle's seed.
    pub const RAFFLE_VRF: &[u8] = b"truffle/v1/raffle-vrf";
    /// The commitment to a raffle secret.
    pub const RAFFLE_COMMIT: &[u8] = b"truffle/v1/raffle-commit";
    /// The genesis spec (its hash is the chain id).
    pub const GENESIS: &[u8] = b"truffle/v1/genesis";
}

/// A blake3 digest.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, BorshSerialize, BorshDeserialize,
)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The all-zero hash, used as the parent of the genesis block and for empty trees.
    pub const ZERO: Hash = Hash([0u8; 32]);

    /// blake3 of `tag ‖ parts...`: the one way Truffle hashes anything.
    pub fn tagged(tag: &[u8], parts: &[&[u8]]) -> Hash {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&(tag.len() as u32).to_le_bytes());
        hasher.update(tag);
        for part in parts {
            hasher.update(part);
        }
        Hash(*hasher.finalize().as_bytes())
    }

    /// Plain blake3 of the bytes (for content hashes such as image files).
    pub fn of(bytes: &[u8]) -> Hash {
        Hash(*blake3::hash(bytes).as_bytes())
    }

    /// Plain blake3 of everything `reader` yields, read in pieces (files of any size).
    pub fn of_reader(reader: impl std::io::Read) -> std::io::Result<Hash> {
        let mut hasher = blake3::Hasher::new();
        hasher.update_reader(reader)?;
        Ok(Hash(*hasher.finalize().as_bytes()))
    }

    /// The bytes of the digest.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hex, 64 characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex characters (an optional `0x` prefix is accepted).
    pub fn from_hex(text: &str) -> Result<Hash, HexError> {
        parse_hex_array(text).map(Hash)
    }
}

/// Hex text that is not the expected number of bytes, or not hex.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// The text is not hexadecimal.
    #[error("not hexadecimal: {0}")]
    NotHex(String),
    /// The text decodes to the wrong number of bytes.
    #[error("expected {expected} bytes of hex, got {got}")]
    WrongLength {
        /// Bytes expected.
        expected: usize,
        /// Bytes found.
        got: usize,
    },
}

/// Decodes hex text (with or without `0x`) into a fixed-size array.
pub fn parse_hex_array<const N: usize>(text: &str) -> Result<[u8; N], HexError> {
    let text = text.trim();
    let text = text.strip_prefix("0x").unwrap_or(text);
    let bytes = hex::decode(text).map_err(|e| HexError::NotHex(e.to_string()))?;
    let got = bytes.len();
    bytes
        .try_into()
        .map_err(|_| HexError::WrongLength { expected: N, got })
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({}…)", &self.to_hex()[..12])
    }
}

impl FromStr for Hash {
    type Err = HexError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Hash::from_hex(s)
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(deserializer)?;
        Hash::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Hash {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Hash".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        hex_schema("A blake3 digest, 32 bytes in lowercase hex.", 32)
    }
}

/// The JSON Schema of `bytes` bytes written as lowercase hex.
pub(crate) fn hex_schema(description: &str, bytes: usize) -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "description": description,
        "pattern": format!("^[0-9a-f]{{{}}}$", bytes * 2),
    })
}

/// Implements hex Display/Debug/FromStr/serde/JSON Schema for a newtype over `[u8; N]`.
macro_rules! hex_newtype {
    ($name:ident, $len:expr, $label:literal, $description:literal) => {
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                $label.into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                $crate::hash::hex_schema($description, $len)
            }
        }
        impl $name {
            /// Lower-case hex of the bytes.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }
            /// Parses hex text (an optional `0x` prefix is accepted).
            pub fn from_hex(text: &str) -> Result<Self, $crate::hash::HexError> {
                $crate::hash::parse_hex_array::<$len>(text).map($name)
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.to_hex())
            }
        }
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!($label, "({}…)"), &self.to_hex()[..12])
            }
        }
        impl std::str::FromStr for $name {
            type Err = $crate::hash::HexError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::from_hex(s)
            }
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.to_hex())
            }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(deserializer)?;
                $name::from_hex(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use hex_newtype;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagged_hashes_differ_by_tag_and_by_split() {
        let a = Hash::tagged(b"a", &[b"xy"]);
        let b = Hash::tagged(b"b", &[b"xy"]);
        assert_ne!(a, b);
        // The tag length is hashed, so moving bytes between tag and body changes the digest.
        assert_ne!(Hash::tagged(b"ax", &[b"y"]), a);
    }

    #[test]
    fn hex_round_trip_and_errors() {
        let h = Hash::of(b"truffle");
        assert_eq!(Hash::from_hex(&h.to_hex()).unwrap(), h);
        assert_eq!(Hash::from_hex(&format!("0x{}", h.to_hex())).unwrap(), h);
        assert_eq!(
            Hash::from_hex("abcd"),
            Err(HexError::WrongLength {
                expected: 32,
                got: 2
            })
        );
        assert!(matches!(Hash::from_hex("zz"), Err(HexError::NotHex(_))));
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(serde_json::from_str::<Hash>(&json).unwrap(), h);
    }
}
