//! Storage errors.

use truffle_ledger::LedgerError;

/// A failure of the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// RocksDB failed.
    #[error("rocksdb: {0}")]
    Rocks(#[from] rocksdb::Error),
    /// Stored bytes did not decode.
    #[error("corrupt {what}: {reason}")]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// Decoder message.
        reason: String,
    },
    /// The ledger failed while the store drove it.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A snapshot is unusable.
    #[error("snapshot: {0}")]
    Snapshot(String),
    /// A checkpoint's target folder already holds files.
    #[error("{} exists and is not empty", .0.display())]
    TargetNotEmpty(std::path::PathBuf),
    /// Another process (a running node) holds the database.
    #[error("the database in {} is in use (is the node still running?)", .0.display())]
    InUse(std::path::PathBuf),
    /// A file system operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: std::path::PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
}

/// Result alias of the store crate.
pub type StoreResult<T> = Result<T, StoreError>;

impl From<StoreError> for LedgerError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Ledger(inner) => inner,
            other => LedgerError::Storage(other.to_string()),
        }
    }
}

pub(crate) fn decode<T: borsh::BorshDeserialize>(
    what: &'static str,
    bytes: &[u8],
) -> StoreResult<T> {
    borsh::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        what,
        reason: e.to_string(),
    })
}

pub(crate) fn encode<T: borsh::BorshSerialize>(value: &T) -> Vec<u8> {
    borsh::to_vec(value).expect("encoding to a Vec cannot fail")
}
